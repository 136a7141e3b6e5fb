"""One line per fault, the detail once: logging for faults that repeat (a locked database).

A database held by another program fails every write for as long as it is
held; a traceback per failed write buried the log file and stderr. A
``FaultLog`` logs the first failure of a kind as a one-line warning and its
traceback once (INFO: the log file, and the terminal with ``-v``), repeats
of the same fault only as a count when it clears, and says once when the
fault is over.
"""

from __future__ import annotations

import logging
import threading


class FaultLog:
    """Logs one named fault (e.g. "entry writes") without flooding (see the module docstring)."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._log = logger
        self._what = what
        self._lock = threading.Lock()
        self._current: str | None = None  # the first line of the fault in force
        self._repeats = 0

    @property
    def active(self) -> bool:
        return self._current is not None

    def failed(self, exc: BaseException) -> bool:
        """Note a failure; True when it was logged (the first of its kind), False when only counted."""
        line = one_line(exc)
        with self._lock:
            if self._current == line:
                self._repeats += 1
                return False
            self._current, self._repeats = line, 0
        self._log.warning("%s failing: %s", self._what, line)
        self._log.info("%s: the detail of the fault above", self._what, exc_info=exc)
        return True

    def recovered(self) -> None:
        with self._lock:
            if self._current is None:
                return
            line, repeats = self._current, self._repeats
            self._current, self._repeats = None, 0
        self._log.warning("%s work again (after %s; %d more failures of the same kind)", self._what, line, repeats)


def one_line(exc: BaseException) -> str:
    """``Type: first line`` of an exception, the driver's own message where SQLAlchemy wraps one."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0]}" if text else type(inner).__name__
