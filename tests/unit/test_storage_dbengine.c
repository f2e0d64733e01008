/*
** test_storage_dbengine.c - cmocka tests for the dbengine storage engine
** (runtime/storage_dbengine*.c): the same answers as ram for the same appends (constant,
** counter, noisy gauge, NAN and skipped slots, update_every 1 and 5, millions of points), before
** and after close + reopen; update_every changes; the multihost disk budget under a sustained
** ingest (oldest files first, across hosts); the page cache limit (counted bytes and RSS).
** Prints the bytes per sample. Crashes and corrupted files: test_storage_dbengine_crash.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "policy_format.h"
#include "storage_dbengine.h"
#include "storage_testutil.h"
#include "testutil.h"

static const StorageOps *const db = &storage_dbengine_ops;
static const StorageOps *const ram = &storage_ram_ops;

/* ---- helpers --------------------------------------------------------------------------------- */

/* A dbengine host (the history is not used by dbengine). */
static StorageHost *open_db(const char *root, const char *guid)
{
    return storage_testutil_open(db, 5, root, guid);
}

static void same_points(const StoragePoint *a, const StoragePoint *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].t, b[i].t);
        if (isnan(a[i].v)) {
            assert_true(isnan(b[i].v));
        } else if (memcmp(&a[i].v, &b[i].v, sizeof a[i].v) != 0) {
            fail_msg("t=%lld: ram %.9g dbengine %.9g", (long long)a[i].t, a[i].v, b[i].v);
        }
    }
}

/* ram and dbengine give the same points for [AFTER, BEFORE] capped at CAP. */
static void same_query(StorageDim *rd, StorageDim *dd, int64_t after, int64_t before, size_t cap)
{
    StoragePoint *a = malloc((cap ? cap : 1) * sizeof *a), *b = malloc((cap ? cap : 1) * sizeof *b);
    assert_true(a && b);
    size_t na = ram->query(rd, after, before, a, cap), nb = db->query(dd, after, before, b, cap);
    assert_int_equal(na, nb);
    same_points(a, b, na);
    free(a);
    free(b);
}

static void same_dim(StorageDim *rd, StorageDim *dd, int64_t lo, int64_t hi)
{
    assert_int_equal(ram->first_t(rd), db->first_t(dd));
    assert_int_equal(ram->last_t(rd), db->last_t(dd));
    same_query(rd, dd, 0, INT64_MAX, (size_t)(hi - lo) + 16);
    for (int i = 0; i < 40; i++) {
        int64_t a = lo - 50
                    + (int64_t)(storage_testutil_mix((uint64_t)i) % (uint64_t)(hi - lo + 100));
        int64_t b = a + (int64_t)(storage_testutil_mix((uint64_t)i + 99) % 5000);
        same_query(rd, dd, a, b, 1 + storage_testutil_mix((uint64_t)i + 7) % 6000);
    }
    same_query(rd, dd, hi, hi, 1);
    same_query(rd, dd, hi + 1, hi + 100, 10);
    same_query(rd, dd, lo - 100, lo - 1, 10);
    same_query(rd, dd, hi, lo, 10);
}

#define KINDS 4
#define HOUR_PTS 3600

typedef struct Pair {
    StorageDim *r[2 * KINDS], *d[2 * KINDS];
} Pair;

static void create_pair(StorageHost *rh, StorageHost *dh, Pair *p, int only_db)
{
    char id[16];
    for (int k = 0; k < 2 * KINDS; k++) {
        snprintf(id, sizeof id, "d%d", k);
        int ue = k < KINDS ? 1 : 5;
        if (!only_db) {
            p->r[k] = ram->create_dim(rh, "chart.x", id, ue);
        }
        p->d[k] = db->create_dim(dh, "chart.x", id, ue);
        assert_non_null(p->d[k]);
    }
}

/* Append slots FROM..TO (seconds) of every series to both engines; returns samples. */
static size_t ingest(Pair *p, int64_t from, int64_t to)
{
    size_t n = 0;
    for (int64_t t = from; t <= to; t++) {
        for (int k = 0; k < 2 * KINDS; k++) {
            int ue = k < KINDS ? 1 : 5;
            double v = storage_testutil_series(k, t);
            if (t % ue || isinf(v)) {
                continue;
            }
            ram->append(p->r[k], t, v);
            db->append(p->d[k], t, v);
            n++;
        }
    }
    return n;
}

/* ---- same answers as ram --------------------------------------------------------------------- */

static void test_same_as_ram(void **state)
{
    (void)state;
    char *root = testutil_temp_dir("dbe_ram");
    testutil_log_to(root);
    const int64_t t0 = 1700000000, span = 400000;
    StorageHost *rh = storage_testutil_open(ram, span + 10, NULL, "r");
    StorageHost *dh = open_db(root, "host-a");
    Pair p;
    create_pair(rh, dh, &p, 0);
    size_t samples = ingest(&p, t0, t0 + span / 2);
    for (int k = 0; k < 2 * KINDS; k++) {
        same_dim(p.r[k], p.d[k], t0, t0 + span / 2);    /* pages on disk + open pages */
    }
    db->close_host(dh);
    dh = open_db(root, "host-a");
    create_pair(rh, dh, &p, 1);
    for (int k = 0; k < 2 * KINDS; k++) {
        same_dim(p.r[k], p.d[k], t0, t0 + span / 2);    /* reopened: all from disk */
    }
    samples += ingest(&p, t0 + span / 2 + 1, t0 + span);
    for (int k = 0; k < 2 * KINDS; k++) {
        same_dim(p.r[k], p.d[k], t0, t0 + span);
    }
    db->close_host(dh);
    dh = open_db(root, "host-a");
    create_pair(rh, dh, &p, 1);
    for (int k = 0; k < 2 * KINDS; k++) {
        same_dim(p.r[k], p.d[k], t0, t0 + span);
    }
    uint64_t disk = storage_testutil_dbe_bytes(root, "host-a", NULL, NULL);
    printf("dbengine: %zu samples, %llu bytes on disk, %.3f bytes/sample (mix of constant, "
           "counter, noisy gauge, gaps)\n", samples, (unsigned long long)disk,
           (double)disk / (double)samples);
    assert_false(testutil_log_has("ERROR"));
    db->close_host(dh);
    ram->close_host(rh);
    log_open(NULL);
    testutil_rm_tree(root);
    free(root);
}

/* ---- update_every changes, gaps larger than a page ------------------------------------------- */

static void test_update_every(void **state)
{
    (void)state;
    char *root = testutil_temp_dir("dbe_ue");
    StorageHost *dh = open_db(root, "h"), *rh = storage_testutil_open(ram, 100000, NULL, "r");
    StorageDim *d = db->create_dim(dh, "c", "x", 1), *r = ram->create_dim(rh, "c", "x", 1);
    for (int64_t t = 100; t < 3000; t++) {
        db->append(d, t, (double)t);
        ram->append(r, t, (double)t);
    }
    db->append(d, 9000, 1);             /* a gap of several pages */
    ram->append(r, 9000, 1);
    same_dim(r, d, 100, 9000);
    db->set_update_every(d, 10);
    ram->set_update_every(r, 10);
    assert_int_equal(db->first_t(d), 0);
    for (int64_t t = 10000; t < 20000; t += 10) {
        db->append(d, t, (double)t / 10);
        ram->append(r, t, (double)t / 10);
    }
    same_dim(r, d, 10000, 19990);
    db->close_host(dh);
    dh = open_db(root, "h");
    assert_null(storage_dbe_dim_find(dh, "c", "y"));
    d = db->create_dim(dh, "c", "x", 10);           /* same grid: the data is back */
    same_dim(r, d, 10000, 19990);
    d = db->create_dim(dh, "c", "x", 2);            /* another grid: restarts empty */
    assert_int_equal(db->first_t(d), 0);
    StoragePoint pt[4];
    assert_int_equal(db->query(d, 0, INT64_MAX, pt, 4), 0);
    assert_int_equal(db->query(d, 0, INT64_MAX, pt, 0), 0);
    db->close_host(dh);
    ram->close_host(rh);
    testutil_rm_tree(root);
    free(root);
}

/* ---- the disk budget ------------------------------------------------------------------------- */

static void test_disk_budget(void **state)
{
    (void)state;
    char *root = testutil_temp_dir("dbe_disk");
    testutil_log_to(root);
    storage_configure(&(StorageGlobal){32, 1});
    const uint64_t budget = 1 << 20, file = budget / 8 < DBE_FILE_MIN ? DBE_FILE_MIN : budget / 8;
    StorageHost *rh = storage_testutil_open(ram, 2000000, NULL, "r"), *a = open_db(root, "a");
    Pair p;
    create_pair(rh, a, &p, 0);
    ingest(&p, 1, 60000);                  /* host a: about 0.8 MiB */
    db->close_host(a);
    int na;
    storage_testutil_dbe_bytes(root, "a", &na, NULL);
    assert_true(na > 0);
    StorageHost *b = open_db(root, "b");
    create_pair(rh, b, &p, 0);
    int64_t prev_first = 0;
    for (int64_t t = 1; t <= 400000; t += 20000) {
        ingest(&p, t, t + 19999);
        uint64_t total = storage_testutil_dbe_bytes(root, "a", NULL, NULL)
                         + storage_testutil_dbe_bytes(root, "b", NULL, NULL);
        assert_true(total <= budget + file);
        int64_t first = db->first_t(p.d[2]);
        assert_true(first >= prev_first);  /* the oldest data goes first */
        prev_first = first;
    }
    int nb;
    uint32_t low;
    storage_testutil_dbe_bytes(root, "a", &na, NULL);
    storage_testutil_dbe_bytes(root, "b", &nb, &low);
    assert_int_equal(na, 0);               /* a's files were older than all of b's */
    assert_true(low > 1 && prev_first > 1);
    for (uint32_t no = low; no < low + (uint32_t)nb; no++) {
        /* newest, contiguous */
        assert_int_equal(access(storage_testutil_dbe_file(root, "b", no), F_OK), 0);
    }
    assert_true(testutil_log_has("disk space limit 1 MiB reached"));
    for (int k = 0; k < 2 * KINDS; k++) {  /* what is left still reads as ram */
        int64_t first = db->first_t(p.d[k]);
        StoragePoint *x = malloc(400001 * sizeof *x), *y = malloc(400001 * sizeof *y);
        size_t nx = ram->query(p.r[k], first, INT64_MAX, x, 400001);
        size_t ny = db->query(p.d[k], first, INT64_MAX, y, 400001);
        assert_int_equal(nx, ny);
        same_points(x, y, nx);
        free(x);
        free(y);
    }
    db->close_host(b);
    ram->close_host(rh);
    storage_configure(&(StorageGlobal){32, 256});
    log_open(NULL);
    testutil_rm_tree(root);
    free(root);
}

/* ---- the page cache -------------------------------------------------------------------------- */

static long rss_kib(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &res) != 2) {
        res = 0;
    }
    if (f) {
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_page_cache(void **state)
{
    (void)state;
    enum { NDIMS = 10000, NT = 1100 };
    char *root = testutil_temp_dir("dbe_mem");
    storage_configure(&(StorageGlobal){1, 256});
    const size_t budget = 1 << 20, floor = NDIMS * DBE_OPEN_MIN * sizeof(float);
    StorageHost *h = open_db(root, "m");
    StorageDim **d = malloc(NDIMS * sizeof *d);
    char id[16];
    for (int k = 0; k < NDIMS; k++) {
        snprintf(id, sizeof id, "d%d", k);
        d[k] = db->create_dim(h, "mem", id, 1);
    }
    malloc_trim(0);                        /* earlier tests' free memory out of the RSS */
    long rss0 = rss_kib();
    size_t peak = 0;
    for (int64_t t = 1; t <= NT; t++) {
        for (int k = 0; k < NDIMS; k++) {
            db->append(d[k], t, storage_testutil_series(k, t));
        }
        size_t held = storage_dbe_mem_open() + storage_dbe_cache_bytes();
        peak = held > peak ? held : peak;
    }
    long grew = rss_kib() - rss0;
    printf("dbengine page cache 1 MiB, %d dims: open+cache peak %zu KiB, RSS +%ld KiB, "
           "host bytes %zu KiB (unbounded open pages would be %d KiB)\n", NDIMS, peak >> 10,
           grew, db->bytes(h) >> 10, NDIMS * 4);
    assert_true(peak <= budget + floor);
#ifdef __SANITIZE_ADDRESS__
    assert_true(grew < 48 * 1024);         /* redzones and quarantine: about twice */
#else
    assert_true(grew < 24 * 1024);         /* open pages 2.5 MiB + index 7.5 MiB + slack */
#endif
    StoragePoint p[NT];
    for (int k = 0; k < NDIMS; k += 7) {
        assert_int_equal(db->query(d[k], 0, INT64_MAX, p, NT), NT);
        assert_true(storage_dbe_mem_open() + storage_dbe_cache_bytes() <= budget + floor);
    }
    db->close_host(h);
    assert_int_equal(storage_dbe_mem_open(), 0);
    assert_int_equal(storage_dbe_cache_bytes(), 0);
    /* a roomier budget: queries fill the cache, within the budget */
    storage_configure(&(StorageGlobal){4, 256});
    h = open_db(root, "m");
    for (int k = 0; k < NDIMS; k += 3) {
        snprintf(id, sizeof id, "d%d", k);
        d[k] = db->create_dim(h, "mem", id, 1);
        assert_int_equal(db->query(d[k], 0, INT64_MAX, p, NT), NT);
        assert_true(storage_dbe_mem_open() + storage_dbe_cache_bytes() <= (4u << 20));
    }
    assert_true(storage_dbe_cache_bytes() > (2u << 20));
    db->close_host(h);
    free(d);
    storage_configure(&(StorageGlobal){32, 256});
    testutil_rm_tree(root);
    free(root);
}

/* ---- hosts on several threads: the shared budget and cache lock themselves -------------- */

typedef struct Worker {
    const char *root;
    char guid[16];
    int bad;
    size_t present;
} Worker;

static void *worker(void *arg)
{
    Worker *w = arg;
    StorageConfig cfg = {.mode = POLICY_MODE_DBENGINE, .data_dir = w->root, .host_guid = w->guid};
    StorageHost *h = db->open_host(&cfg);
    StorageDim *d[4];
    StoragePoint p[HOUR_PTS];
    for (int k = 0; h && k < 4; k++) {
        d[k] = db->create_dim(h, "thr", (const char *[]){"a", "b", "c", "d"}[k], 1);
    }
    for (int64_t t = 1; h && t <= 120000; t++) {
        for (int k = 0; k < 4; k++) {
            db->append(d[k], t, storage_testutil_series(k + 1, t));
        }
        if (t % 20000 == 0) {
            /* the newest hour, while other hosts write and the budget deletes files: what is
               there is right (a lagging host may have lost an older file of that hour) */
            size_t n = db->query(d[1], t - HOUR_PTS + 1, t, p, HOUR_PTS);
            for (size_t i = 0; i < n; i++) {
                w->bad |= !isnan(p[i].v)
                          && (float)p[i].v != (float)storage_testutil_series(2, p[i].t);
                w->present += !isnan(p[i].v);
            }
            w->bad |= n == 0 || p[n - 1].t != t;
        }
    }
    w->bad |= !h;
    db->close_host(h);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    enum { NW = 4 };
    char *root = testutil_temp_dir("dbe_thr");
    testutil_log_to(root);
    storage_configure(&(StorageGlobal){2, 1});
    pthread_t th[NW];
    Worker w[NW];
    for (int i = 0; i < NW; i++) {
        w[i] = (Worker){.root = root};
        snprintf(w[i].guid, sizeof w[i].guid, "t%d", i);
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    uint64_t total = 0;
    size_t present = 0;
    for (int i = 0; i < NW; i++) {
        pthread_join(th[i], NULL);
        assert_false(w[i].bad);
        present += w[i].present;
    }
    assert_true(present > NW * 6 * HOUR_PTS * 9 / 10);    /* holes are the exception */
    for (int i = 0; i < NW; i++) {
        total += storage_testutil_dbe_bytes(root, w[i].guid, NULL, NULL);
    }
    assert_true(total <= (1u << 20) + DBE_FILE_MIN);
    assert_int_equal(storage_dbe_mem_open(), 0);
    storage_configure(&(StorageGlobal){32, 256});
    log_open(NULL);
    testutil_rm_tree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_ram),
        cmocka_unit_test(test_update_every),
        cmocka_unit_test(test_disk_budget),
        cmocka_unit_test(test_page_cache),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
