"""ORM rows to the plain records of ``db.records`` (the store's parts share these), and UTC for SQLite."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone
from typing import Any

from db.models import AuditEvent, Calibration, Entry, FollowUp
from db.records import CalibrationRecord, EntryRecord

ENTRY_FIELDS = [f.name for f in fields(EntryRecord)]


def utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def entry_record(row: Entry) -> EntryRecord:
    data = {name: getattr(row, name) for name in ENTRY_FIELDS}
    data["created_at"] = utc(row.created_at)
    if row.purged_at is not None:
        data["purged_at"] = utc(row.purged_at)
    return EntryRecord(**data)


def record_fields(row: FollowUp | AuditEvent) -> dict[str, Any]:
    if isinstance(row, FollowUp):
        return {"id": row.id, "entry_id": row.entry_id, "state": row.state, "at": utc(row.at),
                "guard_id": row.guard_id, "note": row.note}
    return {"id": row.id, "at": utc(row.at), "actor": row.actor, "action": row.action, "detail": row.detail}


def calibration_dict(row: Calibration) -> CalibrationRecord:
    return {
        "id": row.id, "thermometer_id": row.thermometer_id, "performed_at": utc(row.performed_at),
        "operator": row.operator, "reference_c": row.reference_c, "readings": list(row.readings),
        "offset_c": row.offset_c, "residual_c": row.residual_c, "ambient_c": row.ambient_c,
        "ambient_coefficient": row.ambient_coefficient,
    }
