"""Realistic demo entries, written through the real data layer (``gate-kiosk demo-data``).

A school day: students and staff arriving 06:30–08:30 with a peak at 07:30,
temporary workers spread over the day; about 2 % fever first readings (most
clear on retake), some yellow codes, forgotten masks, courier hand-offs. Each
entry is built by the same gate controller the kiosk uses, so it is a real
entry, then written in bulk (``EntryStore.append_many``) for speed. The
controller comes from the composition root (``kiosk.app_adapters.demo_entries``
passes ``demo_data_controller``): this module only plays the day.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from db.records import EntryRecord
from kiosk.config.settings import Settings
from kiosk.domain.model import Element, Evidence, Lane, Outcome, Person, PersonKind, Source, Strength, TemperatureSample
from kiosk.domain.visit import CodeCheck
from kiosk.services.gate import GateController
from kiosk.services.ports import Clock, EntryLog, IdFactory

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


# (settings, where the judged entries go, the day's clock, ids) -> the controller that judges them
ControllerFactory = Callable[[Settings, EntryLog, Clock, IdFactory], GateController]


class _Collect:
    def __init__(self) -> None:
        self.entries: list[EntryRecord] = []

    def append(self, entry: EntryRecord) -> str:
        self.entries.append(entry)
        return entry.id

    def get(self, entry_id: str) -> EntryRecord | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def find_roster(self, key: str) -> None:
        return None


def generate(settings: Settings, day_from: date, day_to: date, per_day: int, seed: int = 1, *,
             new_controller: ControllerFactory) -> Iterator[EntryRecord]:
    rng = random.Random(seed)
    tz = ZoneInfo(settings.site.timezone)
    now = [datetime.now(timezone.utc)]
    sink = _Collect()
    controller = new_controller(settings, sink, lambda: now[0],
                                lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    day = day_from
    while day <= day_to:
        for _ in range(per_day):
            worker = rng.random() < 0.06
            if worker:
                minutes = rng.uniform(8 * 60, 17 * 60)
                kind = rng.choice([PersonKind.COURIER, PersonKind.DELIVERY, PersonKind.GARBAGE, PersonKind.VISITOR])
            else:
                minutes = min(max(rng.gauss(7.5 * 60, 25), 6.5 * 60), 8.5 * 60)
                kind = PersonKind.STUDENT if rng.random() < 0.88 else PersonKind.STAFF
            local = datetime.combine(day, time.min, tz) + timedelta(minutes=minutes, seconds=rng.random() * 60)
            now[0] = local.astimezone(timezone.utc)
            controller.set_lane(kind.lane, kind)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            controller.start_visit(Person(kind, person_ref=f"{rng.randrange(2019000, 2024999)}"
                                          if kind is PersonKind.STUDENT else None, name=name))
            if kind is PersonKind.COURIER and rng.random() < 0.5:
                # Hands the parcels over at the guard room and never enters: no check.
                controller.handoff({"name": name, "company": "顺丰速运"})
                yield from sink.entries
                sink.entries.clear()
                controller.next_person()
                continue
            with controller.collecting():
                _code(controller, kind, rng)
                first = round(rng.gauss(36.5, 0.3), 1) if rng.random() > 0.02 else round(rng.uniform(37.4, 38.6), 1)
                controller.temperature(TemperatureSample(first, first - 0.2, thermometer_id="thermo-1"))
                if first >= settings.policy.fever_threshold_c:
                    now[0] += timedelta(seconds=settings.policy.retake_wait_s + 5)
                    retake = first if rng.random() < 0.25 else round(rng.uniform(36.3, 37.1), 1)
                    controller.temperature(TemperatureSample(retake, retake - 0.2, thermometer_id="thermo-1"))
                controller.confirm(Element.MASK, rng.random() > 0.01)
                if kind.lane is Lane.WORKER:
                    controller.confirm(Element.ITINERARY, True)
                    controller.confirm(Element.VACCINE, True)
                    controller.register({"name": name, "phone": f"138{rng.randrange(10**8):08d}",
                                         "id_number": f"4101051980{rng.randrange(10**8):08d}",
                                         "company": rng.choice(["顺丰速运", "京东物流", "城管环卫", "食堂供货"]),
                                         "purpose": rng.choice(["送快递", "送货", "垃圾清运", "来访"])})
            controller.log_current()
            yield from sink.entries
            sink.entries.clear()
            controller.next_person()
        day += timedelta(days=1)


def _code(controller: GateController, kind: PersonKind, rng: random.Random) -> None:
    if kind is PersonKind.STUDENT:
        controller.confirm(Element.CARD, True)
        controller.confirm(Element.HEALTH, True)  # the roster's daily status, or the guard saw green
        return
    status = "green" if rng.random() > 0.01 else rng.choice(["yellow", "red"])
    ev = Evidence(Element.HEALTH, Outcome.OK if status == "green" else Outcome.FAIL, Source.COLOR, status,
                  Strength.ADVISORY)
    controller.code_seen(CodeCheck(CodeCheck.key_of(str(rng.random())), (ev,)))
