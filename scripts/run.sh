#!/usr/bin/env bash
# Start the app on its embedded default (SQLite in ./var) with demo data.
# Works from a clean clone: creates .venv and installs the project first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
if .venv/bin/kla demo --help >/dev/null 2>&1; then .venv/bin/kla demo; fi
exec .venv/bin/kla serve --host "${KLA_HOST:-127.0.0.1}" --port "${KLA_PORT:-8000}"
