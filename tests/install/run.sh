#!/usr/bin/env bash
# The installed library as a C user gets it: `make install` into a
# temporary prefix, then the README's C program built with nothing but
# pkg-config (shared, then static with --static), and the README's in-tree
# link lines as written. The program is taken from README.md itself, so the
# README's snippet is what is compiled, with the project's strict flags.
#   bash tests/install/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CC=${CC:-cc}
STRICT=(-std=c99 -Wall -Wextra -Wpedantic -Werror -Wconversion)
TARGET=${CARGO_TARGET_DIR:-target}
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The first ```c block of README.md is the C example.
awk '/^```c$/ {on = 1; next} on && /^```$/ {exit} on {print}' README.md > "$TMP/first.c"
grep -q 'int main' "$TMP/first.c" || fail "README.md's first C block is not a whole program"

EVENT='{"action":"kms.secrets.create","reason":{"reasonCode":401},"requestData":{"payload":"S3CRET"},"logSourceCRN":"crn:v1:bluemix:public:kms:eu-de:a/1:2::"}'
check_run() { # binary
    local got
    got=$(printf '%s\n' "$EVENT" | "$1") || fail "$1 failed"
    [[ $got == "route eu-de, severity critical"* ]] || fail "$1 printed: $got"
    [[ $got != *S3CRET* ]] || fail "$1 printed key material"
    printf '%s\n' "not json" | "$1" 2>"$TMP/err" && fail "$1 accepted 'not json'"
    grep -q 'rejected: invalid event: invalid literal at byte 0' "$TMP/err" || fail "$1: $(cat "$TMP/err")"
}

echo "== make install (shared and static) into a temporary prefix"
make -s install PREFIX="$TMP/prefix" >/dev/null
readelf -d "$TMP/prefix/lib/libkpaudit.so" | grep -q 'SONAME.*libkpaudit.so.1\]' || fail "no SONAME libkpaudit.so.1"
ls "$TMP/prefix/lib"
export PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig"
echo "pkg-config: $(pkg-config --modversion kpaudit), $(pkg-config --cflags --libs kpaudit)"

echo "== shared: cc first.c \$(pkg-config --cflags --libs kpaudit)"
# shellcheck disable=SC2046
"$CC" "${STRICT[@]}" "$TMP/first.c" $(pkg-config --cflags --libs kpaudit) \
    -Wl,-rpath,"$(pkg-config --variable=libdir kpaudit)" -o "$TMP/first-shared"
ldd "$TMP/first-shared" | grep -q "libkpaudit.so.1 => $TMP/prefix/lib/libkpaudit.so.1" \
    || fail "not linked against the installed libkpaudit.so.1: $(ldd "$TMP/first-shared")"
check_run "$TMP/first-shared"
echo "    runs against $TMP/prefix/lib/libkpaudit.so.1"

echo "== static: cc first.c \$(pkg-config --static --cflags --libs kpaudit), static library installed alone"
make -s install PREFIX="$TMP/static" LIBS=static >/dev/null
export PKG_CONFIG_PATH="$TMP/static/lib/pkgconfig"
# shellcheck disable=SC2046
"$CC" "${STRICT[@]}" "$TMP/first.c" $(pkg-config --static --cflags --libs kpaudit) -o "$TMP/first-static"
! ldd "$TMP/first-static" | grep -q libkpaudit || fail "the static build needs a shared libkpaudit"
check_run "$TMP/first-static"
echo "    runs with libkpaudit linked in"

echo "== in-tree link lines of README.md (after make)"
tdir=$(cd "$TARGET" && pwd)
"$CC" "${STRICT[@]}" -Iinclude "$TMP/first.c" "$TARGET/release/libkpaudit.a" -lpthread -ldl -lm -o "$TMP/first-a"
check_run "$TMP/first-a"
"$CC" "${STRICT[@]}" -Iinclude "$TMP/first.c" -L"$TARGET/release" -lkpaudit \
    -Wl,-rpath,"$tdir/release" -o "$TMP/first-so"
check_run "$TMP/first-so"
echo "    both run"
echo "install tests passed"
