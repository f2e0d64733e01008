#!/usr/bin/env python3
"""streamd's receiver against the real Netdata 1.37.1 parent, both measured in the same run.

Usage: bench/bench_streamd.py [--only start,ingest,idle] [--runs N] [--start-runs N]
           [--seconds S] [--ingest CxDxK,...] [--idle-children N] [--idle-shapes CxD,...]
           [--threads N] [--streamd PATH] [--keep]

Three benches, every figure with the same figure of Netdata /usr/sbin/netdata and the ratio:

1. start-to-accept: a parent configuration with 100,000 machine-GUID sections and 10,000 API
   keys (bench/gen_policy_fleet.py, plus one key the probe uses) compiled with `streamc
   compile`; the time from posix_spawn of `streamd --policy P --log F` until 127.0.0.1:PORT
   accepts a TCP connection AND answers a STREAM handshake with the prompt (build/bench/loadgen
   startup). Netdata is started on the same stream.conf, isolated (tests/interop/netdata.sh's
   configuration, fresh state each run), and timed the same way. streamd on a one-key policy
   is timed alongside: the fixed part of a start (exec, shared libraries, threads, listener).
   Target: streamd < 10 ms.
2. ingestion: build/bench/loadgen ingest pushes CHARTS x DIMS with K children for S seconds as
   fast as the parent reads, then half-closes and waits until the parent has parsed everything;
   samples/s accepted, the parent's CPU seconds (utime+stime of /proc/PID/stat over the run),
   samples per CPU-second. Memory mode ram, no compression, no replication on both sides.
   Target: streamd >= 4x Netdata in samples per CPU-second.
3. RSS per idle child: N children connect (loadgen idle: handshake, CHARTS x DIMS defined,
   one collection, then silence); (VmRSS after - VmRSS before) / N, each taken once VmRSS has
   settled. The first shape (default 3 charts x 4 dims) is the target's; a second (default
   1 x 1) separates the cost of a connection from the cost of a dimension.
   Target: <= 64 KiB per idle child.

Loopback only, ports picked free, each process stopped in a finally block, every wait bounded.
The machine is small and shared: each figure is the median of several runs, and the two
parents alternate run by run so that both see the same noise. Not a test: exit 1 only when a
bench cannot run (a binary missing, a parent that does not start), never because a figure
misses its target. The work directory (a temporary one under /tmp) is removed unless --keep.
"""
import argparse
import os
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench")
ND_BIN = "/usr/sbin/netdata"
ND_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
POLICY_FLEET = os.path.join(BENCH, "policy_fleet")
CLK_TCK = os.sysconf("SC_CLK_TCK")
KEY = str(uuid.uuid4())             # the API key every synthetic child presents


class BenchError(Exception):
    pass


def say(msg):
    print(msg, flush=True)


# ---- processes, sockets, /proc -----------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_s(pid):
    """utime + stime of every thread of PID, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        tail = f.read().rsplit(")", 1)[1].split()
    return (int(tail[11]) + int(tail[12])) / CLK_TCK


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def settled_rss(pid, limit_s=15.0):
    """VmRSS once it stops moving: 4 samples 0.25 s apart within 0.5 % (or 128 KiB)."""
    samples, end = [], time.monotonic() + limit_s
    while time.monotonic() < end:
        samples.append(proc_rss_kib(pid))
        last = samples[-4:]
        if len(last) == 4 and max(last) - min(last) <= max(128, max(last) * 0.005):
            return last[-1]
        time.sleep(0.25)
    return samples[-1]


def handshake_probe(port, guid, timeout=2.0):
    """One STREAM request as loadgen sends it; returns the reply text ('' when none)."""
    req = (f"STREAM key={KEY}&hostname=probe-{guid[:8]}&registry_hostname=probe-{guid[:8]}"
           f"&machine_guid={guid}&update_every=1&os=linux&timezone=UTC&abbrev_timezone=UTC"
           "&utc_offset=0&hops=1&ml_capable=0&ml_enabled=0&mc_version=0&ver=64"
           "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\nUser-Agent: loadgen/1\r\nAccept: */*\r\n"
           "\r\n")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(req.encode())
            return s.recv(512).decode(errors="replace")
    except OSError:
        return ""


def wait_ready(port, pid, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not alive(pid):
            raise BenchError(f"pid {pid} exited while starting")
        if handshake_probe(port, str(uuid.uuid4())).startswith("Hit me baby"):
            return
        time.sleep(0.02)
    raise BenchError(f"nothing answered a STREAM handshake on 127.0.0.1:{port} in {timeout:.0f} s")


def stop_popen(p, timeout=20.0):
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)


def run_loadgen(argv, timeout, env=None):
    """Run loadgen; return its RESULT fields as a dict. On a timeout loadgen gets TERM first
    (so that in startup mode it stops the server it spawned), then KILL."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException as e:                  # a timeout, or TERM/^C of this script
        p.terminate()
        try:
            out, err = p.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            raise BenchError(f"loadgen {argv[1]} did not finish in {timeout:.0f} s: "
                             f"{err.strip()}")
        raise
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        raise BenchError(f"loadgen {argv[1]} exited {p.returncode}: {err.strip()[-600:]}")
    res = dict(kv.split("=", 1) for kv in m.group(1).split())
    res["rc"] = p.returncode
    res["stderr"] = err
    return res


# ---- the two parents -----------------------------------------------------------------------

PROBE_SECTION = f"""
# the API key of the benchmark's synthetic children (bench/bench_streamd.py)
[{KEY}]
    type = api
    enabled = yes
    allow from = *
    default memory mode = ram
    health enabled by default = no
    default proxy enabled = no
    enable compression = no
    enable replication = no
"""

SMALL_STREAM_CONF = "[stream]\n    enabled = no\n" + PROBE_SECTION


class Streamd:
    """streamd on a policy compiled from STREAM_CONF plus a netdata.conf naming the port."""

    def __init__(self, exe, streamc, work, name, stream_conf, port, threads=None):
        self.exe, self.streamc, self.port, self.threads = exe, streamc, port, threads
        self.dir = os.path.join(work, name)
        self.conf = os.path.join(self.dir, "conf")
        self.policy = os.path.join(self.dir, "policy")
        self.logf = os.path.join(self.dir, "streamd.log")
        self.outf = os.path.join(self.dir, "stdout.log")
        os.makedirs(self.conf, exist_ok=True)
        with open(os.path.join(self.conf, "stream.conf"), "w") as f:
            f.write(stream_conf)
        with open(os.path.join(self.conf, "netdata.conf"), "w") as f:
            f.write(f"# bench/bench_streamd.py: streamd under test\n[global]\n"
                    f"    hostname = bench-streamd-{port}\n[db]\n    mode = ram\n"
                    f"    retention = 3600\n[web]\n    bind to = 127.0.0.1:{port}\n")
        self.p = None
        t0 = time.perf_counter()
        c = subprocess.run([streamc, "compile", self.conf, "-o", self.policy,
                            "--machine-guid", str(uuid.uuid4())],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=300)
        self.compile_s = time.perf_counter() - t0
        if c.returncode != 0:
            raise BenchError(f"streamc compile {self.conf} exited {c.returncode}: "
                             f"{c.stdout.strip()[-800:]}")

    def argv(self):
        a = [self.exe, "--policy", self.policy, "--log", self.logf]
        return a + (["--threads", str(self.threads)] if self.threads else [])

    def start(self):
        with open(self.outf, "ab") as out:
            self.p = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT)
        self.pid = self.p.pid
        try:
            wait_ready(self.port, self.pid)
        except BenchError as e:
            self.stop()
            raise BenchError(f"streamd: {e}; log: {self.log_tail()}")

    def stop(self):
        stop_popen(self.p)
        self.p = None

    def log_tail(self, n=8):
        text = ""
        for path in (self.logf, self.outf):
            try:
                with open(path, errors="replace") as f:
                    text += "".join(f.readlines()[-n:])
            except OSError:
                pass
        return text.strip() or "(empty)"

    def log_text(self):
        try:
            with open(self.logf, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Netdata:
    """The real Netdata 1.37.1 parent, isolated in its own directory, on STREAM_CONF.

    tests/interop/netdata.sh writes the isolated configuration and starts/stops it when the
    script is there; otherwise the same kind of configuration is written here and netdata is
    run directly (every outbound feature off, loopback only, private plugins directory)."""

    def __init__(self, work, name, stream_conf, port):
        self.dir, self.port = os.path.join(work, name), port
        self.p = None
        self.pid = None
        os.makedirs(os.path.join(self.dir, "etc"), exist_ok=True)
        with open(os.path.join(self.dir, "etc", "stream.conf"), "w") as f:
            f.write(stream_conf)
        self.harness = os.access(ND_SH, os.X_OK) or os.path.exists(ND_SH)
        if not self.harness:
            write_isolated_netdata(self.dir, port)

    def argv(self):
        return [ND_BIN, "-c", os.path.join(self.dir, "etc", "netdata.conf"), "-D", "-P",
                os.path.join(self.dir, "run", "netdata.pid"), "-p", str(self.port),
                "-i", "127.0.0.1"]

    def env(self):
        return dict(os.environ, DO_NOT_TRACK="1")

    def start(self):
        if self.harness:
            r = subprocess.run(["bash", ND_SH, "start-parent", self.dir, str(self.port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120, env=dict(self.env(), ND_TIMEOUT="60"))
            if r.returncode != 0 or not r.stdout.strip().isdigit():
                raise BenchError(f"netdata.sh start-parent exited {r.returncode}: "
                                 f"{r.stderr.strip()[-800:]}")
            self.pid = int(r.stdout.strip())
        else:
            reset_netdata_state(self.dir)
            with open(os.path.join(self.dir, "log", "stdout.log"), "ab") as out:
                self.p = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, env=self.env())
            self.pid = self.p.pid
        wait_ready(self.port, self.pid, 60)

    def stop(self):
        if self.harness:
            subprocess.run(["bash", ND_SH, "stop", self.dir], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        elif self.p is not None:
            kids = [int(k) for k in os.listdir("/proc") if k.isdigit() and ppid(int(k)) == self.pid]
            stop_popen(self.p)
            for k in kids:
                if alive(k):
                    os.kill(k, signal.SIGKILL)
            self.p = None
        self.pid = None

    def prepare_direct(self):
        """For timed starts by loadgen: the configuration must exist before the first one."""
        if self.harness:
            self.start()
            self.stop()

    def reset(self):
        reset_netdata_state(self.dir)

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "log", "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def reset_netdata_state(d):
    """Fresh state for a timed start, as netdata.sh gives each start: empty cache (sqlite
    metadata), logs and lib/ except the GUID, the cloud opt-out and the lock directory."""
    for sub in ("cache", "log"):
        p = os.path.join(d, sub)
        if os.path.isdir(p):
            for e in os.listdir(p):
                q = os.path.join(p, e)
                shutil.rmtree(q) if os.path.isdir(q) and not os.path.islink(q) else os.unlink(q)
    lib = os.path.join(d, "lib")
    if os.path.isdir(lib):
        for e in os.listdir(lib):
            if e not in ("registry", "cloud.d", "lock"):
                q = os.path.join(lib, e)
                shutil.rmtree(q) if os.path.isdir(q) and not os.path.islink(q) else os.unlink(q)
    try:
        os.unlink(os.path.join(d, "run", "netdata.pid"))
    except OSError:
        pass


def write_isolated_netdata(d, port):
    """Only when tests/interop/netdata.sh is missing: an isolated parent configuration (the
    safety settings of /work/shared/peers/netdata/README.md: no cloud, registry, statistics,
    exporting, health, plugins; loopback only)."""
    for sub in ("etc", "cache", "lib/registry", "lib/cloud.d", "lib/lock", "log", "plugins.d",
                "run", "web"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    open(os.path.join(d, "etc", ".opt-out-from-anonymous-statistics"), "w").close()
    with open(os.path.join(d, "etc", "exporting.conf"), "w") as f:
        f.write("[exporting:global]\n    enabled = no\n")
    with open(os.path.join(d, "lib", "cloud.d", "cloud.conf"), "w") as f:
        f.write("[global]\n    enabled = no\n    cloud base url = http://127.0.0.1:1\n")
    with open(os.path.join(d, "web", "index.html"), "w") as f:
        f.write("<html><body>bench parent</body></html>\n")
    # a local stand-in: the stock system-info.sh probes cloud metadata over the network
    stub = os.path.join(d, "plugins.d", "system-info.sh")
    with open(stub, "w") as f:
        f.write("#!/bin/sh\necho NETDATA_SYSTEM_KERNEL_NAME=$(uname -s)\n"
                "echo NETDATA_SYSTEM_ARCHITECTURE=$(uname -m)\n"
                "echo NETDATA_HOST_OS_NAME=unknown\n")
    os.chmod(stub, 0o755)
    plugins = ["proc", "netdata monitoring", "diskspace", "cgroups", "tc", "idlejitter",
               "timex", "checks", "statsd", "apps", "charts.d", "python.d", "go.d", "node.d",
               "ebpf", "perf", "slabinfo", "fping", "ioping", "cups", "nfacct", "freeipmi",
               "xenstat"]
    user = subprocess.run(["id", "-un"], stdout=subprocess.PIPE, text=True).stdout.strip()
    with open(os.path.join(d, "etc", "netdata.conf"), "w") as f:
        f.write(f"""# bench/bench_streamd.py: isolated Netdata parent
[global]
    run as user = {user}
    hostname = bench-netdata-{port}
    process scheduling policy = keep
    OOM score = keep
[db]
    mode = ram
    update every = 1
    retention = 3600
[directories]
    config = {d}/etc
    stock config = /usr/lib/netdata/conf.d
    log = {d}/log
    cache = {d}/cache
    lib = {d}/lib
    home = {d}/cache
    lock = {d}/lib/lock
    plugins = {d}/plugins.d
    web = {d}/web
    registry = {d}/lib/registry
    health config = {d}/etc
    stock health config = /usr/lib/netdata/conf.d/health.d
[logs]
    debug = {d}/log/debug.log
    error = {d}/log/error.log
    access = {d}/log/access.log
    health = {d}/log/health.log
[cloud]
    enabled = no
[health]
    enabled = no
[ml]
    enabled = no
[registry]
    enabled = no
    registry to announce = http://127.0.0.1:1
    allow by dns = no
[statsd]
    enabled = no
[web]
    mode = static-threaded
    bind to = 127.0.0.1:{port}
    default port = {port}
    allow connections from = localhost 127.* ::1
    allow streaming from = *
    allow connections by dns = no
    allow dashboard by dns = no
    allow badges by dns = no
    allow streaming by dns = no
    allow netdata.conf by dns = no
    allow management by dns = no
    enable gzip compression = no
[plugins]
    enable running new plugins = no
""" + "".join(f"    {p} = no\n" for p in plugins))


# ---- 1. start-to-accept ------------------------------------------------------------------

def bench_start(a, work, exes):
    say("== start-to-accept: exec -> TCP accept AND STREAM prompt "
        f"({a.start_runs} runs each after 1 warm-up, alternating; medians)")
    gen = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_policy_fleet.py"),
                          POLICY_FLEET], timeout=600)
    if gen.returncode != 0:
        raise BenchError("bench/gen_policy_fleet.py failed")
    with open(os.path.join(POLICY_FLEET, "FLEET")) as f:
        stamp = f.read().strip()
    with open(os.path.join(POLICY_FLEET, "stream.conf")) as f:
        conf = f.read() + PROBE_SECTION
    sd = Streamd(exes["streamd"], exes["streamc"], work, "start-streamd", conf, free_port(),
                 a.threads)
    say(f"config: {stamp}; stream.conf {len(conf) / 1e6:.1f} MB; policy "
        f"{os.path.getsize(sd.policy) / 1e6:.1f} MB (streamc compile {sd.compile_s:.2f} s)")
    small = Streamd(exes["streamd"], exes["streamc"], work, "start-streamd-small",
                    SMALL_STREAM_CONF, free_port(), a.threads)
    nd = Netdata(work, "start-netdata", conf, free_port())
    try:
        return start_runs(a, exes, sd, small, nd, stamp)
    finally:
        nd.stop()                               # only a leftover of prepare_direct, if any


def start_runs(a, exes, sd, small, nd, stamp):
    nd.prepare_direct()
    figures = {"streamd": [], "netdata": [], "small": []}
    accept = {"streamd": [], "netdata": [], "small": []}
    for r in range(a.start_runs + 1):
        for name, argv, port, env, out in (
                ("streamd", sd.argv(), sd.port, None, sd.outf),
                ("netdata", nd.argv(), nd.port, nd.env(),
                 os.path.join(nd.dir, "log", "stdout.log")),
                ("small", small.argv(), small.port, None, small.outf)):
            if name == "netdata":
                nd.reset()
            res = run_loadgen([exes["loadgen"], "startup", "-p", str(port), "-k", KEY,
                               "--timeout", "60", "--stop-timeout", "20", "--out", out, "--"]
                              + argv, timeout=150, env=env)
            if res["rc"] != 0:
                raise BenchError(f"{name} did not start: {res['stderr'].strip()[-600:]}")
            ms, acc = float(res["ready_ms"]), float(res["accept_ms"])
            label = {"small": "streamd, one-key policy"}.get(name, name)
            say(f"  run {r}{' (warm-up, not counted)' if r == 0 else ''}: {label:24s} "
                f"accept {acc:9.3f} ms, prompt {ms:9.3f} ms")
            if r:
                figures[name].append(ms)
                accept[name].append(acc)
    med = {k: statistics.median(v) for k, v in figures.items()}
    return {"sd_ms": med["streamd"], "nd_ms": med["netdata"], "small_ms": med["small"],
            "small_policy": os.path.getsize(small.policy),
            "sd_accept_ms": statistics.median(accept["streamd"]),
            "nd_accept_ms": statistics.median(accept["netdata"]),
            "sd_range": (min(figures["streamd"]), max(figures["streamd"])),
            "nd_range": (min(figures["netdata"]), max(figures["netdata"])),
            "stamp": stamp}


# ---- 2. ingestion -----------------------------------------------------------------------------

def completed_updates(log_text, since):
    """Netdata's 'disconnected (completed N updates)' lines after offset SINCE, summed."""
    return sum(int(n) for n in re.findall(r"completed (\d+) updates", log_text[since:]))


def bench_ingest(a, work, exes):
    say(f"== ingestion: loadgen ingest for {a.seconds:g} s per run, {a.runs} runs per parent, "
        "alternating; medians")
    rows = []
    for spec in a.ingest.split(","):
        charts, dims, kids = (int(x) for x in spec.lower().split("x"))
        sd = Streamd(exes["streamd"], exes["streamc"], work, f"ingest-streamd-{spec}",
                     SMALL_STREAM_CONF, free_port(), a.threads)
        nd = Netdata(work, f"ingest-netdata-{spec}", SMALL_STREAM_CONF, free_port())
        got = {"streamd": [], "netdata": []}
        try:
            sd.start()
            nd.start()
            for r in range(a.runs):
                for name, par in (("streamd", sd), ("netdata", nd)):
                    log0 = len(par.log_text())
                    cpu0 = proc_cpu_s(par.pid)
                    res = run_loadgen([exes["loadgen"], "ingest", "-p", str(par.port), "-k",
                                       KEY, "-c", str(kids), "-n", str(charts), "-m",
                                       str(dims), "-s", str(a.seconds), "--drain-timeout", "60"],
                                      timeout=a.seconds + 150)
                    if not alive(par.pid):
                        raise BenchError(f"{name} died during the ingest run")
                    cpu = proc_cpu_s(par.pid) - cpu0
                    samples, blocks = int(res["samples"]), int(res["blocks"])
                    ok = res["rc"] == 0 and float(res["total_s"]) > 0
                    time.sleep(0.5)                     # let the parent log the disconnect
                    done = completed_updates(par.log_text(), log0)
                    rate = float(res["rate_accepted"]) if ok else float(res["rate_sent"])
                    per_cpu = samples / cpu if cpu > 0 else 0.0
                    say(f"  {spec} run {r + 1}: {name:8s} {samples:>10,} samples in "
                        f"{float(res['total_s'] if ok else res['send_s']):6.2f} s = "
                        f"{rate:>11,.0f}/s{'' if ok else ' (NOT drained: rate sent)'}; parent "
                        f"CPU {cpu:6.2f} s -> {per_cpu:>11,.0f} samples/CPU-s; loadgen CPU "
                        f"{float(res['loadgen_cpu_s']):.2f} s; END lines the parent logged: "
                        f"{done if done else 'not logged'} of {blocks}")
                    if not ok:
                        say(f"    loadgen: {res['stderr'].strip()[-300:]}")
                    got[name].append((rate, per_cpu, cpu, ok, done, blocks))
                    time.sleep(0.5)
        finally:
            sd.stop()
            nd.stop()
        row = {"spec": spec, "charts": charts, "dims": dims, "children": kids}
        for name in got:
            row[name] = {"rate": statistics.median(g[0] for g in got[name]),
                         "per_cpu": statistics.median(g[1] for g in got[name]),
                         "cpu": statistics.median(g[2] for g in got[name]),
                         "drained": all(g[3] for g in got[name])}
        rows.append(row)
    return rows


# ---- 3. RSS per idle child ----------------------------------------------------------------------

def idle_run(exes, par, a, charts, dims):
    rss0 = settled_rss(par.pid)
    p = subprocess.Popen([exes["loadgen"], "idle", "-p", str(par.port), "-k", KEY, "-c",
                          str(a.idle_children), "-n", str(charts), "-m", str(dims),
                          "--hold", "600"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line, end = "", time.monotonic() + 300
        while not line.endswith("\n") and time.monotonic() < end:
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if r:
                c = p.stdout.readline()
                if not c:
                    break
                line += c
        if not line.startswith("READY"):
            raise BenchError(f"loadgen idle did not get ready: {line.strip()} "
                             f"{p.stderr.read() if p.poll() is not None else ''}")
        ready = dict(kv.split("=", 1) for kv in line.split()[1:])
        rss1 = settled_rss(par.pid)
        connected = int(ready["connected"])
        p.stdin.close()                          # loadgen closes its children and exits
        p.wait(60)
        out, err = p.stdout.read(), p.stderr.read()
        m = re.search(r"^RESULT (.*)$", out, re.M)
        res = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
        return rss0, rss1, connected, int(res.get("dropped", -1)), float(ready["connect_s"]), err
    finally:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def bench_idle(a, work, exes):
    """Per shape CHARTSxDIMS: the median KiB per child of each parent. The first shape is the
    target's; with a second one the difference gives the cost per dimension."""
    n = a.idle_children
    shapes = [tuple(int(x) for x in sh.lower().split("x")) for sh in a.idle_shapes.split(",")]
    say(f"== RSS per idle child: {n} children, shapes (charts x dims) "
        f"{', '.join(f'{c}x{d}' for c, d in shapes)}, one collection each; {a.runs} runs per "
        "parent and shape, a fresh parent each run; medians")
    out = []
    for charts, dims in shapes:
        got = {"streamd": [], "netdata": []}
        for r in range(a.runs):
            for name in ("streamd", "netdata"):
                tag = f"idle-{name}-{charts}x{dims}-{r}"
                if name == "streamd":
                    par = Streamd(exes["streamd"], exes["streamc"], work, tag,
                                  SMALL_STREAM_CONF, free_port(), a.threads)
                else:
                    par = Netdata(work, tag, SMALL_STREAM_CONF, free_port())
                try:
                    par.start()
                    rss0, rss1, conn, dropped, cs, err = idle_run(exes, par, a, charts, dims)
                    per = (rss1 - rss0) / n
                    say(f"  {charts}x{dims} run {r + 1}: {name:8s} VmRSS {rss0:>8,} -> "
                        f"{rss1:>8,} KiB with {conn} connected ({cs:.2f} s to connect, "
                        f"{dropped} dropped while idle) = {per:7.1f} KiB per child")
                    if conn != n:
                        say(f"    loadgen: {err.strip()[-300:]}")
                    got[name].append((per, rss0, rss1, conn, dropped))
                finally:
                    par.stop()
        out.append({"charts": charts, "dims": dims, **{
            name: {"per": statistics.median(g[0] for g in v),
                   "connected": min(g[3] for g in v),
                   "dropped": max(g[4] for g in v)} for name, v in got.items()}})
    return out


# ---- main ------------------------------------------------------------------------------------

def verdict(ok):
    return "met" if ok else "NOT met"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="start,ingest,idle")
    ap.add_argument("--runs", type=int, default=3, help="runs per parent, ingest and idle")
    ap.add_argument("--start-runs", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--ingest", default="100x10x1,100x10x4", help="CHARTSxDIMSxCHILDREN,...")
    ap.add_argument("--idle-children", type=int, default=1000)
    ap.add_argument("--idle-shapes", default="3x4,1x1",
                    help="CHARTSxDIMS per idle child; the first is the target's")
    ap.add_argument("--threads", type=int, default=None, help="streamd --threads")
    ap.add_argument("--streamd", default=os.path.join(BENCH, "streamd"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args()
    exes = {"streamd": a.streamd, "streamc": os.path.join(BENCH, "streamc"),
            "loadgen": os.path.join(BENCH, "loadgen")}
    for name, path in exes.items():
        if not os.access(path, os.X_OK):
            print(f"bench_streamd: {os.path.relpath(path, ROOT)} is not built "
                  "(ninja bench builds it)", file=sys.stderr)
            return 1
    if not os.access(ND_BIN, os.X_OK):
        print(f"bench_streamd: {ND_BIN} is not installed (tests/interop/netdata.sh install)",
              file=sys.stderr)
        return 1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.idle_children + 1024
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    # TERM (from ninja or a user) must still run the finally blocks that stop the parents
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    work = tempfile.mkdtemp(prefix="bench_streamd.", dir="/tmp")
    only = set(a.only.split(","))
    st = ing = idle = None
    status = 0
    say(f"bench_streamd: {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; streamd {exes['streamd']}; "
        f"{subprocess.run([ND_BIN, '-V'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.strip()}; "
        f"Netdata harness: {'tests/interop/netdata.sh' if os.path.exists(ND_SH) else 'own config'}")
    try:
        for part, fn in (("start", bench_start), ("ingest", bench_ingest),
                         ("idle", bench_idle)):
            if part not in only:
                continue
            try:
                r = fn(a, work, exes)
            except BenchError as e:
                say(f"bench_streamd: {part}: {e}")
                status = 1
                continue
            if part == "start":
                st = r
            elif part == "ingest":
                ing = r
            else:
                idle = r
    except KeyboardInterrupt:
        say("bench_streamd: interrupted")
        status = 1
    finally:
        if a.keep:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    say("== summary (medians; 2-core shared machine, noisy)")
    result = []
    if st:
        ratio = st["nd_ms"] / st["sd_ms"]
        say(f"start-to-accept ({st['stamp']}): streamd {st['sd_ms']:.2f} ms "
            f"[{st['sd_range'][0]:.2f}-{st['sd_range'][1]:.2f}], Netdata {st['nd_ms']:.1f} ms "
            f"[{st['nd_range'][0]:.1f}-{st['nd_range'][1]:.1f}]: streamd {ratio:.0f}x faster; "
            f"target streamd < 10 ms: {verdict(st['sd_ms'] < 10)}")
        say(f"  (port accepting: streamd {st['sd_accept_ms']:.2f} ms, Netdata "
            f"{st['nd_accept_ms']:.1f} ms; streamd on a one-key policy of "
            f"{st['small_policy']:,} bytes: {st['small_ms']:.2f} ms, the fixed cost of a start)")
        result += [f"start_streamd_ms={st['sd_ms']:.3f}", f"start_netdata_ms={st['nd_ms']:.1f}"]
    for row in ing or []:
        s, n = row["streamd"], row["netdata"]
        rr = s["rate"] / n["rate"] if n["rate"] else 0
        rc = s["per_cpu"] / n["per_cpu"] if n["per_cpu"] else 0
        say(f"ingest {row['charts']}x{row['dims']}, {row['children']} child(ren): streamd "
            f"{s['rate']:,.0f} samples/s, {s['per_cpu']:,.0f}/CPU-s (CPU {s['cpu']:.2f} s); "
            f"Netdata {n['rate']:,.0f} samples/s, {n['per_cpu']:,.0f}/CPU-s (CPU "
            f"{n['cpu']:.2f} s); ratio {rr:.2f}x samples/s, {rc:.2f}x per CPU-second; target "
            f">= 4x per core: {verdict(rc >= 4)}"
            + ("" if s["drained"] and n["drained"] else " (a run was not drained: see above)"))
        result += [f"ingest_{row['spec']}_streamd_per_cpu={s['per_cpu']:.0f}",
                   f"ingest_{row['spec']}_netdata_per_cpu={n['per_cpu']:.0f}"]
    if idle:
        first = idle[0]
        for sh in idle:
            s, n = sh["streamd"], sh["netdata"]
            say(f"RSS per idle child ({a.idle_children} children, {sh['charts']} charts x "
                f"{sh['dims']} dims): streamd {s['per']:.1f} KiB, Netdata {n['per']:.1f} KiB: "
                f"streamd uses {n['per'] / s['per'] if s['per'] > 0 else 0:.1f}x less"
                + (f"; target <= 64 KiB: {verdict(s['per'] <= 64)}" if sh is first else "")
                + ("" if s["connected"] == a.idle_children and not s["dropped"] else
                   f" (streamd: {s['connected']} connected, {s['dropped']} dropped)"))
            result += [f"idle_{sh['charts']}x{sh['dims']}_streamd_kib={s['per']:.1f}",
                       f"idle_{sh['charts']}x{sh['dims']}_netdata_kib={n['per']:.1f}"]
        if len(idle) > 1:
            d = first["charts"] * first["dims"] - idle[1]["charts"] * idle[1]["dims"]
            if d:
                say("  per dimension (difference of the two shapes): " + ", ".join(
                    f"{nm} {(first[k]['per'] - idle[1][k]['per']) / d:.1f} KiB"
                    for nm, k in (("streamd", "streamd"), ("Netdata", "netdata"))))
    if result:
        say("RESULT " + " ".join(result))
    return status


if __name__ == "__main__":
    sys.exit(main())
