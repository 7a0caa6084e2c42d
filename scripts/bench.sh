#!/usr/bin/env bash
# Installs everything (and wrk), starts PostgreSQL on loopback when the run includes it,
# runs the benchmark (bench/README.md) and prints its table, then the webhook claims' table
# (`python -m bench.webhook_claims`); arguments go to `python -m bench`.
# BENCH_CONTACTS (default 1000000) and BENCH_DATABASES (default sqlite,postgresql) choose
# the run. BENCH_PYTHON runs it with that interpreter as it is, without installing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_PYTHON:-}" ]; then
  python="$BENCH_PYTHON"
else
  scripts/install.sh test,bench
  python=.venv/bin/python
fi
source scripts/services.sh
if ! command -v wrk >/dev/null; then
  echo "installing wrk from apt" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
export BENCH_DATABASES="${BENCH_DATABASES:-sqlite,postgresql}"
if [[ ",$BENCH_DATABASES," == *,postgresql,* ]]; then
  trap stop_services EXIT
  start_services
  # A database of its own, so that the benchmark's large sequence stays out of the tests'.
  port="${RELANCE_TEST_POSTGRES_URL##*:}"; port="${port%%/*}"
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U relance relance_bench
  export RELANCE_BENCH_POSTGRES_URL="${RELANCE_TEST_POSTGRES_URL%/*}/relance_bench"
fi
"$python" -m bench "$@"
# The webhook dispatcher's claim behind backlogs of 100 to 100,000 messages, in process.
"$python" -m bench.webhook_claims --databases "$BENCH_DATABASES"
