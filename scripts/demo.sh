#!/usr/bin/env bash
# The main job on built-in defaults, with the `kpaudit` command.
usage() {
    cat <<'EOF'
Usage: scripts/demo.sh [FILE...]

Without FILE: generates 20,000 Key Protect and Hyper Protect Crypto Services
activity events, 1% of the lines corrupted on purpose (to show that rejected
lines are accounted for, never lost and never written), shows one event
before and after, and runs them all through `kpaudit run`.

With FILE...: runs your own NDJSON files instead.

Output: one <route>.ndjson per route and dead-letter.ndjson in target/demo/out
($CARGO_TARGET_DIR/demo/out when that is set), then the summary. Builds the
command once (release); a rerun rebuilds nothing.
EOF
}
set -euo pipefail
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release -p kpaudit-cli -p gen-events
kpaudit="$target/release/kpaudit"
work="$target/demo"
rm -rf "$work/out"
mkdir -p "$work"

if (( $# > 0 )); then
    inputs=("$@")
else
    "$target/release/gen_events" --count 20000 --seed 42 --corrupt-percent 1 > "$work/events.ndjson"
    inputs=("$work/events.ndjson")
    echo "input: $work/events.ndjson, 20,000 generated events; about 1% of the lines are"
    echo "corrupted on purpose, to show that rejected lines are counted and never written"
    echo
    # One event worth showing: a create refused with 401, key material leaked.
    sample=$(grep -a -m 1 -E '"action":"kms.secrets.create".*"reasonCode":401.*"(payload|plaintext|ciphertext|iv|nonce|aad|encryptedNonce)":' \
        "$work/events.ndjson" || grep -a -m 1 -E '"(payload|plaintext|iv|nonce)":' "$work/events.ndjson")
    echo "one event before:"
    echo "  $sample"
    echo
    echo "and after (kpaudit explain):"
    "$kpaudit" explain "$sample" | sed 's/^/  /'
    echo
fi

"$kpaudit" run "${inputs[@]}" --out "$work/out"
echo
echo "files written in $work/out:"
wc -l "$work"/out/* | sed 's/^/  /'
