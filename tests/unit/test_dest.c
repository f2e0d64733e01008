/*
** test_dest.c - cmocka tests for compiler/dest.c: destination lists (shared/spec
** config-semantics.md §6), `[web] bind to` lists (§4.3), the problem fragments, and hostile input
** (huge, truncated, NUL bytes, many entries). Most cases are table rows. Inputs are copied into
** exact-size heap buffers without a NUL, so a sanitizer build catches any read past n.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dest.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ST DEST_STREAM
#define PX DEST_PROXY
#define TCP DEST_TCP
#define UDP DEST_UDP
#define UNX DEST_UNIX
#define ALL BIND_ALL
#define DFL BIND_SSL_DEFAULT
#define OPT BIND_SSL_OPTIONAL
#define FRC BIND_SSL_FORCE

static DestList dl;     /* large (64 entries); static keeps them off the stack */
static BindList bl;

static void check_view(const char *in, const char *what, const char *z, size_t n, const char *want)
{
    if (!z || n != strlen(want) || memcmp(z, want, n) != 0) {
        fail_msg("'%s': %s is '%.*s', want '%s'", in, what, z ? (int)n : 0, z ? z : "", want);
    }
}

static void check_why(const char *in, const char *got, const char *want)
{
    if (got != want && (!got || !want || strcmp(got, want) != 0)) {
        fail_msg("'%s': problem '%s', want '%s'", in, got ? got : "(none)", want ? want : "(none)");
    }
}

static void assert_contains(const char *msg, const char *part)
{
    if (!msg || !strstr(msg, part)) {
        fail_msg("problem '%s' lacks '%s'", msg ? msg : "(null)", part);
    }
}

/* Every view must lie inside its entry, and every entry inside the kept part of the list. */
static void check_dest_views(const char *s, const DestList *l)
{
    assert_true(l->n <= 64 && l->n <= l->total);
    assert_true(l->tls ? l->ssl_off == l->cut_n : l->ssl_off == 0);
    for (size_t i = 0; i < l->n; i++) {
        const DestEntry *e = &l->e[i];
        const char *end = e->z + e->n;
        assert_ptr_equal(e->z, s + e->off);
        assert_true(e->off + e->n <= l->cut_n && e->n > 0);
        assert_true(e->host >= e->z && e->host + e->host_n <= end);
        assert_true(e->iface >= e->z && e->iface + e->iface_n <= end);
        assert_true(e->port >= e->z && e->port + e->port_n <= end);
        assert_true(e->ignored_n >= 0 && (size_t)e->ignored_n <= e->n);
    }
}

static void check_bind_views(const char *s, const BindList *l)
{
    assert_true(l->n <= 64 && l->n <= l->total);
    for (size_t i = 0; i < l->n; i++) {
        const BindEntry *e = &l->e[i];
        const char *end = e->z + e->n;
        assert_ptr_equal(e->z, s + e->off);
        assert_true(e->host >= e->z && e->host + e->host_n <= end);
        assert_true(e->iface >= e->z && e->iface + e->iface_n <= end);
        assert_true(e->port >= e->z && e->port + e->port_n <= end);
        assert_true(!e->bad_acl || (e->bad_acl >= e->z && e->bad_acl + e->bad_acl_n <= end));
        assert_true(e->acl <= BIND_ALL);
    }
}

/* ---------------------------------------------------------------- §6.1, §6.3 whole lists */

typedef struct ListCase {
    const char *in;
    DestFlavor flavor;
    int tls;
    long cut_n;             /* -1: the whole input */
    size_t total;
    const char *entries;    /* the kept entries, joined with '\n' */
} ListCase;

static const ListCase list_cases[] = {
    { "p1:SSL p2", ST, 1, 2, 1, "p1" },                 /* the first :SSL cuts the rest */
    { "p1 p2:SSL", ST, 1, 5, 2, "p1\np2" },
    { "h1:1:SSL,h2:2:SSL", ST, 1, 4, 1, "h1:1" },
    { ":SSL p2", ST, 1, 0, 0, "" },
    { "h:19999:ssl", ST, 0, -1, 1, "h:19999:ssl" },     /* lower case is not recognised */
    { "h:19999:Ssl p2", ST, 0, -1, 2, "h:19999:Ssl\np2" },
    { "p1:SSL p2", PX, 0, -1, 2, "p1:SSL\np2" },        /* a proxy destination is never cut */
    { "[fe80::SSL]:1 p2", ST, 1, 6, 1, "[fe80:" },      /* strstr sees no brackets */
    { " ,\ta,,b\t\n\v\f\rc ;d|e ,  ", ST, 0, -1, 4, "a\nb\nc\n;d|e" },
    { "a\xa0" "b", ST, 0, -1, 1, "a\xa0" "b" },         /* 0xA0 is not C-locale whitespace */
    { "", ST, 0, 0, 0, "" },
    { " ,, \t", PX, 0, -1, 0, "" },
};

static void test_lists(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(list_cases); i++) {
        const ListCase *c = &list_cases[i];
        size_t n = strlen(c->in);
        char *s = testutil_dup_exact(c->in, n);
        dest_parse_list(s, n, c->flavor, &dl);
        check_dest_views(s, &dl);
        if (dl.tls != c->tls || dl.cut_n != (c->cut_n < 0 ? n : (size_t)c->cut_n)
            || dl.total != c->total || dl.n != c->total) {
            fail_msg("'%s': tls %d cut_n %zu total %zu n %zu", c->in, dl.tls, dl.cut_n, dl.total,
                     dl.n);
        }
        const char *want = c->entries;
        for (size_t k = 0; k < dl.n; k++) {
            size_t wn = strcspn(want, "\n");
            char one[64];
            snprintf(one, sizeof one, "%.*s", (int)wn, want);
            check_view(c->in, "entry", dl.e[k].z, dl.e[k].n, one);
            want += wn + (want[wn] != '\0');
        }
        free(s);
    }
}

/* ---------------------------------------------------------------- §6.2 one destination */

typedef struct DestCase {
    const char *in;
    DestFlavor flavor;
    DestProto proto;
    const char *host, *iface, *port;
    int bracketed, ignored_n;
    const char *why;        /* NULL: no problem */
} DestCase;

static const DestCase dest_cases[] = {
    /* protocol prefixes are lower case and case-sensitive */
    { "TCP:host", ST, TCP, "TCP", "", "host", 0, 0,
      "'TCP:' is read as a host name and a port: protocol prefixes are lower case and come first" },
    { "Unix:/run/x.sock", ST, TCP, "Unix", "", "/run/x.sock", 0, 0,
      "'Unix:' is read as a host name and a port: protocol prefixes are lower case and "
      "come first" },
    { "tcp:udp:h", ST, TCP, "udp", "", "h", 0, 0,
      "'udp:' is read as a host name and a port: protocol prefixes are lower case and come first" },
    { "tcp:parent.example:19999", ST, TCP, "parent.example", "", "19999", 0, 0, NULL },
    { "udp:10.0.0.1:19999", ST, UDP, "10.0.0.1", "", "19999", 0, 0,
      "udp is not accepted by parents" },
    /* unix sockets: nothing after the path is parsed */
    { "unix:/run/x.sock", ST, UNX, "/run/x.sock", "", "", 0, 0, NULL },
    { "/run/x.sock", ST, UNX, "/run/x.sock", "", "", 0, 0, NULL },
    { "unix:/run/x.sock:19999%eth0", ST, UNX, "/run/x.sock:19999%eth0", "", "", 0, 0, NULL },
    { "unix:", ST, UNX, "", "", "", 0, 0, "does not specify a socket path" },
    { "unix:/run/p.sock:SSL", PX, UNX, "/run/p.sock:SSL", "", "", 0, 0,
      "':SSL' is not removed from a proxy destination in v1.37.1: it becomes part of the "
      "socket path" },
    /* brackets */
    { "[fe80::1]%eth0:19999", ST, TCP, "fe80::1", "eth0", "19999", 1, 0, NULL },
    { "[::1]", ST, TCP, "::1", "", "", 1, 0, NULL },
    { "[::1]:", ST, TCP, "::1", "", "", 1, 0, NULL },
    { "[]:19999", ST, TCP, "", "", "19999", 1, 0, "does not specify a host" },
    { "[::1]junk:19999", ST, TCP, "::1", "", "", 1, 10,         /* the :19999 is lost as well */
      "'junk:19999' after ']' is ignored, with any port in it" },
    { "[fe80::1:19999", ST, TCP, "fe80::1:19999", "", "", 1, 0,
      "'[' is not closed with ']': the rest of the entry is read as the host" },
    /* unbracketed IPv6 */
    { "::1", ST, TCP, "", "", ":1", 0, 0, "unbracketed IPv6 address: write [::1]" },
    { "fe80::1%eth0", ST, TCP, "fe80", "", ":1%eth0", 0, 0,
      "unbracketed IPv6 address: write [fe80::1]%eth0" },
    { "::1:19999", ST, TCP, "", "", ":1:19999", 0, 0,
      "unbracketed IPv6 address: write [::1]:19999" },
    { "2001:db8::7%eth0:19999", ST, TCP, "2001", "", "db8::7%eth0:19999", 0, 0,
      "unbracketed IPv6 address: write [2001:db8::7]%eth0:19999" },
    /* :SSL left in the port */
    { "h:19999:ssl", ST, TCP, "h", "", "19999:ssl", 0, 0,
      "':ssl' is not recognised (case-sensitive): it becomes part of the port" },
    { "h:Ssl", ST, TCP, "h", "", "Ssl", 0, 0,
      "':ssl' is not recognised (case-sensitive): it becomes part of the port" },
    { "h:SSL", PX, TCP, "h", "", "SSL", 0, 0,
      "':SSL' is not removed from a proxy destination in v1.37.1: it becomes part of the port" },
    { "h:19999:SSL", PX, TCP, "h", "", "19999:SSL", 0, 0,
      "':SSL' is not removed from a proxy destination in v1.37.1: it becomes part of the port" },
    /* ports */
    { "h", ST, TCP, "h", "", "", 0, 0, NULL },
    { "h:", ST, TCP, "h", "", "", 0, 0, NULL },
    { "h:65535", ST, TCP, "h", "", "65535", 0, 0, NULL },
    { "h:019999", ST, TCP, "h", "", "019999", 0, 0, NULL },
    { "h:http", ST, TCP, "h", "", "http", 0, 0, NULL },
    { "h:netdata-x1", ST, TCP, "h", "", "netdata-x1", 0, 0, NULL },
    { "h%eth0:19999", ST, TCP, "h", "eth0", "19999", 0, 0, NULL },
    { "h%:1", ST, TCP, "h", "", "1", 0, 0, NULL },              /* empty interface: ignored */
    { "h:70000", ST, TCP, "h", "", "70000", 0, 0, "port 70000 is out of range 1..65535" },
    { "h:0", ST, TCP, "h", "", "0", 0, 0, "port 0 is out of range 1..65535" },
    { "h:99999999999999999999", ST, TCP, "h", "", "99999999999999999999", 0, 0,
      "port 99999999999999999999 is out of range 1..65535" },
    { "h:x_y", ST, TCP, "h", "", "x_y", 0, 0,
      "port 'x_y' is not a number or a known service name" },
    { "h:+1", ST, TCP, "h", "", "+1", 0, 0, "port '+1' is not a number or a known service name" },
    { "h:1x", ST, TCP, "h", "", "1x", 0, 0, "port '1x' is not a number or a known service name" },
    { "h:\x01\x7f\xff", ST, TCP, "h", "", "\x01\x7f\xff", 0, 0,
      "port '?" "?" "?' is not a number or a known service name" },    /* no trigraph */
    /* hosts */
    { ":19999", ST, TCP, "", "", "19999", 0, 0, "does not specify a host" },
    { "%eth0:1", ST, TCP, "", "eth0", "1", 0, 0, "does not specify a host" },
    { "a;b|c:1", ST, TCP, "a;b|c", "", "1", 0, 0,
      "host 'a;b|c' is not a valid host name or address" },
    { "my_host-1.example.com:1", ST, TCP, "my_host-1.example.com", "", "1", 0, 0, NULL },
};

static void test_dest_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(dest_cases); i++) {
        const DestCase *c = &dest_cases[i];
        size_t n = strlen(c->in);
        char *s = testutil_dup_exact(c->in, n);
        dest_parse_list(s, n, c->flavor, &dl);
        check_dest_views(s, &dl);
        if (dl.n != 1) {
            fail_msg("'%s': %zu entries", c->in, dl.n);
        }
        const DestEntry *e = &dl.e[0];
        if (e->proto != c->proto || e->bracketed != c->bracketed || e->ignored_n != c->ignored_n) {
            fail_msg("'%s': proto %d bracketed %d ignored_n %d", c->in, (int)e->proto,
                     e->bracketed, e->ignored_n);
        }
        check_view(c->in, "host", e->host, e->host_n, c->host);
        check_view(c->in, "iface", e->iface, e->iface_n, c->iface);
        check_view(c->in, "port", e->port, e->port_n, c->port);
        check_why(c->in, dest_entry_problem(e), c->why);
        free(s);
    }
}

/* ---------------------------------------------------------------- §4.3 one `bind to` entry */

typedef struct BindCase {
    const char *in;
    DestProto proto;
    const char *host, *iface, *port;
    int wildcard, has_eq;
    unsigned acl;
    BindSsl ssl;
    const char *bad_acl;    /* NULL: none */
    const char *why;
} BindCase;

#define D BIND_DASHBOARD
#define R BIND_REGISTRY
#define S BIND_STREAMING

static const BindCase bind_cases[] = {
    /* ^SSL= on any item after '=' */
    { "*=dashboard|streaming^SSL=force", TCP, "*", "", "", 1, 1, D | S, FRC, NULL, NULL },
    { "*=streaming^SSL=force|dashboard", TCP, "*", "", "", 1, 1, D | S, FRC, NULL, NULL },
    { "*=registry^SSL=optional", TCP, "*", "", "", 1, 1, R, OPT, NULL, NULL },
    { "*=dashboard^SSL=optional|registry^SSL=force", TCP, "*", "", "", 1, 1, D | R, FRC, NULL,
      "both '^SSL=force' and '^SSL=optional' are given: force wins" },
    { "*=dashboard^ssl=force", TCP, "*", "", "", 1, 1, D, DFL, NULL,
      "'^ssl=force' sets no SSL mode: write '^SSL=force' or '^SSL=optional' (case-sensitive)" },
    { "*=dashboard^SSL=forced", TCP, "*", "", "", 1, 1, D, DFL, NULL,
      "'^SSL=forced' sets no SSL mode: write '^SSL=force' or '^SSL=optional' (case-sensitive)" },
    /* ^SSL= before any '=' lands in the port */
    { "*:19999^SSL=force", TCP, "*", "", "19999^SSL", 1, 1, 0, DFL, "force",
      "'^SSL=force' only works after '=': it becomes part of the port" },
    { "*:19999^SSL=optional", TCP, "*", "", "19999^SSL", 1, 1, 0, DFL, "optional",
      "'^SSL=optional' only works after '=': it becomes part of the port" },
    /* permissions */
    { "*=^SSL=force", TCP, "*", "", "", 1, 1, 0, FRC, NULL,
      "no permissions: nothing is allowed on this port" },
    { "*=", TCP, "*", "", "", 1, 1, 0, DFL, NULL,
      "no permissions: nothing is allowed on this port" },
    { "*=dashboard|registry|badges|management|streaming|netdata.conf", TCP, "*", "", "", 1, 1, ALL,
      DFL, NULL, NULL },
    { "*=dashbaord|streaming", TCP, "*", "", "", 1, 1, S, DFL, "dashbaord",
      "unknown permission 'dashbaord'" },
    { "*=Dashboard", TCP, "*", "", "", 1, 1, 0, DFL, "Dashboard",              /* case-sensitive */
      "unknown permission 'Dashboard'" },
    { "*=%s%n", TCP, "*", "", "", 1, 1, 0, DFL, "%s%n", "unknown permission '%s%n'" },
    { "*=dashboard||", TCP, "*", "", "", 1, 1, D, DFL, NULL, NULL },
    /* unix sockets: every permission, nothing after the path parsed; no '/' shortcut here */
    { "unix:/x", UNX, "/x", "", "", 0, 0, ALL, DFL, NULL, NULL },
    { "unix:/x=dashboard^SSL=force", UNX, "/x=dashboard^SSL=force", "", "", 0, 0, ALL, DFL, NULL,
      "permissions cannot be given for a unix socket: '=' and '^' become part of the path, which "
      "always gets every permission" },
    { "unix:", UNX, "", "", "", 0, 0, ALL, DFL, NULL, "does not specify a socket path" },
    { "/run/nd.sock", TCP, "/run/nd.sock", "", "", 0, 0, ALL, DFL, NULL,
      "host '/run/nd.sock' is not a valid host name or address" },
    /* hosts and wildcards */
    { "*foo", TCP, "*foo", "", "", 1, 0, ALL, DFL, NULL, NULL },
    { "any:19999", TCP, "any", "", "19999", 1, 0, ALL, DFL, NULL, NULL },
    { "all", TCP, "all", "", "", 1, 0, ALL, DFL, NULL, NULL },
    { "Any", TCP, "Any", "", "", 0, 0, ALL, DFL, NULL, NULL },
    { "[]", TCP, "", "", "", 1, 0, ALL, DFL, NULL, NULL },
    { "[*]:1", TCP, "*", "", "1", 1, 0, ALL, DFL, NULL, NULL },
    { ":19999", TCP, "", "", "19999", 1, 0, ALL, DFL, NULL, NULL },
    { "%eth0:19999=streaming", TCP, "", "eth0", "19999", 1, 1, S, DFL, NULL, NULL },
    { "localhost", TCP, "localhost", "", "", 0, 0, ALL, DFL, NULL, NULL },
    { "tcp:localhost:http", TCP, "localhost", "", "http", 0, 0, ALL, DFL, NULL, NULL },
    { "10.0.0.1%eth0=badges", TCP, "10.0.0.1", "eth0", "", 0, 1, BIND_BADGES, DFL, NULL, NULL },
    { "[::1]:19999=dashboard", TCP, "::1", "", "19999", 0, 1, D, DFL, NULL, NULL },
    { "[fe80::1]%eth0:19999=streaming", TCP, "fe80::1", "eth0", "19999", 0, 1, S, DFL, NULL, NULL },
    /* broken */
    { "::1", TCP, "", "", ":1", 1, 0, ALL, DFL, NULL, "unbracketed IPv6 address: write [::1]" },
    { ":::19999=dashboard", TCP, "", "", "::19999", 1, 1, D, DFL, NULL,
      "unbracketed IPv6 address: write [::]:19999=dashboard" },
    { "[::1]x:1=dashboard", TCP, "::1", "", "", 0, 0, ALL, DFL, NULL,
      "'x:1=dashboard' after ']' is ignored, with any port and permissions in it" },
    { "[::1:19999=dashboard", TCP, "::1:19999=dashboard", "", "", 0, 0, ALL, DFL, NULL,
      "'[' is not closed with ']': the rest of the entry is read as the host" },
    { "*:0", TCP, "*", "", "0", 1, 0, ALL, DFL, NULL, "port 0 is out of range 1..65535" },
    { "udp:*:1", UDP, "*", "", "1", 1, 0, ALL, DFL, NULL,
      "udp listeners cannot serve http or streaming" },
    { "TCP:19999", TCP, "TCP", "", "19999", 0, 0, ALL, DFL, NULL,
      "'TCP:' is read as a host name and a port: protocol prefixes are lower case and come first" },
};

static void test_bind_entries(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(bind_cases); i++) {
        const BindCase *c = &bind_cases[i];
        size_t n = strlen(c->in);
        char *s = testutil_dup_exact(c->in, n);
        bind_parse_list(s, n, &bl);
        check_bind_views(s, &bl);
        if (bl.n != 1) {
            fail_msg("'%s': %zu entries", c->in, bl.n);
        }
        const BindEntry *e = &bl.e[0];
        if (e->proto != c->proto || e->wildcard != c->wildcard || e->has_eq != c->has_eq
            || e->acl != c->acl || e->ssl != c->ssl || !e->bad_acl != !c->bad_acl) {
            fail_msg("'%s': proto %d wildcard %d has_eq %d acl %u ssl %d bad_acl %d", c->in,
                     (int)e->proto, e->wildcard, e->has_eq, e->acl, (int)e->ssl, !!e->bad_acl);
        }
        check_view(c->in, "host", e->host, e->host_n, c->host);
        check_view(c->in, "iface", e->iface, e->iface_n, c->iface);
        check_view(c->in, "port", e->port, e->port_n, c->port);
        if (c->bad_acl) {
            check_view(c->in, "bad_acl", e->bad_acl, e->bad_acl_n, c->bad_acl);
        }
        check_why(c->in, bind_entry_problem(e), c->why);
        free(s);
    }
}

static void test_bind_comma_splits(void **state)
{
    (void)state;
    char *s = testutil_dup_exact("*=dashboard,registry", 20);
    bind_parse_list(s, 20, &bl);
    check_bind_views(s, &bl);
    assert_int_equal(bl.n, 2);
    assert_int_equal(bl.e[0].acl, BIND_DASHBOARD);
    check_view("registry", "host", bl.e[1].host, bl.e[1].host_n, "registry");
    assert_false(bl.e[1].wildcard || bl.e[1].has_eq);
    assert_int_equal(bl.e[1].acl, BIND_ALL);
    assert_null(bind_entry_problem(&bl.e[1]));
    free(s);
}

/* ---------------------------------------------------------------- edges and hostile input */

static void test_null_and_empty(void **state)
{
    (void)state;
    dest_parse_list(NULL, 0, DEST_STREAM, &dl);
    assert_true(dl.n == 0 && dl.total == 0 && dl.cut_n == 0 && dl.tls == 0);
    dest_parse_list(NULL, 5, DEST_PROXY, &dl);    /* NULL with n > 0 reads nothing */
    assert_int_equal(dl.total, 0);
    bind_parse_list(NULL, 0, &bl);
    assert_int_equal(bl.total, 0);
    assert_null(dest_entry_problem(NULL));
    assert_null(bind_entry_problem(NULL));
}

static void test_more_than_64_entries(void **state)
{
    (void)state;
    char buf[1024] = "";
    size_t len = 0;
    for (int i = 0; i < 100; i++) {
        len += (size_t)snprintf(buf + len, sizeof buf - len, "h%d ", i);
    }
    char *s = testutil_dup_exact(buf, len);
    dest_parse_list(s, len, DEST_STREAM, &dl);
    check_dest_views(s, &dl);
    assert_int_equal(dl.n, 64);
    assert_int_equal(dl.total, 100);
    check_view("h63", "host", dl.e[63].host, dl.e[63].host_n, "h63");
    free(s);
}

static void test_nul_ends_the_value(void **state)
{
    (void)state;
    static const char lit[] = "a b\0c:SSL d";
    char *s = testutil_dup_exact(lit, sizeof lit - 1);
    dest_parse_list(s, sizeof lit - 1, DEST_STREAM, &dl);
    assert_int_equal(dl.tls, 0);
    assert_int_equal(dl.cut_n, 3);
    assert_int_equal(dl.n, 2);
    bind_parse_list(s, sizeof lit - 1, &bl);
    assert_int_equal(bl.n, 2);
    free(s);
}

static void test_n_bounds_the_input(void **state)
{
    (void)state;
    char *s = testutil_dup_exact("a b:SSL", 7);
    dest_parse_list(s, 3, DEST_STREAM, &dl);    /* only "a b" is ours */
    assert_int_equal(dl.tls, 0);
    assert_int_equal(dl.n, 2);
    assert_int_equal(dl.e[1].n, 1);
    dest_parse_list(s, 6, DEST_STREAM, &dl);    /* "a b:SS": no ':SSL' inside n */
    assert_int_equal(dl.tls, 0);
    assert_int_equal(dl.e[1].port_n, 2);
    free(s);
}

static void test_long_unix_path(void **state)
{
    (void)state;
    char buf[200] = "unix:/";
    memset(buf + 6, 'a', 101);                  /* a 102-byte path: 107 is the limit */
    char *s = testutil_dup_exact(buf, strlen(buf));
    dest_parse_list(s, strlen(buf), DEST_STREAM, &dl);
    assert_null(dest_entry_problem(&dl.e[0]));
    free(s);
    memset(buf + 6, 'a', 120);
    s = testutil_dup_exact(buf, strlen(buf));
    dest_parse_list(s, strlen(buf), DEST_STREAM, &dl);
    assert_string_equal(dest_entry_problem(&dl.e[0]),
                        "unix socket path is longer than 107 bytes: it is cut");
    bind_parse_list(s, strlen(buf), &bl);
    assert_string_equal(bind_entry_problem(&bl.e[0]),
                        "unix socket path is longer than 107 bytes: it is cut");
    free(s);
}

static void test_megabyte_of_brackets(void **state)
{
    (void)state;
    size_t n = 1u << 20;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, '[', n);
    dest_parse_list(s, n, DEST_STREAM, &dl);
    check_dest_views(s, &dl);
    assert_int_equal(dl.n, 1);
    assert_int_equal(dl.e[0].host_n, n - 1);
    assert_contains(dest_entry_problem(&dl.e[0]), "'[' is not closed");
    bind_parse_list(s, n, &bl);
    check_bind_views(s, &bl);
    assert_contains(bind_entry_problem(&bl.e[0]), "'[' is not closed");
    memset(s, ':', n);                          /* one huge port, no host */
    dest_parse_list(s, n, DEST_PROXY, &dl);
    assert_string_equal(dest_entry_problem(&dl.e[0]), "does not specify a host");
    free(s);
}

static void test_ten_thousand_entries(void **state)
{
    (void)state;
    size_t n = 10000 * 4 + 4;
    char *s = malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i < 10000; i++) {
        memcpy(s + 4 * i, "h:1,", 4);
    }
    memcpy(s + n - 4, ":SSL", 4);
    dest_parse_list(s, n, DEST_STREAM, &dl);
    check_dest_views(s, &dl);
    assert_int_equal(dl.tls, 1);
    assert_int_equal(dl.total, 10000);
    assert_int_equal(dl.n, 64);
    bind_parse_list(s, n, &bl);                 /* no ':SSL' cut here: ':SSL' is one more entry */
    check_bind_views(s, &bl);
    assert_int_equal(bl.total, 10001);
    assert_int_equal(bl.n, 64);
    free(s);
}

static void test_long_text_in_messages(void **state)
{
    (void)state;
    char buf[600] = "h:";
    memset(buf + 2, 'x', 500);
    buf[10] = '!';
    char *s = testutil_dup_exact(buf, 502);
    dest_parse_list(s, 502, DEST_STREAM, &dl);
    const char *why = dest_entry_problem(&dl.e[0]);
    assert_contains(why, "...' is not a number");
    assert_true(strlen(why) < 120);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_dest_entries),
        cmocka_unit_test(test_bind_entries),
        cmocka_unit_test(test_bind_comma_splits),
        cmocka_unit_test(test_null_and_empty),
        cmocka_unit_test(test_more_than_64_entries),
        cmocka_unit_test(test_nul_ends_the_value),
        cmocka_unit_test(test_n_bounds_the_input),
        cmocka_unit_test(test_long_unix_path),
        cmocka_unit_test(test_megabyte_of_brackets),
        cmocka_unit_test(test_ten_thousand_entries),
        cmocka_unit_test(test_long_text_in_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
