"""A dedicated gate PC: the systemd user service and the autostart entry that keep the window up."""

from __future__ import annotations

import configparser
import os
import shlex
import sys
from pathlib import Path

import pytest

from kiosk.cli.autostart import install, kiosk_command, remove, service_unit


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux service")
def test_install_writes_a_restarting_user_service_and_autostart(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    unit, entry = install(tmp_path / "home", config, enable=False)
    assert unit == tmp_path / "home" / ".config" / "systemd" / "user" / "gate-kiosk.service"
    parsed = configparser.ConfigParser(interpolation=None, strict=False)
    parsed.optionxform = str  # systemd keys are case-sensitive
    parsed.read_string(unit.read_text())
    service = parsed["Service"]
    assert service["Restart"] == "always" and int(service["RestartSec"]) <= 5
    assert parsed["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up
    assert parsed["Install"]["WantedBy"] == "graphical-session.target"
    command = shlex.split(service["ExecStart"])
    assert command[1:] == ["run", "--fullscreen"] and Path(command[0]).exists()
    assert f"GATE_KIOSK_CONFIG={config}" in unit.read_text()
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.read_string(entry.read_text())
    assert desktop["Desktop Entry"]["Exec"] == "systemctl --user start gate-kiosk.service"
    assert set(remove(tmp_path / "home")) == {unit, entry} and not unit.exists()


def test_the_command_opens_this_installation_full_screen() -> None:
    command = kiosk_command()
    assert command[-2:] == ["run", "--fullscreen"]
    assert "Restart=always" in service_unit(command)


def test_run_fullscreen_flag_is_accepted() -> None:
    from kiosk.cli.main import build_parser

    args = build_parser().parse_args(["run", "--fullscreen"])
    assert args.fullscreen


def _systemctl_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str = "") -> Path:
    """A `systemctl` first on PATH that records its arguments and exits 1 on the command ``fails`` (this test
    must not enable a real service; a failing one is systemctl without a user session bus)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl-calls"
    script = bin_dir / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                      f'if [ "$2" = "{fails}" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    from kiosk.cli.main import main

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "cfg1").mkdir(exist_ok=True)
    (tmp_path / "cfg1" / "config.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    return main(["--config", "cfg1/config.toml", "autostart", "install"])


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux service")
def test_install_names_the_config_absolutely_and_tells_systemd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls = _systemctl_on_path(tmp_path, monkeypatch)
    code = _install(tmp_path, monkeypatch)
    out, err = capsys.readouterr()
    unit = tmp_path / "home" / ".config" / "systemd" / "user" / "gate-kiosk.service"
    assert f'GATE_KIOSK_CONFIG={tmp_path / "cfg1" / "config.toml"}"' in unit.read_text()
    assert code == 0 and "now starts at login" in out and not err
    assert calls.read_text().splitlines() == ["--user daemon-reload", "--user enable gate-kiosk.service"]


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux service")
@pytest.mark.parametrize("fails", ["daemon-reload", "enable"])
def test_when_systemd_refuses_nothing_is_left_installed_and_one_line_says_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fails: str) -> None:
    calls = _systemctl_on_path(tmp_path, monkeypatch, fails)
    home = tmp_path / "home"
    entry = home / ".config" / "autostart" / "gate-kiosk.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nExec=an older install\n")  # there before: it stays as it was
    code = _install(tmp_path, monkeypatch)
    out, err = capsys.readouterr()
    assert code == 1 and "now starts at login" not in out and "wrote" not in out
    assert err.startswith(f"gate-kiosk: error: systemctl --user {fails}")
    assert "failed (exit 1): Failed to connect to bus" in err
    assert "nothing was installed" in err and "autostart install" in err and len(err.strip().splitlines()) == 1
    assert entry.read_text() == "[Desktop Entry]\nExec=an older install\n"
    assert not (home / ".config" / "systemd").exists()  # the folders this run made are gone too
    if fails == "enable":  # systemd had read the new unit: it reads the folder again without it
        assert calls.read_text().splitlines()[-1] == "--user daemon-reload"


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux service")
def test_remove_without_a_user_session_removes_the_files_and_says_so_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli.main import main

    _systemctl_on_path(tmp_path, monkeypatch)
    assert _install(tmp_path, monkeypatch) == 0
    capsys.readouterr()
    (tmp_path / "bin" / "systemctl").unlink()
    no_session_bin = tmp_path / "bin2"
    no_session_bin.mkdir()
    script = no_session_bin / "systemctl"
    script.write_text('#!/bin/sh\necho "Failed to connect to bus: No medium found" >&2\nexit 1\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{no_session_bin}:{os.environ['PATH']}")
    assert main(["--config", "cfg1/config.toml", "autostart", "remove"]) == 0
    out, err = capsys.readouterr()
    assert out.count("removed ") == 2 and not (tmp_path / "home" / ".config" / "autostart" / "gate-kiosk.desktop").exists()
    assert err.count("\n") == 1 and err.startswith("gate-kiosk: note: systemctl --user could not stop the service")
    assert "Failed to connect to bus" in err and "keeps running until the next login" in err
