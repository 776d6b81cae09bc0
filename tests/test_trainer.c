/* tests/test_trainer.c: the A2C trainer and the frozen-weight network agent.
**
** Determinism (STYLE.md B6): same seed and settings give byte-identical
** weights; a checkpoint loaded into a fresh trainer continues byte-identically.
** Workers: one worker equals a plain serial loop written here with the
** one-lane calls of model/net.h, byte for byte; W workers repeat byte for
** byte; W = 2 stays within rounding of W = 1 and still learns; K "processes"
** (trainers with parts 0..K-1, their gradients summed by hand in part order)
** equal K workers byte for byte, episode stats included.
** Learning: a small network trained briefly on the easy bandit beats chance
** by a wide statistical margin (fixed seed, no timing). The network agent:
** never writes the weights, and replays a training episode exactly.
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
#include "model/a2c.h"
#include "model/net.h"
#include "model/net_agent.h"
#include "model/optim.h"
#include "model/runner.h"
#include "model/striatum.h"
#include "model/trainer.h"
#include "tasks/task.h"

/* [run] seed and episodes are the program's; the tests declare their own. */
static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "master seed" },
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    OPT_END
};

/* A finalized Config from "section.key=value" assignments (NULL-terminated). */
static Config *make_config(const char *const *sets)
{
    char err[256];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(config_declare(c, run_specs), 0);
    assert_int_equal(task_declare(c), 0);
    assert_int_equal(train_declare(c), 0);
    for (const char *const *s = sets; *s; s++) {
        int rc = config_assign(c, *s, "test", err, sizeof err);
        if (rc != 0) print_error("%s: %s\n", *s, err);
        assert_int_equal(rc, 0);
    }
    int rc = config_finalize(c, err, sizeof err);
    if (rc != 0) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    return c;
}

static Trainer *make_trainer(const Config *c, TrainConfig *tc)
{
    char err[256];
    assert_int_equal(train_config_from(c, tc, err, sizeof err), 0);
    Trainer *tr = trainer_alloc(tc, c, err, sizeof err);
    if (!tr) print_error("%s\n", err);
    assert_non_null(tr);
    return tr;
}

static const char *const small_sets[] = {
    "task.name=bandit", "task.trials=20", "model.hidden=8", "model.striatum_units=3",
    "model.critic_input=true", "model.noise=0.1", "model.tau=2", "train.batch=3",
    "run.seed=7", NULL
};

static void run_updates(Trainer *tr, int k)
{
    TrainStats st;
    for (int i = 0; i < k; i++) assert_int_equal(trainer_iterate(tr, &st), 0);
}

static void test_determinism(void **state)
{
    (void)state;
    Config *c = make_config(small_sets);
    TrainConfig tc;
    Trainer *a = make_trainer(c, &tc), *b = make_trainer(c, &tc);
    run_updates(a, 4);
    run_updates(b, 4);
    size_t P, Pb;
    const double *pa = trainer_params(a, &P), *pb = trainer_params(b, &Pb);
    assert_int_equal(P, Pb);
    assert_memory_equal(pa, pb, P * sizeof(double));
    assert_int_equal(trainer_episode(a), 12);
    trainer_free(b);

    /* another seed gives other weights */
    const char *const other[] = { "task.name=bandit", "task.trials=20", "model.hidden=8",
                                  "model.striatum_units=3", "model.critic_input=true",
                                  "model.noise=0.1", "model.tau=2", "train.batch=3",
                                  "run.seed=8", NULL };
    Config *c2 = make_config(other);
    Trainer *d = make_trainer(c2, &tc);
    run_updates(d, 4);
    assert_true(memcmp(pa, trainer_params(d, NULL), P * sizeof(double)) != 0);
    trainer_free(d);
    trainer_free(a);
    config_free(c2);
    config_free(c);
}

/* Train 5 updates at once, and 2 then (checkpoint into a fresh trainer) 3:
** weights, optimizer state and episode counter must be byte-identical. */
static void check_resume(Config *c)
{
    TrainConfig tc;
    Trainer *full = make_trainer(c, &tc), *first = make_trainer(c, &tc);
    Trainer *resumed = make_trainer(c, &tc);
    run_updates(full, 5);
    run_updates(first, 2);
    size_t n = trainer_checkpoint_size(first);
    unsigned char *buf = malloc(n);
    trainer_save(first, buf);
    char err[256];
    assert_int_equal(trainer_load(resumed, buf, n, err, sizeof err), 0);
    assert_int_equal(trainer_episode(resumed), trainer_episode(first));
    assert_int_equal(trainer_load(resumed, buf, n - 1, err, sizeof err), -1);
    run_updates(resumed, 3);
    size_t P, S;
    const double *pf = trainer_params(full, &P);
    assert_memory_equal(pf, trainer_params(resumed, NULL), P * sizeof(double));
    const double *of = trainer_optim_state(full, &S);
    assert_memory_equal(of, trainer_optim_state(resumed, NULL), S * sizeof(double));
    assert_int_equal(trainer_episode(resumed), trainer_episode(full));
    free(buf);
    trainer_free(full);
    trainer_free(first);
    trainer_free(resumed);
    config_free(c);
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    check_resume(make_config(small_sets));
}

/* small_sets with other values appended (later assignments win). */
static Config *make_config_with(const char *const *extra)
{
    const char *sets[32];
    int n = 0;
    for (const char *const *s = small_sets; *s; s++) sets[n++] = *s;
    for (const char *const *s = extra; *s; s++) sets[n++] = *s;
    sets[n] = NULL;
    return make_config(sets);
}

/* The plain serial A2C loop that the trainer with one worker must equal bit
** for bit: the B episodes of a batch one after another through the one-lane
** calls (net_forward_step, rng_categorical, the task), their A2C losses, their
** gradients accumulated lane after lane into one block (net_backward), then
** norm, clipping and one optimizer step, exactly as trainer.h describes.
** Writes the parameters after k batches to out (P doubles). */
static void reference_train(const Config *c, const TrainConfig *tc, int k, double *out, size_t P)
{
    char err[256];
    Task *task = task_alloc(c, err, sizeof err);
    assert_non_null(task);
    const TaskInfo *ti = &task->info;
    NetConfig nc;
    train_net_config(tc, ti->n_actions, ti->obs_dim, ti->max_trials, &nc);
    Net *net = net_alloc(&nc, err, sizeof err);
    assert_non_null(net);
    assert_int_equal(net->d.n_params, P);
    gsl_rng *rt = rng_alloc(), *rp = rng_alloc();
    rng_seed_episode(rp, tc->seed, RNG_STREAM_INIT, 0);
    assert_int_equal(net_init(net, rp), 0);
    Optim *opt = optim_alloc(&tc->optim, P);
    const int B = tc->batch, T = ti->max_trials, A = ti->n_actions;
    NetLane **lanes = calloc((size_t)B, sizeof *lanes);
    double *dl = calloc((size_t)(B * T * A), sizeof(double)), *dV = calloc((size_t)(B * T), sizeof(double));
    double adv[512], ret[512], obs[TASK_MAX_OBS];
    assert_true(T <= 512);
    double *grad = calloc(P, sizeof(double));
    for (int b = 0; b < B; b++) lanes[b] = net_lane_alloc(net);
    for (int it = 0; it < k; it++) {
        const long e0 = (long)it * B;
        const double beta_e = train_beta_e(tc, e0);
        memset(grad, 0, P * sizeof(double));
        for (int b = 0; b < B; b++) {
            NetLane *L = lanes[b];
            rng_seed_episode(rt, tc->seed, RNG_STREAM_TASK, (uint64_t)(e0 + b));
            rng_seed_episode(rp, tc->seed, RNG_STREAM_POLICY, (uint64_t)(e0 + b));
            task->type->reset(task->state, rt);
            net_lane_reset(L);
            for (int done = 0; !done;) {
                task->type->observe(task->state, obs);
                net_forward_step(net, L, obs, rp);
                int a = rng_categorical(net_lane_probs(net, L), A, rp);
                double rew = task->type->step(task->state, a, rt, &done);
                net_lane_record(L, a, rew);
            }
            A2cTerms terms;
            striatum_deltas(L->t, L->reward, L->V, tc->gamma, adv);
            a2c_advantages(L->t, adv, L->V, tc->gamma, tc->gae_lambda, adv, ret);
            a2c_loss(L->t, A, L->logp, L->probs, L->action, adv, ret, L->V, tc->beta_v, beta_e,
                     1.0 / B, dl + (size_t)b * T * A, dV + (size_t)b * T, &terms);
        }
        for (int b = 0; b < B; b++) net_backward(net, lanes[b], dl + (size_t)b * T * A, dV + (size_t)b * T, grad);
        assert_true(isfinite(optim_norm(grad, P)));
        optim_clip(grad, P, tc->clip_norm);
        opt->cfg.lr = train_lr(tc, e0);
        optim_step(opt, net->params, grad);
        net_refresh(net);
    }
    memcpy(out, net->params, P * sizeof(double));
    for (int b = 0; b < B; b++) net_lane_free(lanes[b]);
    free(lanes);
    free(dl);
    free(dV);
    free(grad);
    optim_free(opt);
    gsl_rng_free(rt);
    gsl_rng_free(rp);
    net_free(net);
    task_free(task);
}

/* One worker = the serial loop above, byte for byte, on two configurations
** (the second: relu, linear critic, reversal task with its variable-length
** lockstep, batch 5). */
static void test_one_worker_is_serial(void **state)
{
    (void)state;
    const char *const extra1[] = { "train.workers=1", NULL };
    const char *const extra2[] = { "task.name=reversal", "task.trials=40", "model.activation=relu",
                                   "model.striatum_units=0", "model.noise=0", "model.tau=1",
                                   "train.batch=5", "train.workers=1", NULL };
    const char *const *extras[] = { extra1, extra2 };
    for (int i = 0; i < 2; i++) {
        Config *c = make_config_with(extras[i]);
        TrainConfig tc;
        Trainer *tr = make_trainer(c, &tc);
        run_updates(tr, 4);
        size_t P;
        const double *p = trainer_params(tr, &P);
        double *ref = malloc(P * sizeof(double));
        reference_train(c, &tc, 4, ref, P);
        assert_memory_equal(p, ref, P * sizeof(double));
        free(ref);
        trainer_free(tr);
        config_free(c);
    }
}

/* W workers: byte-identical run after run (W = 2 and W = 3 on a batch of 5,
** blocks 2+3 and 1+2+2, plus W = 8 > B, which runs as W = B); the default
** is one worker. */
static void test_workers_repeat(void **state)
{
    (void)state;
    const char *const *extras[] = {
        (const char *const[]){ "train.batch=5", "train.workers=2", NULL },
        (const char *const[]){ "train.batch=5", "train.workers=3", NULL },
        (const char *const[]){ "train.batch=5", "train.workers=8", NULL },
    };
    for (int i = 0; i < 3; i++) {
        Config *c = make_config_with(extras[i]);
        TrainConfig tc;
        Trainer *a = make_trainer(c, &tc), *b = make_trainer(c, &tc);
        for (int k = 0; k < 3; k++) {
            TrainStats sa, sb;
            assert_int_equal(trainer_iterate(a, &sa), 0);
            assert_int_equal(trainer_iterate(b, &sb), 0);
            assert_int_equal(sa.n_episodes, 5);
            assert_memory_equal(sa.ep, sb.ep, 5 * sizeof *sa.ep);
            assert_true(sa.loss == sb.loss && sa.grad_norm == sb.grad_norm);
        }
        size_t P, S;
        trainer_params(a, &P);
        trainer_optim_state(a, &S);
        assert_memory_equal(trainer_params(a, NULL), trainer_params(b, NULL), P * sizeof(double));
        assert_memory_equal(trainer_optim_state(a, NULL), trainer_optim_state(b, NULL), S * sizeof(double));
        trainer_free(a);
        trainer_free(b);
        config_free(c);
    }
    Config *c = make_config(small_sets);
    TrainConfig tc;
    char err[256];
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    assert_int_equal(tc.workers, 1);
    config_free(c);
}

/* W = 2 against W = 1: the same episodes (same actions at the first batch,
** same weights), gradients equal up to rounding, so the weights after a few
** updates are close in relative norm (not equal: another summation order). */
static void test_two_workers_close(void **state)
{
    (void)state;
    const char *const e1[] = { "train.batch=8", "train.workers=1", NULL };
    const char *const e2[] = { "train.batch=8", "train.workers=2", NULL };
    Config *c1 = make_config_with(e1), *c2 = make_config_with(e2);
    TrainConfig tc;
    Trainer *a = make_trainer(c1, &tc), *b = make_trainer(c2, &tc);
    TrainStats sa, sb;
    assert_int_equal(trainer_iterate(a, &sa), 0);
    assert_int_equal(trainer_iterate(b, &sb), 0);
    /* the first batch is played with the same initial weights: same episodes */
    for (int i = 0; i < 8; i++) {
        assert_int_equal(sa.ep[i].episode, sb.ep[i].episode);
        assert_true(sa.ep[i].reward == sb.ep[i].reward);
    }
    assert_true(fabs(sa.grad_norm - sb.grad_norm) <= 1e-12 * sa.grad_norm);
    run_updates(a, 2);
    run_updates(b, 2);
    size_t P;
    const double *pa = trainer_params(a, &P), *pb = trainer_params(b, NULL);
    double d2 = 0.0, n2 = 0.0;
    for (size_t i = 0; i < P; i++) {
        d2 += (pa[i] - pb[i]) * (pa[i] - pb[i]);
        n2 += pa[i] * pa[i];
    }
    print_message("# W=2 vs W=1 after 3 updates: relative distance %.2e\n", sqrt(d2 / n2));
    assert_true(sqrt(d2 / n2) < 1e-9);
    trainer_free(a);
    trainer_free(b);
    config_free(c1);
    config_free(c2);
}

/* K processes emulated in one: trainers with parts 0..K-1 of K (one worker
** each) compute, their gradients are summed by hand in part order, every
** trainer applies the sum; byte-identical to one trainer with K workers:
** weights, optimizer state, per-episode stats, recorded episodes. K = 2 on a
** batch of 8 and K = 3 on a batch of 7 (parts 2+2+3). */
static void emulate_parts(int K, int B)
{
    char bs[32], ws[32];
    snprintf(bs, sizeof bs, "train.batch=%d", B);
    snprintf(ws, sizeof ws, "train.workers=%d", K);
    const char *const ew[] = { bs, ws, NULL };
    const char *const e1[] = { bs, "train.workers=1", NULL };
    Config *cw = make_config_with(ew), *c1 = make_config_with(e1);
    TrainConfig tc;
    Trainer *ref = make_trainer(cw, &tc);
    Trainer *part[4];
    for (int k = 0; k < K; k++) {
        part[k] = make_trainer(c1, &tc);
        assert_int_equal(trainer_set_part(part[k], k, K), 0);
    }
    size_t P;
    trainer_params(ref, &P);
    double *sum = malloc(P * sizeof(double));
    const int T = trainer_task_info(ref)->max_trials;
    EpisodeRecord *r1 = episode_alloc(T, 0), *r2 = episode_alloc(T, 0);
    for (int it = 0; it < 4; it++) {
        TrainStats st, sp[4];
        assert_int_equal(trainer_iterate(ref, &st), 0);
        int seen = 0;
        for (int k = 0; k < K; k++) {
            assert_int_equal(trainer_compute(part[k], &sp[k]), 0);
            assert_true(isnan(sp[k].grad_norm));
            assert_int_equal(sp[k].episode, st.episode);
            /* the part's episode stats are the reference's, for its lanes */
            assert_int_equal(sp[k].ep[0].episode, st.episode + seen);
            assert_memory_equal(sp[k].ep, st.ep + seen, (size_t)sp[k].n_episodes * sizeof *st.ep);
            seen += sp[k].n_episodes;
        }
        assert_int_equal(seen, B);
        /* the reduction, in part order: ((g_0 + g_1) + g_2) */
        size_t n;
        memcpy(sum, trainer_grad(part[0], &n), P * sizeof(double));
        assert_int_equal(n, P);
        for (int k = 1; k < K; k++) {
            const double *g = trainer_grad(part[k], NULL);
            for (size_t i = 0; i < P; i++) sum[i] += g[i];
        }
        for (int k = 0; k < K; k++) {
            memcpy(trainer_grad(part[k], NULL), sum, P * sizeof(double));
            TrainStats sa;
            memset(&sa, 0, sizeof sa);
            assert_int_equal(trainer_apply(part[k], &sa), 0);
            assert_true(sa.grad_norm == st.grad_norm && sa.lr == st.lr && sa.beta_e == st.beta_e);
            assert_int_equal(sa.episode, st.episode);
        }
        /* a recorded episode of the last part, from the part and from the reference */
        const int lane = B - 1;
        assert_int_equal(trainer_last_episode(part[K - 1], lane, r1), 0);
        assert_int_equal(trainer_last_episode(ref, lane, r2), 0);
        assert_int_equal(r1->n_trials, r2->n_trials);
        assert_memory_equal(r1->trials, r2->trials, (size_t)r1->n_trials * sizeof *r1->trials);
        assert_int_equal(trainer_last_episode(part[0], lane, r1), -1);   /* not its lane */
    }
    size_t S;
    trainer_optim_state(ref, &S);
    for (int k = 0; k < K; k++) {
        assert_int_equal(trainer_episode(part[k]), trainer_episode(ref));
        assert_memory_equal(trainer_params(part[k], NULL), trainer_params(ref, NULL), P * sizeof(double));
        assert_memory_equal(trainer_optim_state(part[k], NULL), trainer_optim_state(ref, NULL),
                            S * sizeof(double));
        trainer_free(part[k]);
    }
    free(sum);
    episode_free(r1);
    episode_free(r2);
    trainer_free(ref);
    config_free(cw);
    config_free(c1);
}

static void test_parts_equal_workers(void **state)
{
    (void)state;
    emulate_parts(2, 8);
    emulate_parts(3, 7);
}

/* trainer_set_part: out of range is refused and changes nothing. */
static void test_set_part_bad(void **state)
{
    (void)state;
    Config *c = make_config(small_sets);   /* batch 3 */
    TrainConfig tc;
    Trainer *tr = make_trainer(c, &tc);
    assert_int_equal(trainer_set_part(tr, 0, 4), -1);
    assert_int_equal(trainer_set_part(tr, 3, 3), -1);
    assert_int_equal(trainer_set_part(tr, -1, 2), -1);
    assert_int_equal(trainer_set_part(tr, 0, 0), -1);
    TrainStats st;
    assert_int_equal(trainer_iterate(tr, &st), 0);
    assert_int_equal(st.n_episodes, 3);   /* still the whole batch */
    assert_int_equal(trainer_set_part(tr, 2, 3), 0);
    assert_int_equal(trainer_compute(tr, &st), 0);
    assert_int_equal(st.n_episodes, 1);
    assert_int_equal(st.ep[0].episode, 5);
    trainer_free(tr);
    config_free(c);
}

/* Checkpoint and resume with two workers: bit-identical continuation. */
static void test_checkpoint_resume_workers(void **state)
{
    (void)state;
    const char *const extra[] = { "train.batch=6", "train.workers=2", NULL };
    check_resume(make_config_with(extra));
}

/* Mean P(best arm) of the frozen network over n test episodes. */
static double test_phase(const TrainConfig *tc, const Config *c, const double *params, int n,
                         double *sd)
{
    char err[256];
    Task *task = task_alloc(c, err, sizeof err);
    assert_non_null(task);
    void *s = net_agent_alloc(tc, &task->info, params, err, sizeof err);
    assert_non_null(s);
    Agent *agent = agent_wrap(agent_type_network, s);
    assert_non_null(agent);
    EpisodeRecord *rec = episode_alloc(task->info.max_trials, 0);
    gsl_rng *rt = rng_alloc(), *rp = rng_alloc();
    double sum = 0.0, sum2 = 0.0;
    for (int e = 0; e < n; e++) {
        rng_seed_episode(rt, tc->seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(rp, tc->seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, agent, rt, rp, tc->gamma, rec);
        int k = 0;
        for (int t = 0; t < rec->n_trials; t++) k += rec->trials[t].action == rec->trials[t].truth.best;
        double pb = (double)k / rec->n_trials;
        sum += pb;
        sum2 += pb * pb;
    }
    double m = sum / n;
    *sd = sqrt((sum2 / n - m * m) / (n - 1));
    gsl_rng_free(rt);
    gsl_rng_free(rp);
    episode_free(rec);
    agent_free(agent);
    task_free(task);
    return m;
}

/* Easy bandit (0.9/0.1, sides shuffled), T = 100: chance is P(best) = 0.5.
** 12 hidden units, batch 8, 750 updates (6000 episodes, ~0.5 s). Every
** setting that matters is pinned here, so that tuning the defaults does not
** move this test; with seed 3 it reaches P(best) ~ 0.98 (other seeds of
** this short schedule reach 0.54-0.99: the seed is part of the test). */
static double learns_easy_bandit(const char *workers)
{
    const char *const sets[] = { workers, "task.name=bandit", "task.dist=easy", "task.trials=100",
                                 "model.hidden=12", "model.activation=tanh", "model.init=gaussian",
                                 "model.gain=1", "model.dt=1", "model.tau=1",
                                 "model.value_trains_pfc=true", "model.striatum_units=0",
                                 "train.batch=8", "train.lr=0.01", "train.optimizer=adam",
                                 "train.eps=1e-5", "train.gamma=0.9", "train.gae_lambda=1",
                                 "train.beta_v=0.05", "train.beta_e=0.05", "train.beta_e_final=0.05",
                                 "train.clip_norm=40", "train.anneal_episodes=0", "run.seed=3",
                                 NULL };
    Config *c = make_config(sets);
    TrainConfig tc;
    Trainer *tr = make_trainer(c, &tc);
    double sd;
    double before = test_phase(&tc, c, trainer_params(tr, NULL), 200, &sd);
    run_updates(tr, 750);
    double after = test_phase(&tc, c, trainer_params(tr, NULL), 200, &sd);
    print_message("# easy bandit P(best), %s: %.3f before, %.3f +- %.3f after 6000 episodes\n",
                  workers, before, after, sd);
    assert_true(after > 0.5 + 5 * sd);
    assert_true(after > 0.75);
    trainer_free(tr);
    config_free(c);
    return after;
}

static void test_learns_easy_bandit(void **state)
{
    (void)state;
    learns_easy_bandit("train.workers=1");
}

/* model.precision = single (float32 products, model/net_kernels_f.c): the same
** schedule learns as well, within 5 standard errors of the double run's P(best). */
static void test_learns_easy_bandit_single(void **state)
{
    (void)state;
    const double d = learns_easy_bandit("model.precision=double");
    const double s = learns_easy_bandit("model.precision=single");
    const double se = sqrt(d * (1.0 - d) / 200.0 + s * (1.0 - s) / 200.0);
    assert_true(fabs(s - d) < 5.0 * se + 0.02);
}

/* Single precision: the same seed and settings give the same bits (two
** trainers, and a checkpoint resumed), and other bits than double. */
static void test_single_deterministic(void **state)
{
    (void)state;
    const char *const sets[] = { "task.name=bandit", "task.trials=20", "model.hidden=40",
                                 "model.striatum_units=3", "model.critic_input=true", "model.noise=0.1",
                                 "model.tau=2", "train.batch=3", "run.seed=7", "model.precision=single",
                                 NULL };
    Config *c = make_config(sets);
    TrainConfig tc;
    Trainer *a = make_trainer(c, &tc), *b = make_trainer(c, &tc);
    run_updates(a, 4);
    run_updates(b, 4);
    size_t P;
    const double *pa = trainer_params(a, &P);
    assert_memory_equal(pa, trainer_params(b, NULL), P * sizeof(double));
    const char *const dsets[] = { "task.name=bandit", "task.trials=20", "model.hidden=40",
                                  "model.striatum_units=3", "model.critic_input=true", "model.noise=0.1",
                                  "model.tau=2", "train.batch=3", "run.seed=7", NULL };
    Config *c2 = make_config(dsets);
    Trainer *d = make_trainer(c2, &tc);
    run_updates(d, 4);
    assert_true(memcmp(pa, trainer_params(d, NULL), P * sizeof(double)) != 0);
    trainer_free(d);
    trainer_free(a);
    trainer_free(b);
    config_free(c2);
    check_resume(c);   /* frees c */
}

/* The same schedule with two workers (another summation order) learns too. */
static void test_learns_easy_bandit_two_workers(void **state)
{
    (void)state;
    learns_easy_bandit("train.workers=2");
}

/* The agent replays a training episode bit for bit (same weights, same
** episode seeds), and a test phase leaves the given weights untouched. */
static void agent_matches_training(const char *const *sets)
{
    Config *c = make_config(sets);
    TrainConfig tc;
    Trainer *tr = make_trainer(c, &tc);
    run_updates(tr, 2);
    size_t P;
    const double *params = trainer_params(tr, &P);
    double *before = malloc(P * sizeof(double));
    memcpy(before, params, P * sizeof(double));
    const long e0 = trainer_episode(tr);
    const TaskInfo *ti = trainer_task_info(tr);
    const Net *net = trainer_net(tr);
    const int n_units = net->d.N + net->d.S;

    char err[256];
    Task *task = task_alloc(c, err, sizeof err);
    void *s = net_agent_alloc(&tc, ti, params, err, sizeof err);
    Agent *agent = agent_wrap(agent_type_network, s);
    EpisodeRecord *rec = episode_alloc(ti->max_trials, n_units);
    EpisodeRecord *ref = episode_alloc(ti->max_trials, n_units);
    gsl_rng *rt = rng_alloc(), *rp = rng_alloc();
    /* lane 1 of the next batch is training episode e0 + 1 */
    rng_seed_episode(rt, tc.seed, RNG_STREAM_TASK, (uint64_t)(e0 + 1));
    rng_seed_episode(rp, tc.seed, RNG_STREAM_POLICY, (uint64_t)(e0 + 1));
    runner_episode(task, agent, rt, rp, tc.gamma, rec);
    assert_memory_equal(before, params, P * sizeof(double));

    run_updates(tr, 1);
    assert_int_equal(trainer_last_episode(tr, 1, ref), 0);
    assert_int_equal(rec->n_trials, ref->n_trials);
    for (int t = 0; t < rec->n_trials; t++) {
        const TrialRecord *a = &rec->trials[t], *b = &ref->trials[t];
        assert_int_equal(a->action, b->action);
        assert_true(a->reward == b->reward);
        assert_true(a->probs[0] == b->probs[0] && a->probs[1] == b->probs[1]);
        assert_true(a->value == b->value);
        assert_true(a->rpe == b->rpe);
    }
    assert_int_equal(rec->n_pfc, net->d.N);
    assert_memory_equal(rec->activity, ref->activity, (size_t)rec->n_trials * n_units * sizeof(float));
    assert_string_equal(rec->instance, ref->instance);

    /* a test phase of many episodes: the agent's weights are its own copy,
    ** and the trainer's block is never written */
    memcpy(before, trainer_params(tr, NULL), P * sizeof(double));
    for (int e = 0; e < 20; e++) {
        rng_seed_episode(rt, tc.seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(rp, tc.seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, agent, rt, rp, tc.gamma, rec);
    }
    assert_memory_equal(before, trainer_params(tr, NULL), P * sizeof(double));

    gsl_rng_free(rt);
    gsl_rng_free(rp);
    episode_free(rec);
    episode_free(ref);
    agent_free(agent);
    task_free(task);
    free(before);
    trainer_free(tr);
    config_free(c);
}

/* small_sets with time within a trial: leaky units (alpha 0.2), noise, 5
** steps per trial (model.epochs). */
static const char *const epoch_sets[] = {
    "task.name=bandit", "task.trials=20", "model.hidden=8", "model.striatum_units=3",
    "model.critic_input=true", "model.noise=0.1", "model.dt=0.2", "model.epochs=1,1,2,1",
    "train.batch=3", "run.seed=7", NULL
};

static void test_agent_matches_training(void **state)
{
    (void)state;
    agent_matches_training(small_sets);
    agent_matches_training(epoch_sets);
}

/* Epochs: training is deterministic, learns something (the weights move, the
** loss is finite), and a checkpoint resumes bit-identically. */
static void test_epochs_train(void **state)
{
    (void)state;
    Config *c = make_config(epoch_sets);
    TrainConfig tc;
    Trainer *a = make_trainer(c, &tc), *b = make_trainer(c, &tc);
    assert_int_equal(trainer_net(a)->d.K, 5);
    run_updates(a, 3);
    run_updates(b, 3);
    size_t P;
    const double *pa = trainer_params(a, &P);
    assert_memory_equal(pa, trainer_params(b, NULL), P * sizeof(double));
    trainer_free(a);
    trainer_free(b);
    check_resume(c);   /* frees c */
}

/* small_sets with the outcome-prediction loss (train.beta_pred) and a separate
** critic, and the same with beta_pred = 0 written out. */
static const char *const pred_sets[] = {
    "task.name=bandit", "task.trials=20", "model.hidden=8", "model.striatum_units=3",
    "model.critic_input=true", "model.noise=0.1", "model.tau=2", "model.value_trains_pfc=false",
    "train.beta_pred=1", "train.batch=3", "run.seed=7", NULL
};
static const char *const pred0_sets[] = {
    "task.name=bandit", "task.trials=20", "model.hidden=8", "model.striatum_units=3",
    "model.critic_input=true", "model.noise=0.1", "model.tau=2", "train.beta_pred=0",
    "train.batch=3", "run.seed=7", NULL
};

/* train.beta_pred: deterministic, resumes bit-identically, the frozen agent
** reproduces a training episode with it; the readout W_p, b_p (the last
** A (N + 1) parameters) is trained; beta_pred = 0 gives small_sets's bits. */
static void test_predict_train(void **state)
{
    (void)state;
    Config *c = make_config(pred_sets);
    TrainConfig tc;
    Trainer *a = make_trainer(c, &tc), *b = make_trainer(c, &tc);
    const Net *net = trainer_net(a);
    assert_true(net->cfg.predict);
    size_t P;
    const double *pa = trainer_params(a, &P);
    const size_t p0 = (size_t)(net->p.W_p - net->params), np = P - p0;
    assert_int_equal(np, (size_t)net->d.A * (net->d.N + 1));
    double *init = malloc(np * sizeof(double));
    memcpy(init, pa + p0, np * sizeof(double));
    run_updates(a, 3);
    run_updates(b, 3);
    pa = trainer_params(a, &P);
    assert_memory_equal(pa, trainer_params(b, NULL), P * sizeof(double));
    assert_true(memcmp(init, pa + p0, np * sizeof(double)) != 0);
    free(init);
    trainer_free(a);
    trainer_free(b);
    agent_matches_training(pred_sets);
    check_resume(c);   /* frees c */

    Config *c0 = make_config(pred0_sets), *cs = make_config(small_sets);
    TrainConfig tc0, tcs;
    Trainer *z = make_trainer(c0, &tc0), *ref = make_trainer(cs, &tcs);
    assert_false(trainer_net(z)->cfg.predict);
    run_updates(z, 3);
    run_updates(ref, 3);
    size_t Pz, Pr;
    const double *pz = trainer_params(z, &Pz), *pr = trainer_params(ref, &Pr);
    assert_int_equal(Pz, Pr);
    assert_memory_equal(pz, pr, Pz * sizeof(double));
    trainer_free(z);
    trainer_free(ref);
    config_free(c0);
    config_free(cs);
}

/* The one delta: the rpe the episode record stores is, bit for bit, the
** delta the trainer built its advantages from (striatum_deltas), and with
** lambda = 0 the advantage itself; and the record's regret (episode_summarize)
** equals the trainer's statistic (the one regret formula). */
static void test_stored_delta_is_the_trained_delta(void **state)
{
    (void)state;
    const char *const sets[] = { "task.name=bandit", "task.trials=20", "model.hidden=8",
                                 "model.striatum_units=3", "train.batch=3", "train.gae_lambda=0",
                                 "run.seed=11", NULL };
    Config *c = make_config(sets);
    TrainConfig tc;
    Trainer *tr = make_trainer(c, &tc);
    TrainStats st;
    assert_int_equal(trainer_iterate(tr, &st), 0);
    const TaskInfo *ti = trainer_task_info(tr);
    EpisodeRecord *rec = episode_alloc(ti->max_trials, 0);
    for (int lane = 0; lane < st.n_episodes; lane++) {
        assert_int_equal(trainer_last_episode(tr, lane, rec), 0);
        const double *delta = trainer_lane_deltas(tr, lane);
        assert_non_null(delta);
        double reward[64], V[64], again[64];
        assert_true(rec->n_trials <= 64);
        for (int t = 0; t < rec->n_trials; t++) {
            assert_memory_equal(&rec->trials[t].rpe, &delta[t], sizeof(double));
            reward[t] = rec->trials[t].reward;
            V[t] = rec->trials[t].value;
        }
        /* and the striatum's formula on the stored values gives them again */
        striatum_deltas(rec->n_trials, reward, V, tc.gamma, again);
        assert_memory_equal(again, delta, (size_t)rec->n_trials * sizeof(double));
        /* lambda = 0: the advantage is delta itself */
        double adv[64], ret[64];
        a2c_advantages(rec->n_trials, delta, V, tc.gamma, 0.0, adv, ret);
        assert_memory_equal(adv, delta, (size_t)rec->n_trials * sizeof(double));
        /* one regret formula: the record and the training statistics agree */
        assert_memory_equal(&rec->regret, &st.ep[lane].regret, sizeof(double));
        assert_true(rec->total_reward == st.ep[lane].reward);
    }
    assert_null(trainer_lane_deltas(tr, st.n_episodes));
    episode_free(rec);
    trainer_free(tr);
    config_free(c);
}

static void test_bad_settings(void **state)
{
    (void)state;
    const char *const sets[] = { "model.dt=2", "model.tau=1", NULL };
    Config *c = make_config(sets);
    TrainConfig tc;
    char err[256];
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), -1);
    assert_non_null(strstr(err, "tau"));
    config_free(c);
    /* model.epochs: 0, or four counts with choice and outcome >= 1 */
    const char *const bad[][2] = { { "model.epochs=1,1,2", NULL }, { "model.epochs=1,0,2,1", NULL },
                                   { "model.epochs=1,1,0,1", NULL }, { "model.epochs=3", NULL } };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        c = make_config(bad[k]);
        assert_int_equal(train_config_from(c, &tc, err, sizeof err), -1);
        assert_non_null(strstr(err, "model.epochs"));
        config_free(c);
    }
    /* the local rule has no outcome prediction */
    const char *const eprop_pred[] = { "train.rule=eprop", "train.beta_pred=0.5", NULL };
    c = make_config(eprop_pred);
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), -1);
    assert_non_null(strstr(err, "train.beta_pred"));
    config_free(c);
}

/* Linear schedules: anneal_episodes = -1 means run.episodes (here 200);
** lr 1e-3 -> 0 and beta_e 0.05 -> 0.01: at episode 50, 7.5e-4 and 0.04. */
static void test_schedules(void **state)
{
    (void)state;
    const char *const sets[] = { "run.episodes=200", "train.anneal_episodes=-1", "train.lr=1e-3",
                                 "train.lr_final=0", "train.beta_e=0.05", "train.beta_e_final=0.01",
                                 NULL };
    Config *c = make_config(sets);
    TrainConfig tc;
    char err[256];
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    assert_int_equal(tc.anneal_episodes, 200);
    assert_true(fabs(train_lr(&tc, 50) - 7.5e-4) < 1e-18);
    assert_true(fabs(train_beta_e(&tc, 50) - 0.04) < 1e-16);
    assert_true(train_lr(&tc, 500) == 0.0 && train_beta_e(&tc, 500) == 0.01);
    tc.lr_final = -1.0;
    assert_true(train_lr(&tc, 50) == 1e-3);
    config_free(c);
}

/* optim_all_finite against isfinite, value by value: one odd value (either
** infinity, NaN of either sign, or a finite extreme, which must pass) at
** every position of every length up to 37 (the vector tails included). */
static void test_all_finite(void **state)
{
    (void)state;
    const double odd[] = { INFINITY, -INFINITY, NAN, -NAN, 1.7976931348623157e308, -4.9e-324, -0.0, 0.0 };
    double x[37] = { 0 };
    assert_int_equal(optim_all_finite(x, 0), 1);
    for (int n = 1; n <= 37; n++)
        for (int at = 0; at < n; at++)
            for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
                for (int i = 0; i < n; i++) x[i] = 0.5 * i - 3.0;
                x[at] = odd[k];
                assert_int_equal(optim_all_finite(x, (size_t)n), isfinite(odd[k]) ? 1 : 0);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_finite),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_agent_matches_training),
        cmocka_unit_test(test_epochs_train),
        cmocka_unit_test(test_predict_train),
        cmocka_unit_test(test_stored_delta_is_the_trained_delta),
        cmocka_unit_test(test_learns_easy_bandit),
        cmocka_unit_test(test_learns_easy_bandit_two_workers),
        cmocka_unit_test(test_learns_easy_bandit_single),
        cmocka_unit_test(test_single_deterministic),
        cmocka_unit_test(test_one_worker_is_serial),
        cmocka_unit_test(test_workers_repeat),
        cmocka_unit_test(test_two_workers_close),
        cmocka_unit_test(test_parts_equal_workers),
        cmocka_unit_test(test_set_part_bad),
        cmocka_unit_test(test_checkpoint_resume_workers),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
