/* cli/cmd_info.c: `metarl info`, `metarl tasks`, `metarl agents`.
**
** info lists a store's runs as a table (every text field made printable,
** since a store made elsewhere may hold anything) or as a JSON array; tasks
** and agents list the families with their settings and defaults. `metarl
** export` is in cli/cmd_export.c.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "store/store.h"
#include "model/agent.h"
#include "core/text.h"
#include "tasks/task.h"

/* ---- info --------------------------------------------------------------- */

static const CmdFlag info_flags[] = {
    { "json", NULL, "print the runs as a JSON array" },
    { NULL, NULL, NULL }
};

static int info_run(CmdArgs *a)
{
    char err[1024];
    Store *s = store_open(a->pos[0], STORE_READ, err, sizeof err);
    if (!s) return cli_fail(EXIT_USAGE, "%s", err);
    RunRow *rows;
    int n;
    if (store_runs(s, &rows, &n) != 0) {
        int rc = cli_fail(EXIT_USAGE, "%s", store_errmsg(s));
        store_close(s);
        return rc;
    }
    if (arg_has(a, "json")) {
        Json j;
        json_init(&j, stdout);
        json_array_begin(&j);
        for (int i = 0; i < n; i++) {
            const RunRow *r = &rows[i];
            json_object_begin(&j);
            json_kint(&j, "run", r->run_id);
            json_kstr(&j, "kind", r->kind);
            json_kstr(&j, "name", r->name);
            json_key(&j, "parent_run");
            if (r->parent_run) json_int(&j, r->parent_run);
            else json_null(&j);
            json_kstr(&j, "task", r->task);
            json_kstr(&j, "agent", r->agent);
            json_kint(&j, "episodes", r->n_episodes);
            json_kint(&j, "seed", r->seed);
            json_kstr(&j, "status", r->status);
            json_kstr(&j, "started", r->started);
            json_kstr(&j, "finished", r->finished);
            json_kstr(&j, "version", r->version);
            json_object_end(&j);
        }
        json_array_end(&j);
    } else {
        printf("%s: %d run%s\n", a->pos[0], n, n == 1 ? "" : "s");
        if (n) printf("%4s  %-8s %-22s %-9s %-10s %8s %6s  %-11s %s\n", "run", "kind", "name", "task", "agent",
                      "episodes", "parent", "status", "started");
        for (int i = 0; i < n; i++) {
            const RunRow *r = &rows[i];
            char parent[24] = "-", name[4 * TEXT_LABEL_MAX + 1], task[64], agent[64];
            if (r->parent_run) snprintf(parent, sizeof parent, "%lld", (long long)r->parent_run);
            /* a store made elsewhere may hold anything: no escape codes reach the terminal */
            text_printable(r->name, name, sizeof name);
            text_printable(r->task, task, sizeof task);
            text_printable(r->agent, agent, sizeof agent);
            printf("%4lld  %-8s %-22s %-9s %-10s %8lld %6s  %-11s %s\n", (long long)r->run_id, r->kind, name,
                   task, agent, (long long)r->n_episodes, parent, r->status, r->started);
        }
    }
    store_runs_free(rows, n);
    store_close(s);
    return EXIT_OK;
}

const Command cmd_info = {
    "info", "FILE [--json]", "list the runs in a metarl database", NULL,
    NULL, info_flags, 1, 1, info_run
};

/* ---- tasks and agents --------------------------------------------------- */

static void print_params(const OptSpec *p)
{
    static const char *const metavars[] = { "N", "X", "BOOL", NULL, "TEXT", "N,N,..." };
    for (; p && p->section; p++) {
        char left[160];
        snprintf(left, sizeof left, "--%s %s", p->flag && *p->flag ? p->flag : p->key,
                 p->kind == OPT_CHOICE ? p->choices : metavars[p->kind]);
        for (char *c = left + 2; *c && *c != ' '; c++)   /* flags are spelled with hyphens */
            if (*c == '_') *c = '-';
        printf("    %-34s %s (default %s)\n", left, p->help, p->def);
    }
}

static int tasks_run(CmdArgs *a)
{
    (void)a;
    for (const TaskType *const *t = task_types; *t; t++) {
        printf("%s: %s\n", (*t)->name, (*t)->summary);
        print_params((*t)->params);
    }
    return EXIT_OK;
}

static int agents_run(CmdArgs *a)
{
    (void)a;
    for (const AgentType *const *t = agent_types; *t; t++) {
        printf("%s: %s\n", (*t)->name, (*t)->summary);
        print_params((*t)->params);
    }
    return EXIT_OK;
}

const Command cmd_tasks = { "tasks", "", "list the tasks with their settings and defaults", NULL,
                            NULL, NULL, 0, 0, tasks_run };
const Command cmd_agents = { "agents", "", "list the reference agents with their settings and defaults", NULL,
                             NULL, NULL, 0, 0, agents_run };
