#!/usr/bin/env python3
"""HTTP keep-alive on streamd's API, as the real Netdata 1.37.1 answers it (checked by hand
against `tests/interop/netdata.sh start-parent`, 2026-12-07): a request with a Connection header
containing "keep-alive" (any HTTP version) gets `Connection: keep-alive` and the connection stays
open for the next request, also after an API 404; `Connection: close`, or no Connection header,
gets `Connection: close` and the connection closes after the answer. Deliberate difference:
requests a client sends before reading the answer (pipelined) are all answered in order; 1.37.1
answers the first and drops the rest of what it read. 300 pipelined requests in one write (more
than the 16 KiB request buffer) after a first keep-alive answer are all answered and streamd
stays up; the first request of a connection is read as 1.37.1 reads it (bytes after its header
that do not end a request make it a 400). Loopback only.
"""
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries, remove_tmp)

check = Checks()


def request(path, conn=None, version="1.1"):
    head = f"GET {path} HTTP/{version}\r\nHost: localhost\r\n"
    if conn:
        head += f"Connection: {conn}\r\n"
    return (head + "\r\n").encode()


def read_response(s, buf):
    """One response from S (BUF: bytes already read). (status line, headers dict, body, rest)
    or None when the peer closed first."""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            return None
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in
               (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            return None
        rest += b
    return lines[0], headers, rest[:n], rest[n:]


def closed(s, buf):
    if buf:
        return False
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def main():
    why = need_binaries()
    if why:
        print("FAIL " + why)
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-keepalive-")
    port = free_port()
    pol, c = compile_policy(tmp, "ka", f"[global]\n    hostname = ka-parent\n[db]\n"
                            f"    mode = ram\n[web]\n    bind to = 127.0.0.1:{port}\n",
                            "[stream]\n    enabled = no\n")
    check(c.returncode == 0, "compile", c.stderr)
    sd = Streamd(pol, port, os.path.join(tmp, "streamd.log"), extra=["--no-collectors"])
    try:
        check(sd.start(), "streamd starts")
        # sequential: keep-alive, an API 404 with keep-alive, keep-alive, then close
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        buf = b""
        steps = [("/api/v1/info", "keep-alive", "200", "keep-alive"),
                 ("/api/v1/chart?chart=no.such", "Keep-Alive", "404", "keep-alive"),
                 ("/api/v1/charts", "keep-alive", "200", "keep-alive"),
                 ("/api/v1/info", "close", "200", "close")]
        for path, conn, status, want in steps:
            s.sendall(request(path, conn))
            r = read_response(s, buf)
            ok = r is not None and status in r[0] and r[1].get("connection") == want
            check(ok, f"GET {path} with Connection: {conn} -> {status}, Connection: {want}",
                  r[:2] if r else "closed")
            buf = r[3] if r else b""
        check(closed(s, buf), "the connection closes after the Connection: close answer")
        s.close()
        # no Connection header, and HTTP/1.0 with keep-alive (1.37.1 keeps it too)
        for conn, version, want in ((None, "1.1", "close"), ("keep-alive", "1.0", "keep-alive")):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(request("/api/v1/info", conn, version))
            r = read_response(s, b"")
            check(r is not None and r[1].get("connection") == want,
                  f"HTTP/{version}, Connection: {conn}: answered with Connection: {want}",
                  r[:2] if r else "closed")
            if want == "close":
                check(r is not None and closed(s, r[3]), "... and closed")
            s.close()
        # pipelined: three in one write, then 300 in one write (over the 16 KiB buffer) after
        # a first keep-alive request
        for count in (3, 300):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            buf = b""
            if count > 3:
                s.sendall(request("/api/v1/info", "keep-alive"))
                r = read_response(s, b"")
                check(r is not None and "200" in r[0], "a first keep-alive request")
                buf = r[3] if r else b""
            reqs = b"".join(request("/api/v1/info" if i % 2 else "/api/v1/charts",
                                    "keep-alive" if i < count - 1 else "close")
                            for i in range(count))
            s.sendall(reqs)
            got = []
            for _ in range(count):
                r = read_response(s, buf)
                if r is None:
                    break
                got.append(r)
                buf = r[3]
            check(len(got) == count and all("200" in r[0] for r in got) and
                  got[-1][1].get("connection") == "close" and closed(s, buf),
                  f"{count} pipelined requests ({len(reqs)} bytes in one write) are answered "
                  f"in order, the last one closes", f"{len(got)} answers")
            s.close()
        check(sd.proc.poll() is None, "streamd is still running")
    finally:
        rc = sd.stop()
        check(rc == 0, f"streamd stops cleanly (exit {rc})")
        remove_tmp(tmp)
    return check.done("streamd_keepalive")


if __name__ == "__main__":
    sys.exit(main())
