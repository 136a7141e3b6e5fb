"""First-run setup: a real camera source with preview, a simulated thermometer on a pty, the config written."""

from __future__ import annotations

from pathlib import Path

from devices.simulators import ThermometerSimulator
from kiosk.app_adapters import SETUP_DEVICES
from kiosk.services.access import AdminAccess
from kiosk.config.loading import load_settings
from ui.setup_devices import OTHER
from ui.setup_flow import SetupFlow


def choose_other(combo, edit, text: str) -> None:
    combo.setCurrentIndex(combo.findData(OTHER))
    edit.setText(text)
    edit.editingFinished.emit()


def fill_first_setup(flow: SetupFlow, frames: Path) -> None:
    """The least a first setup asks, answered: school 第三中学, a folder of frames as camera, PIN 135790."""
    flow.school_page.school.setText("第三中学")
    choose_other(flow.camera_page.combo, flow.camera_page.other, str(frames))
    flow.thermometer_page.combo.setCurrentIndex(flow.thermometer_page.combo.findData(""))
    flow.pin_page.pin.setText("135790")
    flow.pin_page.again.setText("135790")
    flow.accept()


def test_setup_writes_the_config_and_pin_and_nothing_else(qtbot, tmp_path: Path, frames: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# written by the IT teacher\n[ui]\nsound = false  # the office is next door\n")
    assert load_settings(config).needs_setup
    sim = ThermometerSimulator("gy-mcu", interval_s=0.1, mean_c=36.4, noise_c=0.05).start()
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.show()
    try:
        flow.school_page.school.setText("第三中学")
        flow.school_page.gate.setText("east-1")
        assert flow.school_page.isComplete()
        choose_other(flow.camera_page.combo, flow.camera_page.other, str(frames))
        qtbot.waitUntil(lambda: flow.camera_page.preview.frames_shown > 0, timeout=5000)
        assert "画面正常" in flow.camera_page.status.text()
        page = flow.thermometer_page
        choose_other(page.combo, page.other, sim.path)
        assert not page.isComplete()  # a port without a known protocol is not kept
        page.start_probe()
        qtbot.waitUntil(lambda: bool(page.config), timeout=15000)
        assert page.config["thermometer_protocol"] == "gy-mcu" and "gy-mcu" in page.status.text()
        qtbot.waitUntil(lambda: "°C" in page.reading.text(), timeout=5000)
        assert 35.5 < float(page.reading.text().split()[0]) < 37.5
        flow.scanner_page.combo.setCurrentIndex(flow.scanner_page.combo.findData("keyboard"))
        flow.pin_page.pin.setText("246810")
        flow.pin_page.again.setText("2469")
        assert not flow.pin_page.isComplete() and "不一致" in flow.pin_page.error.text()
        flow.pin_page.again.setText("246810")
        assert flow.pin_page.isComplete()
        flow.accept()
        assert flow.result() == 1 and flow.settings is not None
    finally:
        flow.camera_page.stop()
        flow.thermometer_page.stop()
        sim.close()
    s = load_settings(config)
    assert not s.needs_setup
    assert (s.site.school_name, s.site.gate_id) == ("第三中学", "east-1")
    assert s.devices.camera == str(frames) and s.devices.thermometer == sim.path
    assert s.devices.thermometer_protocol == "gy-mcu" and s.devices.thermometer_baud == 9600
    assert s.devices.scanner == "keyboard" and s.ui.sound is False
    assert "# the office is next door" in config.read_text()  # the teacher's comments stay
    assert AdminAccess(s.data_dir).has_pin
    assert not (s.data_dir / "entries.sqlite3").exists()  # setup never opens the entry log


def test_setup_refuses_without_a_code_source_or_pin(qtbot, tmp_path: Path) -> None:
    config = tmp_path / "new" / "config.toml"
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.school_page.school.setText("第三中学")
    flow.camera_page.combo.setCurrentIndex(flow.camera_page.combo.findData(""))
    flow.thermometer_page.combo.setCurrentIndex(flow.thermometer_page.combo.findData(""))
    assert flow.thermometer_page.isComplete()  # no thermometer is a choice: temperatures typed with F2
    flow.pin_page.pin.setText("12")
    flow.accept()
    assert flow.settings is None and not config.exists()
    assert "摄像头或扫码枪" in flow.pin_page.error.text() and "PIN" in flow.pin_page.error.text()
    flow.reject()


def test_a_missing_camera_and_a_silent_port_are_said_in_words(qtbot, tmp_path: Path) -> None:
    flow = SetupFlow(tmp_path / "config.toml", openers=SETUP_DEVICES, discover_fn=lambda: ([], []), probe_fn=lambda port: __import__(
        "kiosk.desk.firstrun", fromlist=["probe"]).probe(port, budget_s=2.0))
    qtbot.addWidget(flow)
    try:
        choose_other(flow.camera_page.combo, flow.camera_page.other, str(tmp_path / "no-such-camera.mp4"))
        qtbot.waitUntil(lambda: "打不开" in flow.camera_page.status.text(), timeout=8000)
        sim = ThermometerSimulator("aa55")
        sim.paused.set()
        sim.start()
        page = flow.thermometer_page
        choose_other(page.combo, page.other, sim.path)
        page.start_probe()
        qtbot.waitUntil(lambda: "没有识别出测温仪" in page.status.text(), timeout=10000)
        assert not page.isComplete()
        sim.close()
    finally:
        flow.reject()


def test_with_nothing_configured_the_window_opens_setup_then_the_gate(qtbot, tmp_path: Path, frames: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.app import run_window

    config = tmp_path / "config.toml"  # empty (conftest): nothing to read codes with
    settings = load_settings(config)
    assert settings.needs_setup
    seen: list[str] = []

    def fill() -> None:
        flow = QApplication.activeModalWidget()
        if not isinstance(flow, SetupFlow):
            QTimer.singleShot(50, fill)
            return
        seen.append("setup")
        fill_first_setup(flow, frames)

    QTimer.singleShot(50, fill)
    assert run_window(settings, quit_after=2.0) == 0
    assert seen == ["setup"]
    written = load_settings(config)
    assert written.devices.camera == str(frames) and written.site.school_name == "第三中学"
    assert (written.data_dir / "entries.sqlite3").exists()  # the gate started after the setup


def test_leaving_the_setup_closes_without_writing(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.app import run_window

    config = tmp_path / "config.toml"
    before = config.read_text()

    def leave() -> None:
        flow = QApplication.activeModalWidget()
        if not isinstance(flow, SetupFlow):
            QTimer.singleShot(50, leave)
            return
        flow.reject()

    QTimer.singleShot(50, leave)
    assert run_window(load_settings(config)) == 0
    assert config.read_text() == before and not (tmp_path / "data" / "entries.sqlite3").exists()


def test_setup_again_on_a_gate_with_a_pin_needs_that_pin_and_writes_nothing_without_it(tmp_path) -> None:
    import pytest

    from kiosk.config.settings import ConfigError
    from kiosk.desk.firstrun import SetupAnswers, write_first_config

    config = tmp_path / "config.toml"
    first = SetupAnswers(school_name="实验中学", gate_id="east-1", camera="0", pin="246810")
    write_first_config(config, first)
    written = config.read_text(encoding="utf-8")
    again = SetupAnswers(school_name="实验中学", gate_id="east-2", camera="1", pin="111111")
    with pytest.raises(ConfigError, match="现有的 PIN"):
        write_first_config(config, again)
    assert config.read_text(encoding="utf-8") == written  # nothing changed by a wrong PIN
    again.pin = "246810"
    settings = write_first_config(config, again)
    assert settings.site.gate_id == "east-2" and settings.devices.camera == "1"


def enter(qtbot, flow) -> None:
    """Enter where the keyboard focus is, as the IT teacher presses it."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    flow.activateWindow()
    qtbot.waitUntil(flow.isActiveWindow, timeout=2000)
    assert QApplication.focusWidget() is not None
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def type_into(qtbot, edit, text: str) -> None:
    edit.window().activateWindow()
    qtbot.waitUntil(edit.window().isActiveWindow, timeout=2000)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)  # QTest types ASCII only (Chinese comes through an input method)


def test_the_gate_id_is_checked_on_its_page_and_enter_does_not_pass_a_bad_one(qtbot, tmp_path: Path) -> None:
    flow = SetupFlow(tmp_path / "config.toml", openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.show()
    page = flow.school_page
    type_into(qtbot, page.school, "No. 3 Middle School")
    type_into(qtbot, page.gate, "east gate")
    assert "门岗编号只能用" in page.error.text() and "\n" not in page.error.text()
    enter(qtbot, flow)
    assert flow.currentPage() is page and not page.isComplete()
    type_into(qtbot, page.gate, "east-1")
    assert page.error.text() == ""
    enter(qtbot, flow)
    assert flow.currentPage() is flow.camera_page
    flow.reject()


def test_enter_on_the_camera_page_keeps_only_a_camera_seen_working(qtbot, tmp_path: Path, frames: Path) -> None:
    from devices.discovery import CameraInfo

    broken = CameraInfo(0, str(tmp_path / "unplugged.mp4"), "USB Camera", "v4l2")
    flow = SetupFlow(tmp_path / "config.toml", openers=SETUP_DEVICES, discover_fn=lambda: ([broken], []))
    qtbot.addWidget(flow)
    flow.show()
    try:
        type_into(qtbot, flow.school_page.school, "No. 3 Middle School")
        enter(qtbot, flow)
        page = flow.camera_page
        assert flow.currentPage() is page and page.uri() == broken.uri
        enter(qtbot, flow)  # the listed camera shows no picture: Enter does not skip past it
        assert flow.currentPage() is page and not page.isComplete()
        qtbot.waitUntil(lambda: "打不开" in page.status.text(), timeout=8000)
        enter(qtbot, flow)
        assert flow.currentPage() is page
        page.combo.setCurrentIndex(page.combo.findData(OTHER))
        type_into(qtbot, page.other, str(frames))
        enter(qtbot, flow)  # Enter in the address field opens it; it does not press 下一步
        assert flow.currentPage() is page
        qtbot.waitUntil(lambda: page.preview.frames_shown > 0 and page.isComplete(), timeout=5000)
        page.combo.setFocus()
        enter(qtbot, flow)  # now Enter is 下一步, with the camera seen
        assert flow.currentPage() is flow.thermometer_page
        assert flow.collect().camera == str(frames)
    finally:
        flow.reject()


def test_a_typed_port_is_probed_before_it_is_kept_and_what_is_saved_is_what_was_probed(qtbot, tmp_path: Path) -> None:
    import threading

    from kiosk.desk.firstrun import probe

    first = ThermometerSimulator("aa55", interval_s=0.1, mean_c=36.4, noise_c=0.05).start()
    second = ThermometerSimulator("ascii", interval_s=0.1, mean_c=36.6, noise_c=0.05).start()
    hold = threading.Event()
    hold.set()
    probed: list[str] = []

    def held_probe(port: str):
        probed.append(port)
        hold.wait(10)
        return probe(port, budget_s=5.0)

    flow = SetupFlow(tmp_path / "config.toml", openers=SETUP_DEVICES, discover_fn=lambda: ([], []), probe_fn=held_probe)
    qtbot.addWidget(flow)
    flow.show()
    page = flow.thermometer_page
    try:
        flow.setStartId(flow.pageIds()[2])
        flow.restart()
        assert flow.currentPage() is page
        page.combo.setCurrentIndex(page.combo.findData(OTHER))
        type_into(qtbot, page.other, first.path)
        enter(qtbot, flow)  # Enter in the port field probes it
        assert flow.currentPage() is page and "正在识别" in page.status.text()
        qtbot.waitUntil(lambda: probed == [first.path])
        qtbot.waitUntil(lambda: page.isComplete(), timeout=10000)
        assert page.config["thermometer_protocol"] == "aa55" and page.probed_port == first.path
        # Another port typed after the probe: the first one's result is dropped, and Enter cannot keep it.
        type_into(qtbot, page.other, second.path)
        assert not page.isComplete() and page.config == {} and "重新" in page.status.text()
        assert not flow.button(flow.WizardButton.NextButton).isEnabled()
        answers = flow.collect()
        assert answers.thermometer == second.path and answers.thermometer_config == {}
        assert answers.problems() and any("识别" in p for p in answers.problems())
        # A probe still running when the port changes answers about the old port: not kept for the new one.
        hold.clear()
        enter(qtbot, flow)
        qtbot.waitUntil(lambda: len(probed) == 2)
        type_into(qtbot, page.other, first.path)
        hold.set()
        qtbot.wait(2500)
        assert not page.isComplete() and page.config == {}
        enter(qtbot, flow)
        qtbot.waitUntil(lambda: page.isComplete(), timeout=10000)
        assert page.probed_port == first.path and page.config["thermometer_protocol"] == "aa55"
        qtbot.waitUntil(lambda: "°C" in page.reading.text(), timeout=5000)
        enter(qtbot, flow)
        assert flow.currentPage() is flow.scanner_page
        answers = flow.collect()
        assert (answers.thermometer, answers.thermometer_config["thermometer_protocol"]) == (first.path, "aa55")
    finally:
        hold.set()
        flow.reject()
        first.close()
        second.close()


def test_setup_run_again_starts_from_the_gate_config_and_asks_for_the_current_pin_up_front(qtbot, tmp_path: Path) -> None:
    """Trial finding 9: school name blank, gate-1, and "PIN / 再输一次" as if new on a gate with a PIN."""
    from PySide6.QtWidgets import QFormLayout

    config = tmp_path / "config.toml"
    config.write_text('[site]\nschool_name = "第三中学"\ngate_id = "east-2"\n[devices]\nscanner = "keyboard"\n')
    before = load_settings(config)
    AdminAccess(before.data_dir).set_pin("246810", "it")
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.show()
    try:
        assert (flow.school_page.school.text(), flow.school_page.gate.text()) == ("第三中学", "east-2")
        assert flow.scanner_page.scanner() == "keyboard" and flow.camera_page.uri() == ""
        page = flow.pin_page
        form = page.findChild(QFormLayout)
        assert form.labelForField(page.pin).text() == "现有的 PIN" and "现有的 PIN" in page.subTitle()
        assert not page.again.isVisible() and form.labelForField(page.again) is None  # not asked as if new
        page.pin.setText("135790")
        assert page.isComplete()
        flow.accept()  # a wrong current PIN: said, nothing written
        assert flow.settings is None and "现有的 PIN" in page.error.text()
        page.pin.setText("246810")
        flow.accept()
        assert flow.result() == 1 and flow.settings is not None
    finally:
        flow.camera_page.stop()
        flow.thermometer_page.stop()
    after = load_settings(config)
    assert (after.site.school_name, after.site.gate_id, after.devices.scanner) == ("第三中学", "east-2", "keyboard")


def test_the_scanner_page_times_a_test_scan_and_sets_the_key_gap_from_it(qtbot, tmp_path: Path) -> None:
    """Trial finding 1: a scanner at 130 ms a key against the default 100 ms gap typed guard keys."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    flow = SetupFlow(tmp_path / "config.toml", openers=SETUP_DEVICES, discover_fn=lambda: ([], []))
    qtbot.addWidget(flow)
    flow.show()
    page = flow.scanner_page
    page.combo.setCurrentIndex(page.combo.findData("keyboard"))
    assert not page.test_scan.isHidden()  # shown for a keyboard scanner (the page is not the current one here)

    def scan(text: str, step_ms: int, t: int) -> None:
        for ch in [*text, "\r"]:
            key = Qt.Key.Key_Return if ch == "\r" else Qt.Key(ord(ch))
            event = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, ch)
            event.setTimestamp(t)
            QApplication.sendEvent(page.test_scan, event)
            t += step_ms

    scan("RYIN77", 130, 1_000_000)
    assert page.key_gap_ms == 205 and "130" in page.timing.text() and "205" in page.timing.text()
    assert page.test_scan.text() == ""  # the test scan is not kept anywhere
    answers = flow.collect()
    assert answers.changes()["devices"]["scanner_key_gap_ms"] == 205
    scan("RYIN77", 400, 2_000_000)  # far too slow for a keyboard scanner: said, and the gap not set
    assert page.key_gap_ms == 0 and "太慢" in page.timing.text()
    assert "scanner_key_gap_ms" not in flow.collect().changes()["devices"]
    flow.reject()


def test_leaving_setup_run_again_on_a_configured_gate_opens_the_gate(qtbot, tmp_path: Path, frames: Path) -> None:
    """The trial: 退出 on `run --setup` of a working gate closed the program; only a gate needing setup exits."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.app import run_window

    config = tmp_path / "config.toml"
    config.write_text(f'[devices]\ncamera = "{frames}"\n', encoding="utf-8")
    before = config.read_text()
    settings = load_settings(config)
    assert not settings.needs_setup
    left: list[str] = []

    def leave() -> None:
        flow = QApplication.activeModalWidget()
        if not isinstance(flow, SetupFlow):
            QTimer.singleShot(50, leave)
            return
        left.append("setup")
        flow.reject()

    QTimer.singleShot(50, leave)
    assert run_window(settings, setup=True, quit_after=1.0) == 0
    assert left == ["setup"] and config.read_text() == before
    assert (tmp_path / "data" / "entries.sqlite3").exists()  # the gate opened with its config
