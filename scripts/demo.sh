#!/usr/bin/env bash
# Installs Relance, creates a demo tenant in ./relance.db (or RELANCE_DATABASE_URL) and
# serves the API on it, on 127.0.0.1:$PORT (8000 by default), webhooks included.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-8000}"
# Before anything is created: a second demo tenant on a port already taken serves nothing.
if ! python3 -c 'import socket, sys; socket.create_server(("127.0.0.1", int(sys.argv[1]))).close()' "$port" 2>/dev/null; then
  echo "make demo: port $port is already in use (another demo?); choose another: PORT=8001 make demo" >&2
  exit 1
fi
scripts/install.sh
# Webhook secrets are sealed under RELANCE_SECRET_KEY: unless one is given, the demo makes
# one the first time and keeps it in ./relance.secret-key, beside ./relance.db.
if [ -z "${RELANCE_SECRET_KEY:-}" ]; then
  if [ ! -s relance.secret-key ]; then
    (umask 077 && .venv/bin/relance webhooks new-key > relance.secret-key)
  fi
  RELANCE_SECRET_KEY="$(cat relance.secret-key)"
  export RELANCE_SECRET_KEY
fi
tenant="$(.venv/bin/relance demo --json)"
read -r key sequence me rep < <(python3 -c '
import json, sys
t = json.load(sys.stdin)
print(t["apiKey"], t["sequenceId"], t["members"][0]["organizationMembershipId"], t["members"][1]["organizationMembershipId"])
' <<<"$tenant")
cat <<MSG

Demo tenant ready (EXPERT plan, one workspace, three assignees, a sequence of 24 contacts).
API key (shown once): $key

For the README's walk-through, paste:
  export API=http://127.0.0.1:$port KEY=$key
  export SEQ=$sequence ME=$me REP=$rep

Try it:
  curl -s "http://127.0.0.1:$port/v1/sequences/$sequence/contacts?limit=5" \\
    -H "Authorization: Bearer $key"

Interactive docs: http://127.0.0.1:$port/docs  (Ctrl-C stops the server)

MSG
exec .venv/bin/relance serve --host 127.0.0.1 --port "$port"
