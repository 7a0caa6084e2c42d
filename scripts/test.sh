#!/usr/bin/env bash
# Installs everything, lints and type-checks src/, starts PostgreSQL and Redis on loopback,
# runs the whole suite on SQLite and PostgreSQL, runs schemathesis against the vendor
# specs, stops the servers.
# The last line is the count of what ran (lint, types, pytest and schemathesis); the exit
# status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test
source scripts/services.sh
REPORTS="$(mktemp -d /tmp/relance-reports.XXXXXX)"
trap 'stop_services; rm -rf "$REPORTS"' EXIT
start_services

echo "== ruff and mypy (src/)"
lint_status=0
.venv/bin/ruff check src || lint_status=$?
format_status=0
.venv/bin/ruff format --check src || format_status=$?
types_status=0
.venv/bin/mypy || types_status=$?

echo "== pytest (SQLite and PostgreSQL)"
pytest_status=0
.venv/bin/python -m pytest --junitxml="$REPORTS/pytest.xml" --durations=15 "$@" || pytest_status=$?

echo "== schemathesis (Skipcall and OpenCX specs, on SQLite and PostgreSQL)"
schemathesis_status=0
RELANCE_SCHEMATHESIS_REPORTS="$REPORTS" .venv/bin/python scripts/schemathesis_run.py || schemathesis_status=$?

.venv/bin/python scripts/summarize.py "$REPORTS" \
  "ruff-check=$lint_status" "ruff-format=$format_status" "mypy=$types_status"
for status in "$lint_status" "$format_status" "$types_status" "$pytest_status" "$schemathesis_status"; do
  [ "$status" = 0 ] || exit 1
done
