"""The weekly self-inspection (周自查): the week's counts that answer its items, and the judging of each item.

The exporter only gathers (the week's entries, their latest follow-ups, the thermometer's
calibration, the exports in the audit log); ``week_counts`` tallies the entries and ``checklist``
judges the items. Both are pure, so each item's rule is tested without a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from db.records import EntryRecord
from kiosk.domain import follow_up
from kiosk.domain.model import Decision, Element, Lane, Outcome, PersonKind
from kiosk.reports.entries import checked, decision, outcome

TEMPORARY_WORKERS = frozenset(kind.value for kind in PersonKind if kind.is_temporary_worker)


@dataclass(frozen=True)
class CheckItem:
    """One line of the weekly self-inspection: the item, its answer from the data (None: a person ticks it), why."""

    item: str
    ok: bool | None
    evidence: str


@dataclass
class WeekCounts:
    """What the week's entries say for the checklist."""

    passed: int = 0  # let in (a hand-off is not)
    three: int = 0  # let in with a code checked, a temperature taken and a mask seen (三要素)
    wrong_lane: int = 0  # temporary workers who came through the campus lane
    worker_in: int = 0
    worker_reg: int = 0  # temporary workers let in with a registration
    flagged: int = 0
    handled: int = 0  # flagged entries whose follow-up is done (kiosk.domain.follow_up.HANDLED)
    nucleic: int = 0  # entries with a nucleic-acid test checked
    nucleic_bad: int = 0  # let in although the nucleic-acid test was not ok


def week_counts(entries: Iterable[EntryRecord], follow: Mapping[str, str]) -> WeekCounts:
    """Tally the week's entries; ``follow`` holds each flagged entry's latest follow-up."""
    c = WeekCounts()
    for e in entries:
        if e.person_kind in TEMPORARY_WORKERS and e.lane != Lane.WORKER:
            c.wrong_lane += 1
        if e.flagged:
            c.flagged += 1
            c.handled += follow_up.is_handled(follow.get(e.id, e.follow_up))
        if checked(e, Element.NUCLEIC_ACID):
            c.nucleic += 1
            c.nucleic_bad += decision(e) is Decision.PASS and outcome(e, Element.NUCLEIC_ACID) is not Outcome.OK
        if decision(e) is not Decision.PASS or e.handoff:
            continue
        c.passed += 1
        code_ok = any(outcome(e, k) is Outcome.OK for k in (Element.HEALTH, Element.CARD))
        c.three += code_ok and e.temperature_c is not None and e.mask is True
        if e.person_kind in TEMPORARY_WORKERS:
            c.worker_in += 1
            c.worker_reg += bool(e.registration)
    return c


def checklist(c: WeekCounts, *, calibration: tuple[bool, str], calibration_interval_days: int,
              exports: int) -> list[CheckItem]:
    """The 周自查 items the data can answer, each with its evidence, then the ones a person ticks.

    ``calibration``: whether the thermometer was within its interval at the week's end, and why;
    ``exports``: how many exports the audit log holds for the week.
    """
    cal_ok, cal_text = calibration
    return [
        CheckItem("入校人员均落实验码、测温、戴口罩三要素", c.three == c.passed,
                  f"本周放行 {c.passed} 人次，三要素齐全 {c.three} 人次"
                  + (f"，缺项 {c.passed - c.three} 人次" if c.three < c.passed else "")),
        CheckItem("临时人员走专用通道并登记", c.wrong_lane == 0 and c.worker_reg == c.worker_in,
                  f"临时人员入校 {c.worker_in} 人次，已登记 {c.worker_reg}；走错通道 {c.wrong_lane} 人次"),
        CheckItem(f"测温仪按期校准（每 {calibration_interval_days} 天）", cal_ok, cal_text),
        CheckItem("异常人员均已跟进处置", c.handled == c.flagged,
                  f"异常 {c.flagged} 人次，已处置 {c.handled}，待处置 {c.flagged - c.handled}"),
        CheckItem("返校人员持 48 小时内核酸阴性证明", c.nucleic_bad == 0,
                  f"查验核酸 {c.nucleic} 人次" + (f"，放行但核酸不合格 {c.nucleic_bad} 人次" if c.nucleic_bad else "，均合格")),
        CheckItem("入校记录按日导出留存并签名", exports > 0, f"本周导出 {exports} 次（均附 .sig 签名）"),
        CheckItem("晨午晚检已落实", None, "由检查人核实后勾选"),
        CheckItem("门卫、食堂等重点人员核酸抽检已落实", None, "由检查人核实后勾选"),
        CheckItem("应急处置预案和隔离观察点已就绪", None, "由检查人核实后勾选"),
    ]
