/* tests/test_twostep.c: the two-step task and the multi-stage path through
** the runner and the trainer.
**
**   1. Wang variant: stages alternate 0, 1; the state is seen one-hot; the
**      common transition comes with p_common after either action; the good
**      state pays p_high and the bad p_low; the good state switches at the
**      configured rate; stage-0 truth is the p_common mixture of the states.
**   2. Daw variant: the four options stay within their reflecting bounds,
**      step with the configured s.d., and pay with their probabilities.
**   3. Common random numbers: whatever the actions, the same episode seed
**      gives the same switches and drifts.
**   4. The runner stores a trial per first stage (its reward the sum of its
**      stages', its action the first-stage choice) and a stage row per step.
**   5. The trainer's recorded episode has the same shape, and a trial's
**      stored delta is its last stage's, the one the advantages used.
**   6. An agent of single choices (wsls) acts once per trial, at its choice.
** Rates are checked within 5 standard errors at fixed seeds.
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
#include "model/trainer.h"
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

static void assert_rate(double hits, double n, double p, const char *what)
{
    double se = sqrt(p * (1 - p) / n);
    if (fabs(hits / n - p) > 5 * se + 1e-12)
        fail_msg("%s: rate %.5f vs p %.5f over %.0f (5 SE = %.5f)", what, hits / n, p, n, 5 * se);
}

static void wang_statistics(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=twostep", "task.trials=500", NULL }, NULL);
    assert_int_equal(t->info.max_stages, 2);
    assert_int_equal(t->info.obs_dim, 3);
    assert_int_equal(task_max_steps(&t->info), 1000);
    gsl_rng *r = rng_alloc();
    double common = 0, n_trans = 0, good_hits = 0, n_good = 0, bad_hits = 0, n_bad = 0;
    double switches = 0, n_gaps = 0;
    for (int e = 0; e < 40; e++) {
        rng_seed_episode(r, 3, RNG_STREAM_TASK, e);
        t->type->reset(t->state, r);
        int done = 0, steps = 0, last_block = 0;
        while (!done) {
            TaskTruth tr;
            double obs[TASK_MAX_OBS];
            int stage = t->type->stage(t->state);
            assert_int_equal(stage, steps % 2);
            t->type->truth(t->state, &tr);
            t->type->observe(t->state, obs);
            assert_int_equal(tr.state, stage == 0 ? 0 : tr.state);
            for (int i = 0; i < 3; i++) assert_true(obs[i] == (i == tr.state ? 1.0 : 0.0));
            int a = (int)(gsl_rng_uniform(r) < 0.5);   /* the test's own draw: the task's stream is r too */
            if (stage == 0) {
                double pg = 0.9, pb = 0.1;   /* stage 0: the mixture over the states */
                int good_from = tr.best;
                assert_true(fabs(tr.p[good_from] - (0.8 * pg + 0.2 * pb)) < 1e-12);
                assert_true(fabs(tr.p[1 - good_from] - (0.2 * pg + 0.8 * pb)) < 1e-12);
                if (steps > 0) {
                    n_gaps++;
                    switches += tr.block != last_block;
                }
                last_block = tr.block;
            }
            double rew = t->type->step(t->state, a, r, &done);
            if (stage == 0) {
                assert_true(rew == 0.0);
                TaskTruth next;
                t->type->truth(t->state, &next);
                assert_true(next.state == 1 || next.state == 2);
                common += next.state == 1 + a;
                n_trans++;
            } else {
                int good = tr.p[0] > 0.5;   /* both options of a wang state pay the same */
                assert_true(tr.p[0] == tr.p[1]);
                if (good) good_hits += rew, n_good++;
                else bad_hits += rew, n_bad++;
            }
            steps++;
        }
        assert_int_equal(steps, 1000);
    }
    assert_rate(common, n_trans, 0.8, "common transitions");
    assert_rate(good_hits, n_good, 0.9, "reward in the good state");
    assert_rate(bad_hits, n_bad, 0.1, "reward in the bad state");
    assert_rate(switches, n_gaps, 0.025, "switches per trial");
    gsl_rng_free(r);
    task_free(t);
}

static void daw_statistics(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=twostep", "task.variant=daw", "task.p_common=0.7",
                                          "task.trials=400", NULL }, NULL);
    gsl_rng *r = rng_alloc(), *ra = rng_alloc();
    double pay = 0, p_sum = 0, n_pay = 0, common = 0, n_trans = 0;
    for (int e = 0; e < 30; e++) {
        rng_seed_episode(r, 5, RNG_STREAM_TASK, e);
        rng_seed_episode(ra, 5, RNG_STREAM_POLICY, e);
        t->type->reset(t->state, r);
        int done = 0;
        while (!done) {
            TaskTruth tr;
            int stage = t->type->stage(t->state);
            t->type->truth(t->state, &tr);
            int a = (int)(gsl_rng_uniform(ra) < 0.5);
            if (stage == 1) {
                for (int k = 0; k < 2; k++) assert_true(tr.p[k] >= 0.25 && tr.p[k] <= 0.75);
                p_sum += tr.p[a];
                n_pay++;
            }
            double rew = t->type->step(t->state, a, r, &done);
            if (stage == 0) {
                TaskTruth next;
                t->type->truth(t->state, &next);
                common += next.state == 1 + a;
                n_trans++;
            } else {
                pay += rew;
            }
        }
    }
    assert_rate(common, n_trans, 0.7, "common transitions (daw)");
    /* rewards against the chosen options' probabilities: mean difference within 5 SE */
    double se = sqrt(0.25 / n_pay);
    assert_true(fabs(pay / n_pay - p_sum / n_pay) < 5 * se);
    gsl_rng_free(r);
    gsl_rng_free(ra);
    task_free(t);
}

/* The daw drift: with p_common = 1 and action 0 every trial visits option 0
** of state 1, so its successive values are its random walk; away from the
** bounds the steps' root mean square is the configured s.d. */
static void daw_drift_sd(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=twostep", "task.variant=daw", "task.p_common=1",
                                          "task.trials=2000", "task.drift=0.02", NULL }, NULL);
    gsl_rng *r = rng_alloc();
    double sq = 0, n = 0;
    for (int e = 0; e < 10; e++) {
        rng_seed_episode(r, 11, RNG_STREAM_TASK, e);
        t->type->reset(t->state, r);
        int done = 0;
        double last = NAN;
        while (!done) {
            TaskTruth tr;
            int stage = t->type->stage(t->state);
            t->type->truth(t->state, &tr);
            if (stage == 1) {   /* p_common = 1 and action 0: always state 1, option 0 */
                assert_int_equal(tr.state, 1);
                if (!isnan(last) && tr.p[0] > 0.35 && tr.p[0] < 0.65 && last > 0.35 && last < 0.65)
                    sq += (tr.p[0] - last) * (tr.p[0] - last), n++;
                last = tr.p[0];
            }
            t->type->step(t->state, 0, r, &done);
        }
    }
    double sd = sqrt(sq / n);
    if (fabs(sd - 0.02) > 0.02 * 0.05) fail_msg("drift s.d. %.5f vs 0.02 over %.0f steps", sd, n);
    gsl_rng_free(r);
    task_free(t);
}

static void same_seed_same_instance(void **state)
{
    (void)state;
    Task *t = make_task((const char *[]){ "task.name=twostep", NULL }, NULL);
    gsl_rng *r = rng_alloc();
    int blocks[2][100];
    for (int pass = 0; pass < 2; pass++) {
        rng_seed_episode(r, 9, RNG_STREAM_TASK, 4);
        t->type->reset(t->state, r);
        int done = 0, k = 0;
        while (!done) {
            TaskTruth tr;
            t->type->truth(t->state, &tr);
            if (t->type->stage(t->state) == 0) blocks[pass][k++] = tr.block * 2 + (tr.best == 0);
            t->type->step(t->state, pass ? (k % 3 == 0) : 1, r, &done);
        }
    }
    assert_memory_equal(blocks[0], blocks[1], sizeof blocks[0]);
    gsl_rng_free(r);
    task_free(t);
}

static void runner_stores_stages(void **state)
{
    (void)state;
    Config *c;
    char err[512];
    Task *t = make_task((const char *[]){ "task.name=twostep", "task.trials=50", "agent.name=random", NULL }, &c);
    Agent *ag = agent_alloc(c, &t->info, err, sizeof err);
    if (!ag) fail_msg("%s", err);
    EpisodeRecord *rec = episode_alloc_stages(t->info.max_trials, t->info.max_stages, 0);
    assert_non_null(rec);
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(rt, 1, RNG_STREAM_TASK, 0);
    rng_seed_episode(ra, 1, RNG_STREAM_POLICY, 0);
    runner_episode(t, ag, rt, ra, 0.9, rec);
    assert_int_equal(rec->n_trials, 50);
    assert_int_equal(rec->n_stages, 100);
    double total = 0;
    for (int i = 0; i < rec->n_trials; i++) {
        const StageRecord *g0 = &rec->stages[2 * i], *g1 = &rec->stages[2 * i + 1];
        assert_int_equal(g0->t, i);
        assert_int_equal(g1->t, i);
        assert_int_equal(g0->stage, 0);
        assert_int_equal(g1->stage, 1);
        assert_int_equal(g0->state, 0);
        assert_true(g1->state == 1 || g1->state == 2);
        assert_int_equal(rec->trials[i].action, g0->action);
        assert_true(rec->trials[i].reward == g0->reward + g1->reward);
        assert_true(g0->reward == 0.0);
        total += rec->trials[i].reward;
    }
    assert_true(total == rec->total_reward);
    gsl_rng_free(rt);
    gsl_rng_free(ra);
    episode_free(rec);
    agent_free(ag);
    task_free(t);
    config_free(c);
}

/* An agent of single choices (wsls) makes each trial's first-stage choice
** and learns from the trial's total reward: it stays after a rewarded trial
** and shifts after an unrewarded one; at stage 1 it does not act (action 0,
** no policy). */
static void single_choice_agents_choose_once_per_trial(void **state)
{
    (void)state;
    Config *c;
    char err[512];
    Task *t = make_task((const char *[]){ "task.name=twostep", "task.trials=100", "agent.name=wsls", NULL }, &c);
    Agent *ag = agent_alloc(c, &t->info, err, sizeof err);
    if (!ag) fail_msg("%s", err);
    assert_false(ag->type->every_stage);
    EpisodeRecord *rec = episode_alloc_stages(t->info.max_trials, t->info.max_stages, 0);
    gsl_rng *rt = rng_alloc(), *ra = rng_alloc();
    rng_seed_episode(rt, 2, RNG_STREAM_TASK, 0);
    rng_seed_episode(ra, 2, RNG_STREAM_POLICY, 0);
    runner_episode(t, ag, rt, ra, 0.9, rec);
    for (int i = 0; i < rec->n_trials; i++) {
        const StageRecord *g1 = &rec->stages[2 * i + 1];
        assert_int_equal(g1->action, 0);
        if (i + 1 < rec->n_trials) {
            int stay = rec->trials[i + 1].action == rec->trials[i].action;
            assert_int_equal(stay, rec->trials[i].reward > 0);
        }
    }
    gsl_rng_free(rt);
    gsl_rng_free(ra);
    episode_free(rec);
    agent_free(ag);
    task_free(t);
    config_free(c);
}

static void trainer_records_stages(void **state)
{
    (void)state;
    char err[512];
    Config *c = test_config((const char *[]){ "task.name=twostep", "task.trials=20", "model.hidden=6",
                                              "train.batch=4", NULL });
    TrainConfig tc;
    if (train_config_from(c, &tc, err, sizeof err) != 0) fail_msg("%s", err);
    Trainer *tr = trainer_alloc(&tc, c, err, sizeof err);
    if (!tr) fail_msg("%s", err);
    TrainStats st;
    assert_int_equal(trainer_iterate(tr, &st), 0);
    const TaskInfo *ti = trainer_task_info(tr);
    EpisodeRecord *rec = episode_alloc_stages(ti->max_trials, ti->max_stages, 0);
    assert_int_equal(trainer_last_episode(tr, 1, rec), 0);
    assert_int_equal(rec->n_trials, 20);
    assert_int_equal(rec->n_stages, 40);
    assert_int_equal(st.ep[1].n_trials, 20);
    const double *delta = trainer_lane_deltas(tr, 1);
    assert_non_null(delta);
    for (int i = 0; i < 20; i++) {
        assert_true(rec->trials[i].rpe == delta[2 * i + 1]);   /* the outcome's delta */
        assert_true(rec->stages[2 * i].rpe == delta[2 * i]);
        assert_true(rec->trials[i].reward == rec->stages[2 * i + 1].reward);
    }
    assert_true(rec->total_reward == st.ep[1].reward);
    episode_free(rec);
    trainer_free(tr);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wang_statistics),
        cmocka_unit_test(daw_statistics),
        cmocka_unit_test(daw_drift_sd),
        cmocka_unit_test(same_seed_same_instance),
        cmocka_unit_test(runner_stores_stages),
        cmocka_unit_test(single_choice_agents_choose_once_per_trial),
        cmocka_unit_test(trainer_records_stages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
