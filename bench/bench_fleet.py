#!/usr/bin/env python3
"""Bench `streamc fleet` on a generated fleet of 10,000 children, 20 proxies and 10 parents.

    python3 bench/bench_fleet.py            # BENCH_RUNS (default 3) runs, best counts

1. Generate the fleet into build/bench/fleet-topology if it is missing
   (bench/gen_fleet_topology.py; BENCH_FLEET_CHILDREN / _PROXIES / _PARENTS override the
   sizes, default 10000 / 20 / 10).
2. The figure: build/bench/streamc fleet FLEET/fleet.conf (text, stdout to /dev/null), and
   the same with --format=json and --graph=dot: wall time, nodes/s, edges/s.
3. The baseline in the same run: build/bench/streamc check over the same node directories
   (what checking them one by one costs, without relating them), split into as few command
   lines as ARG_MAX allows; and, for information, one `streamc check DIR` process per node
   (200 nodes timed, extrapolated), as a script looping over the nodes would run it.
Prints figure, baseline, ratio and the < 2 s target. Build the binary with
`ninja build/bench/streamc` (ninja bench builds it too). Exit 1 only when the bench cannot
run (a missing binary, a crash, exit status 2), never because a figure is slow.
"""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from run import arg_chunks  # noqa: E402  (one ARG_MAX splitter for every bench)
BENCH = os.path.join(ROOT, "build", "bench")
FLEET = os.path.join(BENCH, "fleet-topology")
TARGET_S = 2.0


def fail(msg):
    print("bench_fleet: " + msg, file=sys.stderr)
    sys.exit(1)


def timed(cmds, runs, cwd, ok=(0, 1)):
    """Best and worst total wall time of running every command of CMDS in CWD."""
    times = []
    for _ in range(runs):
        total = 0.0
        for cmd in cmds:
            with open(os.devnull, "wb") as null:
                t0 = time.perf_counter()
                rc = subprocess.call(cmd, cwd=cwd, stdout=null, stderr=subprocess.DEVNULL)
                total += time.perf_counter() - t0
            if rc not in ok:
                fail(f"{' '.join(cmd[:3])} ... exited {rc}")
        times.append(total)
    return min(times), max(times)


def main():
    try:
        runs = int(os.environ.get("BENCH_RUNS", "3"))
        sizes = [int(os.environ.get(f"BENCH_FLEET_{k}", d))
                 for k, d in (("CHILDREN", "10000"), ("PROXIES", "20"), ("PARENTS", "10"))]
    except ValueError:
        fail("BENCH_RUNS and BENCH_FLEET_* must be whole numbers")
    streamc = os.path.join(BENCH, "streamc")
    if not os.access(streamc, os.X_OK):
        fail(f"{os.path.relpath(streamc, ROOT)} is not built (ninja build/bench/streamc)")
    probe = subprocess.run([streamc, "help"], capture_output=True, text=True)
    if "streamc fleet" not in probe.stdout:
        fail(f"{os.path.relpath(streamc, ROOT)} has no 'fleet' command (rebuild it)")
    fleet = FLEET
    if sizes != [10000, 20, 10]:
        fleet = FLEET + "-" + "-".join(map(str, sizes))
    subprocess.check_call([sys.executable, os.path.join(ROOT, "bench", "gen_fleet_topology.py"),
                           fleet, "--children", str(sizes[0]), "--proxies", str(sizes[1]),
                           "--parents", str(sizes[2])])
    dirs = sorted(d for d in os.listdir(fleet) if os.path.isdir(os.path.join(fleet, d)))
    nodes = len(dirs)
    if nodes != sum(sizes):
        fail(f"{fleet} holds {nodes} node directories, not {sum(sizes)}: remove it")
    manifest = os.path.join(fleet, "fleet.conf")

    # what the fleet holds, from one JSON run (not timed)
    p = subprocess.run([streamc, "fleet", "--format=json", manifest], capture_output=True,
                       text=True, cwd=fleet)
    if p.returncode not in (0, 1):
        fail(f"streamc fleet exited {p.returncode}: {p.stderr[:500]}")
    nedges, nfind = "?", "?"
    try:
        import json
        doc = json.loads(p.stdout)
        nedges = len(doc.get("edges", []))
        nfind = len(doc.get("diagnostics", doc.get("findings", [])))
    except ValueError as e:
        print(f"bench_fleet: note: --format=json did not parse ({e})")
    print(f"== streamc fleet over {nodes} nodes ({sizes[0]} children, {sizes[1]} proxies, "
          f"{sizes[2]} parents; {nedges} edges, {nfind} findings, exit {p.returncode}); "
          f"{runs} runs, best counts", flush=True)

    rows = []
    for label, extra in (("text", []), ("--format=json", ["--format=json"]),
                         ("--graph=dot", ["--graph=dot"])):
        best, worst = timed([[streamc, "fleet", *extra, manifest]], runs, fleet)
        rows.append((f"streamc fleet {label}", best))
        print(f"streamc fleet {label:14s} best {best:7.3f} s (worst {worst:.3f} s)  "
              f"{nodes / best:9.0f} nodes/s", flush=True)

    print(f"== baseline: streamc check over the same {nodes} node directories", flush=True)
    fixed = [streamc, "check", "-q"]
    chunks = arg_chunks(dirs, fixed)
    best, worst = timed([fixed + c for c in chunks], runs, fleet)
    print(f"streamc check -q               best {best:7.3f} s (worst {worst:.3f} s)  "
          f"{nodes / best:9.0f} nodes/s  ({len(chunks)} command line(s))", flush=True)

    # one process per node, as a script checking each node's directory would run it: a
    # sample of 200 nodes, extrapolated (informative; the baseline above is the figure)
    sample = dirs[:: max(1, nodes // 200)][:200]
    per_best, _ = timed([[streamc, "check", "-q", d] for d in sample], 1, fleet)
    per_node = per_best / len(sample) * nodes
    print(f"streamc check -q DIR, one process per node: {per_best / len(sample) * 1e3:.2f} ms "
          f"each, {per_node:.2f} s for {nodes} nodes (extrapolated from {len(sample)})",
          flush=True)

    print("== summary")
    fig = rows[0][1]
    for name, t in rows:
        print(f"{name:30s} {t:7.3f} s  {nodes / t:9.0f} nodes/s  {t / best:5.2f}x baseline")
    print(f"{'baseline: streamc check':30s} {best:7.3f} s  {nodes / best:9.0f} nodes/s")
    print(f"{'(one check process per node)':30s} {per_node:7.3f} s  {nodes / per_node:9.0f} nodes/s"
          f"  (fleet is {per_node / fig:.1f}x faster)")
    scale = 10030 / nodes
    verdict = "met" if fig * scale < TARGET_S else f"MISSED by {fig * scale - TARGET_S:.3f} s"
    print(f"target 10,030 nodes < {TARGET_S:.0f} s, streamc fleet: {fig * scale:.3f} s -> {verdict}")
    print(f"RESULT nodes={nodes} fleet_s={fig:.4f} baseline_s={best:.4f} ratio={fig / best:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
