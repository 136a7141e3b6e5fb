"""Keyboard-wedge scanners: a fast burst ending in Enter is a code for the gate; a person's keys stay shortcuts."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from kiosk.domain.model import Element, Lane, PersonKind
from kiosk.domain.policy import Policy
from kiosk.services.scanning import VerificationService
from kiosk.services.signedcode import generate_key, issue, load_private_key
from kiosk.services.verification import Verifier
from tests.ui.conftest import press


def signed_green(name: str = "王小明") -> tuple[str, str]:
    pem, pub = generate_key()
    now = int(time.time())
    return issue(load_private_key(pem), "k1", dict(k="health", n=name, id="11**77", iat=now, exp=now + 600,
                                                   s="green")), pub


def test_a_scanned_code_reaches_the_gate_and_its_enter_is_not_next_person(qtbot, gate) -> None:
    window, kiosk, clock = gate
    text, pub = signed_green()
    window._desk.codes = VerificationService(Verifier(Policy(), {"k1": pub}), kiosk.controller)  # inline
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClicks(window, text)  # as fast as a scanner types
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: kiosk.controller.current() is not None
                    and Element.HEALTH in kiosk.controller.current().evidence)
    visit = kiosk.controller.current()
    assert visit.evidence[Element.HEALTH].value == "green" and visit.name_masked == "王*明"
    assert window.wedge.codes == 1
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    qtbot.wait(100)
    assert kiosk.controller.current().visit_id == visit.visit_id  # the scanner's Enter did not call the next person


def test_a_person_typing_keeps_the_shortcuts(qtbot, gate) -> None:
    window, kiosk, clock = gate
    text, pub = signed_green()
    window._desk.codes = VerificationService(Verifier(Policy(), {"k1": pub}), kiosk.controller)
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    kiosk.controller.confirm(Element.MASK, True)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for ch in "abcd":  # slow keys, 120 ms apart: a person, not a scanner
        qtbot.keyClick(window, ch)
        qtbot.wait(120)
    press(qtbot, window, Qt.Key.Key_Return)  # a person's Enter: next person, as always
    qtbot.waitUntil(lambda: window.banner.property("decision") == "")
    assert window.wedge.codes == 0
    kiosk.controller.confirm(Element.MASK, True)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    press(qtbot, window, Qt.Key.Key_Space)  # a lone Space too
    qtbot.waitUntil(lambda: window.banner.property("decision") == "")
    assert window.wedge.codes == 0


def test_a_scan_with_a_space_inside_is_one_code(qtbot, gate) -> None:
    window, kiosk, clock = gate
    seen: list[str] = []
    window.wedge._on_code = seen.append
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    kiosk.controller.confirm(Element.MASK, True)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    qtbot.keyClicks(window, "AB 12")
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert seen == ["AB 12"]
    assert window.banner.property("decision") == "INCOMPLETE"  # neither the space nor the Enter was a shortcut


def test_a_scanned_number_never_fires_the_one_key_actions_it_contains(qtbot, gate) -> None:
    # "2023001" starts with 2 (staff) and holds 1 (student): a scanner's burst is a code, not keys.
    window, kiosk, clock = gate
    kiosk.controller.set_lane(Lane.CAMPUS)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClicks(window, "2023001")
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.wait(150)
    assert window.wedge.codes == 1
    current = kiosk.controller.current()
    assert current is None or current.person.kind is PersonKind.STUDENT
    # The same key pressed alone by the guard is the person-kind key.
    kiosk.controller.confirm(Element.MASK, True)
    qtbot.keyClick(window, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: kiosk.controller.current().person.kind is PersonKind.STAFF, timeout=2000)
