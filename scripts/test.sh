#!/usr/bin/env bash
# Run the whole test suite: the linter (ruff) and the type checker (mypy) first, then the tests
# once on SQLite (the embedded default, browser tests included), once on PostgreSQL
# (127.0.0.1:5432, database "test").
# Works from a clean clone: creates .venv, installs the project with its test tools,
# Debian's Chromium for the browser tests and axe-core (npm) for the accessibility checks.
# Extra arguments go to both pytest runs (e.g. -x, -k name).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# Debian packages the tests drive: Chromium (browser tests) and LibreOffice (the exported workbooks).
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v soffice >/dev/null 2>&1 || missing="$missing libreoffice-calc-nogui"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "Some tests need Debian packages:$missing (sudo apt-get install -y$missing); they will be skipped." >&2
  fi
fi
if command -v npm >/dev/null 2>&1 && [ ! -d tests/node_modules/axe-core ]; then
  npm install --prefix tests --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
fi

PG_URL="${KLA_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  fi
fi

echo "== ruff and mypy (settings in pyproject.toml) =="
.venv/bin/ruff check .
.venv/bin/mypy

# Two processes (pytest-xdist) for everything but the browser tests, which share one demo server and
# one browser and run after them in one process (on PostgreSQL each process has its own database).
echo "== SQLite =="
.venv/bin/python -m pytest -m "not browser" -n 2 "$@"
echo "== SQLite, in the browser =="
.venv/bin/python -m pytest -m browser "$@"

# On PostgreSQL only the tests that reach the database run (tests/conftest.py keeps them): the rest
# would repeat the SQLite run's work line for line.
echo "== PostgreSQL =="
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  KLA_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -m "not browser" -n 2 -p no:cacheprovider "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432; CI needs it." >&2
  exit 1
else
  echo "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run is skipped." >&2
fi
