#!/usr/bin/env bash
# Start the app on its embedded default (SQLite in ./var) with demo data, and the job runner next to it
# (the national workbook, deadlines, e-mail: `kla jobs run`), stopped together with the server.
# Works from a clean clone: creates .venv and installs the project first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
if .venv/bin/kla demo --help >/dev/null 2>&1; then .venv/bin/kla demo; fi
.venv/bin/kla jobs run --once  # what fell due while it was stopped, before the server warms its caches
nice -n 10 .venv/bin/kla jobs run --poll "${KLA_JOBS_POLL_SECONDS:-5}" &  # the server wins the CPU
runner=$!
.venv/bin/kla serve --host "${KLA_HOST:-127.0.0.1}" --port "${KLA_PORT:-8000}" &
server=$!
# Both in the background so that this script hears Ctrl-C and SIGTERM at once (bash runs no trap while it
# waits for a foreground command); whichever way it ends, both stop (the runner after the job in hand).
stop() { kill -TERM "$server" "$runner" 2>/dev/null || true; wait "$server" "$runner" 2>/dev/null || true; }
trap 'stop; exit 130' INT TERM
trap stop EXIT
wait "$server"
