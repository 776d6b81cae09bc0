/* tests/test_volatility_observer.c: the volatility task's ideal observer
** (agent volobs, model/agents/agent_volobs.c) on hand-built sequences.
**
**   1. known order (stable first) and first good arm unknown: the posterior
**      P(arm 0 good) after win on 0, win on 0, loss on 1 is 0.75, 0.9 and
**      0.675 / 0.7 (Bayes' rule by hand with 0.75 / 0.25; no reversal in a
**      stable stretch), P(volatile) stays 0, and it chooses arm 0.
**   2. a deterministic schedule (order volatile, start arm 0, blocks of
**      exactly 3): whatever the outcomes, the posterior is 1 or 0 as the
**      schedule says (0 0 0 1 1 1 0 0 0, then the stable stretch keeps the
**      last good arm) and the greedy choice is the good arm.
**   3. order random, first arm random, blocks of 2 or 3, four stretches:
**      after each outcome of a seeded random sequence, P(arm 0 good) and
**      P(volatile) equal a direct computation here that enumerates every
**      schedule the task can draw (order, first arm, each block length) with
**      its prior probability and sums prior x likelihood (1e-12).
**   4. it refuses any other task with a message naming volatility.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "model/agent.h"
#include "tests/helpers/testutil.h"

#define TOL 1e-12

/* act(): the chosen arm, the policy, and the posterior it exposes. */
static int act(Rig *g, double probs[2], double *good0, double *vol)
{
    int a = g->agent->type->act(g->agent->state, NULL, g->r, probs);
    AgentTrace tr = { NAN, NULL, 0, 0 };
    g->agent->type->trace(g->agent->state, &tr);
    assert_int_equal(tr.n_units, 2);
    *good0 = tr.units[0];
    *vol = tr.units[1];
    return a;
}

static void hand_posterior(void **state)
{
    (void)state;
    Rig g = rig_alloc((const char *[]){ "task.name=volatility", "task.order=stable", "agent.name=volobs", NULL }, 3);
    double probs[2], b, v;
    const int acts[3] = { 0, 0, 1 };
    const double rewards[3] = { 1, 1, 0 }, want[4] = { 0.5, 0.75, 0.9, 0.675 / 0.7 };
    for (int t = 0; t < 4; t++) {
        act(&g, probs, &b, &v);
        assert_close(b, want[t], TOL);
        assert_close(v, 0.0, TOL);
        if (t > 0) assert_close(probs[0], 1.0, TOL);   /* arm 0 is the better bet */
        if (t < 3) g.agent->type->learn(g.agent->state, acts[t], rewards[t]);
    }
    rig_free(&g);
}

static void deterministic_schedule(void **state)
{
    (void)state;
    Rig g = rig_alloc((const char *[]){ "task.name=volatility", "task.order=volatile", "task.start=1", "task.rev_min=3",
                                        "task.rev_max=3", "task.volatile_trials=9", "task.stable_trials=6",
                                        "agent.name=volobs", NULL }, 5);
    const int good[15] = { 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    double probs[2], b, v;
    for (int t = 0; t < 15; t++) {
        int a = act(&g, probs, &b, &v);
        assert_close(b, good[t] == 0 ? 1.0 : 0.0, TOL);
        assert_close(v, t < 9 ? 1.0 : 0.0, TOL);
        assert_int_equal(a, good[t]);
        assert_close(probs[good[t]], 1.0, TOL);
        g.agent->type->learn(g.agent->state, t % 2, (t * 7) % 3 == 0 ? 1.0 : 0.0);   /* any outcomes */
    }
    rig_free(&g);
}

/* ---- the direct computation: every schedule ---------------------------------------------------------- */

enum { LS = 4, LV = 6, RMIN = 2, RMAX = 3, NSTR = 4, T = NSTR / 2 * (LS + LV) };
static const double HIGH[2] = { 0.75, 0.8 }, LOW[2] = { 0.25, 0.2 };

typedef struct {
    int acts[T];
    double rewards[T];
    double post0[T + 1], postv[T + 1], z[T + 1];   /* sums of prior x likelihood of trials < t */
} Sums;

/* One complete schedule: kind[t], good[t]; add its weight to the sums. */
static void add_schedule(Sums *S, const int *kind, const int *good, double prior)
{
    double w = prior;
    for (int t = 0; t <= T; t++) {
        if (t < T) {   /* the posterior before trial t */
            S->z[t] += w;
            S->post0[t] += good[t] == 0 ? w : 0;
            S->postv[t] += kind[t] ? w : 0;
        }
        if (t == T) break;
        int k = kind[t];
        double p = S->acts[t] == good[t] ? HIGH[k] : LOW[k];
        w *= S->rewards[t] > 0 ? p : 1 - p;
    }
}

/* Reversal positions of volatile stretch i (from trial `from` within it),
** chosen recursively; then on to the next stretch. */
static void walk(Sums *S, int vf, int i, int begin, int at, int *kind, int *rev, int g0, double prior)
{
    int kinds = (i + vf) % 2;
    if (i == NSTR) {
        int good[T], g = g0;
        for (int t = 0; t < T; t++) {
            if (rev[t]) g = 1 - g;
            good[t] = g;
        }
        add_schedule(S, kind, good, prior);
        return;
    }
    int len = kinds ? LV : LS;
    for (int t = begin; t < begin + len; t++) kind[t] = kinds;
    if (!kinds) {
        walk(S, vf, i + 1, begin + len, begin + len, kind, rev, g0, prior);
        return;
    }
    for (int d = RMIN; d <= RMAX; d++) {
        double p = prior / (RMAX - RMIN + 1);
        int next = at + d;
        if (next >= begin + len) {
            walk(S, vf, i + 1, begin + len, begin + len, kind, rev, g0, p);
            continue;
        }
        rev[next] = 1;
        walk(S, vf, i, begin, next, kind, rev, g0, p);
        rev[next] = 0;
    }
}

static void enumeration(void **state)
{
    (void)state;
    char v[4][48];
    snprintf(v[0], sizeof v[0], "task.stable_trials=%d", LS);
    snprintf(v[1], sizeof v[1], "task.volatile_trials=%d", LV);
    snprintf(v[2], sizeof v[2], "task.rev_min=%d", RMIN);
    snprintf(v[3], sizeof v[3], "task.rev_max=%d", RMAX);
    Rig g = rig_alloc((const char *[]){ "task.name=volatility", "task.stretches=4", v[0], v[1], v[2], v[3],
                                        "agent.name=volobs", NULL }, 9);
    for (int rep = 0; rep < 5; rep++) {
        Sums S;
        memset(&S, 0, sizeof S);
        for (int t = 0; t < T; t++) {
            S.acts[t] = gsl_rng_uniform(g.r) < 0.5;
            S.rewards[t] = gsl_rng_uniform(g.r) < 0.5 ? 1.0 : 0.0;
        }
        int kind[T], rev[T];
        memset(rev, 0, sizeof rev);
        for (int vf = 0; vf < 2; vf++)
            for (int g0 = 0; g0 < 2; g0++) walk(&S, vf, 0, 0, 0, kind, rev, g0, 0.25);
        g.agent->type->reset(g.agent->state);
        double probs[2], b, vol;
        for (int t = 0; t < T; t++) {
            act(&g, probs, &b, &vol);
            if (fabs(b - S.post0[t] / S.z[t]) > TOL || fabs(vol - S.postv[t] / S.z[t]) > TOL)
                fail_msg("sequence %d, trial %d: P(arm 0 good) %.15f, P(volatile) %.15f; enumeration %.15f, %.15f",
                         rep, t, b, vol, S.post0[t] / S.z[t], S.postv[t] / S.z[t]);
            g.agent->type->learn(g.agent->state, S.acts[t], S.rewards[t]);
        }
    }
    rig_free(&g);
}

static void refuses_other_tasks(void **state)
{
    (void)state;
    char err[512];
    Config *c = test_config((const char *[]){ "task.name=reversal", "agent.name=volobs", NULL });
    TaskInfo ti = { 2, 0, 100, 1, 0 };
    Agent *a = agent_alloc(c, &ti, err, sizeof err);
    assert_null(a);
    if (!strstr(err, "volobs") || !strstr(err, "volatility")) fail_msg("message: %s", err);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_posterior),
        cmocka_unit_test(deterministic_schedule),
        cmocka_unit_test(enumeration),
        cmocka_unit_test(refuses_other_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
