"""A real window on a real SQLite store, offscreen, with a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.app import build_kiosk
from kiosk.config.loading import load_settings
from kiosk.desk.guard_desk import GuardDesk
from tests.fakes import ManualClock
from ui.bridge import QtBridge
from ui.main_window import MainWindow


def open_window(qtbot, settings, clock, **kiosk_kw):
    """A kiosk on the settings' real store and the guard's window on it, shown offscreen."""
    kiosk = build_kiosk(settings, clock=clock, **kiosk_kw)
    bridge = QtBridge()
    kiosk.listeners.add(bridge)
    desk = GuardDesk(settings, kiosk.store, kiosk.controller, clock=clock)
    window = MainWindow(kiosk.controller, bridge, desk, sound=False, language=settings.ui.language)
    qtbot.addWidget(window)
    window.show()
    return window, kiosk


def answer_dialog(fill) -> None:
    """Fill and accept the next modal dialog as the guard would."""
    def run() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, run)
            return
        fill(dialog)
    QTimer.singleShot(20, run)


def when_modal(kind: str, act, ready=lambda dialog: True) -> None:
    """Act on the next modal dialog of class ``kind`` once it is up and ``ready`` (polled from the event loop).

    A PIN check runs behind a busy box (ui/busy.py) for a moment: a test acts on the dialog it
    means by its class, once it shows what the test waits for, as a guard would.
    """
    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or type(dialog).__name__ != kind or not ready(dialog):
            QTimer.singleShot(20, poll)
            return
        act(dialog)
    QTimer.singleShot(20, poll)


@contextmanager
def gate_pc_window(qapp, qtbot, tmp_path: Path, language: str = "zh") -> Iterator[tuple]:
    """The window as a 1280x800 gate PC shows it: the font run_window sets, the language's translation."""
    from PySide6.QtGui import QFont

    from ui.i18n import install_translator

    translators = install_translator(qapp, "en") if language == "en" else []
    font = qapp.font()
    qapp.setFont(QFont("Noto Sans CJK SC", 11))  # as kiosk.app.run_window sets it
    try:
        window, kiosk = open_window(qtbot, load_settings(tmp_path / "config.toml"), ManualClock())
        window.resize(1280, 800)
        yield window, kiosk
        window.close()
        kiosk.close()
    finally:
        qapp.setFont(font)
        for t in translators:
            qapp.removeTranslator(t)


@pytest.fixture
def gate(qtbot, tmp_path):
    settings = load_settings(tmp_path / "config.toml")
    clock = ManualClock()
    window, kiosk = open_window(qtbot, settings, clock)
    yield window, kiosk, clock
    window.close()
    kiosk.close()


def press(qtbot, window, key) -> None:
    """A key as the guard presses it; the window manager re-activates the window after a dialog."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, key)


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """A folder of three still pictures: a camera source (``devices.camera``) for the setup's preview."""
    import cv2
    import numpy as np

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((360, 640, 3), 60 * i, np.uint8))
    return folder
