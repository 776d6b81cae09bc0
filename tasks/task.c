/* tasks/task.c: the registry of tasks and the generic Task handle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

/* The registry. Each task file (tasks/NAME.c) exports one TaskType object,
** task_NAME; the rest of the file is static. A new task is its file plus
** its name in this one line. */
#define TASKS(X) X(bandit) X(reversal) X(twostep) X(harlow) X(baited) X(volatility)

#define TASK_EXTERN(name) extern const TaskType task_##name;
#define TASK_ENTRY(name) &task_##name,
TASKS(TASK_EXTERN)
const TaskType *const task_types[] = { TASKS(TASK_ENTRY) NULL };

const TaskType *task_lookup(const char *name)
{
    for (const TaskType *const *t = task_types; *t; t++)
        if (strcmp((*t)->name, name) == 0) return *t;
    return NULL;
}

int task_declare(Config *c)
{
    static char choices[256];
    static const OptSpec selector[] = {
        { "task", "name", "task", OPT_CHOICE, "bandit", 0, 0, choices, NULL,
          "task family (see `metarl tasks`)" },
        OPT_END
    };
    if (!choices[0]) {
        for (const TaskType *const *t = task_types; *t; t++) {
            if (choices[0]) strcat(choices, "|");
            strcat(choices, (*t)->name);
        }
    }
    if (config_declare(c, selector) != 0) return -1;
    for (const TaskType *const *t = task_types; *t; t++)
        if (config_declare(c, (*t)->params) != 0) return -1;
    return 0;
}

Task *task_alloc(const Config *cfg, char *err, size_t n_err)
{
    const char *name = config_str(cfg, "task", "name");
    const TaskType *type = task_lookup(name);
    if (!type) {
        snprintf(err, n_err, "unknown task '%s'", name);
        return NULL;
    }
    Task *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    t->type = type;
    t->state = type->alloc(cfg, err, n_err);
    if (!t->state) {
        free(t);
        return NULL;
    }
    type->info(t->state, &t->info);
    return t;
}

void task_free(Task *t)
{
    if (!t) return;
    if (t->state) t->type->free(t->state);
    free(t);
}

const char *task_name(const Config *cfg)
{
    const char *name = config_get(cfg, "task", "name");
    return name ? name : "";
}

void task_title(const Config *cfg, char *out, size_t n)
{
    const char *name = config_str(cfg, "task", "name");
    const TaskType *type = task_lookup(name);
    size_t used = (size_t)snprintf(out, n, "%s (", name);
    int first = 1;
    for (size_t i = 0; type && config_declared(cfg, i) && used < n; i++) {
        const OptSpec *s = config_declared(cfg, i);
        if (strcmp(s->section, "task") || !strcmp(s->key, "name")) continue;
        if (config_spec(cfg, "task", s->key) != s || !type->deciding(cfg, s->key)) continue;
        used += (size_t)snprintf(out + used, n - used, "%s%s=%s", first ? "" : ", ", s->key,
                                 config_get(cfg, "task", s->key));
        first = 0;
    }
    if (used < n) snprintf(out + used, n - used, ")");
}

void task_facts(const Task *t, TaskFacts *out)
{
    t->type->facts(t->state, out);
    out->task = t->type->name;
}

int task_facts_of(const Config *cfg, TaskFacts *out, char *err, size_t n_err)
{
    memset(out, 0, sizeof *out);
    out->task = "";
    Task *t = task_alloc(cfg, err, n_err);
    if (!t) return -1;
    task_facts(t, out);   /* its strings are the task's static names: they outlive t */
    task_free(t);
    return 0;
}

/* A Config holding the [task] section of a run's stored INI text, finalized;
** NULL with a message in err. */
static Config *stored_task_config(const char *ini, char *err, size_t n_err)
{
    Config *c = config_alloc();
    if (!c || task_declare(c) != 0) {
        snprintf(err, n_err, "out of memory");
        config_free(c);
        return NULL;
    }
    if (config_load_text_section(c, ini ? ini : "", "task", "stored configuration", err, n_err) != 0 ||
        config_finalize(c, err, n_err) != 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

int task_facts_from_text(const char *ini, TaskFacts *out, char *err, size_t n_err)
{
    Config *c = stored_task_config(ini, err, n_err);
    if (!c) return -1;
    Task *t = task_alloc(c, err, n_err);
    if (t) task_facts(t, out);   /* its strings are the task's own static names, not c's */
    task_free(t);
    config_free(c);
    return t ? 0 : -1;
}

int task_title_from_text(const char *ini, char *out, size_t n, char *err, size_t n_err)
{
    Config *c = stored_task_config(ini, err, n_err);
    if (!c) return -1;
    task_title(c, out, n);
    config_free(c);
    return 0;
}
