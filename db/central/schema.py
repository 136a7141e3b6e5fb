"""The central database's tables (SQLAlchemy Core), the records the central store returns, its Alembic history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Float, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from db.engine import alembic_config as local_alembic_config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "central_alembic_version"

_meta = MetaData()
ENTRIES = Table(
    "entries", _meta,
    *[Column(n, Text) for n in ("id", "site_id", "gate_id", "lane", "person_kind", "person_ref", "name_masked",
                                "id_masked", "id_hash", "health_status", "thermometer_id", "calibration_id",
                                "decision", "policy_version", "guard_id", "corrects_id", "note", "follow_up",
                                "prev_hash", "row_hash", "personal_hash", "origin", "visit_id",
                                "registration_sealed")],
    Column("elements", JSONB), Column("reasons", JSONB), Column("registration", JSONB),
    Column("codes", JSONB), Column("returnee", Boolean),
    Column("temperature_raw", Float), Column("temperature_c", Float), Column("mask", Boolean),
    Column("flagged", Boolean), Column("handoff", Boolean), Column("created_at", DateTime(timezone=True)),
    Column("local_date", Date), Column("seq", BigInteger), Column("purged_at", DateTime(timezone=True)),
)
ENTRY_FIELDS = [c.name for c in ENTRIES.columns]
FOLLOW_UPS = Table("follow_ups", _meta, Column("site_id", Text), Column("gate_id", Text), Column("local_id", BigInteger),
                   Column("entry_id", Text), Column("state", Text), Column("at", DateTime(timezone=True)),
                   Column("guard_id", Text), Column("note", Text))
DEVICE_EVENTS = Table("device_events", _meta, Column("site_id", Text), Column("gate_id", Text),
                      Column("local_id", BigInteger), Column("at", DateTime(timezone=True)), Column("device", Text),
                      Column("state", Text), Column("message", Text))
AUDIT_LOG = Table("audit_log", _meta, Column("site_id", Text), Column("gate_id", Text), Column("local_id", BigInteger),
                  Column("at", DateTime(timezone=True)), Column("actor", Text), Column("action", Text),
                  Column("detail", JSONB))
CALIBRATIONS = Table("calibrations", _meta, Column("id", Text), Column("site_id", Text), Column("gate_id", Text),
                     Column("thermometer_id", Text), Column("performed_at", DateTime(timezone=True)),
                     Column("operator", Text), Column("reference_c", Float), Column("readings", JSONB),
                     Column("offset_c", Float), Column("residual_c", Float), Column("ambient_c", Float),
                     Column("ambient_coefficient", Float))
SIDE_TABLES = {"follow_ups": FOLLOW_UPS, "device_events": DEVICE_EVENTS, "audit_log": AUDIT_LOG,
               "calibrations": CALIBRATIONS}


@dataclass(frozen=True)
class IngestResult:
    """What one batch did at the centre."""

    accepted: int
    duplicates: int
    head_seq: int


@dataclass(frozen=True)
class Incident:
    """A refusal or anomaly the centre recorded."""

    id: int
    site_id: str
    gate_id: str
    kind: str
    seq: int
    entry_id: str | None
    detail: str
    at: datetime


def alembic_config(url: str) -> Config:
    """The central schema's own Alembic history (``db/central/migrations``)."""
    return local_alembic_config(url, MIGRATIONS)


def central_head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head
