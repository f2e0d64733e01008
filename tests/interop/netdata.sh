#!/usr/bin/env bash
# netdata.sh - the real Netdata 1.37.1 (Debian 12 package) as a throw-away loopback peer for
# streamc's interop tests. Each instance lives in its own DIR, listens on 127.0.0.1 only, runs
# as the invoking user and has every outbound feature switched off (cloud, registry announce,
# anonymous statistics, exporting, health notifications, external plugins).
#
#   netdata.sh install
#       apt-get install netdata + curl when missing (root or sudo), with the packaged service
#       kept from starting (temporary policy-rc.d) and disabled afterwards. Idempotent.
#   netdata.sh start-parent DIR PORT [KEY]
#       A parent on 127.0.0.1:PORT (HTTP API + stream receiver on the same port). Uses
#       DIR/etc/stream.conf when the caller put one there, else writes one accepting KEY.
#       DIR/etc/netdata.extra.conf, when present, is appended to the generated netdata.conf
#       (Netdata merges repeated sections and the last duplicate key wins, so it overrides).
#       Ready = GET /api/v1/info answers with this parent's hostname.
#   netdata.sh start-child DIR HOST:PORT KEY HOSTNAME GUID [WEBPORT]
#       A child collecting /proc only, streaming to HOST:PORT (loopback only) as HOSTNAME with
#       machine GUID GUID; its own API on 127.0.0.1:WEBPORT when given, no listener otherwise.
#       Ready = its log says "established link". Not ready in time: stopped, exit 1.
#   netdata.sh start-child-conf DIR HOSTNAME GUID [WEBPORT]
#       The same child, but streaming as the caller's DIR/etc/stream.conf says (every
#       destination must be loopback: localhost, 127.*, [::1] or unix:). It does not wait for
#       the stream: ready = its log shows the stream sender's first connection attempt ("attempting
#       to connect"), whatever comes of it; the caller reads DIR/log/error.log for the outcome.
#   netdata.sh stop DIR
#       TERM (KILL after ND_STOP_TIMEOUT s) to the instance recorded in DIR/run/netdata.pid,
#       then to its own helper processes (by parent PID, never by name). Exit 0 when nothing
#       of DIR is left running.
#
# Start commands print the PID on stdout; everything else goes to stderr.
# Environment: ND_TIMEOUT (readiness wait, s, default 30), ND_STOP_TIMEOUT (default 10),
# ND_HOSTNAME (parent hostname, default nd-parent-PORT), ND_GUID (the instance's own machine
# GUID; the child's is its GUID argument), ND_COMPRESSION (yes|no, default yes = Netdata's
# default), ND_REPLICATION (yes|no, default yes), ND_SEND_CHARTS (child, default *).
set -euo pipefail

ND_BIN=/usr/sbin/netdata
ND_TIMEOUT=${ND_TIMEOUT:-30}
ND_STOP_TIMEOUT=${ND_STOP_TIMEOUT:-10}

say() { printf 'netdata.sh: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

uuid_ok() { [[ $1 =~ ^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$ ]]; }
port_ok() { [[ $1 =~ ^[0-9]{1,5}$ ]] && (($1 >= 1 && $1 <= 65535)); }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- install -------------------------------------------------------------------------------

pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

cmd_install() {
    local sudo=() made_policy=0 pidf pid p
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "install needs root (or sudo)"
        sudo=(sudo)
    fi
    if pkg_ok netdata && pkg_ok curl && [ -x "$ND_BIN" ]; then
        say "netdata already installed ($(dpkg-query -W -f='${Version}' netdata))"
    else
        # While apt runs, a policy-rc.d that says "no" keeps the maintainer scripts from
        # starting the service. An existing one (a container's) is left as it is.
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\n# temporary: tests/interop/netdata.sh install\nexit 101\n' |
                "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
            "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
            made_policy=1
            trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        if ! apt-cache show netdata >/dev/null 2>&1; then
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
        fi
        # no recommends: the python plugins are never run by these tests
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends netdata curl >&2 ||
            die "apt-get install netdata curl failed"
        if [ "$made_policy" = 1 ]; then
            "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
            trap - EXIT
        fi
    fi
    [ -x "$ND_BIN" ] || die "$ND_BIN is missing after the install"
    # never a system service: disable it for sysvinit and systemd without starting anything
    if [ -e /etc/init.d/netdata ] && command -v update-rc.d >/dev/null; then
        "${sudo[@]}" update-rc.d netdata disable >/dev/null 2>&1 || true
    fi
    if [ -e /lib/systemd/system/netdata.service ] && command -v deb-systemd-helper >/dev/null; then
        "${sudo[@]}" deb-systemd-helper disable netdata.service >/dev/null 2>&1 || true
    fi
    # a service instance that started anyway: /run/netdata.pid (init script) or the unit's
    # exact command line; stopped by PID only
    for pidf in /run/netdata.pid /run/netdata/netdata.pid; do
        [ -s "$pidf" ] || continue
        pid=$(tr -cd '0-9' <"$pidf")
        if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^$ND_BIN "; then
            say "stopping the netdata system service (pid $pid)"
            "${sudo[@]}" kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for p in /proc/[0-9]*; do
        if [ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "$ND_BIN -D " ]; then
            say "stopping the netdata system service (pid ${p#/proc/})"
            "${sudo[@]}" kill -TERM "${p#/proc/}" 2>/dev/null || true
        fi
    done
    local v
    v=$("$ND_BIN" -V 2>&1 | head -1 || true)
    case "$v" in *v1.37.1*) ;; *) say "WARNING: these tests expect netdata v1.37.1, found '$v'" ;; esac
    say "ok: $ND_BIN ($v), service disabled"
}

# ---- instance directories --------------------------------------------------------------------

# absdir DIR: create DIR, print its absolute path (netdata needs absolute, space-free paths)
absdir() {
    [[ $1 != *[[:space:]]* ]] || die "DIR must not contain whitespace: '$1'"
    mkdir -p -- "$1" || die "cannot create $1"
    (cd -- "$1" && pwd -P)
}

# pid_of DIR: the live netdata recorded in DIR/run/netdata.pid that was started with DIR's
# config (a stale pidfile or a reused PID never matches)
pid_of() {
    local pid
    [ -s "$1/run/netdata.pid" ] || return 1
    pid=$(tr -cd '0-9' <"$1/run/netdata.pid")
    [ -n "$pid" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $1/etc/netdata.conf " || return 1
    alive "$pid" || return 1
    echo "$pid"
}

# alive PID: exists and is not a zombie (field 3 of /proc/PID/stat, after the command name)
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

# layout DIR: fresh runtime state; keeps DIR/etc/stream.conf, DIR/etc/netdata.extra.conf and
# DIR/lib/registry (the GUID); deletes only inside the subdirectories this script owns
layout() {
    local d=$1 s
    case "$d" in /|/bin|/boot|/dev|/etc|/home|/lib*|/opt|/proc|/root|/run|/sbin|/srv|/sys|/tmp|/usr|/var|/work)
        die "refusing to use $d as an instance directory" ;;
    esac
    if pid_of "$d" >/dev/null; then
        die "an instance already runs in $d (pid $(pid_of "$d")); '$0 stop $d' first"
    fi
    for s in cache log run plugins.d web lib/cloud.d; do
        if [ -d "$d/$s" ]; then find "$d/$s" -mindepth 1 -delete; fi
    done
    if [ -d "$d/lib" ]; then
        find "$d/lib" -mindepth 1 -maxdepth 1 ! -name registry -exec rm -rf -- {} +
    fi
    for s in etc cache lib/registry lib/cloud.d lib/lock log plugins.d run web; do
        mkdir -p "$d/$s"
    done
    : >"$d/etc/.opt-out-from-anonymous-statistics"
    printf '[exporting:global]\n    enabled = no\n' >"$d/etc/exporting.conf"
    printf '[global]\n    enabled = no\n    cloud base url = http://127.0.0.1:1\n' >"$d/lib/cloud.d/cloud.conf"
    printf '<html><body>streamc interop peer</body></html>\n' >"$d/web/index.html"
    # A 1.37.1 child without system info crashes when it connects (it frees fields that were
    # never set), so every instance gets this stand-in; the stock system-info.sh is never run
    # because it probes cloud metadata addresses over the network.
    cat >"$d/plugins.d/system-info.sh" <<'EOS'
#!/bin/sh
# offline stand-in for netdata's system-info.sh (tests/interop/netdata.sh)
f() { [ -r /etc/os-release ] && sed -n "s/^$1=//p" /etc/os-release | head -n 1 | tr -d '"'; }
for k in NAME ID ID_LIKE VERSION VERSION_ID DETECTION; do
    echo "NETDATA_CONTAINER_OS_$k=none"
done
echo "NETDATA_CONTAINER_IS_OFFICIAL_IMAGE=false"
echo "NETDATA_HOST_OS_NAME=$(f NAME)"
echo "NETDATA_HOST_OS_ID=$(f ID)"
echo "NETDATA_HOST_OS_ID_LIKE=$(f ID_LIKE)"
echo "NETDATA_HOST_OS_VERSION=$(f VERSION)"
echo "NETDATA_HOST_OS_VERSION_ID=$(f VERSION_ID)"
echo "NETDATA_HOST_OS_DETECTION=/etc/os-release"
echo "NETDATA_HOST_IS_K8S_NODE=false"
echo "NETDATA_SYSTEM_KERNEL_NAME=$(uname -s)"
echo "NETDATA_SYSTEM_KERNEL_VERSION=$(uname -r)"
echo "NETDATA_SYSTEM_ARCHITECTURE=$(uname -m)"
for k in VIRTUALIZATION CONTAINER; do echo "NETDATA_SYSTEM_$k=unknown"; done
for k in VIRT_DETECTION CONTAINER_DETECTION CPU_DETECTION DISK_DETECTION; do
    echo "NETDATA_SYSTEM_$k=none"
done
echo "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)"
for k in CPU_VENDOR CPU_MODEL CPU_FREQ TOTAL_DISK_SIZE; do echo "NETDATA_SYSTEM_$k=unknown"; done
echo "NETDATA_SYSTEM_TOTAL_RAM=$(awk '/^MemTotal:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)"
echo "NETDATA_SYSTEM_RAM_DETECTION=procfs"
for k in CLOUD_TYPE CLOUD_INSTANCE_TYPE CLOUD_INSTANCE_REGION; do
    echo "NETDATA_INSTANCE_$k=unknown"
done
EOS
    chmod 755 "$d/plugins.d/system-info.sh"
}

# write_conf DIR HOSTNAME WEB_LINES PROC(yes|no): DIR/etc/netdata.conf (+ netdata.extra.conf)
write_conf() {
    local d=$1 host=$2 web=$3 proc=$4 p
    {
        cat <<EOF
# written by tests/interop/netdata.sh: isolated test instance in $d
[global]
    run as user = $(id -un)
    hostname = $host
    process scheduling policy = keep
    OOM score = keep
[db]
    mode = ram
    update every = 1
    retention = 3600
    enable replication = ${ND_REPLICATION:-yes}
[directories]
    config = $d/etc
    stock config = /usr/lib/netdata/conf.d
    log = $d/log
    cache = $d/cache
    lib = $d/lib
    home = $d/cache
    lock = $d/lib/lock
    plugins = $d/plugins.d
    web = $d/web
    registry = $d/lib/registry
    health config = $d/etc
    stock health config = /usr/lib/netdata/conf.d/health.d
[logs]
    debug = $d/log/debug.log
    error = $d/log/error.log
    access = $d/log/access.log
    health = $d/log/health.log
    errors flood protection period = 1200
    errors to trigger flood protection = 100000
[cloud]
    enabled = no
[health]
    enabled = no
[ml]
    enabled = no
[registry]
    enabled = no
    registry to announce = http://127.0.0.1:1
    allow by dns = no
[statsd]
    enabled = no
[web]
$web
    allow connections by dns = no
    allow dashboard by dns = no
    allow badges by dns = no
    allow streaming by dns = no
    allow netdata.conf by dns = no
    allow management by dns = no
    enable gzip compression = no
[plugins]
    enable running new plugins = no
    check for new plugins every = 3600
    proc = $proc
    netdata monitoring = no
EOF
        for p in diskspace cgroups tc idlejitter timex checks statsd apps charts.d python.d go.d \
            node.d ebpf perf slabinfo fping ioping cups nfacct freeipmi xenstat; do
            echo "    $p = no"
        done
        if [ -f "$d/etc/netdata.extra.conf" ]; then
            echo "# ---- from $d/etc/netdata.extra.conf (the last duplicate key wins)"
            cat "$d/etc/netdata.extra.conf"
        fi
    } >"$d/etc/netdata.conf"
}

# launch DIR ARGS...: start netdata in the foreground mode (-D) in the background; $! is its
# own PID. SIGHUP only reopens its logs, so it outlives the calling shell.
launch() {
    local d=$1
    shift
    [ -x "$ND_BIN" ] || die "$ND_BIN not found; run ./configure.py --deps (or $0 install)"
    DO_NOT_TRACK=1 "$ND_BIN" -c "$d/etc/netdata.conf" -D -P "$d/run/netdata.pid" "$@" \
        </dev/null >"$d/log/stdout.log" 2>&1 &
    started=$!
    echo "$started" >"$d/run/netdata.pid"
}

# abort DIR PID WHY: show the logs, stop what was started, fail
abort() {
    say "---- $1/log/error.log (last 20 lines, without the proc collector's)"
    grep -v 'PLUGIN\[proc\]' "$1/log/error.log" 2>/dev/null | tail -n 20 >&2 || true
    say "---- $1/log/stdout.log (last 5 lines)"
    tail -n 5 "$1/log/stdout.log" >&2 2>/dev/null || true
    cmd_stop "$1" >/dev/null 2>&1 || true
    die "$3"
}

web_lines() {  # web_lines PORT STREAMING-PATTERN
    printf '%s\n' "    mode = static-threaded" "    bind to = 127.0.0.1:$1" "    default port = $1" \
        "    allow connections from = localhost 127.* ::1" \
        "    allow dashboard from = localhost 127.* ::1" \
        "    allow streaming from = $2" \
        "    allow netdata.conf from = localhost 127.* ::1" \
        "    allow management from = localhost 127.* ::1"
}

# ---- start-parent ----------------------------------------------------------------------------

cmd_start_parent() {
    [ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $0 start-parent DIR PORT [KEY]"
    local d port=$2 key=${3:-} host pid deadline
    port_ok "$port" || die "bad port '$port'"
    d=$(absdir "$1")
    host=${ND_HOSTNAME:-nd-parent-$port}
    listening "$port" && die "127.0.0.1:$port is already in use"
    layout "$d"
    if [ -n "${ND_GUID:-}" ]; then
        uuid_ok "$ND_GUID" || die "ND_GUID is not a UUID: $ND_GUID"
        printf '%s' "$ND_GUID" >"$d/lib/registry/netdata.public.unique.id"
    fi
    if [ ! -f "$d/etc/stream.conf" ]; then
        [ -n "$key" ] || die "no $d/etc/stream.conf and no KEY given"
        uuid_ok "$key" || die "KEY must be a UUID (netdata refuses others): $key"
        cat >"$d/etc/stream.conf" <<EOF
# written by tests/interop/netdata.sh: a parent accepting one API key
[stream]
    enabled = no
[$key]
    type = api
    enabled = yes
    allow from = *
    default memory mode = ram
    health enabled by default = no
    default proxy enabled = no
    enable compression = ${ND_COMPRESSION:-yes}
EOF
    fi
    write_conf "$d" "$host" "$(web_lines "$port" '*')" no
    launch "$d" -p "$port" -i 127.0.0.1
    pid=$started
    deadline=$((SECONDS + ND_TIMEOUT))
    until curl -fsS --max-time 2 "http://127.0.0.1:$port/api/v1/info" 2>/dev/null |
        grep -qF "\"$host\""; do
        alive "$pid" || abort "$d" "$pid" "netdata parent exited while starting"
        [ $SECONDS -lt $deadline ] || abort "$d" "$pid" "parent not ready on 127.0.0.1:$port after ${ND_TIMEOUT}s"
        sleep 0.1
    done
    say "parent '$host' pid $pid on 127.0.0.1:$port ($d)"
    echo "$pid"
}

# ---- start-child -----------------------------------------------------------------------------

cmd_start_child() {
    [ $# -ge 5 ] && [ $# -le 6 ] || die "usage: $0 start-child DIR HOST:PORT KEY HOSTNAME GUID [WEBPORT]"
    local d dest=$2 key=$3 host=$4 guid=$5 wport=${6:-} phost pport web pid deadline
    phost=${dest%:*}
    pport=${dest##*:}
    [[ $dest == *:* ]] && port_ok "$pport" || die "destination must be HOST:PORT, got '$dest'"
    case "$phost" in
        localhost|127.*) ;;
        *) die "only loopback destinations are allowed, got '$phost'" ;;
    esac
    [[ $host =~ ^[A-Za-z0-9._-]+$ ]] || die "HOSTNAME may hold only [A-Za-z0-9._-]: '$host'"
    uuid_ok "$guid" || die "GUID is not a UUID: $guid"
    d=$(absdir "$1")
    if [ -n "$wport" ]; then
        port_ok "$wport" || die "bad web port '$wport'"
        listening "$wport" && die "127.0.0.1:$wport is already in use"
        web=$(web_lines "$wport" '!*')
    else
        web="    mode = none"
    fi
    layout "$d"
    # netdata announces the GUID of this file (a real child always sends it in lower case)
    printf '%s' "$guid" | tr 'A-F' 'a-f' >"$d/lib/registry/netdata.public.unique.id"
    cat >"$d/etc/stream.conf" <<EOF
# written by tests/interop/netdata.sh: child '$host' streaming to $dest
[stream]
    enabled = yes
    destination = tcp:$phost:$pport
    api key = $key
    enable compression = ${ND_COMPRESSION:-yes}
    timeout seconds = 60
    default port = $pport
    send charts matching = ${ND_SEND_CHARTS:-*}
    buffer size bytes = 10485760
    reconnect delay seconds = 5
    initial clock resync iterations = 60
EOF
    write_conf "$d" "$host" "$web" yes
    if [ -n "$wport" ]; then
        launch "$d" -p "$wport" -i 127.0.0.1
    else
        launch "$d"
    fi
    pid=$started
    deadline=$((SECONDS + ND_TIMEOUT))
    until grep -q 'established link with negotiated capabilities' "$d/log/error.log" 2>/dev/null; do
        alive "$pid" || abort "$d" "$pid" "netdata child exited while starting"
        [ $SECONDS -lt $deadline ] ||
            abort "$d" "$pid" "child '$host' did not establish a stream to $dest within ${ND_TIMEOUT}s"
        sleep 0.1
    done
    if [ -n "$wport" ]; then  # and its own API answers
        until curl -fsS --max-time 2 "http://127.0.0.1:$wport/api/v1/info" >/dev/null 2>&1; do
            alive "$pid" || abort "$d" "$pid" "netdata child exited while starting"
            [ $SECONDS -lt $deadline ] || abort "$d" "$pid" "child API on 127.0.0.1:$wport not ready"
            sleep 0.1
        done
    fi
    say "child '$host' pid $pid streams to $dest ($(grep -o 'negotiated capabilities: .*' \
        "$d/log/error.log" | tail -1))"
    echo "$pid"
}

# ---- start-child-conf ------------------------------------------------------------------------

# loopback_dests FILE: every `destination` entry of the stream.conf FILE names a loopback host
# (localhost, 127.*, [::1], a unix socket); prints the first one that does not and fails
loopback_dests() {
    local line w h words
    while IFS= read -r line; do
        [[ $line =~ ^[[:space:]]*destination[[:space:]]*=(.*)$ ]] || continue
        read -ra words <<<"${BASH_REMATCH[1]}"
        for w in "${words[@]}"; do
            h=${w#tcp:}
            case "$h" in
                unix:*) continue ;;
                \[::1\]*) continue ;;
            esac
            h=${h%%:*}
            case "$h" in
                localhost|127.*) ;;
                *) echo "$w"; return 1 ;;
            esac
        done
    done <"$1"
}

cmd_start_child_conf() {
    [ $# -ge 3 ] && [ $# -le 4 ] || die "usage: $0 start-child-conf DIR HOSTNAME GUID [WEBPORT]"
    local d host=$2 guid=$3 wport=${4:-} web pid deadline bad
    [[ $host =~ ^[A-Za-z0-9._-]+$ ]] || die "HOSTNAME may hold only [A-Za-z0-9._-]: '$host'"
    uuid_ok "$guid" || die "GUID is not a UUID: $guid"
    d=$(absdir "$1")
    [ -f "$d/etc/stream.conf" ] || die "no $d/etc/stream.conf: start-child-conf needs the caller's"
    bad=$(loopback_dests "$d/etc/stream.conf") ||
        die "only loopback destinations are allowed, $d/etc/stream.conf has '$bad'"
    if [ -n "$wport" ]; then
        port_ok "$wport" || die "bad web port '$wport'"
        listening "$wport" && die "127.0.0.1:$wport is already in use"
        web=$(web_lines "$wport" '!*')
    else
        web="    mode = none"
    fi
    layout "$d"
    printf '%s' "$guid" | tr 'A-F' 'a-f' >"$d/lib/registry/netdata.public.unique.id"
    write_conf "$d" "$host" "$web" yes
    if [ -n "$wport" ]; then
        launch "$d" -p "$wport" -i 127.0.0.1
    else
        launch "$d"
    fi
    pid=$started
    deadline=$((SECONDS + ND_TIMEOUT))
    until grep -qF 'attempting to connect to' "$d/log/error.log" 2>/dev/null; do
        alive "$pid" || abort "$d" "$pid" "netdata child exited while starting"
        [ $SECONDS -lt $deadline ] ||
            abort "$d" "$pid" "child '$host' made no stream connection attempt within ${ND_TIMEOUT}s"
        sleep 0.1
    done
    say "child '$host' pid $pid streams as $d/etc/stream.conf says"
    echo "$pid"
}

# ---- stop ------------------------------------------------------------------------------------

cmd_stop() {
    [ $# -eq 1 ] || die "usage: $0 stop DIR"
    [ -d "$1" ] || return 0
    local d pid kids="" k deadline
    d=$(cd -- "$1" && pwd -P)
    pid=$(pid_of "$d") || { rm -f "$d/run/netdata.pid"; return 0; }
    # its helpers (the spawn server), found by parent PID before it goes
    for k in /proc/[0-9]*; do
        if [ "$(awk '{print $4}' "$k/stat" 2>/dev/null)" = "$pid" ]; then kids="$kids ${k#/proc/}"; fi
    done
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + ND_STOP_TIMEOUT))
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if alive "$pid"; then
        say "pid $pid still running after ${ND_STOP_TIMEOUT}s: KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    for k in $kids; do
        if alive "$k" && tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null | grep -q "^$ND_BIN "; then
            kill -KILL "$k" 2>/dev/null || true
        fi
    done
    rm -f "$d/run/netdata.pid"
}

case "${1:-}" in
    install) shift; cmd_install "$@" ;;
    start-parent) shift; cmd_start_parent "$@" ;;
    start-child) shift; cmd_start_child "$@" ;;
    start-child-conf) shift; cmd_start_child_conf "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) die "usage: $0 install | start-parent DIR PORT [KEY] | start-child DIR HOST:PORT KEY HOSTNAME GUID [WEBPORT] | start-child-conf DIR HOSTNAME GUID [WEBPORT] | stop DIR" ;;
esac
