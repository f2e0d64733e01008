/*
** test_http_api.c - cmocka tests for the HTTP API (runtime/http_api.c, http_api_data.c,
** http_api_prom.c; runtime/sbuf.c has test_sbuf.c): Netdata's number format and
** the bodies of /api/v1/info, /charts, /chart, /data and /allmetrics for a registry fed through
** rrd.h with fixed clocks. Expected texts follow what a real Netdata 1.37.1 parent printed for
** the same requests (shapes, whitespace, error texts); values are worked out by hand from
** rrd_collect.c's rules (an absolute dimension collected at T+0.5 s stores its raw value at T).
** Every 200 JSON body is checked by a small strict JSON parser.
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

#include "http_api.h"
#include "policy_format.h"
#include "sbuf.h"

#define T0 1700000000LL
#define NOW (T0 + 10)
#define CHILD_GUID "aaaaaaaa-bbbb-cccc-dddd-000000000001"
#define PARENT_GUID "11111111-2222-3333-4444-555555555555"

/* ---- a strict JSON checker (RFC 8259 grammar, UTF-8 validated) ---------------------------- */

typedef struct J {
    const char *p, *end;
    int depth;
} J;

static int j_peek(const J *j, const char *set)
{
    return j->p < j->end && *j->p && strchr(set, *j->p);
}

static void j_ws(J *j)
{
    while (j_peek(j, " \t\r\n")) {
        j->p++;
    }
}

static int j_digits(J *j)
{
    const char *s = j->p;
    while (j_peek(j, "0123456789")) {
        j->p++;
    }
    return j->p > s;
}

static int j_string(J *j)
{
    if (!j_peek(j, "\"")) {
        return 0;
    }
    for (j->p++; j->p < j->end;) {
        unsigned char c = (unsigned char)*j->p;
        size_t k = sbuf_utf8_len((const unsigned char *)j->p, (size_t)(j->end - j->p));
        if (c == '"') {
            j->p++;
            return 1;
        } else if (c == '\\') {
            j->p++;
            int u = j_peek(j, "u");
            if (!u && !j_peek(j, "\"\\/bfnrt")) {
                return 0;
            }
            for (int i = 0, n = u ? 4 : 0; j->p++, i < n; i++) {
                if (!j_peek(j, "0123456789abcdefABCDEF")) {
                    return 0;
                }
            }
        } else if (c < 0x20 || !k) {
            return 0;
        } else {
            j->p += k;
        }
    }
    return 0;
}

static int j_value(J *j)
{
    j_ws(j);
    if (j->p >= j->end || j->depth > 64) {
        return 0;
    }
    size_t left = (size_t)(j->end - j->p);
    int obj = *j->p == '{';
    if (obj || *j->p == '[') {
        char close = obj ? '}' : ']';
        j->depth++;
        j->p++;
        j_ws(j);
        int first = 1;
        while (!j_peek(j, obj ? "}" : "]")) {
            if (!first && !(j_peek(j, ",") && j->p++)) {
                return 0;
            }
            first = 0;
            j_ws(j);
            if (obj && (!j_string(j) || (j_ws(j), !j_peek(j, ":")) || !j->p++)) {
                return 0;
            }
            if (!j_value(j)) {
                return 0;
            }
            j_ws(j);
        }
        j->depth--;
        return *j->p++ == close;
    }
    if (*j->p == '"') {
        return j_string(j);
    }
    const char *words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (left >= n && strncmp(j->p, words[i], n) == 0) {
            j->p += n;
            return 1;
        }
    }
    j->p += j_peek(j, "-");
    if (!(j_peek(j, "0") && j->p++) && !j_digits(j)) {
        return 0;
    }
    if (j_peek(j, ".") && (j->p++, !j_digits(j))) {
        return 0;
    }
    if (j_peek(j, "eE")) {
        j->p++;
        j->p += j_peek(j, "+-");
        return j_digits(j);
    }
    return 1;
}

static int json_valid(const char *s, size_t n)
{
    J j = {s, s + n, 0};
    int ok = j_value(&j);
    j_ws(&j);
    return ok && j.p == j.end;
}

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

/* ---- fixture -------------------------------------------------------------------------------- */

typedef struct Fx {
    RrdDb *db;
    RrdHost *child;
    HttpApiResponse r;
} Fx;

static RrdChart *chart(RrdHost *h, RrdChartDef def)
{
    const char *why = NULL;
    RrdChart *c = rrd_chart_upsert(h, &def, &why);
    assert_non_null(c);
    return c;
}

static RrdDim *dim(RrdHost *h, RrdChart *c, const char *id, const char *options)
{
    const char *why = NULL;
    RrdDimDef def = {.id = id, .algorithm = "absolute", .options = options};
    RrdDim *d = rrd_dim_upsert(h, c, &def, &why);
    assert_non_null(d);
    return d;
}

/* parent (localhost) and child1 with three charts collected at T0+k+0.5 s, k = 0..7; stored:
   system.cpu user 10k, system 100-k, idle 5 (hidden); disk.sda "root" reads 0, writes 4k with
   no SET at k=4; system.hidden x 1 - each at T0+1..T0+7. */
static int fx_setup(void **state)
{
    Fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    RrdHostConfig local = {.memory_mode = POLICY_MODE_RAM, .history = 3600, .health = 2,
                           .update_every = 1};
    RrdHostConfig ccfg = {.memory_mode = POLICY_MODE_RAM, .history = 7200, .health = 1,
                          .postpone_alarms = 60, .proxy_enabled = 1,
                          .proxy_destination = "10.0.0.1:19999",
                          .proxy_api_key = "99999999-8888-7777-6666-555544443333",
                          .proxy_send_charts = "* !apps.*", .update_every = 1};
    f->db = rrd_db_new("parent", PARENT_GUID, &local, NULL);
    assert_non_null(f->db);
    RrdHost *h = f->child = rrd_host_create(f->db, CHILD_GUID, "child1", &ccfg);
    assert_non_null(h);
    h->connected = 1;
    h->hops = 1;
    h->connections = 2;
    h->capabilities = 16320;
    h->last_data_s = NOW - 3;
    h->connected_since_s = T0;
    assert_int_equal(rrd_labels_set(&h->labels, "_os_name", "Debian", 1), 0);
    assert_int_equal(rrd_labels_set(&h->labels, "role", "db \"primary\"", 2), 0);
    rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_OS_NAME", "Debian GNU/Linux", 0);
    rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT", "2", 0);
    rrd_labels_set(&h->system_info, "NETDATA_INSTANCE_CLOUD_TYPE", "unknown", 0);

    RrdChart *cpu = chart(h, (RrdChartDef){.id = "system.cpu", .title = "Total CPU utilization",
        .units = "percentage", .family = "cpu", .context = "system.cpu", .chart_type = "stacked",
        .priority = 100, .update_every = 1, .plugin = "proc.plugin", .module = "/proc/stat"});
    rrd_labels_set(&cpu->labels, "_collect_plugin", "proc.plugin", 1);
    rrd_labels_set(&cpu->labels, "_collect_module", "/proc/stat", 1);
    RrdDim *user = dim(h, cpu, "user", NULL), *sys = dim(h, cpu, "system", NULL);
    RrdDim *idle = dim(h, cpu, "idle", "hidden");
    RrdChart *disk = chart(h, (RrdChartDef){.id = "disk.sda", .name = "root", .title = "Disk I/O",
        .units = "KiB/s", .family = "disk", .context = "disk.io", .chart_type = "line",
        .priority = 2000, .update_every = 1});
    RrdDim *reads = dim(h, disk, "reads", NULL), *writes = dim(h, disk, "writes", NULL);
    RrdChart *hid = chart(h, (RrdChartDef){.id = "system.hidden", .title = "Hidden",
        .units = "things", .family = "hidden", .chart_type = "line", .update_every = 1,
        .options = "hidden"});
    RrdDim *x = dim(h, hid, "x", NULL);
    for (int k = 0; k < 8; k++) {
        uint64_t now_ut = (uint64_t)(T0 + k) * 1000000u + 500000u;
        rrd_chart_begin(cpu, k ? 1000000 : 0);
        rrd_dim_set(user, 10 * k);
        rrd_dim_set(sys, 100 - k);
        rrd_dim_set(idle, 5);
        rrd_chart_end(h, cpu, now_ut);
        rrd_chart_begin(disk, k ? 1000000 : 0);
        rrd_dim_set(reads, 0);
        if (k != 4) {
            rrd_dim_set(writes, 4 * k);
        }
        rrd_chart_end(h, disk, now_ut);
        rrd_chart_begin(hid, k ? 1000000 : 0);
        rrd_dim_set(x, 1);
        rrd_chart_end(h, hid, now_ut);
    }
    h->updates = 24;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    Fx *f = *state;
    http_api_response_free(&f->r);
    rrd_db_free(f->db);
    free(f);
    return 0;
}

/* GET URL ("path?a=b&c=d", no decoding needed) at NOW; the body stays in f->r. A 200 JSON body
   must parse. */
static const char *get(Fx *f, const char *url)
{
    HttpRequest *req = calloc(1, sizeof *req);
    assert_non_null(req);
    char *s = req->scratch;
    snprintf(s, sizeof req->scratch, "%s", url);
    char *q = strchr(s, '?');
    req->method = HTTP_M_GET;
    req->path = s;
    req->query = "";
    if (q) {
        *q++ = '\0';
        for (char *tok = strtok(q, "&"); tok && req->nparams < HTTP_MAX_PARAMS;
             tok = strtok(NULL, "&")) {
            char *eq = strchr(tok, '=');
            if (eq) {
                *eq = '\0';
            }
            req->params[req->nparams].name = tok;
            req->params[req->nparams++].value = eq ? eq + 1 : "";
        }
    }
    http_api_response_free(&f->r);
    http_api_handle(f->db, req, NOW, &f->r);
    free(req);
    assert_int_equal(f->r.body.len, strlen(sbuf_str(&f->r.body)));
    if (f->r.status == 200 && strcmp(f->r.content_type, HTTP_API_CT_JSON) == 0 &&
        !json_valid(sbuf_str(&f->r.body), f->r.body.len)) {
        fprintf(stderr, "%s: invalid JSON:\n%s\n", url, sbuf_str(&f->r.body));
        fail_msg("%s: invalid JSON", url);
    }
    return sbuf_str(&f->r.body);
}

/* GET URL and compare: the whole body with WANT (WHOLE) or look for WANT in a 200 body. */
static void check(Fx *f, const char *url, int status, const char *ct, const char *want, int whole)
{
    const char *got = get(f, url);
    if (f->r.status != status || strcmp(f->r.content_type, ct) != 0 ||
        (whole ? strcmp(got, want) != 0 : !strstr(got, want))) {
        fprintf(stderr, "%s: got %d [%s]\n%s\nwant %d [%s] %s\n%s\n", url, f->r.status,
                f->r.content_type, got, status, ct, whole ? "" : "containing", want);
        fail_msg("%s: unexpected response", url);       /* cmocka cuts long messages */
    }
}

#define expect(f, url, status, ct, body) check(f, url, status, ct, body, 1)
#define expect_has(f, url, part) check(f, url, 200, HTTP_API_CT_JSON, part, 0)
#define JSON HTTP_API_CT_JSON
#define TEXT HTTP_API_CT_TEXT
#define HTML HTTP_API_CT_HTML
#define DATA_HEAD(l) "{\n \"labels\": [\"time\"" l "],\n    \"data\":\n [\n"
#define DATA_TAIL "\n]\n}"
#define CPU "/host/child1/api/v1/data?chart=system.cpu"

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
        cmocka_unit_test(test_number_format),
        cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_info, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_charts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_options, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_allmetrics, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hostile, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
