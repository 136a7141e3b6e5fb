"""Issue 16: policy changes are recorded, every value is range-checked, every bad config is one line and exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kiosk.cli.main import main
from kiosk.config.settings import ConfigError
from kiosk.config.loading import load_settings


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_an_edited_policy_never_passes_as_the_old_version(tmp_path: Path) -> None:
    base = load_settings(write(tmp_path, "[policy]\nversion = \"2022-06-29\"\n")).policy.version
    edited = load_settings(write(tmp_path, "[policy]\nversion = \"2022-06-29\"\nfever_threshold_c = 37.5\n"))
    assert base.startswith("2022-06-29+") and edited.policy.version.startswith("2022-06-29+")
    assert base != edited.policy.version and len(edited.policy.version) <= 32


@pytest.mark.parametrize("text, key", [
    ("[policy]\nplausible_min_c = nan\n", "policy.plausible_min_c"),
    ("[policy]\nfever_threshold_c = inf\n", "policy.fever_threshold_c"),
    ("[gate]\nreplay_window_min = -1.0\n", "gate.replay_window_min"),
    ("[gate]\nreplay_window_min = 1.0\n", "gate.replay_window_min"),
    ("[gate]\nvisit_timeout_s = nan\n", "gate.visit_timeout_s"),
    ("[gate]\nresult_display_s = inf\n", "gate.result_display_s"),
    ("[gate]\ndebounce_s = 0.0\n", "gate.debounce_s"),
    ("[policy]\nretake_wait_s = 0\n", "policy.retake_wait_s"),
    ("[site]\ntimezone = \"Mars/Olympus\"\n", "site.timezone"),
    ("[calibration]\ninterval_days = 0\n", "calibration.interval_days"),
    ("[policy]\nversion = \"a-very-long-policy-version-name\"\n", "policy.version"),
])
def test_bad_values_are_one_clear_line_and_exit_2(tmp_path: Path, capsys, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(path)
    assert main(["--config", str(path), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert key in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_non_utf8_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "[site]\nsite_id = \"门岗\"\n".encode("gbk"))
    assert main(["--config", str(path), "config", "show"]) == 2
    assert "UTF-8" in capsys.readouterr().err


@pytest.mark.slow
def test_a_fever_threshold_outside_37_to_38_5_needs_an_admin_and_changes_are_audited(tmp_path: Path, capsys) -> None:
    from db.store import EntryStore

    write(tmp_path, "")
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    write(tmp_path, "[policy]\nfever_threshold_c = 39.0\n")
    capsys.readouterr()
    assert main(["check", "--lane", "staff", "--temp", "38.9"]) == 2  # 38.9 °C would have passed
    assert "confirm-policy" in capsys.readouterr().err
    assert main(["admin", "confirm-policy", "--pin", "1234"]) == 2  # no PIN set: nobody can confirm
    assert main(["admin", "set-pin", "--new-pin", "246810"]) == 0
    assert main(["admin", "confirm-policy", "--pin", "111111"]) == 2
    assert main(["admin", "confirm-policy", "--pin", "246810"]) == 0
    capsys.readouterr()
    assert main(["check", "--lane", "staff", "--temp", "38.9", "--mask", "yes", "--confirm", "health"]) == 0
    settings = load_settings(tmp_path / "config.toml")
    store = EntryStore(settings.database_url)
    changes = store.audit_events("policy_in_force")
    store.close()
    assert len(changes) == 2 and changes[1]["detail"]["previous"] == changes[0]["detail"]["version"]
    assert changes[1]["detail"]["policy"]["fever_threshold_c"] == 39.0


def test_windows_config_mistakes_are_explained(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[paths]\ndata_dir = "C:\\Users\\guard\\kiosk"\n')
    with pytest.raises(ConfigError, match=r"line 2.*with / .*or in single quotes"):
        load_settings(config)
    config.write_text('[site]\nschool_name = "x\\q"\n[paths]\ndata_dir = "/srv/kiosk"\n')
    with pytest.raises(ConfigError) as error:  # a line without a path: the hint is still about that line
        load_settings(config)
    assert "single quotes" in str(error.value)
    config.write_text("[paths]\ndata_dir = 'C:\\Users\\guard\\kiosk'\n")
    if sys.platform != "win32":
        with pytest.raises(ConfigError, match=r"paths.data_dir: .*is a Windows path"):
            load_settings(config)
    config.write_text("[site]\nschool_name = 'x'\n[paths\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "single quotes" not in str(error.value)  # no backslash on that line: no hint
    config.write_text("[devices]\ncamera = 0\n")  # as docs/config.example.toml lists it
    assert load_settings(config).devices.camera == "0"
    config.write_text("[devices]\ncamera = true\n")
    with pytest.raises(ConfigError, match="devices.camera must be str"):
        load_settings(config)
