/* tests/test_numfmt.c: the readable form of undefined numbers
** (core/numfmt.c): "-" for a NaN value, no "± SE" for a NaN SE, and the
** scrub that turns printf's "nan" / "-nan" / "inf" tokens into "n/a"
** without touching words that merely contain those letters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/numfmt.h"

static void test_num_text(void **state)
{
    (void)state;
    assert_string_equal(num_text(0.12345, 3, 'f').s, "0.123");
    assert_string_equal(num_text(195.46, 3, 'g').s, "195");
    assert_string_equal(num_text(NAN, 3, 'f').s, "-");
    assert_string_equal(num_text(-NAN, 3, 'g').s, "-");
    assert_string_equal(num_text(INFINITY, 2, 'f').s, "-");
    assert_string_equal(num_text(-1e300, 1, 'g').s, "-1e+300");
}

static void test_num_pm(void **state)
{
    (void)state;
    assert_string_equal(num_pm(2.364, 0.1104, 3, 3, 'f').s, "2.364 ± 0.110");
    assert_string_equal(num_pm(195.46, 12.3, 3, 2, 'g').s, "195 ± 12");
    assert_string_equal(num_pm(0.5, NAN, 4, 4, 'f').s, "0.5000");     /* one episode: no SE */
    assert_string_equal(num_pm(NAN, NAN, 3, 3, 'f').s, "-");          /* no trial at all */
    assert_string_equal(num_pm(NAN, 0.1, 3, 3, 'f').s, "-");
    assert_string_equal(num_pm(1.0, INFINITY, 3, 3, 'f').s, "1.000");
    /* the widest numbers still fit whole */
    assert_string_equal(num_pm(-1e300, 1e300, 17, 17, 'g').s, "-1.0000000000000001e+300 ± 1.0000000000000001e+300");
}

static void scrubbed(const char *in, const char *want)
{
    char b[256];
    strcpy(b, in);
    num_scrub_undefined(b);
    assert_string_equal(b, want);
}

static void test_scrub(void **state)
{
    (void)state;
    scrubbed("delta = nan +nan r -nan E[r], R2 nan", "delta = n/a n/a r n/a E[r], R2 n/a");
    scrubbed("nan", "n/a");
    scrubbed("mean inf, median -inf.", "mean n/a, median n/a.");
    scrubbed("(nan/nan)", "(n/a/n/a)");
    scrubbed("banana nano info inflow nan_x x-nan2 Nan", "banana nano info inflow nan_x x-nan2 Nan");
    scrubbed("0.25 [0.1, 0.4]", "0.25 [0.1, 0.4]");
    scrubbed("", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_text),
        cmocka_unit_test(test_num_pm),
        cmocka_unit_test(test_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
