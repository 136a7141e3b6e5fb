"""The bridge emits a signal per core callback; emitting must not corrupt reference counts.

PySide6 6.12.0 returned ``True`` from ``SignalInstance.emit`` without taking a
reference, so every emit decremented ``True`` until the interpreter aborted
("bool_dealloc: deallocating True or False"), after a few seconds of camera
frames. This test fails on any Qt binding with that bug.
"""

from __future__ import annotations

import sys

import numpy as np

from ui.bridge import QtBridge


def test_emitting_does_not_leak_or_steal_references(qapp) -> None:
    bridge = QtBridge()
    frames: list = []
    bridge.frame_received.connect(lambda f, o: frames.append(1))
    frame = np.zeros((4, 4, 3), np.uint8)
    true_before, false_before = sys.getrefcount(True), sys.getrefcount(False)
    frame_before = sys.getrefcount(frame)
    for _ in range(200):
        bridge.on_frame(frame, [])
        bridge.on_device_status("camera", "connected", "")
    qapp.processEvents()
    assert len(frames) == 200
    assert abs(sys.getrefcount(True) - true_before) < 50
    assert abs(sys.getrefcount(False) - false_before) < 50
    assert sys.getrefcount(frame) - frame_before < 50  # frames are not kept alive by the bridge
