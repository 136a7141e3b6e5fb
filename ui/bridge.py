"""Turns the core's ``on_*`` callbacks into Qt signals.

The core calls these methods from whatever thread an event came from
(camera, thermometer, timer). Each method only emits; Qt's queued
connections deliver the signal on the GUI thread, so widgets are never
touched from a device thread (Electrum's hardware handler works this way).

Camera frames are the exception to "only emits": each is turned into a
paintable image on the camera's thread (``ui.widgets.to_qimage``), and only
the newest waits for the GUI thread. A window busy for a moment skips the
frames it could not show instead of painting a backlog of stale ones.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from kiosk.domain.visit import VisitSnapshot
from kiosk.services.ports import Overlay
from ui.widgets import to_qimage

if TYPE_CHECKING:
    from kiosk.services.ports import FrameImage


class QtBridge(QObject):
    """Implements ``kiosk.services.ports.GateListener`` by emitting signals."""

    visit_changed = Signal(object)
    entry_logged = Signal(object, str)
    entry_committed = Signal(str)
    storage_problem_changed = Signal(str, int)
    device_status_changed = Signal(str, str, str)
    frame_received = Signal(object, object)  # (QImage, overlays), on the GUI thread
    _frame_waiting = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._frame_lock = threading.Lock()
        self._next_frame: tuple[QImage, list[Overlay]] | None = None  # the newest frame the window has not shown
        # Queued when on_frame runs on a camera thread: this object lives on the GUI thread.
        self._frame_waiting.connect(self._hand_over_frame)

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
        image = to_qimage(frame)  # here, on the camera's thread: the GUI thread only paints
        with self._frame_lock:
            already_waiting = self._next_frame is not None
            self._next_frame = (image, overlays)
        if not already_waiting:
            self._frame_waiting.emit()

    def _hand_over_frame(self) -> None:
        with self._frame_lock:
            waiting, self._next_frame = self._next_frame, None
        if waiting is not None:
            self.frame_received.emit(*waiting)
