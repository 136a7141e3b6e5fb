"""How a visit is judged and shown: the policy's verdict plus what the gate itself knows, and snapshots.

``VisitJudge`` holds no visits and no history: it reads a ``Visit`` and the policy and answers
what the verdict is, which evidence stands when two pieces of one element meet, who the codes say
the person is, and what the screen shows (``VisitSnapshot``). The gate controller
(``kiosk.services.gate``) composes it with the visit book and the entry ledger.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.domain.model import Decision, Element, Evidence, Lane, Outcome, Person, PersonKind, Reason, Source
from kiosk.domain.policy import Policy, Verdict, is_flagged, locked_failure
from kiosk.domain.privacy import mask_id, mask_name
from kiosk.domain.visit import CodeCheck, IdentityCheck, Visit, VisitSnapshot, VisitState
from kiosk.services.entries import flagged_outcome
from kiosk.services.ports import Clock


class VisitJudge:
    """Verdicts, evidence precedence and snapshots of one visit; stateless apart from the policy and clock."""

    def __init__(self, policy: Policy, clock: Clock) -> None:
        self.policy = policy
        self._clock = clock

    def verdict(self, v: Visit, now: datetime, finished: bool = False) -> Verdict:
        """The policy's verdict, with what the gate adds: identity doubts, an incomplete registration, abandoning."""
        verdict = self.policy.evaluate(v.lane, v.person, v.evidence, finished, now)
        extra: list[Reason] = []
        if v.identity is IdentityCheck.SUSPECTED:
            extra.append(Reason(None, v.identity_reason, False))
        elif v.identity is IdentityCheck.CONFIRMED:
            extra.append(Reason(None, "identity_confirmed", False))
        if v.registration_missing and Element.REGISTRATION in {r.element for r in self.policy.required(v.person)}:
            extra.append(Reason(Element.REGISTRATION, "registration_incomplete", False,
                                {"fields": list(v.registration_missing)}))
        if v.abandoned:
            extra.append(Reason(None, "visit_abandoned", False))
        if not extra:
            return verdict
        reasons = verdict.reasons + tuple(extra)
        decision = verdict.decision
        if decision is Decision.PASS and any(r.severity == "ask" for r in extra):
            decision = Decision.INCOMPLETE
        flagged = is_flagged(decision, reasons, identity_questioned=v.identity is not IdentityCheck.CLEAR)
        return Verdict(decision, reasons, flagged, verdict.pending)

    @staticmethod
    def put(v: Visit, ev: Evidence) -> None:
        """Add a code's evidence to the visit, unless stronger evidence of that element stands."""
        current = v.evidence.get(ev.element)
        if locked_failure(current):
            return  # a verified failure stays: only an override changes that verdict
        if locked_failure(ev):
            v.evidence[ev.element] = ev  # a verified failure beats anything, the guard's word included
            return
        # A guard's word is not replaced by a later camera reading of the same element,
        # and verified evidence is not replaced by weaker evidence of the same element.
        if current is not None and current.source is Source.MANUAL and ev.source is not Source.MANUAL:
            return
        if current is not None and current.outcome is Outcome.FAIL and ev.outcome is not Outcome.FAIL \
                and current.strength.rank >= ev.strength.rank:
            return
        v.evidence[ev.element] = ev

    def learn_person(self, v: Visit, check: CodeCheck) -> None:
        """Who the person is, where the evidence allows (the guard's word wins)."""
        person = v.person
        if check.kind_hint is not None and not v.kind_set_by_guard and check.kind_hint.lane is v.lane:
            person = replace(person, kind=check.kind_hint)
        if check.person_ref:
            person = replace(person, person_ref=person.person_ref or check.person_ref,
                             name=person.name or check.holder_name, group=person.group or check.group)
        itinerary = next((ev for ev in check.evidence if ev.element is Element.ITINERARY), None)
        if itinerary is not None and not person.returning_from_risk_area:
            cities = itinerary.detail.get("cities") or []
            if isinstance(cities, list) and self.policy.is_returnee_itinerary([str(c) for c in cities]):
                person = replace(person, returning_from_risk_area=True)
                v.returning_inferred = True
        v.person = person

    def judge_temperature(self, v: Visit) -> None:
        """The temperature evidence from the visit's readings so far (none yet: nothing changes)."""
        ev = self.policy.judge_temperature(v.temperatures)
        if ev is not None:
            v.evidence[Element.TEMPERATURE] = ev

    def retake_due(self, v: Visit) -> datetime | None:
        ev = v.evidence.get(Element.TEMPERATURE)
        if ev is None or ev.outcome is not Outcome.RETAKE:
            return None
        return self.policy.retake_due(v.temperatures)

    def snapshot(self, v: Visit, *, held: bool) -> VisitSnapshot:
        """What the screen shows of ``v``; ``held``: a guard's key under hold acted on it (not spoken yet)."""
        now = self._clock()
        if v.state in (VisitState.DECIDED, VisitState.CLOSED) and v.logged is not None:
            decision, reasons = v.logged
            base = self.verdict(v, now, finished=v.abandoned)
            verdict = Verdict(decision, reasons, flagged_outcome(decision, base, v), base.pending)
        else:
            verdict = self.verdict(v, now)
        return VisitSnapshot(
            visit_id=v.visit_id, lane=v.lane, person=v.person,
            name_masked=mask_name(v.person.name or v.holder.name),
            id_masked=mask_id(v.person.id_number) or v.holder.id_masked,
            evidence=dict(v.evidence), verdict=verdict, started_at=v.started_at,
            finished=v.state in (VisitState.DECIDED, VisitState.CLOSED),
            entry_id=v.entry_id, retake_due_at=v.retake_due_at or self.retake_due(v),
            override_reason=v.override_reason, handoff=v.handoff, policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(v.person)), state=v.state,
            codes=tuple(v.codes), identity=v.identity, wait_expires_at=v.wait_expires_at, tentative=held,
        )

    def empty_snapshot(self, lane: Lane, default_kind: PersonKind) -> VisitSnapshot:
        """Nobody in front of the guard, in this lane."""
        person = Person(default_kind)
        return VisitSnapshot(
            visit_id="", lane=lane, person=person, name_masked=None, id_masked=None, evidence={},
            verdict=Verdict(Decision.INCOMPLETE, (), False, ()), started_at=self._clock(), finished=False,
            entry_id=None, retake_due_at=None, override_reason=None, handoff=False,
            policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(person)),
        )
