#!/usr/bin/env python3
"""Run each libFuzzer binary for a bounded time over a scratch corpus plus its seed corpus.

Usage: tests/fuzz/run.py BIN...   (ninja fuzz passes build/fuzz/fuzz_*)

For BIN named fuzz_<x>: scratch corpus build/fuzz/scratch/fuzz_<x> (libFuzzer writes new inputs
to the first directory), seeds tests/fuzz/corpus/<x> (read only). Crash, leak and timeout
reproducers land in build/fuzz/artifacts/fuzz_<x>/, never in the source tree.
FUZZ_SECONDS (default 60) bounds each target. Exit 1 when any target fails or cannot run;
a missing clang/libFuzzer is a failure ("run ./configure.py --deps"), never a skip.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def have_libfuzzer():
    if not shutil.which("clang"):
        return False
    return bool(glob.glob("/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a"))


def last_stat(text, key):
    """The last 'key: N' libFuzzer printed (stat::number_of_executed_units etc.)."""
    found = re.findall(r"^%s:\s*(\d+)" % re.escape(key), text, re.M)
    return int(found[-1]) if found else None


def rel(path):
    """PATH relative to the repository when inside it, else as given."""
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def run_one(binary, seconds):
    name = os.path.basename(binary)
    seeds = os.path.join(ROOT, "tests", "fuzz", "corpus", name[len("fuzz_"):])
    scratch = os.path.join(ROOT, "build", "fuzz", "scratch", name)
    artifacts = os.path.join(ROOT, "build", "fuzz", "artifacts", name)
    os.makedirs(scratch, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    if not os.path.isdir(seeds):
        print(f"fuzz: {name}: FAIL (no seed corpus {rel(seeds)})")
        return False
    log_path = os.path.join(ROOT, "build", "fuzz", name + ".log")
    cmd = [binary, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
           "-print_final_stats=1", f"-artifact_prefix={artifacts}/", scratch, seeds]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    print("fuzz: " + " ".join(rel(c) for c in cmd), flush=True)
    try:
        with open(log_path, "w") as log:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    except OSError as e:
        print(f"fuzz: {name}: FAIL (cannot run: {e})")
        return False
    with open(log_path, errors="replace") as log:
        text = log.read()
    execs = last_stat(text, "stat::number_of_executed_units")
    rate = last_stat(text, "stat::average_exec_per_sec")
    cov = re.findall(r"\bcov: (\d+) ft: (\d+)", text)
    crashes = sorted(set(re.findall(r"Test unit written to (\S+)", text)))
    summary = (f"{execs if execs is not None else '?'} execs, "
               f"{rate if rate is not None else '?'}/s, "
               f"cov {cov[-1][0] if cov else '?'}, ft {cov[-1][1] if cov else '?'}, "
               f"scratch corpus {len(os.listdir(scratch))} files")
    if rc == 0 and not crashes:
        print(f"fuzz: {name}: ok ({summary})")
        return True
    print(f"fuzz: {name}: FAIL exit {rc} ({summary}); log {rel(log_path)}")
    for c in crashes:
        print(f"fuzz: {name}:   reproducer {rel(c)}  (rerun: {rel(binary)} {rel(c)})")
    tail = [l for l in text.splitlines() if l.startswith(("==", "SUMMARY", "    #"))][:40]
    for l in tail:
        print("    " + l)
    return False


def main(argv):
    if len(argv) < 2:
        print("usage: tests/fuzz/run.py BIN...", file=sys.stderr)
        return 2
    if not have_libfuzzer():
        print("fuzz: clang or libFuzzer (libclang-rt-14-dev) is missing: run ./configure.py --deps",
              file=sys.stderr)
        return 1
    try:
        seconds = int(os.environ.get("FUZZ_SECONDS", "60"))
    except ValueError:
        print("fuzz: FUZZ_SECONDS must be a whole number of seconds", file=sys.stderr)
        return 2
    ok = True
    for binary in argv[1:]:
        if not os.access(binary, os.X_OK):
            print(f"fuzz: {binary}: FAIL (not built; run ./configure.py --deps, then ninja fuzz)")
            ok = False
            continue
        ok = run_one(os.path.abspath(binary), seconds) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
