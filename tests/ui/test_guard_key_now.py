"""A guard's one-key action follows the key press at once; a keyboard scanner's burst is still never read as keys.

Issue 12: a letter or digit acted about 260 ms after the press (ui/wedge.py held it until twice the
scanner gap had passed). Now it acts on the press, tentatively, and is taken back if a burst follows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kiosk.domain.model import Element, Lane, PersonKind


def ready(qtbot, window, kiosk) -> None:
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STUDENT)
    kiosk.controller.confirm(Element.MASK, True)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)


def test_a_guards_key_acts_on_the_press_and_is_logged_when_its_run_ends(qtbot, gate) -> None:
    window, kiosk, clock = gate
    ready(qtbot, window, kiosk)
    qtbot.keyClick(window, Qt.Key.Key_2)  # staff
    QApplication.processEvents()  # once: no timer is waited for
    assert kiosk.controller.current().person.kind is PersonKind.STAFF
    qtbot.keyClick(window, Qt.Key.Key_R, delay=250)  # a red code seen, pressed later as a person does
    QApplication.processEvents()
    current = kiosk.controller.current()
    assert current.evidence[Element.HEALTH].value == "red" and window.banner.property("decision") == "DENY"
    qtbot.waitUntil(lambda: [(e.decision, e.person_kind) for e in kiosk.store.entries(clock.now.date())]
                    == [("DENY", "staff")], timeout=3000)


def test_a_scan_that_starts_with_a_guard_key_is_taken_back_and_read_as_a_code(qtbot, gate) -> None:
    window, kiosk, clock = gate
    ready(qtbot, window, kiosk)
    visit = kiosk.controller.current()
    codes: list[str] = []
    window.wedge._on_code = codes.append
    qtbot.keyClicks(window, "R2023001")  # a card number a scanner types: R is the red-code key, 2 staff
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert codes == ["R2023001"]
    current = kiosk.controller.current()
    assert current.visit_id == visit.visit_id and current.person.kind is PersonKind.STUDENT
    assert Element.HEALTH not in current.evidence and window.banner.property("decision") == "INCOMPLETE"
    kiosk.controller.writer.drain(3.0)
    assert kiosk.store.count() == 0  # no refusal written, and no correction of one
