/* cli/cmd_plot.c: `metarl plot`, `metarl report` and `metarl compare`: the
** analyses of stored runs drawn as figures.
**
**   plot KIND DB [--run ID ...] -o FIG.png|svg|pdf
**       one figure; several runs are overlaid. Beside FIG.<ext> go FIG.gp and
**       its data files (analysis/plot.h), so `cd DIR && gnuplot FIG.gp`
**       draws it again after a restyle.
**   report DB -o DIR
**       every figure that applies to every run, plus each test run overlaid
**       with the reference agents that played its task instances, and
**       DIR/index.html with the runs, the figures, captions and key numbers.
**   compare DB --run A --run B ... -o DIR
**       every figure that applies to the runs, overlaid, with DIR/index.html.
**
** This file parses the arguments into a ReportJob, calls report_plot,
** report_write or report_compare (analysis/report.h), and prints what they
** return: one "metarl: ..." line on failure (exit 2 for bad input, 1 for a
** failure while writing, 128 + the signal when interrupted).
*/
#include <stdio.h>
#include <string.h>

#include "analysis/report.h"
#include "cli/cli.h"

static void print_note(const char *line) { cli_error("%s", line); }

/* The library's status as an exit code, its message printed. */
static int job_status(const ReportJob *J, int rc)
{
    if (J->err[0]) cli_error("%s", J->err);
    return rc == REPORT_INTERRUPTED ? 128 + cli_stop_signal : rc;
}

/* ---- options shared by the three commands ---------------------------------------------------- */

static int parse_common(const CmdArgs *a, PlotOptions *o, int *lags)
{
    const char *v;
    long x;
    *lags = BEHAVIOR_DEFAULT_LAGS;
    if ((v = arg_flag(a, "lags")) && (parse_long(v, &x) != 0 || x < 1 || x > BEHAVIOR_MAX_LAGS))
        return cli_fail(EXIT_USAGE, "--lags: '%s' is not a history length (a whole number from 1 to %d)", v,
                        BEHAVIOR_MAX_LAGS);
    if (v) *lags = (int)x;
    if ((v = arg_flag(a, "size"))) {
        int w, h;
        char extra;
        if (sscanf(v, "%dx%d%c", &w, &h, &extra) != 2 || w < 200 || h < 150 || w > 10000 || h > 10000)
            return cli_fail(EXIT_USAGE, "--size: '%s' is not WIDTHxHEIGHT in pixels (e.g. 900x600, each 200..10000)", v);
        o->width = w;
        o->height = h;
    }
    if ((v = arg_flag(a, "format"))) {
        char fake[64];
        snprintf(fake, sizeof fake, "x.%s", v);
        if (plot_format_from_path(fake, &o->format) != 0)
            return cli_fail(EXIT_USAGE, "--format: '%s' is not png, svg or pdf", v);
    }
    return EXIT_OK;
}

/* The command line, for the scripts' header comments. */
static void command_line(const CmdArgs *a, char *out, size_t n)
{
    size_t len = (size_t)snprintf(out, n, "metarl %s", a->cmd->name);
    for (int i = 0; i < a->n_pos && len < n; i++) len += (size_t)snprintf(out + len, n - len, " %s", a->pos[i]);
    for (int i = 0; i < a->n_values && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, " --%s%s%s", a->flag_names[i], a->flag_values[i][0] ? " " : "",
                                a->flag_values[i]);
}

static const char *output_flag(const CmdArgs *a) { return arg_flag(a, "output"); }

/* A job of the arguments shared by the three commands. */
static void job_init(ReportJob *J, const CmdArgs *a, char *cmdline, size_t n_cmdline)
{
    memset(J, 0, sizeof *J);
    plot_options_default(&J->o);
    J->db = a->pos[a->n_pos - 1];
    J->out = output_flag(a);
    command_line(a, cmdline, n_cmdline);
    J->o.command = cmdline;
    J->version = metarl_version;
    J->stop = &cli_stop_signal;
    J->note = print_note;
}

/* --run ID ..., into J->ids (ids must hold REPORT_MAX_RUNS). */
static int parse_runs(CmdArgs *a, ReportJob *J, int64_t *ids)
{
    const char *run_args[REPORT_MAX_RUNS];
    J->n_ids = arg_all(a, "run", run_args, REPORT_MAX_RUNS);
    for (int i = 0; i < J->n_ids; i++)
        if (arg_run_id(a, run_args[i], &ids[i]) != EXIT_OK) return EXIT_USAGE;
    J->ids = ids;
    return EXIT_OK;
}

/* ---- plot ------------------------------------------------------------------------------------- */

static const CmdFlag plot_flags[] = {
    { "run", "ID", "run to draw; repeat to overlay several (default: the newest train run for `training`, "
                   "else the newest test run); `regret` adds a test run's reference agents itself" },
    { "output", "FIG", "the figure: FIG.png, FIG.svg or FIG.pdf (also -o); FIG.gp and its .dat files go beside it" },
    { "color", "trial|reward|p0|belief", "trajectories: what colours the points (default: trial)" },
    { "episodes", "N", "trajectories: how many episodes to draw (default: 3)" },
    { "size", "WxH", "image size in pixels (pdf: hundredths of an inch; default: 900x600)" },
    { "lags", "K", "regression: history length, 1..20 (default 5)" },
    { NULL, NULL, NULL }
};

static int plot_run(CmdArgs *a)
{
    char cmdline[1024];
    int64_t ids[REPORT_MAX_RUNS];
    ReportJob J;
    job_init(&J, a, cmdline, sizeof cmdline);
    const char *kind_name = a->pos[0], *out = J.out, *v;
    int kind = plot_kind_lookup(kind_name);
    if (kind < 0) return cli_fail(EXIT_USAGE, "unknown figure '%s' (kinds: %s)", kind_name, plot_kind_list());
    if (!out) return cli_fail(EXIT_USAGE, "`metarl plot` needs -o FIG.png (or .svg, .pdf)");
    if (plot_format_from_path(out, &J.o.format) != 0)
        return cli_fail(EXIT_USAGE, "%s: unsupported figure format (name the figure .png, .svg or .pdf)", out);
    static const struct { const char *flag; unsigned bit; } kind_only[] = {
        { "lags", PLOT_OPT_LAGS }, { "color", PLOT_OPT_COLOR }, { "episodes", PLOT_OPT_EPISODES },
    };
    for (size_t i = 0; i < sizeof kind_only / sizeof *kind_only; i++)
        if (arg_has(a, kind_only[i].flag) && !(plot_kind_options((PlotKind)kind) & kind_only[i].bit)) {
            char kinds[256];
            return cli_fail(EXIT_USAGE, "--%s: the figure '%s' does not read it (it applies to %s)", kind_only[i].flag,
                            kind_name, plot_kinds_reading(kind_only[i].bit, kinds, sizeof kinds));
        }
    if (parse_common(a, &J.o, &J.lags) != EXIT_OK) return EXIT_USAGE;
    if ((v = arg_flag(a, "color"))) {
        int c = plot_color_lookup(v);
        if (c < 0) return cli_fail(EXIT_USAGE, "--color: unknown value '%s' (trial, reward, p0 or belief)", v);
        J.o.color = (PlotColor)c;
    }
    if ((v = arg_flag(a, "episodes"))) {
        long x;
        if (parse_long(v, &x) != 0 || x < 1 || x > 100)
            return cli_fail(EXIT_USAGE, "--episodes: '%s' is not a number of episodes (1 to 100)", v);
        J.o.n_episodes = (int)x;
    }
    if (parse_runs(a, &J, ids) != EXIT_OK) return EXIT_USAGE;
    int rc = report_plot(&J, (PlotKind)kind);
    if (rc != REPORT_OK) return job_status(&J, rc);
    const PlotFiles *f = &J.files;
    fprintf(stderr, "metarl: wrote %s/%s (%d run%s), %s and %d data file%s\n", J.dir, f->image, J.n_runs,
            J.n_runs == 1 ? "" : "s", f->gp, f->n_data, f->n_data == 1 ? "" : "s");
    return EXIT_OK;
}

const Command cmd_plot = {
    "plot", "KIND DB [--run ID ...] -o FIG.png|svg|pdf [--color C] [--episodes N] [--size WxH]",
    "draw one analysis of one or several runs as a figure (gnuplot), with its data and script",
    "KIND is one of: training, curve, regret, stay, regression, rw, reversal, volatility, pca, trajectories, "
    "decoding, selectivity, rpe. Several --run are overlaid in one figure (trajectories: side by side). The format "
    "follows the extension of -o. Beside FIG.png go FIG.gp and FIG.dat (or FIG_<series>.dat): edit the script and "
    "run `gnuplot FIG.gp` in that folder to restyle the figure.",
    NULL, plot_flags, 2, 2, plot_run
};

/* ---- report and compare ---------------------------------------------------------------------- */

static const CmdFlag report_flags[] = {
    { "output", "DIR", "the report folder (also -o); replaced if it holds an earlier report" },
    { "format", "png|svg", "image format of the figures (default: png)" },
    { "size", "WxH", "image size in pixels (default: 900x600)" },
    { "quiet", NULL, "no progress lines on stderr" },
    { NULL, NULL, NULL }
};


/* Shared start of report and compare: their options. */
static int report_options(CmdArgs *a, ReportJob *J, const char *what)
{
    if (!J->out || !*J->out)
        return cli_fail(EXIT_USAGE, "`metarl %s` needs -o DIR (the folder for index.html and the figures)", what);
    if (parse_common(a, &J->o, &J->lags) != EXIT_OK) return EXIT_USAGE;
    if (J->o.format == PLOT_PDF)
        return cli_fail(EXIT_USAGE, "--format: pdf figures cannot be shown in a web page (use png or svg)");
    J->quiet = arg_has(a, "quiet");
    return EXIT_OK;
}

static int report_run(CmdArgs *a)
{
    char cmdline[1024];
    ReportJob J;
    job_init(&J, a, cmdline, sizeof cmdline);
    if (report_options(a, &J, "report") != EXIT_OK) return EXIT_USAGE;
    cli_catch_signals();
    int rc = report_write(&J);
    if (rc != REPORT_OK) return job_status(&J, rc);
    fprintf(stderr, "metarl: report of %d run%s with %d figures: %s/index.html\n", J.n_runs, J.n_runs == 1 ? "" : "s",
            J.n_figures, J.dir);
    return EXIT_OK;
}

const Command cmd_report = {
    "report", "DB -o DIR [--format png|svg] [--size WxH] [--quiet]",
    "draw every figure of every run in a database into DIR, with an index.html",
    "DIR/index.html opens on a summary of the newest test run (its headline number beside the reference agents "
    "that played its task instances, and beside the targets of data/targets.tsv or $METARL_TARGETS), then one "
    "section per question; every figure that applies to each run follows (no unit rates: no neural figures; no "
    "reversals: no reversal figure; no task truth: no regret), folded. The folder is built "
    "under a temporary name and renamed at the end; an existing DIR is replaced only if it holds a metarl report.",
    NULL, report_flags, 1, 1, report_run
};

/* ---- compare ------------------------------------------------------------------------------------ */

static const CmdFlag compare_flags[] = {
    { "run", "ID", "a run to compare; give two or more" },
    { "output", "DIR", "the comparison folder (also -o); replaced if it holds an earlier report" },
    { "format", "png|svg", "image format of the figures (default: png)" },
    { "size", "WxH", "image size in pixels (default: 900x600)" },
    { "lags", "K", "regression: history length, 1..20 (default 5)" },
    { "quiet", NULL, "no progress lines on stderr" },
    { NULL, NULL, NULL }
};

static int compare_run(CmdArgs *a)
{
    char cmdline[1024];
    int64_t ids[REPORT_MAX_RUNS];
    ReportJob J;
    job_init(&J, a, cmdline, sizeof cmdline);
    if (parse_runs(a, &J, ids) != EXIT_OK) return EXIT_USAGE;
    if (report_options(a, &J, "compare") != EXIT_OK) return EXIT_USAGE;
    cli_catch_signals();
    int rc = report_compare(&J);
    if (rc != REPORT_OK) return job_status(&J, rc);
    fprintf(stderr, "metarl: comparison of %d runs with %d figures: %s/index.html\n", J.n_runs, J.n_figures, J.dir);
    return EXIT_OK;
}

const Command cmd_compare = {
    "compare", "DB --run A --run B [--run C ...] -o DIR [--format png|svg] [--size WxH]",
    "overlay the figures of two or more runs (network, observer, human data...) in DIR, with an index.html",
    "Every figure that applies to at least one of the runs, with the runs overlaid in the order given "
    "(trajectories side by side), and DIR/index.html with the runs, key numbers and captions; a warning names "
    "runs that differ in task or trials. Built under a "
    "temporary name and renamed into place; an existing DIR is replaced only if it holds a metarl report.",
    NULL, compare_flags, 1, 1, compare_run
};
