/*
** rrd_testutil.h - test support for the tests of runtime/rrd*.c: a fixture of one parent RrdDb
** ("parent") holding one child host ("child", RRD_TESTUTIL_CHILD_GUID), as a cmocka setup and
** teardown or by hand. Linked into unit tests, fuzzers and benches like testutil.c, so nothing
** here calls cmocka: a registry or host that cannot be made aborts with a message naming it.
** Charts, dimensions and collections stay in the tests, which assert on them.
*/
#ifndef STREAMC_RRD_TESTUTIL_H
#define STREAMC_RRD_TESTUTIL_H

#include "rrd.h"

#define RRD_TESTUTIL_CHILD_GUID "11111111-2222-3333-4444-555555555555"

typedef struct RrdFixture {
    RrdDb *db;                   /* the registry; its localhost is "parent" */
    RrdHost *h;                  /* the child host, created after the localhost */
} RrdFixture;

/* A malloc'd fixture whose parent and child both have memory mode MODE (POLICY_MODE_*), HISTORY
   entries and the node default UPDATE_EVERY. Aborts when either cannot be made. */
RrdFixture *rrd_testutil_open(int mode, long history, int update_every);

/* Free the registry (with its hosts) and F; NULL is a no-op. */
void rrd_testutil_close(RrdFixture *f);

/* cmocka setup: *STATE becomes rrd_testutil_open(POLICY_MODE_RAM, 3600, 1). Returns 0. */
int rrd_testutil_setup(void **state);

/* cmocka teardown: rrd_testutil_close(*STATE). Returns 0. */
int rrd_testutil_teardown(void **state);

#endif
