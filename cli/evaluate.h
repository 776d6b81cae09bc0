/* cli/evaluate.h: how the commands show an evaluation (jobs/evaluate.h).
**
** The summary table of one agent (baseline), and the progress line of
** eval_agent on stderr: a CliEvalProgress is the callback's state, passed
** as EvalOptions.progress_ctx with cli_eval_progress as .progress.
*/
#ifndef METARL_CLI_EVALUATE_H
#define METARL_CLI_EVALUATE_H

#include "core/summary.h"
#include "jobs/evaluate.h"

typedef struct CliEvalProgress {
    double last;   /* when the line was last written (elapsed seconds) */
    int tty;       /* stderr is a terminal: one line rewritten in place */
} CliEvalProgress;

/* Start the progress state (reads whether stderr is a terminal). */
void cli_eval_progress_init(CliEvalProgress *p);
/* An EvalProgressFn: a line every 0.25 s on a terminal, else every 10 s. */
void cli_eval_progress(void *ctx, const char *label, long done, long total, double elapsed_s);

/* Print a Summary as the human-readable table. */
void eval_print(const Summary *s, const char *agent, int trials_per_episode);

#endif
