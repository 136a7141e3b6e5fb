"""An export run in a process of its own, for the window: its Python never competes with the guard's screen.

An export is Python from end to end (reading records, building cells, the
XLSX and PDF writers). On a thread of the window's process it held the GIL
most of the time, and the window's thread, which needs the GIL for every
key, paint and update, waited behind it: pauses of 200–600 ms on the guard's
screen during an XLSX export (bench/bench_gui_gaps.py). In a child process it
has an interpreter of its own.

``ExportInProcess`` has the exporter's three methods (``export_csv``,
``export_xlsx``, ``export_pdf``) with the same arguments, so the export
dialog uses it as it uses an ``Exporter``. Each call starts a fresh child
(``spawn``: a copy of a multi-threaded Qt process by ``fork`` is not safe,
and Windows has only ``spawn``), which opens the store with ``open_store``
(the composition root's ``build_store``, passed by name), builds the
exporter from the settings and runs it. Progress comes back over a pipe; the
caller's progress callback may raise ``ExportCancelled`` as with an
``Exporter``, and the child is asked to stop at its next step (its staged
file is removed, nothing is published), then ended if it does not.

Failures come back as the same exceptions an ``Exporter`` raises
(``ExportError``, ``ExportAuditFailed``, ``ExportCancelled``); a database
fault or a bug in the child comes back as ``ExportFailedElsewhere`` with the
kind ``export_failure_kind`` gives it there, and one line. A child that dies
without a word (killed, out of memory) is an ``ExportError`` saying so. The
audit row and the signature are written by the child, as the command line's
export writes them.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kiosk.config.settings import Settings
from kiosk.reports import (
    ExportAuditFailed, ExportCancelled, ExportError, ExportFailedElsewhere, ExportQuery, export_failure_kind,
)
from kiosk.reports.figures import Progress
from kiosk.reports.source import LedgerSource

log = logging.getLogger(__name__)

NICENESS = 10  # the export process's lower CPU priority (Unix)
STOP_WAIT_S = 10.0  # a cancelled child stops at its next progress step; after this it is ended


class ExportInProcess:
    """See the module docstring."""

    def __init__(self, settings: Settings, open_store: Callable[[Settings], LedgerSource], *, actor: str | None = None,
                 pin: str | None = None) -> None:
        self._settings, self._open_store, self._actor, self._pin = settings, open_store, actor, pin
        self.child_pids: list[int] = []  # the processes that ran this object's exports, newest last

    def export_csv(self, q: ExportQuery, path: Path, english: bool = False, progress: Progress | None = None) -> Any:
        return self._run("csv", q, path, english, progress)

    def export_xlsx(self, q: ExportQuery, path: Path, english: bool = False, progress: Progress | None = None) -> Any:
        return self._run("xlsx", q, path, english, progress)

    def export_pdf(self, q: ExportQuery, path: Path, progress: Progress | None = None) -> Any:
        return self._run("pdf", q, path, False, progress)

    def _run(self, fmt: str, q: ExportQuery, path: Path, english: bool, progress: Progress | None) -> Any:
        from kiosk.reports.exports import ExportResult

        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        child = context.Process(target=_child_main, name="gate-kiosk-export", daemon=True,
                                args=(theirs, self._settings, self._open_store, self._actor, self._pin,
                                      fmt, q, str(path), english))
        try:
            child.start()
        except OSError as exc:
            raise ExportError(f"cannot start the export process: {exc}") from None
        theirs.close()
        if child.pid is not None:
            self.child_pids.append(child.pid)
        try:
            while True:
                try:
                    message = ours.recv() if ours.poll(0.2) else None
                except (EOFError, OSError):
                    message = None
                    child.join(1.0)
                if message is None:
                    if not child.is_alive():
                        raise ExportError(f"the export process ended without finishing (exit code {child.exitcode})",
                                          "process", f"exit code {child.exitcode}")
                    continue
                what, *rest = message
                if what == "progress":
                    if progress is not None:
                        try:
                            progress(*rest)
                        except ExportCancelled:
                            _stop(ours, child)
                            raise
                elif what == "done":
                    out, rows, digest, signature = rest
                    return ExportResult(Path(out), rows, digest, Path(signature) if signature else None)
                else:
                    kind, line, detail, *words = rest
                    if detail:  # the child has no log file of its own: its traceback goes into ours
                        log.error("export to %s failed in the export process:\n%s", path, detail)
                    raise _failure(kind, line, *words)
        finally:
            ours.close()
            child.join(STOP_WAIT_S)
            if child.is_alive():
                child.kill()


def _stop(conn: Connection, child: Any) -> None:
    """Ask the child to stop at its next step; end it if it does not within STOP_WAIT_S."""
    try:
        conn.send(("cancel",))
    except OSError:
        pass
    child.join(STOP_WAIT_S)
    if child.is_alive():
        log.warning("the export process did not stop when asked: ended")
        child.kill()


def _failure(kind: str, message: str, words_kind: str = "", subject: str = "") -> Exception:
    if kind == "cancelled":
        return ExportCancelled()
    if kind == "audit":
        return ExportAuditFailed(message)
    if kind == "error":
        return ExportError(message, words_kind, subject)
    return ExportFailedElsewhere(kind, message)


def _child_main(conn: Connection, settings: Settings, open_store: Callable[[Settings], LedgerSource],
                actor: str | None, pin: str | None, fmt: str, q: ExportQuery, path: str, english: bool) -> None:
    """The child: open the store, export, say how it went (a line for the dialog, a traceback for the log)."""
    from kiosk.reports.exports import Exporter

    def progress(done: int, total: int) -> None:
        if conn.poll():  # the only thing the parent sends is "cancel"
            raise ExportCancelled()
        conn.send(("progress", done, total))

    if hasattr(os, "nice"):
        # Background work: where both cores are busy, the guard's window goes first (Windows has no nice).
        os.nice(NICENESS)
    store = None
    try:
        store = open_store(settings)
        exporter = Exporter.for_settings(settings, store, actor=actor, pin=pin)
        if fmt == "csv":
            result = exporter.export_csv(q, Path(path), english, progress)
        elif fmt == "xlsx":
            result = exporter.export_xlsx(q, Path(path), english, progress)
        else:
            result = exporter.export_pdf(q, Path(path), progress)
        conn.send(("done", str(result.path), result.rows, result.sha256,
                   str(result.signature_path) if result.signature_path else ""))
    except ExportAuditFailed as exc:
        conn.send(("failed", "audit", str(exc), traceback.format_exc()))
    except ExportError as exc:
        conn.send(("failed", "error", str(exc), "", exc.kind, exc.subject))
    except OSError as exc:
        conn.send(("failed", "error", str(exc), ""))
    except Exception as exc:  # the database, a bug: one line for the dialog, the traceback for the log
        kind = export_failure_kind(exc)
        line = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        conn.send(("failed", kind, line, "" if kind == "cancelled" else traceback.format_exc()))
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
        conn.close()
