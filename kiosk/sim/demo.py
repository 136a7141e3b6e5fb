"""Demo mode: an issuer key, a small roster and camera scenes of demo people.

Everything is generated on the fly in the demo data directory, so that
``gate-kiosk run --demo`` works on a fresh machine with nothing configured.
The demo issuer key is trusted only in demo mode (``demo_settings``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.records import RosterPerson
from devices.codeimage import STATUS_BGR, place_on_scene, render_code
from kiosk.config.settings import Settings, with_digest
from kiosk.domain.model import Lane, PersonKind
from kiosk.domain.visit import VisitSnapshot
from kiosk.services.gate import ConfirmRefused
from kiosk.services.signedcode import generate_key, issue, load_private_key, public_key_b64

log = logging.getLogger(__name__)

DEMO_KEY_ID = "demo-issuer"
DEMO_HEALTH_CODE_PATTERN = r"^https://healthcode\.example\.gov\.cn/v/"

def demo_roster(today: date) -> list[RosterPerson]:
    """The demo school's roster, with today's daily health status (晨检) for the students."""
    return [
        RosterPerson("2023001", "李雷", "student", "初二(3)班", "S2023001", "green", today),
        RosterPerson("2023002", "韩梅梅", "student", "初二(3)班", "S2023002", "green", today),
        RosterPerson("T0007", "王老师", "staff", "语文组", "T0007"),
    ]


@dataclass(frozen=True)
class DemoPerson:
    """One person in the demo cycle: what they show and how the guard's lane is set."""

    label: str
    lane: Lane
    kind: PersonKind
    codes: tuple[tuple[str, str, str], ...]  # (text, format, colour name)
    temperatures: tuple[float, ...] = (36.5,)
    mask: bool = True
    registration: tuple[tuple[str, str], ...] = ()  # what the clerk types for a worker or visitor (name first)


def demo_key(data_dir: Path) -> tuple[Ed25519PrivateKey, str]:
    """The demo issuer's private key (created once) and its public key."""
    path = data_dir / "keys" / f"{DEMO_KEY_ID}.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem, _ = generate_key()
        path.write_bytes(pem)
        path.chmod(0o600)
    key = load_private_key(path.read_bytes())
    return key, public_key_b64(key)


def demo_settings(settings: Settings) -> Settings:
    """Simulated devices, a separate database and the demo issuer trusted.

    The demo shortens the retake wait to 3 s and lets an automatic "mask on"
    count, so that the whole flow is visible within 30 s without a guard.
    """
    demo_db = f"sqlite:///{settings.data_dir / 'demo.sqlite3'}"
    devices = replace(settings.devices, camera="sim:", thermometer="sim:")
    _, public = demo_key(settings.data_dir)
    trusted = dict(settings.trusted_issuers, **{DEMO_KEY_ID: public})
    policy = with_digest(replace(settings.policy, retake_wait_s=3.0, auto_mask_satisfies=True))
    # The demo shows the same seven people every 28 s: a replay window shorter than the
    # cycle keeps their second round from looking like shared codes.
    gate = replace(settings.gate, result_display_s=3.5, replay_window_min=0.4)
    # The demo's opaque health code comes from this (made-up) issuer; only its codes are read by colour.
    patterns = dict(settings.health_code_patterns, demo=DEMO_HEALTH_CODE_PATTERN)
    return replace(settings, database_url=demo_db, own_log=False, devices=devices, trusted_issuers=trusted, policy=policy,
                   gate=gate, health_code_patterns=patterns)


def demo_people(settings: Settings, now: float | None = None) -> list[DemoPerson]:
    key, _ = demo_key(settings.data_dir)
    now = now or time.time()
    day = 24 * 3600

    def signed(kind: str, name: str, id_masked: str, **claims: Any) -> str:
        return issue(key, DEMO_KEY_ID, dict(k=kind, n=name, id=id_masked, iat=int(now), exp=int(now + 30 * day),
                                            **claims))

    return [
        DemoPerson("教职工 绿码", Lane.CAMPUS, PersonKind.STAFF,
                   ((signed("health", "王老师", "11**12", s="green", na="negative", nt=int(now - 20 * 3600)),
                     "QR_CODE", "green"),)),
        DemoPerson("学生 刷学生卡", Lane.CAMPUS, PersonKind.STUDENT, (("S2023001", "CODE_128", "black"),)),
        DemoPerson("教职工 黄码（仅颜色）", Lane.CAMPUS, PersonKind.STAFF,
                   (("https://healthcode.example.gov.cn/v/8f3a9c21e0", "QR_CODE", "yellow"),)),
        DemoPerson("快递员 三码联查", Lane.WORKER, PersonKind.COURIER, (
            (signed("health", "张师傅", "41**33", s="green"), "QR_CODE", "green"),
            (signed("itinerary", "张师傅", "41**33", c=["郑州市", "开封市"], r=False), "QR_CODE", "green"),
            (signed("vaccine", "张师傅", "41**33", d=3, ld="2022-01-10"), "QR_CODE", "green"),
        ), registration=_registration("张师傅", "410105198001011233", "顺丰速运", "送快递")),
        DemoPerson("学生 发热复测", Lane.CAMPUS, PersonKind.STUDENT, (("S2023002", "CODE_128", "black"),),
                   temperatures=(38.1, 37.9)),
        DemoPerson("访客 红码", Lane.WORKER, PersonKind.VISITOR,
                   ((signed("health", "赵先生", "32**58", s="red"), "QR_CODE", "red"),),
                   registration=_registration("赵先生", "320105198001011258", "区教育局", "来访")),
        DemoPerson("教职工 未戴口罩", Lane.CAMPUS, PersonKind.STAFF,
                   ((signed("health", "刘老师", "11**46", s="green"), "QR_CODE", "green"),), mask=False),
    ]


def _registration(name: str, id_number: str, company: str, purpose: str) -> tuple[tuple[str, str], ...]:
    """The clerk's form for a demo worker or visitor: the same name and ID ends as on their codes."""
    return (("name", name), ("phone", "13800138000"), ("id_number", id_number), ("company", company),
            ("purpose", purpose), ("plate", ""))


def scene_for(person: DemoPerson, seed: int = 0) -> np.ndarray:
    """A 1280x720 camera frame of the person holding up their codes."""
    frame = None
    n = len(person.codes)
    for i, (text, fmt, colour) in enumerate(person.codes):
        image = render_code(text, fmt, module_px=6 if fmt == "QR_CODE" else 3, colour_bgr=STATUS_BGR[colour],
                            bar_height=120)
        width = 260 if n == 1 else 300
        centre = (640 if n == 1 else 250 + i * 390, 360)
        if fmt != "QR_CODE":
            width = 420
        frame = place_on_scene(image, centre=centre, width_px=width, angle_deg=4.0 * (i - 1), seed=seed,
                               background=frame if frame is not None else None, keep_background=frame is not None)
    assert frame is not None
    return frame


class DemoGate(Protocol):
    """The gate as the demo's script drives it, standing in for the guard (``GateController``)."""

    def next_person(self) -> None: ...

    def set_lane(self, lane: Lane, default_kind: PersonKind | None = None) -> None: ...

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> VisitSnapshot | None: ...

    def register(self, fields: dict[str, str]) -> VisitSnapshot: ...


class SteeredThermometer(Protocol):
    """A simulated thermometer the demo sets to each person's temperature (``ThermometerSimulator``)."""

    mean_c: float
    noise_c: float


class DemoDirector:
    """Plays the demo cycle: on each new scene it starts the next person, sets the lane,
    steers the simulated thermometer to that person's temperature, and stands in for
    the mask detector and the registration clerk (demo mode only)."""

    def __init__(self, people: list[DemoPerson], controller: DemoGate, thermometer_sim: SteeredThermometer | None = None,
                 mask_from_camera: bool = False, hold_s: float = 4.0) -> None:
        import threading

        self.scale = hold_s / 4.0  # the script's times were written for 4 s per person
        self.scenes_started = 0
        self.people = people
        self._controller = controller
        self.thermometer_sim = thermometer_sim
        self._mask_from_camera = mask_from_camera
        self._timers: list[threading.Timer] = []
        self._threading = threading

    def on_scene(self, index: int) -> None:
        person = self.people[index % len(self.people)]
        self.scenes_started += 1
        for t in self._timers:
            t.cancel()
        self._timers.clear()
        self._controller.next_person()
        self._controller.set_lane(person.lane, person.kind)
        sim = self.thermometer_sim
        if sim is not None:
            sim.mean_c, sim.noise_c = person.temperatures[0], 0.05
            # After being measured the person walks on: the module then reads the room,
            # which is below the plausible range and means "nobody in front".
            self._later(2.5 * self.scale, lambda: setattr(sim, "mean_c", 24.0))
        if not self._mask_from_camera:
            self._later(0.8 * self.scale, lambda: self._controller.mask_seen(person.mask, 0.93))
        if person.registration:
            self._later(1.6 * self.scale, lambda: self._controller.register(dict(person.registration)))

    def _later(self, delay: float, fn: Callable[[], object]) -> None:
        def step() -> None:
            # The demo stands in for the guard: a refusal is what the guard would read on the
            # screen (e.g. a slow camera still showed the previous person's code), never a crash.
            try:
                fn()
            except ConfirmRefused as exc:
                log.warning("demo: refused as the guard would see it: %s", exc)
            except Exception:  # noqa: BLE001 - the demo's own thread must never die
                log.exception("demo: a scripted step failed")

        timer = self._threading.Timer(delay, step)
        timer.name = "demo-timer"  # short-lived; the soak test counts persistent threads apart
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def close(self) -> None:
        for t in self._timers:
            t.cancel()
