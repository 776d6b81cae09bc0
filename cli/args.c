/* cli/args.c: argv -> Config + command flags (see cli.h); messages; signals.
**
** The flag table comes from cli/args_table.c (which also prints --help).
** getopt_long runs twice: first to find --config and --help (a config file
** applies before any flag, wherever it stands), then to apply flags and
** --set in order. Unknown options are worded by cli/args_suggest.c.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args_internal.h"
#include "core/text.h"

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

/* ---- parsing ------------------------------------------------------------ */

const char *arg_flag(const CmdArgs *a, const char *name)
{
    for (int i = a->n_values - 1; i >= 0; i--)
        if (strcmp(a->flag_names[i], name) == 0) return a->flag_values[i];
    return NULL;
}

int arg_has(const CmdArgs *a, const char *name) { return arg_flag(a, name) != NULL; }

const char *arg_first_of(const CmdArgs *a, const char *const *names)
{
    for (int i = 0; i < a->n_values; i++)
        for (const char *const *n = names; *n; n++)
            if (strcmp(a->flag_names[i], *n) == 0) return *n;
    return NULL;
}

int arg_all(const CmdArgs *a, const char *name, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < a->n_values && n < max; i++)
        if (strcmp(a->flag_names[i], name) == 0) out[n++] = a->flag_values[i];
    return n;
}

void args_free(CmdArgs *a)
{
    config_free(a->cfg);
    a->cfg = NULL;
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
    args_table_build(&t, cmd, a->cfg);
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
        if (c == '?') return args_unknown_option(&t, cmd, argc, argv);
        if (c == ':')
            return cli_fail(EXIT_USAGE, "option '%s' needs a value (see metarl %s --help)", args_bad_option(argc, argv), cmd->name);
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
        if (c == '?') return args_unknown_option(&t, cmd, argc, argv);
        if (c == ':')
            return cli_fail(EXIT_USAGE, "option '%s' needs a value (see metarl %s --help)", args_bad_option(argc, argv), cmd->name);
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
    /* `metarl test` finalizes in its job: its task flags are checked against
    ** the task of the run it tests, which only the store knows */
    if (cmd != &cmd_test && config_finalize(a->cfg, err, sizeof err) != 0) return cli_fail(EXIT_USAGE, "%s", err);
    /* labels reach terminals, JSON and file names: checked once, here */
    if (arg_flag(a, "name") && text_check_label(arg_flag(a, "name"), "--name", err, sizeof err) != 0)
        return cli_fail(EXIT_USAGE, "%s", err);
    return EXIT_OK;
}
