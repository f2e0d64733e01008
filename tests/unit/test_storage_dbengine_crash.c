/*
** test_storage_dbengine_crash.c - cmocka tests for the dbengine storage engine's recovery
** (runtime/storage_dbengine_file.c): kill -9 during ingestion (a forked child reports progress
** through a pipe; the parent reopens: a clean start, every retained slot right, no more lost
** than the documented window; then a partial last record, as a kill in the middle of a write
** leaves it, is truncated with a log line); corrupted files detected and logged, the rest still
** read: a flipped byte in a page's payload and in a record header (that page skipped),
** truncation at several lengths (torn tail), shorter than a header, zero-length (removed), wrong
** magic (ignored, left in place), a damaged dimension registry (its pages unreachable, never
** given to another dimension) and a registry with a wrong magic; data file versions (an older
** one read, never appended to; a newer one refused).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "policy_format.h"
#include "storage_dbengine.h"
#include "storage_testutil.h"
#include "testutil.h"

static const StorageOps *const db = &storage_dbengine_ops;

/* A dbengine host (the history is not used by dbengine). */
static StorageHost *open_db(const char *root, const char *guid)
{
    return storage_testutil_open(db, 5, root, guid);
}

/* ---- kill -9 --------------------------------------------------------------------------------- */

#define KILL_AT 150000

static void child_ingest(const char *root, int fd)
{
    log_open("/dev/null");
    StorageConfig cfg = {.mode = POLICY_MODE_DBENGINE, .data_dir = root, .host_guid = "k"};
    StorageHost *h = db->open_host(&cfg);
    StorageDim *d[4];
    for (int k = 0; k < 4 && h; k++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", k);
        d[k] = db->create_dim(h, "kill", id, k == 3 ? 5 : 1);
    }
    for (int64_t t = 1; h && t < 100000000; t++) {
        for (int k = 0; k < 4; k++) {
            if (t % (k == 3 ? 5 : 1) == 0) {
                db->append(d[k], t, storage_testutil_series(k == 3 ? 2 : k, t));
            }
        }
        if (t % 1000 == 0 && write(fd, &t, sizeof t) != (ssize_t)sizeof t) {
            break;
        }
    }
    _exit(0);
}

/* After a crash: every retained slot holds its value, none is missing inside the retained
   range, and at most LOSS seconds before REPORTED are gone (per dim). */
static void check_after_crash(StorageHost *h, int64_t reported, int64_t loss)
{
    for (int k = 0; k < 4; k++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", k);
        int ue = k == 3 ? 5 : 1;
        StorageDim *d = db->create_dim(h, "kill", id, ue);
        int64_t first = db->first_t(d), last = db->last_t(d);
        printf("kill -9: %s (update_every %d) reported t=%lld, retained up to %lld\n", id, ue,
               (long long)reported, (long long)last);
        assert_int_equal(first, ue);
        assert_true(last >= reported - loss);
        size_t n = (size_t)((last - first) / ue + 1);
        StoragePoint *p = malloc(n * sizeof *p);
        assert_int_equal(db->query(d, 0, INT64_MAX, p, n), n);
        for (size_t i = 0; i < n; i++) {
            double want = storage_testutil_series(k == 3 ? 2 : k, p[i].t);
            assert_true((float)want == (float)p[i].v);
        }
        free(p);
    }
}

static void test_kill9(void **state)
{
    (void)state;
    char *root = testutil_temp_dir("dbe_kill");
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        child_ingest(root, pfd[1]);
    }
    close(pfd[1]);
    int64_t t = 0, got;
    while (t < KILL_AT && read(pfd[0], &got, sizeof got) == (ssize_t)sizeof got) {
        t = got;
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    close(pfd[0]);
    assert_true(WIFSIGNALED(st) && t >= KILL_AT);
    /* the window: an open page, at most 1024 slots and DBE_PAGE_SPAN seconds */
    testutil_log_to(root);
    StorageHost *h = open_db(root, "k");
    check_after_crash(h, t, DBE_PAGE_SPAN);
    assert_false(testutil_log_has("ERROR"));
    db->close_host(h);
    /* a partial last record (the write in progress at the kill): truncated, logged */
    int nfiles;
    uint32_t low;
    storage_testutil_dbe_bytes(root, "k", &nfiles, &low);
    const char *path = storage_testutil_dbe_file(root, "k", low + (uint32_t)nfiles - 1);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size - 7), 0);
    h = open_db(root, "k");
    assert_true(testutil_log_has("torn tail"));
    check_after_crash(h, t, 2 * DBE_PAGE_SPAN);
    db->close_host(h);
    log_open(NULL);
    testutil_rm_tree(root);
    free(root);
}

/* ---- corrupted files ------------------------------------------------------------------------- */

#define CT0 100000
#define CPAGES 5

/* A fresh host GUID under ROOT with 2 dims x CPAGES full pages, closed. */
static void make_data(const char *root, const char *guid)
{
    StorageHost *h = open_db(root, guid);
    StorageDim *a = db->create_dim(h, "c", "a", 1), *b = db->create_dim(h, "c", "b", 1);
    for (int64_t t = CT0; t < CT0 + CPAGES * (int64_t)DBE_PAGE_POINTS; t++) {
        db->append(a, t, storage_testutil_series(2, t));
        db->append(b, t, storage_testutil_series(1, t));
    }
    db->close_host(h);
}

/* Reopen GUID; per dim, every retained slot is right; returns the empty slots of a + b. */
static size_t verify_data(const char *root, const char *guid)
{
    StorageHost *h = open_db(root, guid);
    size_t empty = 0;
    for (int k = 0; k < 2; k++) {
        StorageDim *d = db->create_dim(h, "c", k ? "b" : "a", 1);
        StoragePoint *p = malloc(CPAGES * DBE_PAGE_POINTS * sizeof *p);
        size_t n = db->query(d, CT0, INT64_MAX, p, CPAGES * DBE_PAGE_POINTS);
        for (size_t i = 0; i < n; i++) {
            if (isnan(p[i].v)) {
                empty++;
            } else {
                assert_true((float)p[i].v == (float)storage_testutil_series(k ? 1 : 2, p[i].t));
            }
        }
        empty += CPAGES * DBE_PAGE_POINTS - n;
        free(p);
    }
    db->close_host(h);
    return empty;
}

static void flip(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
}

/* Offset of record K of a data file. */
static long record_at(const char *path, int k)
{
    FILE *f = fopen(path, "rb");
    uint8_t hdr[DBE_REC_HDR];
    long pos = DBE_FILE_HDR;
    for (int i = 0; f && i < k; i++) {
        fseek(f, pos + 8, SEEK_SET);
        assert_int_equal(fread(hdr, 1, 4, f), 4);
        pos += DBE_REC_HDR + (long)(hdr[0] | hdr[1] << 8);
    }
    if (f) {
        fclose(f);
    }
    return pos;
}

static void test_corruption(void **state)
{
    (void)state;
    char *root = testutil_temp_dir("dbe_bad");
    testutil_log_to(root);
    make_data(root, "ok");
    assert_int_equal(verify_data(root, "ok"), 0);
    assert_false(testutil_log_has("ERROR"));

    make_data(root, "payload");            /* a byte of a middle page's payload */
    const char *file = storage_testutil_dbe_file(root, "payload", 1);
    flip(file, record_at(file, 4) + 30);
    assert_int_equal(verify_data(root, "payload"), DBE_PAGE_POINTS);
    assert_true(testutil_log_has("checksum mismatch, skipped"));

    make_data(root, "header");             /* a byte of a middle page's record header */
    file = storage_testutil_dbe_file(root, "header", 1);
    flip(file, record_at(file, 5) + 5);
    assert_int_equal(verify_data(root, "header"), DBE_PAGE_POINTS);
    assert_true(testutil_log_has("corrupt bytes at offset"));

    const long cuts[] = {-1, -7, -25, -200, DBE_FILE_HDR + 5, DBE_FILE_HDR + 1, DBE_FILE_HDR};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char guid[16];
        struct stat sb;
        snprintf(guid, sizeof guid, "cut%zu", i);
        make_data(root, guid);
        const char *path = storage_testutil_dbe_file(root, guid, 1);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(truncate(path, cuts[i] < 0 ? sb.st_size + cuts[i] : cuts[i]), 0);
        size_t lost = verify_data(root, guid);
        assert_true(lost >= (cuts[i] > 0 ? 2 * CPAGES * DBE_PAGE_POINTS : DBE_PAGE_POINTS));
        assert_true(cuts[i] == DBE_FILE_HDR || testutil_log_has("torn tail"));
        assert_int_equal(verify_data(root, guid), lost);   /* stable after the truncation */
    }
    make_data(root, "short");
    assert_int_equal(truncate(storage_testutil_dbe_file(root, "short", 1), 31), 0);
    assert_int_equal(verify_data(root, "short"), 2 * CPAGES * DBE_PAGE_POINTS);
    assert_true(testutil_log_has("shorter than its header"));
    make_data(root, "zero");
    assert_int_equal(truncate(storage_testutil_dbe_file(root, "zero", 1), 0), 0);
    assert_int_equal(verify_data(root, "zero"), 2 * CPAGES * DBE_PAGE_POINTS);
    assert_true(testutil_log_has("empty data file"));
    assert_int_equal(access(storage_testutil_dbe_file(root, "zero", 1), F_OK), -1);

    make_data(root, "magic");
    flip(storage_testutil_dbe_file(root, "magic", 1), 2);
    assert_int_equal(verify_data(root, "magic"), 2 * CPAGES * DBE_PAGE_POINTS);
    assert_true(testutil_log_has("wrong magic"));
    assert_int_equal(access(storage_testutil_dbe_file(root, "magic", 1), F_OK), 0);   /* kept */
    make_data(root, "magic");              /* writes go to a new file, read back fine */
    assert_int_equal(verify_data(root, "magic"), 0);

    char reg[PATH_MAX];
    make_data(root, "reg");                /* dims.reg: the second record damaged */
    snprintf(reg, sizeof reg, "%s/reg/dbengine/dims.reg", root);
    flip(reg, 16 + 22 + 5);                /* records are 22 bytes here; its number */
    size_t lost = verify_data(root, "reg");
    assert_int_equal(lost, CPAGES * DBE_PAGE_POINTS);      /* b's pages are unreachable */
    assert_true(testutil_log_has("of unknown dimensions"));
    make_data(root, "regmagic");
    snprintf(reg, sizeof reg, "%s/regmagic/dbengine/dims.reg", root);
    flip(reg, 0);
    assert_int_equal(verify_data(root, "regmagic"), 2 * CPAGES * DBE_PAGE_POINTS);
    assert_true(testutil_log_has("not a dimension registry"));
    log_open(NULL);
    testutil_rm_tree(root);
    free(root);
}

/* Rewrite the version of data file PATH (and the header's check, so only the version differs). */
static void set_version(const char *path, uint32_t version)
{
    uint8_t hdr[DBE_FILE_HDR];
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    for (int i = 0; i < 4; i++) {
        hdr[8 + i] = (uint8_t)(version >> (8 * i));
    }
    uint32_t check = storage_dbe_check(hdr, 28);
    for (int i = 0; i < 4; i++) {
        hdr[28 + i] = (uint8_t)(check >> (8 * i));
    }
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fwrite(hdr, 1, sizeof hdr, f), sizeof hdr);
    fclose(f);
}

/* Data file versions: 1 (before the RATIO page mode) and 2 (before group records) are read but
   never appended to; a version newer than this build's is refused with a log line and left in
   place. */
static void test_versions(void **state)
{
    (void)state;
    char *root = testutil_temp_dir("dbe_ver");
    testutil_log_to(root);
    for (uint32_t v = 1; v < DBE_VERSION; v++) {
        struct stat before, after;
        char name[8];
        snprintf(name, sizeof name, "v%u", v);
        make_data(root, name);
        set_version(storage_testutil_dbe_file(root, name, 1), v);
        assert_int_equal(verify_data(root, name), 0);
        assert_int_equal(stat(storage_testutil_dbe_file(root, name, 1), &before), 0);
        StorageHost *h = open_db(root, name);
        StorageDim *a = db->create_dim(h, "c", "a", 1);
        const int64_t t1 = CT0 + CPAGES * (int64_t)DBE_PAGE_POINTS;
        for (int64_t t = t1; t < t1 + DBE_PAGE_POINTS; t++) {
            db->append(a, t, storage_testutil_series(2, t));
        }
        db->close_host(h);
        assert_int_equal(stat(storage_testutil_dbe_file(root, name, 1), &after), 0);
        assert_int_equal(after.st_size, before.st_size);
        assert_int_equal(access(storage_testutil_dbe_file(root, name, 2), F_OK), 0);
        h = open_db(root, name);
        a = db->create_dim(h, "c", "a", 1);
        StoragePoint p[2];
        assert_int_equal(db->query(a, t1 - 1, t1, p, 2), 2);      /* across the two files */
        assert_true((float)p[0].v == (float)storage_testutil_series(2, t1 - 1)
                    && (float)p[1].v == (float)storage_testutil_series(2, t1));
        db->close_host(h);
        assert_false(testutil_log_has("ERROR"));
    }

    make_data(root, "v4");
    set_version(storage_testutil_dbe_file(root, "v4", 1), DBE_VERSION + 1);
    assert_int_equal(verify_data(root, "v4"), 2 * CPAGES * DBE_PAGE_POINTS);
    assert_true(testutil_log_has("data file version 4, this streamd reads 1 to 3; file ignored"));
    assert_int_equal(access(storage_testutil_dbe_file(root, "v4", 1), F_OK), 0);
    log_open(NULL);
    testutil_rm_tree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
