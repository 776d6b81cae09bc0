/* jobs/experiment_write.c: what an experiment writes (see experiment.h):
** the verdict against its target, results.tsv, summary.md and the figures
** (drawn by analysis/report.h's report_plot from the store). Called by
** experiment_run() on a temporary folder that is renamed into place after.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/report.h"
#include "jobs/experiment.h"
#include "jobs/run_util.h"

#define FIG_MAX_RUNS 12   /* report_plot overlays at most PLOT_MAX_FILES / 4 runs */

static int metric_index(const ExperimentResult *r, const char *name)
{
    for (int m = 0; m < r->n_metrics; m++)
        if (!strcmp(r->e->metrics[m], name)) return m;
    return -1;
}

static const ExperimentAgent *agent_named(const ExperimentResult *r, const char *name)
{
    for (int a = 0; a < r->n_agents; a++)
        if (!strcmp(r->agents[a].agent, name)) return &r->agents[a];
    return NULL;
}

static const PublishedRow *published_row(const PublishedRow *pub, int n, const char *ref, const char *metric)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(pub[i].reference, ref) && !strcmp(pub[i].metric, metric)) return &pub[i];
    return NULL;
}

void experiment_judge(ExperimentResult *r, const PublishedRow *pub, int n_pub)
{
    const Experiment *e = r->e;
    const ExperimentTarget *t = &e->target;
    const ExperimentMetric *M = experiment_metric(e->metrics[0]);
    const PublishedRow *p = published_row(pub, n_pub, t->reference, M->name);
    double med = r->agents[0].median[0];
    char what[256];
    if (!p || isnan(med)) {
        r->reproduced = -1;
        snprintf(r->verdict, sizeof r->verdict, "**Signature reproduced: cannot tell** (%s)",
                 p ? "the network has no value of the metric" : "no reference number in data/published/experiments.tsv");
        return;
    }
    if (t->kind == TARGET_BELOW) {
        r->reproduced = med < p->value;
        snprintf(what, sizeof what, "below %s's %.4g", p->reference, p->value);
    } else if (t->kind == TARGET_WITHIN) {
        r->reproduced = fabs(med - p->value) <= t->tol;
        snprintf(what, sizeof what, "within %.4g of %s's %.4g", t->tol, p->reference, p->value);
    } else {
        r->reproduced = med >= p->value;
        snprintf(what, sizeof what, "at least %s's %.4g", p->reference, p->value);
    }
    snprintf(r->verdict, sizeof r->verdict,
             "**Signature reproduced: %s.** Median %s %.4g over %d seed%s (range %.4g to %.4g); target: %s "
             "(its source: the target row of the table below).",
             r->reproduced ? "yes" : "no", M->name, med, r->n_seeds, r->n_seeds == 1 ? "" : "s", r->agents[0].min[0],
             r->agents[0].max[0], what);
}

static void num(FILE *f, double v)
{
    if (isnan(v)) fputs("NaN", f);
    else fprintf(f, "%.6g", v);
}

/* One row per agent and metric: median, min, max, then one column per seed. */
static int write_tsv(const ExperimentResult *r, const char *dir, char *err, size_t n_err)
{
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/results.tsv", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, n_err, "%s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "agent\tmetric\tmedian\tmin\tmax\tseeds");
    for (int k = 0; k < r->n_seeds; k++) fprintf(f, "\tseed%ld", r->seed[k]);
    fputc('\n', f);
    for (int a = 0; a < r->n_agents; a++) {
        const ExperimentAgent *A = &r->agents[a];
        for (int m = 0; m < r->n_metrics; m++) {
            int n = 0;
            for (int k = 0; k < r->n_seeds; k++) n += !isnan(A->v[m][k]);
            fprintf(f, "%s\t%s\t", A->agent, r->e->metrics[m]);
            num(f, A->median[m]);
            fputc('\t', f);
            num(f, A->min[m]);
            fputc('\t', f);
            num(f, A->max[m]);
            fprintf(f, "\t%d", n);
            for (int k = 0; k < r->n_seeds; k++) {
                fputc('\t', f);
                num(f, A->v[m][k]);
            }
            fputc('\n', f);
        }
    }
    if (fclose(f) != 0) {
        snprintf(err, n_err, "%s: write failed (%s)", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The runs a figure of `kind` draws: training: every seed's training run;
** regret: the first seed's test (report_plot adds its reference agents);
** the unit-rate figures (selectivity, ...): every seed's test; others:
** every seed's test, then the first seed's reference agents. */
static int figure_runs(const ExperimentResult *r, const char *kind, int64_t *ids)
{
    int n = 0;
    if (!strcmp(kind, "training")) {
        for (int k = 0; k < r->n_seeds && n < FIG_MAX_RUNS; k++) ids[n++] = r->train_run[k];
        return n;
    }
    if (!strcmp(kind, "regret")) {
        ids[n++] = r->test_run[0];
        return n;
    }
    for (int k = 0; k < r->n_seeds && n < FIG_MAX_RUNS / 2; k++) ids[n++] = r->test_run[k];
    static const char *const rates_only[] = { "selectivity", "pca", "trajectories", "decoding", NULL };
    for (int i = 0; rates_only[i]; i++)
        if (!strcmp(kind, rates_only[i])) return n;   /* unit rates: the network's test runs only */
    char err[512];
    Store *st = store_open(r->db, STORE_READ, err, sizeof err);
    int64_t *kids = NULL;
    int n_kids = 0;
    if (st && store_children(st, r->test_run[0], &kids, &n_kids) == 0)
        for (int j = 0; j < n_kids && n < FIG_MAX_RUNS; j++) {
            RunRow kid;
            int skip = 0;   /* the RPE figures: only agents with a value (not wsls, random) */
            if ((!strcmp(kind, "inferred") || !strcmp(kind, "rpe")) && store_run_get(st, kids[j], &kid) == 0) {
                skip = kid.agent && (!strcmp(kid.agent, "wsls") || !strcmp(kid.agent, "random"));
                store_run_clear(&kid);
            }
            if (!skip) ids[n++] = kids[j];
        }
    free(kids);
    store_close(st);
    return n;
}

/* figures/KIND.png (with its .gp and .dat files) for every kind the experiment names. */
static int write_figures(const ExperimentResult *r, const ExperimentSettings *s, const char *dir, FILE *md,
                         char *err, size_t n_err)
{
    char kinds[256], fig[4200];
    snprintf(kinds, sizeof kinds, "%s", r->e->figures);
    snprintf(fig, sizeof fig, "%.4000s/figures", dir);
    if (mkdir(fig, 0777) != 0) {
        snprintf(err, n_err, "%s: cannot create (%s)", fig, strerror(errno));
        return -1;
    }
    fprintf(md, "\n## Figures\n\n");
    for (char *save = NULL, *k = strtok_r(kinds, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int kind = plot_kind_lookup(k);
        if (kind < 0) {
            snprintf(err, n_err, "experiment %s: unknown figure kind '%s'", r->e->name, k);
            return -1;
        }
        int64_t ids[FIG_MAX_RUNS];
        int n = figure_runs(r, k, ids);
        ReportJob *J = calloc(1, sizeof *J);
        if (!J) {
            snprintf(err, n_err, "out of memory");
            return -1;
        }
        snprintf(fig, sizeof fig, "%.4000s/figures/%s.png", dir, k);
        J->db = r->db;
        J->out = fig;
        J->ids = ids;
        J->n_ids = n;
        J->lags = 5;
        J->quiet = 1;
        J->version = s->version;
        J->stop = s->stop;
        plot_options_default(&J->o);
        J->o.format = PLOT_PNG;
        int rc = report_plot(J, (PlotKind)kind);
        if (rc != REPORT_OK) {
            snprintf(err, n_err, "figure %s: %.1900s", k, J->err);
            free(J);
            return -1;
        }
        fprintf(md, "- %s: ![%s](figures/%s.png) (runs", plot_kind_title((PlotKind)kind), k, k);
        for (int i = 0; i < J->n_runs && i < n; i++) fprintf(md, " %lld", (long long)ids[i]);
        fprintf(md, "%s; redraw with `cd figures && gnuplot %s.gp`)\n", J->n_runs > n ? " and their references" : "", k);
        free(J);
    }
    return 0;
}

/* The comparison table: every published row of the experiment beside what was measured. */
static void write_comparison(const ExperimentResult *r, FILE *md, const PublishedRow *pub, int n_pub)
{
    fprintf(md, "\n## Measured against published and reference numbers\n\n"
                "| reference | metric | measured: median [min, max] over %d seed%s | published / reference | source |\n"
                "|---|---|---|---|---|\n", r->n_seeds, r->n_seeds == 1 ? "" : "s");
    for (int i = 0; i < n_pub; i++) {
        const PublishedRow *p = &pub[i];
        const ExperimentAgent *A = agent_named(r, p->reference);
        int m = metric_index(r, p->metric);
        /* a row that names no agent run here (a target, a paper's network, people) is set beside the network */
        const char *vs = "";
        if (!A && (A = agent_named(r, "network"))) vs = "network: ";
        fprintf(md, "| %s | %s | ", p->reference, p->metric);
        if (A && m >= 0 && !isnan(A->median[m]))
            fprintf(md, "%s%.4g [%.4g, %.4g]", vs, A->median[m], A->min[m], A->max[m]);
        else
            fprintf(md, "not measured here");
        fprintf(md, " | %.4g | %s |\n", p->value, p->source);
    }
    fprintf(md, "\nEvery agent measured (on the same test instances as the network; per seed in results.tsv):\n\n"
                "| agent |");
    for (int m = 0; m < r->n_metrics; m++) fprintf(md, " %s |", r->e->metrics[m]);
    fprintf(md, "\n|---|");
    for (int m = 0; m < r->n_metrics; m++) fprintf(md, "---|");
    fputc('\n', md);
    for (int a = 0; a < r->n_agents; a++) {
        fprintf(md, "| %s |", r->agents[a].agent);
        for (int m = 0; m < r->n_metrics; m++) {
            if (isnan(r->agents[a].median[m])) fprintf(md, " - |");   /* a metric this agent has no value for */
            else fprintf(md, " %.4g [%.4g, %.4g] |", r->agents[a].median[m], r->agents[a].min[m], r->agents[a].max[m]);
        }
        fputc('\n', md);
    }
}

int experiment_write(const ExperimentResult *r, const ExperimentSettings *s, const char *dir, char *err,
                     size_t n_err)
{
    const Experiment *e = r->e;
    PublishedRow pub[64];
    int n_pub = experiment_published(e->name, pub, 64, err, n_err);
    if (n_pub < 0 || write_tsv(r, dir, err, n_err) != 0) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/summary.md", dir);
    FILE *md = fopen(path, "w");
    if (!md) {
        snprintf(err, n_err, "%s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(md, "# Experiment %s: %s\n\n%s\n", e->name, e->summary, r->verdict);
    if (s->quick)
        fprintf(md, "\n*--quick: a small version (%ld episodes, %d units, %ld test episodes) for tests and CI; its "
                    "numbers are not the result.*\n", e->quick_episodes, e->quick_hidden, e->quick_test_episodes);
    write_comparison(r, md, pub, n_pub);
    fprintf(md, "\n## Runs\n\nconfig %s%s; store %s; seeds", e->config, s->quick ? " with --quick" : "", r->db);
    for (int k = 0; k < r->n_seeds; k++)
        fprintf(md, " %ld (train run %lld, test run %lld)%s", r->seed[k], (long long)r->train_run[k],
                (long long)r->test_run[k], k + 1 < r->n_seeds ? "," : "");
    fprintf(md, ".\nReproduce: `metarl experiment %s%s --seeds %d --db %s`\n", e->name, s->quick ? " --quick" : "",
            r->n_seeds, r->db);
    int rc = write_figures(r, s, dir, md, err, n_err);
    if (fclose(md) != 0 && rc == 0) {
        snprintf(err, n_err, "%s: write failed (%s)", path, strerror(errno));
        rc = -1;
    }
    return rc;
}
