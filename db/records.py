"""Plain records that cross the database boundary; ORM objects never leave ``db``.

The core builds an ``EntryRecord`` and hands it to the store; the store
returns the same dataclasses when reading. Fields mirror the ``entries``
table and what the education bureau receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypedDict


@dataclass(frozen=True)
class EntryRecord:
    """One judged visit at the gate (a correction is another record pointing back)."""

    id: str
    site_id: str
    gate_id: str
    lane: str
    person_kind: str
    decision: str
    flagged: bool
    policy_version: str
    guard_id: str
    created_at: datetime  # UTC, timezone-aware
    local_date: date
    elements: dict[str, Any] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    person_ref: str | None = None
    name_masked: str | None = None
    id_masked: str | None = None
    id_hash: str | None = None
    health_status: str | None = None
    temperature_raw: float | None = None
    temperature_c: float | None = None
    thermometer_id: str | None = None
    calibration_id: str | None = None
    mask: bool | None = None
    registration: dict[str, Any] = field(default_factory=dict)
    handoff: bool = False
    corrects_id: str | None = None
    note: str | None = None
    follow_up: str | None = None
    origin: str | None = None  # live | demo | simulation (None: written before revision 0005)
    visit_id: str | None = None
    codes: list[dict[str, Any]] | None = None  # every code seen at the visit, in order
    returnee: bool | None = None
    registration_sealed: str | None = None  # AES-GCM sealed full registration (kiosk.services.sealing)
    # Set by the store on append (db.chain); callers leave them empty.
    seq: int | None = None
    prev_hash: str | None = None
    row_hash: str | None = None
    personal_hash: str | None = None
    purged_at: datetime | None = None


@dataclass(frozen=True)
class RosterPerson:
    """A student or staff member known to the school."""

    person_id: str
    name: str
    kind: str
    group: str = ""
    card_number: str | None = None
    health_status: str | None = None  # the school's daily status: green | yellow | red
    health_date: date | None = None


@dataclass(frozen=True)
class RosterImportReport:
    """What a roster import did, row by row where something was wrong."""

    imported: int
    updated: int
    rejected: list[tuple[int, str]]  # (line number in the file, why)


class CalibrationRecord(TypedDict):
    """One thermometer calibration as stored (the ``calibrations`` table) and read back."""

    id: str
    thermometer_id: str
    performed_at: datetime  # UTC, timezone-aware
    operator: str
    reference_c: float
    readings: list[float]
    offset_c: float
    residual_c: float
    ambient_c: float | None
    ambient_coefficient: float


# An audit row's detail: the JSON object each action records (its keys differ by action, and the
# values are whatever json.loads gives back), so its values stay Any.
AuditDetail = dict[str, Any]


class AuditRecord(TypedDict):
    """One audit row as stored (the ``audit_log`` table)."""

    at: datetime  # UTC, timezone-aware
    actor: str
    action: str
    detail: AuditDetail


class _CheckedAuditFields(TypedDict):
    at: datetime | None  # None (and actor, action None, detail empty): the journal names a row that is gone
    actor: str | None
    action: str | None
    detail: AuditDetail  # empty unless authentic: what an edited or inserted row says is not believed
    authentic: bool


class CheckedAudit(_CheckedAuditFields, total=False):
    """An audit row as the journal vouches for it (``EntryStore.recent_audits``): ``why`` when not authentic."""

    why: str
