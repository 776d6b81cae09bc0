/* cli/evaluate.c: many episodes of one agent (see evaluate.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/evaluate.h"
#include "cli/run_util.h"
#include "core/episode_writer.h"
#include "core/rng.h"
#include "model/runner.h"

/* Episodes go to the store through an EpisodeWriter, so that SQLite works on
   the second core while the agent plays the next episode. */
int eval_agent(Task *task, Agent *agent, const EvalOptions *o, Summary *s, char *err, size_t n_err)
{
    EpisodeRecord *own = NULL;
    EpisodeWriter *writer = NULL;
    gsl_rng *r_task = rng_alloc(), *r_agent = rng_alloc();
    int ret = -1;
    if (!r_task || !r_agent) {
        snprintf(err, n_err, "out of memory");
        goto done;
    }
    if (o->store) {
        EpisodeWriterOptions wo = { .run_id = o->run_id, .phase = "test", .with_activity = o->n_units > 0,
                                    .batch = o->batch > 0 ? o->batch : 100, .depth = 8,
                                    .max_trials = task->info.max_trials, .n_units = o->n_units };
        if (!(writer = episode_writer_start(o->store, &wo, err, n_err))) goto done;
    } else if (!(own = episode_alloc(task->info.max_trials, o->n_units))) {
        snprintf(err, n_err, "out of memory");
        goto done;
    }
    double t0 = now_s(), last = t0;
    int tty = isatty(2);
    ret = 0;
    for (long e = 0; e < o->episodes; e++) {
        if (cli_stop_signal) {
            ret = 128 + cli_stop_signal;
            break;
        }
        EpisodeRecord *rec = writer ? episode_writer_slot(writer) : own;
        if (!rec) break;   /* the writer failed: its message comes from finish */
        rng_seed_episode(r_task, o->seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(r_agent, o->seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, agent, r_task, r_agent, o->gamma, rec);
        summary_add(s, rec);
        if (writer) episode_writer_push(writer, e);
        double t = now_s();
        if (o->label && (t - last > (tty ? 0.25 : 10.0))) {
            last = t;
            fprintf(stderr, tty ? "\r%s: episode %ld/%ld  %.0f episodes/s   " : "%s: episode %ld/%ld  %.0f episodes/s\n",
                    o->label, e + 1, o->episodes, (e + 1) / (t - t0));
        }
    }
    if (o->label && tty && now_s() - t0 > 0.25) fprintf(stderr, "\r%*s\r", 60, "");
    /* interrupted or not, the episodes completed so far are kept */
    if (episode_writer_finish(writer, err, n_err) != 0) ret = -1;
done:
    episode_free(own);
    gsl_rng_free(r_task);
    gsl_rng_free(r_agent);
    return ret;
}

static void row(const char *what, double mean, double se, int digits)
{
    if (isnan(mean)) return;
    if (isnan(se)) printf("  %-40s %.*f\n", what, digits, mean);
    else printf("  %-40s %.*f ± %.*f\n", what, digits, mean, digits, se);
}

void eval_print(const Summary *s, const char *agent, int trials_per_episode)
{
    char what[64];
    printf("%s: %ld episodes, %ld trials\n", agent, s->episodes, s->trials);
    row("reward per trial", s->reward_per_trial.mean, moments_se(&s->reward_per_trial), 4);
    snprintf(what, sizeof what, "regret@%d", trials_per_episode);
    if (s->regret.n) row(what, s->regret.mean, moments_se(&s->regret), 3);
    if (s->p_best.n) row("P(best arm)", s->p_best.mean, moments_se(&s->p_best), 4);
    if (s->reversals > 0) {
        row("accuracy, trials 1-10 after a reversal", s->post_reversal.mean, moments_se(&s->post_reversal), 4);
        printf("  %-40s", "  by trial after reversal");
        for (int k = 1; k <= SUMMARY_REVERSAL_LAGS; k++) printf(" %.2f", summary_lag_accuracy(s, k));
        printf("\n");
    }
}
