/* cli/run_util.h: small pieces the data-producing commands share. */
#ifndef METARL_RUN_UTIL_H
#define METARL_RUN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/json.h"
#include "core/store.h"

/* Create a run row from a finalized Config (seed from run.seed, task from
** task.name). Returns 0, or -1 with the store's message in err. */
int run_create(Store *s, const char *kind, const char *name, int64_t parent, const Config *cfg,
               const char *agent, int64_t *run_id, char *err, size_t n_err);

/* "bandit (dist=independent, trials=100)": the task and its deciding settings. */
void task_title(const Config *cfg, char *out, size_t n);

/* The task's applicable settings as a JSON object under key "task_settings". */
void task_json(const Config *cfg, Json *j);

/* Monotonic wall-clock seconds, for rates and progress lines. */
double now_s(void);

#endif
