/* tests/test_tasks_more.c: the Harlow, baited-bandit and volatility tasks
** (tasks/harlow.c, tasks/baited.c, tasks/volatility.c) against known answers.
**
**   Harlow      the stage sequence (fixation, choice; 6 trials), what is seen
**               at each stage, rewards by side, truth and states; object
**               assignment (two different objects, each object of the set
**               equally often the rewarded one, an object the same vector in
**               every episode); sides swapped half the time; the runner's
**               trial and stage rows
**   baited      the baiting formula against values computed by hand for a
**               given choice sequence; the p0_L distributions of dist=train
**               and dist=test (ranges, their frequencies, means); reward
**               frequencies against the truth's p
**   volatility  stretch kinds and lengths and their probabilities; reversals
**               only in volatile stretches, 20-40 trials apart; the order
**               counterbalanced; the facts' hazard against the simulated
**               reversal rate; bad settings refused
**   all three   common random numbers: the same episode seed gives the same
**               instance and leaves the generator in the same state whatever
**               the actions
** Rates and means are checked within 5 standard errors at fixed seeds.
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
#include "model/runner.h"
#include "tasks/task.h"
#include "tests/helpers/testutil.h"

static Task *make_task(const char *const *assign, Config **keep)
{
    char err[512];
    Config *c = test_config(assign);
    Task *t = task_alloc(c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    if (keep) *keep = c;
    else config_free(c);
    return t;
}

/* The task named by the assignments must be refused with a message holding `needle`. */
static void assert_refused(const char *const *assign, const char *needle)
{
    char err[512] = "";
    Config *c = test_config(assign);
    Task *t = task_alloc(c, err, sizeof err);
    assert_null(t);
    if (!strstr(err, needle)) fail_msg("message '%s' does not name '%s'", err, needle);
    config_free(c);
}

static void assert_rate(double hits, double n, double p, const char *what)
{
    double se = sqrt(p * (1 - p) / n);
    if (fabs(hits / n - p) > 5 * se + 1e-12)
        fail_msg("%s: rate %.5f vs p %.5f over %.0f (5 SE = %.5f)", what, hits / n, p, n, 5 * se);
}

static void assert_mean(double sum, double n, double mu, double sd, const char *what)
{
    double se = sd / sqrt(n);
    if (fabs(sum / n - mu) > 5 * se + 1e-12)
        fail_msg("%s: mean %.5f vs %.5f over %.0f (5 SE = %.5f)", what, sum / n, mu, n, 5 * se);
}

/* Play one episode with actions from `policy` (0: always 0, 1: always 1,
** 2: coin flips from ra), return the number of steps; then one more draw
** from r, which tells whether the task drew a fixed count of numbers. */
static int play(Task *t, gsl_rng *r, gsl_rng *ra, int policy, char *json, size_t n, unsigned long *after)
{
    int done = 0, steps = 0;
    t->type->reset(t->state, r);
    while (!done) {
        int a = policy == 2 ? (int)(gsl_rng_uniform(ra) < 0.5) : policy;
        t->type->step(t->state, a, r, &done);
        steps++;
    }
    t->type->describe(t->state, json, n);
    *after = gsl_rng_get(r);
    return steps;
}

static void common_random_numbers_for(const char *const *assign)
{
    Task *t = make_task(assign, NULL);
    gsl_rng *r = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(ra, 5, RNG_STREAM_POLICY, 0);
    for (int e = 0; e < 20; e++) {
        char j0[EPISODE_INSTANCE_MAX], j1[EPISODE_INSTANCE_MAX], j2[EPISODE_INSTANCE_MAX];
        unsigned long a0, a1, a2;
        rng_seed_episode(r, 9, RNG_STREAM_TASK, (uint64_t)e);
        int s0 = play(t, r, ra, 0, j0, sizeof j0, &a0);
        rng_seed_episode(r, 9, RNG_STREAM_TASK, (uint64_t)e);
        int s1 = play(t, r, ra, 1, j1, sizeof j1, &a1);
        rng_seed_episode(r, 9, RNG_STREAM_TASK, (uint64_t)e);
        int s2 = play(t, r, ra, 2, j2, sizeof j2, &a2);
        assert_int_equal(s0, s1);
        assert_int_equal(s0, s2);
        assert_string_equal(j0, j1);
        assert_string_equal(j0, j2);
        assert_true(a0 == a1 && a0 == a2);
    }
    gsl_rng_free(r);
    gsl_rng_free(ra);
    task_free(t);
}

static void common_random_numbers(void **state)
{
    (void)state;
    common_random_numbers_for((const char *[]){ "task.name=harlow", NULL });
    common_random_numbers_for((const char *[]){ "task.name=baited", NULL });
    common_random_numbers_for((const char *[]){ "task.name=baited", "task.dist=test", NULL });
    common_random_numbers_for((const char *[]){ "task.name=volatility", NULL });
}

/* ---- Harlow ---- */

/* One Harlow stage, checked: what is seen, the truth, the reward. The
** rewarded object's vector is returned in good (F numbers). */
static double harlow_stage_checked(Task *t, int F, int stage, int a, gsl_rng *r, int *done, double *good)
{
    double obs[TASK_MAX_OBS];
    TaskTruth tr;
    assert_int_equal(t->type->stage(t->state), stage);
    t->type->truth(t->state, &tr);
    t->type->observe(t->state, obs);
    if (stage == 0) {
        assert_int_equal(tr.state, 0);
        assert_int_equal(tr.best, -1);
        assert_true(isnan(tr.p[0]) && isnan(tr.p[1]));
        assert_true(obs[0] == 1.0);
        for (int i = 1; i < 1 + 2 * F; i++) assert_true(obs[i] == 0.0);
    } else {
        int side = tr.state - 1;
        assert_true(side == 0 || side == 1);
        assert_int_equal(tr.best, side);
        assert_true(tr.p[side] == 1.0 && tr.p[1 - side] == 0.0);
        assert_true(obs[0] == 0.0);
        for (int i = 0; i < F; i++) good[i] = obs[1 + side * F + i];
    }
    double rew = t->type->step(t->state, a, r, done);
    if (stage == 0) assert_true(rew == 0.2);
    else assert_true(rew == (a == tr.state - 1 ? 1.0 : -1.0));
    return rew;
}

static void harlow_sequence(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=harlow", "task.fixation_reward=0.2", NULL }, NULL);
    const int F = 7;
    assert_int_equal(t->info.n_actions, 2);
    assert_int_equal(t->info.obs_dim, 1 + 2 * F);
    assert_int_equal(t->info.max_trials, 6);
    assert_int_equal(t->info.max_stages, 2);
    gsl_rng *r = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(ra, 2, RNG_STREAM_POLICY, 0);
    for (int e = 0; e < 50; e++) {
        rng_seed_episode(r, 4, RNG_STREAM_TASK, (uint64_t)e);
        t->type->reset(t->state, r);
        double good[TASK_MAX_OBS], first[TASK_MAX_OBS];
        int done = 0, steps = 0;
        while (!done) {
            int a = (int)(gsl_rng_uniform(ra) < 0.5);
            harlow_stage_checked(t, F, steps % 2, a, r, &done, good);
            if (steps == 1) memcpy(first, good, sizeof first);
            if (steps % 2) /* the rewarded object is the same on every trial */
                for (int i = 0; i < F; i++) assert_true(good[i] == first[i]);
            steps++;
            assert_int_equal(done, steps == 12);
        }
    }
    gsl_rng_free(r);
    gsl_rng_free(ra);
    task_free(t);
}

static void harlow_assignment(void **state)
{
    (void)state;
    enum { N_OBJ = 10, F = 3, EPISODES = 20000 };
    Task *t = make_task((const char *[]){ "task.name=harlow", "task.objects=10", "task.features=3", NULL }, NULL);
    gsl_rng *r = rng_alloc();
    double seen[N_OBJ][F];
    int known[N_OBJ] = { 0 }, as_rewarded[N_OBJ] = { 0 };
    double lower = 0, left = 0, n_sides = 0, swaps = 0, n_pairs = 0;
    for (int e = 0; e < EPISODES; e++) {
        rng_seed_episode(r, 6, RNG_STREAM_TASK, (uint64_t)e);
        t->type->reset(t->state, r);
        int done = 0, last_side = -1;
        double good[TASK_MAX_OBS];
        while (!done) {
            int stage = t->type->stage(t->state);
            TaskTruth tr;
            t->type->truth(t->state, &tr);
            if (stage == 1) {
                double obs[TASK_MAX_OBS];
                t->type->observe(t->state, obs);
                for (int i = 0; i < F; i++) good[i] = obs[1 + (tr.state - 1) * F + i];
                left += tr.state == 1;
                n_sides++;
                if (last_side >= 0) swaps += tr.state - 1 != last_side, n_pairs++;
                last_side = tr.state - 1;
            }
            t->type->step(t->state, 0, r, &done);
        }
        char json[EPISODE_INSTANCE_MAX];
        int o0, o1, rew;
        t->type->describe(t->state, json, sizeof json);
        assert_int_equal(sscanf(json, "{\"objects\":[%d,%d],\"rewarded\":%d", &o0, &o1, &rew), 3);
        assert_true(o0 != o1 && (rew == o0 || rew == o1));
        assert_true(rew >= 0 && rew < N_OBJ);
        as_rewarded[rew]++;
        lower += rew == (o0 < o1 ? o0 : o1);
        if (!known[rew]) memcpy(seen[rew], good, sizeof seen[rew]), known[rew] = 1;
        for (int i = 0; i < F; i++) assert_true(seen[rew][i] == good[i]);   /* one vector per object */
    }
    for (int k = 0; k < N_OBJ; k++) assert_rate(as_rewarded[k], EPISODES, 1.0 / N_OBJ, "object as the rewarded one");
    assert_rate(lower, EPISODES, 0.5, "the lower-numbered object rewarded");
    assert_rate(left, n_sides, 0.5, "rewarded object on the left");
    assert_rate(swaps, n_pairs, 0.5, "sides swapped between trials");
    for (int a = 0; a < N_OBJ; a++)   /* different objects, different vectors */
        for (int b = a + 1; b < N_OBJ; b++) assert_true(memcmp(seen[a], seen[b], sizeof seen[a]) != 0);
    gsl_rng_free(r);
    task_free(t);
}

static void harlow_runner_rows(void **state)
{
    (void)state;
    Config *c;
    char err[512];
    Task *t = make_task((const char *[]){ "task.name=harlow", "agent.name=random", NULL }, &c);
    Agent *ag = agent_alloc(c, &t->info, err, sizeof err);
    if (!ag) fail_msg("%s", err);
    EpisodeRecord *rec = episode_alloc_stages(t->info.max_trials, t->info.max_stages, 0);
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(rt, 1, RNG_STREAM_TASK, 0);
    rng_seed_episode(ra, 1, RNG_STREAM_POLICY, 0);
    runner_episode(t, ag, rt, ra, 0.9, rec);
    assert_int_equal(rec->n_trials, 6);
    assert_int_equal(rec->n_stages, 12);
    for (int i = 0; i < 6; i++) {
        const StageRecord *g0 = &rec->stages[2 * i], *g1 = &rec->stages[2 * i + 1];
        assert_int_equal(g0->t, i);
        assert_int_equal(g0->stage, 0);
        assert_int_equal(g0->state, 0);
        assert_int_equal(g1->stage, 1);
        assert_true(g1->state == 1 || g1->state == 2);
        assert_true(g1->reward == (g1->action == g1->state - 1 ? 1.0 : -1.0));
        assert_true(rec->trials[i].reward == g0->reward + g1->reward);
    }
    gsl_rng_free(rt);
    gsl_rng_free(ra);
    episode_free(rec);
    agent_free(ag);
    task_free(t);
    config_free(c);
}

static void harlow_bad_settings(void **state)
{
    (void)state;
    assert_refused((const char *[]){ "task.name=harlow", "task.reward_wrong=1", NULL }, "task.reward_wrong");
}

/* ---- baited ---- */

static void baited_formula(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=baited", "task.dist=fixed", "task.p1=0.1", "task.p2=0.4",
                                          "task.trials=8", NULL }, NULL);
    /* p_i = 1 - (1 - p0_i)^(k_i + 1) worked by hand for choices 0 0 1 0 1 1 1 0:
    ** k before each trial (0,0) (0,1) (0,2) (1,0) (0,1) (1,0) (2,0) (3,0) */
    static const int choice[8] = { 0, 0, 1, 0, 1, 1, 1, 0 };
    static const double want[8][2] = {
        { 0.1, 0.4 },  { 0.1, 0.64 }, { 0.1, 0.784 }, { 0.19, 0.4 },
        { 0.1, 0.64 }, { 0.19, 0.4 }, { 0.271, 0.4 }, { 0.3439, 0.4 },
    };
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 1, RNG_STREAM_TASK, 0);
    t->type->reset(t->state, r);
    int done = 0;
    for (int i = 0; i < 8; i++) {
        TaskTruth tr;
        t->type->truth(t->state, &tr);
        assert_close(tr.p[0], want[i][0], 1e-12);
        assert_close(tr.p[1], want[i][1], 1e-12);
        assert_int_equal(tr.best, want[i][0] > want[i][1] ? 0 : 1);
        assert_int_equal(tr.since_reversal, i);
        assert_int_equal(tr.state, -1);
        assert_int_equal(done, 0);
        t->type->step(t->state, choice[i], r, &done);
    }
    assert_int_equal(done, 1);
    gsl_rng_free(r);
    task_free(t);
}

static void baited_distributions(void **state)
{
    (void)state;
    enum { EPISODES = 30000 };
    const double sd_range = 0.1 / sqrt(12.0), sd_test = 0.5 / sqrt(12.0);
    Task *train = make_task((const char *[]){ "task.name=baited", NULL }, NULL);
    Task *test = make_task((const char *[]){ "task.name=baited", "task.dist=test", NULL }, NULL);
    gsl_rng *r = rng_alloc();
    double n_in[3] = { 0 }, sum_in[3] = { 0 }, sum_test = 0, below = 0;
    for (int e = 0; e < EPISODES; e++) {
        TaskTruth tr;
        rng_seed_episode(r, 7, RNG_STREAM_TASK, (uint64_t)e);
        train->type->reset(train->state, r);
        train->type->truth(train->state, &tr);   /* trial 0: p = p0 */
        int k = tr.p[0] < 0.1 + 1e-12 ? 0 : tr.p[0] < 0.3 + 1e-12 ? 1 : 2;
        assert_true(tr.p[0] >= 0.2 * k && tr.p[0] <= 0.2 * k + 0.1);
        assert_close(tr.p[0] + tr.p[1], 0.5, 1e-12);
        n_in[k]++;
        sum_in[k] += tr.p[0];
        rng_seed_episode(r, 8, RNG_STREAM_TEST_TASK, (uint64_t)e);
        test->type->reset(test->state, r);
        test->type->truth(test->state, &tr);
        assert_true(tr.p[0] >= 0 && tr.p[0] <= 0.5);
        assert_close(tr.p[0] + tr.p[1], 0.5, 1e-12);
        sum_test += tr.p[0];
        below += tr.p[0] < 0.25;
    }
    for (int k = 0; k < 3; k++) {
        assert_rate(n_in[k], EPISODES, 1.0 / 3, "train: share of each p0_L range");
        assert_mean(sum_in[k], n_in[k], 0.2 * k + 0.05, sd_range, "train: mean p0_L within its range");
    }
    assert_mean(sum_test, EPISODES, 0.25, sd_test, "test: mean p0_L");
    assert_rate(below, EPISODES, 0.5, "test: p0_L below 0.25");
    gsl_rng_free(r);
    task_free(train);
    task_free(test);
}

/* Rewards against the truth's p, for the trials where the chosen arm had
** waited k = 0, 1, 2+ trials: the hits' sum within 5 SE of the sum of p. */
static void baited_rewards(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=baited", "task.dist=test", NULL }, NULL);
    gsl_rng *r = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(ra, 3, RNG_STREAM_POLICY, 0);
    double hits[3] = { 0 }, sum_p[3] = { 0 }, var[3] = { 0 };
    for (int e = 0; e < 400; e++) {
        rng_seed_episode(r, 2, RNG_STREAM_TASK, (uint64_t)e);
        t->type->reset(t->state, r);
        int done = 0, wait[2] = { 0, 0 };
        while (!done) {
            TaskTruth tr;
            t->type->truth(t->state, &tr);
            int a = (int)(gsl_rng_uniform(ra) < 0.7);   /* mostly arm 1, so arm 0 waits */
            int g = wait[a] < 2 ? wait[a] : 2;
            sum_p[g] += tr.p[a];
            var[g] += tr.p[a] * (1 - tr.p[a]);
            hits[g] += t->type->step(t->state, a, r, &done);
            wait[a] = 0;
            wait[1 - a]++;
        }
    }
    for (int g = 0; g < 3; g++)
        if (fabs(hits[g] - sum_p[g]) > 5 * sqrt(var[g]))
            fail_msg("waited %d%s: %.0f rewards vs %.1f expected (5 SE = %.1f)", g, g == 2 ? "+" : "", hits[g],
                     sum_p[g], 5 * sqrt(var[g]));
    gsl_rng_free(r);
    gsl_rng_free(ra);
    task_free(t);
}

/* ---- volatility ---- */

/* One volatility episode's statistics, accumulated over episodes. */
typedef struct {
    double episodes, volatile_first, reversals;
    double first_sum, n_first;           /* first reversal after a volatile stretch's start */
    double hits, sum_p, var;             /* rewards vs p */
} VolStats;

/* Check one episode's stretches (kinds, lengths, probabilities) and
** reversals (only in volatile stretches, rev_min..rev_max apart) from the
** truth trial by trial and the instance JSON. */
static void volatility_episode(Task *t, gsl_rng *r, gsl_rng *ra, VolStats *st)
{
    const int L = 120, T = 240;
    t->type->reset(t->state, r);
    int done = 0, last_block = 0, last_rev = -1, kind0 = -1;
    for (int i = 0; !done; i++) {
        TaskTruth tr;
        t->type->truth(t->state, &tr);
        double hi = tr.p[tr.best], lo = tr.p[1 - tr.best];
        int kind = hi == 0.8 ? 1 : 0;
        assert_true(kind ? lo == 0.2 : hi == 0.75 && lo == 0.25);
        if (i == 0) kind0 = kind;
        assert_int_equal(kind, i < L ? kind0 : 1 - kind0);   /* two stretches of 120 */
        int start = i < L ? 0 : L;
        if (tr.block != last_block) {   /* a reversal before trial i */
            assert_int_equal(tr.block, last_block + 1);
            assert_int_equal(tr.since_reversal, 0);
            assert_int_equal(kind, 1);
            assert_true(i > start);
            int gap = i - (last_rev >= start ? last_rev : start);
            assert_true(gap >= 20 && gap <= 40);
            if (last_rev < start) st->first_sum += gap, st->n_first++;
            last_rev = i;
            st->reversals++;
        }
        last_block = tr.block;
        int a = (int)(gsl_rng_uniform(ra) < 0.5);
        st->sum_p += tr.p[a];
        st->var += tr.p[a] * (1 - tr.p[a]);
        st->hits += t->type->step(t->state, a, r, &done);
        assert_int_equal(done, i == T - 1);
    }
    char json[EPISODE_INSTANCE_MAX], k0[16], k1[16];
    int s0, n0, s1, n1;
    t->type->describe(t->state, json, sizeof json);
    const char *p = strstr(json, "\"stretches\":");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "\"stretches\":[[\"%15[a-z]\",%d,%d],[\"%15[a-z]\",%d,%d]]", k0, &s0, &n0, k1, &s1, &n1), 6);
    assert_string_equal(k0, kind0 ? "volatile" : "stable");
    assert_string_equal(k1, kind0 ? "stable" : "volatile");
    assert_true(s0 == 0 && n0 == L && s1 == L && n1 == L);
    assert_non_null(strstr(json, kind0 ? "\"order\":\"volatile_first\"" : "\"order\":\"stable_first\""));
    st->volatile_first += kind0;
    st->episodes++;
}

static void volatility_statistics(void **state)
{
    (void)state;
    Config *c;
    Task *t = make_task((const char *[]){ "task.name=volatility", NULL }, &c);
    assert_int_equal(t->info.max_trials, 240);
    assert_int_equal(t->info.max_stages, 1);
    TaskFacts f;
    task_facts(t, &f);
    gsl_rng *r = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(ra, 4, RNG_STREAM_POLICY, 0);
    VolStats st = { 0 };
    for (int e = 0; e < 2000; e++) {
        rng_seed_episode(r, 11, RNG_STREAM_TASK, (uint64_t)e);
        volatility_episode(t, r, ra, &st);
    }
    assert_rate(st.volatile_first, st.episodes, 0.5, "volatile stretch first");
    /* the first interval is uniform over 20..40: mean 30, s.d. sqrt((21^2 - 1) / 12) */
    assert_mean(st.first_sum, st.n_first, 30.0, sqrt((21.0 * 21.0 - 1) / 12), "first reversal interval");
    assert_true(st.n_first == st.episodes);   /* 120 trials always hold a first reversal */
    /* reversals per episode: about 3.5 (at most 5); their s.d. is below 1 */
    assert_mean(st.reversals, st.episodes, f.hazard * 239, 1.0, "reversals per episode vs the facts' hazard");
    if (fabs(st.hits - st.sum_p) > 5 * sqrt(st.var)) fail_msg("rewards %.0f vs %.1f expected", st.hits, st.sum_p);
    gsl_rng_free(r);
    gsl_rng_free(ra);
    task_free(t);
    config_free(c);
}

static void volatility_fixed_order(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        Task *t = make_task((const char *[]){ "task.name=volatility", v ? "task.order=volatile" : "task.order=stable",
                                              "task.stretches=4", "task.stable_trials=50", "task.volatile_trials=80",
                                              NULL }, NULL);
        assert_int_equal(t->info.max_trials, 260);
        gsl_rng *r = rng_alloc();
        for (int e = 0; e < 50; e++) {
            rng_seed_episode(r, 12, RNG_STREAM_TASK, (uint64_t)e);
            t->type->reset(t->state, r);
            int done = 0;
            for (int i = 0; !done; i++) {
                TaskTruth tr;
                t->type->truth(t->state, &tr);
                int in_first = i % 130 < (v ? 80 : 50);
                int is_volatile = tr.p[tr.best] == 0.8;
                assert_int_equal(is_volatile, in_first ? v : !v);
                t->type->step(t->state, 0, r, &done);
            }
            char json[EPISODE_INSTANCE_MAX];
            t->type->describe(t->state, json, sizeof json);
            const char *want = v ? "[[\"volatile\",0,80],[\"stable\",80,50],[\"volatile\",130,80],[\"stable\",210,50]]"
                                 : "[[\"stable\",0,50],[\"volatile\",50,80],[\"stable\",130,50],[\"volatile\",180,80]]";
            if (!strstr(json, want)) fail_msg("stretches in %s, want %s", json, want);
        }
        gsl_rng_free(r);
        task_free(t);
    }
}

static void volatility_bad_settings(void **state)
{
    (void)state;
    assert_refused((const char *[]){ "task.name=volatility", "task.stretches=3", NULL }, "task.stretches");
    assert_refused((const char *[]){ "task.name=volatility", "task.rev_min=50", NULL }, "task.rev_min");
    assert_refused((const char *[]){ "task.name=volatility", "task.stable_low=0.9", NULL }, "task.stable_low");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(common_random_numbers),
        cmocka_unit_test(harlow_sequence),
        cmocka_unit_test(harlow_assignment),
        cmocka_unit_test(harlow_runner_rows),
        cmocka_unit_test(harlow_bad_settings),
        cmocka_unit_test(baited_formula),
        cmocka_unit_test(baited_distributions),
        cmocka_unit_test(baited_rewards),
        cmocka_unit_test(volatility_statistics),
        cmocka_unit_test(volatility_fixed_order),
        cmocka_unit_test(volatility_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
