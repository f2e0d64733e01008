/*
** test_storage_save.c - cmocka tests for runtime/storage_save.c (and the shared ring of
** storage_ring.c): the save engine answers exactly as ram for the same appends (NAN gaps, ring
** wrap, update_every), ingest -> close -> reopen gives the same answers back, dimensions not
** created in a run are carried over, a smaller history keeps the newest samples, a changed
** update_every starts empty; flush plus a killed process loses only what came after the flush;
** every damaged file (zero-length, truncated, flipped bytes, wrong magic or version, bad records
** under a good checksum) is refused with a log line, moved aside, and the host starts empty.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "log.h"
#include "policy_format.h"
#include "storage.h"
#include "storage_testutil.h"
#include "testutil.h"

#define GUID "11111111-2222-3333-4444-555555555555"

/* cmocka's setup and teardown for the tests below: a fresh StorageFixture each. */
static int (*const setup)(void **) = storage_testutil_setup;
static int (*const teardown)(void **) = storage_testutil_teardown;

/* The save file of host GUID under the fixture's data directory (static buffer). */
static const char *save_file(const StorageFixture *fx)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s/samples.save", fx->dir, GUID);
    return path;
}

static StorageHost *open_with(const StorageOps *o, StorageFixture *fx, long history)
{
    return storage_testutil_open(o, history, fx ? fx->dir : NULL, GUID);
}

static const struct {
    const char *chart, *dim;
    int ue, n;
} DIMS[] = {
    {"system.cpu", "user", 1, 100},       /* wraps a history of 64 */
    {"system.cpu", "system", 1, 30},      /* does not fill it */
    {"disk.sda", "reads", 2, 64},
    {"net.eth0", "received", 10, 1},
};
#define NDIMS (sizeof DIMS / sizeof DIMS[0])

static void test_roundtrip(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *s = &storage_save_ops, *r = &storage_ram_ops;
    StorageHost *hs = open_with(s, fx, 64), *hr = open_with(r, NULL, 64);
    StorageDim *ds[NDIMS], *dr[NDIMS];
    for (size_t i = 0; i < NDIMS; i++) {
        ds[i] = s->create_dim(hs, DIMS[i].chart, DIMS[i].dim, DIMS[i].ue);
        dr[i] = r->create_dim(hr, DIMS[i].chart, DIMS[i].dim, DIMS[i].ue);
        assert_non_null(ds[i]);
        storage_testutil_feed(s, ds[i], DIMS[i].ue, 1000, DIMS[i].n);
        storage_testutil_feed(r, dr[i], DIMS[i].ue, 1000, DIMS[i].n);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(s, ds[i], r, dr[i]));
    }
    assert_int_equal(s->bytes(hs), r->bytes(hr));
    s->close_host(hs);
    free(testutil_take_log(fx->log));

    /* reopen: created in another order, the same answers; appends go on like ram's */
    hs = open_with(s, fx, 64);
    char *log = testutil_take_log(fx->log);
    assert_non_null(strstr(log, "loaded 4 dimensions"));
    free(log);
    for (size_t k = NDIMS; k-- > 0;) {
        ds[k] = s->create_dim(hs, DIMS[k].chart, DIMS[k].dim, DIMS[k].ue);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(s, ds[k], r, dr[k]));
    }
    for (size_t i = 0; i < NDIMS; i++) {
        int64_t next = r->last_t(dr[i]) + DIMS[i].ue;
        for (int64_t t = next; t < next + 40 * DIMS[i].ue; t += DIMS[i].ue) {
            s->append(ds[i], t, (double)t);
            r->append(dr[i], t, (double)t);
        }
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(s, ds[i], r, dr[i]));
    }
    s->flush(hs);
    s->close_host(hs);

    /* a run that creates only one dimension keeps the others in the file */
    hs = open_with(s, fx, 64);
    ds[0] = s->create_dim(hs, DIMS[0].chart, DIMS[0].dim, DIMS[0].ue);
    s->append(ds[0], r->last_t(dr[0]) + 1, 5);
    r->append(dr[0], r->last_t(dr[0]) + 1, 5);
    s->close_host(hs);
    hs = open_with(s, fx, 64);
    for (size_t i = 0; i < NDIMS; i++) {
        ds[i] = s->create_dim(hs, DIMS[i].chart, DIMS[i].dim, DIMS[i].ue);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(s, ds[i], r, dr[i]));
    }
    /* a dimension created twice is saved twice; the newer one is loaded */
    StorageDim *again = s->create_dim(hs, DIMS[1].chart, DIMS[1].dim, DIMS[1].ue);
    assert_int_equal(s->last_t(again), 0);
    s->append(again, 5000, 1);
    s->close_host(hs);
    hs = open_with(s, fx, 64);
    again = s->create_dim(hs, DIMS[1].chart, DIMS[1].dim, DIMS[1].ue);
    assert_int_equal(s->first_t(again), 5000);
    s->close_host(hs);
    r->close_host(hr);
    log = testutil_take_log(fx->log);
    assert_null(strstr(log, "refused"));
    free(log);
}

static void test_history_and_grid_change(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *s = &storage_save_ops;
    StorageHost *h = open_with(s, fx, 100);
    StorageDim *a = s->create_dim(h, "c.x", "a", 1), *b = s->create_dim(h, "c.x", "b", 1);
    for (int64_t t = 1; t <= 50; t++) {
        s->append(a, t, (double)t);
        s->append(b, t, (double)t);
    }
    s->close_host(h);

    h = open_with(s, fx, 10);                 /* smaller history: the newest 10 */
    a = s->create_dim(h, "c.x", "a", 1);
    b = s->create_dim(h, "c.x", "b", 3);      /* another grid: empty */
    assert_int_equal(s->first_t(a), 41);
    assert_int_equal(s->last_t(a), 50);
    assert_int_equal(s->bytes(h), 10 * sizeof(float));
    StoragePoint p[16];
    assert_int_equal(s->query(a, 0, 100, p, 16), 10);
    assert_true(p[0].v == 41 && p[9].v == 50);
    assert_int_equal(s->last_t(b), 0);
    for (int64_t t = 51; t <= 55; t++) {
        s->append(a, t, (double)t);
    }
    assert_int_equal(s->first_t(a), 46);
    s->set_update_every(a, 2);
    assert_int_equal(s->last_t(a), 0);
    s->append(a, 60, 6);
    s->close_host(h);

    h = open_with(s, fx, 10);
    a = s->create_dim(h, "c.x", "a", 2);
    assert_int_equal(s->first_t(a), 60);
    assert_int_equal(s->query(a, 0, 100, p, 16), 1);
    s->close_host(h);
    free(testutil_take_log(fx->log));
}

/* A child that flushes, appends more and dies by SIGKILL; the parent finds what was flushed. */
static void test_crash_window(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *s = &storage_save_ops;
    StorageHost *h = open_with(s, fx, 1000);
    StorageDim *d = s->create_dim(h, "c.x", "a", 1);
    for (int64_t t = 1; t <= 10; t++) {
        s->append(d, t, (double)t);
    }
    s->close_host(h);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        h = open_with(s, fx, 1000);
        d = s->create_dim(h, "c.x", "a", 1);
        for (int64_t t = 11; t <= 100; t++) {
            s->append(d, t, (double)t);
        }
        s->flush(h);
        for (int64_t t = 101; t <= 150; t++) {
            s->append(d, t, (double)t);
        }
        char tmp[600];                        /* as if killed while saving */
        snprintf(tmp, sizeof tmp, "%s.tmp", save_file(fx));
        testutil_write_file(NULL, tmp, "half a save", 11);
        raise(SIGKILL);
        _exit(3);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    h = open_with(s, fx, 1000);
    d = s->create_dim(h, "c.x", "a", 1);
    assert_int_equal(s->first_t(d), 1);
    assert_int_equal(s->last_t(d), 100);      /* 101..150 were never saved */
    StoragePoint p[200];
    assert_int_equal(s->query(d, 0, 1000, p, 200), 100);
    for (int i = 0; i < 100; i++) {
        assert_true(p[i].v == i + 1);
    }
    s->close_host(h);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", save_file(fx));
    assert_int_equal(access(tmp, F_OK), -1);  /* the stale temp file is gone */
    char *log = testutil_take_log(fx->log);
    assert_null(strstr(log, "refused"));
    free(log);
}

/* Install N bytes of B as the save file; opening must refuse it with WHY, move it aside and
   start empty; a later save loads again. */
static void expect_refused(StorageFixture *fx, const void *b, size_t n, const char *why)
{
    const StorageOps *s = &storage_save_ops;
    char aside[600];
    snprintf(aside, sizeof aside, "%s.corrupt", save_file(fx));
    unlink(aside);
    testutil_write_file(NULL, save_file(fx), b, n);
    StorageHost *h = open_with(s, fx, 64);
    char *log = testutil_take_log(fx->log);
    if (!strstr(log, "refused") || !strstr(log, why) || !strstr(log, save_file(fx))) {
        fail_msg("%zu bytes: expected a refusal for '%s', log: %s", n, why, log);
    }
    assert_null(strstr(log, "loaded"));
    free(log);
    assert_int_equal(access(save_file(fx), F_OK), -1);
    assert_int_equal(access(aside, F_OK), 0);
    StorageDim *d = s->create_dim(h, "system.cpu", "user", 1);
    assert_int_equal(s->last_t(d), 0);
    assert_int_equal(s->bytes(h), 0);
    s->append(d, 7, 7);
    s->close_host(h);
    h = open_with(s, fx, 64);
    d = s->create_dim(h, "system.cpu", "user", 1);
    assert_int_equal(s->last_t(d), 7);
    s->close_host(h);
    free(testutil_take_log(fx->log));
}

static void test_corrupt_files(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *s = &storage_save_ops;
    StorageHost *h = open_with(s, fx, 64);
    for (size_t i = 0; i < NDIMS; i++) {
        StorageDim *d = s->create_dim(h, DIMS[i].chart, DIMS[i].dim, DIMS[i].ue);
        storage_testutil_feed(s, d, DIMS[i].ue, 1000, DIMS[i].n);
    }
    s->close_host(h);
    size_t n;
    unsigned char *good = testutil_read_file(save_file(fx), &n);
    unsigned char *b = malloc(n + 16);
    assert_true(n > 200);

    expect_refused(fx, good, 0, "zero-length");
    const size_t cuts[] = {1, 8, 23, 31, 32, 60, n / 2, n - 8, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        expect_refused(fx, good, cuts[i], cuts[i] < 32 ? "truncated" : "checksum");
    }
    const size_t flips[] = {12, 16, 20, 24, 26, 40, 60, n / 2, n - 9, n - 8, n - 1};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(b, good, n);
        b[flips[i]] ^= 0x10;
        expect_refused(fx, b, n, "checksum");
    }
    memcpy(b, good, n);
    b[0] ^= 0x01;
    expect_refused(fx, b, n, "wrong magic");
    memcpy(b, "XXXXXXXX", 8);
    expect_refused(fx, b, n, "wrong magic");
    memcpy(b, good, n);
    b[8] = 2;                                /* version 2, checksum made right */
    uint64_t sum = XXH3_64bits(b, n - 8);
    memcpy(b + n - 8, &sum, 8);
    expect_refused(fx, b, n, "unsupported version");
    memcpy(b, good, n);                       /* appended garbage */
    memset(b + n, 0xab, 16);
    expect_refused(fx, b, n + 16, "checksum");

    /* well checksummed but lying records: every length is checked against the file */
    memcpy(b, good, n);
    uint64_t ndims = UINT64_MAX / 2;
    memcpy(b + 16, &ndims, 8);
    sum = XXH3_64bits(b, n - 8);
    memcpy(b + n - 8, &sum, 8);
    expect_refused(fx, b, n, "dimension count");
    memcpy(b, good, n);
    uint64_t count = 1000000;                 /* first record's sample count */
    memcpy(b + 24 + 16, &count, 8);
    sum = XXH3_64bits(b, n - 8);
    memcpy(b + n - 8, &sum, 8);
    expect_refused(fx, b, n, "cut short");
    memcpy(b, good, n);
    uint16_t len = 60000;                     /* first record's chart id length */
    memcpy(b + 24, &len, 2);
    sum = XXH3_64bits(b, n - 8);
    memcpy(b + n - 8, &sum, 8);
    expect_refused(fx, b, n, "ids");
    memcpy(b, good, n);
    int32_t ue = 0;
    memcpy(b + 24 + 4, &ue, 4);
    sum = XXH3_64bits(b, n - 8);
    memcpy(b + n - 8, &sum, 8);
    expect_refused(fx, b, n, "out of range");

    /* the good file still loads */
    testutil_write_file(NULL, save_file(fx), good, n);
    h = open_with(s, fx, 64);
    char *log = testutil_take_log(fx->log);
    assert_non_null(strstr(log, "loaded 4 dimensions"));
    free(log);
    s->close_host(h);
    free(b);
    free(good);
}

static void test_no_directory(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *s = &storage_save_ops;
    StorageHost *h = storage_testutil_open_on_file(s, 10, fx->dir, GUID);
    char *log = testutil_take_log(fx->log);
    assert_non_null(strstr(log, "will not be saved"));
    free(log);
    StorageDim *d = s->create_dim(h, "c.x", "a", 1);
    s->append(d, 1, 1);
    assert_int_equal(s->last_t(d), 1);
    s->close_host(h);
    s->close_host(NULL);
}

static void test_ops_for_save(void **state)
{
    (void)state;
    TESTUTIL_ASSERT_NO_REASON(storage_testutil_check_ops_for(POLICY_MODE_SAVE, &storage_save_ops,
                                                             "save"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_grid_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_directory, setup, teardown),
        cmocka_unit_test(test_ops_for_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
