#!/usr/bin/env bash
# Starts (or stops) the PostgreSQL server the test suite runs against, installing it from
# Debian's packages when it is missing. `start` prints the shell line that exports its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$PWD/.pgdata"
PORT="${STATELINE_PG_PORT:-55432}"

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$dir" ] || { echo "PostgreSQL is not installed and cannot be installed here" >&2; exit 1; }
  echo "$dir"
}

# PostgreSQL refuses to run as root: as root, the server runs as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin
  bin=$(find_bin)
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA"
    as_owner "$bin/initdb" -D "$DATA" -U stateline --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
      -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  fi
  as_owner "$bin/psql" -h 127.0.0.1 -p "$PORT" -U stateline -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='stateline_test'" | grep -q 1 ||
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U stateline stateline_test
  echo "export STATELINE_TEST_POSTGRES_URL=postgresql+psycopg://stateline@127.0.0.1:$PORT/stateline_test"
}

stop() {
  local bin
  bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/postgres.sh start|stop" >&2; exit 2 ;;
esac
