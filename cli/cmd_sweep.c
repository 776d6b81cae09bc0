/* cli/cmd_sweep.c: `metarl sweep --grid FILE`: one job per point of a grid of settings.
**
** The grid and each point's jobs are the sweep job's (jobs/sweep.h: the
** grid file's format, names, skipping and resuming). This file checks every
** point before anything runs (a bad grid exits 2 with one line and nothing
** written), shares the points among MPI ranks and prints.
**
** Parallel runs: under `mpirun -n K build-mpi/metarl sweep ...` rank r takes
** points r, r + K, r + 2K, ... and writes only its own store PREFIX.rank<r>.db
** (no two processes write one SQLite file); rank 0 gathers the results and
** prints the whole table; `metarl merge PREFIX.db PREFIX.rank*.db` then puts
** every run in one file. In one process (any build) all points go to
** PREFIX.db.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/numfmt.h"
#include "cli/mpi_util.h"
#include "core/json.h"
#include "jobs/sweep.h"

static const CmdFlag sweep_flags[] = {
    { "grid", "FILE", "the grid file (INI: [sweep] config, steps, name; every other key a list of values)" },
    { "db-prefix", "PATH", "stores: PATH.db, or PATH.rank<r>.db per MPI rank (default: the grid file's name, here)" },
    { "list", NULL, "check the grid and print its points, run nothing" },
    { "json", NULL, "print one JSON object on stdout instead of the table" },
    { "quiet", NULL, "no line per point on stderr" },
    { NULL, NULL, NULL }
};

static void show_message(void *ctx, const char *line) { cli_error("%s", line); }

/* The line of a finished point on stderr. */
static void show_point(const Grid *g, long p, int rank_tag, const PointResult *r)
{
    char label[512], tag[32] = "";
    sweep_point_label(g, p, label, sizeof label);
    if (rank_tag >= 0) snprintf(tag, sizeof tag, "rank %d: ", rank_tag);
    fprintf(stderr, "metarl: %spoint %ld (of %ld)%s%s: %s in %.1f s", tag, p, g->n_points, label[0] ? " " : "", label,
            r->state, r->seconds);
    if (!isnan(r->regret)) fprintf(stderr, ", regret %.3f", r->regret);
    if (!isnan(r->p_best)) fprintf(stderr, ", P(best) %.4f", r->p_best);
    fputc('\n', stderr);
}

static void print_table(const Grid *g, const PointResult *res, int size, const char *prefix)
{
    int steps = g->steps;
    printf("sweep %s: %ld point%s, steps %s, %d process%s\n\n", g->path, g->n_points, g->n_points == 1 ? "" : "s",
           sweep_steps_name(g), size,
           size == 1 ? "" : "es (MPI ranks)");
    printf("%5s %4s %6s %6s  %-11s %8s %8s %9s %8s  %s\n", "point", "rank", "run", "test", "state", "regret",
           "P(best)", "reward/tr", "time s", "settings");
    for (long p = 0; p < g->n_points; p++) {
        const PointResult *r = &res[p];
        char label[512], run[24] = "-", test[24] = "-";
        sweep_point_label(g, p, label, sizeof label);
        if (r->run) snprintf(run, sizeof run, "%lld", (long long)r->run);
        if (r->test_run) snprintf(test, sizeof test, "%lld", (long long)r->test_run);
        /* "-": a point not run, or a task without that number (core/numfmt.h) */
        printf("%5ld %4d %6s %6s  %-11s %8s %8s %9s %8s  %s\n", p, r->rank, run, test, r->done ? r->state : "not run",
               num_text(r->done ? r->regret : NAN, 3, 'f').s, num_text(r->done ? r->p_best : NAN, 4, 'f').s,
               num_text(r->done ? r->reward : NAN, 4, 'f').s, num_text(r->done ? r->seconds : NAN, 1, 'f').s, label);
    }
    char db[4200];
    if (size > 1) {
        int used = g->n_points < size ? (int)g->n_points : size;   /* ranks that had points */
        printf("\nstores: %s.rank0.db ... %s.rank%d.db (one per rank; run ids are per file); gather them with:\n",
               prefix, prefix, used - 1);
        printf("  metarl merge %s.db", prefix);
        for (int r = 0; r < used; r++) {
            sweep_db_name(prefix, r, size, db, sizeof db);
            printf(" %s", db);
        }
        printf("\n");
    } else {
        sweep_db_name(prefix, 0, 1, db, sizeof db);
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
        sweep_db_name(prefix, r, size, db, sizeof db);
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
            json_kstr(&j, key, g->keys[k].v[sweep_grid_index(g, k, p)]);
        }
        json_object_end(&j);
        sweep_db_name(prefix, r->rank, size, db, sizeof db);
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
    char prefix[4096];
    int status = sweep_prepare(&g, path, arg_flag(a, "db-prefix"), prefix, sizeof prefix);
    if (status != EXIT_OK) {
        if (rank == 0) cli_error("%s", g.err);
        sweep_grid_free(&g);
        return status;
    }
    if (arg_has(a, "list")) {
        static const char *const run_only[] = { "json", "quiet", NULL };
        const char *f = arg_first_of(a, run_only);
        if (f && rank == 0) cli_error("--%s: applies to running the sweep, not to --list (which prints its points)", f);
        if (!f && rank == 0) {
            char label[512], name[700], db0[4200];
            printf("%s: %ld point%s, steps %s; base config %s\n", g.path, g.n_points, g.n_points == 1 ? "" : "s",
                   sweep_steps_name(&g), g.base[0] ? g.base : "(none: built-in defaults)");
            for (long p = 0; p < g.n_points; p++) {
                sweep_point_label(&g, p, label, sizeof label);
                sweep_point_name(&g, p, name, sizeof name);
                sweep_db_name(prefix, (int)(p % size), size, db0, sizeof db0);
                printf("%5ld  %-40s -> %s, run \"%s\"\n", p, label[0] ? label : "(no varying setting)", db0, name);
            }
        }
        sweep_grid_free(&g);
        return f ? EXIT_USAGE : EXIT_OK;
    }
    char db[4200];
    sweep_db_name(prefix, rank, size, db, sizeof db);
    /* refuse a store that is not ours before running anything */
    if ((status = sweep_check_store(db, err, sizeof err)) != EXIT_OK) cli_error("%s", err);
    status = mpi_max_int(status);
    if (status != EXIT_OK) {
        sweep_grid_free(&g);
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
        sweep_grid_free(&g);
        return cli_fail(EXIT_FAILED, "out of memory");
    }
    for (long p = 0; p < g.n_points; p++) mine[p].rank = (int32_t)(p % size);
    SweepSettings ss = { db, metarl_version, &cli_stop_signal, show_message, NULL };
    int worst = EXIT_OK;
    for (long p = rank; p < g.n_points && !cli_stop_signal; p += size) {
        sweep_point_run(&g, p, &ss, &mine[p]);
        if (!quiet) show_point(&g, p, size > 1 ? rank : -1, &mine[p]);
        if (mine[p].status == 130 || mine[p].status == 143) worst = mine[p].status;
        else if (mine[p].status != EXIT_OK && worst == EXIT_OK)   /* a point refused as bad input keeps its 2 */
            worst = mine[p].status == EXIT_USAGE ? EXIT_USAGE : EXIT_FAILED;
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
    sweep_grid_free(&g);
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
