"""Verifying the entry log: the hash chain per gate, the journal's digests and MACs, what a purge may have removed.

``ChainChecks`` is a part of ``db.store.EntryStore`` (which provides the sessions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, DateTime, String, Text, cast, exists, func, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from db.chain import (
    GENESIS,
    PERSONAL_FIELDS,
    entry_digest,
    evolve,
    journal_mac,
    key_commitment,
    legacy_row_hash,
    personal_hash,
    record_digest,
    row_hash,
)
from db.models import (
    AuditEvent,
    Entry,
    FollowUp,
    JournalRow,
    LogKeyState,
)
from db.rows import ENTRY_FIELDS, entry_record, record_fields


@dataclass
class ChainReport:
    """What ``verify_chain`` found: rows checked, and every broken row."""

    checked: int = 0
    broken: list[tuple[str, int, str, str]] = field(default_factory=list)  # (gate or kind, seq, row id, why)
    authenticated: int = 0  # journal rows whose MAC was checked with the initial key
    wrong_key: bool = False

    @property
    def ok(self) -> bool:
        return not self.broken


class ChainChecks:
    """``EntryStore.verify_chain`` and what it needs."""

    # Provided by EntryStore (its sessions on the one engine).
    _session: sessionmaker[Session]
    _write: sessionmaker[Session]

    def verify_chain(self, gate_id: str | None = None, day: date | None = None,
                     initial_key: bytes | None = None) -> "ChainReport":
        """Check the whole log and name every broken row (``day`` limits what is counted as checked).

        Without a key: each gate's hash chain, and every entry, follow-up and
        audit row against its journal digest (an edit that did not also
        rewrite the journal). With K_0 (``initial_key``), also every journal
        MAC and the key the log has now: this catches a log recomputed from
        scratch, deleted rows and a cut-off end.
        """
        report = ChainReport()
        gates = [gate_id] if gate_id else self.gate_ids()
        with self._session() as s:
            unreadable = {kind: _unreadable_rows(s, model) for kind, model in _CHECKED_MODELS}
            purged_before = self._purged_before(s, set(unreadable["audit"]))
            for gate in gates:
                self._verify_gate(s, gate, day, report, purged_before, unreadable["entry"])
            self._verify_digests(s, report, unreadable)
            if initial_key is not None:
                self._verify_macs(s, initial_key, report)
            else:
                self._verify_journal_count(s, report)
        return report

    def _verify_journal_count(self, s: Session, report: "ChainReport") -> None:
        """Without the key: the journal must hold every row its key was used for (a cheap check that
        names deleted rows and a cut-off end; only the key proves they were not rewritten too)."""
        state = s.get(LogKeyState, 1)
        if state is None:
            return
        count, top = s.execute(select(func.count(JournalRow.seq), func.max(JournalRow.seq))).one()
        written = state.next_seq - 1
        if (top or 0) < written:
            report.broken.append(("journal", (top or 0) + 1, "", f"the log's key was used up to journal row {written} "
                                  f"but the journal ends at row {top or 0}: rows were cut off the end"))
        elif count < written:
            report.broken.append(("journal", 0, "", f"{written - count} journal rows were deleted "
                                  f"({count} of {written} remain)"))

    def _verify_gate(self, s: Session, gate: str, day: date | None, report: "ChainReport",
                     purged_before: date | None = None, unreadable: dict[Any, str] | None = None) -> None:
        prev, expected_seq = GENESIS, 1
        bad = unreadable or {}
        # An unreadable row cannot be loaded: it is named from its raw chain columns, and the chain goes on past it.
        waiting = sorted(((seq or 0, ref, row_hash_, why) for ref, why in bad.items()
                          for g, seq, row_hash_ in s.execute(select(Entry.gate_id, Entry.seq, Entry.row_hash)
                                                              .where(Entry.id == ref)) if g == gate), reverse=True)
        stmt = select(Entry).where(Entry.gate_id == gate).order_by(Entry.seq).execution_options(yield_per=5000)
        if bad:
            stmt = stmt.where(Entry.id.not_in(list(bad)))

        def unreadable_before(seq: int | None) -> None:
            nonlocal prev, expected_seq
            while waiting and (seq is None or waiting[-1][0] <= seq):
                bad_seq, ref, bad_hash, why = waiting.pop()
                if day is None:
                    report.checked += 1
                report.broken.append((gate, bad_seq, ref, why))
                prev, expected_seq = bad_hash or "", bad_seq + 1

        for row in s.scalars(stmt):
            unreadable_before(row.seq or 0)
            rec = entry_record(row)
            fields = {name: getattr(rec, name) for name in ENTRY_FIELDS}
            why = None
            if row.seq != expected_seq:
                why = f"sequence jumps from {expected_seq - 1} to {row.seq} (a row was deleted)"
            elif row.prev_hash != prev:
                why = "does not point at the previous row"
            elif row.purged_at is not None and any(fields[k] not in (None, {}) for k in PERSONAL_FIELDS):
                why = "personal fields were written after the purge"
            elif row.purged_at is not None and (purged_before is None or row.local_date >= purged_before):
                why = "marked as purged, but no recorded purge covers its day (personal fields wiped)"
            elif row.purged_at is None and personal_hash(fields) != row.personal_hash:
                why = "personal fields were changed"
            elif row.row_hash not in (row_hash(fields, prev, row.personal_hash or ""),
                                      legacy_row_hash(fields, prev, row.personal_hash or "")):
                why = "the row was changed after it was written"
            if day is None or row.local_date == day:
                report.checked += 1
            if why is not None:  # named whatever the day: a break anywhere makes the log suspect
                report.broken.append((gate, row.seq or 0, row.id, why))
            # Go on from this row as it stands: every later break is reported too.
            prev, expected_seq = row.row_hash or "", (row.seq or expected_seq) + 1
        unreadable_before(None)

    def _verify_digests(self, s: Session, report: "ChainReport", unreadable: dict[str, dict[Any, str]]) -> None:
        stmt = (select(Entry, JournalRow.digest).outerjoin(
            JournalRow, (JournalRow.kind == "entry") & (JournalRow.ref == Entry.id)).order_by(Entry.gate_id, Entry.seq)
            .execution_options(yield_per=5000))
        if unreadable["entry"]:
            stmt = stmt.where(Entry.id.not_in(list(unreadable["entry"])))
        named = {b[2] for b in report.broken}  # a row the chain already names is named once
        for row, digest in s.execute(stmt):
            if row.id in named:
                continue
            rec = entry_record(row)
            fields = {name: getattr(rec, name) for name in ENTRY_FIELDS}
            if digest is None:
                report.broken.append((row.gate_id, row.seq or 0, row.id, "not in the journal (inserted behind the kiosk's back)"))
            elif digest != entry_digest(fields):
                report.broken.append((row.gate_id, row.seq or 0, row.id, "differs from what the journal authenticated"))
        models: tuple[tuple[str, type[FollowUp] | type[AuditEvent]], ...] = (
            ("follow_up", FollowUp), ("audit", AuditEvent))
        for kind, model in models:
            rstmt = select(model, JournalRow.digest).outerjoin(
                JournalRow, (JournalRow.kind == kind) & (JournalRow.ref == cast(model.id, String))).order_by(model.id)
            for ref, why in unreadable[kind].items():
                report.broken.append((kind, ref, str(ref), why))
            if unreadable[kind]:
                rstmt = rstmt.where(model.id.not_in(list(unreadable[kind])))
            for rec_row, digest in s.execute(rstmt):
                assert isinstance(rec_row, (FollowUp, AuditEvent))
                fields = record_fields(rec_row)
                if digest is None:
                    report.broken.append((kind, rec_row.id, str(rec_row.id), "not in the journal (inserted behind the kiosk's back)"))
                elif digest != record_digest(kind, fields):
                    report.broken.append((kind, rec_row.id, str(rec_row.id), "differs from what the journal authenticated"))
        refs: tuple[tuple[str, Any], ...] = (("entry", Entry.id), ("follow_up", cast(FollowUp.id, String)),
                                             ("audit", cast(AuditEvent.id, String)))
        for kind, ref_col in refs:
            gone = select(JournalRow.seq, JournalRow.ref).where(JournalRow.kind == kind, ~exists().where(ref_col == JournalRow.ref))
            for seq, ref in s.execute(gone.order_by(JournalRow.seq)):
                report.broken.append((kind, seq, ref, f"journal row {seq}: the {kind.replace('_', '-')} was deleted"))

    def _verify_macs(self, s: Session, initial: bytes, report: "ChainReport") -> None:
        state = s.get(LogKeyState, 1)
        if state is None:
            report.broken.append(("journal", 0, "", "the log's key state is gone"))
            return
        if key_commitment(initial) != state.commitment:
            report.wrong_key = True
            report.broken.append(("journal", 0, "", "this is not the initial key of this log "
                                  "(or the log was replaced by another one)"))
            return
        key, prev_mac, expected = initial, "0" * 64, 1
        for j in s.scalars(select(JournalRow).order_by(JournalRow.seq).execution_options(yield_per=5000)):
            if j.seq != expected:
                report.broken.append(("journal", j.seq, j.ref, f"journal rows {expected}–{j.seq - 1} were deleted"))
                while expected < j.seq:
                    key, expected = evolve(key), expected + 1
            if journal_mac(key, j.seq, j.kind, j.ref, j.digest, prev_mac) != j.mac:
                report.broken.append(("journal", j.seq, j.ref,
                                      f"journal row {j.seq} ({j.kind} {j.ref}) is not authentic: rewritten or forged"))
            report.authenticated += 1
            key, prev_mac, expected = evolve(key), j.mac, expected + 1
        if state.next_seq != expected:
            report.broken.append(("journal", expected, "", f"the log ends at journal row {expected - 1} but its key "
                                  f"was used up to row {state.next_seq - 1}: rows were cut off the end"))
        else:
            if bytes.fromhex(state.current_key) != key:
                report.broken.append(("journal", expected, "", "the log's current key is not the one its rows lead "
                                      "to: the end of the log was cut off or its key replaced"))

    def gate_ids(self) -> list[str]:
        with self._session() as s:
            return sorted(g for g in s.scalars(select(Entry.gate_id).distinct()) if g)

    def _purged_before(self, s: Session, unreadable: set[Any] | None = None) -> date | None:
        """The latest cutoff of any recorded purge (rows of earlier days may be blank), or None."""
        latest: date | None = None
        stmt = select(AuditEvent.detail).where(AuditEvent.action.in_(("purge", "purge_rows")))
        if unreadable:
            stmt = stmt.where(AuditEvent.id.not_in(list(unreadable)))
        for detail in s.scalars(stmt):
            try:
                cutoff = date.fromisoformat(str((detail or {}).get("before", ""))[:10])
            except ValueError:
                continue
            latest = cutoff if latest is None or cutoff > latest else latest
        return latest


_CHECKED_MODELS: tuple[tuple[str, Any], ...] = (("entry", Entry), ("follow_up", FollowUp), ("audit", AuditEvent))


def _unreadable_rows(s: Session, model: Any) -> dict[Any, str]:
    """Rows of ``model`` that could not even be loaded (a date, time or JSON value no parser reads), by id,
    with why.

    Each typed column is read as raw text and parsed with the column type's own
    result processor, the one loading the row would use; so a tampered value is
    named as a broken row instead of stopping the check.
    """
    dialect = s.get_bind().dialect
    parsers = []
    for col in model.__table__.columns:
        if not isinstance(col.type, (Date, DateTime, JSON)):  # what a parser reads (a number or text needs none)
            continue
        parse = col.type.dialect_impl(dialect).result_processor(dialect, None)
        if parse is not None:
            parsers.append((col.name, parse))
    if not parsers:
        return {}
    id_col = model.__table__.c.id
    stmt = select(id_col, *(type_coerce(model.__table__.c[name], Text) for name, _ in parsers))
    bad: dict[Any, str] = {}
    for raw in s.execute(stmt.execution_options(yield_per=5000)):
        for (name, parse), value in zip(parsers, raw[1:]):
            if value is None:
                continue
            try:
                parse(value)
            except (ValueError, TypeError, OverflowError) as exc:  # json.JSONDecodeError is a ValueError
                bad[raw[0]] = f"unreadable {name} {str(value)[:40]!r} ({type(exc).__name__}): the row was tampered with"
                break
    return bad
