"""The gate controller: events in every order, timeouts, debounce, replay, overrides, storage faults."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import (
    Decision, Element, Evidence, Lane, Outcome, Person, PersonKind, Source, Strength, TemperatureSample,
)
from kiosk.domain.visit import CodeCheck
from kiosk.services.gate import GateController
from kiosk.domain.policy import Policy
from tests.fakes import ManualClock, MemoryLog, RecordingListener, counter_ids


def make(policy: Policy | None = None, **gate_kw: float):
    clock = ManualClock()
    log = MemoryLog()
    listener = RecordingListener()
    gate = GateSettings(**{"visit_timeout_s": 30, "result_display_s": 3, "debounce_s": 5,
                           "replay_window_min": 10, **gate_kw})
    ctl = GateController(policy or Policy(), log, listener, site=SiteSettings(site_id="s1", gate_id="g1"),
                         gate=gate, salt=b"k" * 32, clock=clock, new_id=counter_ids())
    return ctl, log, listener, clock


def green(key: str = "code-A") -> CodeCheck:
    ev = Evidence(Element.HEALTH, Outcome.OK, Source.SIGNATURE, "green", Strength.VERIFIED)
    return CodeCheck(CodeCheck.key_of(key), (ev,), holder_name="王小明", holder_id_masked="11**77")


def red(key: str = "code-R") -> CodeCheck:
    return CodeCheck(CodeCheck.key_of(key), (Evidence(Element.HEALTH, Outcome.FAIL, Source.SIGNATURE, "red"),))


def reading(c: float) -> TemperatureSample:
    return TemperatureSample(celsius=c, raw=c - 0.2, thermometer_id="t1", calibration_id="cal-1")


EVENTS = {
    "code": lambda ctl: ctl.code_seen(green()),
    "temp": lambda ctl: ctl.temperature(reading(36.6)),
    "mask": lambda ctl: ctl.confirm(Element.MASK, True),
}


@pytest.mark.parametrize("order", list(itertools.permutations(EVENTS)))
def test_staff_pass_whatever_the_order(order: tuple[str, ...]) -> None:
    ctl, log, listener, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    for i, name in enumerate(order):
        assert not log.entries, f"decided before {name}"
        EVENTS[name](ctl)
        clock.advance(1)
    assert len(log.entries) == 1
    entry = log.entries[0]
    assert entry.decision == "PASS" and not entry.flagged
    assert entry.temperature_c == 36.6 and entry.temperature_raw == pytest.approx(36.4)
    assert entry.thermometer_id == "t1" and entry.calibration_id == "cal-1"
    assert entry.elements["health"]["source"] == "signature"
    assert entry.elements["mask"]["source"] == "manual"
    assert entry.name_masked == "王*明" and entry.id_masked == "11**77"
    assert entry.policy_version == Policy().version and entry.gate_id == "g1"
    assert listener.logged[-1][1] == entry.id


@pytest.mark.parametrize("order", list(itertools.permutations(["code", "temp", "mask"])))
def test_red_code_denies_in_any_order_as_soon_as_seen(order: tuple[str, ...]) -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    events = dict(EVENTS, code=lambda c: c.code_seen(red()))
    for name in order:
        events[name](ctl)
        clock.advance(1)
        if name == "code":
            break
    assert log.entries[-1].decision == "DENY"
    assert log.entries[-1].health_status == "red"
    assert any(r["element"] == "health" and r["hard"] for r in log.entries[-1].reasons)


def test_fever_retake_flow_with_wait() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(green())
    ctl.confirm(Element.MASK, True)
    snap = ctl.temperature(reading(38.0))
    assert snap.decision is Decision.INCOMPLETE and snap.retake_due_at is not None
    clock.advance(10)
    assert ctl.temperature(reading(36.9)).decision is Decision.INCOMPLETE  # too soon: not a retake
    clock.advance(55)
    snap = ctl.temperature(reading(38.1))
    assert snap.decision is Decision.DENY
    assert log.entries[-1].flagged and log.entries[-1].temperature_c == 38.1


def test_an_unattended_visit_is_logged_with_what_it_had() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(green())
    clock.advance(29)
    ctl.tick()
    assert not log.entries
    clock.advance(2)
    ctl.tick()
    entry = log.entries[-1]
    # Not a pass and not a refusal: the check was not completed, and that is flagged.
    assert entry.decision == "INCOMPLETE" and entry.flagged
    assert {r["element"] for r in entry.reasons if r["code"] == "not_checked"} == {"temperature", "mask"}
    assert any(r["code"] == "visit_abandoned" for r in entry.reasons)
    assert entry.elements["health"]["value"] == "green" and len(entry.codes or []) == 1
    assert ctl.current() is None


def test_result_holds_then_next_event_is_a_new_person() -> None:
    ctl, log, listener, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    for f in EVENTS.values():
        f(ctl)
    first = ctl.current()
    assert first.finished
    clock.advance(1)
    assert ctl.temperature(reading(36.5)) is None  # still the same person on screen: ignored
    clock.advance(3)
    ctl.tick()
    assert listener.visits[-1].visit_id == ""  # screen back to idle
    snap = ctl.temperature(reading(36.5))
    assert snap.visit_id != first.visit_id and snap.decision is Decision.INCOMPLETE


def test_repeated_scans_are_debounced_and_replay_is_flagged() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    assert ctl.code_seen(green("same")) is not None
    clock.advance(1)
    assert ctl.code_seen(green("same")) is None  # the phone is still in front of the camera
    ctl.temperature(reading(36.5))
    ctl.confirm(Element.MASK, True)
    assert log.entries[-1].decision == "PASS" and not log.entries[-1].flagged
    clock.advance(120)  # two minutes later someone else shows the same code
    ctl.tick()
    ctl.code_seen(green("same"))
    ctl.temperature(reading(36.5))
    snap = ctl.confirm(Element.MASK, True)
    # A replayed code is never a pass with a warning: the guard checks who this is first.
    assert len(log.entries) == 1 and snap.decision is Decision.INCOMPLETE
    assert [r.code for r in snap.verdict.reasons] == ["replay"]
    snap = ctl.confirm_identity()
    entry = log.entries[-1]
    assert entry.decision == "PASS" and entry.flagged
    assert [r["code"] for r in entry.reasons] == ["identity_confirmed"]
    assert entry.codes[0]["replayed"] is True


def test_override_after_decision_is_a_correction_row() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(red())
    original = log.entries[-1]
    with pytest.raises(ValueError):
        ctl.override(Decision.PASS, "  ")
    ctl.override(Decision.PASS, "校医复核为截图误读")
    correction = log.entries[-1]
    assert len(log.entries) == 2
    assert correction.corrects_id == original.id and correction.decision == "PASS"
    assert correction.note == "校医复核为截图误读" and correction.flagged
    assert any(r["code"] == "override" for r in correction.reasons)


def test_guard_confirmation_after_decision_is_a_correction_and_camera_cannot_overrule() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.confirm(Element.MASK, False)
    assert log.entries[-1].decision == "DENY"
    ctl.mask_seen(True, 0.99)  # camera during the hold: ignored
    ctl.confirm(Element.MASK, True)  # guard corrects within the hold: the visit reopens
    assert len(log.entries) == 1 and ctl.current().decision is Decision.INCOMPLETE
    clock.advance(1)
    ctl.code_seen(green())
    ctl.temperature(reading(36.5))
    assert len(log.entries) == 2
    correction = log.entries[-1]
    assert correction.corrects_id == log.entries[0].id and correction.decision == "PASS"
    assert correction.elements["mask"]["source"] == "manual"


def test_automatic_mask_is_a_suggestion() -> None:
    ctl, log, _, _ = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(green())
    ctl.temperature(reading(36.5))
    snap = ctl.mask_seen(False, 0.9)
    assert snap.decision is Decision.INCOMPLETE  # "no mask" prompts, never denies by itself
    assert any("口罩" in r.message for r in snap.verdict.reasons)
    snap = ctl.mask_seen(True, 0.9)
    assert snap.decision is Decision.INCOMPLETE  # default: the guard confirms
    ctl.confirm(Element.MASK, True)
    assert log.entries[-1].decision == "PASS"
    auto, log2, _, _ = make(Policy.from_mapping({"auto_mask_satisfies": True}))
    auto.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    auto.code_seen(green())
    auto.temperature(reading(36.5))
    auto.mask_seen(True, 0.9)
    assert log2.entries[-1].decision == "PASS" and log2.entries[-1].elements["mask"]["source"] == "device"


def test_worker_lane_three_codes_registration_and_handoff() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.WORKER, PersonKind.COURIER)
    ctl.start_visit(Person(PersonKind.COURIER))
    ctl.code_seen(green())
    ctl.confirm(Element.ITINERARY, True)
    ctl.confirm(Element.VACCINE, True)
    ctl.temperature(reading(36.4))
    ctl.confirm(Element.MASK, True)
    snap = ctl.register({"name": "王小明", "phone": "13812345678", "id_number": "110101199003077777",
                         "company": "", "purpose": "送快递"})
    assert snap.decision is Decision.INCOMPLETE
    assert any("单位" in r.message for r in snap.verdict.reasons)
    ctl.register({"name": "王小明", "phone": "13812345678", "id_number": "110101199003077777",
                  "company": "顺丰", "purpose": "送快递"})
    entry = log.entries[-1]
    assert entry.decision == "PASS" and entry.person_kind == "courier" and entry.lane == "worker"
    assert entry.registration == {"name": "王*明", "phone": "138****5678", "id_number": "11**************77",
                                  "company": "顺丰", "purpose": "送快递"}
    assert entry.id_masked == "11**************77" and entry.id_hash
    assert "110101199003077777" not in repr(entry) and "13812345678" not in repr(entry)
    clock.advance(10)
    ctl.tick()
    ctl.start_visit(Person(PersonKind.COURIER))
    ctl.handoff({"name": "李四", "phone": "13900001111", "company": "京东"})
    handoff = log.entries[-1]
    # A hand-off is its own outcome: neither a pass nor a refusal.
    assert handoff.handoff and handoff.decision == "HANDOFF"
    assert [r["code"] for r in handoff.reasons if r["code"] == "handoff"] == ["handoff"]


def test_storage_fault_keeps_entries_waiting_and_flushes_later() -> None:
    ctl, log, listener, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    log.fail_with = sqlite3.OperationalError("database or disk is full")
    for _ in range(3):
        ctl.confirm(Element.MASK, False)
        clock.advance(5)
        ctl.tick()
    assert ctl.waiting_entries == 3 and not log.entries
    assert listener.storage[-1][1] == 3 and "存储空间已满" in listener.storage[-1][0]
    log.fail_with = None
    ctl.tick()
    assert ctl.waiting_entries == 0 and len(log.entries) == 3
    assert listener.storage[-1] == ("", 0)
    assert len({e.id for e in log.entries}) == 3


def test_lane_switch_closes_the_open_visit() -> None:
    ctl, log, _, _ = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(green())
    ctl.set_lane(Lane.WORKER)
    assert log.entries[-1].decision == "INCOMPLETE" and log.entries[-1].lane == "campus"
    assert ctl.lane is Lane.WORKER


def test_handoff_after_a_decision_corrects_it() -> None:
    ctl, log, _, clock = make()
    ctl.set_lane(Lane.WORKER, PersonKind.COURIER)
    ctl.confirm(Element.MASK, False)
    first = log.entries[-1]
    ctl.handoff({"name": "李四", "company": "京东"})
    assert len(log.entries) == 2 and log.entries[-1].corrects_id == first.id and log.entries[-1].handoff
