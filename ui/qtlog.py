"""Qt's own messages (warnings about fonts, plugins, X11, multimedia) into Python logging, so they reach the log file.

Without this they go to stderr only, which nobody sees on a gate PC that
starts the kiosk at login.
"""

from __future__ import annotations

import logging
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


def _handler(kind: QtMsgType, context: Any, message: str) -> None:
    category = getattr(context, "category", None) or "qt"
    log.log(_LEVELS.get(kind, logging.WARNING), "[%s] %s", category, message)


def route_qt_messages() -> None:
    """Install the handler (once per process; installing again replaces it)."""
    qInstallMessageHandler(_handler)
