/* tests/test_agents.c: the reference agents (model/agent*.c) on hand-built
** sequences, their registry and settings, the tasks they refuse, and one
** behavioural comparison (ideal observer vs win-stay/lose-shift on reversal).
**
** Expected values in the hand-built tests are worked out in the comments
** next to them from the update rules in each agent file's header. Seeds are
** fixed; statistical checks use margins of a few standard errors computed
** from the same runs.
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

#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "analysis/neural.h"
#include "core/belief.h"
#include "core/config.h"
#include "core/episode.h"
#include "core/rng.h"
#include "core/running_mean.h"
#include "core/summary.h"
#include "model/agent.h"
#include "model/agents/agent_impl.h"
#include "model/agents/agent_observer.h"
#include "model/runner.h"
#include "tasks/task.h"
#include "tests/helpers/testutil.h"

#define TOL 1e-12


/* The agent's action values through rw's trace() units. */
static void rw_q(const Rig *g, double q[2])
{
    AgentTrace tr = { NAN, NULL, 0, 0, NULL, 0, 0, NULL };
    g->agent->type->trace(g->agent->state, &tr);
    assert_int_equal(tr.n_units, 2);
    q[0] = tr.units[0];
    q[1] = tr.units[1];
}

static int act(Rig *g, double probs[2])
{
    probs[0] = probs[1] = NAN;
    return g->agent->type->act(g->agent->state, NULL, g->r, probs);
}

static void learn(Rig *g, int a, double reward)
{
    g->agent->type->learn(g->agent->state, a, reward);
}

static void mean_se(const double *x, long n, double *m, double *se)
{
    double s = 0.0, ss = 0.0;
    for (long i = 0; i < n; i++) s += x[i];
    *m = s / n;
    for (long i = 0; i < n; i++) ss += (x[i] - *m) * (x[i] - *m);
    *se = sqrt(ss / (n - 1) / n);
}

/* ---- registry and settings ------------------------------------------------ */

static void registry_lists_every_agent_with_documented_settings(void **state)
{
    (void)state;
    static const char *expected[] = { "random", "wsls", "rw", "thompson", "ucb1", "greedy",
                                      "bayes", "observer", "mf", "mb", "hybrid", "volobs" };
    int n = 0;
    for (const AgentType *const *t = agent_types; *t; t++, n++) {
        const AgentType *a = *t;
        assert_true(n < 12);
        assert_string_equal(a->name, expected[n]);
        assert_true(a->summary && a->summary[0]);
        assert_non_null(a->params);
        assert_non_null(a->alloc);
        assert_non_null(a->reset);
        assert_non_null(a->act);
        assert_non_null(a->learn);
        assert_non_null(a->free);
        assert_ptr_equal(agent_lookup(a->name), a);
        /* every parameter belongs to its agent, has help, and its default is valid */
        char sel[64];
        snprintf(sel, sizeof sel, "agent.name=%s", a->name);
        const char *sets[] = { sel, NULL };
        Config *c = test_config(sets);
        for (const OptSpec *p = a->params; p->section; p++) {
            assert_string_equal(p->section, "agent");
            assert_string_equal(p->owner, a->name);
            assert_true(p->help && p->help[0]);
            assert_non_null(p->def);
            char err[256];
            if (config_set(c, "agent", p->key, p->def, "default", err, sizeof err) != 0)
                fail_msg("default of agent.%s: %s", p->key, err);
            assert_ptr_equal(config_spec(c, "agent", p->key), p);
        }
        config_free(c);
    }
    assert_int_equal(n, 12);
    assert_null(agent_lookup("nope"));
    assert_null(agent_lookup(NULL));
}

static void unknown_agent_name_is_refused_with_the_list(void **state)
{
    (void)state;
    Config *c = test_config(NULL);
    char err[512];
    assert_int_equal(config_set(c, "agent", "name", "oracle", "--agent", err, sizeof err), -1);
    assert_non_null(strstr(err, "random|wsls|rw|thompson|ucb1|greedy|bayes|observer"));
    /* another agent's parameter does not apply */
    assert_int_equal(config_set(c, "agent", "name", "wsls", "--agent", err, sizeof err), 0);
    assert_int_equal(config_set(c, "agent", "beta", "3", "--beta", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), -1);
    assert_non_null(strstr(err, "agent.beta"));
    config_free(c);
}

static void agents_refuse_tasks_they_cannot_serve(void **state)
{
    (void)state;
    static const struct { const char *sets[4]; const char *words[4]; } cases[] = {
        { { "task.name=bandit", "task.dist=independent", "agent.name=observer", NULL },
          { "agent observer", "bandit", "independent", "reversal" } },
        { { "task.name=bandit", "task.dist=dependent", "agent.name=observer", NULL },
          { "agent observer", "dependent", "easy|medium|hard|fixed", NULL } },
        { { "task.name=reversal", "agent.name=bayes", NULL },
          { "agent bayes", "reversal", "bandit with dist independent|dependent", NULL } },
        { { "task.name=bandit", "task.trials=151", "agent.name=bayes", NULL },
          { "agent bayes", "151", "1..150", NULL } },
        { { "task.name=reversal", "agent.name=observer", "agent.hazard=-0.5", NULL },
          { "agent.hazard", "-0.5", NULL, NULL } },
        { { "task.name=bandit", "agent.name=rw", "agent.alpha_neg=-0.2", NULL },
          { "agent.alpha_neg", "-1 to use agent.alpha", NULL, NULL } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Config *c = test_config(cases[i].sets);
        char err[512] = "";
        Task *t = task_alloc(c, err, sizeof err);
        if (!t) fail_msg("task_alloc: %s", err);
        Agent *a = agent_alloc(c, &t->info, err, sizeof err);
        if (a) fail_msg("case %zu: agent accepted a task it should refuse", i);
        assert_null(strchr(err, '\n'));
        for (int w = 0; w < 4 && cases[i].words[w]; w++)
            if (!strstr(err, cases[i].words[w]))
                fail_msg("case %zu: message lacks '%s': %s", i, cases[i].words[w], err);
        task_free(t);
        config_free(c);
    }
}

static void bandit_pairs_match_the_task(void **state)
{
    (void)state;
    static const char *dists[] = { "easy", "medium", "hard", "fixed" };
    gsl_rng *r = rng_alloc();
    for (int d = 0; d < 4; d++)
        for (int shuffle = 0; shuffle < 2; shuffle++) {
            char ds[64], sh[64];
            snprintf(ds, sizeof ds, "task.dist=%s", dists[d]);
            snprintf(sh, sizeof sh, "task.shuffle=%d", shuffle);
            const char *sets[] = { "task.name=bandit", ds, sh, "task.p1=0.3", "task.p2=0.65", NULL };
            Config *c = test_config(sets);
            char err[256];
            Task *t = task_alloc(c, err, sizeof err);
            assert_non_null(t);
            double pair[2];
            int shuffled = -1;
            assert_int_equal(agent_bandit_pair(c, pair, &shuffled), 0);
            assert_int_equal(shuffled, shuffle);
            TaskFacts facts;   /* the one table: the bandit's own, through its facts */
            task_facts(t, &facts);
            assert_true(facts.fixed_pair && facts.pair[0] == pair[0] && facts.pair[1] == pair[1]);
            int seen[2] = { 0, 0 };
            for (int e = 0; e < 64; e++) {
                rng_seed_episode(r, 7, RNG_STREAM_TEST_TASK, (uint64_t)e);
                t->type->reset(t->state, r);
                TaskTruth tr;
                t->type->truth(t->state, &tr);
                int swapped = tr.p[0] == pair[1] && tr.p[1] == pair[0] && pair[0] != pair[1];
                if (!swapped && !(tr.p[0] == pair[0] && tr.p[1] == pair[1]))
                    fail_msg("dist %s: task arms (%g, %g) are not the pair (%g, %g)", dists[d],
                             tr.p[0], tr.p[1], pair[0], pair[1]);
                seen[swapped] = 1;
            }
            assert_int_equal(seen[1], shuffle);   /* unshuffled: always in listed order */
            assert_int_equal(seen[0], 1);
            task_free(t);
            config_free(c);
        }
    const char *indep[] = { "task.name=bandit", NULL };
    Config *c = test_config(indep);
    double pair[2];
    int shuffled;
    assert_int_equal(agent_bandit_pair(c, pair, &shuffled), -1);
    config_free(c);
    gsl_rng_free(r);
}

/* ---- one formula, one place ------------------------------------------------ */

/* The agents draw their actions with rng_categorical (core/rng.h), the
** network's sampler too (test_trainer: the network agent plays as the
** trainer does): an agent's action is rng_categorical of the policy it
** reports, from the generator as it was before the choice. */
static void agents_sample_with_the_one_categorical_sampler(void **state)
{
    (void)state;
    static const char *agents[][2] = { { "agent.name=rw", "agent.beta=2" },
                                       { "agent.name=wsls", "agent.epsilon=0.2" } };
    for (int k = 0; k < 2; k++) {
        const char *sets[] = { "task.name=bandit", agents[k][0], agents[k][1], NULL };
        Rig g = rig_alloc(sets, 12345);
        for (int t = 0; t < 200; t++) {
            gsl_rng *before = gsl_rng_clone(g.r);
            double p[2];
            const int a = act(&g, p);
            assert_int_equal(a, rng_categorical(p, 2, before));
            assert_true(gsl_rng_get(before) == gsl_rng_get(g.r));   /* one draw each */
            gsl_rng_free(before);
            learn(&g, a, (t * 7919) % 3 == 0 ? 1.0 : 0.0);
        }
        rig_free(&g);
    }
    /* the inverse-CDF rule itself: u < p0 gives 0 */
    gsl_rng *r = rng_alloc();
    gsl_rng_set(r, 3);
    gsl_rng *c = gsl_rng_clone(r);
    const double p[3] = { 0.2, 0.5, 0.3 };
    const double u = gsl_rng_uniform(c);
    assert_int_equal(rng_categorical(p, 3, r), u < 0.2 ? 0 : u < 0.2 + 0.5 ? 1 : 2);
    gsl_rng_free(c);
    gsl_rng_free(r);
}

/* The observer and the neural analyses' belief target share one filter
** (core/belief.h): on the observer's own episode, neural_reversal_belief
** gives the observer's beliefs bit for bit. The one difference left is
** theirs to pass: a reward in (0, 0.5] is a win for the observer, a loss for
** the analysis. */
static void observer_and_analysis_share_the_belief_filter(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=reversal", "task.p_high=0.8", "task.p_low=0.2", "task.hazard=0.05",
                           "agent.name=observer", NULL };
    Rig g = rig_alloc(sets, 12345);
    gsl_rng *rt = rng_alloc();
    rng_seed_episode(rt, 5, RNG_STREAM_TEST_TASK, 0);
    g.task->type->reset(g.task->state, rt);
    const int T = g.task->info.max_trials;
    EpisodeRecord *e = episode_alloc(T, 0);
    double *seen = malloc((size_t)T * sizeof(double)), *filt = malloc((size_t)T * sizeof(double));
    int done = 0;
    while (!done) {
        TrialRecord *tr = &e->trials[e->n_trials];
        seen[e->n_trials] = agent_observer_belief(g.agent->state);
        double p[2];
        tr->action = act(&g, p);
        tr->reward = g.task->type->step(g.task->state, tr->action, rt, &done);
        learn(&g, tr->action, tr->reward);
        e->n_trials++;
    }
    neural_reversal_belief(e, 0.8, 0.2, agent_observer_hazard(g.agent->state), filt);
    assert_memory_equal(seen, filt, (size_t)e->n_trials * sizeof(double));
    assert_true(belief_reversal_step(0.5, 0, 0.3, 0.0, 0.8, 0.2, 0.05)
                == belief_reversal_step(0.5, 0, 1.0, 0.5, 0.8, 0.2, 0.05));
    assert_true(belief_reversal_step(0.5, 0, 0.3, 0.5, 0.8, 0.2, 0.05)
                == belief_reversal_step(0.5, 0, 0.0, 0.0, 0.8, 0.2, 0.05));
    /* a missed trial: only the transition */
    assert_true(belief_reversal_step(0.9, -1, NAN, 0.5, 0.8, 0.2, 0.05) == 0.9 * 0.95 + 0.1 * 0.05);
    free(seen);
    free(filt);
    episode_free(e);
    gsl_rng_free(rt);
    rig_free(&g);
}

/* The episode summary (core/summary.h) and the analyses (analysis/regress.h)
** share RunningMean: the summary's means and standard errors are those of a
** RunningMean fed the same per-episode numbers. */
static void summary_means_are_the_running_mean(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=bandit", "agent.name=rw", NULL };
    Rig g = rig_alloc(sets, 12345);
    EpisodeRecord *e = episode_alloc(g.task->info.max_trials, 0);
    gsl_rng *rt = rng_alloc();
    Summary s;
    summary_init(&s);
    RunningMean regret = { 0 }, reward = { 0 };
    for (int k = 0; k < 30; k++) {
        rng_seed_episode(rt, 9, RNG_STREAM_TEST_TASK, (uint64_t)k);
        runner_episode(g.task, g.agent, rt, g.r, 0.9, e);
        summary_add(&s, e);
        running_mean_add(&regret, e->regret);
        running_mean_add(&reward, e->total_reward / e->n_trials);
    }
    assert_true(s.regret.mean == running_mean_value(&regret));
    assert_true(moments_se(&s.regret) == running_mean_se(&regret));
    assert_true(s.reward_per_trial.mean == running_mean_value(&reward));
    assert_true(moments_se(&s.reward_per_trial) == running_mean_se(&reward));
    episode_free(e);
    gsl_rng_free(rt);
    rig_free(&g);
}

/* ---- hand-built sequences --------------------------------------------------- */

static void random_policy_is_uniform(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=random", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    long n = 20000, ones = 0;
    for (long i = 0; i < n; i++) {
        ones += act(&g, p);
        assert_true(p[0] == 0.5 && p[1] == 0.5);
    }
    double se = sqrt(0.25 / n);
    if (fabs((double)ones / n - 0.5) > 4 * se)
        fail_msg("P(arm 1) = %g, expected 0.5 within 4 SE = %g", (double)ones / n, 4 * se);
    rig_free(&g);
}

static void wsls_stays_after_win_and_shifts_after_loss(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=wsls", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    act(&g, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);          /* first trial: uniform */
    learn(&g, 1, 1.0);                                 /* win on 1: stay */
    assert_int_equal(act(&g, p), 1);
    assert_true(p[0] == 0.0 && p[1] == 1.0);
    learn(&g, 1, 0.0);                                 /* loss on 1: shift to 0 */
    assert_int_equal(act(&g, p), 0);
    assert_true(p[0] == 1.0 && p[1] == 0.0);
    learn(&g, 0, 0.0);                                 /* loss on 0: shift to 1 */
    assert_int_equal(act(&g, p), 1);
    learn(&g, 1, 1.0);
    assert_int_equal(act(&g, p), 1);
    g.agent->type->reset(g.agent->state);              /* new episode: uniform again */
    act(&g, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);
    rig_free(&g);
}

static void wsls_lapse_gives_exact_stay_probabilities(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=wsls", "agent.epsilon=0.2", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    act(&g, p);
    learn(&g, 0, 1.0);
    act(&g, p);                       /* P(stay | win) = 1 - 0.2 + 0.2/2 = 0.9 */
    assert_close(p[0], 0.9, TOL);
    assert_close(p[1], 0.1, TOL);
    learn(&g, 0, 0.0);
    act(&g, p);                       /* P(stay | loss) = 0.2/2 = 0.1 */
    assert_close(p[0], 0.1, TOL);
    assert_close(p[1], 0.9, TOL);
    rig_free(&g);
}

static void rw_values_match_hand_computation(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=rw", "agent.alpha=0.3", "agent.beta=5", NULL };
    Rig g = rig_alloc(sets, 12345);
    double q[2], p[2];
    rw_q(&g, q);
    assert_true(q[0] == 0.5 && q[1] == 0.5);          /* q0 */
    learn(&g, 0, 1.0);   /* Q0 = 0.5 + 0.3 (1 - 0.5) = 0.65 */
    learn(&g, 1, 0.0);   /* Q1 = 0.5 + 0.3 (0 - 0.5) = 0.35 */
    learn(&g, 0, 0.0);   /* Q0 = 0.65 + 0.3 (0 - 0.65) = 0.455 */
    rw_q(&g, q);
    assert_close(q[0], 0.455, TOL);
    assert_close(q[1], 0.35, TOL);
    act(&g, p);          /* softmax: P(0) = 1 / (1 + exp(-5 (0.455 - 0.35))) */
    assert_close(p[0], 1.0 / (1.0 + exp(-5.0 * 0.105)), 1e-12);
    assert_close(p[0] + p[1], 1.0, TOL);
    AgentTrace tr = { NAN, NULL, 0, 0, NULL, 0, 0, NULL };
    int a = act(&g, p);
    g.agent->type->trace(g.agent->state, &tr);
    assert_close(tr.value, q[a], TOL);           /* value = Q of the chosen arm */
    rig_free(&g);
}

static void rw_asymmetric_rates_and_forgetting_match_hand_computation(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=rw", "agent.alpha_pos=0.5", "agent.alpha_neg=0.1",
                           "agent.forget=0.2", "agent.q0=0.4", NULL };
    Rig g = rig_alloc(sets, 12345);
    double q[2];
    learn(&g, 0, 1.0);   /* delta = 0.6 > 0: Q0 = 0.4 + 0.5*0.6 = 0.7; Q1 = 0.4 + 0.2 (0.4 - 0.4) = 0.4 */
    rw_q(&g, q);
    assert_close(q[0], 0.7, TOL);
    assert_close(q[1], 0.4, TOL);
    learn(&g, 1, 0.0);   /* delta = -0.4: Q1 = 0.4 - 0.1*0.4 = 0.36; Q0 = 0.7 + 0.2 (0.4 - 0.7) = 0.64 */
    rw_q(&g, q);
    assert_close(q[0], 0.64, TOL);
    assert_close(q[1], 0.36, TOL);
    learn(&g, 1, 1.0);   /* delta = 0.64: Q1 = 0.36 + 0.5*0.64 = 0.68; Q0 = 0.64 + 0.2 (0.4 - 0.64) = 0.592 */
    rw_q(&g, q);
    assert_close(q[0], 0.592, TOL);
    assert_close(q[1], 0.68, TOL);
    g.agent->type->reset(g.agent->state);
    rw_q(&g, q);
    assert_true(q[0] == 0.4 && q[1] == 0.4);
    rig_free(&g);
}

/* P(X_B > X_A) by quadrature: integral of f_A(x) (1 - I_x(aB, bB)) dx. */
typedef struct { double aA, bA, aB, bB; } BetaPair;
static double beta_integrand(double x, void *p)
{
    const BetaPair *b = p;
    return gsl_ran_beta_pdf(x, b->aA, b->bA) * (1.0 - gsl_sf_beta_inc(b->aB, b->bB, x));
}

static void thompson_probability_matches_closed_form_and_quadrature(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=thompson", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    act(&g, p);
    assert_close(p[0], 0.5, TOL);
    learn(&g, 0, 1.0);   /* Beta(2,1) vs Beta(1,1): P(theta0 > theta1) = int 2x * x dx = 2/3 */
    act(&g, p);
    assert_close(p[0], 2.0 / 3.0, TOL);
    /* a longer history: with the win above, arm 0 has 4 wins and 2 losses, arm 1 1 and 5 */
    static const int seq[][2] = { { 0, 1 }, { 0, 1 }, { 0, 0 }, { 0, 0 }, { 0, 1 },
                                  { 1, 1 }, { 1, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 } };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) learn(&g, seq[i][0], seq[i][1]);
    act(&g, p);          /* arm 0 ~ Beta(5, 3), arm 1 ~ Beta(2, 6) */
    BetaPair bp = { 5, 3, 2, 6 };
    gsl_function F = { beta_integrand, &bp };
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    double quad, abserr;
    gsl_integration_qag(&F, 0.0, 1.0, 1e-13, 1e-12, 200, GSL_INTEG_GAUSS41, w, &quad, &abserr);
    gsl_integration_workspace_free(w);
    if (fabs(p[1] - quad) > 1e-10)
        fail_msg("P(arm 1) = %.15g, quadrature %.15g", p[1], quad);
    /* and the choice frequency at this state agrees with that probability */
    long n = 20000, ones = 0;
    for (long i = 0; i < n; i++) ones += act(&g, p);
    double se = sqrt(quad * (1 - quad) / n);
    if (fabs((double)ones / n - quad) > 4 * se)
        fail_msg("frequency of arm 1 %g vs probability %g (4 SE = %g)", (double)ones / n, quad, 4 * se);
    rig_free(&g);
}

static void greedy_chooses_as_computed_by_hand(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=greedy", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    act(&g, p);                        /* 1/2 vs 1/2: tie */
    assert_true(p[0] == 0.5 && p[1] == 0.5);
    learn(&g, 0, 1.0);
    learn(&g, 0, 0.0);                 /* arm 0: 2/4 = 1/2, arm 1: 1/2: tie again */
    act(&g, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);
    learn(&g, 1, 0.0);                 /* arm 1: 1/3 < 1/2 */
    assert_int_equal(act(&g, p), 0);
    assert_true(p[0] == 1.0 && p[1] == 0.0);
    learn(&g, 0, 0.0);                 /* arm 0: 2/5 = 0.4 > 1/3 */
    assert_int_equal(act(&g, p), 0);
    learn(&g, 0, 0.0);                 /* arm 0: 2/6 = 1/3 = arm 1: tie */
    act(&g, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);
    learn(&g, 1, 1.0);                 /* arm 1: 2/4 = 1/2 > 1/3 */
    assert_int_equal(act(&g, p), 1);
    /* ties are broken both ways */
    g.agent->type->reset(g.agent->state);
    int seen[2] = { 0, 0 };
    for (int i = 0; i < 64; i++) seen[act(&g, p)] = 1;
    assert_true(seen[0] && seen[1]);
    rig_free(&g);
}

static void ucb1_plays_each_arm_once_then_follows_the_bound(void **state)
{
    (void)state;
    const char *sets[] = { "agent.name=ucb1", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    assert_int_equal(act(&g, p), 0);   /* initial round, in order */
    assert_true(p[0] == 1.0 && p[1] == 0.0);
    learn(&g, 0, 1.0);
    assert_int_equal(act(&g, p), 1);
    learn(&g, 1, 0.0);
    /* n=2: arm 0: 1 + sqrt(2 ln 2 / 1) = 2.18; arm 1: 0 + sqrt(2 ln 2) = 1.18 */
    assert_int_equal(act(&g, p), 0);
    learn(&g, 0, 0.0);
    /* n=3: arm 0: 1/2 + sqrt(2 ln 3 / 2) = 1.548; arm 1: sqrt(2 ln 3) = 1.482 */
    assert_int_equal(act(&g, p), 0);
    learn(&g, 0, 0.0);
    /* n=4: arm 0: 1/3 + sqrt(2 ln 4 / 3) = 1.295; arm 1: sqrt(2 ln 4) = 1.665 */
    assert_int_equal(act(&g, p), 1);
    assert_true(p[0] == 0.0 && p[1] == 1.0);
    learn(&g, 1, 1.0);
    /* n=5: arm 0: 1/3 + sqrt(2 ln 5 / 3) = 1.367; arm 1: 1/2 + sqrt(2 ln 5 / 2) = 1.769 */
    assert_int_equal(act(&g, p), 1);
    rig_free(&g);
    /* c = 0: pure empirical mean; arm 0 at 1/2 vs arm 1 at 1/2 is a tie */
    const char *sets0[] = { "agent.name=ucb1", "agent.c=0", NULL };
    g = rig_alloc(sets0, 12345);
    learn(&g, 0, 1.0);
    learn(&g, 0, 0.0);
    learn(&g, 1, 1.0);
    learn(&g, 1, 0.0);
    act(&g, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);
    rig_free(&g);
}

static void observer_belief_matches_hand_posterior(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=reversal", "task.p_high=0.8", "task.p_low=0.2",
                           "task.hazard=0.05", "agent.name=observer", NULL };
    Rig g = rig_alloc(sets, 12345);
    double p[2];
    void *s = g.agent->state;
    assert_close(agent_observer_belief(s), 0.5, TOL);
    act(&g, p);
    assert_true(p[0] == 0.5 && p[1] == 0.5);          /* b = 1/2: tie */
    learn(&g, 0, 1.0);
    /* Bayes: 0.5*0.8 / (0.5*0.8 + 0.5*0.2) = 0.8; transition: 0.8*0.95 + 0.2*0.05 = 0.77 */
    double b = 0.77;
    assert_close(agent_observer_belief(s), b, TOL);
    assert_int_equal(act(&g, p), 0);
    assert_true(p[0] == 1.0);
    AgentTrace tr = { NAN, NULL, 0, 0, NULL, 0, 0, NULL };
    g.agent->type->trace(s, &tr);                      /* E[r] = 0.77*0.8 + 0.23*0.2 = 0.662 */
    assert_close(tr.value, 0.662, TOL);
    learn(&g, 0, 0.0);
    /* Bayes: 0.77*0.2 / (0.77*0.2 + 0.23*0.8) = 0.154/0.338; transition */
    b = 0.154 / 0.338;
    b = b * 0.95 + (1 - b) * 0.05;
    assert_close(agent_observer_belief(s), b, TOL);   /* 0.4600591716 */
    assert_int_equal(act(&g, p), 1);
    learn(&g, 1, 1.0);
    /* reward on arm 1: likelihood 0.2 if arm 0 is good, 0.8 if arm 1 is */
    double b3 = b * 0.2 / (b * 0.2 + (1 - b) * 0.8);
    b3 = b3 * 0.95 + (1 - b3) * 0.05;
    assert_close(agent_observer_belief(s), b3, TOL);
    g.agent->type->reset(s);
    assert_close(agent_observer_belief(s), 0.5, TOL);
    rig_free(&g);

    /* a known first good arm (task.start = 2 means arm 1) */
    const char *sets2[] = { "task.name=reversal", "task.start=2", "agent.name=observer", NULL };
    g = rig_alloc(sets2, 12345);
    assert_close(agent_observer_belief(g.agent->state), 0.0, TOL);
    assert_int_equal(act(&g, p), 1);
    rig_free(&g);
}

static void observer_hazard_follows_the_schedule(void **state)
{
    (void)state;
    static const struct { const char *sets[5]; double h; } cases[] = {
        { { "task.name=reversal", "task.hazard=0.025", "agent.name=observer", NULL }, 0.025 },
        /* 6 blocks over 55+15+20+15+20+35 = 160 trials */
        { { "task.name=reversal", "task.schedule=blocks", "agent.name=observer", NULL }, 6.0 / 160.0 },
        /* crit_k = 8, delay_hazard = 0.5: 1 / (8 - 1 + 2) */
        { { "task.name=reversal", "task.schedule=criterion", "task.delay_hazard=0.5",
            "agent.name=observer", NULL }, 1.0 / 9.0 },
        { { "task.name=reversal", "agent.hazard=0.1", "agent.name=observer", NULL }, 0.1 },
        { { "task.name=bandit", "task.dist=hard", "agent.name=observer", NULL }, 0.0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Rig g = rig_alloc(cases[i].sets, 12345);
        assert_close(agent_observer_hazard(g.agent->state), cases[i].h, TOL);
        rig_free(&g);
    }
    /* unshuffled easy pair: arm 0 is known to be the good one */
    const char *sets[] = { "task.name=bandit", "task.dist=easy", "task.shuffle=0",
                           "agent.name=observer", NULL };
    Rig g = rig_alloc(sets, 12345);
    assert_close(agent_observer_belief(g.agent->state), 1.0, TOL);
    learn(&g, 0, 0.0);
    assert_close(agent_observer_belief(g.agent->state), 1.0, TOL);
    rig_free(&g);
}

/* ---- through the runner ------------------------------------------------------ */

static void every_agent_runs_every_task_it_accepts(void **state)
{
    (void)state;
    static const char *tasks[][4] = {
        { "task.name=bandit", "task.dist=independent", NULL },
        { "task.name=bandit", "task.dist=dependent", NULL },
        { "task.name=bandit", "task.dist=fixed", "task.p1=0.2", NULL },
        { "task.name=reversal", NULL },
        { "task.name=reversal", "task.schedule=blocks", NULL },
        { "task.name=reversal", "task.schedule=criterion", NULL },
    };
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    int n_served = 0;
    for (const AgentType *const *at = agent_types; *at; at++)
        for (size_t k = 0; k < sizeof tasks / sizeof tasks[0]; k++) {
            const char *sets[6];
            char sel[64];
            int m = 0;
            for (int j = 0; tasks[k][j]; j++) sets[m++] = tasks[k][j];
            snprintf(sel, sizeof sel, "agent.name=%s", (*at)->name);
            sets[m++] = sel;
            sets[m] = NULL;
            Config *c = test_config(sets);
            char err[512] = "";
            Task *t = task_alloc(c, err, sizeof err);
            assert_non_null(t);
            Agent *a = agent_alloc(c, &t->info, err, sizeof err);
            if (!a) {
                if (!strstr(err, (*at)->name)) fail_msg("refusal does not name the agent: %s", err);
                task_free(t);
                config_free(c);
                continue;
            }
            n_served++;
            EpisodeRecord *rec = episode_alloc(t->info.max_trials, 0);
            int first[2][256];
            for (int rep = 0; rep < 2; rep++)
                for (int e = 0; e < 3; e++) {
                    rng_seed_episode(rt, 3, RNG_STREAM_TEST_TASK, (uint64_t)e);
                    rng_seed_episode(ra, 3, RNG_STREAM_TEST_POLICY, (uint64_t)e);
                    runner_episode(t, a, rt, ra, 0.9, rec);
                    assert_int_equal(rec->n_trials, t->info.max_trials);
                    for (int i = 0; i < rec->n_trials; i++) {
                        const TrialRecord *tr = &rec->trials[i];
                        assert_true(tr->action == 0 || tr->action == 1);
                        if (!isnan(tr->probs[0])) {
                            assert_true(tr->probs[0] >= 0 && tr->probs[1] >= 0);
                            assert_close(tr->probs[0] + tr->probs[1], 1.0, 1e-12);
                            assert_true(tr->probs[tr->action] > 0);
                        }
                        if (e == 0 && i < 256) {
                            if (rep == 0) first[0][i] = tr->action;
                            else if (first[0][i] != tr->action)
                                fail_msg("agent %s is not deterministic given its seeds", (*at)->name);
                        }
                    }
                }
            episode_free(rec);
            agent_free(a);
            task_free(t);
            config_free(c);
        }
    /* 6 agents serve all 6 tasks, bayes the 3 bandits, observer the fixed pair + 3 reversals */
    assert_int_equal(n_served, 6 * 6 + 3 + 4);
    gsl_rng_free(rt);
    gsl_rng_free(ra);
}

static void rw_rpe_with_gamma_zero_is_the_rescorla_wagner_delta(void **state)
{
    (void)state;
    const char *sets[] = { "task.name=bandit", "agent.name=rw", "agent.alpha=0.25", NULL };
    Rig g = rig_alloc(sets, 12345);
    EpisodeRecord *rec = episode_alloc(g.task->info.max_trials, 0);
    gsl_rng *rt = rng_alloc();
    rng_seed_episode(rt, 11, RNG_STREAM_TEST_TASK, 0);
    runner_episode(g.task, g.agent, rt, g.r, 0.0, rec);
    double q[2] = { 0.5, 0.5 };     /* replay the RW rule by hand */
    for (int i = 0; i < rec->n_trials; i++) {
        const TrialRecord *tr = &rec->trials[i];
        double delta = tr->reward - q[tr->action];
        assert_close(tr->value, q[tr->action], TOL);
        assert_close(tr->rpe, delta, TOL);
        q[tr->action] += 0.25 * delta;
    }
    episode_free(rec);
    gsl_rng_free(rt);
    rig_free(&g);
}

/* P(best arm) per episode, paired across agents through the episode seeds. */
static void p_best(const char *agent, long n, double *out)
{
    char sel[64];
    snprintf(sel, sizeof sel, "agent.name=%s", agent);
    const char *sets[] = { "task.name=reversal", "task.p_high=0.8", "task.p_low=0.2",
                           "task.hazard=0.05", sel, NULL };
    Rig g = rig_alloc(sets, 12345);
    EpisodeRecord *rec = episode_alloc(g.task->info.max_trials, 0);
    gsl_rng *rt = rng_alloc();
    for (long e = 0; e < n; e++) {
        rng_seed_episode(rt, 2024, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(g.r, 2024, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(g.task, g.agent, rt, g.r, 1.0, rec);
        int hit = 0;
        for (int i = 0; i < rec->n_trials; i++) hit += rec->trials[i].action == rec->trials[i].truth.best;
        out[e] = (double)hit / rec->n_trials;
    }
    episode_free(rec);
    gsl_rng_free(rt);
    rig_free(&g);
}

static void observer_beats_wsls_on_reversal(void **state)
{
    (void)state;
    enum { N = 2000 };
    double *obs = malloc(N * sizeof *obs), *ws = malloc(N * sizeof *ws), *d = malloc(N * sizeof *d);
    p_best("observer", N, obs);
    p_best("wsls", N, ws);
    for (int e = 0; e < N; e++) d[e] = obs[e] - ws[e];
    double m, se, mo, seo;
    mean_se(d, N, &m, &se);
    mean_se(obs, N, &mo, &seo);
    print_message("observer P(best) %.4f, minus wsls %.4f +- %.4f\n", mo, m, se);
    if (!(m > 3 * se)) fail_msg("observer - wsls P(best) = %g, not above 3 SE = %g", m, 3 * se);
    free(obs);
    free(ws);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_lists_every_agent_with_documented_settings),
        cmocka_unit_test(unknown_agent_name_is_refused_with_the_list),
        cmocka_unit_test(agents_refuse_tasks_they_cannot_serve),
        cmocka_unit_test(bandit_pairs_match_the_task),
        cmocka_unit_test(agents_sample_with_the_one_categorical_sampler),
        cmocka_unit_test(observer_and_analysis_share_the_belief_filter),
        cmocka_unit_test(summary_means_are_the_running_mean),
        cmocka_unit_test(random_policy_is_uniform),
        cmocka_unit_test(wsls_stays_after_win_and_shifts_after_loss),
        cmocka_unit_test(wsls_lapse_gives_exact_stay_probabilities),
        cmocka_unit_test(rw_values_match_hand_computation),
        cmocka_unit_test(rw_asymmetric_rates_and_forgetting_match_hand_computation),
        cmocka_unit_test(thompson_probability_matches_closed_form_and_quadrature),
        cmocka_unit_test(greedy_chooses_as_computed_by_hand),
        cmocka_unit_test(ucb1_plays_each_arm_once_then_follows_the_bound),
        cmocka_unit_test(observer_belief_matches_hand_posterior),
        cmocka_unit_test(observer_hazard_follows_the_schedule),
        cmocka_unit_test(every_agent_runs_every_task_it_accepts),
        cmocka_unit_test(rw_rpe_with_gamma_zero_is_the_rescorla_wagner_delta),
        cmocka_unit_test(observer_beats_wsls_on_reversal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
