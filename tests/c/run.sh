#!/usr/bin/env bash
# C-side tests of kpaudit: the ABI test (strict warnings, then ASan+UBSan),
# and the example host on a generated corpus, also under valgrind memcheck.
# Run from the repository root:  bash tests/c/run.sh
# Build products go to $CARGO_TARGET_DIR/c/ (target/c/ by default); scratch
# files to a temporary directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CC=${CC:-gcc}
STRICT=(-std=c99 -Wall -Wextra -Wpedantic -Werror)
TARGET=${CARGO_TARGET_DIR:-target}
LINK=("$TARGET/debug/libkpaudit.a" -lpthread -ldl -lm)
OUT=$TARGET/c

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-c.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The value after "<key>: " on the summary line starting with <key>.
summary_value() { # file key
    local v
    v=$(sed -n "s/^$2: \([0-9][0-9]*\)\$/\1/p" "$1")
    [[ -n $v ]] || fail "summary $1 has no '$2:' line"
    printf '%s\n' "$v"
}

# Checks a host run: accounting, files against the summary, no key material.
check_host_run() { # summary outdir
    local summary=$1 outdir=$2 input emitted rejected
    input=$(summary_value "$summary" "input lines")
    emitted=$(summary_value "$summary" "emitted")
    rejected=$(summary_value "$summary" "rejected")
    echo "    input lines $input = emitted $emitted + rejected $rejected"
    (( input == emitted + rejected )) || fail "input != emitted + rejected"
    if grep -q 'KPAUDIT_PANIC' "$summary"; then
        fail "the library panicked on some events (see $summary)"
    fi

    # Every route in the summary has its file with exactly its count of lines.
    local routes=0 name count file lines
    while read -r name count _arrow file; do
        [[ -f $outdir/$file ]] || fail "route $name: $outdir/$file does not exist"
        lines=$(wc -l < "$outdir/$file")
        (( lines == count )) || fail "route $name: $file has $lines lines, summary says $count"
        routes=$((routes + 1))
    done < <(sed -n '/^events per route:$/,/^events per severity:$/{/^  /p}' "$summary")
    echo "    $routes route files, each with the summary's count"

    # All lines over all route files = emitted; one dead letter per
    # rejected line, with its line number; no other files.
    local total=0 f dead
    [[ -f $outdir/dead-letter.ndjson ]] || fail "no dead-letter.ndjson in $outdir"
    dead=$(wc -l < "$outdir/dead-letter.ndjson")
    (( dead == rejected )) || fail "dead-letter.ndjson holds $dead lines, rejected $rejected"
    if (( dead > 0 )) && grep -vqE '^\{"error":"[a-z_]+","input":"-","line":[0-9]+,"message":"[^"]+"\}$' "$outdir/dead-letter.ndjson"; then
        fail "a dead letter is not {error, input, line, message}"
    fi
    shopt -s nullglob
    for f in "$outdir"/*; do
        [[ $f == *.ndjson ]] || fail "unexpected file $f"
        [[ $f == */dead-letter.ndjson ]] && continue
        total=$((total + $(wc -l < "$f")))
    done
    shopt -u nullglob
    (( total == emitted )) || fail "route files hold $total lines, emitted $emitted"
    echo "    route files hold $total lines = emitted; $dead dead letters = rejected"

    # No key-material member survives, but for an ingestion envelope's
    # event: the one top-level "payload" object (the generator writes
    # envelopes as {"payload":{...).
    local key
    for key in encryptedNonce plaintext ciphertext authorization iv nonce aad; do
        if grep -rqiE "\"$key\"[[:space:]]*:" "$outdir"; then
            fail "output holds a \"$key\" member"
        fi
    done
    if cat "$outdir"/*.ndjson | awk '{
            n = gsub(/"[Pp][Aa][Yy][Ll][Oo][Aa][Dd]"[[:space:]]*:/, "&")
            if (n > (/^\{"payload":\{/ ? 1 : 0)) bad = 1
        } END { exit !bad }'; then
        fail "output holds a \"payload\" member other than an envelope's event"
    fi
    echo "    no key-material member in the output"
}

step "cargo build (debug library)"
cargo build --quiet
[[ -f $TARGET/debug/libkpaudit.a ]] || fail "$TARGET/debug/libkpaudit.a was not built"
mkdir -p "$OUT"

step "test_abi: $CC ${STRICT[*]} -Wconversion"
"$CC" "${STRICT[@]}" -Wconversion -g -Iinclude tests/c/test_abi.c "${LINK[@]}" -o "$OUT/test_abi"
"$OUT/test_abi" | tee "$TMP/test_abi.log" | tail -n 1
grep -qE '^[0-9]+ passed, 0 failed$' "$TMP/test_abi.log" || fail "test_abi did not report 0 failed"

step "test_abi under AddressSanitizer + UndefinedBehaviorSanitizer"
"$CC" "${STRICT[@]}" -Wconversion -g -fsanitize=address,undefined -fno-omit-frame-pointer \
    -fno-sanitize-recover=all -Iinclude tests/c/test_abi.c "${LINK[@]}" -o "$OUT/test_abi_asan"
# (nm to a file: `nm | grep -q` fails under pipefail when grep exits early.)
nm "$OUT/test_abi_asan" > "$TMP/test_abi_asan.nm"
if ! grep -q '__asan_init' "$TMP/test_abi_asan.nm"; then
    fail "$OUT/test_abi_asan is not linked with AddressSanitizer"
fi
if ! grep -q '__ubsan_handle' "$TMP/test_abi_asan.nm"; then
    fail "$OUT/test_abi_asan is not instrumented by UndefinedBehaviorSanitizer"
fi
echo "    ASan and UBSan are linked in"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/test_abi_asan" > "$TMP/test_abi_asan.log" || { cat "$TMP/test_abi_asan.log"; fail "test_abi (ASan)"; }
tail -n 1 "$TMP/test_abi_asan.log"
grep -qE '^[0-9]+ passed, 0 failed$' "$TMP/test_abi_asan.log" || fail "test_abi (ASan) did not report 0 failed"

step "kpaudit_host: $CC ${STRICT[*]}"
"$CC" "${STRICT[@]}" -g -Iinclude examples/c/kpaudit_host.c "${LINK[@]}" -o "$OUT/kpaudit_host"

step "kpaudit_host on 2000 generated events (1% corrupt)"
cargo run --quiet -p gen-events -- --count 2000 --seed 3 --corrupt-percent 1 > "$TMP/events.ndjson"
"$OUT/kpaudit_host" "$TMP/out" < "$TMP/events.ndjson" > "$TMP/summary.txt"
sed 's/^/    | /' "$TMP/summary.txt"
check_host_run "$TMP/summary.txt" "$TMP/out"
rejected=$(summary_value "$TMP/summary.txt" rejected)
(( rejected > 0 )) || fail "no line was rejected from a corrupted corpus"
echo "    $rejected corrupt lines rejected"
# A second run into the same directory is refused; --append adds to it.
if "$OUT/kpaudit_host" "$TMP/out" < "$TMP/events.ndjson" > /dev/null 2> "$TMP/again.txt"; then
    fail "a second run into a non-empty OUTDIR was not refused"
fi
grep -q 'is not empty' "$TMP/again.txt" || fail "the refusal does not say why: $(cat "$TMP/again.txt")"
"$OUT/kpaudit_host" --append "$TMP/out" < "$TMP/events.ndjson" > /dev/null
(( $(wc -l < "$TMP/out/dead-letter.ndjson") == 2 * rejected )) || fail "--append did not add the dead letters"
echo "    a non-empty OUTDIR is refused; --append adds to its files"

step "kpaudit_host edge cases: '/' in a route name, empty/long/NUL/CRLF lines, no final newline"
printf '%s' '{"route":{"destinations":{"us-south":"team/dallas"}},"limits":{"max_event_bytes":4096}}' \
    > "$TMP/edge-config.json"
crn='crn:v1:bluemix:public:kms:us-south:a/1:i::'
{
    printf '{"action":"kms.secrets.delete","payload":"SECRET","logSourceCRN":"%s"}\n' "$crn"
    printf '\n'                                                   # empty: rejected
    printf '{"pad":"%s"}\n' "$(head -c 5000 /dev/zero | tr '\0' x)" # over 4096: rejected
    printf '{"a":1}\0\n'                                          # NUL byte: rejected
    printf '{"action":"kms.secrets.rotate","logSourceCRN":"%s"}\r\n' "$crn"
    printf '{"action":"kms.secrets.wrap"}'                        # no final newline
} > "$TMP/edge.ndjson"
"$OUT/kpaudit_host" --config "$TMP/edge-config.json" "$TMP/edge" < "$TMP/edge.ndjson" > "$TMP/edge.txt"
sed 's/^/    | /' "$TMP/edge.txt"
check_host_run "$TMP/edge.txt" "$TMP/edge"
[[ $(summary_value "$TMP/edge.txt" "input lines") == 6 ]] || fail "edge: expected 6 input lines"
[[ $(summary_value "$TMP/edge.txt" rejected) == 3 ]] || fail "edge: expected 3 rejected lines"
[[ -f $TMP/edge/team_dallas.ndjson ]] || fail "edge: team/dallas was not sanitized to team_dallas.ndjson"
[[ $(wc -l < "$TMP/edge/team_dallas.ndjson") == 2 ]] || fail "edge: team_dallas.ndjson should hold 2 events"
[[ $(wc -l < "$TMP/edge/unmatched.ndjson") == 1 ]] || fail "edge: unmatched.ndjson should hold 1 event"
grep -q 'KPAUDIT_EVENT_TOO_LARGE' "$TMP/edge.txt" || fail "edge: the long line was not rejected as too large"
grep -q 'line 2: .*empty event' "$TMP/edge.txt" || fail "edge: the empty line was not reported as line 2"
if grep -q $'\r' "$TMP/edge/team_dallas.ndjson"; then fail "edge: a CR reached the output"; fi
if grep -rq SECRET "$TMP/edge"; then fail "edge: key material reached the output"; fi
echo "    edge cases accounted and routed as expected"

step "kpaudit_host usage and configuration errors exit 2"
expect_exit_2() { # description command...
    local what=$1 rc=0
    shift
    "$@" < /dev/null > /dev/null 2> "$TMP/err.txt" || rc=$?
    (( rc == 2 )) || fail "$what: exit status $rc, expected 2"
    [[ -s $TMP/err.txt ]] || fail "$what: no message on stderr"
    echo "    $what: exit 2: $(head -n 1 "$TMP/err.txt")"
}
printf '%s' '{"route":{"destinatons":{}}}' > "$TMP/bad-config.json"
expect_exit_2 "no OUTDIR" "$OUT/kpaudit_host"
expect_exit_2 "unknown option" "$OUT/kpaudit_host" --bogus "$TMP/x"
expect_exit_2 "missing config file" "$OUT/kpaudit_host" --config "$TMP/nonexistent.json" "$TMP/x"
expect_exit_2 "invalid config" "$OUT/kpaudit_host" --config "$TMP/bad-config.json" "$TMP/x"
grep -q 'route.destinatons' "$TMP/err.txt" || fail "invalid config: the message does not name route.destinatons"
: > "$TMP/not-a-dir"
expect_exit_2 "OUTDIR is a file" "$OUT/kpaudit_host" "$TMP/not-a-dir"

command -v valgrind > /dev/null 2>&1 || fail "valgrind is not installed (scripts/test.sh installs it)"
VG=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all --show-leak-kinds=all)
step "valgrind: kpaudit_host on 1000 generated events (2% corrupt)"
cargo run --quiet -p gen-events -- --count 1000 --seed 5 --corrupt-percent 2 > "$TMP/small.ndjson"
"${VG[@]}" "$OUT/kpaudit_host" "$TMP/vg-out" < "$TMP/small.ndjson" > "$TMP/vg-summary.txt" ||
    fail "kpaudit_host under valgrind (errors or leaks reported above)"
check_host_run "$TMP/vg-summary.txt" "$TMP/vg-out"
echo "    valgrind: no errors, no leaks"
step "valgrind: test_abi"
"${VG[@]}" "$OUT/test_abi" > "$TMP/vg-test_abi.log" || { cat "$TMP/vg-test_abi.log"; fail "test_abi (valgrind)"; }
tail -n 1 "$TMP/vg-test_abi.log"
grep -qE '^[0-9]+ passed, 0 failed$' "$TMP/vg-test_abi.log" || fail "test_abi (valgrind) did not report 0 failed"

step "all C tests passed"
