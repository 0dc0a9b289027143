# Sourced by build.sh, test.sh and bench.sh: where the repository, the cargo
# target directory and libkpaudit.a are, and how Go links the library. As
# go/test.sh does: with CARGO_TARGET_DIR set, the Go package takes the
# library from CGO_LDFLAGS (build tag kpaudit_link_env, go/link_env.go);
# otherwise from target/release in this checkout (go/link_default.go).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=$ROOT/target
GO_TAGS=""
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
  TARGET_DIR=$(cd "$ROOT" && mkdir -p "$CARGO_TARGET_DIR" && cd "$CARGO_TARGET_DIR" && pwd)
  GO_TAGS=kpaudit_link_env
  if [[ " ${CGO_LDFLAGS:-} " != *" $TARGET_DIR/release/libkpaudit.a "* ]]; then
    export CGO_LDFLAGS="$TARGET_DIR/release/libkpaudit.a${CGO_LDFLAGS:+ $CGO_LDFLAGS}"
  fi
fi
KPAUDIT_LIB=$TARGET_DIR/release/libkpaudit.a
export CGO_ENABLED=1

# Two cores: two build jobs keep the machine responsive.
if [[ " ${GOFLAGS:-} " != *" -p=2 "* ]]; then
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=2"
fi

# go_tags EXTRA: the -tags value for EXTRA plus the link tag, if any.
go_tags() {
  local tags=$1
  if [[ -n $GO_TAGS ]]; then tags=${tags:+$tags,}$GO_TAGS; fi
  echo "${tags:-none}"
}

# build_lib: libkpaudit.a, a no-op when it is up to date.
build_lib() {
  (cd "$ROOT" && cargo build --release --lib --quiet)
  test -f "$KPAUDIT_LIB" || { echo "$KPAUDIT_LIB was not built" >&2; return 1; }
}
