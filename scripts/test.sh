#!/usr/bin/env bash
# Runs every test: installs what is missing, then formatting, clippy, the browser
# bundle's dependency check, unit and integration tests against a throwaway
# PostgreSQL and a local mail catcher, the release build, and the Playwright suite in Debian's Chromium
# against the served app. Exits non-zero on the first failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_apt_packages
ensure_rust
ensure_cargo_tools
ensure_npm_packages

# cargo-leptos adds RUSTFLAGS to its builds; plain cargo gets its own target dir so
# neither rebuilds the other's dependencies.
NATIVE=(env CARGO_TARGET_DIR="$ROOT/target/native")
# A fresh clone (CI) gains nothing from incremental data: it only fills the disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
report_disk() { note "disk: $(df -h --output=avail "$ROOT" | tail -n1 | tr -d ' ') free; target/ $(du -sh "$ROOT/target" 2>/dev/null | cut -f1)"; }

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy -D warnings (server side, then the browser bundle for wasm32)"
"${NATIVE[@]}" cargo clippy --locked -p app -p server -p pruuf-test-support --all-targets -- -D warnings
"${NATIVE[@]}" cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

say "The browser bundle pulls no server crate"
server_only='^(tokio|sqlx|sqlx-core|axum|hyper|tower-http|leptos_axum|mio|socket2|lettre) '
if cargo tree --locked -p frontend --target wasm32-unknown-unknown -e normal --prefix none | grep -E "$server_only"; then
  die "the browser bundle depends on a server crate (listed above); gate it behind the ssr feature"
fi
note "none found"

say "Throwaway PostgreSQL and mail catcher for the tests"
throwaway_services test

say "Unit and integration tests (cargo test)"
"${NATIVE[@]}" cargo test --locked -p app -p server -p pruuf-test-support

report_disk

say "Release build (cargo leptos build --release)"
cargo leptos build --release

report_disk

say "End-to-end tests (Playwright, Chromium, desktop and phone)"
E2E_PORT="$(free_port)"
export PRUUF_E2E_BASE_URL="http://127.0.0.1:$E2E_PORT"
export PRUUF_E2E_DATABASE_URL="$DATABASE_URL"
start_fake_twilio "$PRUUF_E2E_BASE_URL"
start_fake_stripe "$PRUUF_E2E_BASE_URL"
cd end2end
npx playwright test
