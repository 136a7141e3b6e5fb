"""The gate-kiosk CLI: the foundation's done-when cases and every expected error (exit 2, one line)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict | None, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip().startswith("{") else None), err


def db_rows(tmp_path: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(tmp_path / "data" / "entries.sqlite3")
    con.row_factory = sqlite3.Row
    return con.execute("SELECT * FROM entries ORDER BY created_at").fetchall()


def test_pass_with_manual_health_confirmation(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health")
    assert code == 0 and out["decision"] == "PASS" and out["flagged"] is False and out["reasons"] == []
    assert out["elements"]["health"]["source"] == "manual"
    rows = db_rows(tmp_path)
    assert len(rows) == 1 and rows[0]["id"] == out["entry_id"] and rows[0]["decision"] == "PASS"
    assert json.loads(rows[0]["elements"])["health"]["source"] == "manual"


def test_single_fever_reading_asks_for_a_retake(capsys, tmp_path: Path) -> None:
    _, out, _ = run(capsys, "check", "--lane", "staff", "--temp", "38.2")
    assert out["decision"] == "INCOMPLETE"
    # The person leaves the command line: the row says a retake is still needed (and is followed up).
    assert any(r["code"] == "fever_no_retake" and "需复测" in r["message"] for r in out["reasons"])
    assert db_rows(tmp_path)[0]["decision"] == "INCOMPLETE"


def test_fever_confirmed_by_retake_denies_and_flags(capsys, tmp_path: Path) -> None:
    _, out, _ = run(capsys, "check", "--lane", "staff", "--temp", "38.2", "--temp", "38.1")
    assert out["decision"] == "DENY" and out["flagged"] is True
    assert any(r["element"] == "temperature" and r["hard"] and "发热" in r["message"] for r in out["reasons"])
    row = db_rows(tmp_path)[0]
    assert row["flagged"] == 1 and row["temperature_c"] == 38.1


def test_no_mask_denies_naming_the_mask(capsys) -> None:
    _, out, _ = run(capsys, "check", "--lane", "staff", "--temp", "36.5", "--mask", "no", "--confirm", "health")
    assert out["decision"] == "DENY"
    assert [r["element"] for r in out["reasons"] if r["hard"]] == ["mask"]


def test_id_number_is_never_stored(capsys, tmp_path: Path) -> None:
    run(capsys, "check", "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health",
        "--name", "王小明", "--id", "110101199003077777")
    raw = (tmp_path / "data" / "entries.sqlite3").read_bytes()
    for f in (tmp_path / "data").rglob("*"):  # the log files in data/log too
        if f.is_file():
            assert b"110101199003077777" not in f.read_bytes()
    row = db_rows(tmp_path)[0]
    assert row["id_masked"] == "11**************77" and row["name_masked"] == "王*明" and len(row["id_hash"]) == 64
    assert raw


@pytest.mark.parametrize("argv, message", [
    (["--config", "/nonexistent/kiosk.toml", "config", "show"], "config file not found"),
    (["check", "--lane", "staff", "--confirm", "tongue"], "unknown element"),
    (["check", "--lane", "staff", "--code", "/nonexistent.png"], "file not found"),
    (["roster", "import", "/nonexistent.csv"], "file not found"),
])
def test_errors_are_one_line_and_exit_2(capsys, argv: list[str], message: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_broken_config_and_bad_database_url(capsys, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[policy\n")
    code, _, err = run(capsys, "--config", str(cfg), "config", "show")
    assert code == 2 and "not valid TOML" in err
    cfg.write_text('[database]\nurl = "nosuchdb://x"\n')
    code, _, err = run(capsys, "--config", str(cfg), "check", "--lane", "staff")
    assert code == 2 and "bad database URL" in err
    cfg.write_text('[paths]\ndata_dir = "/proc/forbidden"\n')
    code, _, err = run(capsys, "--config", str(cfg), "check", "--lane", "staff")
    assert code == 2 and "cannot create the database" in err


def test_unknown_lane_is_a_usage_error_without_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "kiosk", "check", "--lane", "roof"], capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr and "Traceback" not in proc.stderr


def test_config_show_and_db_upgrade(capsys, tmp_path: Path) -> None:
    code = main(["config", "show"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 0 and shown["policy"]["fever_threshold_c"] == 37.3
    assert shown["database_url"].endswith("entries.sqlite3")
    assert main(["db", "upgrade"]) == 0
    assert "revision" in capsys.readouterr().out


def test_roster_import_reports_rejected_rows(capsys, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text("学号,姓名,类别,班级,卡号\n2023001,李雷,学生,三年二班,C001\n,韩梅梅,学生,三年二班,C002\n"
                 "2023003,王五,alien,,\n2023001,重复,学生,,C009\nT01,张老师,教职工,语文组,\n", encoding="utf-8-sig")
    code = main(["roster", "import", str(f)])
    out = capsys.readouterr().out
    assert code == 1
    assert "imported 2 new" in out and "rejected 3" in out
    assert "line 3: id is empty" in out and "line 4: kind 'alien'" in out and "line 5: id 2023001 already on line 2" in out


@pytest.mark.slow
def test_check_fails_when_its_entry_is_only_queued(capsys, tmp_path: Path, monkeypatch) -> None:
    """Issue 16: `check` printed a verdict and an entry id and exited 0 while the database was locked."""
    from db.store import EntryStore

    assert run(capsys, "check", "--lane", "staff", "--temp", "36.5")[0] == 0  # creates the log
    tries: list[str] = []
    real_append = EntryStore.append

    def counted(store: EntryStore, entry):  # the real write, counted
        tries.append(entry.id)
        return real_append(store, entry)

    monkeypatch.setattr(EntryStore, "append", counted)
    other = sqlite3.connect(tmp_path / "data" / "entries.sqlite3", timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, out, err = run(capsys, "check", "--lane", "staff", "--temp", "36.5", "--mask", "yes",
                             "--confirm", "health")
    finally:
        other.rollback()
        other.close()
    assert code == 3 and out["logged"] is False and "NOT saved" in err and len(err.strip().splitlines()) == 1
    # One try, waiting the busy timeout once (the README's 2 s): five tries made it 10 s.
    assert tries == [out["entry_id"]]
    assert out["entry_id"] not in [r["id"] for r in db_rows(tmp_path)]
    assert "waits in" in err  # kept on disk, not lost with the process
    queued = out["entry_id"]
    code, out, _ = run(capsys, "check", "--lane", "staff", "--temp", "36.5")
    assert code == 0 and out["logged"] is True and out["entry_id"] in [r["id"] for r in db_rows(tmp_path)]
    assert queued in [r["id"] for r in db_rows(tmp_path)]  # the next start wrote the one that waited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland displays are Linux's")
def test_run_with_no_display_is_one_plain_line(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "kiosk", "run", "--demo"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr  # not Qt's abort (134)
    assert done.stderr.startswith("gate-kiosk: error: no display") and len(done.stderr.strip().splitlines()) == 1
