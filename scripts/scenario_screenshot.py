"""Screenshot of the guard's window at a moment of a scenario (docs/screenshots).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/scenario_screenshot.py \\
        tests/scenarios/fever_retake_in_a_rush.toml --after-step 7 --out docs/screenshots/retake-list.png

Plays the scenario's steps through the real window exactly as the test suite
does (tests/scenarios/test_scenarios.py) and saves the window after step N.
A development script: it uses the test tree's window driver.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


class Bot:
    """The little of pytest-qt's ``qtbot`` that the window driver uses, on a real display."""

    def waitUntil(self, condition, timeout: int = 2000) -> None:  # noqa: N802 (pytest-qt's name)
        from PySide6.QtWidgets import QApplication

        end = time.monotonic() + timeout / 1000
        while not condition() and time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.01)

    def wait(self, ms: int) -> None:
        self.waitUntil(lambda: False, timeout=ms)

    def keyClick(self, widget, key, modifiers=None) -> None:  # noqa: N802
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(widget, key, modifiers or Qt.KeyboardModifier.NoModifier)

    def addWidget(self, widget) -> None:  # noqa: N802
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--after-step", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    args = parser.parse_args()

    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from kiosk.config.loading import load_settings
    from kiosk.sim.scenario import SCENARIO_ROSTER, START, SceneClock, issuer_key, load_scenario, \
        scenario_settings
    from kiosk.sim.scenes import SceneMaker
    from tests.scenarios.test_scenarios import WindowDriver
    from tests.ui.conftest import open_window
    from ui.i18n import install_translator

    app = QApplication([])
    app.setFont(QFont("Noto Sans CJK SC", 11))
    translators = install_translator(app, "en" if args.lang == "en" else "zh_CN")
    scenario = load_scenario(args.scenario)
    bot = Bot()
    with tempfile.TemporaryDirectory() as tmp:
        base = load_settings(_empty_config(Path(tmp)))
        settings = scenario_settings(base, scenario, Path(tmp) / "data", f"sqlite:///{Path(tmp) / 'gate.sqlite3'}")
        clock = SceneClock(START)
        window, kiosk = open_window(bot, settings, clock, origin="simulation")
        window.language = args.lang
        window.resize(1280, 800)
        try:
            kiosk.store.upsert_roster(SCENARIO_ROSTER)
            kiosk.controller.set_lane(scenario.lane, scenario.kind)
            driver = WindowDriver(bot, window, kiosk, SceneMaker(issuer_key(settings), "scenario", kiosk.decoder,
                                                                 kiosk.verifier, clock), clock)
            for step in scenario.steps[: args.after_step]:
                driver.run_step(step.data)
                clock.advance(0.5)
            bot.waitUntil(lambda: False, timeout=300)  # let the window settle
            window.banner.stop_flash()  # a still shows the banner's colour, not a flash frame
            args.out.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(args.out))
            print(f"saved {args.out}")
        finally:
            window.close()
            kiosk.close()
    del translators
    return 0


def _empty_config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text("", encoding="utf-8")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
