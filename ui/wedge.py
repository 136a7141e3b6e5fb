"""Keyboard-wedge QR scanners: a burst of keystrokes ending in Enter, told apart from a person typing by timing.

A USB scanner in keyboard mode "types" each code within milliseconds and
presses Enter. A person (even a fast typist with gloves off) leaves 80 ms
or more between keys. ``KeyboardWedge`` watches the window's key presses:
printable keys that arrive less than ``gap_s`` apart form a burst; Enter
after a burst of at least ``min_length`` characters is a scanned code, given
to ``on_code`` and kept from the window (so the Enter does not also call the
next person, and a space inside a code does not either). A lone Space or
Enter, or keys typed slowly, pass through to the guard's shortcuts as before.

While a text field has the focus (the worker registration form) keys go to
the field, so a scan there lands in the field as text, where the guard sees
it; codes are read everywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox)


class KeyboardWedge(QObject):
    """See the module docstring. Install with ``app.installEventFilter(wedge)``."""

    def __init__(self, on_code: Callable[[str], None], *, gap_s: float = 0.05, min_length: int = 4,
                 clock: Callable[[], float] = time.monotonic, parent: QObject | None = None,
                 on_single_key: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self._on_code = on_code
        # Letters and digits are one-key guard actions too (person kind, colour seen): a key is only
        # known to be a person's once no second key followed it within the gap; then it is handed on.
        self._on_single_key = on_single_key
        self._single = QTimer(self)
        self._single.setSingleShot(True)
        self._single.timeout.connect(self._on_single_timeout)
        self.gap_s = gap_s
        self.min_length = min_length
        self._clock = clock
        self._buffer: list[str] = []
        self._last = 0.0
        self.codes = 0

    def _in_burst(self, now: float) -> bool:
        return bool(self._buffer) and now - self._last <= self.gap_s

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) or not isinstance(event, QKeyEvent):
            return False
        if isinstance(watched, TEXT_INPUTS) or isinstance(QApplication.focusWidget(), TEXT_INPUTS):
            return False
        if event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
            return False  # Ctrl/Alt combinations are commands, never part of a code
        now = self._clock()
        key, text = event.key(), event.text()
        if key in ENTER_KEYS:
            if self._in_burst(now) and len(self._buffer) >= self.min_length:
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()  # the Enter shortcut (next person) must not fire for a scanner's Enter
                    return True
                code = "".join(self._buffer)
                self._buffer.clear()
                self.codes += 1
                self._on_code(code)
                return True
            if kind == QEvent.Type.KeyPress:
                self._buffer.clear()
            return False
        if not text or not text.isprintable():
            return False
        if kind == QEvent.Type.ShortcutOverride:
            # Space is a shortcut: inside a burst it is part of the code, alone it calls the next person.
            if key == Qt.Key.Key_Space and self._in_burst(now):
                event.accept()
                return True
            if key != Qt.Key.Key_Space and self._on_single_key is not None:
                event.accept()  # a letter or digit: the press decides (part of a scan, or a guard's key)
                return True
            return False
        if key == Qt.Key.Key_Space and not self._in_burst(now):
            self._buffer.clear()
            return False
        if not self._in_burst(now):
            self._buffer.clear()  # a slow key starts over: a person typing, or the first key of a scan
        self._buffer.append(text)
        self._last = now
        if self._on_single_key is not None:
            self._single.start(int(self.gap_s * 1000) + 30)
        return True

    def _on_single_timeout(self) -> None:
        if len(self._buffer) == 1 and self._on_single_key is not None:
            key = self._buffer.pop()
            self._on_single_key(key)  # one key, nothing after it: the guard's
