#!/usr/bin/env bash
# Installs everything the test suite needs (a virtualenv with the project and its test extras, the Dovecot
# packages for the mail harness) and runs the quality gates: ruff, mypy, pytest.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# System packages for the mail test harness (Dovecot IMAP + LMTP); idempotent and quick when present.
if [ -f tests/harness/harness.sh ]; then
    HARNESS_PYTHON="$PWD/.venv/bin/python" bash tests/harness/harness.sh install
fi

echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# Four worker processes (pytest-xdist) on two cores: most of the suite waits (bot processes, the mail harness,
# PostgreSQL), so four overlap the waits. --dist loadscope keeps each module on one worker (its module fixtures
# are built once). Each worker is a test session of its own: its own PostgreSQL database and private mail harness;
# the shared harness counts it as a client. Later arguments win: `bash scripts/test.sh -n 0` runs in one process.
set +e
.venv/bin/python -m pytest -n 4 --dist loadscope "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit "$rc"
