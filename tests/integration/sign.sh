#!/usr/bin/env bash
# Signed policies end to end: `streamc compile --sign KEY.pem` and `streamc verify [--key PUB]`.
#
# Keys are made here with `openssl genpkey`: two Ed25519 keys (the signer and a stranger), an
# RSA key, an Ed448 key and an encrypted Ed25519 key for the refusals. Covered: sign + verify
# with the public key (and with the private key file), byte-identical signed output, --strip,
# wrong key, unsigned policy with --key, a flipped signature byte (fails with --key, still
# passes plain verify), a flipped body byte (fails even without a key: checksum), a cut
# trailer, and compile refusals (RSA, Ed448, public key, encrypted key, missing key file) that
# must exit 2 without leaving the output file or a temporary file behind.
#
# Every assertion runs; each failure prints the command, what was expected and what came out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
need_streamc
if ! command -v openssl >/dev/null; then
    echo "FAIL: the openssl command is needed to make test keys (apt-get install openssl)"
    exit 1
fi

# expect_absent FILE WHAT: FILE does not exist, nor any temporary file next to it
expect_absent() {
    checks=$((checks + 1))
    local left
    left=$(find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1")*" | head -3)
    [ -z "$left" ] || bad "no '$(basename "$1")' nor temporary file left ($2)" "$left"
}

# flip FILE OFFSET: xor the byte at OFFSET with 0x01
flip() {
    python3 - "$1" "$2" <<'EOF'
import sys
path, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
b[off] ^= 1
open(path, "wb").write(bytes(b))
EOF
}

# ---- keys and a configuration ------------------------------------------------------------------
k=$tmp/keys
mkdir -p "$k"
gen() {
    openssl genpkey "$@" 2>"$tmp/openssl.err" >/dev/null || {
        echo "FAIL: openssl genpkey $*: $(cat "$tmp/openssl.err")"
        exit 1
    }
}
gen -algorithm ed25519 -out "$k/signer.pem"
gen -algorithm ed25519 -out "$k/stranger.pem"
gen -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$k/rsa.pem"
gen -algorithm ed448 -out "$k/ed448.pem"
gen -algorithm ed25519 -aes256 -pass pass:secret -out "$k/encrypted.pem"
openssl pkey -in "$k/signer.pem" -pubout -out "$k/signer.pub"
openssl pkey -in "$k/stranger.pem" -pubout -out "$k/stranger.pub"
openssl pkey -in "$k/rsa.pem" -pubout -out "$k/rsa.pub"

conf=$tmp/conf
cp -r "$root/examples/parent" "$conf"
out=$tmp/out.d
mkdir -p "$out"

# ---- sign, verify ------------------------------------------------------------------------------
run compile "$conf" -o "$out/signed.policy" --sign "$k/signer.pem"
expect_rc 0 "compile --sign with an Ed25519 key"
run verify "$out/signed.policy" --key "$k/signer.pub"
expect_rc 0 "verify --key with the signer's public key"
expect_out "^$out/signed.policy: ok \\(format 1\\.0, [0-9]+ API keys?, [0-9]+ machine GUIDs?, signed, signature ok\\)$" \
    "the ok line"
run verify --key="$k/signer.pem" "$out/signed.policy"
expect_rc 0 "verify --key=PRIVATE.pem (its public half is used)"
run verify "$out/signed.policy"
expect_rc 0 "plain verify of a signed policy"
expect_out "^$out/signed.policy: ok \\(format 1\\.0, .*, signed\\)$" "'signed' without 'signature ok'"

run compile "$conf" -o "$out/signed2.policy" --sign "$k/signer.pem"
checks=$((checks + 1))
cmp -s "$out/signed.policy" "$out/signed2.policy" ||
    bad "byte-identical signed policies (Ed25519 is deterministic)" "they differ"

run compile "$conf" -o "$out/unsigned.policy"
expect_rc 0 "compile without --sign"
checks=$((checks + 1))
s_size=$(stat -c %s "$out/signed.policy")
u_size=$(stat -c %s "$out/unsigned.policy")
[ "$s_size" -eq $((u_size + 80)) ] ||
    bad "signed = unsigned + 80 bytes (the trailer)" "$s_size vs $u_size bytes"

run compile --strip "$conf" -o "$out/stripped.policy" --sign "$k/signer.pem"
expect_rc 0 "compile --strip --sign"
run verify "$out/stripped.policy" --key "$k/signer.pub"
expect_rc 0 "verify --key of a stripped signed policy"

# ---- refusals at verify time -------------------------------------------------------------------
run verify "$out/signed.policy" --key "$k/stranger.pub"
expect_rc 2 "a different Ed25519 key"
expect_out "^streamc: error: $out/signed.policy: bad signature" "the wrong-key reason"

run verify "$out/signed.policy" --key "$k/rsa.pub"
expect_rc 2 "an RSA public key"
expect_out "RSA, not Ed25519" "the key-type reason"

run verify "$out/signed.policy" --key "$k/missing.pub"
expect_rc 2 "a missing public key file"
expect_out "key file not found" "the missing-key reason"

run verify "$out/unsigned.policy" --key "$k/signer.pub"
expect_rc 2 "an unsigned policy with --key"
expect_out "^streamc: error: $out/unsigned.policy: the policy is not signed" "the unsigned reason"
run verify "$out/unsigned.policy"
expect_rc 0 "plain verify of an unsigned policy"
expect_out ", unsigned\\)$" "'unsigned' in the ok line"

cp "$out/signed.policy" "$out/badsig.policy"
flip "$out/badsig.policy" $((s_size - 1))          # last byte of the 64-byte signature
run verify "$out/badsig.policy" --key "$k/signer.pub"
expect_rc 2 "a flipped signature byte with --key"
expect_out "bad signature" "the bad-signature reason"
run verify "$out/badsig.policy"
expect_rc 0 "a flipped signature byte without --key (only the body is checksummed)"

cp "$out/signed.policy" "$out/badbody.policy"
flip "$out/badbody.policy" $((u_size - 8))         # inside the body, past the header
run verify "$out/badbody.policy"
expect_rc 2 "a flipped body byte without --key"
expect_out "checksum" "the checksum reason"
run verify "$out/badbody.policy" --key "$k/signer.pub"
expect_rc 2 "a flipped body byte with --key"

head -c $((s_size - 40)) "$out/signed.policy" >"$out/cut.policy"
run verify "$out/cut.policy"
expect_rc 2 "a cut signature trailer"

run verify "$out/signed.policy" "$out/unsigned.policy" --key "$k/signer.pub"
expect_rc 2 "two files, one refused"
expect_out "^$out/signed.policy: ok" "the valid one still reported"

# ---- refusals at compile time: exit 2, nothing left behind -------------------------------------
for case in "rsa.pem:RSA, not Ed25519" "ed448.pem:Ed448, not Ed25519" \
            "signer.pub:holds a public key" "encrypted.pem:encrypted" \
            "missing.pem:key file not found"; do
    key=${case%%:*}
    why=${case#*:}
    run compile "$conf" -o "$out/refused.policy" --sign "$k/$key"
    expect_rc 2 "compile --sign $key"
    expect_out "$why" "the reason for $key"
    expect_absent "$out/refused.policy" "compile --sign $key"
done

cp "$out/signed.policy" "$out/old.policy"
run compile "$conf" -o "$out/old.policy" --sign "$k/rsa.pem"
expect_rc 2 "compile --sign RSA over an existing policy"
expect_absent "$out/old.policy" "an old policy must not pass for the failed result"

report sign
