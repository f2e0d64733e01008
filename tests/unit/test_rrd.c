/*
** test_rrd.c - cmocka tests for runtime/rrd.c and runtime/rrd_labels.c: the host registry,
** CHART/DIMENSION parsing defaults and bounds (stream-protocol.md §3.2) and label lists. The
** collection arithmetic of runtime/rrd_collect.c is tested in test_rrd_collect.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_format.h"
#include "rrd.h"
#include "rrd_testutil.h"

/* ---- registry, parsing -------------------------------------------------------------------- */

static void test_registry(void **state)
{
    RrdFixture *f = *state;
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
    RrdFixture *f = *state;
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
    RrdFixture *f = *state;
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
    RrdFixture *f = *state;
    RrdHost *h = f->h;
    const char *why = NULL;
    RrdChartDef cdef = {.id = "net.eth0", .name = "", .title = "t", .units = "u",
                        .chart_type = "line", .priority = 1000, .update_every = 1, .options = ""};
    RrdChart *c = rrd_chart_upsert(h, &cdef, &why);
    assert_non_null(c);
    c->sync_clock = 0;
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, rrd_testutil_setup, rrd_testutil_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_registry),
        T(test_chart_defaults),
        T(test_chart_bounds),
        T(test_dim_defaults_and_bounds),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
