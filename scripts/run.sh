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
# The runner stops after the job in hand (SIGTERM); the server's exit, Ctrl-C or a kill of this script
# all end here.
trap 'kill -TERM "$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
.venv/bin/kla serve --host "${KLA_HOST:-127.0.0.1}" --port "${KLA_PORT:-8000}"
