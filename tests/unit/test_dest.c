/*
** test_dest.c - cmocka tests for compiler/dest.c: destination lists (shared/spec
** config-semantics.md §6), `[web] bind to` lists (§4.3), the problem fragments, and hostile input
** (huge, truncated, NUL bytes, many entries). Inputs are copied into exact-size heap buffers
** without a NUL, so a sanitizer build catches any read past n.
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

/* An exact-size copy: reading s[n] is a heap overflow under ASan. Freed by the caller. */
static char *dup_exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void assert_view(const char *z, size_t n, const char *want)
{
    assert_non_null(z);
    if (n != strlen(want) || memcmp(z, want, n) != 0) {
        fail_msg("view '%.*s' (%zu bytes) != '%s'", (int)n, z, n, want);
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

static DestList dl;     /* large (64 entries); static keeps it off the stack */
static BindList bl;

static const DestList *dlist(const char *lit, DestFlavor f)
{
    size_t n = strlen(lit);
    char *s = dup_exact(lit, n);
    dest_parse_list(s, n, f, &dl);
    check_dest_views(s, &dl);
    /* Rebase the views onto the literal so they outlive the buffer. */
    for (size_t i = 0; i < dl.n; i++) {
        DestEntry *e = &dl.e[i];
        e->host = lit + (e->host - s);
        e->iface = lit + (e->iface - s);
        e->port = lit + (e->port - s);
        e->z = lit + (e->z - s);
    }
    free(s);
    return &dl;
}

static const BindList *blist(const char *lit)
{
    size_t n = strlen(lit);
    char *s = dup_exact(lit, n);
    bind_parse_list(s, n, &bl);
    check_bind_views(s, &bl);
    for (size_t i = 0; i < bl.n; i++) {
        BindEntry *e = &bl.e[i];
        e->host = lit + (e->host - s);
        e->iface = lit + (e->iface - s);
        e->port = lit + (e->port - s);
        e->bad_acl = e->bad_acl ? lit + (e->bad_acl - s) : NULL;
        e->z = lit + (e->z - s);
    }
    free(s);
    return &bl;
}

/* The single entry of a one-entry list. */
static const DestEntry *dest1(const char *lit, DestFlavor f)
{
    const DestList *l = dlist(lit, f);
    assert_int_equal(l->n, 1);
    return &l->e[0];
}

static const BindEntry *bind1(const char *lit)
{
    const BindList *l = blist(lit);
    assert_int_equal(l->n, 1);
    return &l->e[0];
}

/* ---------------------------------------------------------------- §6.3 :SSL */

static void test_ssl_first_entry_cuts_the_rest(void **state)
{
    (void)state;
    const DestList *l = dlist("p1:SSL p2", DEST_STREAM);
    assert_int_equal(l->tls, 1);
    assert_int_equal(l->ssl_off, 2);
    assert_int_equal(l->cut_n, 2);
    assert_int_equal(l->n, 1);
    assert_int_equal(l->total, 1);
    assert_view(l->e[0].host, l->e[0].host_n, "p1");
    assert_int_equal(l->e[0].port_n, 0);
    assert_null(dest_entry_problem(&l->e[0]));
}

static void test_ssl_last_entry_keeps_all(void **state)
{
    (void)state;
    const DestList *l = dlist("p1 p2:SSL", DEST_STREAM);
    assert_int_equal(l->tls, 1);
    assert_int_equal(l->ssl_off, 5);
    assert_int_equal(l->cut_n, 5);
    assert_int_equal(l->n, 2);
    assert_view(l->e[0].z, l->e[0].n, "p1");
    assert_view(l->e[1].z, l->e[1].n, "p2");
    assert_int_equal(l->e[1].off, 3);
}

static void test_ssl_first_of_two(void **state)
{
    (void)state;
    const DestList *l = dlist("h1:1:SSL,h2:2:SSL", DEST_STREAM);
    assert_int_equal(l->tls, 1);
    assert_int_equal(l->cut_n, 4);
    assert_int_equal(l->n, 1);
    assert_view(l->e[0].host, l->e[0].host_n, "h1");
    assert_view(l->e[0].port, l->e[0].port_n, "1");
    assert_null(dest_entry_problem(&l->e[0]));
}

static void test_ssl_at_start_keeps_nothing(void **state)
{
    (void)state;
    const DestList *l = dlist(":SSL p2", DEST_STREAM);
    assert_int_equal(l->tls, 1);
    assert_int_equal(l->cut_n, 0);
    assert_int_equal(l->n, 0);
    assert_int_equal(l->total, 0);
}

static void test_ssl_lower_case_stays_in_port(void **state)
{
    (void)state;
    const DestList *l = dlist("h:19999:ssl", DEST_STREAM);
    assert_int_equal(l->tls, 0);
    assert_int_equal(l->cut_n, 11);
    assert_view(l->e[0].port, l->e[0].port_n, "19999:ssl");
    assert_string_equal(dest_entry_problem(&l->e[0]),
                        "':ssl' is not recognised (case-sensitive): it becomes part of the port");
    const DestEntry *e = dest1("h:Ssl", DEST_STREAM);
    assert_view(e->port, e->port_n, "Ssl");
    assert_contains(dest_entry_problem(e), "':ssl' is not recognised");
}

static void test_proxy_never_cuts(void **state)
{
    (void)state;
    const DestList *l = dlist("p1:SSL p2", DEST_PROXY);
    assert_int_equal(l->tls, 0);
    assert_int_equal(l->ssl_off, 0);
    assert_int_equal(l->cut_n, 9);
    assert_int_equal(l->n, 2);
    assert_view(l->e[0].port, l->e[0].port_n, "SSL");
    assert_contains(dest_entry_problem(&l->e[0]), "':SSL' is not removed from a proxy destination");
    assert_null(dest_entry_problem(&l->e[1]));
    const DestEntry *e = dest1("h:19999:SSL", DEST_PROXY);
    assert_view(e->port, e->port_n, "19999:SSL");
    assert_contains(dest_entry_problem(e), "it becomes part of the port");
    e = dest1("unix:/run/p.sock:SSL", DEST_PROXY);
    assert_contains(dest_entry_problem(e), "part of the socket path");
}

/* ---------------------------------------------------------------- §6.2 one entry */

static void test_protocol_prefixes(void **state)
{
    (void)state;
    const DestEntry *e = dest1("TCP:host", DEST_STREAM);
    assert_int_equal(e->proto, DEST_TCP);
    assert_view(e->host, e->host_n, "TCP");
    assert_view(e->port, e->port_n, "host");
    assert_string_equal(dest_entry_problem(e), "'TCP:' is read as a host name and a port: "
                                               "protocol prefixes are lower case and come first");
    e = dest1("tcp:parent.example:19999", DEST_STREAM);
    assert_int_equal(e->proto, DEST_TCP);
    assert_view(e->host, e->host_n, "parent.example");
    assert_view(e->port, e->port_n, "19999");
    assert_null(dest_entry_problem(e));
    e = dest1("udp:10.0.0.1:19999", DEST_STREAM);
    assert_int_equal(e->proto, DEST_UDP);
    assert_view(e->host, e->host_n, "10.0.0.1");
    assert_string_equal(dest_entry_problem(e), "udp is not accepted by parents");
    e = dest1("tcp:udp:h", DEST_STREAM);
    assert_view(e->host, e->host_n, "udp");
    assert_contains(dest_entry_problem(e), "'udp:' is read as a host name");
    e = dest1("Unix:/run/x.sock", DEST_STREAM);
    assert_int_equal(e->proto, DEST_TCP);
    assert_contains(dest_entry_problem(e), "'Unix:'");
}

static void test_unix_paths(void **state)
{
    (void)state;
    const DestEntry *e = dest1("unix:/run/x.sock", DEST_STREAM);
    assert_int_equal(e->proto, DEST_UNIX);
    assert_view(e->host, e->host_n, "/run/x.sock");
    assert_int_equal(e->port_n, 0);
    assert_null(dest_entry_problem(e));
    e = dest1("/run/x.sock", DEST_STREAM);
    assert_int_equal(e->proto, DEST_UNIX);
    assert_view(e->host, e->host_n, "/run/x.sock");
    e = dest1("unix:/run/x.sock:19999%eth0", DEST_STREAM);   /* nothing after the path is parsed */
    assert_view(e->host, e->host_n, "/run/x.sock:19999%eth0");
    assert_int_equal(e->iface_n, 0);
    e = dest1("unix:", DEST_STREAM);
    assert_int_equal(e->host_n, 0);
    assert_string_equal(dest_entry_problem(e), "does not specify a socket path");
    char longp[200] = "unix:/";
    memset(longp + 6, 'a', 120);
    e = dest1(longp, DEST_STREAM);
    assert_contains(dest_entry_problem(e), "longer than 107 bytes");
}

static void test_bracketed_ipv6(void **state)
{
    (void)state;
    const DestEntry *e = dest1("[fe80::1]%eth0:19999", DEST_STREAM);
    assert_true(e->bracketed);
    assert_view(e->host, e->host_n, "fe80::1");
    assert_view(e->iface, e->iface_n, "eth0");
    assert_view(e->port, e->port_n, "19999");
    assert_int_equal(e->ignored_n, 0);
    assert_null(dest_entry_problem(e));
    e = dest1("[::1]", DEST_STREAM);
    assert_view(e->host, e->host_n, "::1");
    assert_int_equal(e->port_n, 0);
    assert_null(dest_entry_problem(e));
    e = dest1("[]:19999", DEST_STREAM);
    assert_int_equal(e->host_n, 0);
    assert_string_equal(dest_entry_problem(e), "does not specify a host");
}

static void test_bytes_after_bracket_are_ignored(void **state)
{
    (void)state;
    /* v1.37.1 only looks at the byte after ']': here the ':19999' is ignored as well. */
    const DestEntry *e = dest1("[::1]junk:19999", DEST_STREAM);
    assert_view(e->host, e->host_n, "::1");
    assert_int_equal(e->ignored_n, 10);
    assert_int_equal(e->port_n, 0);
    assert_int_equal(e->iface_n, 0);
    assert_string_equal(dest_entry_problem(e),
                        "'junk:19999' after ']' is ignored, with any port in it");
}

static void test_unclosed_bracket(void **state)
{
    (void)state;
    const DestEntry *e = dest1("[fe80::1:19999", DEST_STREAM);
    assert_true(e->bracketed);
    assert_view(e->host, e->host_n, "fe80::1:19999");
    assert_int_equal(e->port_n, 0);
    assert_contains(dest_entry_problem(e), "'[' is not closed");
}

static void test_unbracketed_ipv6(void **state)
{
    (void)state;
    const DestEntry *e = dest1("::1", DEST_STREAM);
    assert_int_equal(e->host_n, 0);
    assert_view(e->port, e->port_n, ":1");
    assert_string_equal(dest_entry_problem(e), "unbracketed IPv6 address: write [::1]");
    e = dest1("fe80::1%eth0", DEST_STREAM);
    assert_view(e->host, e->host_n, "fe80");
    assert_view(e->port, e->port_n, ":1%eth0");
    assert_int_equal(e->iface_n, 0);
    assert_string_equal(dest_entry_problem(e), "unbracketed IPv6 address: write [fe80::1]%eth0");
    e = dest1("::1:19999", DEST_STREAM);
    assert_string_equal(dest_entry_problem(e), "unbracketed IPv6 address: write [::1]:19999");
    e = dest1("2001:db8::7%eth0:19999", DEST_STREAM);
    assert_contains(dest_entry_problem(e), "write [2001:db8::7]%eth0:19999");
}

static void test_ports(void **state)
{
    (void)state;
    static const char *const good[] = { "h", "h:", "h:1", "h:65535", "h:019999", "h:http",
                                        "h:netdata-x1", "h%eth0:19999" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *why = dest_entry_problem(dest1(good[i], DEST_STREAM));
        if (why) {
            fail_msg("'%s': %s", good[i], why);
        }
    }
    assert_string_equal(dest_entry_problem(dest1("h:70000", DEST_STREAM)),
                        "port 70000 is out of range 1..65535");
    assert_string_equal(dest_entry_problem(dest1("h:0", DEST_STREAM)),
                        "port 0 is out of range 1..65535");
    assert_contains(dest_entry_problem(dest1("h:99999999999999999999999", DEST_STREAM)),
                    "is out of range");
    assert_string_equal(dest_entry_problem(dest1("h:x_y", DEST_STREAM)),
                        "port 'x_y' is not a number or a known service name");
    assert_contains(dest_entry_problem(dest1("h:+1", DEST_STREAM)), "port '+1' is not a number");
    assert_contains(dest_entry_problem(dest1("h:1x", DEST_STREAM)), "port '1x' is not a number");
    const DestEntry *e = dest1("h%:1", DEST_STREAM);     /* empty interface: ignored by Netdata */
    assert_int_equal(e->iface_n, 0);
    assert_view(e->port, e->port_n, "1");
}

static void test_hosts(void **state)
{
    (void)state;
    assert_string_equal(dest_entry_problem(dest1(":19999", DEST_STREAM)),
                        "does not specify a host");
    assert_string_equal(dest_entry_problem(dest1("%eth0:1", DEST_STREAM)),
                        "does not specify a host");
    assert_string_equal(dest_entry_problem(dest1("a;b|c:1", DEST_STREAM)),
                        "host 'a;b|c' is not a valid host name or address");
    assert_null(dest_entry_problem(dest1("my_host-1.example.com:1", DEST_STREAM)));
}

/* ---------------------------------------------------------------- §6.1 the list */

static void test_separators(void **state)
{
    (void)state;
    const char *s = " ,\ta,,b\t\n\v\f\rc ;d|e ,  ";
    const DestList *l = dlist(s, DEST_STREAM);
    assert_int_equal(l->n, 4);
    assert_int_equal(l->total, 4);
    assert_view(l->e[0].z, l->e[0].n, "a");
    assert_int_equal(l->e[0].off, 3);
    assert_view(l->e[1].z, l->e[1].n, "b");
    assert_view(l->e[2].z, l->e[2].n, "c");
    assert_view(l->e[3].z, l->e[3].n, ";d|e");
    assert_int_equal(l->cut_n, strlen(s));
    /* 0xA0 (NBSP in Latin-1) is not whitespace for C isspace in the C locale. */
    l = dlist("a\xa0" "b", DEST_STREAM);
    assert_int_equal(l->n, 1);
}

static void test_empty_lists(void **state)
{
    (void)state;
    dest_parse_list(NULL, 0, DEST_STREAM, &dl);
    assert_int_equal(dl.n, 0);
    assert_int_equal(dl.cut_n, 0);
    assert_int_equal(dl.tls, 0);
    const DestList *l = dlist("", DEST_STREAM);
    assert_int_equal(l->total, 0);
    l = dlist(" ,, \t", DEST_PROXY);
    assert_int_equal(l->total, 0);
    bind_parse_list(NULL, 0, &bl);
    assert_int_equal(bl.total, 0);
    assert_null(dest_entry_problem(NULL));
    assert_null(bind_entry_problem(NULL));
}

static void test_more_than_64_entries(void **state)
{
    (void)state;
    char s[1024] = "";
    size_t len = 0;
    for (int i = 0; i < 100; i++) {
        len += (size_t)snprintf(s + len, sizeof s - len, "h%d ", i);
    }
    const DestList *l = dlist(s, DEST_STREAM);
    assert_int_equal(l->n, 64);
    assert_int_equal(l->total, 100);
    assert_view(l->e[63].host, l->e[63].host_n, "h63");
}

static void test_nul_ends_the_value(void **state)
{
    (void)state;
    static const char s[] = "a b\0c:SSL d";
    char *p = dup_exact(s, sizeof s - 1);
    dest_parse_list(p, sizeof s - 1, DEST_STREAM, &dl);
    assert_int_equal(dl.tls, 0);
    assert_int_equal(dl.cut_n, 3);
    assert_int_equal(dl.n, 2);
    bind_parse_list(p, sizeof s - 1, &bl);
    assert_int_equal(bl.n, 2);
    free(p);
}

static void test_n_bounds_the_input(void **state)
{
    (void)state;
    char *p = dup_exact("a b:SSL", 7);
    dest_parse_list(p, 3, DEST_STREAM, &dl);   /* only "a b" is ours */
    assert_int_equal(dl.tls, 0);
    assert_int_equal(dl.n, 2);
    assert_int_equal(dl.e[1].n, 1);
    dest_parse_list(p, 6, DEST_STREAM, &dl);   /* "a b:SS": no ':SSL' inside n */
    assert_int_equal(dl.tls, 0);
    assert_int_equal(dl.e[1].port_n, 2);
    free(p);
}

/* ---------------------------------------------------------------- §4.3 bind to */

static void test_bind_ssl_on_any_item(void **state)
{
    (void)state;
    const BindEntry *e = bind1("*=dashboard|streaming^SSL=force");
    assert_true(e->wildcard && e->has_eq);
    assert_int_equal(e->acl, BIND_DASHBOARD | BIND_STREAMING);
    assert_int_equal(e->ssl, BIND_SSL_FORCE);
    assert_null(e->bad_acl);
    assert_null(bind_entry_problem(e));
    e = bind1("*=streaming^SSL=force|dashboard");
    assert_int_equal(e->acl, BIND_DASHBOARD | BIND_STREAMING);
    assert_int_equal(e->ssl, BIND_SSL_FORCE);
    assert_null(bind_entry_problem(e));
    e = bind1("*=registry^SSL=optional");
    assert_int_equal(e->acl, BIND_REGISTRY);
    assert_int_equal(e->ssl, BIND_SSL_OPTIONAL);
}

static void test_bind_comma_splits(void **state)
{
    (void)state;
    const BindList *l = blist("*=dashboard,registry");
    assert_int_equal(l->n, 2);
    assert_int_equal(l->e[0].acl, BIND_DASHBOARD);
    assert_view(l->e[1].host, l->e[1].host_n, "registry");
    assert_false(l->e[1].wildcard);
    assert_false(l->e[1].has_eq);
    assert_int_equal(l->e[1].acl, BIND_ALL);
}

static void test_bind_ssl_in_port(void **state)
{
    (void)state;
    const BindEntry *e = bind1("*:19999^SSL=force");
    assert_view(e->port, e->port_n, "19999^SSL");
    assert_true(e->has_eq);
    assert_int_equal(e->acl, 0);
    assert_view(e->bad_acl, e->bad_acl_n, "force");
    assert_string_equal(bind_entry_problem(e),
                        "'^SSL=force' only works after '=': it becomes part of the port");
    e = bind1("*:19999^SSL=optional");
    assert_contains(bind_entry_problem(e), "'^SSL=optional' only works after '='");
}

static void test_bind_no_permissions(void **state)
{
    (void)state;
    const BindEntry *e = bind1("*=^SSL=force");
    assert_true(e->has_eq);
    assert_int_equal(e->acl, 0);
    assert_int_equal(e->ssl, BIND_SSL_FORCE);
    assert_null(e->bad_acl);
    assert_string_equal(bind_entry_problem(e), "no permissions: nothing is allowed on this port");
    e = bind1("*=");
    assert_int_equal(e->acl, 0);
    assert_string_equal(bind_entry_problem(e), "no permissions: nothing is allowed on this port");
}

static void test_bind_unix(void **state)
{
    (void)state;
    const BindEntry *e = bind1("unix:/x");
    assert_int_equal(e->proto, DEST_UNIX);
    assert_view(e->host, e->host_n, "/x");
    assert_int_equal(e->acl, BIND_ALL);
    assert_int_equal(e->ssl, BIND_SSL_DEFAULT);
    assert_false(e->has_eq);
    assert_null(bind_entry_problem(e));
    e = bind1("unix:/x=dashboard^SSL=force");
    assert_view(e->host, e->host_n, "/x=dashboard^SSL=force");
    assert_int_equal(e->acl, BIND_ALL);
    assert_contains(bind_entry_problem(e), "permissions cannot be given for a unix socket");
    e = bind1("/run/netdata.sock");        /* no '/' shortcut on the listen side */
    assert_int_equal(e->proto, DEST_TCP);
    assert_contains(bind_entry_problem(e), "is not a valid host name");
    assert_string_equal(bind_entry_problem(bind1("unix:")), "does not specify a socket path");
}

static void test_bind_ssl_case_and_conflicts(void **state)
{
    (void)state;
    const BindEntry *e = bind1("*=dashboard^ssl=force");
    assert_int_equal(e->acl, BIND_DASHBOARD);
    assert_int_equal(e->ssl, BIND_SSL_DEFAULT);
    assert_string_equal(bind_entry_problem(e), "'^ssl=force' sets no SSL mode: write '^SSL=force' "
                                               "or '^SSL=optional' (case-sensitive)");
    e = bind1("*=dashboard^SSL=forced");
    assert_int_equal(e->ssl, BIND_SSL_DEFAULT);
    assert_contains(bind_entry_problem(e), "'^SSL=forced' sets no SSL mode");
    e = bind1("*=dashboard^SSL=optional|registry^SSL=force");
    assert_int_equal(e->ssl, BIND_SSL_FORCE);
    assert_int_equal(e->acl, BIND_DASHBOARD | BIND_REGISTRY);
    assert_string_equal(bind_entry_problem(e),
                        "both '^SSL=force' and '^SSL=optional' are given: force wins");
}

static void test_bind_acl_names(void **state)
{
    (void)state;
    const BindEntry *e = bind1("*=dashboard|registry|badges|management|streaming|netdata.conf");
    assert_int_equal(e->acl, BIND_ALL);
    assert_null(bind_entry_problem(e));
    e = bind1("*=dashbaord|streaming");
    assert_int_equal(e->acl, BIND_STREAMING);
    assert_view(e->bad_acl, e->bad_acl_n, "dashbaord");
    assert_string_equal(bind_entry_problem(e), "unknown permission 'dashbaord'");
    e = bind1("*=Dashboard");                  /* names are case-sensitive */
    assert_int_equal(e->acl, 0);
    assert_view(e->bad_acl, e->bad_acl_n, "Dashboard");
    e = bind1("*=dashboard||");                 /* empty items are ignored */
    assert_int_equal(e->acl, BIND_DASHBOARD);
    assert_null(e->bad_acl);
    assert_null(bind_entry_problem(e));
}

static void test_bind_hosts(void **state)
{
    (void)state;
    static const char *const wild[] = { "", "*", "*foo", "any", "all", "[]", "[*]:1",
                                        ":19999", "%eth0:19999=streaming" };
    for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "x %s", wild[i]);  /* "x" keeps "" from being an empty list */
        const BindList *l = blist(buf);
        if (wild[i][0]) {
            assert_int_equal(l->n, 2);
            if (!l->e[1].wildcard) {
                fail_msg("'%s' is not a wildcard", wild[i]);
            }
        }
    }
    assert_false(bind1("Any")->wildcard);
    assert_false(bind1("localhost")->wildcard);
    const BindEntry *e = bind1("[::1]:19999=dashboard");
    assert_true(e->bracketed);
    assert_view(e->host, e->host_n, "::1");
    assert_view(e->port, e->port_n, "19999");
    assert_int_equal(e->acl, BIND_DASHBOARD);
    assert_null(bind_entry_problem(e));
    e = bind1("[fe80::1]%eth0:19999=streaming");
    assert_view(e->iface, e->iface_n, "eth0");
    assert_int_equal(e->acl, BIND_STREAMING);
    e = bind1("tcp:localhost:http");
    assert_view(e->host, e->host_n, "localhost");
    assert_view(e->port, e->port_n, "http");
    assert_int_equal(e->acl, BIND_ALL);
    assert_null(bind_entry_problem(e));
    e = bind1("10.0.0.1%eth0=badges");
    assert_view(e->iface, e->iface_n, "eth0");
    assert_int_equal(e->port_n, 0);
    assert_int_equal(e->acl, BIND_BADGES);
}

static void test_bind_problems(void **state)
{
    (void)state;
    const BindEntry *e = bind1("::1");
    assert_true(e->wildcard);
    assert_view(e->port, e->port_n, ":1");
    assert_string_equal(bind_entry_problem(e), "unbracketed IPv6 address: write [::1]");
    e = bind1(":::19999=dashboard");
    assert_string_equal(bind_entry_problem(e),
                        "unbracketed IPv6 address: write [::]:19999=dashboard");
    e = bind1("[::1]x:1=dashboard");           /* the port and ACL after 'x' are ignored */
    assert_int_equal(e->port_n, 0);
    assert_false(e->has_eq);
    assert_int_equal(e->acl, BIND_ALL);
    assert_string_equal(bind_entry_problem(e),
                        "'x:1=dashboard' after ']' is ignored, with any port and permissions in it");
    e = bind1("[::1:19999=dashboard");
    assert_false(e->has_eq);
    assert_int_equal(e->acl, BIND_ALL);
    assert_contains(bind_entry_problem(e), "'[' is not closed");
    assert_string_equal(bind_entry_problem(bind1("*:0")), "port 0 is out of range 1..65535");
    assert_string_equal(bind_entry_problem(bind1("udp:*:1")),
                        "udp listeners cannot serve http or streaming");
    assert_contains(bind_entry_problem(bind1("TCP:19999")), "'TCP:' is read as a host name");
}

/* ---------------------------------------------------------------- hostile input */

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
    bind_parse_list(s, n, &bl);              /* no ':SSL' cut here: ':SSL' is one more entry */
    check_bind_views(s, &bl);
    assert_int_equal(bl.total, 10001);
    assert_int_equal(bl.n, 64);
    free(s);
}

static void test_long_and_binary_text_in_messages(void **state)
{
    (void)state;
    char s[600] = "h:";
    memset(s + 2, 'x', 500);
    s[10] = '!';
    const char *why = dest_entry_problem(dest1(s, DEST_STREAM));
    assert_contains(why, "...' is not a number");
    assert_true(strlen(why) < 120);
    why = dest_entry_problem(dest1("h:\x01\x7f\xff", DEST_STREAM));
    assert_string_equal(why, "port '?" "?" "?' is not a number or a known service name");
    why = bind_entry_problem(bind1("*=%s%n"));    /* user text is never a format */
    assert_string_equal(why, "unknown permission '%s%n'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssl_first_entry_cuts_the_rest),
        cmocka_unit_test(test_ssl_last_entry_keeps_all),
        cmocka_unit_test(test_ssl_first_of_two),
        cmocka_unit_test(test_ssl_at_start_keeps_nothing),
        cmocka_unit_test(test_ssl_lower_case_stays_in_port),
        cmocka_unit_test(test_proxy_never_cuts),
        cmocka_unit_test(test_protocol_prefixes),
        cmocka_unit_test(test_unix_paths),
        cmocka_unit_test(test_bracketed_ipv6),
        cmocka_unit_test(test_bytes_after_bracket_are_ignored),
        cmocka_unit_test(test_unclosed_bracket),
        cmocka_unit_test(test_unbracketed_ipv6),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_empty_lists),
        cmocka_unit_test(test_more_than_64_entries),
        cmocka_unit_test(test_nul_ends_the_value),
        cmocka_unit_test(test_n_bounds_the_input),
        cmocka_unit_test(test_bind_ssl_on_any_item),
        cmocka_unit_test(test_bind_comma_splits),
        cmocka_unit_test(test_bind_ssl_in_port),
        cmocka_unit_test(test_bind_no_permissions),
        cmocka_unit_test(test_bind_unix),
        cmocka_unit_test(test_bind_ssl_case_and_conflicts),
        cmocka_unit_test(test_bind_acl_names),
        cmocka_unit_test(test_bind_hosts),
        cmocka_unit_test(test_bind_problems),
        cmocka_unit_test(test_megabyte_of_brackets),
        cmocka_unit_test(test_ten_thousand_entries),
        cmocka_unit_test(test_long_and_binary_text_in_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
