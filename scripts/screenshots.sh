#!/usr/bin/env bash
# Screenshots of the main states for docs/ and the README: the demo on a
# virtual X display (Xvfb), 1280x800, stopped at moments of the demo cycle.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/screenshots
shoot() {  # name seconds [extra args]
  local name=$1 at=$2; shift 2
  local data; data=$(mktemp -d)
  GATE_KIOSK_DATA="$data" GATE_KIOSK_CONFIG=/dev/null xvfb-run -a -s "-screen 0 1280x800x24" \
    .venv/bin/gate-kiosk run --demo --quit-after "$at" --screenshot "docs/screenshots/$name.png" "$@" 2>/dev/null
  rm -rf "$data"
}
# Demo people: 0 staff green, 1 student card, 2 yellow (colour only), 3 courier three codes,
# 4 student fever, 5 visitor red, 6 staff without mask.
shoot pass 3.4 --demo-scene 0
shoot worker-lane 3.6 --demo-scene 3
shoot retake 3.4 --demo-scene 4
shoot deny-red-code 3.0 --demo-scene 5
shoot no-mask 3.4 --demo-scene 6
shoot english 3.6 --demo-scene 3 --lang en
# Moments of the visit scenarios (tests/scenarios), played through the real window.
scene() {  # name scenario after-step
  xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/scenario_screenshot.py \
    "tests/scenarios/$2.toml" --after-step "$3" --out "docs/screenshots/$1.png" 2>/dev/null
}
scene person-kind-keys person_kind_keys 2
scene retake-list fever_retake_in_a_rush 7
scene handoff courier_handoff 2
scene refused-confirmation red_code_campus 3
scene busy-gate-red people_do_not_merge 2
# The first-run setup, page by page (demo devices, real probe and capture code).
GATE_KIOSK_CONFIG=/dev/null xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/setup_screenshots.py
# A thermometer unplugged during the demo: the banner says so.
GATE_KIOSK_CONFIG=/dev/null xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/device_alert_screenshot.py
ls -la docs/screenshots
