/* analysis/fit_models.c: the table of cognitive models that `metarl fit`
** fits (analysis/fit.h says how a model is written and fitted).
**
** Every model chooses between two arms; Q-learners start at Q0 = 0.5 for
** both arms in every subject. Notation: sigma(z) = 1 / (1 + e^-z), a the
** choice, r its reward, delta = r - Q_a.
**
**   rw        alpha, beta               P(1) = sigma(beta (Q1 - Q0)); Q_a += alpha delta
**   rw2       alpha+, alpha-, beta      as rw, alpha+ when delta > 0, alpha- when delta < 0
**   rwf       alpha, beta, forget       as rw; the unchosen Q_u += forget (Q0 - Q_u)
**   rwp       alpha, beta, tau, phi     as rw plus a choice kernel C (C_a += tau (1 - C_a),
**                                       C_u += tau (0 - C_u)): P(1) = sigma(beta dQ + phi dC)
**   wsls      lapse                     stay after a win, shift after a loss, each with
**                                       probability 1 - lapse/2 (first trial: 1/2)
**   wsls2     p_stay_win, p_shift_loss  the two stay probabilities free
**   observer  hazard, beta, lapse       the reversal ideal observer (core/belief.c: reward
**                                       probabilities of the task, hazard free); P(0) =
**                                       (1 - lapse) sigma(beta (E[r|0] - E[r|1])) + lapse/2
**   bayes     beta, lapse               the posterior-mean learner of a bandit: Beta(1, 1)
**                                       per arm, E_a = (wins_a + 1) / (n_a + 2), softmax and lapse
**
**   network   temperature, lapse        the frozen meta-RL network teacher-forced on the
**                                       subject (analysis/fit_net.h): P(1) = (1 - lapse)
**                                       sigma((l1 - l0) / temperature) + lapse/2
**   tinyrnnN  (trained weights)         a tiny RNN of N = 1, 2, 4, 8 units trained on other
**                                       subjects' choices: P(1) = sigma(l1 - l0)
**   gruN      (trained weights)         the same with a GRU of N = 1, 2, 4, 8 units
**                                       (analysis/fit_gru.h), trained the same way
**
** Wins are r > 0.5 for wsls (imported rewards are 0/1). Bounds, priors (MAP),
** starts and recovery ranges are in each row. The network models read the
** per-subject cues l1 - l0 the job computed (FitTask.cue) or, in simulation,
** step a live network (FitTask.net); their state is the trial index.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/fit.h"
#include "analysis/fit_net.h"
#include "core/belief.h"

static double sig(double z) { return 1.0 / (1.0 + exp(-z)); }

/* ---- Rescorla-Wagner family ---------------------------------------------- */

static void rw_init(const double *x, const FitTask *t, double *s) { s[0] = s[1] = 0.5; s[2] = s[3] = 0.0; }
static double rw_p1(const double *x, const FitTask *t, const double *s) { return sig(x[1] * (s[1] - s[0])); }
static void rw_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    if (a < 0) return;
    s[a] += x[0] * (r - s[a]);
}

/* rw2: x = (alpha+, alpha-, beta) */
static double rw2_p1(const double *x, const FitTask *t, const double *s) { return sig(x[2] * (s[1] - s[0])); }
static void rw2_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    if (a < 0) return;
    double d = r - s[a];
    s[a] += (d > 0.0 ? x[0] : x[1]) * d;
}

/* rwf: x = (alpha, beta, forget) */
static void rwf_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    if (a < 0) return;
    s[a] += x[0] * (r - s[a]);
    s[1 - a] += x[2] * (0.5 - s[1 - a]);
}

/* rwp: x = (alpha, beta, tau, phi); s = (Q0, Q1, C0, C1) */
static double rwp_p1(const double *x, const FitTask *t, const double *s) { return sig(x[1] * (s[1] - s[0]) + x[3] * (s[3] - s[2])); }
static void rwp_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    if (a < 0) return;
    s[a] += x[0] * (r - s[a]);
    s[2 + a] += x[2] * (1.0 - s[2 + a]);
    s[3 - a] += x[2] * (0.0 - s[3 - a]);
}

/* ---- win-stay / lose-shift: s = (previous action or -1, previous win) ------- */

static void wsls_init(const double *x, const FitTask *t, double *s) { s[0] = -1.0; s[1] = 0.0; }
static double wsls_stay(double stay, const double *s)
{
    if (s[0] < 0.0) return 0.5;
    return s[0] > 0.5 ? stay : 1.0 - stay;
}
static double wsls_p1(const double *x, const FitTask *t, const double *s)
{
    return wsls_stay(s[1] > 0.5 ? 1.0 - 0.5 * x[0] : 0.5 * x[0], s);
}
static double wsls2_p1(const double *x, const FitTask *t, const double *s)
{
    return wsls_stay(s[1] > 0.5 ? x[0] : 1.0 - x[1], s);
}
static void wsls_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    if (a < 0) return;
    s[0] = a;
    s[1] = r > 0.5 ? 1.0 : 0.0;
}

/* ---- the reversal ideal observer: x = (hazard, beta, lapse), s = (b) --------- */

static void obs_init(const double *x, const FitTask *t, double *s) { s[0] = 0.5; s[1] = t->p_high - t->p_low; }
static double obs_p1(const double *x, const FitTask *t, const double *s)
{
    double p0 = sig(x[1] * (2.0 * s[0] - 1.0) * s[1]);
    return (1.0 - x[2]) * (1.0 - p0) + 0.5 * x[2];
}
static void obs_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    s[0] = belief_reversal_step(s[0], a, a < 0 ? NAN : r, 0.5, t->p_high, t->p_low, x[0]);
}

/* ---- the posterior-mean learner: x = (beta, lapse), s = (wins0, n0, wins1, n1) */

static void bayes_init(const double *x, const FitTask *t, double *s) { s[0] = s[1] = s[2] = s[3] = 0.0; }
static double bayes_p1(const double *x, const FitTask *t, const double *s)
{
    double m0 = (s[0] + 1.0) / (s[1] + 2.0), m1 = (s[2] + 1.0) / (s[3] + 2.0);
    return (1.0 - x[1]) * sig(x[0] * (m1 - m0)) + 0.5 * x[1];
}
static void bayes_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    if (a < 0) return;
    s[2 * a] += r;
    s[2 * a + 1] += 1.0;
}

/* ---- the network models: s = (trial index) ---------------------------------- */

static void netm_init(const double *x, const FitTask *t, double *s)
{
    s[0] = 0.0;
    if (!t->cue && t->net) fit_net_reset(t->net);
}
static double net_dl(const FitTask *t, const double *s)
{
    return t->cue ? t->cue[(int)s[0]] : t->net ? fit_net_dlogit(t->net) : 0.0;
}
static double net_p1(const double *x, const FitTask *t, const double *s)
{
    return (1.0 - x[1]) * sig(net_dl(t, s) / x[0]) + 0.5 * x[1];
}
static double rnn_p1(const double *x, const FitTask *t, const double *s) { return sig(net_dl(t, s)); }
static void net_update(const double *x, const FitTask *t, double *s, int a, double r)
{
    s[0] += 1.0;
    if (!t->cue && t->net && a >= 0) fit_net_record(t->net, a, r);
}

/* ---- the table ------------------------------------------------------------ */

/* name, lo, hi, transform, prior (kind, a, b), start, grid, recovery range, doc */
#define P_ALPHA(nm, doc) \
    { nm, 0.0, 1.0, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 1.1, 0.3, { 0.05, 0.3, 0.8 }, 0.1, 0.8, doc }
#define P_BETA(doc) \
    { "beta", 1e-3, 500.0, FIT_LOG, FIT_PRIOR_GAMMA, 1.2, 10.0, 5.0, { 1.0, 5.0, 20.0 }, 2.0, 10.0, doc }
#define P_LAPSE \
    { "lapse", 0.0, 1.0, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 3.0, 0.05, { 0.01, 0.1, 0.3 }, 0.02, 0.3, \
      "probability of a uniformly random choice" }

static const FitModel m_rw = {
    "rw", "Rescorla-Wagner, softmax", 2,
    { P_ALPHA("alpha", "learning rate"), P_BETA("inverse temperature") },
    rw_init, rw_p1, rw_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_rw2 = {
    "rw2", "Rescorla-Wagner, separate learning rates for positive and negative errors", 3,
    { P_ALPHA("alpha_pos", "learning rate after a positive error"),
      P_ALPHA("alpha_neg", "learning rate after a negative error"), P_BETA("inverse temperature") },
    rw_init, rw2_p1, rw2_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_rwf = {
    "rwf", "Rescorla-Wagner with forgetting of the unchosen value (towards Q0 = 0.5)", 3,
    { P_ALPHA("alpha", "learning rate"), P_BETA("inverse temperature"),
      { "forget", 0.0, 1.0, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 1.1, 0.1, { 0.01, 0.1, 0.5 }, 0.05, 0.6,
        "decay rate of the unchosen value" } },
    rw_init, rw_p1, rwf_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_rwp = {
    "rwp", "Rescorla-Wagner with a choice kernel (perseveration)", 4,
    { P_ALPHA("alpha", "learning rate"), P_BETA("inverse temperature"),
      { "tau", 0.0, 1.0, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 1.1, 0.3, { 0.1, 0.5, 0.9 }, 0.1, 0.9,
        "choice-kernel learning rate" },
      { "phi", -20.0, 20.0, FIT_LINEAR, FIT_PRIOR_NORMAL, 0.0, 5.0, 0.5, { -1.0, 0.5, 2.0 }, -2.0, 3.0,
        "choice-kernel weight (> 0: perseveration)" } },
    rw_init, rwp_p1, rwp_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_wsls = {
    "wsls", "win-stay / lose-shift with a lapse", 1,
    { P_LAPSE },
    wsls_init, wsls_p1, wsls_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_wsls2 = {
    "wsls2", "win-stay / lose-shift with the two stay probabilities free", 2,
    { { "p_stay_win", 0.0, 1.0, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 1.1, 0.8, { 0.5, 0.8, 0.95 }, 0.5, 0.95,
        "P(stay | win)" },
      { "p_shift_loss", 0.0, 1.0, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 1.1, 0.5, { 0.2, 0.5, 0.8 }, 0.2, 0.8,
        "P(shift | loss)" } },
    wsls_init, wsls2_p1, wsls_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_observer = {
    "observer", "reversal ideal observer (hazard free), softmax and lapse", 3,
    { { "hazard", 0.0, 0.5, FIT_LINEAR, FIT_PRIOR_BETA, 1.1, 5.0, 0.05, { 0.01, 0.05, 0.2 }, 0.02, 0.3,
        "assumed probability of a reversal after each trial" },
      P_BETA("inverse temperature on E[r|0] - E[r|1]"), P_LAPSE },
    obs_init, obs_p1, obs_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};
static const FitModel m_bayes = {
    "bayes", "posterior-mean learner of a bandit (Beta(1,1) per arm), softmax and lapse", 2,
    { P_BETA("inverse temperature on the posterior means"), P_LAPSE },
    bayes_init, bayes_p1, bayes_update, FIT_KIND_CLASSIC, 0, NULL, FIT_CELL_RATE
};

static const double net_ref[] = { 1.0, 0.0 };
static const FitModel m_network = {
    "network", "the frozen meta-RL network (--network), teacher-forced; temperature on its logits and lapse", 2,
    { { "temperature", 0.01, 100.0, FIT_LOG, FIT_PRIOR_GAMMA, 2.0, 1.0, 1.0, { 0.5, 1.0, 3.0 }, 0.5, 3.0,
        "softmax temperature on the network's logits (1: its own policy)" },
      P_LAPSE },
    netm_init, net_p1, net_update, FIT_KIND_NETWORK, 0, net_ref, FIT_CELL_RATE
};
#define TINYNET(nm, name, k, what, cell) \
    static const FitModel nm = { name, "a tiny " what " trained on other subjects' choices", 0, { { 0 } }, \
                                 netm_init, rnn_p1, net_update, FIT_KIND_TINYRNN, k, NULL, cell }
TINYNET(m_tinyrnn1, "tinyrnn1", 1, "RNN of 1 tanh unit", FIT_CELL_RATE);
TINYNET(m_tinyrnn2, "tinyrnn2", 2, "RNN of 2 tanh units", FIT_CELL_RATE);
TINYNET(m_tinyrnn4, "tinyrnn4", 4, "RNN of 4 tanh units", FIT_CELL_RATE);
TINYNET(m_tinyrnn8, "tinyrnn8", 8, "RNN of 8 tanh units", FIT_CELL_RATE);
TINYNET(m_gru1, "gru1", 1, "GRU of 1 unit", FIT_CELL_GRU);
TINYNET(m_gru2, "gru2", 2, "GRU of 2 units", FIT_CELL_GRU);
TINYNET(m_gru4, "gru4", 4, "GRU of 4 units", FIT_CELL_GRU);
TINYNET(m_gru8, "gru8", 8, "GRU of 8 units", FIT_CELL_GRU);

const FitModel *const fit_models[] = {
    &m_rw, &m_rw2, &m_rwf, &m_rwp, &m_wsls, &m_wsls2, &m_observer, &m_bayes,
    &m_network, &m_tinyrnn1, &m_tinyrnn2, &m_tinyrnn4, &m_tinyrnn8,
    &m_gru1, &m_gru2, &m_gru4, &m_gru8,
    NULL
};

const FitModel *fit_model_find(const char *name)
{
    for (const FitModel *const *m = fit_models; *m; m++)
        if (!strcmp((*m)->name, name)) return *m;
    return NULL;
}

void fit_model_names(char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (const FitModel *const *m = fit_models; *m && k < n; m++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", m == fit_models ? "" : ", ", (*m)->name);
}
