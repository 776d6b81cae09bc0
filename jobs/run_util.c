/* jobs/run_util.c: pieces the jobs and the data-producing commands share
** (see run_util.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/run_util.h"
#include "core/rng.h"

int run_create(Store *s, const char *kind, const char *name, int64_t parent, const Config *cfg,
               const char *agent, const char *version, int64_t *run_id, char *err, size_t n_err)
{
    char *text = config_dump(cfg);
    if (!text) {
        snprintf(err, n_err, "out of memory");
        return -1;
    }
    RunRow row;
    memset(&row, 0, sizeof row);
    row.kind = (char *)kind;
    row.name = (char *)name;
    row.parent_run = parent;
    row.task = (char *)task_name(cfg);
    row.agent = (char *)agent;
    row.config = text;
    row.seed = config_get(cfg, "run", "seed") ? config_int(cfg, "run", "seed") : 0;
    row.rng = (char *)rng_type()->name;
    row.version = (char *)version;
    int rc = store_run_create(s, &row, run_id);
    if (rc != 0) snprintf(err, n_err, "%s", store_errmsg(s));
    free(text);
    return rc;
}

void task_json(const Config *cfg, Json *j)
{
    json_key(j, "task_settings");
    json_object_begin(j);
    for (size_t i = 0; config_declared(cfg, i); i++) {
        const OptSpec *s = config_declared(cfg, i);
        if (strcmp(s->section, "task") || config_spec(cfg, "task", s->key) != s) continue;
        const char *v = config_get(cfg, "task", s->key);
        double d;
        if ((s->kind == OPT_INT || s->kind == OPT_DOUBLE) && parse_double(v, &d) == 0) json_knum(j, s->key, d);
        else json_kstr(j, s->key, v);
    }
    json_object_end(j);
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int job_vfail(char *err, size_t n_err, int status, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(err, n_err, "%s", msg);
    return status;
}
