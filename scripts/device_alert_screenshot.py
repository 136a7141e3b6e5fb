"""Screenshot of a lost thermometer as the guard sees it: docs/screenshots/device-lost.png (run under Xvfb).

The demo window runs as usual; after a few seconds its simulated thermometer
is unplugged (the pty closed, as a pulled USB adapter), the real reader
reports it lost, and the banner says so with what to do.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    os.environ["GATE_KIOSK_DATA"] = tempfile.mkdtemp(prefix="device-lost-")
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from kiosk.app import build_kiosk, build_window
    from kiosk.config.loading import load_settings
    from kiosk.sim.demo import demo_settings

    settings = demo_settings(load_settings(os.devnull))
    settings = replace(settings, ui=replace(settings.ui, sound=False, speech=False))
    app = QApplication([])
    app.setFont(QFont("Noto Sans CJK SC", 11))
    kiosk = build_kiosk(settings, demo=True, with_devices=True, demo_scene=1)
    window, _ = build_window(kiosk)
    window.show()
    kiosk.start()
    out = REPO / "docs" / "screenshots" / "device-lost.png"
    QTimer.singleShot(1500, kiosk.thermometer_sim.unplug)

    def shoot() -> None:
        window.grab().save(str(out))
        print(f"saved {out.relative_to(REPO)}")
        app.quit()
    QTimer.singleShot(3200, shoot)
    try:
        app.exec()
    finally:
        window.close()
        kiosk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
