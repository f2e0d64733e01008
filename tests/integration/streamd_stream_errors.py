#!/usr/bin/env python3
"""Hostile and broken command streams into streamd: each ends that session the way Netdata
1.37.1 ends it (log line, disconnect, nothing sent back), never a crash, and memory stays
bounded; with LZ4 negotiated, a corrupt block and a block of more than 16 KiB of text end the
session too (and a frame of literals with plain 4-byte groups after it is applied). Also: a
child that reconnects may send data for charts it defined before (the parent
keeps them), an over-long request header is closed without a reply, and a flood of idle half
handshakes does not stop a real child from being served.
"""
import os
import random
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries)

KEY = "11111111-2222-3333-4444-555555555555"
check = Checks()


class Parent(Streamd):
    def __init__(self, tmp):
        port = free_port()
        pol, _ = compile_policy(tmp, "conf", f"[db]\n    mode = ram\n[web]\n"
                                f"    bind to = 127.0.0.1:{port}\n",
                                f"[{KEY}]\n    enabled = yes\n")
        super().__init__(pol, port, os.path.join(tmp, "log"))
        self.start()

    def stream(self, host, guid, ver=64):
        return self.connect(KEY, host, guid, ver)

    def info(self, host):
        return self.json(f"/host/{host}/api/v1/info")


def closed_by_peer(s, timeout=5):
    """True when the peer closes (EOF or reset) within TIMEOUT, having sent nothing."""
    s.settimeout(timeout)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


CHART = (b'CHART "err.test" "" "Errors" "units" "err" "err.test" "line" 1000 1 "" "t" "t"\n'
         b'DIMENSION "a" "a" "absolute" 1 1 ""\n')


def lz4_literals(data):
    """An LZ4 block that only carries DATA as literals (valid for any decoder)."""
    n, out = len(data), bytearray()
    out.append(min(n, 15) << 4)
    if n >= 15:
        k = n - 15
        out += b"\xff" * (k // 255) + bytes([k % 255])
    return bytes(out) + data


def lz4_frame(block):
    n = len(block)
    return bytes([0xFA, 0x80 | (n & 0x7F), 0x80 | ((n >> 7) & 0x7F), 0x0A]) + block


def lz4_cases(p):
    """COMPRESSION negotiated (ver = VCAPS | COMPRESSION): a frame of literals is applied, plain
    4-byte groups are text as in 1.37.1, and a block that does not decode or decodes to more
    than 16 KiB ends the session with a log line."""
    s, reply = p.stream("lz4ok", "eeeeeeee-0000-0000-0000-000000000001", ver=64 | 1024)
    check(reply == b"Hit me baby, push them over with the version=1088",
          "ver=1088: COMPRESSION echoed", repr(reply))
    s.sendall(lz4_frame(lz4_literals(CHART + b'DIMENSION "a" "" absolute 1 1 ""\n'
                                     b'BEGIN "err.test" 0\nSET "a" = 5\nEND\n'))
              + b"FLUSH\n\n\n\n")   # 4-byte groups that are no header: text
    deadline = time.time() + 5
    r = {}
    while time.time() < deadline:
        r = ((p.info("lz4ok") or {}).get("streamd") or {}).get("receiver") or {}
        if r.get("updates", 0) >= 1:
            break
        time.sleep(0.05)
    check(r.get("updates", 0) >= 1 and r.get("connected"),
          "a frame of literals and plain 4-byte groups are applied; the session goes on", r)
    s.close()
    bad = [("lz4corrupt", lz4_frame(b"\xf0" + b"\x00" * 9)),
           # one literal, then a match of 20,000 bytes at offset 1: 20,001 bytes of text
           ("lz4huge", lz4_frame(bytes([0x1F]) + b"A" + b"\x01\x00" + b"\xff" * 78 + bytes([91])
                                 + bytes([0x50]) + b"BBBBB"))]
    for i, (host, frame) in enumerate(bad):
        s, reply = p.stream(host, f"eeeeeeee-0000-0000-0000-00000000001{i}", ver=64 | 1024)
        s.sendall(frame)
        check(closed_by_peer(s), f"{host}: the session ends")
        deadline = time.time() + 5
        while (time.time() < deadline and
               p.logtext().count("a compressed block from the child does not decode") < i + 1):
            time.sleep(0.05)
        check(p.logtext().count("a compressed block from the child does not decode") == i + 1
              and p.wait_log(f"STREAM {host} [receive from"),
              f"{host}: logged 'does not decode'", p.logtext()[-600:])
        s.close()


def main():
    why = need_binaries()
    if why:
        print(f"FAIL: {why}")
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-err-")
    p = None
    try:
        p = Parent(tmp)
        rss0 = p.rss_kb()
        cases = [
            ("unknown", b"HOST_DEFINE x\n", "sent unknown command 'HOST_DEFINE'"),
            ("lowercase", b"begin \"err.test\" 0\n", "sent unknown command 'begin'"),
            ("setnodim", b'BEGIN "err.test" 0\nSET\n',
             "PLUGINSD: 'host:setnodim/chart:err.test' got a SET, without a dimension."),
            ("setunknown", b'BEGIN "err.test" 0\nSET "zz" = 1\n',
             "PLUGINSD: 'host:setunknown/chart:err.test/dim:zz' got a SET but dimension does "
             "not exist."),
            ("beginunknown", b'BEGIN "no.chart" 0\n',
             "PLUGINSD: 'host:beginunknown/chart:no.chart' got a BEGIN but chart does not exist."),
            ("endnochart", b"END\n",
             "PLUGINSD: command END requires a chart defined via command BEGIN, but is not set."),
            ("disable", b"DISABLE\n", "PLUGINSD: plugin called DISABLE. Disabling it."),
            ("garbage", bytes(random.Random(7).randrange(256) for _ in range(4000)) + b"\n",
             "disconnected (completed"),
        ]
        for i, (host, body, logtext) in enumerate(cases):
            s, reply = p.stream(host, f"bbbbbbbb-0000-0000-0000-{i:012d}")
            check(reply.startswith(b"Hit me baby"), f"{host}: accepted", repr(reply))
            s.sendall(body if host == "endnochart" else CHART + body)   # CHART makes a chart current
            check(closed_by_peer(s), f"{host}: the session ends without a reply")
            check(p.wait_log(logtext), f"{host}: logged '{logtext}'", p.logtext()[-600:])
            s.close()

        lz4_cases(p)

        # 20 MB in one line: cut at 15360 bytes, the first piece is an unknown command
        s, reply = p.stream("longline", "cccccccc-0000-0000-0000-000000000001")
        sent = 0
        chunk = b"X" * 65536
        try:
            while sent < 20 * 1024 * 1024:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        check(closed_by_peer(s), "a 20 MB line ends the session")
        check(p.wait_log("received line exceeds 15360 bytes. Truncating it."),
              "the cut line is logged")
        s.close()
        rss1 = p.rss_kb()
        check(rss1 - rss0 < 8192, "memory stays bounded (RSS grew < 8 MiB)",
              f"{rss0} kB -> {rss1} kB")

        # a reconnecting child may go on with charts it defined on its last connection
        g = "dddddddd-0000-0000-0000-000000000001"
        s, reply = p.stream("again", g)
        s.sendall(CHART + b'BEGIN "err.test" 0\nSET "a" = 1\nEND\n')
        time.sleep(0.2)
        s.close()
        deadline = time.time() + 5
        while time.time() < deadline and p.info("again")["streamd"]["receiver"]["connected"]:
            time.sleep(0.05)
        s, reply = p.stream("again", g)
        check(reply.startswith(b"Hit me baby"), "reconnect accepted", repr(reply))
        s.sendall(b'BEGIN "err.test" 0\nSET "a" = 2\nEND\n')
        s.settimeout(1)
        try:
            data = s.recv(100)
            check(data != b"", "the kept chart takes data after a reconnect", "closed")
        except socket.timeout:
            check(True, "the kept chart takes data after a reconnect")
        r = p.info("again")["streamd"]["receiver"]
        check(r["connections"] == 2 and r["updates"] >= 2, "two connections, two updates", str(r))
        s.close()

        # an over-long request header: closed, no page
        s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
        try:
            s.sendall(b"GET /api/v1/info?x=" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n")
        except OSError:
            pass
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        check(data == b"", "a request over 16 KiB is closed without a reply", repr(data))
        s.close()

        # 300 idle half handshakes, then a real stream and an API call still work
        idle = []
        for _ in range(300):
            c = socket.create_connection(("127.0.0.1", p.port), timeout=5)
            c.sendall(b"STREAM key=")
            idle.append(c)
        s, reply = p.stream("busy", "eeeeeeee-0000-0000-0000-000000000001")
        check(reply.startswith(b"Hit me baby"), "served while 300 half requests wait",
              repr(reply))
        check(p.info("busy")["streamd"]["receiver"]["connected"], "API answers meanwhile")
        s.close()
        for c in idle:
            c.close()
        check(p.proc.poll() is None, "streamd survived everything")
    finally:
        if p:
            rc = p.stop()
            check(rc == 0, "streamd stops cleanly", str(rc))
        shutil.rmtree(tmp, ignore_errors=True)
    return check.done("streamd_stream_errors")


if __name__ == "__main__":
    sys.exit(main())
