/*
** test_collect_proc.c - cmocka tests for runtime/collect_proc.c (the /proc parsers) fed with
** canned text, truncated text and garbage (exact-size heap copies, so ASan sees any over-read),
** plus one live run of runtime/collectors.c on this machine: the charts exist on localhost with
** proc.plugin's definitions and their stored values are sane (system.cpu rows sum to 100,
** system.ram to MemTotal, system.uptime near /proc/uptime).
** Expected raw values are what Netdata 1.37.1's proc.plugin sends for the same text (the
** system.cpu row is from a real 1.37.1 child's stream on this machine).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "collect_proc.h"
#include "collectors.h"
#include "policy_format.h"
#include "rrd.h"
#include "testutil.h"

/* ---- canned text ----------------------------------------------------------------------------- */

static const char STAT[] =
    "cpu  770089 0 167115 1679367 7837 0 3363 309 0 0\n"
    "cpu0 1000 50 300 4000 7 1 2 3 100 20\n"
    "cpu1 5 6 7 8 9 10 11 12\n"                      /* 9 words: no guest columns */
    "cpu2 1 2 3\n"                                   /* too short: skipped */
    "intr 123456789 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26\n"
    "ctxt 987654321\n"
    "btime 1700000000\n"
    "processes 4242\n"
    "processes 9999\n"                               /* proc.plugin keeps the first */
    "procs_running 3\n"
    "procs_blocked 1\n"
    "softirq 1 2 3 4 5 6 7 8 9 10 11\n";

typedef struct CpuSeen {
    size_t n;
    unsigned long core[8];
    char id[8][COLLECT_MAX_NAME];
    uint64_t v[8][COLLECT_CPU_N];
} CpuSeen;

static void on_cpu(void *ctx, unsigned long core, const char *id, const uint64_t v[])
{
    CpuSeen *s = ctx;
    if (s->n < 8) {
        s->core[s->n] = core;
        snprintf(s->id[s->n], COLLECT_MAX_NAME, "%s", id);
        memcpy(s->v[s->n], v, sizeof s->v[0]);
        s->n++;
    }
}

static void test_stat(void **state)
{
    (void)state;
    CollectStat st;
    CpuSeen s = {0};
    assert_int_equal(collect_parse_stat(STAT, strlen(STAT), &st, on_cpu, &s), 3);
    assert_int_equal(s.n, 3);
    /* exactly the SETs a 1.37.1 child sent for this row, in system.cpu's dimension order */
    const uint64_t total[COLLECT_CPU_N] = {0, 0, 309, 3363, 0, 770089, 167115, 0, 7837, 1679367};
    assert_int_equal(s.core[0], 0);
    assert_string_equal(s.id[0], "cpu");
    assert_memory_equal(s.v[0], total, sizeof total);
    /* guest is taken out of user, guest_nice out of nice */
    const uint64_t c0[COLLECT_CPU_N] = {20, 100, 3, 2, 1, 900, 300, 30, 7, 4000};
    assert_int_equal(s.core[1], 1);
    assert_string_equal(s.id[1], "cpu0");
    assert_memory_equal(s.v[1], c0, sizeof c0);
    const uint64_t c1[COLLECT_CPU_N] = {0, 0, 12, 11, 10, 5, 7, 6, 9, 8};
    assert_int_equal(s.core[2], 2);
    assert_memory_equal(s.v[2], c1, sizeof c1);
    assert_true(st.has_intr && st.has_ctxt);
    assert_int_equal(st.intr, 123456789);
    assert_int_equal(st.ctxt, 987654321);
    assert_int_equal(st.processes, 4242);
    assert_int_equal(st.running, 3);
    assert_int_equal(st.blocked, 1);
    /* no callback is fine; an empty text has nothing */
    assert_int_equal(collect_parse_stat(STAT, strlen(STAT), &st, NULL, NULL), 3);
    assert_int_equal(collect_parse_stat("", 0, &st, on_cpu, &s), 0);
    assert_false(st.has_intr || st.has_ctxt || st.processes);
}

static void test_loadavg(void **state)
{
    (void)state;
    CollectLoad l;
    const char *t = "0.07 2.01 0.70 2/148 18531\n";
    assert_int_equal(collect_parse_loadavg(t, strlen(t), &l), 0);
    assert_int_equal(l.load1, 70);
    assert_int_equal(l.load5, 2009);        /* (collected_number)(2.01 * 1000): 2009.9999... */
    assert_int_equal(l.load15, 700);
    assert_int_equal(l.active, 148);
    t = "0.07 0.19 0.70 2/148\n";           /* 5 words: proc.plugin disables the module */
    assert_int_equal(collect_parse_loadavg(t, strlen(t), &l), -1);
    assert_int_equal(collect_parse_loadavg("", 0, &l), -1);
    assert_int_equal(collect_parse_loadavg("\n0.1 0.2 0.3 1/2 3\n", 19, &l), -1);  /* line 1 */
    t = "inf nan 1e300 1/2 3 4";             /* not convertible: never undefined behaviour */
    assert_int_equal(collect_parse_loadavg(t, strlen(t), &l), 0);
    assert_true(l.load1 == INT64_MIN && l.load5 == INT64_MIN && l.load15 == INT64_MIN);
}

static void test_uptime(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(collect_parse_uptime("12345.67 999.00\n", 16, &ms), 0);
    assert_true(ms == 12345670 || ms == 12345669);  /* strtod * 1000, truncated */
    assert_int_equal(collect_parse_uptime(" \n", 2, &ms), -1);
}

static const char MEMINFO[] =
    "MemTotal:        4000000 kB\n"
    "MemFree:         1000000 kB\n"
    "MemAvailable:    2500000 kB\n"
    "Buffers:           50000 kB\n"
    "Cached:           900000 kB\n"
    "SwapCached:            0 kB\n"
    "Active(anon):     123456 kB\n"
    "Shmem:             40000 kB\n"
    "SReclaimable:      60000 kB\n"
    "SwapTotal:       1000000 kB\n"
    "SwapFree:         600000 kB\n"
    "HugePages_Total:       0\n";

static void test_meminfo(void **state)
{
    (void)state;
    CollectMem m;
    collect_parse_meminfo(MEMINFO, strlen(MEMINFO), &m);
    assert_int_equal(m.total, 4000000);
    assert_int_equal(m.free, 1000000);
    assert_true(m.has_available);
    assert_int_equal(m.available, 2500000);
    assert_int_equal(m.swap_total, 1000000);
    assert_int_equal(m.swap_free, 600000);
    int64_t ram[4];
    collect_mem_ram(&m, ram);
    assert_int_equal(ram[0], 1000000);                    /* free */
    assert_int_equal(ram[2], 900000 + 60000 - 40000);     /* cached */
    assert_int_equal(ram[1], 4000000 - 1000000 - 920000 - 50000);   /* used */
    assert_int_equal(ram[3], 50000);                      /* buffers */
    assert_int_equal(ram[0] + ram[1] + ram[2] + ram[3], 4000000);
    collect_parse_meminfo("MemTotal: 5\n", 12, &m);       /* no MemAvailable: no mem.available */
    assert_false(m.has_available);
}

static const char NETDEV[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 59005371551 2554795    0    0    0     0          0         0 59005371551 2554795 "
    "   0    0    0     0       0          0\n"
    "  eth0: 51438857    1664    0    0    0     0          0         0    86079    1153    0 "
    "   0    0     0       0          0\n"
    "  eth1:4294967296 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n"   /* glued: 16 words, skipped */
    "  short: 1 2 3\n";

typedef struct NetSeen {
    size_t n;
    char name[4][COLLECT_MAX_NAME];
    uint64_t r[4], t[4];
} NetSeen;

static void on_net(void *ctx, const char *name, uint64_t r, uint64_t t)
{
    NetSeen *s = ctx;
    if (s->n < 4) {
        snprintf(s->name[s->n], COLLECT_MAX_NAME, "%s", name);
        s->r[s->n] = r;
        s->t[s->n++] = t;
    }
}

static void test_net_dev(void **state)
{
    (void)state;
    NetSeen s = {0};
    assert_int_equal(collect_parse_net_dev(NETDEV, strlen(NETDEV), on_net, &s), 2);
    assert_string_equal(s.name[0], "lo");
    assert_int_equal(s.r[0], 59005371551ULL);
    assert_string_equal(s.name[1], "eth0");
    assert_int_equal(s.r[1], 51438857);      /* the child sent InOctets = 51438857 */
    assert_int_equal(s.t[1], 86079);         /* and OutOctets = 86079 */
    assert_true(collect_netdev_disabled("lo"));
    assert_true(collect_netdev_disabled("fireqos0"));
    assert_true(collect_netdev_disabled("eth0-ifb"));
    assert_true(collect_netdev_disabled("fwbr1"));
    assert_false(collect_netdev_disabled("eth0"));
    assert_false(collect_netdev_disabled("lo0"));
    assert_false(collect_netdev_disabled("ifb0"));    /* virtual, but not by name */
}

typedef struct DiskSeen {
    size_t n;
    uint64_t r, w;
    unsigned long major, minor;
    char name[COLLECT_MAX_NAME];
} DiskSeen;

static void on_disk(void *ctx, unsigned long major, unsigned long minor, const char *name,
                    uint64_t r, uint64_t w)
{
    DiskSeen *s = ctx;
    s->n++;
    s->r += r;
    s->w += w;
    s->major = major;
    s->minor = minor;
    snprintf(s->name, sizeof s->name, "%s", name);
}

static void test_diskstats_vmstat(void **state)
{
    (void)state;
    const char *t =
        " 254       0 vda 899822 80980 23481290 838141 901749 367227 51287448 250919 0 150824 "
        "1134272 499247 70 26957488 40582 117181 4628\n"
        "   8       1 sda1 1 2 3 4 5 6 7 8 9 10 11\n"        /* 14 words: the old format */
        "   8       2 sda2 1 2 3 4 5 6 7 8 9 10\n";          /* 13 words: skipped */
    DiskSeen s = {0};
    assert_int_equal(collect_parse_diskstats(t, strlen(t), on_disk, &s), 2);
    assert_int_equal(s.r, 23481290 + 3);
    assert_int_equal(s.w, 51287448 + 7);
    assert_int_equal(s.major, 8);
    assert_int_equal(s.minor, 1);
    assert_string_equal(s.name, "sda1");
    CollectVm vm;
    t = "nr_free_pages 1\npgpgin 11503789\npgpgout 25563024\npswpin 0\npswpout 5\nbogus\n";
    collect_parse_vmstat(t, strlen(t), &vm);
    assert_int_equal(vm.pgpgin, 11503789);
    assert_int_equal(vm.pgpgout, 25563024);
    assert_int_equal(vm.pswpout, 5);
}

/* ---- hostile input --------------------------------------------------------------------------- */

static size_t count_cpu;

static void any_cpu(void *ctx, unsigned long core, const char *id, const uint64_t v[])
{
    (void)ctx, (void)core, (void)v;
    assert_true(strlen(id) < COLLECT_MAX_NAME);
    count_cpu++;
}

static void any_net(void *ctx, const char *name, uint64_t r, uint64_t t)
{
    (void)ctx, (void)r, (void)t;
    assert_true(strlen(name) < COLLECT_MAX_NAME);
}

static void any_disk(void *ctx, unsigned long a, unsigned long b, const char *name, uint64_t r,
                     uint64_t w)
{
    (void)ctx, (void)a, (void)b, (void)r, (void)w;
    assert_true(strlen(name) < COLLECT_MAX_NAME);
}

/* Every parser over an exact-size heap copy of N bytes of T. */
static void all_parsers(const char *t, size_t n)
{
    char *b = testutil_dup_exact(t, n);
    CollectStat st;
    CollectLoad l;
    CollectMem m;
    CollectVm vm;
    int64_t ms, ram[4];
    collect_parse_stat(b, n, &st, any_cpu, NULL);
    collect_parse_loadavg(b, n, &l);
    collect_parse_uptime(b, n, &ms);
    collect_parse_meminfo(b, n, &m);
    collect_mem_ram(&m, ram);
    collect_parse_vmstat(b, n, &vm);
    collect_parse_net_dev(b, n, any_net, NULL);
    collect_parse_diskstats(b, n, any_disk, NULL);
    free(b);
}

static void test_truncated(void **state)
{
    (void)state;
    const char *texts[] = {STAT, MEMINFO, NETDEV, "0.07 2.01 0.70 2/148 18531\n"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        for (size_t n = 0; n <= strlen(texts[k]); n++) {
            all_parsers(texts[k], n);
        }
    }
    CollectStat st;
    count_cpu = 0;
    collect_parse_stat(STAT, 20, &st, any_cpu, NULL);   /* "cpu  770089 0 167115" */
    assert_int_equal(count_cpu, 0);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char alphabet[] = "cpu0123456789 \t\n:|/,.-+eEinfxINTRctpsMemlo\0\xff\x01";
    uint32_t x = 12345;
    char buf[4096];
    for (int iter = 0; iter < 3000; iter++) {
        x = x * 1103515245u + 12345u;
        size_t n = (x >> 8) % sizeof buf;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (iter & 1) ? (char)(x >> 24) : alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        all_parsers(buf, n);
    }
    /* very long words and lines: names are never longer than COLLECT_MAX_NAME - 1 */
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "cpu", 3);
    all_parsers(buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (i % 3) ? '9' : ' ';
    }
    all_parsers(buf, sizeof buf);
    CollectStat st;
    CollectLoad l;
    CollectMem m;
    CollectVm vm;
    int64_t ms;
    assert_int_equal(collect_parse_stat(NULL, 0, &st, any_cpu, NULL), 0);
    assert_int_equal(collect_parse_loadavg(NULL, 0, &l), -1);
    assert_int_equal(collect_parse_uptime(NULL, 0, &ms), -1);
    collect_parse_meminfo(NULL, 0, &m);
    collect_parse_vmstat(NULL, 0, &vm);
    assert_int_equal(collect_parse_net_dev(NULL, 0, any_net, NULL), 0);
    assert_int_equal(collect_parse_diskstats(NULL, 0, any_disk, NULL), 0);
}

/* ---- live ------------------------------------------------------------------------------------ */

static double last_value(RrdHost *h, RrdDim *d)
{
    StoragePoint p[8];
    size_t n = h->ops->query(d->sd, 0, INT64_MAX, p, 8);
    for (size_t i = n; i-- > 0;) {
        if (!isnan(p[i].v)) {
            return p[i].v;
        }
    }
    return NAN;
}

static void test_live(void **state)
{
    (void)state;
    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 3600, .update_every = 1};
    RrdDb *db = rrd_db_new("live", "", &cfg, NULL);
    assert_non_null(db);
    RrdHost *h = db->localhost;
    Collectors *c = collectors_start(db, NULL, 1, 1);
    assert_non_null(c);
    /* two collections store a point: the first tick is at most 1.5 s away */
    int ready = 0;
    for (int i = 0; i < 100 && !ready; i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&h->lock);
        RrdChart *cpu = rrd_chart_find(h, "system.cpu");
        ready = cpu && cpu->counter_done >= 2;
        pthread_mutex_unlock(&h->lock);
    }
    collectors_stop(c);
    assert_true(ready);

    static const char *const ids[] = {"system.cpu", "system.processes", "system.ram",
                                      "system.uptime", "system.intr", "system.ctxt",
                                      "system.forks", "system.pgpgio", "system.load",
                                      "system.active_processes", "cpu.cpu0"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        RrdChart *ch = rrd_chart_find(h, ids[i]);
        if (!ch) {
            fail_msg("chart %s missing", ids[i]);
        }
        assert_string_equal(ch->plugin, "proc.plugin");
    }
    RrdChart *cpu = rrd_chart_find(h, "system.cpu");
    assert_int_equal(cpu->ndims, 10);
    assert_int_equal(cpu->priority, 100);
    assert_string_equal(cpu->units, "percentage");
    assert_string_equal(cpu->family, "cpu");
    assert_true(rrd_dim_find(cpu, "idle")->flags & RRD_DIM_HIDDEN);
    assert_int_equal(rrd_dim_find(cpu, "user")->algorithm, RRD_ALG_PCENT_INC_ROW);
    double sum = 0;
    for (RrdDim *d = cpu->dims; d; d = d->next) {
        double v = last_value(h, d);
        assert_false(isnan(v));
        assert_true(v >= 0 && v <= 100);
        sum += v;
    }
    assert_true(fabs(sum - 100) < 0.5 || sum == 0);   /* 0: no jiffy passed (never on 1 s) */

    RrdChart *load = rrd_chart_find(h, "system.load");
    assert_int_equal(load->update_every, 5);
    assert_int_equal(rrd_dim_find(load, "load1")->divisor, 1000);

    RrdChart *ram = rrd_chart_find(h, "system.ram");
    CollectMem m;
    FILE *f = fopen("/proc/meminfo", "r");
    assert_non_null(f);
    char text[8192];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    collect_parse_meminfo(text, n, &m);
    double total = 0;
    for (RrdDim *d = ram->dims; d; d = d->next) {
        total += last_value(h, d);
    }
    assert_true(fabs(total - (double)m.total / 1024) < 1.0);   /* MiB */

    RrdChart *up = rrd_chart_find(h, "system.uptime");
    f = fopen("/proc/uptime", "r");
    assert_non_null(f);
    double secs = 0;
    assert_int_equal(fscanf(f, "%lf", &secs), 1);
    fclose(f);
    assert_true(fabs(last_value(h, up->dims) - secs) < 5);
    RrdChart *procs = rrd_chart_find(h, "system.processes");
    assert_true(last_value(h, procs->dims) >= 1);                /* this test runs */
    assert_int_equal(rrd_dim_find(procs, "blocked")->multiplier, -1);
    rrd_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat),
        cmocka_unit_test(test_loadavg),
        cmocka_unit_test(test_uptime),
        cmocka_unit_test(test_meminfo),
        cmocka_unit_test(test_net_dev),
        cmocka_unit_test(test_diskstats_vmstat),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
