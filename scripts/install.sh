#!/usr/bin/env bash
# Creates .venv and installs Relance with the pinned versions in constraints.txt; with the
# test extras, also .venv-openapi-client, the client generator the tests run.
# Relance is installed editable, so a change of its source needs no new install: when
# .venv already holds an install of the same pyproject.toml and pins with these extras
# (its stamp, .venv/.relance-install), nothing is installed again. pip reinstalls an
# editable project every time, removing it for a moment: `make demo` run by the tests while
# other tests start `relance` processes must not do that.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
stamp=.venv/.relance-install
inputs="$(cat pyproject.toml constraints.txt constraints-openapi-client.txt | sha256sum | cut -d' ' -f1)"

# Whether the stamp names these inputs and every extra asked for (the test extras' install
# holds the plain one).
installed() {
  [ -f "$stamp" ] || return 1
  local stamped_inputs stamped_extras wanted
  read -r stamped_inputs stamped_extras <"$stamp" || return 1
  [ "$stamped_inputs" = "$inputs" ] || return 1
  for wanted in ${extras//,/ }; do
    [[ ",$stamped_extras," == *",$wanted,"* ]] || return 1
  done
  if [[ ",$extras," == *",test,"* ]]; then
    [ -x .venv-openapi-client/bin/openapi-python-client ] || return 1
  fi
  [ -x .venv/bin/relance ]
}

if installed; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
rm -f "$stamp"
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
echo "$inputs $extras" >"$stamp"
