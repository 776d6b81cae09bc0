/* analysis/plot.c: write each figure as data files plus a gnuplot script
** (see plot.h for the file layout and how the command line uses it).
**
** Every script starts with the same preamble (terminal and output from the
** options, fonts, a light grid, the run colours as linetypes 1..10), then
** draws with `plot` commands that name their data files by relative path.
** Labels are printed with gnuplot's enhanced text mode off, so run names with
** underscores or carets come out as typed; Greek letters and signs are UTF-8.
** Strings are single-quoted in the script (a quote inside is doubled).
**
** Uncertainty, everywhere it is drawn:
**   curves, regret, reversal, RPE by lag   shaded band of +-1 SE across episodes (reversals)
**   stay                                   95% Wilson score interval
**   regression, volatility, RW pooled, RPE by outcome   +-1 SE error bars
**   decoding                               the shuffled null's mean and 95th percentile
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analysis/plot.h"

/* ---- kinds, formats, colours ---------------------------------------------- */

typedef struct KindInfo {
    const char *name, *title, *caption;
} KindInfo;

static const KindInfo kinds[PLOT_N_KINDS] = {
    { "training", "Training curve",
      "Meta-training of the network, one point per training episode (grey) and a centred moving average "
      "(line): reward per trial, probability of choosing the better arm (or regret), policy entropy in nats "
      "(ln 2 = a coin flip) and the norm of the gradient before clipping, against the training episode." },
    { "curve", "Learning within the episode",
      "Reward and probability of choosing the better arm at each trial of an episode, averaged over episodes "
      "(shaded: ±1 SE across episodes). A rising curve is learning within the episode; for a network tested "
      "with frozen weights, it is learning done by its recurrent activity alone." },
    { "regret", "Cumulative regret",
      "Expected reward lost to the best arm, summed over the trials so far (true reward probabilities; shaded: "
      "±1 SE across episodes). Runs beside a test played the very same task instances." },
    { "stay", "Win-stay, lose-stay",
      "Probability of repeating the previous choice after a rewarded and after an unrewarded trial (error bars: "
      "95% Wilson interval). A model-free learner stays more after wins than after losses." },
    { "regression", "Reward-history regression",
      "Lau & Glimcher (2005) logistic regression of the choice on past choices, split by outcome: weight of a "
      "rewarded (left) and an unrewarded (right) choice k trials back (error bars: ±1 SE). Positive weights "
      "pull toward repeating the earlier choice; their decay with lag shows how far back the agent integrates." },
    { "rw", "Rescorla-Wagner fits",
      "Maximum-likelihood Rescorla-Wagner learning rate α and inverse temperature β, one point per episode "
      "(subject; the first 300 at most), with the pooled fit over all episodes (large marker, ±1 SE). β is on a log scale; points at "
      "the edge of the search box are fits that ran to a bound." },
    { "reversal", "Accuracy around reversals",
      "Probability of choosing the currently better arm, aligned on reversals (0 = first trial after the good "
      "arm switched; before it, the old good arm counts as correct; shaded: ±1 SE across reversals). The dip "
      "and the speed of recovery show how quickly the agent notices a reversal." },
    { "volatility", "Learning rate and volatility",
      "Rescorla-Wagner learning rate fitted separately to volatile periods (the first trials after a reversal) "
      "and stable ones (deep into a block), with a shared β (error bars: ±1 SE). Behrens et al. (2007): an "
      "adaptive learner raises its learning rate when the world is volatile." },
    { "pca", "Dimensionality of prefrontal activity",
      "Fraction of the variance of the prefrontal unit rates (pooled over trials and episodes) explained by "
      "each principal component, and the cumulative fraction." },
    { "trajectories", "State-space trajectories",
      "Prefrontal activity of a few test episodes projected on its first two principal components, one point "
      "per trial (the state in which the network chose), linked in time order; square = first trial." },
    { "decoding", "Decoding latent variables",
      "Cross-validated R² of a ridge decoder reading latent task variables from the prefrontal rates (folds "
      "split by episode), against the same procedure with targets shuffled across episodes (black bar: 95th "
      "percentile of the null; dot: its mean). A bar above the black line is decoded above chance." },
    { "selectivity", "Unit selectivity",
      "t statistic of each prefrontal unit's rate regressed on the previous action, the previous reward and "
      "their product (Wang et al. 2018, Fig. 2); filled points are significant at p < 0.05, dashed lines mark "
      "|t| = 1.96. One point per unit, spread sideways for legibility." },
    { "rpe", "Reward-prediction errors",
      "The striatal critic's dopamine-like RPE δ = r + γV' − V: its mean after unrewarded and rewarded "
      "outcomes (±1 SE), against the value estimate V (binned means; δ should rise with reward and fall with "
      "V), and aligned on reversals (±1 SE)." },
};

void plot_options_default(PlotOptions *o)
{
    memset(o, 0, sizeof *o);
    o->format = PLOT_PNG;
    o->width = 900;
    o->height = 600;
    o->color = PLOT_COLOR_TRIAL;
    o->n_episodes = 3;
}

const char *plot_kind_name(PlotKind kind) { return kind < PLOT_N_KINDS ? kinds[kind].name : NULL; }
const char *plot_kind_title(PlotKind kind) { return kind < PLOT_N_KINDS ? kinds[kind].title : NULL; }
const char *plot_kind_caption(PlotKind kind) { return kind < PLOT_N_KINDS ? kinds[kind].caption : NULL; }

int plot_kind_lookup(const char *name)
{
    for (int k = 0; k < PLOT_N_KINDS; k++)
        if (name && !strcmp(name, kinds[k].name)) return k;
    return -1;
}

const char *plot_kind_list(void)
{
    static char list[512];
    if (!list[0])
        for (int k = 0; k < PLOT_N_KINDS; k++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", kinds[k].name);
        }
    return list;
}

static const char *const format_ext[] = { "png", "svg", "pdf" };

const char *plot_format_ext(PlotFormat fmt) { return fmt <= PLOT_PDF ? format_ext[fmt] : "png"; }

int plot_format_from_path(const char *path, PlotFormat *fmt)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return -1;
    for (int f = 0; f <= PLOT_PDF; f++)
        if (!strcasecmp(dot + 1, format_ext[f])) {
            *fmt = (PlotFormat)f;
            return 0;
        }
    return -1;
}

static const char *const color_names[] = { "trial", "reward", "p0", "belief" };

int plot_color_lookup(const char *name)
{
    for (int c = 0; c < 4; c++)
        if (name && !strcmp(name, color_names[c])) return c;
    return -1;
}

const char *plot_color_name(PlotColor c) { return c <= PLOT_COLOR_BELIEF ? color_names[c] : "trial"; }

/* Okabe & Ito (2008), colour-blind safe; the first run (the network) in blue. */
#define N_COLORS 10
static const char *const run_colors[N_COLORS] = { "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7",
                                                  "#000000", "#56B4E9", "#999999", "#8C564B", "#B8860B" };

/* Decoding targets, indexed by NeuralTarget. */
static const char *const target_keys[PLOT_N_TARGETS] = { "p0", "p1", "best", "block_parity", "belief" };
static const char *const target_labels[PLOT_N_TARGETS] = { "p(reward), arm 1", "p(reward), arm 2", "better arm",
                                                           "block parity", "observer belief" };

/* ---- applicability ----------------------------------------------------------- */

static int has_regret(const BehaviorCurves *c) { return c && c->n_trials > 0 && c->n_regret[0] > 0; }

static int has_best(const BehaviorCurves *c)
{
    for (int t = 0; c && t < c->n_trials; t++)
        if (c->n_best[t] > 0) return 1;
    return 0;
}

static int n_decoded(const PlotRun *r)
{
    int n = 0;
    for (int k = 0; r->dec && r->dec_ok && k < PLOT_N_TARGETS; k++) n += r->dec_ok[k] != 0;
    return n;
}

static int has_p0(const PlotRun *r)
{
    const NeuralPca *p = r->pca;
    for (long i = 0; p && r->eps && i < p->n_rows; i++)
        if (isfinite(r->eps[p->episode[i]]->trials[p->t[i]].truth.p[0])) return 1;
    return 0;
}

static int has_rpe_lags(const NeuralRpe *p)
{
    for (int i = 0; p && i < BEHAVIOR_REV_N_LAGS; i++)
        if (p->rev_n[i] > 0) return 1;
    return 0;
}

#define NO_ACTIVITY "has no prefrontal unit rates stored (only network test runs record them)"

int plot_applies(PlotKind kind, const PlotRun *r, const PlotOptions *o, char *why, size_t n_why)
{
    const char *w = NULL;
    switch (kind) {
    case PLOT_TRAINING:
        if (!r->train) w = "is not a train run (only train runs have a training curve)";
        else if (r->n_train == 0) w = "has no training rows yet";
        break;
    case PLOT_CURVE:
        if (!r->curves) w = "has no episodes (or is a train run: see `training`)";
        break;
    case PLOT_REGRET:
        if (!r->curves) w = "has no episodes (or is a train run: see `training`)";
        else if (!has_regret(r->curves)) w = "has no task truth (true reward probabilities), so no regret";
        break;
    case PLOT_STAY:
        if (!r->stay) w = "has no pair of consecutive valid trials";
        break;
    case PLOT_REGRESSION:
        if (!r->lg) w = "has too few valid trials for the reward-history regression";
        break;
    case PLOT_RW:
        if (!r->rw && !r->rw_eps) w = "has too few valid trials for a Rescorla-Wagner fit";
        break;
    case PLOT_REVERSAL:
        if (!r->rev) w = "has no reversal with a known better arm";
        break;
    case PLOT_VOLATILITY:
        if (!r->vol) w = "has no volatile and stable trials to compare (no reversals, or no task truth)";
        break;
    case PLOT_PCA:
        if (!r->pca) w = NO_ACTIVITY;
        break;
    case PLOT_TRAJECTORIES:
        if (!r->pca || !r->eps) w = NO_ACTIVITY;
        else if (r->pca->k < 2) w = "has fewer than two principal components";
        else if (o->color == PLOT_COLOR_P0 && !has_p0(r)) w = "has no true reward probabilities to colour by (--color p0)";
        else if (o->color == PLOT_COLOR_BELIEF && !r->belief)
            w = "has no ideal-observer belief to colour by (--color belief needs a reversal run)";
        break;
    case PLOT_DECODING:
        if (!r->pca) w = NO_ACTIVITY;
        else if (n_decoded(r) == 0) w = "has no latent variable that could be decoded";
        break;
    case PLOT_SELECTIVITY:
        if (!r->sel || r->sel->n_rows == 0) w = NO_ACTIVITY;
        break;
    case PLOT_RPE:
        if (!r->rpe) w = "has no value estimate V and RPE (network and value-learning agents only)";
        break;
    default:
        w = "is not a known figure";
    }
    if (w && why) snprintf(why, n_why, "%s", w);
    return w == NULL;
}

/* ---- the figure writer --------------------------------------------------------- */

typedef struct Fig {
    const PlotOptions *o;
    const char *dir, *base;
    PlotFiles *files;
    FILE *gp;
    int n_runs;
    int failed;
    char *err;
    size_t n_err;
} Fig;

static void fig_fail(Fig *F, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fig_fail(Fig *F, const char *fmt, ...)
{
    if (F->failed) return;
    F->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    if (F->err) vsnprintf(F->err, F->n_err, fmt, ap);
    va_end(ap);
}

/* Open DIR/NAME for writing; NAME recorded in *files. */
static FILE *fig_open(Fig *F, const char *name, int is_data)
{
    char path[4096];
    if (F->failed) return NULL;
    if (snprintf(path, sizeof path, "%s/%s", F->dir, name) >= (int)sizeof path) {
        fig_fail(F, "%s/%s: path too long", F->dir, name);
        return NULL;
    }
    if (is_data) {
        if (F->files->n_data >= PLOT_MAX_FILES) {
            fig_fail(F, "%s: too many data files for one figure", name);
            return NULL;
        }
        snprintf(F->files->data[F->files->n_data++], PLOT_NAME_MAX, "%s", name);
    }
    FILE *f = fopen(path, "w");
    if (!f) fig_fail(F, "%s: cannot write (%s)", path, strerror(errno));
    return f;
}

static void fig_close(Fig *F, FILE *f, const char *name)
{
    if (!f) return;
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) fig_fail(F, "%s/%s: write failed (%s)", F->dir, name, strerror(errno));
}

/* The data file name of run r's part (NULL = the run's only table): FIG.dat
** for a single run's single table, else FIG_run<ID>[_part].dat or FIG_part.dat. */
static void data_name(const Fig *F, const PlotRun *r, const char *part, char *out, size_t n)
{
    if (F->n_runs == 1 || !r) {
        if (part) snprintf(out, n, "%s_%s.dat", F->base, part);
        else snprintf(out, n, "%s.dat", F->base);
    } else {
        if (part) snprintf(out, n, "%s_run%lld_%s.dat", F->base, (long long)r->run_id, part);
        else snprintf(out, n, "%s_run%lld.dat", F->base, (long long)r->run_id);
    }
}

/* Open a data file and write its header: a title line, then column names. */
static FILE *data_open(Fig *F, const PlotRun *r, const char *part, char *name, size_t n_name, const char *what,
                       const char *columns)
{
    data_name(F, r, part, name, n_name);
    FILE *f = fig_open(F, name, 1);
    if (!f) return NULL;
    fprintf(f, "# %s", what);
    if (r) fprintf(f, " - run %lld: %s", (long long)r->run_id, r->label ? r->label : "");
    fprintf(f, "\n# %s\n", columns);
    return f;
}

static void num(FILE *f, double v)
{
    if (isnan(v)) fputs(" NaN", f);
    else fprintf(f, " %.7g", v);
}

/* A gnuplot string: single-quoted (no escapes to worry about; a quote is
** doubled), or double-quoted with escapes if it holds a line break. */
static void gq(FILE *f, const char *s)
{
    if (s && strchr(s, '\n')) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '\n') fputs("\\n", f);
            else if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
            else fputc(*s, f);
        }
        fputc('"', f);
        return;
    }
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* 'label' of run i (its legend entry). */
static void glabel(FILE *f, const PlotRun *r)
{
    char fallback[64];
    snprintf(fallback, sizeof fallback, "run %lld", (long long)r->run_id);
    gq(f, r->label && r->label[0] ? r->label : fallback);
}

static void gp_preamble(Fig *F, const char *title)
{
    FILE *g = F->gp;
    const PlotOptions *o = F->o;
    fprintf(g, "# %s\n", title);
    if (o->command) fprintf(g, "# Drawn by: %s\n", o->command);
    fprintf(g, "# To restyle, edit this file, then in its folder run:  gnuplot %s.gp\n", F->base);
    fprintf(g, "# The data files it reads are whitespace-separated with a '#' header naming the columns (NaN = "
               "unknown).\n\n");
    switch (o->format) {
    case PLOT_SVG:
        fprintf(g, "set terminal svg size %d,%d font 'Sans,11' noenhanced background '#ffffff'\n", o->width,
                o->height);
        break;
    case PLOT_PDF:
        fprintf(g, "set terminal pdfcairo size %.2fin,%.2fin font 'Sans,16' noenhanced\n", o->width / 100.0,
                o->height / 100.0);
        break;
    default:
        fprintf(g, "set terminal pngcairo size %d,%d font 'Sans,11' noenhanced background '#ffffff'\n", o->width,
                o->height);
    }
    fprintf(g, "set output ");
    gq(g, F->files->image);
    fputc('\n', g);
    /* pdfcairo draws text at half the nominal size of the raster terminals */
    fprintf(g, "tfont = '%s'    # titles\nsfont = '%s'    # small labels\n", o->format == PLOT_PDF ? ",17" : ",12",
            o->format == PLOT_PDF ? ",13" : ",9");
    fprintf(g, "set encoding utf8\n"
               "set border 3 front lw 1\n"
               "set tics nomirror out scale 0.6\n"
               "set grid xtics ytics back lw 1 lc rgb '#e6e6e6'\n"
               "set key noautotitle opaque samplen 2.5 spacing 1.15 box lc rgb '#d0d0d0'\n"
               "set style fill solid 0.65 border -1\n"
               "# One colour per run, in the order the runs were given.\n");
    for (int i = 0; i < N_COLORS; i++)
        fprintf(g, "set linetype %d lc rgb '%s' lw 2 pt 7 ps 0.9 dt 1\n", i + 1, run_colors[i]);
    fprintf(g, "set linetype cycle %d\n"
               "band = 0.18    # opacity of the shaded error bands\n\n",
            N_COLORS);
}

/* Write "set xrange [lo:hi]"-style lines with NaN treated as '*'. */
static void grange(FILE *g, const char *axis, double lo, double hi)
{
    fprintf(g, "set %srange [", axis);
    if (isfinite(lo)) fprintf(g, "%.6g", lo);
    else fputc('*', g);
    fputc(':', g);
    if (isfinite(hi)) fprintf(g, "%.6g", hi);
    else fputc('*', g);
    fputs("]\n", g);
}

/* The common plot-clause separator: ", \\\n     ". */
static void gsep(FILE *g, int *first)
{
    if (!*first) fputs(", \\\n     ", g);
    *first = 0;
}

/* "Title" of a figure of one or several runs. */
static void fig_title(const PlotRun *runs, int n, const char *what, char *out, size_t len)
{
    if (n == 1) snprintf(out, len, "%s - %s", what, runs[0].label ? runs[0].label : "");
    else snprintf(out, len, "%s - %d runs", what, n);
}

/* The common head of a one-panel figure: its title from the runs, the
** preamble, and "set title ... font tfont" (the caller goes on with the
** rest of that line's settings). */
static void gp_titled(Fig *F, const PlotRun *runs, int n, const char *what, char *title, size_t len)
{
    fig_title(runs, n, what, title, len);
    gp_preamble(F, title);
    fprintf(F->gp, "set title ");
    gq(F->gp, title);
    fprintf(F->gp, " font tfont\n");
}

/* Two panels side by side, with one legend of the n runs centred below both
** (none for a single run: the title names it). The key applies to the
** panel drawn next; call "set key off" before the second. */
static void gp_two_panels(FILE *g, const char *title, int n)
{
    int rows = n > 1 ? (n + 1) / 2 : 0;
    fprintf(g, "set multiplot layout 1,2 title ");
    gq(g, title);
    fprintf(g, " font tfont margins 0.085,0.98,%.3f,0.86 spacing 0.085,0.1\n", 0.12 + 0.045 * rows);
    if (n > 1) fprintf(g, "set key at screen 0.5, screen 0.01 center bottom vertical maxrows %d nobox\n", rows);
    else fprintf(g, "set key off\n");
}

/* ---- training ------------------------------------------------------------------- */

/* Centred moving average of x[0..n-1] over 2h+1 points (fewer at the ends), NaN skipped. */
static void moving_average(const double *x, int n, int h, double *out)
{
    double sum = 0.0;
    long cnt = 0;
    int lo = 0, hi = -1;   /* current window [lo, hi] */
    for (int i = 0; i < n; i++) {
        int want_lo = i - h < 0 ? 0 : i - h, want_hi = i + h >= n ? n - 1 : i + h;
        while (hi < want_hi) {
            hi++;
            if (isfinite(x[hi])) sum += x[hi], cnt++;
        }
        while (lo < want_lo) {
            if (isfinite(x[lo])) sum -= x[lo], cnt--;
            lo++;
        }
        out[i] = cnt > 0 ? sum / (double)cnt : NAN;
    }
}

enum { TR_REWARD, TR_PBEST, TR_REGRET, TR_ENTROPY, TR_GRAD, TR_N };

/* A round tic step (1, 2 or 5 times a power of ten) giving about `want` intervals over span. */
static double nice_step(double span, int want)
{
    if (!(span > 0)) return 1.0;
    double raw = span / want, p = pow(10.0, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
}

static void write_training(Fig *F, const PlotRun *runs, int n)
{
    char name[PLOT_NAME_MAX], names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int any_best = 0, grad_pos = 1, binary = 1, per_trial = 1, width = 1;
    double max_ep = 0;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < runs[i].n_train; e++)
            if (isfinite(runs[i].train[e].grad_norm) && !(runs[i].train[e].grad_norm > 0)) grad_pos = 0;
    for (int i = 0; i < n && !F->failed; i++) {
        const PlotRun *r = &runs[i];
        int m = r->n_train, h = m / 100;
        if (2 * h + 1 > width) width = 2 * h + 1;
        double T = r->trials_per_episode > 0 ? r->trials_per_episode : 1.0;
        if (r->trials_per_episode <= 0) per_trial = 0;
        double *col = malloc((size_t)m * 2 * TR_N * sizeof *col);
        if (!col) {
            fig_fail(F, "out of memory");
            return;
        }
        double *avg = col + (size_t)m * TR_N;
        for (int e = 0; e < m; e++) {
            const TrainRow *x = &r->train[e];
            col[TR_REWARD * m + e] = x->reward / T;
            col[TR_PBEST * m + e] = x->p_best;
            col[TR_REGRET * m + e] = x->regret;
            col[TR_ENTROPY * m + e] = x->entropy;
            /* the gradient norm spans decades: average its logarithm (a geometric mean) */
            col[TR_GRAD * m + e] = grad_pos ? log(x->grad_norm) : x->grad_norm;
            if (isfinite(x->p_best)) any_best = 1;
            if (isfinite(x->reward / T) && (x->reward / T < 0 || x->reward / T > 1)) binary = 0;
            if ((double)x->episode > max_ep) max_ep = (double)x->episode;
        }
        for (int c = 0; c < TR_N; c++) moving_average(col + (size_t)c * m, m, h, avg + (size_t)c * m);
        if (grad_pos)
            for (int e = 0; e < m; e++) {
                col[TR_GRAD * m + e] = exp(col[TR_GRAD * m + e]);
                avg[TR_GRAD * m + e] = exp(avg[TR_GRAD * m + e]);
            }
        char cols[512];
        snprintf(cols, sizeof cols,
                 "episode reward_per_trial p_best regret entropy grad_norm loss_policy loss_value beta_e wall_s "
                 "reward_per_trial_avg p_best_avg regret_avg entropy_avg grad_norm_avg   (*_avg: centred moving "
                 "average over %d episodes%s; reward_per_trial = episode reward / %g trials)",
                 2 * h + 1, grad_pos ? ", geometric for grad_norm" : "", T);
        FILE *f = data_open(F, r, NULL, name, sizeof name, "training curve", cols);
        if (!f) {
            free(col);
            return;
        }
        snprintf(names[i], PLOT_NAME_MAX, "%s", name);
        for (int e = 0; e < m; e++) {
            const TrainRow *x = &r->train[e];
            fprintf(f, "%lld", (long long)x->episode);
            for (int c = 0; c < TR_N; c++) num(f, col[(size_t)c * m + e]);
            num(f, x->loss_policy);
            num(f, x->loss_value);
            num(f, x->beta_e);
            num(f, x->wall_s);
            for (int c = 0; c < TR_N; c++) num(f, avg[(size_t)c * m + e]);
            fputc('\n', f);
        }
        fig_close(F, f, name);
        free(col);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_title(runs, n, "Meta-training of the network", title, sizeof title);
    gp_preamble(F, title);
    char mtitle[700];
    if (n == 1)
        snprintf(mtitle, sizeof mtitle, "%s\ngrey: each training episode; line: moving average over %d episodes", title,
                 width);
    else
        snprintf(mtitle, sizeof mtitle, "%s\nlines: moving averages over ~2%% of each run", title);
    fprintf(g, "set multiplot layout 2,2 title ");
    gq(g, mtitle);
    fprintf(g, " font tfont\nset xlabel 'training episode'\nset xtics %g\n", nice_step(max_ep, 4));
    grange(g, "x", 0, max_ep);
    /* columns: 1 episode, 2 reward, 3 p_best, 4 regret, 5 entropy, 6 grad, 7-10 losses/beta/wall, 11.. averages */
    struct {
        const char *title, *ylabel;
        int col;
        double lo, hi;
        int logy;
    } panels[4] = {
        { per_trial ? "Reward per trial" : "Reward per episode", per_trial ? "reward per trial" : "reward per episode",
          2, binary && per_trial ? 0.0 : NAN, binary && per_trial ? 1.0 : NAN, 0 },
        { any_best ? "P(choose the better arm)" : "Regret per episode",
          any_best ? "P(better arm)" : "regret (expected reward lost)", any_best ? 3 : 4, 0.0, any_best ? 1.0 : NAN,
          0 },
        { "Policy entropy", "entropy per trial (nats)", 5, 0.0, 0.75, 0 },
        { grad_pos ? "Gradient norm before clipping (log scale)" : "Gradient norm before clipping", "gradient norm", 6,
          NAN, NAN, grad_pos },
    };
    for (int p = 0; p < 4; p++) {
        fprintf(g, "\n# panel %d: %s\nset title ", p + 1, panels[p].title);
        gq(g, panels[p].title);
        fprintf(g, "\nset ylabel ");
        gq(g, panels[p].ylabel);
        fputc('\n', g);
        grange(g, "y", panels[p].lo, panels[p].hi);
        fprintf(g, panels[p].logy ? "set logscale y\nset format y '%%.0e'\n" : "unset logscale y\nset format y '%%g'\n");
        if (p == 2)
            fprintf(g, "set arrow 1 from graph 0, first log(2) to graph 1, first log(2) nohead dt 2 lc rgb '#888888'\n"
                       "set label 1 'ln 2 (coin flip)' at graph 0.98, first log(2) right offset 0,0.6 tc rgb '#666666'\n");
        else
            fprintf(g, "unset arrow 1\nunset label 1\n");
        if (p == 1 && any_best)
            fprintf(g, "set arrow 2 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888'\n");
        else
            fprintf(g, "unset arrow 2\n");
        fprintf(g, p == 0 && n > 1 ? "set key top left\n" : "set key off\n");
        fprintf(g, "plot ");
        int first = 1;
        for (int i = 0; i < n; i++) {
            if (n == 1) {
                gsep(g, &first);
                gq(g, names[i]);
                fprintf(g, " using 1:%d with points pt 7 ps 0.25 lc rgb '#b8b8b8'", panels[p].col);
            }
            gsep(g, &first);
            gq(g, names[i]);
            fprintf(g, " using 1:%d with lines lt %d lw 2", panels[p].col + 9, i + 1);
            if (n > 1 && p == 0) {
                fputs(" title ", g);
                glabel(g, &runs[i]);
            }
        }
        fputc('\n', g);
    }
    fprintf(g, "unset multiplot\n");
}

/* ---- learning curves and regret ------------------------------------------------------ */

/* Per-trial curves of each run: trial n reward reward_se n_best p_best p_best_se n_regret regret regret_se. */
static void write_curve_data(Fig *F, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX])
{
    for (int i = 0; i < n && !F->failed; i++) {
        const BehaviorCurves *c = runs[i].curves;
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX, "learning curves by trial within the episode",
                            "trial n reward reward_se n_best p_best p_best_se n_regret regret regret_se   (trial "
                            "1 = first of the episode; means across episodes, se = sd / sqrt(n); regret is "
                            "cumulative through the trial)");
        if (!f) return;
        for (int t = 0; t < c->n_trials; t++) {
            fprintf(f, "%d %d", t + 1, c->n_reward[t]);
            num(f, c->reward_mean[t]);
            num(f, c->reward_se[t]);
            fprintf(f, " %d", c->n_best[t]);
            num(f, c->best_mean[t]);
            num(f, c->best_se[t]);
            fprintf(f, " %d", c->n_regret[t]);
            num(f, c->regret_mean[t]);
            num(f, c->regret_se[t]);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
}

/* Plot clauses of mean (column m) +- se (column s) for each run: bands first, then lines. */
static void plot_bands(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], int xcol, int m, int s,
                       int keys)
{
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using %d:($%d-$%d):($%d+$%d) with filledcurves lt %d fs transparent solid band noborder", xcol, m,
                s, m, s, i + 1);
    }
    for (int i = 0; i < n; i++) {
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using %d:%d with lines lt %d ", xcol, m, i + 1);
        if (keys) {
            fputs("title ", g);
            glabel(g, &runs[i]);
        }
    }
    fputc('\n', g);
}

static int curve_in_unit(const PlotRun *runs, int n)
{
    for (int i = 0; i < n; i++) {
        const BehaviorCurves *c = runs[i].curves;
        for (int t = 0; t < c->n_trials; t++)
            if (isfinite(c->reward_mean[t]) && (c->reward_mean[t] < 0 || c->reward_mean[t] > 1)) return 0;
    }
    return 1;
}

static void write_curve(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    write_curve_data(F, runs, n, names);
    if (F->failed) return;
    int any_best = 0, T = 0;
    for (int i = 0; i < n; i++) {
        any_best |= has_best(runs[i].curves);
        if (runs[i].curves->n_trials > T) T = runs[i].curves->n_trials;
    }
    FILE *g = F->gp;
    fig_title(runs, n, "Learning within the episode", title, sizeof title);
    gp_preamble(F, title);
    if (any_best) {
        gp_two_panels(g, title, n);
    } else {
        fprintf(g, "set title ");
        gq(g, title);
        fprintf(g, " font tfont\n%s\n", n > 1 ? "set key below noopaque nobox" : "set key off");
    }
    fprintf(g, "set xlabel 'trial within the episode'\n");
    grange(g, "x", 1, T);
    fprintf(g, "\n# left: reward\n");
    if (any_best) fprintf(g, "set title 'Reward (shaded: ±1 SE across episodes)'\n");
    fprintf(g, "set ylabel 'mean reward per trial'\n");
    if (curve_in_unit(runs, n)) fprintf(g, "set yrange [0:1]\n");
    plot_bands(g, runs, n, names, 1, 3, 4, 1);
    if (any_best) {
        fprintf(g, "\n# right: P(better arm)\nset key off\nset title 'Choice of the better arm (shaded: ±1 SE)'\n"
                   "set ylabel 'P(choose the better arm)'\nset yrange [0:1]\n"
                   "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888'\n");
        plot_bands(g, runs, n, names, 1, 6, 7, 0);
        fprintf(g, "unset multiplot\n");
    }
}

static void write_regret(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    write_curve_data(F, runs, n, names);
    if (F->failed) return;
    int T = 0;
    for (int i = 0; i < n; i++)
        if (runs[i].curves->n_trials > T) T = runs[i].curves->n_trials;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Cumulative regret", title, sizeof title);
    fprintf(g, "set xlabel 'trial within the episode'\n"
               "set ylabel 'cumulative regret (expected rewards lost)'\n");
    grange(g, "x", 1, T);
    fprintf(g, "set yrange [0:*]\nset key top left title 'shaded: ±1 SE across episodes'\n");
    plot_bands(g, runs, n, names, 1, 9, 10, 1);
}

/* ---- grouped bars (stay, volatility) ---------------------------------------------------- */

/* Bars at x = group + offset(run) (column 1 = group): boxes of column vcol,
** black error bars from lo to hi (gnuplot expressions), and, if labels, the
** value printed above the error bar. */
static void plot_grouped_bars(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], int vcol, const char *lo,
                              const char *hi, int labels)
{
    fprintf(g, "N = %d                      # runs side by side\n"
               "bw = 0.8 / N                 # width of one bar\n"
               "off(i) = (i - (N - 1) / 2.0) * bw\n"
               "set boxwidth bw * 0.92 absolute\n"
               "set style fill solid 0.75 border -1\n",
            n);
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using ($1+off(%d)):%d with boxes lt %d title ", i, vcol, i + 1);
        glabel(g, &runs[i]);
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using ($1+off(%d)):%s:(0):(%s-%s) with vectors heads size screen 0.006,90 lc rgb '#202020' lw 1.5",
                i, lo, hi, lo);
        if (!labels) continue;
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using ($1+off(%d)):((%s==%s)?%s:$%d):(sprintf('%%.2f', $%d)) with labels offset 0,0.8 font sfont", i,
                hi, hi, hi, vcol, vcol);
    }
    fputc('\n', g);
}

static void write_stay(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    for (int i = 0; i < n && !F->failed; i++) {
        const StayStats *s = runs[i].stay;
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "p(stay | win) and p(stay | loss)",
                            "group after pairs stays p_stay ci_lo ci_hi   (group 0 = after a rewarded trial, 1 = "
                            "after an unrewarded one; 95% Wilson interval)");
        if (!f) return;
        fprintf(f, "0 win %ld %ld", s->n_win, s->stay_win);
        num(f, s->p_stay_win);
        num(f, s->win_ci[0]);
        num(f, s->win_ci[1]);
        fprintf(f, "\n1 loss %ld %ld", s->n_loss, s->stay_loss);
        num(f, s->p_stay_loss);
        num(f, s->loss_ci[0]);
        num(f, s->loss_ci[1]);
        fputc('\n', f);
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Win-stay, lose-stay", title, sizeof title);
    fprintf(g, "set ylabel 'P(repeat the previous choice)'\nset yrange [0:1.08]\nset ytics 0,0.2,1\n"
               "set xrange [-0.6:1.6]\nset xtics ('after a rewarded trial' 0, 'after an unrewarded trial' 1)\n"
               "set grid noxtics\nset key below noopaque nobox title 'error bars: 95%% Wilson interval'\n"
               "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lc rgb '#888888' back\n");
    plot_grouped_bars(g, runs, n, names, 5, "($6)", "($7)", 1);
}

static void write_volatility(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int W = runs[0].vol->window;
    for (int i = 0; i < n && !F->failed; i++) {
        const RwVolatilityFit *v = runs[i].vol;
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "Rescorla-Wagner learning rate by volatility class (one joint fit, shared beta)",
                            "group class trials alpha alpha_se lo hi beta beta_se   (lo, hi = alpha -+ 1 SE; "
                            "group 2, the episode start, is a nuisance class and not drawn)");
        if (!f) return;
        const char *cls[3] = { "volatile", "stable", "start" };
        const long nt[3] = { v->n_volatile, v->n_stable, v->n_start };
        const double a[3] = { v->alpha_volatile, v->alpha_stable, v->alpha_start };
        const double se[3] = { v->alpha_volatile_se, v->alpha_stable_se, v->alpha_start_se };
        for (int k = 0; k < 3; k++) {
            fprintf(f, "%d %s %ld", k, cls[k], nt[k]);
            num(f, a[k]);
            num(f, se[k]);
            num(f, a[k] - se[k]);
            num(f, a[k] + se[k]);
            num(f, v->beta);
            num(f, v->beta_se);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Learning rate in volatile and stable periods", title, sizeof title);
    fprintf(g, "set ylabel 'RW learning rate α'\nset yrange [0:1.08]\nset ytics 0,0.2,1\n"
               "set xrange [-0.6:1.6]\nset xtics ('volatile: first %d trials after a reversal' 0, "
               "'stable: %d or more trials into a block' 1)\n"
               "set grid noxtics\nset key below noopaque nobox title 'error bars: ±1 SE'\n",
            W, W);
    plot_grouped_bars(g, runs, n, names, 4, "($6)", "($7)", 1);
}

/* ---- regression kernels ------------------------------------------------------------------ */

static void write_regression(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    double lo = 0.0, hi = 0.0;
    int K = 1, any_ok = 0;
    for (int i = 0; i < n; i++) any_ok |= runs[i].lg->fit.converged;
    for (int i = 0; i < n && !F->failed; i++) {
        const LauGlimcherFit *l = runs[i].lg;
        if (l->lags > K) K = l->lags;
        char what[200];
        snprintf(what, sizeof what, "Lau-Glimcher reward-history regression (%s, n = %d trials)",
                 l->fit.converged ? "converged" : l->fit.separated ? "NOT converged: separation" : "NOT converged",
                 l->fit.n);
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX, what,
                            "lag rewarded rewarded_se unrewarded unrewarded_se   (logit P(arm 2) = b0 + sum_k "
                            "bR_k c r + bU_k c (1 - r), c = +-1 the choice k trials back; se = standard error)");
        if (!f) return;
        for (int k = 0; k < l->lags; k++) {
            fprintf(f, "%d", k + 1);
            num(f, l->rewarded[k]);
            num(f, l->rewarded_se[k]);
            num(f, l->unrewarded[k]);
            num(f, l->unrewarded_se[k]);
            fputc('\n', f);
            if (any_ok && !l->fit.converged) continue;   /* a separated fit runs off the scale of the others */
            const double b[2] = { l->rewarded[k], l->unrewarded[k] };
            const double s[2] = { l->rewarded_se[k], l->unrewarded_se[k] };
            for (int j = 0; j < 2; j++) {
                double e = isfinite(s[j]) ? s[j] : 0.0;
                if (isfinite(b[j]) && b[j] - e < lo) lo = b[j] - e;
                if (isfinite(b[j]) && b[j] + e > hi) hi = b[j] + e;
            }
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    double pad = 0.08 * (hi - lo > 0 ? hi - lo : 1.0);
    lo -= pad;
    hi += pad;
    FILE *g = F->gp;
    fig_title(runs, n, "Reward-history regression (Lau & Glimcher 2005)", title, sizeof title);
    gp_preamble(F, title);
    char mtitle[700];
    if (n == 1 && !runs[0].lg->fit.converged)
        snprintf(mtitle, sizeof mtitle, "%s\nthe fit did not converge (%s): weights ran off, SEs unknown", title,
                 runs[0].lg->fit.separated ? "quasi-separation, as for a deterministic agent" : "iteration limit");
    else
        snprintf(mtitle, sizeof mtitle, "%s", title);
    gp_two_panels(g, mtitle, n);
    fprintf(g, "set xlabel 'trials back (lag k)'\nset ylabel 'weight (log-odds toward the earlier choice)'\n"
               "set xtics 1\n");
    grange(g, "x", 0.5, K + 0.5);
    grange(g, "y", lo, hi);
    fprintf(g, "N = %d\njit(i) = (i - (N - 1) / 2.0) * 0.07   # sideways shift so error bars do not overlap\n"
               "set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#888888' back\n",
            n);
    for (int p = 0; p < 2; p++) {
        fprintf(g, "\nset title %s\nplot ",
                p == 0 ? "'After rewarded choices (bR; error bars ±1 SE)'" : "'After unrewarded choices (bU)'");
        int first = 1, c = p == 0 ? 2 : 4;
        for (int i = 0; i < n; i++) {
            gsep(g, &first);
            gq(g, names[i]);
            fprintf(g, " using ($1+jit(%d)):%d:(valid(%d)?$%d:0) with yerrorbars lt %d pt 7 ps 0.9", i, c, c + 1, c + 1,
                    i + 1);
            gsep(g, &first);
            gq(g, names[i]);
            fprintf(g, " using ($1+jit(%d)):%d with lines lt %d ", i, c, i + 1);
            if (p == 0 && n > 1) {
                char t[600];
                snprintf(t, sizeof t, "%s%s", runs[i].label ? runs[i].label : "",
                         runs[i].lg->fit.converged ? "" : " (fit did not converge)");
                fputs("title ", g);
                gq(g, t);
            }
        }
        fprintf(g, "\nset key off\n");
    }
    fprintf(g, "unset multiplot\n");
}

/* ---- Rescorla-Wagner fits -------------------------------------------------------------------- */

static void write_rw(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], pooled[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    double bmin = INFINITY, bmax = -INFINITY;
    int any_pooled = 0;
    for (int i = 0; i < n && !F->failed; i++) {
        const PlotRun *r = &runs[i];
        names[i][0] = pooled[i][0] = '\0';
        if (r->rw_eps) {
            char what[160];
            snprintf(what, sizeof what, "Rescorla-Wagner fit of each episode (the first %d of %d)", r->n_rw_eps, r->n_eps);
            FILE *f = data_open(F, r, "episodes", names[i], PLOT_NAME_MAX, what,
                                "episode subject trials alpha alpha_se beta beta_se nll   (NaN: too few valid "
                                "trials to fit alone)");
            if (!f) return;
            for (int e = 0; e < r->n_rw_eps; e++) {
                const RwFit *x = &r->rw_eps[e];
                const char *subj = r->eps && r->eps[e]->subject[0] ? r->eps[e]->subject : "-";
                fprintf(f, "%d ", e);
                for (const char *c = subj; *c; c++) fputc(*c == ' ' || *c == '\t' ? '_' : *c, f);
                fprintf(f, " %ld", x->n_trials);
                num(f, x->alpha);
                num(f, x->alpha_se);
                num(f, x->beta);
                num(f, x->beta_se);
                num(f, x->nll);
                fputc('\n', f);
                if (isfinite(x->beta) && x->beta > 0) {
                    if (x->beta < bmin) bmin = x->beta;
                    if (x->beta > bmax) bmax = x->beta;
                }
            }
            fig_close(F, f, names[i]);
        }
        if (r->rw) {
            const RwFit *x = r->rw;
            FILE *f = data_open(F, r, "pooled", pooled[i], PLOT_NAME_MAX, "pooled Rescorla-Wagner fit (all episodes)",
                                "alpha alpha_se beta beta_se nll trials episodes   (se NaN: optimum at the edge "
                                "of the search box)");
            if (!f) return;
            num(f, x->alpha);
            num(f, x->alpha_se);
            num(f, x->beta);
            num(f, x->beta_se);
            num(f, x->nll);
            fprintf(f, " %ld %d\n", x->n_trials, x->n_episodes);
            fig_close(F, f, pooled[i]);
            any_pooled = 1;
            double se = isfinite(x->beta_se) ? x->beta_se : 0.0;
            if (isfinite(x->beta) && x->beta > 0) {
                if (x->beta - se < bmin) bmin = x->beta - se > 0 ? x->beta - se : x->beta;
                if (x->beta + se > bmax) bmax = x->beta + se;
            }
        }
    }
    if (F->failed) return;
    if (!(bmin < INFINITY)) bmin = 0.1, bmax = 10;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Rescorla-Wagner fits", title, sizeof title);
    fprintf(g, "set xlabel 'learning rate α'\nset ylabel 'inverse temperature β (log scale)'\n"
               "set xrange [-0.02:1.02]\nset logscale y\n");
    grange(g, "y", bmin / 1.6, bmax * 1.6);
    fprintf(g, "set ytics (");   /* 1, 2, 5 x 10^k inside the range */
    int first_tic = 1;
    for (int e = -4; e <= 4; e++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            double v = m * pow(10.0, e);
            if (v < bmin / 1.6 || v > bmax * 1.6) continue;
            fprintf(g, "%s'%g' %g", first_tic ? "" : ", ", v, v);
            first_tic = 0;
        }
    fprintf(g, first_tic ? "'1' 1)\n" : ")\n");
    fprintf(g, "set key below horizontal noopaque nobox\n");
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        if (!names[i][0]) continue;
        gsep(g, &first);
        gq(g, names[i]);
        /* colour #AARRGGBB: AA = 70 makes the points translucent where they pile up */
        fprintf(g, " using 4:($6>0?$6:NaN) with points pt 7 ps 0.7 lc rgb '#70%s' title ", run_colors[i % N_COLORS] + 1);
        glabel(g, &runs[i]);
    }
    for (int i = 0; i < n; i++) {
        if (!pooled[i][0]) continue;
        gsep(g, &first);
        gq(g, pooled[i]);
        fprintf(g, " using 1:3:(valid(2)?$1-$2:$1):(valid(2)?$1+$2:$1):(valid(4)&&$3-$4>0?$3-$4:$3):(valid(4)?$3+$4:$3) "
                   "with xyerrorbars lc rgb '#202020' lw 1.5 pt 7 ps 0");
        gsep(g, &first);
        gq(g, pooled[i]);
        fprintf(g, " using 1:3 with points pt 5 ps 2.2 lc rgb '#202020'");
        gsep(g, &first);
        gq(g, pooled[i]);
        fprintf(g, " using 1:3 with points pt 5 ps 1.6 lt %d", i + 1);
    }
    if (any_pooled) {
        gsep(g, &first);
        fprintf(g, "keyentry with points pt 5 ps 1.6 lc rgb '#808080' title 'square: pooled fit over all episodes, ±1 SE'");
    }
    fputc('\n', g);
}

/* ---- reversal curve ---------------------------------------------------------------------------- */

static void write_reversal(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    for (int i = 0; i < n && !F->failed; i++) {
        const ReversalCurve *c = runs[i].rev;
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX, "accuracy aligned on reversals",
                            "lag reversals accuracy se   (lag 0 = first trial after the reversal; accuracy = P(choose "
                            "the arm that is better on that trial); se = sd / sqrt(n) across reversals)");
        if (!f) return;
        for (int k = 0; k < BEHAVIOR_REV_N_LAGS; k++) {
            fprintf(f, "%d %ld", behavior_rev_lag(k), c->n[k]);
            num(f, c->accuracy[k]);
            num(f, c->se[k]);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Accuracy around reversals", title, sizeof title);
    fprintf(g, "set xlabel 'trials from the reversal (0 = first trial after the good arm switched)'\n"
               "set ylabel 'P(choose the currently better arm)'\n"
               "set yrange [0:1]\nset xrange [%d:%d]\nset xtics 5\nset mxtics 5\n"
               "set arrow 1 from -0.5, graph 0 to -0.5, graph 1 nohead dt 2 lw 1.5 lc rgb '#555555' back\n"
               "set label 1 'reversal' at -0.5, graph 0.04 right offset -0.5,0 tc rgb '#555555'\n"
               "set arrow 2 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lc rgb '#888888' back\n"
               "set key bottom right title 'shaded: ±1 SE across reversals'\n",
            BEHAVIOR_REV_LAG_MIN, BEHAVIOR_REV_LAG_MAX);
    plot_bands(g, runs, n, names, 1, 3, 4, 1);
}

/* ---- PCA ------------------------------------------------------------------------------------------ */

#define PCA_SHOWN 20

static void write_pca(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int P = 0;
    for (int i = 0; i < n && !F->failed; i++) {
        const NeuralPca *p = runs[i].pca;
        if (p->n_units > P) P = p->n_units;
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "PCA of the prefrontal rates (pooled over trials and episodes, centred per unit)",
                            "component eigenvalue explained cumulative");
        if (!f) return;
        double cum = 0.0;
        for (int k = 0; k < p->n_units; k++) {
            cum += p->explained[k];
            fprintf(f, "%d", k + 1);
            num(f, p->eigenvalues[k]);
            num(f, p->explained[k]);
            num(f, cum);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    int shown = P < PCA_SHOWN ? P : PCA_SHOWN;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Variance explained by principal components", title, sizeof title);
    fprintf(g, "set xlabel 'principal component'\nset ylabel 'fraction of variance'\nset yrange [0:1.02]\n"
               "set ytics 0,0.2,1\nset xtics 1\nset key center right\n");
    if (shown > 12) fprintf(g, "set xtics 2\n");
    grange(g, "x", 0.4, shown + 0.6);
    if (n == 1) fprintf(g, "set boxwidth 0.7 relative\n");
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        gsep(g, &first);
        gq(g, names[i]);
        if (n == 1) fprintf(g, " using 1:3 with boxes lt 1 fs solid 0.6 title 'each component'");
        else {
            fprintf(g, " using 1:3 with linespoints lt %d title ", i + 1);
            char t[600];
            snprintf(t, sizeof t, "%s: each", runs[i].label ? runs[i].label : "");
            gq(g, t);
        }
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using 1:4 with linespoints lt %d dt 2 pt 6 title ", n == 1 ? 2 : i + 1);
        if (n == 1) gq(g, "cumulative");
        else {
            char t[600];
            snprintf(t, sizeof t, "%s: cumulative", runs[i].label ? runs[i].label : "");
            gq(g, t);
        }
    }
    fputc('\n', g);
}

/* ---- trajectories ------------------------------------------------------------------------------------ */

static double traj_color(const PlotRun *r, long row, PlotColor c)
{
    const NeuralPca *p = r->pca;
    const EpisodeRecord *e = r->eps[p->episode[row]];
    int t = p->t[row];
    switch (c) {
    case PLOT_COLOR_REWARD:
        return t >= 1 && e->trials[t - 1].action >= 0 ? e->trials[t - 1].reward : NAN;
    case PLOT_COLOR_P0:
        return e->trials[t].truth.p[0];
    case PLOT_COLOR_BELIEF:
        return r->belief ? r->belief[row] : NAN;
    default:
        return t + 1;
    }
}

static void write_trajectories(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    PlotColor c = F->o->color;
    int n_ep = F->o->n_episodes > 0 ? F->o->n_episodes : 3;
    int T = 1;
    for (int i = 0; i < n && !F->failed; i++) {
        const PlotRun *r = &runs[i];
        const NeuralPca *p = r->pca;
        char cols[512];
        snprintf(cols, sizeof cols,
                 "episode t trial pc1 pc2 color   (one block per episode, blank line between; trial = t + 1; "
                 "color = %s; PC%% of variance: %.1f, %.1f)",
                 c == PLOT_COLOR_TRIAL    ? "trial index"
                 : c == PLOT_COLOR_REWARD ? "reward of the previous trial (the last outcome this state has seen)"
                 : c == PLOT_COLOR_P0     ? "true reward probability of arm 1 (action 0)"
                                          : "ideal observer's P(arm 1 is the good arm) before the choice",
                 100 * p->explained[0], 100 * p->explained[1]);
        FILE *f = data_open(F, r, NULL, names[i], PLOT_NAME_MAX, "state-space trajectories in the PC1-PC2 plane", cols);
        if (!f) return;
        int shown = 0, last_ep = -1;
        for (long row = 0; row < p->n_rows; row++) {
            int ep = p->episode[row];
            if (ep != last_ep) {
                if (shown == n_ep) break;
                if (last_ep >= 0) fputc('\n', f);
                last_ep = ep;
                shown++;
            }
            fprintf(f, "%d %d %d", ep, p->t[row], p->t[row] + 1);
            num(f, p->scores[(size_t)row * p->k]);
            num(f, p->scores[(size_t)row * p->k + 1]);
            num(f, traj_color(r, row, c));
            fputc('\n', f);
            if (p->t[row] + 1 > T) T = p->t[row] + 1;
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    char what[128];
    snprintf(what, sizeof what, "State-space trajectories of %d episode%s", n_ep, n_ep == 1 ? "" : "s");
    fig_title(runs, n, what, title, sizeof title);
    gp_preamble(F, title);
    if (n > 1) {
        fprintf(g, "set multiplot layout %d,%d title ", n > 2 ? 2 : 1, n > 1 ? 2 : 1);
        gq(g, title);
        fprintf(g, " font tfont\n");
    }
    /* colour scale */
    fprintf(g, "# colours: viridis\nset palette defined (0 '#440154', 0.25 '#3B528B', 0.5 '#21918C', 0.75 '#5EC962', 1 '#FDE725')\n");
    switch (c) {
    case PLOT_COLOR_TRIAL:
        fprintf(g, "set cbrange [1:%d]\nset cblabel 'trial within the episode'\n", T);
        break;
    case PLOT_COLOR_P0:
        fprintf(g, "set cbrange [0:1]\nset cblabel 'true p(reward) of arm 1'\n");
        break;
    case PLOT_COLOR_BELIEF:
        fprintf(g, "set cbrange [0:1]\nset cblabel 'observer: P(arm 1 is the good arm)'\n");
        break;
    case PLOT_COLOR_REWARD:
        fprintf(g, "unset colorbox\nrew(r) = r > 0.5 ? 0x0072B2 : 0xD55E00   # rewarded: blue, unrewarded: vermillion\n");
        break;
    }
    fprintf(g, "set key below horizontal noopaque nobox\nset style fill solid 1.0   # (the colour box is drawn with the fill style)\n");
    for (int i = 0; i < n; i++) {
        const NeuralPca *p = runs[i].pca;
        fprintf(g, "\nset title ");
        if (n == 1) gq(g, title);
        else glabel(g, &runs[i]);
        fprintf(g, "\nset xlabel 'PC1 (%.0f%% of variance)'\nset ylabel 'PC2 (%.0f%% of variance)'\nplot ",
                100 * p->explained[0], 100 * p->explained[1]);
        gq(g, names[i]);
        fprintf(g, " using 4:5 with lines lw 1 lc rgb '#b0b0b0' title 'time order', \\\n     ");
        gq(g, names[i]);
        if (c == PLOT_COLOR_REWARD) {
            fprintf(g, " using 4:5:(rew($6)) with points pt 7 ps 0.8 lc rgb variable, \\\n     ");
            fprintf(g, "keyentry with points pt 7 ps 1 lc rgb '#0072B2' title 'after a rewarded trial', \\\n     ");
            fprintf(g, "keyentry with points pt 7 ps 1 lc rgb '#D55E00' title 'after an unrewarded trial', \\\n     ");
        } else {
            fprintf(g, " using 4:5:6 with points pt 7 ps 0.8 lc palette, \\\n     ");
        }
        gq(g, names[i]);
        fprintf(g, " every ::0::0 using 4:5 with points pt 4 ps 1.8 lw 2 lc rgb '#000000' title 'first trial'\n");
    }
    if (n > 1) fprintf(g, "unset multiplot\n");
}

/* ---- decoding ------------------------------------------------------------------------------------------ */

static void write_decoding(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    int pos[PLOT_N_TARGETS], n_t = 0;
    double lo = 0.0;
    for (int k = 0; k < PLOT_N_TARGETS; k++) {
        pos[k] = -1;
        for (int i = 0; i < n; i++)
            if (runs[i].dec_ok && runs[i].dec_ok[k]) pos[k] = n_t;
        if (pos[k] >= 0) n_t++;
    }
    for (int i = 0; i < n && !F->failed; i++) {
        const PlotRun *r = &runs[i];
        FILE *f = data_open(F, r, NULL, names[i], PLOT_NAME_MAX, "cross-validated decoding of latent variables",
                            "x target r2 null_mean null_p95 rows episodes folds lambda shuffles   (x = position "
                            "on the plot; null: targets shuffled across episodes)");
        if (!f) return;
        for (int k = 0; k < PLOT_N_TARGETS; k++) {
            if (!r->dec_ok[k]) continue;
            const NeuralDecode *d = &r->dec[k];
            fprintf(f, "%d %s", pos[k], target_keys[k]);
            num(f, d->r2);
            num(f, d->null_mean);
            num(f, d->null_p95);
            fprintf(f, " %ld %d %d", d->n_rows, d->n_episodes, d->n_folds);
            num(f, d->lambda);
            fprintf(f, " %d\n", d->n_shuffles);
            const double v[3] = { d->r2, d->null_mean, d->null_p95 };
            for (int j = 0; j < 3; j++)
                if (isfinite(v[j]) && v[j] < lo) lo = v[j];
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    lo = lo < -1.0 ? -1.0 : lo - 0.05;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Decoding latent variables from prefrontal activity", title, sizeof title);
    fprintf(g, "set ylabel 'cross-validated R²'\nset grid noxtics\n");
    grange(g, "y", lo, 1.02);
    grange(g, "x", -0.6, n_t - 0.4);
    fprintf(g, "set xtics (");
    for (int k = 0, first = 1; k < PLOT_N_TARGETS; k++) {
        if (pos[k] < 0) continue;
        if (!first) fputs(", ", g);
        first = 0;
        gq(g, target_labels[k]);
        fprintf(g, " %d", pos[k]);
    }
    fprintf(g, ")\nN = %d\nbw = 0.8 / N\noff(i) = (i - (N - 1) / 2.0) * bw\nset boxwidth bw * 0.92 absolute\n"
               "set style fill solid 0.75 border -1\n"
               "set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#666666' back\n"
               "set key below horizontal noopaque nobox\n",
            n);
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using ($1+off(%d)):3 with boxes lt %d title ", i, i + 1);
        glabel(g, &runs[i]);
    }
    for (int i = 0; i < n; i++) {
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using ($1+off(%d)-bw*0.46):5:(bw*0.92):(0) with vectors nohead lw 3 lc rgb '#000000'", i);
        gsep(g, &first);
        gq(g, names[i]);
        fprintf(g, " using ($1+off(%d)):4 with points pt 7 ps 0.6 lc rgb '#000000'", i);
    }
    gsep(g, &first);
    fprintf(g, "keyentry with vectors nohead lw 3 lc rgb '#000000' title 'shuffled null: 95th percentile'");
    gsep(g, &first);
    fprintf(g, "keyentry with points pt 7 ps 0.6 lc rgb '#000000' title 'shuffled null: mean'\n");
}

/* ---- selectivity ------------------------------------------------------------------------------------------ */

static void write_selectivity(Fig *F, const PlotRun *runs, int n)
{
    char names[PLOT_MAX_FILES][PLOT_NAME_MAX], title[512];
    double tmax = 2.5;
    for (int i = 0; i < n && !F->failed; i++) {
        const NeuralSelectivity *s = runs[i].sel;
        FILE *f = data_open(F, &runs[i], NULL, names[i], PLOT_NAME_MAX,
                            "unit selectivity: OLS of each unit's rate on the previous action, reward and their "
                            "product (+-1 coded)",
                            "unit t_action t_reward t_interaction p_action p_reward p_interaction b_action "
                            "b_reward b_interaction b_intercept");
        if (!f) return;
        for (int u = 0; u < s->n_units; u++) {
            const double *t = s->tstat + (size_t)u * SEL_N, *pv = s->pval + (size_t)u * SEL_N,
                         *b = s->coef + (size_t)u * SEL_N;
            fprintf(f, "%d", u);
            for (int j = SEL_ACTION; j < SEL_N; j++) {
                num(f, t[j]);
                if (isfinite(t[j]) && fabs(t[j]) > tmax) tmax = fabs(t[j]);
            }
            for (int j = SEL_ACTION; j < SEL_N; j++) num(f, pv[j]);
            for (int j = SEL_ACTION; j < SEL_N; j++) num(f, b[j]);
            num(f, b[SEL_INTERCEPT]);
            fputc('\n', f);
        }
        fig_close(F, f, names[i]);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    gp_titled(F, runs, n, "Unit selectivity", title, sizeof title);
    fprintf(g, "set ylabel 't statistic of the unit''s regression weight'\nset grid noxtics\n"
               "set xrange [0.4:3.6]\nset xtics ('previous action' 1, 'previous reward' 2, 'action × reward' 3)\n");
    if (tmax > 30) {
        /* |t| spans decades (many trials): a signed-log axis keeps both 2 and 800 legible */
        fprintf(g, "# signed logarithmic axis: y' = sgn(t) log10(1 + |t|)\n"
                   "set nonlinear y via sgn(y)*log10(1+abs(y)) inverse sgn(y)*(10**abs(y)-1)\n"
                   "set ytics (");
        int first = 1;
        for (double v = 1000000; v >= 10; v /= 10) {
            if (v > 1.5 * tmax) continue;
            fprintf(g, "%s'-%g' -%g, '%g' %g", first ? "" : ", ", v, v, v, v);
            first = 0;
        }
        fprintf(g, ", '-2' -2, '2' 2, '0' 0)\nset ylabel 't statistic (signed log scale)'\n");
    }
    grange(g, "y", -1.08 * tmax, 1.08 * tmax);
    fprintf(g, "level = %g   # filled: p < level\nN = %d\nbw = 0.8 / N\noff(i) = (i - (N - 1) / 2.0) * bw\n"
               "jit(u) = bw * 0.8 * ((u * 0.618034 - floor(u * 0.618034)) - 0.5)   # deterministic spread\n"
               "set arrow 1 from graph 0, first 1.96 to graph 1, first 1.96 nohead dt 2 lc rgb '#888888' back\n"
               "set arrow 2 from graph 0, first -1.96 to graph 1, first -1.96 nohead dt 2 lc rgb '#888888' back\n"
               "set arrow 3 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#666666' back\n"
               "set key outside bottom center horizontal\n",
            runs[0].sel->level, n);
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        const NeuralSelectivity *s = runs[i].sel;
        for (int j = 0; j < 3; j++) {
            gsep(g, &first);
            gq(g, names[i]);
            fprintf(g, " using (%d+off(%d)+jit($1)):($%d<level?$%d:NaN) with points lt %d pt 7 ps 0.9", j + 1, i, 5 + j,
                    2 + j, i + 1);
            if (j == 0) {
                char t[700];
                snprintf(t, sizeof t, "%s: %d, %d, %d of %d units significant", runs[i].label ? runs[i].label : "",
                         s->n_sig[SEL_ACTION], s->n_sig[SEL_REWARD], s->n_sig[SEL_INTERACTION], s->n_units);
                fprintf(g, " title ");
                gq(g, t);
            }
            gsep(g, &first);
            gq(g, names[i]);
            fprintf(g, " using (%d+off(%d)+jit($1)):($%d<level?NaN:$%d) with points lt %d pt 6 ps 0.9", j + 1, i, 5 + j,
                    2 + j, i + 1);
        }
    }
    gsep(g, &first);
    fprintf(g, "keyentry with points pt 6 ps 0.9 lc rgb '#404040' title 'open: not significant'\n");
}

/* ---- RPE ---------------------------------------------------------------------------------------------------- */

#define RPE_BINS 10
#define RPE_MAX_SCATTER 2500

typedef struct VD {
    double v, d;
} VD;

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int vd_cmp(const void *a, const void *b)
{
    double x = ((const VD *)a)->v, y = ((const VD *)b)->v;
    return x < y ? -1 : x > y;
}

/* delta against V: RPE_BINS bins of equal trial counts (deciles of V), separately
** for unrewarded (k < RPE_BINS) and rewarded trials. -1 if out of memory. */
static int rpe_bins(const PlotRun *r, double *vmean, double *dmean, double *dse, long *cnt)
{
    long total = 0;
    for (int e = 0; e < r->n_eps; e++) total += r->eps[e]->n_trials;
    VD *x = malloc(((size_t)total + 1) * sizeof *x);
    if (!x) return -1;
    for (int rew = 0; rew < 2; rew++) {
        long m = 0;
        for (int e = 0; e < r->n_eps; e++)
            for (int t = 0; t < r->eps[e]->n_trials; t++) {
                const TrialRecord *y = &r->eps[e]->trials[t];
                if (y->action < 0 || !isfinite(y->value) || !isfinite(y->rpe) || !isfinite(y->reward)) continue;
                if ((y->reward > 0.5) != rew) continue;
                x[m].v = y->value;
                x[m++].d = y->rpe;
            }
        qsort(x, (size_t)m, sizeof *x, vd_cmp);
        for (int b = 0; b < RPE_BINS; b++) {
            long lo = m * b / RPE_BINS, hi = m * (b + 1) / RPE_BINS;
            double sv = 0, s1 = 0, s2 = 0;
            for (long i = lo; i < hi; i++) {
                sv += x[i].v;
                s1 += x[i].d;
            }
            long k = hi - lo;
            int j = rew * RPE_BINS + b;
            cnt[j] = k;
            vmean[j] = k >= 5 ? sv / (double)k : NAN;
            dmean[j] = k >= 5 ? s1 / (double)k : NAN;
            for (long i = lo; i < hi && k >= 5; i++) s2 += (x[i].d - dmean[j]) * (x[i].d - dmean[j]);
            dse[j] = k >= 5 ? sqrt(s2 / (double)(k - 1) / (double)k) : NAN;
        }
    }
    free(x);
    return 0;
}

static void write_rpe(Fig *F, const PlotRun *runs, int n)
{
    char outn[PLOT_MAX_FILES][PLOT_NAME_MAX], binn[PLOT_MAX_FILES][PLOT_NAME_MAX], revn[PLOT_MAX_FILES][PLOT_NAME_MAX],
        trin[PLOT_NAME_MAX], title[512];
    int any_rev = 0;
    double alo = 0, ahi = 0;   /* range of panel (a) */
    double bin_lo[2 * RPE_BINS], bin_hi[2 * RPE_BINS];   /* deciles of run 0, -+ 1 SE */
    for (int k = 0; k < 2 * RPE_BINS; k++) bin_lo[k] = bin_hi[k] = NAN;
    for (int i = 0; i < n && !F->failed; i++) {
        const PlotRun *r = &runs[i];
        const NeuralRpe *p = r->rpe;
        revn[i][0] = binn[i][0] = '\0';
        FILE *f = data_open(F, r, "outcome", outn[i], PLOT_NAME_MAX, "mean RPE delta after each outcome",
                            "group rewarded n delta se   (the regression delta ~ 1 + r + V is in the script's header)");
        if (!f) return;
        fprintf(f, "0 0 %ld", p->n_unrewarded);
        num(f, p->mean_unrewarded);
        num(f, p->se_unrewarded);
        fprintf(f, "\n1 1 %ld", p->n_rewarded);
        num(f, p->mean_rewarded);
        num(f, p->se_rewarded);
        fputc('\n', f);
        fig_close(F, f, outn[i]);
        const double m[2] = { p->mean_unrewarded, p->mean_rewarded }, se[2] = { p->se_unrewarded, p->se_rewarded };
        for (int j = 0; j < 2; j++) {
            double e = isfinite(se[j]) ? se[j] : 0;
            if (isfinite(m[j]) && m[j] - e < alo) alo = m[j] - e;
            if (isfinite(m[j]) && m[j] + e > ahi) ahi = m[j] + e;
        }
        if (r->eps) {
            double vm[2 * RPE_BINS], dm[2 * RPE_BINS], ds[2 * RPE_BINS];
            long cnt[2 * RPE_BINS];
            if (rpe_bins(r, vm, dm, ds, cnt) != 0) {
                fig_fail(F, "out of memory");
                return;
            }
            for (int k = 0; k < 2 * RPE_BINS && i == 0; k++) {
                double e = isfinite(ds[k]) ? ds[k] : 0.0;
                bin_lo[k] = dm[k] - e;
                bin_hi[k] = dm[k] + e;
            }
            if (!(f = data_open(F, r, "value", binn[i], PLOT_NAME_MAX, "RPE delta against the value estimate V",
                                "rewarded decile n value delta delta_se   (trials of each outcome split into 10 "
                                "bins of equal size by V: decile 0.05 = lowest tenth; blank line between outcomes)")))
                return;
            for (int k = 0; k < 2 * RPE_BINS; k++) {
                if (k == RPE_BINS) fputc('\n', f);
                fprintf(f, "%d %.2f %ld", k >= RPE_BINS, (k % RPE_BINS + 0.5) / RPE_BINS, cnt[k]);
                num(f, vm[k]);
                num(f, dm[k]);
                num(f, ds[k]);
                fputc('\n', f);
            }
            fig_close(F, f, binn[i]);
        }
        if (has_rpe_lags(p)) {
            any_rev = 1;
            if (!(f = data_open(F, r, "reversal", revn[i], PLOT_NAME_MAX, "RPE delta aligned on reversals",
                                "lag n delta se   (lag 0 = first trial after the reversal)")))
                return;
            for (int k = 0; k < BEHAVIOR_REV_N_LAGS; k++) {
                fprintf(f, "%d %ld", behavior_rev_lag(k), p->rev_n[k]);
                num(f, p->rev_mean[k]);
                num(f, p->rev_se[k]);
                fputc('\n', f);
            }
            fig_close(F, f, revn[i]);
        }
    }
    /* a sample of single trials, for one run; its 1st..99th percentiles of delta bound panel (b) */
    trin[0] = '\0';
    double blo = NAN, bhi = NAN;
    if (n == 1 && runs[0].eps && !F->failed) {
        const PlotRun *r = &runs[0];
        long total = 0, m = 0;
        for (int e = 0; e < r->n_eps; e++) total += r->eps[e]->n_trials;
        long step = total / RPE_MAX_SCATTER + 1, k = 0;
        double *ds = malloc(((size_t)total / (size_t)step + 2) * sizeof *ds);
        FILE *f = ds ? data_open(F, NULL, "trials", trin, sizeof trin, "RPE delta and V of single trials (a sample)",
                                 "episode t value reward delta   (trials with finite V and delta, thinned to at most "
                                 "2500)")
                     : NULL;
        if (!ds) fig_fail(F, "out of memory");
        if (!f) {
            free(ds);
            return;
        }
        for (int e = 0; e < r->n_eps; e++)
            for (int t = 0; t < r->eps[e]->n_trials; t++, k++) {
                const TrialRecord *x = &r->eps[e]->trials[t];
                if (k % step || x->action < 0 || !isfinite(x->value) || !isfinite(x->rpe)) continue;
                fprintf(f, "%d %d", e, t);
                num(f, x->value);
                num(f, x->reward);
                num(f, x->rpe);
                fputc('\n', f);
                ds[m++] = x->rpe;
            }
        fig_close(F, f, trin);
        if (m >= 10) {
            qsort(ds, (size_t)m, sizeof *ds, double_cmp);
            blo = ds[m / 100];
            bhi = ds[m - 1 - m / 100];
        }
        free(ds);
    }
    if (F->failed) return;
    FILE *g = F->gp;
    fig_title(runs, n, "Reward-prediction errors of the striatal critic", title, sizeof title);
    gp_preamble(F, title);
    for (int i = 0; i < n; i++) {
        const OlsFit *o = &runs[i].rpe->fit;
        fprintf(g, "# run %lld: delta = %.4g %+.4g r %+.4g V  (SE %.2g, %.2g, %.2g; R2 %.3f, n = %d)\n",
                (long long)runs[i].run_id, o->coef[RPE_INTERCEPT], o->coef[RPE_REWARD], o->coef[RPE_VALUE],
                o->se[RPE_INTERCEPT], o->se[RPE_REWARD], o->se[RPE_VALUE], o->r2, o->n);
    }
    int rows = n > 1 ? (n + 1) / 2 : 0;
    double kb = n > 1 ? 0.02 + 0.045 * rows : 0.0;   /* room for the legend at the bottom */
    fprintf(g, "set multiplot title ");
    gq(g, title);
    fprintf(g, " font tfont\nset arrow 9 from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#888888' back\n");
    if (n > 1) fprintf(g, "set key at screen 0.5, screen 0.01 center bottom vertical maxrows %d nobox\n", rows);
    else fprintf(g, "set key off\n");
    double top = any_rev ? kb + (0.93 - kb) / 2 : kb, h = any_rev ? (0.93 - kb) / 2 : 0.93 - kb;
    /* (a) by outcome */
    fprintf(g, "\n# (a) mean delta by outcome\nset origin 0,%.3f\nset size 0.36,%.3f\n", top, h);
    fprintf(g, "set title 'δ after each outcome (±1 SE)'\nset ylabel 'mean RPE δ'\nset xrange [-0.6:1.6]\n"
               "set xtics ('no reward' 0, 'reward' 1)\nset grid noxtics\nset ytics %g\n",
            nice_step(ahi - alo, 4));
    grange(g, "y", alo - 0.06 * (ahi - alo), ahi + 0.06 * (ahi - alo));   /* bars start at 0 */
    plot_grouped_bars(g, runs, n, outn, 4, "($4-$5)", "($4+$5)", 0);
    fprintf(g, "\n# (b) delta against V, in deciles of V\nset key off\nset origin 0.36,%.3f\nset size 0.64,%.3f\n", top, h);
    if (n == 1)
        fprintf(g, "set title \"δ against the value estimate V\\ndots: trials (blue: rewarded, orange: not); lines: decile means ±1 SE\"\nset xlabel 'value estimate V'\n");
    else
        fprintf(g, "set title 'δ against V (solid: rewarded, dashed: not; ±1 SE)'\n"
                   "set xlabel 'decile of the run''s value estimate V'\nset xrange [0:1]\n");
    fprintf(g, "set ylabel 'RPE δ'\n%s\nset ytics autofreq\nunset xtics\nset xtics nomirror out scale 0.6\nset grid xtics\n",
            n == 1 ? "set autoscale x" : "");
    if (n == 1) {
        /* the bulk of the single trials (1st to 99th percentile) and every decile with its error bar */
        double lo = blo, hi = bhi;
        for (int k = 0; k < 2 * RPE_BINS && isfinite(lo); k++) {
            if (isfinite(bin_lo[k]) && bin_lo[k] < lo) lo = bin_lo[k];
            if (isfinite(bin_hi[k]) && bin_hi[k] > hi) hi = bin_hi[k];
        }
        if (isfinite(lo) && hi > lo) {
            grange(g, "y", lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo));
            fprintf(g, "set ytics %g\n", nice_step(hi - lo, 4));
        }
    } else {
        fprintf(g, "set autoscale y\n");
    }
    int first = 1, xcol = n == 1 ? 4 : 2;
    fprintf(g, "plot ");
    if (trin[0]) {
        gsep(g, &first);
        gq(g, trin);
        fprintf(g, " using 3:($4>0.5?$5:NaN) with points pt 7 ps 0.3 lc rgb '#a0b8d8' ");
        gsep(g, &first);
        gq(g, trin);
        fprintf(g, " using 3:($4>0.5?NaN:$5) with points pt 7 ps 0.3 lc rgb '#e8c0a8' ");
    }
    for (int i = 0; i < n; i++) {
        if (!binn[i][0]) continue;
        for (int rew = 1; rew >= 0; rew--) {
            gsep(g, &first);
            gq(g, binn[i]);
            fprintf(g, " every :::%d::%d using %d:5:(valid(6)?$6:0) with yerrorbars lt %d pt %d ps 0.8", rew, rew, xcol, i + 1,
                    rew ? 7 : 6);
            gsep(g, &first);
            gq(g, binn[i]);
            fprintf(g, " every :::%d::%d using %d:5 with lines lt %d dt %d", rew, rew, xcol, i + 1, rew ? 1 : 2);
        }
    }
    fputc('\n', g);
    if (any_rev) {
        fprintf(g, "\n# (c) delta around reversals\nset key off\nset origin 0,%.3f\nset size 1,%.3f\n"
                   "set title 'δ around reversals (shaded: ±1 SE)'\nset xlabel 'trials from the reversal (0 = first "
                   "trial after the switch)'\nset ylabel 'mean RPE δ'\nset autoscale y\nset ytics autofreq\n",
                kb, h);
        grange(g, "x", BEHAVIOR_REV_LAG_MIN, BEHAVIOR_REV_LAG_MAX);
        fprintf(g, "set xtics 5\nset arrow 1 from -0.5, graph 0 to -0.5, graph 1 nohead dt 2 lc rgb '#555555' back\n");
        first = 1;
        fprintf(g, "plot ");
        for (int i = 0; i < n; i++) {
            if (!revn[i][0]) continue;
            gsep(g, &first);
            gq(g, revn[i]);
            fprintf(g, " using 1:($3-$4):($3+$4) with filledcurves lt %d fs transparent solid band noborder", i + 1);
            gsep(g, &first);
            gq(g, revn[i]);
            fprintf(g, " using 1:3 with lines lt %d", i + 1);
        }
        fputc('\n', g);
    }
    fprintf(g, "unset multiplot\n");
}

/* ---- entry point ---------------------------------------------------------------------------------------------- */

int plot_write(PlotKind kind, const PlotRun *runs, int n_runs, const PlotOptions *o, const char *dir,
               const char *base, PlotFiles *files, char *err, size_t n_err)
{
    PlotFiles local;
    PlotOptions dflt;
    if (!files) files = &local;
    if (!o) {
        plot_options_default(&dflt);
        o = &dflt;
    }
    memset(files, 0, sizeof *files);
    if (err && n_err) err[0] = '\0';
    Fig F = { o, dir, base, files, NULL, n_runs, 0, err, n_err };
    if (kind >= PLOT_N_KINDS || n_runs < 1 || n_runs > PLOT_MAX_FILES / 4) {
        fig_fail(&F, "plot: bad figure request (kind %d, %d runs)", (int)kind, n_runs);
        return -1;
    }
    if (kind == PLOT_TRAJECTORIES && n_runs > PLOT_MAX_TRAJ_RUNS) {
        fig_fail(&F, "trajectories: at most %d runs side by side", PLOT_MAX_TRAJ_RUNS);
        return -1;
    }
    for (int i = 0; i < n_runs; i++) {
        char why[256];
        if (!plot_applies(kind, &runs[i], o, why, sizeof why)) {
            fig_fail(&F, "%s: run %lld %s", kinds[kind].name, (long long)runs[i].run_id, why);
            return -1;
        }
    }
    snprintf(files->gp, sizeof files->gp, "%s.gp", base);
    snprintf(files->image, sizeof files->image, "%s.%s", base, o->image_ext ? o->image_ext : plot_format_ext(o->format));
    F.gp = fig_open(&F, files->gp, 0);
    if (F.gp) {
        switch (kind) {
        case PLOT_TRAINING: write_training(&F, runs, n_runs); break;
        case PLOT_CURVE: write_curve(&F, runs, n_runs); break;
        case PLOT_REGRET: write_regret(&F, runs, n_runs); break;
        case PLOT_STAY: write_stay(&F, runs, n_runs); break;
        case PLOT_REGRESSION: write_regression(&F, runs, n_runs); break;
        case PLOT_RW: write_rw(&F, runs, n_runs); break;
        case PLOT_REVERSAL: write_reversal(&F, runs, n_runs); break;
        case PLOT_VOLATILITY: write_volatility(&F, runs, n_runs); break;
        case PLOT_PCA: write_pca(&F, runs, n_runs); break;
        case PLOT_TRAJECTORIES: write_trajectories(&F, runs, n_runs); break;
        case PLOT_DECODING: write_decoding(&F, runs, n_runs); break;
        case PLOT_SELECTIVITY: write_selectivity(&F, runs, n_runs); break;
        case PLOT_RPE: write_rpe(&F, runs, n_runs); break;
        default: break;
        }
        fig_close(&F, F.gp, files->gp);
    }
    if (!F.failed) return 0;
    /* leave nothing half-written behind */
    char path[4096];
    for (int i = 0; i < files->n_data; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files->data[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/%s", dir, files->gp);
    unlink(path);
    return -1;
}
