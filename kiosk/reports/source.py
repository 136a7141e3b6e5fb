"""What the exporter reads: the ledger as a Protocol, so a kiosk's store and the centre's ledger both fit.

``db.store.EntryStore`` (this kiosk's log) and ``db.central.ledger.CentralLedger``
(one school or gate at the centre) satisfy it structurally; neither names it,
since ``db`` never imports the core.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Protocol

from db.records import AuditDetail, AuditRecord, CalibrationRecord, EntryRecord


class LedgerSource(Protocol):
    """The reads (and the one audit write) that ``kiosk.reports.exports.Exporter`` makes."""

    def effective_entries(self, date_from: date, date_to: date | None = None, *, lane: str | None = None,
                          flagged_only: bool = False) -> Iterator[EntryRecord]:
        """The range's entries in time order, each corrected entry replaced by its correction."""

    def count(self, date_from: date | None = None, date_to: date | None = None) -> int: ...

    def latest_follow_ups(self, date_from: date, date_to: date) -> dict[str, str]:
        """Entry id -> its newest follow-up state, for the entries of the range."""

    def device_events(self, since: datetime, until: datetime) -> list[tuple[datetime, str, str, str]]:
        """(at, device, state, message) in time order."""

    def calibrations(self, since: datetime, until: datetime) -> list[CalibrationRecord]: ...

    def latest_calibration(self, thermometer_id: str, before: datetime | None = None) -> CalibrationRecord | None:
        """The newest calibration of the thermometer, strictly before ``before`` when given."""

    def audit_events(self, action: str | None = None) -> list[AuditRecord]: ...

    def audit(self, actor: str, action: str, detail: AuditDetail) -> None: ...
