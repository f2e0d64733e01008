/*
** test_sender_repl.c - runtime/sender_repl.c, streamd as a child answering replication:
** CHART_DEFINITION_END from what the chart holds; the answer to REPLAY_CHART (ranges clamped
** as 1.37.1 clamps them, empty slots, "nothing to fetch", a second passing while answering, an
** answer cut to its byte budget); the request parser on broken input; and the round trip with
** the parent side (runtime/ingest_repl.c): a parent that asks step by step ends with every
** point the child stored, bit for bit, and the child's next collection continues at the
** parent exactly where the child's own storage has it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest.h"
#include "policy_format.h"
#include "rrd.h"
#include "rrd_testutil.h"
#include "sender_fmt.h"
#include "sender_repl.h"
#include "storage.h"
#include "wire.h"

#define T0 1700000000LL           /* the child's first collection, seconds */
#define N 200                     /* collections */
#define USEC 1000000ULL

static int64_t clock_now = T0 + N;
static int clock_tick;            /* the second read of the clock is one later */
static int clock_reads;

static int64_t fake_clock(void)
{
    return clock_now + (clock_tick && clock_reads++ > 0 ? 1 : 0);
}

/* A chart "sys.t" with an absolute and an incremental dimension (plus NEXTRA dimensions with
   long ids), collected N times at T0 + i seconds + 0.3 s (interval 1 s, so one slot each). */
static RrdChart *make_chart(RrdHost *h, int nextra)
{
    const char *why = NULL;
    RrdChartDef cd = {.id = "sys.t", .title = "t", .units = "u", .family = "f",
                      .context = "sys.t", .chart_type = "line", .priority = 1,
                      .update_every = 1};
    RrdChart *c = rrd_chart_upsert(h, &cd, &why);
    assert_non_null(c);
    RrdDimDef a = {.id = "a", .algorithm = "absolute"};
    RrdDimDef b = {.id = "b", .algorithm = "incremental"};
    assert_non_null(rrd_dim_upsert(h, c, &a, &why));
    assert_non_null(rrd_dim_upsert(h, c, &b, &why));
    for (int k = 0; k < nextra; k++) {
        char id[128];
        memset(id, 'x', 100);
        snprintf(id + 100, sizeof id - 100, "%02d", k);
        RrdDimDef x = {.id = id, .algorithm = "absolute"};
        assert_non_null(rrd_dim_upsert(h, c, &x, &why));
    }
    return c;
}

static void collect(RrdHost *h, RrdChart *c, int i)
{
    rrd_chart_begin(c, i ? USEC : 0);
    int k = 0;
    for (RrdDim *d = c->dims; d; d = d->next, k++) {
        /* 'a' skips every 17th collection: its slot is empty while 'b' has one */
        if (k == 0 && i % 17 == 5) {
            continue;
        }
        rrd_dim_set(d, k == 1 ? (int64_t)i * i * 10 : (int64_t)i * 3 + k);
    }
    rrd_chart_end(h, c, (uint64_t)(T0 + i) * USEC + 300000);
}

static RrdChart *child_chart(RrdFixture *f, int nextra)
{
    RrdChart *c = make_chart(f->h, nextra);
    for (int i = 0; i < N; i++) {
        collect(f->h, c, i);
    }
    return c;
}

static StoragePoint point_at(RrdHost *h, RrdDim *d, int64_t t)
{
    StoragePoint p[2] = {{0, -12345.0}};
    size_t n = h->ops->query(d->sd, t, t, p, 2);
    return n == 1 ? p[0] : (StoragePoint){0, -12345.0};
}

/* Slots of (FROM, TO] where at least one dimension of C holds a value. */
static size_t valued_slots(RrdHost *h, RrdChart *c, int64_t from, int64_t to)
{
    size_t n = 0;
    for (int64_t t = from + 1; t <= to; t++) {
        int any = 0;
        for (RrdDim *d = c->dims; d; d = d->next) {
            StoragePoint p = point_at(h, d, t);
            any |= p.v != -12345.0 && !isnan(p.v);
        }
        n += (size_t)any;
    }
    return n;
}

static void test_definition_end(void **state)
{
    (void)state;
    RrdFixture *f = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    RrdChart *c = make_chart(f->h, 0);
    Sbuf b;
    sbuf_init(&b, 1 << 16);
    sender_repl_definition_end(&b, f->h, c, T0);
    assert_string_equal(sbuf_str(&b), "CHART_DEFINITION_END 0 0 1700000000\n");
    for (int i = 0; i < N; i++) {
        collect(f->h, c, i);
    }
    int64_t first = f->h->ops->first_t(c->dims->next->sd);
    int64_t last = (int64_t)(c->last_stored_ut / USEC);
    assert_true(first > T0 && last == T0 + N - 1);
    char want[128];
    snprintf(want, sizeof want, "CHART_DEFINITION_END %lld %lld %lld\n", (long long)first,
             (long long)last, T0 + N);
    sbuf_reset(&b);
    sender_repl_definition_end(&b, f->h, c, T0 + N);
    assert_string_equal(sbuf_str(&b), want);
    /* a last entry ahead of the clock is the clock */
    snprintf(want, sizeof want, "CHART_DEFINITION_END %lld %lld %lld\n", (long long)first,
             T0 + 100, T0 + 100);
    sbuf_reset(&b);
    sender_repl_definition_end(&b, f->h, c, T0 + 100);
    assert_string_equal(sbuf_str(&b), want);
    sbuf_free(&b);
    rrd_testutil_close(f);
}

/* The answer's lines, checked one by one: RBEGIN "id", then points, then optional state, then
   REND. Returns the number of RBEGIN '' lines; *STATE counts RDSTATE + RSSTATE lines. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
        n += strncmp(p, prefix, pl) == 0;
    }
    return n;
}

static const char *rend_line(const char *text)
{
    const char *r = strstr(text, "REND ");
    assert_non_null(r);
    return r;
}

static void test_answers(void **state)
{
    (void)state;
    RrdFixture *f = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    RrdChart *c = child_chart(f, 0);
    int64_t first = f->h->ops->first_t(c->dims->next->sd), last = T0 + N - 1;
    Sbuf b;
    sbuf_init(&b, 1 << 24);
    SenderReplAnswer a;
    char want[256];

    /* nothing to fetch: start streaming, with the collection state */
    clock_tick = 0;
    sender_repl_answer(&b, f->h, c, 1, 0, 0, fake_clock, 1 << 20, &a);
    snprintf(want, sizeof want, "REND 1 %lld %lld true 0 0 %lld\n", (long long)first,
             (long long)last, T0 + N);
    assert_string_equal(rend_line(sbuf_str(&b)), want);
    assert_int_equal(strncmp(sbuf_str(&b), "RBEGIN \"sys.t\"\nRDSTATE \"a\" ", 27), 0);
    assert_int_equal(count_lines(sbuf_str(&b), "RDSTATE "), 2);
    assert_int_equal(count_lines(sbuf_str(&b), "RSSTATE "), 1);
    snprintf(want, sizeof want, "RSSTATE %llu %llu\n", (unsigned long long)c->last_collected_ut,
             (unsigned long long)c->last_stored_ut);
    assert_non_null(strstr(sbuf_str(&b), want));
    assert_true(a.start_streaming && a.points == 0);

    /* a middle step: clamped to the first entry, no state, not streaming */
    sbuf_reset(&b);
    sender_repl_answer(&b, f->h, c, 0, T0 - 50, T0 + 50, fake_clock, 1 << 20, &a);
    assert_false(a.start_streaming);
    assert_int_equal(a.before, T0 + 50);
    assert_int_equal(count_lines(sbuf_str(&b), "RDSTATE "), 0);
    /* one RBEGIN '' per slot from the first (included: the range starts at or before it) up
       to T0 + 50 where a dimension has a value */
    assert_int_equal(a.points, valued_slots(f->h, c, first - 1, T0 + 50));
    assert_true(a.points >= (size_t)(T0 + 50 - first));
    snprintf(want, sizeof want, "RBEGIN \"sys.t\"\nRBEGIN '' %lld %lld %lld\n",
             (long long)first - 1, (long long)first, T0 + N);
    assert_int_equal(strncmp(sbuf_str(&b), want, strlen(want)), 0);
    assert_int_equal(count_lines(sbuf_str(&b), "RBEGIN '' "), (int)a.points);
    assert_int_equal(count_lines(sbuf_str(&b), "RSET "), 2 * (int)a.points);
    /* 'a' was not collected at i = 22 (22 % 17 == 5): its slot at T0 + 22 is empty */
    snprintf(want, sizeof want, "RBEGIN '' %lld %lld %lld\nRSET \"a\" NAN \"E\"\nRSET \"b\" ",
             T0 + 21, T0 + 22, T0 + N);
    assert_non_null(strstr(sbuf_str(&b), want));
    snprintf(want, sizeof want, "REND 1 %lld %lld false %lld %lld %lld\n", (long long)first,
             (long long)last, T0 - 50, T0 + 50, T0 + N);
    assert_string_equal(rend_line(sbuf_str(&b)), want);

    /* the last step reaches the last entry: streaming starts without being asked */
    sbuf_reset(&b);
    sender_repl_answer(&b, f->h, c, 0, T0 + 150, T0 + 400, fake_clock, 1 << 20, &a);
    assert_true(a.start_streaming);
    assert_int_equal(a.points, valued_slots(f->h, c, T0 + 150, last));
    assert_int_equal(a.points, (size_t)(last - (T0 + 150)));
    assert_int_equal(count_lines(sbuf_str(&b), "RDSTATE "), 2);

    /* a second passes while answering: not streaming, the parent asks again */
    sbuf_reset(&b);
    clock_tick = 1;
    clock_reads = 0;
    sender_repl_answer(&b, f->h, c, 1, T0 + 150, T0 + 160, fake_clock, 1 << 20, &a);
    clock_tick = 0;
    assert_false(a.start_streaming);
    assert_int_equal(a.before, last);       /* asked to start: answered up to the last update */
    assert_int_equal(count_lines(sbuf_str(&b), "RDSTATE "), 0);
    snprintf(want, sizeof want, "REND 1 %lld %lld false %lld %lld %lld\n", (long long)first,
             (long long)last, T0 + 150, (long long)last, T0 + N + 1);
    assert_string_equal(rend_line(sbuf_str(&b)), want);

    /* after > before is swapped, as 1.37.1 does */
    sbuf_reset(&b);
    sender_repl_answer(&b, f->h, c, 0, T0 + 60, T0 + 40, fake_clock, 1 << 20, &a);
    assert_int_equal(a.points, valued_slots(f->h, c, T0 + 40, T0 + 60));
    assert_int_equal(a.points, 20);
    sbuf_free(&b);
    rrd_testutil_close(f);
}

static void test_cut_to_budget(void **state)
{
    (void)state;
    RrdFixture *f = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    RrdChart *c = child_chart(f, 20);       /* 22 dims, 20 of them with 102-byte ids */
    Sbuf b;
    sbuf_init(&b, 1 << 24);
    SenderReplAnswer a;
    sender_repl_answer(&b, f->h, c, 1, T0, T0 + N, fake_clock, 1000, &a);
    assert_true(a.cut);
    assert_false(a.start_streaming);
    assert_true(a.points > 0 && a.points < N / 2);
    assert_true(b.len <= SENDER_REPL_MIN_BYTES);
    /* answered from the first entry for as many slots as fit, each with a value */
    int64_t first = f->h->ops->first_t(c->dims->next->sd);
    assert_int_equal(a.points, valued_slots(f->h, c, first - 1, a.before));
    assert_int_equal(a.before, first - 1 + (int64_t)a.points);
    assert_int_equal(count_lines(sbuf_str(&b), "RDSTATE "), 0);
    sbuf_free(&b);
    rrd_testutil_close(f);
}

static void test_parse(void **state)
{
    (void)state;
    const char *id;
    int start;
    int64_t after, before;
    const char *bad[] = {"REPLAY_CHART", "REPLAY_CHART \"x.y\"", "REPLAY_CHART \"x.y\" \"true\"",
                         "REPLAY_CHART \"x.y\" \"true\" 5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[128], *w[9];
        snprintf(line, sizeof line, "%s", bad[i]);
        size_t n = wire_split(line, w, 8);
        assert_int_equal(sender_repl_parse(w, n, &id, &start, &after, &before), -1);
    }
    char line[] = "REPLAY_CHART \"x.y\" \"maybe\" -5 0x10";
    char *w[9];
    size_t n = wire_split(line, w, 8);
    assert_int_equal(sender_repl_parse(w, n, &id, &start, &after, &before), 0);
    assert_string_equal(id, "x.y");
    assert_int_equal(start, 0);
    assert_int_equal(after, 0);
    assert_int_equal(before, 16);
}

/* Every line of TEXT into the parent's ingest at the parent's clock; all accepted. */
static void feed(Ingest *in, const char *text, uint64_t now_ut)
{
    char *copy = strdup(text);
    assert_non_null(copy);
    for (char *p = copy, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = '\0';
        if (ingest_line(in, p, (size_t)(nl - p), now_ut) != INGEST_OK) {
            fail_msg("'%s' ended the session: %s", p, in->err);
        }
    }
    free(copy);
}

static Sbuf pushed;

static void capture(RrdHost *h, RrdChart *c, uint64_t interval_ut)
{
    (void)h;
    sender_fmt_collection(&pushed, c, interval_ut);
}

static void test_round_trip(void **state)
{
    (void)state;
    RrdFixture *kid = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    RrdFixture *par = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    RrdChart *c = child_chart(kid, 3);
    par->h->cfg.replication = 1;
    par->h->cfg.repl_seconds = 86400;
    par->h->cfg.repl_step = 60;            /* several steps */
    Ingest in;
    Sbuf out, b;
    ingest_init(&in, par->h);
    sbuf_init(&out, 1 << 16);
    sbuf_init(&b, 1 << 24);
    sbuf_init(&pushed, 1 << 16);
    in.repl = 1;
    in.out = &out;
    uint64_t now_ut = (uint64_t)(T0 + N) * USEC + 400000;

    sender_fmt_definition(&b, c, 1);
    sender_repl_definition_end(&b, kid->h, c, T0 + N);
    feed(&in, sbuf_str(&b), now_ut);
    int rounds = 0, started = 0;
    size_t points = 0;
    while (!started && rounds++ < 30) {
        char *w[9];
        assert_true(out.len > 0);
        char *line = strdup(sbuf_str(&out));
        sbuf_reset(&out);
        assert_non_null(strchr(line, '\n'));
        *strchr(line, '\n') = '\0';
        size_t n = wire_split(line, w, 8);
        assert_string_equal(w[0], "REPLAY_CHART");
        const char *id;
        int start;
        int64_t after, before;
        assert_int_equal(sender_repl_parse(w, n, &id, &start, &after, &before), 0);
        assert_string_equal(id, "sys.t");
        SenderReplAnswer a;
        sbuf_reset(&b);
        sender_repl_answer(&b, kid->h, c, start, after, before, fake_clock, 1 << 20, &a);
        free(line);
        feed(&in, sbuf_str(&b), now_ut);
        started = a.start_streaming;
        points += a.points;
    }
    assert_true(started);
    assert_true(rounds >= 3);              /* 60-second steps over ~200 s */
    assert_int_equal(out.len, 0);          /* the parent asks nothing more */
    RrdChart *pc = rrd_chart_find(par->h, "sys.t");
    assert_non_null(pc);
    assert_int_equal(pc->repl_active, 0);
    /* every stored point of the child is at the parent, bit for bit */
    size_t compared = 0;
    for (RrdDim *d = c->dims; d; d = d->next) {
        RrdDim *pd = rrd_dim_find(pc, d->id);
        assert_non_null(pd);
        int64_t first = kid->h->ops->first_t(d->sd);
        for (int64_t t = first; t < T0 + N; t++) {
            StoragePoint k = point_at(kid->h, d, t), p = point_at(par->h, pd, t);
            if (k.v == -12345.0 || isnan(k.v)) {
                assert_true(p.v == -12345.0 || isnan(p.v));
                continue;
            }
            if (memcmp(&k.v, &p.v, sizeof k.v) != 0) {
                fail_msg("%s at %lld: child %.17g parent %.17g", d->id, (long long)t, k.v, p.v);
            }
            compared++;
        }
    }
    assert_true(compared > (size_t)(N - 20) * 5);
    assert_true(points >= (size_t)(N - 3));

    /* the child's next collection, streamed as BEGIN/SET/END, lands where the child's own
       storage has it: the collection state went over with RDSTATE/RSSTATE */
    sbuf_reset(&pushed);
    kid->h->push = capture;                /* what sender.c's push hook sees */
    collect(kid->h, c, N);
    kid->h->push = NULL;
    assert_non_null(strstr(sbuf_str(&pushed), "SET \"b\" = 400000\n"));
    /* the parent's END at the child's collection time: its clock agrees with the child's */
    feed(&in, sbuf_str(&pushed), (uint64_t)(T0 + N) * USEC + 300000);
    int64_t t = T0 + N;
    for (RrdDim *d = c->dims; d; d = d->next) {
        StoragePoint k = point_at(kid->h, d, t), p = point_at(par->h, rrd_dim_find(pc, d->id), t);
        assert_true(k.v != -12345.0 && !isnan(k.v));
        if (k.v != p.v) {
            fail_msg("%s at %lld: child %.17g parent %.17g", d->id, (long long)t, k.v, p.v);
        }
    }
    ingest_reset(&in);
    sbuf_free(&out);
    sbuf_free(&b);
    sbuf_free(&pushed);
    rrd_testutil_close(kid);
    rrd_testutil_close(par);
}

static void test_memory_mode_none(void **state)
{
    (void)state;
    RrdFixture *f = rrd_testutil_open(POLICY_MODE_NONE, 3600, 1);
    RrdChart *c = child_chart(f, 0);
    Sbuf b;
    sbuf_init(&b, 1 << 16);
    sender_repl_definition_end(&b, f->h, c, T0 + N);
    assert_string_equal(sbuf_str(&b), "CHART_DEFINITION_END 0 0 1700000200\n");
    sbuf_reset(&b);
    SenderReplAnswer a;
    sender_repl_answer(&b, f->h, c, 1, T0, T0 + N, fake_clock, 1 << 20, &a);
    assert_true(a.start_streaming);
    assert_int_equal(a.points, 0);
    sbuf_free(&b);
    rrd_testutil_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definition_end),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_cut_to_budget),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_memory_mode_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
