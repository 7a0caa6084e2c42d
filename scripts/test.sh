#!/usr/bin/env bash
# Installs everything, lints and type-checks src/, starts PostgreSQL and Redis on loopback,
# runs the whole suite on SQLite and PostgreSQL, runs schemathesis against the vendor
# specs, stops the servers.
# Schemathesis drives live servers of its own, on databases of its own (a temporary SQLite
# file, relance_schemathesis on PostgreSQL): it runs in the background from the start,
# while the checks and pytest run, and its output is printed after pytest's. pytest runs
# on RELANCE_TEST_WORKERS pytest-xdist workers (the machine's cores, at most 4; 0 runs it
# in this process alone), each on databases of its own (tests/conftest.py).
# The last line is the count of what ran (lint, types, pytest and schemathesis); the exit
# status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test
source scripts/services.sh
REPORTS="$(mktemp -d /tmp/relance-reports.XXXXXX)"
schemathesis_pid=""
stop_all() {
  # Its own process group (setsid): its servers and schemathesis itself stop with it.
  if [ -n "$schemathesis_pid" ]; then kill -- "-$schemathesis_pid" 2>/dev/null || true; fi
  stop_services
  rm -rf "$REPORTS"
}
trap stop_all EXIT
start_services

workers="${RELANCE_TEST_WORKERS:-$(nproc)}"
if [ "$workers" -gt 4 ]; then workers=4; fi

RELANCE_SCHEMATHESIS_REPORTS="$REPORTS" setsid .venv/bin/python scripts/schemathesis_run.py \
  >"$REPORTS/schemathesis.log" 2>&1 &
schemathesis_pid=$!

echo "== ruff and mypy (src/)"
lint_status=0
.venv/bin/ruff check src || lint_status=$?
format_status=0
.venv/bin/ruff format --check src || format_status=$?
types_status=0
.venv/bin/mypy || types_status=$?

echo "== pytest (SQLite and PostgreSQL, $workers workers)"
pytest_status=0
.venv/bin/python -m pytest -n "$workers" --junitxml="$REPORTS/pytest.xml" --durations=15 "$@" \
  || pytest_status=$?

echo "== schemathesis (Skipcall and OpenCX specs, on SQLite and PostgreSQL; run beside pytest)"
schemathesis_status=0
wait "$schemathesis_pid" || schemathesis_status=$?
schemathesis_pid=""
cat "$REPORTS/schemathesis.log"

.venv/bin/python scripts/summarize.py "$REPORTS" \
  "ruff-check=$lint_status" "ruff-format=$format_status" "mypy=$types_status"
for status in "$lint_status" "$format_status" "$types_status" "$pytest_status" "$schemathesis_status"; do
  [ "$status" = 0 ] || exit 1
done
