# Shared setup and assertions for tests/integration/*.sh. Sourced, never run: tests/run.py runs
# only *.sh directly inside tests/integration/, not in this lib/ folder.
#
# Sets root, STREAMC, tmp (removed on exit), failures, checks, summary. The assertions count
# one check each and, on failure, print the command, what was expected, what came out and the
# first lines of stdout and stderr; none stops the script, so every assertion runs.
#
#   run ARGS...          streamc ARGS (stdin closed, 60 s limit, in $RUN_DIR when set), leaving
#                        CMD, RC, $tmp/out and $tmp/err
#   expect_rc N [WHAT]   RC is N
#   expect_out RE WHAT   stdout+stderr has a line matching the extended regex RE
#   expect_no_out RE WHAT  and has none
#   expect_line TEXT     some line equals TEXT exactly
#   expect_has TEXT      the output contains TEXT (fixed string)
#   expect_not TEXT      the output does not contain TEXT
#   bad EXPECTED [GOT]   record a failure of the last command
#   fail WHAT [EXPECTED GOT [FILE]]  record a failure that is not about $CMD (FILE: shown)
#   report NAME          print "NAME: N checks, N failed" and the failures; false if any
#
# expect_line/has/not read stdout only, unless EXPECT_FROM="out err" (then both).
root=${STREAMC_ROOT:-$(pwd)}
STREAMC=${STREAMC:-$root/streamc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0
summary=()
CMD=""
RC=0
EXPECT_FROM=${EXPECT_FROM:-out}

# need_streamc: stop now unless $STREAMC is an executable (nothing else can be checked)
need_streamc() {
    if [ ! -x "$STREAMC" ]; then
        echo "FAIL: STREAMC='$STREAMC' is not an executable streamc binary (build it with ninja)"
        exit 1
    fi
}

run() {
    CMD="streamc $*"
    RC=0
    (cd "${RUN_DIR:-.}" && timeout 60 "$STREAMC" "$@") </dev/null >"$tmp/out" 2>"$tmp/err" || RC=$?
}

bad() {
    failures=$((failures + 1))
    summary+=("$CMD: expected $1")
    echo "FAIL: $CMD"
    echo "  expected: $1"
    if [ -n "${2:-}" ]; then
        echo "  got:      $(printf '%s' "$2" | tail -n 3)"
    fi
    echo "  --- stdout (first 40 lines, cut at 200 columns):"
    sed -n '1,40p' "$tmp/out" | cut -c 1-200 | sed 's/^/  | /'
    if [ -s "$tmp/err" ]; then
        echo "  --- stderr (first 5 lines, cut at 200 columns):"
        sed -n '1,5p' "$tmp/err" | cut -c 1-200 | sed 's/^/  | /'
    fi
}

fail() {
    failures=$((failures + 1))
    summary+=("$1")
    echo "FAIL: $1"
    if [ -n "${2:-}" ] || [ -n "${3:-}" ]; then
        echo "  expected: ${2:-}"
        echo "  got:      ${3:-}"
    fi
    if [ -n "${4:-}" ] && [ -s "$4" ]; then
        sed -n '1,40p' "$4" | cut -c 1-200 | sed 's/^/  | /'
    fi
}

expect_rc() {
    checks=$((checks + 1))
    [ "$RC" -eq "$1" ] || bad "exit status $1${2:+ ($2)}" "exit status $RC"
}

expect_out() {
    checks=$((checks + 1))
    cat "$tmp/out" "$tmp/err" >"$tmp/all"
    grep -Eq -- "$1" "$tmp/all" || bad "$2 (output matching /$1/)" "no such line"
}

expect_no_out() {
    checks=$((checks + 1))
    cat "$tmp/out" "$tmp/err" >"$tmp/all"
    if grep -Eq -- "$1" "$tmp/all"; then
        bad "$2 (no output matching /$1/)" "$(grep -E -- "$1" "$tmp/all" | head -3)"
    fi
}

# the text expect_line/has/not search, in $tmp/all (files, not pipes, so that grep -q ending
# early cannot fail a pipeline under pipefail)
haystack() {
    local f
    : >"$tmp/all"
    for f in $EXPECT_FROM; do
        cat "$tmp/$f" >>"$tmp/all"
    done
}

expect_line() {
    checks=$((checks + 1))
    haystack
    grep -Fxq -- "$1" "$tmp/all" || bad "a line '$1'" "no such line"
}

expect_has() {
    checks=$((checks + 1))
    haystack
    grep -Fq -- "$1" "$tmp/all" || bad "output containing '$1'" "not found"
}

expect_not() {
    checks=$((checks + 1))
    haystack
    if grep -Fq -- "$1" "$tmp/all"; then
        bad "no output containing '$1'" "$(grep -F -- "$1" "$tmp/all" | head -3)"
    fi
}

report() {
    local line
    echo "$1: $checks checks, $failures failed"
    for line in "${summary[@]+"${summary[@]}"}"; do
        echo "  failed: $line"
    done
    [ "$failures" -eq 0 ]
}
