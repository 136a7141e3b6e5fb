"""Camera and serial I/O never block the GUI: the event loop keeps ticking while the camera stalls."""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QTimer

from devices.camera import FrameGrabber
from devices.decoders import ZxingDecoder
from kiosk.services.scanning import ScanService
from kiosk.services.verification import Verifier
from kiosk.domain.policy import Policy


class StallingCapture:
    """Delivers a few frames, then blocks in read() until released (a hung USB camera)."""

    def __init__(self, release: threading.Event) -> None:
        self.n = 0
        self._release = release

    def read(self):
        self.n += 1
        if self.n > 5:
            self._release.wait(20)
            return False, None
        time.sleep(0.02)
        return True, np.full((360, 640, 3), 100 + self.n, np.uint8)

    def release(self) -> None:
        self._release.set()


def test_event_loop_keeps_ticking_while_the_camera_stalls(qtbot, gate) -> None:
    window, kiosk, clock = gate
    unblock = threading.Event()
    grabber = FrameGrabber(lambda: StallingCapture(unblock), stall_s=30,
                           on_status=lambda s, m: kiosk.listeners.on_device_status("camera", s, m))
    scanner = ScanService(grabber, ZxingDecoder(), Verifier(Policy(), {}), kiosk.controller, kiosk.listeners)
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    scanner.start()
    try:
        qtbot.waitUntil(lambda: window.camera.frames_shown >= 3, timeout=5000)
        shown = window.camera.frames_shown
        before = len(ticks)
        # The camera thread is now blocked inside read() until the test releases it. Were the GUI thread
        # waiting on it, no timer would fire and no key would act until then: liveness, not a speed
        # (how long the loop's gaps are is bench/bench_gui_gaps.py's figure, not an assertion here).
        qtbot.waitUntil(lambda: len(ticks) - before >= 3, timeout=5000)
        assert window.camera.frames_shown <= shown + 2
        assert not unblock.is_set()
        window.confirm_mask()  # and the guard's actions still work
        qtbot.waitUntil(lambda: window.tiles["mask"].state == "ok")
    finally:
        unblock.set()
        timer.stop()
        scanner.close()


class ThreadSpy:
    """Wraps one store method: records which thread called it, then calls it (the real database).

    With ``lock`` (the controller's RLock, which the GUI thread takes for every guard key) it also
    records calls made while the caller held that lock: a database wait there is the GUI's wait too.
    """

    def __init__(self, store, name: str, lock=None) -> None:
        self.threads: list[str] = []
        self.under_lock: list[str] = []
        self._lock = lock
        self._real = getattr(store, name)
        setattr(store, name, self)

    def __call__(self, *args, **kwargs):
        self.threads.append(threading.current_thread().name)
        if self._lock is not None and self._lock._is_owned():
            self.under_lock.append(threading.current_thread().name)
        return self._real(*args, **kwargs)


def test_a_follow_up_mark_is_written_off_the_gui_thread_and_waits_out_a_locked_database(qtbot, gate) -> None:
    import sqlite3

    from kiosk.domain.model import Element, Lane, PersonKind

    window, kiosk, clock = gate
    c = kiosk.controller
    c.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    c.confirm(Element.MASK, False)  # flagged: no mask
    c.log_current()
    c.next_person()
    qtbot.waitUntil(lambda: len(window._desk.today_snapshot()[1]) == 1, timeout=5000)
    entry_id = window._desk.today_snapshot()[1][0].entry_id
    spy = ThreadSpy(kiosk.store, "follow_up")
    path = kiosk.settings.database_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        window.flagged.follow_up_requested.emit(entry_id, "observation")  # the guard's click on the list
        assert spy.threads == [] or threading.main_thread().name not in spy.threads
        qtbot.waitUntil(lambda: len(spy.threads) >= 1, timeout=5000)
        qtbot.wait(300)
        assert window._desk.today_snapshot()[1][0].follow_up != "observation"  # not written yet: locked
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    qtbot.waitUntil(lambda: window._desk.today_snapshot()[1][0].follow_up == "observation", timeout=10000)
    assert threading.main_thread().name not in spy.threads and set(spy.threads) == {"today-figures"}
    assert kiosk.store.follow_ups([entry_id])[entry_id][-1][1] == "observation"


def test_guard_work_with_a_hanging_issuer_and_a_locked_database_never_runs_them_on_the_gui_thread(qtbot, gate) -> None:
    import sqlite3

    from PySide6.QtCore import Qt

    from kiosk.domain.model import Element, Lane, PersonKind
    from kiosk.services.verification import IssuerServer
    from kiosk.services.scanning import VerificationService
    from tests.central.netfaults import SilentServer
    from tests.ui.conftest import press

    window, kiosk, clock = gate
    srv = SilentServer()
    server = IssuerServer(srv.url, "app", "secret", timeout_s=1.5, retries=0)
    verifier = Verifier(Policy(), {}, server=server, health_code_patterns={"county": r"^HC:"})
    codes = VerificationService(verifier, kiosk.controller)
    window._desk.codes = codes
    codes.start()
    kiosk.controller.writer.start()  # as the window runs: one writer thread
    spies = {name: ThreadSpy(kiosk.store, name, kiosk.controller._lock)
             for name in ("append", "remember_code", "recent_code", "follow_up")}
    asked = ThreadSpy(server, "verify")
    path = kiosk.settings.database_url.removeprefix("sqlite:///")
    try:
        kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        locker = sqlite3.connect(path, timeout=0, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # the database is locked by another program meanwhile
        qtbot.keyClicks(window, "HC:0001-GREEN")  # a keyboard scanner reads a county health code
        qtbot.keyClick(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: asked.threads != [], timeout=3000)
        # The issuer has not answered (it never does): the guard's keys still act at once.
        press(qtbot, window, Qt.Key.Key_F1)
        qtbot.waitUntil(lambda: window.tiles["mask"].state == "ok", timeout=1000)
        assert window.tiles["mask"].state == "ok"
        qtbot.waitUntil(lambda: kiosk.controller.current() is not None
                        and Element.HEALTH in kiosk.controller.current().evidence, timeout=6000)
        press(qtbot, window, Qt.Key.Key_Space)  # next person: the entry waits for the database
        qtbot.wait(300)
        locker.execute("ROLLBACK")
        locker.close()
        qtbot.waitUntil(lambda: spies["append"].threads != [] and kiosk.controller.waiting_entries == 0,
                        timeout=10000)
    finally:
        codes.close()
        srv.close()
    assert asked.threads and set(asked.threads) == {"verifier"}
    for name, spy in spies.items():
        assert threading.main_thread().name not in spy.threads, (name, spy.threads)
        assert spy.under_lock == [], (name, spy.under_lock)  # never while holding the lock the guard's keys need
    assert spies["append"].threads and spies["remember_code"].threads


def test_all_three_at_once_the_window_keeps_working_while_none_of_them_answers(qtbot, gate, tmp_path) -> None:
    """The issue's case: the database locked, the issuer server hanging and an export running, together.

    Each of the three is held until the test lets it go, so a GUI thread that waited on any of them would
    wait for ever: that the guard's scan, keys and next person all show on screen meanwhile (and a GUI
    timer keeps firing) proves the window never waits on them. How short its pauses are is a figure:
    bench/bench_gui_gaps.py prints it for each load; machines here are shared, so it is not asserted.
    """
    import sqlite3

    from PySide6.QtCore import Qt

    from kiosk.domain.model import Element, Lane, PersonKind
    from kiosk.reports import ExportQuery
    from kiosk.services.scanning import VerificationService
    from kiosk.services.verification import IssuerServer
    from tests.central.netfaults import SilentServer
    from tests.ui.conftest import press
    from ui.export_dialog import ExportDialog

    window, kiosk, clock = gate
    c = kiosk.controller
    c.set_lane(Lane.CAMPUS, PersonKind.STAFF)  # one entry, so the export has a row to read
    c.confirm(Element.MASK, True)
    c.log_current()
    c.next_person()
    c.writer.drain(5.0)

    srv = SilentServer()
    server = IssuerServer(srv.url, "app", "secret", timeout_s=30, retries=0)  # hangs for the whole test
    codes = VerificationService(Verifier(Policy(), {}, server=server, health_code_patterns={"county": r"^HC:"}), c)
    window._desk.codes = codes
    codes.start()
    c.writer.start()
    asked = ThreadSpy(server, "verify")
    appended = ThreadSpy(kiosk.store, "append")

    export_may_finish = threading.Event()
    exporter = window._desk.exporter("")
    real_entries = exporter.entries
    readers: list[str] = []

    def held_entries(q: ExportQuery):  # an export that cannot finish until the test says so
        readers.append(threading.current_thread().name)
        export_may_finish.wait(60)
        yield from real_entries(q)

    exporter.entries = held_entries
    dialog = ExportDialog(exporter, window._desk.today(), window)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.path.setText(str(tmp_path / "day.csv"))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    locker = sqlite3.connect(kiosk.settings.database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        dialog.show()
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: readers != [], timeout=5000)  # the export is running, held
        locker.execute("BEGIN EXCLUSIVE")  # and another program holds the database
        timer.start()
        qtbot.keyClicks(window, "HC:0002-GREEN")  # a keyboard scanner reads a code the issuer must confirm
        qtbot.keyClick(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: asked.threads != [], timeout=5000)  # the issuer was asked; it never answers
        press(qtbot, window, Qt.Key.Key_F1)  # the guard confirms the mask
        qtbot.waitUntil(lambda: window.tiles["mask"].state == "ok", timeout=5000)
        press(qtbot, window, Qt.Key.Key_F3)  # and, the issuer being silent, the green code by eye
        qtbot.waitUntil(lambda: window.tiles["code"].state == "ok", timeout=5000)
        press(qtbot, window, Qt.Key.Key_Space)  # next person: that entry must wait for the database
        qtbot.waitUntil(lambda: window.tiles["mask"].state != "ok", timeout=5000)  # the screen moved on
        before = len(ticks)
        qtbot.waitUntil(lambda: len(ticks) > before + 2, timeout=5000)  # and the loop still turns
        # Nothing has been let go yet: all three are still stuck.
        assert dialog.running and not export_may_finish.is_set() and c.waiting_entries >= 1
    finally:
        export_may_finish.set()
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()
        timer.stop()
    qtbot.waitUntil(lambda: not dialog.running, timeout=15000)
    qtbot.waitUntil(lambda: c.waiting_entries == 0, timeout=15000)
    codes.close()
    srv.close()
    assert (tmp_path / "day.csv").exists()
    gui = threading.main_thread().name
    assert readers and gui not in readers  # the export read its rows on its worker
    assert asked.threads and gui not in asked.threads  # the issuer was asked on the verifier thread
    assert appended.threads and gui not in appended.threads  # entries were written by the writer thread
