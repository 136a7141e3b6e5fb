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
        qtbot.wait(1000)  # the camera thread is now blocked inside read()
        assert window.camera.frames_shown <= shown + 2
        assert len(ticks) - before >= 25  # ~50 expected at 20 ms; the loop was never blocked
        gaps = np.diff(ticks[before:])
        assert gaps.max() < 0.5
        window.confirm_mask()  # and the guard's actions still work
        qtbot.waitUntil(lambda: window.tiles["mask"].state == "ok")
    finally:
        unblock.set()
        timer.stop()
        scanner.close()
