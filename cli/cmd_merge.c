/* cli/cmd_merge.c: `metarl merge OUT IN...`: gather the runs of several stores into one.
**
** The other half of `metarl sweep` under MPI, where every rank writes its own
** file (no two processes ever write one SQLite file): afterwards the rank
** files are merged into one store that `info`, `analyze`, `plot`, `report`
** and `compare` read like any other. Every run is copied with its episodes,
** trials, unit rates, training curve and checkpoints, byte for byte; run ids
** are renumbered in OUT and parent links (a test's training run, the
** reference runs beside a test) follow. Each input goes in one transaction.
**
** Provenance (no schema change): the summary JSON of every copied run gains
** "merged_from": {"file": "<base name of the input>", "run": <its id there>};
** other ids inside that summary are the input's. Merging a file again, or a
** file that shares runs with OUT, adds nothing: runs already present are
** recognised (store/store.h, store_merge) and only replaced when the input's
** copy went further (a run merged while it was still training).
**
** All inputs are checked before anything is written: a missing file, one
** that is not a metarl store or has a newer schema, or OUT itself among the
** inputs exits 2 with one line and leaves OUT as it was (not created).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/json.h"
#include "store/store.h"

static const CmdFlag merge_flags[] = {
    { "json", NULL, "print one JSON object on stdout: per input, runs added, updated and skipped" },
    { "quiet", NULL, "no line per input on stderr" },
    { NULL, NULL, NULL }
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static int merge_run(CmdArgs *a)
{
    char err[1024];
    const char *out = a->pos[0];
    int n_in = a->n_pos - 1;
    struct stat so;
    int out_exists = stat(out, &so) == 0;

    /* every input first: nothing is created or written if one is refused */
    for (int i = 1; i < a->n_pos; i++) {
        struct stat si;
        if (out_exists && stat(a->pos[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
            return cli_fail(EXIT_USAGE, "%s: is the output file itself (usage: metarl merge OUT IN...)", a->pos[i]);
        int runtime = 0;
        Store *in = store_open_rt(a->pos[i], STORE_READ, &runtime, err, sizeof err);
        if (!in) return cli_fail(runtime ? EXIT_FAILED : EXIT_USAGE, "%s", err);
        store_close(in);
    }
    int runtime = 0;   /* disk full or out of memory: 1; a file that cannot be used: 2 */
    Store *s = store_open_rt(out, STORE_WRITE, &runtime, err, sizeof err);
    if (!s) return cli_fail(runtime ? EXIT_FAILED : EXIT_USAGE, "%s", err);

    int status = EXIT_OK, quiet = arg_has(a, "quiet");
    StoreMergeCounts total = { 0, 0, 0 }, c[CLI_MAX_POSITIONAL];
    int done = 0;
    for (int i = 1; i < a->n_pos; i++) {
        if (store_merge(s, a->pos[i], base_name(a->pos[i]), &c[i - 1]) != 0) {
            status = cli_fail(EXIT_FAILED, "%s (inputs before it are merged; nothing of this one)", store_errmsg(s));
            break;
        }
        done++;
        total.added += c[i - 1].added;
        total.updated += c[i - 1].updated;
        total.skipped += c[i - 1].skipped;
        if (!quiet && !arg_has(a, "json"))
            fprintf(stderr, "metarl: %s: %d runs added, %d updated, %d already present\n", a->pos[i],
                    c[i - 1].added, c[i - 1].updated, c[i - 1].skipped);
    }
    char n_runs[32] = "?";
    store_query_text(s, "SELECT count(*) FROM runs", n_runs, sizeof n_runs);
    store_close(s);
    if (arg_has(a, "json")) {
        Json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kstr(&j, "command", "merge");
        json_kstr(&j, "db", out);
        json_key(&j, "inputs");
        json_array_begin(&j);
        for (int i = 0; i < done; i++) {
            json_object_begin(&j);
            json_kstr(&j, "file", a->pos[i + 1]);
            json_kint(&j, "added", c[i].added);
            json_kint(&j, "updated", c[i].updated);
            json_kint(&j, "skipped", c[i].skipped);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_kint(&j, "added", total.added);
        json_kint(&j, "updated", total.updated);
        json_kint(&j, "skipped", total.skipped);
        json_kint(&j, "runs", strtoll(n_runs, NULL, 10));
        json_kstr(&j, "status", status == EXIT_OK ? "done" : "failed");
        json_object_end(&j);
        fputc('\n', stdout);
    } else if (status == EXIT_OK) {
        printf("merged %d file%s into %s: %d runs added, %d updated, %d already present; %s runs in all\n", n_in,
               n_in == 1 ? "" : "s", out, total.added, total.updated, total.skipped, n_runs);
    }
    return status;
}

const Command cmd_merge = {
    "merge", "OUT.db IN.db [IN.db ...] [--json]",
    "gather the runs of several stores (e.g. the rank files of a sweep) into one",
    "Every run is copied with its episodes, trials, unit rates, training curve and checkpoints,\n"
    "byte for byte; run ids are renumbered in OUT (created if missing) and parent links follow.\n"
    "One transaction per input. The copied run's summary JSON records where it came from:\n"
    "\"merged_from\": {\"file\": NAME, \"run\": ID}. Runs already in OUT (merged before) are not\n"
    "copied again, only replaced when the input's copy went further. Inputs are checked first:\n"
    "a file that is not a metarl store, or has a newer schema, exits 2 with nothing written.",
    NULL, merge_flags, 2, CLI_MAX_POSITIONAL, merge_run
};
