#!/usr/bin/env bash
# Runs every test: installs what is missing, then formatting, clippy, the browser
# bundle's dependency check, unit and integration tests against a throwaway
# PostgreSQL and a local mail catcher, the release WASM, and the Playwright suite in
# Debian's Chromium against the served app. Exits non-zero on the first failure and
# ends, pass or fail, with a table of each step's wall time.
#
# Two lines of work run side by side on the machine's two cores: in the background
# the build tools (first run only) and then the release WASM the browser gets; in
# the foreground the checks and the Rust tests. The end-to-end suite runs the
# server binary that the integration tests already built (see README, "How long it
# takes"); PRUUF_E2E_RELEASE=1 builds and runs the release server instead.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
on_exit step_table

# cargo-leptos adds RUSTFLAGS to its builds; plain cargo gets its own target dir so
# neither rebuilds the other's dependencies.
NATIVE=(env CARGO_TARGET_DIR="$ROOT/target/native")
# A fresh clone (CI) gains nothing from incremental data: it only fills the disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
report_disk() { note "disk: $(df -h --output=avail "$ROOT" | tail -n1 | tr -d ' ') free; target/ $(du -sh "$ROOT/target" 2>/dev/null | cut -f1)"; }

step "System packages (PostgreSQL, Chromium, Node.js, OpenSSL headers)"
ensure_apt_packages
step "Rust toolchain pinned in rust-toolchain.toml"
ensure_rust
step "npm packages (Playwright, axe-core, maildev; wasm-opt)"
ensure_npm_packages
ensure_wasm_opt

release_frontend() {
  bg_part "build tools (installed once)" ensure_cargo_tools
  if [ -n "${PRUUF_E2E_RELEASE:-}" ]; then
    bg_part "cargo leptos build --release (WASM and server)" cargo leptos build --release --split --precompress
  else
    bg_part "cargo leptos build --release --frontend-only" cargo leptos build --release --split --precompress --frontend-only
  fi
}
FRONTEND_STEP="Build tools (first run only), then the release WASM"
bg_step "$FRONTEND_STEP" release_frontend

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings (server side, then the browser bundle for wasm32)"
"${NATIVE[@]}" cargo clippy --locked -p app -p server -p pruuf-test-support --all-targets -- -D warnings
"${NATIVE[@]}" cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

step "The browser bundle pulls no server crate"
server_only='^(tokio|sqlx|sqlx-core|axum|hyper|tower-http|leptos_axum|mio|socket2|lettre) '
if cargo tree --locked -p frontend --target wasm32-unknown-unknown -e normal --prefix none | grep -E "$server_only"; then
  die "the browser bundle depends on a server crate (listed above); gate it behind the ssr feature"
fi
note "none found"

step "Throwaway PostgreSQL and mail catcher for the tests"
throwaway_services test

step "Unit and integration tests (cargo test)"
export PRUUF_TEST_LOG="$ROOT/target/logs/integration-tests.log"
mkdir -p "$(dirname "$PRUUF_TEST_LOG")"
: > "$PRUUF_TEST_LOG"
run_tests_watched "${NATIVE[@]}" cargo test --locked -p app -p server -p pruuf-test-support
report_disk

step "No personal data in the integration tests' logs (SPEC §10)"
scan_logs_for_personal_data "$PRUUF_TEST_LOG"

bg_wait "$FRONTEND_STEP"
report_disk

step "The browser bundle's sizes, and the Member home's WASM budget"
bash "$ROOT/scripts/bundle-size.sh"

step "End-to-end tests (Playwright, Chromium, desktop and phone)"
if [ -n "${PRUUF_E2E_RELEASE:-}" ]; then
  export PRUUF_E2E_SERVER="$ROOT/target/release/server"
fi
# Otherwise e2e_run takes the server binary that `cargo test` built above (Cargo
# builds a package's binaries for its integration tests): the same source, with
# debug assertions on.
e2e_run
step_close ok

# The table is the last thing the EXIT hooks print before this; the runner's own
# summary is repeated after it so that a log's closing lines still carry it.
print_e2e_summary() {
  [ "${1:-1}" = 0 ] || return 0
  say "Playwright's summary (from ${E2E_LOG#"$ROOT"/})"
  grep -E '^\s+[0-9]+ (passed|failed|flaky|skipped|did not run)' "$E2E_LOG" || true
}
on_exit print_e2e_summary
