"""The gate controller: routes every event to the right visit and logs one entry per person.

Events come from the camera thread (codes, mask), the thermometer thread
(readings), the guard (confirmations, person kind, typed readings,
overrides, next person) and a timer (``tick``). ``GateController`` is the one
door to the gate: it holds the parts below, each with its own state and job,
and every public method takes the gate's one lock and hands the event to one of them:

- ``VisitBook`` (``visits.py``): the person in front of the guard, the people who
  stepped aside to wait for a retake (the retake list), and how a visit moves between them;
  also a guard's keys under hold (``kiosk.services.tentative``), which are about the front visit;
- ``DeviceIntake`` (``gate_events.py``): codes, readings and the mask, turned into visit changes;
- ``GuardActions`` (``guard_actions.py``): the guard's confirmations, registration and overrides;
- ``VisitJudge`` (``visit_judge.py``): the verdict and the snapshot of a visit, from the policy;
- ``VisitLedger`` (``visit_ledger.py``): an entry per verdict, and the memory of recent outcomes;
- the replay guard (``kiosk.services.replay``): the same code at another visit;
- the entry writer (``kiosk.services.entry_writer``): ledger rows, and waiting for storage.

Why one lock: a single event touches several parts at once (a code may end the front visit, log
it, resume someone from the retake list and record the code's sighting), and the rules hold only
if no other thread sees a visit half moved. So the parts keep no locks of their own; the
controller's ``_lock`` guards them all, and it is re-entrant because ``collecting()`` holds it
around events that take it again. Database work (the replay guard's prefetch and persist, the
threaded writer) stays outside it, so the GUI thread never waits on storage.

Routing a code: a code belonging to someone on the retake list resumes that
visit; a code whose holder differs from the open visit's (or a second code of
the same kind that cannot be shown to be the same person's) ends the open
visit, which is logged with what it had, and starts a new one. Nothing is
overwritten: every code seen stays on its visit and in its entry row.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from devices.worker import Worker
from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import Decision, Element, Lane, Person, PersonKind, Source, TemperatureSample
from kiosk.domain.policy import Policy
from kiosk.domain.visit import CodeCheck, VisitSnapshot
from kiosk.services.entry_writer import EntryWriter
from kiosk.services.gate_events import DeviceIntake
from kiosk.services.guard_actions import SEEN_VALUES, ConfirmRefused, GuardActions
from kiosk.services.ports import Clock, EntryLog, GateListener, IdFactory
from kiosk.services.replay import RecentCodes, ReplayGuard
from kiosk.services.sealing import RegistrationSealer
from kiosk.services.spool import EntrySpool
from kiosk.services.visit_judge import VisitJudge
from kiosk.services.visit_ledger import VisitLedger
from kiosk.services.visits import VisitBook, new_uuid, utc_now

log = logging.getLogger(__name__)

__all__ = ["SEEN_VALUES", "ConfirmRefused", "GateController", "Ticker", "VisitSnapshot", "utc_now"]


class GateController:
    """Runs visits at one gate (see the module docstring). Thread-safe."""

    def __init__(
        self,
        policy: Policy,
        entry_log: EntryLog,
        listener: GateListener,
        *,
        site: SiteSettings,
        gate: GateSettings,
        salt: bytes,
        clock: Clock = utc_now,
        new_id: IdFactory = new_uuid,
        origin: str = "live",
        sealer: RegistrationSealer | None = None,
        recent_codes: RecentCodes | None = None,
        spool: EntrySpool | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.RLock()  # the gate's one lock (see the module docstring)
        self.replay = ReplayGuard(gate.debounce_s, gate.replay_window_min, recent_codes)
        self.writer = EntryWriter(entry_log, listener, spool)
        self._judge = VisitJudge(policy, clock)
        self._ledger = VisitLedger(self._judge, self.writer, listener, site=site, salt=salt, new_id=new_id,
                                   result_display_s=gate.result_display_s, origin=origin, sealer=sealer,
                                   held=lambda v: self._book.held(v))  # the book is built on the ledger
        self._book = VisitBook(self._judge, self._ledger, listener, gate=gate, clock=clock, new_id=new_id)
        self._devices = DeviceIntake(self._book, self._judge, self._ledger, self.replay, clock)
        self._guard = GuardActions(self._book, self._judge, self._ledger, clock)

    # ------------------------------------------------------------ properties
    @property
    def lane(self) -> Lane:
        return self._book.lane

    @property
    def default_kind(self) -> PersonKind:
        """Who a new visit in this lane is assumed to be until a code or the guard says otherwise."""
        return self._book.default_kind

    @property
    def waiting_entries(self) -> int:
        return self.writer.waiting

    @property
    def dropped(self) -> int:
        return self.writer.dropped

    def now(self) -> datetime:
        """The gate's clock (the window's countdowns use it, so that they agree with the controller)."""
        return self._clock()

    def current(self) -> VisitSnapshot | None:
        with self._lock:
            front = self._book.front
            return self._book.snapshot(front) if front else None

    def retake_list(self) -> list[VisitSnapshot]:
        """People who stepped aside to wait for a retake, the longest waiting first."""
        with self._lock:
            return [self._book.snapshot(v) for v in self._book.waiting()]

    # --------------------------------------------------------------- set-up
    def set_lane(self, lane: Lane, default_kind: PersonKind | None = None) -> None:
        """Switch lanes; an unfinished visit is closed first (it was someone else)."""
        with self._lock:
            self._book.set_lane(lane, default_kind)
            self._book.announce_empty()

    def set_guard(self, guard_id: str) -> None:
        with self._lock:
            self._ledger.guard_id = guard_id

    def start_visit(self, person: Person | None = None) -> VisitSnapshot:
        """Begin checking a person explicitly (the guard pressed "next", or the CLI)."""
        with self._lock:
            return self._book.changed(self._book.start(person))

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        """Gather several events and judge them once at the end (the headless ``check``)."""
        with self._lock, self._book.collecting():
            yield

    # --------------------------------------------------------------- device events
    def code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        """A verified code from the camera or a scanner; repeated scans of one code are one event."""
        self.replay.prefetch(check.content_key)  # a database read, before the lock the GUI thread shares
        try:
            with self._lock:
                return self._devices.code_seen(check)
        finally:
            self.replay.persist()  # written after the lock is released, on this (the verifier's) thread

    def temperature(self, sample: TemperatureSample) -> VisitSnapshot | None:
        """A (stable, calibrated) reading from the thermometer, or typed by the guard."""
        with self._lock:
            return self._devices.temperature(sample)

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> VisitSnapshot | None:
        """An automatic mask result: a suggestion; "no mask" prompts the guard, never denies."""
        with self._lock:
            return self._devices.mask_seen(has_mask, score)

    # ---------------------------------------------------------- guard actions
    def confirm(self, element: Element, ok: bool, value: str | None = None, note: str = "") -> VisitSnapshot:
        """The guard confirms (or rejects) an element by eye; ``value`` is what was seen.

        A confirmation records what the guard saw (e.g. the colour of a health
        code); a yellow or red code seen by eye denies. It never replaces
        verified evidence of a failure (a signed red code, a forged code):
        ``ConfirmRefused`` says that only an override can change that verdict.
        """
        with self._lock:
            return self._guard.confirm(element, ok, value, note)

    def confirm_identity(self) -> VisitSnapshot | None:
        """The guard checked the person's identity against a code that was just used by someone else."""
        with self._lock:
            return self._guard.confirm_identity()

    def set_kind(self, kind: PersonKind) -> VisitSnapshot:
        """The guard says who the person is (one key each)."""
        with self._lock:
            return self._guard.set_kind(kind)

    def set_returning(self, returning: bool) -> VisitSnapshot:
        """The guard marks (or unmarks) a returnee: the nucleic-acid window then applies."""
        with self._lock:
            return self._guard.set_returning(returning)

    def type_temperature(self, celsius: float) -> VisitSnapshot:
        """A reading the guard took by hand (clinical thermometer); counts as a retake at once."""
        result = self.temperature(TemperatureSample(celsius=celsius, raw=celsius, source=Source.MANUAL))
        assert result is not None
        return result

    def register(self, fields: dict[str, str]) -> VisitSnapshot:
        """Registration of a temporary worker or visitor (name, phone, ID number, company, purpose, plate).

        The full phone and ID number are sealed in the entry (``kiosk.services.sealing``)
        and shown masked everywhere else.
        """
        with self._lock:
            return self._guard.register(fields)

    def handoff(self, fields: dict[str, str]) -> VisitSnapshot:
        """A courier hands over at the guard room and does not enter: its own outcome, HANDOFF."""
        with self._lock:
            return self._guard.handoff(fields)

    def override(self, decision: Decision, reason: str) -> VisitSnapshot:
        """The guard overrides the verdict; a reason is mandatory and logged.

        After an entry was written the override is a correction row that
        points back at it (the log is append-only).
        """
        with self._lock:
            return self._guard.override(decision, reason)

    def resume(self, visit_id: str) -> VisitSnapshot | None:
        """The guard picks a person from the retake list: their visit comes back to the front."""
        with self._lock:
            waiting = self._book.waiting_visit(visit_id)
            if waiting is None:
                return None
            return self._book.changed(self._book.resume(waiting, self._clock()))

    # ------------------------------------------- a guard's key that may be a keyboard scanner's first
    def guard_key(self, act: Callable[[], Any]) -> None:
        """Do a guard's one-key action (``act``) now, tentatively: shown at once, judged at ``settle_guard_keys``.

        The window cannot tell on a letter or digit whether a keyboard scanner's burst follows
        (``ui/wedge.py``); see ``kiosk.services.tentative``. The keys of one run share one hold,
        which the visit book keeps with the front visit.
        """
        with self._lock:
            self._book.hold_guard_key(self._clock())
            try:
                act()
            finally:
                self._book.guard_key_acted()

    def settle_guard_keys(self, keep: bool) -> None:
        """The run of keys ended: the guard's (``keep``: judged and logged as usual), or a scan's (taken back)."""
        with self._lock:
            self._book.settle_guard_keys(keep)

    def next_person(self) -> None:
        """The guard moves on. A visit waiting for a retake steps aside (never a DENY);
        an unfinished visit with evidence is logged with what it had."""
        with self._lock:
            self._book.end_current()
            self._book.announce_empty()

    def log_current(self) -> VisitSnapshot:
        """Write the current visit as it stands (the headless ``check`` command)."""
        with self._lock:
            return self._guard.log_current()

    # ---------------------------------------------------------- the timer and closing
    def tick(self) -> None:
        """Called by a timer: time out stalled visits, end holds, expire the retake list, retry storage."""
        with self._lock:
            if self._book.guard_keys_expired:
                self._book.settle_guard_keys(keep=True)  # never held for good (the window settles it in ~0.3 s)
            now = self._clock()
            if not self.writer.threaded:
                self.writer.flush()  # threaded, the writer retries on its own
            self._book.tick(now)

    def close_gate(self) -> int:
        """The gate closes (window closed, service stopped): the person in front and everyone on the
        retake list are logged with what they had, never silently forgotten. Returns how many."""
        with self._lock:
            return self._book.close(self._clock())


class Ticker(Worker):
    """Calls ``controller.tick()`` on a named thread: visit timeouts, holds, retakes, storage retries."""

    thread_name = "gate-ticker"

    def __init__(self, controller: GateController, interval_s: float = 0.25) -> None:
        super().__init__()
        self._controller = controller
        self._interval = interval_s

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._controller.tick()
            except Exception:  # the ticker must outlive any one bad tick
                log.exception("gate tick failed")
