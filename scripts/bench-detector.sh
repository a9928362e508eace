#!/usr/bin/env bash
# Benchmark (not a test): how long the missed-check-in detector and the delivery
# workers take for BENCH_MEMBERS Members (default 100000) due in the same minute.
# Starts a throwaway PostgreSQL and the local mail catcher, runs
# server/examples/bench_detector.rs, prints the figures, and cleans up.
# Usage: bash scripts/bench-detector.sh [--debug]   (BENCH_MEMBERS=10000 for a quick run)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_apt_packages
ensure_rust
ensure_npm_packages

PROFILE=(--release)
[ "${1:-}" = "--debug" ] && PROFILE=()

throwaway_services bench

say "Detector benchmark: ${BENCH_MEMBERS:-100000} Members due in the same minute"
CARGO_TARGET_DIR="$ROOT/target/native" cargo run --locked "${PROFILE[@]}" -p server --example bench_detector
