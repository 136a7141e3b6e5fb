"""PIN checks and their audit writes run off the GUI thread: a locked database is a busy box and a message, not a freeze.

The second trial: export (导出 → PIN → OK) froze the window 18.2 s while SQLite was held by
BEGIN EXCLUSIVE, and settings saved under a 12 s lock froze it 12.4 s. Here the database is
held the same way (a real SQLite file, another connection) and the real window is driven.
"""

from __future__ import annotations

import sqlite3
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from kiosk.config.loading import load_settings
from tests.ui.conftest import when_modal
from tests.ui.test_responsiveness import ThreadSpy

PIN = "246810"


def error_shown(dialog: QWidget) -> bool:
    return bool(dialog.error.text())


def type_pin(dialog: QWidget, pin: str = PIN) -> None:
    dialog.pin.setText(pin)
    dialog.accept()


def hold_database(kiosk) -> sqlite3.Connection:
    locker = sqlite3.connect(kiosk.settings.database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another program holds the database
    return locker


def test_export_under_a_locked_database_keeps_the_window_live_and_opens_once_it_is_free(qtbot, gate) -> None:
    window, kiosk, clock = gate
    window._desk.access.set_pin(PIN, "test")
    verify = ThreadSpy(window._desk.access, "verify")
    locker = hold_database(kiosk)
    released: list[float] = []

    def release_later(busy: QWidget) -> None:
        assert "正在核验管理员 PIN" in busy.label.text()  # the guard sees what is being waited for
        QTimer.singleShot(1500, lambda: (locker.execute("ROLLBACK"), locker.close(), released.append(1)))

    opened: list[str] = []
    when_modal("PinDialog", type_pin)
    when_modal("BusyDialog", release_later)
    when_modal("ExportDialog", lambda d: (opened.append(type(d).__name__), d.reject()))
    window.export_button.click()  # returns once the export dialog was shown and closed
    # The lock was released by a timer on the GUI thread while the PIN check waited for it: had the
    # GUI thread been the one waiting, nothing would have released it (how short its gaps are is
    # bench/bench_gui_gaps.py's figure, not an assertion here).
    assert released and opened == ["ExportDialog"]
    assert verify.threads == ["admin-step"]  # scrypt and the audit write: never the GUI thread
    granted = [a for a in kiosk.store.audit_events("export") if a["detail"].get("granted") is True]
    assert len(granted) == 1  # the attempt was recorded once the database was free


def test_settings_saved_under_a_lock_longer_than_the_bound_say_so_and_write_nothing(qtbot, gate, tmp_path) -> None:
    window, kiosk, clock = gate
    window._desk.access.set_pin(PIN, "test")
    window.admin_wait_s = 1.0  # the window's bound (12 s as shipped), short for the test
    config = window._desk.config_path()
    before = config.read_text() if config.exists() else None
    locker = hold_database(kiosk)
    verify = ThreadSpy(window._desk.access, "verify")
    said: list[str] = []

    def save(dialog: QWidget) -> None:
        dialog.fever.setValue(37.8)
        type_pin(dialog)

    def read_error_and_close(dialog: QWidget) -> None:
        said.append(dialog.error.text())
        dialog.reject()

    when_modal("SettingsDialog", save)
    when_modal("SettingsDialog", read_error_and_close, error_shown)  # shown again, with the message
    try:
        window.settings_button.click()  # returns once the guard closed the dialog
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert "数据库被占用" in said[0] and "未执行" in said[0], said
    # The message came from the window's own bound while the check still waited on another thread.
    assert verify.threads == ["admin-step"]
    # The PIN check finishes late, once the database is free: the settings are still not written.
    qtbot.waitUntil(lambda: any(a["detail"].get("granted") for a in kiosk.store.audit_events("settings")),
                    timeout=60000)
    qtbot.wait(200)
    assert (config.read_text() if config.exists() else None) == before
    assert kiosk.store.audit_events("settings_saved") == []


def test_a_wrong_pin_is_said_in_the_settings_dialog_without_freezing(qtbot, gate) -> None:
    window, kiosk, clock = gate
    window._desk.access.set_pin(PIN, "test")
    verify = ThreadSpy(window._desk.access, "verify")
    said: list[str] = []
    when_modal("SettingsDialog", lambda d: (d.fever.setValue(37.8), type_pin(d, "000000")))
    when_modal("SettingsDialog", lambda d: (said.append(d.error.text()), d.reject()), error_shown)
    window.settings_button.click()
    assert "PIN 错误" in said[0] and verify.threads == ["admin-step"]
    assert threading.main_thread().name not in verify.threads
    assert load_settings(window._desk.config_path()).policy.fever_threshold_c != 37.8


def key_into(widget: QWidget, text: str, first_ms: int, step_ms: int) -> int:
    """Keys into a field as the platform delivers them, each stamped with when it was pressed; ends with Enter."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    t = first_ms
    for ch in [*text, "\r"]:
        key = Qt.Key.Key_Return if ch == "\r" else Qt.Key(ord(ch))
        press = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, ch)
        press.setTimestamp(t)
        QApplication.sendEvent(widget, press)
        t += step_ms
    return t


def test_a_card_scanned_into_the_pin_box_is_refused_without_using_an_attempt(qtbot, gate) -> None:
    """Trial finding 7: a 12-digit burst + Enter into the PIN box cost an attempt (five scans lock the admin out)."""
    window, kiosk, clock = gate
    window._desk.access.set_pin(PIN, "test")
    said: list[str] = []
    opened: list[str] = []

    def scan_then_type(dialog: QWidget) -> None:
        t = key_into(dialog.pin, "202300112345", 1_000_000, 8)  # a scanner: 8 ms a key, then its Enter
        assert dialog.isVisible() and dialog.pin.text() == ""  # refused before any check; the box stays
        said.append(dialog.error.text())
        key_into(dialog.pin, PIN, t + 2000, 220)  # the admin types the PIN, a key every 220 ms

    when_modal("PinDialog", scan_then_type)
    when_modal("ExportDialog", lambda d: (opened.append("export"), d.reject()))
    window.export_button.click()
    assert "扫码枪" in said[0] and "不计入" in said[0]
    assert opened == ["export"]
    assert [a["detail"]["granted"] for a in kiosk.store.audit_events("export")] == [True]  # one attempt: the typed one


def test_a_card_scanned_into_the_settings_pin_field_is_refused_before_the_check(qtbot, gate) -> None:
    window, kiosk, clock = gate
    window._desk.access.set_pin(PIN, "test")
    said: list[str] = []

    def scan(dialog: QWidget) -> None:
        dialog.pin.setFocus()
        key_into(dialog.pin, "202300112345", 2_000_000, 8)  # Enter in the field: the Save button
        said.append(dialog.error.text())
        dialog.reject()

    when_modal("SettingsDialog", scan)
    window.settings_button.click()
    assert "扫码枪" in said[0]
    assert kiosk.store.audit_events("settings") == []  # no attempt recorded, none counted
