#!/usr/bin/env bash
# Refresh ui/i18n/gate_kiosk_en.ts from the tr() strings in ui/, fill in the
# English from ui/i18n/en.tsv (Chinese<TAB>English), and compile the .qm.
# Calls Qt's lupdate/lrelease from the PySide6-Essentials wheel directly (the
# pyside6-* wrappers need the PySide6 meta-package, which we do not install).
set -euo pipefail
cd "$(dirname "$0")/.."
QT=$(.venv/bin/python -c 'import PySide6; print(PySide6.__path__[0])')
"$QT/lupdate" ui/*.py -ts ui/i18n/gate_kiosk_en.ts -no-obsolete -silent
.venv/bin/python scripts/fill_translations.py ui/i18n/gate_kiosk_en.ts ui/i18n/en.tsv
"$QT/lrelease" ui/i18n/gate_kiosk_en.ts -qm ui/i18n/gate_kiosk_en.qm -silent
