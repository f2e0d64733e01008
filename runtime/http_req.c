/*
** http_req.c - the first request on a streamd connection, read byte for byte the way Netdata
** 1.37.1's web server reads it (web/server/web_client.c http_request_validate, http_header_parse,
** libnetdata/url/url.c url_decode_r, streaming/rrdpush.c rrdpush_receiver_thread_spawn). Facts
** come from reading that code and from replaying crafted requests into the real 1.37.1 parent
** (stream-protocol §2.1, §2.2a). The response headers and error pages that web server writes
** are http_resp.c's.
**
** Netdata holds the request as a C string: a NUL byte ends it. So does this file: every scan
** below stops at the first NUL ("cend"), and a request whose header cannot be completed before
** it is one Netdata never answers (HttpRequest.hang).
**
** Does not: write responses (http_resp.c), read sockets, decide admission, route API paths or
** negotiate capabilities.
*/
#include "http_req.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- framing ----------------------------------------------------------------------------- */

/*
** Netdata receives at most HTTP_MAX_REQUEST - 1 bytes in its first read (recv of size - 1 into a
** 16384-byte buffer); a longer request is echoed back and the socket reset (lab), never parsed.
*/
long http_req_header_len(const char *buf, size_t n)
{
    size_t lim = n < HTTP_MAX_REQUEST - 1 ? n : HTTP_MAX_REQUEST - 1;
    for (size_t i = 3; i < lim; i++) {
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
            return (long)(i + 1);
        }
    }
    return n >= HTTP_MAX_REQUEST - 1 ? -1 : 0;
}

static const char *const methods[] = {"GET ", "OPTIONS ", "STREAM "};

/* The method as strncmp over a C string sees it: a buffer that is only a prefix mismatches. */
static HttpMethod method_of(const char *buf, size_t n, size_t *skip)
{
    static const HttpMethod kind[] = {HTTP_M_GET, HTTP_M_OPTIONS, HTTP_M_STREAM};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t len = strlen(methods[i]);
        if (n >= len && memcmp(buf, methods[i], len) == 0) {
            *skip = len;
            return kind[i];
        }
    }
    *skip = 0;
    return HTTP_M_OTHER;
}

/*
** Netdata checks the method on every read, before the request is complete: "G" alone, or
** "stream ", is answered with the 400 page at once (lab).
*/
int http_req_early_bad(const char *buf, size_t n)
{
    size_t skip;
    const char *nul = memchr(buf, '\0', n);
    return n > 0 && method_of(buf, nul ? (size_t)(nul - buf) : n, &skip) == HTTP_M_OTHER;
}

/* ---- URL decoding (url_decode_r) --------------------------------------------------------- */

/* Netdata's from_hex on a (signed) char, low 8 bits: '0'..'9' -> 0..9, else tolower(c)-'a'+10,
   so any byte "decodes" ('z' -> 35, '-' -> -42). */
static unsigned hexval(unsigned char c)
{
    return c >= '0' && c <= '9' ? (unsigned)(c - '0')
                                : (unsigned)((c >= 'A' && c <= 'Z' ? c + 32 : c) - 'a' + 10) & 0xffu;
}

/* The byte "%XY" at S stands for; 0 when X or Y is missing (end of the C string). */
static unsigned char pct(const char *s, const char *end)
{
    return end - s < 3 ? 0
                       : (unsigned char)((hexval((unsigned char)s[1]) << 4)
                                         | hexval((unsigned char)s[2]));
}

/* A %-escaped UTF-8 sequence at S: only every third byte's two followers are read (the '%' of
   a continuation is not checked: "%C3xA9" is e-acute, lab). Returns bytes written, 0 = bad. */
static int decode_multibyte(const char *s, const char *end, char *d, const char *e)
{
    unsigned char first = pct(s, end);
    if ((first & 0xc0) != 0xc0) {
        return 0;
    }
    int len = first >= 0xf8 ? 5 : first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : 2;   /* leading 1s */
    if (len > 4 || d + len >= e) {
        return 0;
    }
    for (int k = 0; k < len; k++) {
        unsigned char c = pct(s + 3 * k, end);
        if (!(c & 0x80) || (k > 0 && (c & 0x40))) {
            return 0;
        }
        d[k] = (char)c;
    }
    return len;
}

/* Markus Kuhn's utf8_check, as Netdata runs it over the decoded text: 1 when valid (no
   overlong forms, surrogates, U+FFFE/U+FFFF or code points past U+10FFFF). */
static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3
              : (*s & 0xf8) == 0xf0 ? 4 : 0;
        for (int k = 1; k < n; k++) {
            if ((s[k] & 0xc0) != 0x80) {        /* also stops at the NUL */
                return 0;
            }
        }
        if (!n || (n == 2 && (s[0] & 0xfe) == 0xc0)
            || (n == 3 && ((s[0] == 0xe0 && (s[1] & 0xe0) == 0x80)
                           || (s[0] == 0xed && (s[1] & 0xe0) == 0xa0)
                           || (s[0] == 0xef && s[1] == 0xbf && (s[2] & 0xfe) == 0xbe)))
            || (n == 4 && ((s[0] == 0xf0 && (s[1] & 0xf0) == 0x80)
                           || (s[0] == 0xf4 && s[1] > 0x8f) || s[0] > 0xf4))) {
            return 0;
        }
        s += n;
    }
    return 1;
}

/*
** Decode [S, END) into TO (SIZE bytes, at most SIZE - 1 decoded, the rest silently dropped) as
** url_decode_r does: '+' -> ' ', "%XY" -> the byte hexval gives, which must be printable ASCII
** or start a valid %-escaped UTF-8 sequence; raw bytes pass, then the whole output must be valid
** UTF-8. Returns the decoded length, -1 when Netdata calls the URL malformed.
*/
static long url_decode(const char *s, const char *end, char *to, size_t size)
{
    char *d = to;
    const char *e = to + size - 1;
    while (s < end && d < e) {
        if (*s == '%') {
            unsigned char t = pct(s, end);
            if (t & 0x80) {
                int n = decode_multibyte(s, end, d, e);
                if (!n) {
                    return -1;
                }
                d += n;
                s += 3 * n - 1;
            } else if (t >= 0x20 && t < 0x7f) {     /* isprint: no header injection */
                *d++ = (char)t;
                s += 2;
            } else {
                return -1;
            }
        } else {
            *d++ = *s == '+' ? ' ' : *s;
        }
        s++;
    }
    *d = '\0';
    return utf8_valid((const unsigned char *)to) ? (long)(d - to) : -1;
}

/* ---- scratch ----------------------------------------------------------------------------- */

typedef struct Scratch {
    char *p, *end;
} Scratch;

/* N bytes plus a NUL from the request's scratch, NULL when full (never for a request that fits
   HTTP_MAX_REQUEST, see the size argument in http_req_parse). */
static char *take(Scratch *sc, size_t n)
{
    if ((size_t)(sc->end - sc->p) < n + 1) {
        return NULL;
    }
    char *z = sc->p;
    sc->p += n + 1;
    z[n] = '\0';
    return z;
}

static const char *copy(Scratch *sc, const char *z, size_t n)
{
    char *c = take(sc, n);
    return c ? memcpy(c, z, n) : NULL;
}

/* ---- headers (http_header_parse) --------------------------------------------------------- */

static const char *memcasestr(const char *z, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        if (strncasecmp(z + i, needle, k) == 0) {
            return z + i;
        }
    }
    return NULL;
}

static int name_is(const char *z, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(z, name, n) == 0;
}

/*
** One header at P. The name runs to the next ':' even across lines, so a line without a colon
** swallows the next line's name, and with no colon left the request never completes (lab).
** Returns where the outer scan resumes; CEND when the request cannot complete.
*/
static const char *header_line(HttpRequest *r, Scratch *sc, const char *p, const char *cend)
{
    const char *e = memchr(p, ':', (size_t)(cend - p));
    if (!e) {
        return cend;
    }
    const char *v = e + 1;
    while (v < cend && *v == ' ') {
        v++;
    }
    const char *ve = memchr(v, '\r', (size_t)(cend - v));
    if (!ve || ve + 1 >= cend || ve[1] != '\n') {
        return ve ? ve : cend;
    }
    size_t nn = (size_t)(e - p), vn = (size_t)(ve - v);
    if (name_is(p, nn, "Origin")) {
        r->origin = copy(sc, v, vn < 1024 ? vn : 1024);
    } else if (name_is(p, nn, "Connection")) {
        r->keep_alive |= memcasestr(v, vn, "keep-alive") != NULL;
    } else if (name_is(p, nn, "User-Agent")) {
        r->user_agent = copy(sc, v, vn);
    } else if (name_is(p, nn, "Host")) {
        r->host = copy(sc, v, vn < 1024 ? vn : 1024);
    } else if (name_is(p, nn, "Accept-Encoding")) {
        r->accept_gzip |= memcasestr(v, vn, "gzip") != NULL;
    }
    return ve;
}

/* The loop after " HTTP/": returns 1 at the first "\r\n\r\n" it reaches, 0 when the C string
   ends first (Netdata keeps waiting for more bytes). */
static int header_block(HttpRequest *r, Scratch *sc, const char *s, const char *cend)
{
    while (s < cend) {
        while (s < cend && *s++ != '\r') {
        }
        if (s >= cend) {
            return 0;
        }
        if (*s++ == '\n') {
            if (cend - s >= 2 && s[0] == '\r' && s[1] == '\n') {
                return 1;
            }
            s = header_line(r, sc, s, cend);
        }
    }
    return 0;
}

/* ---- parameters -------------------------------------------------------------------------- */

/* Netdata's mystrsep: strsep that skips empty tokens; "" when only empty ones were left. */
static char *sep_nonempty(char **ptr, const char *delim)
{
    char *p = "";
    while (p && !p[0] && *ptr) {
        p = strsep(ptr, delim);
    }
    return p;
}

/* Names (after "NETDATA_") that Netdata's rrdhost_set_system_info_variable accepts, with the
   SYSTEM_OS_* names it renames to HOST_OS_* first; any other name is logged as "not used". */
static const char sysinfo_names[] =
    " PROTOCOL_VERSION INSTANCE_CLOUD_TYPE INSTANCE_CLOUD_INSTANCE_TYPE"
    " INSTANCE_CLOUD_INSTANCE_REGION CONTAINER_OS_NAME CONTAINER_OS_ID CONTAINER_OS_ID_LIKE"
    " CONTAINER_OS_VERSION CONTAINER_OS_VERSION_ID CONTAINER_OS_DETECTION HOST_OS_NAME HOST_OS_ID"
    " HOST_OS_ID_LIKE HOST_OS_VERSION HOST_OS_VERSION_ID HOST_OS_DETECTION SYSTEM_OS_NAME"
    " SYSTEM_OS_ID SYSTEM_OS_ID_LIKE SYSTEM_OS_VERSION SYSTEM_OS_VERSION_ID SYSTEM_OS_DETECTION"
    " SYSTEM_KERNEL_NAME SYSTEM_CPU_LOGICAL_CPU_COUNT SYSTEM_CPU_FREQ SYSTEM_TOTAL_RAM"
    " SYSTEM_TOTAL_DISK_SIZE SYSTEM_KERNEL_VERSION SYSTEM_ARCHITECTURE SYSTEM_VIRTUALIZATION"
    " SYSTEM_VIRT_DETECTION SYSTEM_CONTAINER SYSTEM_CONTAINER_DETECTION HOST_IS_K8S_NODE"
    " SYSTEM_CPU_VENDOR SYSTEM_CPU_MODEL SYSTEM_CPU_DETECTION SYSTEM_RAM_DETECTION"
    " SYSTEM_DISK_DETECTION CONTAINER_IS_OFFICIAL_IMAGE ";

static int sysinfo_known(const char *name)
{
    if (strncmp(name, "NETDATA_", 8) != 0 || strchr(name, ' ')) {
        return 0;
    }
    size_t n = strlen(name += 8);
    for (const char *p = strstr(sysinfo_names, name); n && p; p = strstr(p + 1, name)) {
        if (p[-1] == ' ' && p[n] == ' ') {
            return 1;
        }
    }
    return 0;
}

/* The STREAM fields, as rrdpush_receiver_thread_spawn stores them (casts included). */
static void stream_field(HttpRequest *r, const char *name, const char *value)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"key", offsetof(HttpRequest, key)}, {"hostname", offsetof(HttpRequest, hostname)},
        {"registry_hostname", offsetof(HttpRequest, registry_hostname)},
        {"machine_guid", offsetof(HttpRequest, machine_guid)}, {"os", offsetof(HttpRequest, os)},
        {"timezone", offsetof(HttpRequest, timezone)}, {"tags", offsetof(HttpRequest, tags)},
        {"abbrev_timezone", offsetof(HttpRequest, abbrev_timezone)},
        {"ver", offsetof(HttpRequest, ver)},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(name, strs[i].name) == 0) {
            *(const char **)((char *)r + strs[i].off) = value;
            return;
        }
    }
    unsigned long u = strtoul(value, NULL, 0);
    if (strcmp(name, "update_every") == 0) {
        r->update_every = (int32_t)(uint32_t)u;
        r->update_every_set = 1;
    } else if (strcmp(name, "utc_offset") == 0) {
        r->utc_offset = (int32_t)(uint32_t)(unsigned long)strtol(value, NULL, 0);
    } else if (strcmp(name, "hops") == 0) {
        r->hops = (uint16_t)u;
    } else if (strcmp(name, "ml_capable") == 0) {
        r->ml_capable = u != 0;
    } else if (strcmp(name, "ml_enabled") == 0) {
        r->ml_enabled = u != 0;
    } else if (strcmp(name, "mc_version") == 0) {
        r->mc_version = (int32_t)(uint32_t)u;
    } else if (!sysinfo_known(name) && r->nunused < HTTP_MAX_UNUSED) {
        r->unused[r->nunused++] = name;
    }
}

/* Split the decoded text Z in place on '&' and the first '=', skipping empty names and values
   (mystrsep also skips leading '=': "=a=b" is a = b, lab). */
static void split_params(HttpRequest *r, char *z, int stream)
{
    while (z) {
        char *value = sep_nonempty(&z, "&");
        if (!value || !*value) {
            continue;
        }
        char *name = sep_nonempty(&value, "=");
        if (!name || !*name || !value || !*value) {
            continue;
        }
        if (r->nparams < HTTP_MAX_PARAMS) {
            r->params[r->nparams++] = (HttpParam){name, value};
        } else {
            r->params_dropped++;
        }
        if (stream) {
            stream_field(r, name, value);
        }
    }
}

/* ---- the request ------------------------------------------------------------------------- */

static void set_bad(HttpRequest *r, const char *body, int hang)
{
    r->bad = 1, r->bad_status = 400, r->bad_body = body, r->hang = hang;
}

/* GET: the path is cut at the first raw '?', else at the first "%3f"/"%3F" (Netdata's two
   separators); each '&'-piece of the query is decoded on its own and the pieces joined, at most
   HTTP_URL_SIZE bytes in all (web_client_split_path_query, url_parse_query_string). */
static void parse_get(HttpRequest *r, Scratch *sc, const char *u, const char *ue)
{
    const char *sep = memchr(u, '?', (size_t)(ue - u));
    size_t seplen = 1;
    for (const char *p = u; !sep && (p = memchr(p, '%', (size_t)(ue - p))) != NULL; p++) {
        if (ue - p >= 3 && p[1] == '3' && (p[2] == 'f' || p[2] == 'F')) {
            sep = p;
            seplen = 3;
        }
    }
    const char *pe = sep ? sep : ue;
    size_t cap = (size_t)(pe - u) < HTTP_URL_SIZE ? (size_t)(pe - u) : HTTP_URL_SIZE;
    char *path = take(sc, cap);         /* decoded text is never longer than the raw one */
    if (!path || url_decode(u, pe, path, cap + 1) < 0) {
        set_bad(r, HTTP_BODY_URL_INVALID, 0);
        return;
    }
    sc->p = path + strlen(path) + 1;
    r->path = path;
    if (!sep) {
        return;
    }
    r->query = copy(sc, sep + seplen, (size_t)(ue - sep - seplen));
    size_t qcap = (size_t)(ue - sep) < HTTP_URL_SIZE ? (size_t)(ue - sep) : HTTP_URL_SIZE;
    char *dq = take(sc, qcap), *d = dq;
    if (!dq || !r->query) {
        set_bad(r, HTTP_BODY_URL_INVALID, 0);
        return;
    }
    size_t copied = 0;
    for (const char *b = sep; b < ue;) {
        const char *amp = memchr(b + 1, '&', (size_t)(ue - b - 1));
        const char *be = amp ? amp : ue;
        size_t len = (size_t)(be - b) + 1;
        if (len > HTTP_URL_SIZE + 1 - copied) {
            break;                                  /* Netdata logs and keeps what it has */
        }
        long got = url_decode(b, be, d, len);
        if (got < 0) {
            set_bad(r, HTTP_BODY_URL_INVALID, 0);
            return;
        }
        d += got;
        copied += (size_t)got;
        b = be;
    }
    sc->p = d + 1;
    split_params(r, dq + (dq[0] != '\0'), 0);       /* skip the decoded separator */
}

/*
** Reads BUF[0..hlen + extra) as Netdata's first read of a connection: complete when it ends in
** "\r\n\r\n"; otherwise bytes after a "\r\n\r\n" get a 400 and a request not yet complete is one
** Netdata keeps waiting on (hang). The method is checked first, then " HTTP/" (the query runs up
** to the first one, even across lines), then the headers, then the URL is decoded.
** Scratch use is at most hlen + HTTP_URL_SIZE + a few NULs: every copy or decoded text is no
** longer than the raw bytes it comes from, plus one decoded GET query of at most HTTP_URL_SIZE.
*/
void http_req_parse(HttpRequest *r, const char *buf, size_t hlen, size_t extra)
{
    memset(r, 0, offsetof(HttpRequest, scratch));
    r->method = HTTP_M_OTHER;
    r->path = r->query = "";
    r->update_every = r->hops = 1;
    size_t total = hlen + extra, skip;
    const char *nul = memchr(buf, '\0', total);
    const char *cend = nul ? nul : buf + total;
    Scratch sc = {r->scratch, r->scratch + sizeof(r->scratch)};

    r->method = method_of(buf, (size_t)(cend - buf), &skip);
    if (r->method == HTTP_M_OTHER) {
        set_bad(r, HTTP_BODY_NOT_UNDERSTOOD, 0);
        return;
    }
    if (total < 4 || memcmp(buf + total - 4, "\r\n\r\n", 4) != 0) {
        const char *end4 = memmem(buf, (size_t)(cend - buf), "\r\n\r\n", 4);
        set_bad(r, HTTP_BODY_NOT_UNDERSTOOD, !(end4 && end4 + 4 < cend));
        return;
    }
    const char *u = buf + skip, *ue = u;
    for (;;) {
        ue = memchr(ue, ' ', (size_t)(cend - ue));
        if (!ue || (cend - ue >= 6 && memcmp(ue, " HTTP/", 6) == 0)) {
            break;
        }
        ue++;
    }
    if (!ue || !header_block(r, &sc, ue, cend)) {
        set_bad(r, HTTP_BODY_NOT_UNDERSTOOD, 1);
        return;
    }
    if (r->method == HTTP_M_GET) {
        parse_get(r, &sc, u, ue);
        return;
    }
    char *url = take(&sc, HTTP_URL_SIZE);
    if (!url || url_decode(u, ue, url, HTTP_URL_SIZE + 1) < 0) {
        set_bad(r, HTTP_BODY_URL_INVALID, 0);
        return;
    }
    if (r->method == HTTP_M_OPTIONS) {
        r->path = url;
        return;
    }
    split_params(r, url, 1);
}

const char *http_req_param(const HttpRequest *r, const char *name)
{
    for (size_t i = r->nparams; i-- > 0;) {
        if (strcmp(r->params[i].name, name) == 0) {
            return r->params[i].value;
        }
    }
    return NULL;
}
