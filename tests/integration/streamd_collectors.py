#!/usr/bin/env python3
"""streamd's built-in collectors and plugins.d runner end to end (loopback only).

streamd starts with its /proc collectors on and --plugins-dir holding:
  * streamc_test.plugin (tests/integration/plugins/): one chart, CHART/DIMENSION/BEGIN/SET/END
    every second;
  * apps.plugin from Debian's netdata package, when this user may run it (it only reads /proc
    and writes its charts to stdout: no network at all); otherwise the test says so and goes on;
  * small behaviour plugins written here: once.plugin (one collection, exit 0: restarted after
    update_every), disable.plugin (DISABLE: never restarted), bad.plugin (BEGIN of an unknown
    chart: disabled, as 1.37.1), notexec.plugin (not executable: not run), other.sh (no .plugin
    suffix: never run).
Checks through streamd's own HTTP API (the node's host, /api/v1/...):
  * system.cpu, system.load, system.ram, system.net (if this machine has a physical interface
    with traffic), system.io (if it has a physical disk with I/O), system.processes and the
    plugins' charts have data; the chart definitions are proc.plugin's;
  * every system.cpu row (all dimensions, idle included) sums to 100 within printing error;
  * every system.load row equals a /proc/loadavg reading taken during the test (sampled every
    0.2 s from before streamd started; the kernel changes it every 5 s) within 0.0015
    (proc.plugin truncates load x 1000, the API prints 7 digits), or lies between two successive
    readings at the same fraction for load1/5/15: a collection interval that crosses two 5 s
    slots (proc.plugin's loadavg cadence makes some intervals 6 s) interpolates the first one;
  * system.ram sums to MemTotal (MiB) within 1 MiB; system.processes running >= 1 (the reader
    itself runs);
  * the restart/disable behaviour in streamd's log; no plugin process is left after streamd
    exits.
With the real Netdata 1.37.1 (tests/interop/netdata.sh) present, a Netdata child collecting /proc
runs at the same time (streaming into this streamd, its own API on another port), and:
  * /api/v1/chart of every chart streamd collects is identical on both (but the time range);
  * the mean of each system.cpu dimension over the same seconds agrees within 200/N + 2
    percentage points (N = rows compared). Why: both read the same jiffy counters once a second,
    each at its own sub-second offset, so over N one-second rows the two sums cover windows
    shifted by less than 1 s: they differ at most by the activity in two edge fragments of
    < 1 s each (<= 2 x 100 points / N), plus interpolation and printing (2 points).
Every wait is bounded; the whole test takes ~15 s.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import ROOT, Checks, Streamd, compile_policy, free_port, need_binaries  # noqa

NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
APPS = "/usr/lib/netdata/plugins.d/apps.plugin"
KEY = "c011ec70-0000-4000-8000-000000000001"
ND_GUID = "c011ec70-0000-4000-8000-0000000c0001"
check = Checks()

BEHAVIOUR = {
    "once.plugin": "echo \"CHART once.c '' 'once' 'x' once once.c line 1 1\"\n"
                   "echo \"DIMENSION d '' absolute 1 1\"\n"
                   "printf 'BEGIN once.c\\nSET d = 1\\nEND\\n'\nexit 0\n",
    "disable.plugin": "echo DISABLE\nsleep 30\n",
    "bad.plugin": "echo 'BEGIN nosuch.chart'\nsleep 30\n",
}
PROC_CHARTS = ["system.cpu", "system.load", "system.ram", "system.processes", "system.uptime",
               "system.ctxt", "system.intr", "system.forks", "system.active_processes",
               "system.pgpgio", "mem.available", "cpu.cpu0"]


def rows(sd, chart, after=-30, before=0, dims=None):
    """Non-empty rows [t, v...] of CHART, oldest first, and the labels (None when no chart)."""
    q = f"/api/v1/data?chart={chart}&after={after}&before={before}&format=json"
    if dims:
        q += f"&dimensions={dims}"
    st, body = sd.get(q)
    if st != 200:
        return None, []
    d = json.loads(body)
    return d["labels"], sorted(r for r in d["data"] if any(v is not None for v in r[1:]))


def wait_rows(sd, chart, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        labels, data = rows(sd, chart)
        if len(data) >= n:
            return labels, data
        time.sleep(0.25)
    return rows(sd, chart)


def physical_net_traffic():
    """proc.plugin's system.net input: enabled, non-virtual interfaces with any byte counted."""
    total = 0
    for line in open("/proc/net/dev").read().splitlines()[2:]:
        w = line.replace(":", " : ", 1).split()
        if len(w) < 18:
            continue
        name = w[0]
        off = name == "lo" or name.endswith("-ifb") or name.startswith(
            ("fireqos", "fwpr", "fwbr", "fwln"))
        if not off and not os.path.exists(f"/sys/devices/virtual/net/{name}"):
            total += int(w[2]) + int(w[10])
    return total > 0


def physical_disk_io():
    total = 0
    for line in open("/proc/diskstats"):
        w = line.split()
        if len(w) < 14:
            continue
        name, dev = w[2], f"{w[0]}:{w[1]}"
        if not os.path.exists(f"/sys/block/{name}") or \
                os.path.exists(f"/sys/dev/block/{dev}/partition") or \
                os.path.exists(f"/sys/devices/virtual/block/{name}"):
            continue
        slaves = f"/sys/dev/block/{dev}/slaves"
        if os.path.isdir(slaves) and os.listdir(slaves):
            continue
        total += int(w[5]) + int(w[9])
    return total > 0


class LoadSampler(threading.Thread):
    """The successive distinct /proc/loadavg triples, read every 0.2 s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen, self.stop = [], False

    def run(self):
        while not self.stop:
            w = tuple(float(x) for x in open("/proc/loadavg").read().split()[:3])
            if not self.seen or self.seen[-1] != w:
                self.seen.append(w)
            time.sleep(0.2)


def load_explained(row, seen, eps=0.0015):
    """ROW is a reading, or on the line between two successive readings at one fraction for
    all three values (what interpolating one collection interval onto two slots gives)."""
    for a, b in zip(seen, seen[1:] + seen[-1:]):
        fracs, ok = [], True
        for v, x, y in zip(row, a, b):
            if abs(y - x) < 1e-9:
                ok = ok and abs(v - x) < eps
            else:
                fracs.append((v - x) / (y - x))
        if ok and all(-0.01 <= f <= 1.01 for f in fracs) and \
                (not fracs or max(fracs) - min(fracs) < 0.01 + eps / min(
                    abs(y - x) for x, y in zip(a, b) if abs(y - x) >= 1e-9)):
            return True
    return False


def write_plugins(pdir):
    os.mkdir(pdir)
    shutil.copy(os.path.join(ROOT, "tests", "integration", "plugins", "streamc_test.plugin"), pdir)
    for name, body in BEHAVIOUR.items():
        with open(os.path.join(pdir, name), "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(os.path.join(pdir, name), 0o755)
    with open(os.path.join(pdir, "notexec.plugin"), "w") as f:
        f.write("#!/bin/sh\necho BEGIN\n")
    marker = os.path.join(os.path.dirname(pdir), "other-ran")
    with open(os.path.join(pdir, "other.sh"), "w") as f:
        f.write(f"#!/bin/sh\ntouch {marker}\n")
    os.chmod(os.path.join(pdir, "other.sh"), 0o755)
    apps = os.access(APPS, os.X_OK)
    if apps:
        os.symlink(APPS, os.path.join(pdir, "apps.plugin"))
    else:
        print(f"note: {APPS} cannot be run by uid {os.getuid()}: Debian plugin part not checked")
    return apps, marker


def start_netdata(tmp, port):
    """A real 1.37.1 child streaming to streamd, its API on a free port; (dir, port) or None."""
    if not (os.access("/usr/sbin/netdata", os.X_OK) and os.path.exists(NETDATA_SH)):
        print("note: the real Netdata 1.37.1 is not installed: no comparison with its proc.plugin")
        return None
    ndir, wport = os.path.join(tmp, "nd"), free_port()
    r = subprocess.run(["bash", NETDATA_SH, "start-child", ndir, f"127.0.0.1:{port}", KEY,
                        "colchild", ND_GUID, str(wport)], capture_output=True, text=True,
                       env=dict(os.environ, ND_TIMEOUT="20"), timeout=40)
    if not check(r.returncode == 0, "the real Netdata child starts", r.stderr[-2000:]):
        return None
    return ndir, wport


def compare_netdata(sd, nd_port, proc_charts):
    nd = Streamd.__new__(Streamd)
    nd.port = nd_port
    for c in proc_charts:
        a, b = nd.json(f"/api/v1/chart?chart={c}"), sd.json(f"/api/v1/chart?chart={c}")
        for d in (a, b):
            for k in ("duration", "first_entry", "last_entry"):
                (d or {}).pop(k, None)
        diff = {k: (a.get(k), b.get(k)) for k in set(a or {}) | set(b or {})
                if (a or {}).get(k) != (b or {}).get(k)} if a and b else "missing"
        check(a is not None and b is not None and not diff,
              f"{c}: /api/v1/chart as the real Netdata's", diff)
    wait_rows(nd, "system.cpu", 8, 10)
    now = int(time.time())
    q = f"after={now - 15}&before={now - 1}&dims=*"
    la, ra = rows(nd, "system.cpu", now - 15, now - 1, "*")
    lb, rb = rows(sd, "system.cpu", now - 15, now - 1, "*")
    check(la == lb, "system.cpu: same dimensions as the real Netdata", f"{la} / {lb} ({q})")
    ta, tb = {r[0]: r for r in ra}, {r[0]: r for r in rb}
    common = sorted(set(ta) & set(tb))
    n = len(common)
    if not check(n >= 5, "system.cpu: >= 5 common seconds with the real Netdata", f"{n}"):
        return
    tol = 200.0 / n + 2
    worst = []
    for i, name in enumerate(la[1:], 1):
        ma = sum(ta[t][i] for t in common) / n
        mb = sum(tb[t][i] for t in common) / n
        worst.append((abs(ma - mb), name, ma, mb))
    worst.sort(reverse=True)
    check(worst[0][0] <= tol, f"system.cpu: mean of every dimension over {n} s within "
          f"{tol:.1f} points of the real Netdata's (worst {worst[0][1]}: {worst[0][2]:.3f} vs "
          f"{worst[0][3]:.3f})", str(worst[:3]))


def main():
    why = need_binaries()
    if why:
        print("FAIL: " + why)
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-col-")
    sd, nd, sampler = None, None, LoadSampler()
    try:
        port = free_port()
        pol, c = compile_policy(
            tmp, "conf", f"[db]\n    mode = ram\n    update every = 1\n[web]\n"
                         f"    bind to = 127.0.0.1:{port}\n",
            f"[stream]\n    enabled = no\n[{KEY}]\n    enabled = yes\n"
            f"    default memory mode = ram\n    health enabled by default = no\n")
        if not check(c.returncode == 0, "policy compiles", c.stdout + c.stderr):
            return check.done("streamd_collectors")
        pdir = os.path.join(tmp, "plugins")
        apps, marker = write_plugins(pdir)
        sampler.start()
        time.sleep(0.3)
        sd = Streamd(pol, port, os.path.join(tmp, "streamd.log"), extra=["--plugins-dir", pdir])
        if not check(sd.start(), "streamd starts with collectors and plugins", sd.logtext()):
            return check.done("streamd_collectors")
        nd = start_netdata(tmp, port)
        t0 = time.time()

        labels, data = wait_rows(sd, "system.cpu", 3, 8)
        check(len(data) >= 3, "system.cpu has rows after ~3 s", f"{labels} {data}")
        labels, data = rows(sd, "system.cpu", dims="*")
        sums = [sum(r[1:]) for r in data]
        check(labels and len(labels) == 11 and labels[-1] == "idle" and data and
              all(abs(s - 100) < 0.01 for s in sums), "system.cpu rows (idle included) sum to 100",
              f"{labels} {sums}")
        for chart in ("system.ram", "system.processes", "streamc_test.ticks"):
            _, d = wait_rows(sd, chart, 2, 5)
            check(len(d) >= 2, f"{chart} has data", d)
        expect = [("system.net", physical_net_traffic()), ("system.io", physical_disk_io())]
        for chart, present in expect:
            _, d = rows(sd, chart)
            if present:
                check(len(d) >= 2, f"{chart} has data", d)
            else:
                print(f"note: no physical device with traffic here: {chart} not expected")
        _, ram = rows(sd, "system.ram")
        total = int(open("/proc/meminfo").read().split()[1]) / 1024
        check(ram and abs(sum(ram[-1][1:]) - total) < 1.0, "system.ram sums to MemTotal",
              f"{ram[-1:]} vs {total}")
        _, procs = rows(sd, "system.processes")
        check(procs and all(r[1] >= 1 and r[2] <= 0 for r in procs),
              "system.processes: running >= 1, blocked <= 0", procs)
        _, ticks = rows(sd, "streamc_test.ticks")
        rate = [r[1] for r in ticks[1:]]
        check(rate and 3 <= sum(rate) / len(rate) <= 6, "streamc_test.ticks counter ~5/s", ticks)
        meta = sd.json("/api/v1/chart?chart=streamc_test.ticks") or {}
        check(meta.get("plugin") == "streamc_test.plugin" and meta.get("chart_labels") ==
              {"_collect_plugin": "streamc_test.plugin", "_collect_module": "test"},
              "the test plugin's chart: plugin name and _collect_* labels", meta)
        if apps:
            for chart in ("apps.cpu", "users.cpu", "netdata.apps_cpu"):
                _, d = wait_rows(sd, chart, 2, 5)
                check(len(d) >= 2, f"apps.plugin: {chart} has data", d)

        labels, load = wait_rows(sd, "system.load", 1, max(1.0, t0 + 13 - time.time()))
        time.sleep(0.5)          # the sampler reads every 0.2 s: let it see what streamd read
        seen = list(sampler.seen)
        bad = [r for r in load if not load_explained(r[1:], seen)]
        check(load and not bad, "system.load rows are /proc/loadavg readings (or Netdata's "
              "interpolation between two successive ones)", f"{load} vs {seen}")
        meta = sd.json("/api/v1/chart?chart=system.load") or {}
        check(meta.get("update_every") == 5 and meta.get("units") == "load",
              "system.load: update_every 5 (proc.plugin's minimum), units load", meta)

        if nd:
            compare_netdata(sd, nd[1], PROC_CHARTS + [c for c, p in expect if p])

        log = sd.logtext()
        check(log.count("connected to '" + os.path.join(pdir, "once.plugin")) >= 2,
              "once.plugin (exit 0 after collecting) is started again", log[-3000:])
        check("PLUGINSD[disable.plugin]: PLUGINSD: plugin called DISABLE. Disabling it." in log
              and log.count(os.path.join(pdir, "disable.plugin") + "' running") == 1,
              "disable.plugin: DISABLE logged, never started again", log[-3000:])
        check("got a BEGIN but chart does not exist" in log and
              log.count(os.path.join(pdir, "bad.plugin") + "' running") == 1,
              "bad.plugin: grammar error logged, disabled", log[-3000:])
        check("PLUGINSD[notexec.plugin]: not an executable file" in log,
              "notexec.plugin is not run", log[-3000:])
        check(not os.path.exists(marker), "other.sh (no .plugin suffix) is not run")
    finally:
        sampler.stop = True
        pids = []
        if sd and sd.proc:
            import re
            pids = [int(p) for p in re.findall(r"running on pid (\d+)", sd.logtext())]
            check(sd.stop() == 0, "streamd stops cleanly")
            log = sd.logtext()
            check("streamd: stopped" in log, "streamd logged its stop", log[-2000:])
        if nd:
            subprocess.run(["bash", NETDATA_SH, "stop", nd[0]], capture_output=True, timeout=60)
        left = []
        for pid in pids:
            try:
                st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                if st[0] != "Z":
                    left.append(pid)
            except (OSError, IndexError, ValueError):
                pass
        check(pids and not left, "no plugin process is left after streamd exits", left)
        if sd:
            sd.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.done("streamd_collectors")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main())
