/* cli/cmd_baseline.c: `metarl baseline`: a reference agent on a task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/evaluate.h"
#include "jobs/run_util.h"
#include "core/json.h"
#include "core/rng.h"

static int baseline_declare(Config *c)
{
    if (cli_declare_run(c) || task_declare(c) || agent_declare(c)) return -1;
    return 0;
}

static const CmdFlag baseline_flags[] = {
    { "db", "FILE", "store every trial in this SQLite file (created if missing; default: summary only)" },
    { "name", "TEXT", "label of the run in the store (default: the agent's name)" },
    { "json", NULL, "print one JSON object on stdout instead of the table" },
    { "quiet", NULL, "no progress line on stderr" },
    { NULL, NULL, NULL }
};

static int baseline_run(CmdArgs *a)
{
    char err[1024];
    const Config *cfg = a->cfg;
    Task *task = task_alloc(cfg, err, sizeof err);
    if (!task) return cli_fail(EXIT_USAGE, "%s", err);
    Agent *agent = agent_alloc(cfg, &task->info, err, sizeof err);
    if (!agent) {
        task_free(task);
        return cli_fail(EXIT_USAGE, "%s", err);
    }
    const char *agent_name = config_str(cfg, "agent", "name");
    CliEvalProgress shown;
    cli_eval_progress_init(&shown);
    EvalOptions o = { (uint64_t)config_int(cfg, "run", "seed"), config_int(cfg, "run", "episodes"), 0.9, NULL, 0, 0,
                      100, agent_name, arg_has(a, "quiet") ? NULL : cli_eval_progress, &shown, &cli_stop_signal };
    Store *store = NULL;
    int status = EXIT_OK;
    const char *db = arg_flag(a, "db");
    if (db) {
        store = store_open(db, STORE_WRITE, err, sizeof err);
        if (!store) {
            status = cli_fail(EXIT_USAGE, "%s", err);
            goto done;
        }
        const char *name = arg_flag(a, "name");
        if (run_create(store, "baseline", name ? name : agent_name, 0, cfg, agent_name, metarl_version, &o.run_id, err,
                       sizeof err)) {
            status = cli_fail(EXIT_FAILED, "%s", err);
            goto done;
        }
        o.store = store;
    }
    cli_catch_signals();
    Summary s;
    summary_init(&s);
    int rc = eval_agent(task, agent, &o, &s, err, sizeof err);
    if (rc < 0) {
        if (store) store_run_finish(store, o.run_id, "failed", NULL);
        status = cli_fail(EXIT_FAILED, "%s", err);
        goto done;
    }

    /* the summary: JSON on stdout, or the table */
    char *json;
    Json j;
    if (json_text_begin(&j, &json) == 0) {
        json_kstr(&j, "command", "baseline");
        json_kstr(&j, "agent", agent_name);
        json_kstr(&j, "task", config_str(cfg, "task", "name"));
        task_json(cfg, &j);
        json_kint(&j, "seed", (long long)o.seed);
        summary_json(&s, &j);
        if (store) {
            json_kstr(&j, "db", db);
            json_kint(&j, "run", o.run_id);
        }
        json_kstr(&j, "status", rc ? "interrupted" : "done");
        json_text_end(&j);
    }
    if (store && store_run_finish(store, o.run_id, rc ? "interrupted" : "done", json) != 0) {
        status = cli_fail(EXIT_FAILED, "%s", store_errmsg(store));
    } else if (arg_has(a, "json")) {
        fputs(json ? json : "{}\n", stdout);
    } else {
        char title[256];
        task_title(cfg, title, sizeof title);
        printf("task %s, seed %llu\n", title, (unsigned long long)o.seed);
        eval_print(&s, agent_name, task->info.max_trials);
        if (store) printf("stored as run %lld in %s\n", (long long)o.run_id, db);
    }
    free(json);
    if (rc > 0) {
        cli_error("interrupted after %ld episodes%s", s.episodes, store ? "; completed episodes are stored" : "");
        status = rc;
    }
done:
    store_close(store);
    agent_free(agent);
    task_free(task);
    return status;
}

const Command cmd_baseline = {
    "baseline", "[--task NAME] [--agent NAME] [options]",
    "run a reference agent on a task; summarise and optionally store every trial",
    "Episodes draw their task instance from (seed, episode), so different agents run with the\n"
    "same seed meet the same instances and the same reward coin flips (paired comparisons).",
    baseline_declare, baseline_flags, 0, 0, baseline_run
};
