/* cli/cmd_test.c: `metarl test`: the trained network with its weights frozen.
**
** Parses the flags, runs the test job (jobs/test.h: the network and the
** reference agents on the same fresh instances, every trial stored) and
** prints its table or JSON.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evaluate.h"
#include "core/numfmt.h"
#include "jobs/test.h"

static const CmdFlag test_flags[] = {
    { "db", "FILE", "the store that holds the training run; the test runs are added to it (default: metarl.db)" },
    { "run", "ID|NAME", "training run to test, by id or name (default: the newest)" },
    { "json", NULL, "print one JSON object on stdout instead of the table" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

static void show_notice(void *ctx, const char *line) { cli_error("%s", line); }

static void print_table(const char *db, const TestResult *r)
{
    const Summary *net = &r->results[0].s;
    printf("frozen-weight test of training run %lld (checkpoint at episode %lld)\n", (long long)r->train_run,
           (long long)r->checkpoint_episode);
    printf("task %s, %ld episodes, test seed %llu; every agent meets the same instances\n\n", r->title, r->episodes,
           (unsigned long long)r->seed);
    printf("%-10s %6s  %-18s %-18s %-18s", "agent", "run", "reward/trial", "regret", "P(best arm)");
    if (net->reversals) printf(" %-18s", "acc. 1-10 after rev.");
    printf("\n");
    for (int i = 0; i < r->n_results; i++) {
        const Summary *s = &r->results[i].s;
        /* "-" where a number is undefined, no "± SE" with one episode (core/numfmt.h) */
        NumText c1 = num_pm(s->reward_per_trial.mean, moments_se(&s->reward_per_trial), 4, 4, 'f');
        NumText c2 = num_pm(s->regret.n ? s->regret.mean : NAN, moments_se(&s->regret), 3, 3, 'f');
        NumText c3 = num_pm(s->p_best.n ? s->p_best.mean : NAN, moments_se(&s->p_best), 4, 4, 'f');
        NumText c4 = num_pm(s->post_reversal.n ? s->post_reversal.mean : NAN, moments_se(&s->post_reversal), 4, 4, 'f');
        printf("%-10s %6lld  %-18s %-18s %-18s", r->results[i].agent, (long long)r->results[i].run, c1.s, c2.s, c3.s);
        if (net->reversals) printf(" %-18s", c4.s);
        printf("\n");
    }
    printf("\nregret is over %d trials (sum of max p - p chosen); ± is one standard error across episodes.\n",
           r->max_trials);
    printf("stored in %s: test run %lld (trials, V, RPE%s) and the reference runs beside it\n", db,
           (long long)r->test_run, r->n_units ? ", unit rates" : "");
}

static int test_run(CmdArgs *a)
{
    char err[1024];
    CliEvalProgress shown;
    cli_eval_progress_init(&shown);
    int quiet = arg_has(a, "quiet");
    TestSettings s = { arg_flag(a, "db"), 0, a->cfg, metarl_version, &cli_stop_signal,
                       quiet ? NULL : cli_eval_progress, &shown, quiet ? NULL : show_notice };
    if (!s.db) s.db = "metarl.db";
    if (arg_has(a, "run") && arg_run_id(a, arg_flag(a, "run"), &s.run) != EXIT_OK) return EXIT_USAGE;
    cli_catch_signals();
    static TestResult r;   /* large: 17 summaries */
    int status = test_job_run(&s, &r, err, sizeof err);
    if (status != EXIT_OK) {
        cli_error("%s", err);
    } else {
        if (arg_has(a, "json")) fputs(r.json ? r.json : "{}\n", stdout);
        else print_table(s.db, &r);
        if (r.stopped) {
            cli_error("interrupted; completed episodes are stored");
            status = 128 + r.stopped;
        }
    }
    test_result_clear(&r);
    return status;
}

const Command cmd_test = {
    "test", "[--db FILE] [--run ID] [--episodes N] [--seed S] [--json]",
    "test a trained network with frozen weights on fresh instances, beside the reference agents",
    "Task settings may be changed for the test (e.g. --dist dependent on a network trained on\n"
    "independent arms, or --schedule blocks on one trained on reversals) as long as the network's\n"
    "inputs stay the same; they are checked against the task of the tested run (or --task). The\n"
    "network's own settings come from its training run. --run takes a run id or a run name.",
    test_declare_cli, test_flags, 0, 0, test_run
};
