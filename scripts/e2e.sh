#!/usr/bin/env bash
# Runs only the Playwright suite, against what is already built: the browser bundle
# in target/site and the server binary target/native/debug/server (both made by
# scripts/test.sh; PRUUF_E2E_SERVER=target/release/server after scripts/run.sh's
# build). Starts a throwaway PostgreSQL, the mail catcher and the Twilio and Stripe
# stand-ins, and passes its arguments to Playwright:
#   bash scripts/e2e.sh tests/billing.spec.ts --project=phone
#   bash scripts/e2e.sh -g 'signs up'
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_npm_packages
say "Throwaway PostgreSQL and mail catcher"
throwaway_services e2e
say "End-to-end tests (Playwright): ${*:-the whole suite}"
e2e_run "$@"
