/* cli/cmd_experiment.c: `metarl experiment list | NAME [--seeds K] [--quick]
** [--db FILE] [-o DIR] [--workers W]`: one cognitive experiment end to end.
**
** The experiments, their runs and their output folder are the experiment
** job's (jobs/experiment.h); this file parses, prints the list and the
** closing lines, and returns the job's status (bad input: one line, exit 2,
** nothing written; interrupted: 130 or 143 after a checkpoint).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "jobs/experiment.h"
#include "tasks/task.h"

static const CmdFlag experiment_flags[] = {
    { "seeds", "K", "training seeds (default: the experiment's; seed s = the config's run.seed + s)" },
    { "quick", NULL, "a small version (<= 1 min) for tests and CI: its numbers are not the result" },
    { "db", "FILE", "the store of every seed's runs (default: NAME.db, NAME-quick.db with --quick); rerun to resume" },
    { "output", "DIR", "the output folder (also -o; default: NAME, NAME-quick with --quick); replaced if it holds "
                       "an earlier experiment's output" },
    { "workers", "W", "threads per training batch (train.workers: part of the runs' settings; default 1)" },
    { "quiet", NULL, "no progress lines on stderr" },
    { NULL, NULL, NULL }
};

static void show(void *ctx, const char *line) { fprintf(stderr, "metarl: %s\n", line); }

static void list_one(const Experiment *e)
{
    char err[1024], title[512];
    Config *c = NULL;
    printf("%s: %s\n", e->name, e->summary);
    if (experiment_config(e, 0, 0, 1, &c, err, sizeof err) != 0) {
        printf("    (cannot read its config: %s)\n\n", err);
        return;
    }
    task_title(c, title, sizeof title);
    printf("    task %s; config %s\n", title, e->config);
    if (e->test_set) printf("    the frozen-weight test sets: %s\n", e->test_set);
    printf("    full:    %d seeds x %ld episodes, %ld units, %ld test episodes; %s\n", e->seeds,
           config_int(c, "run", "episodes"), config_int(c, "model", "hidden"), config_int(c, "test", "episodes"),
           e->time_full);
    printf("    --quick: %d seeds x %ld episodes, %d units, %ld test episodes; %s (a check: quick numbers are "
           "not the result)\n", e->quick_seeds, e->quick_episodes, e->quick_hidden, e->quick_test_episodes,
           e->time_quick);
    printf("    metrics:");
    for (int m = 0; m < EXPERIMENT_MAX_METRICS && e->metrics[m]; m++) printf("%s %s", m ? "," : "", e->metrics[m]);
    const char *kind = e->target.kind == TARGET_BELOW ? "below" : e->target.kind == TARGET_WITHIN ? "within" : "at least";
    printf("; target: median %s %s", e->metrics[0], kind);
    if (e->target.kind == TARGET_WITHIN) printf(" %g of", e->target.tol);
    PublishedRow pub[64];
    int n_pub = experiment_published(e->name, pub, 64, err, sizeof err);
    double ref = NAN;
    for (int i = 0; i < n_pub; i++)
        if (!strcmp(pub[i].reference, e->target.reference) && !strcmp(pub[i].metric, e->metrics[0])) ref = pub[i].value;
    printf(" %s's %g (data/published/experiments.tsv); figures %s\n\n", e->target.reference, ref, e->figures);
    config_free(c);
}

static int parse_count(const CmdArgs *a, const char *flag, long max, int *out)
{
    const char *v = arg_flag(a, flag);
    *out = 0;
    if (!v) return EXIT_OK;
    long n;
    if (parse_long(v, &n) != 0 || n < 1 || n > max)
        return cli_fail(EXIT_USAGE, "--%s %s: expected a whole number from 1 to %ld", flag, v, max);
    *out = (int)n;
    return EXIT_OK;
}

static int experiment_cmd(CmdArgs *a)
{
    const char *name = a->pos[0];
    if (!strcmp(name, "list")) {
        static const char *const run_only[] = { "seeds", "quick", "db", "output", "workers", "quiet", NULL };
        const char *f = arg_first_of(a, run_only);
        if (f)
            return cli_fail(EXIT_USAGE, "--%s: applies to running an experiment (metarl experiment NAME --%s ...), "
                            "not to `metarl experiment list`", f, f);
        for (const Experiment *e = experiments; e->name; e++) list_one(e);
        printf("run one with: metarl experiment NAME [--seeds K] [--quick] [--db FILE] [-o DIR]\n");
        return EXIT_OK;
    }
    ExperimentSettings s = { name, 0, arg_has(a, "quick"), arg_flag(a, "db"), arg_flag(a, "output"), 0,
                             metarl_version, &cli_stop_signal, arg_has(a, "quiet") ? NULL : show, NULL };
    if (parse_count(a, "seeds", EXPERIMENT_MAX_SEEDS, &s.seeds) != EXIT_OK ||
        parse_count(a, "workers", 256, &s.workers) != EXIT_OK)
        return EXIT_USAGE;
    ExperimentResult *r = calloc(1, sizeof *r);
    if (!r) return cli_fail(EXIT_FAILED, "out of memory");
    char err[2048];
    cli_catch_signals();
    int rc = experiment_run(&s, r, err, sizeof err);
    if (rc != EXIT_OK) {
        cli_error("%s", err);
    } else if (r->stopped) {
        cli_error("interrupted (checkpoints saved, nothing written); rerun the same command to resume");
        rc = 128 + r->stopped;
    } else {
        printf("experiment %s%s: %d seed%s (%d trained, %d resumed, %d done earlier) in %.1f s; store %s\n",
               r->e->name, s.quick ? " --quick (not the result)" : "", r->n_seeds, r->n_seeds == 1 ? "" : "s",
               r->trained, r->resumed, r->skipped, r->seconds, r->db);
        printf("%s\nwrote %s/summary.md, %s/results.tsv, %s/figures/\n", r->verdict, r->out, r->out, r->out);
    }
    free(r);
    return rc;
}

const Command cmd_experiment = {
    "experiment", "list | NAME [--seeds K] [--quick] [--db FILE] [-o DIR] [--workers W]",
    "run a cognitive experiment end to end: train seeds, test frozen, compare with the published numbers",
    "`metarl experiment list` shows every experiment (task, settings, seeds, expected time).\n"
    "`metarl experiment NAME` trains K seeds (runs NAME-seedS in --db), tests each with frozen weights\n"
    "beside the reference agents, and writes DIR/results.tsv (metric per seed and agent; median and\n"
    "range), DIR/summary.md (reproduced or not against the target; measured vs published numbers of\n"
    "data/published/experiments.tsv with their source) and DIR/figures/. Run again with the same\n"
    "--db, finished seeds are skipped and interrupted ones resume. --quick is a check, not the result.",
    NULL, experiment_flags, 1, 1, experiment_cmd
};
