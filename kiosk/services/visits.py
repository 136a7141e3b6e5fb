"""The visits at one gate and how each is judged: the state under the gate controller.

``VisitRouter`` holds the person in front of the guard and the retake list, routes each piece of
evidence to its visit, judges a visit with the policy and writes its entry. ``GateEvents`` and
``GateController`` (``gate_events.py``, ``gate.py``) build on it: what devices and the guard may say.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain import follow_up
from kiosk.domain.model import (
    Decision,
    Element,
    Evidence,
    Lane,
    Outcome,
    Person,
    PersonKind,
    Reason,
    Source,
    TemperatureSample,
)
from kiosk.services.entries import EntryBuilder, EntryContext, flagged_outcome
from kiosk.services.entry_writer import EntryWriter
from kiosk.services.spool import EntrySpool
from kiosk.domain.policy import Policy, Verdict, is_flagged, locked_failure
from kiosk.services.ports import Clock, EntryLog, GateListener, IdFactory
from kiosk.domain.privacy import mask_id, mask_name
from kiosk.services.replay import RecentCodes, ReplayGuard
from kiosk.services.sealing import RegistrationSealer
from kiosk.services.tentative import Tentative
from kiosk.domain.visit import CodeCheck, IdentityCheck, Visit, VisitSnapshot, VisitState

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


class VisitRouter:
    """The visits at one gate: routing, judging and snapshots (see the module docstring). Thread-safe."""

    RETAKE_LIST_MAX = 50
    PARK_READING_S = 10.0  # a reading during a verdict's hold waits this long for the next person
    REFUSAL_ALERT_S = 30.0  # a code naming nobody this soon after a refusal needs an identity check

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
        self._log = entry_log
        self._listener = listener
        self._gate = gate
        self._clock = clock
        self._new_id = new_id
        self._lock = threading.RLock()
        self._lane = Lane.CAMPUS
        self._default_kind = PersonKind.STUDENT
        self._guard_id = site.guard_id
        self._visit: Visit | None = None
        self._waiting_retake: dict[str, Visit] = {}
        self._collecting = False
        self._tentative: Tentative | None = None  # a guard's key that may be a scan's first (kiosk.services.tentative)
        self._parked: TemperatureSample | None = None
        self._outcomes: dict[str, bool] = {}  # recent visits: did they end in a pass (replay judgement)
        self._last_refusal_at: datetime | None = None
        self.replay = ReplayGuard(gate.debounce_s, gate.replay_window_min, recent_codes)
        self.writer = EntryWriter(entry_log, listener, spool)
        self.builder = EntryBuilder(
            EntryContext(site.site_id, site.gate_id, ZoneInfo(site.timezone), salt, origin, sealer), new_id)

    # ------------------------------------------------------------- routing
    def _active(self, now: datetime, reopen: bool = False) -> Visit:
        """The visit an event belongs to: the open one, the decided one on screen (guard actions
        reopen it as a correction), or a new one."""
        v = self._visit
        if v is not None and v.state is VisitState.OPEN:
            return v
        if v is not None and v.state is VisitState.DECIDED and self._holding(v, now):
            if reopen:
                self._reopen(v)
            return v
        if v is not None and v.state is VisitState.DECIDED:
            v.move("release")
        self._visit = self._new_visit(None)
        return self._visit

    def _visit_for(self, check: CodeCheck, now: datetime) -> Visit:
        """The visit a new code joins: the open one if it can be this person's, else a new one."""
        v = self._visit
        if v is not None and v.state is VisitState.DECIDED:
            if self._holding(v, now) and not v.holder.conflicts(check.holder) and check.holder.known \
                    and v.holder.known:
                self._reopen(v)  # the same person shows another code while the verdict is on screen
                return v
            v.move("release")
            self._visit = None
            v = None
        if v is not None and v.state is VisitState.OPEN:
            someone_else = v.holder.conflicts(check.holder) or (
                v.holds_element_from_other_code(check) and not (v.holder.known and check.holder.known))
            if not someone_else:
                return v
            self._end_current()
        self._visit = self._new_visit(None)
        return self._visit

    def _waiting_for(self, check: CodeCheck) -> Visit | None:
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

    def _resume(self, waiting: Visit, now: datetime) -> Visit:
        current = self._visit
        if current is not None and current.state is VisitState.OPEN and current is not waiting:
            if not current.codes and not current.has_guard_evidence and not current.person.registration:
                # Readings of someone not yet identified: they may be this person's, or the next one's.
                # A retake must be beyond doubt, so they are set aside (no row: nobody was checked)
                # and the resumed person is measured again.
                current.move("abandon")
            else:
                self._end_current()
        elif current is not None and current.state is VisitState.DECIDED:
            current.move("release")
        del self._waiting_retake[waiting.visit_id]
        waiting.move("resume")
        waiting.retake_due_at = waiting.wait_expires_at = None
        waiting.last_event_at = now
        self._visit = waiting
        return waiting

    def _end_current(self) -> None:
        """The person in front leaves the front: step aside for a retake, log what they had, or release."""
        v = self._visit
        self._visit = None
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
        verdict = self._verdict(v, now)
        if Element.TEMPERATURE in verdict.pending and follow_up.waits_for_retake(r.code for r in verdict.reasons) \
                and not verdict.hard_failures:
            self._step_aside(v, now)
            return
        v.abandoned = True
        self._decide(v, now, self._verdict(v, now, finished=True))
        v.move("release")

    def _step_aside(self, v: Visit, now: datetime) -> None:
        v.move("step_aside")
        v.retake_due_at = self._retake_due(v)
        v.wait_expires_at = now + timedelta(seconds=max(self._gate.visit_timeout_s, 10 * self.policy.retake_wait_s,
                                                        600.0))
        self._waiting_retake[v.visit_id] = v
        if len(self._waiting_retake) > self.RETAKE_LIST_MAX:
            oldest = min(self._waiting_retake.values(), key=lambda w: w.started_at)
            oldest.wait_expires_at = now  # logged as not completed at the next tick
        self._listener.on_visit_changed(self._snapshot(v))

    def _reopen(self, v: Visit) -> None:
        # The guard changed something after the verdict: the visit reopens and its
        # next entry is a correction of the one already written.
        v.move("reopen")
        v.corrects, v.hold_until = v.entry_id, None

    def _new_visit(self, person: Person | None) -> Visit:
        now = self._clock()
        v = Visit(self._new_id(), self._lane, person or Person(self._default_kind), now, now)
        parked, self._parked = self._parked, None
        if parked is not None and parked.at is not None and now - parked.at <= timedelta(seconds=self.PARK_READING_S):
            v.temperatures.append(parked)
            ev = self.policy.judge_temperature(v.temperatures)
            if ev is not None:
                v.evidence[Element.TEMPERATURE] = ev
        return v

    def _entered(self, visit_id: str) -> bool | None:
        """Whether a recent visit ended in a pass (None: not known here, e.g. from before a restart)."""
        return self._outcomes.get(visit_id)

    def _refused_moments_ago(self, now: datetime) -> bool:
        return self._last_refusal_at is not None and \
            now - self._last_refusal_at <= timedelta(seconds=self.REFUSAL_ALERT_S)

    def _holding(self, v: Visit, now: datetime) -> bool:
        return v.state is VisitState.DECIDED and v.hold_until is not None and now < v.hold_until

    # ------------------------------------------------------------- judging
    def _put(self, v: Visit, ev: Evidence) -> None:
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

    def _learn_person(self, v: Visit, check: CodeCheck) -> None:
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

    def _verdict(self, v: Visit, now: datetime, finished: bool = False) -> Verdict:
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

    def _event(self, v: Visit, now: datetime) -> VisitSnapshot:
        v.last_event_at = now
        if v.state is VisitState.OPEN and not self._collecting and self._tentative is None:
            verdict = self._verdict(v, now)
            if verdict.decision in (Decision.PASS, Decision.DENY):
                self._decide(v, now, verdict)
        return self._changed(v)

    def _judge(self, v: Visit, now: datetime) -> None:
        verdict = self._verdict(v, now)
        if verdict.decision in (Decision.PASS, Decision.DENY):
            self._decide(v, now, verdict)
        else:
            self._changed(v)

    def _decide(self, v: Visit, now: datetime, verdict: Verdict, decision: Decision | None = None) -> None:
        """Log the visit's outcome and hold it on screen; the visit becomes DECIDED."""
        v.move("decide")
        v.hold_until = now + timedelta(seconds=self._gate.result_display_s)
        self._write(v, now, verdict, decision)

    def _write(self, v: Visit, now: datetime, verdict: Verdict, decision: Decision | None = None) -> None:
        if v.override_decision is not None and decision is None and \
                any(r.code not in v.override_basis for r in verdict.hard_failures):
            # New evidence of a failure after an override: the override was not about it.
            v.override_decision = v.override_reason = None
        final = decision or v.override_decision or verdict.decision
        extra: tuple[Reason, ...] = ()
        if v.override_reason:
            extra += (Reason(None, "override", False, {"text": v.override_reason, "decision": final.value}),)
        if final is Decision.HANDOFF:
            extra += (Reason(None, "handoff", False),)
        entry = self.builder.build(v, verdict, final, now, guard_id=self._guard_id,
                                   policy_version=self.policy.version, extra_reasons=extra)
        v.entry_id = entry.id
        v.corrects = None
        v.logged = (final, verdict.reasons + extra)
        self._outcomes[v.visit_id] = final is Decision.PASS
        if len(self._outcomes) > 4096:
            self._outcomes = dict(list(self._outcomes.items())[-2048:])
        if final is Decision.DENY:
            self._last_refusal_at = now
        self.writer.submit(entry)
        self._listener.on_entry_logged(self._snapshot(v), entry.id)

    # ------------------------------------------------------------- snapshots
    def _retake_due(self, v: Visit) -> datetime | None:
        ev = v.evidence.get(Element.TEMPERATURE)
        if ev is None or ev.outcome is not Outcome.RETAKE:
            return None
        return self.policy.retake_due(v.temperatures)

    def _snapshot(self, v: Visit) -> VisitSnapshot:
        now = self._clock()
        if v.state in (VisitState.DECIDED, VisitState.CLOSED) and v.logged is not None:
            decision, reasons = v.logged
            base = self._verdict(v, now, finished=v.abandoned)
            verdict = Verdict(decision, reasons, flagged_outcome(decision, base, v), base.pending)
        else:
            verdict = self._verdict(v, now)
        return VisitSnapshot(
            visit_id=v.visit_id, lane=v.lane, person=v.person,
            name_masked=mask_name(v.person.name or v.holder.name),
            id_masked=mask_id(v.person.id_number) or v.holder.id_masked,
            evidence=dict(v.evidence), verdict=verdict, started_at=v.started_at,
            finished=v.state in (VisitState.DECIDED, VisitState.CLOSED),
            entry_id=v.entry_id, retake_due_at=v.retake_due_at or self._retake_due(v),
            override_reason=v.override_reason, handoff=v.handoff, policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(v.person)), state=v.state,
            codes=tuple(v.codes), identity=v.identity, wait_expires_at=v.wait_expires_at,
            tentative=self._tentative is not None and self._tentative.visit is v,
        )

    def _empty_snapshot(self) -> VisitSnapshot:
        person = Person(self._default_kind)
        return VisitSnapshot(
            visit_id="", lane=self._lane, person=person, name_masked=None, id_masked=None, evidence={},
            verdict=Verdict(Decision.INCOMPLETE, (), False, ()), started_at=self._clock(), finished=False,
            entry_id=None, retake_due_at=None, override_reason=None, handoff=False,
            policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(person)),
        )

    def _changed(self, v: Visit) -> VisitSnapshot:
        snap = self._snapshot(v)
        self._listener.on_visit_changed(snap)
        return snap


