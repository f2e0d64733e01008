/*
** collect_proc.h - parsers of the /proc text that streamd's built-in collectors read, each
** taking a buffer (so tests feed canned or hostile text) and returning the raw integers Netdata
** 1.37.1's proc.plugin would hand to rrddim_set for the same text. Words are split with the
** separators proc.plugin gives procfile_open() for that file, runs of separators make one, and
** numbers are read as its str2ull/strtod read them (leading digits only, wrapping). Pure code: no
** I/O, no allocation; any bytes are safe (NUL is a separator, lines may be cut anywhere).
**
** What the collectors do with the numbers (charts, sysfs checks, timing) is collectors.c.
*/
#ifndef STREAMC_COLLECT_PROC_H
#define STREAMC_COLLECT_PROC_H

#include <stddef.h>
#include <stdint.h>

/* The columns of a /proc/stat cpu line, in the order of system.cpu's dimensions. */
enum {
    COLLECT_CPU_GUEST_NICE, COLLECT_CPU_GUEST, COLLECT_CPU_STEAL, COLLECT_CPU_SOFTIRQ,
    COLLECT_CPU_IRQ, COLLECT_CPU_USER, COLLECT_CPU_SYSTEM, COLLECT_CPU_NICE, COLLECT_CPU_IOWAIT,
    COLLECT_CPU_IDLE, COLLECT_CPU_N
};

#define COLLECT_MAX_NAME 64      /* cpu row keys, interface and disk names kept (longer: skipped) */

/* /proc/stat besides the cpu lines. A has_ flag says the row was present. */
typedef struct CollectStat {
    int has_intr, has_ctxt;
    uint64_t intr, ctxt;         /* first number of "intr", "ctxt" */
    uint64_t processes, running, blocked;   /* forks, procs_running, procs_blocked (0: absent) */
} CollectStat;

/* One cpu line: CORE is 0 for "cpu", N+1 for "cpuN" (proc.plugin's index); ID the row key;
   V the jiffies with guest taken out of user and guest_nice out of nice (as proc.plugin does,
   wrapping if the kernel ever reported more guest than user). */
typedef void (*CollectCpuFn)(void *ctx, unsigned long core, const char *id,
                             const uint64_t v[COLLECT_CPU_N]);
/* Fill ST and call FN (may be NULL) for every cpu line with at least 9 words. Returns the
   number of cpu lines reported. */
size_t collect_parse_stat(const char *buf, size_t n, CollectStat *st, CollectCpuFn fn,
                          void *ctx);

typedef struct CollectLoad {
    int64_t load1, load5, load15;    /* (collected_number)(strtod(word) * 1000), as proc.plugin */
    uint64_t active;                 /* word 4: the total in "running/total" */
} CollectLoad;
/* Line 1 of /proc/loadavg (separators " \t,:|/"). 0, or -1 when it has fewer than 6 words (the
   text proc.plugin rejects by disabling the module). */
int collect_parse_loadavg(const char *buf, size_t n, CollectLoad *out);

typedef struct CollectMem {   /* kB, as /proc/meminfo says */
    uint64_t total, free, available, buffers, cached, sreclaimable, shmem, swap_total, swap_free;
    int has_available;
} CollectMem;
/* Every "Key: value" line sets the field of its key (later lines win); unknown keys skipped. */
void collect_parse_meminfo(const char *buf, size_t n, CollectMem *out);
/* system.ram's free, used, cached, buffers (kB) as proc.plugin derives them: cached = Cached +
   SReclaimable - Shmem, used = MemTotal - MemFree - cached - Buffers (unsigned, wrapping). */
void collect_mem_ram(const CollectMem *m, int64_t ram[4]);

typedef struct CollectVm {
    uint64_t pgpgin, pgpgout, pswpin, pswpout;
} CollectVm;
void collect_parse_vmstat(const char *buf, size_t n, CollectVm *out);

/* One interface line of /proc/net/dev (lines 3.. with at least 17 words; the name loses one
   trailing ':'): received and transmitted bytes. */
typedef void (*CollectNetFn)(void *ctx, const char *name, uint64_t rbytes, uint64_t tbytes);
size_t collect_parse_net_dev(const char *buf, size_t n, CollectNetFn fn, void *ctx);

/* One line of /proc/diskstats with at least 14 words: device numbers, name, sectors read and
   written. */
typedef void (*CollectDiskFn)(void *ctx, unsigned long major, unsigned long minor,
                              const char *name, uint64_t rsectors, uint64_t wsectors);
size_t collect_parse_diskstats(const char *buf, size_t n, CollectDiskFn fn, void *ctx);

/* /proc/uptime's first word in ms ((collected_number)(seconds * 1000.0)); -1 when absent. */
int collect_parse_uptime(const char *buf, size_t n, int64_t *ms);

/* Netdata's default "disable by default interfaces matching" of /proc/net/dev:
   "lo fireqos* *-ifb fwpr* fwbr* fwln*". 1 when NAME matches (not counted in system.net). */
int collect_netdev_disabled(const char *name);

#endif
