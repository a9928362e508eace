#!/usr/bin/env bash
# Lighthouse (not part of the test command): scores the Member home and the
# Contact home with the npm `lighthouse` package in Debian's Chromium, against
# the release build served with a throwaway PostgreSQL and mail catcher. Prints
# the four category scores per page and fails if accessibility is below 100.
# Usage: bash scripts/lighthouse.sh   (builds the release first if needed)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_apt_packages
ensure_rust
ensure_cargo_tools
ensure_npm_packages

if [ ! -x target/release/server ] || ! bundle_built; then
  say "Release build (cargo leptos build --release --split --precompress)"
  cargo leptos build --release --split --precompress
fi

throwaway_services lighthouse

say "Lighthouse on the Member home and the Contact home"
export PRUUF_E2E_BASE_URL="http://127.0.0.1:$(free_port)"
export PRUUF_E2E_DATABASE_URL="$DATABASE_URL"
cd end2end
npx playwright test -c lighthouse.config.ts
