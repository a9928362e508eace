#!/usr/bin/env bash
# Starts (default) or stops the local development database that scripts/run.sh uses.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PG_DATA="$(pg_data_dir pg-dev)"
case "${1:-start}" in
  start) pg_start "$PG_DATA" "${PRUUF_DEV_PG_PORT:-55432}"; echo "DATABASE_URL=$DATABASE_URL" ;;
  stop) pg_stop "$PG_DATA"; echo "stopped" ;;
  *) die "usage: scripts/dev-db.sh [start|stop]" ;;
esac
