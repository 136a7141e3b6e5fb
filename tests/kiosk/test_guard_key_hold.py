"""A guard's key acted on at once and taken back when it was a keyboard scanner's first key (kiosk.services.tentative)."""

from __future__ import annotations

from kiosk.domain.model import Element, Lane, PersonKind
from tests.kiosk.test_gate import green, make, reading


def test_a_red_code_key_shows_at_once_and_is_logged_only_when_kept() -> None:
    ctl, log, listener, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STUDENT)
    ctl.guard_key(lambda: ctl.confirm(Element.HEALTH, False, value="red"))
    shown = ctl.current()
    assert shown is not None and shown.evidence[Element.HEALTH].value == "red"
    assert shown.verdict.decision.value == "DENY"  # on screen at once
    assert shown.tentative and listener.visits[-1].tentative  # not spoken yet (ui/speech.py)
    assert log.entries == []  # and not decided: the next key may show it was a scan
    ctl.settle_guard_keys(keep=True)
    assert [e.decision for e in log.entries] == ["DENY"]
    assert not listener.visits[-1].tentative and not listener.logged[-1][0].tentative


def test_a_key_taken_back_leaves_no_row_and_keeps_what_a_device_added_meanwhile() -> None:
    ctl, log, listener, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STUDENT)
    ctl.confirm(Element.MASK, True)
    before = ctl.current()
    ctl.guard_key(lambda: ctl.set_kind(PersonKind.STAFF))
    ctl.guard_key(lambda: ctl.confirm(Element.HEALTH, False, value="red"))
    ctl.temperature(reading(36.6))  # the thermometer, meanwhile, on its own thread
    assert ctl.current().person.kind is PersonKind.STAFF and log.entries == []
    ctl.settle_guard_keys(keep=False)  # a scan after all ("2R…")
    after = ctl.current()
    assert after.visit_id == before.visit_id and after.person.kind is PersonKind.STUDENT
    assert Element.HEALTH not in after.evidence and Element.TEMPERATURE in after.evidence
    assert log.entries == []
    ctl.code_seen(green())  # the scan's code itself is judged as usual
    assert [e.decision for e in log.entries] == ["PASS"]


def a_student_passed(ctl) -> None:
    ctl.set_lane(Lane.CAMPUS, PersonKind.STUDENT)
    ctl.code_seen(green())
    ctl.temperature(reading(36.6))
    ctl.confirm(Element.MASK, True)


def test_a_key_that_started_a_visit_is_taken_back_with_it() -> None:
    ctl, log, listener, clock = make()
    a_student_passed(ctl)
    decided = ctl.current()
    assert [e.decision for e in log.entries] == ["PASS"]
    clock.advance(10)  # the verdict's hold is over: a key now starts the next person's visit
    ctl.guard_key(lambda: ctl.set_kind(PersonKind.STAFF))
    assert ctl.current().visit_id != decided.visit_id
    ctl.settle_guard_keys(keep=False)
    assert ctl.current().visit_id == decided.visit_id and len(log.entries) == 1


def test_a_key_on_a_decided_visit_is_a_correction_only_when_kept() -> None:
    ctl, log, listener, clock = make()
    a_student_passed(ctl)
    assert [e.decision for e in log.entries] == ["PASS"]
    ctl.guard_key(lambda: ctl.confirm(Element.HEALTH, False, value="red"))
    ctl.settle_guard_keys(keep=False)
    assert len(log.entries) == 1 and ctl.current().verdict.decision.value == "PASS"
    ctl.guard_key(lambda: ctl.confirm(Element.HEALTH, False, value="red"))
    ctl.settle_guard_keys(keep=True)
    assert [e.decision for e in log.entries] == ["PASS", "DENY"] and log.entries[1].corrects_id == log.entries[0].id


def test_a_key_that_started_a_visit_with_a_parked_reading_leaves_the_reading_for_the_next_person() -> None:
    ctl, log, listener, clock = make()
    a_student_passed(ctl)
    decided = ctl.current()
    assert ctl.temperature(reading(36.5)) is None  # during the verdict's hold: parked for the next visit
    clock.advance(4)  # the hold is over
    ctl.guard_key(lambda: ctl.set_kind(PersonKind.STAFF))  # starts a visit, which takes the parked reading
    assert Element.TEMPERATURE in ctl.current().evidence
    ctl.settle_guard_keys(keep=False)
    assert ctl.current().visit_id == decided.visit_id
    ctl.code_seen(green("code-B"))  # the next person after all: the reading is theirs
    shown = ctl.current()
    assert shown.visit_id != decided.visit_id and shown.evidence[Element.TEMPERATURE].value == 36.5
