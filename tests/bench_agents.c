/* tests/bench_agents.c: the reference agents' performance table (README).
**
** Runs every reference agent (agent_types[]) through model/runner.c on
**   - the two-armed bandits of Wang et al. (2016), T = 100 trials:
**     dist = independent, dependent, easy, medium, hard (shuffled sides);
**     reports reward per trial and regret at T = 100;
**   - probabilistic reversal, 200 trials, schedule = hazard, for
**     p_high/p_low = 0.8/0.2 and 0.7/0.3 and hazard 0.05 and 0.025;
**     reports P(best arm) over all trials, and the accuracy (chose the arm
**     that is now best) on trials 1..10 after a reversal, i.e. the first ten
**     trials of every block but the first, pooled over blocks and episodes.
** Each cell is mean ± SE over EPISODES episodes; every agent meets the same
** task instances and reward coins (episode e uses rng_seed_episode(r, SEED,
** RNG_STREAM_TEST_TASK / RNG_STREAM_TEST_POLICY, e)), so differences between
** rows are paired. The SE of the pooled post-reversal accuracy treats the
** episode as the unit (ratio estimator, clustered by episode). A cell is "—"
** when the agent does not serve that task (its alloc() refuses).
**
** It also prints the Bayes-optimal expected regret from the dynamic program
** (model/agents/agent_bayes.h), T E[max p] - V*(T), next to the simulated value.
**
** Usage: bench_agents [EPISODES [SEED]]   (defaults 10000, 1). Prints Markdown.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/episode.h"
#include "core/rng.h"
#include "model/agent.h"
#include "model/agents/agent_bayes.h"
#include "model/runner.h"
#include "tasks/task.h"

#define MAX_AGENTS 16

typedef struct {
    int ok;                  /* the agent served the task */
    double m[2], se[2];      /* two metrics, mean and SE */
} Cell;

/* Mean and SE of x[0..n-1]. */
static void mean_se(const double *x, long n, double *m, double *se)
{
    double s = 0.0, ss = 0.0;
    for (long i = 0; i < n; i++) s += x[i];
    double mu = s / n;
    for (long i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
    *m = mu;
    *se = n > 1 ? sqrt(ss / (n - 1) / n) : NAN;
}

/* Pooled ratio sum(num)/sum(den) with an SE clustered by episode. */
static void ratio_se(const double *num, const double *den, long n, double *m, double *se)
{
    double sn = 0.0, sd = 0.0, ss = 0.0;
    for (long i = 0; i < n; i++) {
        sn += num[i];
        sd += den[i];
    }
    double r = sn / sd;
    for (long i = 0; i < n; i++) ss += (num[i] - r * den[i]) * (num[i] - r * den[i]);
    *m = r;
    *se = n > 1 ? sqrt(ss * n / (n - 1)) / sd : NAN;
}

static Config *make_config(const char *const *sets, char *err, size_t n_err)
{
    Config *c = config_alloc();
    if (!c) return NULL;
    if (task_declare(c) != 0 || agent_declare(c) != 0) goto fail;
    for (const char *const *s = sets; *s; s++)
        if (config_assign(c, *s, "bench", err, n_err) != 0) goto fail;
    if (config_finalize(c, err, n_err) != 0) goto fail;
    return c;
fail:
    config_free(c);
    return NULL;
}

/* Run one agent on one task for n episodes; fill the cell. is_bandit picks
** the metrics. Return -1 on a configuration error (printed), else 0. */
static int run_cell(const char *const *task_sets, const char *agent, long n, unsigned long seed,
                    int is_bandit, Cell *cell, double *buf)
{
    const char *sets[16];
    char agent_set[64], err[512];
    int k = 0;
    for (const char *const *s = task_sets; *s; s++) sets[k++] = *s;
    snprintf(agent_set, sizeof agent_set, "agent.name=%s", agent);
    sets[k++] = agent_set;
    sets[k] = NULL;
    Config *cfg = make_config(sets, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "bench_agents: %s\n", err);
        return -1;
    }
    Task *task = task_alloc(cfg, err, sizeof err);
    if (!task) {
        fprintf(stderr, "bench_agents: %s\n", err);
        config_free(cfg);
        return -1;
    }
    memset(cell, 0, sizeof *cell);
    Agent *ag = agent_alloc(cfg, &task->info, err, sizeof err);
    if (!ag) {            /* the agent does not serve this task */
        task_free(task);
        config_free(cfg);
        return 0;
    }
    EpisodeRecord *rec = episode_alloc(task->info.max_trials, 0);
    gsl_rng *r_task = rng_alloc(), *r_agent = rng_alloc();
    if (!rec || !r_task || !r_agent) {
        fprintf(stderr, "bench_agents: out of memory\n");
        exit(1);
    }
    double *x0 = buf, *x1 = buf + n, *x2 = buf + 2 * n;
    for (long e = 0; e < n; e++) {
        rng_seed_episode(r_task, seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(r_agent, seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, ag, r_task, r_agent, 1.0, rec);
        if (is_bandit) {
            x0[e] = rec->total_reward / rec->n_trials;
            x1[e] = rec->regret;
        } else {
            double best = 0.0, hit = 0.0, count = 0.0;
            for (int t = 0; t < rec->n_trials; t++) {
                const TrialRecord *tr = &rec->trials[t];
                best += tr->action == tr->truth.best;
                if (tr->truth.block >= 1 && tr->truth.since_reversal < 10) {
                    hit += tr->action == tr->truth.best;
                    count += 1.0;
                }
            }
            x0[e] = best / rec->n_trials;
            x1[e] = hit;
            x2[e] = count;
        }
    }
    cell->ok = 1;
    mean_se(x0, n, &cell->m[0], &cell->se[0]);
    if (is_bandit) mean_se(x1, n, &cell->m[1], &cell->se[1]);
    else ratio_se(x1, x2, n, &cell->m[1], &cell->se[1]);
    episode_free(rec);
    gsl_rng_free(r_task);
    gsl_rng_free(r_agent);
    agent_free(ag);
    task_free(task);
    config_free(cfg);
    return 0;
}

/* mean with `digits` decimals, SE with `se_digits` */
static void print_cell(const Cell *c, int metric, int digits, int se_digits)
{
    if (!c->ok) printf(" — |");
    else printf(" %.*f ± %.*f |", digits, c->m[metric], se_digits, c->se[metric]);
}

#define N_DISTS 5   /* the bandit dists of the table */

/* One Markdown table of the bandit cells: an agent per row, a dist per column. */
static void print_bandit_table(const char *title, Cell bandit[][N_DISTS], int n_agents, const char *const *dists,
                               int metric, int digits, int se_digits)
{
    printf("%s:\n\n| agent |", title);
    for (int d = 0; d < N_DISTS; d++) printf(" %s |", dists[d]);
    printf("\n|---|");
    for (int d = 0; d < N_DISTS; d++) printf("---|");
    printf("\n");
    for (int a = 0; a < n_agents; a++) {
        printf("| %s |", agent_types[a]->name);
        for (int d = 0; d < N_DISTS; d++) print_cell(&bandit[a][d], metric, digits, se_digits);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
    if (n < 2) {
        fprintf(stderr, "usage: bench_agents [EPISODES >= 2 [SEED]]\n");
        return 2;
    }
    double *buf = malloc(3 * (size_t)n * sizeof *buf);
    if (!buf) return 1;
    int n_agents = 0;
    while (agent_types[n_agents]) n_agents++;
    clock_t start = clock();

    static const char *dists[] = { "independent", "dependent", "easy", "medium", "hard" };
    Cell bandit[MAX_AGENTS][N_DISTS];
    for (int d = 0; d < N_DISTS; d++) {
        char dist[64];
        snprintf(dist, sizeof dist, "task.dist=%s", dists[d]);
        const char *sets[] = { "task.name=bandit", "task.trials=100", dist, NULL };
        for (int a = 0; a < n_agents; a++)
            if (run_cell(sets, agent_types[a]->name, n, seed, 1, &bandit[a][d], buf) != 0) return 1;
    }

    static const struct { const char *p_high, *p_low, *hazard; } conds[] = {
        { "0.8", "0.2", "0.05" }, { "0.8", "0.2", "0.025" },
        { "0.7", "0.3", "0.05" }, { "0.7", "0.3", "0.025" }
    };
    enum { N_CONDS = 4 };
    Cell rev[MAX_AGENTS][N_CONDS];
    for (int c = 0; c < N_CONDS; c++) {
        char ph[64], pl[64], hz[64];
        snprintf(ph, sizeof ph, "task.p_high=%s", conds[c].p_high);
        snprintf(pl, sizeof pl, "task.p_low=%s", conds[c].p_low);
        snprintf(hz, sizeof hz, "task.hazard=%s", conds[c].hazard);
        const char *sets[] = { "task.name=reversal", "task.trials=200", "task.schedule=hazard",
                               ph, pl, hz, NULL };
        for (int a = 0; a < n_agents; a++)
            if (run_cell(sets, agent_types[a]->name, n, seed, 0, &rev[a][c], buf) != 0) return 1;
    }

    printf("### Reference agents on two-armed bandits (T = 100, %ld episodes, mean ± SE)\n\n", n);
    print_bandit_table("Regret at trial 100 (sum of max p − p chosen)", bandit, n_agents, dists, 1, 2, 2);
    print_bandit_table("\nReward per trial", bandit, n_agents, dists, 0, 3, 4);
    printf("\nBayes-optimal expected regret from the dynamic program, T E[max p] − V*(T): "
           "independent %.3f, dependent %.3f, easy %.3f, medium %.3f, hard %.3f.\n",
           100.0 * 2.0 / 3.0 - agent_bayes_value_independent(100),
           75.0 - agent_bayes_value_dependent(100),
           90.0 - agent_bayes_value_pair(100, 0.9, 0.1, 0.5),
           75.0 - agent_bayes_value_pair(100, 0.75, 0.25, 0.5),
           60.0 - agent_bayes_value_pair(100, 0.6, 0.4, 0.5));

    printf("\n### Reference agents on probabilistic reversal (200 trials, schedule = hazard, "
           "%ld episodes, mean ± SE)\n\n", n);
    for (int metric = 0; metric < 2; metric++) {
        printf(metric == 0 ? "P(best arm), all trials:\n\n| agent |"
                           : "\nAccuracy on trials 1–10 after a reversal:\n\n| agent |");
        for (int c = 0; c < N_CONDS; c++)
            printf(" %s/%s, h = %s |", conds[c].p_high, conds[c].p_low, conds[c].hazard);
        printf("\n|---|");
        for (int c = 0; c < N_CONDS; c++) printf("---|");
        printf("\n");
        for (int a = 0; a < n_agents; a++) {
            printf("| %s |", agent_types[a]->name);
            for (int c = 0; c < N_CONDS; c++) print_cell(&rev[a][c], metric, 3, 4);
            printf("\n");
        }
    }
    printf("\nAgent settings: defaults (rw alpha = 0.3, beta = 5, q0 = 0.5; wsls epsilon = 0; "
           "ucb1 c = 2; observer hazard from the task). Seed %lu; %.0f s.\n", seed,
           (double)(clock() - start) / CLOCKS_PER_SEC);
    free(buf);
    return 0;
}
