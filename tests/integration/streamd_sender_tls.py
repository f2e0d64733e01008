#!/usr/bin/env python3
"""streamd's sender over TLS (config-semantics §6.3): children streaming to TLS parents.

Every key and certificate is made here with the openssl command: a CA; server certificates
signed by it for DNS:localhost + IP:127.0.0.1 (good), for DNS:wrong.example only (wrong host),
one that expired in 2020 (a minimal `openssl ca` with -startdate/-enddate); a self-signed one.
Each certificate gets its own parent streamd on a ^SSL=force port, plus one plain parent
without a certificate. Each row is a child streamd ([web] mode = none, [stream] destination
...:SSL) and asserts both sides: whether the parent lists the child's host in /api/v1/info
mirrored_hosts (and logs "receiving metrics"), and the child's log line:

  good cert, CAfile, 127.0.0.1             streams
  good cert, CApath (rehashed), localhost  streams
  good cert, no CA (system store)          refused: unable to get local issuer certificate
  good cert, CAfile that does not exist    logged, system store used; refused as above
  self-signed, verification on             refused: self-signed certificate
  self-signed, skip verification           streams
  expired, CAfile                          refused: certificate has expired
  wrong host, CAfile, 127.0.0.1            refused: IP address mismatch
  wrong host, CAfile, localhost            refused: hostname mismatch
  wrong host, skip verification            streams
  plain parent, ':SSL' child               refused: SSL cannot connect (OpenSSL's reason)
  force port, child without ':SSL'         refused by the parent: response not understood

A refused destination is postponed (300 s after a TLS failure): later passes log "skipping
destination". All on 127.0.0.1; every wait has a deadline; every process is killed at the end.
"""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (STREAMD, Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries)

KEY = "0dd511de-4daf-496a-9b05-c3c7d00c1c30"
check = Checks()

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = streamd-test
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca]
default_ca = testca
[testca]
dir = {tmp}/ca
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/new
certificate = {tmp}/ca.pem
private_key = {tmp}/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[good]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[wrong]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
"""


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {p.stderr.strip()}")


def make_certs(tmp):
    """The CA, the four server certificates, a rehashed CApath; {name: (cert, key)} + paths."""
    cnf = os.path.join(tmp, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(OPENSSL_CNF.format(tmp=tmp))
    os.makedirs(os.path.join(tmp, "ca", "new"))
    open(os.path.join(tmp, "ca", "index.txt"), "w").close()
    with open(os.path.join(tmp, "ca", "serial"), "w") as f:
        f.write("1000\n")
    p = lambda name: os.path.join(tmp, name)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-config", cnf, "-x509", *ec, "-days", "2", "-subj", "/CN=streamd test CA",
            "-extensions", "v3_ca", "-keyout", p("ca.key"), "-out", p("ca.pem"))
    certs = {}
    for name, ext, dates in (("good", "good", ["-days", "2"]),
                             ("wrong", "wrong", ["-days", "2"]),
                             ("expired", "good", ["-startdate", "20200101000000Z",
                                                  "-enddate", "20200102000000Z"])):
        openssl("req", "-config", cnf, "-new", *ec, "-subj", f"/CN={name} server",
                "-keyout", p(name + ".key"), "-out", p(name + ".csr"))
        openssl("ca", "-config", cnf, "-batch", "-notext", "-extensions", ext, *dates,
                "-in", p(name + ".csr"), "-out", p(name + ".pem"))
        certs[name] = (p(name + ".pem"), p(name + ".key"))
    openssl("req", "-config", cnf, "-x509", *ec, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", p("self.key"), "-out", p("self.pem"))
    certs["self"] = (p("self.pem"), p("self.key"))
    capath = p("capath")
    os.mkdir(capath)
    shutil.copy(p("ca.pem"), os.path.join(capath, "ca.pem"))
    openssl("rehash", capath)
    return certs, p("ca.pem"), capath


def parent_policy(tmp, name, port, cert):
    """A parent: one port, ^SSL=force when it has a certificate, accepting KEY."""
    tls = (f"^SSL=force\n    ssl certificate = {cert[0]}\n    ssl key = {cert[1]}\n"
           if cert else "\n")
    return compile_policy(
        tmp, name,
        f"[global]\n    hostname = parent-{name}\n[db]\n    mode = ram\n"
        f"[web]\n    bind to = 127.0.0.1:{port}=streaming|dashboard{tls}",
        f"[stream]\n    enabled = no\n[{KEY}]\n    enabled = yes\n")


def child_policy(tmp, name, dest, extra, n):
    """A child: no listener, its own host streamed to DEST (a sender needs a machine GUID)."""
    return compile_policy(
        tmp, name,
        f"[global]\n    hostname = {name}\n[db]\n    mode = ram\n[web]\n    mode = none\n",
        f"[stream]\n    enabled = yes\n    destination = {dest}\n    api key = {KEY}\n"
        f"    reconnect delay seconds = 1\n    timeout seconds = 5\n{extra}",
        guid=f"cccccccc-0000-0000-0000-{n:012d}")


def start_child(policy, log):
    """A child has no listener, so Streamd.start() (which waits for its port) does not apply."""
    d = Streamd(policy, None, log)
    d.proc = subprocess.Popen([STREAMD, "--policy", policy, "--log", log])
    return d


def mirrored(parent, tls):
    """The host names in the parent's /api/v1/info mirrored_hosts (None when it does not answer)."""
    try:
        s = socket.create_connection(("127.0.0.1", parent.port), timeout=3)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s, server_hostname="localhost")
        s.settimeout(3)
        s.sendall(f"GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1:{parent.port}\r\n"
                  f"Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
    except (OSError, ssl.SSLError):
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return None
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            n, _, rest = rest.partition(b"\r\n")
            size = int(n.split(b";")[0], 16)
            if not size:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    try:
        return json.loads(body).get("mirrored_hosts", [])
    except ValueError:
        return None


def main():
    why = need_binaries()
    if why:
        print(f"FAIL: {why}")
        return 1
    if not shutil.which("openssl"):
        print("FAIL: openssl is not installed (run ./configure.py --deps)")
        return 1
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="streamd-sender-tls-")
    procs = []
    try:
        certs, cafile, capath = make_certs(tmp)
        check(True, "openssl made a CA, good/wrong-host/expired/self-signed certificates")

        parents = {}
        for name, cert in (("good", certs["good"]), ("self", certs["self"]),
                           ("expired", certs["expired"]), ("wrong", certs["wrong"]),
                           ("plain", None)):
            port = free_port()
            pol, c = parent_policy(tmp, name, port, cert)
            check(c.returncode == 0, f"parent {name}: policy compiles", c.stdout + c.stderr)
            d = Streamd(pol, port, os.path.join(tmp, f"parent-{name}.log"))
            procs.append(d)
            parents[name] = d
        for name, d in parents.items():
            check(d.start(), f"parent {name}: listens")
        for name in ("good", "self", "expired", "wrong"):
            check("SSL: TLS enabled" in parents[name].logtext(),
                  f"parent {name}: its certificate is loaded", parents[name].logtext()[-500:])

        def dest(parent, host="127.0.0.1", tls=True):
            return f"{host}:{parents[parent].port}" + (":SSL" if tls else "")

        not_valid = "Closing the stream connection, because the server SSL certificate is not valid"
        # (child host, parent, destination, extra [stream] keys, streams?, child log text)
        rows = [
            ("c-cafile", "good", dest("good"), f"    CAfile = {cafile}\n", True, None),
            ("c-capath", "good", dest("good", "localhost"), f"    CApath = {capath}\n", True,
             None),
            ("c-nostore", "good", dest("good"), "", False,
             f"{not_valid} (unable to get local issuer certificate)."),
            ("c-badcafile", "good", dest("good"), f"    CAfile = {tmp}/missing.pem\n", False,
             f"{not_valid} (unable to get local issuer certificate)."),
            ("c-self", "self", dest("self"), "", False,
             f"{not_valid} (self-signed certificate)."),
            ("c-self-skip", "self", dest("self"), "    ssl skip certificate verification = yes\n",
             True, None),
            ("c-expired", "expired", dest("expired"), f"    CAfile = {cafile}\n", False,
             f"{not_valid} (certificate has expired)."),
            ("c-wrong-ip", "wrong", dest("wrong"), f"    CAfile = {cafile}\n", False,
             f"{not_valid} (IP address mismatch)."),
            ("c-wrong-name", "wrong", dest("wrong", "localhost"), f"    CAfile = {cafile}\n",
             False, f"{not_valid} (hostname mismatch)."),
            ("c-wrong-skip", "wrong", dest("wrong", "localhost"),
             f"    CAfile = {cafile}\n    ssl skip certificate verification = yes\n", True, None),
            ("c-plain-parent", "plain", dest("plain"), "", False,
             "SSL cannot connect with the server:"),
            ("c-no-ssl", "good", dest("good", tls=False), "", False,
             "remote node response is not understood, is it Netdata?"),
        ]
        children = {}
        for n, (host, parent, dst, extra, _, _) in enumerate(rows):
            pol, c = child_policy(tmp, host, dst, extra, n)
            check(c.returncode == 0, f"{host}: policy compiles ({dst})", c.stdout + c.stderr)
            children[host] = start_child(pol, os.path.join(tmp, f"{host}.log"))
            procs.append(children[host])

        # wait (bounded) until every row has shown what it is going to show
        deadline = time.time() + 25
        while time.time() < deadline:
            lists = {n: mirrored(p, n != "plain") for n, p in parents.items()}
            pending = False
            for host, parent, _, _, streams, text in rows:
                log = children[host].logtext()
                if streams:
                    got = host in (lists[parent] or [])
                    pending |= not got or "enabling metrics streaming" not in log
                else:
                    pending |= text not in log or "skipping destination" not in log
            if not pending:
                break
            time.sleep(0.25)

        lists = {n: mirrored(p, n != "plain") for n, p in parents.items()}
        for n, lst in lists.items():
            check(lst is not None, f"parent {n}: /api/v1/info answers", repr(lst))
        for host, parent, dst, extra, streams, text in rows:
            log = children[host].logtext()
            plog = parents[parent].logtext()
            listed = host in (lists[parent] or [])
            keys = "; ".join(ln.strip() for ln in extra.splitlines()).replace(tmp + "/", "")
            what = f"{host} -> {parent} ({dst}{', ' + keys if keys else ''})"
            if streams:
                check(listed, f"{what}: the parent lists the host",
                      f"{lists[parent]}\n{log[-800:]}")
                check(f"STREAM {host} [receive from" in plog and "receiving metrics" in plog,
                      f"{what}: the parent logs receiving metrics", plog[-800:])
                check("established link with negotiated capabilities" in log and
                      "enabling metrics streaming" in log,
                      f"{what}: the child logs the established link", log[-800:])
                check(not_valid not in log and "SSL cannot connect" not in log,
                      f"{what}: no TLS error in the child's log", log[-800:])
            else:
                check(not listed and f"STREAM {host} [receive from" not in plog,
                      f"{what}: the parent never lists the host", f"{lists[parent]}\n{plog[-800:]}")
                check(text in log, f"{what}: the child logs '{text}'", log[-1200:])
                check("enabling metrics streaming" not in log,
                      f"{what}: the child never streams", log[-800:])
                # the next passes skip the postponed destination (the list is cut at ':SSL'):
                # 300 s after a TLS failure, 60 s after a reply that is not understood
                reason, secs = (("invalid SSL certificate", 300) if text.startswith(not_valid)
                                else ("SSL error", 300) if text.startswith("SSL cannot")
                                else (text, 60))
                cut = re.escape(dst.split(":SSL")[0])
                m = re.search(rf"STREAM {host}: skipping destination '{cut}'"
                              rf" \(default port: 19999\) due to last error \(code: -?\d+, "
                              rf"{re.escape(reason)}\), will retry it in (\d+) seconds", log)
                check(m and secs - 15 < int(m.group(1)) <= secs,
                      f"{what}: a later pass skips the destination, postponed {secs} s "
                      f"({reason})", log[-1200:])
        log = children["c-badcafile"].logtext()
        check(f"STREAM: cannot use CAfile '{tmp}/missing.pem'" in log and
              "using the system's default CA locations" in log,
              "c-badcafile: an unusable CAfile is logged, the system's store is used instead",
              log[-1200:])
        log = children["c-plain-parent"].logtext()
        check(re.search(r"SSL cannot connect with the server: +error:[0-9A-F]{8}:", log),
              "c-plain-parent: the handshake failure names OpenSSL's reason",
              [ln for ln in log.splitlines() if "SSL cannot connect" in ln][:1])
        check(all(p.proc.poll() is None for p in procs), "every streamd still runs",
              [p.log for p in procs if p.proc.poll() is not None])
        for p in procs:
            rc = p.stop()
            check(rc == 0, f"{os.path.basename(p.log)[:-4]}: stops cleanly on SIGTERM",
                  f"exit {rc}\n{p.logtext()[-1500:]}")
    except Exception as e:  # noqa: BLE001 - a setup failure is a test failure
        check(False, "the test ran to the end", f"{type(e).__name__}: {e}")
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"streamd_sender_tls: {time.time() - t0:.1f} s")
    return check.done("streamd_sender_tls")


if __name__ == "__main__":
    sys.exit(main())
