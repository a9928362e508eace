#!/usr/bin/env bash
# Fault script (not a test, not in CI): two Pruuf servers on one database alert
# CHAOS_MEMBERS Members (default 400, one Contact each) whose grace has just
# ended, through a slow SMTP relay (test-support's sink answering each mail after
# CHAOS_RELAY_MS, default 2000). Once the sink has taken some mails, server A is
# killed with `kill -9` in the middle of its sends. Server B must take over A's
# deliveries when their leases run out (60 s). Prints: misses claimed,
# deliveries, emails at the sink per recipient, duplicates (and how many say
# "(sent again)"), and lost; exits 1 if anything was lost.
# Usage: bash scripts/chaos-alerts.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_apt_packages
ensure_rust

MEMBERS=${CHAOS_MEMBERS:-400}
RELAY_MS=${CHAOS_RELAY_MS:-2000}
export CARGO_TARGET_DIR="$ROOT/target/native"
say "Building the server and the SMTP sink (debug)"
cargo build --locked -q -p server --bin server
cargo build --locked -q -p pruuf-test-support --bin smtp-sink

throwaway_services chaos
WORK="$(mktemp -d /tmp/pruuf-chaos.XXXXXX)"
PIDS=()
chaos_cleanup() { for p in "${PIDS[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done; rm -rf "$WORK"; }
on_exit chaos_cleanup
[ -d "$ROOT/target/site/pkg" ] || mkdir -p "$ROOT/target/site/pkg"

sink_port="$(free_port)"
SMTP_SINK_ADDR="127.0.0.1:$sink_port" SMTP_SINK_DELAY_MS="$RELAY_MS" \
  "$CARGO_TARGET_DIR/debug/smtp-sink" >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
export PRUUF_SMTP_URL="smtp://127.0.0.1:$sink_port"
note "slow relay: every mail answered after $RELAY_MS ms"

psql_q() { psql "$DATABASE_URL" -qtAX -c "$1"; }
start_server() { # NAME -> PID
  local port; port="$(free_port)"
  PRUUF_ENV=test PRUUF_PUBLIC_URL="http://127.0.0.1:$port" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
    LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn \
    "$CARGO_TARGET_DIR/debug/server" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  # The server's own readiness, polled (not a sleep standing in for it).
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { tail -5 "$WORK/$1.log" >&2; die "server $1 did not start"; }
  echo "$pid"
}

say "Loading $MEMBERS Members whose grace ended a minute ago"
(cd "$ROOT" && PRUUF_ENV=test "$CARGO_TARGET_DIR/debug/server" migrate >/dev/null 2>&1) || die "migrations failed"
psql_q "WITH k AS (
    INSERT INTO users (id, email, pin_hash, text_size, created_at)
    SELECT gen_random_uuid(), 'contact' || g || '@chaos.example', 'x', 'standard', now()
    FROM generate_series(1, $MEMBERS) g RETURNING id, email)
  , m AS (
    INSERT INTO users (id, email, pin_hash, text_size, created_at)
    SELECT gen_random_uuid(), 'member-of-' || k.email, 'x', 'standard', now() FROM k RETURNING id, email)
  , s AS (
    INSERT INTO schedules (member_id, deadline, time_zone, next_deadline, created_at, updated_at)
    SELECT id, '10:00', 'UTC', now() - interval '16 minutes', now(), now() FROM m RETURNING member_id)
  INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
  SELECT gen_random_uuid(), m.id, k.id, 'Mum', 'Tom', now()
  FROM m JOIN k ON m.email = 'member-of-' || k.email" >/dev/null

say "Two servers on one database; server A is killed with kill -9 mid-send"
cd "$ROOT"
a_pid="$(start_server a)"
b_pid="$(start_server b)"
note "server A: pid $a_pid; server B: pid $b_pid"
taken() { grep -c '^taken ' "$WORK/sink.log" || true; }
for _ in $(seq 1 600); do [ "$(taken)" -ge $((MEMBERS / 10)) ] && break; sleep 0.1; done
in_flight=$(psql_q "SELECT count(*) FROM deliveries WHERE status = 'sending'")
kill -9 "$a_pid"
note "killed A after $(taken) mails reached the relay, with $in_flight sends in flight"

say "Waiting for server B to finish (A's leases run out after 60 s)"
for _ in $(seq 1 1800); do
  left=$(psql_q "SELECT count(*) FROM deliveries WHERE status NOT IN ('sent', 'failed', 'canceled')")
  [ "$left" = 0 ] && break
  sleep 0.1
done
# The sink prints what it took every 100 ms: give it two beats to catch up.
sleep 0.3

misses=$(psql_q "SELECT count(*) FROM misses")
deliveries=$(psql_q "SELECT count(*) FROM deliveries")
sent=$(psql_q "SELECT count(*) FROM deliveries WHERE status = 'sent'")
unsent=$(psql_q "SELECT count(*) FROM deliveries WHERE status <> 'sent'")
grep '^taken ' "$WORK/sink.log" | awk '{print $3}' | sort | uniq -c | awk '{print $1}' | sort -n | uniq -c >"$WORK/per-recipient"
reached=$(grep '^taken ' "$WORK/sink.log" | awk '{print $3}' | sort -u | wc -l)
duplicates=$(grep '^taken ' "$WORK/sink.log" | awk '{print $3}' | sort | uniq -d | wc -l)
labelled=$(grep '^taken ' "$WORK/sink.log" | grep -c '(sent again)$' || true)
same_id=$(grep '^taken ' "$WORK/sink.log" | awk '{print $4}' | sort | uniq -d | wc -l)
lost=$((MEMBERS - reached + unsent))

say "Chaos result"
note "misses claimed:            $misses (of $MEMBERS Members)"
note "deliveries written:        $deliveries ($sent sent)"
note "emails at the sink:        $(taken)"
while read -r n mails; do note "  recipients with $mails mail(s): $n"; done <"$WORK/per-recipient"
note "duplicates:                $duplicates recipients ($labelled mails say \"(sent again)\", $same_id Message-IDs seen twice)"
note "lost:                      $lost"
[ "$lost" = 0 ] || die "alerts were lost"
