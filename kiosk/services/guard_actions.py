"""What the guard may say about the person in front: confirmations, who they are, registration, overrides.

``GuardActions`` turns each of the guard's words into a change of the front visit (through the
``VisitBook``), refusing with ``ConfirmRefused`` what only an override may change. A word after a
verdict reopens the visit, and its next entry corrects the one already written. The gate
controller (``kiosk.services.gate``) calls it under the gate's one lock.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kiosk.domain.model import Decision, Element, Evidence, Lane, Outcome, PersonKind, Source, Strength
from kiosk.domain.policy import locked_failure
from kiosk.domain.visit import IdentityCheck, VisitSnapshot, VisitState
from kiosk.domain.vocabulary import element_words, source_words
from kiosk.services.ports import Clock
from kiosk.services.visit_judge import VisitJudge
from kiosk.services.visit_ledger import VisitLedger
from kiosk.services.visits import VisitBook

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


class GuardActions:
    """The guard's words into visit changes (see the module docstring). Not thread-safe: called under the gate lock."""

    def __init__(self, book: VisitBook, judge: VisitJudge, ledger: VisitLedger, clock: Clock) -> None:
        self._book = book
        self._judge = judge
        self._ledger = ledger
        self._clock = clock

    def confirm(self, element: Element, ok: bool, value: str | None, note: str) -> VisitSnapshot:
        """The guard saw ``value`` (one of ``SEEN_VALUES``; None: the first or last, as ``ok`` says)."""
        if element is Element.TEMPERATURE:
            raise ValueError("type a temperature with type_temperature(); it is a reading, not a yes/no")
        seen_values = SEEN_VALUES.get(element, ("ok", "wrong"))
        if value is None:
            value = seen_values[0] if ok else seen_values[-1]
        elif str(value) not in seen_values:
            raise ValueError(f"{element.value}: what was seen must be one of {', '.join(seen_values)}")
        ok = str(value) == seen_values[0]
        now = self._clock()
        v = self._book.active(now)
        current = v.evidence.get(element)
        if locked_failure(current):
            assert current is not None
            if ok:
                raise ConfirmRefused(
                    f"{element_words(element.value)}已由{source_words(current.source.value)}判定为不合格，只能人工改判（F5，须写明原因）")
            return self._book.changed(v)  # the guard agrees: the verified evidence stays as it is
        if v.state is VisitState.DECIDED:
            self._book.reopen(v)
        stored: str | bool = value
        if element is Element.MASK:
            stored = ok
        detail: dict[str, Any] = {"guard": self._ledger.guard_id, "at": now.isoformat()}
        if element is Element.NUCLEIC_ACID and ok:
            detail["sampled_at"] = None  # seen within the window on the person's phone
        ev = Evidence(element, Outcome.OK if ok else Outcome.FAIL, Source.MANUAL, stored, Strength.VERIFIED,
                      detail=detail, note=note)
        v.evidence[element] = ev
        return self._book.event(v, now)

    def confirm_identity(self) -> VisitSnapshot | None:
        now = self._clock()
        v = self._book.front
        if v is None or v.identity is not IdentityCheck.SUSPECTED:
            return None
        if v.state is VisitState.DECIDED:
            self._book.reopen(v)
        v.identity = IdentityCheck.CONFIRMED
        return self._book.event(v, now)

    def set_kind(self, kind: PersonKind) -> VisitSnapshot:
        now = self._clock()
        v = self._book.active(now)
        if v.lane is Lane.WORKER and kind.lane is Lane.CAMPUS:
            raise ConfirmRefused("临时人员通道不能设为师生：请先切换到师生通道（F9）")
        if v.state is VisitState.DECIDED:
            self._book.reopen(v)
        v.person = replace(v.person, kind=kind)
        v.kind_set_by_guard = True
        return self._book.event(v, now)

    def set_returning(self, returning: bool) -> VisitSnapshot:
        now = self._clock()
        v = self._book.active(now)
        if not returning and v.returning_inferred:
            raise ConfirmRefused("行程卡显示为返校人员，需48小时核酸；只能人工改判")
        if v.state is VisitState.DECIDED:
            self._book.reopen(v)
        v.person = replace(v.person, returning_from_risk_area=returning)
        return self._book.event(v, now)

    def register(self, fields: dict[str, str]) -> VisitSnapshot:
        now = self._clock()
        clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
        front = self._book.active(now)
        holder = front.holder.name
        if holder and clean.get("name") and clean["name"] != holder:
            raise ConfirmRefused(f"登记姓名“{clean['name']}”与码上的持有人不一致")
        v = self._book.active(now, reopen=True)
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
        return self._book.event(v, now)

    def handoff(self, fields: dict[str, str]) -> VisitSnapshot:
        now = self._clock()
        clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
        front = self._book.front
        if not clean and (front is None or front.state is VisitState.CLOSED or not front.has_person_evidence):
            raise ConfirmRefused("交接需要快递员出示码或填写登记（姓名、单位）")
        front_visit = self._book.active(now)
        if front_visit.logged is not None and front_visit.logged[0] is Decision.DENY and \
                any(locked_failure(ev) for ev in front_visit.evidence.values()):
            # A red code, a positive test, a risk area: that refusal stays in every count.
            raise ConfirmRefused("已因健康码等禁止通行：拒绝记录不改为交接（包裹可照常在门卫室交接）")
        v = self._book.active(now, reopen=True)
        if clean:
            v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean)
        v.handoff = True
        self._ledger.decide(v, now, self._judge.verdict(v, now), Decision.HANDOFF)
        return self._book.changed(v)

    def override(self, decision: Decision, reason: str) -> VisitSnapshot:
        if not reason or not reason.strip():
            raise ValueError("an override needs a reason")
        if decision not in (Decision.PASS, Decision.DENY):
            raise ValueError("an override must decide: PASS or DENY")
        now = self._clock()
        v = self._book.front
        if v is None:
            raise LookupError("no visit to override")
        if v.state is VisitState.DECIDED:
            self._book.reopen(v)
        v.override_decision = decision
        v.override_reason = reason.strip()
        # What the guard overrode: a failure that turns up later was not part of it.
        v.override_basis = frozenset(r.code for r in self._judge.verdict(v, now).hard_failures)
        self._ledger.decide(v, now, self._judge.verdict(v, now), decision)
        return self._book.changed(v)

    def log_current(self) -> VisitSnapshot:
        now = self._clock()
        v = self._book.active(now)
        if v.state is VisitState.OPEN:
            # The person leaves the command line now: what is missing is named in the row.
            self._ledger.decide(v, now, self._judge.verdict(v, now, finished=True))
        return self._book.snapshot(v)
