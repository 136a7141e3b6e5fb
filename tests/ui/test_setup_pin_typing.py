"""What the setup's pages say about what is typed: a PIN that came as a burst, a blank school, a full-width gate id."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from kiosk.app_adapters import SETUP_DEVICES
from ui.dialogs import scanned_not_typed
from ui.setup_flow import SetupFlow
from tests.ui.test_setup_flow import type_into


def test_a_pin_typed_at_a_scanners_speed_is_refused_with_its_reason_and_both_fields_cleared(qtbot,
                                                                                            tmp_path: Path) -> None:
    config = tmp_path / "new" / "config.toml"
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.show()
    flow.school_page.school.setText("第三中学")
    flow.camera_page.combo.setCurrentIndex(flow.camera_page.combo.findData(""))
    flow.thermometer_page.combo.setCurrentIndex(flow.thermometer_page.combo.findData(""))
    page = flow.pin_page
    for edit in (page.pin, page.again):
        edit.setFocus()
        QTest.keyClicks(edit, "135790", delay=2)  # a burst, as a scanner (or a paste robot) types
    flow.accept()
    qtbot.wait(50)  # anything queued by the clearing has run
    assert page.error.text() == scanned_not_typed()
    assert page.pin.text() == "" and page.again.text() == ""
    assert flow.settings is None and not config.exists()
    flow.reject()


def test_the_school_page_says_why_next_waits_and_takes_a_full_width_gate_id(qtbot, tmp_path: Path) -> None:
    """The trial: a blank school name greyed 下一步 with no reason; ｅａｓｔ１ (a Chinese input method's) was refused."""
    config = tmp_path / "config.toml"
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.show()
    page = flow.school_page
    assert page.error.text() == ""  # nothing typed yet: no red words on a fresh page
    type_into(qtbot, page.school, "No3")
    page.school.selectAll()
    qtbot.keyClick(page.school, Qt.Key.Key_Backspace)  # typed, then rubbed out
    assert not page.isComplete() and "学校名称" in page.error.text()
    page.school.setText("第三中学")
    page.gate.setText("ｅａｓｔ－１")  # QTest types ASCII only: what a full-width input method leaves in the field
    assert page.isComplete() and page.error.text() == ""
    assert flow.collect().gate_id == "east-1"
    flow.reject()
