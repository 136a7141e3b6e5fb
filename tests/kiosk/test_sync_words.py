"""The status bar's sync words: count and age always said, in the window's language, from one vocabulary."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from kiosk.services.sync import SyncState, SyncStatus

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _status(state: str, pending: int = 12) -> SyncStatus:
    return SyncStatus(100, 100 - pending, pending, NOW, NOW - timedelta(minutes=7) if pending else None, state, "detail")


def test_every_state_says_the_count_and_age_in_both_languages() -> None:
    for state in ("idle", "sending", "waiting", "local_busy", "failing"):
        zh, en = _status(state).words(NOW), _status(state).words(NOW, lang="en")
        assert "12" in zh and "7 分钟前" in zh, zh
        assert "12" in en and "7 min ago" in en and not CJK.search(en), en
    assert "中心暂不可达" in _status(SyncState.WAITING.value).words(NOW)
    assert _status("idle", 0).words(NOW, lang="en") == "All synced"
    assert "中心暂不可达" in _status(SyncState.WAITING.value, 0).words(NOW)  # a fault is said with nothing waiting
    for state in ("refused", "not_configured"):
        assert not CJK.search(_status(state).words(NOW, lang="en"))
