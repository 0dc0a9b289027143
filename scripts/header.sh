#!/usr/bin/env bash
# Regenerates include/kpaudit.h from src/ffi.
set -euo pipefail
cd "$(dirname "$0")/.."
cbindgen --quiet --config cbindgen.toml --crate kpaudit --output include/kpaudit.h
