/* cli/cmd_train.c: `metarl train`: meta-train the network, with checkpoints.
**
** Parses the flags, runs the training job (jobs/train.h) and prints: the
** start line and the progress line on stderr (through the job's progress
** callback), then the result on stdout. Under `mpirun -n K` (the MPI build)
** with K > 1 the ranks train data-parallel (jobs/train_mpi.h): rank 0 runs
** the job with the MPI hook, the other ranks compute their parts.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/mpi_util.h"
#include "jobs/run_util.h"
#include "jobs/train.h"
#include "jobs/train_mpi.h"

static const CmdFlag train_flags[] = {
    { "db", "FILE", "SQLite store for the run, its curve and checkpoints (default: metarl.db)" },
    { "resume", NULL, "continue the newest training run in --db (or --run) from its last checkpoint" },
    { "run", "ID", "with --resume: the training run to continue" },
    { "name", "TEXT", "label of the run in the store (default: the task's name)" },
    { "json", NULL, "end with one JSON object on stdout" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

static void format_eta(double s, char *out, size_t n)
{
    if (!isfinite(s) || s < 0) snprintf(out, n, "?");
    else if (s < 90) snprintf(out, n, "%.0fs", s);
    else if (s < 5400) snprintf(out, n, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
    else snprintf(out, n, "%.0fh%02.0fm", floor(s / 3600), fmod(s / 60, 60));
}

/* The progress line: the means since the line was last written. */
typedef struct {
    int tty;
    double last;          /* elapsed seconds at the last line */
    TrainWindow win;
} Shown;

static void show_progress(void *ctx, const TrainProgress *p)
{
    Shown *sh = ctx;
    if (p->notice) {
        fprintf(stderr, "metarl: %s\n", p->notice);
        return;
    }
    for (int i = 0; i < p->batch->n_episodes; i++) train_window_add(&sh->win, &p->batch->ep[i]);
    if (p->elapsed_s - sh->last <= (sh->tty ? 0.5 : 10.0)) return;
    const TrainWindow *w = &sh->win;
    double rate = (p->episode - p->start_episode) / p->elapsed_s;
    char eta[32], perf[64] = "";
    format_eta((p->episodes - p->episode) / rate, eta, sizeof eta);
    if (w->n_regret) snprintf(perf, sizeof perf, "  regret %.2f", w->regret / w->n_regret);
    else if (w->n_best) snprintf(perf, sizeof perf, "  P(best) %.3f", w->p_best / w->n_best);
    fprintf(stderr, sh->tty ? "\repisode %ld/%ld  %.0f ep/s  reward/trial %.3f%s  ETA %s   "
                            : "episode %ld/%ld  %.0f ep/s  reward/trial %.3f%s  ETA %s\n",
            p->episode, p->episodes, rate, w->reward / w->trials, perf, eta);
    memset(&sh->win, 0, sizeof sh->win);
    sh->last = p->elapsed_s;
}

static void print_result(const CmdArgs *a, const char *db, const TrainResult *r)
{
    if (arg_has(a, "json")) {
        fputs(r->json ? r->json : "{}\n", stdout);
        return;
    }
    double wall = r->wall_s;
    printf("trained run %lld in %s: %ld episodes, %ld env steps in %.1f s (%.0f steps/s)\n", (long long)r->run, db,
           r->final_episode, r->env_steps, wall, wall > 0 ? r->env_steps / wall : 0.0);
    const TrainingFinal *w = &r->final;
    if (w->n_rows) {
        printf("last tenth of training (%d episodes): reward/trial %.4f", w->n_rows, w->reward_per_trial);
        if (w->n_regret) printf(", regret %.3f", w->regret);
        if (w->n_p_best) printf(", P(best) %.4f", w->p_best);
        printf("\n");
    }
    if (!r->stopped) printf("next: metarl test --db %s --run %lld\n", db, (long long)r->run);
}

static int train_run_hook(CmdArgs *a, const TrainHook *hook)
{
    char err[1024];
    TrainSettings s = { arg_flag(a, "db"), a->cfg, arg_has(a, "resume"), 0, arg_flag(a, "name"), metarl_version,
                        &cli_stop_signal, NULL, NULL, hook };
    if (!s.db) s.db = "metarl.db";
    if (arg_has(a, "run") && !s.resume) return cli_fail(EXIT_USAGE, "--run goes with --resume");
    if (arg_has(a, "run") && arg_run_id(a, arg_flag(a, "run"), &s.run) != EXIT_OK) return EXIT_USAGE;
    int quiet = arg_has(a, "quiet");
    Shown shown;
    memset(&shown, 0, sizeof shown);
    shown.tty = isatty(2);
    if (!quiet) {
        s.progress = show_progress;
        s.progress_ctx = &shown;
    }
    cli_catch_signals();
    TrainResult r;
    int status = train_job_run(&s, &r, err, sizeof err);
    if (!quiet && shown.tty) fprintf(stderr, "\r%*s\r", 79, "");
    if (status != EXIT_OK) {
        cli_error("%s", err);
        if (r.resumable)
            cli_error("run %lld keeps its last checkpoint; resume with: metarl train --resume --db %s --run %lld",
                      (long long)r.run, s.db, (long long)r.run);
    } else {
        print_result(a, s.db, &r);
        if (r.stopped) {
            cli_error("interrupted at episode %ld (checkpoint saved); resume with: metarl train --resume --db %s "
                      "--run %lld", r.final_episode, s.db, (long long)r.run);
            status = 128 + r.stopped;
        }
    }
    train_result_clear(&r);
    return status;
}

#ifdef METARL_MPI
/* Under mpirun with more than one rank, train data-parallel: rank 0 runs
** the job with the MPI hook, the others compute their parts. */
static int train_command(CmdArgs *a)
{
    char err[1024];
    int rank, size;
    if (mpi_world(&rank, &size, err, sizeof err) != 0) return cli_fail(EXIT_FAILED, "%s", err);
    if (mpi_team_size() <= 1) return train_run_hook(a, NULL);
    TrainMpi *m = train_mpi_alloc(rank, size);
    if (!m) {
        cli_error("rank %d: out of memory", rank);
        mpi_abort(EXIT_FAILED);
    }
    int status;
    if (rank > 0) {
        cli_catch_signals();
        status = train_mpi_worker(m, &cli_stop_signal, err, sizeof err);
        if (status < 0) {
            cli_error("%s", err);
            mpi_abort(EXIT_FAILED);
        }
    } else {
        status = train_mpi_finish(m, train_run_hook(a, train_mpi_hook(m)));
    }
    train_mpi_free(m);
    return status;
}
#else
static int train_command(CmdArgs *a) { return train_run_hook(a, NULL); }
#endif

const Command cmd_train = {
    "train", "[--config FILE] [--db FILE] [options]",
    "meta-train the prefrontal network with A2C; curve and checkpoints go to the store",
    "Each episode is a new task instance; weights change once per batch of episodes. The same seed\n"
    "and settings give bit-identical weights, also across --resume. Ctrl-C finishes the batch, saves a\n"
    "checkpoint and exits 130; `metarl train --resume --db FILE` continues where it stopped.",
    train_declare_all, train_flags, 0, 0, train_command
};
