"""The export from the guard's window: a worker thread with progress, a database failure said in one line, Esc and closing cancel it cleanly."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk.domain.model import Element, Lane, PersonKind


def test_export_dialog_runs_in_a_worker_thread_with_progress(qtbot, gate, tmp_path: Path) -> None:
    window, kiosk, clock = gate
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    kiosk.controller.confirm(Element.MASK, False)
    from ui.export_dialog import ExportDialog

    dialog = ExportDialog(window._desk.exporter(""), window._desk.today(), window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("xlsx"))
    dialog.path.setText(str(tmp_path / "out.xlsx"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() == 100, timeout=10000)
    qtbot.waitUntil(lambda: "已导出" in dialog.status.text())
    assert (tmp_path / "out.xlsx").exists() and (tmp_path / "out.xlsx.sig").exists()
    assert kiosk.store.audit_events("export")
    window._desk.access.set_pin("246810", "it")
    from kiosk.services.access import AccessDenied
    import pytest

    with pytest.raises(AccessDenied):
        window._desk.exporter("111111")


@pytest.mark.slow
def test_export_progress_steps_and_a_database_failure_is_reported(qtbot, gate, tmp_path: Path, caplog) -> None:
    window, kiosk, clock = gate
    from kiosk.reports import ExportQuery
    from ui.export_dialog import ExportDialog

    exporter = window._desk.exporter("")
    for i in range(250):
        kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
        kiosk.controller.confirm(Element.MASK, i % 50 != 0)
        kiosk.controller.log_current()
        kiosk.controller.next_person()
    seen: list[tuple[int, int]] = []
    exporter.export_csv(ExportQuery(window._desk.today(), window._desk.today()), tmp_path / "a.csv",
                        progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 100 and seen[-1] == (250, 250)  # about every 1 %, not once at the end
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    import sqlite3

    from sqlalchemy.exc import OperationalError

    from kiosk.domain.vocabulary import export_failure_words

    def broken(*args, **kwargs):
        raise OperationalError("SELECT entries.id FROM entries WHERE ...", {},
                               sqlite3.OperationalError("database is locked"))

    exporter.entries = broken  # the database fails in the middle of the export
    dialog = ExportDialog(exporter, window._desk.today(), window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.path.setText(str(tmp_path / "b.csv"))
    with caplog.at_level(logging.ERROR, logger="ui.export_dialog"):
        dialog.start()
        # (in whichever language an earlier test left installed: the words from the vocabulary are checked)
        qtbot.waitUntil(lambda: export_failure_words("database") in dialog.status.text(), timeout=20000)
    text = dialog.status.text()
    assert "\n" not in text and "SELECT" not in text and "OperationalError" not in text  # no raw exception
    assert any("database is locked" in r.getMessage() + str(r.exc_info) for r in caplog.records)  # the detail: log
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()  # can try again
    assert not (tmp_path / "b.csv").exists() and not list(tmp_path.glob(".b.csv*"))


def test_esc_then_closing_the_window_during_an_export_cancels_it_cleanly(qtbot, gate, tmp_path: Path) -> None:
    import threading
    import time

    import shiboken6

    from kiosk.reports import ExportQuery
    from ui.export_dialog import ExportDialog

    window, kiosk, clock = gate
    for i in range(60):
        kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
        kiosk.controller.confirm(Element.MASK, True)
        kiosk.controller.log_current()
        kiosk.controller.next_person()
    kiosk.controller.writer.drain(5.0)
    exporter = window._desk.exporter("")
    real_entries = exporter.entries

    readers: set[str] = set()

    def slow_entries(q: ExportQuery):  # a slow disk: about 3 s for the 60 rows
        readers.add(threading.current_thread().name)
        for e in real_entries(q):
            time.sleep(0.05)
            yield e

    exporter.entries = slow_entries
    dialog = ExportDialog(exporter, window._desk.today(), window)
    window.export_dialog = dialog  # as the window keeps the export it opened (guard_keys), so closing finds it
    dialog.format.setCurrentIndex(dialog.format.findData("xlsx"))
    dialog.path.setText(str(tmp_path / "day.xlsx"))
    dialog.show()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10000)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.running  # not closed under a running worker: cancelling
    window.close()  # the guard closes the gate window too: it waits for the cancelled export
    assert not dialog.running
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    shiboken6.delete(dialog)  # a QThread destroyed while running would abort the process here
    assert not (tmp_path / "day.xlsx").exists() and not list(tmp_path.glob(".day.xlsx*"))
    assert not kiosk.store.audit_events("export")
    assert readers and threading.main_thread().name not in readers  # the rows were read off the GUI thread


def test_an_export_whose_audit_write_fails_says_so_and_leaves_no_file(qtbot, gate, tmp_path: Path) -> None:
    """The trial: another process held BEGIN EXCLUSIVE, the dialog said 读取…失败 and a signed PDF lay on disk, unrecorded."""
    import sqlite3

    from kiosk.domain.vocabulary import export_failure_words
    from ui.export_dialog import ExportDialog

    window, kiosk, clock = gate
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    kiosk.controller.confirm(Element.MASK, False)
    dialog = ExportDialog(window._desk.exporter(""), window._desk.today(), window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    out = tmp_path / "day.pdf"
    dialog.path.setText(str(out))
    locker = sqlite3.connect(kiosk.settings.database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # WAL: the export's reads go on, its audit write cannot
    try:
        dialog.start()
        qtbot.waitUntil(lambda: dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled(), timeout=30000)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert export_failure_words("audit") in dialog.status.text()
    assert dialog.progress.value() == 0  # no file: the bar does not stand full beside the failure
    assert not out.exists() and not (tmp_path / "day.pdf.sig").exists() and not list(tmp_path.glob(".day.pdf*"))
    assert not kiosk.store.audit_events("export")


def test_the_windows_exports_run_in_a_process_of_their_own(qtbot, tmp_path: Path) -> None:
    """The window the root builds (``build_window``) exports through a child process: same file, bar and audit."""
    from kiosk.app import build_kiosk, build_window
    from kiosk.app_adapters import demo_entries
    from kiosk.config.loading import load_settings
    from ui.export_dialog import ExportDialog

    settings = load_settings(tmp_path / "config.toml")
    kiosk = build_kiosk(settings)
    today = settings.site.today()
    kiosk.store.append_many(list(demo_entries(settings, today, today, 200)))
    window, desk = build_window(kiosk)
    qtbot.addWidget(window)
    try:
        exporter = desk.exporter("")
        dialog = ExportDialog(exporter, desk.today(), window)
        qtbot.addWidget(dialog)
        dialog.format.setCurrentIndex(dialog.format.findData("csv"))
        dialog.path.setText(str(tmp_path / "day.csv"))
        dialog.start()
        qtbot.waitUntil(lambda: "已导出" in dialog.status.text(), timeout=30000)
        assert dialog.progress.value() == 100 and (tmp_path / "day.csv.sig").exists()
        assert len((tmp_path / "day.csv").read_text(encoding="utf-8-sig").splitlines()) == 201
        assert exporter.child_pids and exporter.child_pids[-1] != os.getpid()  # another process wrote it
        assert kiosk.store.audit_events("export")[-1]["detail"]["rows"] == 200
    finally:
        window.close()
        kiosk.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_an_unwritable_file_is_said_in_the_windows_language(qtbot, gate, tmp_path: Path) -> None:
    """The trial: 导出失败：cannot write /proc/nope/x.xlsx: No such file or directory (English in the Chinese window)."""
    from ui.export_dialog import ExportDialog

    window, kiosk, clock = gate
    dialog = ExportDialog(window._desk.exporter(""), window._desk.today(), window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    target = Path("/proc/gate-kiosk-day.csv")  # a folder that is there and takes no files, even from root
    dialog.path.setText(str(target))
    dialog.start()
    qtbot.waitUntil(lambda: "导出失败" in dialog.status.text(), timeout=10000)
    assert f"无法写入该文件：{target}" in dialog.status.text() and "cannot" not in dialog.status.text()


def test_careless_targets_are_said_in_one_line_and_a_file_there_is_replaced_only_when_the_guard_says_so(
        qtbot, gate, tmp_path: Path) -> None:
    """The trial: an existing file was overwritten unasked; a folder, a bare name and blanks each did something odd."""
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.conftest import answer_dialog
    from ui.export_dialog import ExportDialog

    window, kiosk, clock = gate
    out = tmp_path / "out"
    out.mkdir()
    dialog = ExportDialog(window._desk.exporter(""), window._desk.today(), window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    for typed, said in (("", "请填写要导出的文件"), ("   ", "请填写要导出的文件"), ("rel.csv", "完整位置"),
                        (str(out), "这是一个文件夹"), (str(out / "nope" / "a.csv"), "没有这个文件夹"),
                        (str(out / "day.txt"), "应以 .csv 结尾")):
        dialog.path.setText(typed)
        dialog.start()
        assert said in dialog.status.text() and not dialog.running, (typed, dialog.status.text())
    assert sorted(p.name for p in out.iterdir()) == []  # nothing written anywhere
    today = window._desk.today()
    dialog.date_from.setDate(QDate(today.year, today.month, today.day).addDays(1))
    dialog.path.setText(str(out / "day.csv"))
    dialog.start()
    assert dialog.status.text() == "结束日期早于起始日期" and not dialog.running
    dialog.date_from.setDate(QDate(today.year, today.month, today.day))
    mine = out / "day.csv"
    mine.write_text("the teacher's own notes", encoding="utf-8")
    answer_dialog(lambda box: box.button(QMessageBox.StandardButton.No).click())
    dialog.start()
    assert dialog.status.text() == "未导出：原文件保留" and mine.read_text(encoding="utf-8") == "the teacher's own notes"
    answer_dialog(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    dialog.start()
    qtbot.waitUntil(lambda: "已导出" in dialog.status.text(), timeout=10000)
    assert "the teacher's own notes" not in mine.read_text(encoding="utf-8-sig")
