/*
** storage_testutil.h - test support for the storage engine tests (test_storage_*.c): a scratch
** data directory with its own log as a cmocka fixture, a host of any engine, the varied series
** the tests append, a query-by-query comparison of two dimensions, and the dbengine tests' value
** series and data files. Linked into unit tests, fuzzers and benches like testutil.c, so nothing
** here calls cmocka: a step a test cannot go on without (a host that does not open) aborts with a
** message naming the cause, and a check of the engines' answers returns NULL or a reason, which
** the test hands to TESTUTIL_ASSERT_NO_REASON. Engine-specific file layouts other than
** dbengine's stay in their tests.
*/
#ifndef STREAMC_STORAGE_TESTUTIL_H
#define STREAMC_STORAGE_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "storage.h"

/* The state storage_testutil_setup gives a test. */
typedef struct StorageFixture {
    char *dir;                   /* a fresh temporary data directory */
    char log[512];               /* DIR/log, open as the process log (testutil_take_log reads it) */
} StorageFixture;

/* cmocka setup: *STATE becomes a malloc'd StorageFixture whose log is open. Returns 0, or -1
   (printed) when the log cannot be opened. */
int storage_testutil_setup(void **state);

/* cmocka teardown for storage_testutil_setup: closes the log, removes the directory, frees. */
int storage_testutil_teardown(void **state);

/* ENGINE's host for host GUID with HISTORY samples per dimension and DATA_DIR (NULL: none); the
   memory mode is the one ENGINE serves (ram, none, save, map or dbengine). Aborts when ENGINE
   returns no host. */
StorageHost *storage_testutil_open(const StorageOps *engine, long history, const char *data_dir,
                                   const char *guid);

/* As storage_testutil_open, with the data directory DIR/plain made a plain file first, so a
   persistent engine has nowhere to keep its files. */
StorageHost *storage_testutil_open_on_file(const StorageOps *engine, long history,
                                           const char *dir, const char *guid);

/* Append N samples to D through ENGINE from T0 on the UPDATE_EVERY grid: every 7th (from the
   4th) NAN, the others i * 1.25 - 40; after every 11th (from the 6th) two slots are skipped. */
void storage_testutil_feed(const StorageOps *engine, StorageDim *d, int update_every, int64_t t0,
                           int n);

/* storage_testutil_feed with a jump of 50 slots after the sample 10 before the end. */
void storage_testutil_feed_jump(const StorageOps *engine, StorageDim *d, int update_every,
                                int64_t t0, int n);

/* NULL when A (through OA) and B (through OB) answer alike: first and last times, then every
   query over a set of whole, partial and outside ranges at caps 1, 3 and 4096 (same count,
   times, values, NAN as NAN). Else the first difference, in a static buffer valid until the
   next call. */
const char *storage_testutil_diff(const StorageOps *oa, StorageDim *a, const StorageOps *ob,
                                  StorageDim *b);

/* NULL when storage_ops_for(MODE) gives ENGINE with a data directory (no fallback) and ram
   without one (the fallback set), and ENGINE is called NAME. Else what differs, in a static
   buffer valid until the next call. */
const char *storage_testutil_check_ops_for(int mode, const StorageOps *engine, const char *name);

/* A 64 -> 32 bit mixing hash: reproducible "random" numbers for values and query ranges. */
uint32_t storage_testutil_mix(uint64_t x);

/* The value series KIND (taken mod 4) holds at second T: 0 a constant, 1 a counter-like integer,
   2 a noisy gauge, 3 gaps: NAN (an empty slot appended) every 7th second and INFINITY (a slot
   the test skips) for whole stretches. */
double storage_testutil_series(int kind, int64_t t);

/* The bytes of the dbengine data files under ROOT/GUID/dbengine; their count goes to *NFILES and
   the lowest file number to *LOWEST (UINT32_MAX when none) when those are not NULL. */
uint64_t storage_testutil_dbe_bytes(const char *root, const char *guid, int *nfiles,
                                    uint32_t *lowest);

/* The path of dbengine data file number NO of host GUID under ROOT, in a static buffer valid
   until the next call. */
const char *storage_testutil_dbe_file(const char *root, const char *guid, uint32_t no);

#endif
