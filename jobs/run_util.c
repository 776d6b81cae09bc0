/* jobs/run_util.c: pieces the jobs and the data-producing commands share
** (see run_util.h). */
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
    row.task = (char *)config_str(cfg, "task", "name");
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

/* Does task.key tell which member of the family this is? Settings that the
** chosen variant ignores (p1 with dist=independent, hazard with
** schedule=blocks) are left out of titles. */
static int is_deciding(const Config *cfg, const char *key)
{
    static const char *const always[] = { "dist", "trials", "schedule", "p_high", "p_low", NULL };
    for (int i = 0; always[i]; i++)
        if (!strcmp(always[i], key)) return 1;
    const char *dist = config_get(cfg, "task", "dist"), *sched = config_get(cfg, "task", "schedule");
    if (dist && (!strcmp(key, "p1") || !strcmp(key, "p2"))) return !strcmp(dist, "fixed");
    if (dist && !strcmp(key, "shuffle")) return !config_bool(cfg, "task", "shuffle");
    if (sched && !strcmp(key, "hazard")) return !strcmp(sched, "hazard");
    if (sched && !strcmp(key, "blocks")) return !strcmp(sched, "blocks");
    if (sched && (!strcmp(key, "crit_k") || !strcmp(key, "crit_n") || !strcmp(key, "delay_hazard")))
        return !strcmp(sched, "criterion");
    return 0;
}

void task_title(const Config *cfg, char *out, size_t n)
{
    size_t used = (size_t)snprintf(out, n, "%s (", config_str(cfg, "task", "name"));
    int first = 1;
    for (size_t i = 0; config_declared(cfg, i) && used < n; i++) {
        const OptSpec *s = config_declared(cfg, i);
        if (strcmp(s->section, "task") || !strcmp(s->key, "name")) continue;
        if (config_spec(cfg, "task", s->key) != s || !is_deciding(cfg, s->key)) continue;
        used += (size_t)snprintf(out + used, n - used, "%s%s=%s", first ? "" : ", ", s->key,
                                 config_get(cfg, "task", s->key));
        first = 0;
    }
    if (used < n) snprintf(out + used, n - used, ")");
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
