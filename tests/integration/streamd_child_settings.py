#!/usr/bin/env python3
"""The settings streamd gives each child's host are the ones `streamc explain` prints for it.

One parent policy with an API key that sets per-key defaults, a plain API key, and a machine
section that overrides them; children with several key/GUID combinations connect (crafted
handshakes), and each host's "streamd" object in /host/NAME/api/v1/info must carry the memory
mode, history, health, postpone, proxy settings that explain derives from the same policy
(two implementations of the layering: runtime/child_cfg.c and compiler/explain.c). The
storage engine must follow the memory mode (none stores nothing).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (STREAMC, Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries)

K1 = "11111111-2222-3333-4444-555555555555"
K2 = "22222222-2222-3333-4444-555555555555"
M1 = "aaaaaaaa-0000-0000-0000-000000000001"
check = Checks()


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
    why = need_binaries()
    if why:
        print(f"FAIL: {why}")
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-cs-")
    d = None
    socks = []
    try:
        port = free_port()
        pol, c = compile_policy(
            tmp, "conf",
            f"[db]\n    mode = ram\n    retention = 2000\n[web]\n"
            f"    bind to = 127.0.0.1:{port}\n[health]\n    enabled = yes\n",
            f"[stream]\n    enabled = no\n"
            f"[{K1}]\n    enabled = yes\n    default memory mode = none\n"
            f"    default history = 1234\n    health enabled by default = auto\n"
            f"    default postpone alarms on connect seconds = 17\n"
            f"    default proxy send charts matching = system.* !*\n"
            f"[{K2}]\n    enabled = yes\n"
            f"[{M1}]\n    memory mode = ram\n    history = 777\n    health enabled = no\n"
            f"    proxy enabled = yes\n    proxy destination = 10.0.0.1:19999\n"
            f"    proxy api key = 33333333-2222-3333-4444-555555555555\n")
        check(c.returncode == 0, "policy compiles", c.stdout + c.stderr)
        d = Streamd(pol, port, os.path.join(tmp, "log"))
        check(d.start(), "streamd starts")
        cases = [("k1-m1", K1, M1), ("k1-any", K1, "aaaaaaaa-0000-0000-0000-000000000002"),
                 ("k2-any", K2, "aaaaaaaa-0000-0000-0000-000000000003"),
                 ("k2-m1case", K2, M1.upper())]
        for host, key, guid in cases:
            s, reply = d.connect(key, host, guid)
            check(reply.startswith(b"Hit me baby"), f"{host}: accepted", repr(reply))
            socks.append(s)
        for host, key, guid in cases:
            ex = explain(pol, key, guid)
            sd = (d.json(f"/host/{host}/api/v1/info") or {}).get("streamd", {})
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
        if d:
            rc = d.stop()
            check(rc == 0, "streamd stops cleanly", str(rc))
        shutil.rmtree(tmp, ignore_errors=True)
    return check.done("streamd_child_settings")


if __name__ == "__main__":
    sys.exit(main())
