#!/usr/bin/env python3
"""Record streamd's own built-in collectors as a child streams them, for
bench/collections_cost.py. Standard library only; loopback only.

Usage: bench/record_streamd_wire.py [WIRE] [SECONDS]
       (defaults: build/bench/streamd_wire.txt, 900; run after `ninja` and
       `ninja build/bench/bench_storage`)

A parent streamd (the child's API key with `default memory mode = dbengine`, --data-dir under
build/) and a child streamd (only its /proc collectors, update every 1 s, `[stream]` to the
parent through bench/record_netdata.py's tee relay, which appends what the child sends to WIRE;
compression off, so that WIRE is the command stream's text)
run for SECONDS; both are stopped with SIGTERM (a clean close flushes the parent's pages), and
the parent's dbengine pages of the child are exported to WIRE.streamd.bin (bench_storage
--export): the slots streamd stored from that same stream, for the baseline of
`bench/collections_cost.py WIRE WIRE.streamd.bin`.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record_netdata import ROOT, free_port, tee_relay, wait_port  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    wire = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(ROOT, "build", "bench", "streamd_wire.txt"))
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 900
    work = tempfile.mkdtemp(prefix="sd-wire-", dir=os.path.join(ROOT, "build"))
    pport, dport = free_port(), free_port()
    key = "11111111-2222-3333-4444-555555555555"
    guid = "aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff"
    write(f"{work}/parent/stream.conf", f"[{key}]\n    enabled = yes\n    allow from = localhost\n"
          f"    default memory mode = dbengine\n")
    write(f"{work}/parent/netdata.conf", f"[global]\n    hostname = wire-parent\n[db]\n"
          f"    mode = none\n    dbengine multihost disk space MB = 1024\n[web]\n"
          f"    bind to = 127.0.0.1:{pport}\n")
    write(f"{work}/child/netdata.conf", "[global]\n    hostname = wire-child\n[db]\n"
          "    mode = none\n    update every = 1\n[web]\n    mode = none\n")
    write(f"{work}/child/stream.conf", f"[stream]\n    enabled = yes\n"
          f"    destination = 127.0.0.1:{dport}\n    api key = {key}\n"
          f"    enable compression = no\n")   # the relay records text, not LZ4 frames
    write(f"{work}/child/netdata.public.unique.id", guid + "\n")
    streamc, streamd = os.path.join(ROOT, "streamc"), os.path.join(ROOT, "streamd")
    for side in ("parent", "child"):
        subprocess.check_call([streamc, "compile", f"{work}/{side}", "-o",
                               f"{work}/{side}.policy"], stdout=subprocess.DEVNULL)
    data = f"{work}/data"
    os.makedirs(data)
    parent = subprocess.Popen([streamd, "--policy", f"{work}/parent.policy", "--data-dir", data,
                               "--log", f"{work}/parent.log"])
    child = None
    try:
        wait_port(pport, parent, "record_streamd_wire: the parent did not start")
        os.makedirs(os.path.dirname(wire), exist_ok=True)
        open(wire, "wb").close()
        tee_relay(dport, pport, wire)
        child = subprocess.Popen([streamd, "--policy", f"{work}/child.policy",
                                  "--log", f"{work}/child.log"])
        print(f"record_streamd_wire: recording for {seconds} s", flush=True)
        time.sleep(seconds)
        child.terminate()
        child.wait(timeout=60)
        parent.terminate()
        parent.wait(timeout=60)
        exp = f"{work}/export"
        os.makedirs(exp)
        os.symlink(os.path.join(data, guid), os.path.join(exp, "localhost"))
        subprocess.check_call([os.path.join(ROOT, "build", "bench", "bench_storage"),
                               "--export", exp, wire + ".streamd.bin"])
        print(f"record_streamd_wire: {os.path.getsize(wire)} bytes of stream in {wire}")
        shutil.rmtree(work, ignore_errors=True)     # kept (with the logs) on failure
    finally:
        for p in (child, parent):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(timeout=60)


if __name__ == "__main__":
    main()
