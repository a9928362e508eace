#!/usr/bin/env bash
# Benchmark (not a test): the check-in path under load. Starts a throwaway
# PostgreSQL (with pg_stat_statements), the fast SMTP sink and the release
# server; signs in BENCH_MEMBERS Members (default 30000) and one Contact per
# three (server/examples/bench_checkin_setup.rs: the rows a log-in makes), then
# drives the server with wrk (Debian's) and prints req/s, p50 and p99 for:
#   - first check-ins of the day, at 50 and then 200 connections (each Member
#     taps once; a line says if any thread ran out of Members and repeated),
#   - repeat taps (already checked in), at 50 and 200 connections,
#   - a Contact's home (three Members), at 50 and 200 connections,
# and, for the first check-ins at 50 connections, the statements PostgreSQL ran
# and the rows written per check-in (the server's own background loops run too:
# their statements show as small fractions).
#
# Usage: bash scripts/bench-checkin.sh [--before REF] [--seconds N]
#   --before REF  first runs the same benchmark on commit REF (a git worktree in
#                 target/bench-before with this setup copied in), then on this
#                 tree: a before and after, one run each, on one machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BEFORE=""
SECONDS_EACH=5
while [ $# -gt 0 ]; do
  case "$1" in
    --before) BEFORE="$2"; shift ;;
    --seconds) SECONDS_EACH="$2"; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
export BENCH_MEMBERS="${BENCH_MEMBERS:-30000}"
THREADS=2

ensure_apt_packages
ensure_rust
command -v wrk >/dev/null || { say "Installing wrk (Debian)"; as_root apt-get install -y -qq wrk >/dev/null; }

PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top" \
  throwaway_services bench-checkin
PG_PORT=$(sed -E 's#.*:([0-9]+)/.*#\1#' <<< "$DATABASE_URL")
"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d pruuf -qAt \
  -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
PSQL=("$PG_BIN/psql" "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1)
PSQL_SU=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d pruuf -qAt -v ON_ERROR_STOP=1)

OUT="$ROOT/target/bench"
mkdir -p "$OUT"

# wrk_run LABEL CONNECTIONS METHOD PATH COOKIES
wrk_run() {
  local label=$1 conns=$2 method=$3 path=$4 cookies=$5 line
  line=$(BENCH_COOKIES="$cookies" BENCH_THREADS=$THREADS BENCH_COOKIE_NAME=pruuf_session \
    BENCH_METHOD="$method" BENCH_PATH="$path" BENCH_ORIGIN="$BASE" \
    wrk -t"$THREADS" -c"$conns" -d"${SECONDS_EACH}s" --timeout 10s -s "$ROOT/scripts/bench/checkin.lua" "$BASE" \
    | grep '^RESULT') || die "wrk failed ($label)"
  printf '    %-34s %s\n' "$label, $conns connections:" "${line#RESULT }"
}

# bench_in DIR LABEL
bench_in() {
  local dir=$1 label=$2
  say "Check-in benchmark ($label)"
  (cd "$dir" && CARGO_TARGET_DIR="$ROOT/target/native" cargo build --locked -q --release \
      -p server --bin server --example bench_checkin_setup \
      && CARGO_TARGET_DIR="$ROOT/target/native" cargo build --locked -q --release -p pruuf-test-support --bin smtp-sink)
  local bin="$ROOT/target/native/release"
  BENCH_OUT="$OUT" "$bin/examples/bench_checkin_setup" | sed 's/^/    /'
  local half=$(( BENCH_MEMBERS / 2 ))
  head -n "$half" "$OUT/members.txt" > "$OUT/first-50.txt"
  tail -n +"$(( half + 1 ))" "$OUT/members.txt" > "$OUT/first-200.txt"

  local sink_port port
  sink_port=$(free_port)
  SMTP_SINK_ADDR="127.0.0.1:$sink_port" "$bin/smtp-sink" > "$OUT/sink.log" 2>&1 &
  local sink=$!
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  DATABASE_URL="$DATABASE_URL" PRUUF_ENV=test PRUUF_PUBLIC_URL="$BASE" \
    PRUUF_SMTP_URL="smtp://127.0.0.1:$sink_port" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
    LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_ENV=PROD RUST_LOG=error \
    PRUUF_IP_LIMIT_PER_HOUR=1000000 "$bin/server" > "$OUT/server.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 300); do curl -fs "$BASE/ready" >/dev/null && break; sleep 0.1; done
  curl -fs "$BASE/ready" >/dev/null || { tail -20 "$OUT/server.log"; die "the server did not start"; }

  "${PSQL_SU[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
  wrk_run "first check-ins" 50 POST /api/check_in "$OUT/first-50.txt"
  local firsts
  firsts=$("${PSQL[@]}" -c "SELECT count(*) FROM checkins")
  note "per first check-in ($firsts made): the statements PostgreSQL ran (calls and rows per check-in, >= 0.05 calls)"
  local stats="FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'pruuf')
      AND calls::numeric / $firsts >= 0.05"
  "${PSQL_SU[@]}" -F $'\t' -c "
    SELECT to_char(calls::numeric / $firsts, 'FM990.00'), to_char(rows::numeric / $firsts, 'FM990.00'),
           left(regexp_replace(query, '\s+', ' ', 'g'), 100)
    $stats ORDER BY calls DESC" | sed 's/^/      /'
  "${PSQL_SU[@]}" -c "
    SELECT '      total: ' || to_char(sum(calls)::numeric / $firsts, 'FM990.0') || ' statements and '
        || to_char(sum(rows) FILTER (WHERE query ~* '^\s*(insert|update|delete|with)')::numeric / $firsts, 'FM990.0')
        || ' rows written per check-in (background loops included)'
    $stats"

  wrk_run "first check-ins" 200 POST /api/check_in "$OUT/first-200.txt"
  wrk_run "repeat taps" 50 POST /api/check_in "$OUT/members.txt"
  wrk_run "repeat taps" 200 POST /api/check_in "$OUT/members.txt"
  wrk_run "Contact home (3 Members)" 50 GET /home "$OUT/contacts.txt"
  wrk_run "Contact home (3 Members)" 200 GET /home "$OUT/contacts.txt"
  kill "$server" "$sink" 2>/dev/null || true
  wait "$server" "$sink" 2>/dev/null || true
}

if [ -n "$BEFORE" ]; then
  before_dir="$ROOT/target/bench-before"
  git -C "$ROOT" worktree remove --force "$before_dir" 2>/dev/null || rm -rf "$before_dir"
  git -C "$ROOT" worktree add --detach "$before_dir" "$BEFORE" >/dev/null
  cp "$ROOT/server/examples/bench_checkin_setup.rs" "$before_dir/server/examples/"
  bench_in "$before_dir" "before: $(git -C "$ROOT" log --oneline -1 "$BEFORE" | cut -c1-60)"
  git -C "$ROOT" worktree remove --force "$before_dir"
  # One target directory for both trees: make this tree's sources the newer.
  find "$ROOT/app" "$ROOT/server" "$ROOT/test-support" -name '*.rs' -exec touch {} +
fi
bench_in "$ROOT" "this tree"
