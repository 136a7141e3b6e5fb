"""Reports for the school and the bureau: figures, tables, CSV/XLSX/PDF files, signatures.

What every report module shares lives here: the query (which entries) and the one error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.domain.vocabulary import lane_words


class ExportError(Exception):
    """An export cannot be made (bad range, unwritable file, no Chinese font).

    The message is the command line's (English). ``kind``, where set, names the window's words for it
    (``kiosk.domain.vocabulary.export_failure_words``, ``%1`` replaced by ``subject``, e.g. the file).
    """

    def __init__(self, message: str, kind: str = "", subject: str = "") -> None:
        super().__init__(message)
        self.kind, self.subject = kind, subject


class ExportAuditFailed(ExportError):
    """The export's audit row could not be written (a busy database): its file was removed, not published."""


class ExportFailedElsewhere(Exception):
    """An export run in another process failed on the database or a bug: its kind there, and one line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ExportCancelled(Exception):
    """Raised from an export's progress callback to stop it; the staged file is removed, nothing is renamed."""


def export_failure_kind(exc: BaseException) -> str:
    """Which words a failed export gets (``kiosk.domain.vocabulary.export_failure_words``): a storage fault or not."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from db.engine import StoreError

    if isinstance(exc, ExportCancelled):
        return "cancelled"
    if isinstance(exc, ExportFailedElsewhere):
        return exc.kind
    if isinstance(exc, ExportAuditFailed):
        return "audit"
    if isinstance(exc, (SQLAlchemyError, sqlite3.Error, StoreError)):
        return "database"
    return "unexpected"


@dataclass(frozen=True)
class ExportQuery:
    """Which entries: a range of local days, optionally one lane and only flagged ones."""

    date_from: date
    date_to: date
    lane: str | None = None
    flagged_only: bool = False

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ExportError("--to is before --date", "range")
        if self.lane not in (None, "campus", "worker"):
            raise ExportError("lane must be campus or worker")

    def describe(self) -> str:
        span = str(self.date_from) if self.date_from == self.date_to else f"{self.date_from} – {self.date_to}"
        return span + (f" · {lane_words(self.lane)}" if self.lane else "") + (" · 仅异常" if self.flagged_only else "")
