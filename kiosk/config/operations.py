"""Running on a gate PC: a rotating log file, native-crash traces, and where they live.

- Logs go to ``gate-kiosk.log`` in the platform's log directory
  (``~/.local/state/gate-kiosk/log`` on Linux, ``%LOCALAPPDATA%\\gate-kiosk\\Logs``
  on Windows), rotated at 2 MB, 5 files kept, so the IT teacher has the last
  days without the disk filling up. ``$GATE_KIOSK_LOG_DIR`` moves them; with
  ``$GATE_KIOSK_DATA`` set (tests, a second kiosk on one box) they go to its
  ``log`` folder. stderr gets warnings (everything with ``-v``).
- ``faulthandler`` writes the Python stack of every thread to
  ``native-crash.log`` in the same folder when the interpreter dies of a
  signal (a segfault or abort inside Qt or OpenCV), where a traceback could
  not be printed.
- An unwritable log folder never stops the kiosk: it logs to stderr and says so.
- Log files are mode 0600 (they name people and guards), rotated ones included.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import logging
import logging.handlers
import os
from pathlib import Path
from typing import IO, Any

import platformdirs

from kiosk.config.settings import APP_NAME

LOG_FILE = "gate-kiosk.log"
NATIVE_CRASH_FILE = "native-crash.log"
_OURS = "_gate_kiosk_handler"
_fault_file: IO[str] | None = None


def log_dir() -> Path:
    """Where the log files go (see the module docstring)."""
    if os.environ.get("GATE_KIOSK_LOG_DIR"):
        return Path(os.environ["GATE_KIOSK_LOG_DIR"])
    if os.environ.get("GATE_KIOSK_DATA"):
        return Path(os.environ["GATE_KIOSK_DATA"]) / "log"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def _make_private(path: str) -> None:
    """Create ``path`` 0600 if it is missing, and narrow it if it is wider (a file from an older version)."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created 0600, the one after each rollover too."""

    def _open(self) -> io.TextIOWrapper[Any]:
        _make_private(self.baseFilename)
        return super()._open()


def setup_logging(verbose: bool = False) -> Path | None:
    """Root logging to the rotating file and stderr; returns the log file, or None if it cannot be written.

    Safe to call again (each ``main()`` in the tests): our handlers are replaced, others left alone.
    """
    # OpenCV prints its own [ WARN ] lines (a V4L2 probe of a missing camera) straight to stderr, past
    # logging, into doctor's and devices list's output; a camera's state is reported in words already.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    console = logging.StreamHandler()
    # The command's own one-line message is what a user reads; warnings (with their details) go to the
    # log file, and to the terminal with -v.
    console.setLevel(logging.INFO if verbose else logging.ERROR)
    console.setFormatter(fmt)
    setattr(console, _OURS, True)
    root.addHandler(console)
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        file_handler = PrivateRotatingFileHandler(folder / LOG_FILE, maxBytes=2 * 1024 * 1024,
                                                  backupCount=5, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write logs to %s (%s): logging to stderr only",
                                            folder, exc.strerror)
        return None
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(fmt)
    setattr(file_handler, _OURS, True)
    root.addHandler(file_handler)
    enable_faulthandler(folder)
    return folder / LOG_FILE


def enable_faulthandler(folder: Path) -> Path | None:
    """Native crashes (segfault, abort) write every thread's Python stack to ``native-crash.log``."""
    global _fault_file
    path = folder / NATIVE_CRASH_FILE
    try:
        _make_private(str(path))
        handle = path.open("a", encoding="utf-8")
    except OSError:
        return None
    faulthandler.enable(handle, all_threads=True)
    if _fault_file is not None:
        _fault_file.close()
    _fault_file = handle  # must stay open for as long as the process runs
    return path
