/* core/summary.c: headline numbers over episodes (see summary.h). */
#include <math.h>
#include <string.h>

#include "core/summary.h"

void summary_init(Summary *s) { memset(s, 0, sizeof *s); }

void summary_add(Summary *s, const EpisodeRecord *e)
{
    int valid = 0, on_best = 0, with_best = 0, post_hits = 0, post_n = 0;
    for (int t = 0; t < e->n_trials; t++) {
        const TrialRecord *tr = &e->trials[t];
        if (tr->action < 0) continue;
        valid++;
        if (tr->truth.best >= 0) {
            with_best++;
            on_best += tr->action == tr->truth.best;
        }
        int lag = tr->truth.since_reversal + 1;
        if (tr->truth.block >= 1 && lag >= 1 && lag <= SUMMARY_REVERSAL_LAGS && tr->truth.best >= 0) {
            int hit = tr->action == tr->truth.best;
            s->lag_hits[lag - 1] += hit;
            s->lag_n[lag - 1] += 1;
            post_hits += hit;
            post_n++;
            if (lag == 1) s->reversals++;
        }
    }
    s->episodes++;
    s->trials += valid;
    if (valid > 0) running_mean_add(&s->reward_per_trial, e->total_reward / valid);
    running_mean_add(&s->regret, e->regret);
    if (with_best > 0) running_mean_add(&s->p_best, (double)on_best / with_best);
    if (post_n > 0) running_mean_add(&s->post_reversal, (double)post_hits / post_n);
}

double summary_lag_accuracy(const Summary *s, int k)
{
    if (k < 1 || k > SUMMARY_REVERSAL_LAGS || s->lag_n[k - 1] == 0) return NAN;
    return s->lag_hits[k - 1] / s->lag_n[k - 1];
}

void summary_json(const Summary *s, Json *j)
{
    json_kint(j, "episodes", s->episodes);
    json_kint(j, "trials", s->trials);
    json_knum(j, "reward_per_trial", s->reward_per_trial.mean);
    json_knum(j, "reward_per_trial_se", running_mean_se(&s->reward_per_trial));
    json_knum(j, "regret", s->regret.n ? s->regret.mean : NAN);
    json_knum(j, "regret_se", running_mean_se(&s->regret));
    json_knum(j, "p_best", s->p_best.n ? s->p_best.mean : NAN);
    json_knum(j, "p_best_se", running_mean_se(&s->p_best));
    if (s->reversals > 0) {
        double acc[SUMMARY_REVERSAL_LAGS];
        for (int k = 1; k <= SUMMARY_REVERSAL_LAGS; k++) acc[k - 1] = summary_lag_accuracy(s, k);
        json_kint(j, "reversals", s->reversals);
        json_knum(j, "post_reversal_accuracy", s->post_reversal.mean);
        json_knum(j, "post_reversal_accuracy_se", running_mean_se(&s->post_reversal));
        json_knums(j, "reversal_lag_accuracy", acc, SUMMARY_REVERSAL_LAGS);
    }
}
