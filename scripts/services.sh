#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback, for the test suite and the benchmarks.
# Source it: `start_services` exports RELANCE_TEST_POSTGRES_URL and RELANCE_TEST_REDIS_URL,
# and `stop_services` (run from a trap) stops both servers and removes their files.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from apt" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ -x "$PG_BIN/postgres" ] || PG_BIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/postgres | tail -n 1)")"
  fi
}

start_services() {
  ensure_packages
  SERVICES_DIR="$(mktemp -d /tmp/relance-services.XXXXXX)"
  chmod 755 "$SERVICES_DIR"
  local pg_port redis_port run_as=()
  pg_port="$(free_port)"
  redis_port="$(free_port)"
  # PostgreSQL refuses to run as root.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    run_as=(runuser -u postgres --)
  fi
  mkdir -p "$SERVICES_DIR/pg"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$SERVICES_DIR"; fi
  "${run_as[@]}" "$PG_BIN/initdb" -D "$SERVICES_DIR/pg" -U relance --auth=trust -E UTF8 >/dev/null
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -l "$SERVICES_DIR/pg.log" -w \
    -o "-h 127.0.0.1 -p $pg_port -k $SERVICES_DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U relance relance_test
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export RELANCE_TEST_POSTGRES_URL="postgresql+asyncpg://relance@127.0.0.1:$pg_port/relance_test"
  export RELANCE_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export SERVICES_DIR
}

stop_services() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  local run_as=()
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$SERVICES_DIR"
}
