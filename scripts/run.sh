#!/usr/bin/env bash
# Runs Pruuf locally: installs what is missing, starts a local PostgreSQL (data kept
# in .data/), a mail catcher (http://127.0.0.1:1080) and a Twilio stand-in, applies the migrations,
# builds, and serves http://127.0.0.1:3000.
#   scripts/run.sh           release build, served by the server binary
#   scripts/run.sh --watch   `cargo leptos watch` (rebuilds on change) on the same database
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The server treats an unset PRUUF_ENV as production; this is local use.
export PRUUF_ENV="${PRUUF_ENV:-development}"

ensure_apt_packages
ensure_rust
ensure_cargo_tools
ensure_npm_packages

say "Local PostgreSQL (kept between runs)"
PG_DATA="$(pg_data_dir pg-dev)"
pg_start "$PG_DATA" "${PRUUF_DEV_PG_PORT:-55432}"
note "DATABASE_URL=$DATABASE_URL"
note "stop it with: scripts/dev-db.sh stop"

say "Local mail catcher (every mail the app sends lands here)"
maildev_start 1025 1080 "$ROOT/.data/mail"
note "read the mail at http://127.0.0.1:1080"

say "Local Twilio stand-in (every text and call the app makes lands here)"
start_fake_twilio "http://127.0.0.1:3000"
note "texts sent: $PRUUF_FAKE_TWILIO/__fake/messages"
note "reply as a phone: curl -X POST $PRUUF_FAKE_TWILIO/__fake/inbound -H 'content-type: application/json' -d '{\"from\":\"+14155552671\",\"body\":\"YES\"}'"
note "calls placed: $PRUUF_FAKE_TWILIO/__fake/calls (each with its sid and what Pruuf said)"
note "answer a call and press 1: curl -X POST $PRUUF_FAKE_TWILIO/__fake/calls/CA.../answer; curl -X POST $PRUUF_FAKE_TWILIO/__fake/calls/CA.../press -d '{\"digits\":\"1\"}'"
note "or let it go: .../no-answer, .../busy, .../machine (an answering machine), .../hang-up"

say "Local Stripe stand-in (Checkout and the Customer Portal with test cards)"
start_fake_stripe "http://127.0.0.1:3000"
note "pay with 4242 4242 4242 4242; 4000 0000 0000 0002 is declined"
note "move its time: curl -X POST $PRUUF_FAKE_STRIPE/__fake/subscriptions/SUB_ID/fail_renewal (or end_trial, renew, dispute)"

if [ "${1:-}" = "--watch" ]; then
  say "cargo leptos watch (Ctrl-C to stop)"
  exec cargo leptos watch
fi

say "Building the release (server + WASM)"
cargo leptos build --release --split --precompress

say "Applying the migrations"
target/release/server migrate

say "Serving Pruuf at http://127.0.0.1:3000 (Ctrl-C to stop)"
note "admin pages at /admin: sign up, then in another terminal:"
note "  DATABASE_URL=$DATABASE_URL PRUUF_ENV=development target/release/server admin grant YOUR@EMAIL"
export LEPTOS_ENV=PROD
exec target/release/server
