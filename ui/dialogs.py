"""Dialogs of the guard screen: typed temperature, override with reason, admin PIN, settings."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel,
    QLineEdit, QPlainTextEdit, QRadioButton, QScrollArea, QTabWidget, QVBoxLayout, QWidget,
)

from kiosk.domain.model import Decision, Element
from kiosk.domain.vocabulary import element_words
from kiosk.domain.policy import RULE_GROUPS, Policy
from ui.wedge import DEFAULT_GAP_S, TypedOnly


def scanned_not_typed() -> str:
    """Why a PIN field's text is refused before it is checked (ui.wedge.TypedOnly)."""
    return QCoreApplication.translate("PinEntry", "这是扫码枪扫入的内容，不是手输的 PIN：未核验，不计入尝试次数。"
                                                  "请用键盘输入 PIN")


class TemperatureDialog(QDialog):
    """The guard types a reading taken with a clinical thermometer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("手动录入体温"))
        layout = QVBoxLayout(self)
        self.spin = QDoubleSpinBox(self)
        self.spin.setRange(34.0, 42.5)
        self.spin.setDecimals(1)
        self.spin.setSingleStep(0.1)
        self.spin.setValue(36.5)
        self.spin.setSuffix(" °C")
        self.spin.setStyleSheet("font-size:36px;min-height:60px;")
        layout.addWidget(QLabel(self.tr("体温计读数："), self))
        layout.addWidget(self.spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def value(self) -> float:
        return round(self.spin.value(), 1)


class OverrideDialog(QDialog):
    """Override the verdict: PASS or DENY, and a reason that cannot be left empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("人工改判"))
        layout = QVBoxLayout(self)
        self.allow = QRadioButton(self.tr("放行"), self)
        self.deny = QRadioButton(self.tr("禁止入校"), self)
        self.allow.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.allow)
        group.addButton(self.deny)
        layout.addWidget(self.allow)
        layout.addWidget(self.deny)
        layout.addWidget(QLabel(self.tr("原因（必填，记入日志）："), self))
        self.reason = QPlainTextEdit(self)
        layout.addWidget(self.reason)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color:#c62828;")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def decision(self) -> Decision:
        return Decision.PASS if self.allow.isChecked() else Decision.DENY

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()

    def _on_buttons_accepted(self) -> None:
        if not self.reason_text():
            self.error.setText(self.tr("请填写改判原因"))
            return
        self.accept()


class PinDialog(QDialog):
    """Asks for the admin PIN (digits, hidden); a scanner's burst into the field is refused, not checked."""

    def __init__(self, purpose: str, parent: QWidget | None = None, gap_s: float = DEFAULT_GAP_S) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("管理员验证"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(purpose, self))
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setStyleSheet("font-size:28px;")
        self.typing = TypedOnly(self.pin, gap_s)
        layout.addWidget(self.pin)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828;font-size:16px;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def accept(self) -> None:
        if self.typing.scanned:
            self.error.setText(scanned_not_typed())  # not a PIN attempt: the dialog stays for a typed one
            self.pin.clear()
            return
        super().accept()

    def value(self) -> str:
        return self.pin.text().strip()


def scrolled(page: QWidget) -> QScrollArea:
    """A settings page that scrolls, so the dialog fits a 1280×800 gate PC whatever the page holds."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(page)
    return area


class SettingsDialog(QDialog):
    """Thresholds, lane rules, devices and paths; saved to the config file, applied on restart.

    Every page scrolls and the PIN and Save stay below the tabs, so the whole
    dialog fits 1280×800 (it was 1541 px tall with the rules on one page).
    """

    MODES = ("hard", "soft", "off")

    def __init__(self, settings: Any, parent: QWidget | None = None, pin_warning: str | None = None,
                 gap_s: float = DEFAULT_GAP_S) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("设置"))
        self.resize(760, 600)
        self._settings = settings
        layout = QVBoxLayout(self)
        tabs = QTabWidget(self)
        layout.addWidget(tabs)
        p: Policy = settings.policy

        thresholds = QWidget()
        form = QFormLayout(thresholds)
        # The range the kiosk starts with unattended (outside it an admin must confirm on the command line).
        self.fever = self._spin(min(37.0, p.fever_threshold_c), max(38.5, p.fever_threshold_c),
                                p.fever_threshold_c, 1, " °C")
        self.retake = self._spin(min(1, p.retake_wait_s), 600, p.retake_wait_s, 0, " s")
        self.nucleic = self._spin(1, 336, p.nucleic_window_h, 0, " h")
        self.display = self._spin(0.5, 30, settings.gate.result_display_s, 1, " s")
        self.timeout = self._spin(10, 600, settings.gate.visit_timeout_s, 0, " s")
        form.addRow(self.tr("发热阈值"), self.fever)
        form.addRow(self.tr("复测等待"), self.retake)
        form.addRow(self.tr("核酸有效期"), self.nucleic)
        form.addRow(self.tr("结果显示时长"), self.display)
        form.addRow(self.tr("单人核验超时"), self.timeout)
        form.addRow(self.tr("规则版本"), QLabel(self.tr("%1（改动阈值或规则后自动更新）").replace("%1", p.version)))
        tabs.addTab(scrolled(thresholds), self.tr("阈值"))

        rules = QWidget()
        rules_layout = QVBoxLayout(rules)
        self.rule_boxes: dict[tuple[str, str], QComboBox] = {}
        group_names = {"staff": self.tr("教职工"), "student": self.tr("学生"), "worker": self.tr("临时人员"),
                       "visitor": self.tr("访客")}
        for group in RULE_GROUPS:
            box = QGroupBox(group_names[group], rules)
            grid = QFormLayout(box)
            current = {r.element.value: r.mode.value for r in p.rules.get(group, ())}
            for element in Element:
                combo = QComboBox(box)
                combo.addItems([self.tr("必查（不通过则拒绝）"), self.tr("提示（放行并标记）"), self.tr("不查")])
                combo.setCurrentIndex(self.MODES.index(current.get(element.value, "off")))
                grid.addRow(element_words(element.value), combo)
                self.rule_boxes[(group, element.value)] = combo
            rules_layout.addWidget(box)
        tabs.addTab(scrolled(rules), self.tr("通道规则"))

        devices = QWidget()
        dform = QFormLayout(devices)
        d = settings.devices
        self.camera = QLineEdit(d.camera)
        self.thermo = QLineEdit(d.thermometer)
        self.scanner = QLineEdit(d.scanner)
        self.protocol = QComboBox()
        self.protocol.addItems(["ascii", "aa55", "gy-mcu", "modbus"])
        self.protocol.setCurrentText(d.thermometer_protocol)
        self.decoder = QComboBox()
        self.decoder.addItems(["zxing", "pyzbar", "auto"])
        self.decoder.setCurrentText(d.decoder)
        dform.addRow(self.tr("摄像头（v4l2:0 / msmf:0 / rtsp://… / 空=不用）"), self.camera)
        dform.addRow(self.tr("测温仪串口（/dev/ttyUSB0 / COM3 / usb:VID:PID / 空=手动）"), self.thermo)
        dform.addRow(self.tr("扫码枪（keyboard / 串口 / 空=不用）"), self.scanner)
        dform.addRow(self.tr("测温协议"), self.protocol)
        dform.addRow(self.tr("解码器"), self.decoder)
        tabs.addTab(scrolled(devices), self.tr("设备"))

        paths = QWidget()
        pform = QFormLayout(paths)
        self.db_url = QLineEdit(settings.database_url)
        self.data_dir = QLineEdit(str(settings.data_dir))
        pform.addRow(self.tr("数据库（SQLAlchemy URL）"), self.db_url)
        pform.addRow(self.tr("数据目录"), self.data_dir)
        tabs.addTab(scrolled(paths), self.tr("路径"))

        layout.addWidget(QLabel(self.tr("保存需要管理员 PIN；重启后生效。"), self))
        # A PIN from before (four digits, cheaper hash) still opens this dialog; say so where it is typed.
        self.pin_warning = QLabel(pin_warning or "", self)
        self.pin_warning.setWordWrap(True)
        self.pin_warning.setStyleSheet("color:#e65100;")
        self.pin_warning.setVisible(bool(pin_warning))
        layout.addWidget(self.pin_warning)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("管理员 PIN"))
        self.pin_typing = TypedOnly(self.pin, gap_s)  # a card scanned into the field is not a PIN attempt
        layout.addWidget(self.pin)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color:#c62828;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _on_buttons_accepted(self) -> None:
        if self.pin_typing.scanned:
            self.error.setText(scanned_not_typed())  # refused before any check: no PIN attempt used
            self.pin.clear()
            return
        self.accept()

    def _spin(self, lo: float, hi: float, value: float, decimals: int, suffix: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setRange(lo, hi)
        spin.setDecimals(decimals)
        spin.setValue(value)
        spin.setSuffix(suffix)
        return spin

    def changes(self) -> dict[str, dict[str, Any]]:
        rules: dict[str, dict[str, str]] = {}
        for (group, element), combo in self.rule_boxes.items():
            mode = self.MODES[combo.currentIndex()]
            if mode != "off":
                rules.setdefault(group, {})[element] = mode
        out: dict[str, dict[str, Any]] = {
            "policy": {"fever_threshold_c": round(self.fever.value(), 1), "retake_wait_s": self.retake.value(),
                       "nucleic_window_h": int(self.nucleic.value())},
            "policy.rules": rules,
            "gate": {"result_display_s": self.display.value(), "visit_timeout_s": self.timeout.value()},
            "devices": {"camera": self.camera.text().strip(), "thermometer": self.thermo.text().strip(),
                        "scanner": self.scanner.text().strip(),
                        "thermometer_protocol": self.protocol.currentText(), "decoder": self.decoder.currentText()},
            "paths": {"data_dir": self.data_dir.text().strip()},
        }
        if self.db_url.text().strip() != f"sqlite:///{self._settings.data_dir / 'entries.sqlite3'}":
            out["database"] = {"url": self.db_url.text().strip()}
        return out
