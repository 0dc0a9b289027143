#!/usr/bin/env bash
# Throughput of kpaudit inside Fluent Bit, against no filter and against the
# same work done by a Lua filter (kpaudit.lua):
#
#   bench/fluent-bit/bench.sh FLUENT_BIT_BINARY FLB_SOURCE FLB_BUILD
#
# Every pipeline reads the same generated corpus (>= 64 MiB) with tail and
# the json parser and ends in the null output:
#   none               tail -> null
#   kpaudit            tail -> kpaudit (route_field: records stay in place) -> null
#   kpaudit tag_prefix tail -> kpaudit (re-tagged through the emitter) -> null
#   lua                tail -> lua (kpaudit.lua) -> null
# tail has Exit_On_Eof and logs the moment it reaches the end of the file;
# filters run inside the input's append, so the time from tail's
# "initializing" line to its "ended" line (Fluent Bit's log timestamps, in
# milliseconds) covers reading, parsing and filtering every record, without
# start-up and shutdown. Each figure is the median of RUNS runs (default 3),
# the pipelines taking turns so drifts in the machine's speed touch each
# alike. The kpaudit runs are checked to have seen every record.
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
SIZE_MB=${SIZE_MB:-64}
RUNS=${RUNS:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-flb-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cmake -S "$ROOT/examples/fluent-bit" -B "$WORK/build" \
    -DFLB_SOURCE="$FLB_SOURCE" -DFLB_BUILD="$FLB_BUILD" >/dev/null
cmake --build "$WORK/build" >/dev/null
PLUGIN="$WORK/build/flb-filter_kpaudit.so"

(cd "$ROOT" && cargo run --quiet --release --example gen_events -- \
    --size-mb "$SIZE_MB" --seed 9) > "$WORK/corpus.ndjson"
BYTES=$(stat -c %s "$WORK/corpus.ndjson")
LINES=$(wc -l < "$WORK/corpus.ndjson")

cat > "$WORK/parsers.conf" <<EOF
[PARSER]
    Name   json
    Format json
EOF

# config NAME FILE: the pipeline NAME reading FILE
config() {
    local name=$1 file=$2 conf="$WORK/$1-$(basename "$2" .ndjson).conf"
    cat > "$conf" <<EOF
[SERVICE]
    Flush        1
    Grace        1
    Log_Level    info
    Parsers_File $WORK/parsers.conf

[INPUT]
    Name             tail
    Tag              keyprotect
    Path             $file
    Parser           json
    Read_From_Head   true
    Exit_On_Eof      true
    Buffer_Max_Size  2M
    Mem_Buf_Limit    512M
EOF
    case $name in
    kpaudit) cat >> "$conf" <<EOF

[FILTER]
    Name         kpaudit
    Match        keyprotect
    route_field  route
EOF
    ;;
    kpaudit-tag) cat >> "$conf" <<EOF

[FILTER]
    Name                   kpaudit
    Match                  keyprotect
    tag_prefix             kpaudit.
    emitter_mem_buf_limit  512M
EOF
    ;;
    lua) cat >> "$conf" <<EOF

[FILTER]
    Name    lua
    Match   keyprotect
    script  $HERE/kpaudit.lua
    call    kpaudit
EOF
    ;;
    esac
    cat >> "$conf" <<EOF

[OUTPUT]
    Name   null
    Match  *
EOF
    echo "$conf"
}

# stamp LOG PATTERN: seconds since the epoch of the first log line matching
stamp() {
    grep -m1 -E "$2" "$1" | sed -E 's/^\[([0-9/]+) ([0-9:.]+)\].*/\1 \2/' |
        { read -r d t; echo "$(date -d "${d//\//-} ${t%.*}" +%s).${t#*.}"; }
}

# run NAME CONF: seconds from tail's start to its end of file
run() {
    local log="$WORK/$1.log" start end seen
    timeout 600 "$FLB_BIN" -e "$PLUGIN" -c "$2" > "$log" 2>&1 || {
        cat "$log" >&2
        echo "fluent-bit failed on $2" >&2
        exit 1
    }
    start=$(stamp "$log" 'input:tail:tail.0\] initializing')
    end=$(stamp "$log" 'input:tail:tail.0\] .* ended, stop')
    if [[ $1 == kpaudit* ]]; then
        seen=$(grep -oE 'severity normal [0-9]+, warning [0-9]+, critical [0-9]+' "$log" |
               grep -oE '[0-9]+' | paste -sd+ | bc)
        if [ "$seen" != "$LINES" ]; then
            echo "$1: kpaudit saw $seen of $LINES records" >&2
            exit 1
        fi
    fi
    echo "$end - $start" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

PIPELINES="none kpaudit kpaudit-tag lua"
declare -A T CONF
for p in $PIPELINES; do T[$p]=""; CONF[$p]=$(config "$p" "$WORK/corpus.ndjson"); done
for round in $(seq "$RUNS"); do
    for p in $PIPELINES; do
        T[$p]+="$(run "$p" "${CONF[$p]}")"$'\n'
    done
    echo "round $round done" >&2
done

echo "corpus: $(echo "$BYTES / 1048576" | bc -l | xargs printf '%.1f') MiB, $LINES events;" \
     "$RUNS runs each, medians; $(nproc) cores; $("$FLB_BIN" --version | head -1)"
printf '%-20s %9s %8s %12s %10s\n' pipeline seconds MB/s records/s "vs none"
base=""
for p in $PIPELINES; do
    secs=$(printf '%s' "${T[$p]}" | median)
    mbs=$(echo "$BYTES / 1000000 / $secs" | bc -l)
    rps=$(echo "$LINES / $secs" | bc -l)
    [ -z "$base" ] && base=$mbs
    pct=$(echo "100 * $mbs / $base" | bc -l)
    printf '%-20s %9.3f %8.1f %12.0f %9.1f%%\n' "$p" "$secs" "$mbs" "$rps" "$pct"
done
echo "runs (seconds):"
for p in $PIPELINES; do
    printf '  %-18s %s\n' "$p" "$(printf '%s' "${T[$p]}" | tr '\n' ' ')"
done
