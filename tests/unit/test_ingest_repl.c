/*
** test_ingest_repl.c - runtime/ingest_repl.c: the REPLAY_CHART requests a parent queues for the
** child (1.37.1's replicate_chart_request: one step, several steps, nothing to fetch, local data
** newer than the child's), replicated points stored at their time (only forwards; 'E' empty),
** the chart's clock moved by RBEGIN, and nothing queued or stored without REPLICATION.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest.h"
#include "policy_format.h"
#include "rrd.h"
#include "rrd_testutil.h"
#include "storage.h"

#define T 1700000000LL                      /* the parent's clock, seconds */
#define NOW ((uint64_t)T * 1000000ULL)

typedef struct Fx {
    RrdFixture *rf;
    Ingest in;
    Sbuf out;
} Fx;

static int setup(void **state)
{
    static Fx f;
    memset(&f, 0, sizeof f);
    f.rf = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    f.rf->h->cfg.replication = 1;
    f.rf->h->cfg.repl_seconds = 86400;
    f.rf->h->cfg.repl_step = 600;
    ingest_init(&f.in, f.rf->h);
    sbuf_init(&f.out, 1u << 16);
    f.in.repl = 1;
    f.in.out = &f.out;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    Fx *f = *state;
    ingest_reset(&f->in);
    sbuf_free(&f->out);
    rrd_testutil_close(f->rf);
    return 0;
}

/* Each line of TEXT (printf-style) into ingest_line at NOW; every one must be accepted. */
__attribute__((format(printf, 2, 3)))
static void lines(Fx *f, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = '\0';
        IngestStatus st = ingest_line(&f->in, p, (size_t)(nl - p), NOW);
        if (st != INGEST_OK) {
            fail_msg("'%s' ended the session: %s", p, f->in.err);
        }
    }
}

/* The queued lines, then forget them. */
static void expect_out(Fx *f, const char *want)
{
    assert_string_equal(f->out.len ? f->out.s : "", want);
    sbuf_reset(&f->out);
}

static void define(Fx *f)
{
    lines(f, "CHART \"x.y\" \"\" \"t\" \"u\" \"f\" \"x.y\" \"line\" 1 1 \"\" \"p\" \"m\"\n"
             "DIMENSION \"a\" \"\" \"absolute\" 1 1 \"\"\n");
}

static double stored_at(Fx *f, const char *dim, int64_t t)
{
    RrdChart *c = rrd_chart_find(f->rf->h, "x.y");
    RrdDim *d = c ? rrd_dim_find(c, dim) : NULL;
    assert_non_null(d);
    StoragePoint p[4];
    size_t n = f->rf->h->ops->query(d->sd, t, t, p, 4);
    return n == 1 && p[0].t == t ? p[0].v : -12345.0;
}

static void test_one_step(void **state)
{
    Fx *f = *state;
    define(f);
    lines(f, "CHART_DEFINITION_END %lld %lld %lld\n", T - 100, T, T);
    char want[256];
    snprintf(want, sizeof want, "REPLAY_CHART \"x.y\" \"true\" %lld %lld\n", T - 100, T);
    expect_out(f, want);
    /* one step reaches the child's last entry: nothing is left to ask for */
    assert_int_equal(rrd_chart_find(f->rf->h, "x.y")->repl_active, 0);
}

static void test_steps_and_points(void **state)
{
    Fx *f = *state;
    f->rf->h->cfg.repl_step = 30;
    define(f);
    lines(f, "CHART_DEFINITION_END %lld %lld %lld\n", T - 100, T, T);
    char want[256];
    snprintf(want, sizeof want, "REPLAY_CHART \"x.y\" \"false\" %lld %lld\n", T - 100, T - 70);
    expect_out(f, want);
    RrdChart *c = rrd_chart_find(f->rf->h, "x.y");
    assert_int_equal(c->repl_active, 1);
    lines(f, "RBEGIN \"x.y\"\nRBEGIN '' %lld %lld %lld\nRSET \"a\" 5.2500000 \"\"\n"
             "RBEGIN '' %lld %lld %lld\nRSET \"a\" NAN \"E\"\n"
             "REND 1 %lld %lld false %lld %lld %lld\n",
          T - 100, T - 99, T, T - 99, T - 98, T, T - 100, T, T - 100, T - 70, T);
    assert_true(stored_at(f, "a", T - 99) == 5.25);
    assert_true(isnan(stored_at(f, "a", T - 98)));
    assert_int_equal(c->last_stored_ut, (uint64_t)(T - 98) * 1000000ULL);
    snprintf(want, sizeof want, "REPLAY_CHART \"x.y\" \"false\" %lld %lld\n", T - 70, T - 40);
    expect_out(f, want);
    /* a point at or before what the dimension holds is not stored again */
    lines(f, "RBEGIN \"x.y\"\nRBEGIN '' %lld %lld %lld\nRSET \"a\" 9 \"\"\n"
             "REND 1 %lld %lld false %lld %lld %lld\n",
          T - 100, T - 99, T, T - 100, T, T - 70, T - 40, T);
    assert_true(stored_at(f, "a", T - 99) == 5.25);
    snprintf(want, sizeof want, "REPLAY_CHART \"x.y\" \"false\" %lld %lld\n", T - 40, T - 10);
    expect_out(f, want);
    lines(f, "RBEGIN \"x.y\"\nREND 1 %lld %lld false %lld %lld %lld\n",
          T - 100, T, T - 40, T - 10, T);
    snprintf(want, sizeof want, "REPLAY_CHART \"x.y\" \"true\" %lld %lld\n", T - 10, T);
    expect_out(f, want);
    assert_int_equal(c->repl_active, 0);
    lines(f, "RBEGIN \"x.y\"\nREND 1 %lld %lld true %lld %lld %lld\n", T - 100, T, T - 10, T, T);
    expect_out(f, "");
    assert_int_equal(c->repl_active, 0);
}

static void test_nothing_to_fetch(void **state)
{
    Fx *f = *state;
    define(f);
    lines(f, "CHART_DEFINITION_END 0 0 %lld\n", T);       /* the child has no data */
    expect_out(f, "REPLAY_CHART \"x.y\" \"true\" 0 0\n");
    /* local data newer than the child's last entry */
    lines(f, "RBEGIN \"x.y\"\nRBEGIN '' %lld %lld %lld\nRSET \"a\" 1 \"\"\n"
             "REND 1 %lld %lld true 0 0 %lld\n", T - 6, T - 5, T, T - 9, T - 5, T);
    define(f);                                          /* a reconnecting child */
    lines(f, "CHART_DEFINITION_END %lld %lld %lld\n", T - 100, T - 50, T);
    expect_out(f, "REPLAY_CHART \"x.y\" \"true\" 0 0\n");
}

static void test_not_negotiated(void **state)
{
    Fx *f = *state;
    f->in.repl = 0;
    define(f);
    lines(f, "CHART_DEFINITION_END %lld %lld %lld\n", T - 100, T, T);
    lines(f, "RBEGIN \"x.y\"\nRBEGIN '' %lld %lld %lld\nRSET \"a\" 5 \"\"\n"
             "REND 1 %lld %lld false %lld %lld %lld\n",
          T - 100, T - 99, T, T - 100, T, T - 100, T - 70, T);
    expect_out(f, "");
    assert_true(stored_at(f, "a", T - 99) == -12345.0);
    /* replication turned off for the host: the request says "nothing", start streaming */
    f->in.repl = 1;
    f->rf->h->cfg.replication = 0;
    define(f);
    lines(f, "CHART_DEFINITION_END %lld %lld %lld\n", T - 100, T, T);
    expect_out(f, "REPLAY_CHART \"x.y\" \"true\" 0 0\n");
}

/* A 1.37.1 child under load can answer with a collection state past its last stored slot
   (RSSTATE: collected at T-1 + 0.335 s, last stored T-2). The next collection must not
   interpolate backwards from after the slot (an unsigned wrap stored ~1e12 there). */
static void test_state_past_last_slot(void **state)
{
    Fx *f = *state;
    define(f);
    long long lc = (T - 1) * 1000000LL + 335000;
    lines(f, "RBEGIN \"x.y\"\nRBEGIN '' %lld %lld %lld\nRSET \"a\" 5 \"\"\n"
             "RBEGIN '' %lld %lld %lld\nRSET \"a\" 6 \"\"\n"
             "RDSTATE \"a\" %lld 7 7 6\nRSSTATE %lld %lld\n"
             "REND 1 %lld %lld true %lld %lld %lld\n",
          T - 4, T - 3, T, T - 3, T - 2, T, lc, lc, (T - 2) * 1000000LL,
          T - 10, T - 2, T - 10, T - 2, T);
    /* the collection at T + 0.336 s (the chart was just defined: our clock sets the time) */
    const char *batch[] = {"BEGIN \"x.y\" 1000000", "SET \"a\" = 9", "END"};
    for (size_t i = 0; i < 3; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s", batch[i]);
        assert_int_equal(ingest_line(&f->in, line, strlen(line), NOW + 336000), INGEST_OK);
    }
    assert_true(stored_at(f, "a", T - 2) == 6);
    assert_true(stored_at(f, "a", T - 1) == 7);     /* the value at the child's collection */
    assert_true(stored_at(f, "a", T) == 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_steps_and_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_negotiated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_past_last_slot, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
