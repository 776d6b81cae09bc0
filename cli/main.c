/* cli/main.c: `metarl COMMAND [options]`: dispatch to a command.
**
** The only file with a main(). Library code never exits or prints errors;
** commands print one "metarl: ..." line and return an exit status (cli.h).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli/cli.h"
#include "cli/mpi_util.h"

#ifndef METARL_VERSION
#define METARL_VERSION "unknown"
#endif
const char metarl_version[] = METARL_VERSION;

static const Command *const commands[] = {
    &cmd_baseline, &cmd_train, &cmd_test, &cmd_sweep, &cmd_experiment, &cmd_import, &cmd_analyze, &cmd_plot,
    &cmd_report, &cmd_compare, &cmd_fit, &cmd_merge, &cmd_info, &cmd_export, &cmd_tasks, &cmd_agents, NULL
};

static void usage(FILE *f)
{
    fprintf(f, "usage: metarl COMMAND [options]    (metarl COMMAND --help for its options)\n\n"
               "pfc-metarl %s: prefrontal meta-reinforcement learning in C.\n\ncommands:\n", metarl_version);
    for (const Command *const *c = commands; *c; c++) fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
}

/* GSL errors are bugs here (inputs are checked before GSL sees them): say
** where, then abort so a core dump or debugger shows the caller. */
static void gsl_fatal(const char *reason, const char *file, int line, int gsl_errno)
{
    fprintf(stderr, "metarl: internal error in GSL: %s (%s:%d, code %d)\n", reason, file, line, gsl_errno);
    abort();
}

/* Output that never reached its file (stdout on a full disk, a closed
** pipe) is a failure, whatever the command thought of its work. */
static int stdout_flushed(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    cli_error("stdout: write failed (%s)", strerror(errno ? errno : EIO));
    return rc == EXIT_OK ? EXIT_FAILED : rc;
}

static int run_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return stdout_flushed(run_main(argc, argv));
}

static int run_main(int argc, char **argv)
{
    gsl_set_error_handler(gsl_fatal);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("metarl %s\n", metarl_version);
        return EXIT_OK;
    }
    for (const Command *const *c = commands; *c; c++) {
        if (strcmp((*c)->name, name)) continue;
#ifdef METARL_MPI
        /* Under mpirun only sweep and train share out work; any other
        ** command would run K times over the same files. */
        if (*c != &cmd_sweep && *c != &cmd_train) {
            int rank = 0, size = 1;
            char err[256];
            if (mpi_world(&rank, &size, err, sizeof err) == 0 && size > 1) {
                if (rank == 0)
                    cli_error("`metarl %s` runs as one process: under mpirun only sweep and train use the ranks "
                              "(run it without mpirun)", name);
                return EXIT_USAGE;
            }
        }
#endif
        CmdArgs a;
        int rc = args_parse(*c, argc - 1, argv + 1, &a);
        if (rc == -1) rc = EXIT_OK;   /* --help */
        else if (rc == EXIT_OK) rc = (*c)->run(&a);
        args_free(&a);
        return rc;
    }
    char list[512] = "";
    for (const Command *const *c = commands; *c; c++) {
        if (list[0]) strcat(list, ", ");
        strcat(list, (*c)->name);
    }
    return cli_fail(EXIT_USAGE, "unknown command '%s' (commands: %s; see metarl --help)", name, list);
}
