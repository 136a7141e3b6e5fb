"""Screenshots of the first-run setup for docs/screenshots/setup-*.png (run under Xvfb by scripts/screenshots.sh).

The devices are the demo's, and real: the "camera" is a folder of demo scene
images read by the same capture code as a real source, and the thermometer is
the simulator on a real pty, found by the real probe. Nothing is written to
the machine's config: the setup writes into a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    out = REPO / "docs" / "screenshots"
    work = Path(tempfile.mkdtemp(prefix="setup-shots-"))
    os.environ["GATE_KIOSK_DATA"] = str(work / "data")
    import cv2
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from devices.discovery import CameraInfo, SerialPortInfo
    from devices.simulators import ThermometerSimulator
    from kiosk.app_adapters import SETUP_DEVICES
    from kiosk.config.loading import load_settings
    from kiosk.sim.demo import demo_people, scene_for
    from ui.setup_flow import SetupFlow

    settings = load_settings(os.devnull)
    frames = work / "camera"
    frames.mkdir()
    for i, person in enumerate(demo_people(settings)[:3]):
        cv2.imwrite(str(frames / f"{i}.png"), scene_for(person, seed=i))
    sim = ThermometerSimulator("aa55", interval_s=0.3, mean_c=36.5, noise_c=0.1).start()
    app = QApplication([])
    app.setFont(QFont("Noto Sans CJK SC", 11))
    cameras = [CameraInfo(0, str(frames), "USB Camera (demo scenes)", "v4l2", ((1280, 720), (640, 480)))]
    ports = [SerialPortInfo(sim.path, sim.path, "USB-Serial CH340 (simulated thermometer)", "1a86:7523")]
    flow = SetupFlow(work / "config.toml", discover_fn=lambda: (cameras, ports), openers=SETUP_DEVICES)
    flow.show()

    def wait(ms: int, until: object = None) -> None:
        loop = QEventLoop()
        deadline = [ms]

        def tick() -> None:
            deadline[0] -= 50
            if deadline[0] <= 0 or (callable(until) and until()):
                loop.quit()
            else:
                QTimer.singleShot(50, tick)
        QTimer.singleShot(50, tick)
        loop.exec()

    def shot(name: str) -> None:
        wait(300)
        flow.grab().save(str(out / f"setup-{name}.png"))
        print(f"saved docs/screenshots/setup-{name}.png")

    try:
        flow.school_page.school.setText("第三中学")
        flow.school_page.gate.setText("east-1")
        shot("1-school")
        flow.next()
        wait(5000, lambda: flow.camera_page.preview.frames_shown > 2)
        shot("2-camera")
        flow.next()
        flow.thermometer_page.start_probe()
        wait(12000, lambda: "°C" in flow.thermometer_page.reading.text())
        shot("3-thermometer")
        flow.next()
        flow.scanner_page.combo.setCurrentIndex(1)
        shot("4-scanner")
        flow.next()
        flow.pin_page.pin.setText("2468")
        flow.pin_page.again.setText("2468")
        shot("5-pin")
    finally:
        flow.reject()
        sim.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
