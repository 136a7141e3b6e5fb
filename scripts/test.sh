#!/usr/bin/env bash
# Quick start, second command: set everything up, run the static checks (scripts/check.sh: ruff,
# mypy, lint-imports, vermin), then the whole test suite, including the PostgreSQL store tests (a
# local server is started, or installed from Debian's package, when none answers). CHECKS=0 skips
# the static checks (.ci/run runs them as a step of their own first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ "${CHECKS:-1}" = 0 ] || bash scripts/check.sh
source scripts/postgres.sh
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -q "$@"
