#!/usr/bin/env python3
"""streamd as a child and as a proxy of the real Netdata 1.37.1 (issue 6), loopback only.

One real Netdata parent P (tests/interop/netdata.sh) accepts two API keys:
  1. streamd child -> P: P's /api/v1/info lists the host (hops 1) and
     /host/NAME/api/v1/data?chart=system.cpu has its data; system.uptime equals the child's own;
     the link negotiated LZ4 compression (Netdata's default, and streamd's).
  2. real Netdata children -> streamd proxy X (memory mode none for their key) -> P:
     kid1 is forwarded with X's `default proxy api key` and only the charts of
     `default proxy send charts matching` (hops 2 at P, its uptime equal to kid1's own);
     kid2's machine section says `proxy enabled = no`: X receives it, P never sees it. Both of
     kid1's links (into X, out of X) are LZ4-compressed.

Exit 0 when every check passed. Environment: STREAMC, STREAMD, KEEP_TMP=1.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from streamd_test import (ROOT, Checks, Streamd, compile_policy, free_port,  # noqa: E402
                          need_binaries, poll, remove_tmp)

NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
K_CHILD = "2b1c0000-0000-4000-8000-000000000001"     # streamd child -> P
K_PROXY = "2b1c0000-0000-4000-8000-000000000002"     # X -> P (forwarded hosts)
K_KIDS = "2b1c0000-0000-4000-8000-000000000003"      # Netdata kids -> X
G_PARENT = "2b1c0000-0000-4000-8000-0000000000a0"
G_CHILD = "2b1c0000-0000-4000-8000-0000000000c1"
G_PROXY = "2b1c0000-0000-4000-8000-0000000000b0"
G_KID1 = "2b1c0000-0000-4000-8000-0000000000d1"
G_KID2 = "2b1c0000-0000-4000-8000-0000000000d2"
FORWARDED = ["system.cpu", "system.load", "system.uptime"]
check = Checks()



class NetdataParent:
    """The real 1.37.1 parent on PORT, accepting K_CHILD and K_PROXY."""

    def __init__(self, tmp, port):
        self.port, self.dir = port, os.path.join(tmp, "ndparent")
        os.makedirs(os.path.join(self.dir, "etc"))
        with open(os.path.join(self.dir, "etc", "stream.conf"), "w") as f:
            f.write(f"[stream]\n    enabled = no\n[{K_CHILD}]\n    enabled = yes\n"
                    f"    default memory mode = ram\n[{K_PROXY}]\n    enabled = yes\n"
                    f"    default memory mode = ram\n")
        self.srv = Streamd("", port, "")            # only for get()/json()
        env = dict(os.environ, ND_HOSTNAME="nd-parent", ND_GUID=G_PARENT)
        p = subprocess.run(["bash", NETDATA_SH, "start-parent", self.dir, str(port)], env=env,
                           capture_output=True, text=True, timeout=90)
        self.ok = p.returncode == 0
        self.err = p.stderr[-2000:]

    def json(self, path):
        try:
            return self.srv.json(path)
        except (OSError, ValueError):
            return None

    def hosts(self):
        j = self.json("/api/v1/info") or {}
        return {h["hostname"]: h for h in j.get("mirrored_hosts_status", [])}

    def stop(self):
        subprocess.run(["bash", NETDATA_SH, "stop", self.dir], capture_output=True, timeout=60)


def newest(get, prefix, chart):
    j = get(f"{prefix}/api/v1/data?chart={chart}&after=-6&format=json")
    vals = [row[1] for row in (j or {}).get("data", []) if row[1] is not None]
    return vals[0] if vals else None


def start_kid(tmp, name, guid, xport, wport):
    d = os.path.join(tmp, name)
    p = subprocess.run(["bash", NETDATA_SH, "start-child", d, f"127.0.0.1:{xport}", K_KIDS,
                        name, guid, str(wport)], capture_output=True, text=True, timeout=90)
    check(p.returncode == 0, f"real Netdata child {name} streams into the streamd proxy",
          p.stderr[-2000:])
    return d


def main():
    why = need_binaries(netdata=True)
    if why:
        print("FAIL " + why)
        return 1
    tmp = tempfile.mkdtemp(prefix="streamd-sender-nd-")
    pport, cport, xport, w1, w2 = (free_port() for _ in range(5))
    parent, child, proxy, kids = None, None, None, []
    try:
        parent = NetdataParent(tmp, pport)
        if not check(parent.ok, "the real Netdata parent starts", parent.err):
            return check.done("streamd_sender_netdata")

        # 1. streamd child -> real parent
        net = (f"[global]\n    hostname = sd-child\n[db]\n    mode = ram\n"
               f"[web]\n    bind to = 127.0.0.1:{cport}\n")
        st = (f"[stream]\n    enabled = yes\n    destination = 127.0.0.1:{pport}\n"
              f"    api key = {K_CHILD}\n    timeout seconds = 10\n")
        pol, c = compile_policy(tmp, "sdchild", net, st, G_CHILD)
        check(c.returncode == 0, "compile the streamd child", c.stderr)
        child = Streamd(pol, cport, os.path.join(tmp, "sdchild.log"))
        check(child.start(), "the streamd child starts")
        got = poll(lambda: "sd-child" in parent.hosts() and
                   newest(parent.json, "/host/sd-child", "system.cpu") is not None, 30)
        check(got, "the real parent's /api/v1/info lists sd-child and "
              "/host/sd-child/api/v1/data?chart=system.cpu has data", child.logtext()[-1500:])
        h = parent.hosts().get("sd-child", {})
        check(h.get("hops") == 1 and h.get("guid") == G_CHILD,
              "... as hops 1 with the child's machine GUID", h)
        def same_uptime(prefix, own):
            a = newest(own.json, "", "system.uptime")
            b = newest(parent.json, prefix, "system.uptime")
            same_uptime.last = (a, b)
            return a is not None and b is not None and a > 0 and abs(a - b) <= 2
        check(poll(lambda: same_uptime("/host/sd-child", child), 10),
              "system.uptime at the real parent equals the child's own (within 2 s)",
              same_uptime.last)
        nd = open(os.path.join(parent.dir, "log", "error.log"), errors="replace").read()
        check("STREAM sd-child [receive from" in nd and "program_name 'streamd'" in nd,
              "the real parent logged the stream from program 'streamd'")
        caps = re.findall(r"sd-child \[send to [^]]*\]: established link with negotiated "
                          r"capabilities: (.*)", child.logtext())
        check(caps and "COMPRESSION" in caps[-1].split(),
              "the streamd child and the real parent negotiated LZ4 compression (so the data "
              "above arrived in LZ4 frames)", caps)

        # 2. real children -> streamd proxy -> real parent
        net = (f"[global]\n    hostname = sd-proxy\n[db]\n    mode = ram\n"
               f"[web]\n    bind to = 127.0.0.1:{xport}\n")
        st = (f"[stream]\n    enabled = no\n    destination = 127.0.0.1:{pport}\n"
              f"    api key = {K_PROXY}\n    timeout seconds = 10\n"
              f"[{K_KIDS}]\n    enabled = yes\n    default memory mode = none\n"
              f"    default proxy enabled = yes\n"
              f"    default proxy send charts matching = {' '.join(FORWARDED)}\n"
              f"[{G_KID2}]\n    proxy enabled = no\n")
        pol, c = compile_policy(tmp, "sdproxy", net, st, G_PROXY)
        check(c.returncode == 0, "compile the streamd proxy", c.stderr)
        proxy = Streamd(pol, xport, os.path.join(tmp, "sdproxy.log"), extra=["--no-collectors"])
        check(proxy.start(), "the streamd proxy starts")
        kids.append(start_kid(tmp, "nd-kid1", G_KID1, xport, w1))
        kids.append(start_kid(tmp, "nd-kid2", G_KID2, xport, w2))
        got = poll(lambda: "nd-kid1" in parent.hosts() and
                   newest(parent.json, "/host/nd-kid1", "system.cpu") is not None, 40)
        check(got, "kid1 reaches the real parent through the proxy, with system.cpu data",
              proxy.logtext()[-2000:])
        h = parent.hosts().get("nd-kid1", {})
        check(h.get("hops") == 2 and h.get("guid") == G_KID1, "... as hops 2, kid1's GUID", h)
        def kid1_charts():
            return sorted((parent.json("/host/nd-kid1/api/v1/charts") or {}).get("charts") or {})
        # system.load comes every 5 s (proc.plugin's minimum for it)
        poll(lambda: kid1_charts() == sorted(FORWARDED), 12)
        check(kid1_charts() == sorted(FORWARDED),
              "proxy send charts matching: exactly the matching charts are forwarded",
              kid1_charts())
        check(poll(lambda: same_uptime("/host/nd-kid1", Streamd("", w1, "")), 10),
              "kid1's system.uptime at the real parent equals kid1's own", same_uptime.last)
        xh = {x["hostname"] for x in (proxy.json("/api/v1/info") or {})
              .get("mirrored_hosts_status", [])}
        check({"nd-kid1", "nd-kid2"} <= xh, "the proxy receives both kids", xh)
        time.sleep(2)
        check("nd-kid2" not in parent.hosts(),
              "kid2 (proxy enabled = no in its machine section) never reaches the parent",
              parent.hosts().keys())
        xl = proxy.logtext()
        caps = re.findall(r"nd-kid1 \[(?:send to [^]]*|receive from \[[^]]*\]:\d+)\]: established link with "
                          r"negotiated capabilities: (.*)", xl)
        check(len(caps) >= 2 and all("COMPRESSION" in c.split() for c in caps),
              "the proxy's links in and out (kid1 -> proxy -> real parent) are both LZ4", caps)
        check(f"STREAM nd-kid1 [send to 127.0.0.1:{pport}]: enabling metrics streaming" in xl,
              "the proxy logs kid1's onward link")
        check("STREAM nd-kid2 [send" not in xl, "the proxy opened no sender for kid2")
        nd = open(os.path.join(parent.dir, "log", "error.log"), errors="replace").read()
        check(f"api key '{K_PROXY}'" in nd or "nd-kid1" in nd,
              "the real parent accepted kid1 under the proxy's api key")

        # a kid that disconnects stops its onward sender (1.37.1)
        subprocess.run(["bash", NETDATA_SH, "stop", kids[0]], capture_output=True, timeout=60)
        check(poll(lambda: "STREAM nd-kid1 [send]: sender stopped" in proxy.logtext(), 10),
              "kid1 stopped: the proxy stops its onward sender")
    finally:
        for d in kids:
            subprocess.run(["bash", NETDATA_SH, "stop", d], capture_output=True, timeout=60)
        for p in (proxy, child):
            if p:
                check(p.stop() == 0, "streamd stops cleanly")
        if parent:
            parent.stop()
        remove_tmp(tmp)
    return check.done("streamd_sender_netdata")


if __name__ == "__main__":
    sys.exit(main())
