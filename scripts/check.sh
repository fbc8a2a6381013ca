#!/usr/bin/env bash
# The checks every change passes before its tests: ruff's lint, ruff's formatting, mypy, and no model change
# without its migration. Sets up .venv first (scripts/venv.sh); stops at the first check that fails, naming it.
# .ci/run runs this, then the tests; pre-commit runs the same four with .venv's tools (.pre-commit-config.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== setting up .venv (requirements-dev.txt)"
source scripts/venv.sh requirements-dev.txt

check() {
    local name="$1"
    shift
    echo "== $name"
    if ! "$@"; then
        echo "error: check failed: $name ($*)" >&2
        exit 1
    fi
}
check "ruff check" ruff check .
check "ruff format --check" ruff format --check .
check "mypy" mypy
# An in-memory database: the check needs no database file, and creates none.
check "migrations match the models" \
    env DATABASE_URL=sqlite://:memory: python manage.py makemigrations --check --dry-run
echo "== all checks passed"
