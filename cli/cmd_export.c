/* cli/cmd_export.c: `metarl export`: a run's trials for other tools.
**
** Three layouts: csv (every stored trial column; arms are 0 and 1 in
** action/p0/p1/prob0/prob1, and `choice` is the action + 1 for tools that
** count from 1), hbayesdm (bandit2arm: subjID trial choice outcome) and
** activity (one row per trial and unit rate). --output is written to a
** temporary file renamed at the end, and never over the store it reads.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#include "core/files.h"

static const CmdFlag export_flags[] = {
    { "run", "ID|NAME", "run to export, by id or name (default: the newest run)" },
    { "format", "csv|hbayesdm|activity", "csv: every trial column; hbayesdm: subjID trial choice outcome "
                                          "(tab-separated); activity: one row per trial and unit rate (default: csv)" },
    { "output", "FILE", "write here (atomically: a temporary file renamed at the end; default: stdout)" },
    { NULL, NULL, NULL }
};

static void put_num(FILE *f, double v)
{
    if (!isnan(v)) fprintf(f, "%.10g", v);
}

static void put_int(FILE *f, int v)
{
    if (v >= 0) fprintf(f, "%d", v);
}

static void subject_of(const EpisodeRecord *e, int episode, char *out, size_t n)
{
    if (e->subject[0]) snprintf(out, n, "%s", e->subject);
    else snprintf(out, n, "%d", episode + 1);
}

static void write_csv(FILE *f, int64_t run, EpisodeRecord **eps, int n)
{
    fprintf(f, "run,episode,subject,t,trial,action,choice,reward,p0,p1,best,block,since_reversal,"
               "prob0,prob1,value,rpe\n");
    for (int i = 0; i < n; i++) {
        const EpisodeRecord *e = eps[i];
        char subject[80];
        subject_of(e, i, subject, sizeof subject);
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            fprintf(f, "%lld,%d,%s,%d,%d,", (long long)run, i, subject, t, t + 1);
            put_int(f, tr->action);
            fputc(',', f);
            if (tr->action >= 0) fprintf(f, "%d", tr->action + 1);
            fputc(',', f);
            put_num(f, tr->action >= 0 ? tr->reward : NAN);
            fputc(',', f);
            put_num(f, tr->truth.p[0]);
            fputc(',', f);
            put_num(f, tr->truth.p[1]);
            fputc(',', f);
            put_int(f, tr->truth.best);
            fputc(',', f);
            put_int(f, tr->truth.block);
            fputc(',', f);
            put_int(f, tr->truth.since_reversal);
            fputc(',', f);
            put_num(f, tr->probs[0]);
            fputc(',', f);
            put_num(f, tr->probs[1]);
            fputc(',', f);
            put_num(f, tr->value);
            fputc(',', f);
            put_num(f, tr->rpe);
            fputc('\n', f);
        }
    }
}

/* hBayesDM's bandit2arm layout: choice 1/2, outcome 1 (reward) or -1; missed
** trials are left out, as hBayesDM takes no missing values. */
static void write_hbayesdm(FILE *f, EpisodeRecord **eps, int n)
{
    fprintf(f, "subjID\ttrial\tchoice\toutcome\n");
    for (int i = 0; i < n; i++) {
        const EpisodeRecord *e = eps[i];
        char subject[80];
        subject_of(e, i, subject, sizeof subject);
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (tr->action < 0) continue;
            fprintf(f, "%s\t%d\t%d\t%d\n", subject, t + 1, tr->action + 1, tr->reward > 0 ? 1 : -1);
        }
    }
}

static void write_activity(FILE *f, int64_t run, EpisodeRecord **eps, int n)
{
    fprintf(f, "run,episode,t,module,unit,rate\n");
    for (int i = 0; i < n; i++) {
        const EpisodeRecord *e = eps[i];
        for (int t = 0; t < e->n_trials; t++)
            for (int u = 0; u < e->n_units; u++)
                fprintf(f, "%lld,%d,%d,%s,%d,%.9g\n", (long long)run, i, t, u < e->n_pfc ? "pfc" : "striatum",
                        u < e->n_pfc ? u : u - e->n_pfc, (double)e->activity[(size_t)t * e->n_units + u]);
    }
}

static int export_run(CmdArgs *a)
{
    char err[1024];
    const char *format = arg_flag(a, "format");
    if (!format) format = "csv";
    if (strcmp(format, "csv") && strcmp(format, "hbayesdm") && strcmp(format, "activity"))
        return cli_fail(EXIT_USAGE, "--format: unknown format '%s' (expected csv, hbayesdm or activity)", format);
    int64_t run = 0;
    if (arg_has(a, "run") && arg_run_id(a, arg_flag(a, "run"), &run) != EXIT_OK) return EXIT_USAGE;
    Store *s = store_open(a->pos[0], STORE_READ, err, sizeof err);
    if (!s) return cli_fail(EXIT_USAGE, "%s", err);
    int status = EXIT_OK;
    EpisodeRecord **eps = NULL;
    int n = 0;
    RunRow row;
    memset(&row, 0, sizeof row);
    if (!run) run = store_last_run(s, NULL);
    if (!run) {
        status = cli_fail(EXIT_USAGE, "%s: the database holds no runs", a->pos[0]);
        goto done;
    }
    if (store_run_get(s, run, &row) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", store_errmsg(s));
        goto done;
    }
    const char *out = arg_flag(a, "output");
    if (out && files_check_output(out, (const char *const *)a->pos, 1, err, sizeof err) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    if (store_read_episodes(s, run, !strcmp(format, "activity"), &eps, &n) != 0) {
        status = cli_fail(EXIT_FAILED, "%s", store_errmsg(s));
        goto done;
    }
    if (!strcmp(format, "activity")) {
        int with = 0;
        for (int i = 0; i < n; i++) with += eps[i]->n_units > 0;
        if (!with) {
            status = cli_fail(EXIT_USAGE, "run %lld stored no unit activity (only network test runs do; "
                              "see `metarl info %s`)", (long long)run, a->pos[0]);
            goto done;
        }
    }
    char tmp[4096];
    FILE *f = stdout;
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
        f = fopen(tmp, "w");
        if (!f) {
            status = cli_fail(EXIT_USAGE, "%s: cannot write (%s)", out, strerror(errno));
            goto done;
        }
    }
    if (!strcmp(format, "csv")) write_csv(f, run, eps, n);
    else if (!strcmp(format, "hbayesdm")) write_hbayesdm(f, eps, n);
    else write_activity(f, run, eps, n);
    if (out) {
        int bad = ferror(f);
        if (fclose(f) != 0) bad = 1;
        if (bad || rename(tmp, out) != 0) {
            unlink(tmp);
            status = cli_fail(EXIT_FAILED, "%s: write failed (%s)", out, strerror(errno));
            goto done;
        }
        fprintf(stderr, "metarl: wrote run %lld (%d episodes) to %s\n", (long long)run, n, out);
    } else if (fflush(stdout) != 0) {
        status = cli_fail(EXIT_FAILED, "stdout: write failed (%s)", strerror(errno));
    }
done:
    store_run_clear(&row);
    store_episodes_free(eps, n);
    store_close(s);
    return status;
}

const Command cmd_export = {
    "export", "FILE [--run ID] [--format csv|hbayesdm|activity] [--output FILE]",
    "write a run's trials for other tools", NULL,
    NULL, export_flags, 1, 1, export_run
};

