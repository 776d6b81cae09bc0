/* jobs/run_util.h: small pieces the jobs and the data-producing commands share.
**
** Run rows (run_create), the task's title and JSON settings for summaries,
** a monotonic clock, and the status codes every job returns. Used by
** jobs/train.c, jobs/test.c, jobs/sweep.c and the baseline command.
*/
#ifndef METARL_RUN_UTIL_H
#define METARL_RUN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/json.h"
#include "store/store.h"
#include "tasks/task.h"   /* task_title */

/* What a job returns; the same numbers as the program's exit statuses
** (cli/cli.h), so that a command can return a job's status as it is. A
** job stopped by its stop flag returns JOB_OK and says so in its result. */
enum { JOB_OK = 0, JOB_FAILED = 1, JOB_USAGE = 2 };

/* Create a run row from a finalized Config (seed from run.seed, task from
** task.name; version: the program's, recorded with the run). Returns 0, or
** -1 with the store's message in err. */
int run_create(Store *s, const char *kind, const char *name, int64_t parent, const Config *cfg,
               const char *agent, const char *version, int64_t *run_id, char *err, size_t n_err);


/* The task's applicable settings as a JSON object under key "task_settings". */
void task_json(const Config *cfg, Json *j);

/* Monotonic wall-clock seconds, for rates and progress lines. */
double now_s(void);

/* A job's failure: format the message into err (fmt's arguments may be err
** itself) and return status. Each job's fail() wraps it. */
int job_vfail(char *err, size_t n_err, int status, const char *fmt, va_list ap);

#endif
