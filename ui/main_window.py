"""The guard's main window: one glance per person, from two metres, with gloves on.

Left: the camera with decoded codes outlined, and the three element tiles
(code, temperature, mask). Right: the verdict banner with reasons in plain
words, the guard's actions (each a big button and a key), and tabs for today's
flagged people and figures. In the worker lane the temporary-worker panel
(registration form) shows under the camera, so the right side stays the same.
Bottom: device status in words, with what to do.

The window receives the gate controller, the guard desk and the Qt bridge;
it holds no rules and makes no database calls of its own.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QPushButton,
    QSizePolicy, QSplitter, QStatusBar, QTabWidget, QVBoxLayout, QWidget,
)

from kiosk.desk.actions import KEY_OF, KEYMAP, KIND_ACTIONS, GuardAction
from kiosk.desk.guard_desk import GuardDesk
from kiosk.domain.model import Lane
from kiosk.services.gate import GateController, VisitSnapshot
from ui.bridge import QtBridge
from ui.busy import ADMIN_WAIT_S
from ui.panels import BIG_BUTTON, FlaggedList, KindBar, RetakeList, TodayPanel, WorkerPanel
from ui.wedge import DEFAULT_GAP_S, KeyboardWedge
from ui.widgets import CameraView, ElementTile, NoticeLabel, StatusLight, VerdictBanner
from ui.window_slots import WindowSlots

ASSETS = Path(__file__).resolve().parent / "assets"


log = logging.getLogger(__name__)


class MainWindow(WindowSlots):
    """See the module docstring."""

    person_cleared = Signal()
    today_changed = Signal()  # emitted from the today-figures thread; delivered queued on the GUI thread

    def __init__(self, controller: GateController, bridge: QtBridge, desk: GuardDesk | None = None,
                 *, sound: bool = True, flash: bool = True, language: str = "zh", speaker: Any = None) -> None:
        super().__init__()
        self.language = "en" if language.startswith("en") else "zh"
        if desk is not None:
            desk.language = self.language
        self._controller = controller
        self._desk = desk
        self._lose_unsaved = False  # the guard chose to close with entries not saved
        self.admin_wait_s = ADMIN_WAIT_S  # how long a PIN check may wait for a locked database
        self.unsaved_box: QMessageBox | None = None
        self._bridge = bridge
        self._flash_enabled = flash
        self._visit: VisitSnapshot | None = None
        self.setWindowTitle(self.tr("校园门岗入校核验"))
        self.resize(1280, 800)

        root = QWidget(self)
        outer = QVBoxLayout(root)
        outer.setContentsMargins(8, 8, 8, 4)
        outer.addLayout(self._build_top_bar())
        splitter = QSplitter(Qt.Orientation.Horizontal, root)
        splitter.addWidget(self._build_left())
        splitter.addWidget(self._build_right())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)
        self.setCentralWidget(root)
        self._build_status_bar()
        self._build_shortcuts()
        self._alert = self._build_alert(sound)
        # A keyboard-wedge QR scanner "types" codes into the window: read them like the camera's
        # (an application-wide key filter while the window is shown; see showEvent/closeEvent).
        gap_s = desk.settings.devices.scanner_key_gap_ms / 1000 if desk is not None else DEFAULT_GAP_S
        self.wedge = KeyboardWedge(self._on_wedge_code, gap_s=gap_s, parent=self, on_single_key=self._on_single_key,
                                   on_unreadable=self._on_wedge_unreadable, on_tentative_key=self._on_tentative_key,
                                   on_keys_settled=self._controller.settle_guard_keys)
        self._unreadable_timer = QTimer(self)  # the banner's "scan not read" line goes after a while
        self._unreadable_timer.setSingleShot(True)
        self._unreadable_timer.setInterval(8000)
        self._unreadable_timer.timeout.connect(lambda: self.banner.set_device_problem("scan", None))
        self._build_speech(speaker, bridge)

        bridge.visit_changed.connect(self._on_bridge_visit_changed)
        bridge.entry_logged.connect(self._on_bridge_entry_logged)
        bridge.frame_received.connect(self._on_bridge_frame_received)
        bridge.device_status_changed.connect(self._on_bridge_device_status_changed)
        bridge.storage_problem_changed.connect(self._on_bridge_storage_problem_changed)
        bridge.entry_committed.connect(self._on_bridge_entry_committed)
        # Today's figures follow committed entries (kiosk/desk/today.py); the timer only re-reads the calibration.
        self.today_changed.connect(self._show_today)
        if desk is not None:
            desk.watch_today(self.today_changed.emit)
        self._refresh = QTimer(self)
        self._refresh.setInterval(5000)  # the sync worker's latest status; the calibration once a minute
        self._refresh.timeout.connect(self._on_refresh_timeout)
        self._refresh.start()
        self._retake_timer = QTimer(self)  # the retake list's countdown
        self._retake_timer.setInterval(1000)
        self._retake_timer.timeout.connect(self._refresh_retakes)
        self._retake_timer.start()
        self._select_lane(controller.lane)
        server = getattr(getattr(getattr(desk, "codes", None), "verifier", None), "server", None)
        if server is not None:
            self.watch_issuer(server)
        self._on_refresh_timeout()

    # ------------------------------------------------------------- building
    def _build_top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        title = QLabel(self.tr("入校三要素核验：验码 · 测温 · 戴口罩"), self)
        title.setStyleSheet("font-size:22px;font-weight:bold;")
        bar.addWidget(title, 1)
        self.lane_buttons: dict[Lane, QPushButton] = {}
        group = QButtonGroup(self)
        for lane, text in ((Lane.CAMPUS, self.tr("师生通道 (F9)")), (Lane.WORKER, self.tr("临时人员专用通道 (F10)"))):
            b = QPushButton(text, self)
            b.setCheckable(True)
            b.setStyleSheet("QPushButton{font-size:20px;min-height:48px;padding:0 16px;}"
                            "QPushButton:checked{background:#1565c0;color:white;}")
            b.clicked.connect(lambda _=False, lane=lane: self._select_lane(lane))
            group.addButton(b)
            bar.addWidget(b)
            self.lane_buttons[lane] = b
        self.export_button = QPushButton(self.tr("导出"), self)
        self.export_button.setStyleSheet("font-size:16px;min-height:48px;")
        self.export_button.clicked.connect(self.open_export)
        bar.addWidget(self.export_button)
        self.settings_button = QPushButton(self.tr("设置"), self)
        self.settings_button.setStyleSheet("font-size:16px;min-height:48px;")
        self.settings_button.clicked.connect(self.open_settings)
        bar.addWidget(self.settings_button)
        return bar

    def _build_left(self) -> QWidget:
        left = QWidget(self)
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        self.camera = CameraView(left)
        layout.addWidget(self.camera, 1)
        tiles = QHBoxLayout()
        self.tiles = {"code": ElementTile(self.tr("验码"), left), "temperature": ElementTile(self.tr("测温"), left),
                      "mask": ElementTile(self.tr("口罩"), left)}
        for t in self.tiles.values():
            tiles.addWidget(t)
        layout.addLayout(tiles)
        self.person_label = QLabel("", left)
        self.person_label.setStyleSheet("font-size:20px;")
        layout.addWidget(self.person_label)
        kinds = [(kind.value, KEY_OF[action], self.action_label(action)) for action, kind in KIND_ACTIONS.items()]
        returning = (KEY_OF[GuardAction.RETURNING], self.action_label(GuardAction.RETURNING))
        self.kind_bar = KindBar(kinds, returning, left)
        self.kind_bar.kind_chosen.connect(self._on_kind_bar_kind_chosen)
        self.kind_bar.returning_toggled.connect(lambda: self.act(GuardAction.RETURNING))
        layout.addWidget(self.kind_bar)
        # The worker lane's form under the camera, beside the kinds it registers: the right side keeps
        # the banner, the keys and today's flagged list where they are in both lanes (at 1280x800 the
        # form beside them left the flagged list only its tab names).
        self.worker_panel = WorkerPanel(left)
        self.worker_panel.registered.connect(self._on_worker_panel_registered)
        self.worker_panel.handoff_requested.connect(self._on_worker_panel_handoff_requested)
        layout.addWidget(self.worker_panel)
        self.retake_list = RetakeList(left)
        self.retake_list.resume_requested.connect(self._on_retake_list_resume_requested)
        self.retake_list.setVisible(False)
        layout.addWidget(self.retake_list)
        return left

    def _build_right(self) -> QWidget:
        right = QWidget(self)
        layout = QVBoxLayout(right)
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = VerdictBanner(right)
        layout.addWidget(self.banner)
        self.notice = NoticeLabel(right)  # a refused action, said where the guard is looking
        layout.addWidget(self.notice)
        actions = QGridLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        grid = (
            (GuardAction.HEALTH_GREEN, GuardAction.HEALTH_YELLOW, GuardAction.HEALTH_RED, GuardAction.CONFIRM_IDENTITY),
            (GuardAction.CONFIRM_MASK, GuardAction.TYPE_TEMPERATURE, GuardAction.ITINERARY_OK, GuardAction.VACCINE_OK),
            (GuardAction.OVERRIDE, GuardAction.OBSERVATION, GuardAction.NUCLEIC_NEGATIVE, GuardAction.NEXT),
        )
        colours = {GuardAction.HEALTH_GREEN: "background:#1b7f3a;color:white;",
                   GuardAction.HEALTH_YELLOW: "background:#f2a900;color:#1a1a1a;",
                   GuardAction.HEALTH_RED: "background:#c62828;color:white;",
                   GuardAction.NEXT: "background:#1565c0;color:white;"}
        for r, row in enumerate(grid):
            for c, action in enumerate(row):
                b = QPushButton(f"{self.action_label(action)}\n[{KEY_OF[action]}]", right)
                # Four to a row beside the camera at 1280 px: a size that fits the longest label.
                b.setStyleSheet(BIG_BUTTON + "font-size:16px;padding:2px 2px;" + colours.get(action, ""))
                b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                b.clicked.connect(lambda _=False, a=action: self.act(a))
                actions.addWidget(b, r, c)
                self.action_buttons[action.value] = b
        # Names kept from the first layout (tests and docs refer to them).
        self.action_buttons["confirm_code"] = self.action_buttons[GuardAction.HEALTH_GREEN.value]
        self.action_buttons["confirm_itinerary"] = self.action_buttons[GuardAction.ITINERARY_OK.value]
        self.action_buttons["next"] = self.action_buttons[GuardAction.NEXT.value]
        layout.addLayout(actions)
        self.shortcut_help = QLabel(self.tr("其他快捷键：F7 登记 · F8 交接 · Shift+F4 行程卡异常 · Shift+F12 未接种 · "
                                            "F9/F10 切换通道 · F11 全屏"), right)
        self.shortcut_help.setStyleSheet("color:#546e7a;font-size:14px;")
        self.shortcut_help.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.shortcut_help.setWordWrap(True)  # the English line is longer than the panel at 1280 px: two lines
        layout.addWidget(self.shortcut_help)
        self.tabs = QTabWidget(right)
        self.flagged = FlaggedList(self.tabs, self.language)
        self.flagged.follow_up_requested.connect(self._on_flagged_follow_up_requested)
        self.today = TodayPanel(self.tabs, self.language)
        self.tabs.addTab(self.flagged, self.tr("今日异常"))
        self.tabs.addTab(self.today, self.tr("今日概况"))
        # The tabs take whatever height is left below the keys: three flagged rows or more at 1280x800 in both
        # lanes, down to their tab names when a banner with many reasons or a long refusal needs the height.
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.tabs.setMinimumHeight(self.tabs.tabBar().sizeHint().height() + 4)  # never less than its tab names
        layout.addWidget(self.tabs, 1)
        return right

    def _build_status_bar(self) -> None:
        bar = QStatusBar(self)
        self.lights = {"camera": StatusLight(self.tr("摄像头"), bar), "thermometer": StatusLight(self.tr("测温仪"), bar),
                       "database": StatusLight(self.tr("数据库"), bar), "decoder": StatusLight(self.tr("解码"), bar),
                       "calibration": StatusLight(self.tr("校准"), bar), "face": StatusLight(self.tr("人脸检测"), bar)}
        if self._desk is not None and self._desk.sync is not None:
            self.lights["sync"] = StatusLight(self.tr("同步"), bar)
            self.lights["school"] = StatusLight(self.tr("全校今日"), bar)
        for light in self.lights.values():
            bar.addWidget(light)  # no stretch: each its own width (stretch shares the bar equally)
        self.lights["database"].set_state("ok", "")
        decoder = self._desk.decoder_name if self._desk else "zxing"
        self.lights["decoder"].set_state("ok", decoder, decoder)
        self.setStatusBar(bar)
        self._show_configured_devices()

    def _show_configured_devices(self) -> None:
        """A part the gate does not have is said so (a scanner-only gate showed 等待摄像头画面… and 未知 lights)."""
        if self._desk is None:
            return
        devices = self._desk.settings.devices
        if not devices.camera:
            self.camera.idle_text = self.tr("未接摄像头：请用扫码枪扫码")
            self.lights["camera"].set_state("stopped", "", self.tr("未使用"))
            self.lights["face"].set_state("stopped", self.tr("没有摄像头，不做人脸检测"), self.tr("未使用"))
        if not devices.thermometer:
            self.lights["thermometer"].set_state("stopped", self.tr("未配置测温仪：体温由门卫按 F2 录入"), self.tr("未使用"))
        if devices.scanner:
            light = StatusLight(self.tr("扫码枪"), self.statusBar())
            self.statusBar().insertWidget(1, light)  # beside the camera: the gate's code readers together
            self.lights["scanner"] = light
            if devices.scanner == "keyboard":  # a keyboard cannot be asked whether it is plugged in
                light.set_state("unknown", self.tr("键盘式扫码枪：无法检测是否插好，扫一个码试试"), self.tr("键盘式"))

    def _build_shortcuts(self) -> None:
        # One table of keys for the window and the scenario runner (kiosk.desk.actions). Letter and
        # digit keys typed into a form field go to the field (QLineEdit takes them first).
        self._shortcuts = []
        for binding in KEYMAP:
            sc = QShortcut(QKeySequence(binding.key), self)
            sc.activated.connect(lambda a=binding.action: self.act(a))
            self._shortcuts.append(sc)
        for key, slot in (("Return", self._on_return_pressed), ("Enter", self._on_return_pressed),
                          ("F11", self._toggle_fullscreen)):
            sc = QShortcut(QKeySequence(key), self)
            sc.activated.connect(slot)
            self._shortcuts.append(sc)

    def _build_alert(self, enabled: bool) -> Any:
        if not enabled:
            return None
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError:  # no audio stack on this machine: flash only
            return None
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(str(ASSETS / "alert.wav")))
        effect.setVolume(0.9)
        return effect

    def _build_speech(self, speaker: Any, bridge: QtBridge) -> None:
        """Spoken prompts (ui/speech.py): heard for every visit change; a status-bar toggle and Ctrl+M mute them.

        (F12 is the vaccination record seen; a chord for a setting keeps it apart from the guard's one-key checks.)
        """
        self.speaker = speaker
        self.speech_button: QPushButton | None = None
        if speaker is None:
            return
        bridge.visit_changed.connect(speaker.on_visit)
        button = QPushButton(self)
        button.setCheckable(True)
        button.setChecked(not speaker.muted)
        button.setMinimumHeight(36)

        def show(on: bool) -> None:
            speaker.set_muted(not on)
            button.setText(self.tr("语音：开 Ctrl+M") if on else self.tr("语音：关 Ctrl+M"))

        button.toggled.connect(show)
        show(button.isChecked())
        self.statusBar().addPermanentWidget(button)
        self.speech_button = button
        shortcut = QShortcut(QKeySequence("Ctrl+M"), self)
        shortcut.activated.connect(button.toggle)
        self._shortcuts.append(shortcut)
