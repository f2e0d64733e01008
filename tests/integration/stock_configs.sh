#!/usr/bin/env bash
# Debian's stock stream.conf and netdata.conf (package netdata-core, Netdata 1.37.1) must check
# with zero errors: together, each alone, and as a config directory. Warnings are allowed (the
# stock stream.conf has the [API_KEY]/[MACHINE_GUID] placeholders; netdata.conf uses the old
# name 'bind socket to IP').
#
# The package is downloaded with apt-get (after 'apt-get update' when apt has no package list)
# and cached in build/cache/. The files are never copied into the repository. A failed
# download is a test failure, not a skip.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_streamc

# ---- get netdata-core_*.deb ------------------------------------------------------------------
cache="$root/build/cache"
mkdir -p "$cache" 2>/dev/null || cache="$tmp"
deb=""
for f in "$cache"/netdata-core_*.deb; do
    # a cached file must still be a readable package (an interrupted copy is not)
    if [ -f "$f" ] && dpkg-deb --info "$f" >/dev/null 2>&1; then
        deb=$f
        break
    fi
done
if [ -z "$deb" ]; then
    dl="$tmp/download"
    mkdir -p "$dl"
    # apt-get download drops privileges to _apt when it can write there (else it warns)
    chmod 0711 "$tmp"
    chmod 0777 "$dl"
    download() { (cd "$dl" && apt-get download netdata-core) >>"$tmp/apt.log" 2>&1; }
    if ! download; then
        echo "apt-get download failed; running apt-get update and retrying" >>"$tmp/apt.log"
        apt-get update >>"$tmp/apt.log" 2>&1 || true
        download || true
    fi
    for f in "$dl"/netdata-core_*.deb; do
        [ -f "$f" ] && deb=$f
    done
    if [ -z "$deb" ]; then
        echo "FAIL: could not download Debian's netdata-core package with apt-get (this test"
        echo "needs apt-get and network access to a Debian 12 mirror; it is not skipped)."
        echo "--- apt-get output:"
        tail -30 "$tmp/apt.log"
        exit 1
    fi
    # publish into the cache atomically, so a parallel run never sees half a file
    if [ "$cache" != "$tmp" ] && cp "$deb" "$cache/.partial.$$" 2>/dev/null; then
        mv -f "$cache/.partial.$$" "$cache/$(basename "$deb")"
    fi
fi
version=$(dpkg-deb -f "$deb" Version)
echo "using $(basename "$deb") (version $version)"
case $version in
    1.37.1*) ;;
    *) fail "expected Netdata 1.37.1 (the version streamc models), the package is $version" ;;
esac

dpkg-deb -x "$deb" "$tmp/x"
stock_stream="$tmp/x/usr/lib/netdata/conf.d/stream.conf"
stock_netdata="$tmp/x/etc/netdata/netdata.conf"
for f in "$stock_stream" "$stock_netdata"; do
    if [ ! -s "$f" ]; then
        echo "FAIL: the package has no ${f#"$tmp/x"} (layout changed?)"
        exit 1
    fi
done
mkdir "$tmp/node"
cp "$stock_stream" "$stock_netdata" "$tmp/node/"

# ---- check: exit 0, no error line, summary (when printed) says 0 errors, JSON errors == 0 -----
check() {
    local what=$1
    shift
    local rc=0
    "$STREAMC" check "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$what: expected exit 0, got $rc"
        sed -n '1,40p' "$tmp/out" "$tmp/err"
        return
    fi
    if grep -q ': error: ' "$tmp/out"; then
        fail "$what: expected no error diagnostics, got:"
        grep ': error: ' "$tmp/out" | head -20
    fi
    # streamc prints 'N errors, M warnings' only when there is a finding
    local summary
    summary=$(tail -n 1 "$tmp/out")
    if [ -s "$tmp/out" ] && ! [[ $summary =~ ^0\ errors,\ [0-9]+\ warnings?$ ]]; then
        fail "$what: expected a last line '0 errors, N warnings', got '$summary'"
    fi
    if [ -s "$tmp/err" ]; then
        fail "$what: expected nothing on stderr, got: $(head -c 500 "$tmp/err")"
    fi
    rc=0
    "$STREAMC" check --format=json "$@" >"$tmp/json" 2>"$tmp/err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$what (--format=json): expected exit 0, got $rc"
    fi
    local verdict
    if ! verdict=$(python3 - "$tmp/json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
errs = [x for x in d["diagnostics"] if x["severity"] == "error"]
if d["errors"] != 0 or errs:
    print(f"errors={d['errors']}, error diagnostics: {[x['code'] for x in errs]}")
    sys.exit(1)
print(f"errors=0 warnings={d['warnings']} ({', '.join(sorted({x['code'] for x in d['diagnostics']})) or 'none'})")
EOF
    ); then
        fail "$what (--format=json): expected errors == 0, got: $verdict"
        head -c 2000 "$tmp/json"
    else
        echo "ok: $what: $verdict"
    fi
}

check "stock stream.conf + netdata.conf" --stream-conf "$stock_stream" --netdata-conf "$stock_netdata"
check "stock stream.conf alone" --stream-conf "$stock_stream"
check "stock netdata.conf alone" --netdata-conf "$stock_netdata"
check "stock files as a config directory" "$tmp/node"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "stock configs: all checks passed"
