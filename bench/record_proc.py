#!/usr/bin/env python3
"""Record this machine's system metrics from /proc into bench/data/proc_metrics.bin, for
bench/bench_storage.c (dataset "a", real system metrics). Standard library only.

Usage: bench/record_proc.py [OUT] [SECONDS] [INTERVAL]   (defaults: bench/data/proc_metrics.bin,
       60, 0.1)

Every INTERVAL seconds it reads the files Netdata's proc.plugin reads and turns them into the
values Netdata's charts store, one series per dimension:
  /proc/stat        per-CPU and total cpu % per state (100 * delta / delta of all states),
                    interrupts, context switches, forks (rates), processes running/blocked
  /proc/meminfo     every field in MiB (kB / 1024)
  /proc/vmstat      the page-in/out, swap, fault, OOM and NUMA counters Netdata charts (rates)
  /proc/net/dev     per interface: bytes as kilobits/s, packets, errors, drops... (rates)
  /proc/net/snmp    Ip, Icmp, Tcp, Udp counters (rates; Tcp CurrEstab absolute)
  /proc/diskstats   per disk: operations, KiB (sectors / 2), merged, busy ms (rates), in flight
  /proc/softirqs    per softirq per CPU (rates);  /proc/interrupts: per IRQ per CPU (rates)
  /proc/loadavg     load1/5/15, running and total processes;  /proc/sys/fs/file-nr: open files
Rates are per second over the measured interval, so jitter shows as in Netdata's interpolated
values. The slots are then stored one per update_every=1 second: the recording is a time-lapse
(INTERVAL of real time per slot) of real per-second metrics. The file:
  "SCBENCH1" | u32 series | u32 samples | u32 update_every (1) | u32 0
  | series names, each NUL-terminated | series-major float32 little-endian values
"""
import os
import struct
import sys
import time

VMSTAT = ("pgpgin", "pgpgout", "pswpin", "pswpout", "pgfault", "pgmajfault", "oom_kill",
          "numa_hit", "numa_miss", "numa_local", "numa_foreign", "numa_interleave",
          "numa_other", "pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct",
          "thp_fault_alloc", "thp_collapse_alloc", "thp_split_page", "nr_dirty",
          "nr_writeback", "nr_free_pages", "nr_mapped", "nr_shmem")
NET_FIELDS = ("rx_kbits", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame",
              "rx_compressed", "rx_multicast", "tx_kbits", "tx_packets", "tx_errs", "tx_drop",
              "tx_fifo", "tx_colls", "tx_carrier", "tx_compressed")
DISK_FIELDS = ("reads", "reads_merged", "read_kib", "read_ms", "writes", "writes_merged",
               "write_kib", "write_ms", "in_flight", "busy_ms", "backlog_ms")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def snapshot():
    """Raw counters: {name: (value, kind)} with kind 'rate', 'abs' or ('pct', group)."""
    s = {}
    for line in read("/proc/stat").splitlines():
        w = line.split()
        if not w:
            continue
        if w[0].startswith("cpu"):
            names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
                     "guest", "guest_nice")
            for n, v in zip(names, w[1:]):
                s[f"cpu.{w[0]}.{n}"] = (int(v), ("pct", w[0]))
        elif w[0] in ("intr", "ctxt", "processes"):
            s[f"system.{w[0]}"] = (int(w[1]), "rate")
        elif w[0] in ("procs_running", "procs_blocked"):
            s[f"system.{w[0]}"] = (int(w[1]), "abs")
    for line in read("/proc/meminfo").splitlines():
        k, _, v = line.partition(":")
        v = v.split()
        if v:
            s[f"mem.{k}"] = (int(v[0]) / 1024.0 if len(v) > 1 else int(v[0]), "abs")
    for line in read("/proc/vmstat").splitlines():
        k, v = line.split()
        if k in VMSTAT:
            s[f"vmstat.{k}"] = (int(v), "abs" if k.startswith("nr_") else "rate")
    for line in read("/proc/net/dev").splitlines()[2:]:
        iface, _, rest = line.partition(":")
        vals = [int(x) for x in rest.split()]
        for n, v in zip(NET_FIELDS, vals):
            s[f"net.{iface.strip()}.{n}"] = (v * 8 / 1000 if n.endswith("kbits") else v, "rate")
    snmp = read("/proc/net/snmp").splitlines()
    for head, vals in zip(snmp[0::2], snmp[1::2]):
        proto = head.split(":")[0]
        for k, v in zip(head.split()[1:], vals.split()[1:]):
            if proto in ("Ip", "Icmp", "Tcp", "Udp") and k not in ("Forwarding", "DefaultTTL",
                                                                   "RtoAlgorithm", "RtoMin",
                                                                   "RtoMax", "MaxConn"):
                s[f"snmp.{proto}.{k}"] = (int(v), "abs" if k == "CurrEstab" else "rate")
    for line in read("/proc/diskstats").splitlines():
        w = line.split()
        if len(w) < 14 or w[2].startswith(("loop", "ram")):
            continue
        vals = [int(x) for x in w[3:14]]
        for n, v in zip(DISK_FIELDS, vals):
            if n.endswith("kib"):
                v = v / 2
            s[f"disk.{w[2]}.{n}"] = (v, "abs" if n == "in_flight" else "rate")
    for line in read("/proc/softirqs").splitlines()[1:]:
        k, _, rest = line.partition(":")
        for cpu, v in enumerate(rest.split()):
            s[f"softirq.{k.strip()}.cpu{cpu}"] = (int(v), "rate")
    lines = read("/proc/interrupts").splitlines()
    ncpu = len(lines[0].split()) if lines else 0
    for line in lines[1:]:
        k, _, rest = line.partition(":")
        w = rest.split()
        for cpu in range(min(ncpu, len(w))):
            if w[cpu].isdigit():
                s[f"irq.{k.strip()}.cpu{cpu}"] = (int(w[cpu]), "rate")
    la = read("/proc/loadavg").split()
    if len(la) >= 4:
        for n, v in zip(("load1", "load5", "load15"), la[:3]):
            s[f"load.{n}"] = (float(v), "abs")
        run, total = la[3].split("/")
        s["load.running"] = (int(run), "abs")
        s["load.processes"] = (int(total), "abs")
    fnr = read("/proc/sys/fs/file-nr").split()
    if fnr:
        s["files.open"] = (int(fnr[0]), "abs")
    return s


def values(prev, cur, dt):
    """Stored values of one interval: rates per second, percentages, absolutes."""
    out = {}
    totals = {}
    for name, (v, kind) in cur.items():
        if isinstance(kind, tuple) and name in prev:
            totals[kind[1]] = totals.get(kind[1], 0) + max(v - prev[name][0], 0)
    for name, (v, kind) in cur.items():
        if name not in prev:
            continue
        if kind == "abs":
            out[name] = float(v)
        elif kind == "rate":
            d = v - prev[name][0]
            out[name] = (d if d >= 0 else 0) / dt
        else:
            t = totals.get(kind[1], 0)
            out[name] = 100.0 * max(v - prev[name][0], 0) / t if t else 0.0
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "data", "proc_metrics.bin")
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
    n = int(seconds / interval)
    prev, t_prev = snapshot(), time.monotonic()
    rows = []
    next_at = t_prev + interval
    for _ in range(n):
        time.sleep(max(next_at - time.monotonic(), 0))
        next_at += interval
        cur, t = snapshot(), time.monotonic()
        rows.append(values(prev, cur, t - t_prev))
        prev, t_prev = cur, t
    names = sorted(set().union(*rows)) if rows else []
    with open(out, "wb") as f:
        f.write(b"SCBENCH1" + struct.pack("<4I", len(names), len(rows), 1, 0))
        for name in names:
            f.write(name.encode() + b"\0")
        for name in names:
            f.write(struct.pack(f"<{len(rows)}f",
                                *(r.get(name, float("nan")) for r in rows)))
    print(f"record_proc: {len(names)} series x {len(rows)} samples -> {out} "
          f"({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
