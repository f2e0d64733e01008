/*
** http_api_data.c - /api/v1/data over the storage engines of storage.h: Netdata 1.37.1's query
** window, grouping and json/csv formatters, plus the helpers the API files share (query
** params, error bodies, the host list, mode names, number format, chart range, simple patterns).
**
** Parameters: chart= (id, else name), after= (default -600), before= (default 0), points=
** (default 0: every natural point), group= average|mean|min|max|sum (Netdata's min/max pick the
** value with the largest/smallest absolute value; other names average), dimensions=/dims=/
** dimension=/dim= (Netdata simple patterns over ids and names, several params joined), format=
** json (default; unknown formats too) | csv | tsv | tsv-excel, options= nonzero, flip|reversed|
** reverse, ms|milliseconds, seconds, abs|absolute, null2zero, unaligned, match-ids, match-names
** (others ignored). The window is query_target_calculate_window + rrdr_relative_window_to_absolute
** verbatim (relative when |t| <= 3 years, "now" = NOW_S - 1, before=0 = the chart's last point,
** before aligned to group x granularity); a dimension takes part when it has data within 2
** update_every of the requested window and is not hidden (unless the pattern names it). Row i
** ends at after - g + (i+1)*G and groups the stored slots t with end - G < t <= end (G = group x
** granularity g). Rows print newest first unless flip.
**
** Not served: context= queries (404), jsonwrap and the other formats (json is sent), gtime,
** tier, timeout, percentage; virtual points (absolute after/before with points=) are not
** interpolated: a row without a stored slot is null.
*/
#include "http_api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy_format.h"

#define REL_MAX (3 * 365 * 86400LL)        /* Netdata's API_RELATIVE_TIME_MAX */
#define CHUNK 4096                         /* storage points read per query call */
#define NO_MATCH "No metrics where matched to query."

/* ---- shared helpers ------------------------------------------------------------------------- */

/* The last non-empty value of query parameter NAME in REQ, or NULL. */
const char *http_api_param(const HttpRequest *req, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < req->nparams && i < HTTP_MAX_PARAMS; i++) {
        const HttpParam *p = &req->params[i];
        if (p->name && p->value && p->value[0] && strcmp(p->name, name) == 0) {
            v = p->value;
        }
    }
    return v;
}

/* Replace OUT's body with TEXT followed by ARG HTML-escaped (when not NULL). */
void http_api_error(HttpApiResponse *out, int status, const char *ct, const char *text,
                    const char *arg)
{
    sbuf_reset(&out->body);
    out->status = status;
    out->content_type = ct;
    sbuf_puts(&out->body, text);
    if (arg) {
        sbuf_html_esc(&out->body, arg);
    }
}

/* A malloc'd copy of DB's host pointers taken under db->lock; *N of them. */
RrdHost **http_api_hosts(RrdDb *db, size_t *n)
{
    pthread_mutex_lock(&db->lock);
    size_t cnt = 0;
    for (RrdHost *h = db->hosts; h; h = h->next) {
        cnt++;
    }
    RrdHost **v = cnt ? malloc(cnt * sizeof *v) : NULL;
    size_t i = 0;
    for (RrdHost *h = db->hosts; v && h && i < cnt; h = h->next) {
        v[i++] = h;
    }
    pthread_mutex_unlock(&db->lock);
    *n = i;
    return v;
}

/* Netdata's rrd_memory_mode_name for POLICY_MODE_* MODE. */
const char *http_api_mode_name(int mode)
{
    static const char *const names[] = {"none", "ram", "map", "save", "alloc", "dbengine"};
    return mode >= 0 && mode < (int)(sizeof names / sizeof names[0]) ? names[mode] : "unknown";
}

/* ---- numbers and ranges --------------------------------------------------------------------- */

/* Netdata's print_netdata_double (STORAGE_WITH_MATH): integral part, then up to 7 decimals
   rounded with llrint, trailing zeros dropped. */
size_t http_api_fmt_number(char *buf, double v)
{
    if (isnan(v) || isinf(v)) {
        return (size_t)snprintf(buf, 64, "null");
    }
    char *w = buf;
    if (v < 0) {
        *w++ = '-';
        v = -v;
    }
    if (v >= 1e18) {                       /* beyond unsigned long long decimals: keep it sane */
        return (size_t)(w - buf) + (size_t)snprintf(w, 60, "%.0f", v);
    }
    double ip;
    double frac = modf(v, &ip) * 10000000.0;
    unsigned long long in = (unsigned long long)ip, fr = (unsigned long long)llrint(frac);
    if (fr >= 10000000ULL) {
        in++;
        fr -= 10000000ULL;
    }
    w += snprintf(w, 32, "%llu", in);
    if (fr) {
        char f[16];
        int n = snprintf(f, sizeof f, "%07llu", fr);
        while (n > 0 && f[n - 1] == '0') {
            f[--n] = '\0';
        }
        w += snprintf(w, 16, ".%s", f);
    }
    return (size_t)(w - buf);
}

static void put_number(Sbuf *b, double v)
{
    char tmp[64];
    sbuf_append(b, tmp, http_api_fmt_number(tmp, v));
}

/* Oldest/newest stored slot over C's dimensions (Netdata's rrdset_first/last_entry_t). */
void http_api_chart_range(const RrdHost *h, const RrdChart *c, int64_t *first, int64_t *last)
{
    *first = *last = 0;
    for (const RrdDim *d = c->dims; d && h->ops; d = d->next) {
        if (!d->sd) {
            continue;
        }
        int64_t f = h->ops->first_t(d->sd), l = h->ops->last_t(d->sd);
        if (f && (!*first || f < *first)) {
            *first = f;
        }
        if (l > *last) {
            *last = l;
        }
    }
}

/* ---- simple patterns ------------------------------------------------------------------------- */

/* Does text T match the glob P[0..pn) where '*' is any run of bytes? */
static int glob_match(const char *p, size_t pn, const char *t)
{
    const char *star = NULL, *back = NULL;
    size_t i = 0, si = 0;
    while (*t) {
        if (i < pn && p[i] == '*') {
            star = p + i;
            si = ++i;
            back = t;
        } else if (i < pn && p[i] == *t) {
            i++;
            t++;
        } else if (star) {
            i = si;
            t = ++back;
        } else {
            return 0;
        }
    }
    while (i < pn && p[i] == '*') {
        i++;
    }
    return i == pn;
}

/* Netdata's simple_pattern_matches over words split by ",|" and whitespace: the first word that
   matches decides (a '!' word excludes); none: no match. */
int http_api_pattern_match(const char *pat, const char *text)
{
    const char *sep = ",| \t\r\n\f\v";
    for (const char *p = pat; *p;) {
        p += strspn(p, sep);
        size_t n = strcspn(p, sep);
        if (!n) {
            break;
        }
        int neg = p[0] == '!';
        if (n > (size_t)neg && glob_match(p + neg, n - (size_t)neg, text)) {
            return !neg;
        }
        p += n;
    }
    return 0;
}

/* ---- /api/v1/data ---------------------------------------------------------------------------- */

enum {
    O_NONZERO = 1, O_FLIP = 2, O_MS = 4, O_SECONDS = 8, O_ABS = 16, O_NULL2ZERO = 32,
    O_UNALIGNED = 64, O_MATCH_IDS = 128, O_MATCH_NAMES = 256
};
static const struct { const char *name; unsigned flag; } opt_rows[] = {
    {"nonzero", O_NONZERO}, {"flip", O_FLIP}, {"reversed", O_FLIP}, {"reverse", O_FLIP},
    {"ms", O_MS}, {"milliseconds", O_MS}, {"seconds", O_SECONDS}, {"abs", O_ABS},
    {"absolute", O_ABS}, {"absolute_sum", O_ABS}, {"absolute-sum", O_ABS},
    {"null2zero", O_NULL2ZERO}, {"unaligned", O_UNALIGNED}, {"match_ids", O_MATCH_IDS},
    {"match-ids", O_MATCH_IDS}, {"match_names", O_MATCH_NAMES}, {"match-names", O_MATCH_NAMES},
};

enum { G_AVG, G_MIN, G_MAX, G_SUM };
static const struct { const char *name; int g; } group_rows[] = {
    {"average", G_AVG}, {"mean", G_AVG}, {"min", G_MIN}, {"max", G_MAX}, {"sum", G_SUM},
};

static unsigned parse_options(const char *o)
{
    unsigned f = 0;
    while (o && *o) {
        o += strspn(o, ", |");
        size_t n = strcspn(o, ", |");
        for (size_t i = 0; n && i < sizeof opt_rows / sizeof opt_rows[0]; i++) {
            if (strlen(opt_rows[i].name) == n && strncmp(o, opt_rows[i].name, n) == 0) {
                f |= opt_rows[i].flag;
            }
        }
        o += n;
    }
    return f;
}

typedef struct Window {
    int64_t after, before, gran;
    size_t points, group;
} Window;

/* rrdr_relative_window_to_absolute with NOW = wall clock - 1. */
static void rel_to_abs(int64_t *after, int64_t *before, int64_t now)
{
    int64_t b = *before, a = *after;
    if (llabs(b) <= REL_MAX) {
        b = now + (b > 0 ? -b : b);
    }
    if (llabs(a) <= REL_MAX) {
        a = a > 0 ? -a : a;
        a = b + (a == 0 ? -600 : a) + 1;
    }
    if (a > b) {
        int64_t t = a;
        a = b;
        b = t;
    }
    if (b > now) {
        a -= b - now;
        b = now;
    }
    int64_t lo = now - 10LL * 365 * 86400, hi = now + 365LL * 86400;
    a = a < lo ? lo : (a > hi ? hi : a);
    b = b < lo ? lo : (b > hi ? hi : b);
    *after = a;
    *before = b;
}

/* query_target_calculate_window for a chart with update_every UE and stored range FIRST..LAST.
   Returns -1 when before/after = 0 need a range and nothing is stored. */
static int calc_window(int64_t after, int64_t before, long long points_req, unsigned opts,
                       int64_t ue, int64_t first, int64_t last, int64_t now, Window *w)
{
    size_t points = points_req < 0 ? (size_t)-1 : (size_t)points_req;
    int auto_natural = points == 0, natural = auto_natural, at_db_end = 0;
    if (llabs(before) <= REL_MAX || llabs(after) <= REL_MAX) {
        natural = 1;
    }
    if (after == 0 || before == 0) {
        if (first == 0 || last == 0) {
            return -1;
        }
        if (after == 0) {
            after = first;
        }
        if (before == 0) {
            before = last;
            at_db_end = 1;
        }
        if (points == 0) {
            points = (size_t)((last - first) / ue);
        }
    }
    if (points == 0) {
        points = 600;
    }
    rel_to_abs(&after, &before, now);
    int64_t gran = natural ? ue : 1;
    before -= before % gran;
    after -= after % gran;
    if (auto_natural) {
        points = (size_t)((before - after + 1) / gran);
        points = points ? points : 1;
    }
    int64_t duration = before - after;
    size_t avail = (size_t)((duration + 1) / gran);
    avail = avail ? avail : 1;
    points = points > avail ? avail : points;
    points = points > 86400 ? 86400 : points;
    size_t group = avail / points;
    group = group ? group : 1;
    if (avail % points > points / 2) {
        group++;
    }
    if ((int64_t)(points * group) * gran < duration) {
        points = avail / group;
        if (points * group < avail) {
            points++;
        }
        points = points ? points : 1;
    }
    int64_t G = (int64_t)group * gran;
    if (!(opts & O_UNALIGNED) && before % G) {
        before = at_db_end ? before - before % G : before + G - before % G;
    }
    w->before = before;
    w->after = before - (int64_t)points * G + gran;
    w->gran = gran;
    w->points = points;
    w->group = group;
    return 0;
}

/* Group the stored slots of D into V[row * nd + col] (NaN: empty). Returns whether a non-zero
   value was seen. */
static int query_dim(const RrdHost *h, const RrdDim *d, const Window *w, int ue, int g,
                     double *v, size_t nd, size_t col)
{
    int64_t G = (int64_t)w->group * w->gran, base = w->after - w->gran;
    int64_t lo = base + 1, hi = w->before;
    int64_t f = h->ops->first_t(d->sd), l = h->ops->last_t(d->sd);
    lo = f > lo ? f : lo;
    hi = l < hi ? l : hi;
    size_t *count = calloc(w->points, sizeof *count);
    StoragePoint *buf = malloc(CHUNK * sizeof *buf);
    int nonzero = 0;
    for (size_t r = 0; r < w->points; r++) {
        v[r * nd + col] = NAN;
    }
    for (int64_t t0 = lo; count && buf && t0 <= hi; t0 += (int64_t)CHUNK * ue) {
        int64_t t1 = t0 + (int64_t)CHUNK * ue - 1;
        size_t n = h->ops->query(d->sd, t0, t1 < hi ? t1 : hi, buf, CHUNK);
        for (size_t i = 0; i < n; i++) {
            double x = buf[i].v;
            if (isnan(x) || buf[i].t <= base || buf[i].t > w->before) {
                continue;
            }
            size_t r = (size_t)((buf[i].t - base - 1) / G);
            double *cell = &v[r * nd + col];
            nonzero |= x != 0.0;
            if (!count[r]++) {
                *cell = x;
            } else if (g == G_AVG || g == G_SUM) {
                *cell += x;
            } else if (g == G_MAX ? fabs(x) > fabs(*cell) : fabs(x) < fabs(*cell)) {
                *cell = x;                 /* Netdata's min/max compare absolute values */
            }
        }
    }
    for (size_t r = 0; g == G_AVG && count && r < w->points; r++) {
        if (count[r] > 1) {
            v[r * nd + col] /= (double)count[r];
        }
    }
    free(count);
    free(buf);
    return nonzero;
}

static void put_time(Sbuf *b, int64_t t, unsigned opts, int csv)
{
    if (!csv || (opts & (O_SECONDS | O_MS))) {
        sbuf_printf(b, "%lld%s", (long long)t, opts & O_MS ? "000" : "");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm)) {
        sbuf_printf(b, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
}

/* Render the matrix V (rows x nd, oldest row first) as Netdata's rrdr2json (SEP NULL) or rrdr2csv
   (SEP "," or "\t"). SHOW[c] says which columns print. */
static void render(Sbuf *b, const RrdDim *const *dims, const int *show, size_t nd,
                   const double *v, const Window *w, unsigned opts, const char *sep)
{
    size_t shown = 0;
    sbuf_puts(b, sep ? "" : "{\n \"labels\": [\"time\"");
    for (size_t c = 0; c < nd; c++) {
        if (!show[c]) {
            continue;
        }
        if (sep) {
            sbuf_puts(b, shown ? sep : "time");
            sbuf_puts(b, shown ? "" : sep);
            sbuf_puts(b, dims[c]->name);
        } else {
            sbuf_puts(b, ",");
            sbuf_json_str(b, dims[c]->name);
        }
        shown++;
    }
    if (sep) {
        sbuf_puts(b, "\r\n");
        if (!shown) {
            return;
        }
    } else {
        sbuf_puts(b, shown ? "],\n    \"data\":\n [\n" : ",\"no data\"],\n    \"data\":\n [\n");
        if (!shown) {
            sbuf_puts(b, "\n]\n}");
            return;
        }
    }
    for (size_t k = 0; k < w->points; k++) {
        size_t r = opts & O_FLIP ? k : w->points - 1 - k;
        int64_t t = w->after - w->gran + (int64_t)(r + 1) * (int64_t)w->group * w->gran;
        sbuf_puts(b, sep ? "" : (k ? ",\n [ " : " [ "));
        put_time(b, t, opts, sep != NULL);
        for (size_t c = 0; c < nd; c++) {
            if (!show[c]) {
                continue;
            }
            sbuf_puts(b, sep ? sep : ",");
            double x = v[r * nd + c];
            if (isnan(x)) {
                sbuf_puts(b, opts & O_NULL2ZERO ? "0" : "null");
            } else {
                put_number(b, (opts & O_ABS) && x < 0 ? -x : x);
            }
        }
        sbuf_puts(b, sep ? "\r\n" : "]");
    }
    sbuf_puts(b, sep ? "" : "\n]\n}");
}

/* Every dimensions=/dims=/dimension=/dim= value joined by '|' (Netdata's concatenation). */
static char *dims_filter(const HttpRequest *req)
{
    Sbuf f;
    sbuf_init(&f, HTTP_URL_SIZE * 2);
    for (size_t i = 0; i < req->nparams && i < HTTP_MAX_PARAMS; i++) {
        const char *n = req->params[i].name, *val = req->params[i].value;
        if (n && val && *val && (!strcmp(n, "dimensions") || !strcmp(n, "dimension") ||
                                 !strcmp(n, "dims") || !strcmp(n, "dim"))) {
            sbuf_putc(&f, '|');
            sbuf_puts(&f, val);
        }
    }
    return f.s;                            /* NULL when none (or on overflow: no filter) */
}

/* /api/v1/data for H (lock held). */
void http_api_data(RrdHost *h, const HttpRequest *req, int64_t now_s, HttpApiResponse *out)
{
    const char *id = http_api_param(req, "chart");
    RrdChart *c = id ? rrd_chart_find(h, id) : NULL;
    for (RrdChart *x = h->charts; id && !c && x; x = x->next) {
        c = x->name && strcmp(x->name, id) == 0 ? x : NULL;
    }
    if (!c || !h->ops) {
        http_api_error(out, 404, HTTP_API_CT_TEXT, NO_MATCH, NULL);
        return;
    }
    const char *s;
    int64_t after = (s = http_api_param(req, "after")) ? strtoll(s, NULL, 10) : -600;
    int64_t before = (s = http_api_param(req, "before")) ? strtoll(s, NULL, 10) : 0;
    long long points = (s = http_api_param(req, "points")) ? strtoll(s, NULL, 10) : 0;
    unsigned opts = parse_options(http_api_param(req, "options"));
    int g = G_AVG;
    const char *gs = http_api_param(req, "group");
    for (size_t i = 0; gs && i < sizeof group_rows / sizeof group_rows[0]; i++) {
        g = strcmp(gs, group_rows[i].name) == 0 ? group_rows[i].g : g;
    }
    const char *fmt = http_api_param(req, "format");
    const char *sep = fmt && !strcmp(fmt, "csv") ? "," :
                      fmt && (!strcmp(fmt, "tsv") || !strcmp(fmt, "tsv-excel")) ? "\t" : NULL;
    char *filter = dims_filter(req);
    if (!(opts & (O_MATCH_IDS | O_MATCH_NAMES))) {
        opts |= O_MATCH_IDS | O_MATCH_NAMES;
    }

    /* the metrics of the query: stored data near the requested window, not hidden unless the
       filter names them (query_target_add_metric) */
    int64_t a0 = after, b0 = before, ue = c->update_every > 0 ? c->update_every : 1;
    rel_to_abs(&a0, &b0, now_s - 1);
    const RrdDim **dims = calloc(c->ndims + 1, sizeof *dims);
    int *show = calloc(c->ndims + 1, sizeof *show);
    size_t nd = 0;
    int64_t first = 0, last = 0;
    for (const RrdDim *d = c->dims; d && dims && show; d = d->next) {
        int64_t f = d->sd ? h->ops->first_t(d->sd) : 0, l = d->sd ? h->ops->last_t(d->sd) : 0;
        if (!l || f - 2 * ue > b0 || l + 2 * ue < a0) {
            continue;
        }
        int hidden = (d->flags & RRD_DIM_HIDDEN) != 0, forced = 0;
        if (filter) {
            forced = ((opts & O_MATCH_IDS) && http_api_pattern_match(filter, d->id)) ||
                     ((opts & O_MATCH_NAMES) && http_api_pattern_match(filter, d->name));
            hidden = !forced;
        }
        if (hidden) {
            continue;
        }
        show[nd] = forced ? 2 : 1;
        dims[nd++] = d;
        first = !first || (f && f < first) ? f : first;
        last = l > last ? l : last;
    }
    free(filter);
    Window w;
    if (!dims || !show || !nd ||
        calc_window(after, before, points, opts, ue, first, last, now_s - 1, &w) != 0) {
        http_api_error(out, (dims && show) ? 404 : 500, HTTP_API_CT_TEXT,
                       (dims && show) ? NO_MATCH : "Out of memory", NULL);
        free(dims);
        free(show);
        return;
    }
    double *v = w.points <= HTTP_API_MAX_CELLS / nd ? malloc(w.points * nd * sizeof *v) : NULL;
    if (!v) {
        http_api_error(out, w.points <= HTTP_API_MAX_CELLS / nd ? 500 : 400, HTTP_API_CT_TEXT,
                       "The query result is too large.", NULL);
        free(dims);
        free(show);
        return;
    }
    int any_nonzero = 0;
    for (size_t k = 0; k < nd; k++) {
        int nz = query_dim(h, dims[k], &w, (int)ue, g, v, nd, k);
        show[k] = (opts & O_NONZERO) ? (nz || show[k] == 2) : 1;
        any_nonzero |= show[k];
    }
    for (size_t k = 0; !any_nonzero && k < nd; k++) {
        show[k] = 1;                       /* all zero: Netdata shows them all */
    }
    out->content_type = sep ? HTTP_API_CT_TEXT : HTTP_API_CT_JSON;
    render(&out->body, (const RrdDim *const *)dims, show, nd, v, &w, opts, sep);
    free(v);
    free(dims);
    free(show);
}
