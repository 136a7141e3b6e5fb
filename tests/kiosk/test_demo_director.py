"""The demo director stands in for the guard on its own timer threads: a refusal is logged as the
guard would read it, and the thread never dies."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from kiosk.config.settings import GateSettings, SiteSettings, Settings
from kiosk.domain.model import Element, Evidence, Outcome, PersonKind, Source, Strength
from kiosk.domain.policy import Policy
from kiosk.domain.visit import CodeCheck
from kiosk.services.gate import GateController
from kiosk.sim.demo import DemoDirector, demo_people
from tests.fakes import MemoryLog, RecordingListener


def _wait_for(director: DemoDirector) -> None:
    for t in list(director._timers):
        t.join(10)  # a guard against hanging the suite, not a timing assertion


@pytest.fixture
def thread_crashes(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    crashes: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(args.exc_value))
    return crashes


def test_the_demo_people_register_as_the_holder_of_their_codes(tmp_path: Path,
                                                               thread_crashes: list[BaseException]) -> None:
    people = demo_people(Settings(database_url="sqlite://", data_dir=tmp_path))
    workers = [p for p in people if p.kind.is_temporary_worker or p.kind is PersonKind.VISITOR]
    assert workers and all(p.registration for p in workers)
    ctl = GateController(Policy(), MemoryLog(), RecordingListener(), site=SiteSettings(), gate=GateSettings(),
                         salt=b"s" * 32)
    director = DemoDirector(people, ctl, hold_s=0.2)
    for p in workers:
        director.on_scene(people.index(p))
        name = dict(p.registration)["name"]
        ev = Evidence(Element.HEALTH, Outcome.OK, Source.SIGNATURE, "green", Strength.VERIFIED)
        ctl.code_seen(CodeCheck(CodeCheck.key_of(name), (ev,), holder_name=name))
        _wait_for(director)
        assert Element.REGISTRATION in ctl.current().evidence
    director.close()
    assert thread_crashes == []


def test_a_refused_registration_is_logged_not_raised_in_the_demo_thread(
        tmp_path: Path, thread_crashes: list[BaseException], caplog: pytest.LogCaptureFixture) -> None:
    people = demo_people(Settings(database_url="sqlite://", data_dir=tmp_path))
    visitor = next(i for i, p in enumerate(people) if p.kind is PersonKind.VISITOR)
    ctl = GateController(Policy(), MemoryLog(), RecordingListener(), site=SiteSettings(), gate=GateSettings(),
                         salt=b"s" * 32)
    director = DemoDirector(people, ctl, hold_s=0.2)
    director.on_scene(visitor)
    # A slow camera still reads the previous person's card: the visit's holder is someone else.
    ev = Evidence(Element.CARD, Outcome.OK, Source.ROSTER, "2023002", Strength.VERIFIED)
    ctl.code_seen(CodeCheck(CodeCheck.key_of("S2023002"), (ev,), holder_name="韩梅梅"))
    with caplog.at_level(logging.WARNING, logger="kiosk.sim.demo"):
        _wait_for(director)
    director.close()
    assert thread_crashes == []
    assert any("不一致" in r.getMessage() for r in caplog.records)
