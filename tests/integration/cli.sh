#!/usr/bin/env bash
# The streamc check command-line contract: exit codes (0 clean, 1 errors, 2 usage or I/O),
# the three output formats, -Werror, --max-errors, several directories, single-file mode,
# --machine-guid, unreadable inputs and deterministic output.
#
# Every assertion runs; each failure prints the command, what was expected and what came out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_streamc

# py SCRIPT: run a python check on $tmp/out; it prints a reason and exits 1 on failure
py() {
    checks=$((checks + 1))
    local why
    if ! why=$(python3 -c "$1" "$tmp/out" 2>&1); then
        bad "$2" "$why"
    fi
}

# ---- fixtures -------------------------------------------------------------------------------
KEY=96cf74af-440a-415f-826f-65f6ab5915dd
mkdir -p "$tmp/clean" "$tmp/warn" "$tmp/err3" "$tmp/notes" "$tmp/empty" "$tmp/single"
cat >"$tmp/clean/stream.conf" <<EOF
[stream]
    enabled = yes
    destination = 10.0.0.1:19999
    api key = $KEY
EOF
cat >"$tmp/clean/netdata.conf" <<'EOF'
[db]
    mode = ram
EOF
# warnings only: the stock placeholder section and an empty 'send charts matching'
cat >"$tmp/warn/stream.conf" <<'EOF'
[stream]
    enabled = no
    send charts matching =
[API_KEY]
    enabled = no
EOF
# exactly three errors
cat >"$tmp/err3/stream.conf" <<'EOF'
[stream]
    enabled = 1
    timeout seconds = 5x
    destinaton = 10.0.0.1
EOF
# errors and a warning that carries a note (duplicate section -> "first opened here")
cat >"$tmp/notes/stream.conf" <<EOF
[stream]
    enabled = no
    destinaton = 10.0.0.1
[$KEY]
    enabled = yes
    allow from = 127.0.0.1 10.*
[stream]
    timeout seconds = 60s
EOF
cat >"$tmp/notes/netdata.conf" <<'EOF'
[db]
    mode = RAM
EOF
echo "not a directory" >"$tmp/plainfile"
cp "$tmp/err3/stream.conf" "$tmp/single/child-stream.conf"
cp "$tmp/clean/netdata.conf" "$tmp/single/node.conf"

# ---- usage errors: exit 2 -------------------------------------------------------------------
run
expect_rc 2 "no arguments"
run frobnicate
expect_rc 2 "unknown command"
expect_out "unknown command 'frobnicate'" "a message naming the command"
run check
expect_rc 2 "check without a directory"
run check --frobnicate "$tmp/clean"
expect_rc 2 "unknown option"
expect_out "--frobnicate" "a message naming the option"
run check --format=xml "$tmp/clean"
expect_rc 2 "unknown format"
expect_out "xml" "a message naming the format"
run check --format "$tmp/clean"
expect_rc 2 "--format followed by a directory, not a format"
run check --max-errors=abc "$tmp/clean"
expect_rc 2 "--max-errors with a non-number"
run check "$tmp/clean" --max-errors
expect_rc 2 "--max-errors without a value"
run help
expect_rc 0 "streamc help"
expect_out "check" "help lists the check command"

# ---- I/O errors: exit 2, naming the path ------------------------------------------------------
run check "$tmp/does-not-exist"
expect_rc 2 "missing directory"
expect_out "$tmp/does-not-exist" "a message naming the missing directory"
run check "$tmp/empty"
expect_rc 2 "a directory with neither stream.conf nor netdata.conf"
expect_out "$tmp/empty" "a message naming the directory"
run check "$tmp/plainfile"
expect_rc 2 "a file given as the config directory"
expect_out "$tmp/plainfile" "a message naming the file"
# unreadable files (the tests run as root, so chmod 000 would not stop a read):
mkdir -p "$tmp/dirconf/stream.conf"
cp "$tmp/clean/netdata.conf" "$tmp/dirconf/"
run check "$tmp/dirconf"
expect_rc 2 "stream.conf is a directory"
expect_out "$tmp/dirconf/stream.conf" "a message naming stream.conf"
mkdir -p "$tmp/dangling"
ln -s "$tmp/nowhere.conf" "$tmp/dangling/stream.conf"
cp "$tmp/clean/netdata.conf" "$tmp/dangling/"
run check "$tmp/dangling"
expect_rc 2 "stream.conf is a dangling symlink (next to a readable netdata.conf)"
expect_out "$tmp/dangling/stream.conf" "a message naming the unreadable stream.conf"
run check --stream-conf "$tmp/nowhere.conf"
expect_rc 2 "--stream-conf naming a missing file"
expect_out "$tmp/nowhere.conf" "a message naming the file"
run check --netdata-conf "$tmp/dangling"
expect_rc 2 "--netdata-conf naming a directory"
run check "$tmp/clean" "$tmp/does-not-exist"
expect_rc 2 "a good and a missing directory together"

# ---- exit 0 / 1 ------------------------------------------------------------------------------
run check "$tmp/clean"
expect_rc 0 "a clean config"
checks=$((checks + 1))
[ ! -s "$tmp/out" ] || bad "no output for a clean config" "$(head -3 "$tmp/out")"
run check "$tmp/warn"
expect_rc 0 "warnings only, without -Werror"
expect_out '^0 errors, 2 warnings$' "the summary line"
run check -Werror "$tmp/warn"
expect_rc 1 "warnings only, with -Werror"
expect_out '^2 errors, 0 warnings$' "-Werror counts the warnings as errors"
expect_out ': error: .*\[empty-pattern\]$' "the warning rendered as an error"
run check "$tmp/err3"
expect_rc 1 "a config with errors"
expect_out '^3 errors, 0 warnings$' "three errors"

# text format: the first line of each finding is file:line:col: severity: message [slug]
run check "$tmp/err3"
py '
import re, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l and not l.startswith(" ")]
heads = lines[:-1]
pat = re.compile(r"^.+:\d+:\d+: (error|warning|note): .+ \[[a-z0-9-]+\]$")
badl = [l for l in heads if not pat.match(l)]
if len(heads) != 3 or badl:
    print(f"{len(heads)} finding lines, malformed: {badl}"); sys.exit(1)
' "3 lines shaped 'file:line:col: severity: message [slug]'"
run check -q "$tmp/err3"
checks=$((checks + 1))
if grep -q '^ ' "$tmp/out"; then bad "-q prints no source lines or carets" "$(grep '^ ' "$tmp/out" | head -2)"; fi

# ---- --max-errors ----------------------------------------------------------------------------
run check -q --max-errors=1 "$tmp/err3"
expect_rc 1 "--max-errors=1 with 3 errors"
py '
import sys
lines = open(sys.argv[1]).read().splitlines()
errs = [l for l in lines if ": error: " in l and "[too-many-errors]" not in l]
cap = [l for l in lines if l.endswith("[too-many-errors]")]
if len(errs) != 1 or len(cap) != 1:
    print(f"{len(errs)} error lines and {len(cap)} too-many-errors lines: {lines}"); sys.exit(1)
' "exactly 1 error line plus 1 [too-many-errors] line"
run check --format=json --max-errors=1 "$tmp/err3"
py '
import json, sys
d = json.load(open(sys.argv[1]))
codes = [x["code"] for x in d["diagnostics"]]
if len(codes) != 2 or codes[0] == "too-many-errors" or codes[1] != "too-many-errors":
    print(f"codes={codes}"); sys.exit(1)
' "JSON: one diagnostic, then too-many-errors"
run check -q --max-errors=0 "$tmp/err3"
expect_out '^3 errors, 0 warnings$' "--max-errors=0 means no limit"
expect_no_out 'too-many-errors' "no cap with --max-errors=0"

# ---- JSON -----------------------------------------------------------------------------------
for d in clean warn err3 notes; do
    run check --format=json "$tmp/$d"
    py '
import json, sys
d = json.load(open(sys.argv[1]))
for k, t in (("diagnostics", list), ("errors", int), ("warnings", int)):
    if not isinstance(d.get(k), t):
        print(f"key {k!r} missing or not {t.__name__}"); sys.exit(1)
sev = [x["severity"] for x in d["diagnostics"]]
for x in d["diagnostics"]:
    for k in ("severity", "code", "message"):
        if k not in x:
            print(f"diagnostic without {k!r}: {x}"); sys.exit(1)
    if "file" in x and not (x["line"] >= 1 and x["column"] >= 1):
        print(f"bad position: {x}"); sys.exit(1)
e, w = d["errors"], d["warnings"]
if e != sev.count("error") or w != sev.count("warning"):
    print(f"errors={e} warnings={w} but severities {sev}"); sys.exit(1)
' "--format=json ($d): valid JSON with diagnostics, errors, warnings that agree"
done
run check --format=json "$tmp/err3"
expect_rc 1 "--format=json keeps the exit status"
run check --format json "$tmp/warn"
expect_rc 0 "--format json (value as a separate argument)"
py 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["warnings"] == 2 else 1)' \
    "'--format json' renders JSON"

# ---- SARIF ----------------------------------------------------------------------------------
for d in clean err3 notes; do
    run check --format=sarif "$tmp/$d"
    py '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError as e:
    print(f"not JSON: {e}"); sys.exit(1)
v = d.get("version")
if v != "2.1.0":
    print(f"version {v!r}"); sys.exit(1)
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = {r["id"] for r in rules}
if not rules or not all(r.get("id") for r in rules):
    print("runs[0].tool.driver.rules is empty or has a rule without id"); sys.exit(1)
def region_ok(loc):
    r = loc["physicalLocation"]["region"]
    return r["startLine"] >= 1 and r["startColumn"] >= 1 and loc["physicalLocation"]["artifactLocation"]["uri"]
for res in run["results"]:
    try:
        ok = (res["ruleId"] in ids and res["level"] in ("error", "warning", "note")
              and res["message"]["text"] and res["locations"]
              and all(region_ok(l) for l in res["locations"])
              and all(region_ok(l) for l in res.get("relatedLocations", [])))
    except (KeyError, TypeError) as e:
        ok = False
    if not ok:
        print(f"bad result: {json.dumps(res)[:300]}"); sys.exit(1)
' "--format=sarif ($d): SARIF 2.1.0, rules, every result with ruleId/level/message/locations+region"
done
run check --format=sarif "$tmp/notes"
py '
import json, sys
res = json.load(open(sys.argv[1]))["runs"][0]["results"]
levels = sorted({r["level"] for r in res})
rel = [r for r in res if r.get("relatedLocations")]
if levels != ["error", "warning"] or not rel:
    print(f"levels {levels}, {len(rel)} results with relatedLocations"); sys.exit(1)
' "--format=sarif: errors and warnings, and the note as relatedLocations"
run check --format=sarif "$tmp/clean"
py 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["runs"][0]["results"] == [] else 1)' \
    "--format=sarif of a clean config has no results"

# ---- several directories: one report, exit 1 if any has errors -------------------------------
run check -q "$tmp/clean" "$tmp/err3"
expect_rc 1 "clean + errors"
expect_out "^$tmp/err3/stream.conf:2:15: error: " "the second directory's findings, with its path"
run check -q "$tmp/err3" "$tmp/clean"
expect_rc 1 "errors + clean (order does not matter)"
run check -q "$tmp/clean" "$tmp/warn"
expect_rc 0 "clean + warnings"
run check -q "$tmp/err3" "$tmp/warn"
expect_out '^3 errors, 2 warnings$' "one summary over both directories"
run check --format=json "$tmp/err3" "$tmp/warn"
py '
import json, sys
d = json.load(open(sys.argv[1]))
files = sorted({x["file"].split("/")[-2] for x in d["diagnostics"] if "file" in x})
e, w = d["errors"], d["warnings"]
if e != 3 or w != 2 or files != ["err3", "warn"]:
    print(f"errors={e} warnings={w} dirs={files}"); sys.exit(1)
' "one JSON document over both directories (3 errors, 2 warnings)"

# ---- single-file mode --------------------------------------------------------------------------
run check --stream-conf "$tmp/single/child-stream.conf"
expect_rc 1 "--stream-conf with errors"
expect_out "^$tmp/single/child-stream.conf:4:5: error: .*\[unknown-key\]$" "findings under the given file name"
run check --netdata-conf "$tmp/single/node.conf"
expect_rc 0 "--netdata-conf alone, clean"
run check --stream-conf "$tmp/clean/stream.conf" --netdata-conf "$tmp/single/node.conf"
expect_rc 0 "--stream-conf + --netdata-conf, clean"
# both files are one node: an enabled API key with [web] mode = none is a cross-file error
cat >"$tmp/single/key.conf" <<EOF
[$KEY]
    enabled = yes
EOF
printf '[web]\n    mode = none\n' >"$tmp/single/noweb.conf"
run check --stream-conf "$tmp/single/key.conf" --netdata-conf "$tmp/single/noweb.conf"
expect_rc 1 "--stream-conf + --netdata-conf are checked together"
expect_out '\[no-listener\]$' "the cross-file finding"
run check --stream-conf "$tmp/single/key.conf"
expect_rc 0 "the same stream.conf alone is clean"

# ---- --machine-guid ------------------------------------------------------------------------
run check --machine-guid not-a-guid "$tmp/clean"
expect_rc 1 "--machine-guid with an invalid GUID"
expect_out '\[machine-guid\]$' "a [machine-guid] error"
run check --machine-guid 8a795b0c-2311-11e6-8563-000c295076a6 "$tmp/clean"
expect_rc 1 "--machine-guid with a GUID Netdata refuses"
expect_out '\[machine-guid\]$' "a [machine-guid] error"
run check --machine-guid 2e904822-9e5e-45fa-b977-394965cbdcb5 "$tmp/clean"
expect_rc 0 "--machine-guid with a valid GUID"
printf '2e904822-9e5e-45fa-b977-394965cbdcb5' >"$tmp/guidfile"
run check --machine-guid "$tmp/guidfile" "$tmp/clean"
expect_rc 0 "--machine-guid with a valid GUID file"
printf '2e904822-9e5e-45fa' >"$tmp/shortguid"
run check --machine-guid "$tmp/shortguid" "$tmp/clean"
expect_rc 1 "--machine-guid with a truncated GUID file"
expect_out "^$tmp/shortguid:1:1: error: .*\[machine-guid\]$" "the error points at the file"
printf '2e904822-9e5e-45fa' >"$tmp/clean/netdata.public.unique.id"
run check "$tmp/clean"
expect_rc 1 "a truncated netdata.public.unique.id in the config directory"
expect_out '\[machine-guid\]$' "a [machine-guid] error"
rm "$tmp/clean/netdata.public.unique.id"

# ---- deterministic output ------------------------------------------------------------------
for fmt in text json sarif; do
    for d in err3 notes; do
        "$STREAMC" check --format=$fmt "$tmp/$d" "$tmp/warn" >"$tmp/run1" 2>&1 || true
        "$STREAMC" check --format=$fmt "$tmp/$d" "$tmp/warn" >"$tmp/run2" 2>&1 || true
        checks=$((checks + 1))
        if ! cmp -s "$tmp/run1" "$tmp/run2"; then
            CMD="streamc check --format=$fmt $tmp/$d $tmp/warn (twice)"
            cp "$tmp/run1" "$tmp/out"
            : >"$tmp/err"
            bad "byte-identical output" "$(diff "$tmp/run1" "$tmp/run2" | head -5)"
        fi
    done
done

# compile: warnings alone compile; -Werror refuses and writes nothing (README: compile)
run compile "$tmp/warn" -o "$tmp/warn.policy"
expect_rc 0 "compile of a warnings-only config"
checks=$((checks + 1))
[ -s "$tmp/warn.policy" ] || bad "a policy file written" "no file"
run compile -Werror "$tmp/warn" -o "$tmp/warn.policy"
expect_rc 1 "compile -Werror of a warnings-only config"
checks=$((checks + 1))
[ ! -e "$tmp/warn.policy" ] || bad "the stale policy removed" "it is still there"
checks=$((checks + 1))
! ls "$tmp"/warn.policy.tmp.* >/dev/null 2>&1 || bad "no temporary file left" "$(ls "$tmp"/warn.policy.tmp.*)"

report cli
