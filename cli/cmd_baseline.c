/* cli/cmd_baseline.c: `metarl baseline`: a reference agent on a task.
**
** Parses the flags, runs the baseline job (jobs/baseline.h) and prints its
** summary table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evaluate.h"
#include "jobs/baseline.h"

static const CmdFlag baseline_flags[] = {
    { "db", "FILE", "store every trial in this SQLite file (created if missing; default: summary only)" },
    { "name", "TEXT", "label of the run in the store (default: the agent's name)" },
    { "json", NULL, "print one JSON object on stdout instead of the table" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

static int baseline_run(CmdArgs *a)
{
    char err[1024];
    CliEvalProgress shown;
    cli_eval_progress_init(&shown);
    BaselineSettings s = { a->cfg, arg_flag(a, "db"), arg_flag(a, "name"), metarl_version, &cli_stop_signal,
                           arg_has(a, "quiet") ? NULL : cli_eval_progress, &shown };
    cli_catch_signals();
    static BaselineResult r;
    int status = baseline_job_run(&s, &r, err, sizeof err);
    if (status != EXIT_OK) return cli_fail(status, "%s", err);
    if (arg_has(a, "json")) {
        fputs(r.json ? r.json : "{}\n", stdout);
    } else {
        printf("task %s, seed %llu\n", r.title, (unsigned long long)r.seed);
        eval_print(&r.s, config_str(a->cfg, "agent", "name"), r.max_trials);
        if (s.db) printf("stored as run %lld in %s\n", (long long)r.run, s.db);
    }
    if (r.stopped) {
        cli_error("interrupted after %ld episodes%s", r.s.episodes, s.db ? "; completed episodes are stored" : "");
        status = 128 + r.stopped;
    }
    baseline_result_clear(&r);
    return status;
}

const Command cmd_baseline = {
    "baseline", "[--task NAME] [--agent NAME] [options]",
    "run a reference agent on a task; summarise and optionally store every trial",
    "Episodes draw their task instance from (seed, episode), so different agents run with the\n"
    "same seed meet the same instances and the same reward coin flips (paired comparisons).",
    baseline_declare, baseline_flags, 0, 0, baseline_run
};
