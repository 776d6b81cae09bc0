/* tasks/volatility.c: stable and volatile stretches within one episode
** (Behrens et al. 2007; Wang et al. 2018 Fig. 3).
**
** An episode is task.stretches stretches (2), stable and volatile in turn:
**   stable    task.stable_trials trials (120); the good arm pays
**             task.stable_high (0.75), the other task.stable_low (0.25), and
**             they never swap
**   volatile  task.volatile_trials trials (120); the good arm pays
**             task.volatile_high (0.8), the other task.volatile_low (0.2), and
**             they swap every task.rev_min..task.rev_max trials (20-40, each
**             interval uniform over the whole numbers in that range, counted
**             from the stretch's start; an interval that would reach past the
**             stretch's end brings no reversal)
** Which kind comes first is task.order: random (a fair coin per episode, so
** the order is counterbalanced over episodes), stable or volatile. The good
** arm of trial 0 is drawn at random unless task.start is 1 (arm 0) or 2
** (arm 1); it carries over a stretch boundary (only the probabilities change
** there; a boundary is not a reversal). stretches must be even, so both
** orders last equally long: T = stretches / 2 x (stable + volatile trials).
**
** Truth: p per arm, best the good arm; block counts the reversals so far and
** since_reversal the trials since the last (or since trial 0), as in the
** reversal task. Which stretch a trial is in is in the instance JSON:
**   {"order":"stable_first","first_good":1,
**    "stretches":[["stable",0,120],["volatile",120,120]],   kind, first trial, length
**    "p_stable":[0.75,0.25],"p_volatile":[0.8,0.2],"reversals":[151,183,...]}
** (reversals: the first trials of new blocks, as in the reversal task).
**
** Draws: at reset one uniform for the order, one for the first good arm,
** then one per reversal interval of each volatile stretch (until the stretch
** is covered); two per trial (a reward coin per arm, whichever is chosen).
** The schedule does not depend on behaviour, so agents run on the same
** episode seed meet the same instance and coins (common random numbers).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

#define VOL_MAX_STRETCHES 16

enum { ORDER_RANDOM, ORDER_STABLE, ORDER_VOLATILE };

typedef struct {
    int n_stretches, len[2];        /* len[0] stable, len[1] volatile */
    double high[2], low[2];         /* [0] stable, [1] volatile */
    int rev_min, rev_max, order, start, n_trials;
    double hazard;                  /* the average reversal rate (facts) */
    /* episode state */
    int volatile_first, first_good;
    unsigned char *rev_at;          /* (n_trials) 1 if a reversal comes before trial t */
    int *reversals, n_reversals;    /* (n_trials) the first trials of new blocks */
    int t, good, block, since;
} Volatility;

static const OptSpec volatility_params[] = {
    { "task", "stretches", NULL, OPT_INT, "2", 2, VOL_MAX_STRETCHES, NULL, "volatility",
      "stretches per episode, stable and volatile in turn (even)" },
    { "task", "stable_trials", NULL, OPT_INT, "120", 1, 100000, NULL, "volatility", "trials per stable stretch" },
    { "task", "volatile_trials", NULL, OPT_INT, "120", 1, 100000, NULL, "volatility", "trials per volatile stretch" },
    { "task", "order", NULL, OPT_CHOICE, "random", 0, 0, "random|stable|volatile", "volatility",
      "which kind of stretch comes first: drawn per episode (random), or always the same" },
    { "task", "stable_high", NULL, OPT_DOUBLE, "0.75", 0, 1, NULL, "volatility",
      "stable stretches: reward probability of the good arm" },
    { "task", "stable_low", NULL, OPT_DOUBLE, "0.25", 0, 1, NULL, "volatility",
      "stable stretches: reward probability of the bad arm" },
    { "task", "volatile_high", NULL, OPT_DOUBLE, "0.8", 0, 1, NULL, "volatility",
      "volatile stretches: reward probability of the good arm" },
    { "task", "volatile_low", NULL, OPT_DOUBLE, "0.2", 0, 1, NULL, "volatility",
      "volatile stretches: reward probability of the bad arm" },
    { "task", "rev_min", NULL, OPT_INT, "20", 1, 100000, NULL, "volatility",
      "volatile stretches: fewest trials between reversals" },
    { "task", "rev_max", NULL, OPT_INT, "40", 1, 100000, NULL, "volatility",
      "volatile stretches: most trials between reversals" },
    { "task", "start", NULL, OPT_INT, "0", 0, 2, NULL, "volatility",
      "first good arm: 1 for arm 0, 2 for arm 1, or 0 to draw it at random" },
    OPT_END
};

static void volatility_free(void *s)
{
    Volatility *v = s;
    if (!v) return;
    free(v->rev_at);
    free(v->reversals);
    free(v);
}

/* The expected number of reversals in a volatile stretch of L trials:
** m(x) = sum over intervals d < x of P(d) (1 + m(x - d)), m(x) = 0 for
** x <= rev_min. Returns -1 if out of memory. */
static double expected_reversals(int L, int lo, int hi)
{
    double *m = calloc((size_t)L + 1, sizeof *m);
    if (!m) return -1;
    const double pd = 1.0 / (hi - lo + 1);
    for (int x = 1; x <= L; x++)
        for (int d = lo; d <= hi && d < x; d++) m[x] += pd * (1.0 + m[x - d]);
    double out = m[L];
    free(m);
    return out;
}

static int bad_config(Volatility *v, char *err, size_t n_err)
{
    if (v->n_stretches % 2) {
        snprintf(err, n_err, "task.stretches (%d) must be even, so that both orders of the stretches last equally long",
                 v->n_stretches);
        return 1;
    }
    if (v->rev_min > v->rev_max) {
        snprintf(err, n_err, "task.rev_min (%d) is above task.rev_max (%d)", v->rev_min, v->rev_max);
        return 1;
    }
    for (int k = 0; k < 2; k++)
        if (v->low[k] > v->high[k]) {
            const char *kind = k ? "volatile" : "stable";
            snprintf(err, n_err, "task.%s_low (%g) is above task.%s_high (%g); the good arm must be at least as good",
                     kind, v->low[k], kind, v->high[k]);
            return 1;
        }
    return 0;
}

static void *volatility_alloc(const Config *cfg, char *err, size_t n_err)
{
    Volatility *v = calloc(1, sizeof *v);
    if (!v) goto oom;
    v->n_stretches = (int)config_int(cfg, "task", "stretches");
    v->len[0] = (int)config_int(cfg, "task", "stable_trials");
    v->len[1] = (int)config_int(cfg, "task", "volatile_trials");
    v->high[0] = config_double(cfg, "task", "stable_high");
    v->low[0] = config_double(cfg, "task", "stable_low");
    v->high[1] = config_double(cfg, "task", "volatile_high");
    v->low[1] = config_double(cfg, "task", "volatile_low");
    v->rev_min = (int)config_int(cfg, "task", "rev_min");
    v->rev_max = (int)config_int(cfg, "task", "rev_max");
    v->start = (int)config_int(cfg, "task", "start");
    const char *order = config_str(cfg, "task", "order");
    v->order = !strcmp(order, "stable") ? ORDER_STABLE : !strcmp(order, "volatile") ? ORDER_VOLATILE : ORDER_RANDOM;
    if (bad_config(v, err, n_err)) {
        volatility_free(v);
        return NULL;
    }
    v->n_trials = v->n_stretches / 2 * (v->len[0] + v->len[1]);
    v->rev_at = calloc((size_t)v->n_trials, 1);
    v->reversals = calloc((size_t)v->n_trials, sizeof *v->reversals);
    double m = expected_reversals(v->len[1], v->rev_min, v->rev_max);
    if (!v->rev_at || !v->reversals || m < 0) goto oom;
    v->hazard = v->n_trials > 1 ? v->n_stretches / 2 * m / (v->n_trials - 1) : 0.0;
    return v;
oom:
    volatility_free(v);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

static void volatility_info(const void *s, TaskInfo *out)
{
    const Volatility *v = s;
    *out = (TaskInfo){ 2, 0, v->n_trials, 1, 0 };
}

/* The kind of stretch i: 0 stable, 1 volatile. */
static int stretch_kind(const Volatility *v, int i) { return (i + v->volatile_first) % 2; }

/* The kind of the stretch trial t is in. */
static int trial_kind(const Volatility *v, int t)
{
    int pair = v->len[0] + v->len[1];
    int first = stretch_kind(v, 0);
    return t % pair < v->len[first] ? first : 1 - first;
}

static void volatility_reset(void *s, gsl_rng *r)
{
    Volatility *v = s;
    double u_order = gsl_rng_uniform(r), u_good = gsl_rng_uniform(r);
    v->volatile_first = v->order == ORDER_RANDOM ? u_order < 0.5 : v->order == ORDER_VOLATILE;
    v->good = v->first_good = v->start ? v->start - 1 : (u_good < 0.5 ? 0 : 1);
    v->t = v->block = v->since = 0;
    v->n_reversals = 0;
    memset(v->rev_at, 0, (size_t)v->n_trials);
    const int span = v->rev_max - v->rev_min + 1;
    for (int i = 0, begin = 0; i < v->n_stretches; begin += v->len[stretch_kind(v, i)], i++) {
        if (stretch_kind(v, i) != 1) continue;
        for (int at = begin;;) {
            int d = v->rev_min + (int)(gsl_rng_uniform(r) * span);
            if (d > v->rev_max) d = v->rev_max;
            at += d;
            if (at >= begin + v->len[1]) break;
            v->rev_at[at] = 1;
        }
    }
}

static void volatility_observe(const void *s, double *obs) { (void)s; (void)obs; }

static void volatility_truth(const void *s, TaskTruth *out)
{
    const Volatility *v = s;
    int k = trial_kind(v, v->t);
    out->p[v->good] = v->high[k];
    out->p[1 - v->good] = v->low[k];
    out->best = v->high[k] > v->low[k] ? v->good : -1;
    out->block = v->block;
    out->since_reversal = v->since;
    out->state = -1;
}

static double volatility_step(void *s, int action, gsl_rng *r, int *done)
{
    Volatility *v = s;
    double coin[2] = { gsl_rng_uniform(r), gsl_rng_uniform(r) };
    int k = trial_kind(v, v->t);
    double p = action == v->good ? v->high[k] : v->low[k];
    double reward = coin[action] < p ? 1.0 : 0.0;
    v->t++;
    v->since++;
    if (v->t < v->n_trials && v->rev_at[v->t]) {
        v->good = 1 - v->good;
        v->block++;
        v->since = 0;
        v->reversals[v->n_reversals++] = v->t;
    }
    *done = v->t >= v->n_trials;
    return reward;
}

static void volatility_describe(const void *s, char *json, size_t n)
{
    const Volatility *v = s;
    static const char *const kinds[] = { "stable", "volatile" };
    size_t used = (size_t)snprintf(json, n, "{\"order\":\"%s_first\",\"first_good\":%d,\"stretches\":[",
                                   kinds[v->volatile_first], v->first_good);
    for (int i = 0, begin = 0; i < v->n_stretches && used + 40 < n; begin += v->len[stretch_kind(v, i)], i++)
        used += (size_t)snprintf(json + used, n - used, "%s[\"%s\",%d,%d]", i ? "," : "", kinds[stretch_kind(v, i)],
                                 begin, v->len[stretch_kind(v, i)]);
    if (used + 120 < n)
        used += (size_t)snprintf(json + used, n - used, "],\"p_stable\":[%.17g,%.17g],\"p_volatile\":[%.17g,%.17g],"
                                 "\"reversals\":[", v->high[0], v->low[0], v->high[1], v->low[1]);
    for (int i = 0; i < v->n_reversals && used + 16 < n; i++)
        used += (size_t)snprintf(json + used, n - used, "%s%d", i ? "," : "", v->reversals[i]);
    if (used + 3 < n) snprintf(json + used, n - used, "]}");
}

static void volatility_facts(const void *s, TaskFacts *out)
{
    const Volatility *v = s;
    *out = (TaskFacts){ .n_trials = v->n_trials, .p_high = NAN, .p_low = NAN, .p_common = NAN,
                        .hazard = v->hazard, .hazard_exact = 0, .first_good = v->start ? v->start - 1 : -1 };
}

static int volatility_deciding(const Config *cfg, const char *key)
{
    (void)cfg;
    return strcmp(key, "start") != 0;
}

const TaskType task_volatility = {
    "volatility", "stable (0.75/0.25) and volatile (0.8/0.2, reversing every 20-40 trials) stretches in one episode",
    volatility_params, volatility_alloc, volatility_info, volatility_reset, volatility_observe,
    volatility_truth, volatility_step, volatility_describe, volatility_free, volatility_facts, volatility_deciding, NULL
};
