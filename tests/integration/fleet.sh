#!/usr/bin/env bash
# streamc fleet, end to end: small fleets built in a temporary directory, each checked for its
# verdict lines, its findings (slug and file:line on both sides) and the exit status
# (0 every child streams, 1 a refusal or an error finding, 2 usage or an unreadable manifest).
# Covers a working fleet with a proxy, every kind of refusal, unresolved destinations, the
# five TLS cases, duplicate machine GUIDs, proxy loops and dead ends, a hop that sends no
# chart, history and health mismatches, parents nobody streams to, the manifest's own
# findings, a directory fleet with node.meta, and JSON/SARIF output.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_streamc
RUN_DIR=$tmp   # fleet manifests name node directories relative to $tmp

expect_count() {   # expect_count N TEXT: exactly N lines contain TEXT
    checks=$((checks + 1))
    local n
    n=$(grep -Fc -- "$2" "$tmp/out" || true)
    [ "$n" -eq "$1" ] || bad "$1 lines containing '$2', got $n"
}

K1=11111111-0000-4000-8000-000000000001   # the parents' children key
K2=11111111-0000-4000-8000-000000000002   # the proxy's key for its children
KP=11111111-0000-4000-8000-000000000003   # the proxy's own key on the parent
G_PARENT=aaaaaaaa-0000-4000-8000-000000000001
G_C1=aaaaaaaa-0000-4000-8000-000000000002
G_C2=aaaaaaaa-0000-4000-8000-000000000003
G_PROXY=aaaaaaaa-0000-4000-8000-000000000004
G_LAB=aaaaaaaa-0000-4000-8000-000000000005

# node DIR GUID: a config directory with a GUID file; stream.conf / netdata.conf from
# $S / $N (empty: no file)
node() {
    mkdir -p "$tmp/$1"
    rm -f "$tmp/$1/stream.conf" "$tmp/$1/netdata.conf"
    [ -n "$2" ] && printf '%s' "$2" >"$tmp/$1/netdata.public.unique.id"
    [ -n "${S:-}" ] && printf '%s\n' "$S" >"$tmp/$1/stream.conf"
    [ -n "${N:-}" ] && printf '%s\n' "$N" >"$tmp/$1/netdata.conf"
    S=""
    N=""
}

child_conf() {   # child_conf DEST [KEY]
    S="[stream]
    enabled = yes
    destination = $1
    api key = ${2:-$K1}"
}

parent_conf() {   # parent_conf [extra API-key lines]
    S="[stream]
    enabled = no

[$K1]
    enabled = yes
    allow from = 10.* localhost
${1:-}

[$KP]
    enabled = yes
    allow from = 10.0.0.9"
}

# ---- 1. a working fleet: two children, a proxy with a child of its own -------------------------
parent_conf; N="[web]
    bind to = *"; node w/parent "$G_PARENT"
child_conf parent.lan; node w/c1 "$G_C1"
child_conf 10.0.0.1:19999; node w/c2 "$G_C2"
S="[stream]
    enabled = yes
    destination = parent.lan
    api key = $KP

[$K2]
    enabled = yes
    allow from = 10.1.*"; node w/proxy "$G_PROXY"
child_conf proxy.lan "$K2"; node w/lab "$G_LAB"
cat >"$tmp/w/fleet.conf" <<EOF
# a working fleet
[parent]
    config = parent
    reachable at = parent.lan 10.0.0.1

[c1]
    config = c1
    connects from = 10.0.0.2

[c2]
    config = c2
    connects from = 10.0.0.3

[proxy]
    config = proxy
    connects from = 10.0.0.9
    reachable at = proxy.lan:19999

[lab]
    config = lab
    connects from = 10.1.0.7
EOF
run fleet w/fleet.conf
expect_rc 0
expect_line "c1 -> parent (parent.lan): accepted"
expect_line "c2 -> parent (10.0.0.1:19999): accepted"
expect_line "proxy -> parent (parent.lan): accepted"
expect_line "lab -> proxy (proxy.lan): accepted"
expect_line "lab via proxy -> parent (parent.lan): accepted"
expect_not "error"

# the manifest's directory is the base of relative paths, wherever streamc runs
CMD="streamc fleet $tmp/w/fleet.conf (from /)"
RC=0
(cd / && "$STREAMC" fleet "$tmp/w/fleet.conf") >"$tmp/out" 2>"$tmp/err" || RC=$?
expect_rc 0

# JSON and SARIF: one document, no verdict lines
run fleet --format=json w/fleet.conf
expect_rc 0
checks=$((checks + 1))
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" || bad "valid JSON"
run fleet --format=sarif w/fleet.conf
checks=$((checks + 1))
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"]=="2.1.0"' \
    "$tmp/out" || bad "valid SARIF"

# ---- 2. refusals: one child per reason ----------------------------------------------------------
parent_conf "
[22222222-0000-4000-8000-000000000001]
    enabled = no

[$G_C2]
    enabled = no"
N="[web]
    bind to = *:19999 *:19998=dashboard *:19997=streaming^SSL=force
    allow streaming from = 10.* localhost"; node r/parent "$G_PARENT"
child_conf p.lan 22222222-0000-4000-8000-000000000001; node r/keyoff aaaaaaaa-0000-4000-8000-0000000000a1
child_conf p.lan 22222222-0000-4000-8000-0000000000ff; node r/keyunknown aaaaaaaa-0000-4000-8000-0000000000a2
child_conf p.lan; node r/wrongip aaaaaaaa-0000-4000-8000-0000000000a3
child_conf p.lan; node r/machineoff "$G_C2"
child_conf p.lan:20000; node r/noport aaaaaaaa-0000-4000-8000-0000000000a4
child_conf p.lan:19998; node r/nostream aaaaaaaa-0000-4000-8000-0000000000a5
child_conf p.lan:19997; node r/forced aaaaaaaa-0000-4000-8000-0000000000a6
child_conf p.lan; node r/own "$G_PARENT"
child_conf "p.lan elsewhere.example"; node r/halfway aaaaaaaa-0000-4000-8000-0000000000a7
child_conf "nowhere.example"; node r/outside aaaaaaaa-0000-4000-8000-0000000000a8
cat >"$tmp/r/fleet.conf" <<EOF
[parent]
    config = parent
    reachable at = p.lan
[keyoff]
    config = keyoff
    connects from = 10.0.0.2
[keyunknown]
    config = keyunknown
    connects from = 10.0.0.2
[wrongip]
    config = wrongip
    connects from = 192.168.7.7
[machineoff]
    config = machineoff
    connects from = 10.0.0.3
[noport]
    config = noport
    connects from = 10.0.0.4
[nostream]
    config = nostream
    connects from = 10.0.0.5
[forced]
    config = forced
    connects from = 10.0.0.6
[own]
    config = own
    connects from = 10.0.0.7
[halfway]
    config = halfway
    connects from = 10.0.0.8
[outside]
    config = outside
    connects from = 10.0.0.10
EOF
run fleet r/fleet.conf
expect_rc 1
expect_line "keyoff -> parent (p.lan): refused: the API key is not enabled"
expect_line "keyunknown -> parent (p.lan): refused: the API key is not enabled"
expect_line "wrongip -> parent (p.lan): refused: [web] allow streaming from does not admit the client"
expect_line "machineoff -> parent (p.lan): refused: the machine GUID is not enabled"
expect_line "noport -> parent (p.lan:20000): refused: no [web] bind to entry listens on this port"
expect_line "nostream -> parent (p.lan:19998): refused: the port's bind to permissions lack 'streaming'"
expect_line "forced -> parent (p.lan:19997): refused: the port is ^SSL=force and the connection is not TLS"
expect_line "own -> parent (p.lan): refused: the machine GUID is the parent's own"
expect_line "halfway -> parent (p.lan): accepted"
expect_line "halfway -> ? (elsewhere.example): unresolved: outside the fleet"
expect_line "outside -> ? (nowhere.example): unresolved: outside the fleet"
# both sides cited: the child's destination and the parent's deciding line
expect_has "r/keyoff/stream.conf:3:19: error: 'keyoff' is refused by 'parent' at 'p.lan': the API key is not enabled (HTTP 401) [fleet-refused]"
expect_has "r/parent/stream.conf:9:5: note: on 'parent': enabled = no"
expect_has "note: on 'parent': stream.conf has no section for it"
expect_has "r/parent/netdata.conf:3:5: note: on 'parent': allow streaming from = 10.* localhost"
expect_has "note: 'wrongip' connects from '192.168.7.7'"
expect_has "(HTTP 400) [fleet-refused]"
expect_has "r/halfway/stream.conf:3:25: warning: destination 'elsewhere.example' of 'halfway' is no node of the fleet"
# every destination outside the fleet: warnings only, nothing in the fleet refused it
expect_not "'outside' never streams"
expect_not "'halfway' never streams"
# the own GUID is also a duplicate GUID in the fleet
expect_has "[fleet-duplicate-guid]"

# ---- 3. web mode none, allow connections from, rate limit ------------------------------------
S="[stream]
    enabled = no"; N="[web]
    mode = none"; node m/off "$G_PARENT"
parent_conf; N="[web]
    allow connections from = 10.9.*"; node m/closed aaaaaaaa-0000-4000-8000-0000000000b1
parent_conf; N="[web]
    accept a streaming request every seconds = 10"; node m/slow aaaaaaaa-0000-4000-8000-0000000000b2
child_conf "off.lan closed.lan slow.lan"; node m/c aaaaaaaa-0000-4000-8000-0000000000b3
cat >"$tmp/m/fleet.conf" <<EOF
[off]
    config = off
    reachable at = off.lan
[closed]
    config = closed
    reachable at = closed.lan
[slow]
    config = slow
    reachable at = slow.lan
[c]
    config = c
    connects from = 10.0.0.2
EOF
# refused by two destinations but accepted by the third: the child streams (exit 0), each
# refusal is still an error finding; -Werror makes every finding count
run fleet m/fleet.conf
expect_rc 0
expect_line "c -> off (off.lan): refused: the web server is off ([web] mode = none)"
expect_line "c -> closed (closed.lan): refused: [web] allow connections from does not admit the client"
expect_line "c -> slow (slow.lan): accepted"
expect_has "[fleet-rate-limit]"
expect_has "m/off/netdata.conf:2:5: note: on 'off': mode = none"
expect_has "warning: 'closed' accepts children (API key [$K1] is enabled) but no node of the fleet streams to it [fleet-no-children]"
expect_count 1 "[fleet-no-children]"
expect_not "'c' never streams"
run fleet -Werror m/fleet.conf
expect_rc 1

# ---- 4. TLS: the five cases -------------------------------------------------------------------
parent_conf; N="[web]
    bind to = *=streaming^SSL=optional"; node t/nocert "$G_PARENT"
parent_conf; node t/cert aaaaaaaa-0000-4000-8000-0000000000c1
mkdir -p "$tmp/t/cert/ssl"
: >"$tmp/t/cert/ssl/key.pem"
: >"$tmp/t/cert/ssl/cert.pem"
parent_conf; N="[web]
    bind to = *=streaming^SSL=force"; node t/forced aaaaaaaa-0000-4000-8000-0000000000c2
child_conf "forced.lan"; node t/plain aaaaaaaa-0000-4000-8000-0000000000c3
child_conf "nocert.lan:SSL"; node t/tls_nocert aaaaaaaa-0000-4000-8000-0000000000c4
child_conf "cert.lan:SSL"; S="$S
    ssl skip certificate verification = yes"; node t/tls_skip aaaaaaaa-0000-4000-8000-0000000000c5
child_conf "cert.lan:SSL"; S="$S
    CAfile = /etc/netdata/ca.pem"; node t/tls_ca aaaaaaaa-0000-4000-8000-0000000000c6
child_conf "cert.lan:SSL"; node t/tls_noca aaaaaaaa-0000-4000-8000-0000000000c7
child_conf "nocert.lan"; node t/plain_ok aaaaaaaa-0000-4000-8000-0000000000c8
{
    for p in nocert cert forced; do printf '[%s]\n    config = %s\n    reachable at = %s.lan\n' $p $p $p; done
    for c in plain tls_nocert tls_skip tls_ca tls_noca plain_ok; do
        printf '[%s]\n    config = %s\n    connects from = 10.0.0.2\n' $c $c
    done
} >"$tmp/t/fleet.conf"
run fleet t/fleet.conf
expect_rc 1
expect_line "plain_ok -> nocert (nocert.lan): accepted"
expect_line "plain -> forced (forced.lan): refused: the port is ^SSL=force and the connection is not TLS"
expect_line "tls_nocert -> nocert (nocert.lan): refused: TLS handshake fails: the parent serves no certificate"
expect_line "tls_skip -> cert (cert.lan): accepted: TLS without certificate verification"
expect_line "tls_ca -> cert (cert.lan): accepted: TLS verification depends on the CA"
expect_line "tls_noca -> cert (cert.lan): accepted: TLS verification depends on the system CA store"
expect_has "held for 300 s [fleet-tls]"
expect_has "'tls_noca' verifies 'cert''s certificate against the system CA store (no CAfile or CApath)"
expect_has "t/tls_skip/stream.conf:5:5: warning: 'tls_skip' streams to 'cert' over TLS without checking its certificate"
expect_has "t/tls_ca/stream.conf:5:5: warning: 'tls_ca' verifies 'cert''s certificate against CAfile '/etc/netdata/ca.pem'"

# ---- 5. duplicate machine GUIDs: the second child gets 409 ------------------------------------
parent_conf; node d/parent "$G_PARENT"
child_conf p.lan; node d/vm1 "$G_C1"
child_conf p.lan; node d/vm2 "$G_C1"
printf '[parent]\n    config = parent\n    reachable at = p.lan\n[vm1]\n    config = vm1\n    connects from = 10.0.0.2\n[vm2]\n    config = vm2\n    connects from = 10.0.0.3\n' >"$tmp/d/fleet.conf"
run fleet d/fleet.conf
expect_rc 1
expect_line "vm1 -> parent (p.lan): accepted"
expect_line "vm2 -> parent (p.lan): refused: this machine GUID already has a live receiver"
expect_has "d/vm2/netdata.public.unique.id:1:1: error: nodes 'vm1' and 'vm2' have the same machine GUID $G_C1"
expect_has "d/vm1/netdata.public.unique.id:1:1: note: 'vm1' has it too"
expect_has "(HTTP 409) [fleet-refused]"

# ---- 6. proxies: a loop, a dead end, a hop that sends nothing ------------------------------
S="[stream]
    enabled = yes
    destination = b.lan
    api key = $K2

[$K1]
    enabled = yes"; node p/a aaaaaaaa-0000-4000-8000-0000000000d1
S="[stream]
    enabled = yes
    destination = a.lan
    api key = $K1

[$K2]
    enabled = yes"; node p/b aaaaaaaa-0000-4000-8000-0000000000d2
child_conf a.lan; node p/c aaaaaaaa-0000-4000-8000-0000000000d3
S="[stream]
    enabled = no

[$K1]
    enabled = yes
    default proxy enabled = yes

[$K2]
    enabled = yes
    default proxy send charts matching = !*"; node p/dead aaaaaaaa-0000-4000-8000-0000000000d4
child_conf dead.lan; node p/d1 aaaaaaaa-0000-4000-8000-0000000000d5
printf '[a]\n    config = a\n    reachable at = a.lan\n[b]\n    config = b\n    reachable at = b.lan\n[c]\n    config = c\n[dead]\n    config = dead\n    reachable at = dead.lan\n[d1]\n    config = d1\n' >"$tmp/p/fleet.conf"
run fleet p/fleet.conf
expect_rc 1
expect_line "c -> a (a.lan): accepted"
expect_line "c via a -> b (b.lan): accepted"
expect_line "c via b -> a (a.lan): refused: proxy loop"
expect_has "goes back to 'a', which it already passed: a proxy loop [fleet-proxy-loop]"
expect_has "p/dead/stream.conf:6:5: warning: 'dead' is to forward 'd1' but has no proxy destination: the chain ends here [fleet-proxy-dead-end]"
expect_has "[fleet-no-address]"

# send nothing: a proxy whose forwarding pattern is negative only
S="[stream]
    enabled = yes
    destination = top.lan
    api key = $K1

[$K2]
    enabled = yes
    default proxy send charts matching = !*"; node s/mid aaaaaaaa-0000-4000-8000-0000000000e1
parent_conf; node s/top aaaaaaaa-0000-4000-8000-0000000000e2
child_conf mid.lan "$K2"; node s/leaf aaaaaaaa-0000-4000-8000-0000000000e3
printf '[mid]\n    config = mid\n    reachable at = mid.lan\n    connects from = 10.0.0.5\n[top]\n    config = top\n    reachable at = top.lan\n[leaf]\n    config = leaf\n    connects from = 10.0.0.6\n' >"$tmp/s/fleet.conf"
run fleet s/fleet.conf
expect_rc 0
expect_line "leaf via mid -> top (top.lan): accepted"
expect_has "s/mid/stream.conf:8:42: warning: 'mid' sends no chart of 'leaf' upstream: default proxy send charts matching = '!*' matches none of system.cpu"

# ---- 7. storage along a path: history mismatch, ephemeral child with health yes -------------
parent_conf "    default memory mode = ram
    default history = 3600
    health enabled by default = yes"; node h/parent "$G_PARENT"
child_conf p.lan; node h/db aaaaaaaa-0000-4000-8000-0000000000f1
child_conf p.lan; N="[db]
    mode = none"; node h/eph aaaaaaaa-0000-4000-8000-0000000000f2
printf '[parent]\n    config = parent\n    reachable at = p.lan\n[db]\n    config = db\n    connects from = 10.0.0.2\n[eph]\n    config = eph\n    connects from = 10.0.0.3\n' >"$tmp/h/fleet.conf"
run fleet h/fleet.conf
expect_rc 0
expect_has "warning: 'parent' keeps only 4096 entries of 'db' (memory mode ram) while 'db' keeps a dbengine database"
expect_has "[fleet-history-mismatch]"
expect_has "'eph' is ephemeral (memory mode none) but 'parent' runs its alarms with health 'yes'"
expect_count 1 "[fleet-ephemeral-health]"
run fleet -Werror h/fleet.conf
expect_rc 1

# ---- 8. the manifest itself ------------------------------------------------------------------
printf '[parent]\n    config = parent\n    reachabel at = p.lan\n[nocfg]\n    connects from = 1.2.3.4\n[parent]\n    config = parent\n[ghost]\n    config = ghost\n' >"$tmp/h/bad.conf"
run fleet h/bad.conf
expect_rc 1
expect_has "h/bad.conf:3:5: error: unknown key 'reachabel at' for fleet node 'parent'; did you mean 'reachable at'? [fleet-manifest]"
expect_has "h/bad.conf:4:2: error: node 'nocfg' has no 'config' (its config directory); it is left out [fleet-manifest]"
expect_has "[fleet-duplicate-node]"
expect_has "'h/ghost' is not a config directory"
expect_line "nocfg: excluded: no config directory"
expect_line "ghost: excluded: configuration has errors"

# a node with configuration errors is left out; its children's edges are refused
child_conf p.lan; node x/c aaaaaaaa-0000-4000-8000-0000000000f3
S="[stream]
    enabled = no
[$K1]
    enabeld = yes"; node x/parent "$G_PARENT"
printf '[parent]\n    config = parent\n    reachable at = p.lan\n[c]\n    config = c\n    connects from = 10.0.0.2\n' >"$tmp/x/fleet.conf"
run fleet x/fleet.conf
expect_rc 1
expect_line "parent: excluded: configuration has errors"
expect_line "c -> parent (p.lan): refused: configuration has errors"
expect_has "[fleet-excluded]"

# usage and I/O
run fleet
expect_rc 2
run fleet "$tmp/no-such-manifest.conf"
expect_rc 2
run fleet --format=xml w/fleet.conf
expect_rc 2
run fleet --bogus w/fleet.conf
expect_rc 2

# ---- 9. a directory fleet with node.meta -----------------------------------------------------
parent_conf; node dir/parent "$G_PARENT"
child_conf p.lan; node dir/web-01 "$G_C1"
child_conf 10.0.0.1; node dir/web-02 "$G_C2"
printf '[node]\n    reachable at = p.lan 10.0.0.1\n' >"$tmp/dir/parent/node.meta"
printf '[node]\n    connects from = 10.0.0.2\n' >"$tmp/dir/web-01/node.meta"
printf '[node]\n    connects from = 10.0.0.3\n    config = .\n' >"$tmp/dir/web-02/node.meta"
run fleet dir
expect_rc 1
expect_line "web-01 -> parent (p.lan): accepted"
expect_line "web-02 -> parent (10.0.0.1): accepted"
expect_has "dir/web-02/node.meta:3:5: error: 'config' is not valid in node.meta"
rm "$tmp/dir/web-02/node.meta"
printf '[node]\n    connects from = 10.0.0.3\n    machine guid = %s\n' "$G_LAB" >"$tmp/dir/web-02/node.meta"
run fleet dir
expect_rc 0
expect_line "web-02 -> parent (10.0.0.1): accepted"

# a node directory without node.meta is a node nobody can reach (a warning, not an error);
# its own address is unknown, so the parent's 'allow from = 10.* localhost' refuses it
rm "$tmp/dir/web-02/node.meta"
run fleet dir
expect_rc 1
expect_has "warning: node 'web-02' has no node.meta: no address is known for it"
expect_has "allow lists are checked with 192.0.2.1"
expect_line "web-02 -> parent (10.0.0.1): refused: the API key's allow from does not match the client IP"

# the graph replaces verdicts and findings
run fleet --graph=dot w/fleet.conf
expect_rc 0
expect_has "digraph"
expect_not "accepted"

# ---- reverse DNS: a parent that allows streaming by name -----------------------------------------
S="[stream]
    enabled = no

[$K1]
    enabled = yes"
N="[web]
    allow streaming from = *.example.net
    allow streaming by dns = yes"; node dns/parent "$G_PARENT"
child_conf p.lan; node dns/named "$G_C1"
child_conf p.lan; node dns/anon "$G_C2"
printf '[parent]\n    config = parent\n    reachable at = p.lan\n[named]\n    config = named\n    connects from = 10.9.0.1\n    reverse dns = web-01.example.net\n[anon]\n    config = anon\n    connects from = 10.9.0.2\n' >"$tmp/dns/fleet.conf"
run fleet dns/fleet.conf
expect_line "named -> parent (p.lan): accepted"
expect_line "anon -> parent (p.lan): refused: [web] allow streaming from does not admit the client"
printf '[parent]\n    config = parent\n    reverse dnz = x\n' >"$tmp/dns/typo.conf"
run fleet dns/typo.conf
expect_has "did you mean 'reverse dns'?"

report fleet.sh
