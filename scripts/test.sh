#!/usr/bin/env bash
# Installs everything, starts PostgreSQL and Redis on loopback, runs the whole suite on
# SQLite and PostgreSQL, runs schemathesis against the vendor specs, stops the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test
source scripts/services.sh
trap stop_services EXIT
start_services

echo "== pytest (SQLite and PostgreSQL)"
.venv/bin/python -m pytest "$@"

echo "== schemathesis (Skipcall spec, on SQLite and PostgreSQL)"
.venv/bin/python scripts/schemathesis_run.py
