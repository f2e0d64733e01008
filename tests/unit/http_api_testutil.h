/*
** http_api_testutil.h - what test_http_api.c (routing, error texts, the info/charts/chart bodies,
** hostile strings) and test_http_api_data.c (the number format, /data and /allmetrics values)
** share: a strict JSON checker (RFC 8259 grammar, UTF-8 validated), the fixture (a parent
** registry holding child1 with three charts collected at fixed clocks), and GET helpers that
** compare a response with the text a real Netdata 1.37.1 parent printed. Every 200 JSON body a
** helper fetches must pass the checker. cmocka code for those two tests only, so everything is
** static inline: each test compiles what it uses.
*/
#ifndef STREAMC_HTTP_API_TESTUTIL_H
#define STREAMC_HTTP_API_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static inline int j_peek(const J *j, const char *set)
{
    return j->p < j->end && *j->p && strchr(set, *j->p);
}

static inline void j_ws(J *j)
{
    while (j_peek(j, " \t\r\n")) {
        j->p++;
    }
}

static inline int j_digits(J *j)
{
    const char *s = j->p;
    while (j_peek(j, "0123456789")) {
        j->p++;
    }
    return j->p > s;
}

static inline int j_string(J *j)
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

static inline int j_value(J *j)
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

static inline int json_valid(const char *s, size_t n)
{
    J j = {s, s + n, 0};
    int ok = j_value(&j);
    j_ws(&j);
    return ok && j.p == j.end;
}

/* ---- fixture -------------------------------------------------------------------------------- */

typedef struct Fx {
    RrdDb *db;
    RrdHost *child;
    HttpApiResponse r;
} Fx;

static inline RrdChart *chart(RrdHost *h, RrdChartDef def)
{
    const char *why = NULL;
    RrdChart *c = rrd_chart_upsert(h, &def, &why);
    assert_non_null(c);
    return c;
}

static inline RrdDim *dim(RrdHost *h, RrdChart *c, const char *id, const char *options)
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
static inline int fx_setup(void **state)
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

static inline int fx_teardown(void **state)
{
    Fx *f = *state;
    http_api_response_free(&f->r);
    rrd_db_free(f->db);
    free(f);
    return 0;
}

/* GET URL ("path?a=b&c=d", no decoding needed) at NOW; the body stays in f->r. A 200 JSON body
   must parse. */
static inline const char *get(Fx *f, const char *url)
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
static inline void check(Fx *f, const char *url, int status, const char *ct, const char *want,
                         int whole)
{
    const char *got = get(f, url);
    if (f->r.status != status || strcmp(f->r.content_type, ct) != 0 ||
        (whole ? strcmp(got, want) != 0 : !strstr(got, want))) {
        fprintf(stderr, "%s: got %d [%s]\n%s\nwant %d [%s] %s\n%s\n", url, f->r.status,
                f->r.content_type, got, status, ct, whole ? "" : "containing", want);
        fail_msg("%s: unexpected response", url);       /* cmocka cuts long messages */
    }
}

/* Shorthands both tests write their expectations with; CPU is child1's system.cpu /data URL,
   to which a test appends its parameters. */
#define expect(f, url, status, ct, body) check(f, url, status, ct, body, 1)
#define expect_has(f, url, part) check(f, url, 200, HTTP_API_CT_JSON, part, 0)
#define JSON HTTP_API_CT_JSON
#define TEXT HTTP_API_CT_TEXT
#define HTML HTTP_API_CT_HTML
#define CPU "/host/child1/api/v1/data?chart=system.cpu"

#endif
