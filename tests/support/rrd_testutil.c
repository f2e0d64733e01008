/*
** rrd_testutil.c - the parent + child fixture of rrd_testutil.h. No cmocka here (also linked into
** fuzzers and benches): what cannot be made aborts through testutil_die.
*/
#include "rrd_testutil.h"

#include <stdlib.h>

#include "policy_format.h"
#include "testutil.h"

RrdFixture *rrd_testutil_open(int mode, long history, int update_every)
{
    RrdHostConfig cfg = {.memory_mode = mode, .history = history, .update_every = update_every};
    RrdFixture *f = calloc(1, sizeof *f);
    if (!f) {
        testutil_die("out of memory for an rrd fixture");
    }
    if (!(f->db = rrd_db_new("parent", "00000000-0000-0000-0000-00000000000a", &cfg, NULL))) {
        testutil_die("rrd_db_new failed (memory mode %d, history %ld)", mode, history);
    }
    if (!(f->h = rrd_host_create(f->db, RRD_TESTUTIL_CHILD_GUID, "child", &cfg))) {
        testutil_die("rrd_host_create failed for the child (memory mode %d)", mode);
    }
    return f;
}

void rrd_testutil_close(RrdFixture *f)
{
    if (f) {
        rrd_db_free(f->db);
        free(f);
    }
}

int rrd_testutil_setup(void **state)
{
    *state = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    return 0;
}

int rrd_testutil_teardown(void **state)
{
    rrd_testutil_close(*state);
    return 0;
}
