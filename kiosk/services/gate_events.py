"""What the devices tell the gate: codes, temperature readings, the mask, turned into changes of a visit.

``DeviceIntake`` decides which visit a device event belongs to (through the ``VisitBook``), what
evidence it adds (through the ``VisitJudge``) and whether a code is a replay (``ReplayGuard``, and
the ``VisitLedger``'s memory of recent outcomes). The gate controller (``kiosk.services.gate``)
calls it under the gate's one lock; the replay guard's database work stays outside that lock.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.domain.model import Element, Evidence, Outcome, Source, TemperatureSample
from kiosk.domain.visit import CodeCheck, IdentityCheck, SeenCode, VisitSnapshot, VisitState
from kiosk.services.ports import Clock
from kiosk.services.replay import ReplayGuard, Sighting
from kiosk.services.visit_judge import VisitJudge
from kiosk.services.visit_ledger import VisitLedger
from kiosk.services.visits import VisitBook


class DeviceIntake:
    """Device events into visit changes (see the module docstring). Not thread-safe: called under the gate lock."""

    def __init__(self, book: VisitBook, judge: VisitJudge, ledger: VisitLedger, replay: ReplayGuard,
                 clock: Clock) -> None:
        self._book = book
        self._judge = judge
        self._ledger = ledger
        self._replay = replay
        self._clock = clock

    def code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        """A verified code; a repeat of a code already on the front visit (or just seen) is no event."""
        now = self._clock()
        current = self._book.front
        current_id = current.visit_id if current is not None and current.state is not VisitState.CLOSED else None
        front_busy = current is not None and current.state is VisitState.OPEN and current.has_person_evidence
        sighting = self._replay.classify(check.content_key, current_id, now, front_busy=front_busy,
                                         entered=self._ledger.entered)
        if sighting is Sighting.REPEAT or (current is not None and check.content_key in current.code_keys
                                           and current.state is not VisitState.CLOSED):
            self._replay.touch(check.content_key, now)
            return None
        waiting = self._book.waiting_for(check)
        if waiting is not None:
            v = self._book.resume(waiting, now)
        else:
            previous = self._book.front
            v = self._book.visit_for(check, now)
            if sighting is Sighting.REPLAY:
                v.suspect("replay")
            elif v is not previous and self._ledger.refused_moments_ago(now):
                # Someone was refused a moment ago: the next code could be theirs (a second phone).
                v.suspect("after_refusal")
        self._replay.record(check.content_key, v.visit_id, now)
        v.codes.append(SeenCode.of(check, now, sighting is Sighting.REPLAY and waiting is None))
        v.holder = v.holder.merge(check.holder)
        for ev in check.evidence:
            self._judge.put(v, ev)
        self._judge.learn_person(v, check)
        if v.identity is IdentityCheck.CLEAR and v.codes_of_unknown_and_known_holders:
            # A visit's codes must be one person's: a code that names nobody beside codes that
            # name someone (a card and somebody's phone, three codes of a worker) needs the guard.
            v.suspect("identity_unbound")
        return self._book.event(v, now)

    def temperature(self, sample: TemperatureSample) -> VisitSnapshot | None:
        """A (stable, calibrated) reading from the thermometer, or typed by the guard."""
        now = self._clock()
        v = self._book.front
        if sample.source is not Source.MANUAL and v is not None and self._book.holding(v, now):
            # The person just judged may still be in front of the thermometer, or the next
            # person stepped up: park the reading for the next visit (used if one starts soon).
            self._book.park(replace(sample, at=sample.at or now))
            return None
        v = self._book.active(now, reopen=sample.source is Source.MANUAL)
        if sample.at is None:
            sample = replace(sample, at=now)
        v.temperatures.append(sample)
        self._judge.judge_temperature(v)
        return self._book.event(v, now)

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> VisitSnapshot | None:
        """An automatic mask result: a suggestion; "no mask" prompts the guard, never denies."""
        now = self._clock()
        v = self._book.front
        if has_mask is None or (v is not None and self._book.holding(v, now)):
            return None
        v = self._book.active(now)
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
        return self._book.event(v, now)
