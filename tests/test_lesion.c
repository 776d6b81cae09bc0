/* tests/test_lesion.c: the dopamine and lesion manipulations of issue 13.
**
** train.delta_scale (model/a2c.h a2c_advantages_scaled, used by the trainer):
** the advantages and value errors are s times those of s = 1, s = 1 is
** a2c_advantages bit for bit, and with beta_e = 0 a trainer's whole batch
** gradient at s = 0 is exactly zero and at s = 1/4 and 0.3 that many times
** the s = 1 one within rounding (1e-12 of its largest entry: the value error
** G - V = (V + s Ahat) - V is recomputed, so not bit for bit), while the stored (striatal) delta is the same at every s.
** Lesions of the frozen-weight network agent (model/net_agent.h): silence 0
** with no noise plays exactly the unlesioned episodes; silence 1 makes the
** policy the same at every trial whatever the history; the silenced units
** are round(F N), nested across doses, and read 0 in the trace; rate noise
** changes the play, is reproducible, and keeps relu rates >= 0.
** test.delta_block (jobs/evaluate.h eval_agent_rpe): the summary of the play
** is identical with and without it (nothing at test reads delta).
** No finite differences: every check is an identity.
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

#include "core/config.h"
#include "core/episode.h"
#include "core/rng.h"
#include "core/summary.h"
#include "jobs/evaluate.h"
#include "model/a2c.h"
#include "model/net.h"
#include "model/net_agent.h"
#include "model/runner.h"
#include "model/trainer.h"
#include "tasks/task.h"

static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "master seed" },
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    OPT_END
};

/* A finalized Config from the base settings plus one more assignment (may be NULL). */
static Config *make_config(const char *const *sets, const char *extra)
{
    char err[256];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(config_declare(c, run_specs), 0);
    assert_int_equal(task_declare(c), 0);
    assert_int_equal(train_declare(c), 0);
    for (const char *const *s = sets; *s; s++) assert_int_equal(config_assign(c, *s, "test", err, sizeof err), 0);
    if (extra) assert_int_equal(config_assign(c, extra, "test", err, sizeof err), 0);
    int rc = config_finalize(c, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    return c;
}

static const char *const grad_sets[] = {
    "task.name=reversal", "task.trials=30", "model.hidden=10", "model.striatum_units=4", "model.critic_input=true",
    "model.noise=0.1", "model.tau=2", "train.batch=4", "train.beta_e=0", "train.beta_e_final=0", "run.seed=11", NULL
};

/* ---- train.delta_scale --------------------------------------------------------------------------- */

static void advantages_scale(void **state)
{
    (void)state;
    const double d[4] = { 0.7, -0.3, 1.1, -0.9 }, V[4] = { 0.5, 0.2, -0.1, 0.4 };
    double a1[4], r1[4], a[4], r[4], as[4], rs[4];
    a2c_advantages(4, d, V, 0.9, 0.8, a1, r1);
    a2c_advantages_scaled(4, d, 1.0, V, 0.9, 0.8, a, r);
    assert_memory_equal(a, a1, sizeof a);
    assert_memory_equal(r, r1, sizeof r);
    a2c_advantages_scaled(4, d, 0.25, V, 0.9, 0.8, as, rs);
    for (int t = 0; t < 4; t++) {
        assert_true(as[t] == 0.25 * a1[t]);
        assert_true(rs[t] - V[t] == 0.25 * (r1[t] - V[t]) || fabs(rs[t] - V[t] - 0.25 * (r1[t] - V[t])) < 1e-15);
    }
    a2c_advantages_scaled(4, d, 0.0, V, 0.9, 0.8, as, rs);
    for (int t = 0; t < 4; t++) {
        assert_true(as[t] == 0.0);
        assert_true(rs[t] == V[t]);
    }
}

/* The batch gradient (P doubles, copied) and lane 0's deltas of one trainer_compute at delta_scale s. */
static double *batch_grad(const char *s, size_t *P, double *delta0, int T)
{
    char set[64];
    snprintf(set, sizeof set, "train.delta_scale=%s", s);
    Config *c = make_config(grad_sets, set);
    TrainConfig tc;
    char err[256];
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    Trainer *tr = trainer_alloc(&tc, c, err, sizeof err);
    assert_non_null(tr);
    TrainStats st;
    assert_int_equal(trainer_compute(tr, &st), 0);
    const double *g = trainer_grad(tr, P);
    double *out = malloc(*P * sizeof *out);
    assert_non_null(out);
    memcpy(out, g, *P * sizeof *out);
    memcpy(delta0, trainer_lane_deltas(tr, 0), (size_t)T * sizeof *delta0);
    trainer_free(tr);
    config_free(c);
    return out;
}

static void trainer_gradient_scales(void **state)
{
    (void)state;
    size_t P1, P;
    double d1[30], d[30];
    double *g1 = batch_grad("1", &P1, d1, 30);
    double gmax = 0.0;
    for (size_t i = 0; i < P1; i++) gmax = fmax(gmax, fabs(g1[i]));
    assert_true(gmax > 0.0);

    double *g0 = batch_grad("0", &P, d, 30);
    assert_int_equal(P, P1);
    for (size_t i = 0; i < P; i++) assert_true(g0[i] == 0.0);   /* no gradient at all without delta */
    assert_memory_equal(d, d1, sizeof d);                        /* the striatum's delta itself is unchanged */

    double *gq = batch_grad("0.25", &P, d, 30);
    double worst = 0.0;
    for (size_t i = 0; i < P; i++) worst = fmax(worst, fabs(gq[i] - 0.25 * g1[i]));
    assert_true(worst <= 1e-12 * gmax);   /* within rounding: the loss recomputes G - V = (V + s Ahat) - V */
    assert_memory_equal(d, d1, sizeof d);

    double *g3 = batch_grad("0.3", &P, d, 30);
    worst = 0.0;
    for (size_t i = 0; i < P; i++) worst = fmax(worst, fabs(g3[i] - 0.3 * g1[i]));
    assert_true(worst <= 1e-12 * gmax);
    free(g1);
    free(g0);
    free(gq);
    free(g3);
}

/* ---- lesions of the frozen network ----------------------------------------------------------------- */

typedef struct {
    Config *cfg;
    TrainConfig tc;
    Task *task;
    double *params;
    size_t P;
} Fixture;

static const char *const agent_sets[] = {
    "task.name=reversal", "task.trials=40", "model.hidden=20", "model.striatum_units=3", "model.critic_input=true",
    "train.batch=4", "run.seed=5", NULL
};

/* A network trained for a few updates (any weights serve: the checks are identities). */
static void fixture(Fixture *f)
{
    char err[256];
    f->cfg = make_config(agent_sets, NULL);
    assert_int_equal(train_config_from(f->cfg, &f->tc, err, sizeof err), 0);
    Trainer *tr = trainer_alloc(&f->tc, f->cfg, err, sizeof err);
    assert_non_null(tr);
    TrainStats st;
    for (int k = 0; k < 5; k++) assert_int_equal(trainer_iterate(tr, &st), 0);
    const double *p = trainer_params(tr, &f->P);
    f->params = malloc(f->P * sizeof *f->params);
    assert_non_null(f->params);
    memcpy(f->params, p, f->P * sizeof *f->params);
    trainer_free(tr);
    f->task = task_alloc(f->cfg, err, sizeof err);
    assert_non_null(f->task);
}

static void fixture_free(Fixture *f)
{
    task_free(f->task);
    free(f->params);
    config_free(f->cfg);
}

static Agent *lesioned(Fixture *f, double silence, double noise, uint64_t seed)
{
    char err[256];
    void *s = net_agent_alloc(&f->tc, &f->task->info, f->params, err, sizeof err);
    assert_non_null(s);
    NetLesion l = { silence, noise, seed };
    assert_int_equal(net_agent_lesion(s, &l, err, sizeof err), 0);
    Agent *a = agent_wrap(agent_type_network, s);
    assert_non_null(a);
    return a;
}

/* Episode e of agent a into rec (with unit rates). */
static void play(Fixture *f, Agent *a, long e, EpisodeRecord *rec)
{
    gsl_rng *rt = rng_alloc(), *rp = rng_alloc();
    rng_seed_episode(rt, 99, RNG_STREAM_TEST_TASK, (uint64_t)e);
    rng_seed_episode(rp, 99, RNG_STREAM_TEST_POLICY, (uint64_t)e);
    runner_episode(f->task, a, rt, rp, f->tc.gamma, rec);
    gsl_rng_free(rt);
    gsl_rng_free(rp);
}

static int n_units(const Fixture *f) { return f->tc.hidden + f->tc.striatum_units; }

static void same_records(const EpisodeRecord *a, const EpisodeRecord *b)
{
    assert_int_equal(a->n_trials, b->n_trials);
    assert_memory_equal(a->trials, b->trials, (size_t)a->n_trials * sizeof *a->trials);
    assert_memory_equal(a->activity, b->activity, (size_t)a->n_trials * (size_t)a->n_units * sizeof(float));
}

static void silence_zero_is_baseline(void **state)
{
    (void)state;
    Fixture f;
    fixture(&f);
    char err[256];
    void *s = net_agent_alloc(&f.tc, &f.task->info, f.params, err, sizeof err);
    Agent *base = agent_wrap(agent_type_network, s), *zero = lesioned(&f, 0.0, 0.0, 3);
    EpisodeRecord *ra = episode_alloc(40, n_units(&f)), *rb = episode_alloc(40, n_units(&f));
    for (long e = 0; e < 5; e++) {
        play(&f, base, e, ra);
        play(&f, zero, e, rb);
        same_records(ra, rb);
    }
    assert_int_equal(net_agent_silenced(zero->state, NULL), 0);
    episode_free(ra);
    episode_free(rb);
    agent_free(base);
    agent_free(zero);
    fixture_free(&f);
}

static void silence_one_forgets_history(void **state)
{
    (void)state;
    Fixture f;
    fixture(&f);
    Agent *a = lesioned(&f, 1.0, 0.0, 3);
    EpisodeRecord *rec = episode_alloc(40, n_units(&f));
    double first[TASK_MAX_ACTIONS];
    const int A = f.task->info.n_actions, N = f.tc.hidden;
    int seen_both = 0;
    for (long e = 0; e < 4; e++) {
        play(&f, a, e, rec);
        if (e == 0) memcpy(first, rec->trials[0].probs, sizeof first);
        int acts[2] = { 0, 0 };
        for (int t = 0; t < rec->n_trials; t++) {
            for (int k = 0; k < A; k++) assert_true(rec->trials[t].probs[k] == first[k]);   /* whatever happened */
            for (int i = 0; i < N; i++) assert_true(rec->activity[(size_t)t * rec->n_units + i] == 0.0f);
            acts[rec->trials[t].action]++;
        }
        seen_both += acts[0] > 0 && acts[1] > 0;
    }
    assert_true(seen_both > 0);   /* the histories did differ */
    assert_int_equal(net_agent_silenced(a->state, NULL), N);
    episode_free(rec);
    agent_free(a);
    fixture_free(&f);
}

static void silenced_units_are_nested_and_zero(void **state)
{
    (void)state;
    Fixture f;
    fixture(&f);
    const int N = f.tc.hidden;
    Agent *a = lesioned(&f, 0.25, 0.0, 8), *b = lesioned(&f, 0.5, 0.0, 8), *c = lesioned(&f, 0.5, 0.0, 9);
    const int *ua, *ub, *uc;
    int na = net_agent_silenced(a->state, &ua), nb = net_agent_silenced(b->state, &ub);
    int nc = net_agent_silenced(c->state, &uc);
    assert_int_equal(na, 5);   /* round(0.25 x 20) */
    assert_int_equal(nb, 10);
    assert_int_equal(nc, 10);
    for (int i = 0; i < na; i++) {
        int in = 0;
        for (int k = 0; k < nb; k++) in |= ub[k] == ua[i];
        assert_true(in);   /* a larger dose silences a superset */
    }
    assert_true(memcmp(ub, uc, (size_t)nb * sizeof *ub) != 0);   /* another seed, another set */
    EpisodeRecord *rec = episode_alloc(40, n_units(&f));
    play(&f, b, 0, rec);
    for (int t = 0; t < rec->n_trials; t++)
        for (int k = 0; k < nb; k++) assert_true(rec->activity[(size_t)t * rec->n_units + ub[k]] == 0.0f);
    (void)N;
    episode_free(rec);
    agent_free(a);
    agent_free(b);
    agent_free(c);
    fixture_free(&f);
}

static void rate_noise_changes_and_repeats(void **state)
{
    (void)state;
    Fixture f;
    fixture(&f);
    Agent *base = lesioned(&f, 0.0, 0.0, 1), *n1 = lesioned(&f, 0.0, 0.5, 1), *n2 = lesioned(&f, 0.0, 0.5, 1);
    EpisodeRecord *ra = episode_alloc(40, n_units(&f)), *rb = episode_alloc(40, n_units(&f)),
                  *rc = episode_alloc(40, n_units(&f));
    play(&f, base, 0, ra);
    play(&f, n1, 0, rb);
    play(&f, n2, 0, rc);
    same_records(rb, rc);
    assert_true(memcmp(ra->trials, rb->trials, (size_t)ra->n_trials * sizeof *ra->trials) != 0);
    for (int t = 0; t < rb->n_trials; t++)
        for (int i = 0; i < f.tc.hidden; i++) assert_true(rb->activity[(size_t)t * rb->n_units + i] >= 0.0f);
    episode_free(ra);
    episode_free(rb);
    episode_free(rc);
    agent_free(base);
    agent_free(n1);
    agent_free(n2);
    fixture_free(&f);
}

static void lesion_refuses_bad_doses(void **state)
{
    (void)state;
    Fixture f;
    fixture(&f);
    char err[256];
    void *s = net_agent_alloc(&f.tc, &f.task->info, f.params, err, sizeof err);
    NetLesion bad = { 1.5, 0.0, 1 }, neg = { 0.0, -1.0, 1 };
    assert_int_equal(net_agent_lesion(s, &bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "silence"));
    assert_int_equal(net_agent_lesion(s, &neg, err, sizeof err), -1);
    Agent *a = agent_wrap(agent_type_network, s);
    agent_free(a);
    fixture_free(&f);
}

static void delta_block_keeps_the_play(void **state)
{
    (void)state;
    Fixture f;
    fixture(&f);
    Agent *a = lesioned(&f, 0.0, 0.0, 1);
    Summary s0, s1;
    summary_init(&s0);
    summary_init(&s1);
    EvalOptions o = { 77, 30, f.tc.gamma, NULL, 0, 0, 10, "network", NULL, NULL, NULL, 0, 0, 0 };
    char err[256];
    assert_int_equal(eval_agent_rpe(f.task, a, &o, 0, &s0, err, sizeof err), 0);
    assert_int_equal(eval_agent_rpe(f.task, a, &o, 1, &s1, err, sizeof err), 0);
    assert_memory_equal(&s0, &s1, sizeof s0);   /* regret, P(best), reversal curve: bit for bit */
    agent_free(a);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(advantages_scale),
        cmocka_unit_test(trainer_gradient_scales),
        cmocka_unit_test(silence_zero_is_baseline),
        cmocka_unit_test(silence_one_forgets_history),
        cmocka_unit_test(silenced_units_are_nested_and_zero),
        cmocka_unit_test(rate_noise_changes_and_repeats),
        cmocka_unit_test(lesion_refuses_bad_doses),
        cmocka_unit_test(delta_block_keeps_the_play),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
