/* analysis/report.h: the figures of stored runs drawn into files: one figure
** (`metarl plot`), every figure of every run with an index.html (`metarl
** report`), or the figures of chosen runs overlaid (`metarl compare`).
**
** The command line (cli/cmd_plot.c) parses its arguments into a ReportJob and
** calls one of the three functions below. They open the store, compute the
** analyses the figures need (analysis/run_analysis.h), write each figure's data and
** script (analysis/plot.h), run gnuplot as a child process in the figure's
** folder, and for report and compare write index.html with captions and key
** numbers. Nothing here prints: a failure returns a status and a message in
** J->err; progress lines and gnuplot's warnings go to J->note.
**
** The report leads with a summary of the newest test run (the network's
** frozen-weight result beside its reference agents and beside the targets
** and measurements of J->targets, each with its source), then one section
** per question about it (learning within an episode, the reference agents,
** reversals, activity); the reference agents' own figures and the other
** runs follow, folded in <details>.
**
** Every input is checked before anything is written. report and compare build
** the whole folder under a temporary name beside J->out and rename it into
** place at the end, so the folder is never a half-written report; an existing
** folder is replaced only if it is itself a metarl report (or empty).
**
** Usage:
**     ReportJob J = { .db = "r.db", .out = "fig.png", .ids = ids, .n_ids = 1, .lags = 5 };
**     plot_options_default(&J.o);
**     int rc = report_plot(&J, PLOT_REGRET);
**     if (rc != REPORT_OK) ... J.err
*/
#ifndef METARL_REPORT_H
#define METARL_REPORT_H

#include <signal.h>
#include <stdint.h>

#include "analysis/plot.h"

#define REPORT_MAX_RUNS 64

/* The status of a job; the numbers are the command line's exit codes. */
typedef enum {
    REPORT_OK = 0,
    REPORT_FAILED = 1,        /* I/O, gnuplot, out of memory */
    REPORT_BAD_INPUT = 2,     /* unknown run, a run without the data, a folder that is not a report... */
    REPORT_INTERRUPTED = 3    /* *stop was set; nothing was left behind */
} ReportStatus;

typedef struct ReportJob {
    const char *db;                  /* the store, opened read-only */
    const char *out;                 /* plot: FIG.png|svg|pdf; report, compare: the folder */
    const int64_t *ids;              /* (n_ids) runs asked for, in order; plot: none = the newest */
    int n_ids;
    PlotOptions o;                   /* format, size, colour, episodes, the command line */
    int lags;                        /* reward-history regression length */
    int quiet;                       /* report, compare: no progress lines */
    const char *version;             /* metarl's, in index.html's footer */
    const char *targets;             /* report: the targets file its summary quotes; NULL: $METARL_TARGETS,
                                        else data/targets.tsv beside the binary's folder or here */
    volatile sig_atomic_t *stop;     /* set by a signal handler: stop between figures (may be NULL) */
    void (*note)(const char *line);  /* progress and gnuplot's warnings (may be NULL) */
    /* results */
    char err[2048];                  /* why the job failed */
    char dir[4096];                  /* plot: the figure's folder; report, compare: the final folder */
    PlotFiles files;                 /* plot: the files written */
    int n_runs, n_figures;
} ReportJob;

/* One figure of kind `kind` of J->ids overlaid (trajectories: side by side). */
int report_plot(ReportJob *J, PlotKind kind);
/* Every figure of every run of J->db, into the folder J->out, with index.html. */
int report_write(ReportJob *J);
/* The figures of J->ids (two or more) overlaid, into the folder J->out, with index.html. */
int report_compare(ReportJob *J);

#endif
