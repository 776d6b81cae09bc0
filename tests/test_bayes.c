/* tests/test_bayes.c: the Bayes-optimal bandit agent (model/agents/agent_bayes.c)
** checked by independent routes, and the ordering of the reference agents.
**
**   1. closed forms: V*(1) = 1/2 under every symmetric prior; V*(2) = 13/12
**      (independent: pull an arm, stay on 2/3 after a win, switch to 1/2
**      after a loss: 1/2 + (1/2)(2/3) + (1/2)(1/2)), 7/6 (dependent: after
**      either outcome the better arm has posterior mean 2/3), 1/2 + 5/8 for
**      the shuffled 0.75/0.25 pair; T max(p) when the sides are known;
**   2. a naive expectimax over the full history counts (s0, f0, s1, f1),
**      with the posterior written directly from the likelihood, for T <= 7;
**   3. simulation through runner_episode: the mean regret of >= 20,000
**      episodes against the DP's T E[max p] - V*(T), within 4 SE.
** Then, paired on the same episode seeds (same arms and reward coins) over
** 5,000 episodes: Bayes-optimal < Thompson < UCB1 < random in mean regret on
** independent bandits at T = 100, each difference above 3 SE, and
** Bayes-optimal below Thompson on the dependent bandit.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/episode.h"
#include "core/rng.h"
#include "model/agent.h"
#include "model/agents/agent_bayes.h"
#include "model/runner.h"
#include "tasks/task.h"
#include "tests/helpers/testutil.h"

enum {
    N_SIM = 20000,   /* episodes per DP-vs-simulation check */
    N_PAIRED = 5000  /* episodes per paired ordering check (the gaps are > 20 SE at this size) */
};

static void mean_se(const double *x, long n, double *m, double *se)
{
    double s = 0.0, ss = 0.0;
    for (long i = 0; i < n; i++) s += x[i];
    *m = s / n;
    for (long i = 0; i < n; i++) ss += (x[i] - *m) * (x[i] - *m);
    *se = sqrt(ss / (n - 1) / n);
}

/* Per-episode regret (and, if first_value is not NULL, the trace value on
** the first trial of episode 0) of `agent` on a bandit, episodes 0..n-1 of
** seed. task_sets: NULL-terminated task assignments. */
static void run_regret(const char *const *task_sets, const char *agent, long n, uint64_t seed,
                       double *regret, double *first_value)
{
    const char *sets[8];
    char sel[64], err[512];
    int k = 0;
    for (; task_sets[k]; k++) sets[k] = task_sets[k];
    snprintf(sel, sizeof sel, "agent.name=%s", agent);
    sets[k++] = sel;
    sets[k] = NULL;
    Config *c = test_config(sets);
    Task *t = task_alloc(c, err, sizeof err);
    if (!t) fail_msg("task_alloc: %s", err);
    Agent *a = agent_alloc(c, &t->info, err, sizeof err);
    if (!a) fail_msg("agent_alloc: %s", err);
    EpisodeRecord *rec = episode_alloc(t->info.max_trials, 0);
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    for (long e = 0; e < n; e++) {
        rng_seed_episode(rt, seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(ra, seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(t, a, rt, ra, 1.0, rec);
        regret[e] = rec->regret;
        if (e == 0 && first_value) *first_value = rec->trials[0].value;
    }
    gsl_rng_free(rt);
    gsl_rng_free(ra);
    episode_free(rec);
    agent_free(a);
    task_free(t);
    config_free(c);
}

/* ---- closed forms and brute force ----------------------------------------- */

static void dp_values_match_closed_forms(void **state)
{
    (void)state;
    assert_close(agent_bayes_value_independent(1), 0.5, 1e-15);
    assert_close(agent_bayes_value_independent(2), 13.0 / 12.0, 1e-15);
    assert_close(agent_bayes_value_dependent(1), 0.5, 1e-15);
    assert_close(agent_bayes_value_dependent(2), 7.0 / 6.0, 1e-15);
    assert_close(agent_bayes_value_pair(1, 0.75, 0.25, 0.5), 0.5, 1e-15);
    assert_close(agent_bayes_value_pair(2, 0.75, 0.25, 0.5), 1.125, 1e-15);
    /* known sides: always the better arm */
    assert_close(agent_bayes_value_pair(100, 0.3, 0.65, 1.0), 65.0, 1e-12);
    assert_close(agent_bayes_value_pair(100, 0.3, 0.65, 0.0), 30.0 + 35.0, 1e-12);
    /* equal arms: nothing to learn */
    assert_close(agent_bayes_value_pair(50, 0.4, 0.4, 0.5), 20.0, 1e-12);
}

typedef struct {
    int kind;             /* 0 independent, 1 dependent, 2 pair */
    double pa, pb, prior; /* pair */
} Prior;

/* P(success) on arm a given the history counts, from the likelihood. */
static double brute_mean(const Prior *p, const int s[2], const int f[2], int a)
{
    if (p->kind == 0) return (s[a] + 1.0) / (s[a] + f[a] + 2.0);
    if (p->kind == 1) {   /* p1 ~ U(0,1), p2 = 1 - p1: posterior Beta(1 + s0 + f1, 1 + f0 + s1) */
        double m = (1.0 + s[0] + f[1]) / (2.0 + s[0] + f[0] + s[1] + f[1]);
        return a == 0 ? m : 1.0 - m;
    }
    double l0 = pow(p->pa, s[0]) * pow(1 - p->pa, f[0]) * pow(p->pb, s[1]) * pow(1 - p->pb, f[1]);
    double l1 = pow(p->pb, s[0]) * pow(1 - p->pb, f[0]) * pow(p->pa, s[1]) * pow(1 - p->pa, f[1]);
    double pi = p->prior * l0 / (p->prior * l0 + (1 - p->prior) * l1);
    double pa0 = pi * p->pa + (1 - pi) * p->pb;
    return a == 0 ? pa0 : p->pa + p->pb - pa0;   /* = pi pb + (1-pi) pa */
}

/* Expectimax over every history: 4^left leaves. */
static double brute_value(const Prior *p, int s[2], int f[2], int left)
{
    if (left == 0) return 0.0;
    double best = -1.0;
    for (int a = 0; a < 2; a++) {
        double m = brute_mean(p, s, f, a), q;
        s[a]++;
        q = m * (1.0 + brute_value(p, s, f, left - 1));
        s[a]--;
        f[a]++;
        q += (1.0 - m) * brute_value(p, s, f, left - 1);
        f[a]--;
        if (q > best) best = q;
    }
    return best;
}

static void dp_matches_brute_force_expectimax_for_small_horizons(void **state)
{
    (void)state;
    const Prior ind = { 0, 0, 0, 0 }, dep = { 1, 0, 0, 0 }, pair = { 2, 0.7, 0.4, 0.5 },
                easy = { 2, 0.9, 0.1, 0.5 };
    for (int T = 1; T <= 7; T++) {
        int s[2] = { 0, 0 }, f[2] = { 0, 0 };
        assert_close(agent_bayes_value_independent(T), brute_value(&ind, s, f, T), 1e-12);
        assert_close(agent_bayes_value_dependent(T), brute_value(&dep, s, f, T), 1e-12);
        assert_close(agent_bayes_value_pair(T, 0.7, 0.4, 0.5), brute_value(&pair, s, f, T), 1e-12);
        assert_close(agent_bayes_value_pair(T, 0.9, 0.1, 0.5), brute_value(&easy, s, f, T), 1e-12);
    }
    /* T = 3 independent by hand: after a first win stay (2/3 (1 + 3/4) + 1/3 (1/2) = 4/3
    ** beats switching, 7/6); after a loss switch (1/2 (1 + 2/3) + 1/2 (1/3) = 1 beats 5/6):
    ** V* = 1/2 + (1/2)(4/3) + (1/2)(1) = 5/3 */
    assert_close(agent_bayes_value_independent(3), 5.0 / 3.0, 1e-14);
}

static void dp_refuses_horizons_out_of_range(void **state)
{
    (void)state;
    assert_true(isnan(agent_bayes_value_independent(0)));
    assert_true(isnan(agent_bayes_value_independent(AGENT_BAYES_MAX_T_INDEPENDENT + 1)));
    assert_true(isnan(agent_bayes_value_dependent(AGENT_BAYES_MAX_T_DEPENDENT + 1)));
    assert_true(isnan(agent_bayes_value_pair(AGENT_BAYES_MAX_T_PAIR + 1, 0.7, 0.3, 0.5)));
    assert_true(isnan(agent_bayes_value_pair(10, 1.0, 0.3, 0.5)));   /* shuffled sides need 0 < p < 1 */
    assert_false(isnan(agent_bayes_value_pair(10, 1.0, 0.3, 1.0)));  /* known sides do not */
}

/* ---- the agent's decisions --------------------------------------------------- */

static void dependent_dp_decisions_are_greedy(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=bandit", "task.dist=dependent", "agent.name=bayes", NULL };
    Config *c = test_config(sets);
    char err[256];
    Task *t = task_alloc(c, err, sizeof err);
    Agent *a = agent_alloc(c, &t->info, err, sizeof err);
    if (!a) fail_msg("%s", err);
    EpisodeRecord *rec = episode_alloc(t->info.max_trials, 0);
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    long ties = 0;
    for (int e = 0; e < 300; e++) {
        rng_seed_episode(rt, 5, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(ra, 5, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(t, a, rt, ra, 1.0, rec);
        int evidence = 0, n = 0;   /* evidence = s0 + f1 - (f0 + s1) */
        for (int i = 0; i < rec->n_trials; i++, n++) {
            const TrialRecord *tr = &rec->trials[i];
            double greedy0 = evidence > 0 ? 1.0 : evidence < 0 ? 0.0 : 0.5;
            if (tr->probs[0] != greedy0)
                fail_msg("episode %d trial %d: P(arm 0) = %g, greedy gives %g", e, i, tr->probs[0], greedy0);
            ties += evidence == 0;
            int win = tr->reward > 0;
            evidence += (tr->action == 0) == win ? 1 : -1;
        }
        (void)n;
    }
    assert_true(ties > 300);   /* every first trial, at least */
    gsl_rng_free(rt);
    gsl_rng_free(ra);
    episode_free(rec);
    agent_free(a);
    task_free(t);
    config_free(c);
}

static void bayes_equals_observer_on_symmetric_fixed_pairs(void **state)
{
    (void)state;
    /* For pa + pb = 1 the optimal policy is greedy on the posterior, which
    ** is what the ideal observer does: the two agents, written separately,
    ** must make the same choices on the same seeds. */
    static const char *dists[] = { "task.dist=medium", "task.dist=hard" };
    for (int d = 0; d < 2; d++) {
        const char *sets[] = { "task.name=bandit", dists[d], NULL };
        double *rb = malloc(500 * sizeof *rb), *ro = malloc(500 * sizeof *ro);
        run_regret(sets, "bayes", 500, 9, rb, NULL);
        run_regret(sets, "observer", 500, 9, ro, NULL);
        for (int e = 0; e < 500; e++)
            if (rb[e] != ro[e]) fail_msg("%s episode %d: regret %g vs %g", dists[d], e, rb[e], ro[e]);
        free(rb);
        free(ro);
    }
}

static void trace_value_is_the_expected_reward_to_go(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=bandit", "task.trials=100", NULL };
    double regret, v0 = NAN;
    run_regret(sets, "bayes", 1, 1, &regret, &v0);
    assert_close(v0, agent_bayes_value_independent(100), 1e-5 * 65);   /* stored as float */
}

/* ---- simulation against the DP ------------------------------------------------ */

/* Simulated mean regret of bayes against T E[max] - V*, within 4 SE. */
static void check_sim(const char *const *task_sets, double expected, const char *what)
{
    double *r = malloc(N_SIM * sizeof *r), m, se;
    run_regret(task_sets, "bayes", N_SIM, 77, r, NULL);
    mean_se(r, N_SIM, &m, &se);
    print_message("%s: simulated regret %.4f +- %.4f, DP %.4f\n", what, m, se, expected);
    if (!(fabs(m - expected) <= 4 * se))
        fail_msg("%s: simulated regret %g, DP %g, |difference| above 4 SE = %g", what, m, expected, 4 * se);
    free(r);
}

static void simulated_regret_matches_dp_independent_T100(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=bandit", "task.dist=independent", "task.trials=100", NULL };
    check_sim(sets, 100.0 * 2.0 / 3.0 - agent_bayes_value_independent(100), "independent T=100");
}

static void simulated_regret_matches_dp_independent_T2_T3(void **state)
{
    (void)state;
    const char *s2[] = { "task.name=bandit", "task.dist=independent", "task.trials=2", NULL };
    check_sim(s2, 2.0 * 2.0 / 3.0 - 13.0 / 12.0, "independent T=2");
    const char *s3[] = { "task.name=bandit", "task.dist=independent", "task.trials=3", NULL };
    check_sim(s3, 3.0 * 2.0 / 3.0 - agent_bayes_value_independent(3), "independent T=3");
}

static void simulated_regret_matches_dp_dependent_and_fixed_pairs(void **state)
{
    (void)state;
    const char *dep[] = { "task.name=bandit", "task.dist=dependent", NULL };
    check_sim(dep, 75.0 - agent_bayes_value_dependent(100), "dependent T=100");
    const char *med[] = { "task.name=bandit", "task.dist=medium", NULL };
    check_sim(med, 75.0 - agent_bayes_value_pair(100, 0.75, 0.25, 0.5), "medium T=100");
    /* an asymmetric pair, where the DP is not simply greedy */
    const char *fix[] = { "task.name=bandit", "task.dist=fixed", "task.p1=0.7", "task.p2=0.4",
                          "task.trials=50", NULL };
    check_sim(fix, 35.0 - agent_bayes_value_pair(50, 0.7, 0.4, 0.5), "fixed 0.7/0.4 T=50");
}

/* ---- ordering, paired on the same instances ------------------------------------ */

static void check_better(const double *lo, const double *hi, const char *lo_name,
                         const char *hi_name, long n)
{
    double *d = malloc((size_t)n * sizeof *d), m, se;
    for (long e = 0; e < n; e++) d[e] = hi[e] - lo[e];
    mean_se(d, n, &m, &se);
    print_message("regret(%s) - regret(%s) = %.4f +- %.4f\n", hi_name, lo_name, m, se);
    if (!(m > 3 * se))
        fail_msg("regret(%s) - regret(%s) = %g is not above 3 SE = %g", hi_name, lo_name, m, 3 * se);
    free(d);
}

static void ordering_bayes_thompson_ucb1_random_on_independent_T100(void **state)
{
    (void)state;
    static const char *names[] = { "bayes", "thompson", "ucb1", "random" };
    const char *sets[] = { "task.name=bandit", "task.dist=independent", "task.trials=100", NULL };
    double *r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = malloc(N_PAIRED * sizeof *r[i]);
        run_regret(sets, names[i], N_PAIRED, 31, r[i], NULL);
    }
    for (int i = 0; i < 3; i++) check_better(r[i], r[i + 1], names[i], names[i + 1], N_PAIRED);
    for (int i = 0; i < 4; i++) free(r[i]);
}

static void dependent_bayes_regret_below_thompson(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=bandit", "task.dist=dependent", "task.trials=100", NULL };
    double *rb = malloc(N_PAIRED * sizeof *rb), *rt = malloc(N_PAIRED * sizeof *rt);
    run_regret(sets, "bayes", N_PAIRED, 32, rb, NULL);
    run_regret(sets, "thompson", N_PAIRED, 32, rt, NULL);
    check_better(rb, rt, "bayes", "thompson", N_PAIRED);
    free(rb);
    free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dp_values_match_closed_forms),
        cmocka_unit_test(dp_matches_brute_force_expectimax_for_small_horizons),
        cmocka_unit_test(dp_refuses_horizons_out_of_range),
        cmocka_unit_test(dependent_dp_decisions_are_greedy),
        cmocka_unit_test(bayes_equals_observer_on_symmetric_fixed_pairs),
        cmocka_unit_test(trace_value_is_the_expected_reward_to_go),
        cmocka_unit_test(simulated_regret_matches_dp_independent_T100),
        cmocka_unit_test(simulated_regret_matches_dp_independent_T2_T3),
        cmocka_unit_test(simulated_regret_matches_dp_dependent_and_fixed_pairs),
        cmocka_unit_test(ordering_bayes_thompson_ucb1_random_on_independent_T100),
        cmocka_unit_test(dependent_bayes_regret_below_thompson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
