/* cli/cmd_analyze.c: `metarl analyze DB`: the behavioural and neural
** analyses of every run (or the chosen ones), as tables, TSV files and JSON.
**
** The command only parses, calls the library and prints. For each test,
** baseline or import run the episodes are read once (with the unit rates, if
** stored) and analysed by analysis/run_analysis.h (which `metarl plot`
** shares); a train run contributes its training curve only
** (analysis/training_summary.h). The writers of analysis/export.h put the
** same numbers three ways:
**   stdout   readable tables (or, with --json, one JSON object per run and line);
**   TSV      one file per analysis in --out DIR (default: DB's name with
**            ".analysis" for its extension, beside it: results/demo.db ->
**            results/demo.analysis/), named run<ID>_<analysis>.tsv; the list
**            of files is in analysis/export.h. They are written into
**            DIR.tmp-PID and moved into DIR at the end: a failed analyze
**            leaves DIR as it was.
**
** Bad input (unreadable or foreign file, unknown run, bad --lags/--ridge)
** is reported before anything is written: one "metarl: ..." line, exit 2.
** Reading uses store_read_episodes, one read transaction per run; in WAL
** mode a concurrent writer is never blocked by it.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/behavior.h"
#include "analysis/export.h"
#include "analysis/run_analysis.h"
#include "analysis/training_summary.h"
#include "cli/cli.h"
#include "store/store.h"

#define MAX_RUNS 256

static const CmdFlag analyze_flags[] = {
    { "run", "ID", "run to analyse; repeat for several (default: every run in the file)" },
    { "json", NULL, "print one JSON object per run (one per line) instead of the tables" },
    { "out", "DIR", "directory for the TSV files (default: DB's name with .analysis, beside it)" },
    { "lags", "K", "history length of the reward-history regression, 1..20 (default 5)" },
    { "ridge", "L", "ridge penalty of that regression, >= 0 (default 0)" },
    { NULL, NULL, NULL }
};

/* results/demo.db -> results/demo.analysis */
static void default_out_dir(const char *db, char *out, size_t n)
{
    snprintf(out, n, "%s", db);
    char *slash = strrchr(out, '/');
    char *base = slash ? slash + 1 : out;
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = '\0';
    size_t len = strlen(out);
    snprintf(out + len, n - len, ".analysis");
}

/* A train run: its training curve in bins on stdout, every row as TSV. */
static int training_report(Store *s, const RunRow *r, int json, ExportDir *o)
{
    TrainRow *rows = NULL;
    int n = 0;
    if (store_read_training(s, r->run_id, &rows, &n) != 0) return cli_fail(EXIT_FAILED, "%s", store_errmsg(s));
    TrainingBins b;
    training_bins(rows, n, &b);
    /* a failed stdout is caught by analyze_run's flush */
    if (json) export_json_training(r, &b, stdout);
    else export_text_training(r, &b, stdout);
    int rc = export_tsv_training(rows, n, o);
    free(rows);
    return rc != 0 ? cli_fail(EXIT_FAILED, "%s", o->err) : EXIT_OK;
}

static int analyze_one(Store *s, const RunRow *r, int json, int lags, double ridge, ExportDir *o)
{
    o->run = r->run_id;
    if (!strcmp(r->kind, "train")) return training_report(s, r, json, o);
    RunAnalysis A;
    run_analysis_init(&A, r);
    if (store_read_episodes(s, r->run_id, 1, &A.eps, &A.n_eps) != 0) return cli_fail(EXIT_FAILED, "%s", store_errmsg(s));
    int status = EXIT_OK;
    if (run_analysis_compute(&A, RA_ALL, lags, ridge) != 0) {
        status = cli_fail(EXIT_FAILED, "run %lld: out of memory", (long long)r->run_id);
        goto done;
    }
    if (json) {
        export_json_run(&A, stdout);
    } else {
        int64_t *children = NULL;
        int n_children = 0;
        if (store_children(s, r->run_id, &children, &n_children) != 0) n_children = 0;
        export_text_run(&A, children, n_children, stdout);
        free(children);
    }
    if (export_tsv_run(&A, o) != 0) status = cli_fail(EXIT_FAILED, "%s", o->err);
done:
    run_analysis_free(&A);
    return status;
}

static int analyze_run(CmdArgs *a)
{
    char err[1024];
    int json = arg_has(a, "json");
    long lags = BEHAVIOR_DEFAULT_LAGS;
    double ridge = 0.0;
    const char *v;
    if ((v = arg_flag(a, "lags")) && (parse_long(v, &lags) != 0 || lags < 1 || lags > BEHAVIOR_MAX_LAGS))
        return cli_fail(EXIT_USAGE, "--lags: '%s' is not a history length (a whole number from 1 to %d)", v,
                        BEHAVIOR_MAX_LAGS);
    if ((v = arg_flag(a, "ridge")) && (parse_double(v, &ridge) != 0 || !(ridge >= 0.0) || !isfinite(ridge)))
        return cli_fail(EXIT_USAGE, "--ridge: '%s' is not a penalty (a finite number >= 0)", v);
    const char *run_args[MAX_RUNS];
    int n_ids = arg_all(a, "run", run_args, MAX_RUNS);
    int64_t ids[MAX_RUNS];
    for (int i = 0; i < n_ids; i++)
        if (arg_run_id(a, run_args[i], &ids[i]) != EXIT_OK) return EXIT_USAGE;

    const char *db = a->pos[0];
    Store *s = store_open(db, STORE_READ, err, sizeof err);
    if (!s) return cli_fail(EXIT_USAGE, "%s", err);
    int status = EXIT_OK, n_rows = 0;
    RunRow *rows = NULL;
    if (n_ids > 0) {
        if (!(rows = calloc((size_t)n_ids, sizeof *rows))) {
            status = cli_fail(EXIT_FAILED, "out of memory");
            goto done;
        }
        for (; n_rows < n_ids; n_rows++)
            if (store_run_get(s, ids[n_rows], &rows[n_rows]) != 0) {
                status = cli_fail(EXIT_USAGE, "%s", store_errmsg(s));
                goto done;
            }
    } else if (store_runs(s, &rows, &n_rows) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", store_errmsg(s));
        goto done;
    }
    if (n_rows == 0) {
        status = cli_fail(EXIT_USAGE, "%s: the database holds no runs", db);
        goto done;
    }
    char dir[4096];
    if ((v = arg_flag(a, "out"))) snprintf(dir, sizeof dir, "%s", v);
    else default_out_dir(db, dir, sizeof dir);
    char tmp[4200];   /* the files go to DIR.tmp-PID, moved into DIR only once all are written */
    if (out_dir_begin(dir, tmp, sizeof tmp) != 0) {
        status = cli_fail(EXIT_FAILED, "%s: cannot create the output directory (%s)", dir, strerror(errno));
        goto done;
    }
    ExportDir o;
    export_dir_init(&o, tmp);
    for (int i = 0; i < n_rows && status == EXIT_OK; i++) {
        status = analyze_one(s, &rows[i], json, (int)lags, ridge, &o);
        if (fflush(stdout) != 0 && status == EXIT_OK) status = cli_fail(EXIT_FAILED, "stdout: write failed (%s)", strerror(errno));
    }
    if (status == EXIT_OK && out_dir_commit(dir, tmp) != 0)
        status = cli_fail(EXIT_FAILED, "%s: cannot put the files in place (%s)", dir, strerror(errno));
    if (status != EXIT_OK) out_dir_remove_tree(tmp);
    if (status == EXIT_OK) fprintf(stderr, "metarl: wrote %d TSV file%s to %s/\n", o.n_files, o.n_files == 1 ? "" : "s", dir);
done:
    if (rows) {
        if (n_ids > 0) {
            for (int i = 0; i < n_ids; i++) store_run_clear(&rows[i]);
            free(rows);
        } else {
            store_runs_free(rows, n_rows);
        }
    }
    store_close(s);
    return status;
}

const Command cmd_analyze = {
    "analyze", "DB [--run ID ...] [--json] [--out DIR] [--lags K] [--ridge L]",
    "behavioural and neural analyses of runs: tables, TSV files for plots, JSON",
    "For every test, baseline and import run (or those given with --run): learning curves, p(stay|win) and "
    "p(stay|loss), the Lau-Glimcher reward-history regression, Rescorla-Wagner fits (pooled, per episode, with a "
    "parameter-recovery check), reversal-aligned accuracy, trials to criterion and learning rate against "
    "volatility, RPE signatures, and, where unit rates were stored, PCA, cross-validated decoding of latent "
    "variables and unit selectivity. Train runs report their training curve. TSV files, one per analysis, go to "
    "--out DIR (default: DB's name with .analysis).",
    NULL, analyze_flags, 1, 1, analyze_run
};
