#!/usr/bin/env bash
# Benchmark (not a test): what one production process does when BENCH_MEMBERS
# Members (default "10000,100000", comma-separated sizes) pass their grace in the
# same minute: the detector claims the misses and the email worker hands every
# alert to a fast local SMTP sink (test-support's, so the relay is not what is
# measured). Prints, per size, the time to the first alert handed over and to the
# last. Each size runs twice (BENCH_TWO_WINDOWS, default "0,4"): everyone with
# one check-in a day, then a quarter with two (issue 22: the detector's cost must
# not grow with windows). Starts a throwaway PostgreSQL and cleans up.
#
# Usage: bash scripts/bench-detector.sh [--debug] [--before REF]
#   --before REF  first runs the same benchmark against commit REF (a git worktree
#                 in target/bench-before, with this benchmark copied in), then this
#                 tree: a before and after in one run on one machine. The old
#                 engine sends one mail at a time (10,000 took 448 s), so its sizes
#                 are BENCH_BEFORE_MEMBERS (default 10000).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROFILE=(--release)
BEFORE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) PROFILE=() ;;
    --before) BEFORE="$2"; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

ensure_apt_packages
ensure_rust

throwaway_services bench
export BENCH_MEMBERS="${BENCH_MEMBERS:-10000,100000}"
export BENCH_TWO_WINDOWS="${BENCH_TWO_WINDOWS:-0,4}"

# bench_in DIR LABEL: builds and runs the benchmark in the tree at DIR.
bench_in() {
  say "Detector and email worker benchmark ($2): ${BENCH_MEMBERS} Members, two check-ins for every Nth of ${BENCH_TWO_WINDOWS}"
  note "release build, one process's detector and email worker, the fast SMTP sink"
  (cd "$1" && CARGO_TARGET_DIR="$ROOT/target/native" cargo run --locked -q "${PROFILE[@]}" \
      -p server --example bench_detector)
}

if [ -n "$BEFORE" ]; then
  before_dir="$ROOT/target/bench-before"
  git -C "$ROOT" worktree remove --force "$before_dir" 2>/dev/null || rm -rf "$before_dir"
  git -C "$ROOT" worktree add --detach "$before_dir" "$BEFORE" >/dev/null
  # The same benchmark and sink on the old engine: REF's own copy of the benchmark
  # when it has one (the same scenario, written against REF's API), else this one.
  [ -f "$before_dir/server/examples/bench_detector.rs" ] \
    || cp "$ROOT/server/examples/bench_detector.rs" "$before_dir/server/examples/"
  cp "$ROOT/test-support/src/smtp.rs" "$before_dir/test-support/src/"
  grep -q '^pub mod smtp;' "$before_dir/test-support/src/lib.rs" \
    || sed -i 's/^pub mod proxy;/pub mod proxy;\npub mod smtp;/' "$before_dir/test-support/src/lib.rs"
  BENCH_MEMBERS="${BENCH_BEFORE_MEMBERS:-10000}" \
    bench_in "$before_dir" "before: $(git -C "$ROOT" log --oneline -1 "$BEFORE" | cut -c1-60)"
  git -C "$ROOT" worktree remove --force "$before_dir"
  # Both trees build into one target directory, and Cargo tells a path crate's
  # builds apart by the sources' times, not their place: make this tree's the
  # newer, or Cargo would take the before tree's build as this one's.
  find "$ROOT/app" "$ROOT/server" "$ROOT/test-support" -name '*.rs' -exec touch {} +
fi
bench_in "$ROOT" "this tree"
