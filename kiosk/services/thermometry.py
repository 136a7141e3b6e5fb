"""From raw thermometer readings to temperatures the gate can trust.

- ``Calibration``: offset (and optional ambient compensation) found against a
  reference (blackbody or clinical thermometer): N readings of a reference
  value give ``offset = reference - mean``; the residual is the largest error
  left after correcting. Overdue calibration (default every 7 days) is a
  warning on screen and in the daily report.
- ``StableReadingFilter``: a reading is stable when two consecutive readings
  agree within 0.2 °C (configurable); readings outside the plausible range
  (nobody in front, or nonsense) never reach the gate.
- ``ThermometerService``: runs on the device thread's callbacks, applies the
  calibration and the stability rule, and hands ``TemperatureSample`` to the
  gate controller; device status goes to the listener and the device log.
"""

from __future__ import annotations

import statistics
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

from db.records import CalibrationRecord
from devices.states import DeviceKind, DeviceState
from kiosk.domain.calibration import calibration_due, calibration_valid
from kiosk.domain.model import Source, TemperatureSample
from kiosk.services.ports import DeviceLog, GateListener, Service, report_device_status, report_device_word

if TYPE_CHECKING:
    from devices.thermometer import TemperatureReading, ThermometerStatus


class CalibrationError(ValueError):
    """Calibration readings cannot give a trustworthy offset."""


@dataclass(frozen=True)
class Calibration:
    """One stored calibration of one thermometer."""

    id: str
    thermometer_id: str
    performed_at: datetime
    operator: str
    reference_c: float
    readings: tuple[float, ...]
    offset_c: float
    residual_c: float
    ambient_c: float | None = None
    ambient_coefficient: float = 0.0  # °C of correction per °C of ambient away from ambient_c

    def correct(self, raw_c: float, ambient_c: float | None = None) -> float:
        corrected = raw_c + self.offset_c
        if self.ambient_coefficient and ambient_c is not None and self.ambient_c is not None:
            corrected += self.ambient_coefficient * (ambient_c - self.ambient_c)
        return round(corrected, 2)

    def due_at(self, interval_days: int) -> datetime:
        return calibration_due(self.performed_at, interval_days)

    def as_record(self) -> CalibrationRecord:
        return {
            "id": self.id, "thermometer_id": self.thermometer_id, "performed_at": self.performed_at,
            "operator": self.operator, "reference_c": self.reference_c, "readings": list(self.readings),
            "offset_c": self.offset_c, "residual_c": self.residual_c, "ambient_c": self.ambient_c,
            "ambient_coefficient": self.ambient_coefficient,
        }

    @classmethod
    def from_record(cls, r: CalibrationRecord) -> "Calibration":
        return cls(r["id"], r["thermometer_id"], r["performed_at"], r["operator"], r["reference_c"],
                   tuple(r["readings"]), r["offset_c"], r["residual_c"], r["ambient_c"], r["ambient_coefficient"])


# JJF 1107-style limits: a screener whose readings scatter more than this cannot be trusted.
MAX_SPREAD_C = 0.4
MAX_OFFSET_C = 2.0


def compute_calibration(
    readings: Sequence[float],
    reference_c: float,
    *,
    thermometer_id: str,
    operator: str,
    at: datetime,
    ambient_c: float | None = None,
    ambient_coefficient: float = 0.0,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> Calibration:
    """Offset and residual from N readings of a reference source."""
    if len(readings) < 3:
        raise CalibrationError("at least 3 readings of the reference are needed")
    if not 30.0 <= reference_c <= 45.0:
        raise CalibrationError("the reference must be a body-temperature source (30–45 °C)")
    mean = statistics.fmean(readings)
    offset = round(reference_c - mean, 3)
    residual = round(max(abs(r + offset - reference_c) for r in readings), 3)
    if abs(offset) > MAX_OFFSET_C:
        raise CalibrationError(f"offset {offset:+.2f} °C is too large: the device needs service, not calibration")
    if residual > MAX_SPREAD_C:
        raise CalibrationError(f"readings scatter by ±{residual:.2f} °C (> {MAX_SPREAD_C} °C): "
                               "check the distance and the reference, then repeat")
    return Calibration(new_id(), thermometer_id, at, operator, reference_c, tuple(readings), offset, residual,
                       ambient_c, ambient_coefficient)


class StableReadingFilter:
    """Passes a reading on when two consecutive plausible readings agree within a tolerance.

    After passing one on it stays quiet for ``repeat_s`` unless the person
    leaves (an implausible reading) or the value moves beyond the tolerance,
    so a person standing still is not re-measured every half second but a
    retake is still taken after the wait.
    """

    def __init__(self, tolerance_c: float = 0.2, plausible: tuple[float, float] = (34.0, 42.5),
                 repeat_s: float = 5.0) -> None:
        self.tolerance_c = tolerance_c
        self.plausible = plausible
        self.repeat_s = repeat_s
        self._previous: float | None = None
        self._emitted: tuple[float, datetime] | None = None
        self.implausible = 0

    def feed(self, celsius: float, at: datetime) -> bool:
        lo, hi = self.plausible
        if not lo <= celsius <= hi:
            self.implausible += 1
            self._previous = None
            self._emitted = None
            return False
        previous, self._previous = self._previous, celsius
        if previous is None or abs(celsius - previous) > self.tolerance_c:
            return False
        if self._emitted is not None:
            last_c, last_at = self._emitted
            if abs(celsius - last_c) <= self.tolerance_c and at - last_at < timedelta(seconds=self.repeat_s):
                return False
        self._emitted = (celsius, at)
        return True


class CalibrationSource(DeviceLog, Protocol):
    """Where the thermometer service finds its calibration and logs device states (``db.store.EntryStore``)."""

    def latest_calibration(self, thermometer_id: str) -> CalibrationRecord | None: ...


class TemperatureSink(Protocol):
    """Where the thermometer service hands each steady reading, calibration applied (the ``GateController``)."""

    def temperature(self, sample: TemperatureSample) -> object: ...


class ThermometerService:
    """Glue between a thermometer adapter and the gate controller (see module docstring)."""

    def __init__(
        self,
        thermometer_id: str,
        sink: TemperatureSink,
        store: CalibrationSource,
        listener: GateListener,
        *,
        tolerance_c: float = 0.2,
        plausible: tuple[float, float] = (34.0, 42.5),
        interval_days: int = 7,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.thermometer_id = thermometer_id
        self._sink = sink
        self._store = store
        self._listener = listener
        self._filter = StableReadingFilter(tolerance_c, plausible)
        self._interval_days = interval_days
        self._clock = clock
        self._lock = threading.Lock()
        self.device: Service | None = None  # the serial or Modbus reader (``kiosk.app_adapters.thermometer_device``)
        self.calibration: Calibration | None = None
        self.reload_calibration()

    def reload_calibration(self) -> None:
        record = self._store.latest_calibration(self.thermometer_id)
        self.calibration = Calibration.from_record(record) if record else None

    def calibration_status(self) -> tuple[bool, str]:
        """(overdue, message) for the status bar and the daily report."""
        now = self._clock()
        if self.calibration is None:
            return True, "测温仪从未校准，请用黑体或体温计校准"
        due = self.calibration.due_at(self._interval_days)
        if not calibration_valid(self.calibration.performed_at, self._interval_days, now):
            days = (now - self.calibration.performed_at).days
            return True, f"测温仪校准已过期（上次 {days} 天前），请重新校准"
        return False, f"校准有效至 {due.astimezone().strftime('%m-%d')}（偏差 {self.calibration.offset_c:+.2f} °C）"

    # Called on the device thread.
    def on_reading(self, reading: TemperatureReading) -> None:
        with self._lock:
            corrected = self.calibration.correct(reading.celsius, reading.ambient) if self.calibration \
                else reading.celsius
            if not self._filter.feed(corrected, reading.at):
                return
            sample = TemperatureSample(
                celsius=corrected, raw=reading.celsius, ambient=reading.ambient, at=reading.at,
                thermometer_id=self.thermometer_id,
                calibration_id=self.calibration.id if self.calibration else None, source=Source.DEVICE,
            )
        self._sink.temperature(sample)

    def on_status(self, status: ThermometerStatus) -> None:
        report_device_word(self._listener, self._store, DeviceKind.THERMOMETER, status.state, status.message)

    def start(self) -> None:
        if self.device is not None:
            self.device.start()
        overdue, message = self.calibration_status()
        if overdue:
            # Through report_device_status like every device state: the device log keeps it too.
            report_device_status(self._listener, self._store, DeviceKind.CALIBRATION, DeviceState.OVERDUE, message)

    def close(self) -> None:
        if self.device is not None:
            self.device.close()
