#!/usr/bin/env python3
"""streamd TLS: a certificate generated here with openssl; three ports of one policy:
  ^SSL=optional  plain and TLS streams are both accepted, the API answers over TLS and plain
  ^SSL=force     a plain STREAM gets Netdata's HTTP 400 page, a TLS STREAM is accepted
  default        plain streams are accepted, a plain API request is redirected to https (301)
A port without a usable certificate (a second streamd whose key does not match) serves plain
only and logs why. Every wait has a deadline; everything runs on 127.0.0.1.
"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries, stream_request)

KEY = "11111111-2222-3333-4444-555555555555"
PROMPT = b"Hit me baby, push them over with the version=64"
check = Checks()


def handshake(guid, host):
    return stream_request(KEY, host, guid)


def connect(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="localhost")
    return s


def read_all(s, limit=65536):
    data = b""
    deadline = time.time() + 5
    while time.time() < deadline and len(data) < limit:
        try:
            b = s.recv(4096)
        except (socket.timeout, ssl.SSLError, ConnectionResetError):
            break
        if not b:
            break
        data += b
    return data


def stream(port, tls, guid, host):
    """Handshake, then (when accepted) one chart and two collections; returns the reply."""
    s = connect(port, tls)
    s.sendall(handshake(guid, host))
    s.settimeout(5)
    reply = s.recv(8192)
    if reply == PROMPT:
        s.sendall(b'CHART "tls.test" "" "TLS test" "units" "tls" "tls.test" "line" 1000 1 "" '
                  b'"t" "t"\nDIMENSION "a" "a" "absolute" 1 1 ""\n'
                  b'BEGIN "tls.test" 0\nSET "a" = 7\nEND\n')
        time.sleep(0.3)
    s.close()
    return reply


def get(port, tls, path):
    s = connect(port, tls)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    data = read_all(s)
    s.close()
    return data


def main():
    why = need_binaries()
    if why:
        print(f"FAIL: {why}")
        return 1
    if not shutil.which("openssl"):
        print("FAIL: openssl is not installed (run ./configure.py --deps)")
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-tls-")
    procs = []
    try:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        p_opt, p_force, p_dflt, p_other = (free_port() for _ in range(4))
        pol, c = compile_policy(
            tmp, "conf",
            f"[global]\n    hostname = tls-parent\n[db]\n    mode = ram\n"
            f"[web]\n    bind to = 127.0.0.1:{p_opt}=streaming|dashboard^SSL=optional "
            f"127.0.0.1:{p_force}=streaming|dashboard^SSL=force 127.0.0.1:{p_dflt}\n"
            f"    ssl certificate = {cert}\n    ssl key = {key}\n",
            f"[{KEY}]\n    enabled = yes\n")
        check(c.returncode == 0, "policy compiles", c.stdout + c.stderr)
        d = Streamd(pol, p_dflt, os.path.join(tmp, "streamd.log"))
        procs.append(d)
        check(d.start(), "streamd listens")
        logtext = d.logtext()
        check("SSL: TLS enabled" in logtext, "the certificate is loaded", logtext)

        check(stream(p_opt, False, "aaaaaaaa-0000-0000-0000-000000000001", "plain-opt") == PROMPT,
              "optional port: plain STREAM accepted")
        check(stream(p_opt, True, "aaaaaaaa-0000-0000-0000-000000000002", "tls-opt") == PROMPT,
              "optional port: TLS STREAM accepted")
        r = stream(p_force, False, "aaaaaaaa-0000-0000-0000-000000000003", "plain-force")
        check(r.startswith(b"HTTP/1.1 400 Bad Request\r\n") and
              r.endswith(b"I don't understand you...\r\n"),
              "force port: plain STREAM gets the HTTP 400 page", repr(r))
        check(stream(p_force, True, "aaaaaaaa-0000-0000-0000-000000000004", "tls-force") == PROMPT,
              "force port: TLS STREAM accepted")
        check(stream(p_dflt, False, "aaaaaaaa-0000-0000-0000-000000000005", "plain-dflt") == PROMPT,
              "default port: plain STREAM accepted")
        r = get(p_opt, True, "/host/tls-opt/api/v1/chart?chart=tls.test")
        check(r.startswith(b"HTTP/1.1 200 OK") and b'"tls.test"' in r,
              "optional port: API over TLS answers", repr(r[-300:]))
        r = get(p_opt, False, "/api/v1/info")
        check(r.startswith(b"HTTP/1.1 200 OK") and b"tls-force" in r,
              "optional port: plain API answers and lists the TLS-streamed host", repr(r[:300]))
        r = get(p_dflt, False, "/api/v1/info")
        check(r.startswith(b"HTTP/1.1 301") and b"Location: https://" in r,
              "default port with a certificate: plain API is redirected to https", repr(r[:300]))
        s = connect(p_force, True)
        s.sendall(b"\x00garbage that is not http\r\n\r\n")
        r = read_all(s)
        check(r.startswith(b"HTTP/1.1 400"), "garbage over TLS gets a 400 page", repr(r[:200]))
        s = socket.create_connection(("127.0.0.1", p_force), timeout=5)
        s.sendall(b"\x16\x03\x01\x00\x05hello")   # a broken ClientHello
        r = read_all(s)
        check(not r.startswith(b"HTTP") and len(r) < 64,
              "a broken TLS handshake gets at most a TLS alert, then the socket closes", repr(r))
        check(d.proc.poll() is None, "streamd still runs")

        # a key that does not match the certificate: no TLS, plain works, the log says why
        key2 = os.path.join(tmp, "key2.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-out", key2],
                       check=True, capture_output=True)
        pol2, _ = compile_policy(tmp, "conf2",
                                 f"[web]\n    bind to = 127.0.0.1:{p_other}\n"
                                 f"    ssl certificate = {cert}\n    ssl key = {key2}\n",
                                 f"[{KEY}]\n    enabled = yes\n")
        d2 = Streamd(pol2, p_other, os.path.join(tmp, "streamd2.log"))
        procs.append(d2)
        check(d2.start(), "second streamd listens")
        check("SSL: no TLS" in d2.logtext(), "a mismatched key disables TLS with a log line",
              d2.logtext())
        check(stream(p_other, False, "aaaaaaaa-0000-0000-0000-000000000006", "p2") == PROMPT,
              "without TLS, plain STREAM accepted")
        for p in procs:
            rc = p.stop()
            check(rc == 0, "streamd stops cleanly on SIGTERM", f"exit {rc}")
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.done("streamd_tls")


if __name__ == "__main__":
    sys.exit(main())
