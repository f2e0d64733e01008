/*
** test_storage_dbengine_group.c - cmocka tests for the dbengine's group records (the pages of a
** percentage chart written together, storage_dbengine_pages.c and gorilla_group.c): a CPU-like
** chart is stored as group records and answers every query exactly as ram does, before and
** after a restart, in less space than the same rows on a chart that is not grouped; a chart of
** a constant sum is grouped too, and is not when one value breaks the sum; a chart
** that is no percentages, dims appended one after the other, and a dim that stops in the middle
** of a page still give the right answers; a flipped byte in a group record loses that group's
** slots in every member (logged), nothing else; a group record torn at the end of the file is
** truncated at the next start.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "storage_dbengine.h"
#include "storage_testutil.h"
#include "testutil.h"

#define DIMS 8
#define T0 1700000000
#define SLOTS (2 * DBE_PAGE_POINTS + 300)

static const StorageOps *const db = &storage_dbengine_ops;
static const StorageOps *const ram = &storage_ram_ops;

/* Row T of a CPU-like chart: DIMS percentages of one total (the last two dims stay 0). */
static void cpu_row(int64_t t, double *v)
{
    int64_t total = 198 + storage_testutil_mix((uint64_t)t) % 5, left = total, b[DIMS];
    for (int j = 1; j < DIMS; j++) {
        b[j] = j >= DIMS - 2 ? 0
                             : storage_testutil_mix((uint64_t)t * 31 + (uint64_t)j) % (left / 4 + 1);
        left -= b[j];
    }
    b[0] = left;
    for (int j = 0; j < DIMS; j++) {
        v[j] = 100.0 * (double)b[j] / (double)total;
    }
}

typedef struct Chart {
    StorageDim *r[DIMS], *d[DIMS];
} Chart;

static void chart_create(StorageHost *rh, StorageHost *dh, const char *id, Chart *c)
{
    for (int j = 0; j < DIMS; j++) {
        char dim[16];
        snprintf(dim, sizeof dim, "d%d", j);
        c->r[j] = rh ? ram->create_dim(rh, id, dim, 1) : NULL;
        c->d[j] = db->create_dim(dh, id, dim, 1);
    }
}

/* Rows [FROM, TO) into both engines, slot by slot as a collector stores a chart; SCALE 1 gives
   percentages, another scale the same rows as a chart that is not grouped. Dim STOP (-1: none)
   gets no values from slot STOP_AT on. */
static void feed(Chart *c, int64_t from, int64_t to, double scale, int stop, int64_t stop_at)
{
    double v[DIMS];
    for (int64_t t = from; t < to; t++) {
        cpu_row(t, v);
        for (int j = 0; j < DIMS; j++) {
            if (j == stop && t >= stop_at) {
                continue;
            }
            if (c->r[j]) {
                ram->append(c->r[j], t, v[j] * scale);
            }
            db->append(c->d[j], t, v[j] * scale);
        }
    }
}

static void same_as_ram(Chart *c)
{
    for (int j = 0; j < DIMS; j++) {
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(ram, c->r[j], db, c->d[j]));
    }
}

/* The offset of occurrence NTH (from 1) of the 4 bytes MAGIC in the file PATH, or -1; NTH 0:
   how many there are. */
static long magic_at(const char *path, const char *magic, long nth)
{
    size_t n;
    uint8_t *b = testutil_read_file(path, &n);
    long seen = 0, at = -1;
    for (size_t i = 0; i + 4 <= n && at < 0; i++) {
        if (memcmp(b + i, magic, 4) == 0 && ++seen == nth) {
            at = (long)i;
        }
    }
    free(b);
    return nth ? at : seen;
}

static void test_group_records(void **state)
{
    StorageFixture *fx = *state;
    testutil_log_to(fx->dir);
    StorageHost *rh = storage_testutil_open(ram, SLOTS + DBE_PAGE_POINTS, NULL, "r");
    StorageHost *dh = storage_testutil_open(db, 5, fx->dir, "g");
    StorageHost *ph = storage_testutil_open(db, 5, fx->dir, "p");
    Chart cpu, plain;
    chart_create(rh, dh, "system.cpu", &cpu);
    chart_create(NULL, ph, "system.cpu", &plain);
    feed(&cpu, T0, T0 + SLOTS, 1.0, -1, 0);
    feed(&plain, T0, T0 + SLOTS, 0.5, -1, 0);       /* halves: rows of 50, never grouped */
    same_as_ram(&cpu);
    db->close_host(dh);
    db->close_host(ph);
    /* 2 full pages of 8 members as 2 group records; the open 300 slots at close: a third */
    const char *path = storage_testutil_dbe_file(fx->dir, "g", 1);
    assert_int_equal(magic_at(path, "SCGR", 0), 3);
    assert_int_equal(magic_at(path, "SCPG", 0), 0);
    assert_int_equal(magic_at(storage_testutil_dbe_file(fx->dir, "p", 1), "SCGR", 0), 0);
    uint64_t g = storage_testutil_dbe_bytes(fx->dir, "g", NULL, NULL);
    uint64_t p = storage_testutil_dbe_bytes(fx->dir, "p", NULL, NULL);
    printf("  %d dims x %d slots: grouped %llu bytes, one page each %llu bytes\n", DIMS, SLOTS,
           (unsigned long long)g, (unsigned long long)p);
    assert_true(g < p * 3 / 4);
    dh = storage_testutil_open(db, 5, fx->dir, "g");
    chart_create(NULL, dh, "system.cpu", &plain);
    for (int j = 0; j < DIMS; j++) {
        cpu.d[j] = plain.d[j];
    }
    same_as_ram(&cpu);                              /* after the restart, from the files */
    feed(&cpu, T0 + SLOTS, T0 + SLOTS + DBE_PAGE_POINTS, 1.0, -1, 0);
    same_as_ram(&cpu);
    db->close_host(dh);
    ram->close_host(rh);
    assert_false(testutil_log_has("ERROR"));
}

/* A system.ram-like chart (free + used + cached + buffers = a fixed total, in MiB of kB) is
   written as one constant-sum group record per page and reads back exactly, also after a
   restart; the same rows with one value off by a kB are written as pages. */
static void test_sum_group(void **state)
{
    StorageFixture *fx = *state;
    testutil_log_to(fx->dir);
    static const char *ids[4] = {"free", "used", "cached", "buffers"};
    StorageHost *rh = storage_testutil_open(ram, DBE_PAGE_POINTS, NULL, "r");
    StorageHost *dh = storage_testutil_open(db, 5, fx->dir, "s");
    StorageDim *r[2][4], *d[2][4];
    for (int c = 0; c < 2; c++) {
        for (int j = 0; j < 4; j++) {
            r[c][j] = ram->create_dim(rh, c ? "mem.off" : "system.ram", ids[j], 1);
            d[c][j] = db->create_dim(dh, c ? "mem.off" : "system.ram", ids[j], 1);
        }
    }
    for (int64_t t = T0; t < T0 + DBE_PAGE_POINTS; t++) {
        uint32_t x = storage_testutil_mix((uint64_t)t);
        int64_t kb[4] = {5000000 + x % 50000, 0, 2000000 + (t - T0) * 3, 100000 + x % 8 * 4};
        kb[1] = 8192000 - kb[0] - kb[2] - kb[3];
        for (int c = 0; c < 2; c++) {
            for (int j = 0; j < 4; j++) {
                double v = (double)(kb[j] + (c && j == 1 && t == T0 + 500)) / 1024.0;
                ram->append(r[c][j], t, v);
                db->append(d[c][j], t, v);
            }
        }
    }
    db->close_host(dh);
    const char *path = storage_testutil_dbe_file(fx->dir, "s", 1);
    assert_int_equal(magic_at(path, "SCGR", 0), 1);
    assert_int_equal(magic_at(path, "SCPG", 0), 4);
    dh = storage_testutil_open(db, 5, fx->dir, "s");
    for (int c = 0; c < 2; c++) {
        for (int j = 0; j < 4; j++) {
            d[c][j] = db->create_dim(dh, c ? "mem.off" : "system.ram", ids[j], 1);
            TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(ram, r[c][j], db, d[c][j]));
        }
    }
    db->close_host(dh);
    ram->close_host(rh);
    assert_false(testutil_log_has("ERROR"));
}

/* Dims fed one after the other (each page fills while the others are empty), and a dim that
   stops one slot short of a full page (the others wait for it, then go without it). */
static void test_feed_orders(void **state)
{
    StorageFixture *fx = *state;
    testutil_log_to(fx->dir);
    StorageHost *rh = storage_testutil_open(ram, SLOTS, NULL, "r");
    StorageHost *dh = storage_testutil_open(db, 5, fx->dir, "o");
    Chart a, b;
    chart_create(rh, dh, "a", &a);
    chart_create(rh, dh, "b", &b);
    double v[DIMS];
    for (int j = 0; j < DIMS; j++) {
        for (int64_t t = T0; t < T0 + SLOTS; t++) {
            cpu_row(t, v);
            ram->append(a.r[j], t, v[j]);
            db->append(a.d[j], t, v[j]);
        }
    }
    feed(&b, T0, T0 + SLOTS, 1.0, 3, T0 + DBE_PAGE_POINTS - 1);
    same_as_ram(&a);
    same_as_ram(&b);
    db->close_host(dh);
    dh = storage_testutil_open(db, 5, fx->dir, "o");
    Chart a2, b2;
    chart_create(NULL, dh, "a", &a2);
    chart_create(NULL, dh, "b", &b2);
    for (int j = 0; j < DIMS; j++) {
        a.d[j] = a2.d[j];
        b.d[j] = b2.d[j];
    }
    same_as_ram(&a);
    same_as_ram(&b);
    db->close_host(dh);
    ram->close_host(rh);
    assert_false(testutil_log_has("ERROR"));
}

/* Every dim of C holds exactly the rows of one page from FROM on, the page before it gone. */
static void one_page_left(Chart *c, int64_t from)
{
    static StoragePoint pt[2 * DBE_PAGE_POINTS];
    double v[DIMS];
    for (int j = 0; j < DIMS; j++) {
        size_t n = db->query(c->d[j], T0, T0 + 2 * DBE_PAGE_POINTS - 1, pt, 2 * DBE_PAGE_POINTS);
        assert_int_equal(n, DBE_PAGE_POINTS);
        for (size_t i = 0; i < n; i++) {
            cpu_row(pt[i].t, v);
            assert_true(pt[i].t == from + (int64_t)i && (float)pt[i].v == (float)v[j]);
        }
    }
}

/* A flipped byte inside the first group record: at the next start its slots read as empty in
   every member (one log line), the next group and the other chart are intact. */
static void test_group_corruption(void **state)
{
    StorageFixture *fx = *state;
    testutil_log_to(fx->dir);
    StorageHost *dh = storage_testutil_open(db, 5, fx->dir, "c");
    Chart cpu;
    chart_create(NULL, dh, "system.cpu", &cpu);
    StorageDim *other = db->create_dim(dh, "other", "x", 1);
    feed(&cpu, T0, T0 + 2 * DBE_PAGE_POINTS, 1.0, -1, 0);
    for (int64_t t = T0; t < T0 + 2 * DBE_PAGE_POINTS; t++) {
        db->append(other, t, storage_testutil_series(1, t));
    }
    db->close_host(dh);
    const char *path = storage_testutil_dbe_file(fx->dir, "c", 1);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, DBE_FILE_HDR + DBE_REC_HDR + 4 * DIMS + 40, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, -1, SEEK_CUR), 0);
    fputc(c ^ 0x10, f);
    fclose(f);
    dh = storage_testutil_open(db, 5, fx->dir, "c");
    chart_create(NULL, dh, "system.cpu", &cpu);
    other = db->create_dim(dh, "other", "x", 1);
    assert_true(testutil_log_has("checksum mismatch"));
    one_page_left(&cpu, T0 + DBE_PAGE_POINTS);      /* the first page is gone */
    static StoragePoint pt[2 * DBE_PAGE_POINTS];
    size_t n = db->query(other, T0, T0 + 2 * DBE_PAGE_POINTS - 1, pt, 2 * DBE_PAGE_POINTS);
    assert_int_equal(n, 2 * DBE_PAGE_POINTS);
    assert_true((float)pt[5].v == (float)storage_testutil_series(1, pt[5].t));
    db->close_host(dh);
}

/* A group record cut short at the end of the file (kill -9 in the middle of its write): the
   next start truncates it with a log line; the group before it reads back intact. */
static void test_group_torn(void **state)
{
    StorageFixture *fx = *state;
    testutil_log_to(fx->dir);
    StorageHost *dh = storage_testutil_open(db, 5, fx->dir, "t");
    Chart cpu;
    chart_create(NULL, dh, "system.cpu", &cpu);
    feed(&cpu, T0, T0 + 2 * DBE_PAGE_POINTS, 1.0, -1, 0);
    db->close_host(dh);
    const char *path = storage_testutil_dbe_file(fx->dir, "t", 1);
    long at = magic_at(path, "SCGR", 2);
    assert_true(at > DBE_FILE_HDR);
    assert_int_equal(truncate(path, at + 30), 0);
    dh = storage_testutil_open(db, 5, fx->dir, "t");
    chart_create(NULL, dh, "system.cpu", &cpu);
    assert_true(testutil_log_has("torn tail"));
    one_page_left(&cpu, T0);                        /* the second page is gone */
    db->close_host(dh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_records, storage_testutil_setup,
                                        storage_testutil_teardown),
        cmocka_unit_test_setup_teardown(test_sum_group, storage_testutil_setup,
                                        storage_testutil_teardown),
        cmocka_unit_test_setup_teardown(test_feed_orders, storage_testutil_setup,
                                        storage_testutil_teardown),
        cmocka_unit_test_setup_teardown(test_group_corruption, storage_testutil_setup,
                                        storage_testutil_teardown),
        cmocka_unit_test_setup_teardown(test_group_torn, storage_testutil_setup,
                                        storage_testutil_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
