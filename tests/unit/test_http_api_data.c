/*
** test_http_api_data.c - cmocka tests for the values the HTTP API serves (runtime/http_api_data.c,
** http_api_prom.c): Netdata's number format, /api/v1/data (window, grouping, dimension
** selection, options, json/csv/tsv) and /api/v1/allmetrics in its prometheus forms, for the
** registry of http_api_testutil.h fed through rrd.h with fixed clocks. Expected texts follow what
** a real Netdata 1.37.1 parent printed for the same requests; values are worked out by hand from
** rrd_collect.c's rules (an absolute dimension collected at T+0.5 s stores its raw value at T).
** Every 200 JSON body is checked by the strict JSON parser of http_api_testutil.h. Routing,
** errors and the metadata bodies: test_http_api.c.
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

#include "http_api_testutil.h"

#define DATA_HEAD(l) "{\n \"labels\": [\"time\"" l "],\n    \"data\":\n [\n"
#define DATA_TAIL "\n]\n}"

/* ---- numbers ------------------------------------------------------------------------------- */

static void test_number_format(void **state)
{
    (void)state;
    static const struct { double v; const char *s; } rows[] = {
        {0, "0"}, {1.5, "1.5"}, {40, "40"}, {300.0 / 197.0, "1.5228426"},
        {2.525253, "2.525253"}, {-0.5, "-0.5"}, {0.00000004, "0"}, {-0.00000004, "-0"},
        {99.99999996, "100"}, {0.0000001, "0.0000001"}, {1234567.25, "1234567.25"},
        {NAN, "null"}, {INFINITY, "null"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char buf[64];
        size_t n = http_api_fmt_number(buf, rows[i].v);
        assert_string_equal(buf, rows[i].s);
        assert_int_equal(n, strlen(rows[i].s));
    }
}

/* ---- data ------------------------------------------------------------------------------------ */

static void test_data_window(void **state)
{
    Fx *f = *state;
    /* before 0 = the last point (T0+7); after -5 relative to it, inclusive: 5 rows, newest first */
    expect(f, CPU "&after=-5&format=json", 200, JSON, DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000007,70,93],\n [ 1700000006,60,94],\n [ 1700000005,50,95],\n"
           " [ 1700000004,40,96],\n [ 1700000003,30,97]" DATA_TAIL);
    /* 6 points averaged in groups of 3; before 1700000007 is a multiple of 3 */
    expect(f, CPU "&after=-6&points=2", 200, JSON, DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000007,60,94],\n [ 1700000004,30,97]" DATA_TAIL);
    /* groups of 2: before moves down to a multiple of 2 (the db end) */
    expect(f, CPU "&after=-4&points=2&group=average", 200, JSON,
           DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000006,55,94.5],\n [ 1700000004,35,96.5]" DATA_TAIL);
    expect(f, CPU "&after=-2&points=1&options=unaligned", 200, JSON,
           DATA_HEAD(",\"user\",\"system\"") " [ 1700000007,65,93.5]" DATA_TAIL);
    expect(f, CPU "&after=-4&points=2&group=max", 200, JSON, DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000006,60,95],\n [ 1700000004,40,97]" DATA_TAIL);
    expect(f, CPU "&after=-4&points=2&group=min", 200, JSON, DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000006,50,94],\n [ 1700000004,30,96]" DATA_TAIL);
    expect(f, CPU "&after=-4&points=2&group=sum", 200, JSON, DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000006,110,189],\n [ 1700000004,70,193]" DATA_TAIL);
    /* before relative to now (NOW - 1 = T0+9): -5 -> T0+4, after -3 -> T0+2 */
    expect(f, CPU "&after=-3&before=-5", 200, JSON, DATA_HEAD(",\"user\",\"system\"")
           " [ 1700000004,40,96],\n [ 1700000003,30,97],\n [ 1700000002,20,98]" DATA_TAIL);
    /* absolute window; points past the stored data are null */
    expect(f, CPU "&after=1700000006&before=1700000009", 200, JSON,
           DATA_HEAD(",\"user\",\"system\"") " [ 1700000009,null,null],\n"
           " [ 1700000008,null,null],\n [ 1700000007,70,93],\n [ 1700000006,60,94]" DATA_TAIL);
    /* after=0: from the oldest point */
    expect_has(f, CPU "&after=0&options=flip", " [\n [ 1700000001,10,99],\n [ 1700000002,");
}

static void test_data_options(void **state)
{
    Fx *f = *state;
    const char *disk = "/host/child1/api/v1/data?chart=disk.root&after=-5";
    char url[256];
    expect(f, disk, 200, JSON, DATA_HEAD(",\"reads\",\"writes\"")
           " [ 1700000007,0,28],\n [ 1700000006,0,24],\n [ 1700000005,0,20],\n"
           " [ 1700000004,0,null],\n [ 1700000003,0,12]" DATA_TAIL);
    snprintf(url, sizeof url, "%s&options=nonzero|null2zero,flip ms", disk);
    expect(f, url, 200, JSON, DATA_HEAD(",\"writes\"")
           " [ 1700000003000,12],\n [ 1700000004000,0],\n [ 1700000005000,20],\n"
           " [ 1700000006000,24],\n [ 1700000007000,28]" DATA_TAIL);
    /* a group with one empty slot averages the others; an all-zero dimension under nonzero
       is kept when every dimension is zero */
    expect(f, "/host/child1/api/v1/data?chart=disk.sda&after=-4&points=2", 200, JSON,
           DATA_HEAD(",\"reads\",\"writes\"") " [ 1700000006,0,22],\n [ 1700000004,0,12]"
           DATA_TAIL);
    expect(f, "/host/child1/api/v1/data?chart=disk.sda&after=-1&dims=reads&options=nonzero",
           200, JSON, DATA_HEAD(",\"reads\"") " [ 1700000007,0]" DATA_TAIL);
    expect(f, CPU "&after=-1&dimensions=system", 200, JSON,
           DATA_HEAD(",\"system\"") " [ 1700000007,93]" DATA_TAIL);
    expect(f, CPU "&after=-1&dim=user&dim=system", 200, JSON,
           DATA_HEAD(",\"user\",\"system\"") " [ 1700000007,70,93]" DATA_TAIL);
    /* a pattern that names the hidden dimension shows it */
    expect(f, CPU "&after=-1&dims=!user|*", 200, JSON,
           DATA_HEAD(",\"system\",\"idle\"") " [ 1700000007,93,5]" DATA_TAIL);
    expect(f, CPU "&after=-1&dimension=id*&options=match-names", 200, JSON,
           DATA_HEAD(",\"idle\"") " [ 1700000007,5]" DATA_TAIL);
    expect(f, CPU "&after=-2&format=csv&options=seconds", 200, TEXT,
           "time,user,system\r\n1700000007,70,93\r\n1700000006,60,94\r\n");
    expect(f, CPU "&after=-1&format=tsv&options=ms|abs", 200, TEXT,
           "time\tuser\tsystem\r\n1700000007000\t70\t93\r\n");
    /* by name, and from the child's GUID */
    expect(f, "/host/" CHILD_GUID "/api/v1/data?chart=system.cpu&after=-1&dims=user", 200, JSON,
           DATA_HEAD(",\"user\"") " [ 1700000007,70]" DATA_TAIL);
}

/* ---- allmetrics ------------------------------------------------------------------------------ */

#define INFO_CHILD \
    "netdata_info{instance=\"child1\",application=\"netdata\",version=\"v1.37.1\"," \
    "role=\"db \\\"primary\\\"\"} 1"
#define CPU_M "netdata_system_cpu_percentage_average{chart=\"system.cpu\",family=\"cpu\",dimension="
#define DISK_M "netdata_disk_io_KiB_persec_average{chart=\"disk.root\",family=\"disk\",dimension="
#define HID_M "netdata_system_hidden_things_average{chart=\"system.hidden\",family=\"hidden\"," \
              "dimension="

static void test_allmetrics(void **state)
{
    Fx *f = *state;
    /* first-scrape window: T0-2 .. T0+7, clamped to the stored T0+1 .. T0+7 */
    expect(f, "/host/child1/api/v1/allmetrics?format=prometheus", 200, HTTP_API_CT_PROMETHEUS,
           INFO_CHILD " 1700000010000\n"
           CPU_M "\"user\"} 40.0000000 1700000007000\n"
           CPU_M "\"system\"} 96.0000000 1700000007000\n"
           CPU_M "\"idle\"} 5.0000000 1700000007000\n"
           DISK_M "\"reads\"} 0.0000000 1700000007000\n"
           DISK_M "\"writes\"} 16.0000000 1700000007000\n"
           HID_M "\"x\"} 1.0000000 1700000007000\n");
    expect(f, "/api/v1/allmetrics?format=prometheus_all_hosts&filter=disk.*&source=sum",
           200, HTTP_API_CT_PROMETHEUS,
           "netdata_info{instance=\"parent\",application=\"netdata\",version=\"v1.37.1\"} 1 "
           "1700000010000\n" INFO_CHILD " 1700000010000\n"
           "netdata_disk_io_KiB_persec_sum{chart=\"disk.root\",family=\"disk\","
           "dimension=\"reads\",instance=\"child1\"} 0.0000000 1700000007000\n"
           "netdata_disk_io_KiB_persec_sum{chart=\"disk.root\",family=\"disk\","
           "dimension=\"writes\",instance=\"child1\"} 96.0000000 1700000007000\n");
    expect(f, "/host/child1/api/v1/allmetrics?format=prometheus&names=no&timestamps=no&"
              "types=yes&filter=*root&prefix=nd", 200, HTTP_API_CT_PROMETHEUS,
           INFO_CHILD "\n# TYPE nd_disk_io_KiB_persec_average gauge\n"
           "nd_disk_io_KiB_persec_average{chart=\"disk.sda\",family=\"disk\",dimension=\"reads\"}"
           " 0.0000000\n# TYPE nd_disk_io_KiB_persec_average gauge\n"
           "nd_disk_io_KiB_persec_average{chart=\"disk.sda\",family=\"disk\","
           "dimension=\"writes\"} 16.0000000\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_format),
        cmocka_unit_test_setup_teardown(test_data_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_options, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_allmetrics, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
