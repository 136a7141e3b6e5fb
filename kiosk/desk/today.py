"""Today's figures and flagged list for the guard's window, kept current from committed entries, off the GUI thread.

The window used to re-query the whole day every 5 seconds on the GUI thread
(and froze while the database was locked). Now each committed entry is read
once, by id, on this keeper's own thread and added to the running tally; a
correction takes the entry it corrects back out (``untally``). Only a new
day, the first load, or a correction of another day's entry reads the day
again. The flagged list is kept the same way: a flagged entry is put at its
top, a guard's follow-up mark changes its row; neither reads the day's
flagged entries again (hundreds at a busy gate, and the Python that turned
them into rows held the GIL the window needs). ``snapshot()`` never touches
the database; ``on_changed`` is called (from this thread) after each update,
and the window turns it into a repaint through a queued signal.

The guard's follow-up marks on the flagged list (observation, cleared) are
written here too, in order, never on the GUI thread: a locked database
makes the mark wait and be retried, not the window freeze or the mark vanish.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from db.records import EntryRecord
from devices.worker import Worker
from kiosk.config.settings import Settings
from kiosk.services.faultlog import FaultLog
from kiosk.reports.figures import DayFigures, tally, untally

log = logging.getLogger(__name__)

RELOAD = "\x00reload"
FollowUpStep = tuple[datetime, str, str, str]  # (at, state, guard, note), as the store lists a follow-up history


@dataclass(frozen=True)
class FlaggedPerson:
    """One row of today's flagged list."""

    entry_id: str
    at: datetime  # local time
    name: str
    kind: str
    lane: str
    decision: str
    reasons: tuple[str, ...]
    temperature: float | None
    follow_up: str  # one of kiosk.domain.follow_up.STATES
    follow_up_note: str = ""


@dataclass(frozen=True)
class FollowUpMark:
    """A guard's follow-up state for a flagged entry, to be written by the keeper's thread."""

    entry_id: str
    state: str
    actor: str
    note: str = ""


class FollowUpLog(Protocol):
    """The entry log as the keeper reads and marks it (``db.store.EntryStore``)."""

    def get(self, entry_id: str) -> EntryRecord | None: ...

    def follow_up(self, entry_id: str, state: str, guard_id: str, note: str = "") -> None: ...

    def corrected_ids(self, date_from: date, date_to: date) -> set[str]: ...


class TodaysDesk(Protocol):
    """What the keeper asks of the ``GuardDesk``: its store, settings, time zone and the day's queries."""

    @property
    def store(self) -> FollowUpLog: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def tz(self) -> ZoneInfo: ...

    def today(self) -> date: ...

    def summary(self, day: date | None = None) -> DayFigures: ...

    def flagged(self, day: date | None = None) -> list[FlaggedPerson]: ...

    def flagged_person(self, entry: EntryRecord, steps: Sequence[FollowUpStep] = ()) -> FlaggedPerson: ...


class TodayKeeper(Worker):
    """See the module docstring."""

    thread_name = "today-figures"

    def __init__(self, desk: TodaysDesk, on_changed: Callable[[], None] = lambda: None) -> None:
        Worker.__init__(self)
        self._desk = desk
        self._on_changed = on_changed
        self._events: queue.Queue[str | FollowUpMark] = queue.Queue()
        self._unwritten: list[FollowUpMark] = []  # refused by the database: tried again when the queue is idle
        self._lock = threading.Lock()
        self._faults = FaultLog(log, "updating today's figures")
        self._day = desk.today()
        self._figures = DayFigures()
        self._flagged: list[FlaggedPerson] = []
        self._corrected: set[str] = set()  # today's entries a later row corrects: out of the figures
        self.loaded = threading.Event()
        self.full_reloads = 0
        self.entries_added = 0

    # -------------------------------------------------- any thread, no database
    def entry_committed(self, entry_id: str) -> None:
        self._events.put(entry_id)

    def mark_follow_up(self, mark: FollowUpMark) -> None:
        self._events.put(mark)

    def snapshot(self) -> tuple[DayFigures, list[FlaggedPerson]]:
        with self._lock:
            return self._figures.copy(), list(self._flagged)

    # ------------------------------------------------------ the keeper's thread
    def _before_start(self) -> None:
        self._events.put(RELOAD)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                event = self._events.get(timeout=0.5)
            except queue.Empty:
                if self._desk.today() != self._day:
                    self._events.put(RELOAD)  # midnight: a new day starts at zero
                self._retry()
                continue
            try:
                self._handle(event)
            except Exception as exc:  # the database may be locked or gone: the figures wait, the gate goes on
                self._faults.failed(exc)  # one line per fault: a lock retried every half second is not a flood
                if isinstance(event, FollowUpMark):
                    with self._lock:
                        self._unwritten.append(event)  # tried again when the queue is idle
                continue
            self._faults.recovered()
            self._on_changed()

    def _retry(self) -> None:
        with self._lock:
            marks, self._unwritten = self._unwritten, []
        for mark in marks:
            self._events.put(mark)

    def _after_stop(self) -> None:
        # Closing: marks still queued are written now (the window is going away, it may wait).
        with self._lock:
            left = [e for e in self._drain() if isinstance(e, FollowUpMark)] + self._unwritten
            self._unwritten = []
        for mark in left:
            try:
                self._desk.store.follow_up(mark.entry_id, mark.state, mark.actor, mark.note)
            except Exception:
                log.exception("follow-up %s of entry %s not written at closing", mark.state, mark.entry_id)

    def _drain(self) -> list[str | FollowUpMark]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def _handle(self, event: str | FollowUpMark) -> None:
        if isinstance(event, FollowUpMark):
            self._desk.store.follow_up(event.entry_id, event.state, event.actor, event.note)
            # The flagged list shows the new state: that row changes, nothing is read again. Reading the
            # day's flagged entries after every mark (hundreds of records) kept this thread on the GIL for
            # 100–200 ms at a time while the window waited for it (bench/bench_gui_gaps.py).
            with self._lock:
                self._flagged = [replace(p, follow_up=event.state, follow_up_note=event.note)
                                 if p.entry_id == event.entry_id else p for p in self._flagged]
            return
        if event == RELOAD:
            self._load_all()
            return
        entry = self._desk.store.get(event)
        if entry is None:
            return
        if entry.local_date != self._day or (entry.corrects_id and not self._take_back(entry.corrects_id)):
            self._load_all()  # another day's entry, or one correcting an entry this day's figures do not hold
            return
        with self._lock:
            tally(self._figures, entry, self._desk.settings.policy.fever_threshold_c, self._desk.tz)
        if entry.flagged:
            person = self._desk.flagged_person(entry)  # new, so no follow-up yet; newest first, as flagged() lists
            with self._lock:
                self._flagged = [person, *self._flagged]
        self.entries_added += 1  # counted once the entry is in both the figures and the flagged list

    def _take_back(self, corrected_id: str) -> bool:
        """A correction arrived: the entry it corrects leaves the figures and the flagged list, row by row.

        A guard's key after a verdict writes a correction; reading the whole day again for each (thousands
        of entries at a big school) held the GIL for most of a second while the window waited. False when
        it cannot be done this way (the corrected entry is not one of today's): the day is read again.
        """
        if corrected_id in self._corrected:
            return True  # corrected before: already out of the figures (the new row counts, as in a fresh read)
        original = self._desk.store.get(corrected_id)
        if original is None or original.local_date != self._day:
            return False
        with self._lock:
            untally(self._figures, original, self._desk.settings.policy.fever_threshold_c, self._desk.tz)
            self._flagged = [p for p in self._flagged if p.entry_id != corrected_id]
            self._corrected.add(corrected_id)
        return True

    def _load_all(self) -> None:
        day = self._desk.today()
        corrected = self._desk.store.corrected_ids(day, day)
        figures = self._desk.summary(day)
        flagged = self._desk.flagged(day)
        with self._lock:
            self._day, self._figures, self._flagged, self._corrected = day, figures, flagged, corrected
        self.full_reloads += 1
        self.loaded.set()
