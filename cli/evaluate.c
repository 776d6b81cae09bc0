/* cli/evaluate.c: the progress line and summary table of an evaluation
** (see evaluate.h); the episodes themselves are played by jobs/evaluate.c. */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/evaluate.h"
#include "core/numfmt.h"

void cli_eval_progress_init(CliEvalProgress *p)
{
    p->last = 0.0;
    p->tty = isatty(2);
}

void cli_eval_progress(void *ctx, const char *label, long done, long total, double elapsed_s)
{
    CliEvalProgress *p = ctx;
    if (done < 0) {   /* the end: clear a line left on the terminal */
        if (p->tty && elapsed_s > 0.25) fprintf(stderr, "\r%*s\r", 60, "");
        return;
    }
    if (elapsed_s - p->last <= (p->tty ? 0.25 : 10.0)) return;
    p->last = elapsed_s;
    fprintf(stderr, p->tty ? "\r%s: episode %ld/%ld  %.0f episodes/s   " : "%s: episode %ld/%ld  %.0f episodes/s\n",
            label, done, total, done / elapsed_s);
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
        for (int k = 1; k <= SUMMARY_REVERSAL_LAGS; k++)   /* "-": no episode went on that long after a reversal */
            printf(" %s", num_text(summary_lag_accuracy(s, k), 2, 'f').s);
        printf("\n");
    }
}
