/* jobs/train.c: the training job (see train.h).
**
** train_job_run() is four steps over one TrainJob: the settings (a resume
** takes the stored ones), the trainer and the run row with its first
** checkpoint, the loop of batches, and the run's summary. Every failure
** goes to `fail`, which keeps the status and message of the first one.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "store/store.h"
#include "jobs/run_util.h"
#include "jobs/test.h"
#include "jobs/train.h"
#include "model/optim.h"
#include "model/train_settings.h"
#include "tasks/task.h"

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

int train_declare_all(Config *c)
{
    if (train_declare_run(c) || task_declare(c) || train_declare(c) || test_declare(c)) return -1;
    return 0;
}

static int local_step(void *ctx, Trainer *tr, TrainStats *st, volatile sig_atomic_t *stop)
{
    return trainer_iterate(tr, st);
}

static int local_last_episode(void *ctx, const Trainer *tr, int lane, EpisodeRecord *rec)
{
    return trainer_last_episode(tr, lane, rec);
}

const TrainHook train_hook_local = { NULL, 0, NULL, NULL, local_step, local_last_episode };

void train_window_add(TrainWindow *w, const TrainEpisodeStats *e)
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

void train_result_clear(TrainResult *r)
{
    free(r->json);
    r->json = NULL;
}

typedef struct {
    const TrainSettings *s;
    const TrainHook *hook;
    TrainResult *r;
    Config *cfg, *owned;
    TrainConfig tc;
    Store *store;
    Trainer *tr;
    void *buf;
    size_t n_buf;
    EpisodeRecord *rec;
    int owns_run;   /* the run row is ours (created, or locked and loaded): a failure marks it */
    int status;
    char *err;
    size_t n_err;
} TrainJob;

static int fail(TrainJob *j, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(TrainJob *j, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    j->status = job_vfail(j->err, j->n_err, status, fmt, ap);
    va_end(ap);
    return status;
}

static int store_fail(TrainJob *j) { return fail(j, JOB_FAILED, "%s", store_errmsg(j->store)); }

/* The store at s->db, or a failure: 2 for a file that cannot be used, 1 for the machine's (disk full, memory). */
static Store *open_store(TrainJob *j, StoreMode mode)
{
    int runtime = 0;
    Store *st = store_open_rt(j->s->db, mode, &runtime, j->err, j->n_err);
    if (!st) fail(j, runtime ? JOB_FAILED : JOB_USAGE, "%s", j->err);
    return st;
}

/* 1 if every weight and every number of the optimizer state is finite. A
** finite loss and gradient do not make it so: the optimizer's step can still
** divide 0 by 0 (train.eps = 0 and a weight whose gradient is 0). */
static int weights_finite(const Trainer *tr)
{
    size_t np, no;
    const double *p = trainer_params(tr, &np), *o = trainer_optim_state(tr, &no);
    return optim_all_finite(p, np) && optim_all_finite(o, no);
}

/* Commit the open batch of training rows together with a checkpoint. */
static int checkpoint(TrainJob *j)
{
    size_t np, no;
    const double *params = trainer_params(j->tr, &np);
    const double *opt = trainer_optim_state(j->tr, &no);
    trainer_save(j->tr, j->buf);
    if (store_put_checkpoint(j->store, j->r->run, trainer_episode(j->tr), params, np * sizeof(double), opt,
                             no * sizeof(double), j->buf, j->n_buf) != 0 ||
        store_prune_checkpoints(j->store, j->r->run, TRAIN_CHECKPOINTS_KEPT) != 0 || store_commit(j->store) != 0)
        return -1;
    return 0;
}

/* For a resume: the stored settings of the run, with a new run.episodes if
** one was given. Any other setting given is refused: the network must
** continue exactly as it began. */
/* Whether section.key has the same value in both (as numbers where it is one: "3" = "3.0"). */
static int same_value(const Config *a, const Config *b, const char *section, const char *key)
{
    const char *va = config_get(a, section, key), *vb = config_get(b, section, key);
    const OptSpec *sp = config_spec(b, section, key);
    if (!va || !vb || !sp) return !va && !vb;
    if (sp->kind == OPT_INT || sp->kind == OPT_DOUBLE) {
        double da, db;
        return parse_double(va, &da) == 0 && parse_double(vb, &db) == 0 ? da == db : !strcmp(va, vb);
    }
    if (sp->kind == OPT_BOOL) return config_bool(a, section, key) == config_bool(b, section, key);
    return !strcmp(va, vb);
}

static int resume_config(TrainJob *j, const RunRow *row)
{
    const Config *given = j->s->cfg;
    char err[1024];
    Config *c = j->owned = config_alloc();
    if (!c || train_declare_all(c) != 0) return fail(j, JOB_FAILED, "out of memory");
    if (config_load_text(c, row->config, "stored configuration", err, sizeof err) != 0)
        return fail(j, JOB_USAGE, "run %lld: %s", (long long)row->run_id, err);
    for (size_t i = 0; config_declared(given, i); i++) {
        const OptSpec *s = config_declared(given, i);
        if (!config_is_set(given, s->section, s->key)) continue;
        if (!strcmp(s->section, "run") && !strcmp(s->key, "episodes")) continue;
        if (!strcmp(s->section, "test") || same_value(given, c, s->section, s->key)) continue;
        const char *was = config_get(c, s->section, s->key), *now = config_get(given, s->section, s->key);
        return fail(j, JOB_USAGE, "--resume: %s.%s cannot change when a run resumes (run %lld has %s, given %s; it "
                                  "continues with its stored settings; only --episodes may be raised)",
                    s->section, s->key, (long long)row->run_id, was ? was : "(none)", now ? now : "(none)");
    }
    if ((config_is_set(given, "run", "episodes") &&
         config_set(c, "run", "episodes", config_str(given, "run", "episodes"), "--episodes", err, sizeof err) != 0) ||
        config_finalize(c, err, sizeof err) != 0)
        return fail(j, JOB_USAGE, "run %lld: %s", (long long)row->run_id, err);
    j->cfg = c;
    return JOB_OK;
}

/* A resume's run: it must exist and be a training run; check before writing anything. */
static int resume_find(TrainJob *j)
{
    const char *db = j->s->db;
    RunRow row;
    memset(&row, 0, sizeof row);
    Store *st = open_store(j, STORE_READ);
    if (!st) return j->status;
    int64_t run = j->s->run ? j->s->run : store_last_run(st, "train");
    if (!run) fail(j, JOB_USAGE, "--resume: %s holds no training run", db);
    else if (store_run_get(st, run, &row) != 0) fail(j, JOB_USAGE, "--resume: %s", store_errmsg(st));
    else if (strcmp(row.kind, "train"))
        fail(j, JOB_USAGE, "--resume: run %lld is a %s run, not a training run", (long long)run, row.kind);
    else resume_config(j, &row);
    j->r->run = run;
    store_run_clear(&row);
    store_close(st);
    return j->status;
}

static void notice(TrainJob *j, const char *line)
{
    if (!j->s->progress) return;
    TrainProgress p;
    memset(&p, 0, sizeof p);
    p.notice = line;
    j->s->progress(j->s->progress_ctx, &p);
}

/* Load the run's last checkpoint and drop what a killed run left past it. */
static int resume_load(TrainJob *j)
{
    int64_t ep, run = j->r->run;
    void *p = NULL, *o = NULL, *st = NULL;
    if (store_lock_run(j->store, run) != 0) return store_fail(j);   /* one trainer per run */
    size_t np, no, ns;
    char err[1024];
    if (store_get_checkpoint(j->store, run, &ep, &p, &np, &o, &no, &st, &ns) != 0) return store_fail(j);
    int bad = ep >= 0 && trainer_load(j->tr, st, ns, err, sizeof err) != 0;
    free(p);
    free(o);
    free(st);
    if (bad) return fail(j, JOB_USAGE, "--resume: run %lld: damaged checkpoint: %s", (long long)run, err);
    if (ep >= 0 && !weights_finite(j->tr))
        return fail(j, JOB_USAGE, "--resume: run %lld: its checkpoint (episode %lld) holds non-finite weights (NaN or "
                                   "Inf); it cannot go on", (long long)run, (long long)ep);
    if (ep < 0) ep = 0;   /* killed before its first checkpoint: start again */
    char *text = NULL;   /* a new target: the stored settings say it, for the next resume and for readers */
    if (config_is_set(j->s->cfg, "run", "episodes") && !(text = config_dump(j->cfg)))
        return fail(j, JOB_FAILED, "out of memory");
    int rc = store_begin(j->store) || store_delete_after(j->store, run, ep) || store_run_reopen(j->store, run) ||
             (text && store_run_set_config(j->store, run, text)) || store_commit(j->store);
    free(text);
    if (rc) return store_fail(j);
    j->owns_run = 1;
    char line[256];
    snprintf(line, sizeof line, "resuming run %lld at episode %lld of %ld", (long long)run, (long long)ep,
             j->tc.episodes);
    notice(j, line);
    return JOB_OK;
}

/* A new run row, and its episode-0 checkpoint: the first resume point. */
static int create_run(TrainJob *j)
{
    const char *name = j->s->name ? j->s->name : task_name(j->cfg);
    if (run_create(j->store, "train", name, 0, j->cfg, "network", j->s->version, &j->r->run, j->err, j->n_err) != 0)
        return fail(j, JOB_FAILED, "%s", j->err);
    j->owns_run = 1;
    if (store_lock_run(j->store, j->r->run) != 0) return store_fail(j);
    if (store_begin(j->store) != 0 || checkpoint(j) != 0) return store_fail(j);
    char title[256], line[512];
    task_title(j->cfg, title, sizeof title);
    snprintf(line, sizeof line, "training run %lld in %s: task %s, %d units, batch %d, %ld episodes",
             (long long)j->r->run, j->s->db, title, j->tc.hidden, j->tc.batch, j->tc.episodes);
    notice(j, line);
    return JOB_OK;
}

/* The trainer, the store open for writing and the run ready to train. */
static int train_begin(TrainJob *j)
{
    if (j->hook->prepare && (j->status = j->hook->prepare(j->hook->ctx, j->cfg, j->s->resume, j->err, j->n_err)))
        return j->status;
    if (train_config_from(j->cfg, &j->tc, j->err, j->n_err) != 0) return fail(j, JOB_USAGE, "%s", j->err);
    char why[1024];   /* the test settings stored for the run's later tests */
    if (test_settings_check(j->cfg, why, sizeof why) != 0) return fail(j, JOB_USAGE, "%s", why);
    if (!(j->tr = trainer_alloc(&j->tc, j->cfg, j->err, j->n_err))) return fail(j, JOB_USAGE, "%s", j->err);
    j->n_buf = trainer_checkpoint_size(j->tr);
    if (!(j->buf = malloc(j->n_buf))) return fail(j, JOB_FAILED, "out of memory");
    if (!(j->store = open_store(j, STORE_WRITE))) return j->status;
    if ((j->s->resume ? resume_load(j) : create_run(j)) != JOB_OK) return j->status;
    if (j->hook->start && j->hook->start(j->hook->ctx, j->cfg, &j->tr, j->buf, j->err, j->n_err) != 0) {
        return fail(j, JOB_FAILED, "data-parallel start: %s", j->err);
    }
    long record_every = config_int(j->cfg, "run", "record_every");
    const TaskInfo *ti = trainer_task_info(j->tr);
    if (record_every > 0) j->rec = episode_alloc_stages(ti->max_trials, ti->max_stages, 0);
    return JOB_OK;
}

/* One applied batch into the open transaction: its curve rows and recorded episodes. */
static int store_batch(TrainJob *j, const TrainStats *st, double wall)
{
    long record_every = config_int(j->cfg, "run", "record_every");
    for (int i = 0; i < st->n_episodes; i++) {
        const TrainEpisodeStats *e = &st->ep[i];
        TrainRow row = { e->episode, e->reward, e->regret, e->p_best, e->policy_loss, e->value_loss,
                         e->entropy, st->grad_norm, st->beta_e, wall };
        if (store_put_training(j->store, j->r->run, &row) != 0) return -1;
        if (j->rec && e->episode % record_every == 0) {
            if (j->hook->last_episode(j->hook->ctx, j->tr, i, j->rec) == 0 &&
                store_put_episode(j->store, j->r->run, e->episode, "train", j->rec, 0) != 0)
                return -1;
        }
        j->r->env_steps += e->n_trials;
    }
    return 0;
}

/* Non-finite numbers (why: what was not finite; hint: "" or what to change): drop the batch and the rows since the last checkpoint. */
static int train_failed(TrainJob *j, const char *why, const char *hint)
{
    store_rollback(j->store);
    store_run_finish(j->store, j->r->run, "failed", NULL);
    int64_t ck = -1;
    void *p = NULL, *o = NULL, *s2 = NULL;
    size_t n1, n2, n3;
    store_get_checkpoint(j->store, j->r->run, &ck, &p, &n1, &o, &n2, &s2, &n3);
    free(p);
    free(o);
    free(s2);
    j->owns_run = 0;   /* marked failed: resuming would meet the same numbers */
    return fail(j, JOB_FAILED, "training stopped at episode %ld: %s is not finite (NaN or Inf)%s; the last "
                               "good checkpoint (episode %lld) is kept in %s, run %lld",
                trainer_episode(j->tr), why, hint, (long long)ck, j->s->db, (long long)j->r->run);
}

/* Batches until the target, a stop or a failure; checkpoints on the way
** and where a stop leaves off. */
static int train_loop(TrainJob *j)
{
    volatile sig_atomic_t *stop = j->s->stop;
    TrainResult *r = j->r;
    r->start_episode = trainer_episode(j->tr);
    double t0 = now_s();
    int in_tx = 0;
    TrainStats st;
    while (trainer_episode(j->tr) < j->tc.episodes && !(stop && *stop)) {
        if (!in_tx) {
            if (store_begin(j->store) != 0) return store_fail(j);
            in_tx = 1;
        }
        int step = j->hook->step(j->hook->ctx, j->tr, &st, stop);
        if (step > 0) break;   /* MPI: a stop on another rank */
        if (step != 0) {
            r->wall_s = now_s() - t0;
            r->final_episode = trainer_episode(j->tr);
            return train_failed(j, "the loss or the gradient", "");
        }
        if (!weights_finite(j->tr)) {
            r->wall_s = now_s() - t0;
            r->final_episode = trainer_episode(j->tr);
            return train_failed(j, "after the update, a weight or the optimizer state",
                                " (train.eps = 0 divides 0 by 0 for a weight whose gradient is 0: use train.eps > 0)");
        }
        if (store_batch(j, &st, now_s() - t0) != 0) return store_fail(j);
        long done = trainer_episode(j->tr);
        if (done % j->tc.checkpoint_every < (long)j->tc.batch || done >= j->tc.episodes) {
            in_tx = 0;
            if (checkpoint(j) != 0) return store_fail(j);
        }
        if (j->s->progress) {
            TrainProgress p = { NULL, &st, done, j->tc.episodes, r->start_episode, now_s() - t0 };
            j->s->progress(j->s->progress_ctx, &p);
        }
    }
    r->wall_s = now_s() - t0;
    r->final_episode = trainer_episode(j->tr);
    r->stopped = stop ? *stop : 0;
    if (in_tx && checkpoint(j) != 0) return store_fail(j);   /* stopped between checkpoints: save where we are */
    return JOB_OK;
}

/* The run's summary, stored with its final status. */
static int train_end(TrainJob *j)
{
    const Config *cfg = j->cfg;
    TrainResult *r = j->r;
    double wall = r->wall_s;
    long steps = r->env_steps;
    const TrainingFinal *w = &r->final;
    if (training_final_read(j->store, r->run, trainer_task_info(j->tr)->max_trials, &r->final) < 0)
        return store_fail(j);
    Json js;
    if (json_text_begin(&js, &r->json) == 0) {
        json_kstr(&js, "command", "train");
        json_kstr(&js, "task", task_name(cfg));
        task_json(cfg, &js);
        json_kstr(&js, "db", j->s->db);
        json_kint(&js, "run", r->run);
        json_kint(&js, "episodes", r->final_episode);
        json_kint(&js, "env_steps", steps);
        json_knum(&js, "wall_s", wall);
        json_knum(&js, "steps_per_s", wall > 0 ? steps / wall : NAN);
        json_knum(&js, "episodes_per_s", wall > 0 ? (r->final_episode - r->start_episode) / wall : NAN);
        json_kint(&js, "final_episodes", w->n_rows);   /* the window: the last tenth of the curve */
        json_knum(&js, "final_reward_per_trial", w->reward_per_trial);
        json_knum(&js, "final_regret", w->regret);
        json_knum(&js, "final_p_best", w->p_best);
        json_kint(&js, "hidden", j->tc.hidden);
        json_kint(&js, "batch", j->tc.batch);
        json_kint(&js, "seed", (long long)j->tc.seed);
        if (j->hook->ranks > 1) json_kint(&js, "mpi_ranks", j->hook->ranks);   /* one part of each batch per rank */
        json_kstr(&js, "status", r->stopped ? "interrupted" : "done");
        json_text_end(&js);
    }
    if (store_run_finish(j->store, r->run, r->stopped ? "interrupted" : "done", r->json) != 0) return store_fail(j);
    return JOB_OK;
}

int train_job_run(const TrainSettings *s, TrainResult *r, char *err, size_t n_err)
{
    TrainJob j;
    memset(&j, 0, sizeof j);
    memset(r, 0, sizeof *r);
    j.s = s;
    j.hook = s->hook ? s->hook : &train_hook_local;
    j.r = r;
    j.cfg = s->cfg;
    j.err = err;
    j.n_err = n_err;
    err[0] = '\0';
    if ((!s->resume || resume_find(&j) == JOB_OK) && train_begin(&j) == JOB_OK && train_loop(&j) == JOB_OK)
        train_end(&j);
    if (j.status == JOB_FAILED && j.store) store_rollback(j.store);
    if (j.status != JOB_OK && j.owns_run) {   /* disk full, out of memory: the run can go on from its checkpoint */
        r->resumable = 1;
        store_run_finish(j.store, r->run, "interrupted", NULL);   /* if the store still takes a write */
    }
    r->hidden = j.tc.hidden;
    r->batch = j.tc.batch;
    episode_free(j.rec);
    store_close(j.store);
    trainer_free(j.tr);
    free(j.buf);
    config_free(j.owned);
    return j.status;
}
