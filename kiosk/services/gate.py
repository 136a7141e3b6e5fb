"""The gate controller: routes every event to the right visit and logs one entry per person.

Events come from the camera thread (codes, mask), the thermometer thread
(readings), the guard (confirmations, person kind, typed readings,
overrides, next person) and a timer (``tick``). The controller owns three
small pieces and keeps them apart:

- the visits (``kiosk.domain.visit``): the person in front of the guard, and the
  people who stepped aside to wait for a retake (the retake list);
- the replay guard (``kiosk.services.replay``): the same code at another visit;
- the entry writer (``kiosk.services.entry_writer``): ledger rows, and waiting for storage.

Routing a code: a code belonging to someone on the retake list resumes that
visit; a code whose holder differs from the open visit's (or a second code of
the same kind that cannot be shown to be the same person's) ends the open
visit, which is logged with what it had, and starts a new one. Nothing is
overwritten: every code seen stays on its visit and in its entry row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from devices.worker import Worker
from kiosk.domain.model import (
    Decision,
    Element,
    Evidence,
    Lane,
    Outcome,
    PersonKind,
    Source,
    Strength,
    TemperatureSample,
)
from kiosk.domain.visit import IdentityCheck, VisitState
from kiosk.domain.policy import locked_failure
from kiosk.domain.vocabulary import element_words, source_words
from kiosk.services.gate_events import GateEvents
from kiosk.services.tentative import Tentative, undo_own_changes
from kiosk.domain.visit import VisitSnapshot
from kiosk.services.visits import utc_now

log = logging.getLogger(__name__)

__all__ = ["ConfirmRefused", "GateController", "Ticker", "VisitSnapshot", "utc_now"]

# What a guard may record seeing, per element (the first is "all is well").
SEEN_VALUES: dict[Element, tuple[str, ...]] = {
    Element.HEALTH: ("green", "yellow", "red"),
    Element.ITINERARY: ("green", "risk"),
    Element.VACCINE: ("vaccinated", "none"),
    Element.NUCLEIC_ACID: ("negative", "positive"),
    Element.CARD: ("ok", "wrong"),
    Element.MASK: ("yes", "no"),
    Element.REGISTRATION: ("ok", "incomplete"),
}
REGISTRATION_REQUIRED = ("name", "phone", "id_number", "company", "purpose")


class ConfirmRefused(ValueError):
    """A guard's confirmation cannot change verified evidence of a failure: only an override can."""


class GateController(GateEvents):
    """Runs visits at one gate (see the module docstring). Thread-safe."""

    # ---------------------------------------------------------- guard actions
    def confirm(self, element: Element, ok: bool, value: str | None = None, note: str = "") -> VisitSnapshot:
        """The guard confirms (or rejects) an element by eye; ``value`` is what was seen.

        A confirmation records what the guard saw (e.g. the colour of a health
        code); a yellow or red code seen by eye denies. It never replaces
        verified evidence of a failure (a signed red code, a forged code):
        ``ConfirmRefused`` says that only an override can change that verdict.
        """
        if element is Element.TEMPERATURE:
            raise ValueError("type a temperature with type_temperature(); it is a reading, not a yes/no")
        seen_values = SEEN_VALUES.get(element, ("ok", "wrong"))
        if value is None:
            value = seen_values[0] if ok else seen_values[-1]
        elif str(value) not in seen_values:
            raise ValueError(f"{element.value}: what was seen must be one of {', '.join(seen_values)}")
        ok = str(value) == seen_values[0]
        with self._lock:
            now = self._clock()
            v = self._active(now)
            current = v.evidence.get(element)
            if locked_failure(current):
                assert current is not None
                if ok:
                        raise ConfirmRefused(
                        f"{element_words(element.value)}已由{source_words(current.source.value)}判定为不合格，只能人工改判（F5，须写明原因）")
                return self._changed(v)  # the guard agrees: the verified evidence stays as it is
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            stored: str | bool = value
            if element is Element.MASK:
                stored = ok
            detail: dict[str, Any] = {"guard": self._guard_id, "at": now.isoformat()}
            if element is Element.NUCLEIC_ACID and ok:
                detail["sampled_at"] = None  # seen within the window on the person's phone
            ev = Evidence(element, Outcome.OK if ok else Outcome.FAIL, Source.MANUAL, stored, Strength.VERIFIED,
                          detail=detail, note=note)
            v.evidence[element] = ev
            return self._event(v, now)

    def confirm_identity(self) -> VisitSnapshot | None:
        """The guard checked the person's identity against a code that was just used by someone else."""
        with self._lock:
            now = self._clock()
            v = self._visit
            if v is None or v.identity is not IdentityCheck.SUSPECTED:
                return None
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.identity = IdentityCheck.CONFIRMED
            return self._event(v, now)

    def set_kind(self, kind: PersonKind) -> VisitSnapshot:
        """The guard says who the person is (one key each)."""
        with self._lock:
            now = self._clock()
            v = self._active(now)
            if v.lane is Lane.WORKER and kind.lane is Lane.CAMPUS:
                raise ConfirmRefused("临时人员通道不能设为师生：请先切换到师生通道（F9）")
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.person = replace(v.person, kind=kind)
            v.kind_set_by_guard = True
            return self._event(v, now)

    def set_returning(self, returning: bool) -> VisitSnapshot:
        """The guard marks (or unmarks) a returnee: the nucleic-acid window then applies."""
        with self._lock:
            now = self._clock()
            v = self._active(now)
            if not returning and v.returning_inferred:
                raise ConfirmRefused("行程卡显示为返校人员，需48小时核酸；只能人工改判")
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.person = replace(v.person, returning_from_risk_area=returning)
            return self._event(v, now)

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
            now = self._clock()
            clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
            front = self._active(now)
            holder = front.holder.name
            if holder and clean.get("name") and clean["name"] != holder:
                raise ConfirmRefused(f"登记姓名“{clean['name']}”与码上的持有人不一致")
            v = self._active(now, reopen=True)
            kind = clean.pop("kind", None)
            if kind:
                try:
                    v.person = replace(v.person, kind=PersonKind(kind))
                    v.kind_set_by_guard = True
                except ValueError:
                    pass
            v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean,
                               id_number=clean.get("id_number", v.person.id_number))
            if clean.get("name") and not v.holder.name:
                v.holder = replace(v.holder, name=clean["name"])  # codes shown later must be this person's
            missing = tuple(k for k in REGISTRATION_REQUIRED if not clean.get(k))
            v.registration_missing = missing
            if missing:
                v.evidence.pop(Element.REGISTRATION, None)
            else:
                v.evidence[Element.REGISTRATION] = Evidence(
                    Element.REGISTRATION, Outcome.OK, Source.MANUAL, True,
                    detail={"company": clean.get("company"), "purpose": clean.get("purpose")},
                )
            return self._event(v, now)

    def handoff(self, fields: dict[str, str]) -> VisitSnapshot:
        """A courier hands over at the guard room and does not enter: its own outcome, HANDOFF."""
        with self._lock:
            now = self._clock()
            clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
            front = self._visit
            if not clean and (front is None or front.state is VisitState.CLOSED or not front.has_person_evidence):
                raise ConfirmRefused("交接需要快递员出示码或填写登记（姓名、单位）")
            front_visit = self._active(now)
            if front_visit.logged is not None and front_visit.logged[0] is Decision.DENY and \
                    any(locked_failure(ev) for ev in front_visit.evidence.values()):
                # A red code, a positive test, a risk area: that refusal stays in every count.
                raise ConfirmRefused("已因健康码等禁止通行：拒绝记录不改为交接（包裹可照常在门卫室交接）")
            v = self._active(now, reopen=True)
            if clean:
                v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean)
            v.handoff = True
            self._decide(v, now, self._verdict(v, now), Decision.HANDOFF)
            return self._changed(v)

    def override(self, decision: Decision, reason: str) -> VisitSnapshot:
        """The guard overrides the verdict; a reason is mandatory and logged.

        After an entry was written the override is a correction row that
        points back at it (the log is append-only).
        """
        if not reason or not reason.strip():
            raise ValueError("an override needs a reason")
        if decision not in (Decision.PASS, Decision.DENY):
            raise ValueError("an override must decide: PASS or DENY")
        with self._lock:
            now = self._clock()
            v = self._visit
            if v is None:
                raise LookupError("no visit to override")
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.override_decision = decision
            v.override_reason = reason.strip()
            # What the guard overrode: a failure that turns up later was not part of it.
            v.override_basis = frozenset(r.code for r in self._verdict(v, now).hard_failures)
            self._decide(v, now, self._verdict(v, now), decision)
            return self._changed(v)

    def resume(self, visit_id: str) -> VisitSnapshot | None:
        """The guard picks a person from the retake list: their visit comes back to the front."""
        with self._lock:
            waiting = self._waiting_retake.get(visit_id)
            if waiting is None:
                return None
            v = self._resume(waiting, self._clock())
            return self._changed(v)

    # ------------------------------------------- a guard's key that may be a keyboard scanner's first
    def guard_key(self, act: Callable[[], Any]) -> None:
        """Do a guard's one-key action (``act``) now, tentatively: shown at once, judged at ``settle_guard_keys``.

        The window cannot tell on a letter or digit whether a keyboard scanner's burst follows
        (``ui/wedge.py``); see ``kiosk.services.tentative``. The keys of one run share one hold.
        """
        with self._lock:
            if self._tentative is None:
                self._tentative = Tentative.begin(self._visit, self._parked)
            self._tentative.acting_on(self._active(self._clock()))
            try:
                act()
            finally:
                self._tentative.acted()

    def settle_guard_keys(self, keep: bool) -> None:
        """The run of keys ended: the guard's (``keep``: judged and logged as usual), or a scan's (taken back)."""
        with self._lock:
            t, self._tentative = self._tentative, None
            if t is None:
                return
            if not keep:
                self._take_back(t)
            v = self._visit
            if v is None:
                self._listener.on_visit_changed(self._empty_snapshot())
            elif v.state is VisitState.OPEN:
                self._event(v, self._clock())  # judged like any event: decided and logged if it can be, then shown
            else:
                self._changed(v)

    def _take_back(self, t: Tentative) -> None:
        v = t.visit
        if v is None or t.visit_before is None or t.visit_after is None:
            return
        undo_own_changes(v, t.visit_before, t.visit_after)
        if v is not t.previous and self._visit is v and v == t.visit_before:
            # The keys started this visit and nothing else came to it: the one before is in front again.
            self._visit = t.previous
            if t.previous is not None and t.previous_before is not None and t.previous_after is not None:
                undo_own_changes(t.previous, t.previous_before, t.previous_after)
            if self._parked is None:
                self._parked = t.parked

    def next_person(self) -> None:
        """The guard moves on. A visit waiting for a retake steps aside (never a DENY);
        an unfinished visit with evidence is logged with what it had."""
        with self._lock:
            self._end_current()
            self._listener.on_visit_changed(self._empty_snapshot())

    def tick(self) -> None:
        """Called by a timer: time out stalled visits, end holds, expire the retake list, retry storage."""
        with self._lock:
            if self._tentative is not None and self._tentative.expired:
                self.settle_guard_keys(keep=True)  # never held for good (the window settles it in ~0.3 s)
            now = self._clock()
            if not self.writer.threaded:
                self.writer.flush()  # threaded, the writer retries on its own
            for w in list(self._waiting_retake.values()):
                if w.wait_expires_at is not None and now >= w.wait_expires_at:
                    del self._waiting_retake[w.visit_id]
                    w.move("expire")
                    w.abandoned = True
                    self._write(w, now, self._verdict(w, now, finished=True))
                    self._listener.on_visit_changed(self._snapshot(w))
            v = self._visit
            if v is None:
                return
            if v.state is VisitState.DECIDED:
                if v.hold_until is not None and now >= v.hold_until:
                    v.move("release")
                    self._visit = None
                    self._listener.on_visit_changed(self._empty_snapshot())
                return
            if v.state is VisitState.OPEN and now - v.last_event_at >= timedelta(seconds=self._gate.visit_timeout_s):
                self._end_current()
                self._listener.on_visit_changed(self._empty_snapshot())

    def close_gate(self) -> int:
        """The gate closes (window closed, service stopped): the person in front and everyone on the
        retake list are logged with what they had, never silently forgotten. Returns how many."""
        with self._lock:
            now = self._clock()
            count = 0
            v, self._visit = self._visit, None
            if v is not None and v.state is VisitState.OPEN and v.has_person_evidence:
                # Even a retake still pending: logged as not completed, never stepped aside into nowhere.
                v.abandoned = True
                self._decide(v, now, self._verdict(v, now, finished=True))
                count += 1
            for w in list(self._waiting_retake.values()):
                del self._waiting_retake[w.visit_id]
                w.move("expire")
                w.abandoned = True
                self._write(w, now, self._verdict(w, now, finished=True))
                count += 1
            return count

    def log_current(self) -> VisitSnapshot:
        """Write the current visit as it stands (the headless ``check`` command)."""
        with self._lock:
            now = self._clock()
            v = self._active(now)
            if v.state is VisitState.OPEN:
                # The person leaves the command line now: what is missing is named in the row.
                self._decide(v, now, self._verdict(v, now, finished=True))
            return self._snapshot(v)


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
