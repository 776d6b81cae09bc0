/* cli/cmd_import.c: `metarl import`: behavioural data into the store.
**
** One run of kind 'import' per file, one episode (phase 'data') per
** subject, every trial as a row, missed trials kept as missing. The file is
** parsed whole before the store is touched, and the run is written in a
** single transaction: a malformed line imports nothing.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/import.h"
#include "cli/cli.h"
#include "core/json.h"
#include "store/store.h"

static const CmdFlag import_flags[] = {
    { "format", "hbayesdm|hbayesdm-ts|csv", "hbayesdm: tab-separated subjID trial choice outcome (outcome 1/-1); "
                                "hbayesdm-ts: hBayesDM's two-step layout, subjID trial level1_choice level2_choice "
                                "reward; csv: comma-separated subject trial choice reward (reward 1/0) (default: csv; "
                                "hbayesdm-ts with --task twostep or a header naming level1_choice and level2_choice)" },
    { "task", "bandit|reversal|twostep", "the task the data come from; reversal data need --correct-col; twostep "
                                         "data are read as hbayesdm-ts (default: bandit)" },
    { "db", "FILE", "store to add the run to (created if missing; required)" },
    { "name", "TEXT", "label of the run (default: the file's name)" },
    { "subject-col", "NAME", "column of subject ids (default: subject; hbayesdm: subjID)" },
    { "trial-col", "NAME", "column of trial numbers ('none': rows in file order; default: trial)" },
    { "choice-col", "NAME", "column of choices (default: choice)" },
    { "reward-col", "NAME", "column of outcomes (default: reward; hbayesdm: outcome)" },
    { "correct-col", "NAME", "column naming the currently better option, coded like choices (default: none)" },
    { "block-col", "NAME", "column of block numbers (default: none)" },
    { "choices", "A,B", "codes of the first and second option, stored as arms 0 and 1 (default: 1,2)" },
    { "rewards", "R,U", "codes of rewarded and unrewarded outcomes; alternatives with | (e.g. 1,-1|0; "
                        "default: 1,0; hbayesdm: 1,-1|0)" },
    { "delimiter", "comma|tab|semicolon", "field separator (default: by format)" },
    { "p-high", "X", "known reward probability of the better option (fills the trials' p0/p1, the "
                     "probabilities of arms 0 and 1; default: none, p0/p1 left missing)" },
    { "p-low", "X", "known reward probability of the worse option (default: none; goes with --p-high)" },
    { "json", NULL, "print one JSON object on stdout" },
    { NULL, NULL, NULL }
};

/* "a,b" -> two codes (pointing into buf). */
static int two_codes(const char *flag, const char *text, char *buf, size_t n, const char **out)
{
    snprintf(buf, n, "%s", text);
    char *comma = strchr(buf, ',');
    if (!comma || comma == buf || !comma[1] || strchr(comma + 1, ','))
        return cli_fail(EXIT_USAGE, "--%s: '%s' is not two codes separated by a comma (e.g. 1,2)", flag, text);
    *comma = '\0';
    out[0] = buf;
    out[1] = comma + 1;
    /* each side may list alternatives with |; no code may stand for both */
    char left[128], right[128];
    snprintf(left, sizeof left, "|%s|", out[0]);
    snprintf(right, sizeof right, "%s", out[1]);
    for (char *tok = strtok(right, "|"); tok; tok = strtok(NULL, "|")) {
        char pat[132];
        snprintf(pat, sizeof pat, "|%s|", tok);
        if (strstr(left, pat))
            return cli_fail(EXIT_USAGE, "--%s: '%s' gives code '%s' to both sides", flag, text, tok);
    }
    return EXIT_OK;
}

static int prob_flag(const CmdArgs *a, const char *flag, double *out)
{
    const char *v = arg_flag(a, flag);
    if (!v) return EXIT_OK;
    if (parse_double(v, out) != 0 || *out < 0 || *out > 1)
        return cli_fail(EXIT_USAGE, "--%s: '%s' is not a probability (expected 0..1)", flag, v);
    return EXIT_OK;
}

static int import_run(CmdArgs *a)
{
    char err[1024], cbuf[128], rbuf[128];
    const char *path = a->pos[0];
    /* with neither --task nor --format, a header naming level1_choice and level2_choice is the two-step layout */
    int sniffed = !arg_flag(a, "task") && !arg_flag(a, "format") && import_is_twostep(path);
    const char *task = arg_flag(a, "task") ? arg_flag(a, "task") : sniffed ? "twostep" : "bandit";
    const char *format = arg_flag(a, "format") ? arg_flag(a, "format") : !strcmp(task, "twostep") ? "hbayesdm-ts" : "csv";
    const char *db = arg_flag(a, "db");
    int twostep = !strcmp(format, "hbayesdm-ts");
    ImportSpec spec;
    if (!strcmp(format, "hbayesdm")) import_spec_hbayesdm(&spec);
    else if (!strcmp(format, "csv")) import_spec_csv(&spec);
    else if (twostep) spec = (ImportSpec){ '\t', "subjID", "trial", "level1_choice", "reward", NULL, NULL,
                                           { "1", "2" }, { "1", "0" }, NAN, NAN };   /* as the run's config records */
    else return cli_fail(EXIT_USAGE, "--format: unknown format '%s' (expected hbayesdm, hbayesdm-ts or csv)", format);
    if (strcmp(task, "bandit") && strcmp(task, "reversal") && strcmp(task, "twostep"))
        return cli_fail(EXIT_USAGE, "--task: unknown task '%s' (expected bandit, reversal or twostep)", task);
    if (twostep != !strcmp(task, "twostep"))
        return cli_fail(EXIT_USAGE, "--format hbayesdm-ts and --task twostep go together (given: --format %s, --task %s)",
                        format, task);
    if (!db) return cli_fail(EXIT_USAGE, "--db: give the store to import into (e.g. --db data.db)");
    const char *v;
    if ((v = arg_flag(a, "subject-col"))) spec.subject_col = v;
    if ((v = arg_flag(a, "trial-col"))) spec.trial_col = strcmp(v, "none") ? v : NULL;
    if ((v = arg_flag(a, "choice-col"))) spec.choice_col = v;
    if ((v = arg_flag(a, "reward-col"))) spec.reward_col = v;
    if ((v = arg_flag(a, "correct-col"))) spec.correct_col = v;
    if ((v = arg_flag(a, "block-col"))) spec.block_col = v;
    if ((v = arg_flag(a, "choices")) && two_codes("choices", v, cbuf, sizeof cbuf, spec.choice_codes)) return EXIT_USAGE;
    if ((v = arg_flag(a, "rewards")) && two_codes("rewards", v, rbuf, sizeof rbuf, spec.reward_codes)) return EXIT_USAGE;
    if ((v = arg_flag(a, "delimiter"))) {
        if (!strcmp(v, "comma")) spec.delimiter = ',';
        else if (!strcmp(v, "tab")) spec.delimiter = '\t';
        else if (!strcmp(v, "semicolon")) spec.delimiter = ';';
        else return cli_fail(EXIT_USAGE, "--delimiter: unknown '%s' (expected comma, tab or semicolon)", v);
    }
    if (prob_flag(a, "p-high", &spec.p_high) || prob_flag(a, "p-low", &spec.p_low)) return EXIT_USAGE;
    if (isnan(spec.p_high) != isnan(spec.p_low))
        return cli_fail(EXIT_USAGE, "--p-high and --p-low go together");
    if (!strcmp(task, "reversal") && !spec.correct_col && !spec.block_col)
        return cli_fail(EXIT_USAGE, "--task reversal: name the column of the correct option (--correct-col) or of "
                                    "blocks (--block-col), or the reversals cannot be located");

    EpisodeRecord **eps;
    int n;
    if ((twostep ? import_read_twostep(path, &eps, &n, err, sizeof err) : import_read(path, &spec, &eps, &n, err, sizeof err))
        != 0) {   /* out of memory is not bad input */
        size_t len = strlen(err), k = strlen(": out of memory");
        return cli_fail(len >= k && !strcmp(err + len - k, ": out of memory") ? EXIT_FAILED : EXIT_USAGE, "%s", err);
    }

    int status = EXIT_OK, runtime = 0;
    Store *s = store_open_rt(db, STORE_WRITE, &runtime, err, sizeof err);
    if (!s) {
        import_free(eps, n);
        return cli_fail(runtime ? EXIT_FAILED : EXIT_USAGE, "%s", err);   /* disk full: 1; a file it cannot use: 2 */
    }
    /* The settings, as INI text, stored as the run's configuration. */
    char config[2048];
    snprintf(config, sizeof config,
             "[task]\nname = %s\n\n[import]\nfile = %s\nformat = %s\nsubject_col = %s\ntrial_col = %s\n"
             "choice_col = %s\nreward_col = %s\ncorrect_col = %s\nblock_col = %s\nchoices = %s,%s\n"
             "rewards = %s,%s\np_high = %g\np_low = %g\n",
             task, path, format, spec.subject_col, spec.trial_col ? spec.trial_col : "none", spec.choice_col,
             spec.reward_col, spec.correct_col ? spec.correct_col : "", spec.block_col ? spec.block_col : "",
             spec.choice_codes[0], spec.choice_codes[1], spec.reward_codes[0], spec.reward_codes[1], spec.p_high,
             spec.p_low);
    const char *name = arg_flag(a, "name");
    if (!name) {
        name = strrchr(path, '/');
        name = name ? name + 1 : path;
    }
    RunRow row;
    memset(&row, 0, sizeof row);
    row.kind = "import";
    row.name = (char *)name;
    row.task = (char *)task;
    row.agent = "data";
    row.config = config;
    row.rng = "none";
    row.version = (char *)metarl_version;
    int64_t run = 0;
    long trials = 0, missed = 0;
    if (store_begin(s) != 0 || store_run_create(s, &row, &run) != 0) goto store_error;
    for (int i = 0; i < n; i++) {
        if (store_put_episode(s, run, i, "data", eps[i], 0) != 0) goto store_error;
        for (int t = 0; t < eps[i]->n_trials; t++) {
            trials++;
            missed += eps[i]->trials[t].action < 0;
        }
    }
    if (store_run_finish(s, run, "done", NULL) != 0 || store_commit(s) != 0) goto store_error;
    if (arg_has(a, "json")) {
        Json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kstr(&j, "command", "import");
        json_kstr(&j, "file", path);
        json_kstr(&j, "db", db);
        json_kint(&j, "run", run);
        json_kstr(&j, "task", task);
        json_kint(&j, "subjects", n);
        json_kint(&j, "trials", trials);
        json_kint(&j, "missed", missed);
        json_object_end(&j);
    } else {
        printf("imported %s into %s as run %lld: %d subjects, %ld trials (%ld missed)\n", path, db, (long long)run, n,
               trials, missed);
    }
    goto done;
store_error:
    status = cli_fail(EXIT_FAILED, "%s", store_errmsg(s));
    store_rollback(s);
done:
    store_close(s);
    import_free(eps, n);
    return status;
}

const Command cmd_import = {
    "import", "FILE --db DB [--format hbayesdm|csv] [--task bandit|reversal] [options]",
    "import behavioural choice data (one episode per subject) beside the agents",
    "Examples:\n"
    "  metarl import hBayesDM_bandit2arm_exampleData.txt --format hbayesdm --db data.db\n"
    "  metarl import data/human/hBayesDM_ts_exampleData.txt --format hbayesdm-ts --task twostep --db data.db\n"
    "  metarl import data/human/prl_reiter2017_predchange.csv --format csv --task reversal --db data.db \\\n"
    "      --choice-col A --reward-col R --correct-col S --rewards 1,-1 --p-high 0.8 --p-low 0.2",
    NULL, import_flags, 1, 1, import_run
};
