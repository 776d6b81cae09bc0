/* analysis/report.c: `metarl plot`, `report` and `compare` as library calls
** (see report.h): runs loaded and analysed as far as their figures need,
** gnuplot run on each figure, and the report's index.html with its captions
** and key numbers. The kinds of figure and their captions are the table of
** analysis/figure.h; this file only chooses which to draw for which runs.
*/
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "analysis/figure.h"
#include "analysis/report.h"
#include "tasks/task.h"
#include "analysis/run_analysis.h"
#include "core/numfmt.h"
#include "store/store.h"

#define MAX_RUNS REPORT_MAX_RUNS
#define RW_EPISODES 300   /* per-episode RW fits drawn (the first ones): enough points for a scatter */
#define REPORT_MAX_REFS 4   /* reference lines of a training figure */
#define GNUPLOT "gnuplot"
#define REPORT_MARK "<meta name=\"generator\" content=\"metarl"

/* Put the message in J->err; return status (for `return fail(J, REPORT_FAILED, ...)`). */
static int fail(ReportJob *J, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ReportJob *J, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(J->err, sizeof J->err, fmt, ap);
    va_end(ap);
    return status;
}

static void note(const ReportJob *J, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const ReportJob *J, const char *fmt, ...)
{
    if (!J->note) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    J->note(line);
}

static int stopped(const ReportJob *J) { return J->stop && *J->stop; }

/* ---- one loaded run ---------------------------------------------------------------- */

typedef struct Loaded {
    RunRow row;            /* owned */
    RunAnalysis A;         /* A.row points at row: a Loaded never moves once loaded */
    TrainRow *train;       /* train runs: the training curve */
    int n_train;
    int is_train;
    char label[200];
    char task[256];        /* task_title of the run's stored task, "" if unknown */
    PlotReference refs[REPORT_MAX_REFS];   /* train runs: reference agents of its tests */
    char ref_source[REPORT_MAX_REFS][64];
    int n_refs;
    PlotRun pr;
} Loaded;

static void loaded_free(Loaded *L)
{
    run_analysis_free(&L->A);
    free(L->train);
    L->train = NULL;
    store_run_clear(&L->row);
}

/* "network (run 6)", "thompson (run 8)", "prl_reiter2017_predchange (run 7)". */
static void make_label(const RunRow *r, char *out, size_t n)
{
    char name[128];
    if (!strcmp(r->kind, "import")) {
        const char *base = strrchr(r->name, '/');
        snprintf(name, sizeof name, "%s", base ? base + 1 : r->name);
        char *dot = strrchr(name, '.');   /* a file name's extension (".csv"), not "al. 2017" */
        if (dot && dot != name && strlen(dot) <= 5 && !strchr(dot, ' ')) *dot = '\0';
    } else if (!strcmp(r->kind, "test")) {
        snprintf(name, sizeof name, "%s", r->agent);
    } else if (!strcmp(r->kind, "train")) {
        snprintf(name, sizeof name, "%s", r->name);
    } else {
        snprintf(name, sizeof name, "%s", r->name[0] ? r->name : r->agent);
    }
    snprintf(out, n, "%s (run %lld)", name, (long long)r->run_id);
}

/* The analyses figure `kind` draws, with its points coloured by c. */
static unsigned kind_mask(PlotKind k, PlotColor c)
{
    const FigureKind *row = figure_kind(k);
    return row ? row->needs | (c == PLOT_COLOR_BELIEF ? row->needs_belief : 0u) : 0u;
}

static int needs_activity(unsigned mask) { return (mask & (RA_PCA | RA_DECODING | RA_BELIEF | RA_SELECTIVITY)) != 0; }

/* Point L->pr at whatever L holds. */
static void fill_plotrun(Loaded *L)
{
    RunAnalysis *A = &L->A;
    PlotRun *p = &L->pr;
    memset(p, 0, sizeof *p);
    p->run_id = L->row.run_id;
    p->label = L->label;
    TaskFacts facts;
    char err[256];
    /* the run's own task settings; 0 (no per-trial scale) if they cannot be read */
    p->trials_per_episode = task_facts_from_text(L->row.config, &facts, err, sizeof err) == 0 ? facts.n_trials : 0;
    if (task_title_from_text(L->row.config, L->task, sizeof L->task, err, sizeof err) == 0 && strcmp(L->row.kind, "import"))
        p->task = L->task;
    if (L->is_train) {
        p->train = L->train;
        p->n_train = L->n_train;
        p->refs = L->refs;
        p->n_refs = L->n_refs;
        return;
    }
    if (A->n_eps == 0) return;
    p->eps = A->eps;
    p->n_eps = A->n_eps;
    p->curves = A->curves;
    p->stay = A->stay_ok ? &A->stay : NULL;
    p->lg = A->lg_ok ? &A->lg : NULL;
    p->rw = A->rw_ok ? &A->rw : NULL;
    p->rw_eps = A->rw_eps_ok ? A->rw_eps : NULL;
    p->n_rw_eps = A->n_rw_eps;
    p->rev = A->rev_ok ? &A->rev : NULL;
    p->vol = A->vol_ok ? &A->vol : NULL;
    p->pca = A->pca;
    p->belief = A->belief;
    p->dec = A->dec;
    p->dec_ok = A->dec_ok;
    p->sel = A->sel && A->sel->n_rows > 0 ? A->sel : NULL;
    p->rpe = A->rpe_ok ? &A->rpe : NULL;
}

/* Read run L->row.run_id's data and compute `mask`. REPORT_OK, or REPORT_FAILED
** with a message in J->err. */
/* A train run's reference lines: the mean regret per episode of the
** thompson and bayes baselines stored beside its newest test run (the same
** test instances). None if it has no such test. */
static void load_references(Store *s, Loaded *L)
{
    static const char *const agents[] = { "thompson", "bayes" };
    int64_t *tests = NULL, *refs = NULL;
    int n_tests = 0, n = 0;
    L->n_refs = 0;
    if (store_children(s, L->row.run_id, &tests, &n_tests) != 0 || n_tests == 0) goto done;
    if (store_children(s, tests[n_tests - 1], &refs, &n) != 0) goto done;
    for (int i = 0; i < n && L->n_refs < REPORT_MAX_REFS; i++) {
        RunRow r;
        if (store_run_get(s, refs[i], &r) != 0) continue;
        for (size_t a = 0; a < sizeof agents / sizeof *agents; a++) {
            char sql[160], v[64];
            if (!r.agent || strcmp(r.agent, agents[a])) continue;
            snprintf(sql, sizeof sql, "SELECT avg(regret) FROM episodes WHERE run_id = %lld", (long long)refs[i]);
            if (store_query_text(s, sql, v, sizeof v) != 0 || !v[0]) continue;
            PlotReference *p = &L->refs[L->n_refs];
            snprintf(L->ref_source[L->n_refs], sizeof L->ref_source[0], "run %lld, the same test instances",
                     (long long)refs[i]);
            p->agent = agents[a];
            p->regret = strtod(v, NULL);
            p->source = L->ref_source[L->n_refs++];
        }
        store_run_clear(&r);
    }
done:
    free(tests);
    free(refs);
}

static int load_compute(ReportJob *J, Store *s, Loaded *L, unsigned mask, int lags, double ridge)
{
    L->is_train = !strcmp(L->row.kind, "train");
    make_label(&L->row, L->label, sizeof L->label);
    run_analysis_init(&L->A, &L->row);
    L->A.rw_eps_max = RW_EPISODES;
    if (L->is_train) {
        if (store_read_training(s, L->row.run_id, &L->train, &L->n_train) != 0)
            return fail(J, REPORT_FAILED, "%s", store_errmsg(s));
        load_references(s, L);
    } else {
        if (store_read_episodes(s, L->row.run_id, needs_activity(mask), &L->A.eps, &L->A.n_eps) != 0)
            return fail(J, REPORT_FAILED, "%s", store_errmsg(s));
        if (run_analysis_compute(&L->A, mask, lags, ridge) != 0)
            return fail(J, REPORT_FAILED, "run %lld: out of memory", (long long)L->row.run_id);
    }
    fill_plotrun(L);
    return REPORT_OK;
}
/* ---- gnuplot ------------------------------------------------------------------------------ */

/* Run `gnuplot GP` in dir. Return 0 (warnings, if any, printed as
** notes to J->note), or -1 with a message in err. */
static int run_gnuplot(const ReportJob *J, const char *dir, const char *gp, char *err, size_t n_err)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(err, n_err, "cannot start gnuplot (%s)", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        snprintf(err, n_err, "cannot start gnuplot (%s)", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        dup2(fd[1], STDOUT_FILENO);
        close(fd[1]);
        if (chdir(dir) != 0) _exit(126);
        execlp(GNUPLOT, GNUPLOT, gp, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char msg[4096];
    size_t len = 0;
    ssize_t k;
    char sink[1024];
    while ((k = read(fd[0], len < sizeof msg - 1 ? msg + len : sink,
                     len < sizeof msg - 1 ? sizeof msg - 1 - len : sizeof sink)) != 0) {
        if (k < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (len < sizeof msg - 1) len += (size_t)k;
    }
    msg[len] = '\0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, n_err, "gnuplot: %s", strerror(errno));
            return -1;
        }
    /* the last non-empty line of gnuplot's messages says what went wrong */
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) msg[--len] = '\0';
    char *last = strrchr(msg, '\n');
    last = last ? last + 1 : msg;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*last) {
        snprintf(err, n_err, "gnuplot not found: install it (Debian: gnuplot-nox), then run `cd %.900s && gnuplot %.300s`",
                 dir, gp);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, n_err, "gnuplot failed on %.900s/%.300s: %.600s", dir, gp, *last ? last : "(no message)");
        return -1;
    }
    if (*msg) {   /* warnings: pass every line on */
        for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n"))
            if (*line) note(J, "gnuplot (%s/%s): %.600s", dir, gp, line);
    }
    return 0;
}

/* Write figure `kind` into dir/base.* and draw it. 0, or -1 with err. */
static int draw(const ReportJob *J, PlotKind kind, const PlotRun *runs, int n, const PlotOptions *o, const char *dir, const char *base,
                PlotFiles *files, char *err, size_t n_err)
{
    if (plot_write(kind, runs, n, o, dir, base, files, err, n_err) != 0) return -1;
    if (run_gnuplot(J, dir, files->gp, err, n_err) != 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files->image);
        unlink(path);
        return -1;
    }
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, files->image);
    if (stat(path, &st) != 0 || st.st_size == 0) {
        snprintf(err, n_err, "gnuplot wrote no image %.1500s", path);
        return -1;
    }
    return 0;
}
static int add_run(ReportJob *J, Store *s, Loaded *runs, int *n, int64_t id)
{
    for (int i = 0; i < *n; i++)
        if (runs[i].row.run_id == id) return REPORT_OK;
    if (*n >= MAX_RUNS) return fail(J, REPORT_BAD_INPUT, "too many runs (at most %d)", MAX_RUNS);
    if (store_run_get(s, id, &runs[*n].row) != 0) return fail(J, REPORT_BAD_INPUT, "%s", store_errmsg(s));
    (*n)++;
    return REPORT_OK;
}

/* ---- HTML ----------------------------------------------------------------------------------------- */

static void html_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* printf into a growing caption buffer */

static void html_begin(FILE *h, const char *title, const char *generator)
{
    fprintf(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"generator\" content=\"metarl %s\">\n<title>",
            generator);
    html_esc(h, title);
    fprintf(h, "</title>\n<style>\n"
               "body { font-family: sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; "
               "line-height: 1.4; }\n"
               "h1 { font-size: 1.6em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.6em; }\n"
               "table { border-collapse: collapse; font-size: 0.9em; margin: 0.8em 0; }\n"
               "th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; }\n"
               "td.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
               "figure { margin: 1.5em 0; } figure img { max-width: 100%%; border: 1px solid #eee; }\n"
               "figcaption { font-size: 0.92em; color: #333; } figcaption .files { color: #777; font-size: 0.9em; }\n"
               "code { background: #f4f4f4; padding: 0 0.2em; }\n"
               ".warn { background: #fff4e0; border-left: 4px solid #e69f00; padding: 0.4em 0.8em; }\n"
               "</style>\n</head>\n<body>\n<h1>");
    html_esc(h, title);
    fprintf(h, "</h1>\n");
}

/* The runs as a table (what `metarl info` lists). */
static void html_runs(FILE *h, RunRow *rows, int n)
{
    fprintf(h, "<table>\n<tr><th>run</th><th>kind</th><th>name</th><th>task</th><th>agent</th><th>episodes</th>"
               "<th>parent</th><th>status</th><th>started</th></tr>\n");
    for (int i = 0; i < n; i++) {
        const RunRow *r = &rows[i];
        fprintf(h, "<tr><td class=\"n\"><a href=\"#run%lld\">%lld</a></td><td>", (long long)r->run_id,
                (long long)r->run_id);
        html_esc(h, r->kind);
        fprintf(h, "</td><td>");
        html_esc(h, r->name);
        fprintf(h, "</td><td>");
        html_esc(h, r->task);
        fprintf(h, "</td><td>");
        html_esc(h, r->agent);
        fprintf(h, "</td><td class=\"n\">%lld</td><td class=\"n\">", (long long)r->n_episodes);
        if (r->parent_run) fprintf(h, "%lld", (long long)r->parent_run);
        else fputs("-", h);
        fprintf(h, "</td><td>");
        html_esc(h, r->status);
        fprintf(h, "</td><td>");
        html_esc(h, r->started);
        fprintf(h, "</td></tr>\n");
    }
    fprintf(h, "</table>\n");
}

/* Key numbers of one run, as table rows. */
static void html_key_numbers(FILE *h, const Loaded *L)
{
    char b[512];
    fprintf(h, "<table>\n");
#define ROW(name)                                                                                                      \
    do {                                                                                                               \
        fprintf(h, "<tr><th>%s</th><td class=\"n\">", name);                                                        \
        num_scrub_undefined(b);                                                                                        \
        html_esc(h, b);                                                                                                \
        fprintf(h, "</td></tr>\n");                                                                                    \
    } while (0)
    if (L->is_train) {
        int m = L->n_train, from = m - (m / 10 > 0 ? m / 10 : 1);
        double rw = 0, pb = 0, rg = 0;
        int c = 0, cb = 0, cr = 0;
        for (int i = from < 0 ? 0 : from; i < m; i++) {
            rw += L->train[i].reward;
            c++;
            if (isfinite(L->train[i].p_best)) pb += L->train[i].p_best, cb++;
            if (isfinite(L->train[i].regret)) rg += L->train[i].regret, cr++;
        }
        snprintf(b, sizeof b, "%d", m);
        ROW("training episodes");
        if (c && L->pr.trials_per_episode > 0) {
            snprintf(b, sizeof b, "%.3f", rw / c / L->pr.trials_per_episode);
            ROW("reward per trial, last 10% of training");
        }
        if (cb) {
            snprintf(b, sizeof b, "%.3f", pb / cb);
            ROW("P(better arm), last 10% of training");
        }
        if (cr) {
            snprintf(b, sizeof b, "%.3f", rg / cr);
            ROW("regret per episode, last 10% of training");
        }
        fprintf(h, "</table>\n");
        return;
    }
    const RunAnalysis *A = &L->A;
    const Summary *s = &A->summary;
    snprintf(b, sizeof b, "%d episodes, %ld valid trials", A->n_eps, s->trials);
    ROW("data");
    b[0] = '\0';
    fig_pm(b, sizeof b, s->reward_per_trial.mean, moments_se(&s->reward_per_trial), 4);
    ROW("reward per trial (± SE)");
    if (s->p_best.n) {
        b[0] = '\0';
        fig_pm(b, sizeof b, s->p_best.mean, moments_se(&s->p_best), 4);
        ROW("P(better arm)");
    }
    if (s->regret.n) {
        b[0] = '\0';
        fig_pm(b, sizeof b, s->regret.mean, moments_se(&s->regret), 3);
        ROW("regret per episode");
    }
    if (A->stay_ok) {
        snprintf(b, sizeof b, "%.3f [%.3f, %.3f] / %.3f [%.3f, %.3f]", A->stay.p_stay_win, A->stay.win_ci[0],
                 A->stay.win_ci[1], A->stay.p_stay_loss, A->stay.loss_ci[0], A->stay.loss_ci[1]);
        ROW("p(stay | win) / p(stay | loss) [95% CI]");
    }
    if (A->rw_ok) {
        b[0] = '\0';
        fig_cat(b, sizeof b, "α ");
        fig_pm(b, sizeof b, A->rw.alpha, A->rw.alpha_se, 3);
        fig_cat(b, sizeof b, ", β ");
        fig_pm(b, sizeof b, A->rw.beta, A->rw.beta_se, 2);
        ROW("Rescorla-Wagner, pooled fit");
    }
    if (A->rev_ok) {
        snprintf(b, sizeof b, "%ld reversals; accuracy %.3f on the first trial after, %.3f five trials later", A->n_reversals,
                 A->rev.accuracy[-BEHAVIOR_REV_LAG_MIN], A->rev.accuracy[-BEHAVIOR_REV_LAG_MIN + 5]);
        ROW("reversals");
    }
    if (A->crit_ok) {
        snprintf(b, sizeof b, "mean %.2f, median %.1f (%ld of %ld reversals reached %d of %d correct)", A->crit.mean,
                 A->crit.median, A->crit.n_reached, A->crit.n_reversals, A->crit.k, A->crit.n);
        ROW("trials to criterion");
    }
    if (A->vol_ok) {
        b[0] = '\0';
        fig_cat(b, sizeof b, "volatile ");
        fig_pm(b, sizeof b, A->vol.alpha_volatile, A->vol.alpha_volatile_se, 3);
        fig_cat(b, sizeof b, ", stable ");
        fig_pm(b, sizeof b, A->vol.alpha_stable, A->vol.alpha_stable_se, 3);
        ROW("RW learning rate α");
    }
    if (A->rpe_ok) {
        b[0] = '\0';
        fig_cat(b, sizeof b, "b_reward ");
        fig_pm(b, sizeof b, A->rpe.fit.coef[RPE_REWARD], A->rpe.fit.se[RPE_REWARD], 3);
        fig_cat(b, sizeof b, ", b_V ");
        fig_pm(b, sizeof b, A->rpe.fit.coef[RPE_VALUE], A->rpe.fit.se[RPE_VALUE], 3);
        ROW("RPE δ ~ reward + V");
    }
    if (A->pca) {
        double cum = 0;
        for (int k = 0; k < 3 && k < A->pca->n_units; k++) cum += A->pca->explained[k];
        snprintf(b, sizeof b, "%d units; PC1 %.1f%%, first three %.1f%% of the variance", A->pca->n_units,
                 100 * A->pca->explained[0], 100 * cum);
        ROW("prefrontal activity");
        b[0] = '\0';
        for (int k = 0; k < RA_N_TARGETS; k++)
            if (A->dec_ok[k])
                fig_cat(b, sizeof b, "%s%s %.3f (null 95%% %.3f)", b[0] ? "; " : "", ra_target_names[k], A->dec[k].r2,
                    A->dec[k].null_p95);
        if (b[0]) ROW("decoding R²");
        if (A->sel && A->sel->n_rows > 0) {
            snprintf(b, sizeof b, "previous action %d, reward %d, interaction %d of %d units (p < %.2g)",
                     A->sel->n_sig[SEL_ACTION], A->sel->n_sig[SEL_REWARD], A->sel->n_sig[SEL_INTERACTION],
                     A->sel->n_units, A->sel->level);
            ROW("selective units");
        }
    }
#undef ROW
    fprintf(h, "</table>\n");
}

/* The key numbers of figure `kind` for its runs, one clause per run. */
static void caption_numbers(PlotKind kind, Loaded *const *L, int n, const PlotOptions *o, char *b, size_t nb)
{
    const FigureKind *row = figure_kind(kind);
    b[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t before = strlen(b);
        fig_cat(b, nb, "%s%s: ", i ? "; " : "", L[i]->label);
        size_t mark = strlen(b);
        if (row && row->numbers) row->numbers(&L[i]->pr, &L[i]->A, o, b, nb);
        num_scrub_undefined(b + mark);   /* a number of few trials reads n/a, not nan */
        if (strlen(b) == mark) b[before] = '\0';
    }
    if (b[0]) fig_cat(b, nb, ".");
}

/* ---- folders ------------------------------------------------------------------------------------ */

/* 0 if dir does not exist, is empty, or holds a metarl report; 1 if it is something else; -1 if not a folder. */
static int check_out_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return -1;
    char path[4096], buf[4096];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = '\0';
        if (strstr(buf, REPORT_MARK)) return 0;
    }
    DIR *d = opendir(dir);
    if (!d) return 1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty ? 0 : 1;
}

/* A report in the making: a temporary folder beside the final one, and its index.html. */
typedef struct Report {
    char final[4096], tmp[4200];
    FILE *html;
    ReportJob *J;
    PlotOptions o;
    int n_figures;
    int failed;
} Report;

static int report_open(Report *R)
{
    ReportJob *J = R->J;
    size_t len = strlen(R->final);
    while (len > 1 && R->final[len - 1] == '/') R->final[--len] = '\0';
    snprintf(R->tmp, sizeof R->tmp, "%s.tmp-%ld", R->final, (long)getpid());
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", R->final);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (make_dirs(parent) != 0) return fail(J, REPORT_FAILED, "%s: cannot create the folder (%s)", parent, strerror(errno));
    }
    out_dir_remove_stale(R->final);
    out_dir_remove_tree(R->tmp);
    if (mkdir(R->tmp, 0777) != 0) return fail(J, REPORT_FAILED, "%s: cannot create the folder (%s)", R->tmp, strerror(errno));
    char path[4300];
    snprintf(path, sizeof path, "%s/index.html", R->tmp);
    if (!(R->html = fopen(path, "w"))) {
        int e = errno;
        out_dir_remove_tree(R->tmp);
        return fail(J, REPORT_FAILED, "%s: cannot write (%s)", path, strerror(e));
    }
    return REPORT_OK;
}

/* Finish: close index.html, then swap the temporary folder into place. */
static int report_close(Report *R, int ok)
{
    ReportJob *J = R->J;
    if (R->html) {
        fprintf(R->html, "</body>\n</html>\n");
        if (ferror(R->html)) ok = 0;
        if (fclose(R->html) != 0) ok = 0;
        R->html = NULL;
    }
    if (!ok) {
        out_dir_remove_tree(R->tmp);
        return REPORT_FAILED;
    }
    char old[4300];
    snprintf(old, sizeof old, "%s.old-%ld", R->final, (long)getpid());
    struct stat st;
    int had = stat(R->final, &st) == 0;
    if (had && rename(R->final, old) != 0) {
        int e = errno;
        out_dir_remove_tree(R->tmp);
        return fail(J, REPORT_FAILED, "%s: cannot replace it (%s)", R->final, strerror(e));
    }
    if (rename(R->tmp, R->final) != 0) {
        int e = errno;
        if (had) rename(old, R->final);
        out_dir_remove_tree(R->tmp);
        return fail(J, REPORT_FAILED, "%s: cannot create it (%s)", R->final, strerror(e));
    }
    if (had) out_dir_remove_tree(old);
    return REPORT_OK;
}

/* Draw one figure of runs L[0..n-1] into sub/base and add it to the page.
** Runs to which the figure does not apply are left out (and named in the
** caption); nothing is drawn if none applies. */
static void report_figure(Report *R, const char *sub, const char *base, PlotKind kind, Loaded *const *L, int n,
                          PlotColor color)
{
    if (R->failed || stopped(R->J)) return;
    PlotOptions o = R->o;
    o.color = color;
    PlotRun pr[MAX_RUNS];
    Loaded *in[MAX_RUNS];
    int m = 0;
    char left_out[1024] = "";
    for (int i = 0; i < n; i++) {
        char why[256];
        if (plot_applies(kind, &L[i]->pr, &o, why, sizeof why) && m < PLOT_MAX_FILES / 4 &&
            (kind != PLOT_TRAJECTORIES || m < PLOT_MAX_TRAJ_RUNS)) {
            pr[m] = L[i]->pr;
            in[m++] = L[i];
        } else if (n > 1 && kind != PLOT_TRAINING) {
            fig_cat(left_out, sizeof left_out, "%s%s", left_out[0] ? ", " : "", L[i]->label);
        }
    }
    if (m == 0) return;
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", R->tmp, sub);
    if (make_dirs(dir) != 0) {
        fail(R->J, REPORT_FAILED, "%s: cannot create the folder (%s)", dir, strerror(errno));
        R->failed = 1;
        return;
    }
    PlotFiles files;
    if (draw(R->J, kind, pr, m, &o, dir, base, &files, R->J->err, sizeof R->J->err) != 0) {
        R->failed = 1;
        return;
    }
    R->n_figures++;
    char numbers[4096];
    caption_numbers(kind, in, m, &o, numbers, sizeof numbers);
    FILE *h = R->html;
    fprintf(h, "<figure id=\"%s-%s\">\n<a href=\"%s/%s\"><img src=\"%s/%s\" alt=\"", sub, base, sub, files.image, sub,
            files.image);
    html_esc(h, plot_kind_title(kind));
    fprintf(h, "\" loading=\"lazy\"></a>\n<figcaption><b>");
    html_esc(h, plot_kind_title(kind));
    fprintf(h, ".</b> ");
    html_esc(h, plot_kind_caption(kind));
    fprintf(h, " ");
    html_esc(h, numbers);
    if (left_out[0]) {
        fprintf(h, " Not drawn (no such data): ");
        html_esc(h, left_out);
        fprintf(h, ".");
    }
    fprintf(h, "<br><span class=\"files\">data: ");
    for (int i = 0; i < files.n_data; i++) {
        fprintf(h, "%s<a href=\"%s/", i ? ", " : "", sub);
        html_esc(h, files.data[i]);
        fprintf(h, "\">");
        html_esc(h, files.data[i]);
        fprintf(h, "</a>");
    }
    fprintf(h, "; script: <a href=\"%s/", sub);
    html_esc(h, files.gp);
    fprintf(h, "\">");
    html_esc(h, files.gp);
    fprintf(h, "</a> (edit, then <code>cd %s &amp;&amp; gnuplot ", sub);
    html_esc(h, files.gp);
    fprintf(h, "</code>)</span></figcaption>\n</figure>\n");
}

/* Every figure that applies to one run, into sub/. */
static void report_run_figures(Report *R, const char *sub, Loaded *L)
{
    Loaded *one[1] = { L };
    if (L->is_train) {
        report_figure(R, sub, "training", PLOT_TRAINING, one, 1, PLOT_COLOR_TRIAL);
        return;
    }
    for (int k = PLOT_CURVE; k < PLOT_N_KINDS; k++) {
        if (k == PLOT_TRAJECTORIES) {
            report_figure(R, sub, "trajectories", PLOT_TRAJECTORIES, one, 1, PLOT_COLOR_TRIAL);
            if (L->A.belief) report_figure(R, sub, "trajectories_belief", PLOT_TRAJECTORIES, one, 1, PLOT_COLOR_BELIEF);
            else report_figure(R, sub, "trajectories_p0", PLOT_TRAJECTORIES, one, 1, PLOT_COLOR_P0);
            continue;
        }
        report_figure(R, sub, plot_kind_name((PlotKind)k), (PlotKind)k, one, 1, PLOT_COLOR_TRIAL);
    }
}

/* The behavioural figures of several runs overlaid, into sub/ (kinds that apply to at least two of them,
** or to the only one). */
static void report_overlays(Report *R, const char *sub, Loaded *const *L, int n, int with_neural)
{
    for (int k = 0; k < PLOT_N_KINDS; k++) {
        PlotKind kind = (PlotKind)k;
        int neural = needs_activity(figure_kind(kind)->needs);
        if (neural && !with_neural) continue;
        int m = 0;
        for (int i = 0; i < n; i++) m += plot_applies(kind, &L[i]->pr, &R->o, NULL, 0);
        if (m == 0 || (!with_neural && m < 2 && n > 1)) continue;
        report_figure(R, sub, plot_kind_name(kind), kind, L, n, PLOT_COLOR_TRIAL);
    }
}

/* A heading for run L; with_id makes it the target of the runs table's link. */
static void html_section(FILE *h, const Loaded *L, const char *tag, int with_id)
{
    const RunRow *r = &L->row;
    fprintf(h, "<%s", tag);
    if (with_id) fprintf(h, " id=\"run%lld\"", (long long)r->run_id);
    fprintf(h, ">Run %lld: ", (long long)r->run_id);
    html_esc(h, r->kind);
    fprintf(h, " ");
    html_esc(h, r->kind[0] == 'i' ? r->name : r->agent);
    fprintf(h, " on ");
    html_esc(h, r->task);
    if (r->parent_run) fprintf(h, " (parent: run %lld)", (long long)r->parent_run);
    fprintf(h, "</%s>\n", tag);
}
static void html_footer_note(FILE *h, const char *db, const char *cmd, const char *version)
{
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(h, "<p>Drawn from <code>");
    html_esc(h, db);
    fprintf(h, "</code> by <code>");
    html_esc(h, cmd);
    fprintf(h, "</code> (metarl %s) on %s. Every figure has its data (<code>.dat</code>: whitespace-separated, "
               "a <code>#</code> header names the columns) and its gnuplot script (<code>.gp</code>) beside it; "
               "edit the script and run <code>gnuplot FILE.gp</code> in its folder to restyle it.</p>\n",
            version ? version : "", when);
}

/* ---- plot --------------------------------------------------------------------------------------------- */

/* With no run asked for, the newest that the figure can draw. */
static int plot_default_run(ReportJob *J, Store *s, PlotKind kind, Loaded *runs, int *n)
{
    int64_t id = kind == PLOT_TRAINING ? store_last_run(s, "train") : store_last_run(s, "test");
    if (!id && kind != PLOT_TRAINING) {   /* no test run: the newest run that is not a training */
        RunRow *all;
        int n_all;
        if (store_runs(s, &all, &n_all) == 0) {
            for (int i = n_all - 1; i >= 0 && !id; i--)
                if (strcmp(all[i].kind, "train")) id = all[i].run_id;
            store_runs_free(all, n_all);
        }
    }
    if (!id)
        return fail(J, REPORT_BAD_INPUT, "%s holds no %s run to draw (see `metarl info %s`)", J->db,
                    kind == PLOT_TRAINING ? "train" : "test, baseline or import", J->db);
    return add_run(J, s, runs, n, id);
}

/* regret: a test run brings the reference agents that played its instances. */
static int plot_add_baselines(ReportJob *J, Store *s, Loaded *runs, int *n)
{
    int n_given = *n, status = REPORT_OK;
    for (int i = 0; i < n_given && status == REPORT_OK; i++) {
        if (strcmp(runs[i].row.kind, "test")) continue;
        int64_t *kids = NULL;
        int n_kids = 0;
        if (store_children(s, runs[i].row.run_id, &kids, &n_kids) != 0)
            return fail(J, REPORT_FAILED, "%s", store_errmsg(s));
        for (int j = 0; j < n_kids && status == REPORT_OK; j++) {
            RunRow kid;
            if (store_run_get(s, kids[j], &kid) != 0) continue;
            int is_baseline = !strcmp(kid.kind, "baseline");
            store_run_clear(&kid);
            if (is_baseline) status = add_run(J, s, runs, n, kids[j]);
        }
        free(kids);
    }
    if (status != REPORT_OK) return status;
    if (*n > PLOT_MAX_FILES / 4)
        return fail(J, REPORT_BAD_INPUT, "regret: too many runs to overlay (%d; at most %d)", *n, PLOT_MAX_FILES / 4);
    return REPORT_OK;
}

/* Load and check each run: the figure must apply to it. */
static int plot_load(ReportJob *J, Store *s, PlotKind kind, Loaded *runs, int n, PlotRun *pr)
{
    const char *kind_name = plot_kind_name(kind);
    unsigned mask = kind_mask(kind, J->o.color);
    for (int i = 0; i < n; i++) {
        Loaded *L = &runs[i];
        int status;
        if (kind == PLOT_TRAINING && strcmp(L->row.kind, "train"))
            return fail(J, REPORT_BAD_INPUT, "training: run %lld is a %s run; the training curve belongs to a train run",
                        (long long)L->row.run_id, L->row.kind);
        if (kind != PLOT_TRAINING && !strcmp(L->row.kind, "train"))
            return fail(J, REPORT_BAD_INPUT, "%s: run %lld is a train run, which holds the training curve only "
                                             "(draw it with `metarl plot training`, or pick its test run)",
                        kind_name, (long long)L->row.run_id);
        if ((status = load_compute(J, s, L, mask, J->lags, 0.0)) != REPORT_OK) return status;
        L->pr.config = L->row.config;   /* `plot dose` reads the dose from it; reports leave it NULL */
        char why[256];
        if (!plot_applies(kind, &L->pr, &J->o, why, sizeof why))
            return fail(J, REPORT_BAD_INPUT, "%s: run %lld (%s) %s", kind_name, (long long)L->row.run_id, L->row.name,
                        why);
        pr[i] = L->pr;
    }
    return REPORT_OK;
}

/* Split J->out into J->dir and the base name; the image keeps the extension as spelled. */
static void plot_split_out(ReportJob *J, char *base, size_t n_base)
{
    const char *out = J->out, *slash = strrchr(out, '/');
    if (slash) snprintf(J->dir, sizeof J->dir, "%.*s", (int)(slash - out), out);
    else snprintf(J->dir, sizeof J->dir, ".");
    if (!J->dir[0]) snprintf(J->dir, sizeof J->dir, "/");
    snprintf(base, n_base, "%s", slash ? slash + 1 : out);
    char *dot = strrchr(base, '.');
    if (dot) *dot = '\0';
    J->o.image_ext = dot ? out + (slash ? (slash + 1 - out) : 0) + (dot - base) + 1 : NULL;
}

int report_plot(ReportJob *J, PlotKind kind)
{
    char err[2048];
    const char *kind_name = plot_kind_name(kind);
    J->err[0] = '\0';
    if (kind == PLOT_TRAJECTORIES && J->n_ids > PLOT_MAX_TRAJ_RUNS)
        return fail(J, REPORT_BAD_INPUT, "trajectories: at most %d runs side by side", PLOT_MAX_TRAJ_RUNS);
    Store *s = store_open(J->db, STORE_READ, err, sizeof err);
    if (!s) return fail(J, REPORT_BAD_INPUT, "%s", err);
    Loaded *runs = calloc(MAX_RUNS, sizeof *runs);
    PlotRun *pr = calloc(MAX_RUNS, sizeof *pr);
    int n = 0, status = REPORT_OK;
    if (!runs || !pr) {
        status = fail(J, REPORT_FAILED, "out of memory");
        goto done;
    }
    for (int i = 0; i < J->n_ids && status == REPORT_OK; i++) status = add_run(J, s, runs, &n, J->ids[i]);
    if (status == REPORT_OK && n == 0) status = plot_default_run(J, s, kind, runs, &n);
    if (status == REPORT_OK && kind == PLOT_REGRET) status = plot_add_baselines(J, s, runs, &n);
    if (status != REPORT_OK) goto done;
    if (n > PLOT_MAX_FILES / 4) {
        status = fail(J, REPORT_BAD_INPUT, "%s: too many runs to overlay (%d; at most %d)", kind_name, n,
                      PLOT_MAX_FILES / 4);
        goto done;
    }
    if ((status = plot_load(J, s, kind, runs, n, pr)) != REPORT_OK) goto done;
    /* everything checked: write */
    char base[1024];
    plot_split_out(J, base, sizeof base);
    if (make_dirs(J->dir) != 0) {
        status = fail(J, REPORT_FAILED, "%s: cannot create the folder (%s)", J->dir, strerror(errno));
        goto done;
    }
    if (draw(J, kind, pr, n, &J->o, J->dir, base, &J->files, J->err, sizeof J->err) != 0) status = REPORT_FAILED;
    J->n_runs = n;
done:
    for (int i = 0; runs && i < MAX_RUNS; i++) loaded_free(&runs[i]);
    free(runs);
    free(pr);
    store_close(s);
    return status;
}

/* ---- report and compare ------------------------------------------------------------------------------- */

/* Shared start of report and compare: the output folder must be new, empty or a report. */
static int report_setup(ReportJob *J, Report *R)
{
    memset(R, 0, sizeof *R);
    J->err[0] = '\0';
    R->J = J;
    R->o = J->o;
    int c = check_out_dir(J->out);
    if (c < 0) return fail(J, REPORT_BAD_INPUT, "-o %s: exists and is not a folder", J->out);
    if (c > 0)
        return fail(J, REPORT_BAD_INPUT, "-o %s: the folder exists and is not a metarl report; choose a new or empty folder",
                    J->out);
    snprintf(R->final, sizeof R->final, "%s", J->out);
    return REPORT_OK;
}

/* End of report and compare: the folder swapped into place, or removed. */
static int report_finish(Report *R, int status)
{
    ReportJob *J = R->J;
    if (stopped(J)) {
        report_close(R, 0);
        return REPORT_INTERRUPTED;
    }
    if (R->failed || status != REPORT_OK) {
        report_close(R, 0);
        return status == REPORT_OK ? REPORT_FAILED : status;
    }
    status = report_close(R, 1);
    snprintf(J->dir, sizeof J->dir, "%s", R->final);
    J->n_figures = R->n_figures;
    return status;
}

/* The runs drawn with run rows[i]: itself, and for a test run its baselines. 0 if rows[i]
** is a baseline that is drawn in its test's section. */
static int report_group(const RunRow *rows, int n_rows, int i, int64_t *ids)
{
    const RunRow *r = &rows[i];
    if (!strcmp(r->kind, "baseline") && r->parent_run)
        for (int j = 0; j < n_rows; j++)
            if (rows[j].run_id == r->parent_run && !strcmp(rows[j].kind, "test")) return 0;
    int n = 0;
    ids[n++] = r->run_id;
    if (!strcmp(r->kind, "test"))
        for (int j = 0; j < n_rows && n < MAX_RUNS; j++)
            if (rows[j].parent_run == r->run_id && !strcmp(rows[j].kind, "baseline")) ids[n++] = rows[j].run_id;
    return n;
}

/* The section of a test run and its reference agents (or of one run alone). */
static void report_section(Report *R, const RunRow *r, Loaded *const *grp, int n)
{
    FILE *h = R->html;
    int before = R->n_figures;
    char sub[64];
    if (n > 1) {
        fprintf(h, "<h2 id=\"run%lld\">Test run %lld (network on ", (long long)r->run_id, (long long)r->run_id);
        html_esc(h, r->task);
        fprintf(h, ", weights of run %lld) beside its reference agents</h2>\n", (long long)r->parent_run);
        fprintf(h, "<p>With weights frozen, the network played %d test episodes; the reference agents ", grp[0]->A.n_eps);
        for (int j = 1; j < n; j++) {
            fprintf(h, "%s", j == 1 ? "" : j == n - 1 ? " and " : ", ");
            html_esc(h, grp[j]->label);
        }
        fprintf(h, " played the same task instances with the same reward draws.</p>\n<h3>Side by side</h3>\n");
        snprintf(sub, sizeof sub, "run%lld_compare", (long long)r->run_id);
        report_overlays(R, sub, grp, n, 0);
    }
    for (int j = 0; j < n && !R->failed; j++) {
        html_section(h, grp[j], n > 1 ? "h3" : "h2", n == 1 || j > 0);
        html_key_numbers(h, grp[j]);
        snprintf(sub, sizeof sub, "run%lld", (long long)grp[j]->row.run_id);
        report_run_figures(R, sub, grp[j]);
    }
    if (!R->J->quiet)
        note(R->J, "report: run %lld%s: %d figure%s", (long long)r->run_id, n > 1 ? " and its reference agents" : "",
             R->n_figures - before, R->n_figures - before == 1 ? "" : "s");
}

/* Every run's section; REPORT_OK, or the status of a run that could not be loaded. */
static int report_sections(Report *R, Store *s, RunRow *rows, int n_rows, Loaded *L, const int64_t *skip, int n_skip)
{
    int status = REPORT_OK;
    for (int i = 0; i < n_rows && !R->failed && !stopped(R->J); i++) {
        int64_t ids[MAX_RUNS];
        int skipped = 0;
        for (int k = 0; k < n_skip; k++) skipped |= skip[k] == rows[i].run_id;
        int n = skipped ? 0 : report_group(rows, n_rows, i, ids);
        Loaded *grp[MAX_RUNS];
        memset(L, 0, (size_t)n * sizeof *L);
        if (n == 0) continue;
        int got = 0;
        for (; got < n && !stopped(R->J); got++) {
            if (store_run_get(s, ids[got], &L[got].row) != 0) {
                status = fail(R->J, REPORT_FAILED, "%s", store_errmsg(s));
                break;
            }
            grp[got] = &L[got];
            if ((status = load_compute(R->J, s, &L[got], RA_ALL & ~RA_RW_RECOVERY, R->J->lags, 0.0)) != REPORT_OK)
                break;
        }
        if (status == REPORT_OK && got == n) {
            fprintf(R->html, "<details>\n<summary>Run %lld: ", (long long)rows[i].run_id);
            html_esc(R->html, rows[i].kind);
            fprintf(R->html, " ");
            html_esc(R->html, rows[i].kind[0] == 'i' ? rows[i].name : rows[i].agent);
            fprintf(R->html, " on ");
            html_esc(R->html, rows[i].task);
            fprintf(R->html, "%s</summary>\n", n > 1 ? ", with its reference agents" : "");
            report_section(R, &rows[i], grp, n);
            fprintf(R->html, "</details>\n");
        }
        for (int j = 0; j < n; j++) loaded_free(&L[j]);
        if (status != REPORT_OK) R->failed = 1;
    }
    return status;
}

/* ---- the summary page and the questions -------------------------------------------------------- */

/* One row of the targets file (data/targets.tsv; its header says what the columns mean). */
typedef struct Target {
    char task[32], dist[32], metric[16], rel[4], what[256], source[256];
    double value;
} Target;

#define MAX_TARGETS 64

/* Read up to max rows of the targets file; their number, or -1 with a message in err. */
static int targets_read(const char *path, Target *t, int max, char *err, size_t n_err)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        snprintf(err, n_err, "%.4000s: cannot read it (%s)", path ? path : "(no targets file)", path ? strerror(errno) : "none given");
        return -1;
    }
    char line[1024];
    int n = 0, lineno = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#' || !strncmp(line, "task\t", 5)) continue;
        char *field[7], *p = line;
        int k = 0;
        for (; k < 7 && p; k++) {
            field[k] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
        char *end;
        double v = k == 7 ? strtod(field[4], &end) : 0;
        if (k != 7 || end == field[4] || *end || (strcmp(field[3], "<=") && strcmp(field[3], ">=") && strcmp(field[3], "="))) {
            fclose(f);
            snprintf(err, n_err, "%.4000s:%d: not task, dist, metric, relation (<=, >= or =), value, what, source", path, lineno);
            return -1;
        }
        Target *r = &t[n++];
        snprintf(r->task, sizeof r->task, "%s", field[0]);
        snprintf(r->dist, sizeof r->dist, "%s", field[1]);
        snprintf(r->metric, sizeof r->metric, "%s", field[2]);
        snprintf(r->rel, sizeof r->rel, "%s", field[3]);
        r->value = v;
        snprintf(r->what, sizeof r->what, "%s", field[5]);
        snprintf(r->source, sizeof r->source, "%s", field[6]);
    }
    fclose(f);
    return n;
}

/* The headline measure of a test: regret per episode on a bandit, P(better arm) on a task that reverses. */
static int headline_is_regret(const Loaded *L) { return !strcmp(L->row.task, "bandit") && L->A.summary.regret.n > 0; }

static const RunningMean *measure(const Loaded *L, int regret)
{
    return regret ? &L->A.summary.regret : &L->A.summary.p_best;
}

/* "2.402 ± 0.112" (3 digits), or "n/a". */
static void mean_pm(char *b, size_t nb, const RunningMean *m)
{
    b[0] = '\0';
    if (m->n == 0) snprintf(b, nb, "n/a");
    else fig_pm(b, nb, m->mean, moments_se(m), 3);
}

/* The table of the headline numbers: the network first, then each reference agent on the same instances. */
static void summary_table(FILE *h, Loaded *const *grp, int n, int regret)
{
    char b[128];
    fprintf(h, "<table>\n<tr><th>agent (run)</th><th>%s</th><th>%s</th><th>reward per trial</th></tr>\n",
            regret ? "<b>regret per episode</b>" : "regret per episode", regret ? "P(better arm)" : "<b>P(better arm)</b>");
    for (int i = 0; i < n; i++) {
        const Summary *s = &grp[i]->A.summary;
        fprintf(h, "<tr><td>%s", i == 0 ? "<b>" : "");
        html_esc(h, grp[i]->label);
        fprintf(h, "%s</td>", i == 0 ? "</b>" : "");
        const RunningMean *cols[3] = { &s->regret, &s->p_best, &s->reward_per_trial };
        for (int c = 0; c < 3; c++) {
            mean_pm(b, sizeof b, cols[c]);
            int bold = i == 0 && c == (regret ? 0 : 1);
            fprintf(h, "<td class=\"n\">%s%s%s</td>", bold ? "<b>" : "", b, bold ? "</b>" : "");
        }
        fprintf(h, "</tr>\n");
    }
    fprintf(h, "</table>\n<p>Mean ± SE over the test episodes; every agent played the same task instances with the "
               "same reward draws. Regret: the better arm's probability minus the chosen arm's, summed over an episode.</p>\n");
}

/* The targets file the report's summary quotes: $METARL_TARGETS, else data/targets.tsv beside the
** binary's folder (build/metarl -> data/targets.tsv), else data/targets.tsv of the working folder. */
static const char *targets_default(void)
{
    static char path[4096];
    const char *env = getenv("METARL_TARGETS");
    if (env && *env) return env;
    char exe[4000];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        for (int up = 0; up < 2; up++) {   /* build/metarl -> its folder's parent */
            char *slash = strrchr(exe, '/');
            if (slash) *slash = '\0';
        }
        snprintf(path, sizeof path, "%s/data/targets.tsv", exe);
        if (exe[0] && access(path, R_OK) == 0) return path;
    }
    return "data/targets.tsv";
}

/* The network's numbers beside the targets and measurements of J->targets that concern its task. */
static void summary_targets(FILE *h, const ReportJob *J, const Loaded *net)
{
    Target t[MAX_TARGETS];
    char err[4600];
    const char *path = J->targets ? J->targets : targets_default();
    fprintf(h, "<h3>Beside the targets and earlier measurements</h3>\n");
    int n = targets_read(path, t, MAX_TARGETS, err, sizeof err);
    if (n < 0) {
        fprintf(h, "<p class=\"warn\">No targets shown: ");
        html_esc(h, err);
        fprintf(h, ".</p>\n");
        return;
    }
    TaskFacts facts;
    const char *dist = task_facts_from_text(net->row.config, &facts, err, sizeof err) == 0 && facts.dist ? facts.dist : "-";
    int shown = 0;
    char b[128];
    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].task, net->row.task) || (strcmp(t[i].dist, "-") && strcmp(t[i].dist, dist))) continue;
        int regret = !strcmp(t[i].metric, "regret");
        const RunningMean *m = measure(net, regret);
        if (!shown++)
            fprintf(h, "<table>\n<tr><th>number</th><th>value</th><th>this test</th><th></th><th>source</th></tr>\n");
        fprintf(h, "<tr><td>");
        html_esc(h, t[i].what);
        fprintf(h, "</td><td class=\"n\">%s %s%.3f</td>", regret ? "regret" : "P(best)",
                t[i].rel[0] == '<' ? "≤ " : t[i].rel[0] == '>' ? "≥ " : "", t[i].value);
        mean_pm(b, sizeof b, m);
        fprintf(h, "<td class=\"n\">%s</td><td>", b);
        if (m->n && t[i].rel[0] != '=') {
            int met = t[i].rel[0] == '<' ? m->mean <= t[i].value : m->mean >= t[i].value;
            fprintf(h, "%s", met ? "met" : "<b>not met</b>");
        } else if (m->n) {
            fprintf(h, "%+.3f", m->mean - t[i].value);
        }
        fprintf(h, "</td><td>");
        html_esc(h, t[i].source);
        fprintf(h, "</td></tr>\n");
    }
    if (shown) fprintf(h, "</table>\n");
    else fprintf(h, "<p>No target or measurement concerns this task (%s, %s).</p>\n", net->row.task, dist);
    fprintf(h, "<p>Targets and measurements are read from <code>");
    html_esc(h, path);
    fprintf(h, "</code> (one row per number, with its source); one test's number is compared, while the measurements "
               "are medians over training seeds.</p>\n");
}

/* The summary page: the headline sentence, the table of agents, the targets, links to the questions. */
static void report_summary(Report *R, Loaded *const *grp, int n, const Loaded *train)
{
    FILE *h = R->html;
    const Loaded *net = grp[0];
    int regret = headline_is_regret(net);
    char b[128];
    fprintf(h, "<h2 id=\"summary\">Summary: the network's frozen-weight test, run %lld</h2>\n", (long long)net->row.run_id);
    mean_pm(b, sizeof b, measure(net, regret));
    fprintf(h, "<p class=\"headline\">The network (test run %lld, weights of train run %lld", (long long)net->row.run_id,
            (long long)net->row.parent_run);
    if (train) fprintf(h, " after %d training episodes", train->n_train);
    fprintf(h, ") played %d fresh ", net->A.n_eps);
    html_esc(h, net->row.task);
    fprintf(h, " episodes of %d trials with its weights frozen: <b>%s %s</b>", net->pr.trials_per_episode,
            regret ? "regret per episode" : "P(better arm)", b);
    for (int i = 1; i < n; i++) {
        mean_pm(b, sizeof b, measure(grp[i], regret));
        fprintf(h, "%s", i == 1 ? "; on the same instances " : i == n - 1 ? " and " : ", ");
        html_esc(h, grp[i]->row.agent);
        fprintf(h, " %s", b);
    }
    fprintf(h, ".</p>\n");
    summary_table(h, grp, n, regret);
    summary_targets(h, R->J, net);
    fprintf(h, "<h3>The questions</h3>\n<ol>\n<li><a href=\"#q-learn\">Does it learn within an episode?</a></li>\n"
               "<li><a href=\"#q-beat\">Does it beat the reference agents?</a></li>\n"
               "<li><a href=\"#q-reversal\">Does it adapt after reversals?</a></li>\n"
               "<li><a href=\"#q-activity\">What does its activity encode?</a></li>\n"
               "<li><a href=\"#others\">The reference agents' own figures and the other runs</a></li>\n</ol>\n");
}

/* Figures of the kinds given for runs grp (overlaid), into sub/; the number drawn. */
static int report_kinds(Report *R, const char *sub, Loaded *const *grp, int n, const PlotKind *kinds, int nk)
{
    int before = R->n_figures;
    for (int k = 0; k < nk; k++) {
        if (kinds[k] == PLOT_TRAJECTORIES) {
            report_figure(R, sub, "trajectories", PLOT_TRAJECTORIES, grp, 1, PLOT_COLOR_TRIAL);
            if (grp[0]->A.belief) report_figure(R, sub, "trajectories_belief", PLOT_TRAJECTORIES, grp, 1, PLOT_COLOR_BELIEF);
            else report_figure(R, sub, "trajectories_p0", PLOT_TRAJECTORIES, grp, 1, PLOT_COLOR_P0);
            continue;
        }
        report_figure(R, sub, plot_kind_name(kinds[k]), kinds[k], grp, n, PLOT_COLOR_TRIAL);
    }
    return R->n_figures - before;
}

/* Question 1's short answer: the network's P(better arm) over the first and the last five trials. */
static void answer_learn(FILE *h, const Loaded *net)
{
    const BehaviorCurves *c = net->A.curves;
    if (!c || c->n_trials < 10) return;
    double first = 0, last = 0;
    int nf = 0, nl = 0;
    for (int t = 0; t < 5; t++) {
        if (c->n_best[t] > 0 && isfinite(c->best_mean[t])) first += c->best_mean[t], nf++;
        int u = c->n_trials - 1 - t;
        if (c->n_best[u] > 0 && isfinite(c->best_mean[u])) last += c->best_mean[u], nl++;
    }
    if (!nf || !nl) return;
    fprintf(h, "<p><b>In short:</b> the network chose the better arm with P = %.3f over the first five trials and "
               "%.3f over the last five (of %d).</p>\n", first / nf, last / nl, c->n_trials);
}

/* Question 2's short answer: the reference agents the network does better and worse than. */
static void answer_beat(FILE *h, Loaded *const *grp, int n)
{
    int regret = headline_is_regret(grp[0]);
    const RunningMean *m0 = measure(grp[0], regret);
    if (n < 2 || m0->n == 0) return;
    char better[1024] = "", worse[1024] = "", b[128];
    for (int i = 1; i < n; i++) {
        const RunningMean *m = measure(grp[i], regret);
        if (m->n == 0) continue;
        int wins = regret ? m0->mean < m->mean : m0->mean > m->mean;
        fig_cat(wins ? better : worse, sizeof better, "%s%s (%.3f)", (wins ? better : worse)[0] ? ", " : "",
                grp[i]->row.agent, m->mean);
    }
    mean_pm(b, sizeof b, m0);
    fprintf(h, "<p><b>In short:</b> the network's %s, %s, is %s ", regret ? "regret per episode" : "P(better arm)", b,
            regret ? "below" : "above");
    fprintf(h, "%s", better[0] ? "" : "none of the reference agents'");
    html_esc(h, better);
    if (worse[0]) {
        fprintf(h, " and %s ", regret ? "above" : "below");
        html_esc(h, worse);
    }
    fprintf(h, " on the same instances (± SE over episodes; the paired differences are tighter).</p>\n");
}

/* One section per question about the network's test grp[0] (its reference agents grp[1..n-1], its
** training run train or NULL); then the reference agents' own figures, folded. */
static void report_questions(Report *R, Loaded *const *grp, int n, Loaded *train)
{
    FILE *h = R->html;
    char cmp[64], own[64];
    snprintf(cmp, sizeof cmp, "run%lld_compare", (long long)grp[0]->row.run_id);
    snprintf(own, sizeof own, "run%lld", (long long)grp[0]->row.run_id);
    static const PlotKind learn[] = { PLOT_CURVE, PLOT_STAY, PLOT_REGRESSION, PLOT_RW };
    static const PlotKind beat[] = { PLOT_REGRET };
    static const PlotKind rev[] = { PLOT_REVERSAL, PLOT_VOLATILITY };
    static const PlotKind act[] = { PLOT_PCA,         PLOT_TRAJECTORIES, PLOT_DECODING,  PLOT_SELECTIVITY,
                                    PLOT_RPE,         PLOT_PERI_CHOICE,  PLOT_PERI_OUTCOME, PLOT_STEPS_PCA };
    fprintf(h, "<h2 id=\"q-learn\">1. Does it learn within an episode?</h2>\n<p>With its weights frozen, whatever "
               "improves over an episode's trials is learnt in its recurrent activity. The network is drawn beside "
               "its reference agents.</p>\n");
    answer_learn(h, grp[0]);
    report_kinds(R, cmp, grp, n, learn, 4);
    if (train) {
        fprintf(h, "<h3 id=\"run%lld\">How it was meta-trained (train run %lld)</h3>\n", (long long)train->row.run_id,
                (long long)train->row.run_id);
        html_key_numbers(h, train);
        snprintf(own, sizeof own, "run%lld", (long long)train->row.run_id);
        report_run_figures(R, own, train);
        snprintf(own, sizeof own, "run%lld", (long long)grp[0]->row.run_id);
    }
    fprintf(h, "<h2 id=\"q-beat\">2. Does it beat the reference agents?</h2>\n");
    answer_beat(h, grp, n);
    if (!report_kinds(R, cmp, grp, n, beat, 1))
        fprintf(h, "<p>No regret figure: the runs hold no task truth. See the summary's table.</p>\n");
    fprintf(h, "<h3 id=\"run%lld\">The network's key numbers (test run %lld)</h3>\n", (long long)grp[0]->row.run_id,
            (long long)grp[0]->row.run_id);
    html_key_numbers(h, grp[0]);
    fprintf(h, "<h2 id=\"q-reversal\">3. Does it adapt after reversals?</h2>\n");
    if (!report_kinds(R, cmp, grp, n, rev, 2)) {
        fprintf(h, "<p>Not asked of this test: its task (");
        html_esc(h, grp[0]->row.task);
        fprintf(h, ") has no reversals. A network trained and tested on the reversal task (data/configs/reversal.ini) "
                   "answers it.</p>\n");
    }
    fprintf(h, "<h2 id=\"q-activity\">4. What does its activity encode?</h2>\n");
    if (!report_kinds(R, own, grp, 1, act, (int)(sizeof act / sizeof *act)))
        fprintf(h, "<p>The test stored no unit rates, so its activity cannot be analysed.</p>\n");
    if (n > 1) {
        fprintf(h, "<h2 id=\"others\">The reference agents' own figures and the other runs</h2>\n");
        for (int j = 1; j < n && !R->failed; j++) {
            fprintf(h, "<details>\n<summary>");
            html_esc(h, grp[j]->label);
            fprintf(h, ": every figure of this reference agent</summary>\n");
            html_section(h, grp[j], "h3", 1);
            html_key_numbers(h, grp[j]);
            char sub[64];
            snprintf(sub, sizeof sub, "run%lld", (long long)grp[j]->row.run_id);
            report_run_figures(R, sub, grp[j]);
            fprintf(h, "</details>\n");
        }
    }
}

/* The headline test: the newest test run of the store (0 if none). */
static int64_t headline_test(const RunRow *rows, int n_rows)
{
    int64_t id = 0;
    for (int i = 0; i < n_rows; i++)
        if (!strcmp(rows[i].kind, "test") && rows[i].run_id > id) id = rows[i].run_id;
    return id;
}

/* Load run id into L (all its analyses); REPORT_OK or a status with J->err. */
static int load_one(Report *R, Store *s, Loaded *L, int64_t id)
{
    memset(L, 0, sizeof *L);
    if (store_run_get(s, id, &L->row) != 0) return fail(R->J, REPORT_FAILED, "%s", store_errmsg(s));
    return load_compute(R->J, s, L, RA_ALL & ~RA_RW_RECOVERY, R->J->lags, 0.0);
}

/* The summary and the questions of test run `test`; its group's ids (and its train run's) in *done. */
static int report_headline(Report *R, Store *s, const RunRow *rows, int n_rows, int64_t test, Loaded *L,
                           int64_t *done, int *n_done)
{
    int64_t ids[MAX_RUNS];
    int at = -1;
    for (int i = 0; i < n_rows; i++)
        if (rows[i].run_id == test) at = i;
    int n = report_group(rows, n_rows, at, ids), status = REPORT_OK, got = 0;
    Loaded *grp[MAX_RUNS], train, *tr = NULL;
    memset(&train, 0, sizeof train);
    for (; got < n && status == REPORT_OK && !stopped(R->J); got++) {
        grp[got] = &L[got];
        status = load_one(R, s, &L[got], ids[got]);
        done[(*n_done)++] = ids[got];
    }
    int64_t parent = L[0].row.parent_run;
    for (int i = 0; i < n_rows && status == REPORT_OK && parent; i++)
        if (rows[i].run_id == parent && !strcmp(rows[i].kind, "train")) {
            status = load_one(R, s, &train, parent);
            tr = &train;
            done[(*n_done)++] = parent;
        }
    if (status == REPORT_OK && got == n && !stopped(R->J)) {
        report_summary(R, grp, n, tr);
        report_questions(R, grp, n, tr);
        if (!R->J->quiet) note(R->J, "report: test run %lld, its reference agents and training: %d figures", (long long)test, R->n_figures);
    }
    for (int j = 0; j < got; j++) loaded_free(&L[j]);
    loaded_free(&train);
    if (status != REPORT_OK) R->failed = 1;
    return status;
}

int report_write(ReportJob *J)
{
    char err[2048];
    Report R;
    if (report_setup(J, &R) != REPORT_OK) return REPORT_BAD_INPUT;
    Store *s = store_open(J->db, STORE_READ, err, sizeof err);
    if (!s) return fail(J, REPORT_BAD_INPUT, "%s", err);
    RunRow *rows = NULL;
    int n_rows = 0, status = REPORT_OK;
    Loaded *L = NULL;
    if (store_runs(s, &rows, &n_rows) != 0) {
        status = fail(J, REPORT_BAD_INPUT, "%s", store_errmsg(s));
        goto done;
    }
    if (n_rows == 0) {
        status = fail(J, REPORT_BAD_INPUT, "%s: the database holds no runs", J->db);
        goto done;
    }
    if (!(L = calloc(MAX_RUNS, sizeof *L))) {
        status = fail(J, REPORT_FAILED, "out of memory");
        goto done;
    }
    if ((status = report_open(&R)) != REPORT_OK) goto done;
    FILE *h = R.html;
    char title[4400];
    snprintf(title, sizeof title, "metarl report: %s", J->db);
    html_begin(h, title, "report");
    int64_t done[MAX_RUNS + 1], test = headline_test(rows, n_rows);
    int n_done = 0;
    if (test) {
        status = report_headline(&R, s, rows, n_rows, test, L, done, &n_done);
    } else {
        fprintf(h, "<h2 id=\"summary\">Summary</h2>\n<p class=\"warn\">This store holds no test run, so there is no "
                   "network result to lead with: train a network (<code>metarl train</code>), then test it with frozen "
                   "weights beside the reference agents (<code>metarl test</code>). Every run's figures follow.</p>\n");
    }
    if (status == REPORT_OK && n_done < n_rows) {
        if (!test) fprintf(h, "<h2 id=\"others\">The runs</h2>\n");
        else fprintf(h, "<h2 id=\"other-runs\">Other runs in the store</h2>\n");
        fprintf(h, "<p>Each run's figures (a test run beside the reference agents that played its very task "
                   "instances); open a run to see them.</p>\n");
        status = report_sections(&R, s, rows, n_rows, L, done, n_done);
    }
    fprintf(h, "<h2 id=\"runs\">All runs (%d)</h2>\n", n_rows);
    html_runs(h, rows, n_rows);
    html_footer_note(h, J->db, J->o.command ? J->o.command : "", J->version);
    J->n_runs = n_rows;
    status = report_finish(&R, status);
    if (status == REPORT_INTERRUPTED) fail(J, status, "interrupted; %s left as it was", R.final);
done:
    free(L);
    if (rows) store_runs_free(rows, n_rows);
    store_close(s);
    return status;
}

/* Runs that differ in task or trials per episode share the figures' axes only loosely: say so, naming
** the first run and each run that differs from it (into b; empty if all agree). */
static void compare_mismatch(Loaded *const *L, int n, char *b, size_t nb)
{
    b[0] = '\0';
    const Loaded *a = L[0];
    for (int i = 1; i < n; i++) {
        const Loaded *c = L[i];
        int task = strcmp(a->row.task, c->row.task) != 0;
        int trials = a->pr.trials_per_episode > 0 && c->pr.trials_per_episode > 0 &&
                     a->pr.trials_per_episode != c->pr.trials_per_episode;
        if (!task && !trials) continue;
        fig_cat(b, nb, "%s%s is %s with %d trials per episode, %s is %s with %d", b[0] ? "; " : "", a->label,
                a->row.task, a->pr.trials_per_episode, c->label, c->row.task, c->pr.trials_per_episode);
    }
}

int report_compare(ReportJob *J)
{
    char err[2048];
    Report R;
    if (report_setup(J, &R) != REPORT_OK) return REPORT_BAD_INPUT;
    if (J->n_ids < 2) return fail(J, REPORT_BAD_INPUT, "`metarl compare` needs at least two --run (see `metarl info`)");
    if (J->n_ids > PLOT_MAX_FILES / 4) return fail(J, REPORT_BAD_INPUT, "compare: at most %d runs", PLOT_MAX_FILES / 4);
    Store *s = store_open(J->db, STORE_READ, err, sizeof err);
    if (!s) return fail(J, REPORT_BAD_INPUT, "%s", err);
    int status = REPORT_OK, n = 0;
    Loaded *L = calloc(MAX_RUNS, sizeof *L);
    Loaded *grp[MAX_RUNS];
    if (!L) {
        status = fail(J, REPORT_FAILED, "out of memory");
        goto done;
    }
    for (int i = 0; i < J->n_ids && status == REPORT_OK; i++) status = add_run(J, s, L, &n, J->ids[i]);
    if (status != REPORT_OK) goto done;
    if (n < 2) {
        status = fail(J, REPORT_BAD_INPUT, "`metarl compare` needs at least two different runs");
        goto done;
    }
    for (int i = 0; i < n && status == REPORT_OK; i++) {
        grp[i] = &L[i];
        status = load_compute(J, s, &L[i], RA_ALL & ~RA_RW_RECOVERY, J->lags, 0.0);
    }
    if (status != REPORT_OK) goto done;
    char mismatch[2048];
    compare_mismatch(grp, n, mismatch, sizeof mismatch);
    if (mismatch[0])
        note(J, "compare: warning: the runs differ in task or trials (%s); their figures share axes but not the "
                "same task", mismatch);
    if ((status = report_open(&R)) != REPORT_OK) goto done;
    FILE *h = R.html;
    char title[1024] = "metarl compare: runs";
    for (int i = 0; i < n; i++)
        fig_cat(title, sizeof title, "%s %lld", i == 0 ? "" : i == n - 1 ? " and" : ",", (long long)L[i].row.run_id);
    html_begin(h, title, "compare");
    fprintf(h, "<p>The figures of the runs below, overlaid (one colour per run, in this order). A figure leaves "
               "out the runs that lack its data and says so.</p>\n");
    if (mismatch[0]) {
        fprintf(h, "<p class=\"warn\"><b>Warning: the runs differ in task or trials.</b> ");
        html_esc(h, mismatch);
        fprintf(h, ". Curves over trials and regret are not on the same task; read them side by side with care.</p>\n");
    }
    fprintf(h, "<h2>Runs</h2>\n");
    RunRow rows[MAX_RUNS];
    for (int i = 0; i < n; i++) rows[i] = L[i].row;
    html_runs(h, rows, n);
    for (int i = 0; i < n; i++) {
        html_section(h, &L[i], "h3", 1);
        html_key_numbers(h, &L[i]);
    }
    fprintf(h, "<h2>Figures</h2>\n");
    report_overlays(&R, "figures", grp, n, 1);
    html_footer_note(h, J->db, J->o.command ? J->o.command : "", J->version);
    J->n_runs = n;
    status = report_finish(&R, REPORT_OK);
done:
    for (int i = 0; L && i < n; i++) loaded_free(&L[i]);
    free(L);
    store_close(s);
    return status;
}
