#!/usr/bin/env python3
"""Run the benches: `ninja bench` (never part of `ninja test`; benches report, they do not gate).

1. Generate the fleet into build/bench/fleet if it is missing (bench/gen_fleet.py,
   BENCH_NODES nodes, default 10000).
2. build/bench/bench_check FLEET RUNS: in-process node_check over every node against a
   re-implementation of Netdata's own config loader over the same files (best of RUNS).
3. The CLI a user runs: build/bench/streamc check DIR1 ... DIRn over the whole fleet, stdout to
   /dev/null, best of RUNS, for --format=text and --format=sarif.
4. Any other build/bench/bench_* binary, run without arguments, its output passed through.
Then one summary with files/s, MB/s and the 10,000-nodes-in-1-s target.
5. bench/bench_fleet.py (`streamc fleet` on its own generated fleet, with its own baseline and
   summary), after that summary.
6. bench/bench_streamd.py: streamd's receiver (start-to-accept, ingestion, RSS per idle
   child) against the real Netdata 1.37.1 parent, with build/bench/loadgen as the children.
7. bench/bench_sender.py: streamd's sender (CPU per 1,000 metrics/s of the same plugin,
   build/bench/loadplugin) and proxy (forwarded samples/s, CPU per million) against the real
   Netdata 1.37.1 child and proxy.
Exit 1 only when a bench cannot run (a missing binary or a crash), never because a figure is
slow.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench")
FLEET = os.path.join(BENCH, "fleet")
TARGET_S = 1.0


def fail(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def ensure_fleet(nodes):
    subprocess.check_call([sys.executable, os.path.join(ROOT, "bench", "gen_fleet.py"), FLEET,
                           str(nodes)])
    return sorted(d for d in os.listdir(FLEET) if os.path.isdir(os.path.join(FLEET, d)))


def arg_chunks(dirs, fixed):
    """Split DIRS into as few command lines as ARG_MAX allows (normally one)."""
    limit = max(os.sysconf("SC_ARG_MAX") // 2 - 4096, 16384)
    chunks, cur, size = [], [], sum(len(a) + 1 for a in fixed)
    for d in dirs:
        if cur and size + len(d) + 1 > limit:
            chunks.append(cur)
            cur, size = [], sum(len(a) + 1 for a in fixed)
        cur.append(d)
        size += len(d) + 1
    if cur:
        chunks.append(cur)
    return chunks


def time_cli(streamc, dirs, fmt, runs):
    """Best and worst wall time of `streamc check --format=FMT DIR...` (cwd = the fleet)."""
    fixed = [streamc, "check", f"--format={fmt}"]
    chunks = arg_chunks(dirs, fixed)
    times, out_bytes = [], 0
    for _ in range(runs):
        total = 0.0
        out_bytes = 0
        for chunk in chunks:
            with open(os.devnull, "wb") as null:
                t0 = time.perf_counter()
                rc = subprocess.call(fixed + chunk, cwd=FLEET, stdout=null)
                total += time.perf_counter() - t0
            if rc not in (0, 1):        # 1 = findings, expected on this fleet
                fail(f"streamc check exited {rc}")
        times.append(total)
    probe = subprocess.run(fixed + chunks[0][:200], cwd=FLEET, stdout=subprocess.PIPE)
    out_bytes = len(probe.stdout)
    return min(times), max(times), len(chunks), out_bytes


def main():
    try:
        nodes = int(os.environ.get("BENCH_NODES", "10000"))
        runs = int(os.environ.get("BENCH_RUNS", "3"))
    except ValueError:
        fail("BENCH_NODES and BENCH_RUNS must be whole numbers")
    bench_check = os.path.join(BENCH, "bench_check")
    streamc = os.path.join(BENCH, "streamc")
    for exe in (bench_check, streamc):
        if not os.access(exe, os.X_OK):
            fail(f"{os.path.relpath(exe, ROOT)} is not built (ninja bench builds it)")
    dirs = ensure_fleet(nodes)
    if len(dirs) != nodes:
        fail(f"{os.path.relpath(FLEET, ROOT)} holds {len(dirs)} nodes, not {nodes}: remove it")

    print(f"== bench_check ({runs} runs, best counts)", flush=True)
    p = subprocess.run([bench_check, FLEET, str(runs)], stdout=subprocess.PIPE, text=True)
    sys.stdout.write(p.stdout)
    m = re.search(r"^RESULT (.*)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        fail(f"bench_check failed (exit {p.returncode})")
    res = dict(kv.split("=", 1) for kv in m.group(1).split())
    nfiles, nbytes = int(res["files"]), int(res["bytes"])
    sc_s, base_s = float(res["streamc_s"]), float(res["baseline_s"])

    print(f"== streamc check CLI over {len(dirs)} directories ({runs} runs, best counts)",
          flush=True)
    cli = {}
    for fmt in ("text", "sarif"):
        best, worst, nchunks, probe = time_cli(streamc, dirs, fmt, runs)
        cli[fmt] = best
        print(f"streamc check --format={fmt}: best {best:.3f} s (worst {worst:.3f} s), "
              f"{nchunks} command line(s), {nfiles / best:.0f} files/s, "
              f"{nbytes / 1e6 / best:.1f} MB/s ({probe} bytes of output for the first 200 nodes)")

    others = sorted(f for f in os.listdir(BENCH)
                    if f.startswith("bench_") and f != "bench_check"
                    and os.access(os.path.join(BENCH, f), os.X_OK))
    status = 0
    for b in others:
        print(f"== {b}", flush=True)
        rc = subprocess.call([os.path.join(BENCH, b)], cwd=ROOT)
        if rc != 0:
            print(f"bench: {b} exited {rc}")
            status = 1

    print("== summary")
    rows = [("node_check in-process", sc_s), ("streamc check (text)", cli["text"]),
            ("streamc check --format=sarif", cli["sarif"]), ("baseline (Netdata loader)", base_s)]
    for name, t in rows:
        ratio = "" if t is base_s else f"  {t / base_s:5.2f}x baseline"
        print(f"{name:30s} {t:7.3f} s  {nfiles / t:9.0f} files/s  {nbytes / 1e6 / t:7.1f} MB/s"
              f"{ratio}")
    read_s, probes_s = float(res["read_s"]), float(res["probes_s"])
    print(f"{'split of node_check':30s} read {read_s:.3f} s + probes {probes_s:.3f} s + work "
          f"{sc_s - read_s - probes_s:.3f} s (baseline: read {read_s:.3f} s + work "
          f"{base_s - read_s:.3f} s)")
    scale = 10000 / int(res["nodes"])
    for name, t in rows[:2]:
        t10k = t * scale
        verdict = "met" if t10k < TARGET_S else f"MISSED by {t10k - TARGET_S:.3f} s"
        print(f"target 10,000 nodes < {TARGET_S:.0f} s, {name}: {t10k:.3f} s -> {verdict}")

    # ---- 5. streamc fleet: a separate script with its own fleet, baseline and summary ---------
    print("== bench/bench_fleet.py", flush=True)
    rc = subprocess.call([sys.executable, os.path.join(ROOT, "bench", "bench_fleet.py")], cwd=ROOT)
    if rc != 0:
        print(f"bench: bench_fleet.py exited {rc}")
        status = 1

    # ---- 6. streamd's receiver against the real Netdata parent (own summary and ratios) ------
    print("== bench/bench_streamd.py", flush=True)
    rc = subprocess.call([sys.executable, os.path.join(ROOT, "bench", "bench_streamd.py")],
                         cwd=ROOT)
    if rc != 0:
        print(f"bench: bench_streamd.py exited {rc}")
        status = 1

    # ---- 7. streamd's sender and proxy against the real Netdata child and proxy --------------
    print("== bench/bench_sender.py", flush=True)
    rc = subprocess.call([sys.executable, os.path.join(ROOT, "bench", "bench_sender.py")],
                         cwd=ROOT)
    if rc != 0:
        print(f"bench: bench_sender.py exited {rc}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
