#!/usr/bin/env bash
# streamc explain, end to end: compile a config directory, ask about one STREAM request and
# compare with what a Netdata 1.37.1 parent does (shared spec: config-semantics §3.6,
# stream-protocol §2.2, §6). Covers the accepted case with origins and file:line, every
# refusal with its exact reply and log text, the localhost rewrite, an upper-case key, the
# --chart send decision with a negative pattern, and the exit status (0 accepted, 1 refused,
# 2 usage or a bad policy).
#
# Every assertion runs; each failure prints the command, what was expected and what came out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_streamc
EXPECT_FROM="out err"   # refusal log lines go to stderr

# expect_setting KEY VALUE ORIGIN: a settings line "    KEY = VALUE   # ORIGIN..."
expect_setting() {
    checks=$((checks + 1))
    grep -Eq -- "^    $(printf '%s' "$1 = $2" | sed 's/[].[*^$\\/]/\\&/g') +# $(printf '%s' "$3" |
        sed 's/[].[*^$\\/]/\\&/g')" "$tmp/out" || bad "setting '$1 = $2' from '$3'" "no such line"
}

# line_of FILE REGEX: the line number of the first match
line_of() {
    grep -nE -- "$2" "$1" | head -1 | cut -d: -f1
}

compile() {
    CMD="streamc compile $1"
    if ! "$STREAMC" compile "$1" -o "$2" >"$tmp/out" 2>"$tmp/err"; then
        bad "a clean compile" "$(cat "$tmp/out" "$tmp/err")"
        return 1
    fi
}

DENIED="You are not permitted to access this. Check the logs for more info."

# ---- examples/parent: accepted, with origins and file:line -----------------------------------
ex=$root/examples/parent
compile "$ex" "$tmp/parent.policy"
KEY=96cf74af-440a-415f-826f-65f6ab5915dd
WEB01=2e904822-9e5e-45fa-b977-394965cbdcb5
DB01=07936097-5d4c-4178-826b-3f518e1203e4
OLD07=5131d82b-0e19-4e7d-ae92-e3ff6c7e606b
PARENT_GUID=$(cat "$ex/netdata.public.unique.id")
s=$ex/stream.conf
n=$ex/netdata.conf
web01_line=$(line_of "$s" "^\[$WEB01\]")
key_line=$(line_of "$s" "^\[$KEY\]")

run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.20.0.5 \
    --client-port 40000 --hostname web-01 --update-every 2
expect_rc 0 "accepted"
expect_line "decision: accepted"
expect_line "  access log: STREAM: <tid> '[10.20.0.5]:40000' 'CONNECTED' host 'web-01' api key '$KEY' machine guid '$WEB01'"
expect_has "# [API_KEY]: section [$KEY] at stream.conf:$key_line"
expect_has "# [MACHINE_GUID]: section [$WEB01] at stream.conf:$web01_line"
expect_setting "[web] allow streaming from" "localhost 10.*" "netdata.conf:$(line_of "$n" '^\s*allow streaming from')"
expect_setting "[web] allow streaming by dns" "no" "netdata.conf:$(line_of "$n" '^\s*allow streaming by dns')"
expect_setting "[web] mode" "static-threaded" "default"
expect_setting "enabled" "yes" "[API_KEY] stream.conf:$(awk -v k="$key_line" 'NR>k && /^\s*enabled/ {print NR; exit}' "$s")"
expect_setting "allow from" "localhost 10.*" "[API_KEY] stream.conf:$(awk -v k="$key_line" 'NR>k && /^\s*allow from/ {print NR; exit}' "$s")"
expect_setting "memory mode" "ram" "[MACHINE_GUID] stream.conf:$(awk -v k="$web01_line" 'NR>k && /^\s*memory mode/ {print NR; exit}' "$s")"
expect_setting "history" "8192" "[MACHINE_GUID] stream.conf:$(awk -v k="$web01_line" 'NR>k && /^\s*history/ {print NR; exit}' "$s")"
expect_setting "seconds to replicate" "86400" "[API_KEY] stream.conf:$(awk -v k="$key_line" 'NR>k && /^\s*seconds to replicate/ {print NR; exit}' "$s")"
expect_setting "proxy enabled" "no" "[stream] stream.conf:$(line_of "$s" '^\s*enabled = no')"
expect_setting "postpone alarms on connect seconds" "60" "[API_KEY] stream.conf:$(awk -v k="$key_line" 'NR>k && /^\s*default postpone/ {print NR; exit}' "$s")"
expect_setting "update every" "2" "the child's update_every URL parameter"
expect_setting "enable compression" "yes" "default"

# decommissioned machine: refused although the key is fine
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $OLD07 --from 10.20.0.7
expect_rc 1 "machine disabled"
expect_line "decision: refused: the machine GUID is not enabled"
expect_line "  http status: 401"
expect_line "  reply:      $DENIED"
expect_line "  error log:  STREAM [receive from [10.20.0.7]:<port>]: machine GUID '$OLD07' is not allowed. Forbidding access."
expect_has "  because:    enabled = no ([MACHINE_GUID] stream.conf:"

# localhost rewrite: 127.0.0.1 and ::1 are 'localhost', which the key's allow from names
for ip in 127.0.0.1 ::1; do
    run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from $ip
    expect_rc 0 "local child from $ip"
    expect_line "note: Netdata sees the client IP '$ip' as 'localhost'"
done
# db-01 only from its own address
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $DB01 --from 10.20.5.18
expect_rc 1 "db-01 from the wrong address"
expect_line "  error log:  STREAM [receive from [10.20.5.18]:<port>]: Machine GUID '$DB01' is not permitted from this IP. Forbidding access."
# upper-case key: a different section name, so an unknown key (enabled defaults to no)
UPKEY=$(printf '%s' $KEY | tr a-f A-F)
run explain "$tmp/parent.policy" --api-key "$UPKEY" --machine-guid $WEB01 --from 10.20.0.5
expect_rc 1 "upper-case key"
expect_line "decision: refused: the API key is not enabled"
expect_line "  error log:  STREAM [receive from [10.20.0.5]:<port>]: API key '$UPKEY' is not allowed. Forbidding access."
expect_has "# [API_KEY]: no section [$UPKEY] in stream.conf"
expect_has "note: stream.conf has [$KEY] (stream.conf:$key_line), which differs from the API key '$UPKEY' only in case"
# the parent's own GUID
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid "$PARENT_GUID" --from 10.20.0.5
expect_rc 1 "own GUID"
expect_line "  reply:      Don't hit me baby, you are trying to stream my localhost back"
expect_line "  error log:  STREAM child [receive from 10.20.0.5:<port>]: denied to receive metrics, machine GUID [$PARENT_GUID] is my own. Did you copy the parent/proxy machine GUID to a child, or is this an inter-agent loop?"

# ---- a crafted parent: every refusal in Netdata's order -------------------------------------
c=$tmp/crafted
mkdir -p "$c"
K1=11111111-0000-0000-0000-000000000001   # enabled, from localhost 10.*
K2=11111111-0000-0000-0000-000000000002   # disabled
K3=11111111-0000-0000-0000-000000000003   # a machine section
K4=11111111-0000-0000-0000-000000000004   # only from 10.1.*
M1=22222222-0000-0000-0000-0000000000a1   # disabled machine
M2=22222222-0000-0000-0000-0000000000a2   # machine only from 10.9.9.9
M3=22222222-0000-0000-0000-0000000000a3   # an API-key section
NODE=33333333-0000-0000-0000-0000000000ff
cat >"$c/stream.conf" <<EOF
[stream]
    enabled = no
[$K1]
    enabled = yes
    allow from = localhost 10.*
[$K2]
    type = api
    enabled = no
[$K3]
    type = machine
    enabled = yes
[$K4]
    enabled = yes
    allow from = 10.1.*
[$M1]
    type = machine
    enabled = no
[$M2]
    type = machine
    allow from = 10.9.9.9
[$M3]
    type = api
    enabled = yes
EOF
cat >"$c/netdata.conf" <<'EOF'
[web]
    bind to = *:19999=dashboard|streaming *:20000=dashboard *:20001=streaming^SSL=force
    allow connections from = localhost 10.* 192.168.*
    allow streaming from = localhost 10.*
    allow streaming by dns = no
EOF
printf '%s' $NODE >"$c/netdata.public.unique.id"
compile "$c" "$tmp/c.policy"
cp -r "$c" "$tmp/busy"
printf '[web]\n    accept a streaming request every seconds = 10\n' >"$tmp/busy/netdata.conf"
compile "$tmp/busy" "$tmp/busy.policy"
mkdir -p "$tmp/off"
printf '[stream]\n    enabled = no\n' >"$tmp/off/stream.conf"
printf '[web]\n    mode = none\n' >"$tmp/off/netdata.conf"
compile "$tmp/off" "$tmp/off.policy"

G=22222222-0000-0000-0000-0000000000a0
P="STREAM [receive from [10.1.1.1]:5555]: "
# refused POLICY DECISION STATUS LOG ARGS...: the decision line, the status and one log line
refused() {
    local policy=$1 decision=$2 status=$3 log=$4
    shift 4
    run explain "$policy" --client-port 5555 "$@"
    expect_rc 1 "$decision"
    expect_line "decision: refused: $decision"
    expect_line "  http status: $status"
    if [ -n "$log" ]; then
        expect_line "  error log:  $log"
    fi
}
pc=$tmp/c.policy
refused "$tmp/off.policy" "the web server is off ([web] mode = none)" \
    "none (the connection is refused or closed without a reply)" "" \
    --api-key $K1 --machine-guid $G --from 10.1.1.1
refused $pc "no [web] bind to entry listens on this port" \
    "none (the connection is refused or closed without a reply)" "" \
    --api-key $K1 --machine-guid $G --from 10.1.1.1 --port 30000
refused $pc "[web] allow connections from does not admit the client" \
    "none (the connection is refused or closed without a reply)" \
    "Permission denied for client '8.8.8.8', port '5555'" --api-key $K1 --machine-guid $G --from 8.8.8.8
expect_line "  error log:  Incoming connection on '8.8.8.8' does not match a numeric pattern, and host could not be resolved (err=Name or service not known)"
refused $pc "the port is ^SSL=force and the connection is not TLS" 400 "" \
    --api-key $K1 --machine-guid $G --from 10.1.1.1 --port 20001
expect_line "  reply:      I don't understand you...\\r\\n (an HTTP/1.1 400 Bad Request page)"
run explain $pc --api-key $K1 --machine-guid $G --from 10.1.1.1 --port 20001 --tls
expect_rc 0 "TLS on the forced port"
refused $pc "the port's bind to permissions lack 'streaming'" 403 "" \
    --api-key $K1 --machine-guid $G --from 10.1.1.1 --port 20000
expect_line "  reply:      You are not allowed to access this resource."
refused $pc "[web] allow streaming from does not admit the client" 403 "" \
    --api-key $K1 --machine-guid $G --from 192.168.1.1
refused $pc "the request has no API key" 401 "${P}request without an API key. Forbidding access." \
    --api-key "" --machine-guid $G --from 10.1.1.1
expect_line "  access log: STREAM: <tid> '[10.1.1.1]:5555' 'ACCESS DENIED - NO KEY' host 'child' api key '-' machine guid '$G'"
refused $pc "the request has no hostname" 401 "${P}request without a hostname. Forbidding access." \
    --api-key $K1 --machine-guid $G --from 10.1.1.1 --hostname ""
refused $pc "the request has no machine GUID" 401 \
    "${P}request without a machine GUID. Forbidding access." \
    --api-key $K1 --machine-guid "" --from 10.1.1.1
refused $pc "the API key is not a valid GUID" 401 \
    "${P}API key 'bad-key' is not valid GUID (use the command uuidgen to generate one). Forbidding access." \
    --api-key bad-key --machine-guid $G --from 10.1.1.1
expect_line "  error log:  Registry: GUID 'bad-key' is not a valid GUID."
refused $pc "the machine GUID is not a valid GUID" 401 \
    "${P}machine GUID '{$G}' is not GUID. Forbidding access." \
    --api-key $K1 --machine-guid "{$G}" --from 10.1.1.1
refused $pc "the API key's section type is not 'api'" 401 \
    "${P}API key '$K3' is a machine GUID. Forbidding access." \
    --api-key $K3 --machine-guid $G --from 10.1.1.1
expect_line "  access log: STREAM: <tid> '[10.1.1.1]:5555' 'ACCESS DENIED - API KEY GIVEN IS NOT API KEY' host 'child' api key '$K3' machine guid '$G'"
refused $pc "the API key is not enabled" 401 "${P}API key '$K2' is not allowed. Forbidding access." \
    --api-key $K2 --machine-guid $G --from 10.1.1.1
refused $pc "the API key's allow from does not match the client IP" 401 \
    "STREAM [receive from [10.2.2.2]:5555]: API key '$K4' is not permitted from this IP. Forbidding access." \
    --api-key $K4 --machine-guid $G --from 10.2.2.2
refused $pc "the machine GUID's section type is not 'machine'" 401 \
    "${P}machine GUID '$M3' is a api GUID. Forbidding access." \
    --api-key $K1 --machine-guid $M3 --from 10.1.1.1
refused $pc "the machine GUID is not enabled" 401 \
    "${P}machine GUID '$M1' is not allowed. Forbidding access." \
    --api-key $K1 --machine-guid $M1 --from 10.1.1.1
refused $pc "the machine GUID's allow from does not match the client IP" 401 \
    "${P}Machine GUID '$M2' is not permitted from this IP. Forbidding access." \
    --api-key $K1 --machine-guid $M2 --from 10.1.1.1
refused "$tmp/busy.policy" "the accept-rate limit refuses it" 503 \
    "${P}too busy to accept new streaming request. Will be allowed in 10 secs." \
    --api-key $K1 --machine-guid $G --from 10.1.1.1
expect_line "  reply:      The server is too busy now to accept this request. Try later."
expect_has "note: while the limit is on, the first request that reaches this check"
run explain "$tmp/busy.policy" --api-key $K1 --machine-guid $G --from 10.1.1.1 --rate-elapsed 10
expect_rc 0 "the rate limit after 10 s"
refused $pc "the machine GUID is the parent's own" \
    "200 (in the access log; the receiver thread then sends the raw reply and closes)" \
    "STREAM child [receive from 10.1.1.1:5555]: denied to receive metrics, machine GUID [$NODE] is my own. Did you copy the parent/proxy machine GUID to a child, or is this an inter-agent loop?" \
    --api-key $K1 --machine-guid $NODE --from 10.1.1.1
run explain $pc --api-key $K1 --machine-guid "$(printf '%s' $NODE | tr a-f A-F)" --from 10.1.1.1
expect_rc 0 "own GUID in upper case is another host"
# allow from = 127.0.0.1 never matches a local child
run explain $pc --api-key $K4 --machine-guid $G --from 127.0.0.1
expect_rc 1 "127.0.0.1 is localhost"
expect_line "  error log:  STREAM [receive from [localhost]:<port>]: API key '$K4' is not permitted from this IP. Forbidding access."

# ---- --chart: the send decision, id OR name, negative words ---------------------------------
compile "$root/examples/child" "$tmp/child.policy"
chart() {
    run explain "$tmp/child.policy" --api-key $KEY --machine-guid $G --from 10.1.1.1 "$@"
}
chart --chart apps.cpu
expect_line "  this node's own chart: not sent"
expect_line "      id 'apps.cpu': excluded by '!apps.*'"
expect_has "send charts matching = !apps.* !users.* !groups.* *  # [stream] stream.conf:$(line_of "$root/examples/child/stream.conf" '^\s*send charts matching')"
chart --chart apps.cpu --chart-name web.cpu   # the name matches '*': sent (config-semantics §5.5)
expect_line "  this node's own chart: sent"
expect_line "      name 'web.cpu': matched by '*'"
chart --chart system.cpu
expect_line "  this node's own chart: sent"
expect_line "      id 'system.cpu': matched by '*'"
# the parent in examples/child runs no web server: that child's config refuses every stream
expect_rc 1 "examples/child has [web] mode = none"
# a proxy forwards its children's charts with 'proxy send charts matching'
compile "$root/examples/proxy" "$tmp/proxy.policy"
run explain "$tmp/proxy.policy" --api-key 0ee86659-995b-4ab1-ad5d-6044ee72fc94 \
    --machine-guid 6eff972a-9e7d-4188-9689-f4da5bc00d6a --from 10.30.1.5 --chart apps.cpu
expect_rc 0 "proxy accepts the CI runner"
expect_line "  this child's chart, forwarded by this node: not sent"
expect_line "  this node's own chart: sent"
run explain "$tmp/proxy.policy" --api-key 0ee86659-995b-4ab1-ad5d-6044ee72fc94 \
    --machine-guid 6eff972a-9e7d-4188-9689-f4da5bc00d6a --from 10.30.1.5 --chart disk.sda
expect_line "  this child's chart, forwarded by this node: sent"

# ---- exit status 2: usage and bad policies -------------------------------------------------
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01
expect_rc 2 "no --from"
expect_has "explain needs POLICY, --api-key, --machine-guid and --from"
run explain --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1
expect_rc 2 "no policy"
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1 --bogus
expect_rc 2 "unknown option"
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1 --chart-name x
expect_rc 2 "--chart-name without --chart"
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1 --rate-elapsed x
expect_rc 2 "--rate-elapsed x"
run explain "$tmp/nonexistent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1
expect_rc 2 "missing policy file"
printf 'not a policy' >"$tmp/junk.policy"
run explain "$tmp/junk.policy" --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1
expect_rc 2 "junk policy"
expect_has "streamc: error: $tmp/junk.policy: "
size=$(wc -c <"$tmp/parent.policy")
head -c $((size / 2)) "$tmp/parent.policy" >"$tmp/half.policy"
run explain "$tmp/half.policy" --api-key $KEY --machine-guid $WEB01 --from 10.0.0.1
expect_rc 2 "truncated policy"
# one GUID as both API key and machine GUID: the API-key check stores type=api in the section,
# so the machine check reads 'api' (checked against the real Netdata 1.37.1: HTTP 401)
mkdir -p "$tmp/same"
printf '[stream]\n enabled = no\n[11111111-2222-3333-4444-555555555555]\n enabled = yes\n' \
    >"$tmp/same/stream.conf"
compile "$tmp/same" "$tmp/same.policy"
run explain "$tmp/same.policy" --api-key 11111111-2222-3333-4444-555555555555 \
    --machine-guid 11111111-2222-3333-4444-555555555555 --from 127.0.0.1
expect_rc 1 "one GUID as key and machine is refused"
expect_has "machine GUID '11111111-2222-3333-4444-555555555555' is a api GUID. Forbidding access."
run explain "$tmp/same.policy" --api-key 11111111-2222-3333-4444-555555555555 \
    --machine-guid aaaaaaaa-2222-3333-4444-555555555555 --from 127.0.0.1
expect_rc 0 "the same key with another machine GUID is accepted"

# deterministic output
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.20.0.5 --chart a.b
cp "$tmp/out" "$tmp/run1"
run explain "$tmp/parent.policy" --api-key $KEY --machine-guid $WEB01 --from 10.20.0.5 --chart a.b
checks=$((checks + 1))
cmp -s "$tmp/out" "$tmp/run1" || bad "byte-identical output" "$(diff "$tmp/run1" "$tmp/out" | head -5)"

report explain
