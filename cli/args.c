/* cli/args.c: argv -> Config + command flags, and --help (see cli.h).
**
** Flags for settings are generated from the declared OptSpecs: a spec's flag
** (or its key) becomes --flag VALUE. When two sections declare the same flag
** (task.hazard and agent.hazard, say), the first declared keeps the short
** name and the others become --section-key. getopt_long runs twice: first to
** find --config and --help (a config file applies before any flag, wherever
** it stands), then to apply flags and --set in order.
*/
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"

#define MAX_OPTIONS 512

volatile sig_atomic_t cli_stop_signal = 0;

static void on_signal(int sig) { cli_stop_signal = sig; }

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("metarl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("metarl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

/* ---- the flag table ----------------------------------------------------- */

typedef struct {
    struct option opts[MAX_OPTIONS];
    char names[MAX_OPTIONS][96];
    const OptSpec *spec[MAX_OPTIONS];   /* NULL for command flags and built-ins */
    int n;
} FlagTable;

enum { VAL_HELP = 1000, VAL_CONFIG, VAL_SET, VAL_BASE };

/* The flag under which spec i of c is offered (built-in rule above). */
static void spec_flag(const Config *c, size_t i, char *out, size_t n)
{
    const OptSpec *s = config_declared(c, i);
    const char *f = s->flag ? s->flag : s->key;
    if (!*f) {
        out[0] = '\0';
        return;
    }
    for (size_t j = 0; j < i; j++) {
        const OptSpec *o = config_declared(c, j);
        const char *g = o->flag ? o->flag : o->key;
        if (strcmp(f, g) == 0 && strcmp(o->section, s->section) != 0) {
            snprintf(out, n, "%s-%s", s->section, s->key);
            return;
        }
    }
    snprintf(out, n, "%s", f);
}

static int table_has(const FlagTable *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0) return 1;
    return 0;
}

/* Flags are spelled with hyphens (--p-high for task.p_high); argv is read
** with '_' taken as '-' in option names (normalize_flags), so either works. */
static void hyphenate(char *s)
{
    for (; *s; s++)
        if (*s == '_') *s = '-';
}

static void table_add(FlagTable *t, const char *name, int has_arg, const OptSpec *spec)
{
    char flag[96];
    snprintf(flag, sizeof flag, "%s", name);
    hyphenate(flag);
    name = flag;
    if (t->n >= MAX_OPTIONS - 1 || table_has(t, name)) return;
    snprintf(t->names[t->n], sizeof t->names[t->n], "%s", name);
    t->opts[t->n] = (struct option){ t->names[t->n], has_arg, NULL, VAL_BASE + t->n };
    t->spec[t->n] = spec;
    t->n++;
}

static void table_build(FlagTable *t, const Command *cmd, const Config *c)
{
    memset(t, 0, sizeof *t);
    table_add(t, "help", no_argument, NULL);
    t->opts[0].val = VAL_HELP;
    if (cmd->declare) {
        table_add(t, "config", required_argument, NULL);
        t->opts[1].val = VAL_CONFIG;
        table_add(t, "set", required_argument, NULL);
        t->opts[2].val = VAL_SET;
    }
    for (const CmdFlag *f = cmd->flags; f && f->name; f++)
        table_add(t, f->name, f->arg ? required_argument : no_argument, NULL);
    for (size_t i = 0; config_declared(c, i); i++) {
        char name[96];
        spec_flag(c, i, name, sizeof name);
        if (name[0]) table_add(t, name, required_argument, config_declared(c, i));
    }
    t->opts[t->n] = (struct option){ NULL, 0, NULL, 0 };
}

/* ---- help --------------------------------------------------------------- */

static void help_line(const char *flag, const char *metavar, const char *text, const char *def)
{
    char left[128];
    snprintf(left, sizeof left, "--%s%s%s", flag, metavar ? " " : "", metavar ? metavar : "");
    printf("  %-28s %s", left, text);
    if (def) printf(" (default: %s)", def[0] ? def : "\"\"");
    putchar('\n');
}

static const char *metavar_of(const OptSpec *s)
{
    switch (s->kind) {
    case OPT_INT: return "N";
    case OPT_DOUBLE: return "X";
    case OPT_BOOL: return "BOOL";
    case OPT_CHOICE: return s->choices;
    case OPT_STRING: return "TEXT";
    case OPT_INT_LIST: return "N,N,...";
    }
    return "V";
}

void args_help(const Command *cmd, const Config *c)
{
    printf("usage: metarl %s %s\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->description) printf("\n%s\n", cmd->description);
    printf("\nOptions:\n");
    for (const CmdFlag *f = cmd->flags; f && f->name; f++) help_line(f->name, f->arg, f->help, NULL);
    if (cmd->declare) {
        help_line("config", "FILE", "read settings from an INI file ([section] key = value)", NULL);
        help_line("set", "SECTION.KEY=VALUE", "set any setting; applied after flags and the file", NULL);
    }
    help_line("help", NULL, "show this help", NULL);
    if (!c) return;
    /* Settings, by section; owner-specific ones grouped under their owner. */
    const char *last_section = "", *last_owner = "";
    for (size_t i = 0; config_declared(c, i); i++) {
        const OptSpec *s = config_declared(c, i);
        const char *owner = s->owner ? s->owner : "";
        if (strcmp(s->section, last_section) || strcmp(owner, last_owner)) {
            if (*owner) printf("\n[%s] settings for %s=%s:\n", s->section, s->section, owner);
            else printf("\n[%s] settings:\n", s->section);
            last_section = s->section;
            last_owner = owner;
        }
        char flag[96], text[512];
        spec_flag(c, i, flag, sizeof flag);
        snprintf(text, sizeof text, "%s [%s.%s]", s->help, s->section, s->key);
        if (flag[0]) help_line(flag, metavar_of(s), text, s->def);
        else {
            char left[128];
            snprintf(left, sizeof left, "%s.%s", s->section, s->key);
            printf("  %-28s %s (default: %s; config file or --set only)\n", left, s->help, s->def);
        }
    }
    if (cmd->declare) printf("\nPrecedence: default < --config FILE < flags < --set (later flags win).\n");
}

/* ---- parsing ------------------------------------------------------------ */

const char *arg_flag(const CmdArgs *a, const char *name)
{
    for (int i = a->n_values - 1; i >= 0; i--)
        if (strcmp(a->flag_names[i], name) == 0) return a->flag_values[i];
    return NULL;
}

int arg_has(const CmdArgs *a, const char *name) { return arg_flag(a, name) != NULL; }

int arg_all(const CmdArgs *a, const char *name, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < a->n_values && n < max; i++)
        if (strcmp(a->flag_names[i], name) == 0) out[n++] = a->flag_values[i];
    return n;
}

int arg_run_id(const CmdArgs *a, const char *value, int64_t *out)
{
    (void)a;
    long v;
    if (parse_long(value, &v) != 0 || v < 1)
        return cli_fail(EXIT_USAGE, "--run: '%s' is not a run id (a positive whole number; see `metarl info`)", value);
    *out = v;
    return EXIT_OK;
}

void args_free(CmdArgs *a)
{
    config_free(a->cfg);
    a->cfg = NULL;
}

/* The option text getopt stopped at, for messages. */
static const char *bad_option(int argc, char **argv)
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

/* "unknown option" with the nearest flag of the command, if one is near. */
static int unknown_option(const FlagTable *t, const Command *cmd, int argc, char **argv)
{
    const char *bad = bad_option(argc, argv);
    char name[100];
    snprintf(name, sizeof name, "%s", bad[0] == '-' && bad[1] == '-' ? bad + 2 : bad);
    name[strcspn(name, "=")] = '\0';
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

/* "--p_high" -> "--p-high": flags may be typed with either; values untouched. */
static void normalize_flags(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        for (char *p = argv[i] + 2; *p && *p != '='; p++)
            if (*p == '_') *p = '-';
    }
}

int args_parse(const Command *cmd, int argc, char **argv, CmdArgs *a)
{
    char err[1024];
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->cfg = config_alloc();
    if (!a->cfg || (cmd->declare && cmd->declare(a->cfg) != 0)) return cli_fail(EXIT_FAILED, "out of memory");
    static FlagTable t;   /* large; one parse per process */
    table_build(&t, cmd, a->cfg);
    normalize_flags(argc, argv);
    /* -o FILE is short for --output FILE, for the commands that take --output */
    const char *optstring = "-:h";
    for (const CmdFlag *f = cmd->flags; f && f->name; f++)
        if (!strcmp(f->name, "output") && f->arg) optstring = "-:ho:";

    opterr = 0;
    /* pass 1: --help and --config, and reject unknown flags early */
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, t.opts, NULL)) != -1) {
        if (c == VAL_HELP || c == 'h') {
            args_help(cmd, a->cfg);
            return -1;
        }
        if (c == '?') return unknown_option(&t, cmd, argc, argv);
        if (c == ':')
            return cli_fail(EXIT_USAGE, "option '%s' needs a value (see metarl %s --help)", bad_option(argc, argv), cmd->name);
        if (c == VAL_CONFIG) a->config_file = optarg;
    }
    if (a->config_file && config_load_ini(a->cfg, a->config_file, err, sizeof err) != 0)
        return cli_fail(EXIT_USAGE, "%s", err);

    /* pass 2: flags and --set in order; positionals anywhere ("-" mode) */
    optind = 0;
    while ((c = getopt_long(argc, argv, optstring, t.opts, NULL)) != -1) {
        if (c == 1) {
            if (a->n_pos >= CLI_MAX_POSITIONAL || a->n_pos >= cmd->max_pos)
                return cli_fail(EXIT_USAGE, "unexpected argument '%s' for `metarl %s` (usage: metarl %s %s)",
                                optarg, cmd->name, cmd->name, cmd->synopsis);
            a->pos[a->n_pos++] = optarg;
            continue;
        }
        if (c == '?') return unknown_option(&t, cmd, argc, argv);
        if (c == ':')
            return cli_fail(EXIT_USAGE, "option '%s' needs a value (see metarl %s --help)", bad_option(argc, argv), cmd->name);
        if (c == VAL_CONFIG || c == VAL_HELP) continue;
        if (c == 'o') {
            if (a->n_values >= CLI_MAX_FLAG_VALUES) return cli_fail(EXIT_USAGE, "too many options");
            a->flag_names[a->n_values] = "output";
            a->flag_values[a->n_values++] = optarg;
            continue;
        }
        if (c == VAL_SET) {
            if (config_assign(a->cfg, optarg, "--set", err, sizeof err) != 0) return cli_fail(EXIT_USAGE, "%s", err);
            continue;
        }
        int i = c - VAL_BASE;
        if (i < 0 || i >= t.n) return cli_fail(EXIT_USAGE, "unknown option for `metarl %s`", cmd->name);
        if (t.spec[i]) {
            char origin[128];
            snprintf(origin, sizeof origin, "--%s", t.names[i]);
            if (config_set(a->cfg, t.spec[i]->section, t.spec[i]->key, optarg, origin, err, sizeof err) != 0)
                return cli_fail(EXIT_USAGE, "%s", err);
        } else {
            if (a->n_values >= CLI_MAX_FLAG_VALUES) return cli_fail(EXIT_USAGE, "too many options");
            a->flag_names[a->n_values] = t.names[i];
            a->flag_values[a->n_values] = optarg ? optarg : "";
            a->n_values++;
        }
    }
    if (a->n_pos < cmd->min_pos)
        return cli_fail(EXIT_USAGE, "`metarl %s` needs %s (usage: metarl %s %s)", cmd->name,
                        cmd->min_pos == 1 ? "an argument" : "more arguments", cmd->name, cmd->synopsis);
    if (config_finalize(a->cfg, err, sizeof err) != 0) return cli_fail(EXIT_USAGE, "%s", err);
    /* labels reach terminals, JSON and file names: checked once, here */
    if (arg_flag(a, "name") && text_check_label(arg_flag(a, "name"), "--name", err, sizeof err) != 0)
        return cli_fail(EXIT_USAGE, "%s", err);
    return EXIT_OK;
}
