"""First-run setup in the window: school, gate, camera with live preview, thermometer with auto-probe, scanner, PIN.

Shown instead of the gate when nothing is configured to read codes with
(``Settings.needs_setup``), or by ``gate-kiosk setup``. Every device choice is
shown working before it is kept: the camera's picture, the thermometer's
protocol and its readings as they arrive. Finishing writes the config file
(``kiosk.firstrun.write_first_config``) and the admin PIN; the gate then
starts with them. Nothing is written to the entry log here.

Slow work (probing a port for up to 10 s) runs on a plain thread and reports
back through a queued signal; the previews are polled by a timer, so the
window never waits on a device.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, QWizard,
    QWizardPage,
)

from kiosk.access import PIN_MAX_DIGITS, PIN_MIN_DIGITS, AdminAccess
from kiosk.config import ConfigError, Settings, default_data_dir, load_settings
from kiosk.firstrun import (
    CameraPreview, SetupAnswers, ThermometerWatch, discover, gate_id_ok, probe, write_first_config,
)
from ui.busy import run_admin_step
from ui.dialogs import scanned_not_typed
from ui.wedge import SETTLE_S, SLOW_FACTOR, TypedOnly
from ui.widgets import CameraView

OTHER = "\x00other"  # combo data of the "type an address" entry
BIG = "font-size:18px;min-height:40px;"


def _combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.setStyleSheet(BIG)
    return combo


class EnterApplies(QObject):
    """Enter in a typed address first tries it (preview, probe); once it is shown working, Enter is 下一步.

    A QLineEdit passes Enter on to the wizard, whose default button is 下一步:
    the address typed would be kept without ever being shown working.
    ``apply`` returns False when there is nothing new to try.
    """

    def __init__(self, edit: QLineEdit, apply: Callable[[], bool]) -> None:
        super().__init__(edit)
        self._apply = apply
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return self._apply()  # not applied: the wizard's default button gets the Enter
        return False


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


class CameraPage(QWizardPage):
    """Pick a camera and see its picture before keeping it."""

    def __init__(self, cameras: list[Any]) -> None:
        super().__init__()
        self.setTitle(self.tr("摄像头"))
        self.setSubTitle(self.tr("选择对着门岗的摄像头，确认下方能看到画面。只用扫码枪时可不选。"))
        layout = QVBoxLayout(self)
        self.combo = _combo(self)
        for c in cameras:
            sizes = f"  {c.resolutions[0][0]}×{c.resolutions[0][1]}" if c.resolutions else ""
            self.combo.addItem(f"{c.name}（{c.uri}）{sizes}", c.uri)
        self.combo.addItem(self.tr("不使用摄像头（只用扫码枪）"), "")
        self.combo.addItem(self.tr("其他：网络摄像头地址或视频文件…"), OTHER)
        self.other = QLineEdit(self)
        self.other.setPlaceholderText("rtsp://user:pw@10.0.0.5/stream")
        self.other.setStyleSheet(BIG)
        self.other.editingFinished.connect(self._on_other_edited)
        EnterApplies(self.other, self._on_other_edited)
        layout.addWidget(self.combo)
        layout.addWidget(self.other)
        self.preview = CameraView(self)
        self.preview.setMinimumSize(480, 270)
        layout.addWidget(self.preview, 1)
        self.status = QLabel("", self)
        self.status.setStyleSheet("font-size:16px;")
        layout.addWidget(self.status)
        self._camera: CameraPreview | None = None
        self._shown_uri = ""  # the camera whose picture was seen: only that one can be kept
        self._timer = QTimer(self)
        self._timer.setInterval(80)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.combo.currentIndexChanged.connect(self._restart_preview)
        self._restart_preview()

    def uri(self) -> str:
        data = self.combo.currentData()
        return self.other.text().strip() if data == OTHER else str(data or "")

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        # Enter presses 下一步: it may only keep a camera whose picture was shown, or the choice of none.
        uri = self.uri()
        return self.combo.currentData() == "" or (bool(uri) and uri == self._shown_uri)

    def _on_other_edited(self) -> bool:
        if self._camera is not None and self._camera.uri == self.uri():
            return False  # already opened: nothing new to try
        self._restart_preview()
        return True

    def _restart_preview(self) -> None:
        self.other.setVisible(self.combo.currentData() == OTHER)
        self.stop()
        self._shown_uri = ""
        self.completeChanged.emit()
        uri = self.uri()
        if not uri:
            self.status.setText(self.tr("未选择摄像头") if self.combo.currentData() == OTHER
                                else self.tr("不使用摄像头：只用扫码枪读码"))
            return
        self.status.setText(self.tr("正在打开 %1 …").replace("%1", uri))
        self._camera = CameraPreview(uri).start()
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        camera = self._camera
        if camera is None:
            return
        image = camera.latest()
        if image is not None:
            self.preview.set_frame(image, [])
            self.status.setText(self.tr("画面正常：%1").replace("%1", camera.uri))
            if self._shown_uri != camera.uri:
                self._shown_uri = camera.uri
                self.completeChanged.emit()
        elif camera.state in ("lost", "reconnecting", "stalled", "error"):
            self.status.setText(self.tr("打不开这个摄像头：%1。请换一个或检查连接线。").replace("%1", camera.message))

    def stop(self) -> None:
        self._timer.stop()
        if self._camera is not None:
            self._camera.close()
            self._camera = None


class ThermometerPage(QWizardPage):
    """Pick the thermometer's port, find its protocol, and see readings arrive."""

    probed = Signal(object)

    def __init__(self, ports: list[Any], probe_fn: Callable[[str], Any]) -> None:
        super().__init__()
        self.setTitle(self.tr("测温仪"))
        self.setSubTitle(self.tr("选择测温仪的串口并点“自动识别”，然后把手放在探头前，看读数是否变化。"))
        self._probe_fn = probe_fn
        layout = QVBoxLayout(self)
        self.combo = _combo(self)
        for p in ports:
            usb = f" USB {p.vid_pid}" if p.vid_pid else ""
            self.combo.addItem(f"{p.suggested}（{p.description or p.device}{usb}）", p.suggested)
        self.combo.addItem(self.tr("不使用测温仪（门卫手动录入体温，F2）"), "")
        self.combo.addItem(self.tr("其他串口…（如 COM3、/dev/ttyUSB0）"), OTHER)
        self.other = QLineEdit(self)
        self.other.setPlaceholderText("COM3 / /dev/ttyUSB0")
        self.other.setStyleSheet(BIG)
        self.other.textChanged.connect(self._on_other_changed)
        EnterApplies(self.other, self._on_other_entered)
        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        self.probe_button = QPushButton(self.tr("自动识别"), self)
        self.probe_button.setStyleSheet(BIG + "padding:0 20px;")
        self.probe_button.clicked.connect(self.start_probe)
        row.addWidget(self.probe_button)
        layout.addLayout(row)
        layout.addWidget(self.other)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setStyleSheet("font-size:16px;")
        layout.addWidget(self.status)
        self.reading = QLabel("", self)
        self.reading.setStyleSheet("font-size:48px;font-weight:bold;")
        layout.addWidget(self.reading)
        layout.addStretch(1)
        self.config: dict[str, Any] = {}
        self.probed_port = ""  # the port ``config`` was found on: the one saved, never another typed since
        self._probe_round = 0  # a probe answering after the port changed is about another port: dropped
        self._watch: ThermometerWatch | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.probed.connect(self._on_probed)
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        self._on_combo_changed()

    def port(self) -> str:
        data = self.combo.currentData()
        return self.other.text().strip() if data == OTHER else str(data or "")

    def _forget_probe(self) -> None:
        self.stop()
        self._probe_round += 1
        self.config = {}
        self.probed_port = ""
        self.reading.setText("")

    def _on_other_changed(self) -> None:
        probing = not self.probe_button.isEnabled()
        if (self.config or probing) and self.port() != self.probed_port:
            self._forget_probe()  # the readings shown (or the answer awaited) are another port's
            self.probe_button.setEnabled(True)
            self.status.setText(self.tr("串口已改动，请重新点“自动识别”"))
            self.completeChanged.emit()

    def _on_combo_changed(self) -> None:
        self.other.setVisible(self.combo.currentData() == OTHER)
        self._forget_probe()
        self.probe_button.setEnabled(self.combo.currentData() != "")
        self.status.setText("" if self.combo.currentData() != "" else self.tr("不接测温仪：每人的体温由门卫按 F2 录入。"))
        self.completeChanged.emit()

    def _on_other_entered(self) -> bool:
        if self.port() and (self.port() == self.probed_port or not self.probe_button.isEnabled()):
            return False  # probed already (or being probed): Enter is the wizard's
        self.start_probe()
        return True

    def start_probe(self) -> None:
        port = self.port()
        if not port:
            self.status.setText(self.tr("请先选择或填写串口"))
            return
        self._forget_probe()
        self.completeChanged.emit()
        self.probe_button.setEnabled(False)
        self.status.setText(self.tr("正在识别 %1（最多 10 秒）…").replace("%1", port))
        round_ = self._probe_round
        threading.Thread(target=lambda: self.probed.emit((round_, port, self._probe_fn(port))),
                         name="setup-probe", daemon=True).start()

    def _on_probed(self, answer: tuple[int, str, Any]) -> None:
        round_, port, result = answer
        if round_ != self._probe_round or port != self.port():
            return  # the port was changed while it was probed: this answer is not about the one shown
        self.probe_button.setEnabled(True)
        if not result.found:
            self.status.setText(self.tr("没有识别出测温仪：%1").replace("%1", result.error))
            return
        self.config = dict(result.config)
        self.probed_port = port
        self.status.setText(self.tr("已识别：%1 协议，波特率 %2。下面是实时读数。")
                            .replace("%1", result.protocol).replace("%2", str(result.baud)))
        self._watch = ThermometerWatch(port, self.config).start()
        self._timer.start()
        self.completeChanged.emit()

    def _on_timer_timeout(self) -> None:
        if self._watch is None:
            return
        values = self._watch.readings()
        if values:
            self.reading.setText(f"{values[-1]:.1f} °C")
        elif self._watch.state in ("lost", "silent"):
            self.reading.setText(self.tr("无读数"))

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        # A port is kept only as probed: the protocol saved is the one found on that very port.
        return self.combo.currentData() == "" or (bool(self.config) and self.probed_port == self.port())

    def stop(self) -> None:
        self._timer.stop()
        if self._watch is not None:
            self._watch.close()
            self._watch = None


MAX_KEY_GAP_MS = 500  # the config's upper bound (kiosk.config): slower scanners cannot be told from typing


def key_gap_for(slowest_ms: float) -> int:
    """``devices.scanner_key_gap_ms`` for a scanner whose slowest key in a test scan came ``slowest_ms`` apart.

    Half as much again plus 10 ms: a scanner's pace varies a little from scan to scan (USB polling),
    and a gap set at its very slowest key would cut some scans in two. At least 40 ms; above
    ``MAX_KEY_GAP_MS`` the scanner is too slow to use as a keyboard.
    """
    return max(40, int(slowest_ms * 1.5) + 10)


class ScanTiming(QObject):
    """Times the keys of a test scan typed into a field; Enter ends it (and is kept from the wizard)."""

    def __init__(self, edit: QLineEdit, on_scan: Callable[[list[float]], None]) -> None:
        super().__init__(edit)
        self._times: list[float] = []
        self._on_scan = on_scan
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if not isinstance(event, QKeyEvent) or event.type() != QEvent.Type.KeyPress:
            return False
        stamp = event.timestamp()
        now = stamp / 1000.0 if stamp else time.monotonic()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            times, self._times = self._times, []
            self._on_scan([b - a for a, b in zip(times, times[1:])])
            return True  # the scan's Enter is not 下一步
        if event.text() and event.text().isprintable():
            self._times.append(now)
        return False


class ScannerPage(QWizardPage):
    """An optional handheld or fixed QR scanner; a keyboard one is timed with a test scan.

    A keyboard scanner's keys must come faster than ``devices.scanner_key_gap_ms`` or the window
    cannot tell its scan from the guard's keys (a slow one then has its scans dropped). The test
    scan measures this scanner's slowest key and sets the gap from it.
    """

    def __init__(self, ports: list[Any]) -> None:
        super().__init__()
        self.setTitle(self.tr("扫码枪（可选）"))
        self.setSubTitle(self.tr("没有扫码枪就直接下一步。键盘式扫码枪插上即可用；串口扫码枪请选它的串口。"))
        layout = QVBoxLayout(self)
        self.combo = _combo(self)
        self.combo.addItem(self.tr("不使用扫码枪"), "")
        self.combo.addItem(self.tr("键盘式扫码枪（USB，扫完自动回车）"), "keyboard")
        for p in ports:
            self.combo.addItem(self.tr("串口扫码枪：%1").replace("%1", p.suggested), p.suggested)
        self.combo.addItem(self.tr("其他串口…"), OTHER)
        self.other = QLineEdit(self)
        self.other.setPlaceholderText("COM4 / /dev/ttyACM0")
        self.other.setStyleSheet(BIG)
        self.test_scan = QLineEdit(self)
        self.test_scan.setPlaceholderText(self.tr("点这里，再用扫码枪扫任意一个码：测量扫码枪的速度"))
        self.test_scan.setStyleSheet(BIG)
        ScanTiming(self.test_scan, self._on_test_scan)
        self.timing = QLabel("", self)
        self.timing.setWordWrap(True)
        self.timing.setStyleSheet("font-size:16px;")
        self.key_gap_ms = 0  # measured; 0 until a test scan was made
        self.combo.currentIndexChanged.connect(self._on_combo_changed)
        self.other.setVisible(False)
        layout.addWidget(self.combo)
        layout.addWidget(self.other)
        layout.addWidget(self.test_scan)
        layout.addWidget(self.timing)
        layout.addStretch(1)
        self._on_combo_changed()

    def _on_combo_changed(self) -> None:
        self.other.setVisible(self.combo.currentData() == OTHER)
        keyboard = self.combo.currentData() == "keyboard"
        self.test_scan.setVisible(keyboard)
        self.timing.setVisible(keyboard)

    def _on_test_scan(self, gaps: list[float]) -> None:
        self.test_scan.clear()
        if len(gaps) < 3:
            self.timing.setText(self.tr("没有测到扫码：请点输入框后扫一个码（不要手动输入）"))
            return
        slowest = round(max(gaps) * 1000)  # whole milliseconds: key timestamps are whole milliseconds
        gap = key_gap_for(slowest)
        self.key_gap_ms = gap if gap <= MAX_KEY_GAP_MS else 0
        if not self.key_gap_ms:
            self.timing.setText(self.tr("这个扫码枪太慢（最慢 %1 毫秒一个键），无法与门卫按键区分：请把它设为快速模式，"
                                        "或改用串口扫码枪").replace("%1", str(round(slowest))))
            return
        self.timing.setText(self.tr("扫码枪最慢 %1 毫秒一个键：按键间隔设为 %2 毫秒。门卫的单键操作约 %3 毫秒后生效。")
                            .replace("%1", str(round(slowest))).replace("%2", str(self.key_gap_ms))
                            .replace("%3", str(round(gap * SLOW_FACTOR + 2 * SETTLE_S * 1000))))

    def scanner(self) -> str:
        data = self.combo.currentData()
        return self.other.text().strip() if data == OTHER else str(data or "")


class PinPage(QWizardPage):
    """The admin PIN that guards settings, exports and overrides.

    On a gate that has a PIN already (setup run again) the page asks for the current PIN, up front
    and labelled so: setup does not change it (``gate-kiosk admin set-pin`` does), it only proves
    the person changing the gate's settings may.
    """

    def __init__(self, has_pin: bool = False) -> None:
        super().__init__()
        self.has_pin = has_pin
        self.setTitle(self.tr("管理员 PIN"))
        if has_pin:
            self.setSubTitle(self.tr("此门岗已设置管理员 PIN：请输入现有的 PIN 以保存设置。这里不修改 PIN"
                                     "（修改请用 gate-kiosk admin set-pin）。"))
        else:
            self.setSubTitle(self.tr("修改设置、导出数据、人工改判都需要它。6–12 位数字，请交给负责的老师保管。"))
        form = QFormLayout(self)
        self.pin = QLineEdit(self)
        self.again = QLineEdit(self)
        for edit in (self.pin, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setStyleSheet("font-size:28px;")
            edit.textChanged.connect(self.completeChanged)
        self.typing = TypedOnly(self.pin)  # a card scanned into the field is refused, not tried
        form.addRow(self.tr("现有的 PIN") if has_pin else self.tr("PIN"), self.pin)
        if has_pin:
            self.again.setVisible(False)
        else:
            form.addRow(self.tr("再输一次"), self.again)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828;font-size:16px;")
        form.addRow(self.error)

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        pin, again = self.pin.text(), self.again.text()
        if self.has_pin:
            return pin.isdigit()  # checked against the file when saving (a PIN from before may be shorter)
        ok = pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS
        self.error.setText("" if ok or not pin else self.tr("PIN 须为 6–12 位数字"))
        if ok and again and pin != again:
            self.error.setText(self.tr("两次输入不一致"))
        return ok and pin == again


def choose(combo: QComboBox, other: QLineEdit, value: str) -> None:
    """Pick ``value`` in a device list, or type it as "other" when the list does not have it."""
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
    elif value:
        combo.setCurrentIndex(combo.findData(OTHER))
        other.setText(value)
        other.setVisible(True)


def existing_settings(config_path: Path) -> Settings | None:
    """The gate's config when setup is run again (its values are where setup starts), else None."""
    if not config_path.exists():
        return None
    try:
        return load_settings(config_path)
    except ConfigError:
        return None  # a broken file: setup starts from the defaults and rewrites what it asks


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
        before = existing_settings(config_path)
        if before is not None:  # setup run again: it starts from what the gate has
            self.answers.school_name, self.answers.gate_id = before.site.school_name, before.site.gate_id
        cameras, ports = discover_fn()
        self.school_page = SchoolPage(self.answers)
        self.camera_page = CameraPage(cameras)
        self.thermometer_page = ThermometerPage(ports, probe_fn)
        self.scanner_page = ScannerPage(ports)
        data_dir = before.data_dir if before is not None else default_data_dir()
        self.pin_page = PinPage(has_pin=AdminAccess(data_dir).has_pin)
        if before is not None and not before.needs_setup:  # a working gate's devices ("" is a choice: none)
            d = before.devices
            choose(self.camera_page.combo, self.camera_page.other, d.camera)
            if self.camera_page.combo.currentData() == OTHER:
                self.camera_page._on_other_edited()  # its picture is shown before it is kept again
            choose(self.thermometer_page.combo, self.thermometer_page.other, d.thermometer)
            if d.thermometer:
                self.thermometer_page.status.setText(
                    self.tr("现在用的是 %1（%2 协议）：请点“自动识别”确认它仍然工作。")
                    .replace("%1", d.thermometer).replace("%2", d.thermometer_protocol))
            choose(self.scanner_page.combo, self.scanner_page.other, d.scanner)
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
        a.scanner_key_gap_ms = self.scanner_page.key_gap_ms
        a.pin = self.pin_page.pin.text()
        return a

    def accept(self) -> None:
        if self.pin_page.typing.scanned:
            self.pin_page.error.setText(scanned_not_typed())  # not tried: no attempt used
            self.pin_page.pin.clear()
            return
        answers = self.collect()
        path = self.config_path
        # Checking the current PIN or hashing a new one takes scrypt's 0.3–0.7 s: off the GUI thread.
        written = run_admin_step(self, self.tr("保存设置"), self.tr("正在保存设置…"),
                                 lambda abandoned: write_first_config(path, answers), (ConfigError,))
        if not written.ok:
            self.pin_page.error.setText(written.refusal or "")
            return
        self.settings = written.value
        self._stop_devices()
        super().accept()

    def reject(self) -> None:
        self._stop_devices()
        super().reject()

    def _stop_devices(self) -> None:
        self.camera_page.stop()
        self.thermometer_page.stop()
