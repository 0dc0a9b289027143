#!/usr/bin/env bash
# End-to-end check of flb-filter_kpaudit.so inside a real Fluent Bit:
#
#   examples/fluent-bit/e2e.sh FLUENT_BIT_BINARY FLB_SOURCE FLB_BUILD
#
# 1. builds the plugin (one self-contained object exporting only its
#    registration struct);
# 2. the README's configurations, as written with only the paths replaced
#    (kpaudit.conf, then kpaudit.yaml), on 20,000 generated events (1%
#    corrupted) plus a 5 MB line carrying key material and binary garbage
#    lines: every record is compared with examples/c/kpaudit_host on the
#    same events (per route, per severity, content), every route's file
#    checked, input lines = routed + dead letters, no key material anywhere,
#    and the counters scraped from Fluent Bit's HTTP server must add up to
#    the same; --dry-run and a hot reload (SIGHUP) with a kpaudit config
#    that does not load must be refused, the running pipeline kept; a
#    reload through POST /api/v2/reload with a good one must set it up again;
#    Then kpaudit-lines.conf as written: tail without a parser, kpaudit
#    reading each line (msgpack.line_member), compared likewise;
# 3. tail with Path_Key (lines it cannot parse arrive with a second member)
#    and route_field: records in place with their route, unparsed lines as
#    dead letters;
# 4. hostile items through the forward input (e2e_tool.py send): key
#    material in metadata at depth, every framing width, spoofed and
#    OTLP-like group markers carrying key material, items Fluent Bit's
#    decoder cannot read, binary garbage; in both modes, counted exactly;
# 5. tag_prefix with Exit_On_Eof and the README's Grace, tail in the
#    engine's thread and threaded: nothing lost when Fluent Bit stops by
#    itself;
# 6. with CROSS="other fluent-bit binaries", the plugin must refuse to load
#    into each of them with one line naming both versions, and no crash.
#
# Exits non-zero on any failure. Needs cmake, cargo, a C compiler, python3,
# curl, and the TCP port 2020 (the README's HTTP_Port) free. KEEP=1 keeps
# the work directory.
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
TOOL="python3 $HERE/e2e_tool.py"
COUNT=${COUNT:-20000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-e2e.XXXXXX")
FLB_PID=
cleanup() {
    # a Fluent Bit this script started and did not stop yet
    if [ -n "$FLB_PID" ] && kill -0 "$FLB_PID" 2>/dev/null; then
        kill -TERM "$FLB_PID"
        wait "$FLB_PID" 2>/dev/null || true
    fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
[ -z "${KEEP:-}" ] || echo "work directory: $WORK"
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=1; }
flb_version() { "$1" --version | sed -n 's/^Fluent Bit v\([^ ]*\).*/\1/p' | head -1; }
VERSION=$(flb_version "$FLB_BIN")

echo "== building the plugin against Fluent Bit $VERSION"
cmake -S "$HERE" -B "$WORK/build" -DFLB_SOURCE="$FLB_SOURCE" -DFLB_BUILD="$FLB_BUILD" >/dev/null
cmake --build "$WORK/build" 2>&1 | { grep -E "warning|error" || true; }
PLUGIN="$WORK/build/flb-filter_kpaudit.so"
[ -f "$PLUGIN" ] || { echo "FAIL: no plugin built" >&2; exit 1; }
if ldd "$PLUGIN" | grep -q kpaudit; then
    fail "the plugin needs a kpaudit shared library"
fi
[ "$(nm -D --defined-only "$PLUGIN" | awk '{print $3}')" = filter_kpaudit_plugin ] ||
    fail "the plugin exports more than filter_kpaudit_plugin"

gen() { (cd "$ROOT" && cargo run --quiet --release -p gen-events -- "$@"); }

echo "== corpus: $COUNT events (1% corrupted), a 5 MB line, binary garbage, every region"
gen --count "$COUNT" --seed 7 --corrupt-percent 1 > "$WORK/base.ndjson"
python3 - "$WORK/base.ndjson" "$WORK/events.ndjson" <<'EOF'
import json, random, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
if lines[-1] == b"":
    lines.pop()
rnd = random.Random(11)
hostile = [json.dumps({"action": "kms.secrets.create", "outcome": "success",
                       "payload": "SECRET-LONG-" + "A" * (5 << 20)}).encode()]
for i in range(3):   # no NUL (tail skips leading ones), no line breaks
    hostile.append(b"\xff" + bytes(rnd.choice(range(1, 256)) for _ in range(300))
                   .replace(b"\n", b"x").replace(b"\r", b"x") + b"SECRET-GARBAGE")
# the generator leaves some regions out: one event for each, so that every
# route the filter can name gets something to deliver
extra = []
for region in (b"ca-mon", b"in-che", b"in-mum"):
    for line in lines:
        if b"us-south" in line:
            try:
                json.loads(line)
            except ValueError:
                continue
            extra.append(line.replace(b"us-south", region))
            break
half = len(lines) // 2   # tail must read on past the long line
out = lines[:100] + extra + lines[100:half] + hostile + lines[half:]
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
EOF
INPUT_LINES=$(wc -l < "$WORK/events.ndjson")

echo "== reference: examples/c/kpaudit_host, with the README's kpaudit config"
cc -std=c99 -O2 -Wall -Wextra -I"$ROOT/include" "$ROOT/examples/c/kpaudit_host.c" \
    "$(cd "$ROOT" && cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/libkpaudit.a" \
    -lpthread -ldl -lm -o "$WORK/kpaudit_host"
sed -n 's/^ *config  *\({.*}\) *$/\1/p' "$HERE/kpaudit.conf" > "$WORK/kpaudit.json"
[ -s "$WORK/kpaudit.json" ] || { echo "FAIL: no config line in kpaudit.conf" >&2; exit 1; }
"$WORK/kpaudit_host" --config "$WORK/kpaudit.json" "$WORK/host" < "$WORK/events.ndjson" > /dev/null
# Fluent Bit's json parser, unlike kpaudit, accepts a raw control character
# inside a string: such a corrupted line reaches kpaudit as a valid record.
# The expectation adds what the host makes of those lines once parsed the
# same lenient way (and re-serialized).
python3 - "$WORK/events.ndjson" > "$WORK/lenient.ndjson" <<'EOF'
import json, sys
for line in open(sys.argv[1], "rb"):
    if len(line) > (1 << 20):
        continue   # longer than tail's Buffer_Max_Size: cut, not parsed
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
"$WORK/kpaudit_host" --config "$WORK/kpaudit.json" "$WORK/host-lenient" \
    < "$WORK/lenient.ndjson" > /dev/null
HOSTDIRS="$WORK/host,$WORK/host-lenient"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME CONF [ARGS]: runs fluent-bit in the background (FLB_PID)
start() {
    "$FLB_BIN" "${@:3}" -c "$2" > "$WORK/$1.log" 2>&1 &
    FLB_PID=$!
}

# wait_lines DIR N: until the files in DIR hold N lines (or 20 s without change)
wait_lines() {
    local last=-1 still=0 now
    for _ in $(seq 600); do
        sleep 0.5
        kill -0 "$FLB_PID" 2>/dev/null || return 0
        now=$( (cat "$1"/* 2>/dev/null || true) | wc -l)
        [ "$now" -ge "$2" ] && return 0
        if [ "$now" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
        [ "$still" -ge 40 ] && return 0
        last=$now
    done
}

# scrape PORT NAME: the plugin's and Fluent Bit's counters as JSON
scrape() {
    sleep 1.5   # Fluent Bit refreshes what the HTTP server shows every second
    curl -sf "http://127.0.0.1:$1/api/v2/metrics/prometheus" > "$WORK/$2.prom" ||
        { fail "$2: no metrics on port $1"; return 0; }
    $TOOL metrics "$WORK/$2.prom" kpaudit.0 > "$WORK/$2.metrics.json"
}

# stop NAME: SIGTERM, and Fluent Bit must end cleanly
stop() {
    kill -TERM "$FLB_PID" 2>/dev/null || true
    if ! wait "$FLB_PID"; then
        tail -30 "$WORK/$1.log" >&2
        fail "$1: fluent-bit exited with an error"
    fi
    FLB_PID=
    grep -E '\[filter:kpaudit' "$WORK/$1.log" | grep -v ' route ' || true
}

# readme NAME: the README's files with only the paths replaced
readme() {
    local d="$WORK/$1"
    mkdir -p "$d/in" "$d/out" "$d/lib"
    ln -s "$WORK/events.ndjson" "$d/in/events.ndjson"
    cp "$PLUGIN" "$d/lib/"
    for f in kpaudit.conf kpaudit.yaml kpaudit-lines.conf parsers.conf plugins.conf; do
        sed -e "s#/var/log/keyprotect#$d/in#g" -e "s#/var/log/kpaudit#$d/out#g" \
            -e "s#/usr/local/lib/fluent-bit#$d/lib#g" -e "s#/etc/fluent-bit#$d#g" \
            "$HERE/$f" > "$d/$f"
    done
}

port_free 2020 || { echo "FAIL: port 2020 (the README's HTTP_Port) is in use" >&2; exit 1; }

echo "== 1. README kpaudit.conf as written (Plugins_File, tag_prefix)"
readme conf
"$FLB_BIN" -c "$WORK/conf/kpaudit.conf" --dry-run > "$WORK/dry-run.log" 2>&1 ||
    { cat "$WORK/dry-run.log" >&2; fail "--dry-run of kpaudit.conf failed"; }
# a kpaudit config that does not load: --dry-run refuses it, where Fluent
# Bit's --dry-run checks plugin properties at all (4.2 only parses the file:
# it accepts an unknown property of tail just as well)
sed 's/"secretValue"\]}}/"secretValue"]}/' "$WORK/conf/kpaudit.conf" > "$WORK/conf/broken.conf"
sed 's/^\( *\)Tag  *keyprotect$/&\n\1no_such_property x/' "$WORK/conf/kpaudit.conf" \
    > "$WORK/conf/unknown.conf"
if "$FLB_BIN" -c "$WORK/conf/unknown.conf" --dry-run > /dev/null 2>&1; then
    echo "NOTE: Fluent Bit $VERSION's --dry-run checks no plugin property (README);" \
         "the refusal is checked on hot reload only"
    "$FLB_BIN" -c "$WORK/conf/broken.conf" --dry-run > /dev/null 2>&1 ||
        fail "--dry-run refused the broken config although it checks no property"
elif "$FLB_BIN" -c "$WORK/conf/broken.conf" --dry-run > "$WORK/dry-run-broken.log" 2>&1; then
    fail "--dry-run accepted a kpaudit config that is not JSON"
else
    grep -q "kpaudit config:" "$WORK/dry-run-broken.log" ||
        fail "--dry-run did not say what is wrong with the kpaudit config"
fi
start conf "$WORK/conf/kpaudit.conf"
wait_lines "$WORK/conf/out" "$INPUT_LINES"
scrape 2020 conf
# hot reload with that config: refused, the pipeline keeps running
cp "$WORK/conf/kpaudit.conf" "$WORK/conf/kpaudit.conf.good"
cp "$WORK/conf/broken.conf" "$WORK/conf/kpaudit.conf"
kill -HUP "$FLB_PID"
sleep 4
kill -0 "$FLB_PID" 2>/dev/null || fail "a hot reload with a broken kpaudit config stopped Fluent Bit"
grep -q "kpaudit config:" "$WORK/conf.log" || fail "the refused reload did not name the kpaudit config"
curl -sf "http://127.0.0.1:2020/api/v2/metrics/prometheus" > /dev/null ||
    fail "Fluent Bit stopped serving after the refused reload"
cp "$WORK/conf/kpaudit.conf.good" "$WORK/conf/kpaudit.conf"
stop conf
$TOOL compare tag_prefix "$WORK/conf/out" "$HOSTDIRS" "$WORK/events.ndjson" \
    "$WORK/conf.metrics.json" || fail "kpaudit.conf"
grep -l SECRET "$WORK/conf/out"/* && fail "planted key material reached an output"

echo "== 2. README kpaudit.yaml as written (plugins:, tag_prefix)"
readme yaml
start yaml "$WORK/yaml/kpaudit.yaml"
wait_lines "$WORK/yaml/out" "$INPUT_LINES"
scrape 2020 yaml
cp -r "$WORK/yaml/out" "$WORK/yaml/out.before-reload"
# a hot reload through the HTTP API (it wants a body) with a good config:
# the plugin is set up again (tail then reads the file again from its head)
reply=$(curl -s -X POST -d '{}' "http://127.0.0.1:2020/api/v2/reload")
for _ in $(seq 20); do grep -q "successful reload" "$WORK/yaml.log" && break; sleep 0.5; done
grep -q "successful reload" "$WORK/yaml.log" || fail "POST /api/v2/reload ($reply): no reload"
[ "$(grep -c 'kpaudit .* (ABI [0-9]*) in Fluent Bit' "$WORK/yaml.log")" -eq 2 ] ||
    fail "the plugin was not set up again by the reload"
stop yaml
$TOOL compare tag_prefix "$WORK/yaml/out.before-reload" "$HOSTDIRS" "$WORK/events.ndjson" \
    "$WORK/yaml.metrics.json" || fail "kpaudit.yaml"
grep -l SECRET "$WORK/yaml/out"/* && fail "planted key material reached an output"

echo "== 2b. README kpaudit-lines.conf as written (no parser: kpaudit reads the lines)"
readme lines
start lines "$WORK/lines/kpaudit-lines.conf"
wait_lines "$WORK/lines/out" "$INPUT_LINES"
scrape 2020 lines
stop lines
# kpaudit's own JSON reading is the host's: the lines Fluent Bit's parser
# takes leniently are dead letters here, as they are for the host
$TOOL compare tag_prefix "$WORK/lines/out" "$WORK/host" "$WORK/events.ndjson" \
    "$WORK/lines.metrics.json" || fail "kpaudit-lines.conf"
# a line kpaudit refuses is a dead letter that says why, quoting none of it
grep -q '"message":"invalid event: .* in the line member at byte [0-9]*"' \
    "$WORK/lines/out/kpaudit_rejected" || fail "kpaudit-lines.conf: no dead letter gives kpaudit's reason"
grep -l SECRET "$WORK/lines/out"/* && fail "planted key material reached an output"

echo "== 3. tail with Path_Key, route_field"
HTTP=$(free_port)
mkdir -p "$WORK/pathkey/out"
cat > "$WORK/pathkey/fluent-bit.conf" <<EOF
[SERVICE]
    Flush         1
    Grace         5
    Log_Level     info
    Parsers_File  $WORK/conf/parsers.conf
    HTTP_Server   On
    HTTP_Listen   127.0.0.1
    HTTP_Port     $HTTP

[INPUT]
    Name                 tail
    Tag                  keyprotect
    Path                 $WORK/events.ndjson
    Parser               json
    Read_From_Head       true
    Path_Key             filename
    Buffer_Max_Size      2M
    Truncate_Long_Lines  On

[FILTER]
    Name             kpaudit
    Match            keyprotect
    route_field      route
    dead_letter_tag  kpaudit_rejected
    config_file      $WORK/kpaudit.json

[OUTPUT]
    Name         file
    Match_Regex  ^(keyprotect|kpaudit_rejected)$
    Path         $WORK/pathkey/out
    Format       plain
EOF
start pathkey "$WORK/pathkey/fluent-bit.conf" -e "$PLUGIN"
wait_lines "$WORK/pathkey/out" "$INPUT_LINES"
scrape "$HTTP" pathkey
stop pathkey
$TOOL compare route_field "$WORK/pathkey/out" "$HOSTDIRS" "$WORK/events.ndjson" \
    "$WORK/pathkey.metrics.json" filename || fail "Path_Key, route_field"
grep -l SECRET "$WORK/pathkey/out"/* && fail "planted key material reached an output"

echo "== 4. hostile items through the forward input"
for mode in tag_prefix route_field; do
    HTTP=$(free_port)
    FWD=$(free_port)
    d="$WORK/hostile-$mode"
    mkdir -p "$d/out"
    if [ "$mode" = tag_prefix ]; then opt="tag_prefix  kpaudit."; else opt="route_field route"; fi
    cat > "$d/fluent-bit.conf" <<EOF
[SERVICE]
    Flush        1
    Grace        5
    Log_Level    info
    HTTP_Server  On
    HTTP_Listen  127.0.0.1
    HTTP_Port    $HTTP

[INPUT]
    Name    forward
    Listen  127.0.0.1
    Port    $FWD
    Tag     hostile

[FILTER]
    Name             kpaudit
    Match            hostile
    $opt
    dead_letter_tag  kpaudit_rejected

# msgpack: the chunks as Fluent Bit holds them, metadata and markers included
[OUTPUT]
    Name    file
    Match   *
    Path    $d/out
    Format  msgpack
EOF
    start "hostile-$mode" "$d/fluent-bit.conf" -e "$PLUGIN"
    for _ in $(seq 50); do port_free "$FWD" || break; sleep 0.2; done
    $TOOL send "$FWD" hostile "$WORK/base.ndjson" > "$d/expected.json"
    sleep 3
    scrape "$HTTP" "hostile-$mode"
    stop "hostile-$mode"
    $TOOL check-hostile "$d/out" "$d/expected.json" "$mode" || fail "hostile items, $mode"
    python3 - "$d/expected.json" "$WORK/hostile-$mode.metrics.json" <<'EOF' || fail "hostile metrics, $mode"
import json, sys
e, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
routed = sum(m["records_total"].values())
rejected = {k: v for k, v in m["rejected_records_total"].items() if v}
markers = m["group_markers_total"]
print("metrics: sent %d = routed %d + rejected %d %s + markers %s"
      % (e["items"], routed, sum(rejected.values()), rejected, markers))
ok = (routed == e["events"] and rejected == e["rejected"] and markers == e["markers"]
      and routed + sum(rejected.values()) + sum(markers.values()) == e["items"])
sys.exit(0 if ok else 1)
EOF
done

echo "== 5. tag_prefix with Exit_On_Eof and the README's Grace"
grace=$(sed -n 's/^ *Grace  *\([0-9-]*\).*/\1/p' "$HERE/kpaudit.conf")
for threaded in off on; do
    d="$WORK/eof-$threaded"
    mkdir -p "$d/out"
    cat > "$d/fluent-bit.conf" <<EOF
[SERVICE]
    Flush         1
    Grace         $grace
    Log_Level     info
    Parsers_File  $WORK/conf/parsers.conf

[INPUT]
    Name                 tail
    Tag                  keyprotect
    Path                 $WORK/events.ndjson
    Parser               json
    Read_From_Head       true
    Exit_On_Eof          true
    Buffer_Max_Size      2M
    Truncate_Long_Lines  On
    Threaded             $threaded

[FILTER]
    Name             kpaudit
    Match            keyprotect
    tag_prefix       kpaudit.
    dead_letter_tag  kpaudit_rejected

[OUTPUT]
    Name         file
    Match_Regex  ^(kpaudit\..+|kpaudit_rejected|keyprotect)$
    Path         $d/out
    Format       plain
EOF
    if ! timeout 120 "$FLB_BIN" -e "$PLUGIN" -c "$d/fluent-bit.conf" > "$d.log" 2>&1; then
        tail -20 "$d.log" >&2
        fail "Exit_On_Eof, threaded $threaded: fluent-bit failed"
    fi
    delivered=$( (cat "$d/out"/* 2>/dev/null || true) | wc -l)
    echo "Exit_On_Eof, Grace $grace, threaded $threaded: $delivered of $INPUT_LINES lines delivered"
    [ "$delivered" -eq "$INPUT_LINES" ] ||
        fail "Exit_On_Eof, threaded $threaded: lost $((INPUT_LINES - delivered)) records"
    grep -E 'kpaudit.*(lost|still in its emitter)' "$d.log" &&
        fail "threaded $threaded: the plugin reported records lost at shutdown"
done

if [ -n "${CROSS:-}" ]; then
    echo "== 6. loaded into other Fluent Bit releases: a clean refusal"
    for other in $CROSS; do
        ov=$(flb_version "$other")
        set +e
        "$other" -e "$PLUGIN" -c "$WORK/pathkey/fluent-bit.conf" --dry-run > "$WORK/cross.log" 2>&1
        rc=$?
        set -e
        lines=$(grep -c 'kpaudit:' "$WORK/cross.log" || true)
        echo "Fluent Bit $ov: exit $rc; $(grep 'kpaudit:' "$WORK/cross.log" | head -1 | cut -c1-200)..."
        [ "$rc" -eq 1 ] || fail "Fluent Bit $ov: exit status $rc, expected 1"
        [ "$lines" -eq 1 ] || fail "Fluent Bit $ov: $lines kpaudit lines, expected one"
        grep -q "built against Fluent Bit $VERSION and cannot run in Fluent Bit $ov" \
            "$WORK/cross.log" || fail "Fluent Bit $ov: the line does not name both versions"
        grep -qiE 'SIGSEGV|backtrace|crash|unknown configuration property' "$WORK/cross.log" &&
            fail "Fluent Bit $ov: not a clean refusal"
    done
fi

if [ "$FAILED" -ne 0 ]; then
    echo "FAIL (Fluent Bit $VERSION)"
    exit 1
fi
echo "PASS (Fluent Bit $VERSION)"
