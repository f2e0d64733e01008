#!/usr/bin/env python3
"""streamd as a child (issue 6), against streamd parents and scripted fake parents, loopback only.

  1. streamd child -> streamd parent: the child's own charts arrive, `send charts matching`
     decides which (by id or name), hops = 1, the values are the child's.
  2. failover and rotation: destination "A B" with A down -> B receives; A comes back; B is
     killed -> the child moves to A at once (the entry that connected went to the end).
  3. parent killed (SIGKILL) and restarted on the same port: the child reconnects and data
     resumes within `reconnect delay seconds` + one update (+ slack for a loaded machine), with
     every chart defined again (the restarted parent knew nothing).
  4. handshake refusals from a scripted parent: each 1.37.1 reply and silence -> the child's
     exact log line, the entry postponed for 1.37.1's time (3600/120/60/60/30 s), a reconnect
     delay after each failed attempt.
  5. the bytes on the wire (a recording parent): definitions before data, no labels when the
     parent did not echo HLABELS, `initial clock resync iterations`, the idle guard; unix: and
     [::1]%lo destinations.
  6. streamd -> streamd relay (memory mode none) -> streamd parents: the key section's and a
     machine section's proxy destination / api key / send charts matching.
  7. a stalled parent (accepts, prompts, never reads): `buffer size bytes` fills, the child
     logs 1.37.1's "buffer full ... Restarting connection", reconnects, and its RSS stays bounded.

Exit 0 when every check passed. Environment: STREAMC, STREAMD (binaries, default ./streamc and
./streamd), KEEP_TMP=1 keeps the temporary directory.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries, poll, remove_tmp, stream_request)

KEY = "11111111-2222-4333-8444-555555555555"
CHILD_GUID = "c0c0c0c0-0000-4000-8000-00000000c001"
PARENT_GUIDS = ["a0a0a0a0-0000-4000-8000-00000000a001", "a0a0a0a0-0000-4000-8000-00000000a002"]
check = Checks()


def parent_conf(port):
    return (f"[global]\n    hostname = parent-{port}\n[db]\n    mode = ram\n"
            f"[web]\n    bind to = 127.0.0.1:{port}\n")


PARENT_STREAM = f"[stream]\n    enabled = no\n[{KEY}]\n    enabled = yes\n"


def child_confs(port, dests, extra=""):
    net = (f"[global]\n    hostname = kid\n[db]\n    mode = ram\n"
           f"[web]\n    bind to = 127.0.0.1:{port}\n")
    st = (f"[stream]\n    enabled = yes\n    destination = {dests}\n    api key = {KEY}\n"
          f"    timeout seconds = 3\n    reconnect delay seconds = 1\n{extra}")
    return net, st


def stop_ok(p, what):
    """Stop P and check it exits 0 (under ASan a leak or an error makes it non-zero)."""
    rc = p.stop()
    check(rc == 0, f"{what} stops cleanly (exit {rc})")



def child_charts(parent):
    j = parent.json("/host/kid/api/v1/charts")
    return sorted(j["charts"]) if j and j.get("charts") else []


def last_cpu_point(parent):
    j = parent.json("/host/kid/api/v1/data?chart=system.cpu&points=1&after=-3&format=json")
    return j["data"][0][0] if j and j.get("data") and j["data"][0][1] is not None else None


def start_parent(tmp, name, port, guid):
    pol, c = compile_policy(tmp, name, parent_conf(port), PARENT_STREAM, guid)
    check(c.returncode == 0, f"compile {name}", c.stderr)
    p = Streamd(pol, port, os.path.join(tmp, name + ".log"), extra=["--no-collectors"])
    check(p.start(), f"{name} starts on {port}")
    return p


def test_basic_and_matching(tmp):
    pport, cport = free_port(), free_port()
    parent = start_parent(tmp, "p1", pport, PARENT_GUIDS[0])
    net, st = child_confs(cport, f"127.0.0.1:{pport}",
                          "    send charts matching = !system.io system.* mem.available "
                          "streamc_test.*\n")
    pol, c = compile_policy(tmp, "c1", net, st, CHILD_GUID)
    check(c.returncode == 0, "compile child c1", c.stderr)
    plugins = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")
    child = Streamd(pol, cport, os.path.join(tmp, "c1.log"), extra=["--plugins-dir", plugins])
    try:
        check(child.start(), "child c1 starts")
        got = poll(lambda: "system.cpu" in child_charts(parent) and last_cpu_point(parent), 15)
        check(got, "the parent receives the child's system.cpu with data",
              child.logtext()[-2000:])
        charts = child_charts(parent)
        check(charts and all(c.startswith(("system.", "streamc_test.")) or c == "mem.available"
                             for c in charts),
              "send charts matching: only system.*, streamc_test.* and mem.available are sent",
              charts)
        def gauge(srv, prefix):
            j = srv.json(prefix + "/api/v1/data?chart=streamc_test.ticks&dimensions=gauge"
                         "&after=-4&format=json")
            return [r[1] for r in (j or {}).get("data", []) if r[1] is not None]
        got = poll(lambda: len(gauge(parent, "/host/kid")) >= 2, 8)
        a, b = gauge(child, ""), gauge(parent, "/host/kid")
        check(got and set(b) <= set(a) | {x + 10 for x in a} | {x - 10 for x in a},
              "a plugins.d plugin's chart reaches the parent with the child's values", (a, b))
        check("system.io" not in charts, "send charts matching: !system.io is not sent", charts)
        own = child.json("/api/v1/charts")
        check(own and "cpu.cpu0" in own["charts"] and "cpu.cpu0" not in charts,
              "the child has cpu.cpu0 itself, the parent does not get it")
        info = parent.json("/api/v1/info")
        st_ = [h for h in (info or {}).get("mirrored_hosts_status", []) if h["hostname"] == "kid"]
        check(st_ and st_[0]["hops"] == 1 and st_[0]["guid"] == CHILD_GUID,
              "the parent lists the child with hops 1 and its GUID", st_)
        def sender_info():
            return ((child.json("/api/v1/info") or {}).get("streamd") or {}).get("sender") or {}
        snd = poll(lambda: sender_info().get("bytes_sent"), 5) and sender_info()
        snd = snd or {}
        check(snd.get("connected") is True and snd.get("destination") == f"127.0.0.1:{pport}"
              and snd.get("connections") == 1 and snd.get("bytes_sent", 0) > 0 and
              snd.get("buffer_max") == 10485760,
              "the child's /api/v1/info shows its sender (connected, destination, counters)", snd)
        pk = (parent.json("/host/kid/api/v1/info") or {}).get("streamd") or {}
        check("sender" in pk and pk["sender"] is None, "the parent does not forward kid: null")
        cl = child.logtext()
        check("established link with negotiated capabilities: VCAPS HLABELS CLABELS "
              "COMPRESSION" in cl and "enabling metrics streaming..." in cl,
              "the child logs the established link, LZ4-compressed (both sides' default)")
        check(snd.get("compression") is True and
              0 < snd.get("lz4_frame_bytes", 0) < snd.get("lz4_plain_bytes", 0),
              "the child's sender info shows LZ4 frames smaller than the text they carry", snd)
        # the same numbers on both sides: system.uptime is absolute, seconds
        def newest(srv, prefix):
            j = srv.json(prefix + "/api/v1/data?chart=system.uptime&after=-6&format=json")
            vals = [row[1] for row in (j or {}).get("data", []) if row[1] is not None]
            return vals[0] if vals else None
        a, b = newest(child, ""), newest(parent, "/host/kid")
        ok = a is not None and b is not None and abs(a - b) <= 2
        check(ok, "system.uptime on the parent equals the child's (within 2 s)", (a, b))
    finally:
        stop_ok(child, "the child")
        stop_ok(parent, "the parent")


def test_compression(tmp):
    """Heavy traffic through LZ4 (~1 MB/s of text: the rings of both sides wrap many times),
    then each side turning compression off on its own."""
    pport, cport = free_port(), free_port()
    plugins = os.path.join(tmp, "heavy-lz4")
    write_heavy_plugin(plugins)
    parent = start_parent(tmp, "pz", pport, PARENT_GUIDS[0])
    net, st = child_confs(cport, f"127.0.0.1:{pport}")
    pol, c = compile_policy(tmp, "cz", net, st, CHILD_GUID)
    check(c.returncode == 0, "compile child cz", c.stderr)
    child = Streamd(pol, cport, os.path.join(tmp, "cz.log"), extra=["--plugins-dir", plugins])
    try:
        check(child.start(), "child cz starts")
        def sender_info():
            return ((child.json("/api/v1/info") or {}).get("streamd") or {}).get("sender") or {}
        got = poll(lambda: sender_info().get("lz4_plain_bytes", 0) > 4000000, 30)
        snd = sender_info()
        check(got and snd.get("compression") is True and snd.get("connections") == 1,
              "4 MB of text went out in LZ4 frames on one connection", snd)
        ratio = snd.get("lz4_plain_bytes", 0) / max(snd.get("lz4_frame_bytes", 1), 1)
        print(f"     LZ4: {snd.get('lz4_plain_bytes')} bytes of text in "
              f"{snd.get('lz4_frame_bytes')} bytes of frames ({ratio:.1f}x)", flush=True)
        check(ratio > 2, f"the frames are smaller than the text ({ratio:.1f}x)")
        ci, pi = child.json("/api/v1/info") or {}, parent.json("/api/v1/info") or {}
        check(ci.get("stream-compression") is True and "stream-compression" in pi and
              pi["stream-compression"] is None,
              "/api/v1/info stream-compression: true on the child, null on the parent (no "
              "sender), as 1.37.1", (ci.get("stream-compression"), pi.get("stream-compression")))
        def last_row(chart):
            j = parent.json(f"/host/kid/api/v1/data?chart={chart}&dimensions=d0,d39&points=1"
                            f"&after=-3&format=json")
            r = j["data"][0] if j and j.get("data") else None
            return r if r and r[1] is not None and r[2] is not None else None
        n = len([x for x in child_charts(parent) if x.startswith("heavy.")])
        check(n == 200, f"the parent has all 200 heavy charts ({n})")
        # SET d = i * 1000003 + d: whatever the interpolation, d39 - d0 is 39 in every slot
        r = poll(lambda: last_row("heavy.c199"), 5)
        check(r is not None and r[1] > 1000003 and abs(abs(r[1] - r[2]) - 39) < 0.5,
              "the last chart's values decoded intact (d39 - d0 = 39)", r)
        pl = parent.logtext()
        check("does not decode" not in pl and "disconnected" not in pl,
              "the parent never lost the stream", pl[-1500:])
    finally:
        stop_ok(child, "child cz")
        stop_ok(parent, "parent pz")
    # each side alone turns it off; the other offers or accepts it
    for where in ("parent", "child"):
        pport, cport = free_port(), free_port()
        ps = PARENT_STREAM + ("    enable compression = no\n" if where == "parent" else "")
        pol, c = compile_policy(tmp, "pn" + where, parent_conf(pport), ps, PARENT_GUIDS[1])
        parent = Streamd(pol, pport, os.path.join(tmp, f"pn{where}.log"),
                         extra=["--no-collectors"])
        check(parent.start(), f"parent (compression off on the {where}) starts")
        net, st = child_confs(cport, f"127.0.0.1:{pport}",
                              "    enable compression = no\n" if where == "child" else "")
        pol, c = compile_policy(tmp, "cn" + where, net, st, CHILD_GUID)
        child = Streamd(pol, cport, os.path.join(tmp, f"cn{where}.log"))
        try:
            check(child.start(), f"child (compression off on the {where}) starts")
            got = poll(lambda: last_cpu_point(parent), 15)
            cl = child.logtext()
            caps = re.findall(r"established link with negotiated capabilities: (.*)", cl)
            check(got and caps and "COMPRESSION" not in caps[-1].split() and
                  (child.json("/api/v1/info") or {}).get("stream-compression") is False,
                  f"enable compression = no on the {where}: plain text (stream-compression "
                  f"false), and the data arrives", caps or cl[-1500:])
        finally:
            stop_ok(child, f"the child ({where} off)")
            stop_ok(parent, f"the parent ({where} off)")


def test_failover_and_restart(tmp):
    pa, pb, cport = free_port(), free_port(), free_port()
    net, st = child_confs(cport, f"127.0.0.1:{pa} 127.0.0.1:{pb}")
    pol, c = compile_policy(tmp, "c2", net, st, CHILD_GUID)
    check(c.returncode == 0, "compile child c2", c.stderr)
    parent_b = start_parent(tmp, "pb", pb, PARENT_GUIDS[1])
    child = Streamd(pol, cport, os.path.join(tmp, "c2.log"))
    parent_a = None
    try:
        check(child.start(), "child c2 starts")
        check(poll(lambda: last_cpu_point(parent_b), 15),
              "A is down: the second destination B receives", child.logtext()[-1500:])
        log = child.logtext()
        check(f"attempting to connect to '127.0.0.1:{pa}'" in log and
              f"[send to 127.0.0.1:{pb}]: enabling metrics streaming" in log,
              "the child tried A first, then streamed to B")
        parent_a = start_parent(tmp, "pa", pa, PARENT_GUIDS[0])
        time.sleep(1.5)
        check(not child_charts(parent_a), "while B works, A (back now) gets nothing")
        t0 = time.time()
        parent_b.kill()
        got = poll(lambda: "system.cpu" in child_charts(parent_a), 10)
        dt = time.time() - t0
        check(got, "B killed: the child moves to A (the list rotated)", child.logtext()[-1500:])
        check(dt < 1 + 1.5, f"... at once, within one update of the loss ({dt:.1f} s)")
        check(poll(lambda: last_cpu_point(parent_a), 5), "... and A stores its data")
        check("connection closed by far end." in child.logtext(),
              "the child logs 1.37.1's 'connection closed by far end.'")

        # parent killed and restarted mid-stream on the same port
        parent_a.kill()
        time.sleep(0.3)
        t0 = time.time()
        parent_a = start_parent(tmp, "pa2", pa, PARENT_GUIDS[0])
        got = poll(lambda: "system.cpu" in child_charts(parent_a), 10, 0.05)
        dt = time.time() - t0
        check(got, "parent A restarted: the child reconnects and sends its charts again",
              child.logtext()[-1500:])
        # reconnect delay (1 s) + one update (1 s), + 1 s for a loaded machine
        check(dt <= 1 + 1 + 1, f"... within reconnect delay + one step ({dt:.2f} s)")
        check(poll(lambda: last_cpu_point(parent_a), 5), "... and the data resumes")
    finally:
        stop_ok(child, "the child")
        for p in (parent_a, parent_b):
            if p:
                p.stop()


class FakeParent:
    """Accepts streams on PORT and answers each with REPLY (bytes; None: stay silent;
    b"PROMPT-STALL": the VCAPS prompt, then never read). Counts connections."""

    def __init__(self, port, reply, rcvbuf=None):
        self.port, self.reply, self.count = port, reply, 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop, self.conns = False, []
        self.requests = []
        self.stream = b""
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.count += 1
            self.conns.append(c)
            c.settimeout(3)
            req = b""
            try:
                while b"\r\n\r\n" not in req and len(req) < 20000:
                    d = c.recv(4096)
                    if not d:
                        break
                    req += d
            except OSError:
                pass
            self.requests.append(req)
            if self.reply == b"PROMPT-STALL":
                c.sendall(b"Hit me baby, push them over with the version=64")
            elif self.reply == b"PROMPT-GARBAGE":
                c.sendall(b"Hit me baby, push them over with the version=64")
                time.sleep(0.3)
                c.sendall(b"".join(b"FUNCTION tx%d 10 \"hack\x1b[2J\"\n" % i for i in range(500))
                          + b"X" * 20000 + b"\n")
                threading.Thread(target=self.record, args=(c,), daemon=True).start()
            elif self.reply == b"PROMPT-READ":
                c.sendall(b"Hit me baby, push them over with the version=64")
                threading.Thread(target=self.record, args=(c,), daemon=True).start()
            elif self.reply is not None:
                c.sendall(self.reply)
                c.close()

    def record(self, c):
        c.settimeout(0.5)
        while not self.stop:
            try:
                d = c.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not d:
                return
            self.stream += d

    def close(self):
        self.stop = True
        self.t.join()
        for c in self.conns:
            c.close()
        self.sock.close()


REFUSALS = [
    (b"Don't hit me baby, you are trying to stream my localhost back",
     "remote server rejected this stream, the host we are trying to stream is its localhost.",
     3600),
    (b"This GUID is already streaming to this server",
     "remote server rejected this stream, the host we are trying to stream is already streamed "
     "to it.", 120),
    (b"You are not permitted to access this. Check the logs for more info.",
     "remote server denied access, probably we don't have the right API key?.", 60),
    (b"HTTP/1.1 503 Service Unavailable\r\n\r\ntoo busy",
     "remote node response is not understood, is it Netdata?.", 60),
    (None, "remote netdata does not respond.", 30),
]


def test_refusals(tmp):
    for i, (reply, line, post) in enumerate(REFUSALS):
        fport, cport = free_port(), free_port()
        fake = FakeParent(fport, reply)
        net, st = child_confs(cport, f"127.0.0.1:{fport}")
        st = st.replace("timeout seconds = 3", "timeout seconds = 1")
        pol, c = compile_policy(tmp, f"r{i}", net, st, CHILD_GUID)
        child = Streamd(pol, cport, os.path.join(tmp, f"r{i}.log"), extra=["--no-collectors"])
        try:
            check(child.start(), f"refusal {i}: child starts")
            codes = {0: -2, 1: -3, 2: -4, 3: -1, 4: -6}
            pat = re.compile(r"skipping destination '127\.0\.0\.1:%d' \(default port: 19999\) due "
                             r"to last error \(code: %d, .*\), will retry it in (\d+) seconds"
                             % (fport, codes[i]))
            m = poll(lambda: pat.search(child.logtext()), 6)
            log = child.logtext()
            check(f"[send to 127.0.0.1:{fport}]: {line}" in log,
                  f"refusal {i}: the child logs '{line}'", log[-1500:])
            check(m and post - 3 <= int(m.group(1)) <= post,
                  f"refusal {i}: the destination is postponed {post} s",
                  m.group(0) if m else log[-800:])
            check(fake.count == 1, f"refusal {i}: no second attempt while postponed "
                  f"({fake.count} connections)")
            req = fake.requests[0] if fake.requests else b""
            check(req.startswith(b"STREAM key=" + KEY.encode() + b"&hostname=kid&") and
                  b"&machine_guid=" + CHILD_GUID.encode() in req and b"&ver=5824&" in req and
                  req.endswith(b" HTTP/1.1\r\nUser-Agent: streamd/0.1\r\nAccept: */*\r\n\r\n")
                  and b"keep-alive" not in req.lower(),
                  f"refusal {i}: the request is 1.37.1's shape", req[:300])
        finally:
            stop_ok(child, "the child")
            fake.close()


def write_heavy_plugin(d):
    os.makedirs(d)
    p = os.path.join(d, "heavy.plugin")
    with open(p, "w") as f:
        f.write("""#!/usr/bin/env python3
import sys, time
out = sys.stdout
for c in range(200):
    out.write(f"CHART heavy.c{c} '' 'heavy chart {c}' 'units' 'heavy' 'heavy.ctx' line {1000+c} 1 '' 'heavy.plugin' 'm'\\n")
    for d in range(40):
        out.write(f"DIMENSION d{d} '' absolute 1 1 ''\\n")
i = 0
while True:
    for c in range(200):
        out.write(f"BEGIN heavy.c{c}\\n")
        for d in range(40):
            out.write(f"SET d{d} = {i * 1000003 + d}\\n")
        out.write("END\\n")
    out.flush()
    i += 1
    time.sleep(0.2)
""")
    os.chmod(p, 0o755)


def test_buffer_full(tmp):
    fport, cport = free_port(), free_port()
    fake = FakeParent(fport, b"PROMPT-STALL", rcvbuf=4096)
    plugdir = os.path.join(tmp, "heavy-plugins")
    write_heavy_plugin(plugdir)
    net, st = child_confs(cport, f"127.0.0.1:{fport}",
                          "    buffer size bytes = 1048576\n")
    st = st.replace("timeout seconds = 3", "timeout seconds = 60")
    net = net.replace("mode = ram", "mode = none")    # RSS: the sender's, not 8,000 dims' history
    pol, c = compile_policy(tmp, "bf", net, st, CHILD_GUID)
    child = Streamd(pol, cport, os.path.join(tmp, "bf.log"),
                    extra=["--no-collectors", "--plugins-dir", plugdir])
    try:
        check(child.start(), "buffer: child starts")
        pat = re.compile(r"\[send to 127\.0\.0\.1:%d\]: buffer full \(allocated (\d+) bytes\) "
                         r"after sending (\d+) bytes\. Restarting connection" % fport)
        m = poll(lambda: len(pat.findall(child.logtext())) >= 2, 40, 0.25)
        found = pat.findall(child.logtext())
        check(m, "a stalled parent: 1.37.1's 'buffer full ... Restarting connection', twice",
              child.logtext()[-1500:])
        check(found and all(int(a) <= 1048576 for a, _ in found),
              "the buffer never grew past buffer size bytes", found[:3])
        check(fake.count >= 2, f"the child reconnected after the overflow ({fake.count})")
        rss = child.rss_kb()
        # 1 MiB buffer + the formatting scratch (one chart's text) + the process itself
        check(0 < rss < 24 * 1024, f"the child's RSS stays bounded ({rss} KiB)")
    finally:
        stop_ok(child, "the child")
        fake.close()


def test_stream_text(tmp):
    """What goes on the wire after a VCAPS-only prompt: no labels (HLABELS was not echoed), each
    chart defined before its first BEGIN, BEGIN 0 for the resync iterations, then the measured
    interval; with nothing to send, the idle guard closes after `timeout seconds`."""
    fport, cport = free_port(), free_port()
    fake = FakeParent(fport, b"PROMPT-READ")
    net, st = child_confs(cport, f"127.0.0.1:{fport}",
                          "    initial clock resync iterations = 2\n")
    pol, c = compile_policy(tmp, "wire", net, st, CHILD_GUID)
    child = Streamd(pol, cport, os.path.join(tmp, "wire.log"))
    try:
        check(child.start(), "wire: child starts")
        poll(lambda: fake.stream.count(b'BEGIN "system.cpu"') >= 5, 12)
        lines = fake.stream.decode(errors="replace").split("\n")
        check(not any(x.startswith(("LABEL", "OVERWRITE", "CLABEL")) for x in lines),
              "a VCAPS-only reply: no LABEL/CLABEL lines are sent", lines[:5])
        defined, order_ok = set(), True
        for x in lines:
            if x.startswith("CHART "):
                defined.add(x.split('"')[1])
            elif x.startswith("BEGIN ") and x.split('"')[1] not in defined:
                order_ok = False
        check(order_ok and "system.cpu" in defined, "every chart is defined before its BEGIN")
        us = [int(x.rsplit(" ", 1)[1]) for x in lines if x.startswith('BEGIN "system.cpu" ')]
        check(len(us) >= 5 and us[:3] == [0, 0, 0] and all(8e5 < u < 1.2e6 for u in us[3:]),
              "initial clock resync iterations = 2: BEGIN 0 three times, then ~1 s in µs", us)
        sets = [x for x in lines if x.startswith('SET "')]
        check(sets and all(re.fullmatch(r'SET "[^"]+" = -?\d+', x) for x in sets),
              "SET lines carry the raw collected integers", sets[:3])
        cpu = [x for x in lines if x.startswith('CHART "system.cpu"')]
        check(cpu and cpu[0] == 'CHART "system.cpu" "" "Total CPU utilization" "percentage" '
              '"cpu" "system.cpu" "stacked" 100 1 "   " "proc.plugin" "/proc/stat"',
              "system.cpu's CHART line is 1.37.1's", cpu[:1])
    finally:
        stop_ok(child, "the child")
        fake.close()
    # the idle guard: a child with nothing to send
    fport, cport = free_port(), free_port()
    fake = FakeParent(fport, b"PROMPT-READ")
    net, st = child_confs(cport, f"127.0.0.1:{fport}")
    st = st.replace("timeout seconds = 3", "timeout seconds = 2")
    pol, c = compile_policy(tmp, "idle", net, st, CHILD_GUID)
    child = Streamd(pol, cport, os.path.join(tmp, "idle.log"), extra=["--no-collectors"])
    try:
        check(child.start(), "idle: child starts")
        ok = poll(lambda: "could not send metrics for 2 seconds - closing connection - we have "
                  "sent 0 bytes on this connection" in child.logtext(), 8)
        check(ok, "nothing to send: the idle guard closes after timeout seconds (1.37.1's line)",
              child.logtext()[-800:])
        check(poll(lambda: fake.count >= 2, 4), "... and reconnects at once")
    finally:
        stop_ok(child, "the child")
        fake.close()


def test_small_buffer(tmp):
    """buffer size bytes smaller than one chart's message: raised to 3x the message (1.37.1's
    rule, logged), and the charts still go out."""
    fport, cport = free_port(), free_port()
    fake = FakeParent(fport, b"PROMPT-READ")
    # one chart only, so no burst of several messages can fill the raised buffer
    net, st = child_confs(cport, f"127.0.0.1:{fport}", "    buffer size bytes = 200\n"
                          "    send charts matching = system.uptime\n")
    pol, c = compile_policy(tmp, "smallbuf", net, st, CHILD_GUID)
    child = Streamd(pol, cport, os.path.join(tmp, "smallbuf.log"))
    try:
        check(child.start(), "small buffer: child starts")
        ok = poll(lambda: fake.stream.count(b'BEGIN "system.uptime"') >= 3, 10)
        m = re.search(r"max buffer size of 200 is too small for a data message of size (\d+)\. "
                      r"Increasing the max buffer size to 3 times the max data message size\.",
                      child.logtext())
        check(m and int(m.group(1)) > 200, "1.37.1's 'max buffer size ... is too small' line",
              child.logtext()[-800:])
        check(ok and "buffer full" not in child.logtext(),
              "the raised buffer carries the chart (no buffer full)", fake.stream[-300:])
        snd = ((child.json("/api/v1/info") or {}).get("streamd") or {}).get("sender") or {}
        check(snd.get("buffer_max", 0) >= 3 * int(m.group(1)) if m else False,
              "the API shows the raised limit", snd)
    finally:
        stop_ok(child, "the child")
        fake.close()


def test_hostile_parent(tmp):
    """A parent that answers with 500 lines and a 20 KB line: logged 10 times, then counted;
    no control byte reaches the log; the stream goes on."""
    fport, cport = free_port(), free_port()
    fake = FakeParent(fport, b"PROMPT-GARBAGE")
    net, st = child_confs(cport, f"127.0.0.1:{fport}")
    pol, c = compile_policy(tmp, "hostile", net, st, CHILD_GUID)
    child = Streamd(pol, cport, os.path.join(tmp, "hostile.log"))
    try:
        check(child.start(), "hostile: child starts")
        poll(lambda: fake.stream.count(b'BEGIN "system.cpu"') >= 3, 10)
        log = child.logtext()
        n = log.count("received unknown command over connection: FUNCTION")
        check(n == 10 and "further unknown commands on this connection are not logged" in log,
              f"500 parent lines: 10 logged, then one notice ({n})")
        check("\x1b" not in log, "no control byte from the parent reaches the log")
        check(fake.count == 1 and fake.stream.count(b'BEGIN "system.cpu"') >= 3,
              "the stream goes on over the same connection")
    finally:
        stop_ok(child, "the child")
        fake.close()


def test_transports(tmp):
    """unix:, bracketed IPv6 with %interface, and host names (an unresolvable one first)."""
    pport, p4 = free_port(socket.AF_INET6, "::1"), free_port()
    sock = os.path.join(tmp, "parent.sock")
    net = (f"[global]\n    hostname = p6\n[db]\n    mode = ram\n"
           f"[web]\n    bind to = [::1]:{pport} unix:{sock} 127.0.0.1:{p4}\n")
    pol, c = compile_policy(tmp, "p6", net, PARENT_STREAM, PARENT_GUIDS[0])
    check(c.returncode == 0, "compile the v6/unix parent", c.stderr)
    parent = Streamd(pol, pport, os.path.join(tmp, "p6.log"), extra=["--no-collectors"])
    parent.start = lambda timeout=15: poll(lambda: os.path.exists(sock), timeout) or False
    kids = []
    try:
        args = [os.environ.get("STREAMD", os.path.join(os.getcwd(), "streamd")),
                "--policy", pol, "--log", parent.log, "--no-collectors"]
        parent.proc = subprocess.Popen(args)
        check(parent.start(), "the parent listens on [::1] and a unix socket")
        for name, dest, guid in (("kid-unix", f"unix:{sock}", "c0c0c0c0-0000-4000-8000-00000000c0a1"),
                                 ("kid-v6", f"[::1]%lo:{pport}", "c0c0c0c0-0000-4000-8000-00000000c0a2"),
                                 ("kid-name", f"streamd-test.invalid:{p4} localhost:{p4}",
                                  "c0c0c0c0-0000-4000-8000-00000000c0a3")):
            cport = free_port()
            n, st = child_confs(cport, dest)
            n = n.replace("hostname = kid", f"hostname = {name}")
            p, c = compile_policy(tmp, name, n, st, guid)
            k = Streamd(p, cport, os.path.join(tmp, name + ".log"))
            check(k.start(), f"{name} starts")
            kids.append(k)

        def hosts():
            try:
                with open(parent.log, errors="replace") as f:
                    t = f.read()
            except OSError:
                return False
            return all(f"STREAM {n} [receive from" in t and "receiving metrics" in t
                       for n in ("kid-unix", "kid-v6", "kid-name"))
        check(poll(hosts, 12), "unix:, [::1]%lo:PORT and a host name (resolved off the loop) "
              "all stream", "\n".join(k.logtext()[-600:] for k in kids))
        check("cannot resolve host 'streamd-test.invalid'" in kids[2].logtext(),
              "an unresolvable name is logged and the next destination is tried",
              kids[2].logtext()[-800:])
    finally:
        for k in kids:
            stop_ok(k, "a child")
        stop_ok(parent, "the parent")


def test_proxy_layers(tmp):
    """streamd child -> streamd proxy -> streamd parents: the key section forwards to parent 1
    with key K2, a machine section sends one child to parent 2 with key K3 and its own chart
    filter; storage none on the proxy."""
    k2, k3 = "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"
    p1, p2, xp = free_port(), free_port(), free_port()
    g_a, g_b = "c0c0c0c0-0000-4000-8000-0000000000aa", "c0c0c0c0-0000-4000-8000-0000000000bb"
    parents = []
    for name, port, key, guid in (("lp1", p1, k2, PARENT_GUIDS[0]), ("lp2", p2, k3, PARENT_GUIDS[1])):
        pol, c = compile_policy(tmp, name, parent_conf(port),
                                f"[stream]\n    enabled = no\n[{key}]\n    enabled = yes\n", guid)
        pr = Streamd(pol, port, os.path.join(tmp, name + ".log"), extra=["--no-collectors"])
        check(pr.start(), f"{name} starts")
        parents.append(pr)
    net = (f"[global]\n    hostname = relay\n[db]\n    mode = none\n"
           f"[web]\n    bind to = 127.0.0.1:{xp}\n")
    st = (f"[stream]\n    enabled = no\n    destination = 127.0.0.1:{p1}\n    api key = {k2}\n"
          f"    reconnect delay seconds = 1\n"
          f"[{KEY}]\n    enabled = yes\n    default proxy enabled = yes\n"
          f"[{g_b}]\n    proxy destination = 127.0.0.1:{p2}\n    proxy api key = {k3}\n"
          f"    proxy send charts matching = system.uptime\n")
    pol, c = compile_policy(tmp, "relay", net, st, "c0c0c0c0-0000-4000-8000-0000000000ff")
    check(c.returncode == 0, "compile the relay", c.stderr)
    relay = Streamd(pol, xp, os.path.join(tmp, "relay.log"), extra=["--no-collectors"])
    kids = []
    try:
        check(relay.start(), "the relay starts")
        for name, guid in (("kid-a", g_a), ("kid-b", g_b)):
            cport = free_port()
            n, s2 = child_confs(cport, f"127.0.0.1:{xp}")
            n = n.replace("hostname = kid", f"hostname = {name}")
            pp, c = compile_policy(tmp, name, n, s2, guid)
            k = Streamd(pp, cport, os.path.join(tmp, name + ".log"))
            check(k.start(), f"{name} starts")
            kids.append(k)

        def charts(parent, host):
            j = parent.json(f"/host/{host}/api/v1/charts")
            return sorted(j["charts"]) if j and j.get("charts") else []
        check(poll(lambda: "system.cpu" in charts(parents[0], "kid-a"), 15),
              "kid-a is forwarded to [stream] destination with [stream] api key (parent 1)",
              relay.logtext()[-1500:])
        check(poll(lambda: charts(parents[1], "kid-b") == ["system.uptime"], 15),
              "kid-b's machine section: parent 2, key K3, only system.uptime",
              (charts(parents[1], "kid-b"), relay.logtext()[-1500:]))
        check(not charts(parents[0], "kid-b") and not charts(parents[1], "kid-a"),
              "each kid reaches only its own destination")
        h = {x["hostname"]: x for x in (parents[0].json("/api/v1/info") or {})
             .get("mirrored_hosts_status", [])}
        check(h.get("kid-a", {}).get("hops") == 2, "a forwarded host has hops 2", h.get("kid-a"))
        ri = (relay.json("/host/kid-a/api/v1/info") or {}).get("streamd") or {}
        check(ri.get("memory_mode") == "none" and (ri.get("sender") or {}).get("connected"),
              "the relay stores nothing (memory mode none) and shows kid-a's onward sender", ri)
        v = poll(lambda: newest_uptime(parents[1], "/host/kid-b"), 6)
        a = newest_uptime(kids[1], "")
        check(v is not None and a is not None and abs(v - a) <= 2,
              "kid-b's uptime arrives unchanged through the relay", (v, a))

        # kid-a goes away (its onward sender stops), parent 1 restarts empty, kid-a comes back:
        # the new onward sender must define every chart again before its data
        stop_ok(kids[0], "kid-a")
        stop_ok(parents[0], "parent 1")
        pol1 = parents[0].policy
        parents[0] = Streamd(pol1, p1, os.path.join(tmp, "lp1-again.log"),
                             extra=["--no-collectors"])
        check(parents[0].start(), "parent 1 starts again, empty")
        kids[0] = Streamd(kids[0].policy, kids[0].port, os.path.join(tmp, "kid-a-again.log"))
        check(kids[0].start(), "kid-a comes back")
        check(poll(lambda: "system.cpu" in charts(parents[0], "kid-a"), 15),
              "kid-a is forwarded again through a new onward sender", relay.logtext()[-1500:])
        time.sleep(1.5)
        check("but chart does not exist" not in parents[0].logtext() and
              "disconnected" not in parents[0].logtext(),
              "the new onward sender defined every chart before its data (no disconnect)",
              parents[0].logtext()[-1500:])
    finally:
        for k in kids:
            stop_ok(k, "a kid")
        stop_ok(relay, "the relay")
        for pr in parents:
            stop_ok(pr, "a parent")


def test_proxy_reattach(tmp):
    """A child without chart labels (ver=64) reconnects to a relay whose parent restarted
    empty meanwhile: the relay's new onward sender must define the chart again although the
    child's definition did not change."""
    k2 = "22222222-2222-4222-8222-222222222222"
    p1, xp = free_port(), free_port()
    g = "c0c0c0c0-0000-4000-8000-0000000000cc"
    pol1, c = compile_policy(tmp, "rp1", parent_conf(p1),
                             f"[stream]\n    enabled = no\n[{k2}]\n    enabled = yes\n",
                             PARENT_GUIDS[0])
    net = (f"[global]\n    hostname = relay2\n[db]\n    mode = none\n"
           f"[web]\n    bind to = 127.0.0.1:{xp}\n")
    st = (f"[stream]\n    enabled = no\n    destination = 127.0.0.1:{p1}\n    api key = {k2}\n"
          f"    reconnect delay seconds = 1\n[{KEY}]\n    enabled = yes\n"
          f"    default proxy enabled = yes\n")
    pol, c = compile_policy(tmp, "relay2", net, st, "c0c0c0c0-0000-4000-8000-0000000000fe")
    relay = Streamd(pol, xp, os.path.join(tmp, "relay2.log"), extra=["--no-collectors"])
    parent = Streamd(pol1, p1, os.path.join(tmp, "rp1.log"), extra=["--no-collectors"])
    definition = (b'CHART "t.x" "" "t" "u" "f" "t.x" "line" 1 1 "" "p" "m"\n'
                  b'DIMENSION "d" "d" "absolute" 1 1 ""\n')

    def child_session(seconds):
        sk = socket.create_connection(("127.0.0.1", xp), timeout=5)
        sk.sendall(stream_request(KEY, "plain-kid", g))
        reply = sk.recv(100)
        sk.sendall(definition)
        for i in range(seconds):
            sk.sendall(b'BEGIN "t.x" %d\nSET "d" = %d\nEND\n' % (0 if i == 0 else 1000000, i))
            time.sleep(1)
        sk.close()
        return reply

    try:
        check(parent.start() and relay.start(), "reattach: parent and relay start")
        check(child_session(3).startswith(b"Hit me baby"), "reattach: the child is accepted")
        check(poll(lambda: parent.json("/host/plain-kid/api/v1/charts"), 5),
              "reattach: the chart reaches the parent")
        check(poll(lambda: "STREAM plain-kid [send]: sender stopped" in relay.logtext(), 5),
              "reattach: the child left, its onward sender stopped")
        stop_ok(parent, "the parent")
        parent = Streamd(pol1, p1, os.path.join(tmp, "rp1-again.log"),
                         extra=["--no-collectors"])
        check(parent.start(), "reattach: the parent starts again, empty")
        child_session(4)
        log = parent.logtext()
        check("receiving metrics" in log and "but chart does not exist" not in log,
              "reattach: the new onward sender defined the chart before its data", log[-1200:])
        j = parent.json("/host/plain-kid/api/v1/charts") or {}
        check("t.x" in (j.get("charts") or {}), "reattach: the restarted parent has the chart")
    finally:
        stop_ok(relay, "the relay")
        stop_ok(parent, "the parent")


def newest_uptime(srv, prefix):
    j = srv.json(prefix + "/api/v1/data?chart=system.uptime&after=-6&format=json")
    vals = [row[1] for row in (j or {}).get("data", []) if row[1] is not None]
    return vals[0] if vals else None


def main():
    why = need_binaries()
    if why:
        print("FAIL " + why)
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-sender-")
    try:
        test_basic_and_matching(tmp)
        test_compression(tmp)
        test_failover_and_restart(tmp)
        test_refusals(tmp)
        test_stream_text(tmp)
        test_small_buffer(tmp)
        test_hostile_parent(tmp)
        test_transports(tmp)
        test_proxy_layers(tmp)
        test_proxy_reattach(tmp)
        test_buffer_full(tmp)
    finally:
        remove_tmp(tmp)
    return check.done("streamd_sender")


if __name__ == "__main__":
    sys.exit(main())
