/* tests/test_store_rates.c: the formats of the stored unit rates
** (store/rates.h): float16 encoding against hand-worked IEEE 754 binary16
** values and exhaustively against its own decoder, the F16C conversion of
** many values against the scalar one bit for bit, round trips of rates
** within half-precision error through a store, float32 rows (the only
** format of stores written before test.activity = float16) read exactly, and
** all formats side by side in one store; per-step rows (activity_steps) of
** all formats, and a version-3 file gaining that table on its first write;
** the sparse layout against hand-worked bytes, round trips bit for bit at
** every length and zero fraction, and damaged sparse rows refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store/rates.h"
#include "store/store.h"

/* Hand-worked binary16 encodings (IEEE 754-2008, table 3.5 layout: 1 sign, 5 exponent, 10 mantissa bits). */
static void encode_known_values(void **state)
{
    (void)state;
    assert_int_equal(store_half_from_float(0.0f), 0x0000);
    assert_int_equal(store_half_from_float(-0.0f), 0x8000);
    assert_int_equal(store_half_from_float(1.0f), 0x3c00);
    assert_int_equal(store_half_from_float(-2.0f), 0xc000);
    assert_int_equal(store_half_from_float(0.5f), 0x3800);
    assert_int_equal(store_half_from_float(65504.0f), 0x7bff);           /* largest half */
    assert_int_equal(store_half_from_float(65519.0f), 0x7bff);           /* below the midpoint to 65536 */
    assert_int_equal(store_half_from_float(65520.0f), 0x7c00);           /* the midpoint rounds to even: inf */
    assert_int_equal(store_half_from_float(1e10f), 0x7c00);
    assert_int_equal(store_half_from_float(-INFINITY), 0xfc00);
    assert_true((store_half_from_float(NAN) & 0x7c00) == 0x7c00 && (store_half_from_float(NAN) & 0x3ff) != 0);
    assert_int_equal(store_half_from_float(ldexpf(1.0f, -14)), 0x0400);  /* smallest normal */
    assert_int_equal(store_half_from_float(ldexpf(1.0f, -24)), 0x0001);  /* smallest subnormal */
    assert_int_equal(store_half_from_float(ldexpf(1.0f, -25)), 0x0000);  /* half of it: ties to even, 0 */
    assert_int_equal(store_half_from_float(ldexpf(1.5f, -25)), 0x0001);
    assert_int_equal(store_half_from_float(ldexpf(3.0f, -25)), 0x0002);  /* 1.5 x 2^-24: tie, to even 2 */
    assert_int_equal(store_half_from_float(1.0f + ldexpf(1.0f, -11)), 0x3c00);       /* tie, to even */
    assert_int_equal(store_half_from_float(1.0f + ldexpf(3.0f, -11)), 0x3c02);       /* tie, to even */
    assert_int_equal(store_half_from_float(1.0f + ldexpf(1.0f, -11) + ldexpf(1.0f, -20)), 0x3c01);
    assert_int_equal(store_half_from_float(2.0f - ldexpf(1.0f, -12)), 0x4000);       /* carry into the exponent */
    assert_true(store_float_from_half(0x3555) == 0x1.554p-2f);
    assert_true(store_float_from_half(0x0001) == ldexpf(1.0f, -24));
    assert_true(store_float_from_half(0x03ff) == ldexpf(1023.0f, -24));
    assert_true(isinf(store_float_from_half(0x7c00)) && isnan(store_float_from_half(0x7e00)));
}

/* Every half but NaN decodes to a float that encodes back to it. */
static void every_half_round_trips(void **state)
{
    (void)state;
    for (uint32_t h = 0; h <= 0xffffu; h++) {
        float x = store_float_from_half((uint16_t)h);
        if (isnan(x)) continue;
        if (store_half_from_float(x) != h) fail_msg("half 0x%04x -> %a -> 0x%04x", h, (double)x, store_half_from_float(x));
    }
}

/* The many-values conversion (F16C where the CPU has it) against the scalar
** definition, element by element, bit for bit: floats whose low 13 bits sit
** at and beside the rounding midpoint of every sign, exponent and upper
** mantissa (2^19 x 5 patterns, ties to even included), a stride through
** all 2^32 bit patterns (NaNs, infinities, subnormals among them), lengths
** that leave a tail past the last block of 8, and a NaN inside a block. */
static void check_half_n(const float *x, size_t n, uint16_t *got)
{
    store_half_from_float_n(x, got, n);
    for (size_t i = 0; i < n; i++) {
        uint16_t want = store_half_from_float(x[i]);
        if (got[i] != want) {
            uint32_t u;
            memcpy(&u, &x[i], sizeof u);
            fail_msg("%s: float 0x%08x (%a) -> 0x%04x, scalar 0x%04x", store_half_path(), u, (double)x[i], got[i], want);
        }
    }
}

static void half_n_matches_scalar(void **state)
{
    (void)state;
    enum { CHUNK = 1 << 16 };
    float *x = malloc(CHUNK * sizeof *x);
    uint16_t *got = malloc(CHUNK * sizeof *got);
    assert_non_null(x);
    assert_non_null(got);
    static const uint32_t low[] = { 0x0000u, 0x0fffu, 0x1000u, 0x1001u, 0x1fffu };
    for (int pass = 0; pass < 2; pass++) {
        store_rates_force_portable(pass);   /* the CPU's path first (F16C on x86 with it), then the portable one */
        size_t n = 0;
        for (uint32_t hi = 0; hi < (1u << 19); hi++)
            for (size_t k = 0; k < sizeof low / sizeof *low; k++) {
                uint32_t u = (hi << 13) | low[k];
                memcpy(&x[n++], &u, sizeof u);
                if (n == CHUNK) check_half_n(x, n, got), n = 0;
            }
        for (uint64_t u = 0; u < (1ull << 32); u += 65521) {   /* a prime stride: every exponent, many mantissas */
            uint32_t v = (uint32_t)u;
            memcpy(&x[n++], &v, sizeof v);
            if (n == CHUNK) check_half_n(x, n, got), n = 0;
        }
        check_half_n(x, n, got);
        for (size_t len = 0; len <= 19; len++) {   /* tails: 0-7 values past whole blocks */
            for (size_t i = 0; i < len; i++) x[i] = ldexpf(1.0f + (float)i / 7.0f, (int)i - 12);
            if (len > 9) x[9] = NAN;
            check_half_n(x, len, got);
        }
    }
    store_rates_force_portable(0);
    print_message("store_half_from_float_n: the CPU's path is %s; store_sparse_encode: %s\n", store_half_path(),
                  store_sparse_path());
    free(x);
    free(got);
}

/* |decoded - x| <= half an ulp of binary16: |x| 2^-11 for normal halves, 2^-25 below 2^-14. */
static void assert_half_close(float x, float y)
{
    double tol = fmax(fabs((double)x) * ldexp(1.0, -11), ldexp(1.0, -25));
    if (!(fabs((double)x - (double)y) <= tol)) fail_msg("%.9g stored as %.9g (tolerance %g)", (double)x, (double)y, tol);
}

static void random_rates_within_half_error(void **state)
{
    (void)state;
    uint64_t z = 12345;
    for (int i = 0; i < 1000000; i++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;   /* a fixed LCG: rates of every magnitude */
        double u = (double)(z >> 11) * ldexp(1.0, -53);
        float x = (float)ldexp(u, (int)(z % 40) - 30);
        assert_half_close(x, store_float_from_half(store_half_from_float(x)));
    }
}

/* A new empty file from path's template (".../name-XXXXXX", changed in
** place) and a store on it, open for writing. */
static Store *tmp_store(char *path)
{
    char err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    Store *s = store_open(path, STORE_WRITE, err, sizeof err);
    if (!s) fail_msg("%s", err);
    return s;
}

static int64_t new_run(Store *s)
{
    RunRow row;
    memset(&row, 0, sizeof row);
    row.kind = "test";
    row.name = "test";
    row.task = "bandit";
    row.agent = "network";
    row.config = "[test]\nactivity = float16\n";
    row.seed = 1;
    row.rng = "mt19937";
    row.version = "test";
    int64_t id = 0;
    if (store_run_create(s, &row, &id) != 0) fail_msg("%s", store_errmsg(s));
    return id;
}

static EpisodeRecord *rates_episode(int n_trials, int n_units, int n_pfc, int salt)
{
    EpisodeRecord *e = episode_alloc(n_trials, n_units);
    assert_non_null(e);
    episode_clear(e);
    e->n_trials = n_trials;
    e->n_pfc = n_pfc;
    for (int t = 0; t < n_trials; t++) e->trials[t].action = t % 2;
    for (int i = 0; i < n_trials * n_units; i++)
        e->activity[i] = i % 7 == 0 ? 0.0f : (float)(fabs(sin(i + salt)) * pow(10.0, i % 9 - 5));
    snprintf(e->instance, sizeof e->instance, "{}");
    episode_summarize(e);
    return e;
}

static sqlite3_int64 blob_bytes(const char *path, int64_t run)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT sum(length(rates)) FROM activity WHERE run_id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, run);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sqlite3_int64 n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* A float32 run (as every store before the option) and a float16 run in one
** file: each row is 4 or 2 bytes a value, and both read back, exactly and
** within half-precision error. */
static void both_formats_in_one_store(void **state)
{
    (void)state;
    char path[] = "/tmp/metarl-test-rates-XXXXXX", err[512];
    Store *s = tmp_store(path);
    enum { T = 30, U = 9, P = 7, EPS = 3 };
    int64_t run[2] = { new_run(s), new_run(s) };
    int fmt[2] = { STORE_RATES_FLOAT32, STORE_RATES_FLOAT16 };
    EpisodeRecord *e[EPS];
    for (int i = 0; i < EPS; i++) e[i] = rates_episode(T, U, P, i);
    assert_int_equal(store_begin(s), 0);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < EPS; i++) assert_int_equal(store_put_episode(s, run[k], i, "test", e[i], fmt[k]), 0);
    assert_int_equal(store_commit(s), 0);
    store_close(s);
    assert_int_equal(blob_bytes(path, run[0]), 4 * EPS * T * U);
    assert_int_equal(blob_bytes(path, run[1]), 2 * EPS * T * U);
    s = store_open(path, STORE_READ, err, sizeof err);
    if (!s) fail_msg("%s", err);
    for (int k = 0; k < 2; k++) {
        EpisodeRecord **back;
        int n;
        assert_int_equal(store_read_episodes(s, run[k], 1, &back, &n), 0);
        assert_int_equal(n, EPS);
        for (int i = 0; i < EPS; i++) {
            assert_int_equal(back[i]->n_units, U);
            assert_int_equal(back[i]->n_pfc, P);
            if (k == 0) {
                assert_memory_equal(back[i]->activity, e[i]->activity, sizeof(float) * T * U);
            } else {
                for (int j = 0; j < T * U; j++) assert_half_close(e[i]->activity[j], back[i]->activity[j]);
            }
        }
        store_episodes_free(back, n);
    }
    store_close(s);
    for (int i = 0; i < EPS; i++) episode_free(e[i]);
    remove(path);
}

/* An episode of rates_episode with K = 5 steps a trial (epochs fixation,
** choice, outcome, outcome, iti), P rates a step, the last trial cut after
** its choice step as the network leaves it. */
static EpisodeRecord *steps_episode(int n_trials, int n_units, int n_pfc, int salt)
{
    enum { K = 5 };
    static const unsigned char ep[K] = { EPOCH_FIXATION, EPOCH_CHOICE, EPOCH_OUTCOME, EPOCH_OUTCOME, EPOCH_ITI };
    EpisodeRecord *e = rates_episode(n_trials, n_units, n_pfc, salt);
    assert_int_equal(episode_reserve_steps(e, n_trials * K, n_pfc), 0);
    e->steps_per_trial = K;
    e->n_steps = (n_trials - 1) * K + 2;
    for (int s = 0; s < e->n_steps; s++) e->step_epoch[s] = ep[s % K];
    for (int i = 0; i < e->n_steps * n_pfc; i++) e->step_rates[i] = i % 3 ? (float)(fabs(cos(i * 0.37 + salt)) * 3.0) : 0.0f;
    return e;
}

static int64_t scalar(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Per-step rows of episodes e[0..n-1] read back by both readers: the steps,
** K and epochs exactly, the rates exactly (float32) or within half error. */
static void check_steps_back(Store *s, int64_t run, EpisodeRecord **e, int n, int half)
{
    EpisodeRecord **back;
    int m;
    assert_int_equal(store_read_episodes(s, run, 1, &back, &m), 0);
    assert_int_equal(m, n);
    EpisodeRecord *one = episode_alloc(1, 0);
    assert_non_null(one);
    for (int i = 0; i < n; i++) {
        assert_int_equal(store_read_steps(s, run, i, one), 0);
        EpisodeRecord *const got[2] = { back[i], one };
        for (int k = 0; k < 2; k++) {
            const EpisodeRecord *b = got[k];
            assert_int_equal(b->n_steps, e[i]->n_steps);
            assert_int_equal(b->steps_per_trial, e[i]->steps_per_trial);
            assert_int_equal(b->n_step_units, e[i]->n_step_units);
            assert_memory_equal(b->step_epoch, e[i]->step_epoch, (size_t)b->n_steps);
            size_t nr = (size_t)b->n_steps * b->n_step_units;
            if (!half) assert_memory_equal(b->step_rates, e[i]->step_rates, nr * sizeof(float));
            else
                for (size_t j = 0; j < nr; j++) assert_half_close(e[i]->step_rates[j], b->step_rates[j]);
        }
    }
    episode_free(one);
    store_episodes_free(back, m);
}

/* Per-step rows (activity_steps) in float32 and float16 round trip through
** a store; a version-3 file (no activity_steps) gains the table on its
** first write and reads back the same. */
static void steps_round_trip(void **state)
{
    (void)state;
    char path[] = "/tmp/metarl-test-steps-XXXXXX", err[512];
    enum { T = 12, U = 9, P = 7, EPS = 2 };
    EpisodeRecord *e[EPS];
    for (int i = 0; i < EPS; i++) e[i] = steps_episode(T, U, P, i);
    Store *s = tmp_store(path);
    int64_t run0 = new_run(s);   /* an empty run, so the file has every table, then made version 3 */
    store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE activity_steps; PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'activity_steps'"), 0);
    assert_int_equal(scalar(path, "PRAGMA user_version"), 3);

    s = store_open(path, STORE_WRITE, err, sizeof err);
    if (!s) fail_msg("%s", err);
    int64_t run[3] = { new_run(s), new_run(s), new_run(s) };
    int fmt[3] = { STORE_RATES_FLOAT32, STORE_RATES_FLOAT16, STORE_RATES_SPARSE };
    assert_int_equal(store_begin(s), 0);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < EPS; i++) assert_int_equal(store_put_episode(s, run[k], i, "test", e[i], fmt[k]), 0);
    assert_int_equal(store_commit(s), 0);
    store_close(s);
    assert_int_equal(scalar(path, "PRAGMA user_version"), 4);
    enum { NS = (T - 1) * 5 + 2 };
    int64_t sparse_bytes = 0;   /* what the layout gives for the episodes' step rates */
    unsigned char *packed = malloc(store_sparse_bound(NS * P));
    assert_non_null(packed);
    for (int i = 0; i < EPS; i++) sparse_bytes += (int64_t)store_sparse_encode(e[i]->step_rates, NS * P, packed);
    free(packed);
    assert_true(sparse_bytes < 4 * EPS * NS * P);
    char sql[160];
    for (int k = 0; k < 3; k++) {
        snprintf(sql, sizeof sql, "SELECT sum(length(rates)) FROM activity_steps WHERE run_id = %lld", (long long)run[k]);
        assert_int_equal(scalar(path, sql), k == 2 ? sparse_bytes : (k ? 2 : 4) * EPS * NS * P);
    }
    s = store_open(path, STORE_READ, err, sizeof err);
    if (!s) fail_msg("%s", err);
    for (int k = 0; k < 3; k++) check_steps_back(s, run[k], e, EPS, k == 1);
    EpisodeRecord **none;
    int n;
    assert_int_equal(store_read_episodes(s, run0, 1, &none, &n), 0);   /* a run without steps has none */
    assert_int_equal(n, 0);
    store_episodes_free(none, n);
    store_close(s);
    for (int i = 0; i < EPS; i++) episode_free(e[i]);
    remove(path);
}

/* The sparse layout of store/rates.h, worked by hand: 9 values, stored
** 1.0 (bit 1), -0.0 (bit 4: not the +0.0 that is left out) and 2.0 (bit 0 of
** the second byte); 4 + 2 + 12 = 18 bytes, so one byte of padding. */
static void sparse_known_bytes(void **state)
{
    (void)state;
    const float x[9] = { 0.0f, 1.0f, 0.0f, 0.0f, -0.0f, 0.0f, 0.0f, 0.0f, 2.0f };
    const unsigned char want[19] = { 'S', 'P', '3', '2', 0x12, 0x01, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00,
                                     0x00, 0x80, 0x00, 0x00, 0x00, 0x40, 0x00 };
    unsigned char got[96];
    assert_true(store_sparse_bound(9) <= sizeof got);
    assert_int_equal((int)store_sparse_encode(x, 9, got), 19);
    assert_memory_equal(got, want, sizeof want);
    float back[9];
    assert_int_equal(store_rates_decode(got, 19, 9, back, NULL), 0);
    assert_memory_equal(back, x, sizeof x);   /* -0.0 keeps its sign */
}

/* Round trips bit for bit at lengths around the bitmap's bytes and at zero
** fractions 0 to 1, with the odd values a rate can hold (NaN, inf,
** subnormals, -0.0); the length is odd and exactly what the layout says, and
** the CPU's path (AVX2 where it has it) writes the portable path's bytes. */
static void sparse_round_trips(void **state)
{
    (void)state;
    static const size_t lengths[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1001 };
    static const double zero_share[] = { 0.0, 0.3, 0.744, 0.97, 1.0 };
    const float odd[] = { -0.0f, NAN, INFINITY, -INFINITY, 1e-45f, 3.4e38f, -1.5f };
    uint64_t z = 99;
    for (size_t a = 0; a < sizeof lengths / sizeof *lengths; a++)
        for (size_t b = 0; b < sizeof zero_share / sizeof *zero_share; b++) {
            size_t n = lengths[a], stored = 0;
            float *x = malloc((n + 1) * sizeof *x), *back = malloc((n + 1) * sizeof *back);
            unsigned char *blob = malloc(store_sparse_bound(n));
            assert_true(x && back && blob);
            for (size_t i = 0; i < n; i++) {
                z = z * 6364136223846793005ull + 1442695040888963407ull;
                double u = (double)(z >> 11) * ldexp(1.0, -53);
                x[i] = u < zero_share[b] ? 0.0f : i % 13 == 5 ? odd[i % 7] : (float)(u * 3.0);
                uint32_t bits;
                memcpy(&bits, &x[i], sizeof bits);
                stored += bits != 0;
            }
            size_t len = store_sparse_encode(x, n, blob), want = 4 + (n + 7) / 8 + 4 * stored;
            store_rates_force_portable(1);   /* the portable path: the same bytes as the CPU's */
            unsigned char *again = malloc(store_sparse_bound(n));
            assert_non_null(again);
            assert_int_equal((int)store_sparse_encode(x, n, again), (int)len);
            assert_memory_equal(again, blob, len);
            free(again);
            store_rates_force_portable(0);
            assert_true(len & 1);
            assert_int_equal((int)len, (int)(want | 1));
            assert_true(len <= store_sparse_bound(n));
            const char *why = NULL;
            if (store_rates_decode(blob, len, n, back, &why) != 0) fail_msg("n %zu: %s", n, why);
            assert_memory_equal(back, x, n * sizeof *x);
            free(x);
            free(back);
            free(blob);
        }
}

/* A damaged sparse row is refused with a reason, never read past its end. */
static void sparse_refuses_damage(void **state)
{
    (void)state;
    enum { N = 20 };
    float x[N], back[N];
    for (int i = 0; i < N; i++) x[i] = i % 3 ? 0.0f : (float)i + 0.5f;   /* 7 stored: 4 + 3 + 28 = 35 bytes */
    unsigned char blob[128], bad[128];
    size_t len = store_sparse_encode(x, N, blob);
    assert_int_equal((int)len, 35);
    const char *why = NULL;
    memcpy(bad, blob, len);
    bad[0] = 'X';   /* no mark */
    assert_int_equal(store_rates_decode(bad, len, N, back, &why), -1);
    assert_non_null(strstr(why, "SP32"));
    memcpy(bad, blob, len);
    bad[6] |= 0x10;   /* value 20 of 20: past the end */
    why = NULL;
    assert_int_equal(store_rates_decode(bad, len, N, back, &why), -1);
    assert_non_null(strstr(why, "past"));
    memcpy(bad, blob, len);
    bad[4] |= 0x02;   /* one more value marked than stored */
    why = NULL;
    assert_int_equal(store_rates_decode(bad, len, N, back, &why), -1);
    assert_non_null(strstr(why, "length"));
    why = NULL;
    assert_int_equal(store_rates_decode(blob, len - 4, N, back, &why), -1);   /* cut short: still odd */
    assert_non_null(strstr(why, "length"));
    why = NULL;
    assert_int_equal(store_rates_decode(blob, len - 1, N, back, &why), -1);   /* even and not 40 or 80 */
    assert_non_null(strstr(why, "odd"));
    float more[N + 8];
    assert_int_equal(store_rates_decode(blob, len, N + 8, more, NULL), -1);   /* a shape with a longer bitmap */
    float one[1] = { 1.0f };   /* 4 + 1 + 4 = 9: no padding */
    assert_int_equal((int)store_sparse_encode(one, 1, blob), 9);
    float nine[9] = { 1.0f };   /* 4 + 2 + 4 = 10: padded to 11, and the padding must be zero */
    assert_int_equal((int)store_sparse_encode(nine, 9, blob), 11);
    assert_int_equal(store_rates_decode(blob, 11, 9, back, NULL), 0);
    blob[10] = 7;
    why = NULL;
    assert_int_equal(store_rates_decode(blob, 11, 9, back, &why), -1);
    assert_non_null(strstr(why, "length"));
}

/* Rows with zeros are stored sparse (fewer bytes than float32) and read
** back exactly; a row without zeros is stored as float32; a damaged row in
** the store is refused by name (run, episode, module). */
static void sparse_in_a_store(void **state)
{
    (void)state;
    char path[] = "/tmp/metarl-test-sparse-XXXXXX", err[512];
    Store *s = tmp_store(path);
    enum { T = 40, U = 11, P = 8, EPS = 3 };
    int64_t run = new_run(s), dense_run = new_run(s);
    EpisodeRecord *e[EPS], *dense = rates_episode(T, U, P, 7);
    for (int i = 0; i < T * U; i++) dense->activity[i] = 1.0f + (float)i;
    for (int i = 0; i < EPS; i++) {
        e[i] = rates_episode(T, U, P, i);
        for (int j = 0; j < T * U; j++)
            if ((j * 7 + i) % 4 != 0) e[i]->activity[j] = 0.0f;   /* 3 zeros in 4, like a relu network's */
    }
    assert_int_equal(store_begin(s), 0);
    for (int i = 0; i < EPS; i++) assert_int_equal(store_put_episode(s, run, i, "test", e[i], STORE_RATES_SPARSE), 0);
    assert_int_equal(store_put_episode(s, dense_run, 0, "test", dense, STORE_RATES_SPARSE), 0);
    assert_int_equal(store_commit(s), 0);
    store_close(s);
    assert_true(blob_bytes(path, run) < 2 * EPS * T * U);   /* fewer bytes than even float16 */
    assert_int_equal(scalar(path, "SELECT count(*) FROM activity WHERE length(rates) % 2 = 0"), 2);   /* dense's */
    assert_int_equal(blob_bytes(path, dense_run), 4 * T * U);
    s = store_open(path, STORE_READ, err, sizeof err);
    if (!s) fail_msg("%s", err);
    EpisodeRecord **back;
    int n;
    assert_int_equal(store_read_episodes(s, run, 1, &back, &n), 0);
    assert_int_equal(n, EPS);
    for (int i = 0; i < EPS; i++) {
        assert_int_equal(back[i]->n_pfc, P);
        assert_memory_equal(back[i]->activity, e[i]->activity, sizeof(float) * T * U);
    }
    store_episodes_free(back, n);
    assert_int_equal(store_read_episodes(s, dense_run, 1, &back, &n), 0);
    assert_memory_equal(back[0]->activity, dense->activity, sizeof(float) * T * U);
    store_episodes_free(back, n);
    store_close(s);

    sqlite3 *db;   /* cut two bytes off one sparse row: still odd, no longer what its bitmap says */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE activity SET rates = substr(rates, 1, length(rates) - 2) WHERE run_id = %lld "
                              "AND episode = 1 AND module = 'striatum'", (long long)run);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = store_open(path, STORE_READ, err, sizeof err);
    if (!s) fail_msg("%s", err);
    back = NULL;
    assert_int_equal(store_read_episodes(s, run, 1, &back, &n), -1);
    const char *msg = store_errmsg(s);
    if (!strstr(msg, "episode 1") || !strstr(msg, "striatum") || !strstr(msg, "sparse")) fail_msg("message: %s", msg);
    store_close(s);
    for (int i = 0; i < EPS; i++) episode_free(e[i]);
    episode_free(dense);
    remove(path);
}

static void format_names(void **state)
{
    (void)state;
    assert_int_equal(store_rates_format("float32"), STORE_RATES_FLOAT32);
    assert_int_equal(store_rates_format("float16"), STORE_RATES_FLOAT16);
    assert_int_equal(store_rates_format("sparse"), STORE_RATES_SPARSE);
    assert_int_equal((int)store_rates_size(STORE_RATES_SPARSE), 4);
    assert_int_equal(store_rates_written(STORE_RATES_SPARSE), STORE_RATES_SPARSE);
    assert_int_equal(store_rates_written(STORE_RATES_FLOAT16), STORE_RATES_FLOAT16);
    assert_int_equal(store_rates_written(STORE_RATES_FLOAT32), STORE_RATES_FLOAT32);
    assert_int_equal(store_rates_written(0), STORE_RATES_FLOAT32);   /* unset: store, as float32 */
    assert_int_equal(store_rates_format("half"), -1);
    assert_int_equal(store_rates_format(NULL), -1);
    assert_int_equal((int)store_rates_size(STORE_RATES_FLOAT32), 4);
    assert_int_equal((int)store_rates_size(STORE_RATES_FLOAT16), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_known_values),
        cmocka_unit_test(every_half_round_trips),
        cmocka_unit_test(half_n_matches_scalar),
        cmocka_unit_test(random_rates_within_half_error),
        cmocka_unit_test(both_formats_in_one_store),
        cmocka_unit_test(steps_round_trip),
        cmocka_unit_test(sparse_known_bytes),
        cmocka_unit_test(sparse_round_trips),
        cmocka_unit_test(sparse_refuses_damage),
        cmocka_unit_test(sparse_in_a_store),
        cmocka_unit_test(format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
