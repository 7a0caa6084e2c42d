#!/usr/bin/env bash
# Creates .venv and installs Relance with the pinned versions in constraints.txt; with the
# test extras, also .venv-openapi-client, the client generator the tests run.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".${extras:+[$extras]}"
if [[ ",$extras," == *",test,"* ]]; then
  # A virtualenv of its own, pinned by its own file: its dependencies (an older Typer, say)
  # never move the project's.
  if [ ! -x .venv-openapi-client/bin/python ]; then
    python3 -m venv .venv-openapi-client
  fi
  .venv-openapi-client/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints-openapi-client.txt openapi-python-client
fi
