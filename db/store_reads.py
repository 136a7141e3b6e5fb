"""Reading the entry log: entries by day, lane and flag, corrections, follow-ups, counts.

``EntryReads`` is a part of ``db.store.EntryStore`` (which provides the sessions).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import (
    Entry,
    FollowUp,
)
from db.records import EntryRecord
from db.rows import entry_record, utc


class EntryReads:
    """What the exports, the window and the CLI read from the entry log."""

    # Provided by EntryStore (its sessions on the one engine).
    _session: sessionmaker[Session]
    _write: sessionmaker[Session]

    def effective_entries(self, date_from: date, date_to: date | None = None, *, lane: str | None = None,
                          flagged_only: bool = False) -> Iterator[EntryRecord]:
        """Like ``entries``, but a corrected entry is left out: it counts once, as its correction."""
        corrected = self.corrected_ids(date_from, date_to or date_from)
        for e in self.entries(date_from, date_to, lane=lane, flagged_only=flagged_only):
            if e.id not in corrected:
                yield e

    def corrected_ids(self, date_from: date, date_to: date) -> set[str]:
        """Ids of entries in the range that a later row corrects."""
        stmt = select(Entry.corrects_id).where(Entry.local_date >= date_from, Entry.local_date <= date_to,
                                               Entry.corrects_id.is_not(None))
        with self._session() as s:
            return {i for i in s.scalars(stmt) if i}

    def latest_follow_ups(self, date_from: date, date_to: date) -> dict[str, str]:
        """The latest follow-up state of each entry of the range that has one."""
        stmt = (select(FollowUp.entry_id, FollowUp.state).join(Entry, Entry.id == FollowUp.entry_id)
                .where(Entry.local_date >= date_from, Entry.local_date <= date_to)
                .order_by(FollowUp.at, FollowUp.id))
        with self._session() as s:
            return {entry_id: state for entry_id, state in s.execute(stmt)}

    def get(self, entry_id: str) -> EntryRecord | None:
        with self._session() as s:
            row = s.get(Entry, entry_id)
            return entry_record(row) if row else None

    def corrections_of(self, entry_id: str) -> list[EntryRecord]:
        with self._session() as s:
            rows = s.scalars(select(Entry).where(Entry.corrects_id == entry_id).order_by(Entry.created_at))
            return [entry_record(r) for r in rows]

    def entries(
        self,
        date_from: date,
        date_to: date | None = None,
        *,
        lane: str | None = None,
        flagged_only: bool = False,
        batch: int = 2000,
    ) -> Iterator[EntryRecord]:
        """Entries of a range of local days in time order, streamed in batches."""
        stmt = select(Entry).where(Entry.local_date >= date_from, Entry.local_date <= (date_to or date_from))
        if lane:
            stmt = stmt.where(Entry.lane == lane)
        if flagged_only:
            stmt = stmt.where(Entry.flagged.is_(True))
        stmt = stmt.order_by(Entry.created_at, Entry.id).execution_options(yield_per=batch)
        with self._session() as s:
            for row in s.scalars(stmt):
                yield entry_record(row)

    def count(self, date_from: date | None = None, date_to: date | None = None) -> int:
        stmt = select(func.count()).select_from(Entry)
        if date_from:
            stmt = stmt.where(Entry.local_date >= date_from, Entry.local_date <= (date_to or date_from))
        with self._session() as s:
            return int(s.scalar(stmt) or 0)

    def follow_ups(self, entry_ids: Iterable[str]) -> dict[str, list[tuple[datetime, str, str, str]]]:
        """Follow-up history per entry id, oldest first: (at, state, guard, note)."""
        ids = list(entry_ids)
        out: dict[str, list[tuple[datetime, str, str, str]]] = {i: [] for i in ids}
        with self._session() as s:
            for chunk in range(0, len(ids), 500):
                stmt = (select(FollowUp).where(FollowUp.entry_id.in_(ids[chunk:chunk + 500]))
                        .order_by(FollowUp.at, FollowUp.id))
                for r in s.scalars(stmt):
                    out[r.entry_id].append((utc(r.at), r.state, r.guard_id, r.note))
        return out
