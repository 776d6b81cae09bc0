/* cli/cmd_train.c: `metarl train`: meta-train the network, with checkpoints.
**
** The outer loop of meta-RL: batches of episodes, each a fresh task
** instance, and one A2C update per batch (model/trainer.h). This file owns
** the loop's bookkeeping: the training curve and checkpoints into the store,
** the progress line, resume, and clean stops on signals or non-finite
** numbers.
**
** Store discipline: training rows and the checkpoint are committed together,
** every train.checkpoint_every episodes. A crash therefore loses at most the
** episodes since the last checkpoint, and `--resume` recomputes exactly
** those (bit-identically: episodes are seeded by their index), after
** deleting any rows a killed run left past its checkpoint.
*/
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_util.h"
#include "core/json.h"
#include "core/store.h"
#include "core/summary.h"
#include "model/trainer.h"

#define CHECKPOINTS_KEPT 3

int train_declare_run(Config *c)
{
    static const OptSpec run_specs[] = {
        { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL,
          "master seed: the same seed and settings give bit-identical weights" },
        { "run", "episodes", NULL, OPT_INT, "800000", 1, 1e12, NULL, NULL,
          "training episodes (rounded up to whole batches); the annealing schedules span them" },
        { "run", "record_every", NULL, OPT_INT, "1000", 0, 1e12, NULL, NULL,
          "store every trial of one training episode in this many (0 = none)" },
        OPT_END
    };
    return config_declare(c, run_specs);
}

static int train_declare_all(Config *c)
{
    if (train_declare_run(c) || task_declare(c) || train_declare(c) || test_declare(c)) return -1;
    return 0;
}

static const CmdFlag train_flags[] = {
    { "db", "FILE", "SQLite store for the run, its curve and checkpoints (default: metarl.db)" },
    { "resume", NULL, "continue the newest training run in --db (or --run) from its last checkpoint" },
    { "run", "ID", "with --resume: the training run to continue" },
    { "name", "TEXT", "label of the run in the store (default: the task's name)" },
    { "json", NULL, "end with one JSON object on stdout" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void format_eta(double s, char *out, size_t n)
{
    if (!isfinite(s) || s < 0) snprintf(out, n, "?");
    else if (s < 90) snprintf(out, n, "%.0fs", s);
    else if (s < 5400) snprintf(out, n, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
    else snprintf(out, n, "%.0fh%02.0fm", floor(s / 3600), fmod(s / 60, 60));
}

/* Running means over the most recent episodes, for the progress line and the
** final numbers. */
typedef struct {
    double reward, regret, p_best, trials;
    long n, n_regret, n_best;
} Window;

static void window_add(Window *w, const TrainEpisodeStats *e)
{
    w->reward += e->reward;
    w->trials += e->n_trials;
    w->n++;
    if (!isnan(e->regret)) {
        w->regret += e->regret;
        w->n_regret++;
    }
    if (!isnan(e->p_best)) {
        w->p_best += e->p_best;
        w->n_best++;
    }
}

/* Commit the open batch of training rows together with a checkpoint. */
static int checkpoint(Store *s, int64_t run, const Trainer *tr, void *buf, size_t n_buf)
{
    size_t np, no;
    const double *params = trainer_params(tr, &np);
    const double *opt = trainer_optim_state(tr, &no);
    trainer_save(tr, buf);
    if (store_put_checkpoint(s, run, trainer_episode(tr), params, np * sizeof(double), opt,
                             no * sizeof(double), buf, n_buf) != 0 ||
        store_prune_checkpoints(s, run, CHECKPOINTS_KEPT) != 0 || store_commit(s) != 0)
        return -1;
    return 0;
}

/* For --resume: the stored settings of the run, with a new run.episodes if
** one was given. Any other setting on the command line is refused: the
** network must continue exactly as it began. */
static int resume_config(const CmdArgs *a, const RunRow *row, Config **out)
{
    char err[1024];
    for (size_t i = 0; config_declared(a->cfg, i); i++) {
        const OptSpec *s = config_declared(a->cfg, i);
        if (!config_is_set(a->cfg, s->section, s->key)) continue;
        if (!strcmp(s->section, "run") && !strcmp(s->key, "episodes")) continue;
        if (!strcmp(s->section, "test")) continue;
        return cli_fail(EXIT_USAGE, "--resume: %s.%s cannot change when a run resumes (it continues with its "
                                    "stored settings; only --episodes may be raised)", s->section, s->key);
    }
    Config *c = config_alloc();
    if (!c || train_declare_all(c) != 0) {
        config_free(c);
        return cli_fail(EXIT_FAILED, "out of memory");
    }
    if (config_load_text(c, row->config, "stored configuration", err, sizeof err) != 0 ||
        (config_is_set(a->cfg, "run", "episodes") &&
         config_set(c, "run", "episodes", config_str(a->cfg, "run", "episodes"), "--episodes", err, sizeof err) != 0) ||
        config_finalize(c, err, sizeof err) != 0) {
        config_free(c);
        return cli_fail(EXIT_USAGE, "run %lld: %s", (long long)row->run_id, err);
    }
    *out = c;
    return EXIT_OK;
}

static int train_run(CmdArgs *a)
{
    char err[1024];
    const char *db = arg_flag(a, "db");
    if (!db) db = "metarl.db";
    int resume = arg_has(a, "resume");
    int quiet = arg_has(a, "quiet"), tty = isatty(2);
    int64_t run = 0;
    if (arg_has(a, "run") && !resume) return cli_fail(EXIT_USAGE, "--run goes with --resume");
    if (arg_has(a, "run") && arg_run_id(a, arg_flag(a, "run"), &run) != EXIT_OK) return EXIT_USAGE;

    Config *cfg = a->cfg, *owned = NULL;
    Store *store = NULL;
    Trainer *tr = NULL;
    void *buf = NULL;
    RunRow row;
    memset(&row, 0, sizeof row);
    int status = EXIT_OK;
    TrainConfig tc;

    if (resume) {
        store = store_open(db, STORE_READ, err, sizeof err);   /* check before writing anything */
        if (!store) return cli_fail(EXIT_USAGE, "%s", err);
        if (!run) run = store_last_run(store, "train");
        if (!run) {
            status = cli_fail(EXIT_USAGE, "--resume: %s holds no training run", db);
            goto done;
        }
        if (store_run_get(store, run, &row) != 0) {
            status = cli_fail(EXIT_USAGE, "--resume: %s", store_errmsg(store));
            goto done;
        }
        if (strcmp(row.kind, "train")) {
            status = cli_fail(EXIT_USAGE, "--resume: run %lld is a %s run, not a training run", (long long)run, row.kind);
            goto done;
        }
        if ((status = resume_config(a, &row, &owned)) != EXIT_OK) goto done;
        cfg = owned;
        store_close(store);
        store = NULL;
    }
    if (train_config_from(cfg, &tc, err, sizeof err) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    tr = trainer_alloc(&tc, cfg, err, sizeof err);
    if (!tr) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    size_t n_buf = trainer_checkpoint_size(tr);
    buf = malloc(n_buf);
    if (!buf) {
        status = cli_fail(EXIT_FAILED, "out of memory");
        goto done;
    }
    store = store_open(db, STORE_WRITE, err, sizeof err);
    if (!store) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    if (resume) {
        int64_t ep;
        void *p = NULL, *o = NULL, *st = NULL;
        size_t np, no, ns;
        if (store_get_checkpoint(store, run, &ep, &p, &np, &o, &no, &st, &ns) != 0) {
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        int bad = ep >= 0 && trainer_load(tr, st, ns, err, sizeof err) != 0;
        free(p);
        free(o);
        free(st);
        if (bad) {
            status = cli_fail(EXIT_USAGE, "--resume: run %lld: damaged checkpoint: %s", (long long)run, err);
            goto done;
        }
        if (ep < 0) ep = 0;   /* killed before its first checkpoint: start again */
        if (store_begin(store) || store_delete_after(store, run, ep) || store_run_reopen(store, run) ||
            store_commit(store)) {
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        if (!quiet) fprintf(stderr, "metarl: resuming run %lld at episode %lld of %ld\n", (long long)run, (long long)ep, tc.episodes);
    } else {
        const char *name = arg_flag(a, "name");
        if (run_create(store, "train", name ? name : config_str(cfg, "task", "name"), 0, cfg, "network", &run, err,
                       sizeof err) != 0) {
            status = cli_fail(EXIT_FAILED, "%s", err);
            goto done;
        }
        if (store_begin(store) != 0 || checkpoint(store, run, tr, buf, n_buf) != 0) {   /* episode 0: resume point */
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        if (!quiet) {
            char title[256];
            task_title(cfg, title, sizeof title);
            fprintf(stderr, "metarl: training run %lld in %s: task %s, %d units, batch %d, %ld episodes\n",
                    (long long)run, db, title, tc.hidden, tc.batch, tc.episodes);
        }
    }
    cli_catch_signals();

    long record_every = config_int(cfg, "run", "record_every");
    EpisodeRecord *rec = record_every > 0 ? episode_alloc(trainer_task_info(tr)->max_trials, 0) : NULL;
    long start_episode = trainer_episode(tr), steps = 0;
    double t0 = now_s(), last_print = t0;
    Window recent = { 0 }, print_win = { 0 };
    int in_tx = 0, failed = 0;
    TrainStats st;
    while (trainer_episode(tr) < tc.episodes && !cli_stop_signal) {
        if (!in_tx) {
            if (store_begin(store) != 0) goto store_error;
            in_tx = 1;
        }
        if (trainer_iterate(tr, &st) != 0) {
            failed = 1;
            break;
        }
        double wall = now_s() - t0;
        for (int i = 0; i < st.n_episodes; i++) {
            const TrainEpisodeStats *e = &st.ep[i];
            TrainRow tr_row = { e->episode, e->reward, e->regret, e->p_best, e->policy_loss, e->value_loss,
                                e->entropy, st.grad_norm, st.beta_e, wall };
            if (store_put_training(store, run, &tr_row) != 0) goto store_error;
            if (rec && e->episode % record_every == 0) {
                if (trainer_last_episode(tr, i, rec) == 0 &&
                    store_put_episode(store, run, e->episode, "train", rec, 0) != 0)
                    goto store_error;
            }
            window_add(&print_win, e);
            if (tc.episodes - e->episode <= 1000) window_add(&recent, e);
            steps += e->n_trials;
        }
        long done_eps = trainer_episode(tr);
        if (done_eps % tc.checkpoint_every < (long)tc.batch || done_eps >= tc.episodes) {
            in_tx = 0;
            if (checkpoint(store, run, tr, buf, n_buf) != 0) goto store_error;
        }
        double now = now_s();
        if (!quiet && now - last_print > (tty ? 0.5 : 10.0)) {
            double rate = (done_eps - start_episode) / (now - t0);
            char eta[32], perf[64] = "";
            format_eta((tc.episodes - done_eps) / rate, eta, sizeof eta);
            if (print_win.n_regret) snprintf(perf, sizeof perf, "  regret %.2f", print_win.regret / print_win.n_regret);
            else if (print_win.n_best) snprintf(perf, sizeof perf, "  P(best) %.3f", print_win.p_best / print_win.n_best);
            fprintf(stderr, tty ? "\repisode %ld/%ld  %.0f ep/s  reward/trial %.3f%s  ETA %s   "
                                : "episode %ld/%ld  %.0f ep/s  reward/trial %.3f%s  ETA %s\n",
                    done_eps, tc.episodes, rate, print_win.reward / print_win.trials, perf, eta);
            memset(&print_win, 0, sizeof print_win);
            last_print = now;
        }
    }
    if (!quiet && tty) fprintf(stderr, "\r%*s\r", 79, "");
    double wall = now_s() - t0;
    long final_episode = trainer_episode(tr);
    if (failed) {
        store_rollback(store);   /* the failed batch and rows since the last checkpoint */
        in_tx = 0;
        store_run_finish(store, run, "failed", NULL);
        int64_t ck = -1;
        void *p = NULL, *o = NULL, *s2 = NULL;
        size_t n1, n2, n3;
        store_get_checkpoint(store, run, &ck, &p, &n1, &o, &n2, &s2, &n3);
        free(p);
        free(o);
        free(s2);
        status = cli_fail(EXIT_FAILED, "training stopped at episode %ld: the loss or the gradient is not finite "
                                       "(NaN or Inf); the last good checkpoint (episode %lld) is kept in %s, run %lld",
                          final_episode, (long long)ck, db, (long long)run);
        episode_free(rec);
        goto done;
    }
    if (in_tx) {   /* stopped by a signal between checkpoints: save where we are */
        in_tx = 0;
        if (checkpoint(store, run, tr, buf, n_buf) != 0) goto store_error;
    }
    episode_free(rec);

    char *json = NULL;
    size_t json_len = 0;
    FILE *mem = open_memstream(&json, &json_len);
    if (mem) {
        Json j;
        json_init(&j, mem);
        json_object_begin(&j);
        json_kstr(&j, "command", "train");
        json_kstr(&j, "task", config_str(cfg, "task", "name"));
        task_json(cfg, &j);
        json_kstr(&j, "db", db);
        json_kint(&j, "run", run);
        json_kint(&j, "episodes", final_episode);
        json_kint(&j, "env_steps", steps);
        json_knum(&j, "wall_s", wall);
        json_knum(&j, "steps_per_s", wall > 0 ? steps / wall : NAN);
        json_knum(&j, "episodes_per_s", wall > 0 ? (final_episode - start_episode) / wall : NAN);
        json_knum(&j, "final_reward_per_trial", recent.trials > 0 ? recent.reward / recent.trials : NAN);
        json_knum(&j, "final_regret", recent.n_regret ? recent.regret / recent.n_regret : NAN);
        json_knum(&j, "final_p_best", recent.n_best ? recent.p_best / recent.n_best : NAN);
        json_kint(&j, "hidden", tc.hidden);
        json_kint(&j, "batch", tc.batch);
        json_kint(&j, "seed", (long long)tc.seed);
        json_kstr(&j, "status", cli_stop_signal ? "interrupted" : "done");
        json_object_end(&j);
        fclose(mem);
    }
    if (store_run_finish(store, run, cli_stop_signal ? "interrupted" : "done", json) != 0) {
        free(json);
        goto store_error;
    }
    if (arg_has(a, "json")) {
        fputs(json ? json : "{}\n", stdout);
    } else {
        printf("trained run %lld in %s: %ld episodes, %ld env steps in %.1f s (%.0f steps/s)\n", (long long)run, db,
               final_episode, steps, wall, wall > 0 ? steps / wall : 0.0);
        if (recent.n) {
            printf("last %ld training episodes: reward/trial %.4f", recent.n, recent.reward / recent.trials);
            if (recent.n_regret) printf(", regret %.3f", recent.regret / recent.n_regret);
            if (recent.n_best) printf(", P(best) %.4f", recent.p_best / recent.n_best);
            printf("\n");
        }
        if (!cli_stop_signal) printf("next: metarl test --db %s --run %lld\n", db, (long long)run);
    }
    free(json);
    if (cli_stop_signal) {
        cli_error("interrupted at episode %ld (checkpoint saved); resume with: metarl train --resume --db %s --run %lld",
                  final_episode, db, (long long)run);
        status = 128 + cli_stop_signal;
    }
    goto done;
store_error:
    status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
    store_rollback(store);
done:
    store_run_clear(&row);
    store_close(store);
    trainer_free(tr);
    free(buf);
    config_free(owned);
    return status;
}

const Command cmd_train = {
    "train", "[--config FILE] [--db FILE] [options]",
    "meta-train the prefrontal network with A2C; curve and checkpoints go to the store",
    "Each episode is a new task instance; weights change once per batch of episodes. The same seed\n"
    "and settings give bit-identical weights, also across --resume. Ctrl-C finishes the batch, saves a\n"
    "checkpoint and exits 130; `metarl train --resume --db FILE` continues where it stopped.",
    train_declare_all, train_flags, 0, 0, train_run
};
