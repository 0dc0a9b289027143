#!/usr/bin/env bash
# Cost of kpaudit inside Fluent Bit, against no filter and against the same
# work done by a Lua filter (kpaudit.lua):
#
#   bench/fluent-bit/bench.sh FLUENT_BIT_BINARY FLB_SOURCE FLB_BUILD
#
# Every pipeline reads the same generated corpus (SIZE_MB, default 64 MiB)
# with tail and the json parser and ends in the null output:
#   none          tail -> null
#   copy          tail -> copy (filter_copy.c: each chunk returned unchanged,
#                 as modified: what Fluent Bit pays for any modifying
#                 filter, with no work done) -> null
#   copy-tag      tail -> copy (retag: each chunk handed unchanged to an
#                 emitter under another tag: what Fluent Bit pays for
#                 re-tagging records, with no work done) -> null
#   copy-split    tail -> copy (retag, retag_split SPLIT: each chunk cut into
#                 SPLIT runs of records handed to the emitter under SPLIT
#                 tags, default 8: the generated corpus's chunks, ~25 records
#                 each, hold 8.2 routes on average, and tag_prefix makes one
#                 append per route in the chunk) -> null
#   copy-hold     (not run by default) the same, each tag's runs gathered to
#                 256 KiB before an append: what holding records across calls
#                 would spare Fluent Bit (the README says why kpaudit does
#                 not) -> null
#   kpaudit       tail -> kpaudit (route_field: records stay in place) -> null
#   kpaudit-tag   tail -> kpaudit (tag_prefix: re-tagged through the emitter) -> null
#   lines         tail without a parser -> kpaudit reading each line itself
#                 (msgpack.line_member, route_field) -> null: the pipeline
#                 of kpaudit-lines.conf, records in place
#   lines-tag     the same with tag_prefix, as kpaudit-lines.conf has it
#   raw           (not run by default) tail without a parser -> null: what
#                 tail costs when nothing parses the lines
#   lua           tail -> lua (kpaudit.lua) -> null
#   kpaudit-b, kpaudit-tag-b   (not run by default) kpaudit and kpaudit-tag
#                 with the plugin at PLUGIN_B instead, another build of it
#                 (e.g. of another commit, built against the same FLB_BUILD
#                 with examples/fluent-bit/CMakeLists.txt): an A/B comparison
#                 within one run
#
# Two measures per run:
#   throughput  tail has Exit_On_Eof and logs when it starts and when it
#               reaches the end of the file; filters run inside the input's
#               append, so that time covers reading, parsing and filtering
#               every record (the emitter's own appends of re-tagged records
#               can come after it);
#   CPU time    user + system time of the fluent-bit process, all threads,
#               from start to exit, minus the median CPU time of the same
#               pipeline on an empty file (start-up and shutdown). It counts
#               everything the pipeline did, the emitter and the outputs
#               included, and is steadier than the time on a shared host.
# Rounds are interleaved (each round runs every pipeline once, in an order
# that rotates), RUNS rounds (default 5); each figure is the median over the
# rounds, with the spread (lowest..highest). Percentages are of the `none`
# pipeline: throughput kept, and CPU time used (118% = the filter adds 18%).
# The kpaudit runs are checked to have seen every record.
#
# PROFILE=1 then records one run of each kpaudit pipeline with
# `perf record -g` and prints the top of `perf report` (where the CPU goes).
#
# INSTRUCTIONS=1 then runs each pipeline once more under valgrind's callgrind
# and prints the instructions it executed in user space (all threads), minus
# those of the same pipeline on an empty file, as percentages of `none`: a
# figure that does not move with the machine's load (it leaves out the
# kernel's work, reading the file and switching threads, which the CPU time
# counts, so its percentages run higher than the CPU time's). With
# INSTRUCTIONS_DIR=DIR each pipeline's profile is kept as DIR/NAME.callgrind.
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
RUNS=${RUNS:-5}
PIPELINES=${PIPELINES:-"none copy copy-tag copy-split kpaudit kpaudit-tag lines lines-tag lua"}
SPLIT=${SPLIT:-8}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-flb-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cmake -S "$ROOT/examples/fluent-bit" -B "$WORK/build" \
    -DFLB_SOURCE="$FLB_SOURCE" -DFLB_BUILD="$FLB_BUILD" -DKPAUDIT_BENCH_COPY=On >/dev/null
cmake --build "$WORK/build" >/dev/null
PLUGIN="$WORK/build/flb-filter_kpaudit.so"
# plugin_of NAME: the kpaudit plugin the pipeline NAME loads
plugin_of() {
    case $1 in
    *-b) echo "$PLUGIN_B" ;;
    *) echo "$PLUGIN" ;;
    esac
}
case " $PIPELINES " in
*-b\ *)
    if [ ! -f "${PLUGIN_B:-}" ]; then
        echo "PIPELINES has a *-b pipeline: set PLUGIN_B to another build of the plugin" >&2
        exit 2
    fi
    ;;
esac
COPY_PLUGIN="$WORK/build/flb-filter_copy.so"

# Key Protect events only: the Lua peer implements their rules, not HPCS's
# tables or the ingestion envelope.
(cd "$ROOT" && cargo run --quiet --release -p gen-events -- --size-mb "$SIZE_MB" --seed 9 \
    --hpcs-percent 0 --envelope-percent 0) > "$WORK/corpus.ndjson"
: > "$WORK/empty.ndjson"
BYTES=$(stat -c %s "$WORK/corpus.ndjson")
LINES=$(wc -l < "$WORK/corpus.ndjson")

cat > "$WORK/parsers.conf" <<EOF
[PARSER]
    Name   json
    Format json
EOF

# config NAME FILE: the pipeline NAME reading FILE
config() {
    local name=$1 file=$2 conf="$WORK/$1-$(basename "$2" .ndjson).conf" parser="Parser json"
    case $name in lines|lines-tag|raw) parser="" ;; esac
    cat > "$conf" <<EOF
[SERVICE]
    Flush        1
    Grace        5
    Log_Level    info
    Parsers_File $WORK/parsers.conf

[INPUT]
    Name             tail
    Tag              keyprotect
    Path             $file
    $parser
    Read_From_Head   true
    Exit_On_Eof      true
    Buffer_Max_Size  2M
    Mem_Buf_Limit    512M
EOF
    case $name in
    copy) cat >> "$conf" <<EOF

[FILTER]
    Name         copy
    Match        keyprotect
EOF
    ;;
    copy-tag) cat >> "$conf" <<EOF

[FILTER]
    Name         copy
    Match        keyprotect
    retag        copied
EOF
    ;;
    copy-split) cat >> "$conf" <<EOF

[FILTER]
    Name         copy
    Match        keyprotect
    retag        copied
    retag_split  $SPLIT
EOF
    ;;
    copy-hold) cat >> "$conf" <<EOF

[FILTER]
    Name         copy
    Match        keyprotect
    retag        copied
    retag_split  $SPLIT
    retag_hold   256K
EOF
    ;;
    kpaudit|kpaudit-b) cat >> "$conf" <<EOF

[FILTER]
    Name         kpaudit
    Match        keyprotect
    route_field  route
EOF
    ;;
    lines) cat >> "$conf" <<EOF

[FILTER]
    Name         kpaudit
    Match        keyprotect
    route_field  route
    config       {"msgpack": {"line_member": "log"}}
EOF
    ;;
    lines-tag) cat >> "$conf" <<EOF

[FILTER]
    Name                   kpaudit
    Match                  keyprotect
    tag_prefix             kpaudit.
    emitter_mem_buf_limit  512M
    config                 {"msgpack": {"line_member": "log"}}
EOF
    ;;
    kpaudit-tag|kpaudit-tag-b) cat >> "$conf" <<EOF

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

# run NAME CONF: "SECONDS CPU" - tail's start to end of file, and the user +
# system CPU seconds of the whole fluent-bit process
run() {
    local log="$WORK/$1.log" start end seen cpu
    cpu=$(python3 - "$FLB_BIN" "$(plugin_of "$1")" "$2" "$log" "$COPY_PLUGIN" <<'EOF'
import resource, subprocess, sys
flb, plugin, conf, log, copy = sys.argv[1:6]
with open(log, "w") as out:
    rc = subprocess.run(["timeout", "600", flb, "-e", plugin, "-e", copy, "-c", conf],
                        stdout=out, stderr=subprocess.STDOUT).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (r.ru_utime + r.ru_stime) if rc == 0 else "failed")
EOF
)
    if [ "$cpu" = failed ]; then
        cat "$log" >&2
        echo "fluent-bit failed on $2" >&2
        exit 1
    fi
    start=$(stamp "$log" 'input:tail:tail.0\] initializing')
    end=$(stamp "$log" 'input:tail:tail.0\] .* ended, stop')
    if [[ ($1 == kpaudit* || $1 == lines*) && $2 == *corpus* ]]; then
        seen=$(grep -oE 'severity normal [0-9]+, warning [0-9]+, critical [0-9]+' "$log" |
               grep -oE '[0-9]+' | paste -sd+ | bc)
        if [ "$seen" != "$LINES" ]; then
            echo "$1: kpaudit saw $seen of $LINES records" >&2
            exit 1
        fi
    fi
    echo "$(echo "$end - $start" | bc -l) $cpu"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f..%.2f", lo, hi}'; }

declare -A SECS CPU IDLE CONF EMPTY
set -- $PIPELINES
n=$#
for p in $PIPELINES; do
    SECS[$p]=""; CPU[$p]=""; IDLE[$p]=""
    CONF[$p]=$(config "$p" "$WORK/corpus.ndjson")
    EMPTY[$p]=$(config "$p" "$WORK/empty.ndjson")
done
for round in $(seq "$RUNS"); do
    # rotate the order so that no pipeline always runs first
    order=$(echo $PIPELINES | tr ' ' '\n' | awk -v r="$round" -v n="$n" \
            '{a[NR]=$0} END {for (i = 0; i < n; i++) print a[(i + r - 1) % n + 1]}')
    for p in $order; do
        read -r s c <<< "$(run "$p" "${CONF[$p]}")"
        SECS[$p]+="$s"$'\n'
        CPU[$p]+="$c"$'\n'
        read -r s c <<< "$(run "$p" "${EMPTY[$p]}")"
        IDLE[$p]+="$c"$'\n'
    done
    echo "round $round done ($order)" | tr '\n' ' ' >&2
    echo >&2
done

echo "corpus: $(echo "$BYTES / 1048576" | bc -l | xargs printf '%.1f') MiB, $LINES events;" \
     "$RUNS interleaved rounds, medians (spread lowest..highest); $(nproc) cores;" \
     "$("$FLB_BIN" --version | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "throughput: tail's start to end of file; CPU: user+sys of fluent-bit minus the same pipeline on an empty file"
printf '%-12s %8s %12s %8s %9s %10s %8s %9s %s\n' pipeline seconds spread MB/s records/s "thr/none" "CPU s" "CPU/none" "(CPU spread)"
base_mbs=""; base_cpu=""
for p in $PIPELINES; do
    secs=$(printf '%s' "${SECS[$p]}" | median)
    idle=$(printf '%s' "${IDLE[$p]}" | median)
    cpu=$(printf '%s' "${CPU[$p]}" | median)
    cpu=$(echo "$cpu - $idle" | bc -l)
    cspread=$(printf '%s' "${CPU[$p]}" | awk -v i="$idle" '{print $1 - i}' | spread)
    mbs=$(echo "$BYTES / 1000000 / $secs" | bc -l)
    rps=$(echo "$LINES / $secs" | bc -l)
    [ -z "$base_mbs" ] && base_mbs=$mbs && base_cpu=$cpu
    printf '%-12s %8.3f %12s %8.1f %9.0f %9.1f%% %8.3f %8.1f%% %s\n' "$p" "$secs" \
        "$(printf '%s' "${SECS[$p]}" | spread)" "$mbs" "$rps" \
        "$(echo "100 * $mbs / $base_mbs" | bc -l)" "$cpu" \
        "$(echo "100 * $cpu / $base_cpu" | bc -l)" "($cspread)"
done
# Paired: each round's figure over the same round's `none` (and, for
# kpaudit, over the Fluent Bit baseline doing the same kind of chunk
# handling with no work: copy for route_field, copy-tag for tag_prefix),
# then the median of the rounds' ratios, so that drift between rounds
# cancels out. paired P BASE prints two lines: CPU(P)/CPU(BASE) and
# throughput(P)/throughput(BASE), in %, CPU net of each empty-file median.
paired() {
    local ip ib
    ip=$(printf '%s' "${IDLE[$1]}" | median)
    ib=$(printf '%s' "${IDLE[$2]}" | median)
    paste <(printf '%s' "${CPU[$1]}") <(printf '%s' "${CPU[$2]}") |
        awk -v ip="$ip" -v ib="$ib" '{print 100 * ($1 - ip) / ($2 - ib)}' | median
    paste <(printf '%s' "${SECS[$1]}") <(printf '%s' "${SECS[$2]}") |
        awk '{print 100 * $2 / $1}' | median
}
echo "paired per round (median of the rounds' ratios):"
printf '  %-12s %9s %9s  %s
' pipeline "CPU/none" "thr/none" "CPU over the baseline with the same chunk handling"
for p in $PIPELINES; do
    [ "$p" = none ] && continue
    case $p in
    kpaudit) bases=copy ;;
    kpaudit-tag) bases="copy-tag copy-split" ;;
    *) bases="" ;;
    esac
    { read -r c; read -r t; } <<< "$(paired "$p" none)"
    over=""
    for base in $bases; do
        [[ " $PIPELINES " == *" $base "* ]] || continue
        over+=$(printf '%+.1f%% over %s  ' "$(echo "$(paired "$p" "$base" | head -1) - 100" | bc -l)" "$base")
    done
    printf '  %-12s %8.1f%% %8.1f%%  %s
' "$p" "$c" "$t" "$over"
done
echo "runs (seconds to end of file | CPU seconds, empty-file CPU):"
for p in $PIPELINES; do
    printf '  %-12s %s| %s| %s\n' "$p" "$(printf '%s' "${SECS[$p]}" | tr '\n' ' ')" \
        "$(printf '%s' "${CPU[$p]}" | tr '\n' ' ')" "$(printf '%s' "${IDLE[$p]}" | tr '\n' ' ')"
done

if [ -n "${PROFILE:-}" ]; then
    if ! command -v perf >/dev/null; then
        echo "PROFILE: perf is not installed"
        exit 0
    fi
    for p in $PIPELINES; do
        [ "$p" = none ] || [ "$p" = lua ] && continue
        echo "== perf profile: $p (self time by symbol, top 25)"
        # DWARF call graphs: libc's memcpy has no frame pointers, and what
        # calls it (chunkio growing a chunk) is the point for the copy-*
        # baselines.
        perf record -q -F 2000 --call-graph dwarf,16384 -o "$WORK/$p.perf" -- \
            "$FLB_BIN" -e "$(plugin_of "$p")" -e "$COPY_PLUGIN" -c "${CONF[$p]}" \
            > "$WORK/$p-perf.log" 2>&1 || { echo "perf record failed"; continue; }
        perf report -q -i "$WORK/$p.perf" --no-children --sort symbol --stdio -g none 2>/dev/null |
            grep -E '^ +[0-9]' | head -25 || true
        echo "-- by object:"
        perf report -q -i "$WORK/$p.perf" --no-children --sort dso --stdio -g none 2>/dev/null |
            grep -E '^ +[0-9]' | head -8 || true
        echo "-- under chunkio's chunk growth (cio_memfs_write, with what it calls):"
        perf report -q -i "$WORK/$p.perf" --children --sort symbol --stdio -g none 2>/dev/null |
            grep -E '\] (cio_memfs_write|__GI___libc_realloc|_int_realloc)' | head -3 || true
    done
fi

if [ -n "${INSTRUCTIONS:-}" ]; then
    if ! command -v valgrind >/dev/null; then
        echo "INSTRUCTIONS: valgrind is not installed"
        exit 0
    fi
    # Under valgrind /proc/self/exe is valgrind, not fluent-bit, so the
    # plugin's release check (kp_host_check.c) is skipped the way its own
    # probe child skips it; the plugin was built against this FLB_BUILD.
    # instructions NAME CONF OUT: the run's count; its profile goes to OUT
    instructions() {
        KPAUDIT_FLB_VERSION_PROBE=1 valgrind --tool=callgrind --callgrind-out-file="$3" \
            "$FLB_BIN" -e "$(plugin_of "$1")" -e "$COPY_PLUGIN" -c "$2" 2>&1 |
            sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p'
    }
    declare -A INS
    for p in $PIPELINES; do
        # INSTRUCTIONS_DIR keeps each corpus run's profile, for
        # callgrind_annotate DIR/PIPELINE.callgrind (by function)
        out=/dev/null
        if [ -n "${INSTRUCTIONS_DIR:-}" ]; then
            mkdir -p "$INSTRUCTIONS_DIR"
            out="$INSTRUCTIONS_DIR/$p.callgrind"
        fi
        INS[$p]=$(( $(instructions "$p" "${CONF[$p]}" "$out") - $(instructions "$p" "${EMPTY[$p]}" /dev/null) ))
    done
    echo "instructions (callgrind, user space, one run each, minus the empty-file run):"
    printf '  %-12s %14s %9s\n' pipeline instructions "of none"
    for p in $PIPELINES; do
        if [ -n "${INS[none]:-}" ]; then
            printf '  %-12s %14d %8.1f%%\n' "$p" "${INS[$p]}" \
                "$(echo "100 * ${INS[$p]} / ${INS[none]}" | bc -l)"
        else
            printf '  %-12s %14d %9s\n' "$p" "${INS[$p]}" -
        fi
    done
fi
