"""The first window: the banner follows the controller through the bridge (offscreen Qt)."""

from __future__ import annotations

from kiosk.config import GateSettings, SiteSettings
from kiosk.domain import Element, Lane, PersonKind
from kiosk.gate import GateController
from kiosk.policy import Policy
from kiosk.ports import ListenerHub
from tests.fakes import ManualClock, MemoryLog
from ui.bridge import QtBridge
from ui.main_window import MainWindow


def test_banner_shows_each_verdict(qtbot) -> None:
    bridge = QtBridge()
    clock = ManualClock()
    ctl = GateController(Policy(), MemoryLog(), ListenerHub(bridge), site=SiteSettings(), gate=GateSettings(),
                         salt=b"s" * 32, clock=clock)
    window = MainWindow(ctl, bridge)
    qtbot.addWidget(window)
    assert window.banner.property("decision") == ""
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.confirm(Element.HEALTH, True)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    ctl.confirm(Element.MASK, False)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "DENY")
    assert "未佩戴口罩" in window.banner.text()
