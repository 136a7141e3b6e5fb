"""What the guard's desk asks of the entry log, as a Protocol (``db.store.EntryStore`` fits it).

The desk reads the day's entries and follow-ups, marks follow-ups, writes audit
rows, checks the admin PIN against the log and hands the log to the exporter,
so its store is the union of those seams plus the follow-up history it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from kiosk.desk.today import FollowUpLog
from kiosk.reports.source import LedgerSource
from kiosk.services.access import PinLedger


class DeskStore(LedgerSource, PinLedger, FollowUpLog, Protocol):
    """The entry log as ``kiosk.desk.guard_desk.GuardDesk`` uses it."""

    def follow_ups(self, entry_ids: Iterable[str]) -> dict[str, list[tuple[datetime, str, str, str]]]:
        """Follow-up history per entry id, oldest first: (at, state, guard, note)."""
