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
    for ch in "abcd":  # keys 250 ms apart (more than twice the 100 ms gap): a person, not a scanner
        qtbot.keyClick(window, ch)
        qtbot.wait(250)
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


def stamped(window, key, text: str, ms: int) -> bool:
    """One key as the platform delivers it, stamped with when it was pressed: ShortcutOverride, then the press.

    Returns whether the ShortcutOverride was accepted (Qt then fires no shortcut for the key).
    """
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    override = QKeyEvent(QEvent.Type.ShortcutOverride, key, Qt.KeyboardModifier.NoModifier, text)
    override.setTimestamp(ms)
    override.ignore()
    QApplication.sendEvent(window, override)
    press = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, text)
    press.setTimestamp(ms)
    QApplication.sendEvent(window, press)
    return override.isAccepted()


def key_of(ch: str):
    return Qt.Key(ord(ch.upper())) if ch.isalnum() else Qt.Key.Key_Space


def watch(window) -> tuple[list[str], list[str]]:
    """The codes read, and the keys that acted and stayed (acted on at once, kept when their run ended)."""
    codes: list[str] = []
    singles: list[str] = []
    acted: list[str] = []

    def settled(kept: bool) -> None:
        if kept:
            singles.extend(acted)
        acted.clear()

    window.wedge._on_code = codes.append
    window.wedge._on_single_key = singles.append
    window.wedge._on_tentative_key = acted.append
    window.wedge._on_keys_settled = settled
    window.activateWindow()
    return codes, singles


def test_a_slow_scanner_at_60_ms_a_key_is_one_scan(qtbot, gate) -> None:
    window, kiosk, clock = gate
    codes, singles = watch(window)
    t = 5_000_000
    for ch in "2023001":
        assert stamped(window, key_of(ch), ch, t)
        qtbot.wait(60)  # the keys also arrive 60 ms apart: the single-key wait must not take the first one
        t += 60
    assert stamped(window, Qt.Key.Key_Return, "\r", t)  # the Enter shortcut (next person) does not fire
    assert codes == ["2023001"] and singles == []


def test_a_busy_gui_thread_does_not_split_a_scan(qtbot, gate) -> None:
    import time

    from PySide6.QtWidgets import QApplication

    window, kiosk, clock = gate
    codes, singles = watch(window)
    t = 9_000_000
    stamped(window, key_of("A"), "A", t)
    time.sleep(0.15)  # the GUI thread is busy; the scanner's next keys wait in the queue
    QApplication.processEvents()  # the single-key wait is overdue and fires first: it must not take the "A"
    assert singles == []
    for ch in "B12345":
        t += 8
        stamped(window, key_of(ch), ch, t)
    assert stamped(window, Qt.Key.Key_Return, "\r", t + 8)
    qtbot.wait(250)
    assert codes == ["AB12345"] and singles == []


def test_keys_pressed_slowly_but_delivered_together_stay_the_guards(qtbot, gate) -> None:
    import time

    window, kiosk, clock = gate
    codes, singles = watch(window)
    t = 12_000_000
    time.sleep(0.05)
    for ch in "2GR4":  # pressed 300 ms apart, delivered in one go after a busy GUI thread
        stamped(window, key_of(ch), ch, t)
        t += 300
    assert not stamped(window, Qt.Key.Key_Return, "\r", t)  # a person's Enter: the shortcut fires
    qtbot.waitUntil(lambda: singles == ["2", "G", "R", "4"], timeout=2000)
    assert codes == []


def test_a_scan_cut_off_by_a_pause_is_dropped_whole_never_read_as_keys_or_a_shorter_code(qtbot, gate) -> None:
    window, kiosk, clock = gate
    codes, singles = watch(window)
    t = 20_000_000
    for ch in "20":  # the scanner pauses 400 ms inside "2023001" (it happens with cheap ones)
        stamped(window, key_of(ch), ch, t)
        t += 10
    t += 400
    for ch in "23001":
        stamped(window, key_of(ch), ch, t)
        t += 10
    assert stamped(window, Qt.Key.Key_Return, "\r", t)  # a scanner's Enter: no next person either
    qtbot.wait(300)
    assert singles == [] and codes == []  # neither "2" (staff) and "0" as keys, nor "23001" as a card number
    t += 2000
    for ch in "2023001":  # scanned again, whole
        stamped(window, key_of(ch), ch, t)
        t += 10
    stamped(window, Qt.Key.Key_Return, "\r", t)
    assert codes == ["2023001"]
    t += 2000
    stamped(window, key_of("2"), "2", t)  # and a lone key is the guard's as before
    qtbot.waitUntil(lambda: singles == ["2"], timeout=2000)


def test_the_key_gap_comes_from_the_config(qtbot, tmp_path) -> None:
    from kiosk.config.loading import load_settings
    from tests.fakes import ManualClock
    from tests.ui.conftest import open_window

    config = tmp_path / "config.toml"
    config.write_text("[devices]\nscanner = \"keyboard\"\nscanner_key_gap_ms = 40\n")
    window, kiosk = open_window(qtbot, load_settings(config), ManualClock())
    try:
        assert window.wedge.gap_s == 0.04
        codes, singles = watch(window)
        t = 30_000_000
        for ch in "ABCDE":  # 60 ms apart: slower than this gate's scanner, so a person's keys
            stamped(window, key_of(ch), ch, t)
            t += 60
        stamped(window, Qt.Key.Key_Return, "\r", t)
        qtbot.wait(200)
        assert codes == []
    finally:
        window.close()
        kiosk.close()


def test_a_slow_scanner_never_writes_a_refusal_or_changes_the_person_kind(qtbot, gate) -> None:
    """The trial's scan "RYIN77" at 130 ms a key (gap 100 ms): R red, Y/I/N confirmations, 7 a worker."""
    window, kiosk, clock = gate
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STUDENT)
    kiosk.controller.confirm(Element.MASK, True)
    qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
    visit = kiosk.controller.current()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    t = 40_000_000
    for ch in "RYIN77":
        assert stamped(window, key_of(ch), ch, t)  # held: no shortcut fires for any of them
        qtbot.wait(130)  # they arrive 130 ms apart as well: the single-key wait must not take one
        t += 130
    assert stamped(window, Qt.Key.Key_Return, "\r", t)  # the scan's Enter is not "next person" either
    qtbot.wait(400)
    current = kiosk.controller.current()
    assert current is not None and current.visit_id == visit.visit_id
    assert current.person.kind is PersonKind.STUDENT
    assert Element.HEALTH not in current.evidence and window.banner.property("decision") == "INCOMPLETE"
    assert window.wedge.codes == 0
    assert "扫码未读取" in window.banner.text()  # said where the guard looks
    # The same scan without its Enter (cut off) is dropped too: longer than a guard's two keys.
    for ch in "RYIN":
        stamped(window, key_of(ch), ch, t := t + 130)
    qtbot.wait(500)
    current = kiosk.controller.current()
    assert current.person.kind is PersonKind.STUDENT and Element.HEALTH not in current.evidence
    kiosk.controller.writer.drain(3.0)
    assert kiosk.store.count() == 0  # no refusal, no correction row written
    stamped(window, key_of("R"), "R", t + 2000)  # the guard's own R: a red code seen, refused and logged
    assert window.banner.property("decision") == "DENY"  # shown at once; logged once its run ended as the guard's
    qtbot.waitUntil(lambda: [(e.decision, e.person_kind) for e in kiosk.store.entries(clock.now.date())]
                    == [("DENY", "student")], timeout=3000)


def test_a_guards_two_quick_keys_still_act_in_order(qtbot, gate) -> None:
    window, kiosk, clock = gate
    codes, singles = watch(window)
    t = 50_000_000
    stamped(window, key_of("2"), "2", t)
    stamped(window, key_of("R"), "R", t + 150)  # 150 ms: slower than the gap, within twice it
    qtbot.waitUntil(lambda: singles == ["2", "R"], timeout=2000)
    assert codes == []
    t += 2000
    stamped(window, key_of("3"), "3", t)  # a lone key acts once twice the gap passed with nothing after it
    qtbot.waitUntil(lambda: singles == ["2", "R", "3"], timeout=2000)
