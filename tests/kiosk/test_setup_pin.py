"""Setup run again on a gate whose admin PIN is from before (4 digits): not refused, and the PIN can be changed there.

Issue 12: the setup checked the current PIN against the rule for new ones (6–12 digits) and refused it,
while the rest of the kiosk still accepts it until it is changed (kiosk.services.access).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kiosk.app import build_store
from kiosk.config.loading import load_settings
from kiosk.config.settings import ConfigError
from kiosk.desk.firstrun import SetupAnswers, write_first_config
from kiosk.services.access import AccessDenied, AdminAccess, fingerprint


def a_gate_with_a_four_digit_pin(tmp_path: Path, *, kept_a_log: bool) -> Path:
    """A configured gate whose admin.json the version before wrote: "2468", scrypt n=2^14, no "kdf"."""
    config = tmp_path / "config.toml"
    config.write_text('[site]\nschool_name = "第三中学"\ngate_id = "east-1"\n[devices]\nscanner = "keyboard"\n',
                      encoding="utf-8")
    settings = load_settings(config)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    salt = bytes(range(16))
    old = {"salt": salt.hex(), "hash": hashlib.scrypt(b"2468", salt=salt, n=2**14, r=8, p=1, dklen=32).hex(),
           "failures": 0, "locked_until": 0}
    (settings.data_dir / "admin.json").write_text(json.dumps(old))
    if kept_a_log:
        store = build_store(settings, accept_ledger=True)  # its first log (a PIN file from before says "ran before")
        store.accept_ledger("it")
        store.audit("it", "set_pin", {"fingerprint": fingerprint(old)})
        store.close()
    return config


def answers(**kw: str) -> SetupAnswers:
    return SetupAnswers(school_name="第三中学", gate_id="east-2", scanner="keyboard", **kw)


def test_the_old_four_digit_pin_is_taken_and_kept_when_no_new_one_is_given(tmp_path: Path) -> None:
    config = a_gate_with_a_four_digit_pin(tmp_path, kept_a_log=False)
    assert not answers(pin="2468", has_pin=True).problems()  # what setup used to refuse ("6–12 位")
    with pytest.raises(ConfigError, match="现有的 PIN"):
        write_first_config(config, answers(pin="1357"))
    settings = write_first_config(config, answers(pin="2468"))
    assert settings.site.gate_id == "east-2"
    AdminAccess(settings.data_dir).verify("2468", "guard", "export")  # still unlocks until changed


def test_a_new_pin_set_in_setup_is_recorded_in_the_gate_log_like_admin_set_pin(tmp_path: Path) -> None:
    config = a_gate_with_a_four_digit_pin(tmp_path, kept_a_log=True)
    with pytest.raises(ConfigError, match="6–12"):
        write_first_config(config, answers(pin="2468", new_pin="1357"))
    # Without the log at hand the change is refused: the log vouches for the PIN file at every start.
    with pytest.raises(ConfigError, match="admin set-pin"):
        write_first_config(config, answers(pin="2468", new_pin="135790"))
    assert load_settings(config).site.gate_id == "east-1"  # nothing written
    settings = write_first_config(config, answers(pin="2468", new_pin="135790"), open_ledger=build_store)
    assert settings.site.gate_id == "east-2"
    store = build_store(settings)
    try:
        access = AdminAccess(settings.data_dir, ledger=store)
        assert access.weakness() is None
        access.verify("135790", "guard", "export")  # the file matches the log's fingerprint: not locked
        with pytest.raises(AccessDenied):
            access.verify("2468", "guard", "export")
        actions = [(row["actor"], row["action"], row["detail"].get("granted"))
                   for row in store.audit_events() if row["action"] in ("change_pin", "set_pin")]
        assert ("setup", "change_pin", True) in actions and ("setup", "set_pin", None) in actions
    finally:
        store.close()


def test_a_wrong_current_pin_changes_nothing(tmp_path: Path) -> None:
    config = a_gate_with_a_four_digit_pin(tmp_path, kept_a_log=True)
    with pytest.raises(ConfigError, match="现有的 PIN"):
        write_first_config(config, answers(pin="1111", new_pin="135790"), open_ledger=build_store)
    settings = load_settings(config)
    assert settings.site.gate_id == "east-1"
    AdminAccess(settings.data_dir).verify("2468", "guard", "export")


def test_setup_on_a_gate_whose_config_is_gone_but_whose_pin_stays_is_not_a_dead_end(tmp_path: Path) -> None:
    """Re-trial finding: config.toml deleted (doctor suggests it) or setup cut short, the PIN kept:
    setup asked for the current PIN and then failed with "config file not found"."""
    config = a_gate_with_a_four_digit_pin(tmp_path, kept_a_log=False)
    config.unlink()
    settings = write_first_config(config, answers(pin="2468"))
    assert config.exists() and settings.site.gate_id == "east-2"
    with pytest.raises(ConfigError, match="现有的 PIN"):
        config.unlink()
        write_first_config(config, answers(pin="1357"))


def test_a_gate_id_with_a_trailing_newline_is_refused() -> None:
    from kiosk.desk.firstrun import gate_id_ok

    assert gate_id_ok("east-1") and not gate_id_ok("east-1\n") and not gate_id_ok("")
