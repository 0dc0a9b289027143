#!/usr/bin/env bash
# The plugin's item classifier (kp_items.c) on its own, under AddressSanitizer
# and UndefinedBehaviorSanitizer: no Fluent Bit needed.
#
#   examples/fluent-bit/test_items.sh [iterations] [seed]
#
# CC picks the compiler (default cc). Exits non-zero on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/kp-items.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
"${CC:-cc}" -std=c99 -Wall -Wextra -Wpedantic -Werror -O1 -g \
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    "$HERE/kp_items.c" "$HERE/test_items.c" -o "$OUT/test_items"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$OUT/test_items" "${1:-20000}" "${2:-1}"
