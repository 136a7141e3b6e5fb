"""A new user's trial of the command line: `--out -`, a database URL whose driver is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli.main import main


@pytest.mark.parametrize("command", [["export", "--date", "2026-03-02", "--format", "csv", "--out", "-"],
                                     ["report", "weekly", "--week", "2026-W10", "--out", "-"]])
def test_out_dash_is_refused_in_one_line_and_writes_nothing(capsys, tmp_path: Path, monkeypatch,
                                                            command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--out -" in err
    assert not (tmp_path / "-").exists() and not (tmp_path / "-.sig").exists()


def test_config_show_warns_when_the_database_driver_is_not_installed(capsys, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    # A PostgreSQL URL naming a driver this machine lacks: shown, with a one-line warning.
    config.write_text('[database]\nurl = "postgresql+pg8000://kiosk@db.example/entries"\n', encoding="utf-8")
    assert main(["--config", str(config), "config", "show"]) == 0
    out, err = capsys.readouterr()
    assert "pg8000" in out
    assert len(err.strip().splitlines()) == 1 and "warning" in err and "not installed" in err
    # A database the kiosk does not speak at all is a config error (the settings dialog refuses it too).
    config.write_text('[database]\nurl = "mysql://kiosk@db.example/entries"\n', encoding="utf-8")
    assert main(["--config", str(config), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "database.url must be" in err
    config.write_text("", encoding="utf-8")
    assert main(["--config", str(config), "config", "show"]) == 0
    assert capsys.readouterr().err == ""
