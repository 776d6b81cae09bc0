/* cli/args_run.c: --run ID or --run NAME, for every command that takes --run.
**
** A positive whole number selects the run with that id. Any other text is
** a run name (`metarl train --name`, `import --name`, or the names runs get
** by default, as `metarl info` lists them): one run of that name selects
** it; several are an error that lists their ids; none is an error too. The
** store is the command's --db (default metarl.db) or its last positional
** argument; it is opened read-only, only when a name must be looked up.
*/
#include <stdio.h>
#include <string.h>

#include "cli/args_internal.h"
#include "core/text.h"
#include "store/store.h"

/* The store a command's --run refers to. */
static const char *run_store(const CmdArgs *a)
{
    const char *db = arg_flag(a, "db");
    if (db) return db;
    if (a->n_pos > 0) return a->pos[a->n_pos - 1];
    return "metarl.db";
}

/* Look name up among the runs of db: EXIT_OK with its id, or EXIT_USAGE. */
static int run_by_name(const char *db, const char *name, int64_t *out)
{
    char err[1024], shown[4 * TEXT_LABEL_MAX + 1];
    text_printable(name, shown, sizeof shown);
    Store *s = store_open(db, STORE_READ, err, sizeof err);
    if (!s) return cli_fail(EXIT_USAGE, "--run %s: %s", shown, err);
    RunRow *rows;
    int n;
    if (store_runs(s, &rows, &n) != 0) {
        int rc = cli_fail(EXIT_USAGE, "--run %s: %s", shown, store_errmsg(s));
        store_close(s);
        return rc;
    }
    char ids[512] = "";
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (!rows[i].name || strcmp(rows[i].name, name)) continue;
        size_t at = strlen(ids);
        if (at < sizeof ids - 24) snprintf(ids + at, sizeof ids - at, "%s%lld", found ? ", " : "", (long long)rows[i].run_id);
        *out = rows[i].run_id;
        found++;
    }
    store_runs_free(rows, n);
    store_close(s);
    if (found == 1) return EXIT_OK;
    if (found > 1)
        return cli_fail(EXIT_USAGE, "--run: %d runs in %s are named '%s' (runs %s): give the run's id instead",
                        found, db, shown, ids);
    return cli_fail(EXIT_USAGE, "--run: '%s' is neither a run id (a positive whole number) nor the name of a run "
                                "in %s (see `metarl info %s`)", shown, db, db);
}

int arg_run_id(const CmdArgs *a, const char *value, int64_t *out)
{
    long v;
    if (parse_long(value, &v) == 0) {
        if (v < 1)
            return cli_fail(EXIT_USAGE, "--run: '%s' is not a run id (a positive whole number; see `metarl info`)",
                            value);
        *out = v;
        return EXIT_OK;
    }
    if (!value[0]) return cli_fail(EXIT_USAGE, "--run: empty (give a run id or a run name; see `metarl info`)");
    return run_by_name(run_store(a), value, out);
}
