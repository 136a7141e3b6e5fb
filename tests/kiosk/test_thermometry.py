"""Calibration arithmetic, the stability rule, and the service between reader and gate."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from devices.thermometer import TemperatureReading
from kiosk.services.thermometry import CalibrationError, Calibration, StableReadingFilter, ThermometerService, compute_calibration

T0 = datetime(2022, 3, 1, 8, tzinfo=timezone.utc)


def test_offset_and_residual_from_reference_readings() -> None:
    cal = compute_calibration([36.6, 36.7, 36.8, 36.7], 37.0, thermometer_id="t", operator="it", at=T0)
    assert cal.offset_c == pytest.approx(0.3)
    assert cal.residual_c == pytest.approx(0.1)
    assert cal.correct(36.5) == pytest.approx(36.8)


def test_ambient_compensation() -> None:
    cal = compute_calibration([36.9] * 5, 37.0, thermometer_id="t", operator="it", at=T0, ambient_c=20.0,
                              ambient_coefficient=-0.05)
    assert cal.correct(36.9, 20.0) == pytest.approx(37.0)
    assert cal.correct(36.9, 30.0) == pytest.approx(36.5)  # a hot room reads high: corrected down
    assert cal.correct(36.9, None) == pytest.approx(37.0)


@pytest.mark.parametrize("readings, ref, message", [
    ([36.0, 36.1], 37.0, "at least 3"),
    ([36.0, 36.9, 37.5], 37.0, "scatter"),
    ([33.0, 33.0, 33.0], 37.0, "too large"),
    ([36.9] * 3, 20.0, "body-temperature"),
])
def test_untrustworthy_calibration_is_refused(readings, ref, message) -> None:
    with pytest.raises(CalibrationError, match=message):
        compute_calibration(readings, ref, thermometer_id="t", operator="it", at=T0)


def test_stable_means_two_consecutive_readings_within_tolerance() -> None:
    f = StableReadingFilter(0.2, (34.0, 42.5), repeat_s=5)
    t = T0
    assert not f.feed(36.5, t)
    assert not f.feed(36.9, t + timedelta(seconds=0.5))  # jumped 0.4
    assert f.feed(36.8, t + timedelta(seconds=1))
    assert not f.feed(36.8, t + timedelta(seconds=1.5))  # same person, just measured
    assert f.feed(36.7, t + timedelta(seconds=7))  # still there after the repeat time: a retake
    assert not f.feed(25.0, t + timedelta(seconds=7.5))  # nobody in front: implausible, resets
    assert not f.feed(36.6, t + timedelta(seconds=8))
    assert f.feed(36.6, t + timedelta(seconds=8.5))
    assert f.implausible == 1


class FakeStore:
    def __init__(self, record=None) -> None:
        self.record = record
        self.events: list = []

    def latest_calibration(self, thermometer_id):
        return self.record

    def device_event(self, device, state, message="", at=None):
        self.events.append((device, state))


class Sink:
    def __init__(self) -> None:
        self.samples: list = []

    def temperature(self, sample) -> None:
        self.samples.append(sample)


class Listener:
    def __init__(self) -> None:
        self.status: list = []

    def on_device_status(self, device, state, message) -> None:
        self.status.append((device, state, message))


def test_service_applies_calibration_and_stability_and_tags_ids() -> None:
    cal = compute_calibration([36.6, 36.7, 36.8], 37.0, thermometer_id="t1", operator="it", at=T0,
                              new_id=lambda: "cal-9")
    sink, store, listener = Sink(), FakeStore(cal.as_record()), Listener()
    svc = ThermometerService("t1", sink, store, listener, clock=lambda: T0 + timedelta(days=1))
    for i, c in enumerate([36.2, 36.3]):
        svc.on_reading(TemperatureReading(c, 21.0, T0 + timedelta(seconds=i / 2), "t1"))
    (s,) = sink.samples
    assert s.celsius == pytest.approx(36.6) and s.raw == 36.3 and s.calibration_id == "cal-9"
    assert s.thermometer_id == "t1" and s.ambient == 21.0
    assert svc.calibration_status()[0] is False


def test_overdue_and_missing_calibration_warn_at_start() -> None:
    cal = Calibration("c", "t1", T0, "it", 37.0, (37.0,) * 3, 0.0, 0.0)
    listener, store = Listener(), FakeStore(cal.as_record())
    svc = ThermometerService("t1", Sink(), store, listener, interval_days=7, clock=lambda: T0 + timedelta(days=8))
    svc.start()
    assert listener.status[-1][:2] == ("calibration", "overdue") and "过期" in listener.status[-1][2]
    assert store.events == [("calibration", "overdue")]  # the device log keeps it, as every device state
    never = ThermometerService("t1", Sink(), FakeStore(None), Listener())
    assert never.calibration_status() == (True, "测温仪从未校准，请用黑体或体温计校准")


@pytest.mark.parametrize("seconds_from_due, overdue", [(-1, False), (0, True), (1, True)])
def test_status_bar_calibration_is_overdue_from_its_due_moment(seconds_from_due: int, overdue: bool) -> None:
    # kiosk.domain.calibration's rule: valid strictly before the due moment, overdue at it.
    cal = Calibration("c", "t1", T0, "it", 37.0, (37.0,) * 3, 0.0, 0.0)
    now = T0 + timedelta(days=7, seconds=seconds_from_due)
    svc = ThermometerService("t1", Sink(), FakeStore(cal.as_record()), Listener(), interval_days=7, clock=lambda: now)
    is_overdue, message = svc.calibration_status()
    assert is_overdue is overdue
    assert ("过期" in message) is overdue and ("有效至" in message) is not overdue


def test_status_goes_to_listener_and_device_log() -> None:
    store, listener = FakeStore(), Listener()
    svc = ThermometerService("t1", Sink(), store, listener)
    from devices.thermometer import ThermometerStatus

    svc.on_status(ThermometerStatus("lost", "测温仪连接中断", "t1"))
    assert listener.status == [("thermometer", "lost", "测温仪连接中断")]
    assert store.events == [("thermometer", "lost")]
