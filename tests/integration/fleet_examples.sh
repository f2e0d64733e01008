#!/usr/bin/env bash
# The fleet examples (examples/fleet, described in examples/fleet/README.md), end to end:
#   * every node directory of both fleets holds stream.conf, netdata.conf and (except where a
#     missing one is the point) a lower-case GUID file; every good node checks clean under
#     -Werror, and so does every broken node except the few whose own files are the point;
#   * good/fleet.conf exits 0 with every child accepted, no error and only the expected
#     warnings; the directory form (node.meta files) gives the same edges;
#   * broken/fleet.conf exits 1; every child gets the verdict (and refusal reason) the README
#     gives it, and every finding appears with the node names it is about;
#   * --format=json and --format=sarif parse (python3 json) and agree on the findings;
#   * --graph=dot parses as a digraph with one edge per child -> destination edge of the JSON
#     (sender and receiver by label), --graph=html is one page with an <svg> and every edge.
# Every assertion runs; each failure prints what was expected and what came out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$root"
need_streamc
if ! "$STREAMC" help | grep -q 'streamc fleet'; then
    echo "FAIL: $STREAMC has no 'fleet' command"
    exit 1
fi

# run_as NAME ARGS...: streamc ARGS, stdout to $tmp/NAME.out, stderr to $tmp/NAME.err, status in RC
run_as() {
    local name=$1
    shift
    RC=0
    "$STREAMC" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || RC=$?
}

G=examples/fleet/good
B=examples/fleet/broken
good_nodes=(parent-a parent-b lab-proxy web-01 db-01 lab-01 edge-01)
# broken nodes whose own files have findings (the point of the case), and which kind
broken_unclean=" edge-03:1 parent-b:1 web-05:1 parent-e:1 "   # 1: exit 1 only under -Werror or errors

# ---- every node directory -------------------------------------------------------------------
for fleet in good broken; do
    for d in examples/fleet/$fleet/*/; do
        d=${d%/}
        n=${d##*/}
        checks=$((checks + 1))
        if [ ! -f "$d/stream.conf" ] || [ ! -f "$d/netdata.conf" ]; then
            fail "$d" "stream.conf and netdata.conf" "$(ls "$d" | tr '\n' ' ')"
            continue
        fi
        if [ "$fleet/$n" != broken/web-08 ]; then
            guid=$(head -c 36 "$d/netdata.public.unique.id" 2>/dev/null || true)
            if ! [[ $guid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
                fail "$d/netdata.public.unique.id" "a lower-case GUID" "'$guid'"
            fi
        elif [ -e "$d/netdata.public.unique.id" ]; then
            fail "$d" "no GUID file (the fleet-no-guid case)" "one"
        fi
        rc=0
        "$STREAMC" check -Werror "$d" >"$tmp/check" 2>&1 || rc=$?
        if [ "$fleet" = good ] || [[ $broken_unclean != *" $n:"* ]]; then
            if [ "$rc" -ne 0 ] || [ -s "$tmp/check" ]; then
                fail "streamc check -Werror $d" "exit 0 and no output" "exit $rc" "$tmp/check"
            fi
        elif [ "$rc" -ne 1 ]; then
            fail "streamc check -Werror $d" "exit 1 (its own files are part of the case)" "exit $rc" "$tmp/check"
        fi
    done
done
for n in "${good_nodes[@]}"; do
    [ -f "$G/$n/node.meta" ] || fail "$G/$n/node.meta" "a node.meta for the directory form" "missing"
done

# ---- the good fleet ------------------------------------------------------------------------
run_as good fleet "$G/fleet.conf"
checks=$((checks + 1))
[ "$RC" -eq 0 ] || fail "streamc fleet $G/fleet.conf" "exit status 0" "exit status $RC" "$tmp/good.out"
run_as good_json fleet --format=json "$G/fleet.conf"
run_as good_dir fleet --format=json "$G"
checks=$((checks + 1))
[ "$RC" -eq 0 ] || fail "streamc fleet --format=json $G" "exit status 0" "exit status $RC" "$tmp/good_dir.out"
if ! why=$(python3 - "$tmp" <<'EOF' 2>&1
import json, sys
tmp = sys.argv[1]
doc = json.load(open(f"{tmp}/good_json.out"))
problems = []
children = {c["name"]: c["verdict"] for c in doc["children"]}
want = {"lab-proxy", "web-01", "db-01", "lab-01", "edge-01"}
if set(children) != want:
    problems.append(f"children {sorted(children)}, expected {sorted(want)}")
problems += [f"child {n}: {v}" for n, v in children.items() if v != "accepted"]
for e in doc["edges"]:
    if e["verdict"] not in ("ok", "warn") or e["parent"] is None:
        problems.append(f"edge {e['sender']} -> {e['parent']} ({e['destination']}): {e['verdict']} {e['reason']}")
pairs = sorted((e["sender"], e["parent"], e["proxied"]) for e in doc["edges"])
want_pairs = sorted([("web-01", "parent-a", False), ("web-01", "parent-b", False),
                     ("db-01", "parent-a", False), ("db-01", "parent-b", False),
                     ("lab-proxy", "parent-a", False), ("lab-proxy", "parent-b", False),
                     ("lab-01", "lab-proxy", False), ("lab-proxy", "parent-a", True),
                     ("lab-proxy", "parent-b", True), ("edge-01", "parent-b", False)])
if pairs != want_pairs:
    problems.append(f"edges {pairs}")
if doc["errors"] != 0:
    problems.append(f"{doc['errors']} errors")
# Warnings the good fleet has today: edge-01's certificate is checked against its CAfile
# (streamc cannot see certificates), and fleet-ephemeral-health, which calls edge-01 (memory
# mode ram) ephemeral. Anything else is a regression.
allowed = {("fleet-tls-verify", "edge-01"), ("fleet-ephemeral-health", "edge-01")}
for g in doc["diagnostics"]:
    who = next((n for n in want if f"'{n}'" in g["message"]), None)
    if (g["code"], who) not in allowed:
        problems.append(f"unexpected {g['severity']} [{g['code']}] {g['file']}:{g['line']}: {g['message']}")
d = json.load(open(f"{tmp}/good_dir.out"))
key = lambda e: (e["sender"], e["parent"], e["destination"], e["verdict"], e["proxied"])
if sorted(map(key, d["edges"])) != sorted(map(key, doc["edges"])):
    problems.append("the directory form (node.meta) gives other edges than fleet.conf")
if problems:
    print("; ".join(problems))
    sys.exit(1)
EOF
); then
    fail "streamc fleet --format=json $G/fleet.conf (and $G)" "every child accepted, the 10 edges, no errors" "$why" "$tmp/good.out"
fi
checks=$((checks + 1))
if grep -E ': (refused|unresolved|excluded)' "$tmp/good.out" >"$tmp/good.bad"; then
    fail "streamc fleet $G/fleet.conf (text)" "no refused/unresolved/excluded verdict line" "some" "$tmp/good.bad"
fi
checks=$((checks + 1))
if [ "$(grep -c ': accepted' "$tmp/good.out")" -ne 10 ]; then
    fail "streamc fleet $G/fleet.conf (text)" "10 'accepted' verdict lines" "$(grep -c ': accepted' "$tmp/good.out")" "$tmp/good.out"
fi

# ---- the broken fleet ----------------------------------------------------------------------
run_as broken fleet "$B/fleet.conf"
checks=$((checks + 1))
[ "$RC" -eq 1 ] || fail "streamc fleet $B/fleet.conf" "exit status 1" "exit status $RC" "$tmp/broken.out"
run_as broken_json fleet --format=json "$B/fleet.conf"
checks=$((checks + 1))
[ "$RC" -eq 1 ] || fail "streamc fleet --format=json $B/fleet.conf" "exit status 1" "exit status $RC"
run_as broken_sarif fleet --format=sarif "$B/fleet.conf"
checks=$((checks + 1))
[ "$RC" -eq 1 ] || fail "streamc fleet --format=sarif $B/fleet.conf" "exit status 1" "exit status $RC"
run_as good_sarif fleet --format=sarif "$G/fleet.conf"
if ! why=$(python3 - "$tmp" <<'EOF' 2>&1
import json, sys
tmp = sys.argv[1]
doc = json.load(open(f"{tmp}/broken_json.out"))
text = open(f"{tmp}/broken.out").read()
problems = []

# every child's verdict, and the refusal reason of its (first) refused edge
verdicts = {
    "lab-proxy": "accepted", "web-01": "accepted", "edge-03": "accepted", "lab-01": "accepted",
    "lab-02": "accepted", "lab-03": "accepted", "legacy-01": "accepted", "iot-01": "accepted",
    "web-08": "accepted", "iot-02": "accepted", "lab-05": "accepted",
    # web-02 clones web-01's GUID: 409 at parent-a, which holds web-01's one connection, then
    # it fails over to parent-b, which web-01 does not hold
    "web-02": "accepted", "web-03": "refused", "web-04": "refused", "web-07": "refused",
    "db-01": "refused", "stage-01": "refused", "stage-02": "refused", "ops-01": "refused",
    "edge-01": "refused", "edge-02": "refused", "lab-04": "refused", "app-01": "refused",
    "app-02": "refused", "web-06": "refused", "web-09": "refused",
}
got = {c["name"]: c["verdict"] for c in doc["children"]}
for n, v in verdicts.items():
    if got.get(n) != v:
        problems.append(f"child {n}: {got.get(n)}, expected {v}")
for n in sorted(set(got) - set(verdicts)):
    problems.append(f"unexpected child {n}: {got[n]}")
for n in ("web-05", "parent-e"):
    if f"\n{n}: excluded" not in "\n" + text:
        problems.append(f"no '{n}: excluded' verdict line")

reasons = {   # (sender, parent or None) -> a piece of the edge's reason
    ("web-02", "parent-a"): "already has a live receiver",
    ("web-03", "parent-c"): "web server is off",
    ("web-04", "parent-a"): "no [web] bind to entry listens on this port",
    ("web-07", "parent-a"): "machine GUID is not enabled",
    ("db-01", "parent-a"): "machine GUID's allow from",
    ("db-01", "parent-b"): "machine GUID's allow from",
    ("stage-01", "parent-a"): "API key is not enabled",
    ("stage-02", "parent-a"): "API key is not enabled",
    ("ops-01", "parent-a"): "type is not 'api'",
    ("edge-01", "parent-a"): "TLS",
    ("edge-02", "parent-b"): "^SSL=force",
    ("edge-03", "parent-b"): "without certificate verification",
    ("lab-04", "lab-proxy"): "parent's own",
    ("app-01", "parent-a"): "allow streaming from",
    ("app-02", "parent-a"): "allow connections from",
    ("web-09", "parent-e"): "configuration has errors",
    ("legacy-01", None): "outside the fleet",
}
edges = {}
for e in doc["edges"]:
    if not e["proxied"]:
        edges.setdefault((e["sender"], e["parent"]), e)
for (s, p), piece in reasons.items():
    e = edges.get((s, p))
    if e is None:
        problems.append(f"no edge {s} -> {p}")
    elif piece not in e["reason"]:
        problems.append(f"edge {s} -> {p}: reason '{e['reason']}', expected '{piece}'")
proxied = {(e["child"], e["sender"], e["parent"]): e for e in doc["edges"] if e["proxied"]}
loop = proxied.get(("lab-02", "lab-proxy", "lab-proxy"))
if not loop or loop["verdict"] != "refused" or "loop" not in loop["reason"]:
    problems.append(f"lab-02 via lab-proxy -> lab-proxy: {loop}, expected a refused proxy loop")

# every finding: (slug, the nodes its message, file or notes must name)
need = [
    ("fleet-refused", ["web-02", "parent-a"]),
    ("fleet-refused", ["web-03", "parent-c"]), ("fleet-refused", ["web-04", "parent-a"]),
    ("fleet-refused", ["web-07", "parent-a"]), ("fleet-refused", ["db-01", "parent-a"]),
    ("fleet-refused", ["db-01", "parent-b"]), ("fleet-refused", ["stage-01", "parent-a"]),
    ("fleet-refused", ["stage-02", "parent-a"]), ("fleet-refused", ["ops-01", "parent-a"]),
    ("fleet-refused", ["edge-02", "parent-b"]), ("fleet-refused", ["lab-04", "lab-proxy"]),
    ("fleet-refused", ["app-01", "parent-a"]), ("fleet-refused", ["app-02", "parent-a"]),
    ("fleet-tls", ["edge-01", "parent-a"]),
    ("fleet-tls-verify", ["edge-03", "parent-b"]),
    ("fleet-duplicate-guid", ["web-01", "web-02"]),
    ("fleet-duplicate-guid", ["lab-proxy", "lab-04"]),
    ("fleet-proxy-loop", ["lab-02", "lab-proxy"]),
    ("fleet-sends-nothing", ["lab-proxy", "lab-03"]),
    ("fleet-proxy-dead-end", ["lab-proxy-2", "lab-05"]),
    ("fleet-unresolved", ["legacy-01", "old-parent.example.net"]),
    ("fleet-no-children", ["parent-dr"]),
    ("fleet-rate-limit", ["parent-b"]),
    ("fleet-history-mismatch", ["parent-a", "lab-01"]),
    ("fleet-history-mismatch", ["parent-a", "web-01"]),
    ("fleet-ephemeral-health", ["parent-a", "iot-02"]),
    ("fleet-excluded", ["web-09", "parent-e"]),
    ("fleet-manifest", ["web-06", "connects from"]),
    ("fleet-no-address", ["web-06"]),
    ("fleet-no-guid", ["web-08"]),
    ("fleet-duplicate-node", ["web-02"]),
] + [("fleet-never-streams", [n]) for n, v in verdicts.items() if v == "refused"]

def mentions(g, name):
    texts = [g["message"], g["file"]] + [x["message"] + " " + x["file"] for x in g.get("notes", [])]
    return any(f"'{name}'" in t or f"/{name}/" in t or f"[{name}]" in t or
               (not name.replace("-", "").isalnum() and name in t) for t in texts)

diags = doc["diagnostics"]
for slug, names in need:
    if not any(g["code"] == slug and all(mentions(g, n) for n in names) for g in diags):
        problems.append(f"no [{slug}] naming {', '.join(names)}")
# the check findings of the nodes whose own files are part of the case
for slug, node in (("inline-comment", "web-05"), ("bad-bind", "parent-e"),
                   ("rate-limit-first", "parent-b"), ("destination-ssl", "edge-03")):
    if not any(g["code"] == slug and f"/{node}/" in g["file"] for g in diags):
        problems.append(f"no [{slug}] in {node}'s files")
# nothing refuses the children that stream (web-01 is first with its GUID, lab-01 is fine)
for g in diags:
    for n in ("web-01", "lab-01", "iot-01", "legacy-01"):
        if g["code"] in ("fleet-refused", "fleet-tls") and g["message"].startswith(f"'{n}' "):
            problems.append(f"{n} refused: {g['message']}")
# text: the same slugs as the JSON, and a summary line
slugs_json = sorted({g["code"] for g in diags})
slugs_text = sorted({l.rsplit("[", 1)[1].rstrip("]") for l in text.splitlines()
                     if l.endswith("]") and ": " in l and not l.startswith(" ")
                     and ("error: " in l or "warning: " in l or "note: " in l)
                     and "[" in l.rsplit(" ", 1)[-1]})
if slugs_text != slugs_json:
    problems.append(f"text slugs {slugs_text} != JSON slugs {slugs_json}")
if not text.rstrip().splitlines()[-1].endswith(f"{doc['errors']} errors, {doc['warnings']} warnings"):
    problems.append(f"text summary '{text.rstrip().splitlines()[-1]}'")

# SARIF: 2.1.0, one result per JSON finding, rules for every fleet slug
for name, jdoc in (("broken", doc), ("good", json.load(open(f"{tmp}/good_json.out")))):
    s = json.load(open(f"{tmp}/{name}_sarif.out"))
    run = s["runs"][0]
    if s.get("version") != "2.1.0":
        problems.append(f"{name} SARIF version {s.get('version')}")
    res = sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"])
    want = sorted((g["code"], g["file"], g["line"]) for g in jdoc["diagnostics"])
    if res != want:
        problems.append(f"{name} SARIF results differ from the JSON findings "
                        f"({len(res)} vs {len(want)})")
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    missing = {r for r, _, _ in res} - rules
    if missing:
        problems.append(f"{name} SARIF: results without a rule: {sorted(missing)}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF
); then
    fail "streamc fleet $B/fleet.conf (text, JSON, SARIF)" "every verdict and finding of examples/fleet/README.md" "$why"
fi

# ---- graphs -----------------------------------------------------------------------------------
for fleet in good broken; do
    m=examples/fleet/$fleet/fleet.conf
    run_as dot_$fleet fleet --graph=dot "$m"
    run_as html_$fleet fleet --graph=html "$m"
    checks=$((checks + 1))
    if ! why=$(python3 - "$tmp" "$fleet" <<'EOF' 2>&1
import json, re, sys
from collections import Counter
tmp, fleet = sys.argv[1], sys.argv[2]
doc = json.load(open(f"{tmp}/{'good' if fleet == 'good' else 'broken'}_json.out"))
dot = open(f"{tmp}/dot_{fleet}.out").read()
problems = []

def unquote(s):
    return s[1:-1].replace('\\"', '"') if s.startswith('"') else s

# a small DOT reader: 'digraph ID {' ... '}', statements 'ID [attrs];' and 'ID -> ID [attrs];'
m = re.fullmatch(r'\s*digraph\s+("(?:[^"\\]|\\.)*"|\w+)\s*\{(.*)\}\s*', dot, re.S)
if not m:
    print("not a 'digraph NAME { ... }' document")
    sys.exit(1)
body = m.group(2)
tok = re.compile(r'"(?:[^"\\]|\\.)*"|->|[\[\]=;,{}]|[^\s\[\]=;,{}"]+')
toks = tok.findall(body)
labels, edges, i = {}, [], 0
def attrs(i):
    a = {}
    if i < len(toks) and toks[i] == "[":
        i += 1
        while toks[i] != "]":
            k = unquote(toks[i]); i += 1
            if toks[i] != "=":
                raise ValueError(f"'=' expected after {k}")
            a[k] = unquote(toks[i + 1]); i += 2
            if toks[i] in (",", ";"):
                i += 1
        i += 1
    return a, i
try:
    while i < len(toks):
        a = unquote(toks[i]); i += 1
        if i < len(toks) and toks[i] == "->":
            b = unquote(toks[i + 1]); i += 2
            at, i = attrs(i)
            edges.append((a, b, at))
        elif i < len(toks) and toks[i] == "=":      # graph attribute: rankdir=LR
            i += 2
        else:
            at, i = attrs(i)
            if a not in ("node", "edge", "graph"):
                labels[a] = at.get("label", a)
        if i < len(toks) and toks[i] == ";":
            i += 1
except (IndexError, ValueError) as e:
    print(f"DOT does not parse: {e}")
    sys.exit(1)
for a, b, _ in edges:
    for n in (a, b):
        if n not in labels:
            problems.append(f"edge endpoint {n} is not a declared node")
got = Counter((labels.get(a), labels.get(b)) for a, b, _ in edges)
want = Counter((e["sender"], e["parent"] if e["parent"] is not None else e["destination"])
               for e in doc["edges"])
if got != want:
    problems.append(f"DOT edges {sorted(got.elements())} != JSON edges {sorted(want.elements())}")
names = {n for n in labels.values()}
for c in doc["children"]:
    if c["name"] not in names:
        problems.append(f"child {c['name']} is no DOT node")
html = open(f"{tmp}/html_{fleet}.out").read()
if "<svg" not in html or "</html>" not in html:
    problems.append("--graph=html: no <svg> or not a whole page")
if re.search(r'<(script|link|img)[^>]+(src|href)=["\']https?:', html):
    problems.append("--graph=html loads something from the network (not self-contained)")
nedges = len(re.findall(r'<path class="e (?:ok|warn|refused|unresolved)[^"]*" marker-end=', html))
if nedges != len(doc["edges"]):
    problems.append(f"--graph=html draws {nedges} edge paths for {len(doc['edges'])} edges")
import html as htmllib
shown = htmllib.unescape(html)
for e in doc["edges"]:
    if e["reason"] and e["reason"] not in shown:
        problems.append(f"--graph=html does not show the reason '{e['reason']}'")
        break
if problems:
    print("; ".join(problems))
    sys.exit(1)
EOF
    ); then
        fail "streamc fleet --graph=dot/html $m" "a digraph with one edge per JSON edge, an HTML page with an <svg>" "$why" "$tmp/dot_$fleet.out"
    fi
done
if command -v dot >/dev/null 2>&1; then
    for fleet in good broken; do
        checks=$((checks + 1))
        dot -Tsvg "$tmp/dot_$fleet.out" >/dev/null 2>"$tmp/dot.err" ||
            fail "dot -Tsvg (graphviz) on --graph=dot of $fleet" "it renders" "an error" "$tmp/dot.err"
    done
fi

# ---- the demo shows both fleets --------------------------------------------------------------
checks=$((checks + 1))
rc=0
STREAMC="$STREAMC" python3 tests/demo.py >"$tmp/demo" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || ! grep -q "^== $G: streamc fleet" "$tmp/demo" || ! grep -q "^== $B: streamc fleet" "$tmp/demo"; then
    fail "python3 tests/demo.py" "exit 0 and a section for each fleet" "exit $rc" "$tmp/demo"
fi

if [ "$failures" -ne 0 ]; then
    echo "fleet_examples: $failures of $checks checks failed"
    exit 1
fi
echo "fleet_examples: $checks checks passed (good fleet streams, broken fleet shows every finding)"
