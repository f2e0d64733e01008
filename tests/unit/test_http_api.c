/*
** test_http_api.c - cmocka tests for the HTTP API's routing and metadata bodies
** (runtime/http_api.c, http_api_streamd.c; runtime/sbuf.c has test_sbuf.c): the status, type and
** text of every routing and parameter error, and the bodies of /api/v1/info, /charts and /chart
** for the registry of http_api_testutil.h, fed through rrd.h with fixed clocks; hostile strings
** in every body. Expected texts follow what a real Netdata 1.37.1 parent printed for the same
** requests (shapes, whitespace, error texts). Every 200 JSON body is checked by a small strict
** JSON parser, itself tested here. Values (/data, /allmetrics, the number format):
** test_http_api_data.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_api_testutil.h"

/* ---- the JSON checker of http_api_testutil.h ------------------------------------------------- */

static void test_json_checker(void **state)
{
    (void)state;
    const char *good[] = {"{}", "[]", " {\"a\": [1, -0.5, 2e3, true, false, null, \"\\u00e9\"]} ",
                          "\"\xc3\xa9\"", "0"};
    const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\x01\"", "\"\xff\"",
                         "\"\\x\"", "[1] 2", "nul", "{\"a\":1,}", "\"\\u12\""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(json_valid(good[i], strlen(good[i])));
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (json_valid(bad[i], strlen(bad[i]))) {
            fail_msg("accepted '%s'", bad[i]);
        }
    }
}

/* ---- routing and errors ---------------------------------------------------------------------- */

static void test_errors(void **state)
{
    Fx *f = *state;
    static const struct { const char *url; int status; const char *ct, *body; } rows[] = {
#define NOHOST "This netdata does not maintain a database for host: "
        {"/host/nohost/api/v1/info", 404, HTML, NOHOST "nohost"},
        {"/host/a<b/api/v1/info", 404, HTML, NOHOST "a&lt;b"},
        {"/host/child1/host/parent/api/v1/info", 400, TEXT, "Nesting of hosts is not allowed."},
        {"/api/v2/info", 404, HTML, "Unsupported API version: v2"},
        {"/api", 400, TEXT, "Which API version?"},
        {"/api/", 400, TEXT, "Which API version?"},
        {"/api/v1", 400, TEXT, "Which API v1 command?"},
        {"/api/v1/nothing", 404, TEXT, "Unsupported v1 API command: nothing"},
        {"/api/v1/info/", 404, TEXT, "Unsupported v1 API command: info&#x2F;"},
        {"/nothing", 404, HTML, "File does not exist, or is not accessible: &#x2F;nothing"},
        {"/host/child1/api/v1/chart", 400, TEXT, "No chart id is given at the request."},
        {"/host/child1/api/v1/chart?chart=", 400, TEXT, "No chart id is given at the request."},
        {"/host/child1/api/v1/chart?chart=<b>x", 404, TEXT, "Chart is not found: &lt;b&gt;x"},
        {"/api/v1/chart?chart=system.cpu", 404, TEXT, "Chart is not found: system.cpu"},
        {"/host/child1/api/v1/data", 400, TEXT, "No chart or context is given."},
        {"/host/child1/api/v1/data?chart=nope.x", 404, TEXT, "No metrics where matched to query."},
        {CPU "&dimensions=nope", 404, TEXT, "No metrics where matched to query."},
        {"/host/child1/api/v1/allmetrics?format=shell", 400, TEXT,
         "Which format? 'prometheus' and 'prometheus_all_hosts' are currently supported."},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        expect(f, rows[i].url, rows[i].status, rows[i].ct, rows[i].body);
    }
}

/* ---- info, charts, chart --------------------------------------------------------------------- */

#define MIRRORED \
    "\t\"mirrored_hosts\": [\n\t\t\"parent\",\n\t\t\"child1\"\n\t],\n" \
    "\t\"mirrored_hosts_status\": [\n" \
    "\t\t{ \"guid\": \"" PARENT_GUID "\", \"hostname\": \"parent\", \"reachable\": true, " \
    "\"hops\": 0, \"claim_id\": null, \"node_id\": null },\n" \
    "\t\t{ \"guid\": \"" CHILD_GUID "\", \"hostname\": \"child1\", \"reachable\": true, " \
    "\"hops\": 1, \"claim_id\": null, \"node_id\": null }\n\t],\n" \
    "\t\"alarms\": {\n"

static void test_info(void **state)
{
    Fx *f = *state;
    expect_has(f, "/api/v1/info", "{\n\t\"version\": \"v1.37.1\",\n\t\"uid\": \"" PARENT_GUID
               "\",\n" MIRRORED);
    expect_has(f, "/api/v1/info", "\t\"streamd\": {\n\t\t\"memory_mode\": \"ram\",\n"
               "\t\t\"storage_engine\": \"ram\",\n\t\t\"history\": 3600,\n"
               "\t\t\"update_every\": 1,\n\t\t\"health\": \"auto\",\n"
               "\t\t\"postpone_alarms\": 0,\n\t\t\"proxy_enabled\": false,\n"
               "\t\t\"proxy_destination\": null,\n\t\t\"proxy_api_key\": null,\n"
               "\t\t\"proxy_send_charts\": null,\n\t\t\"sender\": null,\n"
               "\t\t\"receiver\": null\n\t}\n}");
    const char *by_name[] = {"/host/child1/api/v1/info", "/host/" CHILD_GUID "/api/v1/info"};
    for (int i = 0; i < 2; i++) {
        expect_has(f, by_name[i], "\t\"uid\": \"" CHILD_GUID "\",\n" MIRRORED);
        expect_has(f, by_name[i], "\t\"os_name\": \"Debian GNU/Linux\",\n\t\"os_id\": \"\",\n");
        expect_has(f, by_name[i], "\t\"ram_total\": \"\",\n\t\"kernel_name\": \"\",\n");
        expect_has(f, by_name[i], "\t\"container_detection\": \"\",\n"
                   "\t\"cloud_provider_type\": \"unknown\",\n\t\"host_labels\": {\n"
                   "\t\t\"_os_name\":\"Debian\",\n\t\t\"role\":\"db \\\"primary\\\"\"\n\t},\n"
                   "\t\"functions\": {\n\n\t},\n\t\"collectors\": [\n"
                   "\t\t{\n\t\t\t\"plugin\": \"proc.plugin\",\n"
                   "\t\t\t\"module\": \"/proc/stat\"\n\t\t},\n"
                   "\t\t{\n\t\t\t\"plugin\": \"\",\n\t\t\t\"module\": \"\"\n\t\t}\n\t],\n");
        expect_has(f, by_name[i], "\t\"hosts-available\": 2,\n");
        expect_has(f, by_name[i], "\t\"charts-count\": 2,\n\t\"metrics-count\": 5,\n"
                   "\t\"streamd\": {\n\t\t\"memory_mode\": \"ram\",\n"
                   "\t\t\"storage_engine\": \"ram\",\n\t\t\"history\": 7200,\n"
                   "\t\t\"update_every\": 1,\n\t\t\"health\": \"yes\",\n"
                   "\t\t\"postpone_alarms\": 60,\n\t\t\"proxy_enabled\": true,\n"
                   "\t\t\"proxy_destination\": \"10.0.0.1:19999\",\n"
                   "\t\t\"proxy_api_key\": \"99999999-****-****-****-********3333\",\n"
                   "\t\t\"proxy_send_charts\": \"* !apps.*\",\n"
                   "\t\t\"sender\": null,\n"
                   "\t\t\"receiver\": {\n\t\t\t\"connected\": true,\n"
                   "\t\t\t\"connections\": 2,\n\t\t\t\"updates\": 24,\n"
                   "\t\t\t\"capabilities\": 16320,\n\t\t\t\"last_data_age\": 3,\n"
                   "\t\t\t\"connected_since\": 1700000000,\n"
                   "\t\t\t\"disconnected_since\": null\n\t\t}\n\t}\n}");
        assert_null(strstr(sbuf_str(&f->r.body), "container_os_name"));
    }
    f->child->connected = 0;
    expect_has(f, "/api/v1/info", "\"hostname\": \"child1\", \"reachable\": false, \"hops\": 1");
}

#define CPU_CHART \
    "\t\t{\n\t\t\t\"id\": \"system.cpu\",\n\t\t\t\"name\": \"system.cpu\",\n" \
    "\t\t\t\"type\": \"system\",\n\t\t\t\"family\": \"cpu\",\n" \
    "\t\t\t\"context\": \"system.cpu\",\n" \
    "\t\t\t\"title\": \"Total CPU utilization (system.cpu)\",\n\t\t\t\"priority\": 100,\n" \
    "\t\t\t\"plugin\": \"proc.plugin\",\n\t\t\t\"module\": \"/proc/stat\",\n" \
    "\t\t\t\"units\": \"percentage\",\n" \
    "\t\t\t\"data_url\": \"/api/v1/data?chart=system.cpu\",\n" \
    "\t\t\t\"chart_type\": \"stacked\",\n\t\t\t\"duration\": 7,\n" \
    "\t\t\t\"first_entry\": 1700000001,\n\t\t\t\"last_entry\": 1700000007,\n" \
    "\t\t\t\"update_every\": 1,\n\t\t\t\"dimensions\": {\n" \
    "\t\t\t\t\"user\": { \"name\": \"user\" },\n" \
    "\t\t\t\t\"system\": { \"name\": \"system\" }\n\t\t\t},\n" \
    "\t\t\t\"chart_variables\": {\n\t\t\t},\n\t\t\t\"green\": null,\n\t\t\t\"red\": null,\n" \
    "\t\t\t\"alarms\": {\n\n\t\t\t},\n\t\t\t\"chart_labels\": {\n" \
    "\t\t\t\t\"_collect_plugin\":\"proc.plugin\",\n" \
    "\t\t\t\t\"_collect_module\":\"/proc/stat\"\n\t\t\t},\n" \
    "\t\t\t\"functions\": {\n\t\t\t}\n\t\t}"

static void test_charts(void **state)
{
    Fx *f = *state;
    expect(f, "/host/child1/api/v1/chart?chart=system.cpu", 200, JSON, CPU_CHART);
    expect_has(f, "/host/child1/api/v1/chart?chart=disk.root", "\"id\": \"disk.sda\"");
    expect_has(f, "/host/child1/api/v1/chart?chart=system.hidden", "\"name\": \"system.hidden\"");
    expect_has(f, "/host/child1/api/v1/charts",
               "{\n\t\"hostname\": \"child1\",\n\t\"version\": \"v1.37.1\",\n"
               "\t\"release_channel\": \"stable\",\n\t\"os\": \"linux\",\n"
               "\t\"timezone\": \"unknown\",\n\t\"update_every\": 1,\n\t\"history\": 7200,\n"
               "\t\"memory_mode\": \"ram\",\n\t\"custom_info\": \"\",\n\t\"charts\": {\n"
               "\t\t\"system.cpu\": " CPU_CHART ",\n\t\t\"disk.sda\": \t\t{\n");
    const char *b = sbuf_str(&f->r.body);
    assert_null(strstr(b, "system.hidden"));
    assert_non_null(strstr(b, "\"title\": \"Disk I/O (disk.root)\""));
    assert_non_null(strstr(b, "\n\t},\n\t\"charts_count\": 2,\n\t\"dimensions_count\": 4,\n"
                              "\t\"alarms_count\": 0,\n\t\"rrd_memory_bytes\": "));
    assert_non_null(strstr(b, "\t\"hosts_count\": 2,\n\t\"hosts\": [\n\t\t{\n\t\t\t\"hostname\": "
                              "\"parent\"\n\t\t},\n\t\t{\n\t\t\t\"hostname\": \"child1\"\n"
                              "\t\t}\n\t]\n}\n"));
    expect_has(f, "/api/v1/charts", "\t\"charts\": {\n\t},\n\t\"charts_count\": 0,\n");
}

/* ---- hostile strings: every JSON body must still parse --------------------------------------- */

static void test_hostile(void **state)
{
    Fx *f = *state;
    static const char evil[] = "e\"v\\i\nl\x01\xff\xc0\xaf</script>";
    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 60, .update_every = 1,
                         .proxy_api_key = evil, .proxy_destination = evil};
    pthread_mutex_lock(&f->db->lock);
    RrdHost *h = rrd_host_create(f->db, "bbbbbbbb-0000-0000-0000-000000000001", evil, &cfg);
    pthread_mutex_unlock(&f->db->lock);
    assert_non_null(h);
    rrd_labels_set(&h->labels, evil, evil, 2);
    rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_OS_NAME", evil, 0);
    RrdChart *c = chart(h, (RrdChartDef){.id = "e.v", .title = evil, .units = evil,
        .family = evil, .context = evil, .plugin = evil, .module = evil, .update_every = 1});
    rrd_labels_set(&c->labels, evil, evil, 1);
    RrdDimDef dd = {.id = evil, .name = evil};
    const char *why;
    RrdDim *d = rrd_dim_upsert(h, c, &dd, &why);
    assert_non_null(d);
    for (int k = 0; k < 3; k++) {
        rrd_chart_begin(c, k ? 1000000 : 0);
        rrd_dim_set(d, -k);
        rrd_chart_end(h, c, (uint64_t)(T0 + k) * 1000000u + 500000u);
    }
    const char *urls[] = {
        "/api/v1/info", "/api/v1/charts", "/host/bbbbbbbb-0000-0000-0000-000000000001/api/v1/info",
        "/host/bbbbbbbb-0000-0000-0000-000000000001/api/v1/charts",
        "/host/bbbbbbbb-0000-0000-0000-000000000001/api/v1/chart?chart=e.v",
        ("/host/bbbbbbbb-0000-0000-0000-000000000001/api/v1/data?chart=e.v&after=-2&"
         "before=1700000002"),
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        get(f, urls[i]);                            /* get() checks the JSON */
        if (f->r.status != 200) {
            fail_msg("%s: %d %s", urls[i], f->r.status, sbuf_str(&f->r.body));
        }
    }
    assert_non_null(strstr(sbuf_str(&f->r.body), " [ 1700000002,-2],\n [ 1700000001,-1]"));
    get(f, "/api/v1/allmetrics?format=prometheus_all_hosts");
    assert_non_null(strstr(sbuf_str(&f->r.body),
        "netdata_info{instance=\"e\\\"v\\\\i\\nl\x01\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
        "</script>\",application=\"netdata\",version=\"v1.37.1\",e_v_i_l______script_=\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_checker),
        cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_info, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_charts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
