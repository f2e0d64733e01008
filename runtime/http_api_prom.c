/*
** http_api_prom.c - /api/v1/allmetrics?format=prometheus|prometheus_all_hosts: Netdata 1.37.1's
** prometheus exporter with its default "average" data source, over the storage engines.
**
** format=prometheus serves the host of the path, prometheus_all_hosts every host (each metric
** line then ends with ,instance="HOSTNAME"). Per host:
**   netdata_info{instance="H",application="A",version="V"[,NAME="v" for each host label whose
**   source has the config bit]} 1 NOW_MS
**   PREFIX_CONTEXT_UNITS_average{chart="C",family="F",dimension="D"[,instance="H"]} %0.7f T_MS
** for every collected, non-obsolete dimension of every non-obsolete chart (hidden ones too),
** CONTEXT/UNITS sanitised as Netdata does ("/s" units end "_persec", "%" is "_percent"), C and D
** names (names=no: ids), the value the average (source=sum: "_sum", the sum) of the stored slots
** in Netdata's first-scrape window (after = now - 10 - 2*ue, before = now - 3*ue, both aligned
** down to ue, clamped to the stored range) and T_MS that window's end. Params: prefix=,
** filter= (pattern over chart names), names=, timestamps=, types= ("# TYPE ... gauge" lines).
**
** Differences: every request is a first scrape (no per-server memory; server= ignored);
** NOW_MS is NOW_S * 1000; a newline in a label value is written \n and bad UTF-8 as U+FFFD
** (Netdata writes them raw); help=, variables=, oldunits=, hideunits=, source=as-collected and
** the shell/json formats are not served (400).
*/
#include "http_api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_format.h"

enum { P_NAMES = 1, P_TIMESTAMPS = 2, P_TYPES = 4, P_ALL_HOSTS = 8, P_SUM = 16 };

/* Netdata's prometheus_name_copy: anything but [A-Za-z0-9] becomes '_'. */
static void prom_name(Sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        sbuf_putc(b, ((unsigned)(c | 0x20) - 'a' < 26u || (unsigned)c - '0' < 10u) ? (char)c : '_');
    }
}

/* Netdata's prometheus_label_copy, '"' and '\\' escaped, but a newline is written "\\n" (Netdata
   puts a backslash before the raw newline, which breaks the line) and ill-formed UTF-8 bytes
   become U+FFFD, so one bad label cannot make a scraper drop the whole page. */
static void prom_label(Sbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    for (size_t i = 0; i < n;) {
        size_t k = sbuf_utf8_len(p + i, n - i);
        if (!k) {
            sbuf_puts(b, "\xef\xbf\xbd");
            i++;
            continue;
        }
        if (p[i] == '"' || p[i] == '\\') {
            sbuf_putc(b, '\\');
        }
        sbuf_append(b, p[i] == '\n' ? "\\n" : (const char *)p + i, p[i] == '\n' ? 2 : k);
        i += k;
    }
}

/* Netdata's prometheus_units_copy: "_" + units, "%" is "_percent", a "/s" ending "_persec". */
static void prom_units(Sbuf *b, const char *u)
{
    size_t n = strlen(u);
    if (n == 1 && u[0] == '%') {
        sbuf_puts(b, "_percent");
        return;
    }
    sbuf_putc(b, '_');
    int persec = n > 2 && u[n - 2] == '/' && u[n - 1] == 's';
    prom_name(b, u, persec ? n - 2 : n);
    sbuf_puts(b, persec ? "_persec" : "");
}

/* exporting_calculate_value_from_stored_data for a first scrape at NOW (window of 10 s).
   Returns 0 when nothing is stored in the window. */
static int prom_value(const RrdHost *h, const RrdDim *d, int64_t ue, int64_t now, int sum,
                      double *val, int64_t *when)
{
    int64_t after = now - 10 - 2 * ue, before = now - 2 * ue;
    after -= after % ue;
    before -= before % ue;
    before -= ue;
    after = after > before ? before : after;
    int64_t f = h->ops->first_t(d->sd), l = h->ops->last_t(d->sd);
    after = after < f ? f : after;
    before = before > l ? l : before;
    if (before < f || after > l) {
        return 0;
    }
    StoragePoint buf[64];
    double s = 0;
    size_t count = 0;
    for (int64_t t0 = after; t0 <= before; t0 += 64 * ue) {
        int64_t t1 = t0 + 64 * ue - 1;
        size_t n = h->ops->query(d->sd, t0, t1 < before ? t1 : before, buf, 64);
        for (size_t i = 0; i < n; i++) {
            if (!isnan(buf[i].v)) {
                s += buf[i].v;
                count++;
            }
        }
    }
    if (!count) {
        return 0;
    }
    *val = sum ? s : s / (double)count;
    *when = before;
    return 1;
}

/* One host's page (its lock held). */
static void prom_host(Sbuf *b, const RrdHost *h, const char *prefix, const char *filter,
                      unsigned o, int64_t now)
{
    sbuf_puts(b, "netdata_info{instance=\"");
    prom_label(b, h->hostname);
    sbuf_puts(b, "\",application=\"");
    prom_label(b, h->program_name && h->program_name[0] ? h->program_name : "netdata");
    sbuf_puts(b, "\",version=\"");
    prom_label(b, h->program_version && h->program_version[0] ? h->program_version
                                                              : HTTP_API_COMPAT_VERSION);
    sbuf_putc(b, '"');
    for (size_t i = 0; i < h->labels.n; i++) {
        const RrdLabel *l = &h->labels.v[i];
        if ((l->source & 2) && l->name[0] && l->value[0]) {   /* RRDLABEL_SRC_CONFIG */
            sbuf_putc(b, ',');
            prom_name(b, l->name, strlen(l->name));
            sbuf_puts(b, "=\"");
            prom_label(b, l->value);
            sbuf_putc(b, '"');
        }
    }
    sbuf_puts(b, "} 1");
    if (o & P_TIMESTAMPS) {
        sbuf_printf(b, " %lld", (long long)now * 1000);
    }
    sbuf_putc(b, '\n');
    if (h->cfg.memory_mode == POLICY_MODE_NONE || !h->ops) {
        return;
    }
    Sbuf metric;
    sbuf_init(&metric, 4096);
    for (const RrdChart *c = h->charts; c; c = c->next) {
        if ((c->flags & RRD_CHART_OBSOLETE) || !c->ndims ||
            (filter && !http_api_pattern_match(filter, c->name))) {
            continue;
        }
        int64_t ue = c->update_every > 0 ? c->update_every : 1;
        sbuf_reset(&metric);
        sbuf_puts(&metric, prefix);
        sbuf_putc(&metric, '_');
        prom_name(&metric, c->context, strlen(c->context));
        prom_units(&metric, c->units);
        sbuf_puts(&metric, o & P_SUM ? "_sum" : "_average");
        for (const RrdDim *d = c->dims; d; d = d->next) {
            double v;
            int64_t t;
            if (!d->collections || (d->flags & RRD_DIM_OBSOLETE) || !d->sd ||
                !prom_value(h, d, ue, now, o & P_SUM, &v, &t)) {
                continue;
            }
            if (o & P_TYPES) {
                sbuf_printf(b, "# TYPE %s gauge\n", sbuf_str(&metric));
            }
            sbuf_puts(b, sbuf_str(&metric));
            sbuf_puts(b, "{chart=\"");
            prom_label(b, o & P_NAMES ? c->name : c->id);
            sbuf_puts(b, "\",family=\"");
            prom_label(b, c->family);
            sbuf_puts(b, "\",dimension=\"");
            prom_label(b, o & P_NAMES ? d->name : d->id);
            if (o & P_ALL_HOSTS) {
                sbuf_puts(b, "\",instance=\"");
                prom_label(b, h->hostname);
            }
            sbuf_printf(b, "\"} %0.7f", v);
            if (o & P_TIMESTAMPS) {
                sbuf_printf(b, " %lld", (long long)t * 1000);
            }
            sbuf_putc(b, '\n');
        }
    }
    if (metric.overflow) {
        b->overflow = 1;
    }
    sbuf_free(&metric);
}

/* /api/v1/allmetrics (rules in the file header). */
void http_api_allmetrics(RrdDb *db, RrdHost *h, const HttpRequest *req, int64_t now_s,
                         HttpApiResponse *out)
{
    static const struct { const char *name; unsigned flag; } flags[] = {
        {"names", P_NAMES}, {"timestamps", P_TIMESTAMPS}, {"types", P_TYPES},
    };
    const char *fmt = http_api_param(req, "format");
    unsigned o = P_NAMES | P_TIMESTAMPS;
    if (!fmt || (strcmp(fmt, "prometheus") && strcmp(fmt, "prometheus_all_hosts"))) {
        http_api_error(out, 400, HTTP_API_CT_TEXT, "Which format? 'prometheus' and "
                       "'prometheus_all_hosts' are currently supported.", NULL);
        return;
    }
    o |= strcmp(fmt, "prometheus_all_hosts") == 0 ? P_ALL_HOSTS : 0;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const char *v = http_api_param(req, flags[i].name);
        if (v) {
            int on = !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "true");
            o = on ? o | flags[i].flag : o & ~flags[i].flag;
        }
    }
    const char *src = http_api_param(req, "source");
    src = src ? src : http_api_param(req, "data");
    o |= src && strcmp(src, "sum") == 0 ? P_SUM : 0;
    const char *prefix = http_api_param(req, "prefix");
    prefix = prefix ? prefix : "netdata";
    const char *filter = http_api_param(req, "filter");
    out->content_type = HTTP_API_CT_PROMETHEUS;
    if (!(o & P_ALL_HOSTS)) {
        pthread_mutex_lock(&h->lock);
        prom_host(&out->body, h, prefix, filter, o, now_s);
        pthread_mutex_unlock(&h->lock);
        return;
    }
    size_t n;
    RrdHost **hs = http_api_hosts(db, &n);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&hs[i]->lock);
        prom_host(&out->body, hs[i], prefix, filter, o, now_s);
        pthread_mutex_unlock(&hs[i]->lock);
    }
    free(hs);
}
