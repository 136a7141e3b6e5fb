"""The CLI `export` against a database another program holds: no file without its audit row, and it says what failed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.cli.main import main


def locked(tmp_path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(tmp_path / "data" / "entries.sqlite3", timeout=0, isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # WAL: reads go on, writes wait for it
    return other


def test_export_whose_audit_write_fails_leaves_no_file_and_says_why(capsys, tmp_path: Path) -> None:
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    capsys.readouterr()
    other = locked(tmp_path)
    try:
        code = main(["export", "--date", "2020-01-01", "--to", "2030-01-01", "--out", str(tmp_path / "a.pdf")])
    finally:
        other.execute("ROLLBACK")
        other.close()
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert "audit record could not be written" in err and "no file was left" in err
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "a.pdf.sig").exists()
    assert not list(tmp_path.glob(".a.pdf*"))
    con = sqlite3.connect(tmp_path / "data" / "entries.sqlite3")
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 0



@pytest.mark.parametrize("command", [["export", "--date", "2026-03-02", "--out", "day.pdf"],
                                     ["report", "weekly", "--week", "2026-W10", "--out", "day.pdf"]])
def test_pdf_reports_name_the_school_the_setup_saved(capsys, tmp_path: Path, command: list[str]) -> None:
    """The trial: the daily and weekly PDFs said 学校 school (the site id), not [site] school_name."""
    from pypdf import PdfReader

    config = tmp_path / "config.toml"
    config.write_text('[site]\nschool_name = "第三实验中学"\n' + config.read_text(), encoding="utf-8")
    out = tmp_path / "day.pdf"
    assert main(["--config", str(config), *command[:-1], str(out)]) == 0, capsys.readouterr().err
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert "第三实验中学" in text and "学校 school" not in text


def test_export_says_when_it_waits_for_the_database_and_counts_the_wait(capsys, monkeypatch, tmp_path: Path) -> None:
    """The trial: `export` sat silent while the log was locked, then printed a time that left the wait out."""
    import re
    import sys
    import threading
    import time

    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    capsys.readouterr()
    other = locked(tmp_path)
    said_busy: list[float] = []  # when the export said it waits: after its clock started (kiosk/cli/reports.py)
    held: list[float] = []

    class Stamped:
        """stderr, noting when the busy line is written."""

        def __init__(self, real) -> None:
            self.real = real

        def write(self, text: str) -> int:
            if "数据库被占用" in text:
                said_busy.append(time.perf_counter())
            return self.real.write(text)

        def flush(self) -> None:
            self.real.flush()

    monkeypatch.setattr(sys, "stderr", Stamped(sys.stderr))

    def release() -> None:
        held.append(time.perf_counter())
        other.execute("ROLLBACK")
        other.close()

    timer = threading.Timer(1.0, release)  # within the busy timeout of the export's audit write
    timer.start()
    code = main(["export", "--date", "2020-01-01", "--to", "2030-01-01", "--out", str(tmp_path / "a.csv")])
    timer.join()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err.strip().splitlines() == ["gate-kiosk: 数据库被占用，等待… (the database is busy: waiting)"]
    # The export could not finish before the release, so the time it printed covers at least the stretch from
    # saying it waits to the release (its clock started before it said so; start-up before that is not ours).
    assert float(re.search(r"entries, ([0-9.]+) s;", out).group(1)) >= held[0] - said_busy[0] - 0.01
