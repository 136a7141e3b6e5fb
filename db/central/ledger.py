"""The centre seen as one school's (or one gate's) entry store, so the kiosk's own ledger exports run on it.

``kiosk.reports.exports.Exporter`` reads a store through a handful of methods; this
class answers them from the central tables for a site (and optionally one
gate), so the bureau gets the same daily ledger, weekly self-inspection and
columns from the centre as from a kiosk. Audit rows of the export go to the
exporting kiosk's own log (``local``), which forwards them in turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, text

from db.central.schema import ENTRY_FIELDS
from db.central.store import CentralStore
from db.records import AuditDetail, AuditRecord, CalibrationRecord, EntryRecord


class AuditLog(Protocol):
    """Where the export's audit row goes: the exporting kiosk's own log (``db.store.EntryStore``)."""

    def audit(self, actor: str, action: str, detail: AuditDetail) -> None: ...


class CentralLedger:
    """Read-only store view of one site (and gate) at the centre."""

    def __init__(self, central: CentralStore, site_id: str, gate_id: str | None, local: AuditLog) -> None:
        self.central, self.site_id, self.gate_id, self.local = central, site_id, gate_id, local

    def _where(self, alias: str = "e") -> str:
        return f"{alias}.site_id = :site" + (f" AND {alias}.gate_id = :gate" if self.gate_id else "")

    def _params(self, **kw: Any) -> dict[str, Any]:
        return {"site": self.site_id, "gate": self.gate_id, **kw}

    def effective_entries(self, date_from: date, date_to: date | None = None, *, lane: str | None = None,
                          flagged_only: bool = False) -> Iterator[EntryRecord]:
        sql = (f"SELECT {', '.join('e.' + f for f in ENTRY_FIELDS)} FROM entries e WHERE {self._where()} "
               "AND e.local_date BETWEEN :d0 AND :d1 AND (CAST(:lane AS text) IS NULL OR e.lane = :lane) "
               "AND (NOT :flagged OR e.flagged) AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.corrects_id = e.id "
               "AND c.corrects_id IS NOT NULL AND c.local_date >= :d0) ORDER BY e.created_at, e.id")

        def do(conn: Connection) -> list[EntryRecord]:
            rows = conn.execute(text(sql), self._params(d0=date_from, d1=date_to or date_from, lane=lane,
                                                        flagged=flagged_only)).mappings()
            return [EntryRecord(**dict(r)) for r in rows]
        result: list[EntryRecord] = self.central.run(do)
        return iter(result)

    def count(self, date_from: date | None = None, date_to: date | None = None) -> int:
        def do(conn: Connection) -> int:
            return int(conn.scalar(text(f"SELECT count(*) FROM entries e WHERE {self._where()} "
                                        "AND e.local_date BETWEEN :d0 AND :d1"),
                                   self._params(d0=date_from or date.min, d1=date_to or date_from or date.max)) or 0)
        n: int = self.central.run(do)
        return n

    def latest_follow_ups(self, date_from: date, date_to: date) -> dict[str, str]:
        def do(conn: Connection) -> dict[str, str]:
            return {i: s for i, s in conn.execute(text(
                f"SELECT f.entry_id, f.state FROM follow_ups f JOIN entries e ON e.id = f.entry_id "
                f"WHERE {self._where()} AND e.local_date BETWEEN :d0 AND :d1 ORDER BY f.at, f.local_id"),
                self._params(d0=date_from, d1=date_to))}
        result: dict[str, str] = self.central.run(do)
        return result

    def device_events(self, since: datetime, until: datetime) -> list[tuple[datetime, str, str, str]]:
        def do(conn: Connection) -> list[tuple[datetime, str, str, str]]:
            return [(r[0], r[1], r[2], r[3]) for r in conn.execute(text(
                f"SELECT at, device, state, message FROM device_events d WHERE {self._where('d')} "
                "AND at >= :a AND at < :b ORDER BY at, local_id"), self._params(a=since, b=until))]
        result: list[tuple[datetime, str, str, str]] = self.central.run(do)
        return result

    def _calibrations(self, sql_tail: str, **params: Any) -> list[CalibrationRecord]:
        def do(conn: Connection) -> list[CalibrationRecord]:
            rows = conn.execute(text(f"SELECT {', '.join(CalibrationRecord.__annotations__)} FROM calibrations c "
                                     f"WHERE {self._where('c')} {sql_tail}"), self._params(**params)).mappings()
            return [CalibrationRecord(
                id=r["id"], thermometer_id=r["thermometer_id"], performed_at=r["performed_at"], operator=r["operator"],
                reference_c=r["reference_c"], readings=list(r["readings"]), offset_c=r["offset_c"],
                residual_c=r["residual_c"], ambient_c=r["ambient_c"], ambient_coefficient=r["ambient_coefficient"],
            ) for r in rows]
        result: list[CalibrationRecord] = self.central.run(do)
        return result

    def calibrations(self, since: datetime, until: datetime) -> list[CalibrationRecord]:
        return self._calibrations("AND performed_at >= :a AND performed_at < :b ORDER BY performed_at", a=since, b=until)

    def latest_calibration(self, thermometer_id: str, before: datetime | None = None) -> CalibrationRecord | None:
        """The newest calibration of the thermometer; with ``before``, the newest strictly before it (as the
        kiosk's own store: a past week's report judges the calibration that held then)."""
        rows = self._calibrations("AND thermometer_id = :t AND (CAST(:before AS timestamptz) IS NULL "
                                  "OR performed_at < :before) ORDER BY performed_at DESC LIMIT 1",
                                  t=thermometer_id, before=before)
        return rows[0] if rows else None

    def audit(self, actor: str, action: str, detail: AuditDetail) -> None:
        self.local.audit(actor, action, {**detail, "source": "centre", "site": self.site_id, "gate": self.gate_id})

    def audit_events(self, action: str | None = None) -> list[AuditRecord]:
        def do(conn: Connection) -> list[AuditRecord]:
            rows = conn.execute(text(
                f"SELECT at, actor, action, detail FROM audit_log a WHERE {self._where('a')} "
                "AND (CAST(:action AS text) IS NULL OR action = :action) ORDER BY at"),
                self._params(action=action)).mappings()
            return [AuditRecord(at=r["at"], actor=r["actor"], action=r["action"], detail=r["detail"]) for r in rows]
        result: list[AuditRecord] = self.central.run(do)
        return result
