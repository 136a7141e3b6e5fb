#!/usr/bin/env bash
# Quick start, first command: set everything up and open the kiosk in demo mode
# (simulated camera and thermometer, a separate demo database). Without a
# display it runs on a virtual one for 30 s and saves a screenshot instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/gate-kiosk run --demo "$@"
fi
echo "demo: no display found; running on a virtual display for 30 s, screenshot -> demo-screenshot.png"
exec xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/gate-kiosk run --demo --quit-after 30 \
  --screenshot demo-screenshot.png "$@"
