/*
** bench_match.c - ns per match of a compiled simple pattern (runtime/match.c) against the
** reference matcher (tests/support/ref_pattern.c: Netdata 1.37.1's algorithm, a linked list
** of recursive chains walked with strcmp/strncmp/strstr), both measured in the same run.
**
** Usage: bench_match [CHART_IDS]     (default bench/data/chart_ids.txt, one chart id a line)
**
** Workloads (the pattern is compiled with PATTERN_AUTO, as streamc does; LINEAR and INDEXED
** are shown too):
**   allow      a 1,000-term `allow from` list of IPv4 addresses and prefixes, with negatives,
**              over 10,000 client IPs that match early, late or not at all;
**   send       a typical 10-term `send charts matching` ending in '*', over the chart ids;
**   send-notail the same without the final '*';
**   star       `*` over the chart ids;
**   allow-N    sublists of the allow list (every k-th term) in LINEAR and INDEXED mode: where
**              the index starts to pay, for INDEX_MIN_TERMS in compiler/pattern.c.
** Each figure is the best of 5 timed runs, each run repeating the whole string set enough
** times to last >= 0.2 s (CLOCK_MONOTONIC); compiled and reference runs alternate. Both sides
** get NUL-terminated strings; the compiled side pays for its strlen, as Netdata's matcher
** does. Before timing, every string's verdict is checked to agree. Output: one table row and
** one "RESULT key=value ..." line per workload and mode. Benches never gate: the exit status
** is 0 unless the setup fails or a verdict disagrees.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "match.h"
#include "pattern.h"
#include "pattern_prog.h"
#include "ref_pattern.h"

#define RUNS 5
#define MIN_RUN_SECONDS 0.2

typedef struct Strings {
    char **s;
    size_t n, cap;
} Strings;

static volatile unsigned long sink;     /* keeps the loops from being optimised away */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        perror("bench_match");
        exit(2);
    }
    return p;
}

static void push(Strings *v, const char *s)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->s = xrealloc(v->s, v->cap * sizeof *v->s);
    }
    size_t k = strlen(s);
    v->s[v->n] = xrealloc(NULL, k + 1);
    memcpy(v->s[v->n++], s, k + 1);
}

static void strings_free(Strings *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->s[i]);
    }
    free(v->s);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

static int load_lines(Strings *v, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) {
            push(v, line);
        }
    }
    fclose(f);
    return 0;
}

/* The `allow from` list: 60 negatives first (single hosts carved out of allowed ranges), then
   640 single addresses, 290 /16 and /24 prefixes, 10 general terms; the IPs that match come
   from all of them, so matches are found early, late, and (40%) not at all. */
static void make_allow(char **pattern, Strings *clients)
{
    static char buf[32];
    Strings terms = { 0 };
    for (int i = 0; i < 60; i++) {
        snprintf(buf, sizeof buf, "!10.%u.%u.%u", rnd(40), rnd(256), 1 + rnd(254));
        push(&terms, buf);
    }
    for (int i = 0; i < 640; i++) {
        snprintf(buf, sizeof buf, "%u.%u.%u.%u", 11 + rnd(200), rnd(256), rnd(256), 1 + rnd(254));
        push(&terms, buf);
    }
    for (int i = 0; i < 290; i++) {
        if (i % 3 == 0) {
            snprintf(buf, sizeof buf, "10.%u.*", rnd(40));
        } else {
            snprintf(buf, sizeof buf, "192.168.%u.*", rnd(256));
        }
        push(&terms, buf);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(buf, sizeof buf, "172.%u.*.%u", 16 + rnd(16), 1 + rnd(254));
        push(&terms, buf);
    }
    size_t len = 0;
    for (size_t i = 0; i < terms.n; i++) {
        len += strlen(terms.s[i]) + 1;
    }
    *pattern = xrealloc(NULL, len + 1);
    char *p = *pattern;
    for (size_t i = 0; i < terms.n; i++) {
        size_t k = strlen(terms.s[i]);
        memcpy(p, terms.s[i], k);
        p[k] = ' ';
        p += k + 1;
    }
    p[-1] = '\0';
    for (int i = 0; i < 10000; i++) {
        uint32_t k = rnd(100);
        if (k < 40) {              /* no term matches: public addresses */
            snprintf(buf, sizeof buf, "%u.%u.%u.%u", 1 + rnd(9), rnd(256), rnd(256), rnd(256));
        } else if (k < 55) {       /* an exact address (spread over the list) */
            const char *t = terms.s[60 + rnd(640)];
            snprintf(buf, sizeof buf, "%s", t);
        } else if (k < 60) {       /* a negative (first terms) */
            snprintf(buf, sizeof buf, "%s", terms.s[rnd(60)] + 1);
        } else if (k < 98) {       /* inside a prefix (late terms): fill in the missing parts */
            const char *t = terms.s[700 + rnd(290)];
            int dots = t[0] == '1' && t[1] == '9' ? 3 : 2;
            if (dots == 3) {
                snprintf(buf, sizeof buf, "%.*s%u", (int)(strlen(t) - 1), t, 1 + rnd(254));
            } else {
                snprintf(buf, sizeof buf, "%.*s%u.%u", (int)(strlen(t) - 1), t, rnd(256),
                         1 + rnd(254));
            }
        } else {                   /* a general term */
            snprintf(buf, sizeof buf, "172.%u.%u.%u", 16 + rnd(16), rnd(256), 1 + rnd(254));
        }
        push(clients, buf);
    }
    strings_free(&terms);
}

static unsigned long pass(const void *prog, const RefPattern *ref, const Strings *v)
{
    unsigned long m = 0;
    if (prog) {
        for (size_t i = 0; i < v->n; i++) {
            m += match_run(prog, v->s[i], strlen(v->s[i])) == MATCH_POSITIVE;
        }
    } else {
        for (size_t i = 0; i < v->n; i++) {
            m += ref_pattern_match(ref, v->s[i]) == REF_POSITIVE;
        }
    }
    return m;
}

/* Seconds for ITERS passes over V (PROG NULL: the reference). */
static double timed(const void *prog, const RefPattern *ref, const Strings *v, unsigned long iters)
{
    unsigned long m = 0;
    double t0 = now();
    for (unsigned long k = 0; k < iters; k++) {
        m += pass(prog, ref, v);
    }
    sink += m;
    return now() - t0;
}

static unsigned long calibrate(const void *prog, const RefPattern *ref, const Strings *v)
{
    unsigned long iters = 1;
    double t;
    while ((t = timed(prog, ref, v, iters)) < MIN_RUN_SECONDS / 4) {
        iters *= 2;
    }
    return (unsigned long)((double)iters * MIN_RUN_SECONDS / t) + 1;
}

typedef struct Timing {
    double ns, ref_ns;          /* best of RUNS, per match */
} Timing;

/* Compiled and reference runs alternate, so a noisy neighbour hits both alike. */
static Timing measure(const void *prog, const RefPattern *ref, const Strings *v)
{
    unsigned long ip = calibrate(prog, NULL, v), ir = calibrate(NULL, ref, v);
    double bp = 1e30, br = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double tr = timed(NULL, ref, v, ir), tp = timed(prog, NULL, v, ip);
        br = tr < br ? tr : br;
        bp = tp < bp ? tp : bp;
    }
    return (Timing){ bp * 1e9 / ((double)ip * (double)v->n),
                     br * 1e9 / ((double)ir * (double)v->n) };
}

static int workload(const char *name, const char *pattern, const Strings *v, int modes)
{
    static const char *const mode_names[] = { "auto", "linear", "indexed" };
    Arena a;
    PatList pl;
    arena_init(&a);
    RefPattern *ref = ref_pattern_create(pattern);
    unsigned long matched = pass(NULL, ref, v);
    int rc = 0;
    for (int mode = PATTERN_AUTO; mode <= PATTERN_INDEXED; mode++) {
        if (!(modes & (1 << mode))) {
            continue;
        }
        size_t size = 0;
        void *prog = NULL;
        if (pattern_parse(&a, pattern, strlen(pattern), &pl) == 0) {
            prog = pattern_compile(&a, &pl, mode, &size);
        }
        if (!prog || pattern_prog_verify(prog, size)) {
            fprintf(stderr, "bench_match: %s: cannot compile the pattern\n", name);
            rc = 2;
            break;
        }
        for (size_t i = 0; i < v->n; i++) {
            if ((int)match_run(prog, v->s[i], strlen(v->s[i])) != ref_pattern_match(ref, v->s[i])) {
                fprintf(stderr, "bench_match: %s: '%s' disagrees with the reference\n", name,
                        v->s[i]);
                rc = 2;
            }
        }
        Timing t = measure(prog, ref, v);
        int indexed = (((const PatHeader *)prog)->flags & PAT_INDEXED) != 0;
        printf("%-12s %-8s %5u terms %6zu strings %5.1f%% match %8.1f ns  ref %8.1f ns %6.2fx%s\n",
               name, mode_names[mode], pl.n, v->n, 100.0 * (double)matched / (double)v->n, t.ns,
               t.ref_ns, t.ref_ns / t.ns, indexed ? "  (indexed)" : "");
        printf("RESULT bench=match workload=%s mode=%s terms=%u strings=%zu indexed=%d "
               "ns_per_match=%.2f ref_ns_per_match=%.2f speedup=%.3f\n", name, mode_names[mode],
               pl.n, v->n, indexed, t.ns, t.ref_ns, t.ref_ns / t.ns);
        fflush(stdout);
    }
    ref_pattern_free(ref);
    arena_free(&a);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "bench/data/chart_ids.txt";
    Strings ids = { 0 }, clients = { 0 };
    if (load_lines(&ids, path) != 0 || ids.n == 0) {
        fprintf(stderr, "bench_match: no chart ids in %s\n", path);
        return 2;
    }
    char *allow = NULL;
    make_allow(&allow, &clients);
    printf("bench_match: ns per match, best of %d runs of >= %.1f s; ref = reference matcher "
           "(Netdata 1.37.1 algorithm)\n", RUNS, MIN_RUN_SECONDS);
    const int all = 7, forced = 6;
    int rc = workload("allow", allow, &clients, all);
    rc |= workload("send", "!apps.* !users.* !groups.* !cgroup_* system.* disk.* net.* mem.* "
                   "cpu.* *", &ids, all);
    rc |= workload("send-notail", "!apps.* !users.* !groups.* !cgroup_* system.* disk.* net.* "
                   "mem.* cpu.* netdata.*", &ids, all);
    rc |= workload("star", "*", &ids, all);
    /* where the index starts to pay (INDEX_MIN_TERMS in compiler/pattern.c): every k-th term
       of the allow list, so each list keeps its mix of negatives, addresses and prefixes */
    static const int sweep[] = { 4, 8, 16, 32, 64 };
    for (size_t k = 0; k < sizeof sweep / sizeof sweep[0]; k++) {
        char name[32], *sub = xrealloc(NULL, strlen(allow) + 1), *out = sub;
        const char *w = allow;
        for (int i = 0; *w; i++) {
            size_t len = strcspn(w, " ");
            if (i % (1000 / sweep[k]) == 0) {
                memcpy(out, w, len);
                out[len] = ' ';
                out += len + 1;
            }
            w += len + (w[len] == ' ');
        }
        out[-1] = '\0';
        int nw = 1;
        for (const char *q = sub; *q; q++) {
            nw += *q == ' ';
        }
        snprintf(name, sizeof name, "allow-%d", nw);
        rc |= workload(name, sub, &clients, forced);
        free(sub);
    }
    free(allow);
    strings_free(&clients);
    strings_free(&ids);
    return rc;
}
