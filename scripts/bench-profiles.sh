#!/usr/bin/env bash
# Benchmark (not a test): the server's `release` profile (Cargo's defaults: 16
# codegen units, thin local LTO) against `dist` (fat LTO, one codegen unit: what
# `release` was before), in one run on one machine. For each profile it prints the
# build time, the detector benchmark (BENCH_MEMBERS Members due at once, default
# 10000) and server throughput with wrk (BENCH_SECONDS per page, default 10) on
# two server-rendered pages, in two interleaved rounds so a noisy neighbour hits
# both profiles alike.
# Usage: bash scripts/bench-profiles.sh            (BENCH_PROFILES="release dist")
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_apt_packages
ensure_rust
ensure_npm_packages
command -v wrk >/dev/null || { note "installing wrk (Debian)"; as_root apt-get install -y -qq wrk >/dev/null; }

PROFILES=(${BENCH_PROFILES:-release dist})
MEMBERS=${BENCH_MEMBERS:-10000}
SECONDS_PER_PAGE=${BENCH_SECONDS:-10}
export CARGO_TARGET_DIR="$ROOT/target/native"
declare -A BUILD_SECS=() DETECT=() SEND=() RPS=()

for p in "${PROFILES[@]}"; do
  say "Building the server and the detector benchmark with --profile $p"
  start=$(date +%s)
  cargo build --locked --profile "$p" -p server --bin server --example bench_detector
  BUILD_SECS[$p]=$(( $(date +%s) - start ))
done

throwaway_services bench
[ -d target/site ] || mkdir -p target/site/pkg

server_rps() { # PROFILE PATH -> requests/s
  local p=$1 path=$2 port pid rps
  port="$(free_port)"
  DATABASE_URL="$DATABASE_URL" PRUUF_ENV=test PRUUF_PUBLIC_URL="http://127.0.0.1:$port" \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=error \
    PRUUF_IP_LIMIT_PER_HOUR=1000000 "$CARGO_TARGET_DIR/$p/server" >/dev/null 2>"$ROOT/target/bench-server.log" &
  pid=$!
  # Polls the server's own readiness (not a sleep standing in for it).
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  if ! curl -sf "http://127.0.0.1:$port/ready" >/dev/null; then
    echo "the $p server did not start:" >&2; tail -5 "$ROOT/target/bench-server.log" >&2
    kill "$pid" 2>/dev/null; exit 1
  fi
  rps=$(wrk -t2 -c16 -d"${SECONDS_PER_PAGE}s" "http://127.0.0.1:$port$path" | sed -n 's/^Requests\/sec: *//p')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "${rps:-0}"
}

for round in 1 2; do
  for p in "${PROFILES[@]}"; do
    say "Round $round, profile $p: detector benchmark ($MEMBERS Members)"
    # (Not `tee /dev/stderr`: with stderr sent to a file, opening /dev/stderr
    # again truncates that file.)
    out=$(BENCH_MEMBERS=$MEMBERS "$CARGO_TARGET_DIR/$p/examples/bench_detector")
    echo "$out" >&2
    DETECT[$p]+="$(echo "$out" | sed -n 's/.*deliveries written in \([0-9.]*\) s.*/\1/p') "
    SEND[$p]+="$(echo "$out" | sed -n 's/.*last alert handed over: *\([0-9.]*\) s.*/\1/p') "
    for path in / /login; do
      say "Round $round, profile $p: wrk on $path for ${SECONDS_PER_PAGE}s"
      r=$(server_rps "$p" "$path"); note "$r requests/s"
      RPS[$p$path]+="$r "
    done
  done
done

say "Server profiles side by side (two rounds each; seconds are wall clock)"
printf '    %-10s %10s %22s %22s %22s %22s\n' profile build "detector claims (s)" "mail handed over (s)" "GET / (req/s)" "GET /login (req/s)"
for p in "${PROFILES[@]}"; do
  printf '    %-10s %10s %22s %22s %22s %22s\n' "$p" "$(fmt_secs "${BUILD_SECS[$p]}")" "${DETECT[$p]}" "${SEND[$p]}" "${RPS[$p/]}" "${RPS[$p/login]}"
done
