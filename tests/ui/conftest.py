"""A real window on a real SQLite store, offscreen, with a hand-moved clock."""

from __future__ import annotations

import pytest

from kiosk.app import build_kiosk
from kiosk.config import load_settings
from kiosk.desk import GuardDesk
from tests.fakes import ManualClock
from ui.bridge import QtBridge
from ui.main_window import MainWindow


@pytest.fixture
def gate(qtbot, tmp_path):
    settings = load_settings(tmp_path / "config.toml")
    clock = ManualClock()
    kiosk = build_kiosk(settings, clock=clock)
    bridge = QtBridge()
    kiosk.listeners.add(bridge)
    desk = GuardDesk(settings, kiosk.store, kiosk.controller, clock=clock)
    window = MainWindow(kiosk.controller, bridge, desk, sound=False)
    qtbot.addWidget(window)
    window.show()
    yield window, kiosk, clock
    window.close()
    kiosk.close()


def press(qtbot, window, key) -> None:
    """A key as the guard presses it; the window manager re-activates the window after a dialog."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, key)
