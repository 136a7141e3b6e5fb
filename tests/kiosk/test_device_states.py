"""Device kinds and states are enums at the seam, with the words the device log and the status bar always had."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from db.store import EntryStore
from devices import face
from devices.states import DeviceKind, DeviceState
from kiosk.services.ports import ListenerHub, report_device_status, report_device_word
from tests.fakes import RecordingListener

DEVICES = Path(__file__).resolve().parents[2] / "devices"


def test_a_reported_state_reaches_the_listener_as_an_enum_and_the_log_as_the_same_word(tmp_path: Path) -> None:
    store = EntryStore(f"sqlite:///{tmp_path / 'entries.sqlite3'}")
    listener = RecordingListener()
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    report_device_word(ListenerHub(listener), store, DeviceKind.THERMOMETER, "lost", "测温仪连接中断")
    report_device_status(ListenerHub(listener), store, DeviceKind.CALIBRATION, DeviceState.OVERDUE, "需要校准")
    assert listener.devices == [("thermometer", "lost", "测温仪连接中断"), ("calibration", "overdue", "需要校准")]
    assert listener.devices[0][1] is DeviceState.LOST and listener.devices[0][0] is DeviceKind.THERMOMETER
    stored = store.device_events(before, datetime.now(timezone.utc) + timedelta(seconds=1))
    assert [(device, state, message) for _, device, state, message in stored] == [
        ("thermometer", "lost", "测温仪连接中断"), ("calibration", "overdue", "需要校准")]
    assert all(type(device) is str and type(state) is str for _, device, state, _ in stored)
    store.close()


def test_a_misspelt_state_from_a_device_is_logged_and_not_passed_on(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    store = EntryStore(f"sqlite:///{tmp_path / 'entries.sqlite3'}")
    listener = RecordingListener()
    with caplog.at_level(logging.ERROR):
        report_device_word(ListenerHub(listener), store, DeviceKind.CAMERA, "lsot", "摄像头无画面")
    assert listener.devices == []
    assert "'lsot'" in caplog.text and "camera" in caplog.text
    assert store.device_events(datetime(2000, 1, 1, tzinfo=timezone.utc), datetime.now(timezone.utc)) == []
    store.close()


def test_the_enums_print_and_compare_as_their_words() -> None:
    assert DeviceState.RECONNECTING == "reconnecting" and f"{DeviceState.RECONNECTING}" == "reconnecting"
    assert str(DeviceKind.FACE) == "face" and "%s" % DeviceKind.FACE == "face"


def test_every_face_fallback_cause_has_its_state() -> None:
    causes = (face.MODEL_MISSING, face.MODEL_DAMAGED, face.OPENCV_TOO_OLD, face.MODEL_LOAD_FAILED)
    assert {DeviceState(f"haar_{cause}") for cause in causes} == {s for s in DeviceState if s.startswith("haar_")}


def test_every_state_word_the_readers_report_is_a_device_state() -> None:
    """The readers in devices still call back with text; a word DeviceState lacks would be dropped at the seam."""
    call = re.compile(r"self\._(?:status|set)\(\s*(\"\w+\"(?:\s+if\s+[^,]+?\s+else\s+\"\w+\")?)\s*,")
    words: set[str] = set()
    for path in DEVICES.glob("*.py"):
        for argument in call.findall(path.read_text(encoding="utf-8")):
            words.update(re.findall(r"\"(\w+)\"", argument))
    assert {"stopped", "connected", "lost", "reconnecting", "silent"} <= words  # the pattern still finds them
    assert words <= {s.value for s in DeviceState}
