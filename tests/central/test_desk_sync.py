"""What the window shows of the centre: the sync light in words and the school's totals, from a real sync thread."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.central.store import CentralStore
from db.store import EntryStore
from kiosk.desk.guard_desk import GuardDesk
from kiosk.services.gate import GateController
from kiosk.services.ports import ListenerHub
from kiosk.app_adapters import sync_service
from tests.central.helpers import cli, fill, make_kiosk
from tests.central.netfaults import wait_for

pytestmark = pytest.mark.postgres


def test_desk_shows_sync_in_words_and_school_totals_across_gates(tmp_path: Path, central_url: str) -> None:
    CentralStore(central_url, migrate=True).close()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    other = make_kiosk(tmp_path, "south", central_url, gate="south")
    fill(other, 40, day=today, seed=5)
    assert cli(other, "sync", "--once").returncode == 0
    k = make_kiosk(tmp_path, "north", central_url, gate="north")
    fill(k, 30, day=today)
    store = EntryStore(k.database_url)
    desk = GuardDesk(k, store, GateController(k.policy, store, ListenerHub(), site=k.site, gate=k.gate, salt=b"s" * 32))
    assert desk.sync_light() is None and desk.school_totals() is None  # no centre configured yet
    desk.sync = sync_service(k, totals_every_s=0)
    assert desk.sync_light()[0] == "unknown"
    desk.sync.start()
    try:
        assert wait_for(lambda: desk.sync.latest is not None and desk.sync.latest.pending == 0, 30)
        state, words, _ = desk.sync_light()
        assert state == "ok" and words == "已全部同步"
        assert wait_for(lambda: desk.school_totals() is not None, 30)
        totals = desk.sync.school_today
        assert totals["gates"] == 2 and totals["total"] > 0
        assert f"{totals['total']} 人次·2 门岗" in desk.school_totals()
    finally:
        desk.sync.close()
        store.close()
