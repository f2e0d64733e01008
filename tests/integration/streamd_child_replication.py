#!/usr/bin/env python3
"""streamd as a child fills its parent's gap by replication (stream-protocol §3.7), loopback.

A streamd child (memory mode ram, its own collectors) streams into a parent that keeps its data
across a restart. The parent is stopped for OUTAGE seconds and started again; the child
reconnects, and the parent asks it for what it missed (REPLAY_CHART after the child's
CHART_DEFINITION_END). Then every row of system.cpu the child's own API has for the last 60 s
(before the restart, during the outage and after it) must be at the parent with the same values
(7 significant digits: relative or absolute 1e-6), and at least OUTAGE - 3 of them must be
from the outage. (The child's very first row is the one exception, see run_phase.) Parents:
  1. the real Netdata 1.37.1 (tests/interop/netdata.sh) with `default memory mode = dbengine`;
  2. streamd with `default memory mode = dbengine` and a data directory;
  3. the real parent again, fed by a streamd proxy (memory mode ram) that relays a real Netdata
     child: the outage is filled from the proxy's storage.
The link must negotiate REPLICATION, and the child's log must show no unknown parent command.
Then a scripted parent: collections held back until a chart's replication ends, a "0 0" request
answered with the collection state, bad requests logged and ignored, a flood answered with the
child's memory bounded.
Exit 0 when every check passed. Environment: STREAMC, STREAMD, KEEP_TMP=1.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (ROOT, Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries, poll, remove_tmp)

NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
KEY = "5e1d0000-0000-4000-8000-0000000000a1"
G_PARENT = "5e1d0000-0000-4000-8000-0000000000b1"
G_CHILD = "5e1d0000-0000-4000-8000-0000000000c1"
CHILD = "sd-repl-kid"
K_KIDS = "5e1d0000-0000-4000-8000-0000000000a2"
G_PROXY = "5e1d0000-0000-4000-8000-0000000000d1"
G_KID = "5e1d0000-0000-4000-8000-0000000000e1"
KID = "nd-repl-kid"
OUTAGE = 8
check = Checks()


def rows(get, prefix, after=-60):
    try:
        j = get(f"{prefix}/api/v1/data?chart=system.cpu&dimensions=user,system&after={after}"
                f"&format=json")
    except (OSError, ValueError):
        return {}
    return {r[0]: r[1:] for r in (j or {}).get("data", []) if r[1] is not None}


def same(a, b):
    return all(abs(x - y) <= max(1e-6, 1e-6 * abs(x)) for x, y in zip(a, b))


class NetdataParent:
    """The real 1.37.1 parent on PORT, keeping KEY's hosts in dbengine."""

    def __init__(self, tmp, port):
        self.port, self.dir = port, os.path.join(tmp, "ndparent")
        os.makedirs(os.path.join(self.dir, "etc"), exist_ok=True)
        with open(os.path.join(self.dir, "etc", "stream.conf"), "w") as f:
            f.write(f"[stream]\n    enabled = no\n[{KEY}]\n    enabled = yes\n"
                    f"    default memory mode = dbengine\n")
        self.srv = Streamd("", port, "")            # only for get()/json()

    def start(self):
        env = dict(os.environ, ND_HOSTNAME="nd-parent", ND_GUID=G_PARENT)
        p = subprocess.run(["bash", NETDATA_SH, "start-parent", self.dir, str(self.port)],
                           env=env, capture_output=True, text=True, timeout=90)
        self.err = p.stderr[-2000:]
        return p.returncode == 0

    def stop(self):
        p = subprocess.run(["bash", NETDATA_SH, "stop", self.dir], capture_output=True,
                           timeout=60)
        return p.returncode

    def json(self, path):
        return self.srv.json(path)


class StreamdParent:
    """A streamd parent on PORT keeping KEY's hosts in dbengine under DATA."""

    def __init__(self, tmp, port):
        net = (f"[global]\n    hostname = sd-parent\n[db]\n    mode = ram\n"
               f"[web]\n    bind to = 127.0.0.1:{port}\n")
        st = (f"[stream]\n    enabled = no\n[{KEY}]\n    enabled = yes\n    allow from = *\n"
              f"    default memory mode = dbengine\n")
        pol, c = compile_policy(tmp, "sdparent", net, st, G_PARENT)
        check(c.returncode == 0, "compile the streamd parent", c.stderr)
        data = os.path.join(tmp, "sdparent-data")
        os.makedirs(data, exist_ok=True)
        self.srv = Streamd(pol, port, os.path.join(tmp, "sdparent.log"), data_dir=data,
                           extra=["--no-collectors"])
        self.err = ""

    def start(self):
        ok = self.srv.start()
        self.err = "" if ok else self.srv.logtext()[-1500:]
        return ok

    def stop(self):
        return self.srv.stop()

    def json(self, path):
        return self.srv.json(path)


def restart_parent(tag, parent, prefix, sender):
    """Stop PARENT for OUTAGE seconds and start it again; wait until SENDER (the streamd that
    streams PREFIX's host into it) is back. Returns the (down, up) wall-clock times."""
    rc = parent.stop()
    check(rc == 0, f"{tag}: the parent stops cleanly (exit {rc})")
    down = time.time()
    time.sleep(OUTAGE)
    up = time.time()
    check(parent.start(), f"{tag}: the parent starts again", parent.err)
    back = poll(lambda: any(t >= int(up) + 2 for t in rows(parent.json, prefix)), 45)
    check(back, f"{tag}: the host streams into the restarted parent", sender.logtext()[-1500:])
    time.sleep(2)
    return down, up


def run_phase(tmp, tag, parent, pport):
    cport = free_port()
    net = (f"[global]\n    hostname = {CHILD}\n[db]\n    mode = ram\n"
           f"[web]\n    bind to = 127.0.0.1:{cport}\n")
    st = (f"[stream]\n    enabled = yes\n    destination = 127.0.0.1:{pport}\n"
          f"    api key = {KEY}\n    timeout seconds = 10\n    reconnect delay seconds = 1\n")
    pol, c = compile_policy(tmp, "kid-" + tag, net, st, G_CHILD)
    check(c.returncode == 0, f"{tag}: compile the streamd child", c.stderr)
    child = Streamd(pol, cport, os.path.join(tmp, f"kid-{tag}.log"))
    prefix = f"/host/{CHILD}"
    try:
        if not check(parent.start(), f"{tag}: the parent starts", parent.err):
            return
        check(child.start(), f"{tag}: the streamd child starts")
        check(poll(lambda: len(rows(parent.json, prefix)) >= 5, 30),
              f"{tag}: the parent has the child's system.cpu", child.logtext()[-1500:])
        caps = re.findall(r"\[send to [^]]*\]: established link with negotiated capabilities: "
                          r"(.*)", child.logtext())
        check(caps and "REPLICATION" in caps[-1].split(),
              f"{tag}: the link negotiated REPLICATION", caps)
        down, up = restart_parent(tag, parent, prefix, child)
        mine, theirs = rows(child.json, ""), rows(parent.json, prefix)
        outage = [t for t in mine if down + 1 < t < up - 1]
        # A chart that appears while the child is connected starts with "0 0" (nothing to
        # replicate), and a parent stores a dimension from its second collection on (1.37.1's
        # rule): the child's first row can only be at the parent when the child connected
        # after it was stored. Every other row must be there.
        first = min(mine) if mine else 0
        missing = [t for t in mine if t != first and
                   (t not in theirs or not same(mine[t], theirs[t]))]
        check(mine and not missing and len(outage) >= OUTAGE - 3,
              f"{tag}: every one of the child's {len(mine)} rows of the last 60 s is at the "
              f"parent with the same values ({len(outage)} from the outage)",
              [(t, mine[t], theirs.get(t)) for t in missing[:5]])
        snd = ((child.json("/api/v1/info") or {}).get("streamd") or {}).get("sender") or {}
        check(snd.get("replication_answers", 0) >= 2 and
              snd.get("replication_points", 0) >= OUTAGE - 3,
              f"{tag}: the child's /api/v1/info counts its answers and the points they carried",
              {k: snd.get(k) for k in ("replication_answers", "replication_points")})
        log = child.logtext()
        check("unknown command" not in log and "cannot find chart" not in log
              and "incomplete" not in log,
              f"{tag}: the child understood every command of the parent",
              [l for l in log.splitlines() if "command" in l][:5])
    finally:
        rc = child.stop()
        check(rc in (0, None), f"{tag}: the child stops cleanly (exit {rc})")
        parent.stop()


def run_proxy_phase(tmp):
    """A real Netdata child -> streamd proxy (memory mode ram for the child) -> the real parent:
    the parent's outage is filled from the proxy's storage."""
    tag = "through a proxy"
    pport, xport, wport = free_port(), free_port(), free_port()
    parent = NetdataParent(tmp, pport)
    net = (f"[global]\n    hostname = sd-proxy\n[db]\n    mode = ram\n"
           f"[web]\n    bind to = 127.0.0.1:{xport}\n")
    st = (f"[stream]\n    enabled = no\n    destination = 127.0.0.1:{pport}\n"
          f"    api key = {KEY}\n    timeout seconds = 10\n    reconnect delay seconds = 1\n"
          f"[{K_KIDS}]\n    enabled = yes\n    allow from = *\n"
          f"    default memory mode = ram\n    default proxy enabled = yes\n")
    pol, c = compile_policy(tmp, "sdproxy", net, st, G_PROXY)
    check(c.returncode == 0, f"{tag}: compile the streamd proxy", c.stderr)
    proxy = Streamd(pol, xport, os.path.join(tmp, "sdproxy.log"), extra=["--no-collectors"])
    kid = os.path.join(tmp, "ndkid")
    prefix = f"/host/{KID}"
    try:
        if not check(parent.start(), f"{tag}: the parent starts", parent.err):
            return
        check(proxy.start(), f"{tag}: the streamd proxy starts")
        p = subprocess.run(["bash", NETDATA_SH, "start-child", kid, f"127.0.0.1:{xport}", K_KIDS,
                            KID, G_KID, str(wport)], capture_output=True, text=True, timeout=90)
        if not check(p.returncode == 0, f"{tag}: the real child streams into the proxy",
                     p.stderr[-1500:]):
            return
        kid_get = Streamd("", wport, "").json
        check(poll(lambda: len(rows(parent.json, prefix)) >= 5, 40),
              f"{tag}: the parent has the child's system.cpu", proxy.logtext()[-1500:])
        down, up = restart_parent(tag, parent, prefix, proxy)
        mine, theirs = rows(kid_get, ""), rows(parent.json, prefix)
        outage = [t for t in mine if down + 1 < t < up - 1]
        # rows older than the proxy's first stored one cannot be answered by the proxy
        start = min(theirs) if theirs else 0
        missing = [t for t in mine if t > start and
                   (t not in theirs or not same(mine[t], theirs[t]))]
        check(mine and not missing and len(outage) >= OUTAGE - 3,
              f"{tag}: every one of the child's {len(mine)} rows since the parent's first is "
              f"there with the same values ({len(outage)} from the outage)",
              [(t, mine[t], theirs.get(t)) for t in missing[:5]])
    finally:
        subprocess.run(["bash", NETDATA_SH, "stop", kid], capture_output=True, timeout=60)
        rc = proxy.stop()
        check(rc in (0, None), f"{tag}: the proxy stops cleanly (exit {rc})")
        parent.stop()


def run_fake_parent_phase(tmp):
    """A scripted parent that negotiates REPLICATION (version=4160) and then sends what a
    hostile or broken parent could: the child holds a chart's collections back until its
    replication ends, answers, logs and ignores the bad commands, and stays bounded under a
    flood of requests."""
    tag = "scripted parent"
    fport, cport = free_port(), free_port()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", fport))
    lsock.listen(4)
    lsock.settimeout(20)
    net = (f"[global]\n    hostname = {CHILD}\n[db]\n    mode = ram\n"
           f"[web]\n    bind to = 127.0.0.1:{cport}\n")
    st = (f"[stream]\n    enabled = yes\n    destination = 127.0.0.1:{fport}\n"
          f"    api key = {KEY}\n    timeout seconds = 30\n    enable compression = no\n")
    pol, c = compile_policy(tmp, "kid-fake", net, st, G_CHILD)
    check(c.returncode == 0, f"{tag}: compile the streamd child", c.stderr)
    child = Streamd(pol, cport, os.path.join(tmp, "kid-fake.log"))
    got = bytearray()
    conn = None

    def pump(seconds):
        end = time.time() + seconds
        while time.time() < end:
            try:
                d = conn.recv(1 << 20)
            except socket.timeout:
                continue
            if not d:
                return
            got.extend(d)

    try:
        check(child.start(), f"{tag}: the streamd child starts")
        conn, _ = lsock.accept()
        conn.settimeout(0.2)
        req = b""
        while b"\r\n\r\n" not in req:
            req += conn.recv(4096)
        check(b"&ver=4800&" in req, f"{tag}: the child offers REPLICATION (ver=4800 without "
              f"compression)", req[:200])
        conn.sendall(b"Hit me baby, push them over with the version=4160")
        pump(3)
        text = got.decode(errors="replace")
        check(re.search(r'CHART_DEFINITION_END \d+ \d+ \d+\n', text) is not None,
              f"{tag}: definitions end with CHART_DEFINITION_END")
        check('BEGIN "system.cpu"' not in text,
              f"{tag}: no collection of a chart before its replication ended")
        conn.sendall(b'REPLAY_CHART "system.cpu" "true" 0 0\n'
                     b'REPLAY_CHART "system.uptime"\n'
                     b'REPLAY_CHART "no.such" "true" 1 2\n'
                     b'FUNCTION tx1 10 "processes"\n')
        pump(3)
        text = got.decode(errors="replace")
        i = text.find('RBEGIN "system.cpu"\n')
        j = text.find("REND ", i)
        k = text.find('BEGIN "system.cpu"', j)
        check(i >= 0 and j > i and " true 0 0 " in text[j:j + 80] and k > j,
              f"{tag}: RBEGIN/RDSTATE/RSSTATE/REND true answer '0 0', then system.cpu streams",
              text[i:i + 300])
        check(text.count('BEGIN "system.uptime"') == text.count('RBEGIN "system.uptime"') == 0,
              f"{tag}: an incomplete request starts nothing (system.uptime still held back)")
        log = child.logtext()
        check("REPLAY_CHART command is incomplete (chart=system.uptime, start_streaming=(unset)"
              in log and "cannot find chart 'no.such' to replicate" in log
              and "received unknown command over connection: FUNCTION" in log,
              f"{tag}: the incomplete request, the unknown chart and FUNCTION are logged",
              log[-1200:])
        # a flood: 20,000 requests for one chart, the whole range each time
        flood = b'REPLAY_CHART "system.load" "false" 1 4000000000\n' * 20000
        conn.sendall(flood)
        pump(4)
        rss = child.rss_kb()
        text = got.decode(errors="replace")
        check(text.count('RBEGIN "system.load"\n') >= 1 and rss < 64 * 1024,
              f"{tag}: a flood of 20,000 requests is answered and memory stays bounded "
              f"({rss} KiB)")
        n0 = text.count('BEGIN "system.cpu"')
        pump(3)
        check(got.decode(errors="replace").count('BEGIN "system.cpu"') > n0,
              f"{tag}: the stream goes on over the same connection")
    finally:
        rc = child.stop()
        check(rc in (0, None), f"{tag}: the child stops cleanly (exit {rc})")
        if conn:
            conn.close()
        lsock.close()


def main():
    why = need_binaries(netdata=True)
    if why:
        print("FAIL " + why)
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-kidrepl-")
    try:
        port = free_port()
        run_phase(tmp, "netdata parent", NetdataParent(tmp, port), port)
        port = free_port()
        run_phase(tmp, "streamd parent", StreamdParent(tmp, port), port)
        run_proxy_phase(tmp)
        run_fake_parent_phase(tmp)
    finally:
        remove_tmp(tmp)
    return check.done("streamd_child_replication")


if __name__ == "__main__":
    sys.exit(main())
