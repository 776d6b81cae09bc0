/* cli/cmd_sweep.c: `metarl sweep --grid FILE`: one job per point of a grid of settings.
**
** A grid file is INI. Its [sweep] section names a base config file and what
** to run per point; every other entry gives a setting a list of values, in
** the sections and keys of a config file:
**
**     [sweep]
**     config = bandit.ini      ; base config: beside the grid file, else from the working directory
**     steps  = train, test     ; train | train, test | baseline
**     name   = lr-seed         ; runs are named "lr-seed p3 train.lr=5e-4 run.seed=2" (default: file name)
**     [run]
**     seed = 1, 2, 3           ; values separated by commas, or by '|' when a value holds commas
**     episodes = 20000         ; one value: the same at every point
**     [train]
**     lr = 1e-3, 5e-4
**
** Points are the Cartesian product of the lists, numbered 0, 1, ... with the
** first key varying slowest and the last fastest (here 3 x 2 = 6 points:
** p0 seed=1 lr=1e-3, p1 seed=1 lr=5e-4, p2 seed=2 lr=1e-3, ...). Point p's
** settings are: defaults < base config < the grid's values at p. Every point
** is checked (every value, every combination) before anything runs: a bad
** grid exits 2 with one line and nothing written.
**
** Each point runs the commands themselves, in this process (cmd_train.run
** and cmd_test.run on a Config built here): `train` makes a training run
** named as above, `test` tests it with frozen weights beside the reference
** agents, `baseline` runs the configured reference agent. The summary table
** reads the final regret and P(best) from the test's (or baseline's) stored
** summary.
**
** Parallel runs: under `mpirun -n K build-mpi/metarl sweep ...` rank r takes
** points r, r + K, r + 2K, ... and writes only its own store PREFIX.rank<r>.db
** (no two processes write one SQLite file); rank 0 gathers the results and
** prints the whole table; `metarl merge PREFIX.db PREFIX.rank*.db` then puts
** every run in one file. In one process (any build) all points go to
** PREFIX.db. A sweep run again with the same grid and store skips the points
** already done and resumes an interrupted training from its checkpoint.
*/
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>

#include "cli/cli.h"
#include "cli/mpi_util.h"
#include "jobs/run_util.h"
#include "core/json.h"
#include "core/store.h"
#include "model/train_settings.h"

#define GRID_MAX_KEYS 32
#define GRID_MAX_VALUES 256
#define GRID_MAX_POINTS 10000

enum { STEP_TRAIN = 1, STEP_TEST = 2, STEP_BASELINE = 4 };

typedef struct {
    char section[64], key[64];
    int n_lines;
    char *lines[GRID_MAX_VALUES];   /* as written (continuation lines add more) */
    int n;
    char *v[GRID_MAX_VALUES];       /* the values, split by grid_split */
} GridKey;

typedef struct {
    const char *path;
    char base[4096];           /* base config as written in the file ("" = none) */
    char name[128];            /* run name prefix */
    int steps;                 /* STEP_* */
    int n_keys;
    GridKey keys[GRID_MAX_KEYS];
    long n_points;
    char err[1024];
    int failed;
} Grid;

/* One point's outcome; plain bytes, gathered from every rank by rank 0. */
typedef struct {
    int32_t point, rank, status, done;   /* status: exit status of its steps; done: 1 if it ran or was found */
    int64_t run, test_run;               /* training (or baseline) run, test run; 0 = none */
    double seconds, regret, p_best, reward;
    char state[16];                      /* done, resumed, skipped, failed, interrupted, not run */
} PointResult;

static const CmdFlag sweep_flags[] = {
    { "grid", "FILE", "the grid file (INI: [sweep] config, steps, name; every other key a list of values)" },
    { "db-prefix", "PATH", "stores: PATH.db, or PATH.rank<r>.db per MPI rank (default: the grid file's name, here)" },
    { "list", NULL, "check the grid and print its points, run nothing" },
    { "json", NULL, "print one JSON object on stdout instead of the table" },
    { "quiet", NULL, "no line per point on stderr" },
    { NULL, NULL, NULL }
};

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

static void grid_free(Grid *g)
{
    for (int i = 0; i < g->n_keys; i++) {
        for (int j = 0; j < g->keys[i].n; j++) free(g->keys[i].v[j]);
        for (int j = 0; j < g->keys[i].n_lines; j++) free(g->keys[i].lines[j]);
    }
}

/* The value index of key k at point p: the last key varies fastest. */
static int grid_index(const Grid *g, int k, long p)
{
    for (int j = g->n_keys - 1; j > k; j--) p /= g->keys[j].n;
    return (int)(p % g->keys[k].n);
}

/* "run.seed=2 train.lr=5e-4": the keys that vary, at point p. */
static void point_label(const Grid *g, long p, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < g->n_keys && used < n; k++) {
        if (g->keys[k].n < 2) continue;
        used += (size_t)snprintf(out + used, n - used, "%s%s.%s=%s", used ? " " : "", g->keys[k].section,
                                 g->keys[k].key, g->keys[k].v[grid_index(g, k, p)]);
    }
}

static void point_name(const Grid *g, long p, char *out, size_t n)
{
    char label[512];
    point_label(g, p, label, sizeof label);
    snprintf(out, n, "%.128s p%ld%s%.512s", g->name, p, label[0] ? " " : "", label);
}

static const Command *step_command(const Grid *g)
{
    return g->steps & STEP_BASELINE ? &cmd_baseline : &cmd_train;
}

/* Read and check the grid file; resolve the base config. 0, or EXIT_USAGE
** with the message in g->err. */
static int grid_load(Grid *g, const char *path)
{
    memset(g, 0, sizeof *g);
    g->path = path;
    g->steps = STEP_TRAIN | STEP_TEST;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(g->err, sizeof g->err, "%s: cannot read the grid file (%s)", path, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = ini_parse_file(f, grid_entry, g);
    fclose(f);
    if (rc != 0) {
        char msg[1024];
        if (g->failed) snprintf(msg, sizeof msg, "%.200s:%d: %.800s", path, rc, g->err);
        else if (rc > 0) snprintf(msg, sizeof msg, "%s:%d: malformed line (expected [section] or key = value)", path, rc);
        else snprintf(msg, sizeof msg, "%s: cannot read the grid file", path);
        snprintf(g->err, sizeof g->err, "%s", msg);
        return EXIT_USAGE;
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
            return EXIT_USAGE;
        }
    }
    Config *c = config_alloc();
    int bad = !c || step_command(g)->declare(c) != 0 || grid_split(g, c) != 0;
    if (!c) snprintf(g->err, sizeof g->err, "out of memory");
    config_free(c);
    if (bad) return EXIT_USAGE;
    g->n_points = 1;
    for (int k = 0; k < g->n_keys; k++) {
        g->n_points *= g->keys[k].n;
        if (g->n_points > GRID_MAX_POINTS) {
            snprintf(g->err, sizeof g->err, "%s: more than %d points in the grid", path, GRID_MAX_POINTS);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

/* Point p's finalized settings for the grid's first command. EXIT_OK, or
** EXIT_USAGE with a message in err (which names the grid, key and value). */
static int point_config(const Grid *g, long p, Config **out, char *err, size_t n_err)
{
    *out = NULL;
    Config *c = config_alloc();
    if (!c || step_command(g)->declare(c) != 0) {
        config_free(c);
        snprintf(err, n_err, "out of memory");
        return EXIT_FAILED;
    }
    if (g->base[0] && config_load_ini(c, g->base, err, n_err) != 0) {
        config_free(c);
        return EXIT_USAGE;
    }
    for (int k = 0; k < g->n_keys; k++) {
        const GridKey *K = &g->keys[k];
        char origin[256];
        snprintf(origin, sizeof origin, "%s: [%s] %s", g->path, K->section, K->key);
        if (config_set(c, K->section, K->key, K->v[grid_index(g, k, p)], origin, err, n_err) != 0) {
            config_free(c);
            return EXIT_USAGE;
        }
    }
    if (config_finalize(c, err, n_err) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%.900s (grid point %ld)", err, p);
        snprintf(err, n_err, "%s", msg);
        config_free(c);
        return EXIT_USAGE;
    }
    if (g->steps & STEP_TRAIN) {
        TrainConfig tc;
        char e2[512];
        if (train_config_from(c, &tc, e2, sizeof e2) != 0) {
            snprintf(err, n_err, "%s: point %ld: %s", g->path, p, e2);
            config_free(c);
            return EXIT_USAGE;
        }
    }
    *out = c;
    return EXIT_OK;
}

/* Run a command in this process with a built Config and command flags
** (name, value pairs; value NULL for a switch; NULL-terminated). Its stdout
** (the command's own result lines) is dropped; errors still go to stderr.
** The command runs alone (no data parallelism across the sweep's ranks). */
static int run_command(const Command *cmd, Config *cfg, const char *const *flags)
{
    CmdArgs a;
    memset(&a, 0, sizeof a);
    a.cmd = cmd;
    a.cfg = cfg;
    for (int i = 0; flags[i] && a.n_values < CLI_MAX_FLAG_VALUES; i += 2) {
        a.flag_names[a.n_values] = flags[i];
        a.flag_values[a.n_values++] = flags[i + 1] ? flags[i + 1] : "";
    }
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, 1);
    if (null >= 0) close(null);
    mpi_solo_begin();
    int rc = cmd->run(&a);
    mpi_solo_end();
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, 1);
        close(saved);
    }
    return rc;
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

/* Read the runs of db (none if it does not exist yet). EXIT_OK or EXIT_USAGE. */
static int read_runs(const char *db, RunRow **rows, int *n, char *err, size_t n_err)
{
    *rows = NULL;
    *n = 0;
    if (access(db, F_OK) != 0) return EXIT_OK;
    Store *s = store_open(db, STORE_READ, err, n_err);
    if (!s) return EXIT_USAGE;
    int rc = store_runs(s, rows, n);
    if (rc != 0) snprintf(err, n_err, "%s", store_errmsg(s));
    store_close(s);
    return rc ? EXIT_USAGE : EXIT_OK;
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

/* Run (or finish, or find done) point p into db. */
static void run_point(const Grid *g, long p, const char *db, int quiet, int rank_tag, PointResult *r)
{
    char err[1024], name[700], id[32];
    double t0 = now_s();
    r->point = (int32_t)p;
    r->regret = r->p_best = r->reward = NAN;
    r->done = 1;
    snprintf(r->state, sizeof r->state, "done");
    point_name(g, p, name, sizeof name);
    Config *cfg = NULL, *empty = NULL;
    RunRow *rows = NULL;
    int n_rows = 0, rc = EXIT_OK;
    char *dump = NULL;
    if ((rc = point_config(g, p, &cfg, err, sizeof err)) != EXIT_OK ||
        (rc = read_runs(db, &rows, &n_rows, err, sizeof err)) != EXIT_OK) {
        cli_error("%s", err);
        goto out;
    }
    dump = config_dump(cfg);
    const char *kind = g->steps & STEP_BASELINE ? "baseline" : "train";
    int i = find_named(rows, n_rows, kind, name);
    if (i >= 0 && (!dump || strcmp(rows[i].config, dump))) {
        rc = cli_fail(EXIT_USAGE, "%s: run %lld is named '%s' but has other settings (was the grid changed? use "
                                  "another --db-prefix)", db, (long long)rows[i].run_id, name);
        goto out;
    }
    if (g->steps & STEP_BASELINE) {
        if (i >= 0 && is_done(&rows[i])) {
            r->run = rows[i].run_id;
            snprintf(r->state, sizeof r->state, "skipped");
        } else {
            const char *flags[] = { "db", db, "name", name, "quiet", NULL, NULL };
            rc = run_command(&cmd_baseline, cfg, flags);
        }
    } else {
        int64_t train = i >= 0 ? rows[i].run_id : 0;
        if (i >= 0 && !strcmp(rows[i].status, "failed")) {
            rc = EXIT_FAILED;
            cli_error("%s: point %ld: training run %lld failed earlier (not finite); not run again", db, p,
                      (long long)train);
        } else if (i >= 0 && !is_done(&rows[i])) {   /* interrupted or killed: continue it */
            empty = config_alloc();
            if (!empty || cmd_train.declare(empty) != 0 || config_finalize(empty, err, sizeof err) != 0) {
                rc = cli_fail(EXIT_FAILED, "out of memory");
                goto out;
            }
            snprintf(id, sizeof id, "%lld", (long long)train);
            const char *flags[] = { "db", db, "resume", NULL, "run", id, "quiet", NULL, NULL };
            rc = run_command(&cmd_train, empty, flags);
            snprintf(r->state, sizeof r->state, "resumed");
        } else if (i < 0) {
            const char *flags[] = { "db", db, "name", name, "quiet", NULL, NULL };
            rc = run_command(&cmd_train, cfg, flags);
        } else if (!(g->steps & STEP_TEST) || find_test(rows, n_rows, train)) {
            snprintf(r->state, sizeof r->state, "skipped");
        }
        store_runs_free(rows, n_rows);
        rows = NULL;
        if (rc == EXIT_OK && (rc = read_runs(db, &rows, &n_rows, err, sizeof err)) != EXIT_OK) cli_error("%s", err);
        if (rc == EXIT_OK) {
            int j = find_named(rows, n_rows, "train", name);
            r->run = j >= 0 ? rows[j].run_id : 0;
            if (g->steps & STEP_TEST && r->run) {
                r->test_run = find_test(rows, n_rows, r->run);
                if (!r->test_run) {
                    config_free(empty);
                    empty = config_alloc();
                    if (!empty || cmd_test.declare(empty) != 0 || config_finalize(empty, err, sizeof err) != 0) {
                        rc = cli_fail(EXIT_FAILED, "out of memory");
                        goto out;
                    }
                    snprintf(id, sizeof id, "%lld", (long long)r->run);
                    const char *flags[] = { "db", db, "run", id, "quiet", NULL, NULL };
                    rc = run_command(&cmd_test, empty, flags);
                    store_runs_free(rows, n_rows);
                    rows = NULL;
                    if (rc == EXIT_OK && read_runs(db, &rows, &n_rows, err, sizeof err) == EXIT_OK)
                        r->test_run = find_test(rows, n_rows, r->run);
                }
            }
        }
    }
    if (rc == EXIT_OK && g->steps & STEP_BASELINE) {
        store_runs_free(rows, n_rows);
        rows = NULL;
        if (read_runs(db, &rows, &n_rows, err, sizeof err) == EXIT_OK) {
            int j = find_named(rows, n_rows, "baseline", name);
            r->run = j >= 0 ? rows[j].run_id : 0;
        }
    }
    if (rc == EXIT_OK) {
        int64_t res = g->steps & STEP_TEST ? r->test_run : g->steps & STEP_BASELINE ? r->run : 0;
        if (res) read_result(db, res, r);
    }
out:
    if (rc != EXIT_OK)
        snprintf(r->state, sizeof r->state, "%s", rc == 130 || rc == 143 ? "interrupted" : "failed");
    r->status = rc;
    r->seconds = now_s() - t0;
    if (!quiet) {
        char label[512], tag[32] = "";
        point_label(g, p, label, sizeof label);
        if (rank_tag >= 0) snprintf(tag, sizeof tag, "rank %d: ", rank_tag);
        fprintf(stderr, "metarl: %spoint %ld (of %ld)%s%s: %s in %.1f s", tag, p, g->n_points, label[0] ? " " : "", label,
                r->state, r->seconds);
        if (!isnan(r->regret)) fprintf(stderr, ", regret %.3f", r->regret);
        if (!isnan(r->p_best)) fprintf(stderr, ", P(best) %.4f", r->p_best);
        fputc('\n', stderr);
    }
    free(dump);
    store_runs_free(rows, n_rows);
    config_free(cfg);
    config_free(empty);
}

static void db_name(const char *prefix, int rank, int size, char *out, size_t n)
{
    if (size > 1) snprintf(out, n, "%s.rank%d.db", prefix, rank);
    else snprintf(out, n, "%s.db", prefix);
}

static void print_table(const Grid *g, const PointResult *res, int size, const char *prefix)
{
    int steps = g->steps;
    printf("sweep %s: %ld point%s, steps %s, %d process%s\n\n", g->path, g->n_points, g->n_points == 1 ? "" : "s",
           steps & STEP_BASELINE ? "baseline" : steps & STEP_TEST ? "train, test" : "train", size,
           size == 1 ? "" : "es (MPI ranks)");
    printf("%5s %4s %6s %6s  %-11s %8s %8s %9s %8s  %s\n", "point", "rank", "run", "test", "state", "regret",
           "P(best)", "reward/tr", "time s", "settings");
    for (long p = 0; p < g->n_points; p++) {
        const PointResult *r = &res[p];
        char label[512], run[24] = "-", test[24] = "-";
        point_label(g, p, label, sizeof label);
        if (r->run) snprintf(run, sizeof run, "%lld", (long long)r->run);
        if (r->test_run) snprintf(test, sizeof test, "%lld", (long long)r->test_run);
        printf("%5ld %4d %6s %6s  %-11s %8.3f %8.4f %9.4f %8.1f  %s\n", p, r->rank, run, test,
               r->done ? r->state : "not run", r->regret, r->p_best, r->reward, r->seconds, label);
    }
    char db[4200];
    if (size > 1) {
        int used = g->n_points < size ? (int)g->n_points : size;   /* ranks that had points */
        printf("\nstores: %s.rank0.db ... %s.rank%d.db (one per rank; run ids are per file); gather them with:\n",
               prefix, prefix, used - 1);
        printf("  metarl merge %s.db", prefix);
        for (int r = 0; r < used; r++) {
            db_name(prefix, r, size, db, sizeof db);
            printf(" %s", db);
        }
        printf("\n");
    } else {
        db_name(prefix, 0, 1, db, sizeof db);
        printf("\nstore: %s\n", db);
    }
    if (steps & (STEP_TEST | STEP_BASELINE))
        printf("regret, P(best) and reward/trial are those of the %s.\n",
               steps & STEP_TEST ? "network's frozen-weight test" : "baseline run");
}

static void print_json(const Grid *g, const PointResult *res, int size, const char *prefix, int status)
{
    Json j;
    char db[4200];
    json_init(&j, stdout);
    json_object_begin(&j);
    json_kstr(&j, "command", "sweep");
    json_kstr(&j, "grid", g->path);
    json_kint(&j, "points", g->n_points);
    json_kint(&j, "ranks", size);
    json_key(&j, "dbs");
    json_array_begin(&j);
    for (int r = 0; r < size && r < g->n_points; r++) {
        db_name(prefix, r, size, db, sizeof db);
        json_str(&j, db);
    }
    json_array_end(&j);
    json_key(&j, "results");
    json_array_begin(&j);
    for (long p = 0; p < g->n_points; p++) {
        const PointResult *r = &res[p];
        json_object_begin(&j);
        json_kint(&j, "point", p);
        json_kint(&j, "rank", r->rank);
        json_key(&j, "settings");
        json_object_begin(&j);
        for (int k = 0; k < g->n_keys; k++) {
            char key[160];
            snprintf(key, sizeof key, "%s.%s", g->keys[k].section, g->keys[k].key);
            json_kstr(&j, key, g->keys[k].v[grid_index(g, k, p)]);
        }
        json_object_end(&j);
        db_name(prefix, r->rank, size, db, sizeof db);
        json_kstr(&j, "db", db);
        json_kint(&j, "run", r->run);
        json_kint(&j, "test_run", r->test_run);
        json_kstr(&j, "state", r->done ? r->state : "not run");
        json_knum(&j, "regret", r->regret);
        json_knum(&j, "p_best", r->p_best);
        json_knum(&j, "reward_per_trial", r->reward);
        json_knum(&j, "seconds", r->seconds);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_kstr(&j, "status", status == EXIT_OK ? "done" : status == EXIT_FAILED ? "failed" : "interrupted");
    json_object_end(&j);
    fputc('\n', stdout);
}

static int sweep_run(CmdArgs *a)
{
    char err[1024];
    int rank = 0, size = 1;
    if (mpi_world(&rank, &size, err, sizeof err) != 0) return cli_fail(EXIT_FAILED, "%s", err);
    const char *path = arg_flag(a, "grid");
    if (!path) return rank ? EXIT_USAGE : cli_fail(EXIT_USAGE, "`metarl sweep` needs --grid FILE (see metarl sweep --help)");
    static Grid g;   /* large */
    int status = grid_load(&g, path);
    char prefix[4096];
    if (status == EXIT_OK) {
        const char *pre = arg_flag(a, "db-prefix");
        if (pre) snprintf(prefix, sizeof prefix, "%s", pre);
        else snprintf(prefix, sizeof prefix, "%s", g.name);
        size_t n = strlen(prefix);
        if (n > 3 && !strcmp(prefix + n - 3, ".db")) prefix[n - 3] = '\0';
        if (!prefix[0]) {
            snprintf(g.err, sizeof g.err, "--db-prefix: empty");
            status = EXIT_USAGE;
        }
    }
    /* every point's settings, before anything runs */
    for (long p = 0; status == EXIT_OK && p < g.n_points; p++) {
        Config *c;
        status = point_config(&g, p, &c, g.err, sizeof g.err);
        config_free(c);
    }
    if (status != EXIT_OK) {
        if (rank == 0) cli_error("%s", g.err);
        grid_free(&g);
        return status;
    }
    if (arg_has(a, "list")) {
        if (rank == 0) {
            char label[512], name[700], db0[4200];
            printf("%s: %ld point%s, steps %s; base config %s\n", g.path, g.n_points, g.n_points == 1 ? "" : "s",
                   g.steps & STEP_BASELINE ? "baseline" : g.steps & STEP_TEST ? "train, test" : "train",
                   g.base[0] ? g.base : "(none: built-in defaults)");
            for (long p = 0; p < g.n_points; p++) {
                point_label(&g, p, label, sizeof label);
                point_name(&g, p, name, sizeof name);
                db_name(prefix, (int)(p % size), size, db0, sizeof db0);
                printf("%5ld  %-40s -> %s, run \"%s\"\n", p, label[0] ? label : "(no varying setting)", db0, name);
            }
        }
        grid_free(&g);
        return EXIT_OK;
    }
    char db[4200];
    db_name(prefix, rank, size, db, sizeof db);
    /* refuse a store that is not ours before running anything */
    if (access(db, F_OK) == 0) {
        Store *s = store_open(db, STORE_READ, err, sizeof err);
        if (!s) {
            cli_error("%s", err);
            status = EXIT_USAGE;
        }
        store_close(s);
    }
    status = mpi_max_int(status);
    if (status != EXIT_OK) {
        grid_free(&g);
        return status;
    }

    cli_catch_signals();
    int quiet = arg_has(a, "quiet");
    size_t n_res = (size_t)g.n_points * sizeof(PointResult);
    PointResult *mine = calloc((size_t)g.n_points, sizeof *mine);
    PointResult *all = rank == 0 ? calloc((size_t)g.n_points * (size_t)size, sizeof *all) : NULL;
    if (!mine || (rank == 0 && !all)) {
        free(mine);
        free(all);
        grid_free(&g);
        return cli_fail(EXIT_FAILED, "out of memory");
    }
    for (long p = 0; p < g.n_points; p++) mine[p].rank = (int32_t)(p % size);
    int worst = EXIT_OK;
    for (long p = rank; p < g.n_points && !cli_stop_signal; p += size) {
        run_point(&g, p, db, quiet, size > 1 ? rank : -1, &mine[p]);
        if (mine[p].status == 130 || mine[p].status == 143) worst = mine[p].status;
        else if (mine[p].status != EXIT_OK && worst == EXIT_OK) worst = EXIT_FAILED;
    }
    if (cli_stop_signal && worst == EXIT_OK) worst = 128 + cli_stop_signal;

    /* rank 0 gathers every rank's points and prints the whole table */
    mpi_gather_bytes(mine, all ? all : mine, n_res);
    int world_worst = mpi_max_int(worst);
    if (rank == 0) {
        PointResult *res = malloc(n_res);
        if (res) {
            for (long p = 0; p < g.n_points; p++) res[p] = all[(size_t)(p % size) * (size_t)g.n_points + (size_t)p];
            if (arg_has(a, "json")) print_json(&g, res, size, prefix, world_worst);
            else print_table(&g, res, size, prefix);
            free(res);
        }
        if (worst == EXIT_OK && world_worst != EXIT_OK) cli_error("some points failed on other ranks");
    }
    fflush(stdout);
    free(mine);
    free(all);
    grid_free(&g);
    return rank == 0 ? world_worst : worst;
}

const Command cmd_sweep = {
    "sweep", "--grid FILE [--db-prefix PATH] [--list] [--json]",
    "run train (and test) or a baseline at every point of a grid of settings; MPI ranks share the points",
    "The grid file is INI: [sweep] config = BASE.ini (beside the grid file), steps = train, test |\n"
    "train | baseline, name = LABEL; every other key lists values (run.seed = 1,2,3 under [run],\n"
    "lr = 1e-3, 5e-4 under [train]; '|' separates values that hold commas). Points are the\n"
    "Cartesian product, the last key varying fastest, all checked before anything runs. Runs are\n"
    "named \"LABEL pN key=value ...\". Under `mpirun -n K` (build-mpi/metarl) rank r takes points\n"
    "r, r+K, ... into PREFIX.rank<r>.db and rank 0 prints the table; gather the files with\n"
    "`metarl merge`. Run again, a sweep skips finished points and resumes interrupted training.",
    NULL, sweep_flags, 0, 0, sweep_run
};
