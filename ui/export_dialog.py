"""The export dialog: range, lane, format and file, written on a worker thread with a progress bar.

Progress comes from the exporter about every 1 % of the rows; every failure
(a bad range, an unwritable file, a database error, anything unexpected) ends
the run with its reason in the dialog, so it can never stay on 正在导出….
A database error or a bug is said in one line from the vocabulary; the
exception itself goes to the log file.

While an export runs the dialog does not close: Esc, 关闭 or the window's
close button cancel it (at the next progress step; the half-written file is
removed) and the dialog closes once the worker has stopped. The main window
cancels and waits for it the same way before it closes, so the worker's
QThread is never destroyed while it runs.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QMessageBox, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from kiosk.reports import ExportAuditFailed, ExportCancelled, ExportError, ExportQuery, export_failure_kind
from kiosk.domain.vocabulary import export_failure_words

log = logging.getLogger(__name__)
_OUTLIVING: list[QThread] = []  # export threads still running when their dialog went away


def export_error_line(exc: ExportError, language: str) -> str:
    """An export error in the window's words where the exporter names its kind (dates the wrong way round, a
    file it cannot write, a process that died); the command line's English line otherwise."""
    if not exc.kind:
        return str(exc)
    return export_failure_words(exc.kind, language).replace("%1", exc.subject)


class ExportWorker(QObject):
    """Runs one export off the GUI thread and reports progress through signals."""

    progressed = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, exporter: Any, query: ExportQuery, fmt: str, path: Path, english: bool,
                 language: str = "zh") -> None:
        super().__init__()
        self._exporter, self._query, self._fmt, self._path, self._english = exporter, query, fmt, path, english
        self._language = language
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop at the next progress step (from any thread)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise ExportCancelled()
        self.progressed.emit(done, total)

    def run(self) -> None:
        try:
            if self._fmt == "csv":
                r = self._exporter.export_csv(self._query, self._path, self._english, self._progress)
            elif self._fmt == "xlsx":
                r = self._exporter.export_xlsx(self._query, self._path, self._english, self._progress)
            else:
                r = self._exporter.export_pdf(self._query, self._path, self._progress)
        except ExportAuditFailed as exc:
            log.error("export to %s: %s", self._path, exc, exc_info=exc.__cause__)
            self.failed.emit(export_failure_words("audit", self._language))
            return
        except ExportError as exc:
            self.failed.emit(export_error_line(exc, self._language))
            return
        except OSError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # cancelled, a database error, a bug: one line, never a stuck dialog
            kind = export_failure_kind(exc)
            if kind != "cancelled":
                log.error("export to %s failed", self._path, exc_info=exc)
            self.failed.emit(export_failure_words(kind, self._language))
            return
        self.finished.emit(f"{r.path} ({r.rows})")


class ExportDialog(QDialog):
    """See the module docstring; the exporter comes from the guard desk after the PIN check."""

    def __init__(self, exporter: Any, today: date, parent: QWidget | None = None, language: str = "zh") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("导出入校记录"))
        self._exporter = exporter
        self._language = language
        self._thread: QThread | None = None
        self._worker: ExportWorker | None = None
        self._close_when_stopped = False
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
        except ExportError as exc:  # the dates the wrong way round
            self.status.setText(export_error_line(exc, self._language))
            return
        target = self._target()
        if target is None:
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.status.setText(self.tr("正在导出…"))
        self._thread = QThread(self)
        self._worker = ExportWorker(self._exporter, query, self.format.currentData(), target,
                                    self.english.isChecked(), self._language)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_worker_progressed)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        # The thread ends as soon as the worker's run does, even while the GUI thread waits in wait().
        for done in (self._worker.finished, self._worker.failed):
            done.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.start()

    def _target(self) -> Path | None:
        """The file to write, said back in one line when it cannot be one (and asked before replacing one).

        A typed path is taken as the guard typed it only when it names a file in a folder that is there:
        an empty one, a folder, or a bare name (which would land wherever the kiosk was started) is
        refused, and so is a name whose ending is not the format's. A file already there is replaced
        only when the guard says so (the file chooser asks the same).
        """
        text = self.path.text().strip()
        suffix = "." + str(self.format.currentData())
        path = Path(text).expanduser() if text else None
        problem = ""
        if path is None or not path.name:
            problem = self.tr("请填写要导出的文件，或点“选择…”")
        elif not path.is_absolute():
            problem = self.tr("请写出完整位置（如 /home/门卫/文档/入校记录%1），或点“选择…”").replace("%1", suffix)
        elif path.is_dir():
            problem = self.tr("这是一个文件夹：请在后面加上文件名（如 入校记录%1）").replace("%1", suffix)
        elif not path.parent.is_dir():
            problem = self.tr("没有这个文件夹：%1").replace("%1", str(path.parent))
        elif path.suffix.lower() != suffix:
            problem = self.tr("所选格式的文件名应以 %1 结尾").replace("%1", suffix)
        if problem:
            self.status.setText(problem)
            return None
        assert path is not None
        if path.exists():
            answer = QMessageBox.question(self, self.tr("文件已存在"),
                                          self.tr("%1 已存在。要用这次导出替换它吗？").replace("%1", str(path)))
            if answer != QMessageBox.StandardButton.Yes:
                self.status.setText(self.tr("未导出：原文件保留"))
                return None
        return path

    def wait(self, ms: int = 30000) -> None:
        if self._thread is not None:
            self._thread.wait(ms)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def cancel_and_wait(self, ms: int) -> bool:
        """Cancel a running export and wait for its worker (bounded); True when no worker runs any more."""
        if self._worker is not None and self.running:
            self._worker.cancel()
            self.wait(ms)
        if self.running and self._thread is not None:
            # Still in one long step (a locked database): keep the thread object alive past this dialog,
            # since a QThread destroyed while it runs aborts the process.
            self._thread.setParent(None)
            _OUTLIVING.append(self._thread)
        return not self.running

    def reject(self) -> None:
        if self.running and self._worker is not None:
            # Closing now would leave the worker writing with no one to hear it: cancel, close when it stopped.
            self._close_when_stopped = True
            self._worker.cancel()
            self.buttons.button(QDialogButtonBox.StandardButton.Close).setEnabled(False)
            self.status.setText(self.tr("正在取消导出…"))
            return
        super().reject()

    def _on_worker_progressed(self, done: int, total: int) -> None:
        self.progress.setValue(100 if total == 0 else int(100 * done / total))

    def _on_worker_finished(self, text: str) -> None:
        self.progress.setValue(100)
        self.status.setText(self.tr("已导出并签名：%1").replace("%1", text))
        self._stop_thread()

    def _on_worker_failed(self, message: str) -> None:
        cancelled = self._worker is not None and self._worker.cancelled
        self.status.setText(message if cancelled else self.tr("导出失败：%1").replace("%1", message))
        self.progress.setValue(0)  # no file was left: a full bar beside the failure said otherwise
        self._stop_thread()

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(5000)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setEnabled(True)
        if self._close_when_stopped:
            self._close_when_stopped = False
            super().reject()

    def _on_format_changed(self, _: int) -> None:
        current = Path(self.path.text())
        self.path.setText(str(current.with_suffix("." + self.format.currentData())))

    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("导出到"), self.path.text())
        if name:
            self.path.setText(name)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        if self.running:
            event.ignore()
            self.reject()  # cancels; the dialog closes when the worker has stopped
            return
        super().closeEvent(event)
