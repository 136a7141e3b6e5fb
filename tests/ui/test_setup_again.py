"""Setup run again on a working gate: it starts from the gate's config, devices and PIN included."""

from __future__ import annotations

from pathlib import Path

from devices.simulators import ThermometerSimulator
from kiosk.app_adapters import SETUP_DEVICES
from ui.setup_flow import SetupFlow


def test_setup_run_again_reads_the_saved_thermometer_without_probing(qtbot, tmp_path: Path, frames: Path) -> None:
    """Issue 12: setup run again asked to re-detect a thermometer the config already named and that works."""
    sim = ThermometerSimulator("gy-mcu", interval_s=0.1, mean_c=36.4, noise_c=0.05).start()
    config = tmp_path / "config.toml"
    config.write_text(f'[site]\nschool_name = "第三中学"\ngate_id = "east-2"\n[devices]\ncamera = "{frames}"\n'
                      f'thermometer = "{sim.path}"\nthermometer_protocol = "gy-mcu"\nthermometer_baud = 9600\n'
                      'scanner = "keyboard"\n', encoding="utf-8")
    probed: list[str] = []
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []), probe_fn=lambda port: probed.append(port))
    qtbot.addWidget(flow)
    flow.show()
    page = flow.thermometer_page
    try:
        assert flow.camera_page.uri() == str(frames) and flow.scanner_page.scanner() == "keyboard"
        assert page.port() == sim.path and page.isComplete()  # kept as it is, nothing to press
        assert "gy-mcu" in page.status.text() and "自动识别" in page.status.text()
        qtbot.waitUntil(lambda: "°C" in page.reading.text(), timeout=5000)  # and seen working
        qtbot.waitUntil(lambda: flow.camera_page.preview.frames_shown > 0, timeout=5000)
        answers = flow.collect()
        assert answers.thermometer == sim.path and answers.thermometer_config["thermometer_protocol"] == "gy-mcu"
        assert probed == []
    finally:
        flow.reject()
        sim.close()


def test_setup_run_again_probes_a_saved_thermometer_that_gives_no_reading(qtbot, tmp_path: Path) -> None:
    """The saved protocol is not what the port speaks now (the thermometer was replaced): probed by itself."""
    from kiosk.desk.firstrun import probe

    sim = ThermometerSimulator("gy-mcu", interval_s=0.1, mean_c=36.4, noise_c=0.05).start()
    config = tmp_path / "config.toml"
    config.write_text(f'[site]\nschool_name = "第三中学"\n[devices]\nscanner = "keyboard"\nthermometer = "{sim.path}"\n'
                      'thermometer_protocol = "aa55"\nthermometer_baud = 115200\n',
                      encoding="utf-8")
    probed: list[str] = []

    def probe_counted(port: str):
        probed.append(port)
        return probe(port, budget_s=5.0)

    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []), probe_fn=probe_counted)
    qtbot.addWidget(flow)
    flow.show()
    page = flow.thermometer_page
    try:
        assert page.config["thermometer_protocol"] == "aa55"  # the saved settings first
        qtbot.waitUntil(lambda: probed == [sim.path], timeout=15000)
        qtbot.waitUntil(lambda: page.config.get("thermometer_protocol") == "gy-mcu", timeout=15000)
        assert page.isComplete() and page.probed_port == sim.path
        qtbot.waitUntil(lambda: "°C" in page.reading.text(), timeout=5000)
        assert flow.collect().thermometer_config["thermometer_protocol"] == "gy-mcu"
    finally:
        flow.reject()
        sim.close()


def test_setup_run_again_keeps_the_saved_thermometer_when_it_is_unplugged(qtbot, tmp_path: Path) -> None:
    """Lost and not found by the probe either: said, and the saved settings stay (setup does not dead-end)."""
    from kiosk.desk.firstrun import probe

    gone = str(tmp_path / "ttyUSB9")
    config = tmp_path / "config.toml"
    config.write_text(f'[site]\nschool_name = "第三中学"\n[devices]\nscanner = "keyboard"\nthermometer = "{gone}"\n'
                      'thermometer_protocol = "gy-mcu"\nthermometer_baud = 9600\n', encoding="utf-8")
    probed: list[str] = []

    def probe_counted(port: str):
        probed.append(port)
        return probe(port, budget_s=1.0)

    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []), probe_fn=probe_counted)
    qtbot.addWidget(flow)
    flow.show()
    page = flow.thermometer_page
    try:
        qtbot.waitUntil(lambda: "仍用原来的设置" in page.status.text(), timeout=15000)
        assert probed == [gone] and page.isComplete() and page.config["thermometer_protocol"] == "gy-mcu"
        assert flow.collect().thermometer == gone
    finally:
        flow.reject()


def test_setup_run_again_on_a_four_digit_pin_says_the_rule_in_one_line_and_changes_it(qtbot, tmp_path: Path) -> None:
    """Issue 12: the old 4-digit PIN was refused by setup ("6–12 位"), a dead end; it is taken and can be replaced."""
    from kiosk.app import build_store
    from kiosk.config.loading import load_settings
    from kiosk.services.access import AdminAccess
    from tests.kiosk.test_setup_pin import a_gate_with_a_four_digit_pin

    config = a_gate_with_a_four_digit_pin(tmp_path, kept_a_log=True)
    flow = SetupFlow(config, openers=SETUP_DEVICES, discover_fn=lambda: ([], []), open_ledger=build_store)
    qtbot.addWidget(flow)
    flow.show()
    page = flow.pin_page
    try:
        assert "6–12" in page.weakness.text() and "\n" not in page.weakness.text()
        page.pin.setText("2468")
        assert page.isComplete()  # the current PIN alone is enough: changing it is offered, not forced
        page.new_pin.setText("1357")
        assert not page.isComplete() and "6–12" in page.error.text()
        page.new_pin.setText("135790")
        page.new_again.setText("135790")
        assert page.isComplete()
        flow.accept()
        assert flow.result() == 1 and flow.settings is not None, page.error.text()
    finally:
        flow.camera_page.stop()
        flow.thermometer_page.stop()
    settings = load_settings(config)
    store = build_store(settings)
    try:
        AdminAccess(settings.data_dir, ledger=store).verify("135790", "guard", "export")
    finally:
        store.close()
