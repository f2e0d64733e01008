#!/usr/bin/env bash
# streamc dump: compiling the dump of a policy gives the same policy.
#
# For every good example (and a config that uses every kind of value): compile --strip -> a,
# dump a --out-dir D, compile D --strip -> b, and a == b byte for byte; dump(b) == dump(a);
# stdout equals the files --out-dir writes; the dump checks clean when the example does.
# Unstripped, the two policies agree in every section but LINES (and section header lines).
# Edge cases: a node without stream.conf, without netdata.conf, without a machine GUID, stale
# files in the output directory. Refusals: a missing, empty, non-policy, truncated or corrupted
# file exits 2 with one line on stderr, nothing on stdout, and nothing written.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$root"
need_streamc

# Sections of two policies compared by id, LINES left out and PolicyKey.line zeroed.
same_body() {
    python3 - "$1" "$2" <<'EOF'
import struct, sys
def body(path):
    b = open(path, "rb").read()
    nsec, off = struct.unpack_from("<II", b, 48)
    out = {}
    for i in range(nsec):
        sid, so, size, count = struct.unpack_from("<IIII", b, off + 16 * i)
        data = bytearray(b[so:so + size])
        if sid in (4, 5):                      # APIKEYS, MACHINES: PolicyKey.line at 32
            for r in range(count):
                struct.pack_into("<I", data, 48 * r + 32, 0)   # sizeof(PolicyKey) is 48
        if sid != 9:
            out[sid] = (bytes(data), count)
    return b[:16] + b[40:48], out             # magic, version, header size, schema, flags
sys.exit(0 if body(sys.argv[1]) == body(sys.argv[2]) else 1)
EOF
}

# roundtrip NAME DIR [clean]: the whole cycle for one config directory.
roundtrip() {
    local name=$1 dir=$2 clean=${3:-}
    local w="$tmp/$name"
    mkdir -p "$w"
    if ! "$STREAMC" compile "$dir" -o "$w/a.policy" --strip >"$w/log" 2>&1; then
        fail "$name: compile $dir" "" "" "$w/log"
        return
    fi
    if ! "$STREAMC" dump "$w/a.policy" --out-dir "$w/D" >"$w/log" 2>&1 || [ -s "$w/log" ]; then
        fail "$name: dump --out-dir (status or output)" "" "" "$w/log"
        return
    fi
    if ! "$STREAMC" compile "$w/D" -o "$w/b.policy" --strip >"$w/log" 2>&1; then
        fail "$name: compile of the dump" "" "" "$w/log"
        return
    fi
    cmp "$w/a.policy" "$w/b.policy" >"$w/log" 2>&1 ||
        fail "$name: stripped policies differ after the round trip" "" "" "$w/log"
    "$STREAMC" dump "$w/a.policy" >"$w/a.txt" 2>"$w/log" || fail "$name: dump a" "" "" "$w/log"
    "$STREAMC" dump "$w/b.policy" >"$w/b.txt" 2>"$w/log" || fail "$name: dump b" "" "" "$w/log"
    diff -u "$w/a.txt" "$w/b.txt" >"$w/log" || fail "$name: dump(b) differs from dump(a)" "" "" "$w/log"
    "$STREAMC" dump "$w/a.policy" >"$w/a2.txt" 2>/dev/null
    cmp -s "$w/a.txt" "$w/a2.txt" || fail "$name: two dumps of one policy differ"
    # a file the node lacks is neither written nor printed
    local f got
    : >"$w/cat.txt"
    for f in stream.conf netdata.conf; do
        if [ -f "$dir/$f" ]; then
            cat "$w/D/$f" >>"$w/cat.txt"
            grep -q "^# file: $f\$" "$w/a.txt" || fail "$name: '# file: $f' missing" "" "" "$w/a.txt"
        elif [ -e "$w/D/$f" ]; then
            fail "$name: the dump wrote $f, which the node does not have"
        fi
    done
    cmp -s "$w/a.txt" "$w/cat.txt" || fail "$name: stdout is not stream.conf + netdata.conf"
    "$STREAMC" dump --stream-conf-only "$w/a.policy" >"$w/s.txt" 2>/dev/null
    got=$(cat "$w/D/stream.conf" 2>/dev/null)
    [ "$(cat "$w/s.txt")" = "$got" ] || fail "$name: --stream-conf-only"
    "$STREAMC" dump "$w/a.policy" --netdata-conf-only >"$w/n.txt" 2>/dev/null
    got=$(cat "$w/D/netdata.conf" 2>/dev/null)
    [ "$(cat "$w/n.txt")" = "$got" ] || fail "$name: --netdata-conf-only"
    if [ ! -f "$dir/netdata.public.unique.id" ]; then
        [ -e "$w/D/netdata.public.unique.id" ] && fail "$name: the dump wrote a machine GUID"
        grep -q '^# node machine GUID: unknown$' "$w/a.txt" || fail "$name: GUID comment"
    else
        cmp -s <(head -c 36 "$dir/netdata.public.unique.id" | tr 'A-F' 'a-f') \
            "$w/D/netdata.public.unique.id" || fail "$name: machine GUID file"
        grep -q "^# node machine GUID: $(head -c 36 "$dir/netdata.public.unique.id" |
            tr 'A-F' 'a-f')$" "$w/a.txt" || fail "$name: machine GUID comment" "" "" "$w/a.txt"
    fi
    if [ -n "$clean" ] && ! "$STREAMC" check -Werror "$w/D" >"$w/log" 2>&1; then
        fail "$name: the dump of a clean example does not check clean" "" "" "$w/log"
    fi
    # unstripped: the same sections but LINES, and the same text
    "$STREAMC" compile "$dir" -o "$w/af.policy" >/dev/null 2>&1 &&
        "$STREAMC" compile "$w/D" -o "$w/bf.policy" >/dev/null 2>&1 ||
        { fail "$name: unstripped compiles"; return; }
    same_body "$w/af.policy" "$w/bf.policy" ||
        fail "$name: unstripped policies differ outside LINES and section lines"
    "$STREAMC" dump "$w/af.policy" >"$w/af.txt" 2>/dev/null
    cmp -s "$w/af.txt" "$w/a.txt" || fail "$name: dump of the unstripped policy differs"
}

# ---- the examples -------------------------------------------------------------------------
n=0
for d in examples/*/ examples/ephemeral/parent/; do
    d=${d%/}
    [ "$d" = examples/broken ] && continue
    [ -f "$d/stream.conf" ] || [ -f "$d/netdata.conf" ] || continue
    roundtrip "ex-${d#examples/}" "$d" clean
    n=$((n + 1))
done
[ "$n" -ge 7 ] || fail "expected at least 7 example directories, found $n"

# ---- every kind of value ------------------------------------------------------------------
k="$tmp/kinds"
mkdir -p "$k"
cat >"$k/stream.conf" <<'EOF'
# every kind of value, written the long way round
[stream]
    enabled = On
    destination = tcp:10.20.0.11%eth0:19999 [fe80::1]:20000 parent.example.com:SSL
    api key = 11111111-2222-3333-4444-555555555555
    timeout seconds = 0x3c
    default port = 20000
    send charts matching = !apps.* !users\ x* system.*cpu* \!literal *
    buffer size bytes = 1048576
    reconnect delay seconds = 0
    enable compression = no
    ssl skip certificate verification = TRUE
    CApath = /etc/ssl/certs
    CAfile = /etc/ssl/ca.pem

[stream]
    reconnect delay seconds = 7

# upper-case API key, every API-key setting
[AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE]
    type = api
    enabled = yes
    allow from = !10.0.0.1 10.* localhost *\ spaced
    default history = 7200
    default memory mode = dbengine
    health enabled by default = auto
    default postpone alarms on connect seconds = 030
    default proxy enabled = yes
    default proxy destination = unix:/run/parent.sock
    default proxy api key = 11111111-2222-3333-4444-555555555555
    default proxy send charts matching = !*.apps *
    enable compression = off
    enable replication = no
    seconds to replicate = 3600
    seconds per replication step = 300

# an API key by default kind, inheriting everything else
[11111111-2222-3333-4444-555555555555]
    enabled = yes

# a boolean written TRUE
[22222222-2222-3333-4444-555555555555]
    type = api
    enabled = TRUE
    health enabled by default = yes

# every machine setting
[aaaaaaaa-0000-4000-8000-000000000001]
    type = machine
    enabled = no
    allow from = 10.1.*
    history = 8192
    memory mode = ram
    health enabled = yes
    postpone alarms on connect seconds = 5
    update every = 2
    proxy enabled = no
    proxy destination = 10.9.9.9:20000 10.9.9.10
    proxy api key = 11111111-2222-3333-4444-555555555555
    proxy send charts matching = !apps.* *
    enable compression = yes
    enable replication = yes
    seconds to replicate = 60
    seconds per replication step = 010
    host tags = a b

# a machine section by its keys alone
[bbbbbbbb-0000-4000-8000-000000000002]
    history = 4096

# an empty API-key section
[cccccccc-0000-4000-8000-000000000003]
EOF
cat >"$k/netdata.conf" <<'EOF'
# old names, moved by Netdata at start-up
[global]
    hostname = kinds-node
    memory mode = save
    history = 7200
    update every = 2
    page cache size = 64
    dbengine multihost disk space = 1024
    bind socket to IP = 10.0.0.1:19999=streaming^SSL=force 127.0.0.1=dashboard|registry *:20000=badges|management^SSL=optional unix:/run/netdata.sock
    default port = 19998

[db]
    storage tiers = 2
    enable replication = Yes

[web]
    accept a streaming request every seconds = 2
    allow dashboard from = localhost 10.*
    allow streaming from = !10.0.0.66 10.* localhost
    allow streaming by dns = no
    ssl key = /etc/netdata/ssl/key.pem
    ssl certificate = /etc/netdata/ssl/cert.pem
    tls version = 1.2
    tls ciphers =

[health]
    enabled = no

[registry]
    registry hostname = kinds-registry

[plugins]
    apps = no
EOF
printf 'CCCCCCCC-1111-4222-8333-444444444444' >"$k/netdata.public.unique.id"
roundtrip kinds "$k"

# ---- nodes with a file or the GUID missing ------------------------------------------------
mkdir -p "$tmp/only-stream" "$tmp/only-netdata"
cp examples/parent/stream.conf "$tmp/only-stream/"
cp examples/child/netdata.conf "$tmp/only-netdata/"
roundtrip only-stream "$tmp/only-stream"
roundtrip only-netdata "$tmp/only-netdata"
if ! "$STREAMC" dump --netdata-conf-only "$tmp/only-stream/a.policy" >"$tmp/o" 2>&1 ||
    [ -s "$tmp/o" ]; then
    fail "only-stream: --netdata-conf-only of a policy without netdata.conf" "" "" "$tmp/o"
fi

# stale files from an earlier dump are replaced or removed
s="$tmp/stale"
mkdir -p "$s"
echo '[stream]' >"$s/netdata.conf"
echo 'junk' >"$s/netdata.public.unique.id"
echo 'junk' >"$s/stream.conf"
"$STREAMC" dump "$tmp/only-stream/a.policy" --out-dir "$s" >/dev/null 2>&1 || fail "stale: dump"
[ -e "$s/netdata.conf" ] || [ -e "$s/netdata.public.unique.id" ] && fail "stale: files left"
cmp -s "$s/stream.conf" "$tmp/only-stream/D/stream.conf" || fail "stale: stream.conf not replaced"
ls -A "$s" | grep -q '^\.' && fail "stale: temporary files left"

# ---- refusals -----------------------------------------------------------------------------
p="$tmp/ex-parent/a.policy"
size=$(wc -c <"$p")
: >"$tmp/empty.policy"
cp examples/parent/stream.conf "$tmp/text.policy"
head -c $((size / 2)) "$p" >"$tmp/trunc.policy"
head -c 63 "$p" >"$tmp/short.policy"
cp "$p" "$tmp/flip.policy"
printf '\377' | dd of="$tmp/flip.policy" bs=1 seek=$((size - 9)) conv=notrunc status=none
cp "$p" "$tmp/magic.policy"
printf 'X' | dd of="$tmp/magic.policy" bs=1 seek=0 conv=notrunc status=none
for f in missing empty text trunc short flip magic; do
    pf="$tmp/$f.policy"
    "$STREAMC" dump "$pf" >"$tmp/out" 2>"$tmp/err"
    st=$?
    [ "$st" -eq 2 ] || fail "refuse $f: exit status $st, expected 2" "" "" "$tmp/err"
    [ -s "$tmp/out" ] && fail "refuse $f: printed on stdout" "" "" "$tmp/out"
    { [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^streamc: error: ' "$tmp/err"; } ||
        fail "refuse $f: expected one 'streamc: error:' line" "" "" "$tmp/err"
    "$STREAMC" dump "$pf" --out-dir "$tmp/refused-$f" >/dev/null 2>&1
    [ -e "$tmp/refused-$f" ] && fail "refuse $f: --out-dir created output"
done

# ---- usage --------------------------------------------------------------------------------
for args in "" "--bogus $p" "$p $p" "--stream-conf-only --netdata-conf-only $p" "$p --out-dir"; do
    # shellcheck disable=SC2086
    "$STREAMC" dump $args >"$tmp/out" 2>/dev/null
    st=$?
    [ "$st" -eq 2 ] && [ ! -s "$tmp/out" ] || fail "usage 'dump $args': status $st"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "dump round trip: $n examples, every kind of value, edge cases, refusals: ok"
