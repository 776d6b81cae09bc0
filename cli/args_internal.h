/* cli/args_internal.h: what the pieces of the argument parser share.
**
** cli/args.c parses argv (args_parse) and holds the accessors of CmdArgs;
** cli/args_table.c builds the getopt table of a command's flags and prints
** --help from the same rules; cli/args_suggest.c words the messages for an
** unknown option (with the nearest flag); cli/args_run.c resolves --run
** (an id or a run name). Only these files include this header.
*/
#ifndef METARL_CLI_ARGS_INTERNAL_H
#define METARL_CLI_ARGS_INTERNAL_H

#include <getopt.h>

#include "cli/cli.h"

#define MAX_OPTIONS 512

typedef struct {
    struct option opts[MAX_OPTIONS];
    char names[MAX_OPTIONS][96];
    const OptSpec *spec[MAX_OPTIONS];   /* NULL for command flags and built-ins */
    int n;
} FlagTable;

enum { VAL_HELP = 1000, VAL_CONFIG, VAL_SET, VAL_BASE };

/* The flag under which spec i of c is offered: its flag (or key), hyphenated
** by args_table_build; --section-key when an earlier section took the name. */
void args_spec_flag(const Config *c, size_t i, char *out, size_t n);
/* Fill t with the command's flags, the built-ins and every declared setting. */
void args_table_build(FlagTable *t, const Command *cmd, const Config *c);
/* The option text getopt stopped at, for messages. */
const char *args_bad_option(int argc, char **argv);
/* Print "unknown option" with the nearest flag of the command; return EXIT_USAGE. */
int args_unknown_option(const FlagTable *t, const Command *cmd, int argc, char **argv);

#endif
