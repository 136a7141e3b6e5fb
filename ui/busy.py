"""Slow admin steps off the GUI thread: a PIN check (scrypt, 0.3–0.7 s) and its audit write, shown as busy.

A PIN attempt is recorded in the entry log's write transaction; while another
program holds the database that write waits (the store's busy timeout, with
retries). Run on the GUI thread, the window froze for the whole lock (18 s in
the second trial). ``run_admin_step`` runs the step on a plain thread while a
small modal dialog says what is being done; the window keeps painting and
its timers keep running. The wait is bounded (``ADMIN_WAIT_S``): past it the
dialog says the database is busy and the step's later outcome is ignored;
the step gets ``abandoned`` (a ``threading.Event``) so it can stop before
doing anything that would contradict that message (e.g. writing settings
after the guard was told they were not saved).

Outcomes are one of: the step's value, a refusal (its message, e.g. a wrong
PIN), or "the database did not answer in time". Never a traceback.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QVBoxLayout, QWidget

log = logging.getLogger(__name__)

ADMIN_WAIT_S = 12.0  # longer than one lock wait (2 s busy timeout) with room for a few retries; a guard still waits
SLOW_HINT_S = 1.5  # a PIN check alone takes under a second: past this, the database is what is being waited for


@dataclass
class StepOutcome:
    """What an admin step came to: ``value`` when it finished, else ``refusal`` (a message) or ``timed_out``."""

    value: Any = None
    refusal: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.refusal is None and not self.timed_out


class BusyDialog(QDialog):
    """A modal 'working…' box with an indeterminate bar; closes itself when the step answers or the bound passes."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminBusyDialog")
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        self.label = QLabel(text, self)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("font-size:18px;")
        layout.addWidget(self.label)
        bar = QProgressBar(self)
        bar.setRange(0, 0)  # busy, no percentage: how long another program holds the database is unknown
        layout.addWidget(bar)
        self.resize(420, 120)


def run_admin_step(parent: QWidget | None, title: str, text: str, step: Callable[[threading.Event], Any],
                   refusals: tuple[type[Exception], ...], wait_s: float = ADMIN_WAIT_S) -> StepOutcome:
    """Run ``step(abandoned)`` on a worker thread behind a busy dialog; see the module docstring.

    Exceptions of the ``refusals`` types become ``refusal`` (their message); any other exception is
    logged and becomes a one-line refusal too (a database fault), never a traceback on the screen.
    """
    dialog = BusyDialog(title, text, parent)
    outcome = StepOutcome(timed_out=True)
    abandoned = threading.Event()
    # The worker never touches a Qt object: its answer waits in a queue the dialog polls. (A QObject
    # kept alive by the worker's closure was destroyed on the worker thread when a late step ended:
    # a crash.)
    answers: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_answer(answer: tuple[str, Any]) -> None:
        if abandoned.is_set():
            return  # the guard was told it timed out: a late answer changes nothing on screen
        kind, value = answer
        outcome.timed_out = False
        if kind == "value":
            outcome.value = value
        else:
            outcome.refusal = value
        dialog.accept()

    poll = QTimer(dialog)
    poll.setInterval(20)

    def on_poll() -> None:
        try:
            answer = answers.get_nowait()
        except queue.Empty:
            return
        poll.stop()
        on_answer(answer)

    poll.timeout.connect(on_poll)
    poll.start()

    def work() -> None:
        try:
            answer: tuple[str, Any] = ("value", step(abandoned))
        except refusals as exc:
            answer = ("refusal", str(exc))
        except Exception as exc:  # noqa: BLE001 - a database or file fault: said in one line, logged in full
            log.exception("%s failed", title)
            answer = ("refusal", QCoreApplication.translate("AdminStep", "操作失败：%1").replace("%1", f"{type(exc).__name__}: {exc}"[:200]))
        answers.put(answer)

    hint = QTimer(dialog)
    hint.setSingleShot(True)
    hint.timeout.connect(lambda: dialog.label.setText(
        text + "\n" + QCoreApplication.translate(
            "AdminStep", "数据库正忙（可能被其他程序占用），正在等待，最多 %1 秒…")
        .replace("%1", str(round(wait_s)))))
    hint.start(int(SLOW_HINT_S * 1000))
    bound = QTimer(dialog)
    bound.setSingleShot(True)
    bound_passed: list[bool] = []

    def on_bound() -> None:
        bound_passed.append(True)
        abandoned.set()
        dialog.reject()

    bound.timeout.connect(on_bound)
    bound.start(int(wait_s * 1000))
    threading.Thread(target=work, name="admin-step", daemon=True).start()
    dialog.exec()
    hint.stop()
    bound.stop()
    poll.stop()
    if outcome.timed_out:
        abandoned.set()
        if bound_passed:
            log.warning("%s: no answer within %.0f s (database locked?): abandoned", title, wait_s)
            outcome.refusal = QCoreApplication.translate(
                "AdminStep", "数据库被占用，%1 秒内没有完成，未执行：请稍后重试").replace("%1", str(round(wait_s)))
        else:  # Esc: the guard stopped waiting
            outcome.refusal = QCoreApplication.translate("AdminStep", "已停止等待，未执行")
    dialog.deleteLater()
    return outcome
