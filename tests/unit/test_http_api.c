/*
** test_http_api.c - cmocka tests for runtime/sbuf.c and the HTTP API (runtime/http_api.c,
** runtime/http_api_data.c): the bounded builder and its escapers, Netdata's number format, and
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

/* ---- a strict JSON checker (RFC 8259, UTF-8 validated) ------------------------------------- */

typedef struct J {
    const char *p, *end;
    int depth;
} J;

static void j_ws(J *j)
{
    while (j->p < j->end && strchr(" \t\r\n", *j->p) && *j->p) {
        j->p++;
    }
}

static int j_value(J *j);

static int j_string(J *j)
{
    if (j->p >= j->end || *j->p != '"') {
        return 0;
    }
    j->p++;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20) {
            return 0;
        }
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end) {
                return 0;
            }
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++) {
                    if (j->p + i >= j->end || !strchr("0123456789abcdefABCDEF", j->p[i])) {
                        return 0;
                    }
                }
                j->p += 5;
            } else if (*j->p && strchr("\"\\/bfnrt", *j->p)) {
                j->p++;
            } else {
                return 0;
            }
        } else {
            size_t k = sbuf_utf8_len((const unsigned char *)j->p, (size_t)(j->end - j->p));
            if (!k) {
                return 0;
            }
            j->p += k;
        }
    }
    return 0;
}

static int j_digits(J *j)
{
    const char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        j->p++;
    }
    return j->p > s;
}

static int j_number(J *j)
{
    if (j->p < j->end && *j->p == '-') {
        j->p++;
    }
    if (j->p < j->end && *j->p == '0') {
        j->p++;
    } else if (!j_digits(j)) {
        return 0;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!j_digits(j)) {
            return 0;
        }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
            j->p++;
        }
        return j_digits(j);
    }
    return 1;
}

static int j_list(J *j, char close, int object)
{
    j->p++;
    j_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 1;
    }
    for (;;) {
        j_ws(j);
        if (object) {
            if (!j_string(j)) {
                return 0;
            }
            j_ws(j);
            if (j->p >= j->end || *j->p++ != ':') {
                return 0;
            }
        }
        if (!j_value(j)) {
            return 0;
        }
        j_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 1;
        }
        return 0;
    }
}

static int j_value(J *j)
{
    j_ws(j);
    if (j->p >= j->end || ++j->depth > 64) {
        return 0;
    }
    int ok;
    size_t left = (size_t)(j->end - j->p);
    if (*j->p == '{' || *j->p == '[') {
        ok = j_list(j, *j->p == '{' ? '}' : ']', *j->p == '{');
    } else if (*j->p == '"') {
        ok = j_string(j);
    } else if (left >= 4 && (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4))) {
        j->p += 4;
        ok = 1;
    } else if (left >= 5 && !strncmp(j->p, "false", 5)) {
        j->p += 5;
        ok = 1;
    } else {
        ok = j_number(j);
    }
    j->depth--;
    return ok;
}

static int json_valid(const char *s, size_t n)
{
    J j = {s, s + n, 0};
    if (!j_value(&j)) {
        return 0;
    }
    j_ws(&j);
    return j.p == j.end;
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
    h->updates = 24;
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
        fail_msg("%s: invalid JSON:\n%s", url, sbuf_str(&f->r.body));
    }
    return sbuf_str(&f->r.body);
}

static void expect(Fx *f, const char *url, int status, const char *ct, const char *body)
{
    const char *got = get(f, url);
    if (f->r.status != status || strcmp(got, body) != 0 || strcmp(f->r.content_type, ct) != 0) {
        fail_msg("%s: got %d [%s]\n%s\nwant %d [%s]\n%s", url, f->r.status, f->r.content_type,
                 got, status, ct, body);
    }
}

static void expect_has(Fx *f, const char *url, const char *part)
{
    const char *got = get(f, url);
    if (f->r.status != 200 || !strstr(got, part)) {
        fail_msg("%s: %d, no\n%s\nin\n%s", url, f->r.status, part, got);
    }
}

#define JSON HTTP_API_CT_JSON
#define TEXT HTTP_API_CT_TEXT
#define HTML HTTP_API_CT_HTML
#define DATA_HEAD(l) "{\n \"labels\": [\"time\"" l "],\n    \"data\":\n [\n"
#define DATA_TAIL "\n]\n}"
#define CPU "/host/child1/api/v1/data?chart=system.cpu"

/* ---- sbuf ----------------------------------------------------------------------------------- */

static void test_sbuf_bound(void **state)
{
    (void)state;
    Sbuf b;
    sbuf_init(&b, 10);
    assert_string_equal(sbuf_str(&b), "");
    sbuf_puts(&b, "12345");
    sbuf_printf(&b, "%d", 678);
    assert_string_equal(sbuf_str(&b), "12345678");
    sbuf_puts(&b, "abc");                          /* 11 > 10: dropped whole */
    assert_true(b.overflow);
    assert_int_equal(b.len, 8);
    sbuf_putc(&b, 'x');                            /* would fit, but overflow is sticky */
    assert_string_equal(sbuf_str(&b), "12345678");
    sbuf_reset(&b);
    assert_false(b.overflow);
    sbuf_puts(&b, "0123456789");                   /* exactly max */
    assert_false(b.overflow);
    assert_int_equal(b.len, 10);
    assert_true(b.cap <= 11);
    sbuf_free(&b);
    sbuf_init(&b, 1000);
    sbuf_printf(&b, "%0500d", 7);                  /* the long printf path */
    assert_int_equal(b.len, 500);
    sbuf_printf(&b, "%0501d", 7);
    assert_true(b.overflow);
    assert_int_equal(b.len, 500);
    sbuf_free(&b);
    sbuf_free(NULL);
}

static void test_json_escape(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } rows[] = {
        {"plain", "\"plain\""},
        {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
        {"\b\f\n\r\t\x01\x1f\x7f", "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\""},
        {"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9", "\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\""},
        {"\xff", "\"\\ufffd\""},
        {"a\xc0\xaf", "\"a\\ufffd\\ufffd\""},               /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},     /* surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},   /* above U+10FFFF */
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},                /* truncated */
        {"\x80x", "\"\\ufffdx\""},                         /* stray continuation */
        {"", "\"\""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        Sbuf b;
        sbuf_init(&b, 1 << 10);
        sbuf_json_str(&b, rows[i].in);
        assert_string_equal(sbuf_str(&b), rows[i].out);
        assert_true(json_valid(b.s, b.len));
        sbuf_free(&b);
    }
    Sbuf b;
    sbuf_init(&b, 100);
    sbuf_html_esc(&b, "<a href='/x'>&\"");
    assert_string_equal(sbuf_str(&b), "&lt;a href=&#x27;&#x2F;x&#x27;&gt;&amp;&quot;");
    sbuf_free(&b);
}

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
