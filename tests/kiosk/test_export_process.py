"""The window's exports run in a process of their own: the same files, audit rows, progress, cancel and failures."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.app import build_kiosk, build_store
from kiosk.app_adapters import demo_entries
from kiosk.config.loading import load_settings
from kiosk.reports import ExportCancelled, ExportError, ExportQuery, export_failure_kind
from kiosk.reports.export_process import ExportInProcess
from kiosk.reports.signing import sha256_file


@pytest.fixture
def gate(tmp_path: Path):
    """A gate's settings and its real log with 300 entries of today."""
    settings = load_settings(tmp_path / "config.toml")
    kiosk = build_kiosk(settings)
    today = settings.site.today()
    kiosk.store.append_many(list(demo_entries(settings, today, today, 300)))
    yield settings, kiosk.store, ExportQuery(today, today)
    kiosk.close()


def test_an_xlsx_export_is_written_signed_and_audited_by_another_process(gate, tmp_path: Path) -> None:
    settings, store, query = gate
    exporter = ExportInProcess(settings, build_store)
    steps: list[tuple[int, int]] = []
    result = exporter.export_xlsx(query, tmp_path / "day.xlsx", False, lambda done, total: steps.append((done, total)))
    assert exporter.child_pids and exporter.child_pids[-1] != os.getpid()
    assert result.rows == 300 and result.path == tmp_path / "day.xlsx" and result.sha256 == sha256_file(result.path)
    assert result.signature_path is not None and result.signature_path.exists()
    assert steps[-1] == (300, 300) and len(steps) > 2  # real progress, step by step
    audit = store.audit_events("export")
    assert audit and audit[-1]["detail"]["sha256"] == result.sha256 and audit[-1]["detail"]["rows"] == 300
    assert sorted(p.name for p in tmp_path.iterdir() if "day.xlsx" in p.name) == ["day.xlsx", "day.xlsx.sig"]


def test_a_cancelled_export_stops_its_process_and_leaves_no_file(gate, tmp_path: Path) -> None:
    settings, _, query = gate
    exporter = ExportInProcess(settings, build_store)

    def cancel(done: int, total: int) -> None:
        raise ExportCancelled()

    with pytest.raises(ExportCancelled):
        exporter.export_csv(query, tmp_path / "day.csv", False, cancel)
    assert not any(p.name.startswith((".day.csv", "day.csv")) for p in tmp_path.iterdir())


def test_a_killed_export_process_is_one_line_not_a_hang(gate, tmp_path: Path) -> None:
    settings, _, query = gate
    exporter = ExportInProcess(settings, build_store)

    def kill_it(done: int, total: int) -> None:
        os.kill(exporter.child_pids[-1], signal.SIGKILL)

    with pytest.raises(ExportError, match="ended without finishing") as failed:
        exporter.export_pdf(query, tmp_path / "day.pdf", kill_it)
    assert (failed.value.kind, failed.value.subject) == ("process", "exit code -9")  # the window's words
    assert not (tmp_path / "day.pdf").exists()


def test_failures_in_the_export_process_come_back_as_the_exporters_own(gate, tmp_path: Path) -> None:
    settings, _, query = gate
    unwritable = tmp_path / "no-such-folder" / "day.csv"
    with pytest.raises(ExportError, match="cannot write") as failed:  # an unwritable place: the exporter's message
        ExportInProcess(settings, build_store).export_csv(query, unwritable)
    assert (failed.value.kind, failed.value.subject) == ("write", str(unwritable))  # and the window's words' kind
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception) as failed:  # a database that cannot be read: the words for a storage fault
        ExportInProcess(replace(settings, database_url=f"sqlite:///{broken}"), build_store).export_csv(
            query, tmp_path / "day.csv")
    assert export_failure_kind(failed.value) == "database"
    assert "\n" not in str(failed.value) and str(failed.value)
