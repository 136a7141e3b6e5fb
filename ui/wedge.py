"""Keyboard-wedge QR scanners: a burst of keystrokes ending in Enter, told apart from a person typing by timing.

A USB scanner in keyboard mode "types" each code and presses Enter; fast
ones leave a few milliseconds between keys, slow ones about 60 ms. A person
pressing the guard's one-key actions leaves more, and never types a whole
code followed by Enter. ``KeyboardWedge`` watches the window's key presses:
printable keys no more than ``gap_s`` apart (``devices.scanner_key_gap_ms``,
100 ms by default: a slow scanner with room to spare) form a burst; Enter
within the gap after a burst of at least ``min_length`` characters is a
scanned code, given to ``on_code`` and kept from the window (so the Enter
does not also call the next person, and a space inside a code does not
either). A lone Space or Enter, or keys typed slowly, pass through to the
guard's shortcuts as before.

The gaps are measured with the key events' own timestamps (when the key
was pressed, ``QKeyEvent.timestamp()``), not when the window got round to
them: a GUI thread that was busy for 150 ms delivers the scanner's keys in
a bunch, with their original spacing in the timestamps. Where a platform
gives no timestamps (0, as in QTest), the arrival time stands in. A lone
letter or digit is the guard's key only once the gap passed with nothing
after it and the keys queued meanwhile (a busy GUI thread) were read.

A scanner slower than the configured gap (the trial's: 130 ms a key against
100 ms) would otherwise type one guard key after another: ``R`` a red-code
refusal, ``7`` another person kind. So keys that keep coming within twice
the gap (``slow_gap_s``) form a *run*: a run of one or two keys is the
guard's (acted on in order), a longer one, or one that ends in Enter, is a
scan the kiosk cannot tell from typing and is dropped whole
(``on_unreadable``, said in the banner).

The guard's key acts at once all the same (``on_tentative_key``): the first
key of a run, and the second of a slow run, change the visit on screen right
away, tentatively; the gate decides and logs nothing until the run ends
(``on_keys_settled``: ``True`` the keys were the guard's, judged as usual;
``False`` they were a scan's, taken back: ``kiosk.services.tentative``). A
wrong key from a scan thus never writes a refusal into the log, and the
guard's key does not wait for the run to end (it used to: about 2 × gap +
60 ms, ~260 ms with the default gap). A Space inside a run (next person)
cannot be taken back: it waits for the run's end (``on_single_key``), as
every key does when no ``on_tentative_key`` is given.

While a text field has the focus (the worker registration form) keys go to
the field, so a scan there lands in the field as text, where the guard sees
it; codes are read everywhere else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

log = logging.getLogger(__name__)

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox)


DEFAULT_GAP_S = 0.1  # a slow scanner types a key every ~60 ms; a person's keys come slower
FRAGMENT_S = 1.0  # a scan starting this soon after a cut-off burst may be its rest: refused
SLOW_FACTOR = 2.0  # keys this many gaps apart may still be a (slow) scanner's: held, never acted on singly
GUARD_RUN_KEYS = 2  # a run of up to this many keys without Enter is the guard's; a longer one is a scan
SETTLE_S = 0.03  # the single-key wait goes this far past the gap (timer jitter), then once more (queued keys)


class KeyboardWedge(QObject):
    """See the module docstring. Install with ``app.installEventFilter(wedge)``."""

    def __init__(self, on_code: Callable[[str], None], *, gap_s: float = DEFAULT_GAP_S, min_length: int = 4,
                 clock: Callable[[], float] = time.monotonic, parent: QObject | None = None,
                 on_single_key: Callable[[str], None] | None = None,
                 on_unreadable: Callable[[int], None] | None = None,
                 on_tentative_key: Callable[[str], None] | None = None,
                 on_keys_settled: Callable[[bool], None] | None = None) -> None:
        super().__init__(parent)
        self._on_code = on_code
        # A key acted on at once, while its run may still turn out to be a scan; settled when the run ends.
        self._on_tentative_key = on_tentative_key
        self._on_keys_settled = on_keys_settled
        self._holding = False  # keys of this run were acted on tentatively and are not settled yet
        # Letters and digits are one-key guard actions too (person kind, colour seen): a key is only
        # known to be a person's once no second key followed it within the gap; then it is handed on.
        self._on_single_key = on_single_key
        self._single = QTimer(self)
        self._single.setSingleShot(True)
        self._single.setTimerType(Qt.TimerType.PreciseTimer)
        self._single.timeout.connect(self._on_single_timeout)
        self._on_unreadable = on_unreadable  # a run dropped as a scan that cannot be read (its length)
        self.gap_s = gap_s
        self.min_length = min_length
        self._clock = clock
        self._buffer: list[str] = []
        self._last = 0.0  # when the burst's last key was pressed (event time, or arrival without one)
        self._settling = False  # the gap passed once; one more short wait lets keys queued meanwhile in
        self._slow = False  # some key of the run came later than the gap: not a readable scan
        self._started = 0.0  # when the burst's first key was pressed
        self._fragment_until = 0.0  # a scan starting before this may be the rest of a cut-off one
        self.codes = 0

    def _pressed_at(self, event: QKeyEvent) -> float:
        """When the key was pressed, in seconds: the event's timestamp, or the arrival time without one."""
        stamp = event.timestamp()
        return stamp / 1000.0 if stamp else self._clock()

    @property
    def slow_gap_s(self) -> float:
        return self.gap_s * SLOW_FACTOR

    def _in_burst(self, now: float) -> bool:
        """A fast burst: every key so far within the gap (a scanner's), this one too."""
        return not self._slow and self._in_run(now) and now - self._last <= self.gap_s

    def _in_run(self, now: float) -> bool:
        # A negative step (a timestamp wrapped round, or a mix of stamped and unstamped events) ends the run.
        return bool(self._buffer) and 0.0 <= now - self._last <= self.slow_gap_s

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) or not isinstance(event, QKeyEvent):
            return False
        if isinstance(watched, TEXT_INPUTS) or isinstance(QApplication.focusWidget(), TEXT_INPUTS):
            return False
        if event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
            return False  # Ctrl/Alt combinations are commands, never part of a code
        now = self._pressed_at(event)
        key, text = event.key(), event.text()
        if key in ENTER_KEYS:
            if self._in_run(now) and len(self._buffer) >= GUARD_RUN_KEYS:
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()  # the Enter shortcut (next person) must not fire for a scanner's Enter
                    return True
                if not (self._in_burst(now) and len(self._buffer) >= self.min_length):
                    self._drop_unreadable(ended_by_enter=True)  # too slow or short to read as a code: nothing acts
                    return True
                code = "".join(self._buffer)
                self._buffer.clear()
                self._single.stop()
                self._settle(kept=False)  # a scan: whatever its first key did is taken back
                if self._started < self._fragment_until:
                    log.warning("keyboard scanner: a scan right after a cut-off one refused (%d characters): "
                                "it may be the rest of that code", len(code))
                    return True
                self.codes += 1
                self._on_code(code)
                return True
            # A person's Enter: keys pressed just before it act first (the shortcut fires on this very event).
            self._hand_on_short_burst()
            return False
        if not text or not text.isprintable():
            return False
        if kind == QEvent.Type.ShortcutOverride:
            # Space is a shortcut: inside a burst it is part of the code, alone it calls the next person.
            if key == Qt.Key.Key_Space:
                if self._in_run(now):
                    event.accept()  # part of the run: it acts (next person) only if the run is the guard's
                    return True
                self._hand_on_short_burst()  # before the Space shortcut acts
                return False
            if key != Qt.Key.Key_Space and self._acts_on_keys:
                event.accept()  # a letter or digit: the press decides (part of a scan, or a guard's key)
                return True
            return False
        if key == Qt.Key.Key_Space and not self._in_run(now):
            self._hand_on_short_burst()
            return False
        if not self._in_run(now):
            self._hand_on_short_burst()  # a slow key starts over: a person typing, or the first key of a scan
            self._started = now
            self._slow = False
        elif now - self._last > self.gap_s:
            self._slow = True  # within twice the gap: a slow scanner or a quick person, held until the run ends
        self._buffer.append(text)
        self._last = now
        self._settling = False
        self._act_tentatively(text)
        if self._acts_on_keys:
            self._single.start(int((self.slow_gap_s + SETTLE_S) * 1000))
        return True

    @property
    def _acts_on_keys(self) -> bool:
        return self._on_single_key is not None or self._on_tentative_key is not None

    def _could_be_the_guards(self) -> bool:
        """The run so far can still end as the guard's: one key, or two with a slow step (see the docstring)."""
        return len(self._buffer) == 1 or (self._slow and len(self._buffer) <= GUARD_RUN_KEYS)

    def _act_tentatively(self, text: str) -> None:
        if self._on_tentative_key is None:
            return
        if not self._could_be_the_guards():
            self._settle(kept=False)  # a fast second key, or a third: a scan; the keys acted on are taken back
        elif text != " ":  # a Space (next person) cannot be taken back: it waits for the run's end
            self._holding = True
            self._on_tentative_key(text)

    def _settle(self, *, kept: bool) -> None:
        if self._holding:
            self._holding = False
            if self._on_keys_settled is not None:
                self._on_keys_settled(kept)

    def _hand_on_short_burst(self) -> None:
        """Keys that ended without Enter: a lone key is the guard's; more are a scan's fragment, dropped.

        Two or more keys inside the gap are a scanner's (a person does not press keys that fast), cut
        off by a pause: acting on them could set a person kind from a card number's digits, and a scan
        starting right after them may be the rest of that code, which is refused as well (``_fragment``).
        A slow run (some key later than the gap, all within twice it) of up to ``GUARD_RUN_KEYS`` keys
        is the guard's, acted on in order; a longer one is a slow scanner's, dropped and said.
        """
        if self._slow and len(self._buffer) > GUARD_RUN_KEYS:
            self._drop_unreadable(ended_by_enter=False)
            return
        keys, self._buffer = self._buffer, []
        self._single.stop()
        if len(keys) == 1 or (self._slow and keys):
            self._settle(kept=True)  # the guard's: what the keys did stands
            if self._on_single_key is not None:
                for k in keys:
                    if self._on_tentative_key is None or k == " ":  # those not acted on yet
                        self._on_single_key(k)
        elif keys:
            self._settle(kept=False)
            log.warning("keyboard scanner: %d keys without Enter dropped (a scan cut off?)", len(keys))
            self._fragment_until = self._last + FRAGMENT_S

    def _drop_unreadable(self, *, ended_by_enter: bool) -> None:
        """A run that is a scan but cannot be read as one (too slow for the gap, or too short): dropped whole."""
        keys, self._buffer = self._buffer, []
        self._single.stop()
        self._settle(kept=False)
        if not ended_by_enter:
            self._fragment_until = self._last + FRAGMENT_S  # the scan's rest may follow: refused as well
        log.warning("keyboard scanner: %d keys dropped (%s): a scan that cannot be told from typing "
                    "(devices.scanner_key_gap_ms = %d)", len(keys), "slower than the gap" if self._slow else "short",
                    round(self.gap_s * 1000))
        if self._on_unreadable is not None:
            self._on_unreadable(len(keys))

    def _on_single_timeout(self) -> None:
        if not self._settling:
            # If the GUI thread was busy, the rest of a scan may be queued behind this timer, with
            # timestamps inside the gap. The event loop reads that input before a new timer is due.
            self._settling = True
            self._single.start(int(SETTLE_S * 1000))
            return
        if self._buffer:
            self._hand_on_short_burst()  # nothing after the keys: one is the guard's, more a cut-off scan


class TypedOnly(QObject):
    """Whether a field's text was typed by a person or came (in part) from a keyboard scanner's burst.

    Meant for the admin PIN: a card scanned while the PIN box has the focus "types" its number and
    Enter into the box, and five stray scans would lock the admin out. Keys into the field no more
    than ``gap_s`` apart, ``min_length`` in a row, are a scanner's (the wedge's own rule); the field
    is then ``scanned`` until it is emptied, and the dialog refuses it without checking it (no attempt
    used). The keys still reach the field: this only watches.
    """

    def __init__(self, edit: QLineEdit, gap_s: float = DEFAULT_GAP_S, min_length: int = 4,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(edit)
        self.gap_s = gap_s
        self.min_length = min_length
        self._clock = clock
        self._run = 0
        self._last: float | None = None
        self.scanned = False
        edit.installEventFilter(self)
        edit.textChanged.connect(self._on_edit_text_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            stamp = event.timestamp()
            now = stamp / 1000.0 if stamp else self._clock()
            fast = self._last is not None and 0.0 <= now - self._last <= self.gap_s
            self._last = now
            if event.text() and event.text().isprintable():
                self._run = self._run + 1 if fast else 1
                if self._run >= self.min_length:
                    self.scanned = True
        return False

    def _on_edit_text_changed(self, text: str) -> None:
        if not text:
            self.scanned = False  # emptied: whatever is typed next is judged afresh
            self._run = 0
