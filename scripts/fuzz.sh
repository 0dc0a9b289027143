#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer, AddressSanitizer) of the
# event path, the event path on planted key material, the batch path and
# the config parser. Each target asserts the reference implementation's
# result and the leak oracle (fuzz/src/lib.rs).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60, all four
#
# Seeds come from the event generator; findings land in fuzz/artifacts/.
# Not part of scripts/test.sh: it needs nightly Rust and takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(event planted batch msgpack framed config)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz > /dev/null || cargo install --locked cargo-fuzz

# One file per seed input, named by its number.
write_seeds() { # dir < lines
    mkdir -p "$1"
    local n=0 line
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s' "$line" > "$1/seed-$n"
    done
}

gen() { cargo run --quiet --release -p gen-events -- "$@"; }
corpus=fuzz/corpus
if [[ ! -d $corpus/event ]]; then
    gen --count 300 --seed 41 --corrupt-percent 5 | write_seeds "$corpus/event"
fi
if [[ ! -d $corpus/batch ]]; then
    mkdir -p "$corpus/batch"
    gen --count 200 --seed 42 --corrupt-percent 10 | split -l 5 - "$corpus/batch/seed-"
fi
if [[ ! -d $corpus/msgpack ]]; then
    mkdir -p "$corpus/msgpack"
    # Generated events as MessagePack maps (a minimal encoder).
    gen --count 200 --seed 43 | python3 -c '
import json, struct, sys
def enc(v):
    if v is None: return b"\xc0"
    if v is True: return b"\xc3"
    if v is False: return b"\xc2"
    if isinstance(v, int): return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float): return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(v, list):
        return b"\xdd" + struct.pack(">I", len(v)) + b"".join(map(enc, v))
    return b"\xdf" + struct.pack(">I", len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
for n, line in enumerate(sys.stdin):
    open(sys.argv[1] + "/seed-%d" % n, "wb").write(enc(json.loads(line)))
' "$corpus/msgpack"
fi
if [[ ! -d $corpus/planted ]]; then
    mkdir -p "$corpus/planted"
    for n in $(seq 1 64); do head -c 8 /dev/urandom > "$corpus/planted/seed-$n"; done
fi
if [[ ! -d $corpus/config ]]; then
    write_seeds "$corpus/config" <<'CONFIGS'
{}
{"severity":{"default":"warning","precedence":"status","actions":{"kms.secrets.wrap":"critical"},"status":{"429":"warning"}}}
{"redact":{"fields":["secretValue"],"mode":"mask","mask":"[REDACTED]"}}
{"route":{"regions":{"eu-es":"eu-de"},"destinations":{"us-south":"at-dallas"},"unmatched":"dead-letter","field":"_route"}}
{"limits":{"max_event_bytes":1048576,"max_depth":128}}
CONFIGS
fi

summary=()
for target in "${targets[@]}"; do
    printf '\n== fuzzing %s for %s s\n' "$target" "$seconds"
    log=$(mktemp)
    status=0
    cargo +nightly fuzz run "$target" "$corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
        > "$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+\s+(INITED|DONE)|==[0-9]+==|Done [0-9]+ runs|SUMMARY|thread .* panicked)' "$log" || true
    runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 || true)
    if [[ $status -ne 0 ]]; then
        summary+=("$target: FAILED (see fuzz/artifacts/$target/)")
    else
        summary+=("$target: ${runs:-?}, ${cov:-cov ?}, no finding")
    fi
    rm -f "$log"
done

printf '\n== summary\n'
printf '%s\n' "${summary[@]}"
! printf '%s\n' "${summary[@]}" | grep -q FAILED
