# Shared by scripts/run.sh and scripts/test.sh: idempotent installs and a local
# PostgreSQL cluster. Every step says what it does; nothing downloads from outside
# the package registries (crates.io, npm, Debian) and rustup.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Everything a script must do on exit (stop services, print the step table) is
# registered here, so one EXIT trap runs it all, in order, even after a failure.
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$1"); }
run_exit_hooks() {
  local rc=$?
  local hook
  for hook in "${EXIT_HOOKS[@]}"; do "$hook" "$rc" || true; done
  exit "$rc"
}
trap run_exit_hooks EXIT

# Step timing. `step NAME` ends the step before it and starts NAME; `bg_step NAME
# CMD...` runs CMD in the background (its output in target/logs/), timed on its
# own; `bg_wait NAME` waits for it and fails if it failed. `step_table` prints each
# step's wall time; scripts register it with on_exit so a failing run prints it too.
STEP_NAMES=(); STEP_SECS=(); STEP_RESULT=()
CURRENT_STEP=""; CURRENT_STEP_START=0
RUN_START=$(date +%s)
declare -A BG_PID=() BG_START=() BG_LOG=()

step_close() {
  local result=${1:-ok}
  [ -n "$CURRENT_STEP" ] || return 0
  STEP_NAMES+=("$CURRENT_STEP"); STEP_SECS+=($(( $(date +%s) - CURRENT_STEP_START ))); STEP_RESULT+=("$result")
  CURRENT_STEP=""
}

step() {
  step_close ok
  CURRENT_STEP="$1"; CURRENT_STEP_START=$(date +%s)
  say "$1"
}

bg_step() {
  local name=$1; shift
  mkdir -p "$ROOT/target/logs"
  local log="$ROOT/target/logs/$(echo "$name" | tr -c 'A-Za-z0-9\n' '-' | tr -s '-').log"
  say "$name (in the background; output in ${log#"$ROOT"/})"
  BG_START[$name]=$(date +%s); BG_LOG[$name]=$log
  rm -f "$log.end" "$log.parts"
  ( set -euo pipefail; BG_PARTS="$log.parts"; "$@"; date +%s > "$log.end" ) > "$log" 2>&1 &
  BG_PID[$name]=$!
}

bg_wait() {
  local name=$1 rc=0
  step_close ok
  say "Waiting for: $name"
  wait "${BG_PID[$name]}" || rc=$?
  local end; end=$(cat "${BG_LOG[$name]}.end" 2>/dev/null || date +%s)
  STEP_NAMES+=("$name (background)"); STEP_SECS+=($(( end - BG_START[$name] )))
  unset "BG_PID[$name]"
  if [ "$rc" -ne 0 ]; then
    STEP_RESULT+=("FAILED")
    tail -n 80 "${BG_LOG[$name]}" >&2
    die "$name failed (the whole log: ${BG_LOG[$name]})"
  fi
  STEP_RESULT+=("ok")
  local part secs
  while IFS=$'\t' read -r part secs; do
    STEP_NAMES+=("  of which: $part"); STEP_SECS+=("$secs"); STEP_RESULT+=("ok")
  done < <(cat "${BG_LOG[$name]}.parts" 2>/dev/null)
  grep -E 'Installed|Replaced|already installed|Finished|installing|wasm-opt|error' "${BG_LOG[$name]}" | tail -n 12 | sed 's/^/    /' || true
}

# bg_part NAME CMD...: inside a background step, runs CMD and records its time as
# a line of that step in the table.
bg_part() {
  local name=$1 start; shift
  start=$(date +%s)
  "$@"
  printf '%s\t%s\n' "$name" $(( $(date +%s) - start )) >> "${BG_PARTS:-/dev/null}"
}

kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

# Stops background steps still running (a foreground step failed first).
bg_kill_all() {
  local name
  for name in "${!BG_PID[@]}"; do
    kill_tree "${BG_PID[$name]}"
    STEP_NAMES+=("$name (background)"); STEP_SECS+=($(( $(date +%s) - BG_START[$name] ))); STEP_RESULT+=("stopped")
  done
}

fmt_secs() { printf '%d:%02d' $(( $1 / 60 )) $(( $1 % 60 )); }

step_table() {
  local rc=${1:-0}
  step_close "$([ "$rc" = 0 ] && echo ok || echo FAILED)"
  bg_kill_all
  [ ${#STEP_NAMES[@]} -gt 0 ] || return 0
  say "Where the time went (wall clock, m:ss; background steps overlap the others)"
  local i
  for i in "${!STEP_NAMES[@]}"; do
    printf '    %-62s %7s  %s\n' "${STEP_NAMES[$i]}" "$(fmt_secs "${STEP_SECS[$i]}")" "${STEP_RESULT[$i]}"
  done
  printf '    %-62s %7s\n' "total" "$(fmt_secs $(( $(date +%s) - RUN_START )))"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

PG_BIN=""
find_pg_bin() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
}

ensure_apt_packages() {
  say "System packages (PostgreSQL, Chromium, Node.js, OpenSSL headers)"
  local missing=()
  find_pg_bin
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  command -v curl >/dev/null || missing+=(curl)
  command -v gcc >/dev/null || missing+=(build-essential)
  # OpenSSL headers: the test stand-in push service decrypts with the `ece` crate.
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  if [ ${#missing[@]} -eq 0 ]; then
    note "already installed"
  else
    note "installing: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    find_pg_bin
  fi
  [ -n "$PG_BIN" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
}

ensure_rust() {
  say "Rust toolchain pinned in rust-toolchain.toml (with the wasm32 target)"
  command -v rustup >/dev/null || die "rustup is needed (this machine's image has it)"
  local channel
  channel="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
  if rustup toolchain list | grep -q "^$channel" && rustup target list --installed --toolchain "$channel" | grep -q wasm32-unknown-unknown; then
    note "$channel already installed"
  else
    rustup toolchain install "$channel" --profile minimal -c rustfmt,clippy -t wasm32-unknown-unknown
  fi
}

# ensure_cargo_tool BINARY CRATE VERSION_OR_EMPTY LOCKED(yes|no) OPT_LEVEL [EXTRA_ARGS...]
#
# Build tools are compiled without their own costly release profiles: cargo's
# configuration (these CARGO_PROFILE_RELEASE_* variables) takes precedence over a
# manifest's [profile.release], so cargo-leptos's fat LTO with one codegen unit
# becomes no LTO with 16 units, and each tool gets the optimisation level its work
# needs (README, "How long it takes", has the measurements).
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3 locked=$4 opt=$5
  shift 5
  if command -v "$bin" >/dev/null && { [ -z "$version" ] || "$bin" --version 2>/dev/null | grep -q "$version"; }; then
    note "$crate ${version:-} already installed"
    return
  fi
  note "installing $crate ${version:-} from crates.io (a few minutes the first time)"
  local args=(install "$crate")
  [ -n "$version" ] && args+=(--version "$version")
  [ "$locked" = yes ] && args+=(--locked)
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
    CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_INCREMENTAL=false \
    cargo "${args[@]}" "$@"
}

# wasm-opt comes from the npm package `binaryen` (pinned in tools/package.json):
# Binaryen's own build of wasm-opt as WebAssembly, run by Node.js. Compiling
# binaryen's C++ through the `wasm-opt` crate took 9 min 41 s on a new machine.
# cargo-leptos finds wasm-opt (and wasm-bindgen) on PATH and, installed with the
# `no_downloads` feature, never tries to download either.
CARGO_LEPTOS_VERSION=0.3.11
TOOLS_BIN="$ROOT/tools/node_modules/.bin"
export PATH="$TOOLS_BIN:$PATH"

ensure_wasm_opt() {
  if [ -x "$TOOLS_BIN/wasm-opt" ] && [ tools/node_modules/.package-lock.json -nt tools/package-lock.json ]; then
    note "wasm-opt $("$TOOLS_BIN/wasm-opt" --version | sed 's/^wasm-opt //') already installed (npm binaryen)"
  else
    note "installing wasm-opt (npm package binaryen, pinned in tools/package-lock.json)"
    (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_cargo_tools() {
  say "Build tools: cargo-leptos, wasm-bindgen-cli (same version as Cargo.lock), wasm-opt (npm binaryen)"
  local wb_version
  wb_version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
  [ -n "$wb_version" ] || die "wasm-bindgen not found in Cargo.lock"
  ensure_wasm_opt
  # cargo-leptos only starts other programs and reads a few small files (one CSS
  # file, 30 kB of JS to minify): unoptimised, it is no slower to use, and far
  # quicker to compile (its ~600 crates include the swc JS compiler).
  ensure_cargo_tool cargo-leptos cargo-leptos "$CARGO_LEPTOS_VERSION" yes 0 --features no_downloads
  # wasm-bindgen rewrites the whole WASM on every build: kept optimised.
  # Without --locked: one locked dependency of wasm-bindgen-cli is missing from the registry mirror.
  ensure_cargo_tool wasm-bindgen wasm-bindgen-cli "$wb_version" no 3
}

ensure_npm_packages() {
  say "End-to-end test packages (Playwright with Debian's Chromium, axe-core)"
  if [ -d end2end/node_modules/@playwright/test ] && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
    note "already installed"
  else
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Runs a PostgreSQL command as the cluster's owner (PostgreSQL refuses to run as root).
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DATA_DIR PORT: creates the cluster if needed, starts it on 127.0.0.1:PORT
# with its socket inside DATA_DIR, and makes the role and database `pruuf`.
pg_start() {
  local data=$1 port=$2
  find_pg_bin
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data"; chmod 700 "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    note "creating a PostgreSQL cluster in $data"
    pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_as_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    note "PostgreSQL already running in $data"
  else
    note "starting PostgreSQL on 127.0.0.1:$port"
    pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
      -o "-p $port -h 127.0.0.1 -k $data -c fsync=off ${PG_EXTRA_OPTS:-}" start >/dev/null \
      || { tail -n 20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  local psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='pruuf'")" != 1 ]; then
    "${psql[@]}" -d postgres -c "CREATE ROLE pruuf LOGIN CREATEDB"
  fi
  if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='pruuf'")" != 1 ]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE pruuf OWNER pruuf"
  fi
  export DATABASE_URL="postgres://pruuf@127.0.0.1:$port/pruuf"
}

pg_stop() {
  local data=$1
  find_pg_bin
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# A directory the postgres user can reach: the repo's .data/ when it can, else /var/tmp.
pg_data_dir() {
  local wanted="$ROOT/.data/$1"
  mkdir -p "$ROOT/.data"
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$ROOT/.data"; then
    echo "$wanted"
  else
    echo "/var/tmp/pruuf-$(echo "$ROOT" | md5sum | cut -c1-8)-$1"
  fi
}

# maildev_start SMTP_PORT WEB_PORT DIR: the local mail catcher (npm package maildev,
# installed in end2end/node_modules), bound to 127.0.0.1 only. Sets MAILDEV_PID and
# exports PRUUF_SMTP_URL and PRUUF_TEST_MAIL_API.
maildev_start() {
  local smtp=$1 web=$2 dir=$3
  mkdir -p "$dir"
  export PRUUF_SMTP_URL="smtp://127.0.0.1:$smtp"
  export PRUUF_TEST_MAIL_API="127.0.0.1:$web"
  if curl -sf "http://127.0.0.1:$web/api/email" >/dev/null 2>&1; then
    note "mail catcher already running at http://127.0.0.1:$web"
    MAILDEV_PID=""
    return
  fi
  "$ROOT/end2end/node_modules/.bin/maildev" --smtp "$smtp" --ip 127.0.0.1 \
    --web "$web" --web-ip 127.0.0.1 --mail-directory "$dir" >"$dir/maildev.log" 2>&1 &
  MAILDEV_PID=$!
  local i
  for i in $(seq 1 60); do
    curl -sf "http://127.0.0.1:$web/api/email" >/dev/null 2>&1 && { note "mail catcher at http://127.0.0.1:$web (SMTP $smtp)"; return; }
    kill -0 "$MAILDEV_PID" 2>/dev/null || break
    sleep 0.5
  done
  cat "$dir/maildev.log" >&2
  die "the mail catcher (maildev) did not start"
}

# throwaway_services NAME: a PostgreSQL cluster in a temp dir on a free port and a
# mail catcher on free ports, both removed when the script exits. Exports
# DATABASE_URL, PRUUF_SMTP_URL and PRUUF_TEST_MAIL_API.
throwaway_services() {
  local name=$1
  PG_DATA="$(mktemp -d "/tmp/pruuf-$name-pg.XXXXXX")"
  MAIL_DIR="$(mktemp -d "/tmp/pruuf-$name-mail.XXXXXX")"
  MAILDEV_PID=""
  on_exit throwaway_cleanup
  pg_start "$PG_DATA" "$(free_port)"
  note "DATABASE_URL=$DATABASE_URL"
  maildev_start "$(free_port)" "$(free_port)" "$MAIL_DIR"
}

# start_fake_twilio APP_URL: builds and starts the Twilio stand-in (test-support)
# on a free port, posting webhooks to APP_URL; exports the PRUUF_TWILIO_* variables
# that point Pruuf at it, and PRUUF_FAKE_TWILIO (its base URL). Stopped on exit.
start_fake_twilio() {
  local app_url=$1
  env CARGO_TARGET_DIR="$ROOT/target/native" cargo build --locked -q -p pruuf-test-support --bin fake-twilio
  local port; port="$(free_port)"
  FAKE_TWILIO_ADDR="127.0.0.1:$port" FAKE_TWILIO_APP_URL="$app_url" \
    "$ROOT/target/native/debug/fake-twilio" > "$ROOT/target/fake-twilio.log" 2>&1 &
  FAKE_TWILIO_PID=$!
  while IFS='=' read -r key value; do
    case "$key" in PRUUF_TWILIO_*) export "$key=$value" ;; esac
  done < <(for _ in $(seq 1 100); do grep -q "texts it took" "$ROOT/target/fake-twilio.log" 2>/dev/null && break; sleep 0.1; done; cat "$ROOT/target/fake-twilio.log")
  [ -n "${PRUUF_TWILIO_API_URL:-}" ] || die "the Twilio stand-in did not start (see target/fake-twilio.log)"
  export PRUUF_FAKE_TWILIO="$PRUUF_TWILIO_API_URL"
  note "Twilio stand-in at $PRUUF_FAKE_TWILIO"
}

# start_fake_push: builds and starts the push-service stand-in (test-support) on
# a free port; exports PRUUF_FAKE_PUSH (its controls' base URL: the end-to-end
# tests take subscriptions from it and read back what Pruuf pushed). Stopped on exit.
start_fake_push() {
  env CARGO_TARGET_DIR="$ROOT/target/native" cargo build --locked -q -p pruuf-test-support --bin fake-push
  local port; port="$(free_port)"
  FAKE_PUSH_ADDR="127.0.0.1:$port" "$ROOT/target/native/debug/fake-push" > "$ROOT/target/fake-push.log" 2>&1 &
  FAKE_PUSH_PID=$!
  for _ in $(seq 1 100); do grep -q "push stand-in ready" "$ROOT/target/fake-push.log" 2>/dev/null && break; sleep 0.1; done
  PRUUF_FAKE_PUSH="$(sed -n 's/^PRUUF_FAKE_PUSH=//p' "$ROOT/target/fake-push.log")"
  [ -n "$PRUUF_FAKE_PUSH" ] || die "the push stand-in did not start (see target/fake-push.log)"
  export PRUUF_FAKE_PUSH
  note "push stand-in at $PRUUF_FAKE_PUSH"
}

# start_fake_stripe APP_URL: builds and starts the Stripe stand-in (test-support)
# on a free port, posting signed webhooks to APP_URL/webhooks/stripe; exports the
# PRUUF_STRIPE_* variables that point Pruuf at it, and PRUUF_FAKE_STRIPE (its base
# URL, for its /__fake/ controls). Stopped on exit.
start_fake_stripe() {
  local app_url=$1
  env CARGO_TARGET_DIR="$ROOT/target/native" cargo build --locked -q -p pruuf-test-support --bin fake-stripe
  local port; port="$(free_port)"
  FAKE_STRIPE_ADDR="127.0.0.1:$port" FAKE_STRIPE_WEBHOOK_URL="$app_url/webhooks/stripe" \
    "$ROOT/target/native/debug/fake-stripe" > "$ROOT/target/fake-stripe.log" 2>&1 &
  FAKE_STRIPE_PID=$!
  while IFS='=' read -r key value; do
    case "$key" in PRUUF_STRIPE_*) export "$key=$value" ;; esac
  done < <(for _ in $(seq 1 100); do grep -q "stripe stand-in ready" "$ROOT/target/fake-stripe.log" 2>/dev/null && break; sleep 0.1; done; cat "$ROOT/target/fake-stripe.log")
  [ -n "${PRUUF_STRIPE_API_URL:-}" ] || die "the Stripe stand-in did not start (see target/fake-stripe.log)"
  export PRUUF_FAKE_STRIPE="${PRUUF_STRIPE_API_URL%/}"
  note "Stripe stand-in at $PRUUF_FAKE_STRIPE"
}

throwaway_cleanup() {
  [ -n "${FAKE_STRIPE_PID:-}" ] && kill "$FAKE_STRIPE_PID" 2>/dev/null || true
  [ -n "${FAKE_TWILIO_PID:-}" ] && kill "$FAKE_TWILIO_PID" 2>/dev/null || true
  [ -n "${FAKE_PUSH_PID:-}" ] && kill "$FAKE_PUSH_PID" 2>/dev/null || true
  [ -n "${MAILDEV_PID:-}" ] && kill "$MAILDEV_PID" 2>/dev/null || true
  pg_stop "$PG_DATA"
  rm -rf "$PG_DATA" "$MAIL_DIR"
}

# bundle_built: whether target/site holds a browser bundle (its WASM is named
# after its content: pruuf.<hash>.wasm).
bundle_built() { compgen -G "$ROOT/target/site/pkg/pruuf*.wasm" >/dev/null; }

# e2e_run [PLAYWRIGHT ARGS...]: the Playwright suite against the site in
# target/site and the server binary PRUUF_E2E_SERVER (default: the one the
# integration tests build, target/native/debug/server), with the Twilio and Stripe
# stand-ins on free ports. Needs DATABASE_URL and the mail catcher (throwaway_services).
# Its output is kept in target/logs/playwright.log.
E2E_LOG="$ROOT/target/logs/playwright.log"
e2e_run() {
  export PRUUF_E2E_SERVER="${PRUUF_E2E_SERVER:-$ROOT/target/native/debug/server}"
  [ -x "$PRUUF_E2E_SERVER" ] || die "no server binary at $PRUUF_E2E_SERVER (bash scripts/test.sh builds it; or cargo test --no-run -p app -p server -p pruuf-test-support with CARGO_TARGET_DIR=target/native)"
  bundle_built || die "no browser bundle in target/site (cargo leptos build --release --split --precompress --frontend-only)"
  note "server: ${PRUUF_E2E_SERVER#"$ROOT"/}; site: target/site"
  local port; port="$(free_port)"
  export PRUUF_E2E_BASE_URL="http://127.0.0.1:$port"
  export PRUUF_E2E_DATABASE_URL="$DATABASE_URL"
  start_fake_twilio "$PRUUF_E2E_BASE_URL"
  start_fake_stripe "$PRUUF_E2E_BASE_URL"
  start_fake_push
  mkdir -p "$(dirname "$E2E_LOG")"
  (cd "$ROOT/end2end" && npx playwright test "$@") 2>&1 | tee "$E2E_LOG"
}

# scan_logs_for_personal_data FILE: fails if FILE (the integration tests' logs) is
# empty, or names any address or phone number the tests use (every test address is
# @example.com; numbers are E.164). Masked numbers (+1•••2671) do not match.
scan_logs_for_personal_data() {
  local file="$1" lines found
  lines=$(wc -l < "$file")
  [ "$lines" -gt 0 ] || die "no logs were captured in ${file#"$ROOT"/}: the scan would prove nothing"
  found=$(grep -Eo '[A-Za-z0-9._%+-]+@example\.(com|org)|\+[0-9]{10,15}' "$file" | sort -u | head -20 || true)
  if [ -n "$found" ]; then
    printf '%s\n' "$found" >&2
    die "personal data in the logs (${file#"$ROOT"/}): the lines above"
  fi
  note "$lines log lines scanned: no address or phone number"
}

# Kills a process and everything it started.
kill_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill -9 "$1" 2>/dev/null || true
}

# Runs a `cargo test` command so that one hung test cannot eat the run's time
# limit: when a test has been running for PRUUF_HANG_AFTER seconds (default 300;
# the test harness names it after 60), every thread of the test binaries is
# printed (gdb, when installed) so the hang can be mended, then the tests are
# stopped and the step fails naming the test.
run_tests_watched() {
  local out="$ROOT/target/logs/cargo-test-output.log"
  local limit=${PRUUF_HANG_AFTER:-300}
  mkdir -p "$(dirname "$out")"
  : > "$out"
  "$@" > "$out" 2>&1 &
  local runner=$!
  tail -n +1 -f --pid="$runner" "$out" &
  local shower=$!
  local slow="" since=0
  while kill -0 "$runner" 2>/dev/null; do
    sleep 5
    local named
    named=$(grep -o 'test [^ ]* has been running for over 60 seconds' "$out" | tail -1 | awk '{print $2}' || true)
    if [ -n "$named" ] && ! grep -q "^test $named \.\.\. " "$out"; then
      if [ "$named" != "$slow" ]; then slow=$named; since=$(( $(date +%s) - 60 )); fi
      if [ $(( $(date +%s) - since )) -ge "$limit" ]; then
        printf '\n\033[31m%s has run for %s s: it is stuck.\033[0m Every thread of the test binaries:\n' "$slow" "$limit"
        local pid
        for pid in $(pgrep -f "$ROOT/target/native/debug/deps/" || true); do
          if command -v gdb >/dev/null; then
            timeout 60 gdb -p "$pid" -batch -ex 'thread apply all bt' 2>/dev/null | grep -E '^(Thread|#)' | head -400 || true
          else
            note "(gdb is not installed: no stacks for process $pid)"
          fi
          kill -9 "$pid" 2>/dev/null || true
        done
        kill_tree "$runner"
        wait "$runner" 2>/dev/null || true
        wait "$shower" 2>/dev/null || true
        die "the test $slow hung (stacks above); stopped after $limit s"
      fi
    fi
  done
  local rc=0
  wait "$runner" || rc=$?
  wait "$shower" 2>/dev/null || true
  [ "$rc" = 0 ] || die "cargo test failed (exit $rc)"
}
