/* model/agents/agent_volobs.c: the ideal observer of the volatility task
** (tasks/volatility.c; Behrens et al. 2007), agent.name = volobs.
**
** It knows the task's generative structure exactly (it reads the task's
** settings): the episode is task.stretches stretches, stable and volatile
** in turn, of task.stable_trials and task.volatile_trials trials; which kind
** comes first is a fair coin per episode (task.order = random) or fixed;
** the good arm pays stable_high / volatile_high and the other stable_low /
** volatile_low; in a volatile stretch the good arm swaps after blocks whose
** lengths are uniform on rev_min..rev_max, counted from the stretch's start
** (a block that would reach past the stretch's end brings no reversal); the
** first good arm is a fair coin unless task.start fixes it. Its hidden state
** at trial t is (o, g, d): o the order (0 stable first, 1 volatile first:
** the latent context, since with o known the kind of every trial is known),
** g the good arm, d the trials played so far in the current block (0 at a
** stretch's start and after a reversal). It keeps the exact posterior
** P(o, g, d | outcomes so far), a table of 2 x 2 x rev_max numbers, updated
** after each outcome (action a, reward r; a win when r > 0) by
**   Bayes    P(o, g, d) *= p^win (1 - p)^(1 - win),  p = the probability of
**            arm a under (o, g) at trial t; then normalised
**   time     to trial t + 1: at a stretch's start d = 0 (g carries over);
**            in a stable stretch nothing changes; in a volatile one the
**            block ends (g swaps, d = 0) with the hazard of its length,
**            h(d + 1) = P(D = d + 1) / P(D >= d + 1) = 1 / (rev_max - d)
**            for rev_min <= d + 1 <= rev_max (0 below), else d += 1.
** It counts trials itself (reset() starts at trial 0; one learn() a trial).
** Policy: greedy on the posterior expected reward of each arm,
** E[r | a] = sum P(o, g, d) p(a | o, g, t); values within 1e-12 tie and the
** tie is broken at random (agent_argmax).
**
** trace() value: E[r | the chosen arm] (AGENT_VALUE_TRIAL: the stored RPE is
** r - E[r]); units (2): P(arm 0 is the good arm) and P(trial t is in a
** volatile stretch), both before the choice (the tests read the posterior
** there). Serves task volatility only.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/agent.h"
#include "model/agents/agent_impl.h"

typedef struct {
    int n_trials, len[2], first_kind[2];   /* len[kind]; first_kind[o]: kind of stretch 0 under order o */
    double high[2], low[2], prior_o1, prior_g0;
    int rev_min, rev_max;
    int t;
    double *P, *Q;        /* (2 x 2 x rev_max) P[(o * 2 + g) * rev_max + d], Q scratch */
    double unit[2], expect;
} VolObs;

static const OptSpec volobs_params[] = { OPT_END };

static void volobs_free(void *state)
{
    VolObs *s = state;
    if (!s) return;
    free(s->P);
    free(s->Q);
    free(s);
}

/* The kind (0 stable, 1 volatile) of trial t under order o, and whether t
** is the first trial of a stretch. */
static int kind_at(const VolObs *s, int o, int t, int *starts)
{
    int pair = s->len[0] + s->len[1], k0 = s->first_kind[o], in = t % pair;
    if (starts) *starts = in == 0 || in == s->len[k0];
    return in < s->len[k0] ? k0 : 1 - k0;
}

/* Probability that arm a pays at trial t under (o, g). */
static double pay(const VolObs *s, int o, int g, int a, int t)
{
    int k = kind_at(s, o, t, NULL);
    return a == g ? s->high[k] : s->low[k];
}

static void *volobs_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    if (strcmp(agent_task_name(cfg), "volatility") != 0)
        return agent_refuse(err, n_err, "volobs", cfg, "task volatility");
    if (agent_check_actions(err, n_err, "volobs", cfg, ti, 2) != 0) return NULL;
    VolObs *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->len[0] = (int)config_int(cfg, "task", "stable_trials");
    s->len[1] = (int)config_int(cfg, "task", "volatile_trials");
    s->n_trials = (int)config_int(cfg, "task", "stretches") / 2 * (s->len[0] + s->len[1]);
    s->high[0] = config_double(cfg, "task", "stable_high");
    s->low[0] = config_double(cfg, "task", "stable_low");
    s->high[1] = config_double(cfg, "task", "volatile_high");
    s->low[1] = config_double(cfg, "task", "volatile_low");
    s->rev_min = (int)config_int(cfg, "task", "rev_min");
    s->rev_max = (int)config_int(cfg, "task", "rev_max");
    s->first_kind[0] = 0;
    s->first_kind[1] = 1;
    const char *order = config_str(cfg, "task", "order");
    s->prior_o1 = !strcmp(order, "stable") ? 0.0 : !strcmp(order, "volatile") ? 1.0 : 0.5;
    long start = config_int(cfg, "task", "start");
    s->prior_g0 = start == 1 ? 1.0 : start == 2 ? 0.0 : 0.5;
    s->P = calloc((size_t)4 * (size_t)s->rev_max, sizeof *s->P);
    s->Q = calloc((size_t)4 * (size_t)s->rev_max, sizeof *s->Q);
    if (!s->P || !s->Q) goto oom;
    return s;
oom:
    volobs_free(s);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

static double *cell(double *P, const VolObs *s, int o, int g, int d) { return &P[(o * 2 + g) * s->rev_max + d]; }

static void volobs_reset(void *state)
{
    VolObs *s = state;
    s->t = 0;
    memset(s->P, 0, (size_t)4 * (size_t)s->rev_max * sizeof *s->P);
    for (int o = 0; o < 2; o++)
        for (int g = 0; g < 2; g++)
            *cell(s->P, s, o, g, 0) = (o ? s->prior_o1 : 1 - s->prior_o1) * (g ? 1 - s->prior_g0 : s->prior_g0);
    s->expect = NAN;
}

static int volobs_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    (void)obs;
    VolObs *s = state;
    double q[2] = { 0, 0 }, good0 = 0, vol = 0;
    for (int o = 0; o < 2; o++)
        for (int g = 0; g < 2; g++)
            for (int d = 0; d < s->rev_max; d++) {
                double p = *cell(s->P, s, o, g, d);
                if (p == 0) continue;
                for (int a = 0; a < 2; a++) q[a] += p * pay(s, o, g, a, s->t);
                good0 += g == 0 ? p : 0;
                vol += kind_at(s, o, s->t, NULL) ? p : 0;
            }
    int a = agent_argmax(q, 2, 1e-12, r, probs);
    s->unit[0] = good0;
    s->unit[1] = vol;
    s->expect = q[a];
    return a;
}

/* The time step from trial t to t + 1 (above), P into Q and back. */
static void advance(VolObs *s)
{
    const int t1 = s->t + 1, n = 4 * s->rev_max;
    memset(s->Q, 0, (size_t)n * sizeof *s->Q);
    for (int o = 0; o < 2; o++) {
        int starts, k = kind_at(s, o, t1, &starts);
        for (int g = 0; g < 2; g++)
            for (int d = 0; d < s->rev_max; d++) {
                double p = *cell(s->P, s, o, g, d);
                if (p == 0) continue;
                if (starts || k == 0) {
                    *cell(s->Q, s, o, g, 0) += p;
                    continue;
                }
                double h = d + 1 < s->rev_min ? 0.0 : d + 1 >= s->rev_max ? 1.0 : 1.0 / (s->rev_max - d);
                *cell(s->Q, s, o, 1 - g, 0) += p * h;
                if (h < 1) *cell(s->Q, s, o, g, d + 1) += p * (1 - h);
            }
    }
    double *tmp = s->P;
    s->P = s->Q;
    s->Q = tmp;
}

static void volobs_learn(void *state, int action, double reward)
{
    VolObs *s = state;
    if (s->t >= s->n_trials) return;
    double z = 0, like[2][2];
    if ((action == 0 || action == 1) && isfinite(reward)) {   /* a missed trial skips the Bayes step */
        for (int o = 0; o < 2; o++)
            for (int g = 0; g < 2; g++) {
                double p = pay(s, o, g, action, s->t);
                like[o][g] = reward > 0 ? p : 1 - p;
                for (int d = 0; d < s->rev_max; d++) z += *cell(s->P, s, o, g, d) * like[o][g];
            }
        for (int o = 0; z > 0 && o < 2; o++)   /* an impossible outcome (z = 0) keeps the belief */
            for (int g = 0; g < 2; g++)
                for (int d = 0; d < s->rev_max; d++) *cell(s->P, s, o, g, d) *= like[o][g] / z;
    }
    if (s->t + 1 < s->n_trials) advance(s);
    s->t++;
}

static void volobs_trace(const void *state, AgentTrace *out)
{
    const VolObs *s = state;
    out->value = s->expect;
    out->units = s->unit;
    out->n_units = 2;
    out->n_pfc = 0;
}

const AgentType agent_volobs = {
    "volobs", "volatility: ideal observer, exact posterior over (stretch order, good arm, block age); greedy",
    volobs_params, volobs_alloc, volobs_reset, volobs_act, volobs_learn, volobs_free, volobs_trace,
    AGENT_VALUE_TRIAL, 0
};
