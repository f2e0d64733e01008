/*
** test_rrd_collect.c - cmocka tests for runtime/rrd_collect.c, the collection arithmetic of
** Netdata 1.37.1's rrdset_done (stream-protocol.md §3.4): priming, absolute and incremental
** values on the grid with BEGIN µs or our clock, percentage rows, gaps, dimensions without SET,
** counter overflow/reset, update_every > 1, a gap longer than the history, memory mode none.
** Expected values are worked out by hand from the rules at the top of rrd_collect.c. Clock values
** are fixed, so no test sleeps. The registry and CHART/DIMENSION parsing: test_rrd.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>

#include <cmocka.h>

#include "policy_format.h"
#include "rrd.h"
#include "rrd_testutil.h"

#define S 1000000ULL
#define T0 1700000000ULL        /* a whole second, a multiple of 1, 2 and 5 */
#define WALL(sec, us) ((T0 + (uint64_t)(sec)) * S + (us))   /* wall clock, µs after T0 */

/* The chart under test and the host it is on: what every helper below works on. */
typedef struct Rig {
    RrdHost *h;
    RrdChart *c;
} Rig;

/* Chart ID (UPDATE_EVERY, OPTIONS) created, or redefined, on the child host of fixture F. */
static Rig rig(RrdFixture *f, const char *id, int update_every, const char *options)
{
    RrdChartDef def = {.id = id, .name = "", .title = "t", .units = "u", .chart_type = "line",
                       .priority = 1000, .update_every = update_every, .options = options};
    const char *why = NULL;
    Rig r = {f->h, rrd_chart_upsert(f->h, &def, &why)};
    if (!r.c) {
        fail_msg("chart '%s' refused: %s", id, why ? why : "(no reason)");
    }
    return r;
}

static RrdDim *dim(const Rig *r, const char *id, const char *alg, int64_t mul, int64_t div)
{
    RrdDimDef def = {.id = id, .name = "", .algorithm = alg, .multiplier = mul, .divisor = div,
                     .options = ""};
    const char *why = NULL;
    RrdDim *d = rrd_dim_upsert(r->h, r->c, &def, &why);
    assert_non_null(d);
    return d;
}

/* One BEGIN/SET.../END at wall clock NOW; VALS has one raw per dim, INT64_MIN = no SET. */
static void collect(const Rig *r, uint64_t usec, uint64_t now, const int64_t *vals)
{
    rrd_chart_begin(r->c, usec);
    size_t i = 0;
    for (RrdDim *d = r->c->dims; d; d = d->next, i++) {
        if (vals[i] != INT64_MIN) {
            rrd_dim_set(d, vals[i]);
        }
    }
    rrd_chart_end(r->h, r->c, now);
}

static size_t points(const Rig *r, RrdDim *d, StoragePoint *p, size_t cap)
{
    return r->h->ops->query(d->sd, 0, INT64_MAX, p, cap);
}

/* The value stored for D at T0 + SEC, which must exist; NAN for an empty slot. */
static double at(const Rig *r, RrdDim *d, int sec)
{
    StoragePoint p;
    const int64_t t = (int64_t)T0 + sec;
    if (r->h->ops->query(d->sd, t, t, &p, 1) != 1) {
        fail_msg("%s: no slot at T0 + %d", d->id, sec);
    }
    return p.v;
}

/* GOT, the value of the expression EXPR, is WANT to 1e-3; a NAN WANT asks for NAN (an empty
   slot). */
static void check_near(const char *expr, double got, double want)
{
    if (isnan(want) ? !isnan(got) : !(fabs(got - want) < 1e-3)) {
        fail_msg("%s: got %.6f, want %.6f", expr, got, want);
    }
}

#define ASSERT_NEAR(got, want) check_near(#got, (got), (want))

/* The fixture with memory mode alloc and a history of 5 entries. */
static int setup_alloc(void **state)
{
    *state = rrd_testutil_open(POLICY_MODE_ALLOC, 5, 1);
    return 0;
}

/* ---- collection -------------------------------------------------------------------------- */

static void test_priming(void **state)
{
    Rig r = rig(*state, "system.load", 1, "");
    RrdDim *d = dim(&r, "load1", "absolute", 1, 100);
    StoragePoint p[8];
    const int64_t v[] = {150};
    collect(&r, 0, WALL(0, 300000), v);
    assert_int_equal(r.c->counter, 1);
    assert_int_equal(r.c->counter_done, 0);
    assert_int_equal(points(&r, d, p, 8), 0);          /* the first END only primes */
    assert_int_equal(r.c->last_collected_ut, WALL(0, 500000));
    assert_int_equal(r.c->last_stored_ut, WALL(0, 0));
    assert_false(r.c->in_collection);
    collect(&r, 1000000, WALL(1, 300000), v);
    assert_int_equal(points(&r, d, p, 8), 1);          /* the second stores */
    assert_int_equal(p[0].t, (int64_t)T0 + 1);
    ASSERT_NEAR(p[0].v, 1.5);
    assert_int_equal(r.h->updates, 2);
}

static void test_absolute_clock(void **state)
{
    Rig r = rig(*state, "system.ram", 1, "");
    RrdDim *d = dim(&r, "used", "absolute", 3, 2);
    for (int i = 0; i < 6; i++) {
        collect(&r, 0, WALL(i, 300000), (const int64_t[]){10 * (i + 1)});
    }
    StoragePoint p[8];
    assert_int_equal(points(&r, d, p, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[i].t, (int64_t)T0 + 1 + i);
        ASSERT_NEAR(p[i].v, 10.0 * (i + 2) * 3 / 2);
    }
    ASSERT_NEAR(d->last_stored, 90);
    /* a collection within the same slot stores nothing new */
    const int64_t v[] = {1000};
    collect(&r, 0, WALL(5, 800000), v);
    assert_int_equal(points(&r, d, p, 8), 5);
    collect(&r, 0, WALL(6, 300000), v);
    ASSERT_NEAR(at(&r, d, 6), 1500);
}

/* Incremental at 1 s: rates are spread over the grid by time, the remainder carried on. */
static void test_incremental_usec(void **state)
{
    Rig r = rig(*state, "net.eth0", 1, "");
    RrdDim *d = dim(&r, "received", "incremental", 1, 1);
    int64_t raw = 1000;
    collect(&r, 0, WALL(0, 300000), (const int64_t[]){raw});   /* prime: collected at T0+0.5 */
    raw += 100;
    /* the chart was just defined: the µs are ignored, our clock says 0.8 s */
    collect(&r, 1000000, WALL(1, 300000), (const int64_t[]){raw});
    ASSERT_NEAR(at(&r, d, 1), 62.5);                   /* 100 * 0.5/0.8 */
    ASSERT_NEAR(d->last_calculated, 37.5);
    for (int i = 2; i < 6; i++) {
        raw += 100;
        /* trusted µs: the clock passed here is far off and must not matter */
        collect(&r, 1000000, WALL(50, 0), (const int64_t[]){raw});
    }
    ASSERT_NEAR(at(&r, d, 2), 107.5);                  /* 37.5 + 100 * 0.7 */
    for (int i = 3; i < 6; i++) {
        ASSERT_NEAR(at(&r, d, i), 100);
    }
    assert_int_equal(r.c->last_collected_ut, WALL(5, 300000));
}

static void test_incremental_clock(void **state)
{
    Rig r = rig(*state, "net.eth1", 1, "");
    RrdDim *d = dim(&r, "sent", "incremental", 8, 1000);
    for (int i = 0; i < 6; i++) {
        collect(&r, 0, WALL(i, 500000), (const int64_t[]){2000 * i});
    }
    /* collected at .5 each second: the first slot gets the half second after the priming
       collection (8), the other half is carried to the next slot */
    ASSERT_NEAR(at(&r, d, 1), 8);
    for (int i = 2; i < 6; i++) {
        ASSERT_NEAR(at(&r, d, i), 16);
    }
}

static void test_update_every_2(void **state)
{
    Rig r = rig(*state, "net.eth2", 2, "");
    RrdDim *inc = dim(&r, "inc", "incremental", 1, 1), *abs = dim(&r, "abs", "absolute", 1, 1);
    for (int i = 0; i < 6; i++) {
        collect(&r, 2000000, WALL(2 * i, 500000), (const int64_t[]){200 * i, 7});
    }
    StoragePoint p[8];
    size_t n = points(&r, inc, p, 8);
    assert_int_equal(n, 5);
    assert_int_equal(p[0].t, (int64_t)T0 + 2);
    ASSERT_NEAR(p[0].v, 75);                           /* 150 of 200 in 2 s, divided by 2 */
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(p[i].t % 2, 0);
        ASSERT_NEAR(p[i].v, 100);                      /* a per-second rate */
    }
    ASSERT_NEAR(at(&r, abs, 4), 7);
}

/* A system.cpu-like chart: the row sums to 100. */
static void test_pcent_incremental_row(void **state)
{
    Rig r = rig(*state, "system.cpu", 1, "");
    RrdDim *u = dim(&r, "user", "percentage-of-incremental-row", 1, 1);
    RrdDim *s = dim(&r, "system", "percentage-of-incremental-row", 1, 1);
    RrdDim *i = dim(&r, "idle", "percentage-of-incremental-row", 1, 1);
    int64_t a = 1000, b = 500, z = 90000;
    for (int k = 0; k < 4; k++) {
        collect(&r, 0, WALL(k, 300000), (const int64_t[]){a, b, z});
        a += 30, b += 10, z += 60;
    }
    for (int k = 2; k <= 3; k++) {
        ASSERT_NEAR(at(&r, u, k), 30);
        ASSERT_NEAR(at(&r, s, k), 10);
        ASSERT_NEAR(at(&r, i, k), 60);
        ASSERT_NEAR(at(&r, u, k) + at(&r, s, k) + at(&r, i, k), 100);
    }
    /* no change at all: every share is 0 */
    collect(&r, 0, WALL(4, 300000), (const int64_t[]){a - 30, b - 10, z - 60});
    ASSERT_NEAR(at(&r, u, 4), 0);
    /* a counter that went down counts as 0 for that dim */
    collect(&r, 0, WALL(5, 300000), (const int64_t[]){5, b + 10, z});
    ASSERT_NEAR(at(&r, u, 5), 0);
    ASSERT_NEAR(at(&r, s, 5), 100.0 * 20 / 80);
    ASSERT_NEAR(at(&r, i, 5), 100.0 * 60 / 80);
}

static void test_pcent_absolute_row(void **state)
{
    Rig r = rig(*state, "mem.x", 1, "");
    RrdDim *a = dim(&r, "a", "percentage-of-absolute-row", 1000, 1);
    RrdDim *b = dim(&r, "b", "percentage-of-absolute-row", 1, 1);
    const int64_t v[] = {1, 3};
    collect(&r, 0, WALL(0, 300000), v);
    collect(&r, 0, WALL(1, 300000), v);
    ASSERT_NEAR(at(&r, a, 1), 25);                     /* multiplier not applied */
    ASSERT_NEAR(at(&r, b, 1), 75);
    collect(&r, 0, WALL(2, 300000), (const int64_t[]){0, 0});
    ASSERT_NEAR(at(&r, a, 2), 0);
}

/* A collection that jumps k slots: k-2 empty, then the line to the new value. */
static void test_gaps(void **state)
{
    Rig r = rig(*state, "gap.x", 1, "");
    RrdDim *a = dim(&r, "a", "absolute", 1, 1), *n = dim(&r, "n", "incremental", 1, 1);
    int64_t raw = 0;
    for (int i = 0; i < 3; i++, raw += 10) {
        collect(&r, 1000000, WALL(i, 500000), (const int64_t[]){100, raw});
    }
    /* last collection at T0+2.5; the next comes 5 s later */
    collect(&r, 5000000, WALL(7, 500000), (const int64_t[]){600, raw + 40});
    for (int k = 3; k <= 5; k++) {
        ASSERT_NEAR(at(&r, a, k), NAN);
        ASSERT_NEAR(at(&r, n, k), NAN);
    }
    /* Netdata moves the line's start to each slot it passes but keeps the old value there:
       at T0+6 the line runs from (T0+5, 100) to (T0+7.5, 600) */
    ASSERT_NEAR(at(&r, a, 6), 100 + 500 * 1 / 2.5);
    ASSERT_NEAR(at(&r, a, 7), 600);
    ASSERT_NEAR(at(&r, n, 6), 10);                     /* 50 over 5 s */
    ASSERT_NEAR(at(&r, n, 7), 10);
    /* two slots jumped: both interpolated */
    collect(&r, 2000000, WALL(9, 500000), (const int64_t[]){800, raw + 60});
    ASSERT_NEAR(at(&r, a, 8), 600 + 200 * 0.5 / 2);
    ASSERT_NEAR(at(&r, a, 9), 800);
}

static void test_dim_without_set(void **state)
{
    Rig r = rig(*state, "part.x", 1, "");
    RrdDim *a = dim(&r, "a", "absolute", 1, 1), *b = dim(&r, "b", "absolute", 1, 1);
    const int64_t both[] = {1, 2};
    collect(&r, 0, WALL(0, 300000), both);
    collect(&r, 0, WALL(1, 300000), both);
    collect(&r, 0, WALL(2, 300000), (const int64_t[]){3, INT64_MIN});   /* no SET for b */
    ASSERT_NEAR(at(&r, a, 2), 3);
    ASSERT_NEAR(at(&r, b, 2), NAN);
    ASSERT_NEAR(b->last_stored, NAN);
    collect(&r, 0, WALL(3, 300000), both);
    ASSERT_NEAR(at(&r, b, 3), 2);
}

static void test_counter_wrap(void **state)
{
    Rig r = rig(*state, "wrap.x", 1, "");
    RrdDim *overflow = dim(&r, "overflow", "incremental", 1, 1);
    RrdDim *reset = dim(&r, "reset", "incremental", 1, 1);
    const int64_t high[] = {0xFFFFFFF0LL, 1000000};
    collect(&r, 0, WALL(0, 500000), high);
    collect(&r, 0, WALL(1, 500000), high);
    collect(&r, 0, WALL(2, 500000), (const int64_t[]){0x10, 5});
    /* Netdata's 32-bit overflow: cap - last + new = 15 + 16 */
    ASSERT_NEAR(at(&r, overflow, 2), 31 * 0.5);
    ASSERT_NEAR(at(&r, reset, 2), 0);
}

/* Priming again after a gap longer than the history (alloc mode: 5 entries). */
static void test_long_gap_reset(void **state)
{
    Rig r = rig(*state, "long.x", 1, "");
    RrdDim *a = dim(&r, "a", "absolute", 1, 1);
    const int64_t v[] = {4};
    collect(&r, 0, WALL(0, 300000), v);
    collect(&r, 0, WALL(1, 300000), v);
    assert_int_equal(r.c->counter_done, 1);
    collect(&r, 0, WALL(20, 300000), v);               /* 19 s > 5 entries */
    assert_int_equal(r.c->counter, 1);
    assert_int_equal(r.c->counter_done, 0);
    assert_int_equal(r.c->last_collected_ut, WALL(20, 500000));
    collect(&r, 0, WALL(21, 300000), v);
    /* the reset zeroed the dim's SET count after this round's SET: one more round is empty */
    ASSERT_NEAR(at(&r, a, 21), NAN);
    collect(&r, 0, WALL(22, 300000), v);
    ASSERT_NEAR(at(&r, a, 22), 4);
    StoragePoint p[8];
    assert_int_equal(points(&r, a, p, 8), 2);          /* the old point is gone: a jump */
}

static void test_store_first_and_redefine(void **state)
{
    Rig r = rig(*state, "sf.x", 1, "store_first");
    RrdDim *a = dim(&r, "a", "absolute", 1, 1);
    const int64_t v[] = {9};
    collect(&r, 0, WALL(0, 300000), v);
    ASSERT_NEAR(at(&r, a, 0), NAN);                    /* stored, but empty */
    collect(&r, 1000000, WALL(1, 0), v);
    ASSERT_NEAR(at(&r, a, 1), 9);
    /* a new update_every: the series restarts on the new grid */
    rig(*state, "sf.x", 5, "");
    assert_int_equal(r.c->update_every, 5);
    collect(&r, 0, WALL(10, 300000), v);
    collect(&r, 0, WALL(15, 300000), v);
    StoragePoint p[8];
    assert_int_equal(points(&r, a, p, 8), 1);
    assert_int_equal(p[0].t, (int64_t)T0 + 15);
}

static void test_memory_mode_none(void **state)
{
    (void)state;
    RrdFixture *f = rrd_testutil_open(POLICY_MODE_NONE, 10, 1);
    Rig r = rig(f, "n.x", 1, "");
    RrdDim *a = dim(&r, "a", "incremental", 1, 1);
    for (int i = 0; i < 4; i++) {
        collect(&r, 0, WALL(i, 0), (const int64_t[]){i * 10});
    }
    StoragePoint p[4];
    assert_int_equal(points(&r, a, p, 4), 0);
    assert_int_equal(r.c->counter, 4);
    rrd_testutil_close(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rrd_testutil_setup, rrd_testutil_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_priming),
        T(test_absolute_clock),
        T(test_incremental_usec),
        T(test_incremental_clock),
        T(test_update_every_2),
        T(test_pcent_incremental_row),
        T(test_pcent_absolute_row),
        T(test_gaps),
        T(test_dim_without_set),
        T(test_counter_wrap),
        cmocka_unit_test_setup_teardown(test_long_gap_reset, setup_alloc, rrd_testutil_teardown),
        T(test_store_first_and_redefine),
        cmocka_unit_test(test_memory_mode_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
