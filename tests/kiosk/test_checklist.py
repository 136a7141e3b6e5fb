"""The weekly self-inspection judged from counts alone: each item's rule, without a store."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from db.records import EntryRecord
from kiosk.reports.checklist import WeekCounts, checklist, week_counts

OK = {"outcome": "ok"}


def _entry(id: str, **kw: Any) -> EntryRecord:
    base: dict[str, Any] = dict(
        id=id, site_id="s", gate_id="g", lane="campus", person_kind="student", decision="PASS", flagged=False,
        policy_version="v", guard_id="guard", created_at=datetime(2022, 2, 22, tzinfo=timezone.utc),
        local_date=date(2022, 2, 22), elements={"health": OK}, temperature_c=36.5, mask=True)
    base.update(kw)
    return EntryRecord(**base)


def test_the_week_is_counted_per_item() -> None:
    entries = [
        _entry("ok"),
        _entry("no-mask", mask=None),  # let in without a mask seen: not all three elements
        _entry("courier", person_kind="courier", lane="campus", registration={"name": "张*"}),  # wrong lane
        _entry("garbage", person_kind="garbage", lane="worker", handoff=True),  # a hand-off is not let in
        _entry("flag-open", decision="DENY", flagged=True),
        _entry("flag-seen", decision="DENY", flagged=True, follow_up="retake_due"),
        _entry("flag-done", decision="INCOMPLETE", flagged=True),
        _entry("nucleic-bad", elements={"health": OK, "nucleic_acid": {"outcome": "fail"}}),
    ]
    c = week_counts(entries, {"flag-done": "cleared", "flag-seen": "retake_due"})
    assert c == WeekCounts(passed=4, three=3, wrong_lane=1, worker_in=1, worker_reg=1, flagged=3, handled=1,
                           nucleic=1, nucleic_bad=1)


def test_each_item_is_judged_from_its_counts() -> None:
    good = WeekCounts(passed=5, three=5, worker_in=2, worker_reg=2, flagged=2, handled=2, nucleic=1)
    items = checklist(good, calibration=(True, "上次校准 2022-02-20"), calibration_interval_days=7, exports=3)
    assert [i.ok for i in items] == [True, True, True, True, True, True, None, None, None]
    assert items[2].item == "测温仪按期校准（每 7 天）" and items[2].evidence == "上次校准 2022-02-20"
    bad = WeekCounts(passed=5, three=4, worker_in=2, worker_reg=1, flagged=2, handled=1, nucleic=1, nucleic_bad=1)
    items = checklist(bad, calibration=(False, "无校准记录"), calibration_interval_days=7, exports=0)
    assert [i.ok for i in items[:6]] == [False, False, False, False, False, False]
    assert "缺项 1 人次" in items[0].evidence and "待处置 1" in items[3].evidence
    assert "放行但核酸不合格 1 人次" in items[4].evidence
