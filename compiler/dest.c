/*
** dest.c - split and parse Netdata v1.37.1 destination lists (`[stream] destination`,
** `proxy destination`) and `[web] bind to` lists, and say what is wrong with one entry.
**
** The rules are those of shared/spec/config-semantics.md §6 and §4.3: entries are separated by
** runs of C whitespace and commas; an entry is [tcp:|udp:|unix:]HOST[%IFACE][:PORT], plus
** [=ACL|ACL...] for `bind to`. Results are views into the caller's bytes. This file does not
** resolve host names, interfaces or service names (that would make lint results depend on the
** machine running the linter) and does not decide severities.
*/
#define _POSIX_C_SOURCE 200809L   /* inet_pton */

#include "dest.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Linux sun_path holds 108 bytes; Netdata copies at most 107 of the path and drops the rest. */
#define UNIX_PATH_KEEP 107
#define QUOTE_MAX 40        /* bytes of user text quoted in a message before it is cut */

/* Fragments that quote user text are built here; see dest.h for the lifetime. */
static _Thread_local char msg_buf[200];

/* The bit of each name is 1 << its index. ORDER BIND_ */
static const char *const acl_names[] = {
    "dashboard", "registry", "badges", "management", "streaming", "netdata.conf",
};

/* What both grammars share after the protocol prefix: HOST, %IFACE, :PORT and (bind) =ACL. */
typedef struct Addr {
    const char *host; size_t host_n;
    int bracketed, unclosed;
    const char *ignored; size_t ignored_n;  /* after ']' when the next byte starts nothing */
    const char *iface; size_t iface_n;
    const char *port; size_t port_n;
    int has_eq;
    const char *acl; size_t acl_n;
} Addr;

/* What one `bind to` ACL list says. */
typedef struct AclScan {
    unsigned acl;
    int force, optional;
    const char *bad; size_t bad_n;          /* first non-empty name that is not one of the six */
    const char *bad_ssl; size_t bad_ssl_n;  /* first '^...' suffix that sets no SSL mode */
} AclScan;

/* ---------------------------------------------------------------- small byte helpers */

static int is_sep(unsigned char c)
{
    /* C isspace() in the C locale, plus ','; bytes >= 0x80 are never separators. */
    return c == ' ' || (c >= '\t' && c <= '\r') || c == ',';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return lower(c) >= 'a' && lower(c) <= 'z';
}

static size_t digits(const char *z, size_t n)
{
    size_t i = 0;
    while (i < n && is_digit((unsigned char)z[i])) {
        i++;
    }
    return i;
}

/* Leading bytes of z that are ASCII letters, digits or one of extra. */
static size_t span(const char *z, size_t n, const char *extra)
{
    size_t i = 0;
    while (i < n && (is_alpha((unsigned char)z[i]) || is_digit((unsigned char)z[i])
                     || memchr(extra, z[i], strlen(extra)))) {
        i++;
    }
    return i;
}

static int equals(const char *z, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(z, lit, n) == 0;
}

static int equals_nocase(const char *z, size_t n, const char *lit)
{
    if (strlen(lit) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)z[i]) != lower((unsigned char)lit[i])) {
            return 0;
        }
    }
    return 1;
}

static int has_prefix(const char *z, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return k <= n && memcmp(z, lit, k) == 0;
}

/* Bounded strstr (memmem is not in C11); nocase folds ASCII letters. */
static const char *find(const char *h, size_t hn, const char *lit, int nocase)
{
    size_t k = strlen(lit);
    for (size_t i = 0; i + k <= hn; i++) {
        if (nocase ? equals_nocase(h + i, k, lit) : memcmp(h + i, lit, k) == 0) {
            return h + i;
        }
    }
    return NULL;
}

/* Netdata holds the value as a C string, so it ends at the first NUL. */
static size_t c_length(const char *s, size_t n)
{
    const char *nul = s ? memchr(s, '\0', n) : NULL;
    return !s ? 0 : nul ? (size_t)(nul - s) : n;
}

/* Finds the next entry at or after *pos. Returns 0 when only separators are left. */
static int next_entry(const char *s, size_t n, size_t *pos, size_t *start, size_t *len)
{
    size_t i = *pos;
    while (i < n && is_sep((unsigned char)s[i])) {
        i++;
    }
    if (i >= n) {
        *pos = n;
        return 0;
    }
    size_t j = i;
    while (j < n && !is_sep((unsigned char)s[j])) {
        j++;
    }
    *start = i;
    *len = j - i;
    *pos = j;
    return 1;
}

/* ---------------------------------------------------------------- parsing */

/* The first byte in [q, end) that is one of stops, or end. */
static const char *scan_to(const char *q, const char *end, const char *stops)
{
    while (q < end && !memchr(stops, *q, strlen(stops))) {
        q++;
    }
    return q;
}

/* Parses [HOST]%IFACE:PORT=ACL from p up to end as v1.37.1 does; with_acl adds '=' as a stop
   byte (bind to). Views that are absent point at end with length 0. */
static void parse_addr(const char *p, const char *end, int with_acl, Addr *a)
{
    const char *host_stops = with_acl ? ":%=" : ":%";
    const char *q = p;
    memset(a, 0, sizeof *a);
    a->host = a->ignored = a->iface = a->port = a->acl = end;
    if (q < end && *q == '[') {
        a->bracketed = 1;
        a->host = ++q;
        q = scan_to(q, end, "]");
        a->host_n = (size_t)(q - a->host);
        if (q == end) {
            a->unclosed = 1;        /* the host swallowed the rest of the entry */
            return;
        }
        if (++q < end && !memchr(host_stops, *q, strlen(host_stops))) {
            /* Only the byte right after ']' is looked at; anything else ends the parse. */
            a->ignored = q;
            a->ignored_n = (size_t)(end - q);
            return;
        }
    } else {
        a->host = q;
        q = scan_to(q, end, host_stops);
        a->host_n = (size_t)(q - a->host);
    }
    if (q < end && *q == '%') {
        a->iface = ++q;
        q = scan_to(q, end, with_acl ? ":=" : ":");
        a->iface_n = (size_t)(q - a->iface);
    }
    if (q < end && *q == ':') {
        a->port = ++q;
        q = scan_to(q, end, with_acl ? "=" : "");
        a->port_n = (size_t)(q - a->port);
    }
    if (with_acl && q < end && *q == '=') {
        a->has_eq = 1;
        a->acl = ++q;
        a->acl_n = (size_t)(end - q);
    }
}

/* Parses one entry after list splitting: the protocol prefix (case-sensitive), then a unix
   path or the address part. For a unix socket, host is the path and every other view is empty.
   is_bind selects the `bind to` grammar: '=' stops the address, and no '/' shortcut. */
static DestProto parse_entry(const char *z, size_t n, int is_bind, Addr *a)
{
    DestProto proto = DEST_TCP;
    size_t k = 0;
    if (has_prefix(z, n, "tcp:")) {
        k = 4;
    } else if (has_prefix(z, n, "udp:")) {
        proto = DEST_UDP;
        k = 4;
    } else if (has_prefix(z, n, "unix:")) {
        proto = DEST_UNIX;
        k = 5;
    } else if (!is_bind && n > 0 && z[0] == '/') {
        proto = DEST_UNIX;
    }
    if (proto != DEST_UNIX) {
        parse_addr(z + k, z + n, is_bind, a);
        return proto;
    }
    parse_addr(z + n, z + n, is_bind, a);   /* nothing after the path is parsed */
    a->host = z + k;
    a->host_n = n - k;
    return proto;
}

static void parse_dest(const char *z, size_t n, size_t off, DestEntry *e)
{
    Addr a;
    DestProto proto = parse_entry(z, n, 0, &a);
    *e = (DestEntry){ .proto = proto, .z = z, .n = n, .off = off, .host = a.host,
                      .host_n = a.host_n, .iface = a.iface, .iface_n = a.iface_n, .port = a.port,
                      .port_n = a.port_n, .bracketed = a.bracketed,
                      .ignored_n = a.ignored_n > INT_MAX ? INT_MAX : (int)a.ignored_n };
}

/* Splits s[0..n) into entries and parses them into out (overwritten; views into s, so s must
   outlive out). DEST_STREAM first cuts the list at its first ':SSL' (tls = 1). Never fails. */
void dest_parse_list(const char *s, size_t n, DestFlavor flavor, DestList *out)
{
    memset(out, 0, sizeof *out);
    n = c_length(s, n);
    out->cut_n = n;
    if (flavor == DEST_STREAM) {
        /* v1.37.1 cuts the whole [stream] destination string at its first ':SSL'. */
        const char *ssl = find(s, n, ":SSL", 0);
        if (ssl) {
            out->tls = 1;
            out->ssl_off = (size_t)(ssl - s);
            out->cut_n = out->ssl_off;
        }
    }
    size_t pos = 0, start, len;
    while (next_entry(s, out->cut_n, &pos, &start, &len)) {
        if (out->n < DEST_MAX_ENTRIES) {
            parse_dest(s + start, len, start, &out->e[out->n++]);
        }
        out->total++;
    }
}

static void scan_acl_item(const char *t, size_t tn, AclScan *sc)
{
    const char *caret = memchr(t, '^', tn);
    size_t name_n = caret ? (size_t)(caret - t) : tn;
    if (caret) {
        /* Netdata cuts the item at its first '^' and compares the rest exactly. */
        const char *m = caret + 1;
        size_t mn = tn - name_n - 1;
        if (has_prefix(m, mn, "SSL=") && equals(m + 4, mn - 4, "force")) {
            sc->force = 1;
        } else if (has_prefix(m, mn, "SSL=") && equals(m + 4, mn - 4, "optional")) {
            sc->optional = 1;
        } else if (!sc->bad_ssl) {
            sc->bad_ssl = caret;
            sc->bad_ssl_n = mn + 1;
        }
    }
    int known = 0;
    for (size_t i = 0; i < sizeof acl_names / sizeof acl_names[0]; i++) {
        if (equals(t, name_n, acl_names[i])) {
            sc->acl |= 1u << i;
            known = 1;
        }
    }
    if (!known && name_n > 0 && !sc->bad) {
        sc->bad = t;
        sc->bad_n = name_n;
    }
}

static void scan_acl(const char *p, size_t n, AclScan *sc)
{
    memset(sc, 0, sizeof *sc);
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < n && p[j] != '|') {
            j++;
        }
        scan_acl_item(p + i, j - i, sc);
        if (j >= n) {
            break;
        }
        i = j + 1;
    }
}

/* Fills b, and a and sc with the details bind_entry_problem needs. */
static void parse_bind(const char *z, size_t n, size_t off, BindEntry *b, Addr *a, AclScan *sc)
{
    DestProto proto = parse_entry(z, n, 1, a);
    memset(sc, 0, sizeof *sc);
    *b = (BindEntry){ .proto = proto, .z = z, .n = n, .off = off, .host = a->host,
                      .host_n = a->host_n, .iface = a->iface, .iface_n = a->iface_n,
                      .port = a->port, .port_n = a->port_n, .bracketed = a->bracketed };
    b->wildcard = proto != DEST_UNIX
                  && (a->host_n == 0 || a->host[0] == '*' || equals(a->host, a->host_n, "any")
                      || equals(a->host, a->host_n, "all"));
    b->has_eq = a->has_eq;
    if (!a->has_eq) {
        b->acl = BIND_ALL;      /* also every unix socket */
        return;
    }
    scan_acl(a->acl, a->acl_n, sc);
    b->acl = sc->acl;
    b->ssl = sc->force ? BIND_SSL_FORCE : sc->optional ? BIND_SSL_OPTIONAL : BIND_SSL_DEFAULT;
    b->bad_acl = sc->bad;
    b->bad_acl_n = sc->bad_n;
}

/* Splits s[0..n) into `bind to` entries, ACL lists included, into out (overwritten; views into
   s). Never fails. */
void bind_parse_list(const char *s, size_t n, BindList *out)
{
    memset(out, 0, sizeof *out);
    n = c_length(s, n);
    size_t pos = 0, start, len;
    Addr a;
    AclScan sc;
    while (next_entry(s, n, &pos, &start, &len)) {
        if (out->n < DEST_MAX_ENTRIES) {
            parse_bind(s + start, len, start, &out->e[out->n++], &a, &sc);
        }
        out->total++;
    }
}

/* ---------------------------------------------------------------- problems */

/* Appends user text for a message: printable ASCII as is, other bytes as '?', cut at QUOTE_MAX
   bytes with "...". Returns the new length of dst. */
static size_t put_text(char *dst, size_t len, size_t cap, const char *z, size_t n)
{
    size_t take = n > QUOTE_MAX ? QUOTE_MAX : n;
    for (size_t i = 0; i < take && len + 1 < cap; i++) {
        unsigned char c = (unsigned char)z[i];
        dst[len++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    for (const char *d = "..."; take < n && *d && len + 1 < cap; d++) {
        dst[len++] = *d;
    }
    dst[len] = '\0';
    return len;
}

/* Formats a fragment with one %s that receives the quoted user text. */
static const char *say(const char *fmt, const char *z, size_t n)
{
    char text[QUOTE_MAX + 8];
    put_text(text, 0, sizeof text, z, n);
    snprintf(msg_buf, sizeof msg_buf, fmt, text);
    return msg_buf;
}

static int is_ipv6(const char *t, size_t n)
{
    char buf[64];
    struct in6_addr addr;
    if (n == 0 || n >= sizeof buf) {
        return 0;
    }
    memcpy(buf, t, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, &addr) == 1;
}

/* Length of an unbracketed IPv6 address at the start of t (ending at '%', at '=' for bind, at
   the end, or before a final ":digits" port), or 0 when t does not start with one. */
static size_t unbracketed_v6(const char *t, size_t n, int with_acl)
{
    size_t a = (size_t)(scan_to(t, t + n, with_acl ? "%=" : "%") - t);
    size_t k = a;
    if (is_ipv6(t, a)) {
        return a;
    }
    while (k > 0 && t[k - 1] != ':') {
        k--;
    }
    return (k > 1 && k < a && digits(t + k, a - k) == a - k && is_ipv6(t, k - 1)) ? k - 1 : 0;
}

/* "unbracketed IPv6 address: write [ADDR]REST" for the v6 address of length a at t. */
static const char *v6_problem(const char *t, size_t a, size_t n)
{
    char fix[2 * QUOTE_MAX + 16];
    size_t len = put_text(fix, 0, sizeof fix, "[", 1);
    len = put_text(fix, len, sizeof fix, t, a);
    len = put_text(fix, len, sizeof fix, "]", 1);
    put_text(fix, len, sizeof fix, t + a, n - a);
    snprintf(msg_buf, sizeof msg_buf, "unbracketed IPv6 address: write %s", fix);
    return msg_buf;
}

/* NULL for an empty port (the default), a decimal 1..65535, or a plausible service name. */
static const char *port_problem(const char *p, size_t n)
{
    if (n == 0) {
        return NULL;
    }
    if (digits(p, n) == n) {
        unsigned long v = 0;
        for (size_t i = 0; i < n && v <= 65535; i++) {
            v = v * 10 + (unsigned long)(p[i] - '0');
        }
        return (v >= 1 && v <= 65535) ? NULL : say("port %s is out of range 1..65535", p, n);
    }
    /* Service names are resolved through /etc/services on the agent's machine, which the linter
       cannot see (and getservbyname would make results machine-dependent): accept a name. */
    if (is_alpha((unsigned char)p[0]) && span(p, n, "-") == n) {
        return NULL;
    }
    return say("port '%s' is not a number or a known service name", p, n);
}

static const char *host_problem(const char *h, size_t n, int bracketed)
{
    if (span(h, n, bracketed ? "._-:%" : "._-") < n) {
        return say("host '%s' is not a valid host name or address", h, n);
    }
    return NULL;
}

/* 'TCP:host' reads as host 'TCP' with port 'host'. */
static const char *prefix_case_problem(const Addr *a)
{
    static const char *const protos[] = { "tcp", "udp", "unix" };
    if (a->bracketed || a->port != a->host + a->host_n + 1) {
        return NULL;    /* the host is not followed by ':' */
    }
    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
        if (equals_nocase(a->host, a->host_n, protos[i])) {
            /* Also catches a second prefix, as in 'tcp:udp:host'. */
            return say("'%s:' is read as a host name and a port: protocol prefixes are lower case "
                       "and come first", a->host, a->host_n);
        }
    }
    return NULL;
}

/* Nothing after a unix socket path is parsed, so other syntax (named by extra) lands in it. */
static const char *unix_problem(size_t n, const char *extra)
{
    if (n == 0) {
        return "does not specify a socket path";
    }
    if (extra) {
        return extra;
    }
    return n > UNIX_PATH_KEEP ? "unix socket path is longer than 107 bytes: it is cut" : NULL;
}

/* Problems of the address part both grammars share, checked in order of usefulness. */
static const char *addr_problem(const Addr *a, const char *end, int with_acl)
{
    const char *t = a->bracketed ? a->host - 1 : a->host;     /* after the protocol prefix */
    size_t tn = (size_t)(end - t);
    size_t v6 = a->bracketed ? 0 : unbracketed_v6(t, tn, with_acl);
    if (v6) {
        return v6_problem(t, v6, tn);
    }
    if (a->unclosed) {
        return "'[' is not closed with ']': the rest of the entry is read as the host";
    }
    if (a->ignored_n) {
        return say(with_acl ? "'%s' after ']' is ignored, with any port and permissions in it"
                            : "'%s' after ']' is ignored, with any port in it",
                   a->ignored, a->ignored_n);
    }
    return prefix_case_problem(a);
}

/* NULL when e (from dest_parse_list) works as far as the text shows, else the most useful
   reason fragment. Only e->z / e->n are read; the entry is parsed again. */
const char *dest_entry_problem(const DestEntry *e)
{
    if (!e) {
        return NULL;
    }
    Addr a;
    DestProto proto = parse_entry(e->z, e->n, 0, &a);
    if (proto == DEST_UNIX) {
        return unix_problem(a.host_n, find(a.host, a.host_n, ":SSL", 0)
                            ? "':SSL' is not removed from a proxy destination in v1.37.1: "
                              "it becomes part of the socket path" : NULL);
    }
    const char *why = addr_problem(&a, e->z + e->n, 0);
    if (why) {
        return why;
    }
    if (a.host_n == 0) {
        return "does not specify a host";
    }
    if (equals(a.port, a.port_n, "SSL") || find(a.port, a.port_n, ":SSL", 0)) {
        /* Only a [stream] destination is cut at ':SSL'; this entry must come from a proxy. */
        return "':SSL' is not removed from a proxy destination in v1.37.1: "
               "it becomes part of the port";
    }
    if (equals_nocase(a.port, a.port_n, "ssl") || find(a.port, a.port_n, ":ssl", 1)) {
        return "':ssl' is not recognised (case-sensitive): it becomes part of the port";
    }
    why = port_problem(a.port, a.port_n);
    if (!why) {
        why = host_problem(a.host, a.host_n, a.bracketed);
    }
    if (!why && proto == DEST_UDP) {
        why = "udp is not accepted by parents";
    }
    return why;
}

/* Like dest_entry_problem, for e from bind_parse_list; parsing again gives the ACL details. */
const char *bind_entry_problem(const BindEntry *e)
{
    if (!e) {
        return NULL;
    }
    BindEntry b;
    Addr a;
    AclScan sc;
    parse_bind(e->z, e->n, e->off, &b, &a, &sc);
    if (b.proto == DEST_UNIX) {
        return unix_problem(b.host_n, memchr(b.host, '=', b.host_n) || memchr(b.host, '^', b.host_n)
                            ? "permissions cannot be given for a unix socket: '=' and '^' become "
                              "part of the path, which always gets every permission" : NULL);
    }
    const char *why = addr_problem(&a, b.z + b.n, 1);
    if (why) {
        return why;
    }
    /* In '*:19999^SSL=force' the port stops at the '=', so look past it. */
    size_t tail = (size_t)(b.z + b.n - b.port);
    if (memchr(b.port, '^', b.port_n) && find(b.port, tail, "^SSL=force", 0)) {
        return "'^SSL=force' only works after '=': it becomes part of the port";
    }
    if (memchr(b.port, '^', b.port_n) && find(b.port, tail, "^SSL=optional", 0)) {
        return "'^SSL=optional' only works after '=': it becomes part of the port";
    }
    if ((why = port_problem(b.port, b.port_n)) != NULL) {
        return why;
    }
    if (sc.bad) {
        return say("unknown permission '%s'", sc.bad, sc.bad_n);
    }
    if (sc.bad_ssl) {
        return say("'%s' sets no SSL mode: write '^SSL=force' or '^SSL=optional' "
                   "(case-sensitive)", sc.bad_ssl, sc.bad_ssl_n);
    }
    if (b.has_eq && b.acl == 0) {
        return "no permissions: nothing is allowed on this port";
    }
    if (sc.force && sc.optional) {
        return "both '^SSL=force' and '^SSL=optional' are given: force wins";
    }
    if (!b.wildcard && (why = host_problem(b.host, b.host_n, b.bracketed)) != NULL) {
        return why;
    }
    return b.proto == DEST_UDP ? "udp listeners cannot serve http or streaming" : NULL;
}
