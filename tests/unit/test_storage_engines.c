/*
** test_storage_engines.c - every storage engine answers the same queries the same way for the
** same appended data (issue 7's "one shared test"), and the persistent ones (save, map,
** dbengine) give it back unchanged after close + reopen. The data: a constant, a counter-like
** ramp, a noisy gauge, gaps (skipped slots and NAN), CPU-like percentages of small integers
** (dbengine's RATIO pages), a percentage chart and a constant-sum chart (dbengine's group
** records), update_every 1 and 3, more points than one ram ring of history 600
** holds (so every engine must keep at least the newest 600).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "policy_format.h"
#include "storage.h"

#define HISTORY 600
#define POINTS 1500

typedef struct Series {
    const char *chart, *dim;
    int ue;
} Series;

static const Series series[] = {
    { "eng.a", "constant", 1 }, { "eng.a", "ramp", 1 }, { "eng.a", "noisy", 1 },
    { "eng.b", "gappy", 3 }, { "eng.c", "percent", 1 },
    /* dbengine writes these two charts as group records: a percentage row, a constant sum */
    { "eng.cpu", "idle", 1 }, { "eng.cpu", "user", 1 }, { "eng.cpu", "system", 1 },
    { "eng.ram", "free", 1 }, { "eng.ram", "used", 1 },
};
#define NSERIES (sizeof series / sizeof series[0])

static double value(size_t s, int64_t i)
{
    switch (s) {
    case 0:
        return 42.0;
    case 1:
        return (double)i * 0.5;
    case 2:
        return sin((double)i / 7.0) * 100.0 + (double)((i * 7919) % 13);
    case 3:
        return i % 17 == 0 ? NAN : (double)(i % 1000) / 8.0;
    case 4:         /* a CPU percentage 100 * b / t (dbengine's RATIO pages), some not */
        return i % 101 == 0 ? sin((double)i) * 50.0 + 50.0
                            : 100.0 * (double)((i * 7919) % 23) / (double)(99 + i % 3);
    case 5:         /* idle, user, system: one row of jiffies, t of them */
    case 6:
    case 7: {
        int64_t t = 199 + i % 3, user = (i * 7919) % 23, sys = (i * 104729) % 17;
        int64_t b = s == 5 ? t - user - sys : s == 6 ? user : sys;
        return 100.0 * (double)b / (double)t;
    }
    default: {      /* free and used MiB (kB / 1024) of 8,000,000 kB */
        int64_t free_kb = 4000000 + (i * 7919) % 50000;
        return (double)(s == 8 ? free_kb : 8000000 - free_kb) / 1024.0;
    }
    }
}

static void ingest(const StorageOps *o, StorageHost *h, StorageDim **d)
{
    for (size_t s = 0; s < NSERIES; s++) {
        d[s] = o->create_dim(h, series[s].chart, series[s].dim, series[s].ue);
        assert_non_null(d[s]);
    }
    for (int64_t i = 0; i < POINTS; i++) {
        for (size_t s = 0; s < NSERIES; s++) {
            if (s == 3 && i % 50 >= 45) {
                continue;   /* a run of skipped slots */
            }
            o->append(d[s], 1700000000 + i * series[s].ue, value(s, i));
        }
    }
}

static size_t query(const StorageOps *o, StorageDim *d, int64_t after, int64_t before,
                    StoragePoint *out, size_t cap)
{
    return o->query(d, after, before, out, cap);
}

static void same_points(const StoragePoint *a, size_t na, const StoragePoint *b, size_t nb,
                        const char *what)
{
    if (na != nb) {
        fail_msg("%s: %zu points vs %zu", what, na, nb);
    }
    for (size_t i = 0; i < na; i++) {
        int both_nan = isnan(a[i].v) && isnan(b[i].v);
        if (a[i].t != b[i].t || (!both_nan && (float)a[i].v != (float)b[i].v)) {
            fail_msg("%s: point %zu: t %lld/%lld v %g/%g", what, i, (long long)a[i].t,
                     (long long)b[i].t, a[i].v, b[i].v);
        }
    }
}

/* The newest HISTORY slots of every series through each engine equal ram's. */
static void compare(const StorageOps *o, StorageDim **d, const StorageOps *ro, StorageDim **rd,
                    const char *engine)
{
    static StoragePoint a[POINTS * 3], b[POINTS * 3];
    for (size_t s = 0; s < NSERIES; s++) {
        int64_t last = ro->last_t(rd[s]);
        int64_t from = last - (HISTORY - 1) * series[s].ue;
        assert_int_equal(o->last_t(d[s]), last);
        assert_true(o->first_t(d[s]) <= from);
        size_t na = query(ro, rd[s], from, last, a, POINTS * 3);
        size_t nb = query(o, d[s], from, last, b, POINTS * 3);
        char what[96];
        snprintf(what, sizeof what, "%s %s", engine, series[s].dim);
        same_points(a, na, b, nb, what);
        /* a window in the middle, and the cap rule (the newest CAP) */
        na = query(ro, rd[s], last - 100 * series[s].ue, last - 40 * series[s].ue, a, 25);
        nb = query(o, d[s], last - 100 * series[s].ue, last - 40 * series[s].ue, b, 25);
        same_points(a, na, b, nb, what);
    }
}

static char *tmpdir(void)
{
    char *t = strdup("/tmp/streamd-engines-XXXXXX");
    assert_non_null(t);
    assert_non_null(mkdtemp(t));
    return t;
}

static void rmrf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void run_engine(int mode, const char *name)
{
    char *dir = tmpdir();
    StorageGlobal g = { 32, 256 };
    storage_configure(&g);
    StorageConfig rc = { POLICY_MODE_RAM, HISTORY, NULL, "ram-host" };
    StorageConfig cfg = { mode, HISTORY, dir, "eeeeeeee-0000-4000-8000-000000000001" };
    int fb = 1;
    const StorageOps *ro = &storage_ram_ops, *o = storage_ops_for(mode, 1, &fb);
    assert_int_equal(fb, 0);
    assert_string_equal(o->name, name);
    StorageDim *rd[NSERIES], *d[NSERIES];
    StorageHost *rh = ro->open_host(&rc), *h = o->open_host(&cfg);
    assert_non_null(rh);
    assert_non_null(h);
    ingest(ro, rh, rd);
    ingest(o, h, d);
    compare(o, d, ro, rd, name);
    if (mode != POLICY_MODE_RAM) {
        o->close_host(h);
        h = o->open_host(&cfg);
        assert_non_null(h);
        for (size_t s = 0; s < NSERIES; s++) {
            d[s] = o->create_dim(h, series[s].chart, series[s].dim, series[s].ue);
            assert_non_null(d[s]);
        }
        compare(o, d, ro, rd, name);   /* the same answers after a reopen */
    }
    o->close_host(h);
    ro->close_host(rh);
    rmrf(dir);
    free(dir);
}

static void test_ram(void **state)
{
    (void)state;
    run_engine(POLICY_MODE_RAM, "ram");
}

static void test_save(void **state)
{
    (void)state;
    run_engine(POLICY_MODE_SAVE, "save");
}

static void test_map(void **state)
{
    (void)state;
    run_engine(POLICY_MODE_MAP, "map");
}

static void test_dbengine(void **state)
{
    (void)state;
    run_engine(POLICY_MODE_DBENGINE, "dbengine");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ram),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_dbengine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
