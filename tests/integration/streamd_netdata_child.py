#!/usr/bin/env python3
"""The real Netdata 1.37.1 child streams into streamd over loopback.

1. Compile a parent policy (one API key, RAM db), start streamd on a free port.
2. Start the real child (tests/interop/netdata.sh, /proc collector, its own API on a second
   port, stream compression ON as Netdata's default). streamd negotiates LZ4 compression (its
   [stream] enable compression is the default yes): the child's "established link" line must
   list COMPRESSION, and the data (decoded from LZ4 frames) must arrive as below.
3. streamd's /api/v1/info lists the child in mirrored_hosts (deadline 15 s); its
   /host/CHILD/api/v1/charts has >= 50 charts.
4. ~7 s later: /host/CHILD/api/v1/data?chart=system.cpu&after=-5&format=json from streamd
   against the child's own /api/v1/data?chart=system.cpu&after=-8&format=json: the same
   labels in the same order, and for every non-null streamd row a child row at most one
   collection step away (|dt| <= 1 s) whose values agree within the tolerance below.
5. Reconnect: stop the child; streamd must notice the EOF (mirrored_hosts_status reachable
   false); start the child again (compression off this time, the other offer a child makes):
   it must be accepted again without COMPRESSION and redefine its charts (>= 50 listed, a sample of its
   per-second charts gets rows newer than the reconnect, the child's log shows no broken or
   refused stream), and the new system.cpu rows must agree with the child's as in 4.

Tolerance. Both sides run the same arithmetic (percentage-of-incremental-row) on the same raw
counters; what differs is only the time each side gives a collection: the child stamps its
own collection time, streamd the time the END line arrived (a 1.37.1 child without
replication sends "BEGIN ... 0" for its first 60 collections, so the parent uses its own
clock). A value stored on the per-second grid is interpolated between the two collections
around it, so a timing offset of d seconds moves it by d x (the change between those
collections). With d <= 0.25 s (a delivery delay on loopback, generous for a busy 2-core
machine), a streamd value may differ from the child's by at most 0.25 x the local change
of that dimension (max - min over the child's rows t-1..t+1) plus 0.02 (printing/rounding;
Netdata prints 7 significant digits). The step tolerance allows the grid slot itself to be
one second off. The child's first two stored rows of a connection are not compared: the
parent's first slots after a (re)connection cover other intervals (a real Netdata parent
stores zeros, then sometimes the mean of two child intervals, there). Observed: the real
Netdata 1.37.1 parent (ND_PARENT=netdata, with and without replication) matches the child
exactly at time shift 0; streamd matches within 5e-6 at time shift 0.

ND_PARENT=netdata runs the same test against a real Netdata 1.37.1 parent instead of
streamd (to validate the test and its tolerance; not what tests/run.py does).
Environment: STREAMD, STREAMC, STREAMC_ROOT. Exit 0 = pass; netdata missing or streamd not
built = FAIL.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.environ.get("STREAMC_ROOT", os.getcwd())
STREAMC = os.environ.get("STREAMC", os.path.join(ROOT, "streamc"))
STREAMD = os.environ.get("STREAMD", os.path.join(ROOT, "streamd"))
NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
AGAINST = os.environ.get("ND_PARENT", "streamd")

KEY = "9e1f2a3b-4c5d-4e6f-8a7b-1c2d3e4f5a6b"
CHILD = "sdchild1"
CHILD_GUID = "9e1f2a3b-0000-4000-8000-0000000c0001"
PARENT_GUID = "9e1f2a3b-0000-4000-8000-0000000ba5e0"
CHART = "system.cpu"
MIN_CHARTS = 50
DT_FRACTION = 0.25      # see "Tolerance" above
EPSILON = 0.02

failures = []
checks = 0


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def check(ok, msg):
    global checks
    checks += 1
    if not ok:
        fail(msg)
    return ok


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def get_json(port, path, timeout=3):
    """(status, parsed JSON or None, raw text)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            body = r.read().decode("utf-8", "replace")
            status = r.status
    except urllib.error.HTTPError as e:
        return e.code, None, e.read().decode("utf-8", "replace")
    except (OSError, ValueError) as e:
        return None, None, str(e)
    try:
        return status, json.loads(body), body
    except ValueError:
        return status, None, body


def wait_for(what, fn, timeout):
    """Poll FN until it returns something true; its value, or None after TIMEOUT s."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            fail(f"timed out after {timeout} s waiting for {what}")
            return None
        time.sleep(0.2)


# ---- the parent under test --------------------------------------------------------------------


class StreamdParent:
    def __init__(self, tmp, port):
        self.port, self.dir = port, os.path.join(tmp, "streamd")
        conf = os.path.join(self.dir, "conf")
        os.makedirs(conf)
        os.makedirs(os.path.join(self.dir, "data"))
        with open(os.path.join(conf, "stream.conf"), "w") as f:
            f.write(f"[stream]\n    enabled = no\n\n[{KEY}]\n    enabled = yes\n"
                    "    default memory mode = ram\n    health enabled by default = no\n")
        with open(os.path.join(conf, "netdata.conf"), "w") as f:
            f.write(f"[global]\n    hostname = sd-parent\n[db]\n    mode = ram\n"
                    f"[web]\n    bind to = 127.0.0.1:{port}\n")
        with open(os.path.join(conf, "netdata.public.unique.id"), "w") as f:
            f.write(PARENT_GUID)
        policy = os.path.join(self.dir, "parent.policy")
        self.log = os.path.join(self.dir, "streamd.log")
        p = subprocess.run([STREAMC, "compile", conf, "-o", policy], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"streamc compile failed:\n{p.stdout}{p.stderr}")
        self.out = open(os.path.join(self.dir, "streamd.out"), "w")
        self.proc = subprocess.Popen([STREAMD, "--policy", policy, "--data-dir",
                                      os.path.join(self.dir, "data"), "--log", self.log],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamd exited with {self.proc.returncode} at start:\n"
                                   + open(self.out.name).read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"streamd did not listen on 127.0.0.1:{port} in 10 s")
                time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            return open(self.log, errors="replace").read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                return None
        return self.proc.returncode


class NetdataParent:
    def __init__(self, tmp, port):
        self.port, self.dir = port, os.path.join(tmp, "ndparent")
        env = dict(os.environ, ND_HOSTNAME="nd-parent", ND_GUID=PARENT_GUID)
        p = subprocess.run(["bash", NETDATA_SH, "start-parent", self.dir, str(port), KEY],
                           env=env, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"netdata.sh start-parent failed:\n{p.stderr[-2000:]}")
        self.log = os.path.join(self.dir, "log", "error.log")

    def alive(self):
        return True

    def log_text(self):
        try:
            return open(self.log, errors="replace").read()
        except OSError:
            return ""

    def stop(self):
        subprocess.run(["bash", NETDATA_SH, "stop", self.dir], capture_output=True, timeout=60)
        return 0


# ---- the child ------------------------------------------------------------------------------


def start_child(cdir, port, wport, compression):
    env = dict(os.environ, ND_COMPRESSION=compression, ND_TIMEOUT="20")
    t = time.time()
    p = subprocess.run(["bash", NETDATA_SH, "start-child", cdir, f"127.0.0.1:{port}", KEY,
                        CHILD, CHILD_GUID, str(wport)], env=env, capture_output=True, text=True,
                       timeout=90)
    if p.returncode != 0:
        fail(f"the child (compression {compression}) did not connect: netdata.sh start-child "
             f"exit {p.returncode}\n{p.stderr[-2500:]}")
        return None
    caps = re.findall(r"established link with negotiated capabilities: (.*)",
                      open(os.path.join(cdir, "log", "error.log"), errors="replace").read())
    print(f"child connected in {time.time() - t:.1f}s (compression {compression}), "
          f"capabilities: {caps[-1] if caps else '?'}", flush=True)
    return caps[-1] if caps else ""


def stop_child(cdir):
    subprocess.run(["bash", NETDATA_SH, "stop", cdir], capture_output=True, timeout=60)


def child_disconnects(cdir):
    """Lines of the child's log about its stream breaking."""
    try:
        text = open(os.path.join(cdir, "log", "error.log"), errors="replace").read()
    except OSError:
        return []
    return [ln for ln in text.splitlines()
            if re.search(r"STREAM .*(connection closed by far end|failed to send metrics|"
                         r"remote node response is not understood|rejected|denied access|"
                         r"disconnected)", ln)]


# ---- the comparison -----------------------------------------------------------------------------


def rows_of(doc):
    """{timestamp: [values...]} of a Netdata json data reply, rows with a null dropped."""
    out = {}
    for row in doc.get("data", []):
        if row and all(v is not None for v in row[1:]):
            out[int(row[0])] = [float(v) for v in row[1:]]
    return out


def compare(parent_doc, child_doc, since=0, label=""):
    """Step 4's rule; the number of streamd rows compared."""
    pl, cl = parent_doc.get("labels"), child_doc.get("labels")
    if not check(pl == cl, f"{label}: labels differ: parent {pl}, child {cl}"):
        return 0
    prow, crow = rows_of(parent_doc), rows_of(child_doc)
    if not check(crow, f"{label}: the child returned no {CHART} rows: {child_doc}"):
        return 0
    # the child's first two stored rows are a seam: the parent's first slots after a
    # (re)connection span different intervals (a real Netdata parent stores zeros in the first
    # and sometimes the mean of two child intervals in the second); not compared
    since = max(since, min(crow) + 2)
    n = 0
    stats = []          # (parent t - matching child t, largest |difference| of the row)
    for t in sorted(prow):
        if t < since:
            continue
        n += 1
        pv = prow[t]
        best = None
        for ct in (t, t - 1, t + 1):
            if ct not in crow:
                continue
            worst = 0.0
            for i, v in enumerate(pv):
                near = [crow[x][i] for x in (ct - 1, ct, ct + 1) if x in crow]
                tol = EPSILON + DT_FRACTION * (max(near) - min(near))
                worst = max(worst, abs(v - crow[ct][i]) - tol)
            if worst <= 0:
                best = ct
                stats.append((t - ct, max(abs(v - crow[ct][i]) for i, v in enumerate(pv))))
                break
        if best is None:
            near = {x: crow[x] for x in (t - 1, t, t + 1) if x in crow}
            fail(f"{label}: parent row {t} {dict(zip(pl[1:], pv))} has no child row within "
                 f"1 s that agrees (child rows {near})")
    if stats:
        print(f"{label}: matched with time shifts {sorted(set(d for d, _ in stats))}, largest "
              f"|difference| {max(x for _, x in stats):.7g}", flush=True)
    return n


def fetch_pair(parent, wport, after_parent, after_child):
    path = f"/api/v1/data?chart={CHART}&after={after_parent}&format=json"
    ps, pdoc, ptext = get_json(parent.port, f"/host/{CHILD}" + path)
    cs, cdoc, ctext = get_json(wport, f"/api/v1/data?chart={CHART}&after={after_child}"
                                      "&format=json")
    check(ps == 200 and pdoc is not None,
          f"parent GET /host/{CHILD}{path}: status {ps}, body {ptext[:300]!r}")
    check(cs == 200 and cdoc is not None, f"child data: status {cs}, body {ctext[:300]!r}")
    return pdoc, cdoc


def mirrored(parent, reachable=None):
    s, doc, _ = get_json(parent.port, "/api/v1/info")
    if s != 200 or not doc or CHILD not in doc.get("mirrored_hosts", []):
        return None
    if reachable is None:
        return doc
    for h in doc.get("mirrored_hosts_status", []):
        if h.get("hostname") == CHILD and h.get("reachable") == reachable:
            return doc
    return None


def chart_count(parent):
    s, doc, _ = get_json(parent.port, f"/host/{CHILD}/api/v1/charts")
    if s != 200 or not doc or not isinstance(doc.get("charts"), dict):
        return 0
    return len(doc["charts"])


def fresh_after(parent, t0, sample=10):
    """The child's charts were defined again after the reconnect: a sample of its per-second
    charts (every 7th by id) each has a stored row newer than T0."""
    s, doc, _ = get_json(parent.port, f"/host/{CHILD}/api/v1/charts")
    charts = (doc or {}).get("charts") or {}
    ids = sorted(c for c, v in charts.items() if isinstance(v, dict) and v.get("update_every") == 1)
    ids = ids[::7][:sample]
    check(len(ids) >= 5, f"only {len(ids)} per-second charts of {CHILD} listed by the parent")
    stale = []
    for c in ids:
        s, d, _ = get_json(parent.port, f"/host/{CHILD}/api/v1/data?chart={c}&after=-4&format=json")
        rows = [r for r in (d or {}).get("data", []) if r and int(r[0]) > t0 and
                any(v is not None for v in r[1:])]
        if s != 200 or not rows:
            stale.append(c)
    check(not stale, f"after the reconnect these charts got no new rows: {stale}")


def rows_after(parent, t0, n):
    """At least N non-null parent rows stamped after T0."""
    s, doc, _ = get_json(parent.port, f"/host/{CHILD}/api/v1/data?chart={CHART}&after=-15"
                                      "&format=json")
    if s != 200 or not doc:
        return None
    return doc if len([t for t in rows_of(doc) if t > t0]) >= n else None


def run(tmp):
    pport, wport = free_ports(2)
    cdir = os.path.join(tmp, "child")
    try:
        parent = (NetdataParent if AGAINST == "netdata" else StreamdParent)(tmp, pport)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        fail(f"the parent ({AGAINST}) did not start: {e}")
        return None
    try:
        # ---- first connection: the child offers compression (Netdata's default)
        caps = start_child(cdir, pport, wport, "yes")
        if caps is None:
            return parent
        check("COMPRESSION" in caps.split(),
              f"the parent did not negotiate compression with the child: '{caps}'")
        if not wait_for(f"/api/v1/info to list '{CHILD}' in mirrored_hosts",
                        lambda: mirrored(parent, True), 15):
            return parent
        t_conn = time.time()
        n = wait_for(f">= {MIN_CHARTS} charts of {CHILD} in /host/{CHILD}/api/v1/charts",
                     lambda: chart_count(parent) >= MIN_CHARTS and chart_count(parent), 10)
        print(f"charts of {CHILD} at the parent: {n}", flush=True)
        time.sleep(max(0.0, t_conn + 7 - time.time()))
        pdoc, cdoc = fetch_pair(parent, wport, -5, -8)
        if pdoc and cdoc:
            k = compare(pdoc, cdoc, label="first connection")
            check(k >= 3, f"first connection: only {k} non-null {CHART} rows at the parent "
                          f"after 7 s (want >= 3): {pdoc.get('data')}")
            print(f"first connection: {k} rows compared", flush=True)
        check(not child_disconnects(cdir),
              f"the child's stream broke: {child_disconnects(cdir)[:3]}")

        # ---- reconnect: the old receiver must see EOF, the new connection must be accepted
        stop_child(cdir)
        wait_for(f"the parent to mark {CHILD} unreachable after the child stopped",
                 lambda: mirrored(parent, False), 10)
        t_re = time.time()
        caps = start_child(cdir, pport, wport, "no")
        if caps is None:
            return parent
        check("COMPRESSION" not in caps.split(),
              f"compression negotiated although the child turned it off: '{caps}'")
        wait_for(f"{CHILD} reachable again", lambda: mirrored(parent, True), 10)
        pdoc = wait_for(f"3 new {CHART} rows after the reconnect",
                        lambda: rows_after(parent, t_re + 1, 5), 12)
        n = chart_count(parent)
        check(n >= MIN_CHARTS, f"after the reconnect the parent has {n} charts of {CHILD}")
        fresh_after(parent, t_re + 1)
        if pdoc:
            pdoc, cdoc = fetch_pair(parent, wport, -5, -8)
            if pdoc and cdoc:
                k = compare(pdoc, cdoc, since=int(t_re), label="after the reconnect")
                check(k >= 2, f"after the reconnect: only {k} {CHART} rows to compare")
                print(f"after the reconnect: {k} rows compared", flush=True)
        check(not child_disconnects(cdir),
              f"the child's stream broke after the reconnect: {child_disconnects(cdir)[:3]}")
        check(parent.alive(), "the parent died")
        return parent
    finally:
        stop_child(cdir)


def main():
    # a SIGTERM (a runner's timeout) still runs the finally blocks that stop the processes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated by SIGTERM"))
    if not os.path.exists("/usr/sbin/netdata"):
        print("FAIL: /usr/sbin/netdata is missing: run ./configure.py --deps")
        return 1
    if AGAINST == "streamd":
        if not (os.path.isfile(STREAMD) and os.access(STREAMD, os.X_OK)):
            print(f"FAIL: STREAMD='{STREAMD}' is not an executable streamd (build it with ninja)")
            return 1
        if not os.access(STREAMC, os.X_OK):
            print(f"FAIL: STREAMC='{STREAMC}' is not executable (build it with ninja)")
            return 1
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="streamd_child.") as tmp:
        parent = None
        try:
            parent = run(tmp)
        finally:
            if parent:
                rc = parent.stop()
                check(rc == 0, f"SIGTERM should end the parent with status 0, got {rc}")
                if failures:
                    print(f"--- {parent.log} (last 40 lines)")
                    print("".join(parent.log_text().splitlines(True)[-40:]))
    print(f"streamd_netdata_child ({AGAINST}): {checks} checks, {len(failures)} failed, "
          f"{time.time() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
