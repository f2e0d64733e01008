/*
** loadplugin.c - a cheap plugins.d plugin for bench/bench_sender.py: the same synthetic charts
** for streamd (--plugins-dir) and for the real Netdata 1.37.1 (its plugins directory), so that
** both agents stream exactly the same metrics. It prints CHARTS x DIMS definitions once, then one
** BEGIN/SET/END block per chart every update_every seconds (argv[1], as both agents pass it),
** with changing integer values, as one write() per second.
**
**   loadplugin [UPDATE_EVERY]
**       LOADPLUGIN_CHARTS (default 100) and LOADPLUGIN_DIMS (default 50) from the environment:
**       charts "bench.cNNNN" with dimensions "dNNN", algorithm absolute, multiplier 1, divisor 1.
**
** The clock: CLOCK_MONOTONIC, absolute sleeps to the next period, so the cadence does not drift
** with the plugin's own run time; BEGIN carries the microseconds since the previous collection
** (none on the first), as Netdata's own plugins do. It exits when stdout is closed (EPIPE or
** SIGPIPE) or on SIGTERM. Standalone: libc only (and bench/growbuf.c, its text buffer).
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "growbuf.h"

#define MAX_CHARTS 10000
#define MAX_DIMS 1000

static int write_all(const GrowBuf *o)
{
    size_t off = 0;
    while (off < o->len) {
        ssize_t w = write(1, o->p + off, o->len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

static unsigned env_num(const char *name, unsigned def, unsigned max)
{
    const char *s = getenv(name);
    if (!s || !*s) {
        return def;
    }
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    return *end || v < 1 || v > max ? def : (unsigned)v;
}

int main(int argc, char **argv)
{
    int every = argc > 1 ? atoi(argv[1]) : 1;
    if (every < 1) {
        every = 1;
    }
    unsigned charts = env_num("LOADPLUGIN_CHARTS", 100, MAX_CHARTS);
    unsigned dims = env_num("LOADPLUGIN_DIMS", 50, MAX_DIMS);
    GrowBuf o = { 0 };
    for (unsigned c = 0; c < charts; c++) {
        growbuf_str(&o, "CHART bench.c");
        growbuf_pad(&o, c, 4);
        growbuf_str(&o, " '' 'Bench load chart ");
        growbuf_u64(&o, c);
        growbuf_str(&o, "' 'value' 'bench' 'bench.load' line ");
        growbuf_u64(&o, 100000 + c);
        growbuf_str(&o, " ");
        growbuf_u64(&o, (uint64_t)every);
        growbuf_str(&o, " '' 'loadplugin' 'bench'\n");
        for (unsigned d = 0; d < dims; d++) {
            growbuf_str(&o, "DIMENSION d");
            growbuf_pad(&o, d, 3);
            growbuf_str(&o, " '' absolute 1 1\n");
        }
    }
    if (write_all(&o) != 0) {
        return 0;
    }
    struct timespec next, prev;
    clock_gettime(CLOCK_MONOTONIC, &next);
    prev = next;
    uint64_t it = 0;
    for (;;) {
        o.len = 0;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t dt = it ? (uint64_t)(now.tv_sec - prev.tv_sec) * 1000000u +
                               (uint64_t)((now.tv_nsec - prev.tv_nsec) / 1000) : 0;
        prev = now;
        for (unsigned c = 0; c < charts; c++) {
            growbuf_str(&o, "BEGIN bench.c");
            growbuf_pad(&o, c, 4);
            if (dt) {
                growbuf_str(&o, " ");
                growbuf_u64(&o, dt);
            }
            growbuf_str(&o, "\n");
            for (unsigned d = 0; d < dims; d++) {
                growbuf_str(&o, "SET d");
                growbuf_pad(&o, d, 3);
                growbuf_str(&o, " = ");
                growbuf_u64(&o, (it * 7919u + c * 131u + d * 17u) % 100000u);
                growbuf_str(&o, "\n");
            }
            growbuf_str(&o, "END\n");
        }
        if (write_all(&o) != 0) {
            return 0;
        }
        it++;
        next.tv_sec += every;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
        }
    }
}
