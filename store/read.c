/* store/read.c: runs, episodes, training curves and checkpoints read back (see store.h).
**
** Every count and size read from the file is checked before it is used: a
** damaged store is refused with a message, never trusted.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"
#include "store/rates.h"

/* ---- checkpoints --------------------------------------------------------- */

static int copy_blob(sqlite3_stmt *st, int col, void **out, size_t *n)
{
    int bytes = sqlite3_column_bytes(st, col);
    const void *p = sqlite3_column_blob(st, col);
    *out = malloc(bytes > 0 ? (size_t)bytes : 1);
    if (!*out) return -1;
    if (bytes > 0) memcpy(*out, p, (size_t)bytes);
    *n = (size_t)bytes;
    return 0;
}

int store_get_checkpoint(Store *s, int64_t run_id, int64_t *episode,
                         void **params, size_t *n_params,
                         void **optimizer, size_t *n_optimizer,
                         void **state, size_t *n_state)
{
    sqlite3_stmt *st;
    *params = *optimizer = *state = NULL;
    *episode = -1;
    const char *sql = "SELECT episode, params, optimizer, state FROM checkpoints WHERE run_id = ?1"
                      " ORDER BY episode DESC LIMIT 1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_sql_fail(s, "read checkpoint");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        *episode = sqlite3_column_int64(st, 0);
        if (copy_blob(st, 1, params, n_params) || copy_blob(st, 2, optimizer, n_optimizer) ||
            copy_blob(st, 3, state, n_state)) {
            free(*params);
            free(*optimizer);
            free(*state);
            *params = *optimizer = *state = NULL;
            ret = store_fail(s, "%s: out of memory reading checkpoint", s->path);
        }
    } else if (rc != SQLITE_DONE) {
        ret = store_sql_fail(s, "read checkpoint");
    }
    sqlite3_finalize(st);
    return ret;
}

static char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    return v ? strdup((const char *)v) : NULL;
}

#define RUN_COLUMNS "run_id, kind, name, parent_run, task, agent, config, seed, rng, version, started," \
                    " finished, status, summary, CASE kind WHEN 'train' THEN"                                      \
                    " coalesce((SELECT max(episode) FROM checkpoints c WHERE c.run_id = runs.run_id), 0)"    \
                    " ELSE (SELECT count(*) FROM episodes e WHERE e.run_id = runs.run_id) END"

static void row_from(sqlite3_stmt *st, RunRow *r)
{
    r->run_id = sqlite3_column_int64(st, 0);
    r->kind = col_text(st, 1);
    r->name = col_text(st, 2);
    r->parent_run = sqlite3_column_int64(st, 3);
    r->task = col_text(st, 4);
    r->agent = col_text(st, 5);
    r->config = col_text(st, 6);
    r->seed = sqlite3_column_int64(st, 7);
    r->rng = col_text(st, 8);
    r->version = col_text(st, 9);
    r->started = col_text(st, 10);
    r->finished = col_text(st, 11);
    r->status = col_text(st, 12);
    r->summary = col_text(st, 13);
    r->n_episodes = sqlite3_column_int64(st, 14);
}

void store_run_clear(RunRow *r)
{
    if (!r) return;
    char **f[] = { &r->kind, &r->name, &r->task, &r->agent, &r->config, &r->rng, &r->version,
                   &r->started, &r->finished, &r->status, &r->summary };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

int store_runs(Store *s, RunRow **rows, int *n)
{
    sqlite3_stmt *st;
    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLUMNS " FROM runs ORDER BY run_id", -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "list runs");
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            RunRow *p = realloc(*rows, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                store_runs_free(*rows, *n);
                *rows = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *rows = p;
        }
        row_from(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "list runs");
        store_runs_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_runs_free(RunRow *rows, int n)
{
    for (int i = 0; i < n; i++) store_run_clear(&rows[i]);
    free(rows);
}

int store_run_get(Store *s, int64_t run_id, RunRow *row)
{
    sqlite3_stmt *st;
    memset(row, 0, sizeof *row);
    if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLUMNS " FROM runs WHERE run_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "read run");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) row_from(st, row);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return store_fail(s, "%s: no run %lld (see `metarl info %s`)", s->path, (long long)run_id, s->path);
    if (rc != SQLITE_ROW) return store_sql_fail(s, "read run");
    return 0;
}

int64_t store_last_run(Store *s, const char *kind)
{
    sqlite3_stmt *st;
    const char *sql = kind ? "SELECT max(run_id) FROM runs WHERE kind = ?1" : "SELECT max(run_id) FROM runs";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (kind) sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    int64_t id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int store_children(Store *s, int64_t parent, int64_t **ids, int *n)
{
    sqlite3_stmt *st;
    *ids = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs WHERE parent_run = ?1 ORDER BY run_id", -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "list runs");
    sqlite3_bind_int64(st, 1, parent);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            int64_t *p = realloc(*ids, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*ids);
                *ids = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "list runs");
        free(*ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* ---- reading episodes --------------------------------------------------- */

static double col_real(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static int col_int(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int(st, col);
}

void store_episodes_free(EpisodeRecord **eps, int n)
{
    if (!eps) return;
    for (int i = 0; i < n; i++) episode_free(eps[i]);
    free(eps);
}

/* Read the activity of one episode into e, allocating it to the right size.
** Each row is float32, float16 or sparse, told apart by its size (store/rates.h). */
static int read_activity(Store *s, sqlite3_stmt *st, int64_t run_id, int64_t episode, EpisodeRecord *e)
{
    int n_pfc = 0, n_str = 0;
    float *blob[2] = { NULL, NULL };
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    int rc, ret = 0;
    float *act = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *module = (const char *)sqlite3_column_text(st, 0);
        int nt = sqlite3_column_int(st, 1), nu = sqlite3_column_int(st, 2);
        int k = module && strcmp(module, "pfc") == 0 ? 0 : 1;
        size_t bytes = (size_t)sqlite3_column_bytes(st, 3), n = nu < 0 ? 0 : (size_t)nt * (size_t)nu;
        if (nt != e->n_trials || nu < 0) {
            ret = store_fail(s, "%s: run %lld episode %lld: activity row of %d trials x %d units for an episode of %d "
                             "trials", s->path, (long long)run_id, (long long)episode, nt, nu, e->n_trials);
            break;
        }
        float *copy = malloc(n ? n * sizeof(float) : 1);
        if (!copy) {
            ret = store_fail(s, "%s: out of memory", s->path);
            break;
        }
        const char *why;
        if (store_rates_decode(sqlite3_column_blob(st, 3), bytes, n, copy, &why) != 0) {
            free(copy);
            ret = store_fail(s, "%s: run %lld episode %lld: %s activity blob of %zu bytes does not hold %d trials x %d "
                             "units: %s", s->path, (long long)run_id, (long long)episode, module ? module : "?", bytes,
                             nt, nu, why);
            break;
        }
        if (k == 0) n_pfc = nu;
        else n_str = nu;
        free(blob[k]);
        blob[k] = copy;
    }
    sqlite3_reset(st);
    /* every path, failed or not, ends by freeing the blobs copied so far */
    if (ret == 0 && rc != SQLITE_DONE) {
        ret = store_sql_fail(s, "read activity");
    } else if (ret == 0 && n_pfc + n_str > 0) {
        int nu = n_pfc + n_str;
        act = malloc((size_t)e->cap_trials * (size_t)nu * sizeof *act);
        if (!act) {
            ret = store_fail(s, "%s: out of memory", s->path);
        } else {
            for (int t = 0; t < e->n_trials; t++) {
                if (n_pfc) memcpy(act + (size_t)t * nu, blob[0] + (size_t)t * n_pfc, (size_t)n_pfc * sizeof(float));
                if (n_str) memcpy(act + (size_t)t * nu + n_pfc, blob[1] + (size_t)t * n_str, (size_t)n_str * sizeof(float));
            }
            free(e->activity);
            e->activity = act;
            e->n_units = nu;
            e->n_pfc = n_pfc;
        }
    }
    free(blob[0]);
    free(blob[1]);
    return ret;
}

/* The per-step prefrontal rates of one episode, if stored (activity_steps,
** schema version 4), into e->step_*; each row float32, float16 or sparse by size. */
static int read_steps(Store *s, sqlite3_stmt *st, int64_t run_id, int64_t episode, int n_trials, EpisodeRecord *e)
{
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        int ns = sqlite3_column_int(st, 0), nu = sqlite3_column_int(st, 1), k = sqlite3_column_int(st, 2);
        size_t n = ns > 0 && nu > 0 ? (size_t)ns * (size_t)nu : 0, bytes = (size_t)sqlite3_column_bytes(st, 4);
        const char *why = NULL;
        if (!n || k < 1 || ns > n_trials * k || sqlite3_column_bytes(st, 3) != ns)
            why = "its shape does not fit the episode";
        else if (episode_reserve_steps(e, ns, nu) != 0)
            ret = store_fail(s, "%s: out of memory", s->path);
        else if (store_rates_decode(sqlite3_column_blob(st, 4), bytes, n, e->step_rates, &why) == 0) {
            memcpy(e->step_epoch, sqlite3_column_blob(st, 3), (size_t)ns);
            e->n_steps = ns;
            e->steps_per_trial = k;
        }
        if (why)
            ret = store_fail(s, "%s: run %lld episode %lld: per-step activity of %zu bytes does not match %d steps x %d "
                                "units (%d steps a trial, %d trials): %s", s->path, (long long)run_id,
                             (long long)episode, bytes, ns, nu, k, n_trials, why);
    } else if (rc != SQLITE_DONE) {
        ret = store_sql_fail(s, "read per-step activity");
    }
    sqlite3_reset(st);
    return ret;
}

int store_read_steps(Store *s, int64_t run_id, int64_t episode, EpisodeRecord *e)
{
    sqlite3_stmt *st = NULL;
    int n_trials = -1, ret;
    e->n_steps = 0;
    if (s->version < 4) return 0;   /* an older file: no per-step activity */
    if (sqlite3_prepare_v2(s->db, "SELECT n_trials FROM episodes WHERE run_id = ?1 AND episode = ?2", -1, &st, NULL)
        != SQLITE_OK)
        return store_sql_fail(s, "read per-step activity");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    if (sqlite3_step(st) == SQLITE_ROW) n_trials = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (n_trials < 0)
        return store_fail(s, "%s: run %lld has no episode %lld", s->path, (long long)run_id, (long long)episode);
    if (sqlite3_prepare_v2(s->db, "SELECT n_steps, n_units, steps_per_trial, epochs, rates FROM activity_steps"
                                  " WHERE run_id = ?1 AND episode = ?2 AND module = 'pfc'", -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "read per-step activity");
    ret = read_steps(s, st, run_id, episode, n_trials, e);
    sqlite3_finalize(st);
    return ret;
}

/* The stage rows of one episode, if any (st is bound and reset here). */
static int read_stages(Store *s, sqlite3_stmt *st, int64_t run_id, int64_t episode, EpisodeRecord *e)
{
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, episode);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        StageRecord g = { col_int(st, 0), col_int(st, 1), col_int(st, 2), col_int(st, 3),
                          sqlite3_column_double(st, 4), col_real(st, 5), col_real(st, 6) };
        if (g.t < 0 || g.t >= e->n_trials || g.stage < 0) {
            sqlite3_reset(st);
            return store_fail(s, "%s: run %lld episode %lld: stage %d of trial %d out of range", s->path,
                              (long long)run_id, (long long)episode, g.stage, g.t);
        }
        if ((e->n_stages == e->cap_stages && episode_reserve_stages(e, e->cap_stages ? 2 * e->cap_stages : 64) != 0) ||
            episode_add_stage(e, &g) != 0) {
            sqlite3_reset(st);
            return store_fail(s, "%s: out of memory reading run %lld", s->path, (long long)run_id);
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sql_fail(s, "read stages");
}

int store_read_episodes(Store *s, int64_t run_id, int with_activity, EpisodeRecord ***eps, int *n)
{
    sqlite3_stmt *se = NULL, *stt = NULL, *sa = NULL, *sg = NULL, *ss = NULL;
    EpisodeRecord **out = NULL;
    int count = 0, cap = 0, ret = -1;
    *eps = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT episode, subject, n_trials, total_reward, regret, instance FROM episodes"
                                  " WHERE run_id = ?1 ORDER BY episode", -1, &se, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT t, action, reward, p0, p1, best, block, since_reversal, prob0, prob1,"
                                  " value, rpe FROM trials WHERE run_id = ?1 AND episode = ?2 ORDER BY t",
                           -1, &stt, NULL) != SQLITE_OK ||
        (with_activity && sqlite3_prepare_v2(s->db, "SELECT module, n_trials, n_units, rates FROM activity"
                                                    " WHERE run_id = ?1 AND episode = ?2 ORDER BY module",
                                             -1, &sa, NULL) != SQLITE_OK) ||
        (s->version >= 2 && sqlite3_prepare_v2(s->db, "SELECT t, stage, state, action, reward, value, rpe FROM stages"
                                                     " WHERE run_id = ?1 AND episode = ?2 ORDER BY t, stage",
                                               -1, &sg, NULL) != SQLITE_OK) ||
        (with_activity && s->version >= 4 &&
         sqlite3_prepare_v2(s->db, "SELECT n_steps, n_units, steps_per_trial, epochs, rates FROM activity_steps"
                                   " WHERE run_id = ?1 AND episode = ?2 AND module = 'pfc'", -1, &ss, NULL) != SQLITE_OK)) {
        store_sql_fail(s, "read episodes");
        goto done;
    }
    sqlite3_bind_int64(se, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(se)) == SQLITE_ROW) {
        int64_t episode = sqlite3_column_int64(se, 0);
        int n_trials = sqlite3_column_int(se, 2);
        if (n_trials < 0 || n_trials > STORE_MAX_TRIALS) {
            store_fail(s, "%s: run %lld episode %lld: implausible n_trials %d", s->path, (long long)run_id,
                       (long long)episode, n_trials);
            goto done;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            EpisodeRecord **p = realloc(out, (size_t)cap * sizeof *p);
            if (!p) goto oom;
            out = p;
        }
        EpisodeRecord *e = episode_alloc(n_trials > 0 ? n_trials : 1, 0);
        if (!e) goto oom;
        out[count++] = e;
        const char *subject = (const char *)sqlite3_column_text(se, 1);
        snprintf(e->subject, sizeof e->subject, "%s", subject ? subject : "");
        e->total_reward = sqlite3_column_double(se, 3);
        e->regret = col_real(se, 4);
        const char *inst = (const char *)sqlite3_column_text(se, 5);
        snprintf(e->instance, sizeof e->instance, "%s", inst ? inst : "{}");

        sqlite3_bind_int64(stt, 1, run_id);
        sqlite3_bind_int64(stt, 2, episode);
        int rt, expect = 0;
        while ((rt = sqlite3_step(stt)) == SQLITE_ROW) {
            int t = sqlite3_column_int(stt, 0);
            if (t != expect || t >= n_trials) {
                sqlite3_reset(stt);
                store_fail(s, "%s: run %lld episode %lld: trial %d out of sequence (expected %d of %d)",
                           s->path, (long long)run_id, (long long)episode, t, expect, n_trials);
                goto done;
            }
            expect++;
            TrialRecord *tr = &e->trials[t];
            tr->action = col_int(stt, 1);
            tr->reward = col_real(stt, 2);
            tr->truth.p[0] = col_real(stt, 3);
            tr->truth.p[1] = col_real(stt, 4);
            tr->truth.best = col_int(stt, 5);
            tr->truth.block = col_int(stt, 6);
            tr->truth.since_reversal = col_int(stt, 7);
            tr->probs[0] = col_real(stt, 8);
            tr->probs[1] = col_real(stt, 9);
            tr->value = col_real(stt, 10);
            tr->rpe = col_real(stt, 11);
            if (tr->action < -1 || tr->action >= TASK_MAX_ACTIONS) {
                sqlite3_reset(stt);
                store_fail(s, "%s: run %lld episode %lld trial %d: action %d out of range", s->path,
                           (long long)run_id, (long long)episode, t, tr->action);
                goto done;
            }
        }
        sqlite3_reset(stt);
        if (rt != SQLITE_DONE) {
            store_sql_fail(s, "read trials");
            goto done;
        }
        if (expect != n_trials) {
            store_fail(s, "%s: run %lld episode %lld: %d trials stored, %d expected", s->path,
                       (long long)run_id, (long long)episode, expect, n_trials);
            goto done;
        }
        e->n_trials = n_trials;
        if (sg && read_stages(s, sg, run_id, episode, e) != 0) goto done;
        if (with_activity && read_activity(s, sa, run_id, episode, e) != 0) goto done;
        if (ss && read_steps(s, ss, run_id, episode, n_trials, e) != 0) goto done;
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "read episodes");
        goto done;
    }
    *eps = out;
    *n = count;
    out = NULL;
    ret = 0;
    goto done;
oom:
    store_fail(s, "%s: out of memory reading run %lld", s->path, (long long)run_id);
done:
    store_episodes_free(out, count);
    sqlite3_finalize(se);
    sqlite3_finalize(stt);
    sqlite3_finalize(sa);
    sqlite3_finalize(ss);
    sqlite3_finalize(sg);
    return ret;
}

int store_count_training(Store *s, int64_t run_id, int64_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM training WHERE run_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "count training rows");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_sql_fail(s, "count training rows");
}

int store_read_training(Store *s, int64_t run_id, TrainRow **rows, int *n)
{
    return store_read_training_from(s, run_id, 0, rows, n);
}

int store_read_training_from(Store *s, int64_t run_id, int64_t skip, TrainRow **rows, int *n)
{
    sqlite3_stmt *st;
    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
                                  " grad_norm, beta_e, wall_s FROM training WHERE run_id = ?1 ORDER BY episode"
                                  " LIMIT -1 OFFSET ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "read training curve");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, skip > 0 ? skip : 0);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            TrainRow *p = realloc(*rows, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*rows);
                *rows = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *rows = p;
        }
        TrainRow *r = &(*rows)[(*n)++];
        r->episode = sqlite3_column_int64(st, 0);
        r->reward = col_real(st, 1);
        r->regret = col_real(st, 2);
        r->p_best = col_real(st, 3);
        r->loss_policy = col_real(st, 4);
        r->loss_value = col_real(st, 5);
        r->entropy = col_real(st, 6);
        r->grad_norm = col_real(st, 7);
        r->beta_e = col_real(st, 8);
        r->wall_s = col_real(st, 9);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "read training curve");
        free(*rows);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int store_query_text(Store *s, const char *sql, char *out, size_t n_out)
{
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return store_sql_fail(s, "query");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, n_out, "%s", v ? (const char *)v : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_sql_fail(s, "query");
    return 0;
}

/* ---- fits ------------------------------------------------------------------ */

void store_fits_free(FitRow *rows, int n)
{
    if (!rows) return;
    for (int i = 0; i < n; i++) {
        free(rows[i].subject);
        free(rows[i].params);
    }
    free(rows);
}

int store_read_fits(Store *s, int64_t run_id, FitRow **rows, int *n)
{
    sqlite3_stmt *st;
    *rows = NULL;
    *n = 0;
    if (s->version < 3) return 0;
    if (sqlite3_prepare_v2(s->db, "SELECT episode, subject, model, method, params, loglik, heldout_loglik, cv_folds,"
                                  " n_trials, n_params, converged, at_bound FROM fits WHERE run_id = ?1"
                                  " ORDER BY episode, model, method", -1, &st, NULL) != SQLITE_OK)
        return store_sql_fail(s, "read fits");
    sqlite3_bind_int64(st, 1, run_id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            FitRow *p = realloc(*rows, (size_t)cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                store_fits_free(*rows, *n);
                *rows = NULL;
                *n = 0;
                return store_fail(s, "%s: out of memory", s->path);
            }
            *rows = p;
        }
        FitRow *r = &(*rows)[*n];
        memset(r, 0, sizeof *r);
        r->run_id = run_id;
        r->episode = sqlite3_column_int64(st, 0);
        r->subject = col_text(st, 1);
        snprintf(r->model, sizeof r->model, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(r->method, sizeof r->method, "%s", (const char *)sqlite3_column_text(st, 3));
        r->params = col_text(st, 4);
        r->loglik = col_real(st, 5);
        r->heldout_loglik = col_real(st, 6);
        r->cv_folds = col_int(st, 7);
        r->n_trials = col_int(st, 8);
        r->n_params = col_int(st, 9);
        r->converged = col_int(st, 10);
        r->at_bound = col_int(st, 11);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_fits_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return store_sql_fail(s, "read fits");
    }
    return 0;
}
