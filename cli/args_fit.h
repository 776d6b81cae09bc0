/* cli/args_fit.h: the argument helpers of `metarl fit` (cli/cmd_fit.c) and
** its recovery mode, `metarl fit --recover M[,M...]` (cli/args_fit.c).
*/
#ifndef METARL_CLI_ARGS_FIT_H
#define METARL_CLI_ARGS_FIT_H

#include "analysis/fit.h"
#include "cli/cli.h"

/* "rw,rw2" ("all": every classic model) into models; EXIT_USAGE naming an unknown model. */
int fit_parse_models(const char *flag, const char *v, const FitModel **models, int *n);
/* --name as a whole number in [lo, hi] into *out (unchanged if absent); EXIT_USAGE if malformed. */
int fit_flag_long(const CmdArgs *a, const char *name, long lo, long hi, long *out);
/* `metarl fit --recover M,...`: parameter recovery and (several models) the
** model-recovery matrix, printed; cv the --cv folds (the held-out winner). */
int fit_recover_cmd(const CmdArgs *a, const FitModel **models, int n_models, unsigned long seed, long cv);

#endif
