#!/usr/bin/env bash
# Runs integration tests built with tokio's task dumps (a separate target dir,
# so the normal build is untouched): a step of the cancel test that never ends
# prints where every task of its runtime waits. Usage: scripts/taskdump.sh [filter]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
throwaway_services taskdump >/dev/null
export PRUUF_TEST_LOG=${PRUUF_TEST_LOG:-/tmp/pruuf-taskdump.log}
RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/taskdump \
  cargo test -p server --test it --features tokio/taskdump -- "$@"
