"""Which prompt the gate speaks: a pure function of decision, reason codes and elements, driven by a real controller."""

from __future__ import annotations

from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import Decision, Element, Evidence, Lane, Outcome, PersonKind, Reason, Source, TemperatureSample
from kiosk.domain.visit import CodeCheck
from kiosk.services.gate import GateController
from kiosk.domain.policy import Policy
from kiosk.domain.prompts import PROMPT_TEXTS, Prompt, choose_prompt, prompt_for_visit
from tests.fakes import ManualClock, MemoryLog, RecordingListener, counter_ids


def make() -> tuple[GateController, ManualClock]:
    clock = ManualClock()
    ctl = GateController(Policy(), MemoryLog(), RecordingListener(), site=SiteSettings(), gate=GateSettings(),
                         salt=b"k" * 32, clock=clock, new_id=counter_ids())
    return ctl, clock


def green() -> CodeCheck:
    return CodeCheck(CodeCheck.key_of("A"), (Evidence(Element.HEALTH, Outcome.OK, Source.SIGNATURE, "green"),))


def red() -> CodeCheck:
    return CodeCheck(CodeCheck.key_of("R"), (Evidence(Element.HEALTH, Outcome.FAIL, Source.SIGNATURE, "red"),))


def reading(c: float) -> TemperatureSample:
    return TemperatureSample(celsius=c, thermometer_id="t1")


def said(snapshot) -> Prompt | None:
    s = prompt_for_visit(snapshot)
    return s.prompt if s else None


def test_every_prompt_has_chinese_and_english() -> None:
    assert set(PROMPT_TEXTS) == set(Prompt)
    assert Prompt.WEAR_MASK.text("zh_CN") == "请佩戴口罩" and Prompt.WEAR_MASK.text("en") == "Please wear a mask"
    assert Prompt.DENY.text("zh_CN") == "禁止通行请到观察点"


def test_a_visit_from_code_to_pass() -> None:
    ctl, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    assert said(ctl.temperature(reading(36.5))) is Prompt.SHOW_CODE  # temperature first: the code is missing
    assert said(ctl.code_seen(green())) is None  # only the guard's mask confirmation is missing: silence
    snap = ctl.confirm(Element.MASK, True)
    assert snap.decision is Decision.PASS and said(snap) is Prompt.TEMPERATURE_OK


def test_fever_asks_for_a_retake_then_denies() -> None:
    ctl, clock = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(green())
    assert said(ctl.temperature(reading(38.2))) is Prompt.TEMPERATURE_HIGH
    clock.advance(65)
    snap = ctl.temperature(reading(38.1))
    assert snap.decision is Decision.DENY and said(snap) is Prompt.DENY


def test_no_mask_seen_by_the_camera_asks_for_a_mask() -> None:
    ctl, _ = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.code_seen(green())
    ctl.temperature(reading(36.4))
    assert said(ctl.mask_seen(False, 0.05)) is Prompt.WEAR_MASK


def test_red_code_denies_and_a_worker_in_the_campus_lane_is_sent_to_the_worker_lane() -> None:
    ctl, _ = make()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    assert said(ctl.code_seen(red())) is Prompt.DENY
    ctl2, _ = make()
    ctl2.set_lane(Lane.CAMPUS, PersonKind.COURIER)
    assert said(ctl2.temperature(reading(36.5))) is Prompt.WORKER_LANE


def test_the_choice_keys_on_codes_and_elements_not_words() -> None:
    reasons = [Reason(Element.TEMPERATURE, "retake", hard=False, params={"celsius": 38.0, "wait": 60})]
    assert choose_prompt(Decision.INCOMPLETE, reasons, [Element.TEMPERATURE], {}, worker=False,
                         lane=Lane.CAMPUS) is Prompt.TEMPERATURE_HIGH
    reasons = [Reason(None, "wrong_lane", hard=False, params={"lane": "campus"})]
    # A student in the worker lane is not a temporary worker: no worker-lane prompt.
    assert choose_prompt(Decision.INCOMPLETE, reasons, [], {}, worker=False, lane=Lane.WORKER) is None
    assert choose_prompt(Decision.DENY, reasons, [], {}, worker=True, lane=Lane.CAMPUS) is Prompt.DENY


def test_idle_says_nothing() -> None:
    from types import SimpleNamespace

    assert prompt_for_visit(SimpleNamespace(visit_id="")) is None  # the window's "no one at the gate"
