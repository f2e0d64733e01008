#!/usr/bin/env python3
"""Every old netdata.conf name of schemas/netdata.schema at once (53 of them): each must be
moved as Netdata 1.37.1 moves it, none dropped, and the new name must reach the policy when
streaming reads it (check -> compile -> dump)."""
import os
import subprocess
import sys
import tempfile

root = os.environ.get("STREAMC_ROOT", os.getcwd())
streamc = os.environ.get("STREAMC", os.path.join(root, "streamc"))

rows, flagged = [], set()
for line in open(os.path.join(root, "schemas", "netdata.schema")):
    if line.startswith("#") or "|" not in line:
        continue
    f = [x.strip() for x in line.split("|")]
    secs, key, typ, dflt, bounds, flags = f[:6]
    if "stream" in flags.split(","):
        for s in secs.split(","):
            flagged.add((s, key))
    for fl in flags.split(","):
        if fl.startswith("moved="):
            sec, _, new = fl[6:].partition(":")
            rows.append((secs, key, typ, dflt, sec, new))

if len(rows) < 40:
    sys.exit(f"FAIL: expected the ~53 moved names of the schema, found {len(rows)}")

failures = []
with tempfile.TemporaryDirectory() as tmp:
    by_sec, want = {}, []
    for secs, key, typ, dflt, nsec, nkey in rows:
        if dflt.startswith("(") or dflt == "-" or typ in ("bindto",):
            value = {"bool": "yes", "int": "77", "memmode": "ram"}.get(typ, "x")
        else:
            value = dflt
        by_sec.setdefault(secs.split(",")[0], []).append(f"    {key} = {value}")
        if (nsec, nkey) in flagged:
            want.append((nsec, nkey))
    with open(os.path.join(tmp, "netdata.conf"), "w") as f:
        for sec, lines in by_sec.items():
            f.write(f"[{sec}]\n" + "\n".join(lines) + "\n")
    check = subprocess.run([streamc, "check", "--format=json", tmp], capture_output=True, text=True)
    moved = check.stdout.count('"code":"old-key-name"') + check.stdout.count('"code":"shadowed-key"')
    if moved != len(rows):
        failures.append(f"check: {len(rows)} old names, {moved} old-key-name/shadowed-key findings")
    pol = os.path.join(tmp, "n.policy")
    comp = subprocess.run([streamc, "compile", "-o", pol, tmp], capture_output=True, text=True)
    if comp.returncode != 0:
        failures.append("compile failed:\n" + comp.stderr[-2000:])
    else:
        dump = subprocess.run([streamc, "dump", "--netdata-conf-only", pol], capture_output=True,
                              text=True).stdout
        cur, present = None, set()
        for line in dump.splitlines():
            s = line.strip()
            if s.startswith("[") and s.endswith("]"):
                cur = s[1:-1]
            elif "=" in s and not s.startswith("#"):
                present.add((cur, s.split("=", 1)[0].strip()))
        for w in want:
            if w not in present:
                failures.append(f"[{w[0]}] {w[1]} is missing from the compiled policy")
print(f"moved_keys: {len(rows)} old names, {len(want)} reach the policy, {len(failures)} failures")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
