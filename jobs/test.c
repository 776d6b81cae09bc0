/* jobs/test.c: the test job (see test.h).
**
** test_job_run() in steps over one TestJob: the training run's checkpoint
** and settings (with the test's own overrides), the frozen network, then
** one evaluation per agent into the store, and the test run's summary.
** Every failure goes to `fail`, which keeps the status and message.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "store/store.h"
#include "store/rates.h"
#include "jobs/run_util.h"
#include "jobs/test.h"
#include "jobs/train.h"
#include "model/net_agent.h"
#include "model/train_settings.h"

/* test.activity as a store/rates.h format: STORE_RATES_NONE, _FLOAT32, _FLOAT16 or _SPARSE. */
static int activity_format(const Config *c)
{
    const char *v = config_str(c, "test", "activity");
    int f = store_rates_format(v);
    if (f > 0) return f;
    return !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1") ? STORE_RATES_FLOAT32
                                                                                            : STORE_RATES_NONE;
}

int test_declare(Config *c)
{
    static const OptSpec test_specs[] = {
        { "test", "episodes", "episodes", OPT_INT, "2000", 1, 1e9, NULL, NULL,
          "test episodes, weights frozen" },
        { "test", "seed", "seed", OPT_INT, "1000001", 0, 4294967295.0, NULL, NULL,
          "seed of the test instances (its streams never meet training's)" },
        { "test", "agents", "agents", OPT_STRING, "auto", 0, 0, NULL, NULL,
          "reference agents on the same instances: auto (those that suit the task), none, or a list a,b,c" },
        /* a choice, not a separate format key, so that the resolved configuration of
        ** every run that does not ask for float16 reads exactly as before */
        { "test", "activity", NULL, OPT_CHOICE, "true", 0, 0, "true|false|yes|no|on|off|1|0|float32|float16|sparse",
          NULL, "store the unit rates of every trial: true (= float32), float16 (half the bytes, error <= 2^-11), "
                "sparse (float32 without the exact zeros: lossless, about a quarter of the bytes for relu units), "
                "false" },
        { "test", "activity_steps", NULL, OPT_CHOICE, "choice", 0, 0, "choice|all", NULL,
          "with test.activity and model.epochs: store the rates of the choice step of each trial (choice), or also "
          "every step's prefrontal rates with its epoch (all: table activity_steps)" },
        { "test", "batch", NULL, OPT_INT, "100", 1, 1e6, NULL, NULL,
          "episodes per store transaction" },
        { "test", "delta_block", NULL, OPT_BOOL, "false", 0, 0, NULL, NULL,
          "block the network's striatal delta at test: its stored rpe is 0 (nothing at test reads it, so the "
          "choices are unchanged; issue 13)" },
        { "test", "silence", NULL, OPT_DOUBLE, "0", 0, 1, NULL, NULL,
          "lesion: fraction of prefrontal units whose rate is clamped to 0 at test (drawn from test.lesion_seed)" },
        { "test", "rate_noise", NULL, OPT_DOUBLE, "0", 0, 100, NULL, NULL,
          "lesion: sd of the Gaussian noise added to the prefrontal rates at test, each trial" },
        { "test", "lesion_seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL,
          "seed of the draw of the silenced units" },
        OPT_END
    };
    return config_declare(c, test_specs);
}

int test_declare_cli(Config *c)
{
    if (test_declare(c) || task_declare(c) || agent_declare(c)) return -1;
    return 0;
}

int test_declare_all(Config *c)
{
    if (test_declare(c) || train_declare_run(c) || task_declare(c) || train_declare(c) || agent_declare(c))
        return -1;
    return 0;
}

void test_result_clear(TestResult *r)
{
    free(r->json);
    r->json = NULL;
}

typedef struct {
    const TestSettings *s;
    TestResult *r;
    Config *cfg;
    TrainConfig tc;
    Task *task;
    Agent *net;
    Store *store;
    void *params;
    size_t n_params;
    int64_t value_limit;   /* the largest value the store takes (an activity row), in bytes */
    int max_steps, n_step_units;   /* per-step rates to record (test.activity_steps = all), else 0 */
    int train_steps;               /* steps per episode of the training task: the time input's scale */
    const char *refs[TEST_MAX_REFERENCE];
    int n_refs;
    int status;
    char *err;
    size_t n_err;
} TestJob;

static int fail(TestJob *j, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(TestJob *j, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    j->status = job_vfail(j->err, j->n_err, status, fmt, ap);
    va_end(ap);
    return status;
}

/* The reference agents that suit the task, for test.agents = auto. */
static int auto_agents(const Config *cfg, const char **out)
{
    static const char *const bandit_ind[] = { "bayes", "thompson", "ucb1", "greedy", "random", NULL };
    static const char *const bandit_other[] = { "bayes", "thompson", "greedy", "random", NULL };
    static const char *const reversal[] = { "observer", "wsls", "rw", "random", NULL };
    static const char *const twostep_wang[] = { "observer", "mb", "hybrid", "mf", "random", NULL };
    static const char *const twostep_daw[] = { "mb", "hybrid", "mf", "random", NULL };
    const char *const *list = reversal;
    TaskFacts f;
    char err[256];
    int known = task_facts_of(cfg, &f, err, sizeof err) == 0;
    if (known && f.dist)
        list = !strcmp(f.dist, "independent") ? bandit_ind : bandit_other;
    else if (known && f.variant)
        list = !strcmp(f.variant, "wang") ? twostep_wang : twostep_daw;
    int n = 0;
    while (list[n] && n < TEST_MAX_REFERENCE) {
        out[n] = list[n];
        n++;
    }
    return n;
}

int test_settings_check(const Config *cfg, char *err, size_t n_err)
{
    const char *agents = config_str(cfg, "test", "agents");
    if (strcmp(agents, "auto") && strcmp(agents, "none")) {
        char buf[512];
        const char *seen[64];
        int n = 0;
        snprintf(buf, sizeof buf, "%s", agents);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (!agent_lookup(tok)) {
                snprintf(err, n_err, "--agents: unknown agent '%s' (expected auto, none, or a list of: see "
                                     "`metarl agents`)", tok);
                return -1;
            }
            for (int k = 0; k < n; k++)
                if (!strcmp(seen[k], tok)) {
                    snprintf(err, n_err, "--agents: agent '%s' is listed twice (each agent runs once)", tok);
                    return -1;
                }
            if (n < 64) seen[n++] = tok;
        }
        if (n > TEST_MAX_REFERENCE) {
            snprintf(err, n_err, "--agents: %d agents listed, at most %d", n, TEST_MAX_REFERENCE);
            return -1;
        }
    }
    if (activity_format(cfg) == STORE_RATES_NONE && !strcmp(config_str(cfg, "test", "activity_steps"), "all")) {
        snprintf(err, n_err, "test.activity_steps=all records every step's rates beside the trials' ones, but "
                             "test.activity=false records none: set test.activity (true, float16 or sparse) or "
                             "leave test.activity_steps at choice");
        return -1;
    }
    return 0;
}

/* Every agent named in an explicit test.agents list must serve the task:
** refused before anything is written, naming the agent and the task. */
static int check_agents_serve(TestJob *j)
{
    if (!strcmp(config_str(j->cfg, "test", "agents"), "auto")) return JOB_OK;
    char err[1024], name[64];
    snprintf(name, sizeof name, "%s", config_str(j->cfg, "agent", "name"));   /* stored with the test run */
    for (int i = 0; i < j->n_refs; i++) {
        if (config_set(j->cfg, "agent", "name", j->refs[i], "test.agents", err, sizeof err) != 0)
            return fail(j, JOB_USAGE, "--agents: %s", err);
        Agent *ref = agent_alloc(j->cfg, &j->task->info, err, sizeof err);
        if (!ref)
            return fail(j, JOB_USAGE, "--agents: %s", err);   /* names the agent and the task */
        agent_free(ref);
    }
    if (config_set(j->cfg, "agent", "name", name, "test", err, sizeof err) != 0) return fail(j, JOB_USAGE, "%s", err);
    return JOB_OK;
}

/* The reference agents of test.agents, named in r->agent_names. */
static void reference_list(TestJob *j)
{
    const char *agents = config_str(j->cfg, "test", "agents");
    char *buf = j->r->agent_names;
    if (!strcmp(agents, "auto")) {
        j->n_refs = auto_agents(j->cfg, j->refs);
    } else if (strcmp(agents, "none")) {
        snprintf(buf, sizeof j->r->agent_names, "%s", agents);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && j->n_refs < TEST_MAX_REFERENCE;
             tok = strtok_r(NULL, ",", &save))
            j->refs[j->n_refs++] = tok;
    }
}

/* 1 for an agent setting (not agent.name): one of the reference agents' own. */
static int is_agent_param(const OptSpec *s) { return !strcmp(s->section, "agent") && strcmp(s->key, "name"); }

/* Check the given value v of agent.key against every reference agent of the
** test: it must be a setting of at least one, and suit that one's range. */
static int check_agent_param(TestJob *j, const char *key, const char *v, const char *origin)
{
    char err[1024], names[512] = "";
    int takes = 0;
    for (int i = 0; i < j->n_refs && !j->status; i++) {
        Config *one = config_alloc();
        if (!one || agent_declare(one) || config_set(one, "agent", "name", j->refs[i], "test.agents", err, sizeof err))
            fail(j, JOB_FAILED, "out of memory");
        else if (config_spec(one, "agent", key)) {
            takes = 1;
            if (config_set(one, "agent", key, v, origin, err, sizeof err) || config_finalize(one, err, sizeof err))
                fail(j, JOB_USAGE, "%s", err);
        }
        config_free(one);
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", j->refs[i]);
    }
    if (!j->status && !takes)
        fail(j, JOB_USAGE, "%s: agent.%s is a setting of none of this test's reference agents (%s; see `metarl "
                           "agents` and --agents)", origin, key, names[0] ? names : "none");
    return j->status;
}

/* Copy the test's own settings and any task settings given over the stored
** ones; refuse to change the network's. The given settings were not checked
** against a task yet (`metarl test` cannot know the run's task before the
** run is read): finalizing the merged Config checks the task flags against
** the tested run's task (or --task, if given). The agents' own settings
** (--alpha) are checked against the reference agents of --agents, then
** copied: each agent reads those that are its own. */
static int merge_overrides(TestJob *j)
{
    const Config *given = j->s->cfg;
    char err[1024];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; config_declared(given, i); i++) {
            const OptSpec *s = config_declared(given, i);
            const char *origin = "command line", *v = config_given(given, s->section, s->key, &origin);
            if (!v || is_agent_param(s) != pass) continue;
            if (strcmp(s->section, "test") && strcmp(s->section, "task") && strcmp(s->section, "agent"))
                return fail(j, JOB_USAGE, "%s.%s comes from the training run and cannot change in a test "
                                          "(test settings: [test], [task] and [agent])", s->section, s->key);
            if (pass && config_is_set(j->cfg, s->section, s->key)) continue;   /* a key of several agents */
            if (pass && check_agent_param(j, s->key, v, origin) != JOB_OK) return j->status;
            if (config_set(j->cfg, s->section, s->key, v, origin, err, sizeof err) != 0)
                return fail(j, JOB_USAGE, "%s", err);
        }
        if (pass == 0) {
            if (config_finalize(j->cfg, err, sizeof err) != 0) return fail(j, JOB_USAGE, "%s", err);
            reference_list(j);
        }
    }
    return JOB_OK;
}

/* A new configuration of test_declare_all; NULL if out of memory. */
static Config *test_config_alloc(void)
{
    Config *c = config_alloc();
    if (c && test_declare_all(c) != 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

/* Load a run's stored settings into c (of test_declare_all), finalized if asked. */
static int load_stored(Config *c, const char *text, int finalize, char *err, size_t n_err)
{
    if (config_load_text(c, text, "stored configuration", err, n_err) != 0) return -1;
    return finalize ? config_finalize(c, err, n_err) : 0;
}

Config *test_stored_config(const char *text, int finalize, char *err, size_t n_err)
{
    Config *c = test_config_alloc();
    if (!c) snprintf(err, n_err, "out of memory");
    else if (load_stored(c, text, finalize, err, n_err) == 0) return c;
    config_free(c);
    return NULL;
}

/* j->train_steps: the steps per episode of the task run `run` was trained on
** (its stored settings, before a test's overrides): the network's time input
** is t over that, whatever the length of the test's episodes, or a test of 50
** trials would show a network trained on 100 its clock running twice as fast. */
static int training_steps(TestJob *j, const char *stored, long long run)
{
    Config *c = test_config_alloc();
    Task *t = NULL;
    if (!c) fail(j, JOB_FAILED, "out of memory");
    else if (load_stored(c, stored, 1, j->err, j->n_err) != 0 || !(t = task_alloc(c, j->err, j->n_err)))
        fail(j, JOB_USAGE, "run %lld: %s", run, j->err);
    else j->train_steps = task_max_steps(&t->info);
    task_free(t);
    config_free(c);
    return j->status;
}

/* The training run's row and newest checkpoint; its settings with the test's overrides. */
static int test_load(TestJob *j)
{
    const char *db = j->s->db;
    RunRow row;
    memset(&row, 0, sizeof row);
    void *opt = NULL, *state = NULL;
    size_t n_opt, n_state;
    int64_t run = j->s->run;
    Store *st = store_open(db, STORE_READ, j->err, j->n_err);
    if (!st) return fail(j, JOB_USAGE, "%s", j->err);
    if (!run) run = store_last_run(st, "train");
    j->r->train_run = run;
    j->value_limit = store_value_limit(st);
    if (!run) fail(j, JOB_USAGE, "%s holds no training run (train one with `metarl train --db %s`)", db, db);
    else if (store_run_get(st, run, &row) != 0) fail(j, JOB_USAGE, "%s", store_errmsg(st));
    else if (strcmp(row.kind, "train"))
        fail(j, JOB_USAGE, "--run %lld is a %s run, not a training run", (long long)run, row.kind);
    else if (store_get_checkpoint(st, run, &j->r->checkpoint_episode, &j->params, &j->n_params, &opt, &n_opt,
                                  &state, &n_state) != 0)
        fail(j, JOB_FAILED, "%s", store_errmsg(st));
    else if (j->r->checkpoint_episode < 0) fail(j, JOB_USAGE, "run %lld has no checkpoint to test", (long long)run);
    free(opt);
    free(state);
    store_close(st);
    if (j->status == JOB_OK) {
        if (!(j->cfg = test_config_alloc())) fail(j, JOB_FAILED, "out of memory");
        else if (load_stored(j->cfg, row.config, 0, j->err, j->n_err) != 0)
            fail(j, JOB_USAGE, "run %lld: %s", (long long)run, j->err);
        else if (training_steps(j, row.config, (long long)run) == JOB_OK) merge_overrides(j);
    }
    store_run_clear(&row);
    return j->status;
}

/* The task and the frozen network from the checkpoint's parameters. */
static int test_network(TestJob *j)
{
    long long run = (long long)j->r->train_run;
    if (train_config_from(j->cfg, &j->tc, j->err, j->n_err) != 0) return fail(j, JOB_USAGE, "run %lld: %s", run, j->err);
    j->tc.clock_trials = j->train_steps;
    if (!(j->task = task_alloc(j->cfg, j->err, j->n_err))) return fail(j, JOB_USAGE, "%s", j->err);
    NetConfig nc;
    NetDims dims;
    const TaskInfo *ti = &j->task->info;
    train_net_config(&j->tc, ti->n_actions, ti->obs_dim, task_max_steps(ti), &nc);
    if (net_dims(&nc, &dims, j->err, j->n_err) != 0) return fail(j, JOB_USAGE, "run %lld: %s", run, j->err);
    if (j->n_params != dims.n_params * sizeof(double))
        return fail(j, JOB_USAGE, "run %lld: the checkpoint holds %zu parameters, but this task and network need "
                                  "%zu (was a task setting changed that alters the inputs?)",
                    run, j->n_params / sizeof(double), dims.n_params);
    const double *w = j->params;
    for (size_t i = 0; i < dims.n_params; i++)
        if (!isfinite(w[i]))
            return fail(j, JOB_USAGE, "run %lld: its checkpoint (episode %lld) holds non-finite weights (NaN or Inf); "
                                      "it cannot be tested", run, (long long)j->r->checkpoint_episode);
    /* one activity row per module and episode: trials x units float32, within SQLite's limit per value */
    int widest = dims.N > dims.S ? dims.N : dims.S;
    double bytes = (double)ti->max_trials * widest * sizeof(float);
    if (activity_format(j->cfg) != STORE_RATES_NONE && bytes > (double)j->value_limit)
        return fail(j, JOB_USAGE, "run %lld: one episode's unit rates would be %.0f bytes (%d trials x %d %s units x 4), "
                                  "over the store's limit of %lld bytes per value: lower task.trials (--trials) or "
                                  "store no rates (--set test.activity=false)",
                    run, bytes, ti->max_trials, widest, widest == dims.N ? "prefrontal" : "striatal",
                    (long long)j->value_limit);
    void *ns = net_agent_alloc(&j->tc, ti, j->params, j->err, j->n_err);
    if (!ns || !(j->net = agent_wrap(agent_type_network, ns)))
        return fail(j, JOB_USAGE, "%s", ns ? "out of memory" : j->err);
    NetLesion lesion = { config_double(j->cfg, "test", "silence"), config_double(j->cfg, "test", "rate_noise"),
                         (uint64_t)config_int(j->cfg, "test", "lesion_seed") };
    if (net_agent_lesion(ns, &lesion, j->err, j->n_err) != 0) return fail(j, JOB_USAGE, "%s", j->err);
    char why[1024];
    if (test_settings_check(j->cfg, why, sizeof why) != 0) return fail(j, JOB_USAGE, "%s", why);   /* merged */
    j->r->n_units = activity_format(j->cfg) != STORE_RATES_NONE ? dims.N + dims.S : 0;
    if (j->r->n_units && !strcmp(config_str(j->cfg, "test", "activity_steps"), "all")) {
        double step_bytes = (double)dims.Ts_max * dims.N * sizeof(float);
        if (step_bytes > (double)j->value_limit)
            return fail(j, JOB_USAGE, "run %lld: one episode's per-step rates would be %.0f bytes (%d steps x %d units "
                                      "x 4), over the store's limit of %lld bytes per value: lower task.trials "
                                      "(--trials) or keep test.activity_steps=choice",
                        run, step_bytes, dims.Ts_max, dims.N, (long long)j->value_limit);
        j->max_steps = dims.Ts_max;
        j->n_step_units = dims.N;
    }
    j->r->max_trials = ti->max_trials;
    task_title(j->cfg, j->r->title, sizeof j->r->title);
    return check_agents_serve(j);
}

static void result_json(Json *js, const TestAgentResult *a)
{
    json_kstr(js, "agent", a->agent);
    json_kint(js, "run", a->run);
    eval_rpe_json(js, a->agent);
    summary_json(&a->s, js);
}

static EvalOptions eval_options(TestJob *j)
{
    EvalOptions o = { (uint64_t)config_int(j->cfg, "test", "seed"), config_int(j->cfg, "test", "episodes"),
                      j->tc.gamma, j->store, 0, j->r->n_units, (int)config_int(j->cfg, "test", "batch"), "network",
                      j->s->progress, j->s->progress_ctx, j->s->stop,
                      activity_format(j->cfg), j->max_steps, j->n_step_units };
    return o;
}

/* One reference agent on the network's instances, as a baseline run under
** the test run. 0 to go on, 1 if stopped, -1 on a failure. */
static int test_reference(TestJob *j, const char *name)
{
    char err[1024];
    if (config_set(j->cfg, "agent", "name", name, "test.agents", err, sizeof err) != 0) return 0;
    Agent *ref = agent_alloc(j->cfg, &j->task->info, err, sizeof err);
    if (!ref) {
        char line[1200];
        snprintf(line, sizeof line, "skipping reference agent %s: %s", name, err);
        if (j->s->notice) j->s->notice(j->s->progress_ctx, line);
        return 0;
    }
    TestAgentResult *res = &j->r->results[j->r->n_results++];
    res->agent = name;
    summary_init(&res->s);
    EvalOptions ro = eval_options(j);
    ro.n_units = 0;
    ro.max_steps = 0;
    ro.label = name;
    if (run_create(j->store, "baseline", name, j->r->test_run, j->cfg, name, j->s->version, &ro.run_id, err,
                   sizeof err) != 0) {
        agent_free(ref);
        return fail(j, JOB_FAILED, "%s", err), -1;
    }
    res->run = ro.run_id;
    int rc = eval_agent(j->task, ref, &ro, &res->s, err, sizeof err);
    agent_free(ref);
    if (rc < 0) {
        store_run_finish(j->store, ro.run_id, "failed", NULL);
        return fail(j, JOB_FAILED, "%s", err), -1;
    }
    char *one;
    Json js;
    if (json_text_begin(&js, &one) == 0) {
        result_json(&js, res);
        json_text_end(&js);
    }
    int bad = store_run_finish(j->store, ro.run_id, rc ? "interrupted" : "done", one) != 0;
    free(one);
    if (bad) return fail(j, JOB_FAILED, "%s", store_errmsg(j->store)), -1;
    return rc ? 1 : 0;
}

/* The test run's summary, stored with its status. */
static int test_end(TestJob *j, int rc)
{
    TestResult *r = j->r;
    Json js;
    if (json_text_begin(&js, &r->json) == 0) {
        json_kstr(&js, "command", "test");
        json_kstr(&js, "task", task_name(j->cfg));
        task_json(j->cfg, &js);
        json_kstr(&js, "db", j->s->db);
        json_kint(&js, "train_run", r->train_run);
        json_kint(&js, "checkpoint_episode", r->checkpoint_episode);
        json_kint(&js, "seed", (long long)r->seed);
        result_json(&js, &r->results[0]);
        json_key(&js, "reference");
        json_array_begin(&js);
        for (int i = 1; i < r->n_results; i++) {
            json_object_begin(&js);
            result_json(&js, &r->results[i]);
            json_object_end(&js);
        }
        json_array_end(&js);
        json_kstr(&js, "status", rc ? "interrupted" : "done");
        json_text_end(&js);
    }
    if (store_run_finish(j->store, r->test_run, rc ? "interrupted" : "done", r->json) != 0)
        return fail(j, JOB_FAILED, "%s", store_errmsg(j->store));
    return JOB_OK;
}

/* The network, then each reference agent, on the same instances. */
static int test_play(TestJob *j)
{
    TestResult *r = j->r;
    int runtime = 0;
    if (!(j->store = store_open_rt(j->s->db, STORE_WRITE, &runtime, j->err, j->n_err)))
        return fail(j, runtime ? JOB_FAILED : JOB_USAGE, "%s", j->err);   /* a full disk is not bad input */
    EvalOptions o = eval_options(j);
    r->seed = o.seed;
    r->episodes = o.episodes;
    char name[64];
    snprintf(name, sizeof name, "test of run %lld", (long long)r->train_run);
    if (run_create(j->store, "test", name, r->train_run, j->cfg, "network", j->s->version, &o.run_id, j->err,
                   j->n_err) != 0)
        return fail(j, JOB_FAILED, "%s", j->err);
    r->test_run = o.run_id;
    TestAgentResult *net = &r->results[r->n_results++];
    net->agent = "network";
    net->run = r->test_run;
    summary_init(&net->s);
    int rc = eval_agent_rpe(j->task, j->net, &o, config_bool(j->cfg, "test", "delta_block"), &net->s, j->err,
                            j->n_err);
    if (rc < 0) {
        store_run_finish(j->store, r->test_run, "failed", NULL);
        return fail(j, JOB_FAILED, "%s", j->err);
    }
    for (int i = 0; i < j->n_refs && rc == 0; i++) {
        int ref = test_reference(j, j->refs[i]);
        if (ref < 0) return j->status;
        if (ref > 0) rc = ref;
    }
    if (test_end(j, rc) != JOB_OK) return j->status;
    if (rc) r->stopped = j->s->stop ? *j->s->stop : 0;
    return JOB_OK;
}

int test_job_run(const TestSettings *s, TestResult *r, char *err, size_t n_err)
{
    TestJob j;
    memset(&j, 0, sizeof j);
    memset(r, 0, sizeof *r);
    j.s = s;
    j.r = r;
    j.err = err;
    j.n_err = n_err;
    err[0] = '\0';
    char why[1024];   /* the given settings now, before the store is read; the merged ones in test_network */
    if (test_settings_check(s->cfg, why, sizeof why) != 0) fail(&j, JOB_USAGE, "%s", why);
    else if (test_load(&j) == JOB_OK &&
        test_network(&j) == JOB_OK)
        test_play(&j);
    free(j.params);
    store_close(j.store);
    agent_free(j.net);
    task_free(j.task);
    config_free(j.cfg);
    return j.status;
}
