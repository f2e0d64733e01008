/*
** test_storage_map.c - cmocka tests for runtime/storage_map.c: the map engine answers exactly
** as ram for the same appends (NAN gaps, ring wrap, update_every), before and after close ->
** reopen; a child killed by SIGKILL mid-ingest loses no sample it reported as appended; a state
** record torn or flipped falls back to the previous state (logged); damaged files (zero-length,
** truncated, extended, flipped identity bytes, wrong magic or version, both states bad) are
** logged, moved aside and replaced by an empty file; a hash collision takes the next name; a
** changed history or update_every starts empty; without a directory the engine runs in memory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#define GUID "66666666-2222-3333-4444-555555555555"
#define HDR 768                     /* storage_map.c header: identity 640, two states of 64 */

/* cmocka's setup and teardown for the tests below: a fresh StorageFixture each. */
static int (*const setup)(void **) = storage_testutil_setup;
static int (*const teardown)(void **) = storage_testutil_teardown;

static StorageHost *open_with(const StorageOps *o, StorageFixture *fx, long history)
{
    return storage_testutil_open(o, history, fx ? fx->dir : NULL, GUID);
}

/* The file of (CHART, DIM) as storage_map.c names it (probe N). */
static void map_path(StorageFixture *fx, const char *chart, const char *dim, int probe, char *out,
                     size_t cap)
{
    char key[600];
    size_t cl = strlen(chart), dl = strlen(dim);
    memcpy(key, chart, cl + 1);
    memcpy(key + cl + 1, dim, dl);
    uint64_t hash = XXH3_64bits(key, cl + 1 + dl);
    if (probe) {
        snprintf(out, cap, "%s/%s/map/%016" PRIx64 "-%d.map", fx->dir, GUID, hash, probe);
    } else {
        snprintf(out, cap, "%s/%s/map/%016" PRIx64 ".map", fx->dir, GUID, hash);
    }
}

static const struct {
    const char *chart, *dim;
    int ue, n;
} DIMS[] = {
    {"system.cpu", "user", 1, 300},       /* wraps a history of 64 several times */
    {"system.cpu", "system", 1, 30},
    {"disk.sda", "reads", 2, 64},
    {"net.eth0", "received", 10, 1},
};
#define NDIMS (sizeof DIMS / sizeof DIMS[0])

static void test_roundtrip(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *m = &storage_map_ops, *r = &storage_ram_ops;
    StorageHost *hm = open_with(m, fx, 64), *hr = open_with(r, NULL, 64);
    StorageDim *dm[NDIMS], *dr[NDIMS];
    for (size_t i = 0; i < NDIMS; i++) {
        dm[i] = m->create_dim(hm, DIMS[i].chart, DIMS[i].dim, DIMS[i].ue);
        dr[i] = r->create_dim(hr, DIMS[i].chart, DIMS[i].dim, DIMS[i].ue);
        assert_non_null(dm[i]);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(m, dm[i], r, dr[i]));
        storage_testutil_feed_jump(m, dm[i], DIMS[i].ue, 1000, DIMS[i].n);
        storage_testutil_feed_jump(r, dr[i], DIMS[i].ue, 1000, DIMS[i].n);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(m, dm[i], r, dr[i]));
    }
    assert_int_equal(m->bytes(hm), NDIMS * 65 * sizeof(float));   /* history + the spare */
    m->close_host(hm);
    for (size_t i = 0; i < NDIMS; i++) {
        char p[600];
        struct stat st;
        map_path(fx, DIMS[i].chart, DIMS[i].dim, 0, p, sizeof p);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, HDR + 65 * 4);
    }

    hm = open_with(m, fx, 64);
    for (size_t k = NDIMS; k-- > 0;) {
        dm[k] = m->create_dim(hm, DIMS[k].chart, DIMS[k].dim, DIMS[k].ue);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(m, dm[k], r, dr[k]));
    }
    for (size_t i = 0; i < NDIMS; i++) {
        int64_t t0 = r->last_t(dr[i]) + DIMS[i].ue;
        storage_testutil_feed_jump(m, dm[i], DIMS[i].ue, t0, 90);
        storage_testutil_feed_jump(r, dr[i], DIMS[i].ue, t0, 90);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(m, dm[i], r, dr[i]));
    }
    /* a grid change restarts the series, in the file too */
    m->set_update_every(dm[3], 5);
    r->set_update_every(dr[3], 5);
    m->append(dm[3], 100000, 1);
    r->append(dr[3], 100000, 1);
    m->append(dm[3], 100020, 2);
    r->append(dr[3], 100020, 2);
    m->flush(hm);
    m->close_host(hm);
    hm = open_with(m, fx, 64);
    for (size_t i = 0; i < NDIMS; i++) {
        dm[i] = m->create_dim(hm, DIMS[i].chart, DIMS[i].dim, i == 3 ? 5 : DIMS[i].ue);
        TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(m, dm[i], r, dr[i]));
    }
    /* the same dimension twice on one host: the second is kept in memory only */
    StorageDim *twice = m->create_dim(hm, DIMS[0].chart, DIMS[0].dim, 1);
    assert_non_null(twice);
    assert_int_equal(m->last_t(twice), 0);
    m->append(twice, 1, 1);
    m->close_host(hm);
    r->close_host(hr);
    char *log = testutil_take_log(fx->log);
    assert_non_null(strstr(log, "created twice"));
    assert_null(strstr(log, "refused"));
    free(log);
}

static void test_history_and_grid_change(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *m = &storage_map_ops;
    StorageHost *h = open_with(m, fx, 20);
    StorageDim *a = m->create_dim(h, "c.x", "a", 1), *b = m->create_dim(h, "c.x", "b", 1);
    for (int64_t t = 1; t <= 10; t++) {
        m->append(a, t, (double)t);
        m->append(b, t, (double)t);
    }
    m->close_host(h);
    h = open_with(m, fx, 30);                  /* another history: the file is recreated */
    a = m->create_dim(h, "c.x", "a", 1);
    b = m->create_dim(h, "c.x", "b", 1);
    assert_int_equal(m->last_t(a), 0);
    m->append(a, 50, 5);
    m->append(b, 50, 5);
    m->close_host(h);
    h = open_with(m, fx, 30);
    a = m->create_dim(h, "c.x", "a", 1);
    b = m->create_dim(h, "c.x", "b", 2);       /* another grid: empty */
    assert_int_equal(m->last_t(a), 50);
    assert_int_equal(m->last_t(b), 0);
    m->close_host(h);
    char *log = testutil_take_log(fx->log);
    assert_non_null(strstr(log, "history is 30"));
    assert_non_null(strstr(log, "update every 1, now 2"));
    assert_null(strstr(log, "refused"));
    free(log);
}

/* The child appends (with gaps) and writes each time it appended to the pipe; killed at some
   point, everything it reported must be there, and at most one sample more. */
static void crash_once(StorageFixture *fx, long history, int kill_after)
{
    const StorageOps *m = &storage_map_ops;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        StorageHost *h = open_with(m, fx, history);
        StorageDim *d = m->create_dim(h, "crash.chart", "dim", 1);
        for (int64_t t = 1;; t += t % 13 == 0 ? 4 : 1) {
            m->append(d, t, (double)t * 0.5);
            if (write(fds[1], &t, sizeof t) != (ssize_t)sizeof t) {
                _exit(2);
            }
        }
    }
    close(fds[1]);
    int64_t t = 0, last = 0;
    int64_t *got = calloc(1u << 20, sizeof *got);
    size_t n = 0;
    while (read(fds[0], &t, sizeof t) == (ssize_t)sizeof t) {
        if (n < (1u << 20)) {
            got[n++] = t;
        }
        last = t;
        if ((int)n == kill_after) {
            kill(pid, SIGKILL);
        }
    }
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    StorageHost *h = open_with(m, fx, history);
    StorageDim *d = m->create_dim(h, "crash.chart", "dim", 1);
    int64_t l = m->last_t(d);
    assert_true(l >= last);                  /* nothing reported is missing ... */
    assert_true(l <= last + 4);              /* ... and at most the sample in flight is extra */
    StoragePoint p;
    for (size_t i = 0; i < n; i++) {
        if (got[i] <= l - history) {
            continue;                        /* wrapped out of the ring */
        }
        assert_int_equal(m->query(d, got[i], got[i], &p, 1), 1);
        if (p.v != (double)got[i] * 0.5) {
            fail_msg("t=%" PRId64 ": %g, expected %g", got[i], p.v, (double)got[i] * 0.5);
        }
    }
    m->close_host(h);
    free(got);
    char path[600];
    map_path(fx, "crash.chart", "dim", 0, path, sizeof path);
    unlink(path);
}

static void test_kill9_mid_ingest(void **state)
{
    StorageFixture *fx = *state;
    const int after[] = {1, 2, 17, 1000, 5000, 20000};
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
        crash_once(fx, 3600, after[i]);
        crash_once(fx, 64, after[i]);
    }
    char *log = testutil_take_log(fx->log);
    assert_null(strstr(log, "refused"));
    free(log);
}

/* A host with c.x.a holding 1..30 on a history of 20, written; returns the file's bytes. */
static unsigned char *make_good(StorageFixture *fx, char *path, size_t cap, size_t *n)
{
    const StorageOps *m = &storage_map_ops;
    StorageHost *h = open_with(m, fx, 20);
    StorageDim *d = m->create_dim(h, "c.x", "a", 1);
    for (int64_t t = 1; t <= 30; t++) {
        m->append(d, t, (double)t);
    }
    m->close_host(h);
    map_path(fx, "c.x", "a", 0, path, cap);
    free(testutil_take_log(fx->log));
    return testutil_read_file(path, n);
}

/* Install N bytes of B as c.x.a's file: opening must refuse it with WHY, move it aside and
   start the dimension empty on a fresh file that then keeps new data. */
static void expect_refused(StorageFixture *fx, const char *path, const void *b, size_t n,
                           const char *why)
{
    const StorageOps *m = &storage_map_ops;
    char aside[700];
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    unlink(aside);
    testutil_write_file(NULL, path, b, n);
    StorageHost *h = open_with(m, fx, 20);
    StorageDim *d = m->create_dim(h, "c.x", "a", 1);
    char *log = testutil_take_log(fx->log);
    if (!strstr(log, "refused") || !strstr(log, why) || !strstr(log, path)) {
        fail_msg("%zu bytes: expected a refusal for '%s', log: %s", n, why, log);
    }
    free(log);
    assert_int_equal(access(aside, F_OK), 0);
    assert_int_equal(m->last_t(d), 0);
    m->append(d, 7, 7);
    m->close_host(h);
    h = open_with(m, fx, 20);
    d = m->create_dim(h, "c.x", "a", 1);
    assert_int_equal(m->last_t(d), 7);
    m->close_host(h);
    log = testutil_take_log(fx->log);
    assert_null(strstr(log, "refused"));
    free(log);
}

static void test_corrupt_files(void **state)
{
    StorageFixture *fx = *state;
    char path[600];
    size_t n;
    unsigned char *good = make_good(fx, path, sizeof path, &n);
    assert_int_equal(n, HDR + 21 * 4);
    unsigned char *b = malloc(n + 16);

    expect_refused(fx, path, good, 0, "zero-length");
    const size_t cuts[] = {1, 100, HDR - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        expect_refused(fx, path, good, cuts[i], "truncated header");
    }
    const size_t cuts2[] = {HDR, HDR + 4, n - 1};
    for (size_t i = 0; i < sizeof cuts2 / sizeof cuts2[0]; i++) {
        expect_refused(fx, path, good, cuts2[i], "size does not match");
    }
    memcpy(b, good, n);
    memset(b + n, 0, 16);
    expect_refused(fx, path, b, n + 16, "size does not match");
    const size_t flips[] = {12, 16, 20, 24, 26, 32, 40, 300, 600, 631, 632, 639};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(b, good, n);
        b[flips[i]] ^= 0x04;
        expect_refused(fx, path, b, n, "header checksum");
    }
    memcpy(b, good, n);
    b[3] ^= 0x20;
    expect_refused(fx, path, b, n, "wrong magic");
    memcpy(b, good, n);
    b[8] = 9;                                 /* version 9 under a right checksum */
    uint64_t sum = XXH3_64bits(b, 632);
    memcpy(b + 632, &sum, 8);
    expect_refused(fx, path, b, n, "unsupported version");
    memcpy(b, good, n);
    uint32_t hist = 1000;                     /* history that does not match the size */
    memcpy(b + 16, &hist, 4);
    hist = 1001;
    memcpy(b + 20, &hist, 4);
    sum = XXH3_64bits(b, 632);
    memcpy(b + 632, &sum, 8);
    expect_refused(fx, path, b, n, "size does not match");
    memcpy(b, good, n);
    b[640 + 10] ^= 1;
    b[704 + 10] ^= 1;
    expect_refused(fx, path, b, n, "both state records");
    free(b);
    free(good);
}

/* One state record damaged (a torn write, or a flipped byte): the other is used, logged. */
static void test_torn_state(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *m = &storage_map_ops;
    char path[600];
    size_t n;
    unsigned char *good = make_good(fx, path, sizeof path, &n);
    for (int rec = 0; rec < 2; rec++) {
        unsigned char *b = testutil_dup_exact(good, n);
        uint64_t s0, s1;
        memcpy(&s0, b + 640, 8);
        memcpy(&s1, b + 704, 8);
        int newest = s0 > s1 ? 0 : 1;
        memset(b + 640 + 64 * rec + 20, 0x5a, 20);     /* half a record overwritten */
        testutil_write_file(NULL, path, b, n);
        StorageHost *h = open_with(m, fx, 20);
        StorageDim *d = m->create_dim(h, "c.x", "a", 1);
        char *log = testutil_take_log(fx->log);
        assert_non_null(strstr(log, "fails its checksum"));
        assert_null(strstr(log, "refused"));
        free(log);
        /* the newest record lost: one append back (sample 30 gone); else all there */
        int64_t want = rec == newest ? 29 : 30;
        assert_int_equal(m->last_t(d), want);
        assert_int_equal(m->first_t(d), want - 19);
        StoragePoint p[32];
        assert_int_equal(m->query(d, 0, 100, p, 32), 20);
        for (int i = 0; i < 20; i++) {
            assert_true(p[i].v == (double)(want - 19 + i));
        }
        m->append(d, want + 1, 99);            /* writes over the damaged record */
        m->close_host(h);
        h = open_with(m, fx, 20);
        d = m->create_dim(h, "c.x", "a", 1);
        assert_int_equal(m->last_t(d), want + 1);
        m->close_host(h);
        log = testutil_take_log(fx->log);
        assert_null(strstr(log, "checksum"));
        free(log);
        free(b);
    }
    free(good);
}

/* A kill between the sample store and its commit: the sample sits in the slot after head
   (the spare one), which no committed state counts, so the answers do not change. */
static void test_uncommitted_sample(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *m = &storage_map_ops;
    char path[600];
    size_t n;
    unsigned char *b = make_good(fx, path, sizeof path, &n);   /* full: 11..30 of 21 slots */
    uint64_t s0, s1;
    uint32_t head;
    memcpy(&s0, b + 640, 8);
    memcpy(&s1, b + 704, 8);
    memcpy(&head, b + (s0 > s1 ? 640 : 704) + 16, 4);
    float v = 12345;
    memcpy(b + HDR + ((head + 1) % 21) * 4, &v, 4);
    testutil_write_file(NULL, path, b, n);
    StorageHost *h = open_with(m, fx, 20);
    StorageDim *d = m->create_dim(h, "c.x", "a", 1);
    StoragePoint p[32];
    assert_int_equal(m->query(d, 0, 100, p, 32), 20);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(p[i].t, 11 + i);
        assert_true(p[i].v == (double)(11 + i));
    }
    m->close_host(h);
    char *log = testutil_take_log(fx->log);
    assert_null(strstr(log, "storage map"));
    free(log);
    free(b);
}

/* Another dimension's valid file under this one's name: the next name is used. */
static void test_collision(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *m = &storage_map_ops;
    StorageHost *h = open_with(m, fx, 20);
    StorageDim *a = m->create_dim(h, "c.x", "a", 1);
    m->append(a, 1, 11);
    m->close_host(h);
    char pa[600], pb[600], pb1[600];
    map_path(fx, "c.x", "a", 0, pa, sizeof pa);
    map_path(fx, "c.x", "b", 0, pb, sizeof pb);
    map_path(fx, "c.x", "b", 1, pb1, sizeof pb1);
    assert_int_equal(rename(pa, pb), 0);      /* a's file now sits at b's first name */

    h = open_with(m, fx, 20);
    StorageDim *b = m->create_dim(h, "c.x", "b", 1);
    assert_int_equal(m->last_t(b), 0);
    m->append(b, 2, 22);
    m->close_host(h);
    assert_int_equal(access(pb1, F_OK), 0);
    h = open_with(m, fx, 20);
    b = m->create_dim(h, "c.x", "b", 1);
    StoragePoint p;
    assert_int_equal(m->query(b, 0, 10, &p, 1), 1);
    assert_true(p.t == 2 && p.v == 22);
    m->close_host(h);
    char *log = testutil_take_log(fx->log);
    assert_null(strstr(log, "refused"));
    free(log);
}

static void test_no_directory(void **state)
{
    StorageFixture *fx = *state;
    const StorageOps *m = &storage_map_ops, *r = &storage_ram_ops;
    StorageHost *h = storage_testutil_open_on_file(m, 64, fx->dir, GUID);
    StorageHost *hr = open_with(r, NULL, 64);
    char *log = testutil_take_log(fx->log);
    assert_non_null(strstr(log, "memory only"));
    free(log);
    StorageDim *d = m->create_dim(h, "c.x", "a", 1), *dr = r->create_dim(hr, "c.x", "a", 1);
    storage_testutil_feed_jump(m, d, 1, 10, 200);
    storage_testutil_feed_jump(r, dr, 1, 10, 200);
    TESTUTIL_ASSERT_NO_REASON(storage_testutil_diff(m, d, r, dr));
    m->flush(h);
    m->close_host(h);
    r->close_host(hr);
    m->close_host(NULL);
}

static void test_ops_for_map(void **state)
{
    (void)state;
    TESTUTIL_ASSERT_NO_REASON(storage_testutil_check_ops_for(POLICY_MODE_MAP, &storage_map_ops,
                                                             "map"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_grid_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_mid_ingest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_directory, setup, teardown),
        cmocka_unit_test(test_ops_for_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
