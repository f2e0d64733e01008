#!/usr/bin/env python3
"""The settings streamd gives each child's host are the ones `streamc explain` prints for it.

One parent policy with an API key that sets per-key defaults, a plain API key, and a machine
section that overrides them; children with several key/GUID combinations connect (crafted
handshakes), and each host's "streamd" object in /host/NAME/api/v1/info must carry the memory
mode, history, health, postpone, proxy settings that explain derives from the same policy
(two implementations of the layering: runtime/child_cfg.c and compiler/explain.c). The
storage engine must follow the memory mode (none stores nothing).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.environ.get("STREAMC_ROOT", os.getcwd())
STREAMC = os.environ.get("STREAMC", os.path.join(ROOT, "streamc"))
STREAMD = os.environ.get("STREAMD", os.path.join(ROOT, "streamd"))
K1 = "11111111-2222-3333-4444-555555555555"
K2 = "22222222-2222-3333-4444-555555555555"
M1 = "aaaaaaaa-0000-0000-0000-000000000001"
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"\n     {detail}"))
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def explain(policy, key, guid):
    out = subprocess.run([STREAMC, "explain", policy, "--api-key", key, "--machine-guid", guid,
                          "--from", "127.0.0.1"], capture_output=True, text=True).stdout
    part = out.split("# settings Netdata gives", 1)[-1]
    vals = {}
    for line in part.splitlines()[1:]:
        m = re.match(r"    (\S.*?) = (.*?)\s+# ", line)
        if not m:
            break
        vals[m.group(1)] = m.group(2).strip()
    return vals


def main():
    for exe in (STREAMC, STREAMD):
        if not os.access(exe, os.X_OK):
            print(f"FAIL: {exe} is not built (run ninja)")
            return 1
    tmp = tempfile.mkdtemp(prefix="streamd-cs-")
    proc = None
    socks = []
    try:
        port = free_port()
        conf = os.path.join(tmp, "conf")
        os.mkdir(conf)
        with open(os.path.join(conf, "netdata.conf"), "w") as f:
            f.write(f"[db]\n    mode = ram\n    retention = 2000\n[web]\n"
                    f"    bind to = 127.0.0.1:{port}\n[health]\n    enabled = yes\n")
        with open(os.path.join(conf, "stream.conf"), "w") as f:
            f.write(f"[stream]\n    enabled = no\n"
                    f"[{K1}]\n    enabled = yes\n    default memory mode = none\n"
                    f"    default history = 1234\n    health enabled by default = auto\n"
                    f"    default postpone alarms on connect seconds = 17\n"
                    f"    default proxy send charts matching = system.* !*\n"
                    f"[{K2}]\n    enabled = yes\n"
                    f"[{M1}]\n    memory mode = ram\n    history = 777\n    health enabled = no\n"
                    f"    proxy enabled = yes\n    proxy destination = 10.0.0.1:19999\n"
                    f"    proxy api key = 33333333-2222-3333-4444-555555555555\n")
        pol = os.path.join(tmp, "p.policy")
        c = subprocess.run([STREAMC, "compile", conf, "-o", pol], capture_output=True, text=True)
        check(c.returncode == 0, "policy compiles", c.stdout + c.stderr)
        proc = subprocess.Popen([STREAMD, "--policy", pol, "--log", os.path.join(tmp, "log")])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        cases = [("k1-m1", K1, M1), ("k1-any", K1, "aaaaaaaa-0000-0000-0000-000000000002"),
                 ("k2-any", K2, "aaaaaaaa-0000-0000-0000-000000000003"),
                 ("k2-m1case", K2, M1.upper())]
        for host, key, guid in cases:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(f"STREAM key={key}&hostname={host}&machine_guid={guid}&ver=64 HTTP/1.1\r\n"
                      f"\r\n".encode())
            reply = s.recv(100)
            check(reply.startswith(b"Hit me baby"), f"{host}: accepted", repr(reply))
            socks.append(s)
        for host, key, guid in cases:
            ex = explain(pol, key, guid)
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/host/{host}/api/v1/info",
                                          timeout=5).read()
            sd = json.loads(body)["streamd"]
            want = {
                "memory_mode": ex.get("memory mode"),
                "history": max(5, int(ex.get("history", "0"))),
                "health": ex.get("health enabled"),
                "postpone_alarms": int(ex.get("postpone alarms on connect seconds", "-1")),
                "proxy_enabled": ex.get("proxy enabled") == "yes",
                "proxy_destination": ex.get("proxy destination") or None,
                "proxy_send_charts": ex.get("proxy send charts matching"),
            }
            got = {k: sd.get(k) for k in want}
            check(got == want, f"{host}: streamd's settings equal explain's",
                  f"explain {want}\n     streamd {got}")
            engine = "none" if want["memory_mode"] == "none" else "ram"
            check(sd.get("storage_engine") == engine,
                  f"{host}: storage engine follows memory mode {want['memory_mode']}",
                  str(sd.get("storage_engine")))
            pk = ex.get("proxy api key", "")
            check(not pk or (sd.get("proxy_api_key") or "")[:8] == pk[:8],
                  f"{host}: proxy api key shown (masked)", str(sd.get("proxy_api_key")))
        # the expected values themselves, so both sides cannot be wrong the same way
        ex = explain(pol, K1, "aaaaaaaa-0000-0000-0000-000000000002")
        check(ex.get("memory mode") == "none" and ex.get("history") == "1234" and
              ex.get("health enabled") == "auto", "the API-key layer applies to an unknown GUID",
              str(ex))
        ex = explain(pol, K1, M1)
        check(ex.get("memory mode") == "ram" and ex.get("history") == "777" and
              ex.get("postpone alarms on connect seconds") == "17",
              "the machine layer wins, the key layer fills the rest", str(ex))
    finally:
        for s in socks:
            s.close()
        if proc:
            proc.terminate()
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = "timeout"
            check(rc == 0, "streamd stops cleanly", str(rc))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"streamd_child_settings: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
