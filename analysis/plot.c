/* analysis/plot.c: figures as data files plus gnuplot scripts: the kinds'
** names and options (plot.h), and the toolkit every figure writer shares
** (figure.h). The kinds themselves, one table row and one writer each, live
** by family in figures_training.c, figures_behavior.c and figures_neural.c.
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

#include "analysis/figure.h"
#include "core/numfmt.h"

/* ---- kinds, formats, colours ---------------------------------------------- */

static const FigureKind *const families[] = { figures_training, figures_behavior, figures_neural, figures_twostep,
                                               figures_dose, figures_fit, figures_steps };

const FigureKind *figure_kind(PlotKind k)
{
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const FigureKind *row = families[f]; row->name; row++)
            if (row->kind == k) return row;
    return NULL;
}

void plot_options_default(PlotOptions *o)
{
    memset(o, 0, sizeof *o);
    o->format = PLOT_PNG;
    o->width = 900;
    o->height = 600;
    o->color = PLOT_COLOR_TRIAL;
    o->n_episodes = 3;
}

const char *plot_kind_name(PlotKind kind)
{
    const FigureKind *row = figure_kind(kind);
    return row ? row->name : NULL;
}

const char *plot_kind_title(PlotKind kind)
{
    const FigureKind *row = figure_kind(kind);
    return row ? row->title : NULL;
}

const char *plot_kind_caption(PlotKind kind)
{
    const FigureKind *row = figure_kind(kind);
    return row ? row->caption : NULL;
}

int plot_kind_lookup(const char *name)
{
    for (int k = 0; k < PLOT_N_KINDS; k++)
        if (name && !strcmp(name, plot_kind_name((PlotKind)k))) return k;
    return -1;
}

unsigned plot_kind_options(PlotKind kind)
{
    const FigureKind *row = figure_kind(kind);
    return row ? row->options : 0;
}

const char *plot_kinds_reading(unsigned bit, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (int k = 0; k < PLOT_N_KINDS && at < n; k++)
        if (plot_kind_options((PlotKind)k) & bit)
            at += (size_t)snprintf(out + at, n - at, "%s%s", at ? ", " : "", plot_kind_name((PlotKind)k));
    return out;
}

const char *plot_kind_list(void)
{
    static char list[512];
    if (!list[0])
        for (int k = 0; k < PLOT_N_KINDS; k++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", plot_kind_name((PlotKind)k));
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

const char *fig_run_color(int i) { return run_colors[i % N_COLORS]; }

/* ---- applicability ----------------------------------------------------------- */

int plot_applies(PlotKind kind, const PlotRun *r, const PlotOptions *o, char *why, size_t n_why)
{
    const FigureKind *row = figure_kind(kind);
    const char *w = row ? row->applies(r, o) : "is not a known figure";
    if (w && why) snprintf(why, n_why, "%s", w);
    return w == NULL;
}

/* ---- caption text ------------------------------------------------------------ */

void fig_cat(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len >= n - 1) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

void fig_pm(char *buf, size_t n, double v, double se, int digits)
{
    fig_cat(buf, n, "%s", isfinite(v) ? num_pm(v, se, digits, digits, 'f').s : "n/a");
}

/* ---- the figure writer --------------------------------------------------------- */

void fig_fail(Fig *F, const char *fmt, ...)
{
    if (F->failed) return;
    F->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    if (F->err) vsnprintf(F->err, F->n_err, fmt, ap);
    va_end(ap);
}

/* Open DIR/NAME for writing; NAME recorded in *files. */
FILE *fig_open(Fig *F, const char *name, int is_data)
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

void fig_close(Fig *F, FILE *f, const char *name)
{
    if (!f) return;
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) fig_fail(F, "%s/%s: write failed (%s)", F->dir, name, strerror(errno));
}

/* The data file name of run r's part (NULL = the run's only table): FIG.dat
** for a single run's single table, else FIG_run<ID>[_part].dat or FIG_part.dat. */
void fig_data_name(const Fig *F, const PlotRun *r, const char *part, char *out, size_t n)
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
FILE *fig_data_open(Fig *F, const PlotRun *r, const char *part, char *name, size_t n_name, const char *what,
                       const char *columns)
{
    fig_data_name(F, r, part, name, n_name);
    FILE *f = fig_open(F, name, 1);
    if (!f) return NULL;
    fprintf(f, "# %s", what);
    if (r) fprintf(f, " - run %lld: %s", (long long)r->run_id, r->label ? r->label : "");
    fprintf(f, "\n# %s\n", columns);
    return f;
}

void fig_num(FILE *f, double v)
{
    if (isnan(v)) fputs(" NaN", f);
    else fprintf(f, " %.7g", v);
}

/* A gnuplot string: single-quoted (no escapes to worry about; a quote is
** doubled), or double-quoted with escapes if it holds a line break. */
void fig_quote(FILE *f, const char *s)
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
void fig_label(FILE *f, const PlotRun *r)
{
    char fallback[64];
    snprintf(fallback, sizeof fallback, "run %lld", (long long)r->run_id);
    fig_quote(f, r->label && r->label[0] ? r->label : fallback);
}

void fig_preamble(Fig *F, const char *title)
{
    FILE *g = F->gp;
    const PlotOptions *o = F->o;
    fputs("# ", g);
    for (const char *c = title; c && *c; c++) fputc(*c == '\n' || *c == '\r' ? ' ' : *c, g);   /* one comment line */
    fputc('\n', g);
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
    fig_quote(g, F->files->image);
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

/* Write "set xrange [lo:hi]"-style lines with NaN treated as '*'. An empty
** range (hi <= lo: every value the same, or none defined, as in a run of a
** few trials) is widened around its centre, since gnuplot refuses to plot
** on one. */
void fig_range(FILE *g, const char *axis, double lo, double hi)
{
    if (isfinite(lo) && isfinite(hi) && !(hi > lo)) {
        double c = 0.5 * (lo + hi), h = c != 0.0 ? 0.1 * fabs(c) : 1.0;
        lo = c - h;
        hi = c + h;
    }
    fprintf(g, "set %srange [", axis);
    if (isfinite(lo)) fprintf(g, "%.6g", lo);
    else fputc('*', g);
    fputc(':', g);
    if (isfinite(hi)) fprintf(g, "%.6g", hi);
    else fputc('*', g);
    fputs("]\n", g);
}

/* The common plot-clause separator: ", \\\n     ". */
void fig_sep(FILE *g, int *first)
{
    if (!*first) fputs(", \\\n     ", g);
    *first = 0;
}

/* Break s's lines longer than width characters at their last ", ", " (" or
** " - " before width (a title gnuplot would otherwise clip at the edges). */
void fig_wrap(char *s, size_t width)
{
    char *line = s;
    while (strlen(line) > width) {
        char *nl = strchr(line, '\n');
        if (nl && (size_t)(nl - line) <= width) {
            line = nl + 1;
            continue;
        }
        char *cut = NULL;
        for (char *p = line + 1; p < line + width; p++)
            if ((p[0] == ',' && p[1] == ' ') || (p[0] == ' ' && (p[1] == '(' || (p[1] == '-' && p[2] == ' '))))
                cut = p;
        if (!cut) break;
        if (*cut == ',') cut++;   /* keep the comma on the first line */
        *cut = '\n';
        line = cut + 1;
    }
}

double fig_top_margin(const char *title, double one_line)
{
    int lines = 1;
    for (const char *c = title; c && *c; c++) lines += *c == '\n';
    return one_line - 0.045 * (lines - 1);
}

/* "Title" of a figure of one or several runs, wrapped to fit above a panel. */
void fig_title(const PlotRun *runs, int n, const char *what, char *out, size_t len)
{
    if (n == 1) snprintf(out, len, "%s - %s", what, runs[0].label ? runs[0].label : "");
    else snprintf(out, len, "%s - %d runs", what, n);
    fig_wrap(out, FIG_TITLE_WIDTH);
}

/* The common head of a one-panel figure: its title from the runs, the
** preamble, and "set title ... font tfont" (the caller goes on with the
** rest of that line's settings). */
void fig_titled(Fig *F, const PlotRun *runs, int n, const char *what, char *title, size_t len)
{
    fig_title(runs, n, what, title, len);
    fig_preamble(F, title);
    fprintf(F->gp, "set title ");
    fig_quote(F->gp, title);
    fprintf(F->gp, " font tfont\n");
}

/* Two panels side by side, with one legend of the n runs centred below both
** (none for a single run: the title names it). The key applies to the
** panel drawn next; call "set key off" before the second. */
void fig_two_panels(FILE *g, const char *title, int n)
{
    int rows = n > 1 ? (n + 1) / 2 : 0;
    fprintf(g, "set multiplot layout 1,2 title ");
    fig_quote(g, title);
    fprintf(g, " font tfont margins 0.085,0.98,%.3f,%.3f spacing 0.085,0.1\n", 0.12 + 0.045 * rows,
            fig_top_margin(title, 0.86));
    if (n > 1) fprintf(g, "set key at screen 0.5, screen 0.01 center bottom vertical maxrows %d nobox\n", rows);
    else fprintf(g, "set key off\n");
}

/* A round tic step (1, 2 or 5 times a power of ten) giving about `want` intervals over span. */
double fig_nice_step(double span, int want)
{
    if (!(span > 0)) return 1.0;
    double raw = span / want, p = pow(10.0, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
}

/* Plot clauses of mean (column m) +- se (column s) for each run: bands first, then lines. */
void fig_bands(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], int xcol, int m, int s,
               int keys)
{
    int first = 1;
    fprintf(g, "plot ");
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using %d:($%d-$%d):($%d+$%d) with filledcurves lt %d fs transparent solid band noborder", xcol, m,
                s, m, s, i + 1);
    }
    for (int i = 0; i < n; i++) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using %d:%d with lines lt %d ", xcol, m, i + 1);
        if (keys) {
            fputs("title ", g);
            fig_label(g, &runs[i]);
        }
    }
    /* ... and again, last run first and untitled, so the first runs (the
    ** networks, ahead of the reference agents beside them) lie on top and
    ** are not hidden under an agent that matches them. */
    for (int i = n - 1; n > 1 && i >= 0; i--) {
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using %d:%d with lines lt %d notitle", xcol, m, i + 1);
    }
    fputc('\n', g);
}

/* ---- grouped bars (stay, volatility) ---------------------------------------------------- */

/* Bars at x = group + offset(run) (column 1 = group): boxes of column vcol,
** black error bars from lo to hi (gnuplot expressions), and, if labels, the
** value printed above the error bar. */
void fig_grouped_bars(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], int vcol, const char *lo,
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
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using ($1+off(%d)):%d with boxes lt %d title ", i, vcol, i + 1);
        fig_label(g, &runs[i]);
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using ($1+off(%d)):%s:(0):(%s-%s) with vectors heads size screen 0.006,90 lc rgb '#202020' lw 1.5",
                i, lo, hi, lo);
        if (!labels) continue;
        fig_sep(g, &first);
        fig_quote(g, names[i]);
        fprintf(g, " using ($1+off(%d)):((%s==%s)?%s:$%d):(sprintf('%%.2f', $%d)) with labels offset 0,0.8 font sfont", i,
                hi, hi, hi, vcol, vcol);
    }
    fputc('\n', g);
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
    if (!figure_kind(kind) || n_runs < 1 || n_runs > PLOT_MAX_FILES / 4) {
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
            fig_fail(&F, "%s: run %lld %s", figure_kind(kind)->name, (long long)runs[i].run_id, why);
            return -1;
        }
    }
    snprintf(files->gp, sizeof files->gp, "%s.gp", base);
    snprintf(files->image, sizeof files->image, "%s.%s", base, o->image_ext ? o->image_ext : plot_format_ext(o->format));
    F.gp = fig_open(&F, files->gp, 0);
    if (F.gp) {
        figure_kind(kind)->write(&F, runs, n_runs);
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
