/*
** bench_storage.c - the storage engines (issue 7) on the same data, measured in one run: bytes
** per sample on disk and in memory, write throughput, query latency for one hour of one
** dimension. Every engine storage_ops_for() reaches with a data directory is measured (ram,
** save, map, dbengine); ram is the baseline of every ratio.
**
** Usage: bench_storage [DATASET]    (run from the project root, as bench/run.py does)
**        bench_storage --export DATA_DIR OUT   (a streamd --data-dir's own dbengine host -> OUT)
**        bench_storage --pages DATASET [N]     (payload per series and page mode; N costliest)
**        bench_storage --pages-sn DATASET [N]  (the same, values first rounded to Netdata's
**                                               storage_number precision: a lossy mode measured)
**
** Datasets (bench/dataset.c reads and makes them, and writes the --export file):
**   (a) real system metrics: DATASET, default bench/data/proc_metrics.bin, this machine's /proc
**       recorded by bench/record_proc.py (Netdata's proc.plugin values: cpu %, MiB, rates;
**       format in that script); bench/data/streamd_collectors.bin: streamd's own /proc
**       collectors in dbengine mode, update every 1 s, turned into the same format by
**       `bench_storage --export`; build/bench/netdata_metrics.bin, when present (the same
**       format, recorded from a real Netdata 1.37.1 child by bench/record_netdata.py, which
**       also leaves the end-to-end figure of that child streaming into streamd with memory
**       mode dbengine in netdata_metrics.bin.e2e);
**   (b) a synthetic mix: 1,200 series x 3,600 slots, a third each constant, counter (a
**       cumulative integer growing by 100-199 a slot) and gauge with noise (a slow sine plus
**       uniform noise in hundredths).
** Per engine and dataset: ingest every series (slot by slot, all series per slot, as a
** receiver does) into a fresh host and close it, best CPU time of 3 runs (ingest + close, so
** what close encodes and writes counts) -> samples/s per core; bytes() of the host after
** ingest -> memory bytes/sample; after the close, the size of every file of the
** host's directory -> disk bytes/sample; reopen (persistent engines) and query the newest hour
** (3,600 slots) of one series of (b): first query (cold: from disk, dbengine's page cache
** empty) and the mean of 1,000 more (warm). The data read back is compared with what ram
** returns (exact); a mismatch is an error.
** Targets: dbengine <= 0.5 B/sample on disk on (a), ram <= 4 B/sample in memory, write >= 5M
** samples/s per core. Exit 1 only when something cannot run or a read-back differs.
*/
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataset.h"
#include "gorilla.h"
#include "log.h"
#include "policy_format.h"
#include "storage.h"

#define RUNS 3
#define HOUR 3600
#define TARGET_DB_BPS 0.5
#define TARGET_RAM_BPS 4.0
#define TARGET_WRITE 5e6
/* streamd's built-in collectors recorded on this machine (docs/performance.md says how) */
static const struct {
    const char *path, *name;
} collectors[] = {
    {"bench/data/streamd_collectors.bin",
     "(a) real system metrics, streamd's built-in collectors, busy machine (builds, tests)"},
    {"bench/data/streamd_collectors_idle.bin",
     "(a) real system metrics, streamd's built-in collectors, idle machine"},
};

typedef struct Result {
    double disk_bps, mem_bps, write_sps, cold_us, warm_us;
    int have_query;
} Result;

static const struct {
    int mode;
    const char *name;
} engines[] = {
    {POLICY_MODE_RAM, "ram"},
    {POLICY_MODE_SAVE, "save"},
    {POLICY_MODE_MAP, "map"},
    {POLICY_MODE_DBENGINE, "dbengine"},
};
#define NENGINES (sizeof engines / sizeof engines[0])

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t tree_bytes;

static int add_size(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)p;
    (void)f;
    if (flag == FTW_F && S_ISREG(st->st_mode)) {
        tree_bytes += (uint64_t)st->st_size;
    }
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static uint64_t du(const char *dir)
{
    tree_bytes = 0;
    nftw(dir, add_size, 16, FTW_PHYS);
    return tree_bytes;
}

static StorageConfig host_cfg(int mode, const char *dir, uint32_t history)
{
    return (StorageConfig){.mode = mode, .history = history, .data_dir = dir,
                           .host_guid = "bench-host"};
}

/* Series "chart.dim" as dimension dim of chart chart (the dbengine groups a chart's pages). */
static StorageDim **create_dims(const StorageOps *o, StorageHost *h, const Dataset *d)
{
    StorageDim **dims = malloc(d->series * sizeof *dims);
    for (uint32_t s = 0; dims && s < d->series; s++) {
        char chart[256];
        const char *dot = strrchr(d->names[s], '.');
        size_t cl = dot ? (size_t)(dot - d->names[s]) : 0;
        snprintf(chart, sizeof chart, "%.*s", (int)(cl < sizeof chart ? cl : sizeof chart - 1),
                 d->names[s]);
        dims[s] = o->create_dim(h, dot ? chart : "bench", dot ? dot + 1 : d->names[s], 1);
        if (!dims[s]) {
            free(dims);
            return NULL;
        }
    }
    return dims;
}

#define T0 1700000000

/* Query the newest hour of series S from O/H and from ram; 0 when they agree. */
static int read_back(const StorageOps *o, StorageDim *d, const Dataset *ds, uint32_t s,
                     StoragePoint *p, size_t np)
{
    int64_t last = T0 + ds->samples - 1, first = last - (np - 1);
    if (o->query(d, first, last, p, np) != np) {
        return -1;
    }
    for (size_t i = 0; i < np; i++) {
        float want = ds->v[(size_t)s * ds->samples + (size_t)(p[i].t - T0)];
        if (p[i].t != first + (int64_t)i || (isnan(want) ? !isnan(p[i].v) : want != p[i].v)) {
            return -1;
        }
    }
    return 0;
}

/* Measure engine E on dataset DS under ROOT into *R. 0, or -1 (a message printed). */
static int measure(size_t e, const Dataset *ds, const char *root, Result *r)
{
    int fb = 1;
    const StorageOps *o = storage_ops_for(engines[e].mode, 1, &fb);
    StorageConfig cfg = host_cfg(engines[e].mode, root, ds->samples);
    double best = 1e30;
    memset(r, 0, sizeof *r);
    for (int run = 0; run < RUNS; run++) {
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        mkdir(root, 0755);
        StorageHost *h = o->open_host(&cfg);
        StorageDim **dims = h ? create_dims(o, h, ds) : NULL;
        if (!dims) {
            fprintf(stderr, "bench_storage: %s: cannot open a host\n", engines[e].name);
            return -1;
        }
        double c0 = cpu_now();
        for (uint32_t i = 0; i < ds->samples; i++) {
            for (uint32_t s = 0; s < ds->series; s++) {
                o->append(dims[s], T0 + i, ds->v[(size_t)s * ds->samples + i]);
            }
        }
        r->mem_bps = (double)o->bytes(h) / ((double)ds->series * ds->samples);
        o->close_host(h);           /* counted: it encodes and writes what is still open */
        double c = cpu_now() - c0;
        best = c < best ? c : best;
        free(dims);
    }
    double samples = (double)ds->series * ds->samples;
    r->write_sps = samples / best;
    r->disk_bps = (double)du(root) / samples;
    if (ds->samples < HOUR) {
        return 0;
    }
    /* the newest hour of one gauge: from a reopened host (ram: the host of the last run is
       gone, so ram is measured on a fresh ingest) */
    StorageHost *h = o->open_host(&cfg);
    StorageDim **dims = h ? create_dims(o, h, ds) : NULL;
    if (!dims) {
        return -1;
    }
    if (engines[e].mode == POLICY_MODE_RAM) {
        for (uint32_t i = 0; i < ds->samples; i++) {
            for (uint32_t s = 0; s < ds->series; s++) {
                o->append(dims[s], T0 + i, ds->v[(size_t)s * ds->samples + i]);
            }
        }
    }
    static StoragePoint p[HOUR];
    uint32_t s = 2;
    double w0 = wall_now();
    int bad = read_back(o, dims[s], ds, s, p, HOUR);
    r->cold_us = (wall_now() - w0) * 1e6;
    w0 = wall_now();
    for (int k = 0; k < 1000 && !bad; k++) {
        bad = o->query(dims[s], T0 + ds->samples - HOUR, T0 + ds->samples - 1, p, HOUR) != HOUR;
    }
    r->warm_us = (wall_now() - w0) * 1e6 / 1000;
    for (uint32_t k = 0; k < ds->series && !bad; k += 97) {
        bad = read_back(o, dims[k], ds, k, p, HOUR);
    }
    r->have_query = 1;
    o->close_host(h);
    free(dims);
    if (bad) {
        fprintf(stderr, "bench_storage: %s: the data read back differs from what was "
                "appended\n", engines[e].name);
        return -1;
    }
    return 0;
}

static const char *verdict(double v, double target, int lower_is_better)
{
    return (lower_is_better ? v <= target : v >= target) ? "met" : "MISSED";
}

static int bench_dataset(const Dataset *ds, const char *root)
{
    Result res[NENGINES];
    int have[NENGINES] = {0};
    printf("== %s: %u series x %u slots = %.0f samples\n", ds->name, ds->series, ds->samples,
           (double)ds->series * ds->samples);
    for (size_t e = 0; e < NENGINES; e++) {
        int fb = 1;
        const StorageOps *o = storage_ops_for(engines[e].mode, 1, &fb);
        if (fb || strcmp(o->name, engines[e].name) != 0) {
            printf("%-9s not available (storage_ops_for falls back to %s)\n", engines[e].name,
                   o->name);
            continue;
        }
        if (measure(e, ds, root, &res[e]) != 0) {
            return -1;
        }
        have[e] = 1;
    }
    const Result *ram = &res[0];
    for (size_t e = 0; e < NENGINES; e++) {
        if (!have[e]) {
            continue;
        }
        const Result *r = &res[e];
        printf("%-9s disk %7.3f B/sample  memory %7.3f B/sample (%.2fx ram)  write %6.2f M "
               "samples/s/core (%.2fx ram, target >= 5M: %s)", engines[e].name, r->disk_bps,
               r->mem_bps, ram->mem_bps > 0 ? r->mem_bps / ram->mem_bps : 0, r->write_sps / 1e6,
               r->write_sps / ram->write_sps, verdict(r->write_sps, TARGET_WRITE, 0));
        if (r->have_query) {
            printf("  hour query %.1f us cold, %.1f us warm (%.2fx ram)", r->cold_us, r->warm_us,
                   r->warm_us / ram->warm_us);
        }
        printf("\n");
        if (e == 0) {
            printf("%-9s target memory <= %.1f B/sample: %.3f -> %s\n", "", TARGET_RAM_BPS,
                   r->mem_bps, verdict(r->mem_bps, TARGET_RAM_BPS, 1));
        }
        if (engines[e].mode == POLICY_MODE_DBENGINE && ds->name[1] == 'a') {
            printf("%-9s target disk <= %.1f B/sample on (a): %.3f -> %s (%.1fx smaller than "
                   "ram's memory)\n", "", TARGET_DB_BPS, r->disk_bps,
                   verdict(r->disk_bps, TARGET_DB_BPS, 1), ram->mem_bps / r->disk_bps);
        }
        printf("RESULT bench=storage dataset=%c engine=%s disk_bps=%.4f mem_bps=%.4f "
               "write_sps=%.0f query_cold_us=%.1f query_warm_us=%.2f\n", ds->name[1],
               engines[e].name, r->disk_bps, r->mem_bps, r->write_sps, r->cold_us, r->warm_us);
    }
    return 0;
}

/* The end-to-end figure bench/record_netdata.py left next to its recording: the child streamed
   into streamd with memory mode dbengine, and the host's dbengine directory was measured. */
static void e2e(const char *recording)
{
    char path[PATH_MAX], line[256];
    unsigned long long slots = 0, bytes = 0, files = 0, nd = 0;
    snprintf(path, sizeof path, "%s.e2e", recording);
    FILE *f = fopen(path, "r");
    if (f && fgets(line, sizeof line, f)
        && sscanf(line, "RESULT bench=storage_e2e slots=%llu bytes=%llu files=%llu "
                  "netdata_bytes=%llu", &slots, &bytes, &files, &nd) >= 2 && slots) {
        double bps = (double)bytes / (double)slots, nbps = (double)nd / (double)slots;
        printf("dbengine  end to end (the child streaming into streamd, memory mode dbengine): "
               "%llu bytes for %llu slots = %.3f B/sample (target <= %.1f: %s)\n", bytes,
               slots, bps, TARGET_DB_BPS, verdict(bps, TARGET_DB_BPS, 1));
        if (nd) {
            printf("          Netdata 1.37.1's own dbengine (tier 0) on the child, same run: %llu "
                   "bytes = %.3f B/sample -> streamd's dbengine %.2fx its size\n", nd, nbps,
                   bps / nbps);
        }
    }
    if (f) {
        fclose(f);
    }
}

/* ---- --pages: what the page codec does with each series of a dataset ------------------------- */

typedef struct SeriesCost {
    uint32_t s;
    size_t bytes;
    unsigned modes[GORILLA_MODES];
} SeriesCost;

static int by_bytes(const void *a, const void *b)
{
    const SeriesCost *x = a, *y = b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* V rounded to the precision of Netdata 1.37.1's storage_number (pack then unpack): a 24-bit
   integer n times 10^m (|v| > 2^24 - 1, up to m = 7) or divided by 10^m (while n stays below
   0x0019999e, up to m = 7), n rounded to nearest. For --pages-sn, the lossy idea measured. */
static float netdata_precision(float f)
{
    double n = fabs((double)f), p = 1;
    if (!(n > 0) || isinf(n)) {
        return f;
    }
    int m = 0;
    while (m < 7 && n > (double)0x00ffffff) {
        n /= 10;
        p *= 10;
        m++;
    }
    if (!m) {
        while (m < 7 && n < (double)0x0019999e) {
            n *= 10;
            p /= 10;
            m++;
        }
        if (n > (double)0x00ffffff) {
            n /= 10;
            p *= 10;
        }
    }
    double r = (double)llrint(n) * p;
    return (float)(f < 0 ? -r : r);
}

/* Whether series A and B are dimensions of one chart ("chart.dim": the same text before the
   last dot). */
static int same_chart(const char *a, const char *b)
{
    const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
    return da && db && da - a == db - b && memcmp(a, b, (size_t)(da - a)) == 0;
}

/* The pages of --pages as records on disk (a 20-byte header each), with each chart's pages
   written as one group record where that is smaller, as the dbengine does. */
static void group_report(const Dataset *d, uint8_t *buf)
{
    size_t cap = 1u << 17;
    uint8_t *gb = malloc(cap), *done = calloc(d->series, 1);
    size_t pages = 0, best = 0, grouped = 0, all = 0;
    for (uint32_t s = 0; gb && done && s < d->series; s++) {
        uint32_t m[GORILLA_GROUP_MAX], k = 0;
        for (uint32_t o = s; o < d->series && k < GORILLA_GROUP_MAX; o++) {
            if (!done[o] && (o == s || same_chart(d->names[s], d->names[o]))) {
                m[k++] = o;
                done[o] = 1;
            }
        }
        for (uint32_t i = 0; i < d->samples; i += 1024) {
            uint32_t n = d->samples - i < 1024 ? d->samples - i : 1024;
            GorillaPage p[GORILLA_GROUP_MAX];
            size_t one = 0, g = 0, head = 20 + 4 * (size_t)k;
            for (uint32_t j = 0; j < k; j++) {
                p[j] = (GorillaPage){T0 + i, 1, n, &d->v[(size_t)m[j] * d->samples + i]};
                one += 20 + gorilla_encode(&p[j], buf, gorilla_bound(1024));
            }
            if (k >= 2 && one > head) {
                g = gorilla_group_encode(p, k, one - head, gb, cap);
            }
            pages += one;
            best += g ? head + g : one;
            grouped += g ? k : 0;
            all += k;
        }
    }
    double samples = (double)d->series * d->samples;
    printf("as records on disk: one page each %zu bytes = %.4f B/sample; with group records "
           "%zu bytes = %.4f B/sample (%zu of %zu pages in groups)\n", pages,
           (double)pages / samples, best, (double)best / samples, grouped, all);
    free(gb);
    free(done);
}

/*
** --pages DATASET [N]: encode every series of DATASET in pages of 1024 slots (as dbengine
** cuts them), then print the payload bytes per sample of all pages and of the N (default 20)
** most expensive series with the modes their pages took.
*/
static int pages_report(const char *path, int top, int sn)
{
    static const char *mode_names[GORILLA_MODES] = {"empty", "const", "xor", "int", "raw",
                                                    "ratio"};
    Dataset d = {0};
    if (dataset_load(path, &d) != 0) {
        fprintf(stderr, "bench_storage: cannot read dataset %s\n", path);
        return 1;
    }
    for (size_t i = 0; sn && i < (size_t)d.series * d.samples; i++) {
        d.v[i] = netdata_precision(d.v[i]);
    }
    SeriesCost *c = calloc(d.series, sizeof *c);
    uint8_t *buf = malloc(gorilla_bound(1024));
    size_t total = 0;
    unsigned modes[GORILLA_MODES] = {0};
    for (uint32_t s = 0; c && buf && s < d.series; s++) {
        c[s].s = s;
        for (uint32_t i = 0; i < d.samples; i += 1024) {
            uint32_t n = d.samples - i < 1024 ? d.samples - i : 1024;
            GorillaPage p = {T0 + i, 1, n, &d.v[(size_t)s * d.samples + i]};
            GorillaHeader h;
            size_t len = gorilla_encode(&p, buf, gorilla_bound(1024));
            if (!len || gorilla_peek(buf, len, &h) != 0) {
                return 1;
            }
            c[s].bytes += len;
            c[s].modes[h.mode]++;
            modes[h.mode]++;
        }
        total += c[s].bytes;
    }
    qsort(c, d.series, sizeof *c, by_bytes);
    printf("%u series x %u slots: page payloads %zu bytes = %.4f B/sample; pages by mode:",
           d.series, d.samples, total, (double)total / ((double)d.series * d.samples));
    for (int m = 0; m < GORILLA_MODES; m++) {
        printf(" %s %u", mode_names[m], modes[m]);
    }
    printf("\n");
    for (int k = 0; k < top && k < (int)d.series; k++) {
        printf("%8.3f B/sample %5.1f%% of all  %-48s", (double)c[k].bytes / d.samples,
               100.0 * (double)c[k].bytes / (double)total, d.names[c[k].s]);
        for (int m = 0; m < GORILLA_MODES; m++) {
            if (c[k].modes[m]) {
                printf(" %s:%u", mode_names[m], c[k].modes[m]);
            }
        }
        printf("\n");
    }
    group_report(&d, buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && (strcmp(argv[1], "--pages") == 0 || strcmp(argv[1], "--pages-sn") == 0)) {
        return pages_report(argv[2], argc > 3 ? atoi(argv[3]) : 20, argv[1][7] == '-');
    }
    if (argc == 4 && strcmp(argv[1], "--export") == 0) {
        log_open("/dev/null");
        return dataset_export_dbengine(argv[2], argv[3]);
    }
    const char *path = argc > 1 ? argv[1] : "bench/data/proc_metrics.bin";
    const char *extra = "build/bench/netdata_metrics.bin";
    char root[] = "build/bench/storage.XXXXXX";
    mkdir("build", 0755);
    mkdir("build/bench", 0755);
    if (!mkdtemp(root)) {
        fprintf(stderr, "bench_storage: cannot make %s: %s\n", root, strerror(errno));
        return 1;
    }
    log_open("/dev/null");
    StorageGlobal g = {32, 4096};
    storage_configure(&g);
    printf("bench_storage: samples/s per core = CPU time of one thread; bytes on disk after a "
           "clean close; memory = the engine's bytes(); page cache %ld MiB, disk budget %ld "
           "MiB\n", g.page_cache_mb, g.disk_space_mb);
    Dataset a = {.name = "(a) real system metrics, /proc of this machine"}, n = {0}, b = {0};
    int rc = 0;
    if (dataset_load(path, &a) != 0) {
        fprintf(stderr, "bench_storage: cannot read dataset %s (bench/record_proc.py writes "
                "it)\n", path);
        rc = 1;
    } else {
        rc |= bench_dataset(&a, root) != 0;
    }
    for (size_t k = 0; k < sizeof collectors / sizeof collectors[0]; k++) {
        Dataset c = {.name = collectors[k].name};
        if (dataset_load(collectors[k].path, &c) == 0) {
            rc |= bench_dataset(&c, root) != 0;
        } else {
            printf("== %s: not recorded (%s: see docs/performance.md)\n", c.name,
                   collectors[k].path);
        }
    }
    n.name = "(a) real system metrics, a Netdata 1.37.1 child";
    if (dataset_load(extra, &n) == 0) {
        rc |= bench_dataset(&n, root) != 0;
        e2e(extra);
    } else {
        printf("== %s: not recorded (bench/record_netdata.py writes %s)\n", n.name, extra);
    }
    dataset_synthetic(&b);
    rc |= bench_dataset(&b, root) != 0;
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
