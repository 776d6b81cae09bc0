/* analysis/plot.h: figures of the analyses, as data files plus gnuplot scripts.
**
** Each figure is a small folder-local bundle (STYLE.md B3): whitespace-
** separated data files with a '#' header naming the columns (NaN = unknown),
** and a gnuplot script that reads them by relative path and draws the image.
** Nothing here runs gnuplot, reads SQLite or prints: the command line
** (cli/cmd_plot.c) gathers each run's analysis results into a PlotRun, calls
** plot_write(), then runs `gnuplot FIG.gp` in the folder. A user restyles a
** figure by editing FIG.gp and running `cd DIR && gnuplot FIG.gp` again.
**
** Files of a figure with base name FIG in DIR:
**     FIG.gp                 the script; `set output 'FIG.png'` (or .svg, .pdf)
**     FIG.dat                the data, when the figure has a single table
**     FIG_<series>.dat       otherwise one per series: run<ID> per run, plus a
**                            part name for figures with several tables
**                            (FIG_run6_outcome.dat, FIG_run6_reversal.dat, ...)
**
** Several runs in one figure are overlaid, one colour per run in the order
** given (colour-blind-safe palette of Okabe & Ito, defined once at the top of
** each script as linetypes 1..10), with a legend of run labels; the state-
** space trajectories, whose principal axes differ between runs, are drawn as
** panels side by side instead.
**
** Usage:
**     PlotOptions o;  plot_options_default(&o);  o.format = PLOT_PNG;
**     PlotRun r = { .run_id = 6, .label = "network (run 6)", .curves = curves, ... };
**     if (!plot_applies(PLOT_REGRET, &r, &o, why, sizeof why)) ... say why
**     if (plot_write(PLOT_REGRET, &r, 1, &o, "out", "regret", &files, err, sizeof err) != 0) ...
*/
#ifndef METARL_PLOT_H
#define METARL_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/behavior.h"
#include "analysis/neural.h"
#include "analysis/rwfit.h"
#include "core/episode.h"
#include "store/store.h"   /* TrainRow, a plain struct (no SQLite here) */

#define PLOT_N_TARGETS (NEURAL_TARGET_BELIEF + 1)   /* decoding targets, indexed by NeuralTarget */
#define PLOT_MAX_FILES 48                          /* data files per figure */
#define PLOT_MAX_TRAJ_RUNS 4                        /* trajectory panels per figure */
#define PLOT_NAME_MAX 512

typedef enum {
    PLOT_TRAINING,       /* train run: reward/trial, P(best) or regret, entropy, grad norm vs episode */
    PLOT_CURVE,          /* reward and P(best) by trial within the episode */
    PLOT_REGRET,         /* cumulative regret by trial */
    PLOT_STAY,           /* p(stay | win), p(stay | loss), 95% Wilson intervals */
    PLOT_REGRESSION,     /* Lau-Glimcher kernels by lag, rewarded and unrewarded, +-1 SE */
    PLOT_RW,             /* per-episode RW alpha, beta with the pooled fit */
    PLOT_REVERSAL,       /* accuracy aligned on reversals, +-1 SE band */
    PLOT_VOLATILITY,     /* RW alpha in volatile vs stable periods */
    PLOT_PCA,            /* variance explained by principal components */
    PLOT_TRAJECTORIES,   /* episodes in the PC1-PC2 plane */
    PLOT_DECODING,       /* cross-validated R^2 per target vs the shuffled null */
    PLOT_SELECTIVITY,    /* units' t statistics: previous action, reward, interaction */
    PLOT_RPE,            /* delta by outcome, against V, around reversals */
    PLOT_TWOSTEP,        /* two-step P(stay) by previous reward x transition, beside the published values */
    PLOT_INFERRED,       /* delta on the first switch after a reversal: inferred vs experienced value */
    PLOT_DOSE,           /* regret and P(best) against a lesion or dopamine dose (analysis/figures_dose.c) */
    PLOT_FITCOMPARE, PLOT_PPC,   /* model comparison, posterior predictive check (analysis/figures_fit.c) */
    PLOT_PERI_CHOICE, PLOT_PERI_OUTCOME, PLOT_STEPS_PCA,   /* activity within a trial (analysis/figures_steps.c) */
    PLOT_N_KINDS
} PlotKind;

typedef enum { PLOT_PNG, PLOT_SVG, PLOT_PDF } PlotFormat;

/* What colours the trajectory points. */
typedef enum {
    PLOT_COLOR_TRIAL,    /* trial index within the episode */
    PLOT_COLOR_REWARD,   /* outcome of the previous trial (what the state has just seen) */
    PLOT_COLOR_P0,       /* true reward probability of arm 0 */
    PLOT_COLOR_BELIEF    /* ideal observer's belief that arm 0 is the good arm (reversal runs) */
} PlotColor;

typedef struct PlotOptions {
    PlotFormat format;
    int width, height;       /* pixels for png and svg; pdf: hundredths of an inch (default 900 x 600) */
    PlotColor color;         /* trajectories */
    int n_episodes;          /* trajectories: the first n episodes with activity (default 3) */
    const char *command;     /* the command line, recorded in the script's header; may be NULL */
    const char *image_ext;   /* extension of the image as the user spelled it ("PNG"); NULL = the format's */
} PlotOptions;

/* A reference agent's regret per episode on a run's task (the training
** figure draws it as a line), and where the number comes from: a stored
** baseline run ("thompson, run 3") or a data file with its source. */
typedef struct PlotReference {
    const char *agent;                   /* "thompson", "bayes" */
    double regret;                       /* expected regret per episode */
    const char *source;                  /* shown in the figure's note; may be NULL */
} PlotReference;

/* One run's results to draw. Every pointer may be NULL (not available). */
typedef struct PlotRun {
    int64_t run_id;
    const char *label;                   /* legend text, e.g. "thompson (run 8)"; any characters */
    int trials_per_episode;              /* train runs: T, for reward per trial (0 = unknown) */
    const char *task;                    /* task_title() of the run's task, for titles; NULL = unknown */
    const PlotReference *refs;           /* (n_refs) reference agents on the run's task (train runs) */
    int n_refs;
    const TrainRow *train;               /* (n_train) training curve of a train run */
    int n_train;
    const BehaviorCurves *curves;
    const StayStats *stay;
    const LauGlimcherFit *lg;
    const RwFit *rw;                     /* pooled fit */
    const RwFit *rw_eps;                 /* (n_rw_eps) one fit per episode; NaN alpha = not fitted */
    int n_rw_eps;
    const ReversalCurve *rev;
    const RwVolatilityFit *vol;
    const NeuralPca *pca;
    const double *belief;                /* (pca->n_rows) observer's belief per neural row */
    const NeuralDecode *dec;             /* (PLOT_N_TARGETS) with dec_ok */
    const int *dec_ok;                   /* (PLOT_N_TARGETS) 1 where dec[k] was computed */
    const NeuralSelectivity *sel;
    const NeuralRpe *rpe;
    EpisodeRecord *const *eps;           /* (n_eps) the episodes: trajectories, delta against V */
    int n_eps;
    const char *config;                  /* the run's stored settings (INI text); NULL = not given */
    const struct FitFigure *fit;         /* `metarl fit`'s results (analysis/fit_ppc.h); NULL = none */
} PlotRun;

/* Names of the files written for one figure, relative to its folder. */
typedef struct PlotFiles {
    char gp[PLOT_NAME_MAX];
    char image[PLOT_NAME_MAX];
    int n_data;
    char data[PLOT_MAX_FILES][PLOT_NAME_MAX];
} PlotFiles;

void plot_options_default(PlotOptions *o);

/* "training", "curve", ...; NULL for an invalid kind. */
const char *plot_kind_name(PlotKind kind);
/* The kind named name, or -1. */
int plot_kind_lookup(const char *name);
/* "training, curve, regret, ...": every kind, for messages and --help. */
const char *plot_kind_list(void);
/* The options of `metarl plot` a kind reads beyond the common ones (--run,
** -o, --size): PLOT_OPT_* bits; the command refuses the others. */
enum { PLOT_OPT_LAGS = 1u << 0, PLOT_OPT_COLOR = 1u << 1, PLOT_OPT_EPISODES = 1u << 2 };
unsigned plot_kind_options(PlotKind kind);
/* "regression": the kinds that read option bit, into out; returns out. */
const char *plot_kinds_reading(unsigned bit, char *out, size_t n);
/* A short title ("Cumulative regret") and a sentence on what the figure
** shows and how to read it, for captions. */
const char *plot_kind_title(PlotKind kind);
const char *plot_kind_caption(PlotKind kind);

/* The format named by path's extension (.png, .svg, .pdf; any case).
** Return 0, or -1 if the extension is missing or unsupported. */
int plot_format_from_path(const char *path, PlotFormat *fmt);
const char *plot_format_ext(PlotFormat fmt);   /* "png", "svg", "pdf" */

/* "trial", "reward", "p0", "belief" <-> PlotColor; lookup returns -1 if unknown. */
int plot_color_lookup(const char *name);
const char *plot_color_name(PlotColor c);

/* 1 if run r holds what figure `kind` needs (with o->color for
** trajectories); otherwise 0 and a reason in why ("has no unit rates
** stored"), phrased to follow "run N ". */
int plot_applies(PlotKind kind, const PlotRun *r, const PlotOptions *o, char *why, size_t n_why);

/* Write figure `kind` of runs[0..n_runs-1] (each must pass plot_applies;
** trajectories take at most PLOT_MAX_TRAJ_RUNS) into folder dir, which must
** exist: base.gp and its data files, names in *files (may be NULL). The
** image itself (base.<ext>) is left for gnuplot to draw. Return 0, or -1
** with a message in err after removing whatever was written (I/O error, or
** a run that lacks the data). */
int plot_write(PlotKind kind, const PlotRun *runs, int n_runs, const PlotOptions *o, const char *dir,
               const char *base, PlotFiles *files, char *err, size_t n_err);

#endif
