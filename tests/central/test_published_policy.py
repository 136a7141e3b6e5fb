"""A published policy never stops a gate: refused at publishing unless confirmed; at the kiosk the last good copy stays."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from db.central.store import CentralStore
from db.store import EntryStore
from kiosk.services.publications import central_dir, central_overlay
from tests.central.helpers import cli, make_kiosk

pytestmark = pytest.mark.postgres

CHECK = ("check", "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health")


def test_unusual_threshold_refused_at_publish_unless_confirmed(tmp_path: Path, central_url: str, centre) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    (tmp_path / "cold.toml").write_text("[policy]\nversion = 'cold-1'\nfever_threshold_c = 35.1\n")
    refused = cli(k, "central", "publish", "policy", str(tmp_path / "cold.toml"), "--scope", "*")
    assert refused.returncode == 2 and "--confirm-threshold" in refused.stderr and "Nothing published" in refused.stderr
    assert centre.latest_publications("s1") == {}
    (tmp_path / "nover.toml").write_text("[policy]\nfever_threshold_c = 37.4\n")
    nover = cli(k, "central", "publish", "policy", str(tmp_path / "nover.toml"))
    assert nover.returncode == 2 and 'version = "' in nover.stderr
    # Confirmed at publishing: the kiosk takes it and starts with it, the confirmation audited at the gate.
    ok = cli(k, "central", "publish", "policy", str(tmp_path / "cold.toml"), "--confirm-threshold")
    assert ok.returncode == 0, ok.stderr
    assert cli(k, "sync", "--once").returncode == 0
    checked = cli(k, *CHECK)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["policy_version"] == "cold-1"
    store = EntryStore(k.database_url)
    assert store.last_audit("policy_confirmed")["detail"]["version"] == "cold-1"
    store.close()
    for name in ("policy.json",):
        assert stat.S_IMODE((central_dir(k) / name).stat().st_mode) == 0o600


def test_an_unconfirmed_publication_is_not_taken_and_the_gate_keeps_running(tmp_path: Path, central_url: str,
                                                                            centre: CentralStore) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    centre.publish("policy", "*", {"version": "good-1", "fever_threshold_c": 37.5})
    assert cli(k, "sync", "--once").returncode == 0
    # Inserted past the CLI's check: the kiosk refuses it, says so once, and keeps good-1.
    centre.publish("policy", "*", {"version": "cold-2", "fever_threshold_c": 35.1})
    first = cli(k, "sync", "--once")
    assert first.returncode == 0 and "not taken" in first.stderr and "last good copy" in first.stderr
    again = cli(k, "sync", "--once")
    assert "not taken" not in again.stderr  # not an ERROR on every round
    checked = cli(k, *CHECK)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["policy_version"] == "good-1"
    shown = json.loads(cli(k, "config", "show").stdout)  # the settings in force: the pulled policy (re-trial)
    assert shown["policy"]["version"] == "good-1" and shown["policy"]["fever_threshold_c"] == 37.5
    store = EntryStore(k.database_url)
    assert store.last_audit("pull_refused")["detail"]["version"] == 2
    store.close()
    # A copy an older kiosk saved without the check does not stop the gate either: the config's policy stays.
    path = central_dir(k) / "policy.json"
    path.write_text(json.dumps({"scope": "*", "version": 2, "body": {"version": "cold-2", "fever_threshold_c": 35.1}}))
    assert central_overlay(k).policy.version == k.policy.version
    assert cli(k, *CHECK).returncode == 0
