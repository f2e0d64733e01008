/*
** test_storage.c - cmocka tests for runtime/storage.c and runtime/storage_ram.c: which engine
** each memory mode gets (and when it is a fallback), the ram ring (wrap, skipped slots read back
** empty, a jump past the ring starts over, history below 5 becomes 5), query ranges with
** unaligned bounds and the cap rule (the newest CAP points, oldest first), memory accounting,
** update_every changes, and the none engine storing nothing.
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
#include "storage.h"

static StorageHost *open_ram(long history)
{
    StorageConfig cfg = {.mode = POLICY_MODE_RAM, .history = history, .host_guid = "g"};
    StorageHost *h = storage_ram_ops.open_host(&cfg);
    assert_non_null(h);
    return h;
}

static void test_ops_for(void **state)
{
    (void)state;
    int fb = -1;
    assert_ptr_equal(storage_ops_for(POLICY_MODE_RAM, 1, &fb), &storage_ram_ops);
    assert_int_equal(fb, 0);
    assert_ptr_equal(storage_ops_for(POLICY_MODE_ALLOC, 1, &fb), &storage_ram_ops);
    assert_int_equal(fb, 0);
    assert_ptr_equal(storage_ops_for(POLICY_MODE_NONE, 1, &fb), &storage_none_ops);
    assert_int_equal(fb, 0);
    const int later[] = {POLICY_MODE_SAVE, POLICY_MODE_MAP, POLICY_MODE_DBENGINE};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        fb = 0;
        /* no data directory: a persistent mode has nowhere to persist, so ram (logged) */
        assert_ptr_equal(storage_ops_for(later[i], 0, &fb), &storage_ram_ops);
        assert_int_equal(fb, 1);
    }
    assert_string_equal(storage_ram_ops.name, "ram");
    assert_string_equal(storage_none_ops.name, "none");
    assert_non_null(storage_ops_for(POLICY_MODE_RAM, 0, NULL));
}

static void test_append_query(void **state)
{
    (void)state;
    const StorageOps *o = &storage_ram_ops;
    StorageHost *h = open_ram(10);
    StorageDim *d = o->create_dim(h, "system.cpu", "user", 1);
    assert_non_null(d);
    assert_int_equal(o->first_t(d), 0);
    assert_int_equal(o->last_t(d), 0);
    StoragePoint p[16];
    assert_int_equal(o->query(d, 0, INT64_MAX, p, 16), 0);

    for (int64_t t = 100; t <= 104; t++) {
        o->append(d, t, (double)t * 2);
    }
    assert_int_equal(o->first_t(d), 100);
    assert_int_equal(o->last_t(d), 104);
    assert_int_equal(o->query(d, 0, 1000, p, 16), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[i].t, 100 + i);
        assert_true(p[i].v == (double)(100 + i) * 2);
    }
    /* inclusive bounds */
    assert_int_equal(o->query(d, 101, 103, p, 16), 3);
    assert_int_equal(p[0].t, 101);
    assert_int_equal(p[2].t, 103);
    assert_int_equal(o->query(d, 104, 104, p, 16), 1);
    assert_int_equal(p[0].t, 104);
    /* outside, reversed */
    assert_int_equal(o->query(d, 105, 200, p, 16), 0);
    assert_int_equal(o->query(d, 0, 99, p, 16), 0);
    assert_int_equal(o->query(d, 103, 101, p, 16), 0);
    /* cap: the newest CAP, oldest first */
    assert_int_equal(o->query(d, 0, 1000, p, 2), 2);
    assert_int_equal(p[0].t, 103);
    assert_int_equal(p[1].t, 104);
    assert_int_equal(o->query(d, 100, 102, p, 2), 2);
    assert_int_equal(p[0].t, 101);
    assert_int_equal(p[1].t, 102);
    assert_int_equal(o->query(d, 0, 1000, p, 0), 0);
    /* a time not after the newest is dropped */
    o->append(d, 104, 1);
    o->append(d, 50, 1);
    assert_int_equal(o->last_t(d), 104);
    assert_int_equal(o->query(d, 104, 104, p, 1), 1);
    assert_true(p[0].v == 208);
    storage_ram_ops.close_host(h);
}

static void test_ring_wrap(void **state)
{
    (void)state;
    const StorageOps *o = &storage_ram_ops;
    StorageHost *h = open_ram(5);
    StorageDim *d = o->create_dim(h, "c.x", "a", 1);
    for (int64_t t = 1; t <= 23; t++) {
        o->append(d, t, (double)t);
    }
    assert_int_equal(o->first_t(d), 19);
    assert_int_equal(o->last_t(d), 23);
    StoragePoint p[8];
    assert_int_equal(o->query(d, 0, 100, p, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[i].t, 19 + i);
        assert_true(p[i].v == 19 + i);
    }
    o->close_host(h);
}

static void test_gaps_and_jumps(void **state)
{
    (void)state;
    const StorageOps *o = &storage_ram_ops;
    StorageHost *h = open_ram(8);
    StorageDim *d = o->create_dim(h, "c.x", "a", 2);
    o->append(d, 100, 1);
    o->append(d, 102, NAN);
    o->append(d, 108, 4);            /* 104 and 106 skipped */
    StoragePoint p[16];
    assert_int_equal(o->query(d, 0, 1000, p, 16), 5);
    const int64_t ts[] = {100, 102, 104, 106, 108};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p[i].t, ts[i]);
    }
    assert_true(p[0].v == 1);
    assert_true(isnan(p[1].v) && isnan(p[2].v) && isnan(p[3].v));
    assert_true(p[4].v == 4);
    /* unaligned bounds pick the slots inside */
    assert_int_equal(o->query(d, 101, 107, p, 16), 3);
    assert_int_equal(p[0].t, 102);
    assert_int_equal(p[2].t, 106);
    assert_int_equal(o->query(d, 103, 103, p, 16), 0);
    /* a jump of the ring's size or more leaves only the new point */
    o->append(d, 108 + 2 * 9, 7);
    assert_int_equal(o->first_t(d), 126);
    assert_int_equal(o->query(d, 0, 1000, p, 16), 1);
    assert_true(p[0].v == 7);
    /* a jump just inside the ring keeps the old newest point */
    o->append(d, 126 + 2 * 8, 8);
    assert_int_equal(o->first_t(d), 128);
    assert_int_equal(o->query(d, 0, 1000, p, 16), 8);
    assert_true(isnan(p[0].v));
    assert_true(p[7].v == 8);
    o->append(d, 144, 9);
    assert_int_equal(o->query(d, 0, 1000, p, 16), 8);
    assert_int_equal(p[0].t, 130);
    o->close_host(h);
}

static void test_history_and_bytes(void **state)
{
    (void)state;
    const StorageOps *o = &storage_ram_ops;
    StorageHost *h = open_ram(2);            /* below 5: 5 */
    assert_int_equal(o->bytes(h), 0);
    StorageDim *a = o->create_dim(h, "c.x", "a", 1);
    StorageDim *b = o->create_dim(h, "c.x", "b", 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(o->bytes(h), 0);        /* rings grow with what is stored */
    for (int64_t t = 1; t <= 9; t++) {
        o->append(a, t, 1);
    }
    o->append(b, 1, 1);
    assert_int_equal(o->first_t(a), 5);
    assert_int_equal(o->bytes(h), 2 * 5 * sizeof(float));   /* capped at history */
    o->flush(h);
    o->close_host(h);

    h = open_ram(3600);
    StorageDim *c = o->create_dim(h, "c.x", "a", 1);
    o->append(c, 100, 1);
    assert_int_equal(o->bytes(h), 16 * sizeof(float));        /* the first 16 slots */
    for (int64_t t = 101; t <= 116; t++) {
        o->append(c, t, (double)t);
    }
    assert_int_equal(o->bytes(h), 32 * sizeof(float));        /* doubled, order kept */
    StoragePoint p[40];
    assert_int_equal(o->query(c, 0, 1000, p, 40), 17);
    assert_int_equal(p[0].t, 100);
    assert_true(p[0].v == 1.0);
    assert_true(p[16].v == 116.0);
    for (int64_t t = 117; t < 100 + 3600 + 50; t++) {
        o->append(c, t, (double)t);
    }
    assert_int_equal(o->bytes(h), 3600 * sizeof(float));      /* full: a ring of history */
    assert_int_equal(o->first_t(c), 100 + 50);
    o->close_host(h);
    o->close_host(NULL);
}

static void test_update_every_change(void **state)
{
    (void)state;
    const StorageOps *o = &storage_ram_ops;
    StorageHost *h = open_ram(10);
    StorageDim *d = o->create_dim(h, "c.x", "a", 1);
    o->append(d, 10, 1);
    o->append(d, 11, 2);
    o->set_update_every(d, 5);
    assert_int_equal(o->last_t(d), 0);
    o->append(d, 20, 3);
    o->append(d, 30, 4);
    StoragePoint p[4];
    assert_int_equal(o->query(d, 0, 100, p, 4), 3);
    assert_int_equal(p[1].t, 25);
    assert_true(isnan(p[1].v));
    o->close_host(h);
}

static void test_none(void **state)
{
    (void)state;
    const StorageOps *o = &storage_none_ops;
    StorageConfig cfg = {.mode = POLICY_MODE_NONE, .history = 10};
    StorageHost *h = o->open_host(&cfg);
    assert_non_null(h);
    StorageDim *d = o->create_dim(h, "c.x", "a", 1);
    StorageDim *e = o->create_dim(h, "c.x", "b", 1);
    assert_non_null(d);
    assert_non_null(e);
    assert_ptr_not_equal(d, e);
    o->append(d, 1, 1);
    o->append(d, 2, 2);
    StoragePoint p[4];
    assert_int_equal(o->query(d, 0, 100, p, 4), 0);
    assert_int_equal(o->first_t(d), 0);
    assert_int_equal(o->last_t(d), 0);
    assert_int_equal(o->bytes(h), 0);
    o->set_update_every(d, 2);
    o->flush(h);
    o->close_host(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_for),
        cmocka_unit_test(test_append_query),
        cmocka_unit_test(test_ring_wrap),
        cmocka_unit_test(test_gaps_and_jumps),
        cmocka_unit_test(test_history_and_bytes),
        cmocka_unit_test(test_update_every_change),
        cmocka_unit_test(test_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
