/* analysis/figure.h: the table of figure kinds, and the toolkit their writers share.
**
** A figure kind is one FigureKind row in the table of its family (training
** in analysis/figures_training.c, behaviour in figures_behavior.c, neural
** activity in figures_neural.c, activity within a trial in figures_steps.c): its name, title and caption, the analyses it
** draws (RA_* bits of analysis/run_analysis.h), a test of whether a run holds
** what it needs, one writer that puts its data files and its gnuplot script
** in the figure's folder, and the key numbers its report caption quotes.
** analysis/plot.c finds a kind's row by its PlotKind and runs it; the
** report (analysis/report.c) reads the same row. Adding a figure kind: one
** PlotKind value (plot.h), one row, one writer (plus its applies/numbers).
**
** Writers see a Fig: the options, the folder and base name, the script being
** written (F->gp), and the first error (fig_fail; the writer then returns,
** and plot_write removes what was written). Internal to analysis/.
*/
#ifndef METARL_FIGURE_H
#define METARL_FIGURE_H

#include <stdio.h>

#include "analysis/plot.h"
#include "analysis/run_analysis.h"   /* RunAnalysis, RA_* (moving to analysis/ at merge) */

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

typedef struct FigureKind {
    PlotKind kind;
    const char *name, *title, *caption;
    unsigned needs;          /* RA_* analyses the figure draws */
    unsigned needs_belief;   /* and these when its points are coloured by belief (--color belief) */
    /* NULL if run r holds what the figure needs, else why not (to follow "run N "). */
    const char *(*applies)(const PlotRun *r, const PlotOptions *o);
    /* The data files and the script of runs[0..n-1]; errors through fig_fail. */
    void (*write)(Fig *F, const PlotRun *runs, int n);
    /* Append run p's key numbers for the caption to b (nothing if none). */
    void (*numbers)(const PlotRun *p, const RunAnalysis *A, const PlotOptions *o, char *b, size_t nb);
    unsigned options;        /* PLOT_OPT_* options of `metarl plot` it reads (plot.h); 0: none */
} FigureKind;

/* The families' tables, each ended by a row with name NULL. */
extern const FigureKind figures_training[];
extern const FigureKind figures_behavior[];
extern const FigureKind figures_neural[];
extern const FigureKind figures_twostep[];
extern const FigureKind figures_dose[];
extern const FigureKind figures_fit[];
extern const FigureKind figures_steps[];

/* The row of kind k, or NULL. */
const FigureKind *figure_kind(PlotKind k);

/* ---- the writers' toolkit (analysis/plot.c) ---- */

void fig_fail(Fig *F, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Open F->dir/name for writing (a data file is listed in F->files); NULL after fig_fail. */
FILE *fig_open(Fig *F, const char *name, int is_data);
void fig_close(Fig *F, FILE *f, const char *name);
/* FIG.dat for a single run's single table, else FIG_run<ID>[_part].dat or FIG_part.dat. */
void fig_data_name(const Fig *F, const PlotRun *r, const char *part, char *out, size_t n);
/* Open a data file (its name into name) and write its header: what, then the columns. */
FILE *fig_data_open(Fig *F, const PlotRun *r, const char *part, char *name, size_t n_name, const char *what,
                    const char *columns);
const char *fig_run_color(int i);             /* "#0072B2": run i's colour */
void fig_num(FILE *f, double v);                 /* " %.7g", or " NaN" */
void fig_quote(FILE *f, const char *s);          /* a gnuplot string */
void fig_label(FILE *f, const PlotRun *r);       /* the run's legend entry, quoted */
void fig_preamble(Fig *F, const char *title);    /* terminal, output, fonts, grid, run colours */
void fig_range(FILE *g, const char *axis, double lo, double hi);   /* NaN = '*' */
void fig_sep(FILE *g, int *first);               /* ", \\\n     " between plot clauses */
#define FIG_TITLE_WIDTH 64   /* characters of a title line that fit above a panel */
void fig_title(const PlotRun *runs, int n, const char *what, char *out, size_t len);
void fig_wrap(char *s, size_t width);
/* The top margin (screen fraction) of a multiplot under title: one_line for
** a one-line title, less for each further line, so panels never meet it. */
double fig_top_margin(const char *title, double one_line);
void fig_titled(Fig *F, const PlotRun *runs, int n, const char *what, char *title, size_t len);
void fig_two_panels(FILE *g, const char *title, int n);
double fig_nice_step(double span, int want);
void fig_bands(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], int xcol, int m, int s,
               int keys);
void fig_grouped_bars(FILE *g, const PlotRun *runs, int n, char names[][PLOT_NAME_MAX], int vcol, const char *lo,
                      const char *hi, int keys);

/* Caption text: printf appended to b, and "v ± se" (n/a if v is not finite). */
void fig_cat(char *b, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fig_pm(char *b, size_t n, double v, double se, int digits);

#endif
