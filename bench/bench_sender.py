#!/usr/bin/env python3
"""streamd's sender and proxy against the real Netdata 1.37.1, both measured in the same run.

Usage: bench/bench_sender.py [--only sender,proxy] [--runs N] [--window S] [--warmup S]
           [--charts N] [--dims N] [--proxy-load CxDxK] [--proxy-seconds S] [--streamd PATH]
           [--compression] [--keep]

--compression: `enable compression = yes` for every agent and the sink instead of no, so that
every link child -> sink and proxy -> sink is LZ4 (the sink, streamd, decodes; the synthetic
children of 2 still send plain text). The figures then include compressing.

1. Sender CPU per 1,000 metrics/s. One plugins.d plugin, build/bench/loadplugin (C; CHARTS x
   DIMS, default 100 x 50 = 5,000 metrics/s; definitions once, then BEGIN/SET/END every
   second), runs under each agent as a child: streamd (`--plugins-dir`) and Netdata 1.37.1
   (its `[directories] plugins` list, `[plugins] loadplugin = yes`). Both stream to the same
   sink, a streamd parent with memory mode none, with the same stream.conf (no compression, no
   replication). Each agent runs twice per round, with `[stream] enabled = yes` and `= no`;
   after the warm-up (plugin charts present on the agent, and at the sink when streaming), its
   process CPU (utime+stime of all threads, /proc/PID/stat) is read over a fixed window. The
   sender's share is on - off; it is divided by the metrics/s the agent streams (its own
   metrics-count; `send charts matching = *`), and the sink's completed chart updates per
   second are printed as a check that they all arrived. The plugin's own CPU is read too (its process, found by its path) and
   reported apart: it is not in either agent's figure.
   What else runs: streamd runs with `--no-collectors` (no /proc charts; the plugin still runs);
   Netdata runs with proc = no and every other plugin netdata.sh switches off; its web server,
   plugins.d and housekeeping threads remain (the thread names are printed).
2. Proxy throughput. Synthetic children (CxDxK, default 100 charts x 10 dims x 1 child, as fast
   as the proxy reads; build/bench/loadgen ingest's ids, format and half-close/drain, sent from
   this script because a 1.37.1 proxy needs the system-info fields of the STREAM request that
   loadgen leaves out: without them it aborts when it forwards the host) -> proxy (memory mode
   none for the child, `default proxy enabled = yes`, forwarding to the sink) -> sink (streamd,
   mode none). Figures: the samples the sink received for the synthetic hosts (its "completed
   N updates" lines x DIMS) per second of the run (first data byte to the proxy's close), and
   the proxy's CPU seconds (utime+stime) per million samples at the sink. Proxies: streamd
   (`--no-collectors`) and Netdata 1.37.1 (tests/interop/netdata.sh start-parent with the same
   stream.conf), alternating run by run.

Loopback only, ports picked free, every process stopped in a finally block, every wait
bounded. Not a test: exit 1 only when a bench cannot run. Medians over --runs rounds.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_streamd as bs  # noqa: E402  (shared helpers: ports, /proc, process stops)
from bench_streamd import BenchError, alive, free_port, proc_cpu_s, say  # noqa: E402

ROOT = bs.ROOT
BENCH = bs.BENCH
ND_BIN, ND_SH = bs.ND_BIN, bs.ND_SH
KEY = bs.KEY                   # accepted by the sink and the proxies; wait_ready probes with it
PLUGIN = "loadplugin"


# ---- small helpers ---------------------------------------------------------------------------

def http_json(port, path, timeout=2.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return json.loads(r.read().decode(errors="replace"))
    except (OSError, ValueError):
        return None


def wait_for(what, fn, timeout, pid=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pid is not None and not alive(pid):
            raise BenchError(f"pid {pid} exited while waiting for {what}")
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")


def host_counts(port, host=None):
    """(charts_count, dimensions_count) of HOST (None: the agent's own) from /api/v1/charts
    (Netdata 1.37.1's /api/v1/info has null counts without analytics)."""
    info = http_json(port, (f"/host/{host}" if host else "") + "/api/v1/charts")
    if not info:
        return None
    try:
        return int(info.get("charts_count") or 0), int(info.get("dimensions_count") or 0)
    except (TypeError, ValueError):
        return None


def task_ns(pid):
    """{tid: nanoseconds on CPU} of every live thread of PID (/proc/PID/task/TID/schedstat,
    exact, where utime+stime count 10 ms ticks)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tids:
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                out[t] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def ns_delta(before, after):
    """CPU seconds between two task_ns readings (a thread gone by the second is not counted;
    a thread born in between counts from zero)."""
    return sum(v - before.get(t, 0) for t, v in after.items()) / 1e9


def plugin_pids(path):
    """Processes whose executable is PATH (each agent runs its own copy of the plugin)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/exe") == path:
                    out.append(int(d))
            except OSError:
                pass
    return out


def thread_names(pid):
    names = {}
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/comm") as f:
                    n = re.sub(r"\d+$", "N", f.read().strip())
                names[n] = names.get(n, 0) + 1
            except OSError:
                pass
    except OSError:
        pass
    return ", ".join(f"{k}x{v}" if v > 1 else k for k, v in sorted(names.items()))


def link_kind(log_text, since, host_re):
    """'LZ4', 'plain' or 'mixed': how the sink's links from hosts matching HOST_RE after SINCE
    were negotiated (its "established link with negotiated capabilities" lines)."""
    kinds = set()
    for m in re.finditer(r"STREAM (\S+) \[receive from [^\]]*\]:\S* established link with "
                         r"negotiated capabilities: (.*)", log_text[since:]):
        if re.fullmatch(host_re, m.group(1)):
            kinds.add("LZ4" if "COMPRESSION" in m.group(2).split() else "plain")
    return kinds.pop() if len(kinds) == 1 else "mixed" if kinds else "?"


def completed(log_text, since, host_re):
    """Sum of 'STREAM HOST [receive from ...]: disconnected (completed N updates)' after SINCE
    for hosts matching HOST_RE, and how many connections they were."""
    total, conns = 0, 0
    for m in re.finditer(r"STREAM (\S+) \[receive from [^\]]*\]:\S* disconnected \(completed "
                         r"(\d+) updates\)", log_text[since:]):
        if re.fullmatch(host_re, m.group(1)):
            total += int(m.group(2))
            conns += 1
    return total, conns


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


COMPRESSION = "no"      # --compression: "yes"


def stream_conf(enabled, sink_port, proxy=False):
    """The one stream.conf both agents use (children and proxies alike)."""
    return f"""# bench/bench_sender.py
[stream]
    enabled = {'yes' if enabled else 'no'}
    destination = tcp:127.0.0.1:{sink_port}
    api key = {KEY}
    enable compression = {COMPRESSION}
    timeout seconds = 60
    buffer size bytes = 10485760
    reconnect delay seconds = 5
    initial clock resync iterations = 60
[{KEY}]
    type = api
    enabled = yes
    allow from = *
    default memory mode = none
    health enabled by default = no
    default proxy enabled = {'yes' if proxy else 'no'}
    enable compression = {COMPRESSION}
    enable replication = no
"""


# ---- the agents ------------------------------------------------------------------------------

class Streamd:
    """streamd on a policy compiled from STREAM_CONF and a netdata.conf with MODE."""

    def __init__(self, exes, work, name, stream_text, port, mode, hostname, extra_args=()):
        self.exe, self.port, self.hostname = exes["streamd"], port, hostname
        self.dir = os.path.join(work, name)
        conf = os.path.join(self.dir, "conf")
        self.policy = os.path.join(self.dir, "policy")
        self.logf = os.path.join(self.dir, "streamd.log")
        self.outf = os.path.join(self.dir, "stdout.log")
        self.extra = list(extra_args)
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "stream.conf"), "w") as f:
            f.write(stream_text)
        with open(os.path.join(conf, "netdata.conf"), "w") as f:
            f.write(f"# bench/bench_sender.py\n[global]\n    hostname = {hostname}\n"
                    f"[db]\n    mode = {mode}\n    update every = 1\n    retention = 3600\n"
                    f"    enable replication = no\n[web]\n    bind to = 127.0.0.1:{port}\n")
        c = subprocess.run([exes["streamc"], "compile", conf, "-o", self.policy,
                            "--machine-guid", str(uuid.uuid4())],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        if c.returncode != 0:
            raise BenchError(f"streamc compile {conf} exited {c.returncode}: "
                             f"{c.stdout.strip()[-800:]}")
        self.p = self.pid = None

    def start(self, env=None, parent=False):
        with open(self.outf, "ab") as out:
            self.p = subprocess.Popen([self.exe, "--policy", self.policy, "--log", self.logf]
                                      + self.extra, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, env=env)
        self.pid = self.p.pid
        try:
            if parent:
                bs.wait_ready(self.port, self.pid)
            else:
                wait_for("streamd's API", lambda: host_counts(self.port), 30, self.pid)
        except BenchError as e:
            self.stop()
            raise BenchError(f"streamd {self.hostname}: {e}; log: {self.log_tail()}")

    def stop(self):
        bs.stop_popen(self.p)
        self.p = self.pid = None

    def log_text(self):
        return read_text(self.logf)

    def log_tail(self, n=8):
        return "".join((read_text(self.logf) + read_text(self.outf)).splitlines(True)[-n:]).strip()


class Netdata:
    """The real Netdata 1.37.1 through tests/interop/netdata.sh start-parent (web API on
    127.0.0.1:PORT, proc and every external plugin off), with our stream.conf and, for the
    sender bench, the plugin directory and `[plugins] loadplugin = yes`."""

    def __init__(self, work, name, stream_text, port, hostname, plugin_dir=None):
        self.dir, self.port, self.hostname = os.path.join(work, name), port, hostname
        self.guid = str(uuid.uuid4())
        os.makedirs(os.path.join(self.dir, "etc"), exist_ok=True)
        with open(os.path.join(self.dir, "etc", "stream.conf"), "w") as f:
            f.write(stream_text)
        extra = "# bench/bench_sender.py\n[db]\n    enable replication = no\n" \
                "[plugins]\n    proc = no\n"
        if plugin_dir:
            # the first directory stays netdata.sh's own (its system-info.sh stand-in)
            extra += (f"    {PLUGIN} = yes\n[directories]\n"
                      f"    plugins = \"{self.dir}/plugins.d\" \"{plugin_dir}\"\n")
        with open(os.path.join(self.dir, "etc", "netdata.extra.conf"), "w") as f:
            f.write(extra)
        self.pid = None

    def start(self, env=None, parent=False):
        e = dict(env or os.environ, DO_NOT_TRACK="1", ND_TIMEOUT="60", ND_COMPRESSION="no",
                 ND_REPLICATION="no", ND_HOSTNAME=self.hostname, ND_GUID=self.guid)
        r = subprocess.run(["bash", ND_SH, "start-parent", self.dir, str(self.port)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120, env=e)
        if r.returncode != 0 or not r.stdout.strip().isdigit():
            raise BenchError(f"netdata.sh start-parent exited {r.returncode}: "
                             f"{r.stderr.strip()[-800:]}")
        self.pid = int(r.stdout.strip())
        if parent:
            bs.wait_ready(self.port, self.pid, 60)

    def stop(self):
        subprocess.run(["bash", ND_SH, "stop", self.dir], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        self.pid = None

    def log_text(self):
        return read_text(os.path.join(self.dir, "log", "error.log"))


def make_sink(exes, work, name):
    s = Streamd(exes, work, name, stream_conf(False, 1), free_port(), "none",
                f"bench-sink-{name}")
    s.start(parent=True)
    return s


# ---- 1. sender CPU -----------------------------------------------------------------------------

def measure_child(a, agent, plugin_path, sink, streaming, env):
    """Start AGENT, wait for its plugin's charts (and the sink's copy), read CPU over the
    window, stop it. Returns a dict of figures."""
    t_start = time.monotonic()
    agent.start(env=env)
    try:
        want = a.charts
        wait_for(f"{agent.hostname}'s {want} plugin charts",
                 lambda: (host_counts(agent.port) or (0, 0))[0] >= want, 60, agent.pid)
        if streaming:       # the sink keeps no charts for a mode-none host: read the log
            wait_for(f"{agent.hostname}'s stream to the sink",
                     lambda: "established link" in agent.log_text(), 60, agent.pid)
        left = a.warmup - (time.monotonic() - t_start)
        if left > 0:
            time.sleep(left)
        plug = plugin_pids(plugin_path)
        if len(plug) != 1:
            raise BenchError(f"{agent.hostname}: {len(plug)} plugin processes at {plugin_path}")
        local = host_counts(agent.port)
        n0, q0 = task_ns(agent.pid), task_ns(plug[0])
        c0, p0, t0 = proc_cpu_s(agent.pid), proc_cpu_s(plug[0]), time.monotonic()
        time.sleep(a.window)
        c1, p1, t1 = proc_cpu_s(agent.pid), proc_cpu_s(plug[0]), time.monotonic()
        n1, q1 = task_ns(agent.pid), task_ns(plug[0])
        threads = thread_names(agent.pid)
        local = host_counts(agent.port) or local
    finally:
        log0 = len(sink.log_text())
        agent.stop()
        t_stop = time.monotonic()
    dt = t1 - t0
    res = {"cpu_ms_s": ns_delta(n0, n1) * 1000 / dt, "plugin_ms_s": ns_delta(q0, q1) * 1000 / dt,
           "tick_ms_s": (c1 - c0) * 1000 / dt, "plugin_tick_ms_s": (p1 - p0) * 1000 / dt,
           "local": local, "threads": threads}
    if streaming:
        # the sink logs the finished connection with its completed chart updates: per second
        # of the agent's life it must be about the agent's chart count
        n, conns = 0, 0
        end = time.monotonic() + 10
        while time.monotonic() < end and not conns:
            time.sleep(0.3)
            n, conns = completed(sink.log_text(), log0, re.escape(agent.hostname))
        res["updates"], res["conns"] = n, conns
        res["link"] = link_kind(sink.log_text(), log0, re.escape(agent.hostname))
        res["updates_s"] = n / (t_stop - t_start)
    return res


def bench_sender(a, work, exes):
    metrics = a.charts * a.dims
    say(f"== sender CPU: plugin {a.charts} charts x {a.dims} dims = {metrics:,} metrics/s, "
        f"warm-up {a.warmup:g} s, window {a.window:g} s, {a.runs} round(s) of streamd on/off "
        "and Netdata on/off; medians")
    pdir = os.path.join(work, "plugins")
    env = dict(os.environ, LOADPLUGIN_CHARTS=str(a.charts), LOADPLUGIN_DIMS=str(a.dims))
    sink = make_sink(exes, work, "sender-sink")
    got = {(ag, on): [] for ag in ("streamd", "netdata") for on in (True, False)}
    try:
        for r in range(a.runs):
            for on in (True, False):
                for ag in ("streamd", "netdata"):
                    d = os.path.join(pdir, f"{ag}-{r}-{'on' if on else 'off'}")
                    os.makedirs(d, exist_ok=True)
                    plugin_path = os.path.join(d, f"{PLUGIN}.plugin")
                    shutil.copy2(exes["loadplugin"], plugin_path)
                    text = stream_conf(on, sink.port)
                    name = f"sender-{ag}-{r}-{'on' if on else 'off'}"
                    if ag == "streamd":
                        agent = Streamd(exes, work, name, text, free_port(), "ram",
                                        "bench-sd-child", ["--no-collectors", "--plugins-dir", d])
                    else:
                        agent = Netdata(work, name, text, free_port(), "bench-nd-child", d)
                    res = measure_child(a, agent, plugin_path, sink, on, env)
                    got[(ag, on)].append(res)
                    sink_txt = ""
                    if on:
                        sink_txt = (f"; the sink completed {res['updates']:,} chart updates over "
                                    f"{res['conns']} connection(s), {res['updates_s']:.1f} per "
                                    "second of the agent's life (start to stop); link "
                                    f"{res['link']}")
                    lc, lm = res["local"] or (0, 0)
                    say(f"  round {r + 1}: {ag:8s} streaming {'on ' if on else 'off'}: agent "
                        f"{res['cpu_ms_s']:6.2f} CPU-ms/s (utime+stime {res['tick_ms_s']:5.1f}), "
                        f"plugin {res['plugin_ms_s']:5.2f} CPU-ms/s; own host {lc} charts, {lm:,} metrics{sink_txt}")
                    if r == 0 and on:
                        say(f"    threads: {res['threads']}")
    finally:
        sink.stop()
    out = {}
    for ag in ("streamd", "netdata"):
        on = statistics.median(g["cpu_ms_s"] for g in got[(ag, True)])
        off = statistics.median(g["cpu_ms_s"] for g in got[(ag, False)])
        # per round differences too (rounds share their noise)
        diffs = [x["cpu_ms_s"] - y["cpu_ms_s"] for x, y in zip(got[(ag, True)], got[(ag, False)])]
        streamed = statistics.median((g["local"] or (0, 0))[1] for g in got[(ag, True)])
        plug = statistics.median(g["plugin_ms_s"] for g in got[(ag, True)] + got[(ag, False)])
        t_on = statistics.median(g["tick_ms_s"] for g in got[(ag, True)])
        t_off = statistics.median(g["tick_ms_s"] for g in got[(ag, False)])
        out[ag] = {"on": on, "off": off, "sender": on - off, "diffs": diffs,
                   "tick_on": t_on, "tick_off": t_off,
                   "metrics": streamed or metrics, "plugin": plug,
                   "threads": got[(ag, True)][0]["threads"]}
        k = out[ag]["metrics"] / 1000
        out[ag]["per_k"] = out[ag]["sender"] / k
        out[ag]["on_per_k"] = on / k
    return out


# ---- 2. proxy throughput -----------------------------------------------------------------------

SYSINFO = ("&tags=&ver=64&NETDATA_INSTANCE_CLOUD_TYPE=unknown"
           "&NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE=unknown&NETDATA_INSTANCE_CLOUD_INSTANCE_REGION="
           "unknown&NETDATA_SYSTEM_OS_NAME=Debian+GNU%2fLinux&NETDATA_SYSTEM_OS_ID=debian"
           "&NETDATA_SYSTEM_OS_ID_LIKE=unknown&NETDATA_SYSTEM_OS_VERSION=12+%28bookworm%29"
           "&NETDATA_SYSTEM_OS_VERSION_ID=12&NETDATA_SYSTEM_OS_DETECTION=/etc/os-release"
           "&NETDATA_HOST_IS_K8S_NODE=false&NETDATA_SYSTEM_KERNEL_NAME=Linux"
           "&NETDATA_SYSTEM_KERNEL_VERSION=6.1.0&NETDATA_SYSTEM_ARCHITECTURE=x86_64"
           "&NETDATA_SYSTEM_VIRTUALIZATION=kvm&NETDATA_SYSTEM_VIRT_DETECTION=none"
           "&NETDATA_SYSTEM_CONTAINER=none&NETDATA_SYSTEM_CONTAINER_DETECTION=none"
           "&NETDATA_CONTAINER_OS_NAME=none&NETDATA_CONTAINER_OS_ID=none"
           "&NETDATA_CONTAINER_OS_ID_LIKE=none&NETDATA_CONTAINER_OS_VERSION=none"
           "&NETDATA_CONTAINER_OS_VERSION_ID=none&NETDATA_CONTAINER_OS_DETECTION=none"
           "&NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=2&NETDATA_SYSTEM_CPU_FREQ=unknown"
           "&NETDATA_SYSTEM_TOTAL_RAM=8589934592&NETDATA_SYSTEM_TOTAL_DISK_SIZE=unknown"
           "&NETDATA_PROTOCOL_VERSION=1.1")


def push_child(port, idx, run, charts, dims, seconds, rate, out):
    """One synthetic child for the proxy bench, as build/bench/loadgen ingest (same chart and
    dimension ids, BEGIN ... 1000000, changing values, as fast as the proxy reads, then a
    half-close and a wait for the proxy's close), but with the system-info fields a real
    1.37.1 child sends: without them a 1.37.1 proxy aborts in free() when it opens the onward
    connection for the host (munmap_chunk(): invalid pointer), as netdata.sh notes for
    children. RATE > 0: at most RATE samples/s (paced per 8 collections of every chart).
    OUT gets blocks, samples, t_sent, t_eof, drained, why."""
    host = f"lg-{run}-{idx}"
    guid = f"{run}-0000-4000-8000-{idx:012x}"
    req = (f"STREAM key={KEY}&hostname={host}&registry_hostname={host}&machine_guid={guid}"
           "&update_every=1&os=linux&timezone=UTC&abbrev_timezone=UTC&utc_offset=0&hops=1"
           f"&ml_capable=0&ml_enabled=0&mc_version=0{SYSINFO} HTTP/1.1\r\n"
           "User-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n").encode()
    defs = "".join(f'CHART "lg.c{c:05d}" "" "loadgen chart" "units" "loadgen" "lg.c{c:05d}" '
                   f'"line" {1000 + c} 1 "" "loadgen" "lg"\n' + "".join(
                       f'DIMENSION "d{d:03d}" "d{d:03d}" "absolute" 1 1 ""\n'
                       for d in range(dims)) for c in range(charts)).encode()
    # 8 iterations of every chart, prebuilt: values change from block to block
    chunks = []
    for it in range(8):
        chunks.append("".join(f'BEGIN "lg.c{c:05d}" 1000000\n' + "".join(
            f'SET "d{d:03d}" = {1000000 + (it * 7919 + c * 131 + d * 17) % 1000000}\n'
            for d in range(dims)) + "END\n" for c in range(charts)).encode())
    out.update(blocks=0, samples=0, t_sent=0.0, t_eof=0.0, drained=False, why="")
    try:
        sk = socket.create_connection(("127.0.0.1", port), timeout=30)
        sk.sendall(req)
        reply = sk.recv(512).decode(errors="replace")
        if not reply.startswith("Hit me baby"):
            out["why"] = f"no prompt: {reply[:120]!r}"
            sk.close()
            return
        sk.sendall(defs)
        out["t0"] = time.monotonic()
        end = out["t0"] + seconds
        big = b"".join(chunks)
        per_big = charts * len(chunks) * dims
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if rate > 0:
                due = out["t0"] + out["blocks"] * dims / rate
                if due > now:
                    time.sleep(min(due - now, end - now))
                    continue
            sk.sendall(big)
            out["blocks"] += per_big // dims
        out["t_sent"] = time.monotonic()
        out["samples"] = out["blocks"] * dims
        sk.shutdown(socket.SHUT_WR)
        sk.settimeout(120)
        while sk.recv(65536):
            pass
        out["t_eof"], out["drained"] = time.monotonic(), True
        sk.close()
    except OSError as e:
        out["why"] = str(e)


def self_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_push(port, charts, dims, kids, seconds, rate=0):
    run = uuid.uuid4().hex[:8]
    cpu0 = self_cpu_s()
    outs = [{} for _ in range(kids)]
    ths = [threading.Thread(target=push_child, args=(port, i, run, charts, dims, seconds,
                                                     rate / kids, outs[i])) for i in range(kids)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    bad = [o["why"] for o in outs if o.get("why")]
    t0 = min(o.get("t0", 0) for o in outs)
    drained = all(o["drained"] for o in outs)
    t_end = max(o["t_eof"] if drained else o["t_sent"] for o in outs)
    return {"samples": sum(o["samples"] for o in outs), "secs": t_end - t0 if t0 else 0.0,
            "drained": drained, "why": "; ".join(bad), "load_cpu": self_cpu_s() - cpu0}


def proxy_run(px, sink, name, charts, dims, kids, seconds, rate):
    slog0, plog0 = len(sink.log_text()), len(px.log_text())
    cpu0, ns0 = proc_cpu_s(px.pid), task_ns(px.pid)
    res = run_push(px.port, charts, dims, kids, seconds, rate)
    # utime+stime here: Netdata's receiver and sender threads of the host end with the
    # connection, and the schedstat of a thread that ended is gone
    cpu = proc_cpu_s(px.pid) - cpu0
    live = ns_delta(ns0, task_ns(px.pid))
    if not alive(px.pid):
        raise BenchError(f"{name} proxy died during the run")
    # the proxy closes the onward connection when its child leaves; the sink then logs the
    # updates it completed for that host (for every connection, after a buffer-full restart)
    n, conns = 0, 0
    end = time.monotonic() + 15
    while time.monotonic() < end:
        time.sleep(0.5)
        n2, c2 = completed(sink.log_text(), slog0, r"lg-[0-9a-f]{8}-\d+")
        if c2 and (n2, c2) == (n, conns):
            break
        n, conns = n2, c2
    plog = px.log_text()[plog0:]
    link = link_kind(sink.log_text(), slog0, r"lg-[0-9a-f]{8}-\d+")
    full = len(re.findall(r"buffer full|too many data pending", plog))
    ok, secs = res["drained"] and not res["why"], res["secs"]
    sent, at_sink = res["samples"], n * dims
    if res["why"]:
        say(f"    load: {res['why']}")
    got = at_sink / secs if secs > 0 else 0.0
    per_m = cpu / (at_sink / 1e6) if at_sink else float("inf")
    say(f"    {name:8s} sent {sent:>11,} samples in {secs:6.2f} s ({sent / secs if secs else 0:>11,.0f}/s"
        f"{'' if ok else ', NOT drained'}); sink got {at_sink:>11,} "
        f"({100 * at_sink / sent if sent else 0:5.1f} %, {conns} connection(s)) = {got:>11,.0f}/s; "
        f"proxy CPU {cpu:6.2f} s ({live:.2f} in threads still alive) = {per_m:6.3f} CPU-s per "
        f"million; buffer-full restarts {full}; load CPU {res['load_cpu']:.2f} s; link {link}")
    return {"rate": got, "per_m": per_m, "cpu": cpu, "sent": sent, "at_sink": at_sink,
            "secs": secs, "full": full, "in_rate": sent / secs if secs else 0,
            "delivered": at_sink / sent if sent else 0}


def bench_proxy(a, work, exes):
    charts, dims, kids = (int(x) for x in a.proxy_load.lower().split("x"))
    rates = [0 if x.strip() == "max" else int(float(x)) for x in a.proxy_rates.split(",")]
    say(f"== proxy throughput: synthetic children {charts} charts x {dims} dims x {kids} "
        f"child(ren) for {a.proxy_seconds:g} s at "
        f"{', '.join('max rate' if r == 0 else f'{r:,} samples/s' for r in rates)} -> proxy "
        f"(mode none, forwarding) -> sink (streamd, mode none); {a.runs} run(s) per proxy and "
        "rate, the proxies alternating; medians")
    sink = make_sink(exes, work, "proxy-sink")
    text = stream_conf(True, sink.port, proxy=True)
    sd = Streamd(exes, work, "proxy-streamd", text, free_port(), "none", "bench-sd-proxy",
                 ["--no-collectors"])
    nd = Netdata(work, "proxy-netdata", text, free_port(), "bench-nd-proxy")
    got = {(name, rt): [] for name in ("streamd", "netdata") for rt in rates}
    try:
        sd.start(parent=True)
        nd.start(parent=True)
        for r in range(a.runs):
            for rt in rates:
                say(f"  run {r + 1}, {'max rate' if rt == 0 else f'{rt:,} samples/s offered'}:")
                for name, px in (("streamd", sd), ("netdata", nd)):
                    got[(name, rt)].append(proxy_run(px, sink, name, charts, dims, kids,
                                                     a.proxy_seconds, rt))
                    time.sleep(1.0)
    finally:
        sd.stop()
        nd.stop()
        sink.stop()
    out = {}
    for (name, rt), v in got.items():
        m = {k: statistics.median(g[k] for g in v) for k in v[0]}
        m["full"] = sum(g["full"] for g in v)
        m["rates"] = [g["rate"] for g in v]
        out.setdefault(rt, {})[name] = m
    return out


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="sender,proxy")
    ap.add_argument("--runs", type=int, default=3, help="rounds (sender) and runs (proxy)")
    ap.add_argument("--window", type=float, default=30.0, help="CPU window, s")
    ap.add_argument("--warmup", type=float, default=20.0, help="from start to window, s")
    ap.add_argument("--charts", type=int, default=100)
    ap.add_argument("--dims", type=int, default=50)
    ap.add_argument("--proxy-load", default="100x10x1", help="CHARTSxDIMSxCHILDREN")
    ap.add_argument("--proxy-seconds", type=float, default=10.0)
    ap.add_argument("--proxy-rates", default="max,500000",
                    help="offered samples/s per proxy run, 'max' = as fast as it reads")
    ap.add_argument("--streamd", default=os.path.join(BENCH, "streamd"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--compression", action="store_true",
                    help="every agent and the sink with enable compression = yes (LZ4)")
    a = ap.parse_args()
    global COMPRESSION
    COMPRESSION = "yes" if a.compression else "no"
    exes = {"streamd": a.streamd, "streamc": os.path.join(BENCH, "streamc"),
            "loadplugin": os.path.join(BENCH, "loadplugin")}
    for path in exes.values():
        if not os.access(path, os.X_OK):
            print(f"bench_sender: {os.path.relpath(path, ROOT)} is not built "
                  "(ninja bench builds it)", file=sys.stderr)
            return 1
    if not os.access(ND_BIN, os.X_OK) or not os.path.exists(ND_SH):
        print(f"bench_sender: needs {ND_BIN} (tests/interop/netdata.sh install) and {ND_SH}",
              file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    work = tempfile.mkdtemp(prefix="bench_sender.", dir="/tmp")
    only = set(a.only.split(","))
    snd = prx = None
    status = 0
    nd_v = subprocess.run([ND_BIN, "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True).stdout.strip()
    say(f"bench_sender: {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; streamd {exes['streamd']}; {nd_v}; "
        f"enable compression = {COMPRESSION}")
    try:
        for part, fn in (("sender", bench_sender), ("proxy", bench_proxy)):
            if part not in only:
                continue
            try:
                r = fn(a, work, exes)
            except BenchError as e:
                say(f"bench_sender: {part}: {e}")
                status = 1
                continue
            if part == "sender":
                snd = r
            else:
                prx = r
    except KeyboardInterrupt:
        say("bench_sender: interrupted")
        status = 1
    finally:
        if a.keep:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    say("== summary (medians; 2-core shared machine, noisy)")
    result = []
    if snd:
        s, n = snd["streamd"], snd["netdata"]
        for nm, x in (("streamd", s), ("Netdata", n)):
            say(f"sender {nm:8s}: {x['metrics']:,} metrics/s streamed; agent CPU streaming on "
                f"{x['on']:.2f} ms/s, off {x['off']:.2f} ms/s -> sender {x['sender']:.2f} "
                f"CPU-ms/s (per round {', '.join(f'{d:.2f}' for d in x['diffs'])}) = "
                f"{x['per_k']:.3f} CPU-ms/s per 1,000 metrics/s; whole agent while streaming "
                f"{x['on_per_k']:.3f}; plugin {x['plugin']:.2f} CPU-ms/s (not counted); "
                f"utime+stime ticks: on {x['tick_on']:.1f}, off {x['tick_off']:.1f} ms/s")
        ratio = n["per_k"] / s["per_k"] if s["per_k"] > 0 else float("inf")
        say(f"sender CPU per 1,000 metrics/s: streamd {s['per_k']:.3f} ms/s, Netdata "
            f"{n['per_k']:.3f} ms/s: ratio Netdata/streamd {ratio:.2f}x "
            f"(whole agent while streaming: {n['on_per_k'] / s['on_per_k']:.2f}x)")
        result += [f"sender_streamd_ms_per_k={s['per_k']:.4f}",
                   f"sender_netdata_ms_per_k={n['per_k']:.4f}", f"sender_ratio={ratio:.2f}"]
    for rt, pr in (prx or {}).items():
        s, n = pr["streamd"], pr["netdata"]
        what = "max rate" if rt == 0 else f"{rt:,} samples/s offered"
        say(f"proxy, {what}: streamd {s['rate']:,.0f} samples/s at the sink (runs "
            f"{', '.join(f'{x:,.0f}' for x in s['rates'])}; {100 * s['delivered']:.1f} % "
            f"delivered, {s['full']} buffer-full restarts), {s['per_m']:.3f} CPU-s per million; "
            f"Netdata {n['rate']:,.0f} samples/s (runs {', '.join(f'{x:,.0f}' for x in n['rates'])}"
            f"; {100 * n['delivered']:.1f} %, {n['full']} restarts), {n['per_m']:.3f} CPU-s per "
            f"million; ratio {s['rate'] / n['rate'] if n['rate'] else float('inf'):.2f}x samples/s,"
            f" Netdata/streamd CPU per sample {n['per_m'] / s['per_m'] if s['per_m'] else 0:.2f}x")
        tag = "max" if rt == 0 else str(rt)
        result += [f"proxy_{tag}_streamd_rate={s['rate']:.0f}",
                   f"proxy_{tag}_netdata_rate={n['rate']:.0f}",
                   f"proxy_{tag}_streamd_cpu_s_per_m={s['per_m']:.4f}",
                   f"proxy_{tag}_netdata_cpu_s_per_m={n['per_m']:.4f}"]
    if result:
        say("RESULT " + " ".join(result))
    return status


if __name__ == "__main__":
    sys.exit(main())
