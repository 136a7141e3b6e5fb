"""Bureau reports from the centre: the district's day (per school and gate) and the month (月督导).

A report is a list of titled tables built from ``db.central.queries``; one
writer turns it into PDF (``kiosk.reports.pdf``), XLSX (a sheet per table) or
CSV (tables one after another). A silent gate, a chain incident and an open
finding are findings in their own right: they are listed, and open findings
carry over into every later report until they are closed (清单式销号).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from db.central import queries
from db.central.store import CentralStore
from kiosk.config.settings import Settings
from kiosk.domain.calibration import calibration_valid
from kiosk.domain.vocabulary import device_words, finding_source_words, kind_words
from kiosk.domain.vocabulary_headers import column_words, figure_words
from kiosk.reports import ExportError
from kiosk.reports.figures import FIGURE_ORDER


class DistrictReportError(ExportError):
    """A central report cannot be made (bad month, unwritable file)."""


@dataclass
class Section:
    """One titled table of a report."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    empty: str = "无"


@dataclass
class CentralReport:
    """A whole report: title, header lines, tables, and the figures of its one-line summary."""

    title: str
    header: list[str]
    sections: list[Section] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return ", ".join(f"{v} {k}" for k, v in self.figures.items())


def _bounds(settings: Settings, first: date, last: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.site.timezone)
    return (datetime.combine(first, time.min, tz).astimezone(timezone.utc),
            datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(timezone.utc))


def _minutes(down: dict[str, float]) -> str:
    return "；".join(f"{device_words(d)} {m:.0f} 分钟" for d, m in sorted(down.items()) if m >= 1) or "无"


def _open_findings(central: CentralStore, on: date, number: str) -> Section:
    rows = [[f["id"], f["site_id"], f["found_on"], finding_source_words(f["source"]), f["description"],
             (on - f["found_on"]).days]
            for f in central.findings(open_on=on)]
    return Section(f"{number}、未销号问题（结转）", ["编号", "学校", "发现日期", "来源", "问题", "已开放天数"], rows, "无未销号问题")


def _warn_not_live(report: CentralReport, central: CentralStore, first: date, last: date) -> CentralReport:
    """A report counting demo or simulated entries says so on its face, as the ledger does."""
    n = queries.not_live_count(central, first, last)
    if n:
        report.header.insert(0, f"注意：本报告含 {n} 条演示/模拟数据，不是门岗实际记录，不能作为台账上报")
        report.figures["demo/simulated entries"] = n
    return report


def district_day(central: CentralStore, settings: Settings, day: date) -> CentralReport:
    since, until = _bounds(settings, day, day)
    now = datetime.now(timezone.utc)
    gates = queries.district_day(central, day, fever_c=settings.policy.fever_threshold_c, since=since, until=until,
                                 silent_after=timedelta(hours=settings.central.silent_after_h), now=now,
                                 calibration_valid=calibration_valid)
    tz = ZoneInfo(settings.site.timezone)
    refused = central.refused_gates()
    incidents = central.incidents(since, until)
    # A refusal no longer in force for the gate's own log can still be another kiosk under the same gate id
    # (a fork is refused every time it tries while the real gate syncs on): the status must not say only 正常.
    refused_today = {(i.site_id, i.gate_id) for i in incidents if i.kind != "reanchored"}
    main, kinds, silent = [], [], []
    for g in gates:
        last = g.last_sync_at.astimezone(tz).strftime("%m-%d %H:%M") if g.last_sync_at else "从未"
        refusal = refused.get((g.site_id, g.gate_id))
        # A refused gate syncs its other logs and so looks recent: its entries stop at the refused row.
        state = f"中心拒收（{refusal.kind}，第 {refusal.seq} 行起未入库）" if refusal else "未同步" if g.silent else "正常"
        if not refusal and (g.site_id, g.gate_id) in refused_today:
            state += "；当日有拒收事件（见四）"
        main.append([g.site_name, g.gate_name, g.total, g.campus, g.worker, g.passed, g.denied, g.incomplete,
                     g.flagged, g.fevers, g.handoffs, f"{g.workers_complete}/{g.workers_entered}",
                     g.calibration, _minutes(g.downtime_min), last, state])
        for kind, n in sorted(g.by_kind.items()):
            kinds.append([g.site_name, g.gate_name, kind_words(kind), n])
        if g.silent:
            why = "当日无记录" if g.total == 0 else "超过时限未同步"
            silent.append([g.site_name, g.gate_name, last, why])
    report = CentralReport(
        f"区县校园门岗日报　{day}",
        [f"{settings.site.district or '本区县'} · 学校 {len({g.site_id for g in gates})} 所 · 门岗 {len(gates)} 个 · "
         f"生成于 {datetime.now(tz):%Y-%m-%d %H:%M}"],
        [Section("一、各校各门岗情况", ["学校", column_words("gate"), *(figure_words(k, short=True) for k in FIGURE_ORDER),
                                "临时人员三码+登记", "测温仪校准", "设备故障", "最近同步", "状态"], main, "尚无门岗接入"),
         Section("二、按身份统计", ["学校", column_words("gate"), column_words("kind"), "人数"], kinds),
         Section("三、未同步门岗（问题）", ["学校", "门岗", "最近同步", "情况"], silent, "全部门岗已同步"),
         Section("四、记录链校验事件（中心拒收）", ["时间", "学校", "门岗", "类型", "行", "说明"],
                 [[i.at.astimezone(tz).strftime("%m-%d %H:%M"), i.site_id, i.gate_id, i.kind, i.seq, i.detail]
                  for i in incidents], "无"),
         _open_findings(central, day, "五")],
        {"gates": len(gates), "entries": sum(g.total for g in gates), "silent gates": len(silent),
         "refused gates": sum(1 for g in gates if (g.site_id, g.gate_id) in refused),
         "incidents": len(incidents)})
    return _warn_not_live(report, central, day, day)


def parse_month(text: str) -> date:
    try:
        y, m = text.split("-")
        return date(int(y), int(m), 1)
    except (ValueError, TypeError):
        raise DistrictReportError(f"bad month {text!r}: use YYYY-MM") from None


def monthly(central: CentralStore, settings: Settings, first: date) -> CentralReport:
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = nxt - timedelta(days=1)
    since, until = _bounds(settings, first, last)
    sites = queries.site_months(central, first, last, since, until,
                                lambda d: _bounds(settings, d, d), calibration_valid)
    rows = []
    for s in sites:
        pct = f"{100 * s.calibration_days_ok / s.calibration_days:.0f}%" if s.calibration_days else "—"
        speed = "—" if s.median_follow_up_h is None else f"{s.median_follow_up_h:.1f} 小时"
        rows.append([s.site_name, s.gates, s.school_days, s.complete_days, pct, s.flagged,
                     f"{s.followed_up}/{s.flagged}", speed, f"{s.weekly_done}/{s.weeks}", s.incidents,
                     s.findings_opened, s.findings_closed, s.findings_open_at_end])
    closed = [[f["id"], f["site_id"], f["found_on"], f["description"], f["closed_on"], f["action_taken"],
               f["closed_by"] or ""] for f in central.findings(closed_between=(first, last))]
    carried = _open_findings(central, last, "三")
    return _warn_not_live(CentralReport(
        f"校园门岗月督导报告　{first:%Y-%m}",
        [f"{settings.site.district or '本区县'} · {first} 至 {last} · 生成于 {datetime.now(ZoneInfo(settings.site.timezone)):%Y-%m-%d %H:%M}"],
        [Section("一、各校情况", ["学校", "门岗", "有记录天数", "完整天数", "校准保持", "异常人数", "已跟进", "跟进中位用时",
                             "周自查", "链事件", "新增问题", "已销号", "月末未销号"], rows, "尚无学校接入"),
         Section("二、本月销号清单", ["编号", "学校", "发现日期", "问题", "销号日期", "整改措施", "销号人"], closed, "本月无销号"),
         carried],
        {"schools": len(sites), "open findings": len(carried.rows)}),  # the summary counts the list it prints
        central, first, last)


def write(report: CentralReport, path: Path, fmt: str) -> None:
    try:
        if fmt == "csv":
            with path.open("w", newline="", encoding="utf-8-sig") as fh:
                w = csv.writer(fh)
                w.writerow([report.title])
                for line in report.header:
                    w.writerow([line])
                for sec in report.sections:
                    w.writerow([])
                    w.writerow([sec.title])
                    w.writerow(sec.columns)
                    w.writerows(sec.rows or [[sec.empty]])
        elif fmt == "xlsx":
            import xlsxwriter

            wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"})
            head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
            for i, sec in enumerate(report.sections):
                ws = wb.add_worksheet(f"{i + 1} {sec.title.split('、')[-1]}"[:31])
                ws.write(0, 0, report.title)
                ws.write(1, 0, " · ".join(report.header))  # a demo-data warning stands here too
                ws.write_row(2, 0, sec.columns, head)
                for r, row in enumerate(sec.rows or [[sec.empty]], start=3):
                    ws.write_row(r, 0, row)
                ws.set_column(0, len(sec.columns) - 1, 14)
            wb.close()
        else:
            from kiosk.reports import pdf as pdfreport

            pdfreport.tables(path, report.title, report.header, [(s.title, s.columns, s.rows, s.empty)
                                                                  for s in report.sections])
    except OSError as exc:
        raise DistrictReportError(f"cannot write {path}: {exc}") from None
