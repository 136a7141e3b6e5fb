"""The visits issue through the command line: what the guard saw, sealed registration,
and simulations that never touch the production log."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kiosk.app import build_kiosk
from kiosk.cli.main import main
from kiosk.config.loading import load_settings
from kiosk.domain.model import Element, Lane, PersonKind


def check(capsys, *args: str) -> dict:
    assert main(["check", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_confirm_records_the_colour_the_guard_saw(capsys) -> None:
    green = check(capsys, "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health")
    assert green["decision"] == "PASS" and green["elements"]["health"]["value"] == "green"
    red = check(capsys, "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health=red")
    assert red["decision"] == "DENY" and red["elements"]["health"]["value"] == "red"
    assert red["reasons"][0]["code"] == "health_colour" and red["reasons"][0]["message"] == "健康码异常：红码"
    rejected = check(capsys, "--lane", "worker", "--reject", "health", "--lang", "en")
    assert rejected["elements"]["health"]["value"] == "red"
    assert rejected["reasons"][0]["message"] == "Health code is red"
    assert main(["check", "--lane", "staff", "--confirm", "health=purple"]) == 2
    assert "health can be seen as green, yellow, red" in capsys.readouterr().err


def test_the_stored_health_status_is_a_colour_never_a_boolean(capsys, tmp_path: Path) -> None:
    out = check(capsys, "--lane", "staff", "--reject", "health")
    db = load_settings().database_url[len("sqlite:///"):]
    with sqlite3.connect(db) as conn:
        status, reasons = conn.execute("select health_status, reasons from entries where id = ?",
                                       (out["entry_id"],)).fetchone()
    assert status == "red" and "False" not in reasons


def test_kind_and_key_posts_on_the_cli(capsys) -> None:
    out = check(capsys, "--lane", "staff", "--kind", "visitor", "--temp", "36.5", "--mask", "yes",
                "--confirm", "health")
    assert out["person_kind"] == "visitor" and out["decision"] == "INCOMPLETE"  # a visitor registers


def test_registration_is_sealed_and_revealed_only_with_the_pin(capsys, tmp_path: Path) -> None:
    settings = load_settings()
    kiosk = build_kiosk(settings)
    try:
        c = kiosk.controller
        c.set_lane(Lane.WORKER, PersonKind.COURIER)
        c.confirm(Element.HEALTH, True)
        c.confirm(Element.ITINERARY, True)
        c.confirm(Element.VACCINE, True)
        c.confirm(Element.MASK, True)
        c.type_temperature(36.4)
        snap = c.register({"name": "张三", "phone": "13812345678", "id_number": "110101199003077777",
                           "company": "顺丰", "purpose": "送快递"})
        entry = kiosk.store.get(snap.entry_id)
    finally:
        kiosk.close()
    assert entry.decision == "PASS" and entry.registration["phone"] == "138****5678"
    assert entry.registration_sealed and "13812345678" not in entry.registration_sealed
    key = settings.data_dir / "registration.key"
    assert key.stat().st_mode & 0o777 == 0o600
    raw = Path(settings.database_url[len("sqlite:///"):]).read_bytes()
    assert b"13812345678" not in raw and b"110101199003077777" not in raw
    # No PIN set: revealing is refused.
    assert main(["registration", "reveal", entry.id, "--reason", "疾控协查 2022-031"]) == 2
    assert "admin PIN" in capsys.readouterr().err
    assert main(["admin", "set-pin", "--new-pin", "246810"]) == 0
    assert main(["registration", "reveal", entry.id, "--reason", "疾控协查 2022-031", "--pin", "111111"]) == 2
    capsys.readouterr()
    assert main(["registration", "reveal", entry.id, "--reason", "疾控协查 2022-031", "--pin", "246810"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["phone"] == "13812345678" and shown["id_number"] == "110101199003077777"
    kiosk = build_kiosk(settings)
    try:
        audits = kiosk.store.audit_events("reveal_registration")
    finally:
        kiosk.close()
    assert any(a["detail"].get("reason") == "疾控协查 2022-031" for a in audits)


def test_a_fresh_live_start_without_devices_writes_nothing(capsys, tmp_path: Path) -> None:
    settings = load_settings()
    # Nothing configured: the first-run setup opens instead of a gate; leaving it writes nothing.
    assert main(["run", "--quit-after", "0.5", "--screenshot", str(tmp_path / "setup.png")]) == 0
    assert (tmp_path / "setup.png").exists()
    # A gate with simulated devices outside the demo is refused in one line.
    from kiosk.app import build_kiosk
    from kiosk.config.settings import ConfigError
    from dataclasses import replace

    with pytest.raises(ConfigError, match="sim:"):
        build_kiosk(replace(settings, devices=replace(settings.devices, camera="sim:", thermometer="sim:")),
                    with_devices=True)
    db = Path(settings.database_url[len("sqlite:///"):])
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from entries").fetchone()[0] == 0


@pytest.mark.slow
def test_simulations_write_their_own_database_and_refuse_the_real_log(capsys, tmp_path: Path) -> None:
    settings = load_settings()
    real = settings.database_url[len("sqlite:///"):]
    assert main(["demo-data", "--from", "2022-03-01", "--to", "2022-03-01", "--per-day", "20"]) == 0
    out = capsys.readouterr().out
    assert "demo.sqlite3" in out
    demo = settings.data_dir / "demo.sqlite3"
    with sqlite3.connect(demo) as conn:
        origins = {o for (o,) in conn.execute("select distinct origin from entries")}
    assert origins == {"demo"}
    assert not Path(real).exists() or sqlite3.connect(real).execute("select count(*) from entries").fetchone()[0] == 0
    assert main(["demo-data", "--from", "2022-03-01", "--to", "2022-03-01", "--db", real]) == 2
    assert "production log" in capsys.readouterr().err
    assert main(["simulate", "gate", "--db", real, "--people", "1"]) == 2
    # The readers take the same --db.
    assert main(["verify-log", "--db", str(demo)]) == 0
    capsys.readouterr()
    target = tmp_path / "day.csv"
    assert main(["export", "--db", str(demo), "--date", "2022-03-01", "--format", "csv", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8-sig").count("\n") > 10
    assert main(["export", "--db", str(tmp_path / "nope.sqlite3"), "--date", "2022-03-01", "--format", "csv",
                 "--out", str(target)]) == 2


def test_a_retake_on_the_command_line_is_never_stamped_in_the_future(capsys) -> None:
    from datetime import datetime, timezone

    before = datetime.now(timezone.utc)
    out = check(capsys, "--lane", "staff", "--temp", "38.2", "--temp", "36.6", "--mask", "yes", "--confirm", "health")
    assert out["decision"] == "PASS"
    settings = load_settings()
    with sqlite3.connect(settings.database_url[len("sqlite:///"):]) as conn:
        (created,) = conn.execute("select created_at from entries where id = ?", (out["entry_id"],)).fetchone()
    assert datetime.fromisoformat(created).replace(tzinfo=timezone.utc) <= datetime.now(timezone.utc)
    assert datetime.fromisoformat(created).replace(tzinfo=timezone.utc) >= before.replace(microsecond=0)
    for bad in ("inf", "nan", "99"):
        assert main(["check", "--lane", "staff", "--temp", bad]) == 2
        assert "body temperature" in capsys.readouterr().err
