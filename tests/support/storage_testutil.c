/*
** storage_testutil.c - the storage engine tests' shared helpers (storage_testutil.h). No cmocka
** here (also linked into fuzzers and benches): a failed step aborts through testutil_die, a
** wrong answer comes back as a reason for the test to fail with.
*/
#include "storage_testutil.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "policy_format.h"
#include "storage_dbengine.h"
#include "testutil.h"

static char reason[512];   /* the last difference found, returned by the checks */

int storage_testutil_setup(void **state)
{
    StorageFixture *fx = calloc(1, sizeof *fx);
    if (!fx) {
        testutil_die("out of memory for a storage fixture");
    }
    fx->dir = testutil_temp_dir("storage_test");
    snprintf(fx->log, sizeof fx->log, "%s/log", fx->dir);
    if (log_open(fx->log) != 0) {
        fprintf(stderr, "storage_testutil: cannot open the log '%s'\n", fx->log);
        testutil_rm_tree(fx->dir);
        free(fx->dir);
        free(fx);
        return -1;   /* cmocka fails the test without running it (or the teardown) */
    }
    *state = fx;
    return 0;
}

int storage_testutil_teardown(void **state)
{
    StorageFixture *fx = *state;
    log_close();
    testutil_rm_tree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* The memory mode ENGINE serves: open_host checks the mode it is given. */
static int mode_of(const StorageOps *engine)
{
    const struct {
        const StorageOps *engine;
        int mode;
    } modes[] = {
        {&storage_ram_ops, POLICY_MODE_RAM},   {&storage_none_ops, POLICY_MODE_NONE},
        {&storage_save_ops, POLICY_MODE_SAVE}, {&storage_map_ops, POLICY_MODE_MAP},
        {&storage_dbengine_ops, POLICY_MODE_DBENGINE},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (modes[i].engine == engine) {
            return modes[i].mode;
        }
    }
    testutil_die("no memory mode for the storage engine '%s'", engine->name);
    return -1;
}

StorageHost *storage_testutil_open(const StorageOps *engine, long history, const char *data_dir,
                                   const char *guid)
{
    StorageConfig cfg = {.mode = mode_of(engine), .history = history, .data_dir = data_dir,
                         .host_guid = guid};
    StorageHost *h = engine->open_host(&cfg);
    if (!h) {
        testutil_die("the %s engine opened no host for '%s' (history %ld, data directory %s)",
                     engine->name, guid, history, data_dir ? data_dir : "none");
    }
    return h;
}

StorageHost *storage_testutil_open_on_file(const StorageOps *engine, long history,
                                           const char *dir, const char *guid)
{
    char plain[PATH_MAX];
    snprintf(plain, sizeof plain, "%s/plain", dir);
    testutil_write_file(NULL, plain, "x", 1);
    return storage_testutil_open(engine, history, plain, guid);
}

/* The series of storage_testutil_feed; JUMP adds its 50-slot jump. */
static void feed(const StorageOps *engine, StorageDim *d, int ue, int64_t t0, int n, int jump)
{
    int64_t t = t0;
    for (int i = 0; i < n; i++) {
        engine->append(d, t, i % 7 == 3 ? NAN : (double)i * 1.25 - 40);
        t += ue * (i % 11 == 5 ? 3 : 1);
        if (jump && i == n - 10) {
            t += ue * 50;
        }
    }
}

void storage_testutil_feed(const StorageOps *engine, StorageDim *d, int update_every, int64_t t0,
                           int n)
{
    feed(engine, d, update_every, t0, n, 0);
}

void storage_testutil_feed_jump(const StorageOps *engine, StorageDim *d, int update_every,
                                int64_t t0, int n)
{
    feed(engine, d, update_every, t0, n, 1);
}

/* Whether two query answers are the same point: same time, same value or both NAN. */
static int same_point(const StoragePoint *a, const StoragePoint *b)
{
    return a->t == b->t && (isnan(a->v) ? isnan(b->v) : a->v == b->v);
}

const char *storage_testutil_diff(const StorageOps *oa, StorageDim *a, const StorageOps *ob,
                                  StorageDim *b)
{
    int64_t f = oa->first_t(a), l = oa->last_t(a);
    if (f != ob->first_t(b) || l != ob->last_t(b)) {
        snprintf(reason, sizeof reason, "first..last: %s %lld..%lld, %s %lld..%lld", oa->name,
                 (long long)f, (long long)l, ob->name, (long long)ob->first_t(b),
                 (long long)ob->last_t(b));
        return reason;
    }
    static StoragePoint pa[4096], pb[4096];
    const int64_t ranges[][2] = {{0, INT64_MAX}, {f, l}, {f + 1, l - 1}, {f - 100, f + 7},
                                 {l - 5, l + 100}, {(f + l) / 2, (f + l) / 2 + 3}, {l + 1, l + 9}};
    const size_t caps[] = {1, 3, 4096};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            size_t na = oa->query(a, ranges[r][0], ranges[r][1], pa, caps[c]);
            size_t nb = ob->query(b, ranges[r][0], ranges[r][1], pb, caps[c]);
            size_t i = 0;
            while (i < na && i < nb && same_point(&pa[i], &pb[i])) {
                i++;
            }
            if (na == nb && i == na) {
                continue;
            }
            int n = snprintf(reason, sizeof reason, "query %lld..%lld cap %zu: %s %zu points, "
                             "%s %zu", (long long)ranges[r][0], (long long)ranges[r][1], caps[c],
                             oa->name, na, ob->name, nb);
            if (i < na && i < nb) {
                snprintf(reason + n, sizeof reason - (size_t)n, "; point %zu: %lld %g vs %lld %g",
                         i, (long long)pa[i].t, pa[i].v, (long long)pb[i].t, pb[i].v);
            }
            return reason;
        }
    }
    return NULL;
}

const char *storage_testutil_check_ops_for(int mode, const StorageOps *engine, const char *name)
{
    int fb = -1;
    const StorageOps *got = storage_ops_for(mode, 1, &fb);
    if (got != engine || fb != 0) {
        snprintf(reason, sizeof reason, "with a data directory: '%s', fallback %d; want '%s', 0",
                 got ? got->name : "(none)", fb, engine->name);
        return reason;
    }
    got = storage_ops_for(mode, 0, &fb);
    if (got != &storage_ram_ops || fb != 1) {
        snprintf(reason, sizeof reason, "without a data directory: '%s', fallback %d; want "
                 "'ram', 1", got ? got->name : "(none)", fb);
        return reason;
    }
    if (strcmp(engine->name, name) != 0) {
        snprintf(reason, sizeof reason, "the engine is called '%s', not '%s'", engine->name, name);
        return reason;
    }
    return NULL;
}

uint32_t storage_testutil_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x;
}

double storage_testutil_series(int kind, int64_t t)
{
    switch (kind % 4) {
    case 0:
        return 42.0;
    case 1:
        return 1000 + storage_testutil_mix((uint64_t)t) % 64;
    case 2:
        return 50 + 10 * sin((double)t / 300)
               + (storage_testutil_mix((uint64_t)t * 3) % 100) / 100.0;
    default:
        return t % 7 == 0 ? NAN : (t / 5000) % 3 == 1 ? INFINITY : (double)(t % 100) * 0.5;
    }
}

uint64_t storage_testutil_dbe_bytes(const char *root, const char *guid, int *nfiles,
                                    uint32_t *lowest)
{
    char path[PATH_MAX], file[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s/dbengine", root, guid);
    DIR *d = opendir(path);
    struct dirent *e;
    uint64_t total = 0;
    int n = 0;
    uint32_t low = UINT32_MAX, no;
    while (d && (e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        if (storage_dbe_file_no(e->d_name, &no) && stat(file, &st) == 0) {
            total += (uint64_t)st.st_size;
            n++;
            low = no < low ? no : low;
        }
    }
    if (d) {
        closedir(d);
    }
    if (nfiles) {
        *nfiles = n;
    }
    if (lowest) {
        *lowest = low;
    }
    return total;
}

const char *storage_testutil_dbe_file(const char *root, const char *guid, uint32_t no)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/dbengine/data-%08u.dbf", root, guid, no);
    return path;
}
