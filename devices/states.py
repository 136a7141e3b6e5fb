"""The devices' kinds and states as the status bar, the listeners and the device log know them.

Enums of strings (a ``StrEnum``) whose values are the words stored in the
``device_events`` table and written in the logs, so that a misspelt state is a
mypy error at the seam (``kiosk.services.ports.GateListener.on_device_status``)
while what is stored and shown stays the same text. Here, below ``kiosk``, so
that both the device readers and the core may import them.
"""

from __future__ import annotations

import enum

class StrEnum(str, enum.Enum):
    """``enum.StrEnum`` (3.11+) for Python 3.10 too: str() and format() give the value, as the words stored."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class DeviceKind(StrEnum):
    """Which status light (and ``device_events.device``) a state belongs to."""

    SCANNER = "scanner"
    CAMERA = "camera"
    FACE = "face"  # the face detector in use (YuNet, or Haar and why)
    THERMOMETER = "thermometer"
    CALIBRATION = "calibration"  # the thermometer's calibration: overdue or not


class DeviceState(StrEnum):
    """A device's state as reported (``device_events.state``); ``db.downtime`` sums the outages."""

    STOPPED = "stopped"
    CONNECTED = "connected"
    RECEIVING = "receiving"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    SILENT = "silent"  # connected, but no data for too long (thermometer)
    OK = "ok"
    OVERDUE = "overdue"  # calibration
    # The face detector (devices.mask.MaskDetector.status_state): YuNet, Haar by choice, or Haar because
    # YuNet is unusable, one state per devices.face fallback cause.
    YUNET = "yunet"
    HAAR = "haar"
    HAAR_MODEL_MISSING = "haar_model_missing"
    HAAR_MODEL_DAMAGED = "haar_model_damaged"
    HAAR_OPENCV_TOO_OLD = "haar_opencv_too_old"
    HAAR_MODEL_LOAD_FAILED = "haar_model_load_failed"
