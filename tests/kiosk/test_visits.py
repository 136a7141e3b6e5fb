"""The visit state machine and the controller's routing: one person, one visit, nothing overwritten."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.desk.actions import GuardAction, perform
from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import Decision, Element, Evidence, Lane, Outcome, Person, PersonKind, Source, Strength, \
    TemperatureSample
from kiosk.domain.visit import CodeCheck
from kiosk.services.gate import ConfirmRefused, GateController
from kiosk.domain.policy import Policy
from kiosk.domain.visit import Holder, Visit, VisitState, VisitStateError
from kiosk.domain.vocabulary import severity
from tests.fakes import ManualClock, MemoryLog, RecordingListener, counter_ids


def make(policy: Policy | None = None):
    clock = ManualClock()
    log = MemoryLog()
    gate = GateSettings(visit_timeout_s=30, result_display_s=3, debounce_s=5, replay_window_min=10)
    ctl = GateController(policy or Policy(), log, RecordingListener(), site=SiteSettings(site_id="s", gate_id="g"),
                         gate=gate, salt=b"k" * 32, clock=clock, new_id=counter_ids())
    return ctl, log, clock


def code(key: str, status: str = "green", holder: str | None = "王小明", id_masked: str | None = "11**77",
         source: Source = Source.SIGNATURE, kind: str = "health") -> CodeCheck:
    outcome = Outcome.OK if status == "green" else Outcome.FAIL
    strength = Strength.VERIFIED if source is Source.SIGNATURE else Strength.ADVISORY
    return CodeCheck(CodeCheck.key_of(key), (Evidence(Element.HEALTH, outcome, source, status, strength),),
                     holder_name=holder, holder_id_masked=id_masked, kind=kind)


def test_the_state_machine_allows_only_its_moves() -> None:
    now = datetime(2022, 3, 1, tzinfo=timezone.utc)
    v = Visit("v", Lane.CAMPUS, Person(PersonKind.STAFF), now, now)
    with pytest.raises(VisitStateError):
        v.move("release")  # an open visit is not on screen as a verdict
    v.move("step_aside")
    with pytest.raises(VisitStateError):
        v.move("decide")  # a person waiting for a retake is not judged until they come back
    v.move("resume")
    v.move("decide")
    v.move("reopen")
    v.move("decide")
    v.move("release")
    assert v.state is VisitState.CLOSED
    with pytest.raises(VisitStateError):
        v.move("reopen")


def test_holders_conflict_only_on_facts_both_name() -> None:
    a = Holder("张三", "41**01", None)
    assert a.conflicts(Holder("李四", "41**02"))
    assert a.conflicts(Holder("张三", "41**09"))
    assert not a.conflicts(Holder("张三", None, "2023001"))
    assert not a.conflicts(Holder())


def test_a_code_of_someone_else_ends_the_open_visit_and_nothing_is_overwritten() -> None:
    ctl, log, clock = make()
    ctl.set_lane(Lane.WORKER, PersonKind.COURIER)
    ctl.code_seen(code("h", holder="张三", id_masked="41**01"))
    first = ctl.current().visit_id
    clock.advance(1)
    ev = Evidence(Element.ITINERARY, Outcome.OK, Source.SIGNATURE, "ok", detail={"cities": ["郑州市"]})
    ctl.code_seen(CodeCheck(CodeCheck.key_of("i"), (ev,), holder_name="李四", holder_id_masked="41**02",
                            kind="itinerary"))
    assert ctl.current().visit_id != first
    assert len(log.entries) == 1 and log.entries[0].decision == "INCOMPLETE"
    assert log.entries[0].elements["health"]["value"] == "green" and "itinerary" not in log.entries[0].elements


def test_two_colour_codes_without_holders_are_two_people() -> None:
    ctl, log, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(code("a", "green", None, None, Source.COLOR))
    clock.advance(1)
    ctl.code_seen(code("b", "red", None, None, Source.COLOR))
    assert [e.decision for e in log.entries] == ["INCOMPLETE", "DENY"]
    assert [e.health_status for e in log.entries] == ["green", "red"]


def test_a_guard_confirmation_never_turns_a_verified_red_code_green() -> None:
    ctl, log, _ = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(code("r", "red"))
    with pytest.raises(ConfirmRefused):
        ctl.confirm(Element.HEALTH, True)
    ctl.confirm(Element.MASK, True)
    ctl.type_temperature(36.5)
    assert {e.decision for e in log.entries} == {"DENY"}
    snap = ctl.override(Decision.PASS, "校医复核：截图误读")
    assert snap.decision is Decision.PASS and log.entries[-1].corrects_id == log.entries[-2].id


def test_unattended_retake_list_entry_is_logged_not_completed_never_denied() -> None:
    ctl, log, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(code("c"))
    ctl.temperature(TemperatureSample(38.2, 38.0))
    ctl.next_person()
    assert not log.entries and len(ctl.retake_list()) == 1
    clock.advance(601)
    ctl.tick()
    assert [e.decision for e in log.entries] == ["INCOMPLETE"] and log.entries[0].flagged
    assert log.entries[0].follow_up == "retake_due"
    assert {r["code"] for r in log.entries[0].reasons} >= {"fever_no_retake", "visit_abandoned"}
    assert not ctl.retake_list()


def test_a_retake_keeps_the_day_of_the_first_reading() -> None:
    ctl, log, clock = make()
    clock.now = datetime(2022, 3, 1, 15, 59, 30, tzinfo=timezone.utc)  # 23:59:30 in Shanghai
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(code("late"))
    ctl.confirm(Element.MASK, True)
    ctl.temperature(TemperatureSample(38.0, 37.8))
    clock.advance(61)
    ctl.temperature(TemperatureSample(36.8, 36.6))
    entry = log.entries[-1]
    assert entry.decision == "PASS" and entry.local_date.isoformat() == "2022-03-01"
    assert entry.created_at > clock.now.replace(second=0)  # the time it was judged


EVENTS = st.lists(st.one_of(
    st.tuples(st.just("code"), st.sampled_from(["a", "b", "c"]), st.sampled_from(["green", "yellow", "red"]),
              st.sampled_from([("张三", "41**01"), ("李四", "41**02"), (None, None)])),
    st.tuples(st.just("temp"), st.sampled_from([36.4, 37.5, 38.4, 29.0])),
    st.tuples(st.just("mask"), st.booleans()),
    st.tuples(st.just("key"), st.sampled_from([GuardAction.CONFIRM_MASK, GuardAction.HEALTH_GREEN,
                                               GuardAction.HEALTH_RED, GuardAction.NEXT, GuardAction.KIND_STUDENT,
                                               GuardAction.KIND_COURIER, GuardAction.RETURNING,
                                               GuardAction.CONFIRM_IDENTITY, GuardAction.ITINERARY_OK])),
    st.tuples(st.just("wait"), st.sampled_from([1, 4, 31, 61, 700])),
), max_size=25)


@settings(max_examples=150, deadline=None)
@given(events=EVENTS, lane=st.sampled_from(list(Lane)))
def test_no_wrong_green_whatever_the_guard_and_devices_do(events, lane) -> None:
    ctl, log, clock = make()
    ctl.set_lane(lane)
    for event in events:
        kind = event[0]
        if kind == "code":
            _, key, status, (name, idm) = event
            source = Source.SIGNATURE if name else Source.COLOR
            ctl.code_seen(code(key + status + str(name), status, name, idm, source))
        elif kind == "temp":
            ctl.temperature(TemperatureSample(event[1], event[1]))
        elif kind == "mask":
            ctl.mask_seen(event[1], 0.9)
        elif kind == "key":
            try:
                perform(ctl, event[1])
            except ConfirmRefused:
                pass
        else:
            for _ in range(event[1]):
                clock.advance(1)
                ctl.tick()
        clock.advance(0.5)
    ctl.next_person()
    for entry in log.entries:
        codes = [r["code"] for r in entry.reasons]
        if entry.decision == "PASS":
            # A pass has no hard failure and nothing still asking the guard, and a red code never passes
            # unless a guard overrode it with a reason.
            assert not any(r["hard"] for r in entry.reasons), codes
            assert all(severity(c) == "note" or c in ("soft_failed", "soft_missing") for c in codes), codes
            if entry.health_status in ("yellow", "red"):
                assert "override" in codes
            assert entry.elements.get("temperature", {}).get("outcome") == "ok"
            assert entry.elements.get("mask", {}).get("outcome") == "ok"
        if entry.decision == "DENY":
            assert any(r["hard"] for r in entry.reasons) or "override" in codes


def test_closing_the_gate_logs_the_person_in_front_and_the_retake_list() -> None:
    ctl, log, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(code("fever", holder="陈老师", id_masked="11**21"))
    ctl.temperature(TemperatureSample(38.3, 38.1))
    ctl.next_person()  # steps aside for the retake
    ctl.code_seen(code("next", holder="周老师", id_masked="11**22"))
    assert not log.entries
    assert ctl.close_gate() == 2
    assert sorted(e.decision for e in log.entries) == ["INCOMPLETE", "INCOMPLETE"]
    assert all(e.flagged for e in log.entries) and not ctl.retake_list()
