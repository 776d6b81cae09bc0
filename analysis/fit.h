/* analysis/fit.h: fitting cognitive models to the choices of subjects by
** maximum likelihood (or MAP), with within-subject cross-validation,
** comparison statistics and parameter recovery. `metarl fit` (jobs/fit.c,
** cli/cmd_fit.c) is its user; the models are one table, analysis/fit_models.c.
**
** A subject is one episode: its valid trials (action 0 or 1, finite reward)
** in order. Every model is a step machine over the trials: init(theta) sets
** its state, p1(theta, task, state) is P(choose arm 1) before a trial, update(theta,
** state, a, r) learns from the trial's choice and reward. A missed trial
** neither enters the likelihood nor updates a state (the observer still
** applies its change-point transition). Rewards are read as given (imported
** data are 0/1).
**
** Parameters: each has bounds [lo, hi] and is optimised in an unbounded
** coordinate u: x = lo + (hi - lo) sigmoid(u) (FIT_LINEAR), or log x = log lo
** + (log hi - log lo) sigmoid(u) (FIT_LOG, for inverse temperatures). u is
** kept in [-FIT_U_LIM, FIT_U_LIM] by evaluating at the edge plus a quadratic
** penalty. A fit is at_bound when a parameter ends with |u| > FIT_U_BOUND
** (within about 0.1% of the range of its coordinate from an end): its value
** is then a limit, not an estimate.
**
** Search: GSL's Nelder-Mead simplex (nmsimplex2) from a grid of starts (the
** model's grid values of its first two parameters, the others at their
** default) and FIT_RANDOM_STARTS seeded random starts (u uniform in [-3, 3]),
** each to a coarse tolerance (simplex size 1e-3 in u), then the best two are
** polished to 1e-7 and restarted once from their end (a simplex can stall;
** a fresh one around the end point cannot be worse). converged = the best
** polish shrank below its tolerance.
**
** MAP (FitOptions.map): the objective adds minus the log prior density of
** each parameter in its natural coordinate: Beta(a, b) on (x - lo)/(hi - lo),
** Gamma(shape a, scale b), or Normal(mean a, sd b). The priors are weak (see
** the table); the stored loglik is always the likelihood alone.
**
** Cross-validation over blocks (FitOptions.cv = K >= 2): the subject's valid
** trials are cut into K contiguous blocks; for each block the model is fitted
** to the other K-1 (the state still runs through every trial, so the
** held-out block is predicted from the subject's own history) and the
** held-out block's log-likelihood summed. heldout_loglik is the sum over the
** K blocks; NaN with K < 2.
*/
#ifndef METARL_FIT_H
#define METARL_FIT_H

#include <stdio.h>
#include <gsl/gsl_rng.h>

#include "core/episode.h"

#define FIT_MAX_PARAMS 6
#define FIT_STATE_MAX 8
#define FIT_U_LIM 15.0
#define FIT_U_BOUND 6.9
#define FIT_RANDOM_STARTS 6
#define FIT_MIN_TRIALS 10     /* fewer valid trials: a subject is not fitted */
#define FIT_MAX_MODELS 16

enum { FIT_OK = 0, FIT_NODATA = 1, FIT_NOMEM = 2, FIT_BADARG = 3 };
enum { FIT_LINEAR = 0, FIT_LOG = 1 };
enum { FIT_PRIOR_BETA = 0, FIT_PRIOR_GAMMA = 1, FIT_PRIOR_NORMAL = 2 };

typedef struct FitParam {
    const char *name;
    double lo, hi;
    int transform;              /* FIT_LINEAR or FIT_LOG */
    int prior;                  /* FIT_PRIOR_* */
    double prior_a, prior_b;
    double start;               /* default start (natural coordinate) */
    double grid[3];             /* grid starts of the first two parameters */
    double rec_lo, rec_hi;      /* parameter recovery draws uniformly from this range */
    const char *doc;
} FitParam;

/* What a model may know of the task: the reward probabilities of the good
** and the bad arm (the observer), from the episode's truth, else 0.8/0.2. */
typedef struct FitTask {
    double p_high, p_low;
    /* the network models (analysis/fit_net.c): cue[t] = l1 - l0, the logit
    ** difference of the teacher-forced network on trial t (NULL: none), or,
    ** with cue NULL, net a FitNet stepped live (simulation); NULL otherwise */
    const double *cue;
    struct FitNet *net;
} FitTask;

typedef struct FitModel {
    const char *name;
    const char *summary;
    int n_params;
    FitParam params[FIT_MAX_PARAMS];
    void (*init)(const double *x, const FitTask *task, double *state);
    double (*p1)(const double *x, const FitTask *task, const double *state);
    void (*update)(const double *x, const FitTask *task, double *state, int action, double reward);
    int kind;                   /* FIT_KIND_*: how the job prepares and fits it */
    int units;                  /* FIT_KIND_TINYRNN: hidden units */
    const double *ref;          /* reference parameters (network: temperature 1, lapse 0), or NULL */
    int cell;                   /* FIT_KIND_TINYRNN: FIT_CELL_RATE (tanh rate units) or FIT_CELL_GRU */
} FitModel;

/* FIT_KIND_CLASSIC: fitted per subject as above. FIT_KIND_NETWORK: the
** frozen meta-RL network teacher-forced on the subject (the job fills
** FitTask.cue per subject, analysis/fit_net.c); its parameters are fitted
** per subject like a classic model's. FIT_KIND_TINYRNN: a small recurrent
** network (tanh rate units or a GRU) trained on other subjects' choices
** (analysis/fit_net.c), no per-subject parameters. 'all' names the classic
** models. */
enum { FIT_KIND_CLASSIC = 0, FIT_KIND_NETWORK = 1, FIT_KIND_TINYRNN = 2 };
enum { FIT_CELL_RATE = 0, FIT_CELL_GRU = 1 };

/* The model table (analysis/fit_models.c), NULL-terminated. */
extern const FitModel *const fit_models[];
const FitModel *fit_model_find(const char *name);
/* "rw, rw2, ..." into buf: the known names, for messages. */
void fit_model_names(char *buf, size_t n);

/* One subject's valid trials. */
typedef struct FitSubject {
    int n;                      /* trials (valid and missed) */
    const int *a;               /* (n) 0/1, or -1 missed */
    const double *r;            /* (n) reward (ignored when missed) */
    FitTask task;
} FitSubject;

typedef struct FitOptions {
    int cv;                     /* K folds of contiguous blocks; < 2: none */
    int map;                    /* add the log priors */
    unsigned long seed;         /* random starts */
    int random_starts;          /* FIT_RANDOM_STARTS unless set >= 0; -1 = default */
    /* a Gaussian prior N(u_mu[j], u_var[j]) on each unbounded coordinate u_j
    ** (the empirical-Bayes group prior, analysis/fit_hier.h); it replaces
    ** map's priors; NULL (default): none */
    const double *u_mu, *u_var;
    /* an extra start in the unbounded coordinates (FIT_MAX_PARAMS values),
    ** e.g. the previous EM iteration's fit, so that the search can end no
    ** worse than there; NULL (default): none */
    const double *warm;
} FitOptions;

void fit_options_default(FitOptions *o);

typedef struct FitResult {
    double x[FIT_MAX_PARAMS];   /* natural coordinates */
    double u[FIT_MAX_PARAMS];   /* the same in the unbounded coordinates (within +-FIT_U_LIM) */
    double loglik;              /* at x, all valid trials */
    double heldout_loglik;      /* NaN without cv */
    int n_trials;               /* valid trials */
    int n_params;
    int converged;
    int at_bound;               /* number of parameters at a bound */
    unsigned bound_mask;        /* bit j: parameter j at a bound */
    double loglik_ref;          /* at the model's ref parameters; NaN without */
} FitResult;

/* Negative log-likelihood of the subject's valid trials under x (natural
** coordinates), with weight w[t] in {0, 1} per trial (NULL = all). */
double fit_nll(const FitModel *m, const FitSubject *s, const double *x, const unsigned char *w);

/* The objective fit_subject minimises (NLL of every valid trial, minus the
** log prior of o's map or u_mu/u_var, plus the edge penalty) at unbounded u. */
double fit_objective_u(const FitModel *m, const FitSubject *s, const FitOptions *o, const double *u);
/* A parameter's natural value at unbounded coordinate u. */
double fit_natural(const FitParam *p, double u);

/* Fit m to s. Return FIT_OK, FIT_NODATA (< FIT_MIN_TRIALS valid trials) or
** FIT_NOMEM. subject_index varies the random starts between subjects. */
int fit_subject(const FitModel *m, const FitSubject *s, const FitOptions *o, int subject_index, FitResult *res);

/* An episode's trials as a FitSubject; a and r are (e->n_trials) arrays the
** caller provides. Return the number of valid trials. */
int fit_subject_from_episode(const EpisodeRecord *e, int *a, double *r, FitSubject *s);

/* Parameters as a JSON object {"alpha":0.3,...} into buf. */
void fit_params_json(const FitModel *m, const double *x, char *buf, size_t n);

/* ---- comparison ------------------------------------------------------------
** Over the subjects fitted by every model: per model the summed and per-trial
** NLL (in-sample and held-out), the normalised likelihood exp(-NLL/trial),
** AIC = 2k + 2 NLL and BIC = k ln n + 2 NLL summed over subjects, the subjects
** it wins (lowest held-out NLL, or BIC without cv), and the paired difference
** in per-trial NLL to the best model (mean and SE across subjects). A tiny
** RNN's weights are shared by the subjects: its AIC and BIC are NaN (compare
** it held out; its held-out NLL is over subjects, not blocks). */
typedef struct FitCompareRow {
    const FitModel *model;
    int n_subjects;
    long n_trials;
    double nll, nll_per_trial, norm_lik;
    double heldout_nll, heldout_per_trial, heldout_norm_lik;   /* NaN without cv */
    double aic, bic;
    int wins;
    double diff_mean, diff_se;      /* per-trial (held-out, else BIC/2n) NLL minus the best model's */
} FitCompareRow;

/* res[model * n_subjects + subject]; a subject counts if every model fitted
** it (n_trials > 0). rows has n_models entries; *best = the best row. */
void fit_compare(const FitModel *const *models, int n_models, const FitResult *res, int n_subjects,
                 FitCompareRow *rows, int *best);
void fit_compare_print(const FitCompareRow *rows, int n_models, int best, FILE *f);
/* The comparison as one JSON line (NaN as -1), with the fitting time. */
void fit_compare_print_json(const FitCompareRow *rows, int n_models, int best, long long run, double seconds, FILE *f);

/* ---- simulation and recovery ----------------------------------------------- */

/* A two-armed schedule: a reversal task (hazard > 0) or a fixed bandit. */
typedef struct FitEnv {
    int n_trials;
    double p_high, p_low, hazard;
} FitEnv;

/* Simulate m with x on env: a[], r[] of env->n_trials, s filled. */
void fit_simulate(const FitModel *m, const double *x, const FitEnv *env, gsl_rng *rng, int *a, double *r,
                  FitSubject *s);

typedef struct FitRecoveryParam {
    double r;            /* Pearson correlation of true and fitted over subjects */
    double rho;          /* Spearman's rank correlation */
    double bias;         /* mean(fitted - true) */
    double true_mean;
} FitRecoveryParam;

/* Where simulated subjects' parameters come from: n fitted parameter vectors
** (rows of FIT_MAX_PARAMS, natural coordinates), resampled whole with
** replacement so that the correlations between parameters are kept; NULL or
** n == 0: each parameter drawn uniformly from its recovery range (rec_lo..rec_hi
** in the table, on a log scale for FIT_LOG parameters). */
typedef struct FitPopulation {
    int n;
    const double *x;
} FitPopulation;

/* Parameter recovery: n_subjects simulated with parameters drawn from pop
** (above), refitted with o (its seed seeds the simulations too; its map
** chooses ML or MAP; no cross-validation). out has m->n_params entries. */
int fit_recover(const FitModel *m, const FitEnv *env, const FitPopulation *pop, int n_subjects, const FitOptions *o,
                FitRecoveryParam *out);

/* How model recovery picks a simulated subject's winner: the lowest BIC,
** the lowest AIC, or the lowest held-out NLL of o->cv-fold block
** cross-validation (o->cv >= 2). */
typedef enum { FIT_WIN_BIC, FIT_WIN_AIC, FIT_WIN_HELDOUT } FitWinner;

/* Model recovery: each of models simulated for n_subjects (parameters from
** pops[g], or uniform with pops NULL), all fitted, the winner by `by`
** counted: confusion[gen * n_models + winner]. The fits are ML or, with
** o->map, MAP (o->seed seeds the simulations too). */
/* Per simulated subject (index g * n_subjects + i, g the generating model),
** any of these may be NULL: the winner's index; the generating parameters
** (FIT_MAX_PARAMS per subject); gain = the objective (log-likelihood, or
** log posterior with map) of the generating model's own fit minus that at
** the generating parameters, >= 0 unless the search failed (the truth is a
** point it could have found). */
typedef struct FitConfusionTrace {
    int *winner;
    double *truth;
    double *gain;
} FitConfusionTrace;

int fit_confusion(const FitModel *const *models, int n_models, const FitEnv *env, const FitPopulation *pops,
                  int n_subjects, const FitOptions *o, FitWinner by, int *confusion, FitConfusionTrace *trace);

#endif
