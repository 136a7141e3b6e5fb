"""The guard screen's building blocks: camera view, verdict banner, element tiles.

Sizes are for two metres: the verdict is 72 px, tiles 28 px; colours follow
the gate's convention (green pass, red deny, amber retake/verify).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.domain import follow_up
from kiosk.domain.model import Decision, Evidence, Outcome, Source
from kiosk.services.gate import VisitSnapshot
from kiosk.services.ports import Overlay

GREEN, RED, AMBER, GREY, BLUE = "#1b7f3a", "#c62828", "#f2a900", "#455a64", "#1565c0"
# The banner's colour follows the decision and nothing else (tests/ui check every pair).
DECISION_COLOUR = {Decision.PASS: GREEN, Decision.DENY: RED, Decision.INCOMPLETE: AMBER, Decision.HANDOFF: BLUE}
OVERLAY = {"green": QColor(GREEN), "yellow": QColor(AMBER), "red": QColor(RED), "unknown": QColor("#90a4ae")}


def to_qimage(frame: np.ndarray) -> QImage:
    """A camera frame (BGR or grey) as an image ready to paint, its own copy (the buffer belongs to the camera).

    Converted to 32-bit RGB here, once, because painting a BGR888 image scaled
    converts it again on every paint. QImage may be built on any thread, so the
    bridge calls this on the camera's thread and the GUI thread only paints.
    """
    if frame.ndim == 2:
        h, w = frame.shape
        wrapped = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8)
    else:
        h, w, _ = frame.shape
        wrapped = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)
    return wrapped.convertToFormat(QImage.Format.Format_RGB32)  # a new image: no longer the camera's buffer


def restyle(widget: QWidget, css: str) -> None:
    """Set a widget's style sheet only when it changes.

    Setting one, even the same, re-polishes the widget and its children and
    lays the window out again: the tiles and the banner did it on every
    visit update, several times a second, and the GUI thread paid for it.
    """
    if widget.styleSheet() != css:
        widget.setStyleSheet(css)


class CameraView(QWidget):
    """The live preview with decoded codes outlined in their status colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._overlays: list[Overlay] = []
        # Small when it must be: in the worker lane the registration form and a retake list share the column
        # with it, and at 270 px the window grew past an 800-px screen (the picture is a check, the words decide).
        self.setMinimumSize(480, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.frames_shown = 0
        self.idle_text = ""  # what to say with no picture; empty: waiting for the camera's first frame

    def set_frame(self, frame: np.ndarray | QImage, overlays: list[Overlay]) -> None:
        """Show a frame: an image the bridge prepared off the GUI thread, or a camera array (converted here)."""
        self._image = frame if isinstance(frame, QImage) else to_qimage(frame)
        self._overlays = overlays
        self.frames_shown += 1
        self.update()

    def paintEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            # Ended here, not when the wrapper is collected: a frame kept alive a moment longer (a
            # traceback, a stack sampler) left the painter active past the paint ("endPaint() called
            # with active painter").
            p.end()

    def _paint(self, p: QPainter) -> None:
        p.fillRect(self.rect(), QColor("#101418"))
        if self._image is None:
            p.setPen(QColor("#cfd8dc"))
            p.setFont(QFont(self.font().family(), 20))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.idle_text or self.tr("等待摄像头画面…"))
            return
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        ox, oy = (self.width() - iw * scale) / 2, (self.height() - ih * scale) / 2
        p.drawImage(QRectF(ox, oy, iw * scale, ih * scale), self._image)
        for o in self._overlays:
            if "polygon" in o:
                poly = QPolygonF([QPointF(ox + x * scale, oy + y * scale) for x, y in o["polygon"]])
                p.setPen(QPen(OVERLAY.get(o["status"], OVERLAY["unknown"]), 5))
                p.drawPolygon(poly)
            elif "box" in o:
                x, y, w, h = o["box"]
                p.setPen(QPen(QColor(GREEN) if o.get("mask") else QColor(RED), 4))
                p.drawRect(QRectF(ox + x * scale, oy + y * scale, w * scale, h * scale))


class NoticeLabel(QLabel):
    """A refused action's words in red under the banner; hidden while there are none (its empty line was
    height the flagged list needs at 1280x800)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setStyleSheet("color:#c62828;font-size:18px;font-weight:bold;")
        self.setWordWrap(True)
        self.setVisible(False)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setVisible(bool(text))


class VerdictBanner(QLabel):
    """A full-width coloured label: 通行 / 禁止通行 / 请复测 / 待核验, reasons underneath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumHeight(150)
        self._flash = QTimer(self)
        self._flash.setInterval(180)
        self._flash.timeout.connect(self._on_flash_timeout)
        self._flashes_left = 0
        self._colours = (GREY, "#ffffff")
        self._problems: dict[str, tuple[str, str]] = {}  # device -> (what is wrong, what to do)
        self._last: tuple[str, str, str, str] = (GREY, "#ffffff", "", "")
        self.show_idle()

    def set_device_problem(self, device: str, problem: tuple[str, str] | None) -> None:
        """A device in trouble is said in the banner itself (see ui/device_alerts.py); None clears it."""
        if problem is None:
            self._problems.pop(device, None)
        else:
            self._problems[device] = problem
        if self.property("decision"):
            self._set(*self._last)
        else:
            self.show_idle()

    def show_idle(self) -> None:
        if self._problems:
            # Do not invite codes that cannot be read: say what is wrong and what to do.
            title = "，".join(p[0] for p in self._problems.values())
            self._set(AMBER, "#1a1a1a", title, "<br>".join(p[1] for p in self._problems.values()), alerts=False)
        else:
            self._set(GREY, "#ffffff", self.tr("请出示健康码 / 学生卡"), "")
        self.setProperty("decision", "")
        self.setProperty("colour", GREY)

    def show_visit(self, visit: VisitSnapshot, reasons: list[str]) -> None:
        d = visit.decision
        bg = DECISION_COLOUR[d]
        fg = "#1a1a1a" if d is Decision.INCOMPLETE else "#ffffff"
        if d is Decision.PASS:
            title = self.tr("通行")
        elif d is Decision.DENY:
            title = self.tr("禁止通行")
        elif d is Decision.HANDOFF:
            title = self.tr("快递交接")
        elif follow_up.waits_for_retake(r.code for r in visit.verdict.reasons):
            title = self.tr("请复测")
        else:
            title = self.tr("待核验")
        self._set(bg, fg, title, "<br>".join(reasons))
        self.setProperty("decision", d.value)
        self.setProperty("colour", bg)

    def stop_flash(self) -> None:
        self._flash.stop()
        self._style(*self._colours)

    def flash(self, times: int = 6) -> None:
        self._flashes_left = times
        self._flash.start()

    def _set(self, bg: str, fg: str, title: str, detail: str, alerts: bool = True) -> None:
        self._colours = (bg, fg)
        self._last = (bg, fg, title, detail)
        alert = "" if not alerts else "".join(f"<div style='font-size:22px;font-weight:bold;background:#b71c1c;color:#ffffff;"
                        f"padding:4px'>⚠ {what}：{todo}</div>" for what, todo in self._problems.values())
        self.setText(f"{alert}<div style='font-size:64px;font-weight:bold'>{title}</div>"
                     f"<div style='font-size:24px'>{detail}</div>")
        self._style(bg, fg)

    def _style(self, bg: str, fg: str) -> None:
        restyle(self, f"background:{bg};color:{fg};border-radius:14px;padding:10px;")

    def _on_flash_timeout(self) -> None:
        self._flashes_left -= 1
        bg, fg = self._colours
        self._style("#ffffff" if self._flashes_left % 2 else bg, bg if self._flashes_left % 2 else fg)
        if self._flashes_left <= 0:
            self._flash.stop()
            self._style(bg, fg)


class ElementTile(QFrame):
    """One element's state, value and source, large enough to read from the gate."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.setSpacing(0)
        self.title = QLabel(title, self)
        self.value = QLabel("—", self)
        self.source = QLabel("", self)
        for label, size in ((self.title, 17), (self.value, 28), (self.source, 14)):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet(f"font-size:{size}px;")
            layout.addWidget(label)
        self.value.setStyleSheet("font-size:28px;font-weight:bold;")
        for label in (self.value, self.source, self.title):
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state = "none"
        self.set_state("none", "—", "")

    def source_text(self, ev: Evidence | None) -> str:
        if ev is None:
            return ""
        return {
            Source.DEVICE: self.tr("设备自动"), Source.MANUAL: self.tr("门卫确认"), Source.SIGNATURE: self.tr("签名验证"),
            Source.SERVER: self.tr("验码服务"), Source.COLOR: self.tr("颜色识别（未验证）"),
            Source.ROSTER: self.tr("名册核对"),
        }[ev.source]

    def set_state(self, state: str, value: str, source: str) -> None:
        self.state = state
        bg = {"ok": "#e8f5e9", "fail": "#ffebee", "pending": "#fff8e1", "none": "#eceff1"}[state]
        border = {"ok": GREEN, "fail": RED, "pending": AMBER, "none": "#b0bec5"}[state]
        restyle(self, f"ElementTile{{background:{bg};border:4px solid {border};border-radius:10px;}}")
        mark = {"ok": "✔ ", "fail": "✘ ", "pending": "… ", "none": ""}[state]
        self.value.setText(mark + value)
        self.source.setText(source)


def tile_state(ev: Evidence | None, required: bool) -> str:
    if ev is None:
        return "pending" if required else "none"
    if ev.outcome is Outcome.OK:
        return "ok"
    if ev.outcome is Outcome.FAIL:
        return "fail"
    return "pending"


class StatusLight(QLabel):
    """One device in the status bar: a coloured dot, its state and what to do, in words.

    The core's own message (more detail, in Chinese) is the tooltip.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.state = "unknown"
        # Each light as wide as its words where the bar has room (equal shares cut the long ones, e.g.
        # "Thermometer Connected", while "Database OK" had room to spare); narrower only when it must.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.set_state("unknown", "")

    def words(self, state: str) -> str:
        return {
            "connected": self.tr("已连接"), "receiving": self.tr("已连接"), "ok": self.tr("正常"),
            "lost": self.tr("连接中断，请检查连接线"), "reconnecting": self.tr("正在重连…"),
            "silent": self.tr("无数据，请检查电源与探头"), "overdue": self.tr("需要校准，请用黑体或体温计校准"),
            "stopped": self.tr("已停止"), "unknown": self.tr("未知"), "asking": self.tr("正在核验…"), "error": self.tr("写入失败，请查看提示"),
            "yunet": "YuNet", "haar": self.tr("Haar（YuNet 不可用，检出率低）"),
            # Why YuNet is not in use (devices.face.Fallback.cause); the tooltip has the detail.
            "haar_model_missing": self.tr("Haar：缺少模型文件"),
            "haar_model_damaged": self.tr("Haar：模型文件损坏"),
            "haar_opencv_too_old": self.tr("Haar：OpenCV 过旧（需 4.8+）"),
            "haar_model_load_failed": self.tr("Haar：模型无法加载"),
        }.get(state, state)

    def set_state(self, state: str, message: str, words: str | None = None) -> None:
        self.state = state
        colour = {"connected": "#2e7d32", "ok": "#2e7d32", "receiving": "#2e7d32", "stopped": "#9e9e9e",
                  "asking": "#1565c0",
                  "unknown": "#9e9e9e", "yunet": "#2e7d32"}.get(state, "#ef6c00" if state.startswith("haar") else "#c62828")
        self.setText(f"<span style='color:{colour};font-size:20px'>●</span> <b>{self.title}</b> "
                     f"{words if words is not None else self.words(state)}")
        self.setToolTip(message)
