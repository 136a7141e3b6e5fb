"""First-run setup in the window: school, gate, camera with live preview, thermometer with auto-probe, scanner, PIN.

Shown instead of the gate when nothing is configured to read codes with
(``Settings.needs_setup``), or by ``gate-kiosk setup``. Every device choice is
shown working before it is kept: the camera's picture, the thermometer's
protocol and its readings as they arrive. Finishing writes the config file
(``kiosk.desk.firstrun.write_first_config``) and the admin PIN; the gate then
starts with them. Nothing is written to the entry log here, except the audit
of a PIN changed when setup is run again (as ``gate-kiosk admin set-pin`` does).

Slow work (probing a port for up to 10 s) runs on a plain thread and reports
back through a queued signal; the previews are polled by a timer, so the
window never waits on a device.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget, QWizard,
    QWizardPage,
)

from kiosk.services.access import AdminAccess, as_pin, is_digits, is_new_pin
from kiosk.config.loading import load_settings
from kiosk.config.settings import ConfigError, Settings, default_data_dir
from kiosk.desk.firstrun import (
    DeviceOpeners, LedgerStore, SetupAnswers, discover, gate_id_ok, probe, saved_thermometer_config,
    write_first_config,
)
from ui.busy import run_admin_step
from ui.dialogs import scanned_not_typed
from ui.wedge import TypedOnly
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

    def gate_id(self) -> str:
        """The gate id as typed, full-width letters and digits (a Chinese input method's) as ASCII."""
        return unicodedata.normalize("NFKC", self.gate.text()).strip()

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        # The gate id is checked here, where it is typed, not only when the file is written at the end.
        gate = self.gate_id()
        ok = gate_id_ok(gate)
        school = self.school.text().strip()
        if gate and not ok:
            self.error.setText(self.tr("门岗编号只能用字母、数字、-、_、.，最多 40 个（如 east-1）"))
        elif not school and self.school.isModified():
            self.error.setText(self.tr("请填写学校名称：它出现在导出的报表上"))  # said once the field was touched
        else:
            self.error.setText("")
        return bool(school) and ok


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
        self.combo = choice_combo(self)
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
        self.timing.setText(self.tr("扫码枪最慢 %1 毫秒一个键：按键间隔设为 %2 毫秒。")
                            .replace("%1", str(round(slowest))).replace("%2", str(self.key_gap_ms)))

    def scanner(self) -> str:
        data = self.combo.currentData()
        return self.other.text().strip() if data == OTHER else str(data or "")


class PinPage(QWizardPage):
    """The admin PIN that guards settings, exports and overrides.

    On a gate that has a PIN already (setup run again) the page asks for the current PIN, up front
    and labelled so: it proves the person changing the gate's settings may. A new PIN may be given
    too (optional); a PIN from before that is now too short (4 digits) still unlocks until it is
    changed, and the page says so in one line (``weakness``).
    """

    def __init__(self, has_pin: bool = False, weakness: str | None = None) -> None:
        super().__init__()
        self.has_pin = has_pin
        self.setTitle(self.tr("管理员 PIN"))
        if has_pin:
            self.setSubTitle(self.tr("此门岗已设置管理员 PIN：请输入现有的 PIN 以保存设置。要更换 PIN 就再填新的。"))
        else:
            self.setSubTitle(self.tr("修改设置、导出数据、人工改判都需要它。6–12 位数字，请交给负责的老师保管。"))
        form = QFormLayout(self)
        self.pin = QLineEdit(self)
        self.again = QLineEdit(self)
        self.new_pin = QLineEdit(self)  # setup run again: the PIN replacing the current one (may stay empty)
        self.new_again = QLineEdit(self)
        for edit in (self.pin, self.again, self.new_pin, self.new_again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setStyleSheet("font-size:28px;")
            edit.textChanged.connect(self.completeChanged)
        # A card scanned into a field is refused, not tried (nor set as the new PIN).
        self.typing = TypedOnly(self.pin)
        self.new_typing = TypedOnly(self.new_pin)
        self.weakness = QLabel("", self)
        self.weakness.setWordWrap(True)
        self.weakness.setStyleSheet("color:#e65100;font-size:16px;")
        if has_pin:
            form.addRow(self.tr("现有的 PIN"), self.pin)
            if weakness:
                self.weakness.setText(self.tr("现有的 PIN 是旧规则下设的（如 4 位）：新 PIN 须为 6–12 位数字；"
                                              "旧 PIN 在更换前仍可使用，请在下面设一个新的。"))
                form.addRow(self.weakness)
            form.addRow(self.tr("新 PIN（不换可不填）"), self.new_pin)
            form.addRow(self.tr("再输一次新 PIN"), self.new_again)
            self.again.setVisible(False)
        else:
            form.addRow(self.tr("PIN"), self.pin)
            form.addRow(self.tr("再输一次"), self.again)
            self.new_pin.setVisible(False)
            self.new_again.setVisible(False)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828;font-size:16px;")
        form.addRow(self.error)

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        if self.has_pin:
            # The current PIN is checked against the file when saving (a PIN from before may be shorter).
            new = self.new_pin.text()
            return is_digits(as_pin(self.pin.text())) and (not new or self._new_pin_ok(new, self.new_again.text()))
        return self._new_pin_ok(self.pin.text(), self.again.text())

    def _new_pin_ok(self, pin: str, again: str) -> bool:
        ok = is_new_pin(pin)
        self.error.setText("" if ok or not pin else self.tr("PIN 须为 6–12 位数字"))
        if ok and again and pin != again:
            self.error.setText(self.tr("两次输入不一致"))
        return ok and pin == again

    def scanned(self) -> bool:
        """A field holds (part of) a scanner's burst: refused without trying it."""
        return self.typing.scanned or (self.has_pin and self.new_typing.scanned)


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
                 probe_fn: Callable[[str], Any] = probe, *, openers: DeviceOpeners,
                 open_ledger: Callable[[Settings], LedgerStore] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("门岗初次设置"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.resize(960, 720)
        self.config_path = config_path
        self._open_ledger = open_ledger  # kiosk.app.build_store: a PIN change is recorded in the gate's log
        self.settings: Settings | None = None
        self.answers = SetupAnswers()
        before = existing_settings(config_path)
        if before is not None:  # setup run again: it starts from what the gate has
            self.answers.school_name, self.answers.gate_id = before.site.school_name, before.site.gate_id
        cameras, ports = discover_fn()
        self.school_page = SchoolPage(self.answers)
        self.camera_page = CameraPage(cameras, openers.camera)
        self.thermometer_page = ThermometerPage(ports, probe_fn, openers.thermometer)
        self.scanner_page = ScannerPage(ports)
        data_dir = before.data_dir if before is not None else default_data_dir()
        access = AdminAccess(data_dir)
        self.pin_page = PinPage(has_pin=access.has_pin, weakness=access.weakness())
        if before is not None and not before.needs_setup:  # a working gate's devices ("" is a choice: none)
            d = before.devices
            choose(self.camera_page.combo, self.camera_page.other, d.camera)
            if self.camera_page.combo.currentData() == OTHER:
                self.camera_page._on_other_edited()  # its picture is shown before it is kept again
            choose(self.thermometer_page.combo, self.thermometer_page.other, d.thermometer)
            if d.thermometer:  # read with the saved settings; probed only when asked or when it gives nothing
                self.thermometer_page.use_saved(d.thermometer, saved_thermometer_config(d))
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
        a.gate_id = self.school_page.gate_id()
        a.camera = self.camera_page.uri()
        page = self.thermometer_page
        # What was probed and shown is what is saved: a port typed after the probe is not kept with its result.
        kept = page.isComplete() and page.port() != ""
        a.thermometer = page.probed_port if kept else page.port()
        a.thermometer_config = dict(page.config) if kept else {}
        a.scanner = self.scanner_page.scanner()
        a.scanner_key_gap_ms = self.scanner_page.key_gap_ms
        a.pin = self.pin_page.pin.text()
        a.new_pin = self.pin_page.new_pin.text() if self.pin_page.has_pin else ""
        return a

    def accept(self) -> None:
        if self.pin_page.scanned():
            page = self.pin_page
            for edit in (page.pin, page.again, page.new_pin, page.new_again):
                edit.clear()
            # Said after the fields are cleared: clearing re-checks the page, which empties the message.
            page.error.setText(scanned_not_typed())  # not tried: no attempt used
            return
        answers = self.collect()
        path, open_ledger = self.config_path, self._open_ledger
        # Checking the current PIN or hashing a new one takes scrypt's 0.3–0.7 s: off the GUI thread.
        written = run_admin_step(self, self.tr("保存设置"), self.tr("正在保存设置…"),
                                 lambda abandoned: write_first_config(path, answers, open_ledger), (ConfigError,))
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


def run_setup(config_path: Path, openers: DeviceOpeners, open_ledger: Callable[[Settings], LedgerStore] | None = None,
              screenshot: Path | str | None = None, quit_after: float | None = None) -> Settings | None:
    """The first-run setup, modal: the settings it wrote, or None when it was left without saving.

    With ``quit_after`` it leaves after that many seconds (``run --setup --quit-after``: does the setup open?),
    saving a picture of itself first when there is a ``screenshot``, and raises :class:`SetupTimedOut`.
    """
    flow = SetupFlow(config_path, openers=openers, open_ledger=open_ledger)
    timed_out: list[bool] = []
    timer = QTimer(flow)  # the setup's own: saved or left sooner, it does not go off in the gate's window
    timer.setSingleShot(True)
    if quit_after is not None:
        def leave() -> None:
            if screenshot is not None:
                flow.grab().save(str(screenshot))
            timed_out.append(True)
            flow.reject()
        timer.timeout.connect(leave)
        timer.start(int(quit_after * 1000))
    saved = flow.exec()
    timer.stop()
    if timed_out:
        raise SetupTimedOut(quit_after)
    return flow.settings if saved else None


class SetupTimedOut(Exception):
    """``quit_after`` closed the setup, not a person: the timed run ends there (no gate opens after it)."""
