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


def _systemctl_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exit_code: int) -> Path:
    """A `systemctl` first on PATH that records its arguments (this test must not enable a real service)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl-calls"
    script = bin_dir / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                      + ('echo "Failed to connect to bus: No medium found" >&2\n' if exit_code else "")
                      + f"exit {exit_code}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return calls


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux service")
@pytest.mark.parametrize("systemctl_exit", [0, 1])
def test_install_names_the_config_absolutely_and_says_when_systemd_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        systemctl_exit: int) -> None:
    from kiosk.cli.main import main

    calls = _systemctl_on_path(tmp_path, monkeypatch, systemctl_exit)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "cfg1").mkdir()
    (tmp_path / "cfg1" / "config.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    code = main(["--config", "cfg1/config.toml", "autostart", "install"])
    out, err = capsys.readouterr()
    unit = tmp_path / "home" / ".config" / "systemd" / "user" / "gate-kiosk.service"
    assert f'GATE_KIOSK_CONFIG={tmp_path / "cfg1" / "config.toml"}"' in unit.read_text()
    if systemctl_exit:
        assert code == 1 and "now starts at login" not in out
        assert err.startswith("gate-kiosk: error: systemctl --user daemon-reload failed (exit 1): Failed to connect")
        assert len(err.strip().splitlines()) == 1
    else:
        assert code == 0 and "now starts at login" in out and not err
        assert calls.read_text().splitlines() == ["--user daemon-reload", "--user enable gate-kiosk.service"]
