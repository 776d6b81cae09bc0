/* model/agents/agent_bayes.c: the Bayes-optimal agent for the finite-horizon
** two-armed Bernoulli bandit, by exact dynamic programming.
**
** With horizon T and a prior over the arms' reward probabilities, the
** posterior after t trials depends only on a small count statistic x_t, and
** the optimal expected reward to go satisfies (Bellman; see Gittins,
** Glazebrook & Weber 2011, ch. 1, for the finite-horizon Bernoulli bandit)
**
**     V_T(x) = 0
**     Q_t(x, a) = q_a(x) (1 + V_{t+1}(x + success on a)) + (1 - q_a(x)) V_{t+1}(x + failure on a)
**     V_t(x) = max_a Q_t(x, a)
**
** where q_a(x) is the posterior mean of arm a's reward probability. V*(T) =
** V_0(x_0). The DP runs backwards once, in alloc(); act() looks up the stored
** decision. The three priors of tasks/bandit.c, with their statistics:
**
**   independent  p1, p2 ~ U(0,1) iid: x = (s0, f0, s1, f1), successes and
**                failures per arm, q_a = (s_a+1)/(s_a+f_a+2). The states of
**                level t (s0+f0+s1+f1 = t) are the C(t+3,3) compositions of t
**                into four parts, ranked lexicographically:
**                  rank = [C(t+3,3) - C(r1+3,3)] + [C(r1+2,2) - C(r2+2,2)] + (r2 - r3)
**                with r1 = t - s0, r2 = r1 - f0, r3 = r2 - s1; level t starts at
**                C(t+3,4). T = 100 has C(104,4) = 4,598,126 states.
**   dependent    p1 ~ U(0,1), p2 = 1 - p1: a success on arm 0 or a failure
**                on arm 1 is the same evidence, so x = a = s0 + f1 (and
**                b = f0 + s1 = t - a); p1 | x ~ Beta(1+a, 1+b), q_0 = (1+a)/(2+t),
**                q_1 = 1 - q_0. Both arms lead to the same next states with the
**                same probabilities, so Q_0 - Q_1 = q_0 - q_1: the DP comes out
**                greedy, as it must (tests/test_bayes.c checks the decisions).
**   pair         easy, medium, hard, fixed: the arms are (pa, pb) with prior
**                probability pi0 (1/2 when task.shuffle, else 1), or (pb, pa).
**                The log-likelihood ratio is ds ln(pa/pb) + df ln((1-pa)/(1-pb))
**                with ds = s0 - s1, df = f0 - f1, so x = (t, u, v) with
**                u = n0 = s0 + f0 (pulls of arm 0) and v = s0 + f1, both in
**                0..t: level t is a (t+1) x (t+1) grid, starting at
**                t(t+1)(2t+1)/6. q_0 = pi pa + (1-pi) pb, q_1 = pi pb + (1-pi) pa.
**
** Stored per state (levels 0..T-1): the decision (0, 1, or 2 = tie, broken
** at random from r when acting) in a byte, and V_t(x) as a float for trace():
** the expected reward from this trial to the end, undiscounted, so its RPE
** is stored with gamma = 1 (AGENT_VALUE_RETURN, model/agent.h): the
** Bayes-optimal agent's reward prediction error.
** Q values within 1e-9 of each other count as tied: mathematically tied
** states (symmetric ones) can differ in the last bits, and a tie wrongly
** declared costs under 1e-9 of expected reward.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/agent.h"
#include "model/agents/agent_bayes.h"
#include "model/agents/agent_impl.h"

#define BAYES_TIE 1e-9

enum { KIND_INDEPENDENT, KIND_DEPENDENT, KIND_PAIR };
enum { CHOOSE_0 = 0, CHOOSE_1 = 1, CHOOSE_TIE = 2 };

typedef struct {
    int kind;
    int T;                   /* horizon */
    double pa, pb, prior_a;  /* KIND_PAIR: the pair and P(arm 0 has pa) */
    double logit0, llr_s, llr_f;  /* KIND_PAIR: prior log odds, log-likelihood ratio per ds, df */
    size_t n_states;         /* states of levels 0..T-1 */
    unsigned char *choice;   /* (n_states) CHOOSE_*; NULL when only V* is wanted */
    float *value;            /* (n_states) V_t(x); NULL when only V* is wanted */
    double v_star;           /* V_0(x_0) */
    /* episode */
    int s[2], f[2];          /* successes, failures per arm */
    long idx;                /* state index of the last act(), -1 if none */
} Bayes;

static const char *const bayes_accepts =
    "task bandit with dist independent|dependent|easy|medium|hard|fixed";

/* ---- indexing ----------------------------------------------------------- */

static size_t c2(size_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }
static size_t c3(size_t n) { return n < 3 ? 0 : n * (n - 1) * (n - 2) / 6; }
static size_t c4(size_t n) { return n < 4 ? 0 : n * (n - 1) * (n - 2) * (n - 3) / 24; }

/* Rank of (x1, x2, x3, t - x1 - x2 - x3) among the compositions of t. */
static size_t rank4(size_t t, size_t x1, size_t x2, size_t x3)
{
    size_t r1 = t - x1, r2 = r1 - x2, r3 = r2 - x3;
    return c3(t + 3) - c3(r1 + 3) + c2(r1 + 2) - c2(r2 + 2) + (r2 - r3);
}

static size_t level_start(int kind, size_t t)
{
    switch (kind) {
    case KIND_INDEPENDENT: return c4(t + 3);
    case KIND_DEPENDENT: return t * (t + 1) / 2;
    default: return t * (t + 1) * (2 * t + 1) / 6;
    }
}

static size_t level_size(int kind, size_t t)
{
    switch (kind) {
    case KIND_INDEPENDENT: return c3(t + 3);
    case KIND_DEPENDENT: return t + 1;
    default: return (t + 1) * (t + 1);
    }
}

/* Index, within its level, of the current state. */
static size_t state_rank(const Bayes *b, size_t t)
{
    switch (b->kind) {
    case KIND_INDEPENDENT: return rank4(t, (size_t)b->s[0], (size_t)b->f[0], (size_t)b->s[1]);
    case KIND_DEPENDENT: return (size_t)(b->s[0] + b->f[1]);
    default: return (size_t)(b->s[0] + b->f[0]) * (t + 1) + (size_t)(b->s[0] + b->f[1]);
    }
}

/* ---- the dynamic program ----------------------------------------------- */

/* P(arm 0 has pa) in the pair state (t, u, v). */
static double pair_posterior(const Bayes *b, int t, int u, int v)
{
    if (b->prior_a >= 1.0) return 1.0;
    if (b->prior_a <= 0.0) return 0.0;
    double L = b->logit0 + (double)(u + v - t) * b->llr_s + (double)(u - v) * b->llr_f;
    return 1.0 / (1.0 + exp(-L));
}

/* Record the decision and value of state i of level t (global index g). */
static double decide(Bayes *b, size_t g, double q0, double q1)
{
    double v = q0 >= q1 ? q0 : q1;
    if (b->choice) {
        double d = q0 - q1;
        b->choice[g] = d > BAYES_TIE ? CHOOSE_0 : d < -BAYES_TIE ? CHOOSE_1 : CHOOSE_TIE;
        b->value[g] = (float)v;
    }
    return v;
}

/* Solve the DP backwards from level T-1 to 0, storing decisions and values
** if b->choice is set. Uses two layers of doubles. Return 0, or -1 if out
** of memory. */
static int bayes_solve(Bayes *b)
{
    const int T = b->T;
    size_t cap = level_size(b->kind, (size_t)T);
    double *next = calloc(cap, sizeof *next), *cur = calloc(cap, sizeof *cur);
    if (!next || !cur) {
        free(next);
        free(cur);
        return -1;
    }
    /* next = V_T = 0 */
    for (int t = T - 1; t >= 0; t--) {
        size_t off = level_start(b->kind, (size_t)t), i = 0;
        if (b->kind == KIND_INDEPENDENT) {
            const size_t t1 = (size_t)t + 1;
            for (int x1 = 0; x1 <= t; x1++)
                for (int x2 = 0; x1 + x2 <= t; x2++)
                    for (int x3 = 0; x1 + x2 + x3 <= t; x3++, i++) {
                        int x4 = t - x1 - x2 - x3;
                        size_t a1 = (size_t)x1, a2 = (size_t)x2, a3 = (size_t)x3;
                        double p0 = (x1 + 1.0) / (x1 + x2 + 2.0), p1 = (x3 + 1.0) / (x3 + x4 + 2.0);
                        double q0 = p0 * (1.0 + next[rank4(t1, a1 + 1, a2, a3)])
                                  + (1.0 - p0) * next[rank4(t1, a1, a2 + 1, a3)];
                        double q1 = p1 * (1.0 + next[rank4(t1, a1, a2, a3 + 1)])
                                  + (1.0 - p1) * next[rank4(t1, a1, a2, a3)];
                        cur[i] = decide(b, off + i, q0, q1);
                    }
        } else if (b->kind == KIND_DEPENDENT) {
            for (int a = 0; a <= t; a++, i++) {
                double p0 = (1.0 + a) / (2.0 + t);
                double q0 = p0 * (1.0 + next[a + 1]) + (1.0 - p0) * next[a];
                double q1 = (1.0 - p0) * (1.0 + next[a]) + p0 * next[a + 1];
                cur[i] = decide(b, off + i, q0, q1);
            }
        } else {
            const size_t w = (size_t)t + 2;   /* row length of level t+1 */
            for (int u = 0; u <= t; u++)
                for (int v = 0; v <= t; v++, i++) {
                    double pi = pair_posterior(b, t, u, v);
                    double p0 = pi * b->pa + (1.0 - pi) * b->pb;
                    double p1 = pi * b->pb + (1.0 - pi) * b->pa;
                    size_t uu = (size_t)u, vv = (size_t)v;
                    double q0 = p0 * (1.0 + next[(uu + 1) * w + vv + 1]) + (1.0 - p0) * next[(uu + 1) * w + vv];
                    double q1 = p1 * (1.0 + next[uu * w + vv]) + (1.0 - p1) * next[uu * w + vv + 1];
                    cur[i] = decide(b, off + i, q0, q1);
                }
        }
        double *tmp = next;
        next = cur;
        cur = tmp;
    }
    b->v_star = next[0];
    free(next);
    free(cur);
    return 0;
}

/* Fill the model fields of b; 0, or -1 with a message if the arguments are
** out of range. Allocates nothing. */
static int bayes_setup(Bayes *b, int kind, int T, double pa, double pb, double prior_a,
                       char *err, size_t n_err)
{
    static const int max_t[] = { AGENT_BAYES_MAX_T_INDEPENDENT, AGENT_BAYES_MAX_T_DEPENDENT,
                                 AGENT_BAYES_MAX_T_PAIR };
    static const char *what[] = { "independent", "dependent", "fixed-pair" };
    memset(b, 0, sizeof *b);
    if (T < 1 || T > max_t[kind]) {
        snprintf(err, n_err, "agent bayes: task.trials = %d is out of reach of the exact dynamic "
                 "program on the %s bandit (it accepts 1..%d trials)", T, what[kind], max_t[kind]);
        return -1;
    }
    b->kind = kind;
    b->T = T;
    b->pa = pa;
    b->pb = pb;
    b->prior_a = prior_a;
    b->idx = -1;
    if (kind == KIND_PAIR) {
        if (!(pa >= 0.0 && pa <= 1.0 && pb >= 0.0 && pb <= 1.0 && prior_a >= 0.0 && prior_a <= 1.0)) {
            snprintf(err, n_err, "agent bayes: invalid pair (%g, %g) or prior %g", pa, pb, prior_a);
            return -1;
        }
        if (prior_a > 0.0 && prior_a < 1.0) {
            if (!(pa > 0.0 && pa < 1.0 && pb > 0.0 && pb < 1.0)) {
                snprintf(err, n_err, "agent bayes: with shuffled sides the pair needs 0 < p < 1 "
                         "(got %g, %g)", pa, pb);
                return -1;
            }
            b->logit0 = log(prior_a / (1.0 - prior_a));
            b->llr_s = log(pa / pb);
            b->llr_f = log((1.0 - pa) / (1.0 - pb));
        }
    }
    b->n_states = level_start(kind, (size_t)T);
    return 0;
}

static double value_only(int kind, int T, double pa, double pb, double prior_a)
{
    Bayes b;
    char err[256];
    if (bayes_setup(&b, kind, T, pa, pb, prior_a, err, sizeof err) != 0) return NAN;
    if (bayes_solve(&b) != 0) return NAN;
    return b.v_star;
}

double agent_bayes_value_independent(int T)
{
    return value_only(KIND_INDEPENDENT, T, 0, 0, 0);
}

double agent_bayes_value_dependent(int T)
{
    return value_only(KIND_DEPENDENT, T, 0, 0, 0);
}

double agent_bayes_value_pair(int T, double pa, double pb, double prior_a)
{
    return value_only(KIND_PAIR, T, pa, pb, prior_a);
}

/* ---- the agent ---------------------------------------------------------- */

static void bayes_free(void *state)
{
    Bayes *b = state;
    if (!b) return;
    free(b->choice);
    free(b->value);
    free(b);
}

static void *bayes_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err)
{
    TaskFacts f;
    const char *dist = agent_task_facts(cfg, &f) == 0 ? f.dist : NULL;
    if (!dist) return agent_refuse(err, n_err, "bayes", cfg, bayes_accepts);
    if (agent_check_actions(err, n_err, "bayes", cfg, ti, 2) != 0) return NULL;
    int kind;
    double pair[2] = { 0, 0 }, prior_a = 0;
    int shuffled = 0;
    if (strcmp(dist, "independent") == 0) kind = KIND_INDEPENDENT;
    else if (strcmp(dist, "dependent") == 0) kind = KIND_DEPENDENT;
    else if (agent_bandit_pair(cfg, pair, &shuffled) == 0) {
        kind = KIND_PAIR;
        prior_a = shuffled ? 0.5 : 1.0;
    } else return agent_refuse(err, n_err, "bayes", cfg, bayes_accepts);

    int T = f.n_trials;
    if (T != ti->max_trials) {
        snprintf(err, n_err, "agent bayes: task.trials = %d but the task runs up to %d trials; "
                 "the dynamic program needs the exact horizon", T, ti->max_trials);
        return NULL;
    }
    Bayes *b = malloc(sizeof *b);
    if (!b) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    if (bayes_setup(b, kind, T, pair[0], pair[1], prior_a, err, n_err) != 0) {
        free(b);
        return NULL;
    }
    b->choice = malloc(b->n_states);
    b->value = malloc(b->n_states * sizeof *b->value);
    if (!b->choice || !b->value || bayes_solve(b) != 0) {
        snprintf(err, n_err, "agent bayes: out of memory for the %zu-state dynamic program (T = %d)",
                 b->n_states, T);
        bayes_free(b);
        return NULL;
    }
    return b;
}

static void bayes_reset(void *state)
{
    Bayes *b = state;
    b->s[0] = b->s[1] = b->f[0] = b->f[1] = 0;
    b->idx = -1;
}

static int bayes_act(void *state, const double *obs, gsl_rng *r, double *probs)
{
    Bayes *b = state;
    int t = b->s[0] + b->f[0] + b->s[1] + b->f[1];
    if (t >= b->T) {
        /* Past the horizon (the task ran longer than configured): there is
        ** nothing left to plan for, so the best choice is the greedy one. */
        double q[2];
        for (int a = 0; a < 2; a++) q[a] = (b->s[a] + 1.0) / (b->s[a] + b->f[a] + 2.0);
        if (b->kind == KIND_DEPENDENT) {
            q[0] = (1.0 + b->s[0] + b->f[1]) / (2.0 + t);
            q[1] = 1.0 - q[0];
        } else if (b->kind == KIND_PAIR) {
            double pi = pair_posterior(b, t, b->s[0] + b->f[0], b->s[0] + b->f[1]);
            q[0] = pi * b->pa + (1.0 - pi) * b->pb;
            q[1] = pi * b->pb + (1.0 - pi) * b->pa;
        }
        b->idx = -1;
        return agent_argmax(q, 2, BAYES_TIE, r, probs);
    }
    size_t g = level_start(b->kind, (size_t)t) + state_rank(b, (size_t)t);
    b->idx = (long)g;
    int c = b->choice[g];
    int a = c == CHOOSE_TIE ? (int)gsl_rng_uniform_int(r, 2) : c;
    if (probs) {
        probs[0] = c == CHOOSE_TIE ? 0.5 : c == CHOOSE_0 ? 1.0 : 0.0;
        probs[1] = 1.0 - probs[0];
    }
    return a;
}

static void bayes_learn(void *state, int action, double reward)
{
    Bayes *b = state;
    if (reward > 0.0) b->s[action]++;
    else b->f[action]++;
}

static void bayes_trace(const void *state, AgentTrace *out)
{
    const Bayes *b = state;
    out->value = b->idx >= 0 ? (double)b->value[b->idx] : NAN;
}

static const OptSpec bayes_params[] = { OPT_END };

const AgentType agent_bayes = {
    "bayes", "Bayes-optimal two-armed bandit player (exact dynamic programming over the horizon)",
    bayes_params, bayes_alloc, bayes_reset, bayes_act, bayes_learn, bayes_free, bayes_trace, AGENT_VALUE_RETURN, 0
};
