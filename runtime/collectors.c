/*
** collectors.c - the collection thread of collectors.h. Every update_every seconds (aligned to
** the clock plus a fixed 250-500 ms offset, as Netdata's heartbeat) it reads /proc, turns the
** text into raw integers with collect_proc.h, and applies them to the node's host through rrd.h
** (rrd_chart_begin with 0 the first time and then the measured interval, rrd_dim_set,
** rrd_chart_end: the arithmetic is rrd_collect.c's). Between ticks it polls the plugins' pipes.
**
** Chart definitions are rows (`specs`, ORDER CH_), checked against a real 1.37.1 child's CHART
** and DIMENSION lines on this machine. proc.plugin facts kept: system.load is collected only
** every max(5, update_every) s (its chart's update_every) on the heartbeat's dt; system.net sums
** the interfaces not matched by "lo fireqos* *-ifb fwpr* fwbr* fwln*" and not under
** /sys/devices/virtual/net; system.io (KiB from /proc/diskstats, sectors x 512 / 1024 per
** physical disk: /sys/block/D readable, not a partition, not virtual, no slaves) and system.net,
** system.swap, mem.available exist once they have something to show; system.uptime is
** CLOCK_BOOTTIME when it agrees with /proc/uptime within 1 s; /proc/loadavg with fewer than 6
** words disables that module. Not collected: the other ~90 charts of proc.plugin.
*/
#include "collectors.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect_proc.h"
#include "log.h"
#include "plugins.h"

#define MAX_FILE (4u << 20)        /* /proc text read per file (a huge /proc/stat is cut) */
#define MAX_CORES 4096
#define DEV_CACHE 256              /* devices whose physical/virtual answer is remembered */
#define LOAD_MIN_EVERY 5           /* proc.plugin's MIN_LOADAVG_UPDATE_EVERY */

typedef struct DimSpec {
    const char *id, *name, *alg;
    int64_t mul, div;
    const char *opts;
} DimSpec;

typedef struct ChartSpec {
    const char *id, *title, *units, *family, *context, *type, *module, *options;
    long priority;
    int min_every;
    size_t nd;
    DimSpec d[COLLECT_CPU_N];
} ChartSpec;

#define INC "incremental"
#define ABS "absolute"
#define PCT "percentage-of-incremental-row"
#define CPU_DIMS                                                                                 \
    {{"guest_nice", NULL, PCT, 1, 1, ""}, {"guest", NULL, PCT, 1, 1, ""},                        \
     {"steal", NULL, PCT, 1, 1, ""}, {"softirq", NULL, PCT, 1, 1, ""},                           \
     {"irq", NULL, PCT, 1, 1, ""}, {"user", NULL, PCT, 1, 1, ""},                                \
     {"system", NULL, PCT, 1, 1, ""}, {"nice", NULL, PCT, 1, 1, ""},                             \
     {"iowait", NULL, PCT, 1, 1, ""}, {"idle", NULL, PCT, 1, 1, "hidden"}}

enum { CH_CPU, CH_INTR, CH_CTXT, CH_FORKS, CH_PROCESSES, CH_UPTIME, CH_LOAD, CH_ACTIVE,
       CH_PGPGIO, CH_RAM, CH_AVAIL, CH_SWAP, CH_IO, CH_NET, CH_COUNT, CH_CORE = CH_COUNT };

static const ChartSpec specs[] = {   /* ORDER CH_ */
    {"system.cpu", "Total CPU utilization", "percentage", "cpu", "system.cpu", "stacked",
     "/proc/stat", "", 100, 0, COLLECT_CPU_N, CPU_DIMS},
    {"system.intr", "CPU Interrupts", "interrupts/s", "interrupts", "system.intr", "line",
     "/proc/stat", "detail", 900, 0, 1, {{"interrupts", NULL, INC, 1, 1, ""}}},
    {"system.ctxt", "CPU Context Switches", "context switches/s", "processes", "system.ctxt",
     "line", "/proc/stat", "", 800, 0, 1, {{"switches", NULL, INC, 1, 1, ""}}},
    {"system.forks", "Started Processes", "processes/s", "processes", "system.forks", "line",
     "/proc/stat", "detail", 700, 0, 1, {{"started", NULL, INC, 1, 1, ""}}},
    {"system.processes", "System Processes", "processes", "processes", "system.processes",
     "line", "/proc/stat", "", 600, 0, 2,
     {{"running", NULL, ABS, 1, 1, ""}, {"blocked", NULL, ABS, -1, 1, ""}}},
    {"system.uptime", "System Uptime", "seconds", "uptime", "system.uptime", "line",
     "/proc/uptime", "", 1000, 0, 1, {{"uptime", NULL, ABS, 1, 1000, ""}}},
    {"system.load", "System Load Average", "load", "load", "system.load", "line",
     "/proc/loadavg", "", 100, LOAD_MIN_EVERY, 3,
     {{"load1", NULL, ABS, 1, 1000, ""}, {"load5", NULL, ABS, 1, 1000, ""},
      {"load15", NULL, ABS, 1, 1000, ""}}},
    {"system.active_processes", "System Active Processes", "processes", "processes",
     "system.active_processes", "line", "/proc/loadavg", "", 750, 0, 1,
     {{"active", NULL, ABS, 1, 1, ""}}},
    {"system.pgpgio", "Memory Paged from/to disk", "KiB/s", "disk", "system.pgpgio", "area",
     "/proc/vmstat", "", 151, 0, 2, {{"in", NULL, INC, 1, 1, ""}, {"out", NULL, INC, -1, 1, ""}}},
    {"system.ram", "System RAM", "MiB", "ram", "system.ram", "stacked", "/proc/meminfo", "", 200,
     0, 4,
     {{"free", NULL, ABS, 1, 1024, ""}, {"used", NULL, ABS, 1, 1024, ""},
      {"cached", NULL, ABS, 1, 1024, ""}, {"buffers", NULL, ABS, 1, 1024, ""}}},
    {"mem.available", "Available RAM for applications", "MiB", "system", "mem.available", "area",
     "/proc/meminfo", "", 1010, 0, 1, {{"MemAvailable", "avail", ABS, 1, 1024, ""}}},
    {"system.swap", "System Swap", "MiB", "swap", "system.swap", "stacked", "/proc/meminfo",
     "detail", 201, 0, 2, {{"free", NULL, ABS, 1, 1024, ""}, {"used", NULL, ABS, 1, 1024, ""}}},
    {"system.io", "Disk I/O", "KiB/s", "disk", "system.io", "area", "/proc/diskstats", "", 150, 0,
     2, {{"in", NULL, INC, 1, 1, ""}, {"out", NULL, INC, -1, 1, ""}}},
    {"system.net", "Physical Network Interfaces Aggregated Bandwidth", "kilobits/s", "network",
     "system.net", "area", "/proc/net/dev", "", 500, 0, 2,
     {{"InOctets", "received", INC, 8, 1000, ""}, {"OutOctets", "sent", INC, -8, 1000, ""}}},
    /* CH_CORE: cpu.cpuN, priority 1000 + N + 1 */
    {"cpu.cpu", "Core utilization", "percentage", "utilization", "cpu.cpu", "stacked",
     "/proc/stat", "", 1000, 0, COLLECT_CPU_N, CPU_DIMS},
};

typedef struct Chart {
    RrdChart *c;
    RrdDim *d[COLLECT_CPU_N];
    uint64_t last_ut;            /* wall clock of its last collection, 0 before the first */
    int broken;                  /* could not be defined (logged once) */
} Chart;

typedef struct DevType {
    char key[COLLECT_MAX_NAME + 48];
    int physical;
} DevType;

struct Collectors {
    RrdHost *h;
    int ue;
    pthread_t thread;
    int wake[2];
    Plugins *plugins;
    Chart ch[CH_COUNT];
    Chart *cores;                /* cpu.cpuN at [N] */
    size_t ncores;
    char *buf;
    size_t cap;
    DevType devs[DEV_CACHE];
    size_t ndevs;
    uint64_t load_next_dt;       /* proc.plugin's next_loadavg_dt */
    int uptime_src;              /* -1 undecided, 0 /proc/uptime, 1 CLOCK_BOOTTIME */
    int proc;                    /* collect /proc (off: plugins only) */
    int load_off;                /* /proc/loadavg was malformed: module disabled */
    uint64_t sum_r, sum_t;       /* totals of the device callbacks */
};

/* ---- charts ---------------------------------------------------------------------------------- */

static void define(Collectors *c, Chart *ch, const ChartSpec *sp, const char *id, long prio)
{
    RrdChartDef def = {
        .id = id, .title = sp->title, .units = sp->units, .family = sp->family,
        .context = sp->context, .chart_type = sp->type, .priority = prio,
        .update_every = c->ue < sp->min_every ? sp->min_every : c->ue, .options = sp->options,
        .plugin = "proc.plugin", .module = sp->module,
    };
    const char *why = NULL;
    ch->c = rrd_chart_upsert(c->h, &def, &why);
    for (size_t i = 0; ch->c && i < sp->nd; i++) {
        RrdDimDef dd = {sp->d[i].id, sp->d[i].name, sp->d[i].alg, sp->d[i].mul, sp->d[i].div,
                        sp->d[i].opts};
        if (!(ch->d[i] = rrd_dim_upsert(c->h, ch->c, &dd, &why))) {
            ch->c = NULL;
        }
    }
    if (ch->c) {     /* rrdset_update_permanent_labels(), source RRDLABEL_SRC_AUTO */
        rrd_labels_set(&ch->c->labels, "_collect_plugin", "proc.plugin", 1);
        rrd_labels_set(&ch->c->labels, "_collect_module", sp->module, 1);
    } else {
        log_line(LOG_ERR, "PROC: cannot define chart '%s': %s", id, why ? why : "unknown");
        ch->broken = 1;
    }
}

/* One collection of chart CH (V: one raw value per dimension of SP). */
static void update(Collectors *c, Chart *ch, const ChartSpec *sp, const char *id, long prio,
                   const int64_t *v)
{
    pthread_mutex_lock(&c->h->lock);
    if (!ch->c && !ch->broken) {
        define(c, ch, sp, id, prio);
    }
    if (ch->c) {
        uint64_t now = rrd_now_ut();
        rrd_chart_begin(ch->c, ch->last_ut && now > ch->last_ut ? now - ch->last_ut : 0);
        for (size_t i = 0; i < sp->nd; i++) {
            rrd_dim_set(ch->d[i], v[i]);
        }
        rrd_chart_end(c->h, ch->c, now);
        ch->last_ut = now;
    }
    pthread_mutex_unlock(&c->h->lock);
}

static void update_row(Collectors *c, int k, const int64_t *v)
{
    update(c, &c->ch[k], &specs[k], specs[k].id, specs[k].priority, v);
}

/* ---- reading --------------------------------------------------------------------------------- */

/* The whole file PATH in c->buf (at most MAX_FILE bytes); NULL when it cannot be opened. */
static const char *slurp(Collectors *c, const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    if (fd < 0) {
        return NULL;
    }
    for (;;) {
        if (len == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 65536;
            char *b = cap <= MAX_FILE ? realloc(c->buf, cap) : NULL;
            if (!b) {
                break;
            }
            c->buf = b;
            c->cap = cap;
        }
        ssize_t r = read(fd, c->buf + len, c->cap - len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    *n = len;
    return c->buf ? c->buf : "";
}

/* Remembered answer for KEY, else PHYSICAL (computed by the caller) remembered while room. */
static int dev_cached(Collectors *c, const char *key, int *physical)
{
    for (size_t i = 0; i < c->ndevs; i++) {
        if (strcmp(c->devs[i].key, key) == 0) {
            *physical = c->devs[i].physical;
            return 1;
        }
    }
    return 0;
}

static void dev_remember(Collectors *c, const char *key, int physical)
{
    if (c->ndevs < DEV_CACHE && strlen(key) < sizeof c->devs[0].key) {
        snprintf(c->devs[c->ndevs].key, sizeof c->devs[0].key, "%s", key);
        c->devs[c->ndevs++].physical = physical;
    }
}

/* DIR/NAME, or /sys/dev/block/MAJOR:MINOR/LEAF when DIR is NULL, is readable. */
static int readable(const char *dir, const char *name, unsigned long major, unsigned long minor)
{
    char path[512];
    if (dir) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
    } else {
        snprintf(path, sizeof path, "/sys/dev/block/%lu:%lu/%s", major, minor, name);
    }
    return access(path, R_OK) == 0;
}

static void on_net(void *ctx, const char *name, uint64_t rbytes, uint64_t tbytes)
{
    Collectors *c = ctx;
    char key[COLLECT_MAX_NAME + 48];
    int phys;
    snprintf(key, sizeof key, "n %s", name);
    if (!dev_cached(c, key, &phys)) {
        phys = !readable("/sys/devices/virtual/net", name, 0, 0);
        dev_remember(c, key, phys);
    }
    if (phys && !collect_netdev_disabled(name)) {
        c->sum_r += rbytes;
        c->sum_t += tbytes;
    }
}

static int disk_physical(unsigned long major, unsigned long minor, const char *name)
{
    if (!readable("/sys/block", name, 0, 0) || readable(NULL, "partition", major, minor) ||
        readable("/sys/devices/virtual/block", name, 0, 0)) {
        return 0;
    }
    char path[128];
    snprintf(path, sizeof path, "/sys/dev/block/%lu:%lu/slaves/", major, minor);
    DIR *d = opendir(path);
    struct dirent *e;
    int slaves = 0;
    while (d && !slaves && (e = readdir(d))) {
        slaves = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    if (d) {
        closedir(d);
    }
    return !slaves;
}

static void on_disk(void *ctx, unsigned long major, unsigned long minor, const char *name,
                    uint64_t rsectors, uint64_t wsectors)
{
    Collectors *c = ctx;
    char key[COLLECT_MAX_NAME + 48];
    int phys;
    snprintf(key, sizeof key, "d %lu:%lu %s", major, minor, name);
    if (!dev_cached(c, key, &phys)) {
        phys = disk_physical(major, minor, name);
        dev_remember(c, key, phys);
    }
    if (phys) {
        c->sum_r += rsectors * 512 / 1024;     /* proc.plugin: sector_size is always 512 */
        c->sum_t += wsectors * 512 / 1024;
    }
}

static void on_cpu(void *ctx, unsigned long core, const char *id, const uint64_t v[])
{
    Collectors *c = ctx;
    int64_t raw[COLLECT_CPU_N];
    for (size_t i = 0; i < COLLECT_CPU_N; i++) {
        raw[i] = (int64_t)v[i];
    }
    if (core == 0) {
        update_row(c, CH_CPU, raw);
        return;
    }
    if (core > MAX_CORES) {
        return;
    }
    if (core >= c->ncores) {
        Chart *n = realloc(c->cores, (core + 1) * sizeof *n);
        if (!n) {
            return;
        }
        memset(n + c->ncores, 0, (core + 1 - c->ncores) * sizeof *n);
        c->cores = n;
        c->ncores = core + 1;
    }
    char cid[COLLECT_MAX_NAME + 8];
    snprintf(cid, sizeof cid, "cpu.%s", id);
    update(c, &c->cores[core], &specs[CH_CORE], cid, specs[CH_CORE].priority + (long)core, raw);
}

/* ---- one tick -------------------------------------------------------------------------------- */

static int64_t boottime_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void collect_uptime(Collectors *c)
{
    size_t n = 0;
    const char *b = slurp(c, "/proc/uptime", &n);
    int64_t proc_ms = 0, boot = boottime_ms();
    if (!b || collect_parse_uptime(b, n, &proc_ms) != 0) {
        proc_ms = 0;
    }
    if (c->uptime_src < 0) {
        int64_t delta = boot - proc_ms;
        c->uptime_src = boot && (delta < 0 ? -delta : delta) <= 1000 ? 1 : proc_ms ? 0 : -1;
    }
    if (c->uptime_src >= 0) {
        int64_t v = c->uptime_src ? boot : proc_ms;
        update_row(c, CH_UPTIME, &v);
    }
}

static void collect_load(Collectors *c, uint64_t dt)
{
    size_t n = 0;
    CollectLoad l;
    const char *b = slurp(c, "/proc/loadavg", &n);
    if (!b || c->load_off) {
        return;
    }
    if (collect_parse_loadavg(b, n, &l) != 0) {
        log_line(LOG_ERR, "PROC: /proc/loadavg has less than 6 words in it; not collected");
        c->load_off = 1;
        return;
    }
    if (c->load_next_dt <= dt) {
        int64_t v[3] = {l.load1, l.load5, l.load15};
        update_row(c, CH_LOAD, v);
        int every = c->ch[CH_LOAD].c ? c->ch[CH_LOAD].c->update_every : LOAD_MIN_EVERY;
        c->load_next_dt = (uint64_t)every * 1000000u;
    } else {
        c->load_next_dt -= dt;
    }
    int64_t active = (int64_t)l.active;
    update_row(c, CH_ACTIVE, &active);
}

static void collect_memory(Collectors *c)
{
    size_t n = 0;
    CollectVm vm;
    CollectMem m;
    const char *b = slurp(c, "/proc/vmstat", &n);
    if (b) {
        collect_parse_vmstat(b, n, &vm);
        int64_t v[2] = {(int64_t)vm.pgpgin, (int64_t)vm.pgpgout};
        update_row(c, CH_PGPGIO, v);
    }
    if (!(b = slurp(c, "/proc/meminfo", &n))) {
        return;
    }
    collect_parse_meminfo(b, n, &m);
    int64_t ram[4];
    collect_mem_ram(&m, ram);
    update_row(c, CH_RAM, ram);
    if (m.has_available) {
        int64_t v = (int64_t)m.available;
        update_row(c, CH_AVAIL, &v);
    }
    uint64_t swap_used = m.swap_total - m.swap_free;
    if (c->ch[CH_SWAP].c || m.swap_total || swap_used || m.swap_free) {
        int64_t v[2] = {(int64_t)m.swap_free, (int64_t)swap_used};
        update_row(c, CH_SWAP, v);
    }
}

/* system.io and system.net: a sum over devices, shown once it is not zero. */
static void collect_sum(Collectors *c, int k, const char *path, int net)
{
    size_t n = 0;
    const char *b = slurp(c, path, &n);
    if (!b) {
        return;
    }
    c->sum_r = c->sum_t = 0;
    if (net) {
        collect_parse_net_dev(b, n, on_net, c);
    } else {
        collect_parse_diskstats(b, n, on_disk, c);
    }
    if (c->ch[k].c || c->sum_r || c->sum_t) {
        int64_t v[2] = {(int64_t)c->sum_r, (int64_t)c->sum_t};
        update_row(c, k, v);
    }
}

/* The modules in proc.plugin's order; DT = µs since the previous tick (0 the first time). */
static void collect_tick(Collectors *c, uint64_t dt)
{
    size_t n = 0;
    CollectStat st;
    const char *b = slurp(c, "/proc/stat", &n);
    if (b) {
        collect_parse_stat(b, n, &st, on_cpu, c);
        int64_t intr = (int64_t)st.intr, ctxt = (int64_t)st.ctxt, forks = (int64_t)st.processes;
        int64_t procs[2] = {(int64_t)st.running, (int64_t)st.blocked};
        if (st.has_intr) {
            update_row(c, CH_INTR, &intr);
        }
        if (st.has_ctxt) {
            update_row(c, CH_CTXT, &ctxt);
        }
        update_row(c, CH_FORKS, &forks);
        update_row(c, CH_PROCESSES, procs);
    }
    collect_uptime(c);
    collect_load(c, dt);
    collect_memory(c);
    collect_sum(c, CH_IO, "/proc/diskstats", 0);
    collect_sum(c, CH_NET, "/proc/net/dev", 1);
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void *run(void *arg)
{
    Collectors *c = arg;
    uint64_t step = (uint64_t)c->ue * 1000000u, now = rrd_now_ut();
    uint64_t offset = 250000 + now % 250000;   /* Netdata's heartbeat randomness */
    offset = offset > step / 2 ? now % (step / 2) : offset;
    uint64_t next = now - now % step + step + offset, last = 0;
    struct pollfd fds[1 + PLUGINS_MAX_FDS];
    for (;;) {
        fds[0] = (struct pollfd){.fd = c->wake[0], .events = POLLIN};
        size_t n = c->plugins ? plugins_pollfds(c->plugins, fds + 1, PLUGINS_MAX_FDS) : 0;
        now = rrd_now_ut();
        if (next > now + step + offset) {
            next = now - now % step + step + offset;     /* the clock went back */
        }
        uint64_t wait = next > now ? (next - now + 999) / 1000 : 0;
        if (c->plugins) {
            uint64_t pw = (uint64_t)plugins_timeout_ms(c->plugins);
            wait = pw < wait ? pw : wait;
        }
        int r = poll(fds, n + 1, (int)wait);
        if (r > 0 && fds[0].revents) {
            break;
        }
        if (c->plugins) {
            plugins_run(c->plugins, fds + 1, r > 0 ? n : 0);
        }
        now = rrd_now_ut();
        if (now >= next) {
            if (c->proc) {
                collect_tick(c, last && now > last ? now - last : 0);
            }
            last = now;
            next = now - now % step + step + offset;
        }
    }
    return NULL;
}

Collectors *collectors_start(RrdDb *db, const char *plugins_dir, int update_every, int proc)
{
    Collectors *c = calloc(1, sizeof *c);
    if (!c) {
        log_line(LOG_ERR, "COLLECTORS: out of memory; not collecting");
        return NULL;
    }
    c->h = db->localhost;
    c->ue = update_every > 0 ? update_every : 1;
    c->uptime_src = -1;
    c->proc = proc;
    if (pipe2(c->wake, O_CLOEXEC) != 0) {
        log_line(LOG_ERR, "COLLECTORS: pipe: %s; not collecting", strerror(errno));
        free(c);
        return NULL;
    }
    if (plugins_dir && !(c->plugins = plugins_new(c->h, plugins_dir, c->ue))) {
        log_line(LOG_ERR, "COLLECTORS: out of memory; plugins of '%s' not run", plugins_dir);
    }
    int e = pthread_create(&c->thread, NULL, run, c);
    if (e != 0) {
        log_line(LOG_ERR, "COLLECTORS: cannot start the thread: %s", strerror(e));
        plugins_free(c->plugins);
        close(c->wake[0]);
        close(c->wake[1]);
        free(c);
        return NULL;
    }
    log_line(LOG_INFO, "COLLECTORS: /proc %s every %d s into '%s'; plugins: %s",
             proc ? "on" : "off", c->ue, c->h->hostname ? c->h->hostname : "",
             plugins_dir ? plugins_dir : "none");
    return c;
}

void collectors_stop(Collectors *c)
{
    if (!c) {
        return;
    }
    ssize_t w;
    do {
        w = write(c->wake[1], "x", 1);
    } while (w < 0 && errno == EINTR);
    pthread_join(c->thread, NULL);
    plugins_free(c->plugins);
    close(c->wake[0]);
    close(c->wake[1]);
    free(c->cores);
    free(c->buf);
    free(c);
}
