/*
** test_rrd.c - cmocka tests for runtime/rrd.c and runtime/rrd_collect.c: the host registry,
** CHART/DIMENSION parsing defaults and bounds (stream-protocol.md §3.2), label lists, and the
** collection arithmetic of Netdata 1.37.1's rrdset_done (§3.4): priming, absolute and
** incremental values on the grid with BEGIN µs or our clock, percentage rows, gaps, dimensions
** without SET, counter overflow/reset, update_every > 1. Expected values are worked out by hand
** from the rules at the top of rrd_collect.c. Clock values are fixed, so no test sleeps.
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

#include "policy_format.h"
#include "rrd.h"

#define S 1000000ULL
#define T0 1700000000ULL        /* a whole second, a multiple of 1, 2 and 5 */

typedef struct Fx {
    RrdDb *db;
    RrdHost *h;
} Fx;

static int fx_setup_mode(void **state, int mode, long history, int update_every)
{
    Fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    RrdHostConfig cfg = {.memory_mode = mode, .history = history, .update_every = update_every};
    f->db = rrd_db_new("parent", "00000000-0000-0000-0000-00000000000a", &cfg, NULL);
    assert_non_null(f->db);
    f->h = rrd_host_create(f->db, "11111111-2222-3333-4444-555555555555", "child", &cfg);
    assert_non_null(f->h);
    *state = f;
    return 0;
}

static int fx_setup(void **state)
{
    return fx_setup_mode(state, POLICY_MODE_RAM, 3600, 1);
}

static int fx_setup_alloc(void **state)
{
    return fx_setup_mode(state, POLICY_MODE_ALLOC, 5, 1);
}

static int fx_teardown(void **state)
{
    Fx *f = *state;
    rrd_db_free(f->db);
    free(f);
    return 0;
}

static RrdChart *chart(RrdHost *h, const char *id, int update_every, const char *options)
{
    RrdChartDef def = {.id = id, .name = "", .title = "t", .units = "u", .chart_type = "line",
                       .priority = 1000, .update_every = update_every, .options = options};
    const char *why = NULL;
    RrdChart *c = rrd_chart_upsert(h, &def, &why);
    assert_non_null(c);
    return c;
}

static RrdDim *dim(RrdHost *h, RrdChart *c, const char *id, const char *alg, int64_t mul,
                   int64_t div)
{
    RrdDimDef def = {.id = id, .name = "", .algorithm = alg, .multiplier = mul, .divisor = div,
                     .options = ""};
    const char *why = NULL;
    RrdDim *d = rrd_dim_upsert(h, c, &def, &why);
    assert_non_null(d);
    return d;
}

/* One BEGIN/SET.../END at wall clock NOW; VALS has one raw per dim, INT64_MIN = no SET. */
static void collect(RrdHost *h, RrdChart *c, uint64_t usec, uint64_t now, const int64_t *vals)
{
    rrd_chart_begin(c, usec);
    size_t i = 0;
    for (RrdDim *d = c->dims; d; d = d->next, i++) {
        if (vals[i] != INT64_MIN) {
            rrd_dim_set(d, vals[i]);
        }
    }
    rrd_chart_end(h, c, now);
}

static size_t points(RrdHost *h, RrdDim *d, StoragePoint *p, size_t cap)
{
    return h->ops->query(d->sd, 0, INT64_MAX, p, cap);
}

/* The stored value at T, which must exist; NAN for an empty slot. */
static double at(RrdHost *h, RrdDim *d, int64_t t)
{
    StoragePoint p;
    if (h->ops->query(d->sd, t, t, &p, 1) != 1) {
        fail_msg("no slot at %lld", (long long)t);
    }
    return p.v;
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) < 1e-3)) {
        fail_msg("got %.6f, want %.6f", got, want);
    }
}

/* ---- registry, parsing -------------------------------------------------------------------- */

static void test_registry(void **state)
{
    Fx *f = *state;
    RrdDb *db = f->db;
    assert_int_equal(db->nhosts, 2);
    assert_ptr_equal(db->hosts, db->localhost);
    assert_true(db->localhost->is_localhost);
    assert_false(f->h->is_localhost);
    assert_ptr_equal(rrd_host_find_guid(db, "11111111-2222-3333-4444-555555555555"), f->h);
    assert_null(rrd_host_find_guid(db, "11111111-2222-3333-4444-555555555556"));
    assert_null(rrd_host_find_guid(db, "11111111-2222-3333-4444-55555555555"));
    assert_ptr_equal(rrd_host_find_name(db, "child"), f->h);
    assert_ptr_equal(rrd_host_find_name(db, "parent"), db->localhost);
    assert_ptr_equal(rrd_host_find_name(db, "11111111-2222-3333-4444-555555555555"), f->h);
    assert_null(rrd_host_find_name(db, "Child"));
    assert_ptr_equal(f->h->ops, &storage_ram_ops);
    assert_int_equal(f->h->storage_fallback, 0);

    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_DBENGINE, .history = 10};
    RrdHost *x = rrd_host_create(db, "AAAAAAAA-2222-3333-4444-555555555555", "x", &cfg);
    assert_non_null(x);
    assert_int_equal(x->storage_fallback, 1);
    assert_ptr_equal(db->hosts_tail, x);
    assert_null(rrd_host_find_guid(db, "aaaaaaaa-2222-3333-4444-555555555555"));
    cfg.memory_mode = POLICY_MODE_NONE;
    x = rrd_host_create(db, "bbbbbbbb-2222-3333-4444-555555555555", "y", &cfg);
    assert_ptr_equal(x->ops, &storage_none_ops);
    char big[80];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_null(rrd_host_create(db, big, "z", &cfg));
    assert_int_equal(db->nhosts, 4);
    rrd_db_free(NULL);
}

static void test_chart_defaults(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    h->cfg.update_every = 2;
    const char *why = NULL;
    RrdChartDef def = {.id = "system.cpu", .name = "system.cpu"};
    RrdChart *c = rrd_chart_upsert(h, &def, &why);
    assert_non_null(c);
    assert_string_equal(c->id, "system.cpu");
    assert_string_equal(c->type, "system");
    assert_string_equal(c->name, "system.cpu");
    assert_string_equal(c->title, "");
    assert_string_equal(c->units, "unknown");
    assert_string_equal(c->family, "system");
    assert_string_equal(c->context, "system.cpu");
    assert_int_equal(c->chart_type, RRD_CHART_LINE);
    assert_int_equal(c->update_every, 2);        /* 0: the node default */
    assert_int_equal(c->flags, 0);
    assert_true(c->sync_clock);
    assert_ptr_equal(rrd_chart_find(h, "system.cpu"), c);
    assert_null(rrd_chart_find(h, "system.cpU"));

    const struct {
        const char *name, *want;
    } names[] = {
        {"NULL", "system.cpu"},  {"(null)", "system.cpu"}, {"cpu", "system.cpu"},
        {"", "system.cpu"},      {"system.foo", "system.foo"}, {"bar", "system.bar"},
        {"other.x", "system.other.x"}, {"a b/c", "system.a_b_c"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        RrdChartDef d2 = {.id = "system.cpu", .name = names[i].name};
        assert_ptr_equal(rrd_chart_upsert(h, &d2, &why), c);
        assert_string_equal(c->name, names[i].want);
    }

    RrdChartDef full = {.id = "disk.sda", .name = "disk.sda_name", .title = "Disk",
                        .units = "KiB/s", .family = "sda", .context = "disk.io",
                        .chart_type = "area", .priority = 2000, .update_every = 5,
                        .options = "obsolete detail store_first hidden", .plugin = "proc.plugin",
                        .module = "/proc/diskstats"};
    RrdChart *d = rrd_chart_upsert(h, &full, &why);
    assert_non_null(d);
    assert_string_equal(d->name, "disk.sda_name");
    assert_string_equal(d->family, "sda");
    assert_string_equal(d->context, "disk.io");
    assert_int_equal(d->chart_type, RRD_CHART_AREA);
    assert_int_equal(d->priority, 2000);
    assert_int_equal(d->update_every, 5);
    assert_int_equal(d->flags, RRD_CHART_OBSOLETE | RRD_CHART_DETAIL | RRD_CHART_STORE_FIRST |
                                   RRD_CHART_HIDDEN);
    assert_string_equal(d->plugin, "proc.plugin");

    /* an update: empty texts keep the old ones, the type falls back to line */
    RrdChartDef upd = {.id = "disk.sda", .title = "", .units = "", .chart_type = "pie",
                       .priority = 7, .update_every = 5, .options = "   "};
    assert_ptr_equal(rrd_chart_upsert(h, &upd, &why), d);
    assert_string_equal(d->title, "Disk");
    assert_string_equal(d->units, "KiB/s");
    assert_string_equal(d->family, "sda");
    assert_string_equal(d->context, "disk.io");
    assert_string_equal(d->plugin, "proc.plugin");
    assert_int_equal(d->chart_type, RRD_CHART_LINE);
    assert_int_equal(d->priority, 7);
    assert_int_equal(d->flags, 0);
    upd.chart_type = "stacked";
    upd.options = "hidden";
    rrd_chart_upsert(h, &upd, &why);
    assert_int_equal(d->chart_type, RRD_CHART_STACKED);
    assert_int_equal(d->flags, RRD_CHART_HIDDEN);
    upd.options = "";            /* Netdata keeps hidden on an empty options word */
    rrd_chart_upsert(h, &upd, &why);
    assert_int_equal(d->flags, RRD_CHART_HIDDEN);
    assert_int_equal(h->ncharts, 2);
    assert_ptr_equal(h->charts, c);
    assert_ptr_equal(h->charts_tail, d);
}

static void test_chart_bounds(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    const char *bad[] = {"nodot", ".x", "x.", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        RrdChartDef def = {.id = bad[i]};
        assert_null(rrd_chart_upsert(h, &def, &why));
        assert_non_null(why);
    }
    char id[RRD_MAX_ID + 2];
    memset(id, 'a', sizeof id - 1);
    id[sizeof id - 1] = 0;
    id[3] = '.';
    const char *why = NULL;
    RrdChartDef def = {.id = id};
    assert_null(rrd_chart_upsert(h, &def, &why));     /* 201 bytes */
    assert_non_null(strstr(why, "200"));
    id[RRD_MAX_ID] = 0;
    assert_non_null(rrd_chart_upsert(h, &def, &why)); /* 200 bytes */

    /* many charts: the hash grows and every chart is still found */
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "t.c%d", i);
        def.id = buf;
        assert_non_null(rrd_chart_upsert(h, &def, &why));
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "t.c%d", i);
        RrdChart *c = rrd_chart_find(h, buf);
        assert_non_null(c);
        assert_string_equal(c->id, buf);
    }
    assert_int_equal(h->ncharts, 1001);
}

static void test_dim_defaults_and_bounds(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "net.eth0", 1, "");
    c->sync_clock = 0;
    const char *why = NULL;
    RrdDimDef def = {.id = "received", .name = "", .algorithm = "bogus"};
    RrdDim *d = rrd_dim_upsert(h, c, &def, &why);
    assert_non_null(d);
    assert_string_equal(d->name, "received");
    assert_int_equal(d->algorithm, RRD_ALG_ABSOLUTE);
    assert_int_equal(d->multiplier, 1);
    assert_int_equal(d->divisor, 1);
    assert_int_equal(d->flags, 0);
    assert_non_null(d->sd);
    assert_true(c->sync_clock);                       /* a new dim re-syncs */

    const struct {
        const char *alg;
        int want;
    } algs[] = {{"absolute", RRD_ALG_ABSOLUTE}, {"incremental", RRD_ALG_INCREMENTAL},
                {"percentage-of-absolute-row", RRD_ALG_PCENT_ABS_ROW},
                {"percentage-of-incremental-row", RRD_ALG_PCENT_INC_ROW},
                {"Incremental", RRD_ALG_ABSOLUTE}, {NULL, RRD_ALG_ABSOLUTE}};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        RrdDimDef d2 = {.id = "received", .algorithm = algs[i].alg, .multiplier = -8,
                        .divisor = 1024, .options = "noreset"};
        assert_ptr_equal(rrd_dim_upsert(h, c, &d2, &why), d);
        assert_int_equal(d->algorithm, algs[i].want);
        assert_int_equal(d->multiplier, -8);
        assert_int_equal(d->divisor, 1024);
        assert_int_equal(d->flags, RRD_DIM_NORESET | RRD_DIM_NOOVERFLOW);
    }
    c->sync_clock = 0;
    RrdDimDef same = {.id = "received", .algorithm = "absolute", .multiplier = -8,
                      .divisor = 1024, .options = "obsolete hidden"};
    rrd_dim_upsert(h, c, &same, &why);
    assert_false(c->sync_clock);                      /* nothing that matters changed */
    assert_int_equal(d->flags, RRD_DIM_OBSOLETE | RRD_DIM_HIDDEN);
    same.options = "nooverflow";
    rrd_dim_upsert(h, c, &same, &why);
    assert_int_equal(d->flags, RRD_DIM_NORESET | RRD_DIM_NOOVERFLOW);
    same.options = NULL;
    same.name = "rx";
    rrd_dim_upsert(h, c, &same, &why);
    assert_string_equal(d->name, "rx");
    assert_int_equal(d->flags, 0);
    assert_true(c->sync_clock);

    RrdDimDef empty = {.id = ""};
    assert_null(rrd_dim_upsert(h, c, &empty, &why));
    assert_non_null(why);

    /* the 5001st dimension is refused */
    char id[32];
    for (int i = 1; i < RRD_MAX_DIMS_PER_CHART; i++) {
        snprintf(id, sizeof id, "d%d", i);
        RrdDimDef dd = {.id = id};
        assert_non_null(rrd_dim_upsert(h, c, &dd, &why));
    }
    assert_int_equal(c->ndims, RRD_MAX_DIMS_PER_CHART);
    RrdDimDef extra = {.id = "one_more"};
    why = NULL;
    assert_null(rrd_dim_upsert(h, c, &extra, &why));
    assert_non_null(why);
    assert_non_null(strstr(why, "dimensions"));
    RrdDimDef again = {.id = "d7", .name = "seven"};
    assert_non_null(rrd_dim_upsert(h, c, &again, &why));   /* updates still work */
    assert_ptr_equal(rrd_dim_find(c, "d7"), rrd_dim_upsert(h, c, &again, &why));
    assert_null(rrd_dim_find(c, "one_more"));
}

static void test_labels(void **state)
{
    (void)state;
    RrdLabels l = {0}, st = {0};
    assert_int_equal(rrd_labels_set(&l, "a", "1", 1), 0);
    assert_int_equal(rrd_labels_set(&l, "b", "2", 2), 0);
    assert_int_equal(rrd_labels_set(&l, "a", "3", 4), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].value, "3");
    assert_int_equal(l.v[0].source, 4);
    assert_int_equal(rrd_labels_set(&st, "c", "x", 536870913u), 0);
    rrd_labels_commit(&l, &st);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].name, "c");
    assert_int_equal(l.v[0].source, 536870913u);
    assert_int_equal(st.n, 0);
    assert_null(st.v);
    rrd_labels_commit(&l, &st);                       /* an empty commit empties */
    assert_int_equal(l.n, 0);
    char name[16];
    for (int i = 0; i < RRD_MAX_LABELS; i++) {
        snprintf(name, sizeof name, "k%d", i);
        assert_int_equal(rrd_labels_set(&l, name, "v", 1), 0);
    }
    assert_int_equal(rrd_labels_set(&l, "overflow", "v", 1), -1);
    assert_int_equal(rrd_labels_set(&l, "k0", "new", 1), 0);   /* replacing still works */
    assert_int_equal(l.n, RRD_MAX_LABELS);
    rrd_labels_clear(&l);
    rrd_labels_clear(&l);
    assert_int_equal(l.n, 0);
}

/* ---- collection -------------------------------------------------------------------------- */

static void test_priming(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "system.load", 1, "");
    RrdDim *d = dim(h, c, "load1", "absolute", 1, 100);
    StoragePoint p[8];
    const int64_t v[] = {150};
    collect(h, c, 0, T0 * S + 300000, v);
    assert_int_equal(c->counter, 1);
    assert_int_equal(c->counter_done, 0);
    assert_int_equal(points(h, d, p, 8), 0);           /* the first END only primes */
    assert_int_equal(c->last_collected_ut, T0 * S + 500000);
    assert_int_equal(c->last_stored_ut, T0 * S);
    assert_false(c->in_collection);
    collect(h, c, 1000000, (T0 + 1) * S + 300000, v);
    assert_int_equal(points(h, d, p, 8), 1);           /* the second stores */
    assert_int_equal(p[0].t, (int64_t)T0 + 1);
    assert_near(p[0].v, 1.5);
    assert_int_equal(h->updates, 2);
}

static void test_absolute_clock(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "system.ram", 1, "");
    RrdDim *d = dim(h, c, "used", "absolute", 3, 2);
    for (int i = 0; i < 6; i++) {
        const int64_t v[] = {10 * (i + 1)};
        collect(h, c, 0, (T0 + (uint64_t)i) * S + 300000, v);
    }
    StoragePoint p[8];
    assert_int_equal(points(h, d, p, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[i].t, (int64_t)T0 + 1 + i);
        assert_near(p[i].v, 10.0 * (i + 2) * 3 / 2);
    }
    assert_near(d->last_stored, 90);
    /* a collection within the same slot stores nothing new */
    const int64_t v[] = {1000};
    collect(h, c, 0, (T0 + 5) * S + 800000, v);
    assert_int_equal(points(h, d, p, 8), 5);
    collect(h, c, 0, (T0 + 6) * S + 300000, v);
    assert_near(at(h, d, (int64_t)T0 + 6), 1500);
}

/* Incremental at 1 s: rates are spread over the grid by time, the remainder carried on. */
static void test_incremental_usec(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "net.eth0", 1, "");
    RrdDim *d = dim(h, c, "received", "incremental", 1, 1);
    int64_t raw = 1000;
    const int64_t v0[] = {raw};
    collect(h, c, 0, T0 * S + 300000, v0);             /* prime: collected at T0+0.5 */
    raw += 100;
    const int64_t v1[] = {raw};
    /* the chart was just defined: the µs are ignored, our clock says 0.8 s */
    collect(h, c, 1000000, (T0 + 1) * S + 300000, v1);
    assert_near(at(h, d, (int64_t)T0 + 1), 62.5);      /* 100 * 0.5/0.8 */
    assert_near(d->last_calculated, 37.5);
    for (int i = 2; i < 6; i++) {
        raw += 100;
        const int64_t v[] = {raw};
        /* trusted µs: the clock passed here is far off and must not matter */
        collect(h, c, 1000000, (T0 + 50) * S, v);
    }
    assert_near(at(h, d, (int64_t)T0 + 2), 107.5);     /* 37.5 + 100 * 0.7 */
    for (int i = 3; i < 6; i++) {
        assert_near(at(h, d, (int64_t)T0 + i), 100);
    }
    assert_int_equal(c->last_collected_ut, (T0 + 5) * S + 300000);
}

static void test_incremental_clock(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "net.eth1", 1, "");
    RrdDim *d = dim(h, c, "sent", "incremental", 8, 1000);
    int64_t raw = 0;
    for (int i = 0; i < 6; i++) {
        const int64_t v[] = {raw};
        collect(h, c, 0, (T0 + (uint64_t)i) * S + 500000, v);
        raw += 2000;
    }
    /* collected at .5 each second: the first slot gets the half second after the priming
       collection (8), the other half is carried to the next slot */
    assert_near(at(h, d, (int64_t)T0 + 1), 8);
    for (int i = 2; i < 6; i++) {
        assert_near(at(h, d, (int64_t)T0 + i), 16);
    }
}

static void test_update_every_2(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "net.eth2", 2, "");
    RrdDim *inc = dim(h, c, "inc", "incremental", 1, 1);
    RrdDim *abs = dim(h, c, "abs", "absolute", 1, 1);
    int64_t raw = 0;
    for (int i = 0; i < 6; i++) {
        const int64_t v[] = {raw, 7};
        collect(h, c, 2000000, (T0 + 2 * (uint64_t)i) * S + 500000, v);
        raw += 200;
    }
    StoragePoint p[8];
    size_t n = points(h, inc, p, 8);
    assert_int_equal(n, 5);
    assert_int_equal(p[0].t, (int64_t)T0 + 2);
    assert_near(p[0].v, 75);                           /* 150 of 200 in 2 s, divided by 2 */
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(p[i].t % 2, 0);
        assert_near(p[i].v, 100);                      /* a per-second rate */
    }
    assert_near(at(h, abs, (int64_t)T0 + 4), 7);
}

/* A system.cpu-like chart: the row sums to 100. */
static void test_pcent_incremental_row(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "system.cpu", 1, "");
    RrdDim *u = dim(h, c, "user", "percentage-of-incremental-row", 1, 1);
    RrdDim *s = dim(h, c, "system", "percentage-of-incremental-row", 1, 1);
    RrdDim *i = dim(h, c, "idle", "percentage-of-incremental-row", 1, 1);
    int64_t a = 1000, b = 500, z = 90000;
    for (int k = 0; k < 4; k++) {
        const int64_t v[] = {a, b, z};
        collect(h, c, 0, (T0 + (uint64_t)k) * S + 300000, v);
        a += 30, b += 10, z += 60;
    }
    for (int64_t t = T0 + 2; t <= (int64_t)T0 + 3; t++) {
        assert_near(at(h, u, t), 30);
        assert_near(at(h, s, t), 10);
        assert_near(at(h, i, t), 60);
        assert_near(at(h, u, t) + at(h, s, t) + at(h, i, t), 100);
    }
    /* no change at all: every share is 0 */
    const int64_t same[] = {a - 30, b - 10, z - 60};
    collect(h, c, 0, (T0 + 4) * S + 300000, same);
    assert_near(at(h, u, (int64_t)T0 + 4), 0);
    /* a counter that went down counts as 0 for that dim */
    const int64_t down[] = {5, b + 10, z};
    collect(h, c, 0, (T0 + 5) * S + 300000, down);
    assert_near(at(h, u, (int64_t)T0 + 5), 0);
    assert_near(at(h, s, (int64_t)T0 + 5), 100.0 * 20 / 80);
    assert_near(at(h, i, (int64_t)T0 + 5), 100.0 * 60 / 80);
}

static void test_pcent_absolute_row(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "mem.x", 1, "");
    RrdDim *a = dim(h, c, "a", "percentage-of-absolute-row", 1000, 1);
    RrdDim *b = dim(h, c, "b", "percentage-of-absolute-row", 1, 1);
    const int64_t v[] = {1, 3};
    collect(h, c, 0, T0 * S + 300000, v);
    collect(h, c, 0, (T0 + 1) * S + 300000, v);
    assert_near(at(h, a, (int64_t)T0 + 1), 25);       /* multiplier not applied */
    assert_near(at(h, b, (int64_t)T0 + 1), 75);
    const int64_t zero[] = {0, 0};
    collect(h, c, 0, (T0 + 2) * S + 300000, zero);
    assert_near(at(h, a, (int64_t)T0 + 2), 0);
}

/* A collection that jumps k slots: k-2 empty, then the line to the new value. */
static void test_gaps(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "gap.x", 1, "");
    RrdDim *a = dim(h, c, "a", "absolute", 1, 1);
    RrdDim *n = dim(h, c, "n", "incremental", 1, 1);
    int64_t raw = 0;
    for (int i = 0; i < 3; i++) {
        const int64_t v[] = {100, raw};
        collect(h, c, 1000000, (T0 + (uint64_t)i) * S + 500000, v);
        raw += 10;
    }
    /* last collection at T0+2.5; the next comes 5 s later */
    const int64_t v[] = {600, raw + 40};
    collect(h, c, 5000000, (T0 + 7) * S + 500000, v);
    for (int64_t t = T0 + 3; t <= (int64_t)T0 + 5; t++) {
        assert_true(isnan(at(h, a, t)));
        assert_true(isnan(at(h, n, t)));
    }
    /* Netdata moves the line's start to each slot it passes but keeps the old value there:
       at T0+6 the line runs from (T0+5, 100) to (T0+7.5, 600) */
    assert_near(at(h, a, (int64_t)T0 + 6), 100 + 500 * 1 / 2.5);
    assert_near(at(h, a, (int64_t)T0 + 7), 600);
    assert_near(at(h, n, (int64_t)T0 + 6), 10);       /* 50 over 5 s */
    assert_near(at(h, n, (int64_t)T0 + 7), 10);
    /* two slots jumped: both interpolated */
    const int64_t w[] = {800, raw + 60};
    collect(h, c, 2000000, (T0 + 9) * S + 500000, w);
    assert_near(at(h, a, (int64_t)T0 + 8), 600 + 200 * 0.5 / 2);
    assert_near(at(h, a, (int64_t)T0 + 9), 800);
}

static void test_dim_without_set(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "part.x", 1, "");
    RrdDim *a = dim(h, c, "a", "absolute", 1, 1);
    RrdDim *b = dim(h, c, "b", "absolute", 1, 1);
    const int64_t both[] = {1, 2}, only_a[] = {3, INT64_MIN};
    collect(h, c, 0, T0 * S + 300000, both);
    collect(h, c, 0, (T0 + 1) * S + 300000, both);
    collect(h, c, 0, (T0 + 2) * S + 300000, only_a);
    assert_near(at(h, a, (int64_t)T0 + 2), 3);
    assert_true(isnan(at(h, b, (int64_t)T0 + 2)));
    assert_true(isnan(b->last_stored));
    collect(h, c, 0, (T0 + 3) * S + 300000, both);
    assert_near(at(h, b, (int64_t)T0 + 3), 2);
}

static void test_counter_wrap(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "wrap.x", 1, "");
    RrdDim *o = dim(h, c, "overflow", "incremental", 1, 1);
    RrdDim *r = dim(h, c, "reset", "incremental", 1, 1);
    const int64_t v0[] = {0xFFFFFFF0LL, 1000000}, v1[] = {0xFFFFFFF0LL, 1000000};
    const int64_t v2[] = {0x10, 5};
    collect(h, c, 0, T0 * S + 500000, v0);
    collect(h, c, 0, (T0 + 1) * S + 500000, v1);
    collect(h, c, 0, (T0 + 2) * S + 500000, v2);
    /* Netdata's 32-bit overflow: cap - last + new = 15 + 16 */
    assert_near(at(h, o, (int64_t)T0 + 2), 31 * 0.5);
    assert_near(at(h, r, (int64_t)T0 + 2), 0);
}

/* Priming again after a gap longer than the history (alloc mode: 5 entries). */
static void test_long_gap_reset(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "long.x", 1, "");
    RrdDim *a = dim(h, c, "a", "absolute", 1, 1);
    const int64_t v[] = {4};
    collect(h, c, 0, T0 * S + 300000, v);
    collect(h, c, 0, (T0 + 1) * S + 300000, v);
    assert_int_equal(c->counter_done, 1);
    collect(h, c, 0, (T0 + 20) * S + 300000, v);      /* 19 s > 5 entries */
    assert_int_equal(c->counter, 1);
    assert_int_equal(c->counter_done, 0);
    assert_int_equal(c->last_collected_ut, (T0 + 20) * S + 500000);
    collect(h, c, 0, (T0 + 21) * S + 300000, v);
    /* the reset zeroed the dim's SET count after this round's SET: one more round is empty */
    assert_true(isnan(at(h, a, (int64_t)T0 + 21)));
    collect(h, c, 0, (T0 + 22) * S + 300000, v);
    assert_near(at(h, a, (int64_t)T0 + 22), 4);
    StoragePoint p[8];
    assert_int_equal(points(h, a, p, 8), 2);          /* the old point is gone: a jump */
}

static void test_store_first_and_redefine(void **state)
{
    Fx *f = *state;
    RrdHost *h = f->h;
    RrdChart *c = chart(h, "sf.x", 1, "store_first");
    RrdDim *a = dim(h, c, "a", "absolute", 1, 1);
    const int64_t v[] = {9};
    collect(h, c, 0, T0 * S + 300000, v);
    assert_true(isnan(at(h, a, (int64_t)T0)));         /* stored, but empty */
    collect(h, c, 1000000, (T0 + 1) * S, v);
    assert_near(at(h, a, (int64_t)T0 + 1), 9);
    /* a new update_every: the series restarts on the new grid */
    chart(h, "sf.x", 5, "");
    assert_int_equal(c->update_every, 5);
    collect(h, c, 0, (T0 + 10) * S + 300000, v);
    collect(h, c, 0, (T0 + 15) * S + 300000, v);
    StoragePoint p[8];
    assert_int_equal(points(h, a, p, 8), 1);
    assert_int_equal(p[0].t, (int64_t)T0 + 15);
}

static void test_memory_mode_none(void **state)
{
    (void)state;
    void *st = NULL;
    fx_setup_mode(&st, POLICY_MODE_NONE, 10, 1);
    Fx *f = st;
    RrdChart *c = chart(f->h, "n.x", 1, "");
    RrdDim *a = dim(f->h, c, "a", "incremental", 1, 1);
    for (int i = 0; i < 4; i++) {
        const int64_t v[] = {i * 10};
        collect(f->h, c, 0, (T0 + (uint64_t)i) * S, v);
    }
    StoragePoint p[4];
    assert_int_equal(points(f->h, a, p, 4), 0);
    assert_int_equal(c->counter, 4);
    fx_teardown(&st);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_registry),
        T(test_chart_defaults),
        T(test_chart_bounds),
        T(test_dim_defaults_and_bounds),
        cmocka_unit_test(test_labels),
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
        cmocka_unit_test_setup_teardown(test_long_gap_reset, fx_setup_alloc, fx_teardown),
        T(test_store_first_and_redefine),
        cmocka_unit_test(test_memory_mode_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
