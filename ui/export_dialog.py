"""The export dialog: range, lane, format and file, written on a worker thread with a progress bar.

Progress comes from the exporter about every 1 % of the rows; every failure
(a bad range, an unwritable file, a database error, anything unexpected) ends
the run with its reason in the dialog, so it can never stay on 正在导出….
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QObject, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from kiosk.reports import ExportError
from kiosk.reports import ExportQuery

log = logging.getLogger(__name__)


class ExportWorker(QObject):
    """Runs one export off the GUI thread and reports progress through signals."""

    progressed = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, exporter: Any, query: ExportQuery, fmt: str, path: Path, english: bool) -> None:
        super().__init__()
        self._exporter, self._query, self._fmt, self._path, self._english = exporter, query, fmt, path, english

    def run(self) -> None:
        try:
            if self._fmt == "csv":
                r = self._exporter.export_csv(self._query, self._path, self._english, self.progressed.emit)
            elif self._fmt == "xlsx":
                r = self._exporter.export_xlsx(self._query, self._path, self._english, self.progressed.emit)
            else:
                r = self._exporter.export_pdf(self._query, self._path, self.progressed.emit)
        except (ExportError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # a database error, a full disk mid-write, a bug: said, never a stuck dialog
            log.exception("export failed")
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            self.failed.emit(f"{type(exc).__name__}: {first_line}")
            return
        self.finished.emit(f"{r.path} ({r.rows})")


class ExportDialog(QDialog):
    """See the module docstring; the exporter comes from the guard desk after the PIN check."""

    def __init__(self, exporter: Any, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("导出入校记录"))
        self._exporter = exporter
        self._thread: QThread | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.date_from = QDateEdit(QDate(today.year, today.month, today.day), self)
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day), self)
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.lane = QComboBox(self)
        self.lane.addItem(self.tr("全部通道"), None)
        self.lane.addItem(self.tr("师生通道"), "campus")
        self.lane.addItem(self.tr("临时人员专用通道"), "worker")
        self.flagged = QCheckBox(self.tr("仅异常"), self)
        self.format = QComboBox(self)
        for label, fmt in ((self.tr("PDF 日报"), "pdf"), ("Excel (XLSX)", "xlsx"), ("CSV", "csv")):
            self.format.addItem(label, fmt)
        self.english = QCheckBox(self.tr("英文表头"), self)
        self.path = QLineEdit(str(Path.home() / f"gate-entries-{today}.pdf"), self)
        browse = QPushButton(self.tr("选择…"), self)
        browse.clicked.connect(self._on_browse_clicked)
        self.format.currentIndexChanged.connect(self._on_format_changed)
        row = QHBoxLayout()
        row.addWidget(self.path)
        row.addWidget(browse)
        form.addRow(self.tr("起始日期"), self.date_from)
        form.addRow(self.tr("结束日期"), self.date_to)
        form.addRow(self.tr("通道"), self.lane)
        form.addRow("", self.flagged)
        form.addRow(self.tr("格式"), self.format)
        form.addRow("", self.english)
        form.addRow(self.tr("文件"), row)
        layout.addLayout(form)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close,
                                        self)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        d0 = date.fromisoformat(self.date_from.date().toString("yyyy-MM-dd"))
        d1 = date.fromisoformat(self.date_to.date().toString("yyyy-MM-dd"))
        try:
            query = ExportQuery(d0, d1, self.lane.currentData(), self.flagged.isChecked())
        except ExportError as exc:
            self.status.setText(str(exc))
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.status.setText(self.tr("正在导出…"))
        self._thread = QThread(self)
        self._worker = ExportWorker(self._exporter, query, self.format.currentData(), Path(self.path.text()),
                                    self.english.isChecked())
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_worker_progressed)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._thread.start()

    def wait(self, ms: int = 30000) -> None:
        if self._thread is not None:
            self._thread.wait(ms)

    def _on_worker_progressed(self, done: int, total: int) -> None:
        self.progress.setValue(100 if total == 0 else int(100 * done / total))

    def _on_worker_finished(self, text: str) -> None:
        self.progress.setValue(100)
        self.status.setText(self.tr("已导出并签名：%1").replace("%1", text))
        self._stop_thread()

    def _on_worker_failed(self, message: str) -> None:
        self.status.setText(self.tr("导出失败：%1").replace("%1", message))
        self._stop_thread()

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(5000)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _on_format_changed(self, _: int) -> None:
        current = Path(self.path.text())
        self.path.setText(str(current.with_suffix("." + self.format.currentData())))

    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("导出到"), self.path.text())
        if name:
            self.path.setText(name)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        self.wait()
        super().closeEvent(event)
