#!/usr/bin/env bash
# netdata_stream_load.sh STREAM_CONF WORKDIR [RUNS] - how long the real Netdata 1.37.1 takes to
# load STREAM_CONF: the baseline of bench/bench_policy.c.
#
# Each run starts an isolated netdata (the test-peer helpers of /work/shared/peers/netdata:
# private directories under WORKDIR, no listening socket, no plugins, no outbound traffic) with
# STREAM_CONF as its stream.conf, under `strace --seccomp-bpf -e trace=openat,close`, which
# stops the daemon only at those two calls (its reads run at full speed). The figure is the time
# from the openat() of stream.conf to the close() of that descriptor: appconfig_load() parsing
# the file into Netdata's section and option indexes, nothing else. The daemon is then stopped
# by its pidfile (stop.sh). Prints one line per run and a final
#     RESULT netdata_load_s=<best> runs=<n> version=<netdata -v>
# Exit 3 when netdata or strace is missing (the caller falls back to another baseline), 1 on
# any other failure. Writes only inside WORKDIR (and netdata's fixed /tmp/netdata-ipc socket).
set -euo pipefail
peers=${NETDATA_PEERS:-/work/shared/peers/netdata}
[ $# -ge 2 ] || { echo "usage: $0 STREAM_CONF WORKDIR [RUNS]" >&2; exit 1; }
conf=$1
runs=${3:-3}
[ -r "$conf" ] || { echo "netdata_stream_load: cannot read $conf" >&2; exit 1; }
[ -r "$peers/_common.sh" ] || { echo "netdata_stream_load: no $peers/_common.sh" >&2; exit 3; }
# shellcheck source=/dev/null
. "$peers/_common.sh"
[ -x "$NETDATA_BIN" ] || { echo "netdata_stream_load: $NETDATA_BIN not installed" >&2; exit 3; }
command -v strace >/dev/null || { echo "netdata_stream_load: strace not installed" >&2; exit 3; }
dir=$(abs_dir "$2")
version=$("$NETDATA_BIN" -v 2>/dev/null | tr -d '\n' || true)

best=""
for run in $(seq 1 "$runs"); do
    prepare_dirs "$dir" 2>/dev/null
    write_netdata_conf "$dir" bench-netdata ram "    mode = none" \
        "    proc = no
    netdata monitoring = no"
    cp -- "$conf" "$dir/etc/stream.conf"
    trace="$dir/log/trace"
    rm -f -- "$trace"
    DO_NOT_TRACK=1 strace -f --seccomp-bpf -ttt -e trace=openat,close -o "$trace" \
        "$NETDATA_BIN" -c "$dir/etc/netdata.conf" -D -P "$dir/run/netdata.pid" \
        </dev/null >"$dir/log/stdout.log" 2>&1 &
    spid=$!
    secs=""
    for _ in $(seq 1 1200); do             # up to 60 s
        secs=$(awk '
            !open && /openat\(.*\/etc\/stream\.conf"/ && / = [0-9]+$/ {
                tid = $1; t0 = $2; fd = $NF; open = 1; next }
            open && $1 == tid && index($3, "close(" fd ")") == 1 {
                printf "%.6f\n", $2 - t0; exit }' "$trace" 2>/dev/null || true)
        [ -n "$secs" ] && break
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    # stop.sh needs netdata's own pid in the pidfile; give it a moment to write it
    for _ in $(seq 1 100); do
        [ -n "$(instance_pid "$dir" 2>/dev/null)" ] && break
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    "$peers/stop.sh" "$dir" >/dev/null 2>&1 || true
    wait "$spid" 2>/dev/null || true
    if [ -z "$secs" ]; then
        echo "netdata_stream_load: run $run: no open/close of stream.conf seen" >&2
        tail -n 5 "$dir/log/stdout.log" >&2 2>/dev/null || true
        exit 1
    fi
    echo "run $run: appconfig_load(stream.conf) $secs s"
    if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$secs
    fi
done
echo "RESULT netdata_load_s=$best runs=$runs version=${version// /_}"
