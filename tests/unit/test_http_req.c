/*
** test_http_req.c - cmocka tests for runtime/http_req.c (reading the request) and
** runtime/http_resp.c (response headers and error pages) against stream-protocol §2.1, §2.2a and
** the bytes a real Netdata 1.37.1 parent sent back to the same requests (lab, recorded below
** with the dynamic Date/Expires pinned). Inputs are exact-size heap copies without a NUL, so a
** sanitizer build catches any read past the request.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_req.h"
#include "testutil.h"

static HttpRequest req;     /* 40 KiB: not on the stack */

/* Frame and parse S the way streamd does with one read holding all of S. */
static HttpRequest *parse_n(const char *s, size_t n)
{
    char *p = testutil_dup_exact(s, n);
    long h = http_req_header_len(p, n);
    assert_true(h > 0);
    http_req_parse(&req, p, (size_t)h, n - (size_t)h);
    /* every pointer must live in scratch (the copy is freed next) */
    free(p);
    return &req;
}

static HttpRequest *parse(const char *s)
{
    return parse_n(s, strlen(s));
}

static HttpRequest *stream(const char *query)
{
    static char buf[20000];
    snprintf(buf, sizeof(buf), "STREAM %s HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\n"
             "Accept: */*\r\n\r\n", query);
    return parse(buf);
}

static void assert_ok(const HttpRequest *r)
{
    if (r->bad) {
        fail_msg("unexpected 400 '%s' (hang %d)", r->bad_body, r->hang);
    }
}

static void assert_bad(const HttpRequest *r, const char *body, int hang)
{
    assert_true(r->bad);
    assert_int_equal(r->bad_status, 400);
    assert_string_equal(r->bad_body, body);
    assert_int_equal(r->hang, hang);
}

/* ---- framing ----------------------------------------------------------------------------- */

static long hlen(const char *s)
{
    size_t n = strlen(s);
    char *p = testutil_dup_exact(s, n);
    long h = http_req_header_len(p, n);
    free(p);
    return h;
}

static void test_header_len(void **state)
{
    (void)state;
    assert_int_equal(hlen(""), 0);
    assert_int_equal(hlen("STREAM a=b HTTP/1.1\r\n"), 0);
    assert_int_equal(hlen("STREAM a=b HTTP/1.1\r\n\r"), 0);
    assert_int_equal(hlen("STREAM a=b HTTP/1.1\n\n"), 0);            /* bare LF never ends it */
    assert_int_equal(hlen("STREAM a=b HTTP/1.1\r\n\r\n"), 23);
    assert_int_equal(hlen("STREAM a=b HTTP/1.1\r\n\r\nBEGIN x\n"), 23);
    assert_int_equal(hlen("\r\n\r\n"), 4);

    /* Netdata's first read is 16383 bytes: that is the longest request it ever parses */
    char *big = malloc(HTTP_MAX_REQUEST + 100);
    memset(big, 'a', HTTP_MAX_REQUEST + 100);
    assert_int_equal(http_req_header_len(big, HTTP_MAX_REQUEST - 2), 0);
    assert_int_equal(http_req_header_len(big, HTTP_MAX_REQUEST - 1), -1);
    assert_int_equal(http_req_header_len(big, HTTP_MAX_REQUEST + 100), -1);
    memcpy(big + HTTP_MAX_REQUEST - 5, "\r\n\r\n", 4);
    assert_int_equal(http_req_header_len(big, HTTP_MAX_REQUEST + 100), HTTP_MAX_REQUEST - 1);
    memcpy(big + HTTP_MAX_REQUEST - 5, "aa\r\n\r\n", 6);
    assert_int_equal(http_req_header_len(big, HTTP_MAX_REQUEST + 100), -1);
    free(big);
}

static void test_early_bad(void **state)
{
    (void)state;
    assert_false(http_req_early_bad("STREAM ", 7));
    assert_false(http_req_early_bad("GET /x", 6));
    assert_false(http_req_early_bad("OPTIONS /", 9));
    assert_true(http_req_early_bad("G", 1));            /* lab: "G" then "ET ..." got the 400 */
    assert_true(http_req_early_bad("STREAM", 6));
    assert_true(http_req_early_bad("stream key=a", 12));
    assert_true(http_req_early_bad("ST\0REAM ", 8));
    assert_false(http_req_early_bad("", 0));                /* nothing read yet */
}

/* ---- the §9.1 request -------------------------------------------------------------------- */

static const char spec91[] =
    "STREAM key=11111111-2222-3333-4444-555555555555&hostname=child-01&registry_hostname=child-01"
    "&machine_guid=3f2a9c1e-5b7d-4e8f-9a01-23456789abcd&update_every=1&os=linux&timezone=Europe/Athens"
    "&abbrev_timezone=EET&utc_offset=7200&hops=1&ml_capable=1&ml_enabled=1&mc_version=1&tags=&ver=16376"
    "&NETDATA_INSTANCE_CLOUD_TYPE=unknown&NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE=unknown"
    "&NETDATA_INSTANCE_CLOUD_INSTANCE_REGION=unknown&NETDATA_SYSTEM_OS_NAME=Debian+GNU%2fLinux"
    "&NETDATA_SYSTEM_OS_ID=debian&NETDATA_SYSTEM_OS_ID_LIKE=unknown&NETDATA_SYSTEM_OS_VERSION=12+%28bookworm%29"
    "&NETDATA_SYSTEM_OS_VERSION_ID=12&NETDATA_SYSTEM_OS_DETECTION=/etc/os-release&NETDATA_HOST_IS_K8S_NODE=false"
    "&NETDATA_SYSTEM_KERNEL_NAME=Linux&NETDATA_SYSTEM_KERNEL_VERSION=6.1.0-18-amd64&NETDATA_SYSTEM_ARCHITECTURE=x86_64"
    "&NETDATA_SYSTEM_VIRTUALIZATION=kvm&NETDATA_SYSTEM_VIRT_DETECTION=systemd-detect-virt"
    "&NETDATA_SYSTEM_CONTAINER=none&NETDATA_SYSTEM_CONTAINER_DETECTION=systemd-detect-virt"
    "&NETDATA_CONTAINER_OS_NAME=none&NETDATA_CONTAINER_OS_ID=none&NETDATA_CONTAINER_OS_ID_LIKE=none"
    "&NETDATA_CONTAINER_OS_VERSION=none&NETDATA_CONTAINER_OS_VERSION_ID=none&NETDATA_CONTAINER_OS_DETECTION=none"
    "&NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=4&NETDATA_SYSTEM_CPU_FREQ=2400000000&NETDATA_SYSTEM_TOTAL_RAM=8589934592"
    "&NETDATA_SYSTEM_TOTAL_DISK_SIZE=107374182400&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
    "User-Agent: netdata/v1.37.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

static void test_spec_request(void **state)
{
    (void)state;
    assert_int_equal(sizeof(spec91) - 1, 1391);
    HttpRequest *r = parse(spec91);
    assert_ok(r);
    assert_int_equal(r->method, HTTP_M_STREAM);
    assert_string_equal(r->key, "11111111-2222-3333-4444-555555555555");
    assert_string_equal(r->hostname, "child-01");
    assert_string_equal(r->registry_hostname, "child-01");
    assert_string_equal(r->machine_guid, "3f2a9c1e-5b7d-4e8f-9a01-23456789abcd");
    assert_string_equal(r->os, "linux");
    assert_string_equal(r->timezone, "Europe/Athens");
    assert_string_equal(r->abbrev_timezone, "EET");
    assert_null(r->tags);                                   /* "tags=" is skipped */
    assert_string_equal(r->ver, "16376");
    assert_int_equal(r->update_every, 1);
    assert_true(r->update_every_set);
    assert_int_equal(r->utc_offset, 7200);
    assert_int_equal(r->hops, 1);
    assert_int_equal(r->ml_capable, 1);
    assert_int_equal(r->ml_enabled, 1);
    assert_int_equal(r->mc_version, 1);
    assert_string_equal(r->user_agent, "netdata/v1.37.1");
    assert_false(r->keep_alive);
    assert_null(r->host);
    assert_int_equal(r->nparams, 42);                       /* 43 sent, tags= empty */
    assert_int_equal(r->params_dropped, 0);
    assert_int_equal(r->nunused, 0);
    assert_string_equal(http_req_param(r, "NETDATA_SYSTEM_OS_NAME"), "Debian GNU/Linux");
    assert_string_equal(http_req_param(r, "NETDATA_SYSTEM_OS_VERSION"), "12 (bookworm)");
    assert_string_equal(http_req_param(r, "NETDATA_SYSTEM_OS_DETECTION"), "/etc/os-release");
    assert_string_equal(http_req_param(r, "NETDATA_PROTOCOL_VERSION"), "1.1");
    assert_null(http_req_param(r, "tags"));
    assert_string_equal(r->params[0].name, "key");
    assert_string_equal(r->params[41].name, "NETDATA_PROTOCOL_VERSION");
}

static void test_defaults(void **state)
{
    (void)state;
    HttpRequest *r = stream("key=k");
    assert_ok(r);
    assert_string_equal(r->key, "k");
    assert_null(r->hostname);
    assert_null(r->machine_guid);
    assert_null(r->os);
    assert_null(r->ver);
    assert_int_equal(r->update_every, 1);
    assert_false(r->update_every_set);
    assert_int_equal(r->utc_offset, 0);
    assert_int_equal(r->hops, 1);
    assert_int_equal(r->ml_capable, 0);
    assert_int_equal(r->mc_version, 0);
}

/* strtoul/strtol base 0 and the casts of rrdpush_receiver_thread_spawn */
static void test_numbers(void **state)
{
    (void)state;
    HttpRequest *r = stream("update_every=0x10&utc_offset=-3600&hops=70000&ml_capable=2"
                            "&ml_enabled=0&mc_version=010");
    assert_int_equal(r->update_every, 16);
    assert_int_equal(r->utc_offset, -3600);
    assert_int_equal(r->hops, 70000 - 65536);               /* uint16_t */
    assert_int_equal(r->ml_capable, 1);                     /* bool */
    assert_int_equal(r->ml_enabled, 0);
    assert_int_equal(r->mc_version, 8);                     /* octal */
    r = stream("update_every=abc&hops=-1&utc_offset=4294967296");
    assert_int_equal(r->update_every, 0);
    assert_true(r->update_every_set);
    assert_int_equal(r->hops, 65535);
    assert_int_equal(r->utc_offset, 0);                     /* int32_t */
}

/* ---- decoding and splitting -------------------------------------------------------------- */

static void test_plus_percent(void **state)
{
    (void)state;
    HttpRequest *r = stream("hostname=a+b%20c%2fd%2B");
    assert_ok(r);
    assert_string_equal(r->hostname, "a b c/d+");
    /* the whole query is decoded first, then split: %26 splits, %3D separates */
    r = stream("hostname=a%26key%3Dsecret&os=x");
    assert_string_equal(r->hostname, "a");
    assert_string_equal(r->key, "secret");
    assert_string_equal(r->os, "x");
    /* '=' inside values; empty names and values skipped; leading '=' skipped (lab) */
    r = stream("=t1=v&t2==w&&t3&=&t4=x=y&hostname=&=");
    assert_ok(r);
    assert_int_equal(r->nparams, 3);
    assert_string_equal(http_req_param(r, "t1"), "v");
    assert_string_equal(http_req_param(r, "t2"), "=w");
    assert_string_equal(http_req_param(r, "t4"), "x=y");
    assert_null(http_req_param(r, "t3"));
    assert_null(r->hostname);
    /* repeated name: last wins, for the fields and for lookups */
    r = stream("hostname=a&key=k1&hostname=b&key=&key=k3");
    assert_string_equal(r->hostname, "b");
    assert_string_equal(http_req_param(r, "hostname"), "b");
    assert_string_equal(r->key, "k3");
    assert_int_equal(r->nparams, 4);
    /* a space inside the query is kept (lab: 't13' = 'a b') */
    r = stream("hostname=a b");
    assert_string_equal(r->hostname, "a b");
}

/* Each row was sent to the real 1.37.1 parent as "STREAM tNNN=<raw> HTTP/1.1" and read back
   from its "request has parameter ... which is not used" log line, or got the 400 page. */
static const struct {
    const char *raw, *decoded;  /* NULL decoded: 400 "URL not valid" */
} decode_rows[] = {
    {"bad%zzhost", "bad3host"}, {"a%", NULL}, {"a%4", NULL}, {"x%41", "xA"},
    {"%C3%A9", "\xc3\xa9"}, {"%C3xA9", "\xc3\xa9"}, {"%c3%a9", "\xc3\xa9"},
    {"%E2%82%AC", "\xe2\x82\xac"}, {"%ZZ", "3"}, {"%g1", NULL}, {"%1g", NULL}, {"%20x", " x"},
    {"%7F", NULL}, {"%7f", NULL}, {"%80", NULL}, {"%C0%80", NULL}, {"%F4%90%80%80", NULL},
    {"%ED%A0%80", NULL}, {"\xc3\xa9", "\xc3\xa9"}, {"\xc3", NULL}, {"a\tb", "a\tb"},
    {"a\x01" "b", "a\x01" "b"}, {"%3D%3d", "=="}, {"%2B+", "+ "}, {"%zz%zz", "33"},
    {"%-1", "a"}, {"%+1", "A"}, {"%\xc3\xa9", NULL}, {"%C3%%A9", NULL}, {"%EF%BF%BE", NULL},
    {"%C3", NULL}, {"%0A", NULL}, {"%00", NULL}, {"%C3%28", NULL}, {"a\xff", NULL},
};

static void test_decode_lab(void **state)
{
    (void)state;
    char q[64];
    for (size_t i = 0; i < sizeof(decode_rows) / sizeof(decode_rows[0]); i++) {
        snprintf(q, sizeof(q), "t=%s", decode_rows[i].raw);
        HttpRequest *r = stream(q);
        if (!decode_rows[i].decoded) {
            if (!r->bad) {
                fail_msg("'%s' decoded, expected 400", testutil_esc(q, strlen(q)));
            }
            assert_bad(r, HTTP_BODY_URL_INVALID, 0);
            assert_int_equal(r->method, HTTP_M_STREAM);
            continue;
        }
        assert_ok(r);
        const char *v = http_req_param(r, "t");
        assert_non_null(v);
        if (strcmp(v, decode_rows[i].decoded) != 0) {
            fail_msg("'%s' -> '%s', want '%s'", testutil_esc(q, strlen(q)),
                     testutil_esc(v, strlen(v)),
                     testutil_esc(decode_rows[i].decoded, strlen(decode_rows[i].decoded)));
        }
    }
}

/* The decoded URL buffer holds 8192 bytes: longer text is cut silently; a UTF-8 sequence that
   would end at the last byte is a 400 (lab: t16 with the sequence at 8190 -> 400). */
static void test_decode_limits(void **state)
{
    (void)state;
    static char q[16000];
    memset(q, 0, sizeof(q));
    memcpy(q, "t14=", 4);
    memset(q + 4, 'a', 9000);
    HttpRequest *r = stream(q);
    assert_ok(r);
    assert_int_equal(strlen(http_req_param(r, "t14")), 8188);
    memset(q, 0, sizeof(q));
    memcpy(q, "t16=", 4);
    memset(q + 4, 'a', 8186);
    strcat(q, "%C3%A9");
    assert_bad(stream(q), HTTP_BODY_URL_INVALID, 0);
    q[4 + 8185] = '\0';
    strcat(q, "%C3%A9");
    r = stream(q);
    assert_ok(r);
    assert_int_equal(strlen(http_req_param(r, "t16")), 8187);
}

static void test_unused(void **state)
{
    (void)state;
    HttpRequest *r = stream("zzz=1&NETDATA_SYSTEM_CPU_MODEL=x&NETDATA_HOST_OS_NAME=y&yyy=2"
                            "&NETDATA_SYSTEM_OS_NAME=z&key=k");
    assert_int_equal(r->nunused, 2);
    assert_string_equal(r->unused[0], "zzz");
    assert_string_equal(r->unused[1], "yyy");
    static char q[4000];
    q[0] = '\0';
    for (int i = 0; i < 70; i++) {
        snprintf(q + strlen(q), sizeof(q) - strlen(q), "u%d=%d&", i, i);
    }
    strcat(q, "key=last");
    r = stream(q);
    assert_int_equal(r->nunused, HTTP_MAX_UNUSED);
    assert_int_equal(r->nparams, HTTP_MAX_PARAMS);
    assert_int_equal(r->params_dropped, 7);
    assert_string_equal(r->key, "last");                    /* fields see every pair */
}

/* ---- methods, framing errors ------------------------------------------------------------- */

static void test_methods(void **state)
{
    (void)state;
    HttpRequest *r = parse("GET /stream?key=1&hostname=x HTTP/1.1\r\n\r\n");
    assert_ok(r);
    assert_int_equal(r->method, HTTP_M_GET);
    assert_string_equal(r->path, "/stream");
    assert_null(r->key);
    assert_bad(parse("stream key=a HTTP/1.1\r\n\r\n"), HTTP_BODY_NOT_UNDERSTOOD, 0);
    assert_int_equal(req.method, HTTP_M_OTHER);
    assert_bad(parse("FOO / HTTP/1.1\r\n\r\n"), HTTP_BODY_NOT_UNDERSTOOD, 0);
    assert_bad(parse("STREAM\tkey=a HTTP/1.1\r\n\r\n"), HTTP_BODY_NOT_UNDERSTOOD, 0);
    assert_bad(parse("POST / HTTP/1.1\r\n\r\n"), HTTP_BODY_NOT_UNDERSTOOD, 0);
    r = parse("OPTIONS /api/v1/info HTTP/1.1\r\n\r\n");
    assert_ok(r);
    assert_int_equal(r->method, HTTP_M_OPTIONS);
    assert_string_equal(r->path, "/api/v1/info");
    /* the query runs to the first " HTTP/" even across lines (lab: t11 = "a\r\nX: b") */
    r = parse("STREAM t=a\r\nX: b HTTP/1.1\r\n\r\n");
    assert_ok(r);
    assert_string_equal(http_req_param(r, "t"), "a\r\nX: b");
    r = parse("STREAM t=a HTTP/zz\r\n\r\n");                /* version not checked */
    assert_ok(r);
}

static void test_never_answered(void **state)
{
    (void)state;
    /* lab: each of these got no reply (only an echo, then the test's timeout) */
    assert_bad(parse("STREAM t7=v\r\n\r\n"), HTTP_BODY_NOT_UNDERSTOOD, 1);
    assert_bad(parse("STREAM t5=v HTTP/1.1\r\nFoo\r\n\r\n"), HTTP_BODY_NOT_UNDERSTOOD, 1);
    static const char nul[] = "STREAM t=a\0b HTTP/1.1\r\n\r\n";
    assert_bad(parse_n(nul, sizeof(nul) - 1), HTTP_BODY_NOT_UNDERSTOOD, 1);
    /* a colon-less line takes the next line's name with it, the request completes (lab) */
    HttpRequest *r = parse("STREAM t6=v HTTP/1.1\r\nFoo\r\nConnection: keep-alive\r\n\r\n");
    assert_ok(r);
    assert_false(r->keep_alive);
    assert_string_equal(http_req_param(r, "t6"), "v");
}

static void test_extra_bytes(void **state)
{
    (void)state;
    assert_bad(parse("STREAM key=a HTTP/1.1\r\n\r\nBEGIN x\n"), HTTP_BODY_NOT_UNDERSTOOD, 0);
    assert_bad(parse("FOO / HTTP/1.1\r\n\r\nxx"), HTTP_BODY_NOT_UNDERSTOOD, 0);
    /* when the read still ends in \r\n\r\n Netdata takes it (lab: t10 accepted) */
    HttpRequest *r = parse("STREAM t10=a HTTP/1.1\r\n\r\nX: y\r\n\r\n");
    assert_ok(r);
    assert_string_equal(http_req_param(r, "t10"), "a");
    /* a NUL right after the header end is "nothing after it" to Netdata: it waits */
    static const char nul[] = "STREAM t=a HTTP/1.1\r\n\r\n\0x";
    assert_bad(parse_n(nul, sizeof(nul) - 1), HTTP_BODY_NOT_UNDERSTOOD, 1);
}

/* ---- GET --------------------------------------------------------------------------------- */

static void test_get(void **state)
{
    (void)state;
    HttpRequest *r = parse("GET /api/v1/data?chart=system.cpu&after=-5&format=csv&dimensions=a%7Cb"
                           "&options=x+y HTTP/1.1\r\nHost: 127.0.0.1:19999\r\n\r\n");
    assert_ok(r);
    assert_string_equal(r->path, "/api/v1/data");
    assert_string_equal(r->query,
                        "chart=system.cpu&after=-5&format=csv&dimensions=a%7Cb&options=x+y");
    assert_int_equal(r->nparams, 5);
    assert_string_equal(http_req_param(r, "chart"), "system.cpu");
    assert_string_equal(http_req_param(r, "after"), "-5");
    assert_string_equal(http_req_param(r, "dimensions"), "a|b");
    assert_string_equal(http_req_param(r, "options"), "x y");
    assert_string_equal(r->host, "127.0.0.1:19999");
    assert_null(r->key);                    /* STREAM fields are STREAM only */

    r = parse("GET /host/my%20host/api/v1/info HTTP/1.1\r\n\r\n");
    assert_ok(r);
    assert_string_equal(r->path, "/host/my host/api/v1/info");
    assert_string_equal(r->query, "");
    assert_int_equal(r->nparams, 0);

    /* no raw '?': "%3f" separates (lab: /api/v1/info%3fx=1 answered the info JSON) */
    r = parse("GET /api/v1/info%3fx=1&y=%41 HTTP/1.1\r\n\r\n");
    assert_ok(r);
    assert_string_equal(r->path, "/api/v1/info");
    assert_string_equal(r->query, "x=1&y=%41");
    assert_string_equal(http_req_param(r, "y"), "A");
    r = parse("GET /a%3Fb?c=%3f HTTP/1.1\r\n\r\n");          /* a raw '?' wins */
    assert_string_equal(r->path, "/a?b");
    assert_string_equal(http_req_param(r, "c"), "?");
    r = parse("GET /x?a=1%26b=2 HTTP/1.1\r\n\r\n");          /* %26 splits here too */
    assert_string_equal(http_req_param(r, "b"), "2");
    assert_bad(parse("GET /a%0A HTTP/1.1\r\n\r\n"), HTTP_BODY_URL_INVALID, 0);
    assert_bad(parse("GET /a?x=%0A HTTP/1.1\r\n\r\n"), HTTP_BODY_URL_INVALID, 0);
    r = parse("GET / HTTP/1.1\r\n\r\n");
    assert_string_equal(r->path, "/");
}

static void test_headers(void **state)
{
    (void)state;
    /* lab: "Keep-Alive" and "xx keep-alivexx" and "connection:keep-alive" all kept it open;
       "Connection : keep-alive" (space before ':') did not */
    assert_true(parse("GET / HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n")->keep_alive);
    assert_true(parse("GET / HTTP/1.1\r\nConnection: xx keep-alivexx\r\n\r\n")->keep_alive);
    assert_true(parse("GET / HTTP/1.1\r\nconnection:keep-alive\r\n\r\n")->keep_alive);
    assert_false(parse("GET / HTTP/1.1\r\nConnection : keep-alive\r\n\r\n")->keep_alive);
    assert_false(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")->keep_alive);
    assert_true(parse("STREAM a=b HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")->keep_alive);
    /* a malformed URL still had its headers read (lab: the 400 said keep-alive) */
    HttpRequest *r = parse("STREAM a%0A HTTP/1.1\r\nConnection: keep-alive\r\n\r\n");
    assert_bad(r, HTTP_BODY_URL_INVALID, 0);
    assert_true(r->keep_alive);
    /* a bad method is refused before the headers are read (lab: "Connection: close") */
    assert_false(parse("FOO a HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")->keep_alive);

    r = parse("GET / HTTP/1.1\r\nOrigin: http://x.y\r\nUSER-AGENT:   ua 1 \r\n"
              "Accept-Encoding: deflate, GZIP\r\nHost: h\r\nHost: h2\r\n\r\n");
    assert_string_equal(r->origin, "http://x.y");
    assert_string_equal(r->user_agent, "ua 1 ");
    assert_true(r->accept_gzip);
    assert_string_equal(r->host, "h2");
    /* a value needs its CRLF: a lone CR is skipped over */
    r = parse("GET / HTTP/1.1\r\nUser-Agent: a\rb\r\n\r\n");
    assert_ok(r);
    assert_null(r->user_agent);
}

/* ---- responses --------------------------------------------------------------------------- */

#define T0 1795620806LL     /* Wed, 25 Nov 2026 15:33:26 GMT, when the lab bytes were taken */

/* Real 1.37.1 parent, "respect do not track policy = yes" (hence Tk: N), to "FOO / HTTP/1.1" */
static const char lab_400[] =
    "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
    "Server: Netdata Embedded HTTP Server v1.37.1\r\nAccess-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Credentials: true\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Date: Wed, 25 Nov 2026 15:33:26 GMT\r\nTk: N\r\n"
    "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n"
    "Expires: Wed, 25 Nov 2026 15:33:27 GMT\r\nContent-Length: 27\r\n\r\n"
    "I don't understand you...\r\n";

/* to "STREAM a%0A HTTP/1.1\r\nConnection: keep-alive" */
static const char lab_400_url_ka[] =
    "HTTP/1.1 400 Bad Request\r\nConnection: keep-alive\r\n"
    "Server: Netdata Embedded HTTP Server v1.37.1\r\nAccess-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Credentials: true\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Date: Wed, 25 Nov 2026 15:33:26 GMT\r\nTk: N\r\n"
    "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n"
    "Expires: Wed, 25 Nov 2026 15:33:27 GMT\r\nContent-Length: 42\r\n\r\n"
    "URL not valid. I don't understand you...\r\n";

/* to "GET /api/v1/info HTTP/1.1" (header only; 2692-byte JSON body) */
static const char lab_200[] =
    "HTTP/1.1 200 OK\r\nConnection: close\r\n"
    "Server: Netdata Embedded HTTP Server v1.37.1\r\nAccess-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Credentials: true\r\nContent-Type: application/json; charset=utf-8\r\n"
    "Date: Wed, 25 Nov 2026 15:33:26 GMT\r\nTk: N\r\n"
    "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n"
    "Expires: Wed, 25 Nov 2026 15:33:27 GMT\r\nContent-Length: 2692\r\n\r\n";

/* to "GET /nonexist" with "Origin: http://x.y" (header only; 90-byte HTML body) */
static const char lab_404_origin[] =
    "HTTP/1.1 404 Not Found\r\nConnection: close\r\n"
    "Server: Netdata Embedded HTTP Server v1.37.1\r\nAccess-Control-Allow-Origin: http://x.y\r\n"
    "Access-Control-Allow-Credentials: true\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Date: Wed, 25 Nov 2026 15:33:26 GMT\r\nTk: N\r\n"
    "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n"
    "Expires: Wed, 25 Nov 2026 15:33:27 GMT\r\nContent-Length: 90\r\n\r\n";

/* to "OPTIONS /api/v1/info HTTP/1.1" (whole reply) */
static const char lab_options[] =
    "HTTP/1.1 200 OK\r\nConnection: close\r\n"
    "Server: Netdata Embedded HTTP Server v1.37.1\r\nAccess-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Credentials: true\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Date: Wed, 25 Nov 2026 15:33:26 GMT\r\nTk: N\r\n"
    "Access-Control-Allow-Methods: GET, OPTIONS\r\n"
    "Access-Control-Allow-Headers: accept, x-requested-with, origin, content-type, cookie, "
    "pragma, cache-control, x-auth-token\r\nAccess-Control-Max-Age: 1209600\r\n"
    "Content-Length: 2\r\n\r\nOK";

static void assert_bytes(const char *got, size_t n, const char *want)
{
    if (n != strlen(want) || memcmp(got, want, n) != 0) {
        fail_msg("got\n%s\nwant\n%s", testutil_esc(got, n), testutil_esc(want, strlen(want)));
    }
}

static void test_resp_lab(void **state)
{
    (void)state;
    char out[2048];
    HttpResp h = {.status = 400, .now = T0, .tk = HTTP_TK_N};
    assert_bytes(out, http_error_page_at(out, sizeof(out), &h, HTTP_BODY_NOT_UNDERSTOOD), lab_400);
    h.keep_alive = 1;
    assert_bytes(out, http_error_page_at(out, sizeof(out), &h, HTTP_BODY_URL_INVALID),
                 lab_400_url_ka);
    h = (HttpResp){.status = 200, .now = T0, .tk = HTTP_TK_N, .content_type = HTTP_CT_JSON,
                   .body_len = 2692};
    assert_bytes(out, http_resp_write(out, sizeof(out), &h), lab_200);
    h = (HttpResp){.status = 404, .now = T0, .tk = HTTP_TK_N, .content_type = HTTP_CT_HTML,
                   .body_len = 90, .origin = "http://x.y"};
    assert_bytes(out, http_resp_write(out, sizeof(out), &h), lab_404_origin);
    h = (HttpResp){.status = 200, .now = T0, .tk = HTTP_TK_N, .options_reply = 1};
    assert_bytes(out, http_error_page_at(out, sizeof(out), &h, "OK"), lab_options);
}

static void test_resp_default(void **state)
{
    (void)state;
    char out[1024], want[1024];
    /* stock Netdata ([web] respect do not track policy = no): no Tk line; Date is now */
    size_t n = http_error_page(out, sizeof(out), 400, HTTP_BODY_NOT_UNDERSTOOD);
    assert_int_equal(n, strlen(out));
    assert_null(strstr(out, "Tk:"));
    assert_non_null(strstr(out, "\r\nDate: "));
    const char *d = strstr(out, "Date: ");
    assert_int_equal(strlen("Wed, 25 Nov 2026 15:33:26 GMT"), strcspn(d + 6, "\r"));
    size_t k = strlen(lab_400) - strlen("Tk: N\r\n");
    assert_int_equal(n, k);
    /* the same bytes as the lab page without Tk, once the clock is pinned */
    HttpResp h = {.status = 400, .now = T0};
    n = http_error_page_at(out, sizeof(out), &h, HTTP_BODY_NOT_UNDERSTOOD);
    const char *tk = strstr(lab_400, "Tk: N\r\n");
    snprintf(want, sizeof(want), "%.*s%s", (int)(tk - lab_400), lab_400, tk + 7);
    assert_bytes(out, n, want);
    /* 200 cacheable; no body means no Content-Length; extra lines; X-Frame-Options */
    h = (HttpResp){.status = 200, .now = T0, .cacheable = 1, .x_frame_options = "DENY",
                   .extra = "Location: /x/\r\n", .tk = HTTP_TK_TRACKING};
    n = http_resp_write(out, sizeof(out), &h);
    assert_non_null(strstr(out, "\r\nDate: Wed, 25 Nov 2026 15:33:26 GMT\r\nX-Frame-Options: DENY"
                                "\r\nTk: T;cookies\r\nCache-Control: public\r\n"
                                "Expires: Thu, 26 Nov 2026 15:33:26 GMT\r\nLocation: /x/\r\n\r\n"));
    assert_null(strstr(out, "Content-Length"));
    assert_string_equal(http_status_text(503), "Server Error");
    assert_string_equal(http_status_text(308), "Redirection");
    assert_string_equal(http_status_text(412), "Preconditions Failed");
    assert_string_equal(http_status_text(99), "Undefined Error");
}

static void test_resp_truncates(void **state)
{
    (void)state;
    char out[64];
    memset(out, 'x', sizeof(out));
    size_t n = http_error_page(out, 40, 400, HTTP_BODY_NOT_UNDERSTOOD);
    assert_int_equal(n, 39);
    assert_int_equal(out[39], '\0');
    assert_int_equal(out[40], 'x');
    assert_int_equal(http_resp_header(out, 0, 200, NULL, 1, 0), 0);
    assert_int_equal(http_resp_header(out, 1, 200, NULL, 1, 0), 0);
    assert_int_equal(out[0], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_len),
        cmocka_unit_test(test_early_bad),
        cmocka_unit_test(test_spec_request),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_plus_percent),
        cmocka_unit_test(test_decode_lab),
        cmocka_unit_test(test_decode_limits),
        cmocka_unit_test(test_unused),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_never_answered),
        cmocka_unit_test(test_extra_bytes),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_resp_lab),
        cmocka_unit_test(test_resp_default),
        cmocka_unit_test(test_resp_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
