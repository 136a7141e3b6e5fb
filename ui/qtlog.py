"""Qt's own messages (warnings about fonts, plugins, X11, multimedia) into Python logging, so they reach the log file.

Without this they go to stderr only, which nobody sees on a gate PC that
starts the kiosk at login.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QtMsgType, qInstallMessageHandler

log = logging.getLogger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


_held: list[str] | None = None  # messages held by ``held_messages`` while something optional is probed


def _handler(kind: QtMsgType, context: Any, message: str) -> None:
    category = getattr(context, "category", None) or "qt"
    if _held is not None and kind != QtMsgType.QtFatalMsg:
        _held.append(message)
        return
    log.log(_LEVELS.get(kind, logging.WARNING), "[%s] %s", category, message)


def route_qt_messages() -> None:
    """Install the handler (once per process; installing again replaces it)."""
    qInstallMessageHandler(_handler)


@contextmanager
def held_messages() -> Iterator[list[str]]:
    """Hold Qt's messages while probing something optional (a speech engine); the caller logs them once.

    Qt reports a speech plug-in that cannot load as a critical message, which
    would reach the terminal; the kiosk has a fallback, so the prober decides
    how to say it (one warning in the log file). Messages from any thread in
    that time are held too; the probe is short.
    """
    global _held
    previous, _held = _held, []
    try:
        yield _held
    finally:
        _held = previous
