#!/usr/bin/env python3
"""streamd's listeners come from [web] bind to: IPv4, IPv6 and a unix socket in one policy,
each serving both the streaming handshake and the HTTP API; a port whose permissions lack
`streaming` refuses streams with Netdata's 403 body but serves the API; [web] mode = none opens
nothing; a port already taken by another process makes start-up fail with a clear reason.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (STREAMD, Checks, compile_policy, free_port,  # noqa: E402
                          need_binaries, stream_request)

KEY = "11111111-2222-3333-4444-555555555555"
check = Checks()


def policy(tmp, name, netdata_conf, stream_conf=f"[{KEY}]\n    enabled = yes\n"):
    pol, c = compile_policy(tmp, name, netdata_conf, stream_conf)
    check(c.returncode == 0, f"{name}: policy compiles", c.stdout + c.stderr)
    return pol


def talk(family, addr, data, timeout=5):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    deadline = time.time() + 10
    while True:
        try:
            s.connect(addr)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    s.sendall(data)
    out = b""
    try:
        while len(out) < 200000:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if out.startswith(b"Hit me baby"):
                break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def hs(host, guid):
    return stream_request(KEY, host, guid)


GET = b"GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\n"


def stop(p):
    p.terminate()
    try:
        return p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        return "timeout"


def main():
    why = need_binaries()
    if why:
        print(f"FAIL: {why}")
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-lst-")
    procs = []
    try:
        p4, p4b, p4c = free_port(), free_port(), free_port()
        p6 = free_port(socket.AF_INET6, "::1")
        sock = os.path.join(tmp, "streamd.sock")
        pol = policy(tmp, "multi", f"[web]\n    bind to = 127.0.0.1:{p4} [::1]:{p6} "
                     f"unix:{sock} 127.0.0.1:{p4b}=dashboard 127.0.0.1:{p4c}=streaming\n")
        d = subprocess.Popen([STREAMD, "--policy", pol, "--log", os.path.join(tmp, "log")])
        procs.append(d)
        v4 = (socket.AF_INET, ("127.0.0.1", p4))
        v6 = (socket.AF_INET6, ("::1", p6))
        ux = (socket.AF_UNIX, sock)
        for name, (fam, addr), guid in (("v4", v4, 1), ("v6", v6, 2), ("unix", ux, 3)):
            r = talk(fam, addr, hs(f"via-{name}", f"ffffffff-0000-0000-0000-{guid:012d}"))
            check(r.startswith(b"Hit me baby"), f"{name}: stream accepted", repr(r[:100]))
            r = talk(fam, addr, GET)
            check(r.startswith(b"HTTP/1.1 200 OK") and f"via-{name}".encode() in r,
                  f"{name}: the API on the same listener lists the host", repr(r[:200]))
        r = talk(socket.AF_INET, ("127.0.0.1", p4b), hs("noperm", "ffffffff-0000-0000-0000-00000000000a"))
        check(r == b"You are not allowed to access this resource.",
              "a port without `streaming` refuses streams with the raw 403 body", repr(r[:200]))
        r = talk(socket.AF_INET, ("127.0.0.1", p4b), GET)
        check(r.startswith(b"HTTP/1.1 200 OK"), "that port still serves the API", repr(r[:100]))
        r = talk(socket.AF_INET, ("127.0.0.1", p4c), GET)
        check(r.startswith(b"HTTP/1.1 403 Forbidden") and
              r.endswith(b"You are not allowed to access this resource."),
              "a port without `dashboard` refuses API requests with 403", repr(r[:300]))
        r = talk(socket.AF_INET, ("127.0.0.1", p4c), hs("onlystream", "ffffffff-0000-0000-0000-00000000000b"))
        check(r.startswith(b"Hit me baby"), "and still takes streams", repr(r[:100]))
        check(stat_mode(sock) == 0o777, "the unix socket is mode 0777", oct(stat_mode(sock)))

        # [web] allow dashboard from: API requests from an address the pattern does not match
        # get 403, a matching one is served; streaming on the same port is not affected. As in
        # Netdata, a client on 127.0.0.1 is matched as "localhost" (so !127.0.0.1 would not stop it)
        pa, pb, pc = free_port(), free_port(), free_port()
        for port, pattern, served in ((pa, "10.* !localhost *", False),
                                      (pb, "10.* localhost", True),
                                      (pc, "10.* !127.0.0.1 *", True)):
            pold = policy(tmp, f"dash{port}", f"[web]\n    bind to = 127.0.0.1:{port}\n"
                          f"    allow dashboard from = {pattern}\n")
            dd = subprocess.Popen([STREAMD, "--policy", pold, "--log",
                                   os.path.join(tmp, f"dash{port}.log")])
            procs.append(dd)
            r = b""
            deadline = time.time() + 10
            while time.time() < deadline and not r:
                try:
                    r = talk(socket.AF_INET, ("127.0.0.1", port), GET)
                except OSError:
                    time.sleep(0.05)
            if served:
                check(r.startswith(b"HTTP/1.1 200 OK"),
                      f"allow dashboard from = {pattern}: 127.0.0.1 gets the API", repr(r[:120]))
            else:
                check(r.startswith(b"HTTP/1.1 403 Forbidden") and
                      r.endswith(b"You are not allowed to access this resource."),
                      f"allow dashboard from = {pattern}: 127.0.0.1 gets 403", repr(r[:300]))
            r = talk(socket.AF_INET, ("127.0.0.1", port),
                     hs(f"dash{port}", "ffffffff-0000-0000-0000-0000000000%02d" % (port % 100)))
            check(r.startswith(b"Hit me baby"), "... and streaming on that port is not affected",
                  repr(r[:100]))

        # a port in use: start-up fails with a reason, exit 1
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        bp = busy.getsockname()[1]
        pol2 = policy(tmp, "busy", f"[web]\n    bind to = 127.0.0.1:{bp}\n")
        c = subprocess.run([STREAMD, "--policy", pol2], capture_output=True, text=True,
                           timeout=20)
        busy.close()
        check(c.returncode == 1 and "listeners could be opened" in c.stderr and
              "Address already in use" in c.stderr,
              "a taken port fails start-up with a reason", f"{c.returncode} {c.stderr}")

        # [web] mode = none: nothing listens
        pn = free_port()
        pol3 = policy(tmp, "none", f"[web]\n    mode = none\n    bind to = 127.0.0.1:{pn}\n",
                      "[stream]\n    enabled = no\n")
        log3 = os.path.join(tmp, "log3")
        d3 = subprocess.Popen([STREAMD, "--policy", pol3, "--log", log3])
        procs.append(d3)
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.exists(log3) and
                                                 "ready" in open(log3).read()):
            time.sleep(0.05)
        refused = False
        try:
            socket.create_connection(("127.0.0.1", pn), timeout=1).close()
        except OSError:
            refused = True
        check(refused and "[web] mode = none" in open(log3).read(),
              "[web] mode = none: no listener, and the log says why")
        # a corrupt policy: exit 2 with one line
        bad = os.path.join(tmp, "bad.policy")
        with open(pol, "rb") as f:
            data = bytearray(f.read())
        data[100] ^= 0xFF
        with open(bad, "wb") as f:
            f.write(data)
        c = subprocess.run([STREAMD, "--policy", bad], capture_output=True, text=True, timeout=20)
        check(c.returncode == 2 and c.stderr.count("\n") == 1 and "checksum" in c.stderr,
              "a corrupt policy is refused: exit 2, one line", f"{c.returncode} {c.stderr!r}")
        for p in procs:
            check(stop(p) == 0, "streamd stops cleanly")
        procs = []
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.done("streamd_listeners")


def stat_mode(path):
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return -1


if __name__ == "__main__":
    sys.exit(main())
