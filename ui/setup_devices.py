"""The setup's device pages: the camera with its live picture, the thermometer found by probing, with live readings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, QWizardPage,
)

from kiosk.desk.firstrun import (
    CameraOpener, CameraPreview, ThermometerOpener, ThermometerWatch,
)
from ui.widgets import CameraView


OTHER = "\x00other"  # combo data of the "type an address" entry
BIG = "font-size:18px;min-height:40px;"


def choice_combo(parent: QWidget) -> QComboBox:
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


class CameraPage(QWizardPage):
    """Pick a camera and see its picture before keeping it."""

    def __init__(self, cameras: list[Any], open_camera: CameraOpener) -> None:
        super().__init__()
        self._open_camera = open_camera
        self.setTitle(self.tr("摄像头"))
        self.setSubTitle(self.tr("选择对着门岗的摄像头，确认下方能看到画面。只用扫码枪时可不选。"))
        layout = QVBoxLayout(self)
        self.combo = choice_combo(self)
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
        self._camera = CameraPreview(uri, self._open_camera).start()
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

    def __init__(self, ports: list[Any], probe_fn: Callable[[str], Any], open_thermometer: ThermometerOpener) -> None:
        super().__init__()
        self.setTitle(self.tr("测温仪"))
        self.setSubTitle(self.tr("选择测温仪的串口并点“自动识别”，然后把手放在探头前，看读数是否变化。"))
        self._probe_fn = probe_fn
        self._open_thermometer = open_thermometer
        layout = QVBoxLayout(self)
        self.combo = choice_combo(self)
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
        # Setup run again: the gate's port and settings, kept while they answer (probed only if not).
        self._saved: tuple[str, dict[str, Any]] | None = None
        self._auto_probing = False  # the probe running was started because the saved settings gave no reading
        self._auto_probed = False  # once per setup: a thermometer that stays silent is not probed over and over
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

    def use_saved(self, port: str, config: dict[str, Any]) -> None:
        """Setup run again: the gate's thermometer, read with its saved settings; probed only if it gives nothing.

        The port is chosen in the list first (``ui.setup_flow.choose``). Its readings are shown as with
        a probed one; 自动识别 probes anew, and so does a saved port that is lost or stays silent.
        """
        if self.port() != port:
            return  # not the port shown: nothing saved applies to it
        self._forget_probe()
        self._saved = (port, dict(config))
        self.config, self.probed_port = dict(config), port
        self.status.setText(self.tr("现在用的是 %1（%2 协议），下面是实时读数。换了测温仪才需要点“自动识别”。")
                            .replace("%1", port).replace("%2", str(config.get("thermometer_protocol", ""))))
        self._watch = ThermometerWatch(port, self.config, self._open_thermometer).start()
        self._timer.start()
        self.completeChanged.emit()

    def _reading_saved(self) -> bool:
        return self._saved is not None and self.probed_port == self._saved[0] and self.config == self._saved[1]

    def start_probe(self) -> None:
        port = self.port()
        if not port:
            self.status.setText(self.tr("请先选择或填写串口"))
            return
        self._forget_probe()
        self._auto_probing = False
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
        automatic, self._auto_probing = self._auto_probing, False
        if not result.found:
            if automatic and self._saved is not None and self._saved[0] == port:
                # Unplugged or switched off during setup: the saved settings stay (no dead end), and it is said.
                self.use_saved(*self._saved)
                self.status.setText(self.tr("%1 没有读数，自动识别也没有找到测温仪（%2）：保存时仍用原来的设置；"
                                            "请检查测温仪电源和连线后点“自动识别”。")
                                    .replace("%1", port).replace("%2", result.error))
                return
            self.status.setText(self.tr("没有识别出测温仪：%1").replace("%1", result.error))
            return
        self.config = dict(result.config)
        self.probed_port = port
        self.status.setText(self.tr("已识别：%1 协议，波特率 %2。下面是实时读数。")
                            .replace("%1", result.protocol).replace("%2", str(result.baud)))
        self._watch = ThermometerWatch(port, self.config, self._open_thermometer).start()
        self._timer.start()
        self.completeChanged.emit()

    def _on_timer_timeout(self) -> None:
        if self._watch is None:
            return
        values = self._watch.readings()
        if values:
            self.reading.setText(f"{values[-1]:.1f} °C")
        elif self._watch.state in ("lost", "reconnecting", "silent"):
            self.reading.setText(self.tr("无读数"))
            if self._reading_saved() and not self._auto_probed:
                self._auto_probed = True  # the saved settings do not answer: find what the port speaks now
                self.start_probe()
                self._auto_probing = True
                self.status.setText(self.tr("原来的设置没有读数：正在自动识别 %1（最多 10 秒）…").replace("%1", self.port()))

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        # A port is kept only as probed: the protocol saved is the one found on that very port.
        return self.combo.currentData() == "" or (bool(self.config) and self.probed_port == self.port())

    def stop(self) -> None:
        self._timer.stop()
        if self._watch is not None:
            self._watch.close()
            self._watch = None
