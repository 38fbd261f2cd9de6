#!/usr/bin/env bash
# Starts (or stops) the PostgreSQL server the test suite runs against, installing it from
# Debian's packages when it is missing. `start` prints the shell line that exports its URL.
set -euo pipefail
cd "$(dirname "$0")/.."

# The data folder lives outside the clone: as root the server runs as postgres, which cannot
# reach into a clone under a folder only root may read. It is named by a hash of the clone's
# real path and the caller's uid, so each clone (and each user) keeps its own server.
data_dir() {
  local base=/var/tmp key
  [ -d "$base" ] && [ -w "$base" ] || base="${TMPDIR:-/tmp}"
  key=$(printf '%s:%s' "$(pwd -P)" "$(id -u)" | sha256sum | cut -c 1-16)
  echo "$base/stateline-pg-$key"
}
DATA=$(data_dir)
# The port the server listens on, kept in its data folder: chosen at the first start, from the
# folder's name so that two clones rarely ask for the same one, and the next free one if it is
# taken (another clone's server, or anything else). STATELINE_PG_PORT chooses it instead.
PORT_FILE="$DATA/stateline-port"
# Where the data folder was before it moved out of the clone; its server is stopped on sight.
OLD_DATA="$PWD/.pgdata"

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

owner() {  # the user the server runs as
  if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# PostgreSQL refuses to run as root: as root, the server runs as the postgres user. Commands
# start in / because the caller's folder may be one the postgres user cannot read.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# The data folder sits in a folder everyone may write to, so one that someone else made first
# (or a link planted in its place) is refused rather than used.
make_data_dir() {
  if [ ! -e "$DATA" ] && [ ! -L "$DATA" ]; then
    as_owner mkdir -m 700 "$DATA"
  fi
  local found
  found=$(stat -c '%U %a %F' "$DATA")
  if [ -L "$DATA" ] || [ "$found" != "$(owner) 700 directory" ]; then
    echo "refusing to use $DATA: expected a directory owned by $(owner) with mode 700," \
      "found: $found" >&2
    exit 1
  fi
}

port_taken() {  # something listens on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

choose_port() {
  local port
  if [ -n "${STATELINE_PG_PORT:-}" ]; then
    echo "$STATELINE_PG_PORT"
    return
  fi
  if [ -f "$PORT_FILE" ]; then
    port=$(cat "$PORT_FILE")
  else
    port=$((55432 + 16#$(basename "$DATA" | tail -c 5) % 500))
  fi
  while port_taken "$port"; do
    port=$((port + 1))
  done
  echo "$port"
}

stop_old() {
  local bin=$1
  if [ -f "$OLD_DATA/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$OLD_DATA" -m fast stop >/dev/null 2>&1 || true
  fi
}

start() {
  local bin
  bin=$(find_bin)
  stop_old "$bin"
  make_data_dir
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$DATA" -U stateline --auth=trust -E UTF8 >/dev/null
  fi
  local PORT
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    # Running: on the port it was started on (a server started before ports were kept: 55432).
    PORT=$(cat "$PORT_FILE" 2>/dev/null || echo 55432)
  else
    PORT=$(choose_port)
    if ! as_owner "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
      -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
      as_owner tail -n 5 "$DATA/server.log" >&2 || true
      exit 1
    fi
    echo "$PORT" > "$PORT_FILE"
  fi
  as_owner "$bin/psql" -h 127.0.0.1 -p "$PORT" -U stateline -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='stateline_test'" | grep -q 1 ||
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U stateline stateline_test
  echo "export STATELINE_TEST_POSTGRES_URL=postgresql+psycopg://stateline@127.0.0.1:$PORT/stateline_test"
}

stop() {
  local bin
  bin=$(find_bin)
  stop_old "$bin"
  if [ -f "$DATA/PG_VERSION" ]; then
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/postgres.sh start|stop" >&2; exit 2 ;;
esac
