#!/usr/bin/env bash
# The static checks, one step each, before any test runs (scripts/test.sh and .ci/run call this):
#   ruff         pyflakes-level: unused imports, undefined names, syntax, on everything
#   mypy         strict on kiosk/, devices/ and db/ (pyproject's [tool.mypy])
#   lint-imports the layering contracts in pyproject's [tool.importlinter]
#   vermin       the lowest Python that pyproject's requires-python declares, checked statically
#   file sizes   no Python file over 400 lines, tests included
# Each prints one line when it passes and its findings when it fails; the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
step() { local name=$1; shift; local start=$SECONDS out
  if out=$("$@" 2>&1); then echo "check: $name ok ($((SECONDS - start)) s)"
  else echo "check: $name FAILED"; echo "$out" | tail -60; exit 1; fi; }
step ruff "$bin/ruff" check --select F,E9 --output-format concise kiosk devices db ui gate_kiosk tests bench scripts
step mypy "$bin/mypy"
# lint-imports reads the packages from this folder, not an installed copy.
step lint-imports env PYTHONPATH="$PWD" "$bin/lint-imports"
lowest=$("$bin/python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["requires-python"].removeprefix(">="))')
# vermin knows which modules, functions and syntax each version added (tomllib, StrEnum, except* …) and
# honours sys.version_info guards such as config/loading.py's tomli fallback.
step "vermin (Python $lowest)" "$bin/vermin" --no-tips --violations "--target=$lowest-" --eval-annotations \
  --backport typing kiosk devices db ui gate_kiosk scripts bench
# No Python file over 400 lines, tests included: a module that long is doing two things.
step "file sizes (400 lines)" bash -c 'big=$(find kiosk devices db ui gate_kiosk scripts bench tests -name "*.py" -exec wc -l {} + \
  | awk "\$2 != \"total\" && \$1 > 400"); [ -z "$big" ] || { echo "$big"; exit 1; }'
