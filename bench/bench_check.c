/*
** bench_check.c - how fast `streamc check` gets through a fleet, against Netdata's own loader.
**
** Usage: bench_check FLEETDIR [RUNS]      (FLEETDIR from bench/gen_fleet.py; RUNS default 3)
**
** Every subdirectory of FLEETDIR is one node. Four workloads run over the same files, each RUNS
** times; the best run counts (the machine is shared and noisy):
**   streamc   node_check per node (one arena per node, as the CLI does), the sink rendered as
**             text to /dev/null, the arena freed;
**   baseline  a minimal re-implementation of Netdata 1.37.1's appconfig_load: fopen, fgets into
**             an 8192-byte buffer, trim, section / key split at the first '=', values stored in
**             a hash table (malloc'd names and values, last value wins), no validation and no
**             logging; the tables are freed per node;
**   read      open, fstat, read, close of every file and nothing else: the I/O floor;
**   probes    the stat calls node_check makes before reading (the directory and its four
**             candidate files), so the streamc time splits into read + probes + work.
** Output: a human summary, then one "RESULT key=value ..." line that bench/run.py parses.
** This file does not time the streamc executable; bench/run.py does.
*/
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "confdir.h"
#include "diag_render.h"

typedef struct FleetNode {
    char *dir;
    char *files[2];             /* stream.conf, netdata.conf; NULL when absent */
} FleetNode;

typedef struct Fleet {
    FleetNode *nodes;
    size_t n, cap, nfiles, bytes;
} Fleet;

typedef struct RunStats {
    double best, worst;
    unsigned long nerr, nwarn, lines;
} RunStats;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *path_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 2);
    if (!p) {
        perror("bench_check");
        exit(2);
    }
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

static int cmp_node(const void *pa, const void *pb)
{
    return strcmp(((const FleetNode *)pa)->dir, ((const FleetNode *)pb)->dir);
}

/* Every subdirectory of ROOT, sorted, with the files node_check would read. */
static int fleet_scan(Fleet *f, const char *root)
{
    static const char *const names[2] = { "stream.conf", "netdata.conf" };
    DIR *dp = opendir(root);
    if (!dp) {
        perror(root);
        return -1;
    }
    memset(f, 0, sizeof *f);
    struct dirent *de;
    while ((de = readdir(dp))) {
        struct stat st;
        if (de->d_name[0] == '.') {
            continue;
        }
        char *dir = path_join(root, de->d_name);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(dir);
            continue;
        }
        if (f->n == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 1024;
            f->nodes = realloc(f->nodes, f->cap * sizeof *f->nodes);
            if (!f->nodes) {
                perror("bench_check");
                exit(2);
            }
        }
        FleetNode *nd = &f->nodes[f->n++];
        nd->dir = dir;
        for (int i = 0; i < 2; i++) {
            nd->files[i] = path_join(dir, names[i]);
            if (stat(nd->files[i], &st) != 0) {
                free(nd->files[i]);
                nd->files[i] = NULL;
                continue;
            }
            f->nfiles++;
            f->bytes += (size_t)st.st_size;
        }
    }
    closedir(dp);
    qsort(f->nodes, f->n, sizeof *f->nodes, cmp_node);
    return 0;
}

static void fleet_free(Fleet *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->nodes[i].dir);
        free(f->nodes[i].files[0]);
        free(f->nodes[i].files[1]);
    }
    free(f->nodes);
}

/* ---- streamc: what `streamc check DIR...` does per directory, minus argv ------------------ */

static Node node;   /* large; node_check resets it */

static double run_streamc(const Fleet *f, FILE *out, RunStats *st)
{
    Render r;
    double t0 = now();
    render_begin(&r, out, RENDER_TEXT);
    for (size_t i = 0; i < f->n; i++) {
        Arena a;
        DiagSink d;
        NodeInput in = { f->nodes[i].dir, NULL, NULL, NULL };
        arena_init(&a);
        diag_init(&d, &a);
        d.max_errors = 50;      /* the CLI default */
        node_check(&node, &a, &d, &in);
        render_sink(&r, &d);
        arena_free(&a);
    }
    render_end(&r);
    fflush(out);
    double t = now() - t0;
    st->nerr = r.nerr;
    st->nwarn = r.nwarn;
    return t;
}

/* ---- baseline: Netdata 1.37.1 libnetdata/config/appconfig.c appconfig_load, minimal ------- */

#define ND_LINE_MAX ((1024 + 2048 + 1024) * 2)     /* CONFIG_FILE_LINE_MAX */

typedef struct NdOption {
    char *name, *value;
    uint32_t hash, flags;
    struct NdOption *next;        /* section order (Netdata appends at the tail) */
    struct NdOption *chain;       /* hash bucket */
} NdOption;

typedef struct NdSection {
    char *name;
    uint32_t hash;
    NdOption *values;
    NdOption *tab[64];
    struct NdSection *next, *chain;
} NdSection;

typedef struct NdConfig {
    NdSection *first, *last;
    NdSection *tab[64];
    unsigned long lines;          /* lines read, to keep the work observable */
} NdConfig;

static uint32_t simple_hash(const char *name)    /* Netdata's FNV-1a variant */
{
    const unsigned char *s = (const unsigned char *)name;
    uint32_t h = 0x811c9dc5;
    while (*s) {
        h *= 16777619;
        h ^= (uint32_t)*s++;
    }
    return h;
}

static char *trim(char *s)                        /* libnetdata trim() */
{
    while (*s && isspace((unsigned char)*s)) {
        s++;
    }
    if (!*s) {
        return NULL;
    }
    char *p = s + strlen(s) - 1;
    while (p > s && isspace((unsigned char)*p)) {
        p--;
    }
    *++p = '\0';
    return *s ? s : NULL;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        perror("bench_check");
        exit(2);
    }
    return p;
}

static void *xcalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        perror("bench_check");
        exit(2);
    }
    return p;
}

static NdSection *nd_section(NdConfig *c, const char *name)
{
    uint32_t h = simple_hash(name);
    for (NdSection *s = c->tab[h & 63]; s; s = s->chain) {
        if (s->hash == h && strcmp(s->name, name) == 0) {
            return s;
        }
    }
    NdSection *s = xcalloc(sizeof *s);
    s->name = xstrdup(name);
    s->hash = h;
    s->chain = c->tab[h & 63];
    c->tab[h & 63] = s;
    if (c->last) {
        c->last->next = s;
    } else {
        c->first = s;
    }
    c->last = s;
    return s;
}

static void nd_set(NdSection *co, const char *name, const char *value)
{
    uint32_t h = simple_hash(name);
    for (NdOption *o = co->tab[h & 63]; o; o = o->chain) {
        if (o->hash == h && strcmp(o->name, name) == 0) {
            free(o->value);                   /* not used yet: the file overwrites */
            o->value = xstrdup(value);
            o->flags |= 1;                    /* CONFIG_VALUE_LOADED */
            return;
        }
    }
    NdOption *o = xcalloc(sizeof *o);
    o->name = xstrdup(name);
    o->value = xstrdup(value);
    o->hash = h;
    o->flags = 1;
    o->chain = co->tab[h & 63];
    co->tab[h & 63] = o;
    NdOption **tail = &co->values;            /* appconfig_value_create walks to the end */
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = o;
}

static int nd_load(NdConfig *c, const char *path)
{
    char buffer[ND_LINE_MAX + 1];
    FILE *fp = fopen(path, "r");
    if (!fp) {
        return 0;
    }
    NdSection *co = NULL;
    while (fgets(buffer, ND_LINE_MAX, fp)) {
        buffer[ND_LINE_MAX] = '\0';
        c->lines++;
        char *s = trim(buffer);
        if (!s || *s == '#') {
            continue;
        }
        size_t len = strlen(s);
        if (*s == '[' && s[len - 1] == ']') {
            s[len - 1] = '\0';
            co = nd_section(c, s + 1);
            continue;
        }
        if (!co) {
            continue;                         /* "outside all sections" (logged by Netdata) */
        }
        char *value = strchr(s, '=');
        if (!value) {
            continue;                         /* "there is no = in it" */
        }
        *value++ = '\0';
        char *name = trim(s);
        value = trim(value);
        if (!name || *name == '#') {
            continue;                         /* "name is empty" */
        }
        nd_set(co, name, value ? value : "");
    }
    fclose(fp);
    return 1;
}

static void nd_free(NdConfig *c)
{
    NdSection *s = c->first;
    while (s) {
        NdSection *sn = s->next;
        NdOption *o = s->values;
        while (o) {
            NdOption *on = o->next;
            free(o->name);
            free(o->value);
            free(o);
            o = on;
        }
        free(s->name);
        free(s);
        s = sn;
    }
}

static double run_baseline(const Fleet *f, RunStats *st)
{
    unsigned long lines = 0;
    double t0 = now();
    for (size_t i = 0; i < f->n; i++) {
        NdConfig stream, netdata;
        memset(&stream, 0, sizeof stream);
        memset(&netdata, 0, sizeof netdata);
        if (f->nodes[i].files[0]) {
            nd_load(&stream, f->nodes[i].files[0]);
        }
        if (f->nodes[i].files[1]) {
            nd_load(&netdata, f->nodes[i].files[1]);
        }
        lines += stream.lines + netdata.lines;
        nd_free(&stream);
        nd_free(&netdata);
    }
    double t = now() - t0;
    st->lines = lines;
    return t;
}

/* ---- I/O floor: the file-system calls node_check makes, with no parsing ------------------- */

static size_t read_all(const char *path, char *buf, size_t cap)
{
    struct stat st;
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    if (fstat(fd, &st) == 0) {
        ssize_t r;
        while (n < cap && (r = read(fd, buf + n, cap - n)) > 0) {
            n += (size_t)r;
        }
    }
    close(fd);
    return n;
}

/* Open, fstat, read to EOF and close each file: the I/O any checker of these files pays. */
static double run_read_floor(const Fleet *f, RunStats *st)
{
    static char buf[1 << 16];
    size_t total = 0;
    double t0 = now();
    for (size_t i = 0; i < f->n; i++) {
        for (int k = 0; k < 2; k++) {
            if (f->nodes[i].files[k]) {
                total += read_all(f->nodes[i].files[k], buf, sizeof buf);
            }
        }
    }
    double t = now() - t0;
    st->lines = total;
    return t;
}

/* The look-ups node_check makes before reading: stat of the directory and of its four
   candidate files (stream.conf, netdata.conf and two GUID files, normally absent). */
static double run_probes(const Fleet *f, RunStats *st)
{
    static const char *const probes[] = { "stream.conf", "netdata.conf",
                                          "netdata.public.unique.id",
                                          "registry/netdata.public.unique.id" };
    unsigned long found = 0;
    double t0 = now();
    for (size_t i = 0; i < f->n; i++) {
        char path[4096];
        struct stat sb;
        found += stat(f->nodes[i].dir, &sb) == 0;
        for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
            snprintf(path, sizeof path, "%s/%s", f->nodes[i].dir, probes[k]);
            found += stat(path, &sb) == 0;
        }
    }
    double t = now() - t0;
    st->lines = found;
    return t;
}

/* ---- driver -------------------------------------------------------------------------------- */

static void record(RunStats *st, double t, int first)
{
    if (first || t < st->best) {
        st->best = t;
    }
    if (first || t > st->worst) {
        st->worst = t;
    }
}

static void report(const char *name, const Fleet *f, const RunStats *st, int runs)
{
    double mb = (double)f->bytes / 1e6;
    printf("%-9s best of %d: %.3f s (worst %.3f s)  %.0f nodes/s  %.0f files/s  %.1f MB/s\n",
           name, runs, st->best, st->worst, (double)f->n / st->best,
           (double)f->nfiles / st->best, mb / st->best);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_check FLEETDIR [RUNS]\n");
        return 2;
    }
    int runs = argc == 3 ? atoi(argv[2]) : 3;
    if (runs < 1 || runs > 100) {
        fprintf(stderr, "bench_check: RUNS must be 1..100\n");
        return 2;
    }
    Fleet f;
    if (fleet_scan(&f, argv[1]) != 0 || f.n == 0) {
        fprintf(stderr, "bench_check: no node directories in '%s' (run bench/gen_fleet.py)\n",
                argv[1]);
        return 2;
    }
    FILE *out = fopen("/dev/null", "w");
    if (!out) {
        perror("/dev/null");
        return 2;
    }
    static char outbuf[1 << 16];
    setvbuf(out, outbuf, _IOFBF, sizeof outbuf);

    RunStats sc, base, io, pr;
    memset(&sc, 0, sizeof sc);
    memset(&base, 0, sizeof base);
    memset(&io, 0, sizeof io);
    memset(&pr, 0, sizeof pr);
    /* alternate the workloads so drift on a shared machine hits all alike */
    for (int i = 0; i < runs; i++) {
        record(&sc, run_streamc(&f, out, &sc), i == 0);
        record(&base, run_baseline(&f, &base), i == 0);
        record(&io, run_read_floor(&f, &io), i == 0);
        record(&pr, run_probes(&f, &pr), i == 0);
    }
    fclose(out);

    printf("fleet %s: %zu nodes, %zu files, %zu bytes (%.1f MB, %.0f B/node), %lu lines\n",
           argv[1], f.n, f.nfiles, f.bytes, (double)f.bytes / 1e6,
           (double)f.bytes / (double)f.n, base.lines);
    printf("streamc diagnostics per run: %lu errors, %lu warnings\n", sc.nerr, sc.nwarn);
    report("streamc", &f, &sc, runs);
    report("baseline", &f, &base, runs);
    report("read", &f, &io, runs);
    printf("%-9s best of %d: %.3f s (worst %.3f s)  %.1f us per node\n", "probes", runs,
           pr.best, pr.worst, pr.best * 1e6 / (double)f.n);
    printf("ratio streamc/baseline: %.2fx the time\n", sc.best / base.best);
    printf("split: streamc = read %.3f + probes %.3f + work %.3f s; baseline = read %.3f + "
           "work %.3f s\n", io.best, pr.best, sc.best - io.best - pr.best, io.best,
           base.best - io.best);
    printf("RESULT nodes=%zu files=%zu bytes=%zu runs=%d streamc_s=%.6f baseline_s=%.6f "
           "read_s=%.6f probes_s=%.6f ratio=%.3f errors=%lu warnings=%lu\n", f.n, f.nfiles,
           f.bytes, runs, sc.best, base.best, io.best, pr.best, sc.best / base.best, sc.nerr,
           sc.nwarn);
    fleet_free(&f);
    return 0;
}
