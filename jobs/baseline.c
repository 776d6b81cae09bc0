/* jobs/baseline.c: the baseline job (see baseline.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "store/store.h"
#include "jobs/baseline.h"
#include "jobs/run_util.h"

int baseline_declare(Config *c)
{
    static const OptSpec run_specs[] = {
        { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL,
          "master seed: the same seed and settings give bit-identical results" },
        { "run", "episodes", NULL, OPT_INT, "10000", 1, 1e9, NULL, NULL, "episodes to run" },
        OPT_END
    };
    if (config_declare(c, run_specs) || task_declare(c) || agent_declare(c)) return -1;
    return 0;
}

void baseline_result_clear(BaselineResult *r)
{
    free(r->json);
    r->json = NULL;
}

/* The summary as stored with the run (and printed by --json). */
static void baseline_json(const BaselineSettings *s, const char *agent, BaselineResult *r, int rc)
{
    Json j;
    if (json_text_begin(&j, &r->json) != 0) return;
    json_kstr(&j, "command", "baseline");
    json_kstr(&j, "agent", agent);
    json_kstr(&j, "task", task_name(s->cfg));
    task_json(s->cfg, &j);
    json_kint(&j, "seed", (long long)r->seed);
    eval_rpe_json(&j, agent);
    summary_json(&r->s, &j);
    if (s->db) {
        json_kstr(&j, "db", s->db);
        json_kint(&j, "run", r->run);
    }
    json_kstr(&j, "status", rc ? "interrupted" : "done");
    json_text_end(&j);
}

int baseline_job_run(const BaselineSettings *s, BaselineResult *r, char *err, size_t n_err)
{
    const Config *cfg = s->cfg;
    memset(r, 0, sizeof *r);
    summary_init(&r->s);
    Store *store = NULL;
    Agent *agent = NULL;
    Task *task = task_alloc(cfg, err, n_err);
    if (!task) return JOB_USAGE;
    int status = JOB_OK;
    const char *agent_name = config_str(cfg, "agent", "name");
    r->seed = (uint64_t)config_int(cfg, "run", "seed");
    r->max_trials = task->info.max_trials;
    task_title(cfg, r->title, sizeof r->title);
    EvalOptions o = { r->seed, config_int(cfg, "run", "episodes"), NAN, NULL, 0, 0, 100, agent_name,
                      s->progress, s->progress_ctx, s->stop, 0, 0, 0 };
    if (!(agent = agent_alloc(cfg, &task->info, err, n_err))) {
        status = JOB_USAGE;
        goto done;
    }
    if (s->db) {
        int runtime = 0;
        if (!(store = store_open_rt(s->db, STORE_WRITE, &runtime, err, n_err))) {
            status = runtime ? JOB_FAILED : JOB_USAGE;   /* a full disk is not bad input */
            goto done;
        }
        if (run_create(store, "baseline", s->name ? s->name : agent_name, 0, cfg, agent_name, s->version,
                       &o.run_id, err, n_err) != 0) {
            status = JOB_FAILED;
            goto done;
        }
        o.store = store;
        r->run = o.run_id;
    }
    int rc = eval_agent(task, agent, &o, &r->s, err, n_err);
    if (rc < 0) {
        if (store) store_run_finish(store, o.run_id, "failed", NULL);
        status = JOB_FAILED;
        goto done;
    }
    baseline_json(s, agent_name, r, rc);
    if (store && store_run_finish(store, o.run_id, rc ? "interrupted" : "done", r->json) != 0) {
        snprintf(err, n_err, "%s", store_errmsg(store));
        status = JOB_FAILED;
        goto done;
    }
    if (rc) r->stopped = rc - 128;
done:
    store_close(store);
    agent_free(agent);
    task_free(task);
    return status;
}
