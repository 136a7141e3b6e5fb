"""First-run setup in the window: school, gate, camera with live preview, thermometer with auto-probe, scanner, PIN.

Shown instead of the gate when nothing is configured to read codes with
(``Settings.needs_setup``), or by ``gate-kiosk setup``. Every device choice is
shown working before it is kept: the camera's picture, the thermometer's
protocol and its readings as they arrive. Finishing writes the config file
(``kiosk.desk.firstrun.write_first_config``) and the admin PIN; the gate then
starts with them. Nothing is written to the entry log here.

Slow work (probing a port for up to 10 s) runs on a plain thread and reports
back through a queued signal; the previews are polled by a timer, so the
window never waits on a device.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget, QWizard,
    QWizardPage,
)

from kiosk.services.access import PIN_MAX_DIGITS, PIN_MIN_DIGITS
from kiosk.config.settings import ConfigError, Settings
from kiosk.desk.firstrun import (
    SetupAnswers, discover, gate_id_ok, probe, write_first_config,
)
from ui.setup_devices import BIG, OTHER, CameraPage, ThermometerPage, choice_combo

class SchoolPage(QWizardPage):
    """Who this gate is."""

    def __init__(self, answers: SetupAnswers) -> None:
        super().__init__()
        self.setTitle(self.tr("学校与门岗"))
        self.setSubTitle(self.tr("这台电脑在哪所学校、哪个门岗。出现在导出报表和日志里。"))
        form = QFormLayout(self)
        self.school = QLineEdit(answers.school_name, self)
        self.school.setPlaceholderText(self.tr("如：第三中学"))
        self.gate = QLineEdit(answers.gate_id, self)
        self.gate.setPlaceholderText("east-1")
        for edit in (self.school, self.gate):
            edit.setStyleSheet(BIG)
            edit.textChanged.connect(self.completeChanged)
        form.addRow(self.tr("学校名称"), self.school)
        form.addRow(self.tr("门岗编号（字母或数字）"), self.gate)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color:#c62828;font-size:16px;")
        form.addRow(self.error)

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        # The gate id is checked here, where it is typed, not only when the file is written at the end.
        gate = self.gate.text().strip()
        ok = gate_id_ok(gate)
        self.error.setText("" if ok or not gate else self.tr("门岗编号只能用字母、数字、-、_、.，最多 40 个（如 east-1）"))
        return bool(self.school.text().strip()) and ok


class ScannerPage(QWizardPage):
    """An optional handheld or fixed QR scanner."""

    def __init__(self, ports: list[Any]) -> None:
        super().__init__()
        self.setTitle(self.tr("扫码枪（可选）"))
        self.setSubTitle(self.tr("没有扫码枪就直接下一步。键盘式扫码枪插上即可用；串口扫码枪请选它的串口。"))
        layout = QVBoxLayout(self)
        self.combo = choice_combo(self)
        self.combo.addItem(self.tr("不使用扫码枪"), "")
        self.combo.addItem(self.tr("键盘式扫码枪（USB，扫完自动回车）"), "keyboard")
        for p in ports:
            self.combo.addItem(self.tr("串口扫码枪：%1").replace("%1", p.suggested), p.suggested)
        self.combo.addItem(self.tr("其他串口…"), OTHER)
        self.other = QLineEdit(self)
        self.other.setPlaceholderText("COM4 / /dev/ttyACM0")
        self.other.setStyleSheet(BIG)
        self.combo.currentIndexChanged.connect(lambda: self.other.setVisible(self.combo.currentData() == OTHER))
        self.other.setVisible(False)
        layout.addWidget(self.combo)
        layout.addWidget(self.other)
        layout.addStretch(1)

    def scanner(self) -> str:
        data = self.combo.currentData()
        return self.other.text().strip() if data == OTHER else str(data or "")


class PinPage(QWizardPage):
    """The admin PIN that guards settings, exports and overrides."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("管理员 PIN"))
        self.setSubTitle(self.tr("修改设置、导出数据、人工改判都需要它。6–12 位数字，请交给负责的老师保管。"))
        form = QFormLayout(self)
        self.pin = QLineEdit(self)
        self.again = QLineEdit(self)
        for edit in (self.pin, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setStyleSheet("font-size:28px;")
            edit.textChanged.connect(self.completeChanged)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.tr("再输一次"), self.again)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828;font-size:16px;")
        form.addRow(self.error)

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        pin, again = self.pin.text(), self.again.text()
        ok = pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS
        self.error.setText("" if ok or not pin else self.tr("PIN 须为 6–12 位数字"))
        if ok and again and pin != again:
            self.error.setText(self.tr("两次输入不一致"))
        return ok and pin == again


class SetupFlow(QWizard):
    """See the module docstring. After ``exec()`` returns accepted, ``settings`` holds the written config."""

    def __init__(self, config_path: Path, parent: QWidget | None = None,
                 discover_fn: Callable[[], tuple[list[Any], list[Any]]] = discover,
                 probe_fn: Callable[[str], Any] = probe) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("门岗初次设置"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.resize(960, 720)
        self.config_path = config_path
        self.settings: Settings | None = None
        self.answers = SetupAnswers()
        cameras, ports = discover_fn()
        self.school_page = SchoolPage(self.answers)
        self.camera_page = CameraPage(cameras)
        self.thermometer_page = ThermometerPage(ports, probe_fn)
        self.scanner_page = ScannerPage(ports)
        self.pin_page = PinPage()
        for page in (self.school_page, self.camera_page, self.thermometer_page, self.scanner_page, self.pin_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("保存并开始"))
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("下一步"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("上一步"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("退出"))

    def collect(self) -> SetupAnswers:
        a = self.answers
        a.school_name = self.school_page.school.text().strip()
        a.gate_id = self.school_page.gate.text().strip()
        a.camera = self.camera_page.uri()
        page = self.thermometer_page
        # What was probed and shown is what is saved: a port typed after the probe is not kept with its result.
        kept = page.isComplete() and page.port() != ""
        a.thermometer = page.probed_port if kept else page.port()
        a.thermometer_config = dict(page.config) if kept else {}
        a.scanner = self.scanner_page.scanner()
        a.pin = self.pin_page.pin.text()
        return a

    def accept(self) -> None:
        answers = self.collect()
        try:
            self.settings = write_first_config(self.config_path, answers)
        except ConfigError as exc:
            self.pin_page.error.setText(str(exc))
            return
        self._stop_devices()
        super().accept()

    def reject(self) -> None:
        self._stop_devices()
        super().reject()

    def _stop_devices(self) -> None:
        self.camera_page.stop()
        self.thermometer_page.stop()
