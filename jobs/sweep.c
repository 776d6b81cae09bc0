/* jobs/sweep.c: the sweep job: grid files and one point's jobs (see sweep.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "store/store.h"
#include "jobs/baseline.h"
#include "jobs/run_util.h"
#include "jobs/sweep.h"
#include "core/ini_read.h"
#include "jobs/test.h"
#include "jobs/train.h"
#include "model/train_settings.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

static int grid_fail(Grid *g, const char *fmt, const char *a, const char *b)
{
    snprintf(g->err, sizeof g->err, fmt, a, b);
    g->failed = 1;
    return 0;
}

static int parse_steps(Grid *g, const char *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", value);
    g->steps = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (!strcmp(tok, "train")) g->steps |= STEP_TRAIN;
        else if (!strcmp(tok, "test")) g->steps |= STEP_TEST;
        else if (!strcmp(tok, "baseline")) g->steps |= STEP_BASELINE;
        else return grid_fail(g, "[sweep] steps: unknown step '%s' (expected train, test, baseline)%s", tok, "");
    }
    if (g->steps == STEP_TEST || (g->steps & STEP_BASELINE && g->steps != STEP_BASELINE) || !g->steps)
        return grid_fail(g, "[sweep] steps = %s: expected 'train', 'train, test' or 'baseline'%s", value, "");
    return 1;
}

static int grid_entry(void *user, const char *section, const char *name, const char *value)
{
    Grid *g = user;
    if (g->failed) return 0;
    if (!section[0]) return grid_fail(g, "key '%s' outside any [section]%s", name, "");
    if (!strcmp(section, "sweep")) {
        if (!strcmp(name, "config")) snprintf(g->base, sizeof g->base, "%s", value);
        else if (!strcmp(name, "name")) snprintf(g->name, sizeof g->name, "%s", value);
        else if (!strcmp(name, "steps")) return parse_steps(g, value);
        else return grid_fail(g, "[sweep] %s: unknown key (expected config, steps, name)%s", name, "");
        return 1;
    }
    if (strlen(section) >= sizeof g->keys[0].section || strlen(name) >= sizeof g->keys[0].key)
        return grid_fail(g, "[%s] %s: name too long", section, name);
    GridKey *k = NULL;
    for (int i = 0; i < g->n_keys; i++)
        if (!strcmp(g->keys[i].section, section) && !strcmp(g->keys[i].key, name)) k = &g->keys[i];
    if (!k) {   /* a repeated key (or an indented continuation line) adds values */
        if (g->n_keys == GRID_MAX_KEYS) return grid_fail(g, "[%s] %s: too many keys in one grid", section, name);
        k = &g->keys[g->n_keys++];
        snprintf(k->section, sizeof k->section, "%s", section);
        snprintf(k->key, sizeof k->key, "%s", name);
    }
    /* kept as written; split into values once the setting's kind is known */
    if (k->n_lines == GRID_MAX_VALUES) return grid_fail(g, "[%s] %s: too many lines", section, name);
    if (!(k->lines[k->n_lines++] = strdup(value))) return grid_fail(g, "out of memory%s%s", "", "");
    return 1;
}

/* Split every key's lines into values: at '|' for a setting whose own value
** is a comma list (task.blocks, test.agents), else at '|' if the line has
** one, else at commas. 0, or -1 with a message in g->err. */
static int grid_split(Grid *g, const Config *c)
{
    for (int i = 0; i < g->n_keys; i++) {
        GridKey *k = &g->keys[i];
        const OptSpec *spec = config_spec(c, k->section, k->key);
        if (!spec) {   /* owner-specific: any owner's spec tells the kind */
            for (size_t j = 0; config_declared(c, j); j++) {
                const OptSpec *d = config_declared(c, j);
                if (!strcmp(d->section, k->section) && !strcmp(d->key, k->key)) spec = d;
            }
        }
        int lists = spec && (spec->kind == OPT_INT_LIST || spec->kind == OPT_STRING);
        for (int l = 0; l < k->n_lines; l++) {
            char *buf = strdup(k->lines[l]);
            if (!buf) {
                snprintf(g->err, sizeof g->err, "out of memory");
                return -1;
            }
            const char *sep = lists || strchr(buf, '|') ? "|" : ",";
            for (char *save = NULL, *tok = strtok_r(buf, sep, &save); tok; tok = strtok_r(NULL, sep, &save)) {
                tok = trim(tok);
                if (!*tok) continue;
                if (k->n == GRID_MAX_VALUES || !(k->v[k->n] = strdup(tok))) {
                    snprintf(g->err, sizeof g->err, "%.300s: [%s] %s: too many values", g->path, k->section, k->key);
                    free(buf);
                    return -1;
                }
                k->n++;
            }
            free(buf);
        }
        if (k->n == 0) {
            snprintf(g->err, sizeof g->err, "%.300s: [%s] %s: no value", g->path, k->section, k->key);
            return -1;
        }
    }
    return 0;
}

void sweep_grid_free(Grid *g)
{
    for (int i = 0; i < g->n_keys; i++) {
        for (int j = 0; j < g->keys[i].n; j++) free(g->keys[i].v[j]);
        for (int j = 0; j < g->keys[i].n_lines; j++) free(g->keys[i].lines[j]);
    }
}

/* The value index of key k at point p: the last key varies fastest. */
int sweep_grid_index(const Grid *g, int k, long p)
{
    for (int j = g->n_keys - 1; j > k; j--) p /= g->keys[j].n;
    return (int)(p % g->keys[k].n);
}

/* "run.seed=2 train.lr=5e-4": the keys that vary, at point p. */
void sweep_point_label(const Grid *g, long p, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < g->n_keys && used < n; k++) {
        if (g->keys[k].n < 2) continue;
        used += (size_t)snprintf(out + used, n - used, "%s%s.%s=%s", used ? " " : "", g->keys[k].section,
                                 g->keys[k].key, g->keys[k].v[sweep_grid_index(g, k, p)]);
    }
}

void sweep_point_name(const Grid *g, long p, char *out, size_t n)
{
    char label[512];
    sweep_point_label(g, p, label, sizeof label);
    snprintf(out, n, "%.128s p%ld%s%.512s", g->name, p, label[0] ? " " : "", label);
}

/* The settings the grid's first job declares. */
static int step_declare(const Grid *g, Config *c)
{
    return g->steps & STEP_BASELINE ? baseline_declare(c) : train_declare_all(c);
}

/* core/ini_read's entry callback: grid_entry, with the file and line put
** before its message. */
static int grid_line(void *user, const char *section, const char *key, const char *value, int line, char *err,
                     size_t n_err)
{
    Grid *g = user;
    if (grid_entry(g, section, key, value)) return 0;
    snprintf(err, n_err, "%.200s:%d: %.800s", g->path, line, g->err);
    return -1;
}

/* Read and check the grid file; resolve the base config. 0, or JOB_USAGE
** with the message in g->err. */
int sweep_grid_load(Grid *g, const char *path)
{
    memset(g, 0, sizeof *g);
    g->path = path;
    g->steps = STEP_TRAIN | STEP_TEST;
    char err[sizeof g->err];
    if (ini_read_file(path, "the grid file", INI_REPEATS, grid_line, g, err, sizeof err) != 0) {
        snprintf(g->err, sizeof g->err, "%s", err);
        return JOB_USAGE;
    }
    if (!g->name[0]) {   /* the file's base name without .ini */
        const char *b = strrchr(path, '/');
        snprintf(g->name, sizeof g->name, "%s", b ? b + 1 : path);
        char *dot = strrchr(g->name, '.');
        if (dot && dot != g->name) *dot = '\0';
    }
    if (g->base[0] && g->base[0] != '/') {   /* beside the grid file, else as given */
        char beside[8192];
        const char *slash = strrchr(path, '/');
        snprintf(beside, sizeof beside, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, g->base);
        if (strlen(beside) < sizeof g->base && access(beside, R_OK) == 0) memcpy(g->base, beside, strlen(beside) + 1);
        else if (access(g->base, R_OK) != 0) {
            snprintf(g->err, sizeof g->err, "%.200s: [sweep] config: cannot find '%.600s' (looked beside the grid file and in "
                                             "the working directory)", path, g->base);
            return JOB_USAGE;
        }
    }
    Config *c = config_alloc();
    int bad = !c || step_declare(g, c) != 0 || grid_split(g, c) != 0;
    if (!c) snprintf(g->err, sizeof g->err, "out of memory");
    config_free(c);
    if (bad) return JOB_USAGE;
    g->n_points = 1;
    for (int k = 0; k < g->n_keys; k++) {
        g->n_points *= g->keys[k].n;
        if (g->n_points > GRID_MAX_POINTS) {
            snprintf(g->err, sizeof g->err, "%s: more than %d points in the grid", path, GRID_MAX_POINTS);
            return JOB_USAGE;
        }
    }
    return JOB_OK;
}

/* Point p's finalized settings for the grid's first command. JOB_OK, or
** JOB_USAGE with a message in err (which names the grid, key and value). */
int sweep_point_config(const Grid *g, long p, Config **out, char *err, size_t n_err)
{
    *out = NULL;
    Config *c = config_alloc();
    if (!c || step_declare(g, c) != 0) {
        config_free(c);
        snprintf(err, n_err, "out of memory");
        return JOB_FAILED;
    }
    if (g->base[0] && config_load_ini(c, g->base, err, n_err) != 0) {
        config_free(c);
        return JOB_USAGE;
    }
    for (int k = 0; k < g->n_keys; k++) {
        const GridKey *K = &g->keys[k];
        char origin[256];
        snprintf(origin, sizeof origin, "%s: [%s] %s", g->path, K->section, K->key);
        if (config_set(c, K->section, K->key, K->v[sweep_grid_index(g, k, p)], origin, err, n_err) != 0) {
            config_free(c);
            return JOB_USAGE;
        }
    }
    if (config_finalize(c, err, n_err) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%.900s (grid point %ld)", err, p);
        snprintf(err, n_err, "%s", msg);
        config_free(c);
        return JOB_USAGE;
    }
    if (g->steps & STEP_TRAIN) {
        TrainConfig tc;
        char e2[512];
        if (train_config_from(c, &tc, e2, sizeof e2) != 0) {
            snprintf(err, n_err, "%s: point %ld: %s", g->path, p, e2);
            config_free(c);
            return JOB_USAGE;
        }
    }
    *out = c;
    return JOB_OK;
}

static int is_done(const RunRow *r) { return r->status && !strcmp(r->status, "done"); }

/* What the store already holds of point `name`: the newest run of `kind`
** named so (index into rows, or -1), and its newest finished test. */
static int find_named(const RunRow *rows, int n, const char *kind, const char *name)
{
    for (int i = n - 1; i >= 0; i--)
        if (!strcmp(rows[i].kind, kind) && !strcmp(rows[i].name, name)) return i;
    return -1;
}

static int64_t find_test(const RunRow *rows, int n, int64_t parent)
{
    for (int i = n - 1; i >= 0; i--)
        if (rows[i].parent_run == parent && !strcmp(rows[i].kind, "test") && is_done(&rows[i])) return rows[i].run_id;
    return 0;
}

/* Read the runs of db (none if it does not exist yet). JOB_OK or JOB_USAGE. */
static int read_runs(const char *db, RunRow **rows, int *n, char *err, size_t n_err)
{
    *rows = NULL;
    *n = 0;
    if (access(db, F_OK) != 0) return JOB_OK;
    Store *s = store_open(db, STORE_READ, err, n_err);
    if (!s) return JOB_USAGE;
    int rc = store_runs(s, rows, n);
    if (rc != 0) snprintf(err, n_err, "%s", store_errmsg(s));
    store_close(s);
    return rc ? JOB_USAGE : JOB_OK;
}

/* Final numbers of a finished test or baseline run, from its summary JSON. */
static void read_result(const char *db, int64_t run, PointResult *r)
{
    char err[512], sql[256], v[64];
    Store *s = store_open(db, STORE_READ, err, sizeof err);
    if (!s) return;
    const char *keys[] = { "regret", "p_best", "reward_per_trial" };
    double *dst[] = { &r->regret, &r->p_best, &r->reward };
    for (int i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, "SELECT json_extract(summary, '$.%s') FROM runs WHERE run_id = %lld", keys[i],
                 (long long)run);
        if (store_query_text(s, sql, v, sizeof v) == 0 && v[0]) *dst[i] = strtod(v, NULL);
    }
    store_close(s);
}
int sweep_prepare(Grid *g, const char *path, const char *db_prefix, char *prefix, size_t n_prefix)
{
    int status = sweep_grid_load(g, path);
    if (status != JOB_OK) return status;
    snprintf(prefix, n_prefix, "%s", db_prefix ? db_prefix : g->name);
    size_t n = strlen(prefix);
    if (n > 3 && !strcmp(prefix + n - 3, ".db")) prefix[n - 3] = '\0';
    if (!prefix[0]) {
        snprintf(g->err, sizeof g->err, "--db-prefix: empty");
        return JOB_USAGE;
    }
    for (long p = 0; status == JOB_OK && p < g->n_points; p++) {   /* every point, before anything runs */
        Config *c;
        status = sweep_point_config(g, p, &c, g->err, sizeof g->err);
        config_free(c);
    }
    return status;
}

const char *sweep_steps_name(const Grid *g)
{
    return g->steps & STEP_BASELINE ? "baseline" : g->steps & STEP_TEST ? "train, test" : "train";
}

int sweep_check_store(const char *db, char *err, size_t n_err)
{
    if (access(db, F_OK) != 0) return JOB_OK;
    Store *s = store_open(db, STORE_READ, err, n_err);
    store_close(s);
    return s ? JOB_OK : JOB_USAGE;
}

void sweep_db_name(const char *prefix, int rank, int size, char *out, size_t n)
{
    if (size > 1) snprintf(out, n, "%s.rank%d.db", prefix, rank);
    else snprintf(out, n, "%s.db", prefix);
}

static int say(const SweepSettings *s, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(const SweepSettings *s, int status, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->message) s->message(s->ctx, line);
    return status;
}

/* A finalized Config with nothing set: what a resume or a test is given. */
static Config *empty_config(int (*declare)(Config *))
{
    char err[256];
    Config *c = config_alloc();
    if (!c || declare(c) != 0 || config_finalize(c, err, sizeof err) != 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

/* The training job, new (cfg, named) or resumed (run); its messages as `metarl train` gives them. */
static int point_train(const SweepSettings *s, Config *cfg, const char *name, int64_t run)
{
    char err[1024];
    Config *empty = NULL;
    if (run && !(empty = empty_config(train_declare_all))) return say(s, JOB_FAILED, "out of memory");
    TrainSettings ts = { s->db, run ? empty : cfg, run != 0, run, name, s->version, s->stop, NULL, NULL, NULL };
    TrainResult r;
    int rc = train_job_run(&ts, &r, err, sizeof err);
    if (rc != JOB_OK) {
        say(s, rc, "%s", err);
    } else if (r.stopped) {
        rc = say(s, 128 + r.stopped, "interrupted at episode %ld (checkpoint saved); resume with: metarl train --resume "
                                     "--db %s --run %lld", r.final_episode, s->db, (long long)r.run);
    }
    train_result_clear(&r);
    config_free(empty);
    return rc;
}

/* The test job on training run `run`. */
static int point_test(const SweepSettings *s, int64_t run)
{
    char err[1024];
    Config *empty = empty_config(test_declare_all);
    TestResult *r = calloc(1, sizeof *r);
    if (!empty || !r) {
        config_free(empty);
        free(r);
        return say(s, JOB_FAILED, "out of memory");
    }
    TestSettings ts = { s->db, run, empty, s->version, s->stop, NULL, NULL, NULL };
    int rc = test_job_run(&ts, r, err, sizeof err);
    if (rc != JOB_OK) say(s, rc, "%s", err);
    else if (r->stopped) rc = say(s, 128 + r->stopped, "interrupted; completed episodes are stored");
    test_result_clear(r);
    free(r);
    config_free(empty);
    return rc;
}

/* The baseline job, as a run named `name`. */
static int point_baseline(const SweepSettings *s, const Config *cfg, const char *name)
{
    char err[1024];
    BaselineResult *r = calloc(1, sizeof *r);
    if (!r) return say(s, JOB_FAILED, "out of memory");
    BaselineSettings bs = { cfg, s->db, name, s->version, s->stop, NULL, NULL };
    int rc = baseline_job_run(&bs, r, err, sizeof err);
    if (rc != JOB_OK) say(s, rc, "%s", err);
    else if (r->stopped)
        rc = say(s, 128 + r->stopped, "interrupted after %ld episodes; completed episodes are stored", r->s.episodes);
    baseline_result_clear(r);
    free(r);
    return rc;
}

/* Train (or resume, or find trained) point p, then test it if the grid says so. */
static int point_train_test(const Grid *g, long p, const SweepSettings *s, Config *cfg, const char *name,
                            PointResult *r, RunRow **rows, int *n_rows)
{
    char err[1024];
    const char *db = s->db;
    int rc = JOB_OK, i = find_named(*rows, *n_rows, "train", name);
    int64_t train = i >= 0 ? (*rows)[i].run_id : 0;
    if (i >= 0 && !strcmp((*rows)[i].status, "failed")) {
        rc = say(s, JOB_FAILED, "%s: point %ld: training run %lld failed earlier (not finite); not run again", db, p,
                 (long long)train);
    } else if (i >= 0 && !is_done(&(*rows)[i])) {   /* interrupted or killed: continue it */
        rc = point_train(s, NULL, NULL, train);
        snprintf(r->state, sizeof r->state, "resumed");
    } else if (i < 0) {
        rc = point_train(s, cfg, name, 0);
    } else if (!(g->steps & STEP_TEST) || find_test(*rows, *n_rows, train)) {
        snprintf(r->state, sizeof r->state, "skipped");
    }
    store_runs_free(*rows, *n_rows);
    *rows = NULL;
    *n_rows = 0;
    if (rc == JOB_OK && (rc = read_runs(db, rows, n_rows, err, sizeof err)) != JOB_OK) say(s, rc, "%s", err);
    if (rc != JOB_OK) return rc;
    int j = find_named(*rows, *n_rows, "train", name);
    r->run = j >= 0 ? (*rows)[j].run_id : 0;
    if (!(g->steps & STEP_TEST) || !r->run) return JOB_OK;
    r->test_run = find_test(*rows, *n_rows, r->run);
    if (r->test_run) return JOB_OK;
    rc = point_test(s, r->run);
    store_runs_free(*rows, *n_rows);
    *rows = NULL;
    *n_rows = 0;
    if (rc == JOB_OK && read_runs(db, rows, n_rows, err, sizeof err) == JOB_OK)
        r->test_run = find_test(*rows, *n_rows, r->run);
    return rc;
}

void sweep_point_run(const Grid *g, long p, const SweepSettings *s, PointResult *r)
{
    char err[1024], name[700];
    const char *db = s->db;
    double t0 = now_s();
    r->point = (int32_t)p;
    r->regret = r->p_best = r->reward = NAN;
    r->done = 1;
    snprintf(r->state, sizeof r->state, "done");
    sweep_point_name(g, p, name, sizeof name);
    Config *cfg = NULL;
    RunRow *rows = NULL;
    int n_rows = 0, rc = JOB_OK;
    char what[600];
    if ((rc = sweep_point_config(g, p, &cfg, err, sizeof err)) != JOB_OK ||
        (rc = read_runs(db, &rows, &n_rows, err, sizeof err)) != JOB_OK) {
        say(s, rc, "%s", err);
        goto out;
    }
    const char *kind = g->steps & STEP_BASELINE ? "baseline" : "train";
    int i = find_named(rows, n_rows, kind, name);
    if (i >= 0 && config_same_as_stored(cfg, rows[i].config, what, sizeof what) != 1) {
        rc = say(s, JOB_USAGE, "%s: run %lld is named '%s' but has other settings: %s (was the grid changed? use "
                               "another --db-prefix)", db, (long long)rows[i].run_id, name, what);
        goto out;
    }
    if (!(g->steps & STEP_BASELINE)) {
        rc = point_train_test(g, p, s, cfg, name, r, &rows, &n_rows);
    } else if (i >= 0 && is_done(&rows[i])) {
        r->run = rows[i].run_id;
        snprintf(r->state, sizeof r->state, "skipped");
    } else if ((rc = point_baseline(s, cfg, name)) == JOB_OK) {
        store_runs_free(rows, n_rows);
        rows = NULL;
        n_rows = 0;
        if (read_runs(db, &rows, &n_rows, err, sizeof err) == JOB_OK) {
            int j = find_named(rows, n_rows, "baseline", name);
            r->run = j >= 0 ? rows[j].run_id : 0;
        }
    }
    if (rc == JOB_OK) {
        int64_t res = g->steps & STEP_TEST ? r->test_run : g->steps & STEP_BASELINE ? r->run : 0;
        if (res) read_result(db, res, r);
    }
out:
    if (rc != JOB_OK) snprintf(r->state, sizeof r->state, "%s", rc == 130 || rc == 143 ? "interrupted" : "failed");
    r->status = rc;
    r->seconds = now_s() - t0;
    store_runs_free(rows, n_rows);
    config_free(cfg);
}
