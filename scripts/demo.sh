#!/usr/bin/env bash
# Installs Relance, creates a demo tenant in ./relance.db and serves the API on it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
port="${PORT:-8000}"
tenant="$(.venv/bin/relance demo --json)"
key="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])' <<<"$tenant")"
sequence="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["sequenceId"])' <<<"$tenant")"
cat <<MSG

Demo tenant ready (EXPERT plan, one workspace, three assignees, a sequence of 24 contacts).
API key (shown once): $key

Try it:
  curl -s "http://127.0.0.1:$port/v1/sequences/$sequence/contacts?limit=5" \\
    -H "Authorization: Bearer $key"

Interactive docs: http://127.0.0.1:$port/docs  (Ctrl-C stops the server)

MSG
exec .venv/bin/relance serve --host 127.0.0.1 --port "$port"
