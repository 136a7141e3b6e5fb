"""The scanning pipeline end to end: scenes -> grabber -> decode -> verify -> gate controller."""

from __future__ import annotations

import time


from db.records import RosterPerson
from devices.camera import FrameGrabber, SceneCapture
from devices.codeimage import STATUS_BGR, place_on_scene, render_code
from devices.decoders import ZxingDecoder
from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import Element, Lane, PersonKind
from kiosk.services.gate import GateController
from kiosk.domain.policy import Policy
from kiosk.services.ports import ListenerHub
from kiosk.services.scanning import ScanService
from kiosk.services.signedcode import generate_key, issue, load_private_key
from kiosk.services.verification import Verifier
from tests.fakes import MemoryLog, RecordingListener


def test_signed_code_on_camera_reaches_the_gate_once() -> None:
    pem, pub = generate_key()
    now = int(time.time())
    text = issue(load_private_key(pem), "k1", dict(k="health", n="王小明", id="11**77", iat=now, exp=now + 600,
                                                   s="green"))
    scene = place_on_scene(render_code(text, module_px=6, colour_bgr=STATUS_BGR["green"]), width_px=320)
    log, listener = MemoryLog(), RecordingListener()
    controller = GateController(Policy(), log, ListenerHub(listener), site=SiteSettings(), gate=GateSettings(),
                                salt=b"x" * 32)
    controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    verifier = Verifier(Policy(), {"k1": pub})
    calls: list = []
    real_verify = verifier.verify
    verifier.verify = lambda c: calls.append(c) or real_verify(c)  # count verifications (the cache)
    service = ScanService(FrameGrabber(lambda: SceneCapture([scene], fps=30)), ZxingDecoder(), verifier,
                          controller, ListenerHub(listener))
    service.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (listener.frames < 10 or controller.current() is None):
            time.sleep(0.05)
    finally:
        service.close()
    snap = controller.current()
    assert snap is not None and snap.evidence[Element.HEALTH].value == "green"
    assert snap.name_masked == "王*明"
    assert listener.frames >= 10
    assert len(calls) == 1  # verified once, then served from the cache
    assert service._thread is None


def test_process_reports_overlays() -> None:
    log, listener = MemoryLog(), RecordingListener()
    controller = GateController(Policy(), log, listener, site=SiteSettings(), gate=GateSettings(), salt=b"x" * 32)

    class Roster:
        def find_roster(self, key):
            return RosterPerson("2023001", "李雷", "student", "", "S2023001") if key == "S2023001" else None

        def find_roster_by_name(self, name):
            return []

    scene = place_on_scene(render_code("S2023001", "CODE_128", module_px=3, bar_height=120), width_px=420)
    service = ScanService(None, ZxingDecoder(), Verifier(Policy(), {}, roster=Roster()), controller, listener)
    overlays = service.process(scene) or service.process(scene) or service.process(scene)
    assert overlays[0]["kind"] == "card" and overlays[0]["verified_by"] == "roster"
    assert controller.current().person.person_ref == "2023001"


def test_mask_result_from_the_camera_thread_is_a_suggestion() -> None:
    import numpy as np

    from devices.mask import FaceMask

    class OneFace:
        def __init__(self, mask: bool) -> None:
            self.mask = mask
            self.calls = 0

        def nearest(self, frame):
            self.calls += 1
            return FaceMask((10, 10, 200, 200), self.mask, 0.97 if self.mask else 0.03)

    log, listener = MemoryLog(), RecordingListener()
    controller = GateController(Policy(), log, listener, site=SiteSettings(), gate=GateSettings(), salt=b"x" * 32)
    controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    frame = np.full((360, 640, 3), 90, np.uint8)
    detector = OneFace(False)
    service = ScanService(None, ZxingDecoder(), Verifier(Policy(), {}), controller, listener, mask_detector=detector)
    overlays = service.process(frame)
    assert overlays == [{"box": (10, 10, 200, 200), "mask": False, "score": 0.03}]
    snap = controller.current()
    assert snap.evidence[Element.MASK].value is False and snap.decision.value == "INCOMPLETE"  # prompts, never denies
    # The check runs on every third frame; the frames between keep showing the last face.
    for _ in range(3):
        assert service.process(frame) == overlays
    assert detector.calls == 2


def test_an_idle_camera_gets_a_harder_look_once_a_second() -> None:
    import cv2

    log, listener = MemoryLog(), RecordingListener()
    controller = GateController(Policy(), log, listener, site=SiteSettings(), gate=GateSettings(), salt=b"x" * 32)
    now = [0.0]
    code = render_code("S2023001", module_px=2)
    # A tiny, dim, low-contrast code: the live path's half-resolution pass cannot read it.
    scene = place_on_scene(code, width_px=64, seed=3)
    scene = cv2.convertScaleAbs(scene, alpha=0.5, beta=60)
    live = ZxingDecoder(full_res_every=1000)  # the half-resolution pass only, so that the test is about timing
    service = ScanService(None, live, Verifier(Policy(), {}), controller, listener, clock=lambda: now[0])
    assert ZxingDecoder(full_res_every=1000).decode_frame(scene) == []  # too hard for the live pass
    assert service.process(scene) == []  # not idle long enough yet
    now[0] = 2.5
    overlays = service.process(scene)
    assert overlays and service.idle_hard_hits == 1
    now[0] = 2.8
    service.process(scene)  # within the second: live path only
    assert service.idle_hard_hits == 1
