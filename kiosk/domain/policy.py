"""The versioned entry policy and the one function that turns evidence into a verdict.

A policy says, per person kind, which elements are required and whether a
failure is *hard* (deny and log) or *soft* (allow, flag and log); the
temperature threshold and retake rule; the nucleic-acid window; and how
strong code evidence must be in each lane. Rules changed often in 2022, so a
policy carries a version string and every entry records it.

``Policy.evaluate`` is pure: same evidence, same verdict. The gate controller
collects the evidence; this module only judges it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kiosk.domain.fever import is_fever
from kiosk.domain.policy_table import (
    RULE_GROUPS, THREE_ELEMENTS, ElementRule, PolicyError, default_accept_strength, default_rules, policy_fields,
)
from kiosk.domain.model import (
    Decision,
    Element,
    Evidence,
    Lane,
    Mode,
    Outcome,
    Person,
    Reason,
    Source,
    Strength,
    TemperatureSample,
)

__all__ = ["RULE_GROUPS", "THREE_ELEMENTS", "ElementRule", "Policy", "PolicyError", "Verdict",
           "denies_everywhere", "is_flagged", "locked_failure"]


@dataclass(frozen=True)
class Verdict:
    """The result of judging a visit's evidence at one moment."""

    decision: Decision
    reasons: tuple[Reason, ...]
    flagged: bool
    pending: tuple[Element, ...]

    @property
    def hard_failures(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.hard)


@dataclass(frozen=True)
class Policy:
    """A complete, immutable entry policy (see module docstring)."""

    version: str = "2022-06-29"
    fever_threshold_c: float = 37.3
    retake_wait_s: float = 60.0
    plausible_min_c: float = 34.0
    plausible_max_c: float = 42.5
    nucleic_window_h: int = 48
    nucleic_counting: str = "hours"  # or "calendar_days": places count the window differently
    accept_strength: Mapping[Lane, Strength] = field(default_factory=default_accept_strength)
    rules: Mapping[str, tuple[ElementRule, ...]] = field(default_factory=default_rules)
    # An automatic "mask on" only pre-fills; the guard confirms unless this is set.
    auto_mask_satisfies: bool = False
    # Returnees: an itinerary card naming a place outside ``local_areas`` (when
    # that list is set) or any place in ``case_areas`` makes the person a returnee.
    local_areas: tuple[str, ...] = ()
    case_areas: tuple[str, ...] = ()
    # Key posts (e.g. 门卫, 厨师): roster groups that need a recent negative test at entry.
    key_post_groups: tuple[str, ...] = ()
    key_post_nucleic_days: int = 7

    # ----------------------------------------------------------------- loading
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Policy":
        """Build a policy from the ``[policy]`` table of the config file (read by ``policy_table``)."""
        policy = cls(**policy_fields(data))
        policy._validate()
        return policy

    def _validate(self) -> None:
        # IEC 80601-2-59 asks for a settable threshold between 34 and 39 °C.
        if not 34.0 <= self.fever_threshold_c <= 39.0:
            raise PolicyError("policy.fever_threshold_c must be between 34.0 and 39.0 °C")
        if self.plausible_min_c >= self.plausible_max_c:
            raise PolicyError("policy.plausible_min_c must be below plausible_max_c")
        if self.retake_wait_s < 0:
            raise PolicyError("policy.retake_wait_s must not be negative")
        if not 1 <= self.nucleic_window_h <= 24 * 14:
            raise PolicyError("policy.nucleic_window_h must be between 1 and 336 hours")
        if not 1 <= self.key_post_nucleic_days <= 30:
            raise PolicyError("policy.key_post_nucleic_days must be between 1 and 30 days")

    # ------------------------------------------------------------------ rules
    def required(self, person: Person) -> tuple[ElementRule, ...]:
        """The rules that apply to this person right now (a key post adds the nucleic-acid test)."""
        rules = tuple(
            r for r in self.rules[person.kind.rule_group]
            if not r.only_returning or person.returning_from_risk_area
        )
        if self.is_key_post(person) and not any(r.element is Element.NUCLEIC_ACID for r in rules):
            rules += (ElementRule(Element.NUCLEIC_ACID, Mode.HARD),)
        return rules

    def is_key_post(self, person: Person) -> bool:
        return bool(person.group) and person.group in self.key_post_groups

    def is_returnee_itinerary(self, cities: Sequence[str]) -> bool:
        """Whether an itinerary card's places make its holder a returnee (see the fields above)."""
        places = [c for c in cities if c]
        if any(c in self.case_areas for c in places):
            return True
        return bool(self.local_areas) and any(c not in self.local_areas for c in places)

    def plausible(self, celsius: float) -> bool:
        """Whether a reading can be a person's temperature (outside the range it is measured again)."""
        return self.plausible_min_c <= celsius <= self.plausible_max_c

    def judge_temperature(self, samples: Sequence[TemperatureSample]) -> Evidence | None:
        """Fuse the readings of one visit, in arrival order, into temperature evidence.

        Implausible readings mean "measure again" and never decide. A first
        reading at or above the threshold waits for a retake taken at least
        ``retake_wait_s`` later (a reading typed by the guard counts at once,
        since it comes from a clinical thermometer); the retake decides.
        """
        plausible = [s for s in samples if self.plausible(s.celsius)]
        if not plausible:
            if samples:
                last = samples[-1]
                return Evidence(
                    Element.TEMPERATURE, Outcome.UNKNOWN, last.source, value=last.celsius,
                    detail=_sample_detail(last), note="implausible",
                )
            return None
        return self._fuse_readings(plausible)[0]

    def retake_due(self, samples: Sequence[TemperatureSample]) -> datetime | None:
        """When the retake of the elevated reading waiting for one is due; None when no retake is awaited.

        The same fusion as ``judge_temperature`` (one rule for the verdict and the retake list's countdown).
        """
        plausible = [s for s in samples if self.plausible(s.celsius)]
        result, high = self._fuse_readings(plausible)
        if result is None or result.outcome is not Outcome.RETAKE or high is None or high.at is None:
            return None
        return high.at + timedelta(seconds=self.retake_wait_s)

    def _fuse_readings(self, plausible: Sequence[TemperatureSample]) -> tuple[Evidence | None, TemperatureSample | None]:
        """(the evidence, the elevated reading still waiting for its retake) of plausible readings in order."""
        # Readings in order: a normal reading is fine until an elevated one comes; an elevated
        # reading waits for its retake (at least retake_wait_s later, or typed by the guard),
        # which decides; a confirmed fever is final. A later elevated reading is never ignored.
        result: Evidence | None = None
        high: TemperatureSample | None = None
        for s in plausible:
            elevated = is_fever(s.celsius, self.fever_threshold_c)
            if high is None:
                if elevated:
                    high = s
                    result = _temp_evidence(s, Outcome.RETAKE)
                else:
                    result = _temp_evidence(s, Outcome.OK)
                continue
            waited = s.at is not None and high.at is not None and \
                (s.at - high.at) >= timedelta(seconds=self.retake_wait_s)
            if s.source is Source.MANUAL or waited:
                if elevated:
                    return _temp_evidence(s, Outcome.FAIL, first_reading=high.celsius), None
                result = _temp_evidence(s, Outcome.OK, first_reading=high.celsius)
                high = None
        return result, high

    def nucleic_acid_valid(self, sampled_at: datetime, now: datetime, window_h: int | None = None) -> bool:
        """Whether a negative test sampled at ``sampled_at`` is still inside the window."""
        window = self.nucleic_window_h if window_h is None else window_h
        if sampled_at > now + timedelta(minutes=5):
            return False
        if self.nucleic_counting == "calendar_days":
            return (now.date() - sampled_at.date()).days <= window // 24
        return now - sampled_at <= timedelta(hours=window)

    def nucleic_window_for(self, person: Person) -> int:
        """Hours a negative test stays valid for this person: the returnee window, or the key post's days."""
        if person.returning_from_risk_area:
            return self.nucleic_window_h
        if self.is_key_post(person):
            return self.key_post_nucleic_days * 24
        return self.nucleic_window_h

    def evaluate(
        self,
        lane: Lane,
        person: Person,
        evidence: Mapping[Element, Evidence],
        finished: bool = False,
        now: datetime | None = None,
    ) -> Verdict:
        """Judge the evidence; ``finished`` means no more evidence will come (the visit ended).

        Some evidence denies in every lane whatever the rules require: a yellow
        or red health code, a positive nucleic-acid test, an itinerary card with
        a risk area. A finished visit that only lacks evidence is INCOMPLETE
        (logged and flagged), never a pass.
        """
        reasons: list[Reason] = []
        pending: list[Element] = []
        required = {r.element: r for r in self.required(person)}
        accept = self.accept_strength[lane]
        window_h = self.nucleic_window_for(person)

        if person.kind.lane is not lane:
            reasons.append(Reason(None, "wrong_lane", False, {"lane": person.kind.lane.value}))
        if person.returning_from_risk_area:
            reasons.append(Reason(None, "returnee", False, {"hours": self.nucleic_window_h}))
        elif self.is_key_post(person):
            reasons.append(Reason(None, "key_post", False,
                                  {"group": person.group, "days": self.key_post_nucleic_days}))

        for element, rule in required.items():
            hard = rule.mode is Mode.HARD
            ev = evidence.get(element)
            if ev is None:
                if finished:
                    # Missing is not failed: the visit is logged INCOMPLETE (and flagged), never a pass.
                    reasons.append(Reason(element, "not_checked" if hard else "soft_missing", False))
                else:
                    pending.append(element)
                continue
            failure = self.failure_of(ev, now, window_h)
            if failure is not None:
                code, params = failure
                hard = hard or denies_everywhere(ev)  # no soft rule lets a red code in
                reasons.append(Reason(element, code if hard else "soft_failed", hard, params))
            elif ev.outcome is Outcome.RETAKE:
                if finished:
                    reasons.append(Reason(element, "fever_no_retake", False, {"celsius": ev.number()}))
                else:
                    pending.append(element)
                    reasons.append(Reason(element, "retake", False,
                                          {"celsius": ev.number(), "wait": self.retake_wait_s}))
            elif ev.outcome is Outcome.UNKNOWN or not self._strong_enough(ev, accept):
                if finished:
                    reasons.append(Reason(element, "unverified" if hard else "soft_missing", False))
                else:
                    pending.append(element)
                    reasons.append(Reason(element, _ask_code(ev), False, _ask_params(ev)))

        # Evidence of trouble on an element this person is not required to show:
        # some of it denies everywhere; the rest is still worth a flag.
        for element, ev in evidence.items():
            if element in required:
                continue
            failure = self.failure_of(ev, now, window_h)
            if failure is None:
                continue
            code, params = failure
            if denies_everywhere(ev):
                reasons.append(Reason(element, code, True, params))
            elif element is not Element.NUCLEIC_ACID or code != "nucleic_stale":
                reasons.append(Reason(element, "soft_failed", False, params))

        hard_fail = any(r.hard for r in reasons)
        if hard_fail:
            decision = Decision.DENY
        elif pending or any(r.severity == "ask" for r in reasons):
            decision = Decision.INCOMPLETE
        else:
            decision = Decision.PASS
        return Verdict(decision, tuple(reasons), is_flagged(decision, reasons), tuple(pending))

    def failure_of(self, ev: Evidence, now: datetime | None, window_h: int) -> tuple[str, dict[str, Any]] | None:
        """Why this piece of evidence fails (a reason code and its parameters), or None."""
        e = ev.element
        if e is Element.NUCLEIC_ACID and ev.outcome is not Outcome.FAIL:
            if ev.outcome is Outcome.OK and now is not None:
                sampled = _parse_time(ev.detail.get("sampled_at"))
                if sampled is not None and not self.nucleic_acid_valid(sampled, now, window_h):
                    return "nucleic_stale", {"hours": window_h}
            return None
        if ev.outcome is not Outcome.FAIL:
            return None
        if ev.value == "invalid":
            return "code_invalid", {"error": str(ev.detail.get("error", "malformed"))}
        if e is Element.TEMPERATURE:
            return "fever", {"celsius": ev.number(), "threshold": self.fever_threshold_c}
        if e is Element.MASK:
            return "no_mask", {}
        if e is Element.HEALTH and ev.value in ("yellow", "red"):
            return "health_colour", {"colour": ev.value}
        if e is Element.NUCLEIC_ACID:
            return "nucleic_positive", {}
        if e is Element.ITINERARY:
            return "itinerary_risk", {"cities": list(ev.detail.get("cities") or [])}
        if e is Element.VACCINE:
            return "vaccine_none", {}
        if e is Element.CARD:
            return "card_unknown", {}
        return "element_failed", {}

    def _strong_enough(self, ev: Evidence, accept: Strength) -> bool:
        if ev.source is Source.MANUAL:
            return True  # the guard's own confirmation is the strongest evidence the gate has
        if ev.element is Element.MASK and ev.source is Source.DEVICE:
            return self.auto_mask_satisfies
        if not ev.element.is_code:
            return True
        return ev.strength.rank >= accept.rank


FLAGGING_NOTES = ("soft_failed", "soft_missing", "wrong_lane")  # a pass with one of these is flagged


def is_flagged(decision: Decision, reasons: Sequence[Reason], *, identity_questioned: bool = False,
               overridden: bool = False, judged: Decision | None = None) -> bool:
    """Whether an outcome goes on the flagged list: the one rule for the verdict, the ledger and the window.

    Everything that is not a clean pass is flagged: a denial, an incomplete check, a pass with a soft
    failure or in the wrong lane, an identity the guard had to check, an override. A hand-off is its
    own outcome, flagged only when its evidence failed. A verdict that was flagged stays flagged whatever
    decision is logged for it (``judged``: the rules' decision)."""
    if decision is Decision.HANDOFF:
        return any(r.hard for r in reasons)
    return (decision is not Decision.PASS or identity_questioned or overridden
            or any(r.code in FLAGGING_NOTES for r in reasons)
            or (judged not in (None, decision) and is_flagged(judged, reasons)))


def denies_everywhere(ev: Evidence) -> bool:
    """Evidence that denies in every lane, whatever the rules of the person's group say."""
    if ev.outcome is not Outcome.FAIL:
        return False
    if ev.element is Element.HEALTH:
        return str(ev.value) in ("yellow", "red")
    if ev.element is Element.NUCLEIC_ACID:
        return str(ev.value) == "positive"
    if ev.element is Element.ITINERARY:
        return str(ev.value) == "risk"
    return False


def locked_failure(ev: Evidence | None) -> bool:
    """A failure locked on its visit: proved by a signature, the issuer's server or the roster, or one that
    denies everywhere (a yellow or red code, a positive test, a risk area) whoever saw it. Only an
    override with a reason changes the verdict it made."""
    if ev is None or ev.outcome is not Outcome.FAIL:
        return False
    proved = ev.strength is Strength.VERIFIED and ev.source in (Source.SIGNATURE, Source.SERVER, Source.ROSTER)
    return proved or denies_everywhere(ev)


def _ask_code(ev: Evidence) -> str:
    if ev.element is Element.MASK and ev.value is False:
        return "mask_suggested_missing"
    if ev.element is Element.TEMPERATURE:
        return "temperature_implausible"
    if ev.element is Element.HEALTH and ev.detail.get("unknown_code"):
        return "unknown_code"
    if ev.element is Element.HEALTH and ev.source is Source.COLOR and ev.outcome is Outcome.OK:
        return "colour_only"
    return "needs_confirmation"


def _ask_params(ev: Evidence) -> dict[str, Any]:
    if ev.element is Element.TEMPERATURE and isinstance(ev.value, (int, float)):
        return {"celsius": ev.number()}
    return {}


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _sample_detail(s: TemperatureSample) -> dict[str, Any]:
    return {
        "raw": s.raw, "ambient": s.ambient, "thermometer_id": s.thermometer_id,
        "calibration_id": s.calibration_id, "at": s.at.isoformat() if s.at else None,
    }


def _temp_evidence(s: TemperatureSample, outcome: Outcome, first_reading: float | None = None) -> Evidence:
    detail = _sample_detail(s)
    if first_reading is not None:
        detail["first_reading"] = first_reading
    return Evidence(Element.TEMPERATURE, outcome, s.source, value=round(s.celsius, 2), detail=detail)
