#!/usr/bin/env bash
# Installs everything, starts PostgreSQL on loopback, prints the benchmark table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test,bench
source scripts/services.sh
trap stop_services EXIT
start_services
# A database of its own, so that the benchmark's large sequence stays out of the tests'.
port="${RELANCE_TEST_POSTGRES_URL##*:}"; port="${port%%/*}"
"$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U relance relance_bench
export RELANCE_TEST_POSTGRES_URL="${RELANCE_TEST_POSTGRES_URL%/*}/relance_bench"
.venv/bin/python bench/run.py
