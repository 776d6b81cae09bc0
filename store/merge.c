/* store/merge.c: store_merge, copying the runs of one store into another (see store.h). */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_internal.h"

/* ---- merging stores ----------------------------------------------------- */

/* A src run's original id: merged_from.run if it came from an earlier merge. */
#define MERGE_ORIGIN(tbl) "coalesce(CASE WHEN json_valid(" tbl "summary) THEN json_extract(" tbl "summary," \
                          " '$.merged_from.run') END, " tbl "run_id)"
/* How far a run went: rows stored plus the newest checkpoint (-1 = none). */
#define MERGE_PROGRESS(db, tbl) "(SELECT count(*) FROM " db ".episodes e WHERE e.run_id = " tbl "run_id)" \
                                " + (SELECT count(*) FROM " db ".training t WHERE t.run_id = " tbl "run_id)" \
                                " + (SELECT coalesce(max(episode), -1) FROM " db ".checkpoints k" \
                                " WHERE k.run_id = " tbl "run_id)"
/* The summary with provenance added (kept if it already has some; left
** alone if it is not JSON). ?3 = the input's label. */
#define MERGE_SUMMARY "CASE WHEN summary IS NULL THEN json_object('merged_from', json_object('file', ?3, 'run', run_id))" \
                      " WHEN NOT json_valid(summary) OR json_type(summary) != 'object' THEN summary" \
                      " WHEN json_extract(summary, '$.merged_from') IS NOT NULL THEN summary" \
                      " ELSE json_set(summary, '$.merged_from', json_object('file', ?3, 'run', run_id)) END"

/* SQL metarl_run_identity(config): the settings without the [run] section's
** `episodes` line, which a resume with a new target rewrites: the same run
** before and after such a resume is one run. */
static void run_identity(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *c = (const char *)sqlite3_value_text(argv[0]);
    if (!c) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *sec = strstr(c, "[run]\n");
    const char *end = sec ? strstr(sec, "\n[") : NULL;
    const char *line = sec ? strstr(sec, "\nepisodes = ") : NULL;
    if (!line || (end && line > end)) {
        sqlite3_result_text(ctx, c, -1, SQLITE_TRANSIENT);
        return;
    }
    const char *next = strchr(line + 1, '\n');
    size_t head = (size_t)(line - c), tail = next ? strlen(next) : 0;
    char *out = sqlite3_malloc64(head + tail + 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    memcpy(out, c, head);
    memcpy(out + head, next ? next : "", tail + 1);
    sqlite3_result_text(ctx, out, (int)(head + tail), sqlite3_free);
}

typedef struct {
    int64_t old_id, new_id;
} MergeMap;

static int64_t merge_lookup(const MergeMap *m, int n, int64_t old_id)
{
    int lo = 0, hi = n - 1;   /* m is sorted by old_id: runs are read in id order */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (m[mid].old_id == old_id) return m[mid].new_id;
        if (m[mid].old_id < old_id) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* Copy the data rows of src run `old_id` to run `new_id` of main. */
static int merge_rows(Store *s, int64_t new_id, int64_t old_id)
{
    static const char *const sql[] = {
        "INSERT INTO main.episodes (run_id, episode, phase, subject, n_trials, total_reward, regret, instance)"
        " SELECT ?1, episode, phase, subject, n_trials, total_reward, regret, instance"
        " FROM merge_src.episodes WHERE run_id = ?2 ORDER BY episode",
        "INSERT INTO main.trials (run_id, episode, t, action, reward, p0, p1, best, block, since_reversal,"
        " prob0, prob1, value, rpe) SELECT ?1, episode, t, action, reward, p0, p1, best, block, since_reversal,"
        " prob0, prob1, value, rpe FROM merge_src.trials WHERE run_id = ?2 ORDER BY episode, t",
        "INSERT INTO main.stages (run_id, episode, t, stage, state, action, reward, value, rpe)"
        " SELECT ?1, episode, t, stage, state, action, reward, value, rpe FROM merge_src.stages"
        " WHERE run_id = ?2 ORDER BY episode, t, stage",
        "INSERT INTO main.activity (run_id, episode, module, n_trials, n_units, rates)"
        " SELECT ?1, episode, module, n_trials, n_units, rates FROM merge_src.activity WHERE run_id = ?2"
        " ORDER BY episode, module",
        "INSERT INTO main.activity_steps (run_id, episode, module, n_steps, n_units, steps_per_trial, epochs, rates)"
        " SELECT ?1, episode, module, n_steps, n_units, steps_per_trial, epochs, rates FROM merge_src.activity_steps"
        " WHERE run_id = ?2 ORDER BY episode, module",
        "INSERT INTO main.training (run_id, episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
        " grad_norm, beta_e, wall_s) SELECT ?1, episode, reward, regret, p_best, loss_policy, loss_value, entropy,"
        " grad_norm, beta_e, wall_s FROM merge_src.training WHERE run_id = ?2 ORDER BY episode",
        "INSERT INTO main.checkpoints (run_id, episode, params, optimizer, state, created)"
        " SELECT ?1, episode, params, optimizer, state, created FROM merge_src.checkpoints WHERE run_id = ?2"
        " ORDER BY episode",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        if (strstr(sql[i], "merge_src.stages") && !s->merge_src_stages) continue;   /* a version-1 file */
        if (strstr(sql[i], "merge_src.activity_steps") && !s->merge_src_steps) continue;   /* before version 4 */
        if (store_exec_bound(s, "copy rows", sql[i], "ii", new_id, old_id) != 0) return -1;
    }
    return 0;
}

/* Drop the data rows of run id of main (before copying a newer version). */
static int merge_clear(Store *s, int64_t id)
{
    static const char *const sql[] = {
        "DELETE FROM main.activity WHERE run_id = ?1", "DELETE FROM main.activity_steps WHERE run_id = ?1",
        "DELETE FROM main.stages WHERE run_id = ?1",
        "DELETE FROM main.trials WHERE run_id = ?1",
        "DELETE FROM main.episodes WHERE run_id = ?1", "DELETE FROM main.training WHERE run_id = ?1",
        "DELETE FROM main.checkpoints WHERE run_id = ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (store_exec_bound(s, "replace rows", sql[i], "i", id) != 0) return -1;
    return 0;
}

/* Bind text column `col` of st as parameter i of q (NULL stays NULL). */
static void bind_col(sqlite3_stmt *q, int i, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) sqlite3_bind_null(q, i);
    else if (sqlite3_column_type(st, col) == SQLITE_INTEGER) sqlite3_bind_int64(q, i, sqlite3_column_int64(st, col));
    else sqlite3_bind_text(q, i, (const char *)sqlite3_column_text(st, col), -1, SQLITE_TRANSIENT);
}

static int merge_runs(Store *s, const char *label, StoreMergeCounts *c)
{
    sqlite3_stmt *src = NULL, *find = NULL, *ins = NULL, *upd = NULL;
    MergeMap *map = NULL;
    int n_map = 0, cap = 0, ret = -1, rc;
    if (sqlite3_create_function(s->db, "metarl_run_identity", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                run_identity, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT run_id, parent_run, kind, name, task, agent, config, seed, rng, version,"
                                  " started, " MERGE_ORIGIN("") ", " MERGE_PROGRESS("merge_src", "runs.") ","
                                  " coalesce(finished, '') FROM merge_src.runs ORDER BY run_id", -1, &src, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT run_id, " MERGE_PROGRESS("main", "r.") ", coalesce(finished, '')"
                                  " FROM main.runs r WHERE kind = ?1 AND name = ?2 AND task = ?3 AND agent = ?4"
                                  " AND metarl_run_identity(config) = metarl_run_identity(?5) AND seed = ?6 AND rng = ?7 AND version = ?8 AND started = ?9"
                                  " AND " MERGE_ORIGIN("r.") " = ?10 ORDER BY run_id LIMIT 1", -1, &find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT INTO main.runs (kind, name, parent_run, task, agent, config, seed, rng,"
                                  " version, started, finished, status, summary) SELECT kind, name, ?1, task, agent,"
                                  " config, seed, rng, version, started, finished, status, " MERGE_SUMMARY
                                  " FROM merge_src.runs WHERE run_id = ?2", -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE main.runs SET (config, finished, status, summary) = (SELECT config, finished, status, "
                                  MERGE_SUMMARY " FROM merge_src.runs WHERE run_id = ?2) WHERE run_id = ?1",
                           -1, &upd, NULL) != SQLITE_OK) {
        store_sql_fail(s, "merge: prepare");
        goto done;
    }
    while ((rc = sqlite3_step(src)) == SQLITE_ROW) {
        int64_t old_id = sqlite3_column_int64(src, 0), new_id = 0;
        int64_t parent = sqlite3_column_type(src, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(src, 1);
        int64_t progress = sqlite3_column_int64(src, 12);
        const char *finished = (const char *)sqlite3_column_text(src, 13);
        for (int i = 0; i < 10; i++) bind_col(find, i + 1, src, i + 2);
        int rf = sqlite3_step(find);
        if (rf == SQLITE_ROW) {
            new_id = sqlite3_column_int64(find, 0);
            int64_t have = sqlite3_column_int64(find, 1);
            const char *have_fin = (const char *)sqlite3_column_text(find, 2);
            int newer = progress > have || (progress == have && strcmp(finished ? finished : "", have_fin ? have_fin : "") > 0);
            sqlite3_reset(find);
            if (!newer) {
                c->skipped++;
            } else {
                sqlite3_bind_int64(upd, 1, new_id);
                sqlite3_bind_int64(upd, 2, old_id);
                sqlite3_bind_text(upd, 3, label, -1, SQLITE_TRANSIENT);
                if (merge_clear(s, new_id) != 0 || store_step_reset(s, upd, "merge: update run") != 0 ||
                    merge_rows(s, new_id, old_id) != 0)
                    goto done;
                c->updated++;
            }
        } else if (rf == SQLITE_DONE) {
            sqlite3_reset(find);
            int64_t p = parent ? merge_lookup(map, n_map, parent) : 0;
            if (p) sqlite3_bind_int64(ins, 1, p);
            else sqlite3_bind_null(ins, 1);
            sqlite3_bind_int64(ins, 2, old_id);
            sqlite3_bind_text(ins, 3, label, -1, SQLITE_TRANSIENT);
            if (store_step_reset(s, ins, "merge: copy run") != 0) goto done;
            new_id = sqlite3_last_insert_rowid(s->db);
            if (merge_rows(s, new_id, old_id) != 0) goto done;
            c->added++;
        } else {
            sqlite3_reset(find);
            store_sql_fail(s, "merge: look up run");
            goto done;
        }
        if (n_map == cap) {
            cap = cap ? 2 * cap : 64;
            MergeMap *m = realloc(map, (size_t)cap * sizeof *m);
            if (!m) {
                store_fail(s, "%s: out of memory", s->path);
                goto done;
            }
            map = m;
        }
        map[n_map++] = (MergeMap){ old_id, new_id };
    }
    if (rc != SQLITE_DONE) {
        store_sql_fail(s, "merge: read runs");
        goto done;
    }
    ret = 0;
done:
    sqlite3_finalize(src);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    free(map);
    return ret;
}

int store_merge(Store *s, const char *in_path, const char *label, StoreMergeCounts *counts)
{
    char err[512];
    struct stat a, b;
    assert(s->mode == STORE_WRITE);
    memset(counts, 0, sizeof *counts);
    if (stat(in_path, &a) == 0 && stat(s->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return store_fail(s, "%s: is the output file itself", in_path);
    Store *in = store_open(in_path, STORE_READ, err, sizeof err);   /* identify it (foreign, newer, damaged?) */
    if (!in) return store_fail(s, "%s", err);
    s->merge_src_stages = in->version >= 2;
    s->merge_src_steps = in->version >= 4;
    store_close(in);
    if (store_exec_bound(s, "attach", "ATTACH DATABASE ?1 AS merge_src", "t", in_path) != 0) return -1;
    int ret = -1;
    if (store_begin(s) != 0) goto detach;
    if (merge_runs(s, label, counts) != 0) {
        char msg[sizeof s->err];
        snprintf(msg, sizeof msg, "%s", s->err);   /* keep the message across the rollback */
        store_rollback(s);
        snprintf(s->err, sizeof s->err, "%s", msg);
        memset(counts, 0, sizeof *counts);
        goto detach;
    }
    if (store_commit(s) != 0) {
        memset(counts, 0, sizeof *counts);
        goto detach;
    }
    ret = 0;
detach:
    if (sqlite3_exec(s->db, "DETACH DATABASE merge_src", NULL, NULL, NULL) != SQLITE_OK && ret == 0)
        ret = store_sql_fail(s, "detach");
    return ret;
}
