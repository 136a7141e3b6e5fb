"""One calibration rule at its due moment: valid strictly before it, overdue at it and after.

Each former copy's caller is asked at due - 1 s, due and due + 1 s: the domain function itself, the
status bar (tests/kiosk/test_thermometry.py), and here the daily report's lines and the weekly
checklist's state, which ask at the end of the day (midnight, local).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.store import EntryStore
from kiosk.config.loading import load_settings
from kiosk.domain.calibration import calibration_due, calibration_valid
from kiosk.reports.exports import Exporter

DAY = date(2022, 2, 22)
TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = datetime.combine(DAY + timedelta(days=1), time.min, TZ).astimezone(timezone.utc)
BOUNDARY = [(-1, True), (0, False), (1, False)]  # (seconds from the due moment, still valid)


@pytest.mark.parametrize("seconds_from_due, valid", BOUNDARY)
def test_the_rule_holds_strictly_before_the_due_moment(seconds_from_due: int, valid: bool) -> None:
    performed = datetime(2022, 3, 1, 8, tzinfo=timezone.utc)
    due = calibration_due(performed, 7)
    assert due == performed + timedelta(days=7)
    assert calibration_valid(performed, 7, due + timedelta(seconds=seconds_from_due)) is valid


@pytest.fixture
def exporter(tmp_path: Path):
    settings = load_settings(tmp_path / "config.toml")
    store = EntryStore(settings.database_url)
    yield Exporter(store, timezone_name="Asia/Shanghai", fever_threshold_c=37.3, actor="it", data_dir=settings.data_dir,
                   thermometer_id="thermo-1", calibration_interval_days=7), store
    store.close()


def _calibrated_so_the_day_ends(store: EntryStore, seconds_from_due: int) -> None:
    """One calibration whose due moment lies ``-seconds_from_due`` s from the end of DAY."""
    performed = END_OF_DAY - timedelta(days=7, seconds=seconds_from_due)
    store.add_calibration({"id": "cal-1", "thermometer_id": "thermo-1", "performed_at": performed, "operator": "it",
                           "reference_c": 37.0, "readings": [36.8, 36.8, 36.8], "offset_c": 0.2, "residual_c": 0.0,
                           "ambient_c": None, "ambient_coefficient": 0.0})


@pytest.mark.parametrize("seconds_from_due, valid", BOUNDARY)
def test_weekly_checklist_state_at_the_due_moment(exporter, seconds_from_due: int, valid: bool) -> None:
    ex, store = exporter
    _calibrated_so_the_day_ends(store, seconds_from_due)
    ok, evidence = ex.calibration_state(DAY)
    assert ok is valid
    assert ("已过期" in evidence) is not valid and ("有效至" in evidence) is valid


@pytest.mark.parametrize("seconds_from_due, valid", BOUNDARY)
def test_daily_report_calibration_line_at_the_due_moment(exporter, seconds_from_due: int, valid: bool) -> None:
    ex, store = exporter
    _calibrated_so_the_day_ends(store, seconds_from_due)
    last = ex.calibration_lines(DAY, DAY)[-1]
    assert last.startswith("thermo-1：")
    assert ("校准已过期" in last) is not valid and ("校准有效至" in last) is valid


def test_a_past_days_report_judges_the_calibration_that_held_then_not_a_newer_one(exporter) -> None:
    """A report of DAY made after a newer calibration still names the one DAY was measured under."""
    ex, store = exporter
    _calibrated_so_the_day_ends(store, -3600)  # held until an hour after DAY ended
    store.add_calibration({"id": "cal-2", "thermometer_id": "thermo-1", "performed_at": END_OF_DAY + timedelta(days=2),
                           "operator": "it", "reference_c": 37.0, "readings": [36.9, 36.9, 36.9], "offset_c": 0.1,
                           "residual_c": 0.0, "ambient_c": None, "ambient_coefficient": 0.0})
    ok, evidence = ex.calibration_state(DAY)
    assert ok and "+0.20" in evidence, evidence
    assert any("校准有效至" in line for line in ex.calibration_lines(DAY, DAY))
    assert not any("从未校准" in line for line in ex.calibration_lines(DAY, DAY))
    # and a day before any calibration still says so
    ok, evidence = ex.calibration_state(DAY - timedelta(days=30))
    assert not ok and "无校准记录" in evidence
