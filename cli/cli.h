/* cli/cli.h: the `metarl` command line: commands, flags, exit statuses.
**
** Each command is a Command: the settings it accepts (declared into a
** Config), its own flags (--db, --json, ...), how many positional arguments
** it takes, and a run function. cli/args.c turns argv into a finalized Config
** plus the command's flags, with one precedence everywhere:
**
**     default < --config FILE < --flag < --set section.key=value
**
** Exit statuses (documented in the README):
**     0    success
**     1    the work failed (I/O error, full disk, non-finite training)
**     2    bad input: unknown command/flag/key, malformed or out-of-range
**          value, unreadable config or data file, not a metarl database
**     130  interrupted by SIGINT, 143 by SIGTERM (after a clean checkpoint)
*/
#ifndef METARL_CLI_H
#define METARL_CLI_H

#include <signal.h>
#include <stdint.h>

#include "core/config.h"

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

#define CLI_MAX_FLAG_VALUES 64
#define CLI_MAX_POSITIONAL 256   /* metarl merge takes one per input file */

/* A command's own flag (not a setting). arg is the metavar, NULL for a switch. */
typedef struct CmdFlag {
    const char *name;
    const char *arg;
    const char *help;
} CmdFlag;

typedef struct CmdArgs CmdArgs;

typedef struct Command {
    const char *name;
    const char *synopsis;     /* after "metarl NAME", e.g. "DB [--run ID]" */
    const char *summary;      /* one line */
    const char *description;  /* a paragraph for --help, may be NULL */
    int (*declare)(Config *c);/* settings accepted; NULL = none */
    const CmdFlag *flags;     /* NULL-name-terminated */
    int min_pos, max_pos;     /* positional arguments */
    int (*run)(CmdArgs *a);   /* returns an exit status */
} Command;

struct CmdArgs {
    const Command *cmd;
    Config *cfg;
    int n_values;
    const char *flag_names[CLI_MAX_FLAG_VALUES];
    const char *flag_values[CLI_MAX_FLAG_VALUES];   /* "" for switches */
    int n_pos;
    const char *pos[CLI_MAX_POSITIONAL];
    const char *config_file;                        /* --config, or NULL */
};

/* Parse argv (argv[0] = the command name) for cmd. Return EXIT_OK and a
** filled a (free a->cfg with config_free), or print --help and return -1
** (exit 0), or print one "metarl: ..." line and return EXIT_USAGE. */
int args_parse(const Command *cmd, int argc, char **argv, CmdArgs *a);
void args_free(CmdArgs *a);
void args_help(const Command *cmd, const Config *c);

/* The last value of a command flag, or NULL if not given. */
const char *arg_flag(const CmdArgs *a, const char *name);
/* 1 if a switch or flag was given. */
int arg_has(const CmdArgs *a, const char *name);
/* The first of the NULL-ended names given in a, or NULL: for the options a
** mode of a command does not read, which it refuses rather than ignore. */
const char *arg_first_of(const CmdArgs *a, const char *const *names);
/* All values of a repeatable flag, in order; returns the count. */
int arg_all(const CmdArgs *a, const char *name, const char **out, int max);
/* A --run value: a positive run id, or the name of exactly one run in the
** command's store (--db, else its last positional argument; cli/args_run.c).
** EXIT_OK with *out, or EXIT_USAGE with a message (several runs of that name
** are listed by id). */
int arg_run_id(const CmdArgs *a, const char *value, int64_t *out);

/* Print "metarl: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "metarl: <message>" and return status (for `return cli_fail(2, ...)`). */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Signals: SIGINT and SIGTERM set cli_stop_signal; long loops poll it, finish
** their episode, save, and exit 128 + signal. */
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_signals(void);

/* Program version (git describe at build time). */
extern const char metarl_version[];

/* Commands. */
extern const Command cmd_baseline, cmd_train, cmd_test, cmd_info, cmd_export, cmd_tasks, cmd_agents,
    cmd_import, cmd_analyze, cmd_plot, cmd_report, cmd_compare, cmd_sweep, cmd_merge, cmd_fit, cmd_experiment;

#endif
