#!/usr/bin/env bash
# Quick start, second command: set everything up and run the whole test suite,
# including the PostgreSQL store tests (a local server is started, or
# installed from Debian's package, when none answers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/postgres.sh
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -q "$@"
