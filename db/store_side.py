"""The entry store's side records: the roster, the audit trail, recent codes, device events, calibrations.

``SideRecords`` is a part of ``db.store.EntryStore`` (which provides the sessions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import String, cast, delete, exists, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from db.chain import (
    record_digest,
)
from db.journal import KeyState, lock_key_state, save_key_state
from db.models import (
    AuditEvent,
    Calibration,
    DeviceEvent,
    JournalRow,
    RecentCode,
    RosterEntry,
)
from db.records import AuditDetail, AuditRecord, CalibrationRecord, CheckedAudit, RosterPerson
from db.rows import calibration_dict, record_fields, utc
from db.engine import StoreError, short_error


RECENT_CODE_HORIZON = timedelta(hours=24)  # the longest replay window the config allows
AUDIT_SCAN = 512  # journalled audit rows read back for the PIN's failure count (each attempt is one)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _audit_dict(r: AuditEvent) -> AuditRecord:
    return {"at": utc(r.at), "actor": r.actor, "action": r.action, "detail": r.detail}


def _not_authentic(r: AuditEvent, why: str) -> CheckedAudit:
    """A row the journal does not vouch for: its detail is not believed."""
    return {"at": utc(r.at), "actor": r.actor, "action": r.action, "detail": {}, "authentic": False, "why": why}


class SideRecords:
    """Roster, audit, recent codes, devices and calibrations of the entry store."""

    # Provided by EntryStore (its sessions on the one engine).
    _session: sessionmaker[Session]
    _write: sessionmaker[Session]

    def roster_index(self) -> dict[str, str | None]:
        """Every roster person's id and card number (an import checks new cards against them)."""
        with self._session() as s:
            return {pid: card for pid, card in s.execute(select(RosterEntry.person_id, RosterEntry.card_number))}

    def upsert_roster(self, people: Iterable[RosterPerson]) -> tuple[int, int]:
        """Insert or update roster people in one transaction; returns (new, updated)."""
        now = datetime.now(timezone.utc)
        try:
            return self._upsert(people, now)
        except SQLAlchemyError as exc:
            raise StoreError(f"roster not imported, nothing written: {short_error(exc)}") from None

    def _upsert(self, people: Iterable[RosterPerson], now: datetime) -> tuple[int, int]:
        new = updated = 0
        with self._session.begin() as s:
            for p in people:
                row = s.get(RosterEntry, p.person_id)
                if row is None:
                    s.add(RosterEntry(person_id=p.person_id, name=p.name, kind=p.kind, group_name=p.group,
                                      card_number=p.card_number, updated_at=now, health_status=p.health_status,
                                      health_date=p.health_date))
                    new += 1
                else:
                    row.name, row.kind, row.group_name, row.card_number = p.name, p.kind, p.group, p.card_number
                    row.health_status, row.health_date = p.health_status, p.health_date
                    row.updated_at = now
                    updated += 1
        return new, updated

    def find_roster(self, person_id_or_card: str) -> RosterPerson | None:
        key = person_id_or_card.strip()
        with self._session() as s:
            by_id = s.get(RosterEntry, key)
            by_card = s.scalars(select(RosterEntry).where(RosterEntry.card_number == key)).first()
            if by_id is not None and by_card is not None and by_id.person_id != by_card.person_id:
                return None  # one number, two people: never guess which (the card is "not in the roster")
            row = by_id or by_card
            if row is None:
                return None
            return RosterPerson(row.person_id, row.name, row.kind, row.group_name, row.card_number,
                                row.health_status, row.health_date)

    def find_roster_by_name(self, name: str) -> list[RosterPerson]:
        """Everyone on the roster with exactly this name (a signed code names its holder)."""
        with self._session() as s:
            rows = s.scalars(select(RosterEntry).where(RosterEntry.name == name.strip()).limit(3)).all()
            return [RosterPerson(r.person_id, r.name, r.kind, r.group_name, r.card_number, r.health_status,
                                 r.health_date) for r in rows]

    def audit(self, actor: str, action: str, detail: AuditDetail) -> None:
        """Append an audit row, journalled (so the audit log cannot be quietly rewritten either)."""
        with self._write.begin() as s:
            conn = s.connection()
            key = self._key_state(conn)
            row = self._audit_row(conn, actor, action, detail)
            save_key_state(conn, key, [key.sign("audit", str(row["id"]), record_digest("audit", row))])

    def audit_once(self, actor: str, action: str, detail: AuditDetail) -> bool:
        """``audit``, unless the newest row of ``action`` already says exactly this (decided under the write lock)."""
        with self._write.begin() as s:
            conn = s.connection()
            key = self._key_state(conn)
            last = s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(AuditEvent.id.desc()).limit(1)).first()
            if last is not None and last.detail == detail:
                return False
            row = self._audit_row(conn, actor, action, detail)
            save_key_state(conn, key, [key.sign("audit", str(row["id"]), record_digest("audit", row))])
        return True

    def audited_attempt(self, actor: str, action: str, judge: Callable[[list[CheckedAudit]], tuple[bool, AuditDetail]],
                        actions: tuple[str, ...]) -> bool:
        """Serialised check-and-record: ``judge`` sees the audit rows of ``actions`` (newest first, up to 64)
        and decides; its decision is audited in the same write transaction, so parallel attempts take turns
        and every one of them counts (the admin PIN's lockout lives here, not in a file)."""
        with self._write.begin() as s:
            conn = s.connection()
            key = self._key_state(conn)  # the write lock: one attempt at a time
            history = self._checked_audits(s, actions, 64)
            ok, detail = judge(history)
            row = self._audit_row(conn, actor, action, detail)
            save_key_state(conn, key, [key.sign("audit", str(row["id"]), record_digest("audit", row))])
        return ok

    def recent_audits(self, actions: tuple[str, ...], limit: int = 64) -> list[CheckedAudit]:
        """The newest audit rows of ``actions``, newest first, each marked ``authentic`` (see ``_checked_audits``)."""
        with self._session() as s:
            return self._checked_audits(s, actions, limit)

    @staticmethod
    def _checked_audits(s: Session, actions: tuple[str, ...], limit: int) -> list[CheckedAudit]:
        """The newest audit rows of ``actions`` as the journal vouches for them, newest first.

        A row whose journal digest matches is ``authentic``. A row the journal does
        not know (inserted behind the kiosk's back), one that differs from its
        digest (edited, whatever its action now says) and one the journal names
        but that is gone (deleted) come back with ``authentic`` false and an empty
        detail: whoever counts PIN failures counts them as failures (fail closed).
        """
        journal = (select(JournalRow.ref, JournalRow.digest, AuditEvent)
                   .outerjoin(AuditEvent, cast(AuditEvent.id, String) == JournalRow.ref)
                   .where(JournalRow.kind == "audit").order_by(JournalRow.seq.desc()).limit(AUDIT_SCAN))
        unjournalled = (select(AuditEvent).where(~exists().where(
            (JournalRow.kind == "audit") & (JournalRow.ref == cast(AuditEvent.id, String))))
            .order_by(AuditEvent.id.desc()).limit(limit))
        items: list[tuple[int, CheckedAudit]] = []
        for ref, digest, row in s.execute(journal):
            if row is None:
                items.append((_int(ref), {"at": None, "actor": None, "action": None, "detail": {},
                                          "authentic": False, "why": f"audit row {ref} was deleted"}))
            elif digest != record_digest("audit", record_fields(row)):
                items.append((row.id, _not_authentic(row, f"audit row {row.id} differs from what the journal authenticated")))
            elif row.action in actions:
                items.append((row.id, {"at": utc(row.at), "actor": row.actor, "action": row.action,
                                       "detail": row.detail, "authentic": True}))
        for row in s.scalars(unjournalled):
            items.append((row.id, _not_authentic(row, f"audit row {row.id} is not in the journal")))
        items.sort(key=lambda item: item[0], reverse=True)
        return [item for _, item in items[:limit]]

    def last_audit(self, action: str) -> AuditRecord | None:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
        with self._session() as s:
            r = s.scalars(stmt).first()
            return _audit_dict(r) if r else None

    def remember_code(self, key: str, visit_id: str, at: datetime) -> None:
        """Remember that a code (its canonical key) was seen at a visit; rows older than a day are pruned."""
        with self._write.begin() as s:
            s.execute(delete(RecentCode).where(RecentCode.at < at - RECENT_CODE_HORIZON))
            row = s.get(RecentCode, key)
            if row is None:
                s.add(RecentCode(key=key, visit_id=visit_id, at=at))
            else:
                row.visit_id, row.at = visit_id, at

    def recent_code(self, key: str) -> tuple[datetime, str] | None:
        """When and at which visit a code was last seen, if within the last day."""
        with self._session() as s:
            row = s.get(RecentCode, key)
            return (utc(row.at), row.visit_id) if row else None

    def audit_events(self, action: str | None = None) -> list[AuditRecord]:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        with self._session() as s:
            return [_audit_dict(r) for r in s.scalars(stmt)]

    def device_event(self, device: str, state: str, message: str = "", at: datetime | None = None) -> None:
        with self._session.begin() as s:
            s.add(DeviceEvent(at=at or datetime.now(timezone.utc), device=device, state=state, message=message))

    def device_events(self, since: datetime, until: datetime) -> list[tuple[datetime, str, str, str]]:
        stmt = select(DeviceEvent).where(DeviceEvent.at >= since, DeviceEvent.at < until).order_by(DeviceEvent.at)
        with self._session() as s:
            return [(utc(r.at), r.device, r.state, r.message) for r in s.scalars(stmt)]

    def add_calibration(self, record: CalibrationRecord) -> None:
        with self._session.begin() as s:
            s.add(Calibration(**record))

    def latest_calibration(self, thermometer_id: str, before: datetime | None = None) -> CalibrationRecord | None:
        """The newest calibration of ``thermometer_id``; with ``before``, the newest made strictly before it
        (a past day's report judges the calibration that held then, not one made since)."""
        stmt = select(Calibration).where(Calibration.thermometer_id == thermometer_id)
        if before is not None:
            stmt = stmt.where(Calibration.performed_at < before)
        stmt = stmt.order_by(Calibration.performed_at.desc()).limit(1)
        with self._session() as s:
            row = s.scalars(stmt).first()
            return calibration_dict(row) if row else None

    def calibrations(self, since: datetime, until: datetime) -> list[CalibrationRecord]:
        stmt = (select(Calibration).where(Calibration.performed_at >= since, Calibration.performed_at < until)
                .order_by(Calibration.performed_at))
        with self._session() as s:
            return [calibration_dict(r) for r in s.scalars(stmt)]

    def _key_state(self, conn: Any) -> KeyState:
        state = lock_key_state(conn)
        if state is None:
            raise StoreError("the log has no key state (log_key table empty): the log cannot be authenticated")
        return state

    def _audit_row(self, conn: Any, actor: str, action: str, detail: dict[str, Any]) -> dict[str, Any]:
        row = {"at": datetime.now(timezone.utc), "actor": actor, "action": action, "detail": detail}
        row["id"] = conn.execute(insert(AuditEvent).values(**row).returning(AuditEvent.id)).scalar_one()
        return row


