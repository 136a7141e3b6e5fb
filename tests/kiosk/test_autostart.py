"""A dedicated gate PC: the systemd user service and the autostart entry that keep the window up."""

from __future__ import annotations

import configparser
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
