#!/usr/bin/env bash
# End-to-end check of flb-filter_kpaudit.so inside a real Fluent Bit:
#
#   examples/fluent-bit/e2e.sh FLUENT_BIT_BINARY FLB_SOURCE FLB_BUILD
#
# Builds the plugin, generates 20,000 events (1% corrupted), runs
#   tail (parser json) -> kpaudit (tag_prefix kpaudit., dead letters) -> file
# and compares the outputs with the C example host on the same corpus:
# events per route and per (route, severity), every record's content, no
# key-material member anywhere, and input lines = emitted + dead letters.
# Exits non-zero on any mismatch. Needs cmake, cargo, a C compiler, python3.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 FLUENT_BIT_BINARY FLB_SOURCE FLB_BUILD" >&2
    exit 2
fi
FLB_BIN=$(realpath "$1")
FLB_SOURCE=$(realpath "$2")
FLB_BUILD=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
COUNT=${COUNT:-20000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-e2e.XXXXXX")
# KEEP=1 keeps the work directory (corpus, configs, outputs, log) for a look
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$WORK"' EXIT; else echo "work directory: $WORK"; fi

echo "== building the plugin"
cmake -S "$HERE" -B "$WORK/build" -DFLB_SOURCE="$FLB_SOURCE" -DFLB_BUILD="$FLB_BUILD" >/dev/null
cmake --build "$WORK/build" >/dev/null
PLUGIN="$WORK/build/flb-filter_kpaudit.so"
# one self-contained object: no libkpaudit.so, and the registration struct exported
if ldd "$PLUGIN" | grep -q kpaudit; then
    echo "FAIL: the plugin needs a kpaudit shared library" >&2
    exit 1
fi
nm -D --defined-only "$PLUGIN" | grep -q ' filter_kpaudit_plugin$' || {
    echo "FAIL: filter_kpaudit_plugin is not exported" >&2
    exit 1
}

echo "== corpus: $COUNT events, 1% corrupted"
(cd "$ROOT" && cargo run --quiet --release --example gen_events -- \
    --count "$COUNT" --seed 7 --corrupt-percent 1) > "$WORK/events.ndjson"

echo "== reference: examples/c/kpaudit_host"
cc -std=c99 -O2 -Wall -Wextra -I"$ROOT/include" "$ROOT/examples/c/kpaudit_host.c" \
    "$ROOT/target/release/libkpaudit.a" -lpthread -ldl -lm -o "$WORK/kpaudit_host"
"$WORK/kpaudit_host" "$WORK/host" < "$WORK/events.ndjson" > "$WORK/host-summary.txt"

echo "== fluent-bit $("$FLB_BIN" --version | head -1)"
mkdir -p "$WORK/out"
cat > "$WORK/parsers.conf" <<EOF
[PARSER]
    Name   json
    Format json
EOF
cat > "$WORK/e2e.conf" <<EOF
[SERVICE]
    Flush        1
    Grace        2
    Log_Level    info
    Parsers_File $WORK/parsers.conf

[INPUT]
    Name             tail
    Tag              keyprotect
    Path             $WORK/events.ndjson
    Parser           json
    Read_From_Head   true
    Buffer_Max_Size  2M
    Mem_Buf_Limit    256M

[FILTER]
    Name                   kpaudit
    Match                  keyprotect
    tag_prefix             kpaudit.
    dead_letter_tag        kpaudit_rejected
    emitter_mem_buf_limit  256M

# out_file names each file after the tag: kpaudit.<route>, kpaudit_rejected
[OUTPUT]
    Name   file
    Match  kpaudit*
    Path   $WORK/out
    Format plain
EOF
# Not Exit_On_Eof: that stops the inputs, the emitter among them, before
# the re-tagged records reach the outputs. Instead wait until every input
# line is accounted for in the outputs (or nothing moves for 10 s), then stop
# Fluent Bit with SIGTERM, which flushes what is left.
"$FLB_BIN" -e "$PLUGIN" -c "$WORK/e2e.conf" > "$WORK/fluent-bit.log" 2>&1 &
FLB_PID=$!
INPUT_LINES=$(wc -l < "$WORK/events.ndjson")
last=-1; still=0
for _ in $(seq 300); do
    sleep 1
    kill -0 "$FLB_PID" 2>/dev/null || break
    now=$(cat "$WORK"/out/* 2>/dev/null | wc -l)
    [ "$now" -ge "$INPUT_LINES" ] && break
    if [ "$now" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge 10 ] && break
    last=$now
done
kill -TERM "$FLB_PID" 2>/dev/null || true
if ! wait "$FLB_PID"; then
    cat "$WORK/fluent-bit.log" >&2
    echo "FAIL: fluent-bit exited with an error" >&2
    exit 1
fi
grep -E '\[filter:kpaudit' "$WORK/fluent-bit.log" || true

# Fluent Bit's json parser, unlike kpaudit, accepts a raw control character
# inside a string: such a corrupted line reaches kpaudit as a valid record.
# The expectation adds what the host makes of those lines once parsed the
# same lenient way (and re-serialized).
python3 - "$WORK/events.ndjson" > "$WORK/lenient.ndjson" <<'EOF'
import json, sys
for line in open(sys.argv[1], "rb"):
    try:
        json.loads(line)
        continue
    except ValueError:
        pass
    try:
        event = json.loads(line.decode("utf-8"), strict=False)
    except ValueError:
        continue
    if isinstance(event, dict):
        print(json.dumps(event, ensure_ascii=False))
EOF
"$WORK/kpaudit_host" "$WORK/host-lenient" < "$WORK/lenient.ndjson" > /dev/null

echo "== comparing"
python3 - "$WORK" <<'EOF'
import collections, json, os, sys

work = sys.argv[1]
KEY_MATERIAL = {"payload", "encryptednonce", "iv", "plaintext", "ciphertext",
                "aad", "nonce", "authorization"}
failures = []

def leaks(v, path="$"):
    if isinstance(v, dict):
        for k, child in v.items():
            if k.lower() in KEY_MATERIAL:
                yield path + "." + k
            yield from leaks(child, path + "." + k)
    elif isinstance(v, list):
        for i, child in enumerate(v):
            yield from leaks(child, "%s[%d]" % (path, i))

def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]

def canon(r):
    return json.dumps(r, sort_keys=True, ensure_ascii=False)

host = {}
for d in ("host", "host-lenient"):
    for name in os.listdir(os.path.join(work, d)):
        if name.endswith(".ndjson"):
            host.setdefault(name[:-len(".ndjson")], []).extend(
                records(os.path.join(work, d, name)))
with open(os.path.join(work, "lenient.ndjson"), encoding="utf-8") as f:
    lenient = sum(1 for _ in f)

flb, dead = {}, []
for name in os.listdir(os.path.join(work, "out")):
    path = os.path.join(work, "out", name)
    if name == "kpaudit_rejected":
        dead = records(path)
    elif name.startswith("kpaudit."):
        flb[name[len("kpaudit."):]] = records(path)
    else:
        failures.append("unexpected output file " + name)

with open(os.path.join(work, "events.ndjson"), "rb") as f:
    input_lines = sum(1 for _ in f)
emitted = sum(len(v) for v in flb.values())
host_emitted = sum(len(v) for v in host.values())

print("%-12s %8s %8s" % ("route", "host", "plugin"))
for route in sorted(set(host) | set(flb)):
    h, p = host.get(route, []), flb.get(route, [])
    print("%-12s %8d %8d" % (route, len(h), len(p)))
    if len(h) != len(p):
        failures.append("route %s: host %d events, plugin %d" % (route, len(h), len(p)))
    hs = collections.Counter(r.get("severity") for r in h)
    ps = collections.Counter(r.get("severity") for r in p)
    if hs != ps:
        failures.append("route %s severities: host %s, plugin %s" % (route, dict(hs), dict(ps)))
    hc = collections.Counter(canon(r) for r in h)
    pc = collections.Counter(canon(r) for r in p)
    if hc != pc:
        failures.append("route %s: %d host records missing, %d plugin records extra"
                        % (route, sum((hc - pc).values()), sum((pc - hc).values())))
    for r in p:
        if r.get("severity") is None:
            failures.append("route %s: a record without severity" % route)
            break

sev = collections.Counter(r.get("severity") for v in flb.values() for r in v)
print("severity (plugin):", dict(sorted(sev.items())))
for route, v in flb.items():
    for r in v:
        for where in leaks(r):
            failures.append("key material in route %s at %s" % (route, where))

for d in dead:
    if set(d) != {"error", "message", "tag", "bytes"}:
        failures.append("dead letter with members %s" % sorted(d))
        break
reasons = collections.Counter(d.get("error") for d in dead)
print("input lines %d = emitted %d + dead letters %d (%s)"
      % (input_lines, emitted, len(dead), dict(reasons)))
print("expected (host): emitted %d (%d of them lines only Fluent Bit's parser"
      " accepts), rejected %d" % (host_emitted, lenient, input_lines - host_emitted))
if len(dead) != input_lines - host_emitted:
    failures.append("dead letters %d, host rejected %d"
                    % (len(dead), input_lines - host_emitted))
if input_lines != emitted + len(dead):
    failures.append("input lines %d != emitted %d + dead letters %d"
                    % (input_lines, emitted, len(dead)))

if failures:
    for f in failures[:40]:
        print("FAIL:", f)
    sys.exit(1)
print("PASS")
EOF
