"""The setup's PIN page refuses a PIN that came in as a scanner's burst, and says so (the trial saw no message)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtTest import QTest

from kiosk.app_adapters import SETUP_DEVICES
from ui.dialogs import scanned_not_typed
from ui.setup_flow import SetupFlow


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
