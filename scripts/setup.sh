#!/usr/bin/env bash
# Idempotent set-up on Debian/Ubuntu: system libraries, then the virtual
# environment in .venv with the kiosk and its test tools. Safe to run again;
# it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  python3 python3-venv
  libzbar0                                   # pyzbar backend
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3   # Qt runtime
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0
  libpulse0 libasound2                       # QtMultimedia (alert sounds)
  fonts-noto-cjk                             # Chinese UI
  fonts-wqy-microhei                         # Chinese PDF reports (TrueType outlines: ReportLab embeds it)
  xvfb xauth                                 # screenshots / demo without a display
  sqlite3 poppler-utils
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  # libasound2 is libasound2t64 on newer releases; accept either.
  if ! dpkg -s "$pkg" >/dev/null 2>&1 && ! dpkg -s "${pkg}t64" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  resolved=()
  for pkg in "${missing[@]}"; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then resolved+=("$pkg"); else resolved+=("${pkg}t64"); fi
  done
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${resolved[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test,postgres,pyzbar]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
