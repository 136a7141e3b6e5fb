"""The visits at one gate: the person in front of the guard, the retake list, and how a visit moves between them.

``VisitBook`` owns the visit at the front, the people who stepped aside to wait for a retake, a
reading parked for the next person, and the lane. Its methods are the visit's transitions: which
visit an event belongs to, resuming a retake, ending the front visit (stepping aside, logging what
it had, or releasing it), judging after a change, and the timer's expiries. It judges with a
``VisitJudge`` and writes entries through a ``VisitLedger``; the gate controller
(``kiosk.services.gate``) composes the three and calls the book only under its lock.

The book also holds a guard's keys that may still be a keyboard scanner's first (``Tentative``,
``kiosk.services.tentative``): the hold is about the front visit (the one the keys acted on, and
the one in front before them), so it lives here. While a hold is open no event decides the front
visit, and the visit it acted on is shown as tentative; settling it judges that visit, or takes the
keys back.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from kiosk.config.settings import GateSettings
from kiosk.domain import follow_up
from kiosk.domain.model import Decision, Element, Lane, Person, PersonKind, TemperatureSample
from kiosk.domain.visit import CodeCheck, Visit, VisitSnapshot, VisitState
from kiosk.services.ports import Clock, GateListener, IdFactory
from kiosk.services.tentative import Tentative, undo_own_changes
from kiosk.services.visit_judge import VisitJudge
from kiosk.services.visit_ledger import VisitLedger


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


class VisitBook:
    """The front visit, the retake list and their transitions (see the module docstring). Not thread-safe:
    the gate controller calls it under the gate's one lock."""

    RETAKE_LIST_MAX = 50
    PARK_READING_S = 10.0  # a reading during a verdict's hold waits this long for the next person

    def __init__(self, judge: VisitJudge, ledger: VisitLedger, listener: GateListener, *, gate: GateSettings,
                 clock: Clock, new_id: IdFactory) -> None:
        self._judge = judge
        self._ledger = ledger
        self._listener = listener
        self._gate = gate
        self._clock = clock
        self._new_id = new_id
        self._lane = Lane.CAMPUS
        self._default_kind = PersonKind.STUDENT
        self._front: Visit | None = None
        self._waiting_retake: dict[str, Visit] = {}
        self._collecting = False
        self._parked: TemperatureSample | None = None
        self._tentative: Tentative | None = None  # a guard's key that may be a scan's first (kiosk.services.tentative)

    # ------------------------------------------------------------- reading
    @property
    def front(self) -> Visit | None:
        """The visit in front of the guard (open, or decided and still on screen), if any."""
        return self._front

    @property
    def lane(self) -> Lane:
        return self._lane

    @property
    def default_kind(self) -> PersonKind:
        return self._default_kind

    def waiting(self) -> list[Visit]:
        """The retake list, the longest waiting first."""
        return sorted(self._waiting_retake.values(), key=lambda v: v.started_at)

    def waiting_visit(self, visit_id: str) -> Visit | None:
        return self._waiting_retake.get(visit_id)

    def held(self, v: Visit) -> bool:
        """Whether ``v`` is the visit a guard's keys under hold acted on (its snapshot is tentative)."""
        return self._tentative is not None and self._tentative.visit is v

    @property
    def guard_keys_expired(self) -> bool:
        """Whether a hold is open for longer than it may be (``tentative.HOLD_MAX_S``)."""
        return self._tentative is not None and self._tentative.expired

    def snapshot(self, v: Visit) -> VisitSnapshot:
        """What the screen shows of ``v``: the judge's snapshot, tentative if the keys under hold acted on it."""
        return self._judge.snapshot(v, held=self.held(v))

    @staticmethod
    def holding(v: Visit, now: datetime) -> bool:
        """Whether a decided visit's verdict is still on screen."""
        return v.state is VisitState.DECIDED and v.hold_until is not None and now < v.hold_until

    # ------------------------------------------------------------- routing
    def active(self, now: datetime, reopen: bool = False) -> Visit:
        """The visit an event belongs to: the open one, the decided one on screen (guard actions
        reopen it as a correction), or a new one."""
        v = self._front
        if v is not None and v.state is VisitState.OPEN:
            return v
        if v is not None and v.state is VisitState.DECIDED and self.holding(v, now):
            if reopen:
                self.reopen(v)
            return v
        if v is not None and v.state is VisitState.DECIDED:
            v.move("release")
        self._front = self._new_visit(None)
        return self._front

    def visit_for(self, check: CodeCheck, now: datetime) -> Visit:
        """The visit a new code joins: the open one if it can be this person's, else a new one."""
        v = self._front
        if v is not None and v.state is VisitState.DECIDED:
            if self.holding(v, now) and not v.holder.conflicts(check.holder) and check.holder.known \
                    and v.holder.known:
                self.reopen(v)  # the same person shows another code while the verdict is on screen
                return v
            v.move("release")
            self._front = None
            v = None
        if v is not None and v.state is VisitState.OPEN:
            someone_else = v.holder.conflicts(check.holder) or (
                v.holds_element_from_other_code(check) and not (v.holder.known and check.holder.known))
            if not someone_else:
                return v
            self.end_current()
        self._front = self._new_visit(None)
        return self._front

    def waiting_for(self, check: CodeCheck) -> Visit | None:
        """The retake-list visit this code belongs to (the same code, or the same known holder)."""
        for v in self._waiting_retake.values():
            if check.content_key in v.code_keys:
                return v
            if check.holder.known and v.holder.known and not v.holder.conflicts(check.holder) and (
                    (check.holder.person_ref and check.holder.person_ref == v.holder.person_ref)
                    or (check.holder.id_masked and check.holder.id_masked == v.holder.id_masked
                        and check.holder.name == v.holder.name)):
                return v
        return None

    def resume(self, waiting: Visit, now: datetime) -> Visit:
        """A visit on the retake list comes back to the front; whoever was there leaves it."""
        current = self._front
        if current is not None and current.state is VisitState.OPEN and current is not waiting:
            if not current.codes and not current.has_guard_evidence and not current.person.registration:
                # Readings of someone not yet identified: they may be this person's, or the next one's.
                # A retake must be beyond doubt, so they are set aside (no row: nobody was checked)
                # and the resumed person is measured again.
                current.move("abandon")
            else:
                self.end_current()
        elif current is not None and current.state is VisitState.DECIDED:
            current.move("release")
        del self._waiting_retake[waiting.visit_id]
        waiting.move("resume")
        waiting.retake_due_at = waiting.wait_expires_at = None
        waiting.last_event_at = now
        self._front = waiting
        return waiting

    def start(self, person: Person | None) -> Visit:
        """A new visit at the front, the current one ended first; a given person is the guard's word."""
        self.end_current()
        v = self._front = self._new_visit(person)
        if person is not None:
            v.kind_set_by_guard = True
        return v

    def set_lane(self, lane: Lane, default_kind: PersonKind | None) -> None:
        """Switch lanes; an unfinished visit is closed first (it was someone else)."""
        self.end_current()
        self._lane = lane
        self._default_kind = default_kind or (PersonKind.STUDENT if lane is Lane.CAMPUS else PersonKind.OTHER_WORKER)

    def park(self, sample: TemperatureSample) -> None:
        """Keep a reading for the next visit (used if one starts within ``PARK_READING_S``)."""
        self._parked = sample

    def end_current(self) -> None:
        """The person in front leaves the front: step aside for a retake, log what they had, or release."""
        v = self._front
        self._front = None
        if v is None:
            return
        now = self._clock()
        if v.state is VisitState.DECIDED:
            v.move("release")
            return
        if v.state is not VisitState.OPEN:
            return
        if not v.has_person_evidence and set(v.evidence) <= {Element.MASK}:
            # A face in front of the camera (or a mask key) without a code, a reading or a
            # registration is nobody's visit: passers-by do not fill the ledger.
            v.move("abandon")
            return
        verdict = self._judge.verdict(v, now)
        if Element.TEMPERATURE in verdict.pending and follow_up.waits_for_retake(r.code for r in verdict.reasons) \
                and not verdict.hard_failures:
            self._step_aside(v, now)
            return
        v.abandoned = True
        self._ledger.decide(v, now, self._judge.verdict(v, now, finished=True))
        v.move("release")

    @staticmethod
    def reopen(v: Visit) -> None:
        # The guard changed something after the verdict: the visit reopens and its
        # next entry is a correction of the one already written.
        v.move("reopen")
        v.corrects, v.hold_until = v.entry_id, None

    def _step_aside(self, v: Visit, now: datetime) -> None:
        v.move("step_aside")
        v.retake_due_at = self._judge.retake_due(v)
        v.wait_expires_at = now + timedelta(seconds=max(self._gate.visit_timeout_s,
                                                        10 * self._judge.policy.retake_wait_s, 600.0))
        self._waiting_retake[v.visit_id] = v
        if len(self._waiting_retake) > self.RETAKE_LIST_MAX:
            oldest = min(self._waiting_retake.values(), key=lambda w: w.started_at)
            oldest.wait_expires_at = now  # logged as not completed at the next tick
        self._listener.on_visit_changed(self.snapshot(v))

    def _new_visit(self, person: Person | None) -> Visit:
        now = self._clock()
        v = Visit(self._new_id(), self._lane, person or Person(self._default_kind), now, now)
        parked, self._parked = self._parked, None
        if parked is not None and parked.at is not None and now - parked.at <= timedelta(seconds=self.PARK_READING_S):
            v.temperatures.append(parked)
            self._judge.judge_temperature(v)
        return v

    # ------------------------------------------------------------- judging after a change
    def event(self, v: Visit, now: datetime) -> VisitSnapshot:
        """Something happened at visit ``v``: decide it if the verdict is final (unless collecting), tell the screen."""
        v.last_event_at = now
        if v.state is VisitState.OPEN and not self._collecting and self._tentative is None:
            verdict = self._judge.verdict(v, now)
            if verdict.decision in (Decision.PASS, Decision.DENY):
                self._ledger.decide(v, now, verdict)
        return self.changed(v)

    def changed(self, v: Visit) -> VisitSnapshot:
        """Tell the listener how visit ``v`` stands now."""
        snap = self.snapshot(v)
        self._listener.on_visit_changed(snap)
        return snap

    def announce_empty(self) -> None:
        """Tell the listener nobody is in front of the guard."""
        self._listener.on_visit_changed(self._judge.empty_snapshot(self._lane, self._default_kind))

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        """Events in the block are not judged one by one; the front visit is judged once at the end."""
        self._collecting = True
        try:
            yield
        finally:
            self._collecting = False
        v = self._front
        if v is not None and v.state is VisitState.OPEN:
            now = self._clock()
            verdict = self._judge.verdict(v, now)
            if verdict.decision in (Decision.PASS, Decision.DENY):
                self._ledger.decide(v, now, verdict)
            else:
                self.changed(v)

    # ------------------------------------------------------------- a guard's keys under hold
    def hold_guard_key(self, now: datetime) -> None:
        """A guard's key is about to act: open the hold (the first key of a run) and note the visit it acts on."""
        if self._tentative is None:
            self._tentative = Tentative.begin(self._front, self._parked)
        self._tentative.acting_on(self.active(now))

    def guard_key_acted(self) -> None:
        """The key acted: the hold remembers what it left (to take back only that)."""
        if self._tentative is not None:  # None only if the act itself settled the run: nothing left to take back
            self._tentative.acted()

    def settle_guard_keys(self, keep: bool) -> None:
        """The run of keys ended: the guard's (``keep``: judged and logged as usual), or a scan's (taken back)."""
        t, self._tentative = self._tentative, None
        if t is None:
            return
        if not keep:
            self._take_back(t)
        v = self._front
        if v is None:
            self.announce_empty()
        elif v.state is VisitState.OPEN:
            self.event(v, self._clock())  # judged like any event: decided and logged if it can be, then shown
        else:
            self.changed(v)

    def _take_back(self, t: Tentative) -> None:
        v = t.visit
        if v is None or t.visit_before is None or t.visit_after is None:
            return
        undo_own_changes(v, t.visit_before, t.visit_after)
        if v is not t.previous and self._front is v and v == t.visit_before:
            # The keys started this visit and nothing else came to it: the one before is in front again.
            self._front = t.previous
            if t.previous is not None and t.previous_before is not None and t.previous_after is not None:
                undo_own_changes(t.previous, t.previous_before, t.previous_after)
            if self._parked is None:
                self._parked = t.parked

    # ------------------------------------------------------------- the timer and closing
    def tick(self, now: datetime) -> None:
        """Time out stalled visits, end holds, expire the retake list."""
        for w in list(self._waiting_retake.values()):
            if w.wait_expires_at is not None and now >= w.wait_expires_at:
                self._expire(w, now)
                self._listener.on_visit_changed(self.snapshot(w))
        v = self._front
        if v is None:
            return
        if v.state is VisitState.DECIDED:
            if v.hold_until is not None and now >= v.hold_until:
                v.move("release")
                self._front = None
                self.announce_empty()
            return
        if v.state is VisitState.OPEN and now - v.last_event_at >= timedelta(seconds=self._gate.visit_timeout_s):
            self.end_current()
            self.announce_empty()

    def close(self, now: datetime) -> int:
        """The front visit and everyone on the retake list are logged with what they had. Returns how many."""
        count = 0
        v, self._front = self._front, None
        if v is not None and v.state is VisitState.OPEN and v.has_person_evidence:
            # Even a retake still pending: logged as not completed, never stepped aside into nowhere.
            v.abandoned = True
            self._ledger.decide(v, now, self._judge.verdict(v, now, finished=True))
            count += 1
        for w in list(self._waiting_retake.values()):
            self._expire(w, now)
            count += 1
        return count

    def _expire(self, w: Visit, now: datetime) -> None:
        del self._waiting_retake[w.visit_id]
        w.move("expire")
        w.abandoned = True
        self._ledger.write(w, now, self._judge.verdict(w, now, finished=True))
