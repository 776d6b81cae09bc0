/* store/write.c: runs, episodes, training rows and checkpoints written (see store.h). */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"
#include "store/rates.h"
#include "core/text.h"

/* ---- runs --------------------------------------------------------------- */

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

int store_exec_bound(Store *s, const char *what, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_sql_fail(s, what);
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 't') store_bind_text(st, i + 1, va_arg(ap, const char *));
        else if (fmt[i] == 'i') sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        else sqlite3_bind_null(st, i + 1);
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return store_sql_fail(s, what);
    return 0;
}

int store_run_create(Store *s, const RunRow *row, int64_t *run_id)
{
    char why[256];
    if (text_check_label(row->name, "run name", why, sizeof why) != 0) return store_fail(s, "%s", why);
    char now[32];
    store_now_iso(now, sizeof now);
    sqlite3_stmt *st;
    const char *sql = "INSERT INTO runs (kind, name, parent_run, task, agent, config, seed, rng, version,"
                      " started, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running')";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_sql_fail(s, "create run");
    store_bind_text(st, 1, row->kind);
    store_bind_text(st, 2, row->name);
    if (row->parent_run > 0) sqlite3_bind_int64(st, 3, row->parent_run);
    else sqlite3_bind_null(st, 3);
    store_bind_text(st, 4, row->task);
    store_bind_text(st, 5, row->agent);
    store_bind_text(st, 6, row->config);
    sqlite3_bind_int64(st, 7, row->seed);
    store_bind_text(st, 8, row->rng);
    store_bind_text(st, 9, row->version);
    store_bind_text(st, 10, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_sql_fail(s, "create run");
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_run_finish(Store *s, int64_t run_id, const char *status, const char *summary)
{
    char now[32];
    store_now_iso(now, sizeof now);
    return store_exec_bound(s, "finish run", "UPDATE runs SET status = ?1, finished = ?2, summary = ?3 WHERE run_id = ?4",
                      "ttti", status, now, summary, run_id);
}

int store_run_reopen(Store *s, int64_t run_id)
{
    return store_exec_bound(s, "reopen run", "UPDATE runs SET status = 'running', finished = NULL WHERE run_id = ?1",
                      "i", run_id);
}

int store_run_set_config(Store *s, int64_t run_id, const char *config)
{
    return store_exec_bound(s, "store the run's settings", "UPDATE runs SET config = ?1 WHERE run_id = ?2", "ti",
                            config, run_id);
}

/* ---- episodes ----------------------------------------------------------- */

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v)) sqlite3_bind_null(st, i);
    else sqlite3_bind_double(st, i, v);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int v)
{
    if (v < 0) sqlite3_bind_null(st, i);
    else sqlite3_bind_int(st, i, v);
}

/* Run a statement whose every parameter is bound again before its next run,
** so that clearing the bindings would be wasted work. */
static int step_reset_bound(Store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return store_sql_fail(s, what);
    return 0;
}

int store_step_reset(Store *s, sqlite3_stmt *st, const char *what)
{
    int rc = step_reset_bound(s, st, what);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Trial t of e into parameters at + 1 ... at + STORE_TRIAL_COLUMNS. */
static void bind_trial(sqlite3_stmt *st, int at, int64_t run_id, int64_t episode, int t, const EpisodeRecord *e)
{
    const TrialRecord *tr = &e->trials[t];
    sqlite3_bind_int64(st, at + 1, run_id);
    sqlite3_bind_int64(st, at + 2, episode);
    sqlite3_bind_int(st, at + 3, t);
    bind_int_or_null(st, at + 4, tr->action);
    bind_real(st, at + 5, tr->action < 0 ? NAN : tr->reward);
    bind_real(st, at + 6, tr->truth.p[0]);
    bind_real(st, at + 7, tr->truth.p[1]);
    bind_int_or_null(st, at + 8, tr->truth.best);
    bind_int_or_null(st, at + 9, tr->truth.block);
    bind_int_or_null(st, at + 10, tr->truth.since_reversal);
    bind_real(st, at + 11, tr->probs[0]);
    bind_real(st, at + 12, tr->probs[1]);
    bind_real(st, at + 13, tr->value);
    bind_real(st, at + 14, tr->rpe);
}


/* s->blob holding at least n floats; -1 with a message if out of memory. */
static int reserve_blob(Store *s, size_t n)
{
    if (n <= s->blob_cap) return 0;
    float *p = realloc(s->blob, n * sizeof *p);
    if (!p) return store_fail(s, "%s: out of memory writing activity", s->path);
    s->blob = p;
    s->blob_cap = n;
    return 0;
}

/* rows x count rates (row r at src + r * stride) in format: their bytes (in
** *bytes), encoded into s->blob or s->packed, or src itself when it already is
** them (float32 rows with nothing between them: one module holding every
** unit, so no copy); NULL with a message if out of memory (rows x count > 0). */
static const void *encode_rates(Store *s, const float *src, int rows, size_t stride, int count, int format,
                                size_t *bytes)
{
    size_t n = (size_t)rows * (size_t)count;
    *bytes = n * store_rates_size(format);
    if (format == STORE_RATES_FLOAT16) {
        if (reserve_blob(s, n) != 0) return NULL;
        uint16_t *h = (uint16_t *)(void *)s->blob;
        if (stride == (size_t)count) store_half_from_float_n(src, h, n);
        else
            for (int t = 0; t < rows; t++) store_half_from_float_n(src + (size_t)t * stride, h + (size_t)t * count, (size_t)count);
        return s->blob;
    }
    /* little-endian on disk (store/rates.h); this machine is little-endian
    ** (asserted at build time below), so float32 bytes are stored as they are */
    const float *dense = src;
    if (stride != (size_t)count) {
        if (reserve_blob(s, n) != 0) return NULL;
        for (int t = 0; t < rows; t++)
            memcpy(s->blob + (size_t)t * count, src + (size_t)t * stride, (size_t)count * sizeof(float));
        dense = s->blob;
    }
    if (format != STORE_RATES_SPARSE) return dense;
    size_t cap = store_sparse_bound(n);
    if (cap > s->packed_cap) {
        unsigned char *p = realloc(s->packed, cap);
        if (!p) return store_fail(s, "%s: out of memory writing activity", s->path), NULL;
        s->packed = p;
        s->packed_cap = cap;
    }
    size_t len = store_sparse_encode(dense, n, s->packed);
    if (len >= *bytes) return dense;   /* few zeros: float32 is shorter (store/rates.h) */
    *bytes = len;
    return s->packed;
}

static int blob_too_big(Store *s, sqlite3_stmt *st, int64_t run_id, int64_t episode, const char *module,
                        int rows, const char *what, int count, size_t bytes)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return store_fail(s, "%s: run %lld episode %lld: the %s rates (%d %s x %d units, %zu bytes) exceed "
                         "SQLite's limit of %d bytes per value", s->path, (long long)run_id, (long long)episode,
                      module, rows, what, count, bytes, sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, -1));
}

static int put_activity(Store *s, int64_t run_id, int64_t episode, const EpisodeRecord *e,
                        const char *module, int first, int count, int format)
{
    if ((size_t)e->n_trials * (size_t)count == 0) return 0;
    size_t bytes;
    const void *blob = encode_rates(s, e->activity + first, e->n_trials, (size_t)e->n_units, count, format, &bytes);
    if (!blob) return -1;
    sqlite3_stmt *st = s->st[ST_ACTIVITY];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_text(st, 3, module, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, e->n_trials);
    sqlite3_bind_int(st, 5, count);
    if (sqlite3_bind_blob64(st, 6, blob, bytes, SQLITE_STATIC) != SQLITE_OK)
        return blob_too_big(s, st, run_id, episode, module, e->n_trials, "trials", count, bytes);
    return store_step_reset(s, st, "write activity");
}

/* The per-step prefrontal rates of an episode (table activity_steps). */
static int put_steps(Store *s, int64_t run_id, int64_t episode, const EpisodeRecord *e, int format)
{
    if ((size_t)e->n_steps * (size_t)e->n_step_units == 0) return 0;
    size_t bytes;
    const void *blob = encode_rates(s, e->step_rates, e->n_steps, (size_t)e->n_step_units, e->n_step_units, format,
                                    &bytes);
    if (!blob) return -1;
    sqlite3_stmt *st = s->st[ST_STEPS];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_text(st, 3, "pfc", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, e->n_steps);
    sqlite3_bind_int(st, 5, e->n_step_units);
    sqlite3_bind_int(st, 6, e->steps_per_trial);
    sqlite3_bind_blob(st, 7, e->step_epoch, e->n_steps, SQLITE_STATIC);
    if (sqlite3_bind_blob64(st, 8, blob, bytes, SQLITE_STATIC) != SQLITE_OK)
        return blob_too_big(s, st, run_id, episode, "pfc", e->n_steps, "steps", e->n_step_units, bytes);
    return store_step_reset(s, st, "write per-step activity");
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the store writes activity as little-endian float32; add byte swapping for this machine"
#endif

int store_put_episode(Store *s, int64_t run_id, int64_t episode, const char *phase,
                      const EpisodeRecord *e, int with_activity)
{
    assert(s->mode == STORE_WRITE);
    sqlite3_stmt *st = s->st[ST_EPISODE];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_text(st, 3, phase, -1, SQLITE_STATIC);
    store_bind_text(st, 4, e->subject[0] ? e->subject : NULL);
    sqlite3_bind_int(st, 5, e->n_trials);
    sqlite3_bind_double(st, 6, e->total_reward);
    bind_real(st, 7, e->regret);
    sqlite3_bind_text(st, 8, e->instance, -1, SQLITE_STATIC);
    if (store_step_reset(s, st, "write episode") != 0) return -1;

    int t = 0;
    for (; t + STORE_TRIAL_CHUNK <= e->n_trials; t += STORE_TRIAL_CHUNK) {
        st = s->st[ST_TRIAL_CHUNK];
        for (int r = 0; r < STORE_TRIAL_CHUNK; r++) bind_trial(st, r * STORE_TRIAL_COLUMNS, run_id, episode, t + r, e);
        if (step_reset_bound(s, st, "write trial") != 0) return -1;
    }
    for (; t < e->n_trials; t++) {
        st = s->st[ST_TRIAL];
        bind_trial(st, 0, run_id, episode, t, e);
        if (step_reset_bound(s, st, "write trial") != 0) return -1;
    }
    st = s->st[ST_STAGE];
    for (int i = 0; i < e->n_stages; i++) {
        const StageRecord *g = &e->stages[i];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, episode);
        sqlite3_bind_int(st, 3, g->t);
        sqlite3_bind_int(st, 4, g->stage);
        bind_int_or_null(st, 5, g->state);
        bind_int_or_null(st, 6, g->action);
        sqlite3_bind_double(st, 7, g->reward);
        bind_real(st, 8, g->value);
        bind_real(st, 9, g->rpe);
        if (store_step_reset(s, st, "write stage") != 0) return -1;
    }
    if (with_activity && e->n_units > 0 && e->activity) {
        int f = store_rates_written(with_activity);
        if (put_activity(s, run_id, episode, e, "pfc", 0, e->n_pfc, f) != 0) return -1;
        if (put_activity(s, run_id, episode, e, "striatum", e->n_pfc, e->n_units - e->n_pfc, f) != 0) return -1;
        if (e->n_steps > 0 && put_steps(s, run_id, episode, e, f) != 0) return -1;
    }
    return 0;
}

int store_put_training(Store *s, int64_t run_id, const TrainRow *row)
{
    sqlite3_stmt *st = s->st[ST_TRAINING];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, row->episode);
    sqlite3_bind_double(st, 3, row->reward);
    bind_real(st, 4, row->regret);
    bind_real(st, 5, row->p_best);
    bind_real(st, 6, row->loss_policy);
    bind_real(st, 7, row->loss_value);
    bind_real(st, 8, row->entropy);
    bind_real(st, 9, row->grad_norm);
    bind_real(st, 10, row->beta_e);
    bind_real(st, 11, row->wall_s);
    return store_step_reset(s, st, "write training curve");
}

int store_put_checkpoint(Store *s, int64_t run_id, int64_t episode,
                         const void *params, size_t n_params,
                         const void *optimizer, size_t n_optimizer,
                         const void *state, size_t n_state)
{
    char now[32];
    store_now_iso(now, sizeof now);
    sqlite3_stmt *st;
    const char *sql = "INSERT OR REPLACE INTO checkpoints (run_id, episode, params, optimizer, state, created)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_sql_fail(s, "write checkpoint");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    sqlite3_bind_blob64(st, 3, params, n_params, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 4, optimizer, n_optimizer, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 5, state, n_state, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_sql_fail(s, "write checkpoint");
    return 0;
}

int store_prune_checkpoints(Store *s, int64_t run_id, int keep)
{
    return store_exec_bound(s, "prune checkpoints",
                      "DELETE FROM checkpoints WHERE run_id = ?1 AND episode NOT IN "
                      "(SELECT episode FROM checkpoints WHERE run_id = ?1 ORDER BY episode DESC LIMIT ?2)",
                      "ii", run_id, (int64_t)keep);
}

int store_delete_after(Store *s, int64_t run_id, int64_t episode)
{
    static const char *const sql[] = {
        "DELETE FROM activity WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM activity_steps WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM stages WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM trials WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM episodes WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM training WHERE run_id = ?1 AND episode >= ?2",
        "DELETE FROM checkpoints WHERE run_id = ?1 AND episode > ?2",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (store_exec_bound(s, "drop rows after the checkpoint", sql[i], "ii", run_id, episode) != 0) return -1;
    return 0;
}

/* ---- reading runs ------------------------------------------------------- */

/* ---- fits ------------------------------------------------------------------ */

int store_put_fit(Store *s, const FitRow *row)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO fits (run_id, episode, subject, model, method, params,"
                                  " loglik, heldout_loglik, cv_folds, n_trials, n_params, converged, at_bound)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "write fit");
    sqlite3_bind_int64(st, 1, row->run_id);
    sqlite3_bind_int64(st, 2, row->episode);
    store_bind_text(st, 3, row->subject && row->subject[0] ? row->subject : NULL);
    store_bind_text(st, 4, row->model);
    store_bind_text(st, 5, row->method);
    store_bind_text(st, 6, row->params);
    sqlite3_bind_double(st, 7, row->loglik);
    bind_real(st, 8, row->heldout_loglik);
    sqlite3_bind_int(st, 9, row->cv_folds);
    sqlite3_bind_int(st, 10, row->n_trials);
    sqlite3_bind_int(st, 11, row->n_params);
    sqlite3_bind_int(st, 12, row->converged);
    sqlite3_bind_int(st, 13, row->at_bound);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_sql_fail(s, "write fit");
}
