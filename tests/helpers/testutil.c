/* tests/helpers/testutil.c: helpers shared by the test programs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "model/agent.h"
#include "model/train_settings.h"
#include "tasks/task.h"
#include "tests/helpers/testutil.h"

static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "seed" },
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    OPT_END
};

Config *test_config(const char *const *assignments)
{
    char err[1024];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(config_declare(c, run_specs), 0);
    assert_int_equal(task_declare(c), 0);
    assert_int_equal(agent_declare(c), 0);
    assert_int_equal(train_declare(c), 0);
    for (int i = 0; assignments && assignments[i]; i++) {
        if (config_assign(c, assignments[i], "test", err, sizeof err) != 0) fail_msg("%s", err);
    }
    if (config_finalize(c, err, sizeof err) != 0) fail_msg("%s", err);
    return c;
}

Rig rig_alloc(const char *const *sets, unsigned long seed)
{
    Rig g;
    char err[512];
    g.cfg = test_config(sets);
    g.task = task_alloc(g.cfg, err, sizeof err);
    if (!g.task) fail_msg("task_alloc: %s", err);
    g.agent = agent_alloc(g.cfg, &g.task->info, err, sizeof err);
    if (!g.agent) fail_msg("agent_alloc: %s", err);
    g.r = rng_alloc();
    assert_non_null(g.r);
    gsl_rng_set(g.r, seed);
    g.agent->type->reset(g.agent->state);
    return g;
}

void rig_free(Rig *g)
{
    agent_free(g->agent);
    task_free(g->task);
    config_free(g->cfg);
    gsl_rng_free(g->r);
}

void test_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/metarl-test-XXXXXX");
    assert_non_null(mkdtemp(out));
}

void test_rmdir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}
