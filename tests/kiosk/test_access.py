"""The admin PIN: scrypt hash, lockout with a growing delay that survives a restart, audit of every try."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kiosk.services.access import AccessDenied, AdminAccess
from kiosk.cli.main import main


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_pin_is_stored_hashed_and_private(tmp_path: Path) -> None:
    events: list = []
    access = AdminAccess(tmp_path, audit=lambda *a: events.append(a))
    access.set_pin("246810", "it")
    raw = (tmp_path / "admin.json").read_text()
    assert "246810" not in raw and len(json.loads(raw)["hash"]) == 64 and len(json.loads(raw)["salt"]) == 32
    assert stat.S_IMODE((tmp_path / "admin.json").stat().st_mode) == 0o600
    access.verify("246810", "it", "settings")
    assert events[-1] == ("it", "settings", {"granted": True})
    with pytest.raises(AccessDenied, match="6–12"):
        access.set_pin("12", "it", "246810")
    with pytest.raises(AccessDenied):
        access.set_pin("135790", "it", "000000")  # changing needs the current PIN


@pytest.mark.slow
def test_lockout_after_five_wrong_pins_grows_and_survives_restart(tmp_path: Path) -> None:
    clock = Clock()
    events: list = []
    access = AdminAccess(tmp_path, audit=lambda *a: events.append(a), clock=clock)
    access.set_pin("246810", "it")
    for i in range(4):
        with pytest.raises(AccessDenied, match=f"还可尝试 {4 - i} 次"):
            access.verify("000000", "guard", "export")
    with pytest.raises(AccessDenied, match="已锁定"):
        access.verify("000000", "guard", "export")
    assert access.locked_for() == pytest.approx(30)
    with pytest.raises(AccessDenied, match="锁定"):
        access.verify("246810", "guard", "export")  # even the right PIN waits
    restarted = AdminAccess(tmp_path, audit=lambda *a: events.append(a), clock=clock)
    assert restarted.locked_for() == pytest.approx(30)
    clock.t += 31
    with pytest.raises(AccessDenied):
        restarted.verify("111111", "guard", "export")
    assert restarted.locked_for() == pytest.approx(60)  # the delay doubles
    clock.t += 61
    restarted.verify("246810", "guard", "export")
    assert restarted.locked_for() == 0
    granted = [e[2].get("granted") for e in events if e[1] == "export"]
    assert granted.count(False) == 6 and granted[-1] is True
    assert any(e[1] == "pin_locked" for e in events)


def test_admin_cli_sets_the_pin(tmp_path: Path, capsys) -> None:
    assert main(["admin", "set-pin", "--new-pin", "975310"]) == 0
    assert AdminAccess(tmp_path / "data").has_pin
    assert main(["admin", "set-pin", "--new-pin", "111111", "--pin", "000000"]) == 2
    assert "PIN 错误" in capsys.readouterr().err


# ---- issue 16: a PIN that fails closed (the count lives in the authenticated log)
@pytest.fixture
def ledger(tmp_path: Path):
    from db.store import EntryStore

    store = EntryStore(f"sqlite:///{tmp_path / 'entries.sqlite3'}")
    yield store
    store.close()


@pytest.mark.slow
def test_thirty_wrong_pins_in_parallel_all_count(tmp_path: Path, ledger) -> None:
    import threading

    from db.store import EntryStore

    AdminAccess(tmp_path, ledger=ledger).set_pin("246810", "it")
    stores = [EntryStore(ledger.url) for _ in range(30)]  # thirty kiosks' worth of connections
    barrier = threading.Barrier(30)

    def attempt(store) -> None:
        barrier.wait()
        with pytest.raises(AccessDenied):
            AdminAccess(tmp_path, ledger=store).verify("000000", "attacker", "export")

    threads = [threading.Thread(target=attempt, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    tries = ledger.audit_events("export")
    assert len(tries) == 30
    assert sum(e["detail"]["granted"] is False for e in tries) == 5  # then locked: the rest never reach scrypt
    assert sum(e["detail"].get("locked") is True for e in tries) == 25
    assert AdminAccess(tmp_path, ledger=ledger).locked_for() > 0


@pytest.mark.slow
def test_editing_the_failure_count_in_the_file_resets_nothing(tmp_path: Path, ledger) -> None:
    clock = Clock()
    access = AdminAccess(tmp_path, ledger=ledger, clock=clock)
    access.set_pin("246810", "it")
    for _ in range(5):
        with pytest.raises(AccessDenied):
            access.verify("000000", "guard", "export")
    data = json.loads((tmp_path / "admin.json").read_text())
    data["failures"], data["locked_until"] = 0, 0
    (tmp_path / "admin.json").write_text(json.dumps(data))
    with pytest.raises(AccessDenied, match="锁定"):
        AdminAccess(tmp_path, ledger=ledger, clock=clock).verify("246810", "guard", "export")
    clock.t += 31
    AdminAccess(tmp_path, ledger=ledger, clock=clock).verify("246810", "guard", "export")


@pytest.mark.parametrize("damage", ["delete", "corrupt", "swap"])
def test_a_lost_corrupt_or_swapped_pin_file_locks_admin_functions(tmp_path: Path, ledger, damage: str) -> None:
    access = AdminAccess(tmp_path, ledger=ledger)
    access.set_pin("246810", "it")
    if damage == "delete":
        (tmp_path / "admin.json").unlink()
    elif damage == "corrupt":
        (tmp_path / "admin.json").write_text("{not json")
    else:  # the attacker sets their own PIN in a fresh file
        AdminAccess(tmp_path / "elsewhere").set_pin("111111", "attacker")
        (tmp_path / "admin.json").write_bytes((tmp_path / "elsewhere" / "admin.json").read_bytes())
    fresh = AdminAccess(tmp_path, ledger=ledger)
    assert fresh.has_pin
    with pytest.raises(AccessDenied, match="admin.json"):
        fresh.verify("111111" if damage == "swap" else "246810", "guard", "export")
    assert ledger.last_audit("pin_missing")["detail"]["action"] == "export"


def test_export_and_purge_refuse_without_the_pin_file(tmp_path: Path, capsys) -> None:
    assert main(["admin", "set-pin", "--new-pin", "975310"]) == 0
    (tmp_path / "data" / "admin.json").unlink()
    assert main(["purge", "--older-than", "30d", "--pin", "975310"]) == 2
    assert main(["export", "--date", "2022-02-22", "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 2
    assert "admin.json" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


# ---- issue 16 (trial): the PIN is what stands between a copied data dir and the export key
def test_new_pins_have_six_digits_and_cost_a_scrypt_of_128_mib(tmp_path: Path) -> None:
    from kiosk.services.access import PIN_KDF

    access = AdminAccess(tmp_path)
    with pytest.raises(AccessDenied, match="6–12"):
        access.set_pin("2468", "it")
    access.set_pin("246810", "it")
    data = json.loads((tmp_path / "admin.json").read_text())
    assert data["kdf"] == PIN_KDF and 128 * PIN_KDF["r"] * PIN_KDF["n"] >= 128 * 2**20 and data["digits"] == 6
    assert access.weakness() is None


def test_a_four_digit_pin_from_before_keeps_working_and_is_called_weak(tmp_path: Path, ledger, capsys) -> None:
    import hashlib

    from kiosk.services.access import fingerprint

    salt = bytes(range(16))  # admin.json as the version before wrote it: 4 digits, n=2^14, no "kdf"
    old = {"salt": salt.hex(), "hash": hashlib.scrypt(b"2468", salt=salt, n=2**14, r=8, p=1, dklen=32).hex(),
           "failures": 0, "locked_until": 0}
    (tmp_path / "admin.json").write_text(json.dumps(old))
    ledger.audit("it", "set_pin", {"fingerprint": fingerprint(old)})
    access = AdminAccess(tmp_path, ledger=ledger)
    assert "旧版本" in access.weakness()
    access.verify("2468", "guard", "settings")
    assert json.loads((tmp_path / "admin.json").read_text())["digits"] == 4
    from kiosk.cli.doctor import WARN, diagnose

    (tmp_path / "config.toml").write_text("")
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "admin.json").write_bytes((tmp_path / "admin.json").read_bytes())
    findings = [f for f in diagnose(tmp_path / "config.toml") if f.check == "pin"]
    assert [f.status for f in findings] == [WARN] and "6 位" in findings[0].message and "set-pin" in findings[0].fix


def test_full_width_digits_are_the_same_pin_and_other_scripts_digits_are_refused(tmp_path: Path, capsys) -> None:
    """Trial finding: '１２３４５６' (a Chinese input method in full-width mode) was stored as a different PIN
    from 123456, and '١٢٣٤٥٦' was accepted at all."""
    assert main(["admin", "set-pin", "--new-pin", "１２３４５６"]) == 0
    capsys.readouterr()
    assert main(["admin", "set-pin", "--pin", "123456", "--new-pin", "246810"]) == 0  # the same PIN, typed in ASCII
    assert main(["admin", "set-pin", "--pin", "２４６８１０", "--new-pin", "١٢٣٤٥٦"]) == 2
    assert "6–12 位数字" in capsys.readouterr().err
    AdminAccess(tmp_path / "data").verify("２４６８１０", "guard", "export")  # full width still the same PIN
