/* cli/cmd_test.c: `metarl test`: the trained network with its weights frozen.
**
** The inner loop of meta-RL, shown: the network meets task instances it has
** never seen (drawn from the test seed's own streams) and must learn each
** one within its recurrent activity, since nothing changes its weights. Every
** trial is stored with the policy, the striatal value V, the dopamine-like
** RPE delta and the full vector of unit rates; the reference agents play the
** very same instances (same episode seeds, same reward coins) beside it, so
** every comparison is paired.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evaluate.h"
#include "cli/run_util.h"
#include "core/json.h"
#include "core/store.h"
#include "model/net_agent.h"
#include "model/train_settings.h"

#define MAX_REFERENCE 16

int test_declare(Config *c)
{
    static const OptSpec test_specs[] = {
        { "test", "episodes", "episodes", OPT_INT, "2000", 1, 1e9, NULL, NULL,
          "test episodes, weights frozen" },
        { "test", "seed", "seed", OPT_INT, "1000001", 0, 4294967295.0, NULL, NULL,
          "seed of the test instances (its streams never meet training's)" },
        { "test", "agents", "agents", OPT_STRING, "auto", 0, 0, NULL, NULL,
          "reference agents on the same instances: auto (those that suit the task), none, or a list a,b,c" },
        { "test", "activity", NULL, OPT_BOOL, "true", 0, 0, NULL, NULL,
          "store the unit rates of every trial" },
        { "test", "batch", NULL, OPT_INT, "100", 1, 1e6, NULL, NULL,
          "episodes per store transaction" },
        OPT_END
    };
    return config_declare(c, test_specs);
}

static int test_declare_all(Config *c)
{
    /* [test] first, so that --seed and --episodes mean the test's */
    if (test_declare(c) || train_declare_run(c) || task_declare(c) || train_declare(c) || agent_declare(c))
        return -1;
    return 0;
}

static const CmdFlag test_flags[] = {
    { "db", "FILE", "the store that holds the training run; the test runs are added to it (default: metarl.db)" },
    { "run", "ID", "training run to test (default: the newest)" },
    { "json", NULL, "print one JSON object on stdout instead of the table" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

/* The reference agents that suit the task, for test.agents = auto. */
static int auto_agents(const Config *cfg, const char **out)
{
    static const char *const bandit_ind[] = { "bayes", "thompson", "ucb1", "greedy", "random", NULL };
    static const char *const bandit_other[] = { "bayes", "thompson", "greedy", "random", NULL };
    static const char *const reversal[] = { "observer", "wsls", "rw", "random", NULL };
    const char *const *list = reversal;
    if (!strcmp(config_str(cfg, "task", "name"), "bandit"))
        list = !strcmp(config_str(cfg, "task", "dist"), "independent") ? bandit_ind : bandit_other;
    int n = 0;
    while (list[n] && n < MAX_REFERENCE) {
        out[n] = list[n];
        n++;
    }
    return n;
}

/* Copy the test's own settings and any task settings given on the command
** line over the stored ones; refuse to change the network's. */
static int merge_overrides(const Config *given, Config *cfg)
{
    char err[1024];
    for (size_t i = 0; config_declared(given, i); i++) {
        const OptSpec *s = config_declared(given, i);
        if (!config_is_set(given, s->section, s->key)) continue;
        if (strcmp(s->section, "test") && strcmp(s->section, "task") && strcmp(s->section, "agent"))
            return cli_fail(EXIT_USAGE, "%s.%s comes from the training run and cannot change in a test "
                                        "(test settings: [test], [task] and [agent])", s->section, s->key);
        if (config_set(cfg, s->section, s->key, config_get(given, s->section, s->key), "command line", err,
                       sizeof err) != 0)
            return cli_fail(EXIT_USAGE, "%s", err);
    }
    if (config_finalize(cfg, err, sizeof err) != 0) return cli_fail(EXIT_USAGE, "%s", err);
    return EXIT_OK;
}

typedef struct {
    const char *agent;
    int64_t run;
    Summary s;
} Result;

static void result_json(Json *j, const Result *r)
{
    json_kstr(j, "agent", r->agent);
    json_kint(j, "run", r->run);
    summary_json(&r->s, j);
}

/* Check a test.agents value: auto, none, or known agent names. */
static int check_agents(const char *agents)
{
    if (!strcmp(agents, "auto") || !strcmp(agents, "none")) return EXIT_OK;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", agents);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (!agent_lookup(tok))
            return cli_fail(EXIT_USAGE, "--agents: unknown agent '%s' (expected auto, none, or a list of: see "
                                        "`metarl agents`)", tok);
    return EXIT_OK;
}

static int test_run(CmdArgs *a)
{
    char err[1024];
    const char *db = arg_flag(a, "db");
    if (!db) db = "metarl.db";
    int64_t train_run = 0;
    if (arg_has(a, "run") && arg_run_id(a, arg_flag(a, "run"), &train_run) != EXIT_OK) return EXIT_USAGE;

    int status = EXIT_OK;
    Store *store = NULL;
    Config *cfg = NULL;
    Task *task = NULL;
    Agent *net = NULL;
    void *params = NULL, *opt = NULL, *state = NULL;
    RunRow row;
    memset(&row, 0, sizeof row);
    Result results[1 + MAX_REFERENCE];
    int n_results = 0;
    char *json = NULL;

    if (check_agents(config_str(a->cfg, "test", "agents")) != EXIT_OK) return EXIT_USAGE;
    store = store_open(db, STORE_READ, err, sizeof err);
    if (!store) return cli_fail(EXIT_USAGE, "%s", err);
    if (!train_run) train_run = store_last_run(store, "train");
    if (!train_run) {
        status = cli_fail(EXIT_USAGE, "%s holds no training run (train one with `metarl train --db %s`)", db, db);
        goto done;
    }
    if (store_run_get(store, train_run, &row) != 0) {
        status = cli_fail(EXIT_USAGE, "%s", store_errmsg(store));
        goto done;
    }
    if (strcmp(row.kind, "train")) {
        status = cli_fail(EXIT_USAGE, "--run %lld is a %s run, not a training run", (long long)train_run, row.kind);
        goto done;
    }
    int64_t ck_episode;
    size_t n_params, n_opt, n_state;
    if (store_get_checkpoint(store, train_run, &ck_episode, &params, &n_params, &opt, &n_opt, &state, &n_state) != 0) {
        status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
        goto done;
    }
    if (ck_episode < 0) {
        status = cli_fail(EXIT_USAGE, "run %lld has no checkpoint to test", (long long)train_run);
        goto done;
    }
    store_close(store);
    store = NULL;

    cfg = config_alloc();
    if (!cfg || test_declare_all(cfg) != 0) {
        status = cli_fail(EXIT_FAILED, "out of memory");
        goto done;
    }
    if (config_load_text(cfg, row.config, "stored configuration", err, sizeof err) != 0) {
        status = cli_fail(EXIT_USAGE, "run %lld: %s", (long long)train_run, err);
        goto done;
    }
    if ((status = merge_overrides(a->cfg, cfg)) != EXIT_OK) goto done;
    TrainConfig tc;
    if (train_config_from(cfg, &tc, err, sizeof err) != 0) {
        status = cli_fail(EXIT_USAGE, "run %lld: %s", (long long)train_run, err);
        goto done;
    }
    task = task_alloc(cfg, err, sizeof err);
    if (!task) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    NetConfig nc;
    NetDims dims;
    train_net_config(&tc, task->info.n_actions, task->info.obs_dim, task->info.max_trials, &nc);
    if (net_dims(&nc, &dims, err, sizeof err) != 0) {
        status = cli_fail(EXIT_USAGE, "run %lld: %s", (long long)train_run, err);
        goto done;
    }
    if (n_params != dims.n_params * sizeof(double)) {
        status = cli_fail(EXIT_USAGE, "run %lld: the checkpoint holds %zu parameters, but this task and network "
                                      "need %zu (was a task setting changed that alters the inputs?)",
                          (long long)train_run, n_params / sizeof(double), dims.n_params);
        goto done;
    }
    void *ns = net_agent_alloc(&tc, &task->info, params, err, sizeof err);
    if (!ns || !(net = agent_wrap(agent_type_network, ns))) {
        status = cli_fail(EXIT_USAGE, "%s", ns ? "out of memory" : err);
        goto done;
    }
    const char *refs[MAX_REFERENCE];
    int n_refs = 0;
    const char *agents = config_str(cfg, "test", "agents");
    static char agent_buf[512];
    if (!strcmp(agents, "auto")) {
        n_refs = auto_agents(cfg, refs);
    } else if (strcmp(agents, "none")) {
        snprintf(agent_buf, sizeof agent_buf, "%s", agents);
        for (char *save = NULL, *tok = strtok_r(agent_buf, ",", &save); tok && n_refs < MAX_REFERENCE;
             tok = strtok_r(NULL, ",", &save)) {
            refs[n_refs++] = tok;
        }
    }

    store = store_open(db, STORE_WRITE, err, sizeof err);
    if (!store) {
        status = cli_fail(EXIT_USAGE, "%s", err);
        goto done;
    }
    cli_catch_signals();
    int quiet = arg_has(a, "quiet");
    EvalOptions o = { (uint64_t)config_int(cfg, "test", "seed"), config_int(cfg, "test", "episodes"), tc.gamma,
                      store, 0, config_bool(cfg, "test", "activity") ? dims.N + dims.S : 0,
                      (int)config_int(cfg, "test", "batch"), quiet ? NULL : "network" };
    char name[64];
    snprintf(name, sizeof name, "test of run %lld", (long long)train_run);
    if (run_create(store, "test", name, train_run, cfg, "network", &o.run_id, err, sizeof err) != 0) {
        status = cli_fail(EXIT_FAILED, "%s", err);
        goto done;
    }
    int64_t test_run_id = o.run_id;
    Result *net_res = &results[n_results++];
    net_res->agent = "network";
    net_res->run = test_run_id;
    summary_init(&net_res->s);
    int rc = eval_agent(task, net, &o, &net_res->s, err, sizeof err);
    if (rc < 0) {
        store_run_finish(store, test_run_id, "failed", NULL);
        status = cli_fail(EXIT_FAILED, "%s", err);
        goto done;
    }
    for (int i = 0; i < n_refs && rc == 0; i++) {
        if (config_set(cfg, "agent", "name", refs[i], "test.agents", err, sizeof err) != 0) continue;
        Agent *ref = agent_alloc(cfg, &task->info, err, sizeof err);
        if (!ref) {
            if (!quiet) cli_error("skipping reference agent %s: %s", refs[i], err);
            continue;
        }
        Result *res = &results[n_results++];
        res->agent = refs[i];
        summary_init(&res->s);
        EvalOptions ro = o;
        ro.n_units = 0;
        ro.label = quiet ? NULL : refs[i];
        if (run_create(store, "baseline", refs[i], test_run_id, cfg, refs[i], &ro.run_id, err, sizeof err) != 0) {
            agent_free(ref);
            status = cli_fail(EXIT_FAILED, "%s", err);
            goto done;
        }
        res->run = ro.run_id;
        rc = eval_agent(task, ref, &ro, &res->s, err, sizeof err);
        agent_free(ref);
        if (rc < 0) {
            store_run_finish(store, ro.run_id, "failed", NULL);
            status = cli_fail(EXIT_FAILED, "%s", err);
            goto done;
        }
        char *one;
        Json j;
        if (json_text_begin(&j, &one) == 0) {
            result_json(&j, res);
            json_text_end(&j);
        }
        if (store_run_finish(store, ro.run_id, rc ? "interrupted" : "done", one) != 0) {
            free(one);
            status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
            goto done;
        }
        free(one);
    }

    Json j;
    if (json_text_begin(&j, &json) == 0) {
        json_kstr(&j, "command", "test");
        json_kstr(&j, "task", config_str(cfg, "task", "name"));
        task_json(cfg, &j);
        json_kstr(&j, "db", db);
        json_kint(&j, "train_run", train_run);
        json_kint(&j, "checkpoint_episode", ck_episode);
        json_kint(&j, "seed", (long long)o.seed);
        result_json(&j, net_res);
        json_key(&j, "reference");
        json_array_begin(&j);
        for (int i = 1; i < n_results; i++) {
            json_object_begin(&j);
            result_json(&j, &results[i]);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_kstr(&j, "status", rc ? "interrupted" : "done");
        json_text_end(&j);
    }
    if (store_run_finish(store, test_run_id, rc ? "interrupted" : "done", json) != 0) {
        status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
        goto done;
    }
    if (arg_has(a, "json")) {
        fputs(json ? json : "{}\n", stdout);
    } else {
        char title[256];
        task_title(cfg, title, sizeof title);
        printf("frozen-weight test of training run %lld (checkpoint at episode %lld)\n", (long long)train_run,
               (long long)ck_episode);
        printf("task %s, %ld episodes, test seed %llu; every agent meets the same instances\n\n", title,
               o.episodes, (unsigned long long)o.seed);
        int T = task->info.max_trials;
        printf("%-10s %6s  %-18s %-18s %-18s", "agent", "run", "reward/trial", "regret", "P(best arm)");
        if (net_res->s.reversals) printf(" %-18s", "acc. 1-10 after rev.");
        printf("\n");
        for (int i = 0; i < n_results; i++) {
            const Summary *s = &results[i].s;
            char c1[32], c2[32], c3[32], c4[32];
            snprintf(c1, sizeof c1, "%.4f ± %.4f", s->reward_per_trial.mean, moments_se(&s->reward_per_trial));
            snprintf(c2, sizeof c2, "%.3f ± %.3f", s->regret.mean, moments_se(&s->regret));
            snprintf(c3, sizeof c3, "%.4f ± %.4f", s->p_best.mean, moments_se(&s->p_best));
            snprintf(c4, sizeof c4, "%.4f ± %.4f", s->post_reversal.mean, moments_se(&s->post_reversal));
            printf("%-10s %6lld  %-18s %-18s %-18s", results[i].agent, (long long)results[i].run, c1, c2, c3);
            if (net_res->s.reversals) printf(" %-18s", c4);
            printf("\n");
        }
        printf("\nregret is over %d trials (sum of max p - p chosen); ± is one standard error across episodes.\n", T);
        printf("stored in %s: test run %lld (trials, V, RPE%s) and the reference runs beside it\n", db,
               (long long)test_run_id, o.n_units ? ", unit rates" : "");
    }
    if (rc > 0) {
        cli_error("interrupted; completed episodes are stored");
        status = rc;
    }
done:
    free(json);
    free(params);
    free(opt);
    free(state);
    store_run_clear(&row);
    store_close(store);
    agent_free(net);
    task_free(task);
    config_free(cfg);
    return status;
}

const Command cmd_test = {
    "test", "[--db FILE] [--run ID] [--episodes N] [--seed S] [--json]",
    "test a trained network with frozen weights on fresh instances, beside the reference agents",
    "Task settings may be changed for the test (e.g. --dist dependent on a network trained on\n"
    "independent arms) as long as the network's inputs stay the same; the network's own settings\n"
    "come from its training run.",
    test_declare_all, test_flags, 0, 0, test_run
};
