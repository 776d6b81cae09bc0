/* tests/bench_train.c: training throughput of the network, one core.
**
** For B in {1, 8, 32} and N in {48, 128, 256} on the independent two-armed
** bandit (T = 100): environment steps (trials) per second of full training,
** i.e. task, forward pass, action sampling, A2C loss, backpropagation
** through the episode, gradient reduction and the optimizer step, measured
** over at least 1 s of wall time after one warm-up batch. Also printed: the
** flops per step of the matrix products (net_flops_per_step) and the rate
** they imply. Issue target: >= 200,000 steps/s at N = 48, B = 1.
**
**     make bench    (or build/tests/bench_train [seconds-per-cell [tanh|relu|softplus]])
*/
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/config.h"
#include "model/trainer.h"
#include "tasks/task.h"

static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "master seed" },
    { "run", "episodes", NULL, OPT_INT, "1000000000", 1, 1e12, NULL, NULL, "episodes" },
    OPT_END
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int bench(int B, int N, const char *act, double min_secs, double *steps_per_s, double *flops)
{
    char err[256], buf[64];
    Config *c = config_alloc();
    int rc = -1;
    Trainer *tr = NULL;
    if (!c || config_declare(c, run_specs) || task_declare(c) || train_declare(c)) goto done;
    snprintf(buf, sizeof buf, "model.hidden=%d", N);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    snprintf(buf, sizeof buf, "train.batch=%d", B);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    snprintf(buf, sizeof buf, "model.activation=%s", act);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    if (config_assign(c, "task.dist=independent", "bench", err, sizeof err)
        || config_assign(c, "task.trials=100", "bench", err, sizeof err)
        || config_finalize(c, err, sizeof err))
        goto done;
    TrainConfig tc;
    if (train_config_from(c, &tc, err, sizeof err)) goto done;
    tr = trainer_alloc(&tc, c, err, sizeof err);
    if (!tr) goto done;
    TrainStats st;
    if (trainer_iterate(tr, &st)) goto done;   /* warm-up */
    long steps = 0;
    double t0 = now(), el;
    do {
        if (trainer_iterate(tr, &st)) goto done;
        for (int b = 0; b < st.n_episodes; b++) steps += st.ep[b].n_trials;
        el = now() - t0;
    } while (el < min_secs);
    *steps_per_s = (double)steps / el;
    *flops = net_flops_per_step(&trainer_net(tr)->d);
    rc = 0;
done:
    if (rc) fprintf(stderr, "bench B=%d N=%d: %s\n", B, N, err);
    trainer_free(tr);
    config_free(c);
    return rc;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    const char *act = argc > 2 ? argv[2] : "relu";
    static const int Bs[] = { 1, 8, 32 }, Ns[] = { 48, 128, 256 };
    printf("# training throughput, independent bandit, T = 100, one thread, %s units\n", act);
    printf("# (flops/step counts dense products; relu skips silent units, so its\n"
           "#  GFLOP/s is an effective rate)\n");
    printf("# %4s %4s %14s %14s %10s\n", "B", "N", "steps/s", "flops/step", "GFLOP/s");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double sps, fl;
            if (bench(Bs[i], Ns[j], act, secs, &sps, &fl)) return 1;
            printf("  %4d %4d %14.0f %14.0f %10.2f\n", Bs[i], Ns[j], sps, fl, sps * fl * 1e-9);
            fflush(stdout);
        }
    return 0;
}
