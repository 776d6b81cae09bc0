/* cli/args_suggest.c: the message for an unknown option.
**
** Names the option as typed and, when one of the command's flags is within
** two edits of it, suggests that flag ("did you mean --p-high?"). `metarl
** test` takes only [test], [task] and [agent] settings: a training setting
** given to it (--hidden) is named with the reason it cannot change.
*/
#include <stdio.h>
#include <string.h>

#include "cli/args_internal.h"
#include "jobs/train.h"

const char *args_bad_option(int argc, char **argv)
{
    int i = optind - 1;
    if (i < 1 || i >= argc) i = argc - 1;
    return argv[i];
}

/* Edit distance of two short strings (for "did you mean"). */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b), row[100];
    if (la > 98 || lb > 98) return 99;
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* The training setting offered as --name by `metarl train`, into out
** ("model.hidden"); 0 if found. */
static int training_setting(const char *name, char *out, size_t n)
{
    Config *c = config_alloc();
    int found = -1;
    if (c && train_declare_all(c) == 0)
        for (size_t i = 0; found && config_declared(c, i); i++) {
            const OptSpec *s = config_declared(c, i);
            char flag[96], full[96];
            args_spec_flag(c, i, flag, sizeof flag);
            snprintf(full, sizeof full, "%s-%s", s->section, s->key);
            for (char *p = flag; *p; p++) *p = *p == '_' ? '-' : *p;
            for (char *p = full; *p; p++) *p = *p == '_' ? '-' : *p;
            if (!strcmp(name, flag) || !strcmp(name, full)) {
                snprintf(out, n, "%s.%s", s->section, s->key);
                found = 0;
            }
        }
    config_free(c);
    return found;
}

/* "unknown option" with the nearest flag of the command, if one is near. */
int args_unknown_option(const FlagTable *t, const Command *cmd, int argc, char **argv)
{
    const char *bad = args_bad_option(argc, argv);
    char name[100];
    snprintf(name, sizeof name, "%s", bad[0] == '-' && bad[1] == '-' ? bad + 2 : bad);
    name[strcspn(name, "=")] = '\0';
    char setting[200];
    if (cmd == &cmd_test && training_setting(name, setting, sizeof setting) == 0)
        return cli_fail(EXIT_USAGE, "%s: %s comes from the training run and cannot change in a test (test settings: "
                        "[test], [task] and [agent]; see metarl test --help)", bad, setting);
    int best = 3, at = -1;
    for (int i = 0; i < t->n; i++) {
        int d = edit_distance(name, t->names[i]);
        if (d < best) best = d, at = i;
    }
    if (at >= 0)
        return cli_fail(EXIT_USAGE, "unknown option '%s' for `metarl %s`; did you mean --%s? (see metarl %s --help)",
                        bad, cmd->name, t->names[at], cmd->name);
    return cli_fail(EXIT_USAGE, "unknown option '%s' for `metarl %s` (see metarl %s --help)", bad, cmd->name, cmd->name);
}

