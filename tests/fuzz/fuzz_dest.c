/*
** fuzz_dest.c - libFuzzer target for compiler/dest.c. Feeds the raw bytes to the destination
** parser (both flavors) and the `bind to` parser, asks for every entry's problem, and traps when
** an invariant breaks: views outside the input, more than 64 stored entries, a wrong entry count,
** ':SSL' left in a [stream] list, or a problem fragment that is empty or unbounded.
** libFuzzer hands over an exact-size buffer without a NUL, so ASan catches reads past size.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static DestList dl;     /* too large for a comfortable stack frame */
static BindList bl;

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static void check_problem(const char *why)
{
    if (why) {
        size_t n = strlen(why);
        check(n > 0 && n < 200);
    }
}

static int within(const char *p, size_t n, const char *lo, const char *hi)
{
    return p && p >= lo && n <= (size_t)(hi - p);
}

/* Counts entries independently: separators are C whitespace and ','; a NUL ends the value. */
static size_t count_entries(const char *s, size_t n)
{
    size_t count = 0;
    int in = 0;
    for (size_t i = 0; i < n && s[i] != '\0'; i++) {
        int sep = s[i] == ' ' || s[i] == ',' || (s[i] >= '\t' && s[i] <= '\r');
        count += !sep && !in;
        in = !sep;
    }
    return count;
}

static void check_dest(const char *s, size_t size, DestFlavor flavor)
{
    dest_parse_list(s, size, flavor, &dl);
    check(dl.cut_n <= size && dl.n <= 64 && dl.n <= dl.total);
    check(dl.total == count_entries(s, dl.cut_n));
    if (dl.tls) {
        check(flavor == DEST_STREAM && dl.ssl_off == dl.cut_n);
        check(dl.ssl_off + 4 <= size && memcmp(s + dl.ssl_off, ":SSL", 4) == 0);
    } else {
        check(dl.ssl_off == 0);
    }
    for (size_t i = 0; i < dl.n; i++) {
        const DestEntry *e = &dl.e[i];
        const char *end = e->z + e->n;
        check(e->n > 0 && e->z == s + e->off && e->off + e->n <= dl.cut_n);
        check(within(e->host, e->host_n, e->z, end));
        check(within(e->iface, e->iface_n, e->z, end));
        check(within(e->port, e->port_n, e->z, end));
        check(e->ignored_n >= 0 && (size_t)e->ignored_n <= e->n);
        check(e->proto == DEST_TCP || e->proto == DEST_UDP || e->proto == DEST_UNIX);
        check_problem(dest_entry_problem(e));
    }
}

static void check_bind(const char *s, size_t size)
{
    bind_parse_list(s, size, &bl);
    check(bl.n <= 64 && bl.n <= bl.total && bl.total == count_entries(s, size));
    for (size_t i = 0; i < bl.n; i++) {
        const BindEntry *e = &bl.e[i];
        const char *end = e->z + e->n;
        check(e->n > 0 && e->z == s + e->off && e->off + e->n <= size);
        check(within(e->host, e->host_n, e->z, end));
        check(within(e->iface, e->iface_n, e->z, end));
        check(within(e->port, e->port_n, e->z, end));
        check(!e->bad_acl || within(e->bad_acl, e->bad_acl_n, e->z, end));
        check(e->acl <= BIND_ALL);
        check(e->has_eq || e->acl == BIND_ALL);
        check(e->ssl == BIND_SSL_DEFAULT || e->ssl == BIND_SSL_OPTIONAL
              || e->ssl == BIND_SSL_FORCE);
        check_problem(bind_entry_problem(e));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_dest(s, size, DEST_STREAM);
    check_dest(s, size, DEST_PROXY);
    check_bind(s, size);
    return 0;
}
