#!/usr/bin/env python3
"""Record a real Netdata 1.37.1 child's metrics for bench/bench_storage.c (dataset "a",
real system metrics collected by Netdata's own built-in collectors). Standard library only.

Usage: bench/record_netdata.py [--wire FILE] [OUT] [SECONDS]
       (defaults: build/bench/netdata_metrics.bin, 900; run from anywhere after `ninja`)

--wire FILE: the child connects to a relay on loopback that passes every byte both ways and
appends what the child sends (its STREAM request and command stream, uncompressed: the child
runs with compression off) to FILE, for bench/collections_cost.py; the relay adds no parsing.
Then streamd's dbengine pages of the child are also exported to OUT.streamd.bin (bench_storage
--export), so that the same stream's stored slots can be measured with `bench_storage --pages`.

The parent is streamd itself (./streamd, policy compiled by ./streamc from a generated
stream.conf + netdata.conf: the child's API key has `default memory mode = dbengine`), with
--data-dir under build/: so the same run also measures dbengine end to end on the real stream
(parse, rrd_collect's values, pages, files). After the recording streamd is stopped with
SIGTERM (a clean close flushes), and OUT.e2e gets one line "RESULT bench=storage_e2e slots=N
bytes=B files=F netdata_bytes=D" (N = the slots of every dimension between the first and last
stored slot, as streamd's /api/v1/data returns them; B = the bytes of the child's dbengine
directory on streamd; D = the bytes of the child's own Netdata dbengine, tier 0, which holds the
same metrics over the same run: the baseline).

The child (tests/interop/netdata.sh: /proc collectors only, update every 1 s, loopback only;
memory mode dbengine with one tier through its netdata.extra.conf) collects for
SECONDS (+60 s so that every chart exists), then reads every dimension of every chart back from
the child's own API for the last SECONDS (/api/v1/data, one point per second, no grouping: the
values the child stored and streamed; a second a chart has no row for is empty),
stops both and writes OUT in bench/record_proc.py's format ("SCBENCH1", series names, series-
major float32; null = an empty slot = NaN). The recording is not committed (several MB); the
bench measures it when it is there.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ND = os.path.join(ROOT, "tests", "interop", "netdata.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        return json.load(r)


def wait_port(port, proc, why):
    """Until something listens on 127.0.0.1:PORT (10 s at most; PROC must stay up)."""
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(why)
            time.sleep(0.1)


def tee_relay(listen_port, to_port, wire_path):
    """Accept connections on LISTEN_PORT, connect each to TO_PORT, pass bytes both ways; what
    the accepted side sends is appended to WIRE_PATH. Daemon threads: they end with the run."""
    srv = socket.create_server(("127.0.0.1", listen_port))
    wire = open(wire_path, "ab")
    lock = threading.Lock()

    def pump(src, dst, tee):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                if tee:
                    with lock:
                        wire.write(b)
                        wire.flush()
                dst.sendall(b)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve():
        while True:
            c, _ = srv.accept()
            try:
                up = socket.create_connection(("127.0.0.1", to_port), timeout=10)
                up.settimeout(None)
            except OSError:
                c.close()
                continue
            threading.Thread(target=pump, args=(c, up, True), daemon=True).start()
            threading.Thread(target=pump, args=(up, c, False), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


def main():
    args = sys.argv[1:]
    wire = None
    if args[:1] == ["--wire"] and len(args) >= 2:
        wire, args = os.path.abspath(args[1]), args[2:]
    out = args[0] if args else os.path.join(ROOT, "build", "bench", "netdata_metrics.bin")
    seconds = int(args[1]) if len(args) > 1 else 900
    work = tempfile.mkdtemp(prefix="nd-record-", dir=os.path.join(ROOT, "build"))
    child, conf, data = (os.path.join(work, x) for x in ("child", "conf", "data"))
    pport, wport, key = free_port(), free_port(), "11111111-2222-3333-4444-555555555555"
    guid = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    env = dict(os.environ, ND_COMPRESSION="no", ND_REPLICATION="no")
    os.makedirs(conf)
    os.makedirs(data)
    with open(os.path.join(conf, "stream.conf"), "w") as f:
        f.write(f"[{key}]\n    enabled = yes\n    allow from = localhost\n"
                f"    default memory mode = dbengine\n")
    with open(os.path.join(conf, "netdata.conf"), "w") as f:
        f.write(f"[global]\n    hostname = bench-parent\n[db]\n    mode = ram\n"
                f"    dbengine multihost disk space MB = 1024\n[web]\n"
                f"    bind to = 127.0.0.1:{pport}\n")
    policy = os.path.join(work, "parent.policy")
    subprocess.check_call([os.path.join(ROOT, "streamc"), "compile", conf, "-o", policy])
    sd = subprocess.Popen([os.path.join(ROOT, "streamd"), "--policy", policy, "--data-dir", data,
                           "--log", os.path.join(work, "streamd.log")])
    try:
        wait_port(pport, sd, f"record_netdata: streamd did not start (see its log in {work})")
        # the child keeps its own copy in Netdata's dbengine (tier 0 only): its size is the
        # Netdata 1.37.1 baseline for the same data
        os.makedirs(os.path.join(child, "etc"))
        with open(os.path.join(child, "etc", "netdata.extra.conf"), "w") as f:
            f.write("[db]\n    mode = dbengine\n    storage tiers = 1\n"
                    "    dbengine multihost disk space MB = 1024\n")
        dport = pport
        if wire:
            open(wire, "wb").close()
            dport = free_port()
            tee_relay(dport, pport, wire)
        subprocess.check_call(["bash", ND, "start-child", child, f"127.0.0.1:{dport}", key,
                               "bench-child", guid, str(wport)], env=env,
                              stdout=subprocess.DEVNULL)
        print(f"record_netdata: collecting for {seconds} s (+60 s for every chart to start)",
              flush=True)
        time.sleep(seconds + 60)
        end = int(time.time()) - 2
        first = end - seconds + 1
        charts = get(wport, "/api/v1/charts")["charts"]
        names, cols = [], []
        for cid in sorted(charts):
            q = urllib.parse.urlencode({"chart": cid, "after": first - 1, "before": end,
                                        "points": seconds + 1, "group": "average",
                                        "gtime": 0, "format": "json", "options": "seconds,flip"})
            d = get(wport, "/api/v1/data?" + q)
            labels = d["labels"][1:]
            rows = {int(r[0]): r for r in d["data"]}
            for i, label in enumerate(labels):
                names.append(f"{cid}.{label}")
                col = []
                for t in range(first, end + 1):
                    v = rows.get(t, [None] * (i + 2))[i + 1]
                    col.append(float("nan") if v is None else float(v))
                cols.append(col)
        n = seconds
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(b"SCBENCH1" + struct.pack("<4I", len(names), n, 1, 0))
            for name in names:
                f.write(name.encode() + b"\0")
            for c in cols:
                f.write(struct.pack(f"<{n}f", *c[:n]))
        print(f"record_netdata: {len(charts)} charts, {len(names)} series x {n} samples -> "
              f"{out} ({os.path.getsize(out)} bytes)")
        slots = 0
        for cid in sorted(charts):
            q = urllib.parse.urlencode({"chart": cid, "after": -86400, "before": 0, "points": 0,
                                        "format": "json", "options": "seconds"})
            d = get(pport, "/host/bench-child/api/v1/data?" + q)
            for i in range(1, len(d["labels"])):
                held = [k for k, r in enumerate(d["data"]) if r[i] is not None]
                slots += held[-1] - held[0] + 1 if held else 0
        subprocess.call(["bash", ND, "stop", child], stdout=subprocess.DEVNULL)
        sd.terminate()
        sd.wait(timeout=60)
        ddir = os.path.join(data, guid, "dbengine")
        files = [os.path.join(ddir, x) for x in os.listdir(ddir)]
        size = sum(os.path.getsize(x) for x in files)
        nddir = os.path.join(child, "cache", "dbengine")
        nd = sum(os.path.getsize(os.path.join(nddir, x)) for x in os.listdir(nddir)) \
            if os.path.isdir(nddir) else 0
        if wire:
            # bench_storage --export reads DIR/localhost: point one at the child's host
            exp = os.path.join(work, "export")
            os.makedirs(exp)
            os.symlink(os.path.join(data, guid), os.path.join(exp, "localhost"))
            subprocess.check_call([os.path.join(ROOT, "build", "bench", "bench_storage"),
                                   "--export", exp, out + ".streamd.bin"])
        with open(out + ".e2e", "w") as f:
            f.write(f"RESULT bench=storage_e2e slots={slots} bytes={size} files={len(files)} "
                    f"netdata_bytes={nd}\n")
        print(f"record_netdata: streamd dbengine: {slots} slots, {size} bytes in {ddir} "
              f"({size / max(slots, 1):.3f} B/slot); the child's own Netdata dbengine (tier 0, "
              f"its whole run): {nd} bytes")
        shutil.rmtree(work, ignore_errors=True)     # kept (with streamd's log) on failure
    finally:
        subprocess.call(["bash", ND, "stop", child], stdout=subprocess.DEVNULL)
        if sd.poll() is None:
            sd.terminate()
            sd.wait(timeout=60)


if __name__ == "__main__":
    main()
