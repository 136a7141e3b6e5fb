"""What the devices tell the gate (codes, readings, mask) and how a gate is set up (lane, guard, next visit)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from kiosk.domain.model import (
    Element,
    Evidence,
    Lane,
    Outcome,
    Person,
    PersonKind,
    Source,
    TemperatureSample,
)
from kiosk.services.replay import Sighting
from kiosk.domain.visit import CodeCheck, IdentityCheck, SeenCode, VisitSnapshot, VisitState
from kiosk.services.visits import VisitRouter

log = logging.getLogger(__name__)


class GateEvents(VisitRouter):
    """The gate's set-up and the devices' events, routed to visits by ``VisitRouter``."""

    # ------------------------------------------------------------ properties
    @property
    def lane(self) -> Lane:
        return self._lane

    @property
    def default_kind(self) -> PersonKind:
        """Who a new visit in this lane is assumed to be until a code or the guard says otherwise."""
        return self._default_kind

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
            return self._snapshot(self._visit) if self._visit else None

    def retake_list(self) -> list[VisitSnapshot]:
        """People who stepped aside to wait for a retake, the longest waiting first."""
        with self._lock:
            return [self._snapshot(v) for v in sorted(self._waiting_retake.values(), key=lambda v: v.started_at)]

    # --------------------------------------------------------------- set-up
    def set_lane(self, lane: Lane, default_kind: PersonKind | None = None) -> None:
        """Switch lanes; an unfinished visit is closed first (it was someone else)."""
        with self._lock:
            self._end_current()
            self._lane = lane
            self._default_kind = default_kind or (
                PersonKind.STUDENT if lane is Lane.CAMPUS else PersonKind.OTHER_WORKER
            )
            self._listener.on_visit_changed(self._empty_snapshot())

    def set_guard(self, guard_id: str) -> None:
        with self._lock:
            self._guard_id = guard_id

    def start_visit(self, person: Person | None = None) -> VisitSnapshot:
        """Begin checking a person explicitly (the guard pressed "next", or the CLI)."""
        with self._lock:
            self._end_current()
            self._visit = self._new_visit(person)
            if person is not None:
                self._visit.kind_set_by_guard = True
            return self._changed(self._visit)

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        """Gather several events and judge them once at the end (the headless ``check``)."""
        with self._lock:
            self._collecting = True
            try:
                yield
            finally:
                self._collecting = False
            v = self._visit
            if v is not None and v.state is VisitState.OPEN:
                self._judge(v, self._clock())

    # --------------------------------------------------------------- events
    def code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        """A verified code from the camera or a scanner; repeated scans of one code are one event."""
        self.replay.prefetch(check.content_key)  # a database read, before the lock the GUI thread shares
        try:
            return self._code_seen(check)
        finally:
            self.replay.persist()  # written after the lock is released, on this (the verifier's) thread

    def _code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        with self._lock:
            now = self._clock()
            current = self._visit
            current_id = current.visit_id if current is not None and current.state is not VisitState.CLOSED else None
            front_busy = current is not None and current.state is VisitState.OPEN and current.has_person_evidence
            sighting = self.replay.classify(check.content_key, current_id, now, front_busy=front_busy,
                                            entered=self._entered)
            if sighting is Sighting.REPEAT or (current is not None and check.content_key in current.code_keys
                                               and current.state is not VisitState.CLOSED):
                self.replay.touch(check.content_key, now)
                return None
            waiting = self._waiting_for(check)
            if waiting is not None:
                v = self._resume(waiting, now)
            else:
                previous = self._visit
                v = self._visit_for(check, now)
                if sighting is Sighting.REPLAY:
                    v.suspect("replay")
                elif v is not previous and self._refused_moments_ago(now):
                    # Someone was refused a moment ago: the next code could be theirs (a second phone).
                    v.suspect("after_refusal")
            self.replay.record(check.content_key, v.visit_id, now)
            v.codes.append(SeenCode.of(check, now, sighting is Sighting.REPLAY and waiting is None))
            v.holder = v.holder.merge(check.holder)
            for ev in check.evidence:
                self._put(v, ev)
            self._learn_person(v, check)
            if v.identity is IdentityCheck.CLEAR and v.codes_of_unknown_and_known_holders:
                # A visit's codes must be one person's: a code that names nobody beside codes that
                # name someone (a card and somebody's phone, three codes of a worker) needs the guard.
                v.suspect("identity_unbound")
            return self._event(v, now)

    def temperature(self, sample: TemperatureSample) -> VisitSnapshot | None:
        """A (stable, calibrated) reading from the thermometer, or typed by the guard."""
        with self._lock:
            now = self._clock()
            v = self._visit
            if sample.source is not Source.MANUAL and v is not None and self._holding(v, now):
                # The person just judged may still be in front of the thermometer, or the next
                # person stepped up: park the reading for the next visit (used if one starts soon).
                self._parked = replace(sample, at=sample.at or now)
                return None
            v = self._active(now, reopen=sample.source is Source.MANUAL)
            if sample.at is None:
                sample = replace(sample, at=now)
            v.temperatures.append(sample)
            ev = self.policy.judge_temperature(v.temperatures)
            if ev is not None:
                v.evidence[Element.TEMPERATURE] = ev
            return self._event(v, now)

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> VisitSnapshot | None:
        """An automatic mask result: a suggestion; "no mask" prompts the guard, never denies."""
        with self._lock:
            now = self._clock()
            v = self._visit
            if has_mask is None or (v is not None and self._holding(v, now)):
                return None
            v = self._active(now)
            current = v.evidence.get(Element.MASK)
            if current is not None and current.source is Source.MANUAL:
                return None  # the guard has spoken; the camera does not overrule
            if has_mask:
                ev = Evidence(Element.MASK, Outcome.OK, Source.DEVICE, True, detail={"score": round(score, 3)})
            else:
                ev = Evidence(Element.MASK, Outcome.UNKNOWN, Source.DEVICE, False, detail={"score": round(score, 3)})
            if current == ev:
                return None
            v.evidence[Element.MASK] = ev
            return self._event(v, now)
