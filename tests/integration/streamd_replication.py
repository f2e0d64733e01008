#!/usr/bin/env python3
"""Replication from the real Netdata 1.37.1 child into streamd (stream-protocol §3.7), loopback.

1. streamd (memory mode ram for the child's key) receives a real child (tests/interop/netdata.sh,
   replication and compression on, Netdata's defaults): the link negotiates REPLICATION.
2. streamd is stopped (SIGTERM: a ram parent loses everything) for 8 s and started again on the
   same port. The child reconnects; streamd asks for what it is missing (REPLAY_CHART), the
   child sends it (RBEGIN/RSET/REND). Then every second the child's own API has for
   system.cpu over the last 60 s - before the restart, during the outage and after it - must be
   at the parent with the same values (Netdata prints 7 significant digits: relative 1e-6 or
   absolute 1e-6), and at least 8 of them must be from the outage.
3. The same with `enable replication = no` in the key's section: the link has no REPLICATION
   and the outage stays empty at the parent.
Exit 0 when every check passed. Environment: STREAMC, STREAMD.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries, poll, remove_tmp)

ROOT = os.environ.get("STREAMC_ROOT", os.getcwd())
NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
KEY = "7a1e0c3d-1111-4000-8000-00000000aa01"
CHILD, CHILD_GUID = "replkid", "7a1e0c3d-2222-4000-8000-00000000bb01"
PARENT_GUID = "7a1e0c3d-3333-4000-8000-00000000cc01"
OUTAGE = 8
check = Checks()


def rows(get, prefix, after=-60):
    j = get(f"{prefix}/api/v1/data?chart=system.cpu&dimensions=user,system&after={after}"
            f"&format=json")
    return {r[0]: r[1:] for r in (j or {}).get("data", []) if r[1] is not None}


def same(a, b):
    return all(abs(x - y) <= max(1e-6, 1e-6 * abs(x)) for x, y in zip(a, b))


def run_phase(tmp, replication):
    tag = "on" if replication else "off"
    pport, wport = free_port(), free_port()
    st = (f"[stream]\n    enabled = no\n[{KEY}]\n    enabled = yes\n    allow from = *\n"
          f"    default memory mode = ram\n"
          + ("" if replication else "    enable replication = no\n"))
    net = (f"[global]\n    hostname = repl-parent\n[db]\n    mode = ram\n"
           f"[web]\n    bind to = 127.0.0.1:{pport}\n")
    pol, c = compile_policy(tmp, "parent-" + tag, net, st, PARENT_GUID)
    check(c.returncode == 0, f"{tag}: compile the parent", c.stderr)
    log = os.path.join(tmp, f"parent-{tag}.log")
    parent = Streamd(pol, pport, log, extra=["--no-collectors"])
    cdir = os.path.join(tmp, "child-" + tag)
    try:
        check(parent.start(), f"{tag}: streamd starts")
        env = dict(os.environ, ND_TIMEOUT="20")
        p = subprocess.run(["bash", NETDATA_SH, "start-child", cdir, f"127.0.0.1:{pport}", KEY,
                            CHILD, CHILD_GUID, str(wport)], env=env, capture_output=True,
                           text=True, timeout=90)
        if not check(p.returncode == 0, f"{tag}: the real child connects", p.stderr[-1500:]):
            return
        caps = re.findall(r"established link with negotiated capabilities: (.*)", p.stdout +
                          p.stderr + open(os.path.join(cdir, "log", "error.log")).read())
        check(caps and ("REPLICATION" in caps[-1].split()) == replication,
              f"{tag}: REPLICATION {'negotiated' if replication else 'not negotiated'}", caps)
        child_get = Streamd("", wport, "").json
        check(poll(lambda: len(rows(parent.json, f"/host/{CHILD}")) >= 5, 20),
              f"{tag}: the parent has the child's system.cpu")
        rc = parent.stop()
        check(rc == 0, f"{tag}: streamd stops cleanly (exit {rc})")
        down = time.time()
        time.sleep(OUTAGE)
        up = time.time()
        check(parent.start(), f"{tag}: streamd starts again")
        # the child comes back (its reconnect delay, or a hold after a failed attempt)
        back = poll(lambda: any(t >= int(up) + 2 for t in rows(parent.json, f"/host/{CHILD}")),
                    45)
        check(back, f"{tag}: the child streams into the restarted parent")
        time.sleep(2)
        mine, theirs = rows(child_get, ""), rows(parent.json, f"/host/{CHILD}")
        outage = [t for t in mine if down + 1 < t < up - 1]
        if replication:
            missing = [t for t in mine if t not in theirs or not same(mine[t], theirs[t])]
            check(mine and not missing and len(outage) >= OUTAGE - 3,
                  f"on: every one of the child's {len(mine)} rows of the last 60 s is at the "
                  f"parent with the same values ({len(outage)} from the outage)",
                  [(t, mine[t], theirs.get(t)) for t in missing[:5]])
        else:
            refilled = [t for t in outage if t in theirs]
            check(outage and not refilled,
                  f"off: the {len(outage)} seconds of the outage stay empty at the parent",
                  refilled[:5])
    finally:
        subprocess.run(["bash", NETDATA_SH, "stop", cdir], capture_output=True, timeout=60)
        rc = parent.stop()
        check(rc in (0, None), f"{tag}: streamd stops cleanly at the end (exit {rc})")


def main():
    why = need_binaries(netdata=True)
    if why:
        print("FAIL " + why)
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-repl-")
    try:
        run_phase(tmp, True)
        run_phase(tmp, False)
    finally:
        remove_tmp(tmp)
    return check.done("streamd_replication")


if __name__ == "__main__":
    sys.exit(main())
