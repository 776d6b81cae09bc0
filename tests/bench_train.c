/* tests/bench_train.c: training throughput of the network.
**
** For B in {1, 8, 16, 32} and N in {48, 128, 256} on the independent
** two-armed bandit (T = 100), with one worker thread, and with W = 2 workers
** for B = 16 and 32: environment steps (trials) per second of full training,
** i.e. task, forward pass, action sampling, A2C loss, backpropagation
** through the episode, gradient reduction and the optimizer step, measured
** over at least `seconds` of wall time (per precision, on average) after
** two warm-up batches. Also
** printed: the flops per step of the matrix products (net_flops_per_step,
** dense) and the rate they imply, and for W = 2 the speed-up over W = 1.
** The output is a Markdown table (the README's Speed section).
**
** Each cell runs in both precisions (model.precision, -p): two trainers from
** the same seed, in alternating rounds of the same batches (about 0.25 s
** each), so both do the same work at the same point of training, and a
** change in a shared machine's speed during the cell hits both alike
** (back to back, each for `seconds`, the single run trained further and its
** speed-up varied 1.66-1.94x between runs at B 16, N 256; alternating,
** 1.67-1.69x). Each cell reports its rate per CPU-second (steps/cpu-s times flops/step) as a
** percentage of this core's FMA peak in the same precision (tests/helpers/
** peak.h: AVX2+FMA, 4 doubles or 8 floats a vector, also per CPU-second),
** measured in the same process (the best of rounds before the table and
** between its cells; rows print at the end); both are per core and
** disturbed little by other processes on a shared machine, unlike wall time; "vs double" is the
** single-precision row's speed-up (in steps/cpu-s) over the double row above it:
** the median of the rounds' ratios (their range and count in brackets);
** "replays": batch shares that overflowed float and were replayed in double
** (model/trainer.c worker_run; relu's early gradient blow-ups). Dense flops
** overstate the work of a relu network, whose products skip silent units
** (its "% of peak" in them can pass 100%), so with W = 1 (everything on this
** thread) the products actually executed are counted too (net_comb_madds,
** model/net_kernels.h) and their rate per CPU-second is reported against the
** peak: "executed".
**
**     make bench    (or build/tests/bench_train [-s seconds] [-a tanh|relu|softplus]
**                         [-B 1,8,16,32] [-N 48,128,256] [-W 1,2] [-2 16,32] [-c]
**                         [-p double,single])
**
** -B, -N, -W give the grid (every B x N x W); -2 lists the batch sizes that
** also get a W = 2 row when -W is not given (default 16,32; "" for none); -c
** adds a column of steps per second of the process's CPU time.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "model/net_kernels.h"
#include "model/trainer.h"
#include "tests/helpers/peak.h"
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

/* CPU seconds used by the process, all threads. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A trainer for one cell in one precision; NULL with a message on stderr. */
static Trainer *cell_trainer(int B, int N, int W, const char *act, const char *prec, Config **cfg)
{
    char err[256] = "", buf[64];
    Config *c = config_alloc();
    Trainer *tr = NULL;
    if (!c || config_declare(c, run_specs) || task_declare(c) || train_declare(c)) goto done;
    snprintf(buf, sizeof buf, "model.hidden=%d", N);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    snprintf(buf, sizeof buf, "train.batch=%d", B);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    snprintf(buf, sizeof buf, "train.workers=%d", W);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    snprintf(buf, sizeof buf, "model.activation=%s", act);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    snprintf(buf, sizeof buf, "model.precision=%s", prec);
    if (config_assign(c, buf, "bench", err, sizeof err)) goto done;
    if (config_assign(c, "task.dist=independent", "bench", err, sizeof err)
        || config_assign(c, "task.trials=100", "bench", err, sizeof err)
        || config_finalize(c, err, sizeof err))
        goto done;
    TrainConfig tc;
    if (train_config_from(c, &tc, err, sizeof err)) goto done;
    tr = trainer_alloc(&tc, c, err, sizeof err);
    TrainStats st;
    if (tr && trainer_iterate(tr, &st)) {   /* warm-up */
        snprintf(err, sizeof err, "the warm-up batch failed");
        trainer_free(tr);
        tr = NULL;
    }
done:
    if (!tr) {
        fprintf(stderr, "bench B=%d N=%d W=%d %s: %s\n", B, N, W, prec, err[0] ? err : "out of memory");
        config_free(c);
        c = NULL;
    }
    *cfg = c;
    return tr;
}

typedef struct {
    long steps;
    double wall, cpu;
    unsigned long long madds;   /* products executed on this thread */
} Tally;

/* iters training batches of tr, added to *t (and their own CPU time in *cpu). */
static int run_round(Trainer *tr, int iters, Tally *t, double *cpu, long *steps)
{
    TrainStats st;
    long n = 0;
    unsigned long long m0 = net_comb_madds();
    double t0 = now(), c0 = cpu_now();
    for (int i = 0; i < iters; i++) {
        if (trainer_iterate(tr, &st)) return -1;
        for (int b = 0; b < st.n_episodes; b++) n += st.ep[b].n_trials;
    }
    *cpu = cpu_now() - c0;
    *steps = n;
    t->wall += now() - t0;
    t->cpu += *cpu;
    t->steps += n;
    t->madds += net_comb_madds() - m0;
    return 0;
}

#define ROUND_SECS 0.25   /* a round of batches, in the first precision's wall time */
#define MAX_ROUNDS 4096
static double ratios[MAX_ROUNDS];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* "1,8,16" -> {1, 8, 16}; return the count (at most cap), -1 if malformed. */
static int parse_list(const char *s, int *out, int cap)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1000000 || n == cap) return -1;
        out[n++] = (int)v;
        s = end;
        if (*s == ',') s++;
        else if (*s) return -1;
    }
    return n;
}

int main(int argc, char **argv)
{
    double secs = 1.0;
    const char *act = "relu";
    int Bs[16] = { 1, 8, 16, 32 }, Ns[16] = { 48, 128, 256 }, Ws[16] = { 1 }, B2[16] = { 16, 32 };
    int nB = 4, nN = 3, nW = 1, nB2 = 2, opt, w_given = 0, cpu = 0;
    int precs[2] = { 1, 1 };   /* double, single */
    while ((opt = getopt(argc, argv, "s:a:B:N:W:2:cp:")) != -1) {
        switch (opt) {
        case 'p':
            precs[0] = strstr(optarg, "double") != NULL;
            precs[1] = strstr(optarg, "single") != NULL;
            if (!precs[0] && !precs[1]) nB = -1;
            break;
        case 'c': cpu = 1; break;
        case 's': secs = atof(optarg); break;
        case 'a': act = optarg; break;
        case 'B': nB = parse_list(optarg, Bs, 16); break;
        case 'N': nN = parse_list(optarg, Ns, 16); break;
        case 'W': nW = parse_list(optarg, Ws, 16); w_given = 1; break;
        case '2': nB2 = parse_list(optarg, B2, 16); break;
        default: nB = -1;
        }
    }
    if (nB < 1 || nN < 1 || nW < 1 || nB2 < 0 || !(secs > 0.0)) {
        fprintf(stderr, "usage: bench_train [-s seconds] [-a tanh|relu|softplus] [-B list] [-N list] "
                        "[-W list] [-2 list] [-c] [-p double,single]\n");
        return 2;
    }
    printf("Training throughput: independent bandit, T = 100, %s units, defaults otherwise;\n"
           "steps = trials per second of wall time (task, forward, sampling, loss, backward,\n"
           "reduction, optimizer). flops/step counts the dense matrix products of one trial\n"
           "(net_flops_per_step); relu skips silent units, so its GFLOP/s is an effective rate.\n"
           "W = worker threads (train.workers); the last column is the speed-up over W = 1.\n\n",
           act);
    if (cpu)
        printf("steps/cpu-s: trials per second of the process's CPU time (all threads), a\n"
               "measure that a busy machine disturbs less than wall time.\n\n");
    /* the peak: the best of 2 s before the table and 0.3 s after each cell (a
    ** round on a core whose sibling is busy runs slower); rows print at the end */
    double peak[2];
    for (int q = 0; q < 2; q++) peak[q] = peak_fma_gflops(q, 2.0);
    typedef struct { int B, N, W, q; double sps, scpu, fl, ex; long rep; char ratio[32], vsd[48]; } Row;
    static Row rows[2 * 16 * 16 * 17];
    int nr = 0;
    for (int i = 0; i < nB; i++)
        for (int j = 0; j < nN; j++) {
            int wl[17], nw = 0;
            if (w_given) {
                for (int k = 0; k < nW; k++) wl[nw++] = Ws[k];
            } else {
                wl[nw++] = 1;
                for (int k = 0; k < nB2; k++)
                    if (B2[k] == Bs[i]) wl[nw++] = 2;
            }
            double base[2] = { 0.0, 0.0 };
            for (int k = 0; k < nw; k++) {
                Trainer *tr[2] = { NULL, NULL };
                Config *cf[2] = { NULL, NULL };
                int ok = 1;
                for (int q = 0; q < 2; q++)
                    if (precs[q] && !(tr[q] = cell_trainer(Bs[i], Ns[j], wl[k], act, q ? "single" : "double", &cf[q])))
                        ok = 0;
                /* Rounds of the same number of batches in each precision,
                ** alternating, so that a change in the machine's speed during
                ** the cell (a shared machine's neighbours) hits both alike;
                ** a round is about ROUND_SECS of the first precision. */
                const int q0 = precs[0] ? 0 : 1;
                Tally tot[2] = { { 0 }, { 0 } }, probe = { 0 };
                double c1;
                long s1;
                int iters = 1, n_ratio = 0;
                if (ok && run_round(tr[q0], 1, &probe, &c1, &s1) == 0) {
                    iters = (int)(ROUND_SECS / (probe.wall > 1e-6 ? probe.wall : 1e-6));
                    if (iters < 1) iters = 1;
                    Tally other = { 0 };   /* the same batch in the other precision: both at the same episode */
                    if (precs[1 - q0] && run_round(tr[1 - q0], 1, &other, &c1, &s1) != 0) ok = 0;
                } else {
                    ok = 0;
                }
                net_comb_counting(1);
                while (ok && tot[0].wall + tot[1].wall < secs * (precs[0] + precs[1])) {
                    double cq[2] = { 0.0, 0.0 };
                    long sq[2] = { 0, 0 };
                    for (int q = 0; q < 2 && ok; q++)
                        if (precs[q] && run_round(tr[q], iters, &tot[q], &cq[q], &sq[q]) != 0) ok = 0;
                    if (ok && precs[0] && precs[1] && n_ratio < MAX_ROUNDS && cq[0] > 0.0 && cq[1] > 0.0)
                        ratios[n_ratio++] = ((double)sq[1] / cq[1]) / ((double)sq[0] / cq[0]);
                }
                net_comb_counting(0);
                for (int q = 0; q < 2 && ok; q++) {
                    if (!precs[q]) continue;
                    Row *w = &rows[nr++];
                    *w = (Row){ Bs[i], Ns[j], wl[k], q, 0, 0, 0, 0, 0, "", "" };
                    w->sps = (double)tot[q].steps / tot[q].wall;
                    w->scpu = (double)tot[q].steps / tot[q].cpu;
                    /* workers beyond the first run on threads of their own, whose products this thread does not see */
                    w->ex = wl[k] == 1 ? 2.0 * (double)tot[q].madds * 1e-9 / tot[q].cpu : NAN;
                    w->fl = net_flops_per_step(&trainer_net(tr[q])->d);
                    w->rep = trainer_double_replays(tr[q]);
                    if (wl[k] == 1) base[q] = w->sps;
                    if (wl[k] != 1 && base[q] > 0.0) snprintf(w->ratio, sizeof w->ratio, "%.2fx", w->sps / base[q]);
                    if (q == 1 && n_ratio > 0) {
                        qsort(ratios, (size_t)n_ratio, sizeof *ratios, cmp_double);
                        snprintf(w->vsd, sizeof w->vsd, "%.2fx (%.2f-%.2f, %d)", ratios[n_ratio / 2], ratios[0],
                                 ratios[n_ratio - 1], n_ratio);
                    }
                    fprintf(stderr, "bench_train: B %d N %d W %d %s: %.0f steps/s\n", w->B, w->N, w->W,
                            q ? "single" : "double", w->sps);
                }
                for (int q = 0; q < 2; q++) {
                    trainer_free(tr[q]);
                    config_free(cf[q]);
                }
                if (!ok) return 1;
                for (int q = 0; q < 2; q++) {
                    const double pk = peak_fma_gflops(q, 0.3);
                    if (pk > peak[q]) peak[q] = pk;
                }
            }
        }
    printf("FMA peak of this core per CPU-second (tests/helpers/peak.h, the best of rounds before\n"
           "the table and between its cells): double %.2f GFLOP/s, single %.2f GFLOP/s.\n"
           "%% of peak: steps/cpu-s x flops/step against it (the same precision); executed: the\n"
           "flops of the products actually computed (relu skips silent units) per CPU-second, and\n"
           "their share of the peak (W = 1 only); vs double: the single row's steps/cpu-s over the\n"
           "double row's above it, the median over alternating rounds of the same batches (their\n"
           "range, and how many); replays: batch shares replayed in double after a float overflow\n"
           "(model/trainer.c).\n\n", peak[0], peak[1]);
    printf("| B | N | W | precision | steps/s | flops/step | GFLOP/s | %% of peak | executed GFLOP/s | executed %% of "
           "peak | vs W=1 | vs double | replays |%s\n", cpu ? " steps/cpu-s |" : "");
    printf("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s\n", cpu ? "---:|" : "");
    for (int k = 0; k < nr; k++) {
        const Row *w = &rows[k];
        char ex[32] = "-", exp[32] = "-";
        if (isfinite(w->ex)) {
            snprintf(ex, sizeof ex, "%.2f", w->ex);
            snprintf(exp, sizeof exp, "%.0f%%", 100.0 * w->ex / peak[w->q]);
        }
        printf("| %d | %d | %d | %s | %.0f | %.0f | %.2f | %.0f%% | %s | %s | %s | %s | %ld |", w->B, w->N, w->W,
               w->q ? "single" : "double", w->sps, w->fl, w->sps * w->fl * 1e-9,
               100.0 * w->scpu * w->fl * 1e-9 / peak[w->q], ex, exp, w->ratio, w->vsd, w->rep);
        if (cpu) printf(" %.0f |", w->scpu);
        printf("\n");
    }
    return 0;
}
