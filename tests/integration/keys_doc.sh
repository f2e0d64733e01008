#!/usr/bin/env bash
# docs/keys.md is generated from schemas/*.schema; it must not drift from them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
python3 "$root/schemas/schemagen.py" "$tmp" "$root/schemas/stream.schema" "$root/schemas/netdata.schema"
if ! diff -u "$root/docs/keys.md" "$tmp/keys.md" >"$tmp/diff"; then
    echo "docs/keys.md is stale: run 'ninja docs' and commit it"
    head -40 "$tmp/diff"
    exit 1
fi
grep -q '^| `send charts matching` | pattern | \* |' "$root/docs/keys.md" || {
    echo "docs/keys.md lacks the [stream] send charts matching row"; exit 1; }
