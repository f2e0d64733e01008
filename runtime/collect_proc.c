/*
** collect_proc.c - the /proc parsers of collect_proc.h. One line scanner (bounded word views over
** the caller's buffer, never past its end, never writing to it) and one small function per file,
** each reading the rows proc.plugin of Netdata 1.37.1 reads with the same separators and number
** rules (procfile + str2ull/strtod), so the raw values match what it would collect.
*/
#include "collect_proc.h"

#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 24             /* more than any row needs (net/dev: 17); the rest are skipped */

typedef struct Line {
    const char *w[MAX_WORDS];
    size_t wn[MAX_WORDS];
    size_t nw;                   /* words seen, saturating at MAX_WORDS */
} Line;

typedef struct Scan {
    const char *p, *end;
    unsigned char sep[256];
} Scan;

static void scan_init(Scan *s, const char *buf, size_t n, const char *seps)
{
    memset(s->sep, 0, sizeof s->sep);
    for (; *seps; seps++) {
        s->sep[(unsigned char)*seps] = 1;
    }
    s->sep[0] = 1;               /* a NUL never ends up inside a word we copy to a C string */
    s->p = buf ? buf : "";
    s->end = buf ? buf + n : s->p;
}

/* The next '\n'-terminated line (the last one may lack it) as word views. 0 at the end. */
static int scan_line(Scan *s, Line *ln)
{
    if (s->p >= s->end) {
        return 0;
    }
    const char *p = s->p;
    ln->nw = 0;
    while (p < s->end && *p != '\n') {
        if (s->sep[(unsigned char)*p]) {
            p++;
            continue;
        }
        const char *w = p;
        while (p < s->end && *p != '\n' && !s->sep[(unsigned char)*p]) {
            p++;
        }
        if (ln->nw < MAX_WORDS) {
            ln->w[ln->nw] = w;
            ln->wn[ln->nw] = (size_t)(p - w);
            ln->nw++;
        }
    }
    s->p = p < s->end ? p + 1 : p;
    return 1;
}

/* str2ull: leading decimal digits, wrapping; 0 for a missing word (procfile gives ""). */
static uint64_t w_u64(const Line *ln, size_t i)
{
    uint64_t v = 0;
    if (i < ln->nw) {
        for (size_t k = 0; k < ln->wn[i] && ln->w[i][k] >= '0' && ln->w[i][k] <= '9'; k++) {
            v = v * 10 + (uint64_t)(ln->w[i][k] - '0');
        }
    }
    return v;
}

/* Word I copied into DST (CAP bytes); 0 when missing or too long. */
static int w_copy(const Line *ln, size_t i, char *dst, size_t cap)
{
    if (i >= ln->nw || ln->wn[i] >= cap) {
        return 0;
    }
    memcpy(dst, ln->w[i], ln->wn[i]);
    dst[ln->wn[i]] = 0;
    return 1;
}

static int w_is(const Line *ln, size_t i, const char *lit)
{
    size_t n = strlen(lit);
    return i < ln->nw && ln->wn[i] == n && memcmp(ln->w[i], lit, n) == 0;
}

/* (collected_number)(strtod(word) * scale). A value C cannot convert (NaN, inf, beyond int64)
   gives INT64_MIN, what the x86 conversion proc.plugin compiles to yields. */
static int64_t w_scaled(const Line *ln, size_t i, double scale)
{
    char tmp[64];
    if (!w_copy(ln, i, tmp, sizeof tmp)) {
        return 0;
    }
    double x = strtod(tmp, NULL) * scale;
    if (!(x > -9.2e18 && x < 9.2e18)) {
        return INT64_MIN;
    }
    return (int64_t)x;
}

/* ---- /proc/stat ------------------------------------------------------------------------------ */

size_t collect_parse_stat(const char *buf, size_t n, CollectStat *st, CollectCpuFn fn, void *ctx)
{
    Scan s;
    Line ln;
    size_t cpus = 0;
    memset(st, 0, sizeof *st);
    scan_init(&s, buf, n, " \t:");
    while (scan_line(&s, &ln)) {
        if (ln.nw == 0) {
            continue;
        }
        const char *k = ln.w[0];
        size_t kn = ln.wn[0];
        if (kn >= 3 && k[0] == 'c' && k[1] == 'p' && k[2] == 'u') {
            char id[COLLECT_MAX_NAME];
            if (ln.nw < 9 || !w_copy(&ln, 0, id, sizeof id)) {
                continue;
            }
            unsigned long core = 0;
            if (kn > 3) {
                for (size_t i = 3; i < kn && k[i] >= '0' && k[i] <= '9'; i++) {
                    core = core * 10 + (unsigned long)(k[i] - '0');
                }
                core++;
            }
            uint64_t v[COLLECT_CPU_N];
            uint64_t guest = w_u64(&ln, 9), guest_nice = w_u64(&ln, 10);
            v[COLLECT_CPU_USER] = w_u64(&ln, 1) - guest;
            v[COLLECT_CPU_NICE] = w_u64(&ln, 2) - guest_nice;
            v[COLLECT_CPU_SYSTEM] = w_u64(&ln, 3);
            v[COLLECT_CPU_IDLE] = w_u64(&ln, 4);
            v[COLLECT_CPU_IOWAIT] = w_u64(&ln, 5);
            v[COLLECT_CPU_IRQ] = w_u64(&ln, 6);
            v[COLLECT_CPU_SOFTIRQ] = w_u64(&ln, 7);
            v[COLLECT_CPU_STEAL] = w_u64(&ln, 8);
            v[COLLECT_CPU_GUEST] = guest;
            v[COLLECT_CPU_GUEST_NICE] = guest_nice;
            cpus++;
            if (fn) {
                fn(ctx, core, id, v);
            }
        } else if (w_is(&ln, 0, "intr")) {
            st->has_intr = 1;
            st->intr = w_u64(&ln, 1);
        } else if (w_is(&ln, 0, "ctxt")) {
            st->has_ctxt = 1;
            st->ctxt = w_u64(&ln, 1);
        } else if (w_is(&ln, 0, "processes") && !st->processes) {
            st->processes = w_u64(&ln, 1);      /* proc.plugin: only while still 0 */
        } else if (w_is(&ln, 0, "procs_running") && !st->running) {
            st->running = w_u64(&ln, 1);
        } else if (w_is(&ln, 0, "procs_blocked") && !st->blocked) {
            st->blocked = w_u64(&ln, 1);
        }
    }
    return cpus;
}

/* ---- /proc/loadavg, /proc/uptime ------------------------------------------------------------- */

int collect_parse_loadavg(const char *buf, size_t n, CollectLoad *out)
{
    Scan s;
    Line ln;
    memset(out, 0, sizeof *out);
    scan_init(&s, buf, n, " \t,:|/");
    if (!scan_line(&s, &ln) || ln.nw < 6) {
        return -1;
    }
    out->load1 = w_scaled(&ln, 0, 1000.0);
    out->load5 = w_scaled(&ln, 1, 1000.0);
    out->load15 = w_scaled(&ln, 2, 1000.0);
    out->active = w_u64(&ln, 4);
    return 0;
}

int collect_parse_uptime(const char *buf, size_t n, int64_t *ms)
{
    Scan s;
    Line ln;
    scan_init(&s, buf, n, " \t");
    if (!scan_line(&s, &ln) || ln.nw < 1) {
        return -1;
    }
    *ms = w_scaled(&ln, 0, 1000.0);
    return 0;
}

/* ---- key/value files ------------------------------------------------------------------------- */

typedef struct KeyField {
    const char *key;
    size_t off;
} KeyField;

static void parse_keys(const char *buf, size_t n, const KeyField *rows, size_t nrows, void *out,
                       const char *have_key, int *have)
{
    Scan s;
    Line ln;
    scan_init(&s, buf, n, " \t:");
    while (scan_line(&s, &ln)) {
        if (ln.nw < 2) {
            continue;
        }
        for (size_t i = 0; i < nrows; i++) {
            if (w_is(&ln, 0, rows[i].key)) {
                *(uint64_t *)((char *)out + rows[i].off) = w_u64(&ln, 1);
                if (have && strcmp(rows[i].key, have_key) == 0) {
                    *have = 1;
                }
                break;
            }
        }
    }
}

void collect_parse_meminfo(const char *buf, size_t n, CollectMem *out)
{
    static const KeyField rows[] = {
        {"MemTotal", offsetof(CollectMem, total)},
        {"MemFree", offsetof(CollectMem, free)},
        {"MemAvailable", offsetof(CollectMem, available)},
        {"Buffers", offsetof(CollectMem, buffers)},
        {"Cached", offsetof(CollectMem, cached)},
        {"SReclaimable", offsetof(CollectMem, sreclaimable)},
        {"Shmem", offsetof(CollectMem, shmem)},
        {"SwapTotal", offsetof(CollectMem, swap_total)},
        {"SwapFree", offsetof(CollectMem, swap_free)},
    };
    memset(out, 0, sizeof *out);
    parse_keys(buf, n, rows, sizeof rows / sizeof rows[0], out, "MemAvailable",
               &out->has_available);
}

void collect_mem_ram(const CollectMem *m, int64_t ram[4])
{
    uint64_t cached = m->cached + m->sreclaimable - m->shmem;
    uint64_t used = m->total - m->free - cached - m->buffers;
    ram[0] = (int64_t)m->free;
    ram[1] = (int64_t)used;
    ram[2] = (int64_t)cached;
    ram[3] = (int64_t)m->buffers;
}

void collect_parse_vmstat(const char *buf, size_t n, CollectVm *out)
{
    static const KeyField rows[] = {
        {"pgpgin", offsetof(CollectVm, pgpgin)},
        {"pgpgout", offsetof(CollectVm, pgpgout)},
        {"pswpin", offsetof(CollectVm, pswpin)},
        {"pswpout", offsetof(CollectVm, pswpout)},
    };
    memset(out, 0, sizeof *out);
    parse_keys(buf, n, rows, sizeof rows / sizeof rows[0], out, NULL, NULL);
}

/* ---- per-device tables ----------------------------------------------------------------------- */

size_t collect_parse_net_dev(const char *buf, size_t n, CollectNetFn fn, void *ctx)
{
    Scan s;
    Line ln;
    size_t count = 0;
    scan_init(&s, buf, n, " \t,|");
    for (size_t l = 0; scan_line(&s, &ln); l++) {
        char name[COLLECT_MAX_NAME];
        if (l < 2 || ln.nw < 17 || !w_copy(&ln, 0, name, sizeof name)) {
            continue;                         /* two header lines; 17 words required */
        }
        size_t len = strlen(name);
        if (len && name[len - 1] == ':') {
            name[len - 1] = 0;
        }
        count++;
        if (fn) {
            fn(ctx, name, w_u64(&ln, 1), w_u64(&ln, 9));
        }
    }
    return count;
}

size_t collect_parse_diskstats(const char *buf, size_t n, CollectDiskFn fn, void *ctx)
{
    Scan s;
    Line ln;
    size_t count = 0;
    scan_init(&s, buf, n, " \t");
    while (scan_line(&s, &ln)) {
        char name[COLLECT_MAX_NAME];
        if (ln.nw < 14 || !w_copy(&ln, 2, name, sizeof name)) {
            continue;
        }
        count++;
        if (fn) {
            fn(ctx, (unsigned long)w_u64(&ln, 0), (unsigned long)w_u64(&ln, 1), name,
               w_u64(&ln, 5), w_u64(&ln, 9));
        }
    }
    return count;
}

int collect_netdev_disabled(const char *name)
{
    static const char *const prefixes[] = {"fireqos", "fwpr", "fwbr", "fwln"};
    size_t n = strlen(name);
    if (strcmp(name, "lo") == 0 || (n >= 4 && strcmp(name + n - 4, "-ifb") == 0)) {
        return 1;
    }
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
            return 1;
        }
    }
    return 0;
}
