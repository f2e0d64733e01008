/*
** fuzz_http.c - libFuzzer target for runtime/http_req.c, runtime/http_resp.c and
** runtime/stream_caps.c. Frames the raw bytes with http_req_header_len, parses them with
** http_req_parse (once as framed, once with the whole input as header plus extra bytes), and
** traps when an invariant breaks: a header length outside the input, a pointer outside the
** request's scratch (or not one of the static strings), a string running past scratch, more than
** 64 params, a bad request without a status and body, a response page that is not NUL-terminated
** within its buffer, or a capability set / prompt that echoes a bit the local set does not have.
** libFuzzer hands over an exact-size buffer without a NUL, so ASan catches reads past size.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"
#include "stream_caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static HttpRequest req;     /* too large for a comfortable stack frame */

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

/* Inside scratch with its NUL inside scratch too. */
static int in_scratch(const HttpRequest *r, const char *p)
{
    const char *lo = r->scratch, *hi = r->scratch + sizeof(r->scratch);
    if (p < lo || p >= hi) {
        return 0;
    }
    return memchr(p, '\0', (size_t)(hi - p)) != NULL;
}

static void check_str(const HttpRequest *r, const char *p, int nullable)
{
    if (!p) {
        check(nullable);
        return;
    }
    check(in_scratch(r, p) || (p[0] == '\0' && !nullable));     /* "" is the static default */
}

static void check_req(const HttpRequest *r)
{
    check(r->method == HTTP_M_STREAM || r->method == HTTP_M_GET || r->method == HTTP_M_OTHER
          || r->method == HTTP_M_OPTIONS);
    if (r->bad) {
        check(r->bad_status == 400);
        check(strcmp(r->bad_body, HTTP_BODY_URL_INVALID) == 0
              || strcmp(r->bad_body, HTTP_BODY_NOT_UNDERSTOOD) == 0);
    } else {
        check(r->method != HTTP_M_OTHER && !r->hang);
    }
    check(r->nparams <= HTTP_MAX_PARAMS && r->nunused <= HTTP_MAX_UNUSED);
    check(r->method == HTTP_M_STREAM || r->nunused == 0);
    for (size_t i = 0; i < r->nparams; i++) {
        check(in_scratch(r, r->params[i].name) && in_scratch(r, r->params[i].value));
        check(r->params[i].name[0] && r->params[i].value[0]);
    }
    for (size_t i = 0; i < r->nunused; i++) {
        check(in_scratch(r, r->unused[i]));
    }
    check_str(r, r->path, 0);
    check_str(r, r->query, 0);
    const char *const opt[] = {r->user_agent, r->host, r->origin, r->key, r->hostname,
                               r->registry_hostname, r->machine_guid, r->os, r->timezone,
                               r->abbrev_timezone, r->tags, r->ver};
    for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
        check_str(r, opt[i], 1);
    }
    check(r->hops >= 0 && r->hops <= 65535);
    check(r->ml_capable == 0 || r->ml_capable == 1);
    if (r->key) {
        /* the field is the last key; past HTTP_MAX_PARAMS pairs the list drops pairs, so it may
           hold an earlier key or none */
        const char *k = http_req_param(r, "key");
        check(r->params_dropped > 0 || (k && strcmp(k, r->key) == 0));
    }
}

static void check_caps(const HttpRequest *r)
{
    uint64_t ours = stream_caps_from_ver(r->ver, STREAM_CAPS_OURS);
    uint64_t nd = stream_caps_from_ver(r->ver, STREAM_CAPS_NETDATA);
    check((ours & ~STREAM_CAPS_OURS) == 0 && (nd & ~STREAM_CAPS_NETDATA) == 0);
    check((ours & ~nd) == 0);
    char p[96], names[160];
    size_t n = stream_caps_prompt(ours, p, sizeof(p));
    check(n >= 30 && n < sizeof(p) && strlen(p) == n);
    int32_t v = stream_caps_parse_reply(p, n, NULL, NULL);
    check(v >= 1);
    if (ours & STREAM_CAP_VCAPS) {
        check((uint64_t)v == ours && stream_caps_from_version(v, STREAM_CAPS_OURS) == ours);
    }
    n = stream_caps_names(nd, names, sizeof(names));
    check(n < sizeof(names) && strlen(names) == n);
}

static void check_page(const HttpRequest *r)
{
    static char out[512];
    HttpResp h = {.status = r->bad ? r->bad_status : 200, .now = 1, .origin = r->origin,
                  .keep_alive = r->keep_alive};
    size_t n = http_error_page_at(out, sizeof(out), &h, r->bad ? r->bad_body : "OK");
    check(n < sizeof(out) && out[n] == '\0' && strlen(out) == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    long h = http_req_header_len(s, size);
    check(h >= -1 && (h <= 0 || ((size_t)h <= size && (size_t)h < HTTP_MAX_REQUEST)));
    (void)http_req_early_bad(s, size);
    if (h > 0) {
        check(memcmp(s + h - 4, "\r\n\r\n", 4) == 0);
        http_req_parse(&req, s, (size_t)h, size - (size_t)h);
        check_req(&req);
        check_caps(&req);
        check_page(&req);
    }
    if (size > 0) {
        /* any split of the input into header and extra must be safe too */
        size_t cut = (size_t)data[0] % (size + 1);
        http_req_parse(&req, s, cut, size - cut);
        check_req(&req);
        /* and the child's reply reader on the raw bytes */
        (void)stream_caps_parse_reply(s, size, NULL, NULL);
    }
    return 0;
}
