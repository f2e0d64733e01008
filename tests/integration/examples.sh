#!/usr/bin/env bash
# The bundled examples: every good example checks clean under -Werror (no errors, no
# warnings, no output), in text and JSON; the examples agree with each other (keys and GUIDs);
# examples/broken fails with exit status 1 and every diagnostic it was written to show; and
# tests/demo.py (what 'ninja demo' runs) passes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$root"
need_streamc

good=(child parent proxy tls-parent tls-child ephemeral ephemeral/parent loopback-parent loopback-child)

# ---- every good example: clean under -Werror ------------------------------------------------
for ex in "${good[@]}"; do
    d="examples/$ex"
    if [ ! -f "$d/stream.conf" ] || [ ! -f "$d/netdata.conf" ]; then
        fail "$d" "stream.conf and netdata.conf" "$(find "$d" -maxdepth 1 -type f 2>&1 | tr '\n' ' ')"
        continue
    fi
    guid=$(head -c 36 "$d/netdata.public.unique.id" 2>/dev/null || true)
    if ! [[ $guid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
        fail "$d/netdata.public.unique.id" "a lower-case GUID (8-4-4-4-12 hex)" "'$guid'"
    fi
    rc=0
    "$STREAMC" check -Werror "$d" >"$tmp/out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/out" ]; then
        fail "streamc check -Werror $d" "exit status 0 and no output" "exit status $rc" "$tmp/out"
    fi
    rc=0
    "$STREAMC" check --format=json "$d" >"$tmp/json" 2>&1 || rc=$?
    if ! counts=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["errors"], d["warnings"], len(d["diagnostics"]))
' "$tmp/json" 2>&1) || [ "$counts" != "0 0 0" ] || [ "$rc" -ne 0 ]; then
        fail "streamc check --format=json $d" "exit 0, errors warnings diagnostics = 0 0 0" \
            "exit $rc, $counts" "$tmp/json"
    fi
done

# every config directory under examples/ is either listed above or broken
while IFS= read -r d; do
    ex=${d#examples/}
    case " ${good[*]} broken " in
        *" $ex "*) ;;
        *) fail "examples/$ex" "one of: ${good[*]} broken (add new examples to this test)" "unlisted" ;;
    esac
done < <(find examples -path examples/fleet -prune -o \( -name stream.conf -o -name netdata.conf \) \
             -exec dirname {} + | sort -u)   # examples/fleet: tests/integration/fleet_examples.sh

# ---- the examples form one fleet: keys and GUIDs agree ---------------------------------------
if ! why=$(python3 - <<'EOF' 2>&1
import sys

def load(path):
    """Netdata's reader, enough for these files: sections of key = value, '#' comments."""
    secs, cur = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = secs.setdefault(line[1:-1], {})
        elif "=" in line and cur is not None:
            k, v = line.split("=", 1)
            cur[k.strip()] = v.strip()
    return secs

def guid(d):
    return open(f"examples/{d}/netdata.public.unique.id").read()[:36]

problems = []
def expect(cond, what):
    if not cond:
        problems.append(what)

# (sender, receiver): the sender's [stream] api key is an enabled API-key section there
for child, parent in [("child", "parent"), ("proxy", "parent"), ("tls-child", "tls-parent"),
                      ("ephemeral", "ephemeral/parent")]:
    s = load(f"examples/{child}/stream.conf")["stream"]
    p = load(f"examples/{parent}/stream.conf")
    key = s.get("api key")
    expect(s.get("enabled") == "yes", f"{child}: [stream] enabled = yes")
    expect(key in p and p[key].get("enabled") == "yes",
           f"{child}'s api key {key} is an enabled section in {parent}")
# the parent's machine section for web-01 is the child's own GUID
expect(guid("child") in load("examples/parent/stream.conf"),
       "examples/parent has a machine section for examples/child's GUID")
# a proxy: it sends and it forwards
proxy = load("examples/proxy/stream.conf")
expect(any(v.get("default proxy enabled") == "yes" for k, v in proxy.items() if k != "stream"),
       "examples/proxy has an API key with default proxy enabled = yes")
expect(any("proxy send charts matching" in v for v in proxy.values()),
       "examples/proxy filters one machine with proxy send charts matching")
# TLS: a forced-TLS streaming port on the parent, ':SSL' and CAfile on the child
web = load("examples/tls-parent/netdata.conf")["web"]
expect("streaming^SSL=force" in web.get("bind to", ""), "tls-parent: a streaming^SSL=force port")
expect(web.get("ssl key") and web.get("ssl certificate"), "tls-parent: ssl key and certificate")
tls = load("examples/tls-child/stream.conf")["stream"]
expect(tls.get("destination", "").endswith(":SSL") and tls.get("CAfile"),
       "tls-child: destination ending in :SSL, and CAfile")
# ephemeral: mode none + health off on the node, 'auto' on the parent's key
eph = load("examples/ephemeral/netdata.conf")
expect(eph["db"].get("mode") == "none" and eph["health"].get("enabled") == "no",
       "ephemeral: [db] mode = none and [health] enabled = no")
ekey = load("examples/ephemeral/stream.conf")["stream"]["api key"]
expect(load("examples/ephemeral/parent/stream.conf")[ekey].get("health enabled by default") == "auto",
       "ephemeral/parent: health enabled by default = auto on the gateways' key")
if problems:
    print("; ".join(problems))
    sys.exit(1)
EOF
); then
    fail "the examples as one fleet" "matching keys, GUIDs and scenario settings" "$why"
fi

# ---- broken: exit 1 and every diagnostic it demonstrates -----------------------------------
rc=0
"$STREAMC" check examples/broken >"$tmp/out" 2>&1 || rc=$?
if [ "$rc" -ne 1 ]; then
    fail "streamc check examples/broken" "exit status 1" "exit status $rc" "$tmp/out"
fi
for slug in unknown-key inline-comment destination-ssl bad-guid wrong-section bad-value \
    localhost-ip duplicate-section unknown-section semicolon-comment own-guid out-of-range \
    bad-bind; do
    if ! grep -q -- "\[$slug\]$" "$tmp/out"; then
        fail "streamc check examples/broken" "a [$slug] diagnostic" "none" "$tmp/out"
    fi
done
# a few exact places (the README quotes the first two)
for want in \
    "examples/broken/stream.conf:3:5: error: unknown key 'destinaton' in [stream]; did you mean 'destination'? [unknown-key]" \
    "examples/broken/stream.conf:9:5: error: 'history' is not read in an API-key section; it belongs in a machine-GUID section (here the key is 'default history') [wrong-section]" \
    "examples/broken/stream.conf:4:19: error: " \
    "examples/broken/stream.conf:5:38: warning: " \
    "examples/broken/netdata.conf:7:15: error: "; do
    if ! grep -qF -- "$want" "$tmp/out"; then
        fail "streamc check examples/broken" "a line starting '$want'" "none" "$tmp/out"
    fi
done
if ! tail -n 1 "$tmp/out" | grep -Eq '^[1-9][0-9]* errors, [1-9][0-9]* warnings$'; then
    fail "streamc check examples/broken" "a last line 'N errors, M warnings'" "$(tail -n 1 "$tmp/out")"
fi
rc=0
"$STREAMC" check --format=json examples/broken >"$tmp/json" 2>&1 || rc=$?
if ! why=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
codes = {x["code"] for x in d["diagnostics"]}
need = {"unknown-key", "wrong-section", "bad-value", "inline-comment", "destination-ssl"}
errors = d["errors"]
if errors < 1 or need - codes:
    print(f"errors={errors} missing={sorted(need - codes)}")
    sys.exit(1)
' "$tmp/json" 2>&1) || [ "$rc" -ne 1 ]; then
    fail "streamc check --format=json examples/broken" "exit 1, errors >= 1 and the main codes" \
        "exit $rc: $why" "$tmp/json"
fi

# ---- the demo ------------------------------------------------------------------------------
rc=0
STREAMC="$STREAMC" python3 tests/demo.py >"$tmp/demo" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
    grep -E '^(FAIL|NOT CLEAN|demo:)' "$tmp/demo" >"$tmp/demo.fail" || true
    fail "python3 tests/demo.py" "exit status 0" "exit status $rc" "$tmp/demo.fail"
fi
for ex in "${good[@]}" broken; do
    if ! grep -q "^== examples/$ex: " "$tmp/demo"; then
        fail "python3 tests/demo.py" "a header for examples/$ex" "none" "$tmp/demo"
    fi
done

if [ "$failures" -ne 0 ]; then
    echo "examples: $failures check(s) failed"
    exit 1
fi
echo "examples: ${#good[@]} good examples clean, broken fails as intended, demo passes"
