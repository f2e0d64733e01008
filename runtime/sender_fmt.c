/*
** sender_fmt.c - request, definition and collection text for the sender (sender_fmt.h), and
** the bounded send buffer.
**
** Words go out between double quotes as 1.37.1 writes them. Netdata's splitter has no way to
** carry a quote, so a '"' inside a value would end the word early on the parent: it is sent as
** '\''. (Our own parser never produces one, but a plugin's single-quoted word can.) The splitter
** skips the byte after a '\\', so a value ending in an odd run of them loses the last one (else
** it would escape the closing quote), and a line break inside a value is sent as a space.
*/
#include "sender_fmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- the send buffer ------------------------------------------------------------------------ */

int sendbuf_append(SendBuf *sb, const char *p, size_t n)
{
    if (sb->r == sb->w) {
        sb->r = sb->w = 0;
    }
    if (n > sb->max - sendbuf_pending(sb)) {        /* as a difference: pending + n may wrap */
        return -1;
    }
    if (n == 0) {
        return 0;                                   /* sb->b may still be NULL */
    }
    if (sb->w + n > sb->cap && sb->r > 0) {         /* slide the pending bytes down first */
        memmove(sb->b, sb->b + sb->r, sb->w - sb->r);
        sb->w -= sb->r;
        sb->r = 0;
    }
    if (sb->w + n > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 16384;
        while (cap < sb->w + n) {
            cap *= 2;
        }
        if (cap > sb->max) {
            cap = sb->max;
        }
        char *nb = realloc(sb->b, cap);
        if (!nb) {
            return -2;
        }
        sb->b = nb;
        sb->cap = cap;
    }
    memcpy(sb->b + sb->w, p, n);
    sb->w += n;
    return 0;
}

void sendbuf_consume(SendBuf *sb, size_t n)
{
    sb->r += n < sendbuf_pending(sb) ? n : sendbuf_pending(sb);
    if (sb->r == sb->w) {
        sb->r = sb->w = 0;
    }
}

void sendbuf_reset(SendBuf *sb)
{
    sb->r = sb->w = 0;
}

void sendbuf_free(SendBuf *sb)
{
    free(sb->b);
    sb->b = NULL;
    sb->r = sb->w = sb->cap = 0;
}

/* ---- words ---------------------------------------------------------------------------------- */

static void quoted(Sbuf *b, const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s), k = 0;
    while (k < n && s[n - 1 - k] == '\\') {
        k++;
    }
    n -= k & 1;                 /* an odd run of '\\' at the end would escape the closing quote */
    sbuf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        sbuf_putc(b, c == '"' ? '\'' : c == '\n' || c == '\r' ? ' ' : c);
    }
    sbuf_putc(b, '"');
}

void sender_url_encode(Sbuf *b, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)(value ? value : "");
    size_t left = strlen((const char *)p), utf8 = 0;
    for (; *p; p++, left--) {
        unsigned c = *p;
        if (utf8 == 0 && c >= 0x80) {
            /* the parent refuses the whole request for ill-formed UTF-8: send '?' instead */
            utf8 = sbuf_utf8_len(p, left);
            if (utf8 == 0) {
                sbuf_append(b, "%3F", 3);
                continue;
            }
        }
        if (utf8) {
            utf8--;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '~' || c == '-') {
            sbuf_putc(b, (char)c);
        } else if (c == '&' || c < 0x20 || c == 0x7F) {
            continue;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sbuf_append(b, e, 3);
        }
    }
}

static void param(Sbuf *b, const char *name, const char *value)
{
    sbuf_putc(b, '&');
    sender_url_encode(b, name);         /* a forwarded system-info name is a child's text */
    sbuf_putc(b, '=');
    sender_url_encode(b, value);
}

static void param_num(Sbuf *b, const char *name, long long v)
{
    sbuf_printf(b, "&%s=%lld", name, v);
}

void sender_fmt_request(Sbuf *b, const RrdHost *h, const SenderHostInfo *in)
{
    sbuf_puts(b, "STREAM key=");
    sender_url_encode(b, in->api_key);
    param(b, "hostname", h->hostname);
    param(b, "registry_hostname", h->registry_hostname ? h->registry_hostname : h->hostname);
    param(b, "machine_guid", h->guid);
    param_num(b, "update_every", in->update_every);
    param(b, "os", h->os ? h->os : "linux");
    param(b, "timezone", h->timezone ? h->timezone : "UTC");
    param(b, "abbrev_timezone", h->abbrev_timezone ? h->abbrev_timezone : "UTC");
    param_num(b, "utc_offset", h->utc_offset);
    param_num(b, "hops", (h->is_localhost ? 0 : h->hops) + 1);
    param_num(b, "ml_capable", h->ml_capable);
    param_num(b, "ml_enabled", h->ml_enabled);
    param_num(b, "mc_version", h->mc_version);
    param(b, "tags", h->tags ? h->tags : "");
    param_num(b, "ver", (long long)in->caps);
    for (size_t i = 0; !in->no_system_info && i < h->system_info.n; i++) {
        const RrdLabel *l = &h->system_info.v[i];
        if (strcmp(l->name, "NETDATA_PROTOCOL_VERSION") != 0) {
            param(b, l->name, l->value);
        }
    }
    sbuf_puts(b, "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\nUser-Agent: streamd/");
    sbuf_puts(b, in->program_version ? in->program_version : "0");
    sbuf_puts(b, "\r\nAccept: */*\r\n\r\n");
}

/* ---- definitions and collections ------------------------------------------------------------- */

static const char *const chart_types[] = { "line", "area", "stacked" };
static const char *const algorithms[] = { "absolute", "incremental",
                                          "percentage-of-absolute-row",
                                          "percentage-of-incremental-row" };

void sender_fmt_definition(Sbuf *b, const RrdChart *c, int clabels)
{
    /* the name goes out without its "type." and as "" when it is the id */
    const char *name = "";
    if (c->name && strcmp(c->name, c->id) != 0) {
        const char *dot = strchr(c->name, '.');
        name = dot ? dot + 1 : "";
    }
    sbuf_puts(b, "CHART ");
    quoted(b, c->id);
    const char *words[] = { name, c->title, c->units, c->family, c->context };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        sbuf_putc(b, ' ');
        quoted(b, words[i]);
    }
    int t = c->chart_type >= 0 && c->chart_type <= 2 ? c->chart_type : 0;
    sbuf_printf(b, " \"%s\" %ld %d \"%s %s %s %s\" ", chart_types[t], c->priority,
                c->update_every, c->flags & RRD_CHART_OBSOLETE ? "obsolete" : "",
                c->flags & RRD_CHART_DETAIL ? "detail" : "",
                c->flags & RRD_CHART_STORE_FIRST ? "store_first" : "",
                c->flags & RRD_CHART_HIDDEN ? "hidden" : "");
    quoted(b, c->plugin);
    sbuf_putc(b, ' ');
    quoted(b, c->module);
    sbuf_putc(b, '\n');
    if (clabels && c->labels.n) {
        for (size_t i = 0; i < c->labels.n; i++) {
            sbuf_puts(b, "CLABEL ");
            quoted(b, c->labels.v[i].name);
            sbuf_putc(b, ' ');
            quoted(b, c->labels.v[i].value);
            sbuf_printf(b, " %" PRIu32 "\n", c->labels.v[i].source);
        }
        sbuf_puts(b, "CLABEL_COMMIT\n");
    }
    for (const RrdDim *d = c->dims; d; d = d->next) {
        sbuf_puts(b, "DIMENSION ");
        quoted(b, d->id);
        sbuf_putc(b, ' ');
        quoted(b, d->name);
        int a = d->algorithm >= 0 && d->algorithm <= 3 ? d->algorithm : 0;
        sbuf_printf(b, " \"%s\" %" PRId64 " %" PRId64 " \"%s %s %s\"\n", algorithms[a],
                    d->multiplier, d->divisor, d->flags & RRD_DIM_OBSOLETE ? "obsolete" : "",
                    d->flags & RRD_DIM_HIDDEN ? "hidden" : "",
                    d->flags & RRD_DIM_NORESET ? "noreset" : "");
    }
}

/* Decimal digits of V at the end of BUF[0..24); returns where they start. */
static char *u64_digits(uint64_t v, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

/* PREFIX "ID" MID NUMBER "\n" as one append: the hot path of every collection (a proxy formats
   every sample it forwards). An id that needs quoting fix-ups, or a long one, takes the general
   path. */
static void number_line(Sbuf *b, const char *prefix, size_t pl, const char *id, const char *mid,
                        size_t ml, uint64_t mag, int neg)
{
    size_t n = strlen(id);
    char line[RRD_MAX_ID + 64];
    if (n > RRD_MAX_ID || strpbrk(id, "\"\r\n") || (n && id[n - 1] == '\\')) {
        sbuf_append(b, prefix, pl);
        quoted(b, id);
        sbuf_append(b, mid, ml);
        char num[24], *d = u64_digits(mag, num + sizeof num);
        if (neg) {
            *--d = '-';
        }
        sbuf_append(b, d, (size_t)(num + sizeof num - d));
        sbuf_putc(b, '\n');
        return;
    }
    char *w = line;
    memcpy(w, prefix, pl);
    w += pl;
    *w++ = '"';
    memcpy(w, id, n);
    w += n;
    *w++ = '"';
    memcpy(w, mid, ml);
    w += ml;
    char num[24], *d = u64_digits(mag, num + sizeof num);
    if (neg) {
        *--d = '-';
    }
    size_t dl = (size_t)(num + sizeof num - d);
    memcpy(w, d, dl);
    w += dl;
    *w++ = '\n';
    sbuf_append(b, line, (size_t)(w - line));
}

void sender_fmt_collection(Sbuf *b, const RrdChart *c, uint64_t usec)
{
    number_line(b, "BEGIN ", 6, c->id, " ", 1, usec, 0);
    for (const RrdDim *d = c->dims; d; d = d->next) {
        if (d->updated) {
            int64_t v = d->collected;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            number_line(b, "SET ", 4, d->id, " = ", 3, mag, v < 0);
        }
    }
    sbuf_append(b, "END\n", 4);
}

void sender_fmt_host_labels(Sbuf *b, const RrdHost *h)
{
    for (size_t i = 0; i < h->labels.n; i++) {
        sbuf_puts(b, "LABEL ");
        quoted(b, h->labels.v[i].name);
        sbuf_printf(b, " = %" PRIu32 " ", h->labels.v[i].source);
        quoted(b, h->labels.v[i].value);
        sbuf_putc(b, '\n');
    }
    sbuf_puts(b, "OVERWRITE labels\n");
}

/* ---- the node's own description ------------------------------------------------------------ */

static void replace(char **dst, const char *v)
{
    char *n = strdup(v ? v : "");
    if (n) {
        free(*dst);
        *dst = n;
    }
}

/* VALUE of KEY= in /etc/os-release (quotes removed) into OUT. */
static int os_release(const char *key, char *out, size_t cap)
{
    FILE *f = fopen("/etc/os-release", "r");
    if (!f) {
        return -1;
    }
    char line[512];
    size_t kl = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
            char *v = line + kl + 1;
            v[strcspn(v, "\r\n")] = 0;
            size_t n = strlen(v);
            if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = 0;
                v++;
            }
            snprintf(out, cap, "%s", v);
            found = 0;
            break;
        }
    }
    fclose(f);
    return found;
}

void sender_describe_localhost(RrdHost *h)
{
    time_t now = time(NULL);
    struct tm tm;
    tzset();
    localtime_r(&now, &tm);
    char tz[128] = "";
    FILE *f = fopen("/etc/timezone", "r");
    if (f) {
        if (fgets(tz, sizeof tz, f)) {
            tz[strcspn(tz, "\r\n")] = 0;
        }
        fclose(f);
    }
    replace(&h->os, "linux");
    replace(&h->timezone, *tz ? tz : "UTC");
    replace(&h->abbrev_timezone, tm.tm_zone ? tm.tm_zone : "UTC");
    h->utc_offset = tm.tm_gmtoff;
    if (!h->registry_hostname) {
        replace(&h->registry_hostname, h->hostname);
    }
    struct utsname u;
    char v[256];
    static const struct { const char *key, *name; } osr[] = {
        { "NAME", "NETDATA_SYSTEM_OS_NAME" }, { "ID", "NETDATA_SYSTEM_OS_ID" },
        { "ID_LIKE", "NETDATA_SYSTEM_OS_ID_LIKE" }, { "VERSION", "NETDATA_SYSTEM_OS_VERSION" },
        { "VERSION_ID", "NETDATA_SYSTEM_OS_VERSION_ID" },
    };
    for (size_t i = 0; i < sizeof osr / sizeof osr[0]; i++) {
        if (os_release(osr[i].key, v, sizeof v) == 0) {
            rrd_labels_set(&h->system_info, osr[i].name, v, 0);
        }
    }
    rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_OS_DETECTION", "/etc/os-release", 0);
    if (uname(&u) == 0) {
        rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_KERNEL_NAME", u.sysname, 0);
        rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_KERNEL_VERSION", u.release, 0);
        rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_ARCHITECTURE", u.machine, 0);
    }
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (cpus > 0) {
        snprintf(v, sizeof v, "%ld", cpus);
        rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT", v, 0);
    }
    if (pages > 0 && psize > 0) {
        snprintf(v, sizeof v, "%lld", (long long)pages * psize);
        rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_TOTAL_RAM", v, 0);
    }
}
