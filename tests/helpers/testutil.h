/* tests/helpers/testutil.h: small helpers the cmocka test programs share. */
#ifndef METARL_TESTUTIL_H
#define METARL_TESTUTIL_H

#include <math.h>

#include <gsl/gsl_rng.h>

#include "core/config.h"
#include "model/agent.h"
#include "tasks/task.h"

/* |a - b| <= tol in double precision (cmocka's assert_float_equal works in
** float); include after <cmocka.h>, whose fail_msg it uses. */
#define assert_close(a, b, tol)                                                          \
    do {                                                                                 \
        double a_ = (a), b_ = (b);                                                       \
        if (!(fabs(a_ - b_) <= (tol)))                                                   \
            fail_msg("%s = %.17g but expected %s = %.17g (tolerance %g)", #a, a_, #b, b_, \
                     (double)(tol));                                                     \
    } while (0)

/* A finalized Config with run, task, agent and training (model, train) settings declared and the
** given "section.key=value" assignments applied (NULL-terminated). Fails the
** current test on a bad assignment. */
Config *test_config(const char *const *assignments);

/* A task, an agent for it (reset), and a generator seeded with seed, built
** from assignments (NULL-terminated); fails the test if either refuses.
** Torn down by rig_free(). */
typedef struct {
    Config *cfg;
    Task *task;
    Agent *agent;
    gsl_rng *r;
} Rig;
Rig rig_alloc(const char *const *sets, unsigned long seed);
void rig_free(Rig *g);

/* A fresh temporary directory path (removed by test_rmdir). */
void test_tmpdir(char *out, size_t n);
void test_rmdir(const char *dir);

#endif
