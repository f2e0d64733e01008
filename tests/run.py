#!/usr/bin/env python3
"""Run every test of one build variant and print a final 'N passed, N failed' line.

    python3 tests/run.py --variant normal|asan [--update] [FILTER]

1. unit:        every cmocka binary in build/<variant>/test/
2. golden:      every directory tests/golden/<case>/ holding stream.conf and/or netdata.conf,
                optional `args` (extra arguments, one line), `expected` (exact stdout) and
                `status` (exit code). streamc runs as `streamc check [args] .` inside the case
                directory. --update rewrites expected/status from the current output.
3. integration: every tests/integration/*.sh and *.py, run with STREAMC=<binary> and
                STREAMD=<binary> in the environment; exit status 0 passes, anything else
                fails (nothing is skipped).
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="normal")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("filter", nargs="?", default="")
    args = ap.parse_args()
    build = os.path.join(ROOT, "build", args.variant)
    streamc = os.path.join(ROOT, "streamc") if args.variant == "normal" else os.path.join(build, "streamc")
    streamd = os.path.join(ROOT, "streamd") if args.variant == "normal" else os.path.join(build, "streamd")
    env = dict(os.environ, STREAMC=streamc, STREAMD=streamd, STREAMC_ROOT=ROOT,
               STREAMC_VARIANT=args.variant)
    passed, failed = [], []

    def record(name, ok, detail=""):
        (passed if ok else failed).append(name)
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f"\n{detail}" if detail and not ok else ""),
              flush=True)

    tdir = os.path.join(build, "test")
    for t in sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []:
        if args.filter not in t:
            continue
        p = subprocess.run([os.path.join(tdir, t)], capture_output=True, text=True, env=env,
                           timeout=600, errors="replace")
        record(f"unit/{t}", p.returncode == 0, (p.stdout + p.stderr)[-3000:])

    gdir = os.path.join(ROOT, "tests", "golden")
    for case in sorted(os.listdir(gdir)) if os.path.isdir(gdir) else []:
        cdir = os.path.join(gdir, case)
        if not os.path.isdir(cdir) or args.filter not in case:
            continue
        extra = []
        if os.path.exists(os.path.join(cdir, "args")):
            extra = open(os.path.join(cdir, "args")).read().split()
        p = subprocess.run([streamc, "check"] + extra + ["."], cwd=cdir, capture_output=True,
                           env=env, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        exp_path, st_path = os.path.join(cdir, "expected"), os.path.join(cdir, "status")
        if args.update:
            open(exp_path, "w").write(out)
            open(st_path, "w").write(f"{p.returncode}\n")
        exp = open(exp_path).read() if os.path.exists(exp_path) else None
        st = int(open(st_path).read()) if os.path.exists(st_path) else None
        ok = exp == out and st == p.returncode and not p.stderr
        detail = ""
        if not ok:
            import difflib
            detail = "".join(difflib.unified_diff((exp or "").splitlines(True), out.splitlines(True),
                                                  "expected", "actual"))
            detail += f"status: expected {st}, got {p.returncode}\n" + p.stderr.decode("utf-8", "replace")
        record(f"golden/{case}", ok, detail)

    idir = os.path.join(ROOT, "tests", "integration")
    for t in sorted(os.listdir(idir)) if os.path.isdir(idir) else []:
        if not (t.endswith(".sh") or t.endswith(".py")) or args.filter not in t:
            continue
        cmd = ["bash" if t.endswith(".sh") else sys.executable, os.path.join(idir, t)]
        start = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900,
                               errors="replace")
            rc, out = p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired:
            rc, out = -1, "timed out after 900 s"
        record(f"integration/{t} ({time.time() - start:.1f}s)", rc == 0, out[-4000:])

    print(f"{len(passed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
