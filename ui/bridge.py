"""Turns the core's ``on_*`` callbacks into Qt signals.

The core calls these methods from whatever thread an event came from
(camera, thermometer, timer). Each method only emits; Qt's queued
connections deliver the signal on the GUI thread, so widgets are never
touched from a device thread (Electrum's hardware handler works this way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kiosk.domain.visit import VisitSnapshot
from kiosk.services.ports import Overlay

if TYPE_CHECKING:
    from kiosk.services.ports import FrameImage


class QtBridge(QObject):
    """Implements ``kiosk.services.ports.GateListener`` by emitting signals."""

    visit_changed = Signal(object)
    entry_logged = Signal(object, str)
    entry_committed = Signal(str)
    storage_problem_changed = Signal(str, int)
    device_status_changed = Signal(str, str, str)
    frame_received = Signal(object, object)

    def on_visit_changed(self, visit: VisitSnapshot) -> None:
        self.visit_changed.emit(visit)

    def on_entry_logged(self, visit: VisitSnapshot, entry_id: str) -> None:
        self.entry_logged.emit(visit, entry_id)

    def on_entry_committed(self, entry_id: str) -> None:
        self.entry_committed.emit(entry_id)

    def on_storage_problem(self, message: str, waiting: int) -> None:
        self.storage_problem_changed.emit(message, waiting)

    def on_device_status(self, device: str, state: str, message: str) -> None:
        self.device_status_changed.emit(device, state, message)

    def on_frame(self, frame: FrameImage, overlays: list[Overlay]) -> None:
        self.frame_received.emit(frame, overlays)
