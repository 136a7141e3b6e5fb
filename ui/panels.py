"""Side panels of the guard screen: temporary-worker lane, flagged list, today at a glance."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QPushButton, QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from kiosk.desk.today import FlaggedPerson
from kiosk.reports.figures import DayFigures
from kiosk.domain import follow_up
from kiosk.domain.model import Element, Outcome
from kiosk.domain.vocabulary import follow_up_words, kind_words
from kiosk.domain.vocabulary_headers import column_words, figure_words
from kiosk.services.gate import VisitSnapshot
from ui.widgets import restyle

BIG_BUTTON = "font-size:19px;min-height:50px;padding:2px 8px;"


class WorkerPanel(QGroupBox):
    """三码联查 checklist, registration form and the courier drop-off (hand-off) button."""

    registered = Signal(dict)
    handoff_requested = Signal(dict)

    FIELDS = ("name", "phone", "id_number", "company", "purpose", "plate")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("临时人员：三码联查与登记"), parent)
        layout = QVBoxLayout(self)
        checks = QHBoxLayout()
        self.checks: dict[Element, QLabel] = {}
        for element, label in ((Element.HEALTH, self.tr("健康码")), (Element.ITINERARY, self.tr("行程卡")),
                               (Element.VACCINE, self.tr("疫苗")), (Element.REGISTRATION, self.tr("登记"))):
            lab = QLabel(label, self)
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setProperty("label", label)
            checks.addWidget(lab)
            self.checks[element] = lab
        layout.addLayout(checks)
        form = QGridLayout()
        labels = {"name": self.tr("姓名"), "phone": self.tr("电话"), "id_number": self.tr("身份证号"),
                  "company": self.tr("单位"),
                  "purpose": self.tr("事由"), "plate": self.tr("车牌（选填）")}
        self.inputs: dict[str, QLineEdit] = {}
        for i, key in enumerate(self.FIELDS):
            edit = QLineEdit(self)
            edit.setStyleSheet("font-size:17px;")
            edit.setPlaceholderText(labels[key])
            # Three to a row: the panel is as wide as the camera, and two rows leave the camera its height.
            form.addWidget(QLabel(labels[key], self), i // 3, (i % 3) * 2)
            form.addWidget(edit, i // 3, (i % 3) * 2 + 1)
            self.inputs[key] = edit
            # Enter in a form field moves on to the next field (and registers on the last):
            # it never means "next person".
            edit.returnPressed.connect(lambda k=key: self._on_field_return_pressed(k))
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.register_button = QPushButton(self.tr("登记 (F7)"), self)
        self.handoff_button = QPushButton(self.tr("快递交接，不入校 (F8)"), self)
        for b in (self.register_button, self.handoff_button):
            b.setStyleSheet("font-size:17px;min-height:40px;")
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.register_button.clicked.connect(self._on_register_button_clicked)
        self.handoff_button.clicked.connect(self._on_handoff_button_clicked)

    def values(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.inputs.items()}

    def _on_field_return_pressed(self, key: str) -> None:
        index = self.FIELDS.index(key)
        if index + 1 < len(self.FIELDS) and index + 1 < len(self.FIELDS) - 1:
            self.inputs[self.FIELDS[index + 1]].setFocus()
        else:
            self.inputs[key].clearFocus()
            self.registered.emit(self.values())

    def clear(self) -> None:
        for e in self.inputs.values():
            e.clear()

    def show_visit(self, visit: VisitSnapshot | None) -> None:
        for element, lab in self.checks.items():
            ev = visit.evidence.get(element) if visit else None
            mark, colour = "○", "#607d8b"
            if ev is not None and ev.outcome is Outcome.OK:
                mark, colour = "✔", "#1b7f3a"
            elif ev is not None and ev.outcome is Outcome.FAIL:
                mark, colour = "✘", "#c62828"
            lab.setText(f"{mark} {lab.property('label')}")
            restyle(lab, f"font-size:22px;font-weight:bold;color:{colour};")

    def _on_register_button_clicked(self) -> None:
        self.registered.emit(self.values())

    def _on_handoff_button_clicked(self) -> None:
        self.handoff_requested.emit(self.values())


class FlaggedList(QWidget):
    """Today's flagged people with their follow-up state, and the buttons to move it on."""

    follow_up_requested = Signal(str, str)
    COLUMNS = ("time", "name", "kind", "reasons", "temperature", "follow_up")  # the ledger's, in its words

    def __init__(self, parent: QWidget | None = None, language: str = "zh") -> None:
        super().__init__(parent)
        self.language = language  # headers, kinds and follow-ups are the vocabulary's words, in the window's language
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)  # inside the tab's own frame: the height goes to the rows
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels([column_words(k, language, short=True) for k in self.COLUMNS])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.observe_button = QPushButton(self.tr("送观察点"), self)
        self.clear_button = QPushButton(self.tr("已复核，解除"), self)
        for b in (self.observe_button, self.clear_button):
            b.setStyleSheet("font-size:16px;min-height:40px;")
            row.addWidget(b)
        layout.addLayout(row)
        self.observe_button.clicked.connect(lambda: self._request(follow_up.OBSERVATION))
        self.clear_button.clicked.connect(lambda: self._request(follow_up.CLEARED))
        self._ids: list[str] = []
        self._shown: list[tuple[str, str]] | None = None

    def set_people(self, people: list[FlaggedPerson]) -> None:
        shown = [(p.entry_id, p.follow_up) for p in people]
        if shown == self._shown:
            return  # nothing new: no repaint of a few hundred rows
        if self._shown is not None and [i for i, _ in shown] == [i for i, _ in self._shown]:
            # The same people, a follow-up changed (the guard's mark): those cells only, not every row again.
            for row, (p, (_, was)) in enumerate(zip(people, self._shown)):
                if p.follow_up != was:
                    self.table.setItem(row, 5, self._follow_up_item(p))
            self._shown = shown
            return
        self._shown = shown
        # Column sizing "to contents" re-measures every row after every cell: off while filling (a 300-row
        # day took the GUI thread for seconds), one measurement at the end.
        header = self.table.horizontalHeader()
        self.table.setUpdatesEnabled(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        try:
            self.table.setRowCount(len(people))
            self._ids = [p.entry_id for p in people]
            for i, p in enumerate(people):
                cells = [p.at.strftime("%H:%M:%S"), p.name, self.kind_label(p.kind),
                         self.tr("；").join(r for r in p.reasons if r),
                         f"{p.temperature:.1f}" if p.temperature is not None else ""]
                for j, text in enumerate(cells):
                    self.table.setItem(i, j, QTableWidgetItem(text))
                self.table.setItem(i, 5, self._follow_up_item(p))
        finally:
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
            self.table.setUpdatesEnabled(True)

    def _follow_up_item(self, p: FlaggedPerson) -> QTableWidgetItem:
        item = QTableWidgetItem(follow_up_words(p.follow_up, self.language))
        if p.follow_up != follow_up.CLEARED:
            item.setForeground(QColor("#c62828"))
        return item

    def kind_label(self, kind: str) -> str:
        """The vocabulary's word for a person kind, in the window's language (capitalised in English, a cell)."""
        words = kind_words(kind, self.language)
        return words[:1].upper() + words[1:]

    def _request(self, state: str) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self._ids):
            self.follow_up_requested.emit(self._ids[row], state)


class TodayPanel(QWidget):
    """Entries per lane, flagged, fevers, and a chart of entries per hour."""

    FIGURES = ("campus", "worker", "flagged", "fevers", "handoffs")

    def __init__(self, parent: QWidget | None = None, language: str = "zh") -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.figures: dict[str, QLabel] = {}
        # The reports' header words (the vocabulary's short ones), in the window's language.
        for i, key in enumerate(self.FIGURES):
            title = QLabel(figure_words(key, language, short=True), self)
            value = QLabel("0", self)
            value.setStyleSheet("font-size:26px;font-weight:bold;")
            grid.addWidget(title, 0, i, Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(value, 1, i, Qt.AlignmentFlag.AlignCenter)
            self.figures[key] = value
        layout.addLayout(grid)
        self.chart = QChart()
        self.chart.legend().hide()
        self.chart.setTitle(self.tr("每小时入校人数"))
        self.view = QChartView(self.chart, self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(120)
        self._bars: QBarSet | None = None  # the chart's bars, their hours and heights, while the hours stay the same
        self._y_axis: QValueAxis | None = None
        self._hours: tuple[int, int] = (0, 0)
        self._counts: list[float] = []
        layout.addWidget(self.view)

    def set_summary(self, s: DayFigures) -> None:
        for key in self.FIGURES:
            self.figures[key].setText(str(s.figure(key)))
        hours = [h for h in range(24) if s.by_hour[h]] or [6, 7, 8]
        lo, hi = min(hours), max(hours)
        counts = [float(s.by_hour[h]) for h in range(lo, hi + 1)]
        if self._bars is not None and self._y_axis is not None and (lo, hi) == self._hours:
            # The same hours: new heights for the bars. Building the chart again (series, axes) for
            # every entry at a busy gate took the GUI thread several milliseconds each time.
            if counts != self._counts:
                for i, count in enumerate(counts):
                    if count != self._counts[i]:
                        self._bars.replace(i, count)
                self._y_axis.setRange(0, max(1, max(s.by_hour)))
                self._counts = counts
            return
        self._hours, self._counts = (lo, hi), counts
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        bars = QBarSet(self.tr("人数"))
        bars.setColor(QColor("#1e88e5"))
        bars.append(counts)
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([f"{h}:00" for h in range(lo, hi + 1)])
        y = QValueAxis()
        y.setRange(0, max(1, max(s.by_hour)))
        y.setLabelFormat("%d")
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        self._bars, self._y_axis = bars, y

    def figure(self, key: str) -> str:
        return self.figures[key].text()


class KindBar(QWidget):
    """Who the person is, one key each (1–7), and the returnee mark (8); the current one is lit."""

    kind_chosen = Signal(str)
    returning_toggled = Signal()

    def __init__(self, kinds: list[tuple[str, str, str]], returning: tuple[str, str],
                 parent: QWidget | None = None) -> None:
        """``kinds``: (person kind value, key, label) in key order."""
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        for kind, key, label in kinds:
            b = QPushButton(f"{key} {label}", self)
            b.setCheckable(True)
            b.setStyleSheet("QPushButton{font-size:13px;min-height:36px;padding:0 1px;}"
                            "QPushButton:checked{background:#1565c0;color:white;}")
            b.clicked.connect(lambda _=False, k=kind: self.kind_chosen.emit(k))
            # Share the row whatever the language: a long label may be clipped, the row never widens the window.
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.setToolTip(label)
            row.addWidget(b, 1)
            self.buttons[kind] = b
        returning_key, returning_label = returning
        self.returning = QPushButton(f"{returning_key} {returning_label}", self)
        self.returning.setCheckable(True)
        self.returning.setStyleSheet("QPushButton{font-size:13px;min-height:36px;padding:0 1px;}"
                                     "QPushButton:checked{background:#ef6c00;color:white;}")
        self.returning.clicked.connect(self.returning_toggled.emit)
        self.returning.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        row.addWidget(self.returning, 1)

    def show_person(self, kind: str | None, returning: bool) -> None:
        for k, b in self.buttons.items():
            b.setChecked(k == kind)
        self.returning.setChecked(returning)


class RetakeList(QGroupBox):
    """People who stepped aside for a retake, with a countdown; the guard can call one back."""

    resume_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("复测等候"), parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("姓名"), self.tr("首次体温"), self.tr("复测倒计时")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setMaximumHeight(96)
        layout.addWidget(self.table, 1)
        self.resume_button = QPushButton(self.tr("叫回复测"), self)
        self.resume_button.setStyleSheet("font-size:16px;min-height:40px;")
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        layout.addWidget(self.resume_button)
        self._ids: list[str] = []

    def set_waiting(self, visits: list[VisitSnapshot], now: datetime) -> None:
        self._ids = [v.visit_id for v in visits]
        self.table.setRowCount(len(visits))
        for i, v in enumerate(visits):
            temp = v.evidence.get(Element.TEMPERATURE)
            due = v.retake_due_at
            if due is None:
                left = "—"
            else:
                seconds = int((due - now).total_seconds())
                left = self.tr("可以复测") if seconds <= 0 else f"{seconds // 60}:{seconds % 60:02d}"
            cells = [v.name_masked or self.tr("（未识别）"),
                     f"{float(temp.value):.1f} °C" if temp is not None and temp.value is not None else "", left]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 2 and text == self.tr("可以复测"):
                    item.setForeground(QColor("#1b7f3a"))
                self.table.setItem(i, j, item)
        self.setVisible(bool(visits))

    def _on_resume_button_clicked(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self._ids) and self._ids:
            row = 0
        if 0 <= row < len(self._ids):
            self.resume_requested.emit(self._ids[row])
