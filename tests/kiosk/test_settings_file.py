"""Saving settings: comments survive, policy changes bump policy.version, a bad change leaves the file alone."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from kiosk.config.settings import ConfigError
from kiosk.config.loading import load_settings
from kiosk.config.settings_file import next_policy_version, write_settings
from tests.conftest import REPO

DAY = date(2026, 11, 29)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    shutil.copy(REPO / "docs" / "config.example.toml", path)
    return path


def test_comments_and_untouched_lines_survive(config: Path) -> None:
    before = config.read_text()
    saved = write_settings(config, {"ui": {"fullscreen": True}, "site": {"gate_id": "east"}}, today=DAY)
    after = config.read_text()
    assert not saved.policy_changed
    assert "# gate-kiosk configuration (all keys optional" in after
    assert "fever_threshold_c = 37.3     # 34.0–39.0" in after
    assert 'gate_id = "east"' in after and "fullscreen = true" in after
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(changed) == 2  # exactly the two values, each keeping its line
    assert load_settings(config).site.gate_id == "east"


def test_a_policy_change_bumps_the_version(config: Path) -> None:
    saved = write_settings(config, {"policy": {"fever_threshold_c": 37.5}}, today=DAY)
    assert saved.policy_changed
    assert (saved.policy_version_before, saved.policy_version_after) == ("2022-06-29", "2026-11-29")
    s = load_settings(config)
    assert s.policy.version.split("+")[0] == "2026-11-29" and s.policy.fever_threshold_c == 37.5
    assert "recorded in every entry" in config.read_text()  # the version's comment stays on its line
    again = write_settings(config, {"policy": {"retake_wait_s": 30.0}}, today=DAY)
    assert again.policy_version_after == "2026-11-29.2"
    same = write_settings(config, {"policy": {"retake_wait_s": 30.0}, "ui": {"sound": False}}, today=DAY)
    assert not same.policy_changed and load_settings(config).policy.version.startswith("2026-11-29.2+")
    chosen = write_settings(config, {"policy": {"retake_wait_s": 45.0, "version": "county-7"}}, today=DAY)
    assert chosen.policy_version_after == "county-7"


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])  # 26 h apart: their dates always differ
def test_the_version_names_the_schools_date_not_the_machines(config: Path, zone: str) -> None:
    """Re-trial: just after midnight in Shanghai a UTC machine named the new version after yesterday."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    write_settings(config, {"site": {"timezone": zone}})
    school_day = datetime.now(ZoneInfo(zone)).date()
    saved = write_settings(config, {"policy": {"fever_threshold_c": 37.5}})
    assert saved.policy_version_after == school_day.isoformat() or datetime.now(ZoneInfo(zone)).date() != school_day


def test_rules_keep_their_options_and_removed_elements_go(config: Path) -> None:
    saved = write_settings(config, {"policy.rules": {"staff": {"health": "soft", "temperature": "hard",
                                                               "nucleic_acid": "hard"}}}, today=DAY)
    assert saved.policy_changed
    rules = {r.element.value: r for r in load_settings(config).policy.rules["staff"]}
    # Mask left out of the table: the three elements are checked for everyone, so it stays (hard).
    assert set(rules) == {"health", "temperature", "nucleic_acid", "mask"} and rules["mask"].mode.value == "hard"
    assert rules["health"].mode.value == "soft"
    assert rules["nucleic_acid"].only_returning  # the dialog's plain mode did not drop "returning only"
    assert "# Per group: element" in config.read_text()


def test_bad_values_and_bad_files_leave_the_file_as_it_was(config: Path, tmp_path: Path) -> None:
    before = config.read_text()
    with pytest.raises(ConfigError, match="fever_threshold_c"):
        write_settings(config, {"policy": {"fever_threshold_c": 45.0}}, today=DAY)
    assert config.read_text() == before
    # Re-trial: a database URL the store cannot open was saved, and the gate then would not start.
    with pytest.raises(ConfigError, match="database.url must be"):
        write_settings(config, {"database": {"url": "foo://bar"}}, today=DAY)
    assert config.read_text() == before
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\nname=")
    with pytest.raises(ConfigError, match="not overwriting"):
        write_settings(broken, {"ui": {"sound": False}})
    assert broken.read_text() == "[site\nname="
    assert not list(tmp_path.glob("*.new")) and not list(tmp_path.glob("*.check"))


def test_a_new_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    saved = write_settings(path, {"site": {"site_id": "no-3-middle"}, "devices": {"camera": "v4l2:0"}})
    assert load_settings(path).site.site_id == "no-3-middle" and not saved.policy_changed


def test_next_policy_version() -> None:
    assert next_policy_version("2022-06-29", DAY) == "2026-11-29"
    assert next_policy_version("2026-11-29", DAY) == "2026-11-29.2"
    assert next_policy_version("2026-11-29.9", DAY) == "2026-11-29.10"
    assert next_policy_version("county-7", DAY) == "2026-11-29"


def test_a_save_writes_what_the_admin_changed_not_every_default_or_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "short.toml"
    path.write_text('# our gate\n[site]\nschool_name = "第三中学"\n\n[devices]\ncamera = "0"\n'
                    'thermometer = "/dev/ttyUSB0"\n')
    data = tmp_path / "from-env"
    monkeypatch.setenv("GATE_KIOSK_DATA", str(data))
    settings = load_settings(path)
    p = settings.policy
    # What the settings dialog hands over: every field, as shown (ui/dialogs.py SettingsDialog.changes).
    rules = {g: {r.element.value: r.mode.value for r in rs if r.mode.value != "off"} for g, rs in p.rules.items()}
    changes = {
        "policy": {"fever_threshold_c": p.fever_threshold_c, "retake_wait_s": p.retake_wait_s,
                   "nucleic_window_h": int(p.nucleic_window_h)},
        "policy.rules": rules,
        "gate": {"result_display_s": settings.gate.result_display_s, "visit_timeout_s": 25.0},
        "devices": {"camera": "0", "thermometer": "/dev/ttyUSB0", "scanner": "",
                    "thermometer_protocol": settings.devices.thermometer_protocol,
                    "decoder": settings.devices.decoder},
        "paths": {"data_dir": str(data)},
    }
    saved = write_settings(path, changes, today=DAY)
    text = path.read_text()
    assert saved.written == {"gate": {"visit_timeout_s": 25.0}} and not saved.policy_changed
    assert "data_dir" not in text and "rules" not in text and "thermometer_protocol" not in text
    assert text.startswith('# our gate\n[site]\nschool_name = "第三中学"') and "visit_timeout_s = 25.0" in text
    assert len(text.splitlines()) <= 10
    monkeypatch.delenv("GATE_KIOSK_DATA")
    assert load_settings(path).data_dir != data  # the environment's choice did not become the file's
    changes["paths"] = {"data_dir": str(tmp_path / "chosen")}  # an admin who does change it: written
    assert write_settings(path, changes, today=DAY).written == {"paths": {"data_dir": str(tmp_path / "chosen")}}
