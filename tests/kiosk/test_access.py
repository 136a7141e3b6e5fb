"""The admin PIN: scrypt hash, lockout with a growing delay that survives a restart, audit of every try."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kiosk.access import AccessDenied, AdminAccess
from kiosk.cli import main


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_pin_is_stored_hashed_and_private(tmp_path: Path) -> None:
    events: list = []
    access = AdminAccess(tmp_path, audit=lambda *a: events.append(a))
    access.set_pin("2468", "it")
    raw = (tmp_path / "admin.json").read_text()
    assert "2468" not in raw and len(json.loads(raw)["hash"]) == 64 and len(json.loads(raw)["salt"]) == 32
    assert stat.S_IMODE((tmp_path / "admin.json").stat().st_mode) == 0o600
    access.verify("2468", "it", "settings")
    assert events[-1] == ("it", "settings", {"granted": True})
    with pytest.raises(AccessDenied, match="4–12"):
        access.set_pin("12", "it", "2468")
    with pytest.raises(AccessDenied):
        access.set_pin("1357", "it", "0000")  # changing needs the current PIN


def test_lockout_after_five_wrong_pins_grows_and_survives_restart(tmp_path: Path) -> None:
    clock = Clock()
    events: list = []
    access = AdminAccess(tmp_path, audit=lambda *a: events.append(a), clock=clock)
    access.set_pin("2468", "it")
    for i in range(4):
        with pytest.raises(AccessDenied, match=f"还可尝试 {4 - i} 次"):
            access.verify("0000", "guard", "export")
    with pytest.raises(AccessDenied, match="已锁定"):
        access.verify("0000", "guard", "export")
    assert access.locked_for() == pytest.approx(30)
    with pytest.raises(AccessDenied, match="锁定"):
        access.verify("2468", "guard", "export")  # even the right PIN waits
    restarted = AdminAccess(tmp_path, audit=lambda *a: events.append(a), clock=clock)
    assert restarted.locked_for() == pytest.approx(30)
    clock.t += 31
    with pytest.raises(AccessDenied):
        restarted.verify("1111", "guard", "export")
    assert restarted.locked_for() == pytest.approx(60)  # the delay doubles
    clock.t += 61
    restarted.verify("2468", "guard", "export")
    assert restarted.locked_for() == 0
    granted = [e[2].get("granted") for e in events if e[1] == "export"]
    assert granted.count(False) == 6 and granted[-1] is True
    assert any(e[1] == "pin_locked" for e in events)


def test_admin_cli_sets_the_pin(tmp_path: Path, capsys) -> None:
    assert main(["admin", "set-pin", "--new-pin", "97531"]) == 0
    assert AdminAccess(tmp_path / "data").has_pin
    assert main(["admin", "set-pin", "--new-pin", "1111", "--pin", "0000"]) == 2
    assert "PIN 错误" in capsys.readouterr().err
