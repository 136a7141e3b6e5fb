"""Policy tables for every lane and person kind, and the DENY-has-a-hard-reason property."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.model import (
    Decision, Element, Evidence, Lane, Outcome, Person, PersonKind, Reason, Source, Strength, TemperatureSample,
)
from kiosk.domain.policy import Policy, PolicyError, denies_everywhere, is_flagged

P = Policy()
T0 = datetime(2022, 3, 1, 8, 0, tzinfo=timezone.utc)


def ok(element: Element, source: Source = Source.MANUAL, strength: Strength = Strength.VERIFIED) -> Evidence:
    return Evidence(element, Outcome.OK, source, True, strength)


def fail(element: Element) -> Evidence:
    value = {Element.HEALTH: "red", Element.ITINERARY: "risk", Element.NUCLEIC_ACID: "positive"}.get(element, False)
    return Evidence(element, Outcome.FAIL, Source.MANUAL, value)


def temp(c: float, source: Source = Source.DEVICE, at: datetime = T0) -> TemperatureSample:
    return TemperatureSample(celsius=c, raw=c, at=at, source=source)


REQUIRED = {
    PersonKind.STAFF: {Element.HEALTH, Element.TEMPERATURE, Element.MASK},
    PersonKind.STUDENT: {Element.HEALTH, Element.TEMPERATURE, Element.MASK},
    PersonKind.COURIER: {Element.HEALTH, Element.ITINERARY, Element.VACCINE, Element.TEMPERATURE,
                         Element.MASK, Element.REGISTRATION},
    PersonKind.DELIVERY: {Element.HEALTH, Element.ITINERARY, Element.VACCINE, Element.TEMPERATURE,
                          Element.MASK, Element.REGISTRATION},
    PersonKind.GARBAGE: {Element.HEALTH, Element.ITINERARY, Element.VACCINE, Element.TEMPERATURE,
                         Element.MASK, Element.REGISTRATION},
    PersonKind.OTHER_WORKER: {Element.HEALTH, Element.ITINERARY, Element.VACCINE, Element.TEMPERATURE,
                              Element.MASK, Element.REGISTRATION},
    PersonKind.VISITOR: {Element.HEALTH, Element.ITINERARY, Element.TEMPERATURE, Element.MASK,
                         Element.REGISTRATION},
}


@pytest.mark.parametrize("kind", list(PersonKind))
def test_required_elements_per_kind(kind: PersonKind) -> None:
    assert {r.element for r in P.required(Person(kind))} == REQUIRED[kind]
    returning = {r.element for r in P.required(Person(kind, returning_from_risk_area=True))}
    assert returning == REQUIRED[kind] | {Element.NUCLEIC_ACID}


@pytest.mark.parametrize("kind", list(PersonKind))
def test_all_elements_ok_passes_in_own_lane(kind: PersonKind) -> None:
    evidence = {e: ok(e) for e in REQUIRED[kind]}
    verdict = P.evaluate(kind.lane, Person(kind), evidence)
    assert verdict.decision is Decision.PASS
    assert not verdict.flagged


@pytest.mark.parametrize("kind", list(PersonKind))
def test_each_missing_element_is_incomplete_also_when_finished(kind: PersonKind) -> None:
    # A visit that ended without an element is logged as not completed (flagged), never as a pass
    # and never as a refusal: the person was not refused, the check was not done.
    for missing in REQUIRED[kind]:
        evidence = {e: ok(e) for e in REQUIRED[kind] if e is not missing}
        verdict = P.evaluate(kind.lane, Person(kind), evidence)
        assert verdict.decision is Decision.INCOMPLETE
        assert verdict.pending == (missing,)
        final = P.evaluate(kind.lane, Person(kind), evidence, finished=True)
        hard = next(r for r in P.required(Person(kind)) if r.element is missing).mode.value == "hard"
        assert final.decision is (Decision.INCOMPLETE if hard else Decision.PASS)
        assert final.flagged
        assert any(r.element is missing for r in final.reasons)


@pytest.mark.parametrize("kind", list(PersonKind))
def test_each_failed_hard_element_denies_naming_it(kind: PersonKind) -> None:
    for failed in REQUIRED[kind]:
        rule = next(r for r in P.required(Person(kind)) if r.element is failed)
        evidence = {e: ok(e) for e in REQUIRED[kind]}
        evidence[failed] = fail(failed) if rule.mode.value == "hard" else Evidence(
            failed, Outcome.FAIL, Source.SIGNATURE, "invalid", detail={"error": "expired"})
        verdict = P.evaluate(kind.lane, Person(kind), evidence)
        if rule.mode.value == "hard":
            assert verdict.decision is Decision.DENY
            assert [r.element for r in verdict.hard_failures] == [failed]
        else:  # visitor itinerary is soft by default: allowed and flagged
            assert verdict.decision is Decision.PASS and verdict.flagged


def test_soft_rule_from_config_allows_and_flags() -> None:
    policy = Policy.from_mapping({"rules": {"staff": {"health": "hard", "temperature": "hard", "mask": "soft"}}})
    evidence = {Element.HEALTH: ok(Element.HEALTH), Element.TEMPERATURE: ok(Element.TEMPERATURE),
                Element.MASK: fail(Element.MASK)}
    verdict = policy.evaluate(Lane.CAMPUS, Person(PersonKind.STAFF), evidence)
    assert verdict.decision is Decision.PASS
    assert verdict.flagged
    assert verdict.reasons[0].element is Element.MASK and not verdict.reasons[0].hard


def test_strength_per_lane() -> None:
    strict = Policy.from_mapping({"accept_strength": {"worker": "verified"}})
    colour_only = ok(Element.HEALTH, Source.COLOR, Strength.ADVISORY)
    staff = {Element.HEALTH: colour_only, Element.TEMPERATURE: ok(Element.TEMPERATURE), Element.MASK: ok(Element.MASK)}
    assert strict.evaluate(Lane.CAMPUS, Person(PersonKind.STAFF), staff).decision is Decision.PASS
    worker = {e: ok(e) for e in REQUIRED[PersonKind.COURIER]} | {Element.HEALTH: colour_only}
    verdict = strict.evaluate(Lane.WORKER, Person(PersonKind.COURIER), worker)
    assert verdict.decision is Decision.INCOMPLETE and verdict.pending == (Element.HEALTH,)
    assert strict.evaluate(Lane.WORKER, Person(PersonKind.COURIER), worker, finished=True).decision \
        is Decision.INCOMPLETE
    unverifiable = ok(Element.HEALTH, Source.COLOR, Strength.UNVERIFIABLE)
    assert P.evaluate(Lane.CAMPUS, Person(PersonKind.STAFF), staff | {Element.HEALTH: unverifiable}).decision \
        is Decision.INCOMPLETE


def test_wrong_lane_is_flagged_but_judged_by_the_persons_rules() -> None:
    evidence = {e: ok(e) for e in REQUIRED[PersonKind.COURIER]}
    verdict = P.evaluate(Lane.CAMPUS, Person(PersonKind.COURIER), evidence)
    assert verdict.decision is Decision.PASS and verdict.flagged
    assert verdict.reasons[0].code == "wrong_lane"


def test_fever_needs_retake_after_wait_and_retake_decides() -> None:
    first = temp(38.2)
    assert P.judge_temperature([first]).outcome is Outcome.RETAKE
    too_soon = temp(36.6, at=T0 + timedelta(seconds=5))
    assert P.judge_temperature([first, too_soon]).outcome is Outcome.RETAKE
    retake_ok = temp(36.6, at=T0 + timedelta(seconds=60))
    ev = P.judge_temperature([first, too_soon, retake_ok])
    assert ev.outcome is Outcome.OK and ev.value == 36.6 and ev.detail["first_reading"] == 38.2
    retake_fever = temp(37.9, at=T0 + timedelta(seconds=61))
    assert P.judge_temperature([first, retake_fever]).outcome is Outcome.FAIL
    manual = temp(36.8, Source.MANUAL, at=T0 + timedelta(seconds=1))
    assert P.judge_temperature([first, manual]).outcome is Outcome.OK


def test_threshold_boundary_and_implausible_readings() -> None:
    assert P.judge_temperature([temp(37.3)]).outcome is Outcome.RETAKE  # "at or above"
    assert P.judge_temperature([temp(37.29)]).outcome is Outcome.OK
    implausible = P.judge_temperature([temp(29.0)])
    assert implausible.outcome is Outcome.UNKNOWN and implausible.note == "implausible"
    assert P.judge_temperature([temp(45.0), temp(36.5)]).outcome is Outcome.OK


def test_nucleic_acid_window_hours_and_calendar_days() -> None:
    now = datetime(2022, 3, 3, 9, 0, tzinfo=timezone.utc)
    hours = Policy()
    assert hours.nucleic_acid_valid(now - timedelta(hours=47), now)
    assert not hours.nucleic_acid_valid(now - timedelta(hours=49), now)
    days = Policy.from_mapping({"nucleic_counting": "calendar_days", "nucleic_window_h": 48})
    assert days.nucleic_acid_valid(datetime(2022, 3, 1, 0, 5, tzinfo=timezone.utc), now)  # 2 calendar days
    assert not days.nucleic_acid_valid(datetime(2022, 2, 28, 23, 0, tzinfo=timezone.utc), now)
    assert not hours.nucleic_acid_valid(now + timedelta(hours=1), now)


@pytest.mark.parametrize("bad, message", [
    ({"fever_threshold_c": 33}, "between 34.0 and 39.0"),
    ({"fever_threshold_c": "hot"}, "must be a number"),
    ({"rules": {"staff": {"tongue": "hard"}}}, "unknown element"),
    ({"rules": {"staff": {"mask": "maybe"}}}, "'hard' or 'soft'"),
    ({"rules": {"aliens": {}}}, "group must be one of"),
    ({"accept_strength": {"campus": "sure"}}, "verified|advisory"),
    ({"nucleic_counting": "weeks"}, "calendar_days"),
    ({"colour": 1}, "unknown policy key"),
])
def test_bad_policy_is_a_clear_error(bad: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.from_mapping(bad)


OUTCOMES = st.sampled_from([Outcome.OK, Outcome.FAIL, Outcome.UNKNOWN, Outcome.RETAKE])
STRENGTHS = st.sampled_from(list(Strength))
SOURCES = st.sampled_from(list(Source))


@st.composite
def evidence_sets(draw: st.DrawFn) -> dict[Element, Evidence]:
    chosen = draw(st.sets(st.sampled_from(list(Element))))
    return {e: Evidence(e, draw(OUTCOMES), draw(SOURCES), draw(st.floats(34, 42)), draw(STRENGTHS))
            for e in chosen}


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(list(PersonKind)),
    lane=st.sampled_from(list(Lane)),
    returning=st.booleans(),
    evidence=evidence_sets(),
    finished=st.booleans(),
    modes=st.dictionaries(st.sampled_from(list(Element)), st.sampled_from(["hard", "soft"])),
)
def test_deny_always_names_a_failed_hard_element(kind, lane, returning, evidence, finished, modes) -> None:
    policy = Policy.from_mapping({"rules": {kind.rule_group: modes}}) if modes else P
    person = Person(kind, returning_from_risk_area=returning)
    verdict = policy.evaluate(lane, person, evidence, finished=finished)
    required = {r.element: r for r in policy.required(person)}
    if verdict.decision is Decision.DENY:
        assert verdict.flagged
        named = [r.element for r in verdict.reasons if r.hard]
        assert named, verdict
        for element in named:
            if element in evidence and denies_everywhere(evidence[element]):
                continue  # a red code, a positive test or a risk area denies whatever the rules say
            assert element in required and required[element].mode.value == "hard"
            assert element not in evidence or evidence[element].outcome is not Outcome.OK
    if verdict.decision is Decision.PASS:
        for element, rule in required.items():
            if rule.mode.value == "hard":
                assert evidence[element].outcome is Outcome.OK


DENY_EVERYWHERE = [
    Evidence(Element.HEALTH, Outcome.FAIL, Source.SIGNATURE, "red"),
    Evidence(Element.HEALTH, Outcome.FAIL, Source.MANUAL, "yellow"),
    Evidence(Element.NUCLEIC_ACID, Outcome.FAIL, Source.SIGNATURE, "positive"),
    Evidence(Element.ITINERARY, Outcome.FAIL, Source.SIGNATURE, "risk", detail={"cities": ["某市"]}),
]


@pytest.mark.parametrize("kind", list(PersonKind))
@pytest.mark.parametrize("bad", DENY_EVERYWHERE, ids=lambda e: f"{e.element.value}-{e.value}")
def test_red_code_positive_test_and_risk_area_deny_in_every_lane(kind: PersonKind, bad: Evidence) -> None:
    # Even where the group's rules do not ask for that element (or ask softly).
    lenient = Policy.from_mapping({"rules": {kind.rule_group: {"temperature": "hard", "health": "soft"}}})
    for policy in (P, lenient):
        for lane in Lane:
            evidence = {e: ok(e) for e in REQUIRED[kind]} | {bad.element: bad}
            verdict = policy.evaluate(lane, Person(kind), evidence, now=T0)
            assert verdict.decision is Decision.DENY, (policy, lane, verdict)
            assert any(r.element is bad.element and r.hard for r in verdict.reasons)


def test_students_health_code_is_required_like_everyone_elses() -> None:
    evidence = {Element.CARD: ok(Element.CARD), Element.TEMPERATURE: ok(Element.TEMPERATURE),
                Element.MASK: ok(Element.MASK)}
    verdict = P.evaluate(Lane.CAMPUS, Person(PersonKind.STUDENT), evidence)
    assert verdict.decision is Decision.INCOMPLETE and Element.HEALTH in verdict.pending


def nucleic(hours_ago: float, result: str = "negative") -> Evidence:
    return Evidence(Element.NUCLEIC_ACID, Outcome.OK if result == "negative" else Outcome.FAIL, Source.SIGNATURE,
                    result, detail={"sampled_at": (T0 - timedelta(hours=hours_ago)).isoformat()})


def test_returnee_needs_a_negative_test_within_48_hours() -> None:
    base = {e: ok(e) for e in REQUIRED[PersonKind.STAFF]}
    returnee = Person(PersonKind.STAFF, returning_from_risk_area=True)
    assert P.evaluate(Lane.CAMPUS, returnee, base | {Element.NUCLEIC_ACID: nucleic(20)}, now=T0).decision \
        is Decision.PASS
    stale = P.evaluate(Lane.CAMPUS, returnee, base | {Element.NUCLEIC_ACID: nucleic(50)}, now=T0)
    assert stale.decision is Decision.DENY and stale.reasons[-1].code == "nucleic_stale"
    assert "48" in stale.reasons[-1].words("en")
    # Not a returnee: a test three days old is no reason to refuse.
    assert P.evaluate(Lane.CAMPUS, Person(PersonKind.STAFF), base | {Element.NUCLEIC_ACID: nucleic(72)},
                      now=T0).decision is Decision.PASS


def test_key_posts_need_a_recent_test_at_their_entry() -> None:
    policy = Policy.from_mapping({"key_post_groups": ["门卫", "厨师"], "key_post_nucleic_days": 7})
    cook = Person(PersonKind.STAFF, group="厨师")
    base = {e: ok(e) for e in REQUIRED[PersonKind.STAFF]}
    assert Element.NUCLEIC_ACID in {r.element for r in policy.required(cook)}
    assert policy.evaluate(Lane.CAMPUS, cook, base, now=T0).decision is Decision.INCOMPLETE
    assert policy.evaluate(Lane.CAMPUS, cook, base | {Element.NUCLEIC_ACID: nucleic(24 * 6)}, now=T0).decision \
        is Decision.PASS
    assert policy.evaluate(Lane.CAMPUS, cook, base | {Element.NUCLEIC_ACID: nucleic(24 * 8)}, now=T0).decision \
        is Decision.DENY
    teacher = Person(PersonKind.STAFF, group="语文组")
    assert policy.evaluate(Lane.CAMPUS, teacher, base, now=T0).decision is Decision.PASS


def test_itinerary_outside_the_local_areas_or_in_a_case_area_makes_a_returnee() -> None:
    policy = Policy.from_mapping({"local_areas": ["郑州市", "开封市"], "case_areas": ["某县"]})
    assert not policy.is_returnee_itinerary(["郑州市", "开封市"])
    assert policy.is_returnee_itinerary(["郑州市", "上海市"])
    assert Policy.from_mapping({"case_areas": ["某县"]}).is_returnee_itinerary(["某县"])
    assert not Policy().is_returnee_itinerary(["上海市"])  # nothing configured: the guard marks returnees


def test_a_rule_table_never_drops_the_three_elements() -> None:
    # A partial [policy.rules.student] (only the nucleic-acid rule) once let a 39.5 °C student without
    # a mask pass: the three elements stay hard unless a table names them.
    policy = Policy.from_mapping({"rules": {"student": {"nucleic_acid": {"mode": "soft", "only_returning": True}},
                                            "staff": {"health": "hard"}}})
    for kind in (PersonKind.STUDENT, PersonKind.STAFF):
        modes = {r.element: r.mode.value for r in policy.required(Person(kind))}
        assert modes[Element.TEMPERATURE] == modes[Element.MASK] == modes[Element.HEALTH] == "hard"
    fever = {Element.HEALTH: ok(Element.HEALTH), Element.MASK: ok(Element.MASK),
             Element.TEMPERATURE: Evidence(Element.TEMPERATURE, Outcome.FAIL, Source.DEVICE, 39.5)}
    assert policy.evaluate(Lane.CAMPUS, Person(PersonKind.STUDENT), fever).decision is Decision.DENY


def test_a_flagged_verdict_stays_flagged_whatever_is_logged_and_a_handoff_only_on_failed_evidence() -> None:
    hard = (Reason(Element.HEALTH, "health_red", True),)
    assert is_flagged(Decision.PASS, (), judged=Decision.DENY)  # the rules denied: flagged however it ended
    assert not is_flagged(Decision.PASS, (), judged=Decision.PASS)
    assert is_flagged(Decision.PASS, (), identity_questioned=True) and is_flagged(Decision.PASS, (), overridden=True)
    assert not is_flagged(Decision.HANDOFF, (), judged=Decision.DENY, overridden=True)
    assert is_flagged(Decision.HANDOFF, hard)
