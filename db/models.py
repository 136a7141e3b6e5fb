"""SQLAlchemy 2.0 typed models of the entry log, roster, calibrations and audit log.

The schema itself is owned by the Alembic migrations in ``db/migrations``;
these models must match the newest revision (a test compares them). Times
are stored in UTC; ``local_date`` is the school's calendar day, so a daily
export is one indexed range.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base for every table of the kiosk."""


class Entry(Base):
    """One judged visit; append-only (a correction is a new row with ``corrects_id``)."""

    __tablename__ = "entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(Text)
    gate_id: Mapped[str] = mapped_column(Text)
    lane: Mapped[str] = mapped_column(String(16))
    person_kind: Mapped[str] = mapped_column(String(16))
    person_ref: Mapped[str | None] = mapped_column(Text)
    name_masked: Mapped[str | None] = mapped_column(Text)
    id_masked: Mapped[str | None] = mapped_column(Text)
    id_hash: Mapped[str | None] = mapped_column(String(64))
    elements: Mapped[dict[str, Any]] = mapped_column(JSON)
    health_status: Mapped[str | None] = mapped_column(String(16))
    temperature_raw: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    thermometer_id: Mapped[str | None] = mapped_column(Text)
    calibration_id: Mapped[str | None] = mapped_column(String(36))
    mask: Mapped[bool | None] = mapped_column(Boolean)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(32))
    guard_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_date: Mapped[date] = mapped_column(Date)
    registration: Mapped[dict[str, Any]] = mapped_column(JSON)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[str | None] = mapped_column(ForeignKey("entries.id"))
    note: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(String(32))
    # Tamper evidence (db.chain): per-gate sequence and hash chain.
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    personal_hash: Mapped[str | None] = mapped_column(String(64))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Revision 0005: the visit behind the entry (NULL on older rows).
    origin: Mapped[str | None] = mapped_column(String(16))  # live | demo | simulation
    visit_id: Mapped[str | None] = mapped_column(String(36))
    codes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    returnee: Mapped[bool | None] = mapped_column(Boolean)
    registration_sealed: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_entries_local_date_lane", "local_date", "lane"),
        Index("ix_entries_corrects_id", "corrects_id"),
        Index("ix_entries_gate_seq", "gate_id", "seq", unique=True),
    )


class RosterEntry(Base):
    """A student or staff member, imported from the school's roster file."""

    __tablename__ = "roster"

    person_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    group_name: Mapped[str] = mapped_column(Text, default="")
    card_number: Mapped[str | None] = mapped_column(Text, unique=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The school's daily health status of this person (green/yellow/red) and its day.
    health_status: Mapped[str | None] = mapped_column(String(16))
    health_date: Mapped[date | None] = mapped_column(Date)


class Calibration(Base):
    """One calibration of a thermometer against a reference."""

    __tablename__ = "calibrations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    thermometer_id: Mapped[str] = mapped_column(Text, index=True)
    performed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    operator: Mapped[str] = mapped_column(Text)
    reference_c: Mapped[float] = mapped_column(Float)
    readings: Mapped[list[float]] = mapped_column(JSON)
    offset_c: Mapped[float] = mapped_column(Float)
    residual_c: Mapped[float] = mapped_column(Float)
    ambient_c: Mapped[float | None] = mapped_column(Float)
    ambient_coefficient: Mapped[float] = mapped_column(Float, default=0.0)


class AuditEvent(Base):
    """Who did what sensitive thing when (exports, overrides, settings, purges)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeviceEvent(Base):
    """A device changed state (connected, lost, silent); reports sum the downtime."""

    __tablename__ = "device_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    device: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")


class FollowUp(Base):
    """What happened to a flagged person after the gate: appended, never edited."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # retake_due | observation | cleared
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    guard_id: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class LogKeyState(Base):
    """The log's one current authentication key (db.chain): it evolves after every journal row.

    ``initial_key`` holds K_0 only until it is handed out (``gate-kiosk log-key handout``);
    ``commitment`` lets ``verify-log --key`` tell a wrong key from a broken log;
    ``ledger_id`` names this log, so a replaced or emptied database is noticed.
    """

    __tablename__ = "log_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger_id: Mapped[str] = mapped_column(String(36))
    next_seq: Mapped[int] = mapped_column(Integer)
    current_key: Mapped[str] = mapped_column(String(64))
    last_mac: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(32))
    initial_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JournalRow(Base):
    """One authenticated row: which row of which table, its digest and the MAC under K_seq."""

    __tablename__ = "log_journal"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))  # entry | follow_up | audit
    ref: Mapped[str] = mapped_column(String(36))
    digest: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_log_journal_kind_ref", "kind", "ref"),)


class RecentCode(Base):
    """A code seen lately (canonical key), so that replay detection survives a restart."""

    __tablename__ = "recent_codes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SyncPosition(Base):
    """How far one stream of the local log has reached the centre (kiosk.services.sync); nothing is deleted when sent."""

    __tablename__ = "sync_positions"

    stream: Mapped[str] = mapped_column(String(96), primary_key=True)  # e.g. "entries:gate-1", "audit_log"
    position: Mapped[int] = mapped_column(BigInteger)  # last sent seq (entries) or local row id
    cursor: Mapped[str] = mapped_column(String(64), server_default="")  # calibrations: last performed_at sent
    sent: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
