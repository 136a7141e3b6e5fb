"""PDF layout of the daily report and the weekly self-inspection (周自查), with ReportLab.

A4, the Chinese font embedded (WenQuanYi Micro Hei: TrueType outlines, which
ReportLab can embed; the CFF-based Noto CJK it cannot), charts drawn with
ReportLab's own graphics so no plotting library is needed.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiosk.domain import follow_up
from kiosk.domain.fever import TEMPERATURE_BANDS
from kiosk.domain.vocabulary import (
    band_words, decision_words, device_words, follow_up_words, kind_words, stored_reason_words,
)
from kiosk.domain.vocabulary_headers import column_words, figure_words

from kiosk.reports import ExportError, ExportQuery
from kiosk.reports.figures import FIGURE_ORDER, DayFigures

if TYPE_CHECKING:
    from db.records import EntryRecord
    from kiosk.reports.checklist import CheckItem

# The bundled font first (OFL; GB 2312 subset of Noto Sans CJK SC with TrueType outlines, made by
# scripts/make_pdf_font.py), so a Windows PC needs nothing installed; system fonts only if it is missing.
BUNDLED_FONT = str(Path(__file__).resolve().parent.parent / "fonts" / "GateKioskSansSC-Regular.ttf")
FONT_PATHS = [BUNDLED_FONT, "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "C:/Windows/Fonts/simhei.ttf"]
FONT = "CJK"
REASON_WIDTH = 82 * mm
# The flagged list: time, gate, name, kind, decision, temperature, reasons, follow-up (the gate taken from the reasons).
FLAG_COLUMNS = ("time", "gate", "name", "kind", "decision", "temperature", "reasons", "follow_up")
FLAG_WIDTHS = [20 * mm, 14 * mm, 16 * mm, 18 * mm, 14 * mm, 12 * mm, REASON_WIDTH - 14 * mm, 18 * mm]
# The figures of the weekly report's day rows (figure_words, short); the daily report has FIGURE_ORDER.
WEEK_FIGURES = ("total", "campus", "worker", "DENY", "flagged", "fevers", "handoffs")
_registered = False


class ReportSource(Protocol):
    """What a PDF report reads from the exporter that asked for it (``kiosk.reports.exports.Exporter``)."""

    tz: ZoneInfo
    site_name: str
    gate_name: str
    fever: float
    calibration_interval_days: int

    def downtime(self, start: date, end: date) -> dict[str, timedelta]: ...

    def calibration_lines(self, start: date, end: date) -> list[str]: ...

    def gate_label(self, e: EntryRecord) -> str: ...


def find_cjk_font() -> str:
    for p in FONT_PATHS:
        if os.path.exists(p):
            return p
    raise ExportError("no Chinese TrueType font for PDF reports: the bundled kiosk/fonts is missing; "
                      "reinstall gate-kiosk or install fonts-wqy-microhei")


def register_font() -> None:
    """Register the embedded Chinese font with reportlab (once)."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(FONT, find_cjk_font(), subfontIndex=0))
        _registered = True


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=FONT, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", fontName=FONT, fontSize=8, leading=10),
    }


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
             ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")))
    t.setStyle(TableStyle(style))
    return t


def _bar_chart(title: str, labels: list[str], values: Sequence[float], colour: str) -> Drawing:
    d = Drawing(170 * mm, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 10 * mm, 150 * mm, 42 * mm
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor(colour)
    d.add(chart)
    d.add(String(12 * mm, 56 * mm, title, fontName=FONT, fontSize=10))
    return d


def _flag_rows(exporter: ReportSource, entries: list[EntryRecord], follow: dict[str, str]) -> list[list[Any]]:

    s = _styles()["small"]
    rows: list[list[Any]] = [[column_words(k, short=True) for k in FLAG_COLUMNS]]
    for e in entries:
        rows.append([
            e.created_at.astimezone(exporter.tz).strftime("%m-%d %H:%M"), Paragraph(exporter.gate_label(e), s),
            e.name_masked or "—", kind_words(e.person_kind), decision_words(e.decision),
            f"{e.temperature_c:.1f}" if e.temperature_c is not None else "",
            Paragraph("；".join(stored_reason_words(r, "zh") for r in e.reasons)[:160], s),
            follow_up_words(follow.get(e.id, e.follow_up or follow_up.OPEN) or follow_up.OPEN),
        ])
    return rows


BAND_COLOURS = {"normal": "#43A047", "retake": "#FB8C00", "fever": "#E53935"}


def band_chart(title: str, f: DayFigures) -> Drawing:
    """The temperature histogram, 0.2 °C bins from 35.0 to 39.0, each bar stacked by band."""
    from reportlab.graphics.shapes import Rect

    bins = [round(35.0 + 0.2 * i, 1) for i in range(21)]
    series = {band: [0] * len(bins) for band in TEMPERATURE_BANDS}
    for (t, band), n in f.temperature_bands.items():
        series[band][min(len(bins) - 1, max(0, int(round((t - 35.0) / 0.2))))] += n
    d = _bar_chart(title, [f"{b:.1f}" for b in bins], series["normal"], BAND_COLOURS["normal"])
    chart = d.contents[0]
    chart.data = [series[b] for b in TEMPERATURE_BANDS]
    chart.categoryAxis.style = "stacked"
    for i, band in enumerate(TEMPERATURE_BANDS):
        chart.bars[i].fillColor = colors.HexColor(BAND_COLOURS[band])
        d.add(Rect(110 * mm + i * 20 * mm, 56 * mm, 3 * mm, 3 * mm, fillColor=colors.HexColor(BAND_COLOURS[band]),
                   strokeColor=None))
        d.add(String(114 * mm + i * 20 * mm, 56 * mm, band_words(band), fontName=FONT, fontSize=8))
    return d


def _header(exporter: ReportSource) -> str:
    return f"学校 {exporter.site_name} · 门岗 {exporter.gate_name} · 生成于 {datetime.now(exporter.tz):%Y-%m-%d %H:%M}"


def _downtime_rows(exporter: ReportSource, start: date, end: date) -> list[list[str]]:
    down = exporter.downtime(start, end)
    rows = [["设备", "故障时长"]]
    for device, span in sorted(down.items()):
        minutes = span.total_seconds() / 60
        rows.append([device_words(device), f"{minutes:.0f} 分钟" if minutes >= 1 else "< 1 分钟"])
    if len(rows) == 1:
        rows.append(["全部设备", "无故障记录"])
    return rows


def daily(path: Path, exporter: ReportSource, q: ExportQuery, f: DayFigures, follow: dict[str, str]) -> None:
    register_font()
    st = _styles()
    try:
        doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                bottomMargin=15 * mm, title=f"入校核验日报 {q.describe()}", author="gate-kiosk")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc}", "write", str(path)) from None
    story: list[Any] = [Paragraph(f"入校核验日报　{q.describe()}", st["title"]), Paragraph(_header(exporter), st["small"])]
    if f.not_live:
        story.append(Paragraph(f"<font color='#c62828'>本报告含 {f.not_live} 条演示/模拟数据，不是门岗实际记录，"
                               "不得作为台账上报。</font>", st["h2"]))
    if f.total == 0:
        story += [Spacer(1, 10 * mm), Paragraph("该时段无入校记录。", st["h2"])]
    else:
        story.append(Paragraph("一、总体情况", st["h2"]))
        story.append(_table([
            [figure_words(k, short=True) for k in FIGURE_ORDER],
            [f.figure(k) for k in FIGURE_ORDER],
        ], [20 * mm] * 9))
        hours = [h for h in range(24) if f.by_hour[h]]
        lo, hi = (min(hours), max(hours)) if hours else (6, 18)
        story.append(Paragraph("二、分时段入校人数", st["h2"]))
        story.append(_bar_chart("每小时入校人数", [f"{h}时" for h in range(lo, hi + 1)],
                                [f.by_hour[h] for h in range(lo, hi + 1)], "#1E88E5"))
        if f.temperatures:
            story.append(Paragraph("三、体温分布", st["h2"]))
            story.append(band_chart(f"体温分布（≥ {exporter.fever:.1f} °C 为发热）", f))
        story.append(Paragraph(f"四、异常人员及跟进（{f.flagged} 人）", st["h2"]))
        if f.flagged_entries:
            story.append(_table(_flag_rows(exporter, f.flagged_entries, follow),
                                FLAG_WIDTHS))
        else:
            story.append(Paragraph("无异常。", st["body"]))
    story.append(Paragraph("五、测温仪校准", st["h2"]))
    for line in exporter.calibration_lines(q.date_from, q.date_to):
        story.append(Paragraph(line, st["body"]))
    story.append(Paragraph("六、设备故障时长", st["h2"]))
    story.append(_table(_downtime_rows(exporter, q.date_from, q.date_to), [40 * mm, 40 * mm]))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("本报告仅含脱敏信息；随附 .sig 签名文件可用 gate-kiosk verify-export 核验未被篡改。", st["small"]))
    doc.build(story)


def weekly(path: Path, exporter: ReportSource, week: str, days: list[date], per_day: list[DayFigures],
           follow: dict[str, str], checklist: Sequence[CheckItem] = ()) -> None:
    register_font()
    st = _styles()
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"周自查报告 {week}", author="gate-kiosk")
    names = "一二三四五六日"
    story: list[Any] = [Paragraph(f"校园门岗周自查报告　{week}（{days[0]} 至 {days[-1]}）", st["title"]),
                        Paragraph(_header(exporter), st["small"]), Paragraph("一、每日情况", st["h2"])]
    not_live = sum(f.not_live for f in per_day)
    if not_live:
        story.insert(2, Paragraph(f"<font color='#c62828'>本报告含 {not_live} 条演示/模拟数据，不是门岗实际记录，"
                                  "不得作为台账上报。</font>", st["h2"]))
    rows: list[list[Any]] = [["日期", *(figure_words(k, short=True) for k in WEEK_FIGURES)]]
    for i, (d, f) in enumerate(zip(days, per_day)):
        rows.append([f"{d:%m-%d} 周{names[i]}", *(f.figure(k) for k in WEEK_FIGURES)])
    rows.append(["合计", *[sum(r[j] for r in rows[1:]) for j in range(1, 8)]])
    story.append(_table(rows, [28 * mm] + [20 * mm] * 7))
    story.append(_bar_chart("每日入校人数", [f"{d:%m-%d}" for d in days], [f.total for f in per_day], "#1E88E5"))
    flagged = [e for f in per_day for e in f.flagged_entries]
    handled = sum(1 for e in flagged if follow_up.is_handled(follow.get(e.id, e.follow_up)))
    story.append(Paragraph(f"二、异常人员处置台账（{len(flagged)} 人，已处置 {handled} 人，待处置 {len(flagged) - handled} 人）",
                           st["h2"]))
    if flagged:
        story.append(_table(_flag_rows(exporter, flagged, follow),
                            FLAG_WIDTHS))
    else:
        story.append(Paragraph("本周无异常人员。", st["body"]))
    story.append(Paragraph("三、测温仪校准（应每 %d 天校准一次）" % exporter.calibration_interval_days, st["h2"]))
    for line in exporter.calibration_lines(days[0], days[-1]):
        story.append(Paragraph(line, st["body"]))
    story.append(Paragraph("四、设备故障时长", st["h2"]))
    story.append(_table(_downtime_rows(exporter, days[0], days[-1]), [40 * mm, 40 * mm]))
    if checklist:
        story.append(Paragraph("五、自查清单（依据入校核验规定逐项核对）", st["h2"]))
        small = st["small"]
        items: list[list[Any]] = [["序号", "检查项目", "结论", "依据（由记录自动得出）", "检查人确认"]]
        for i, c in enumerate(checklist, start=1):
            verdict = "□ 是　□ 否" if c.ok is None else ("符合" if c.ok else "不符合")
            items.append([str(i), Paragraph(c.item, small), verdict, Paragraph(c.evidence, small), "□"])
        t = _table(items, [10 * mm, 55 * mm, 24 * mm, 75 * mm, 18 * mm])
        t.setStyle(TableStyle([("TEXTCOLOR", (2, i), (2, i), colors.HexColor("#C62828"))
                               for i, c in enumerate(checklist, start=1) if c.ok is False]))
        story.append(t)
        story.append(Paragraph("发现的问题请录入问题台账（gate-kiosk findings add），整改后销号。", st["small"]))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph("自查人（签字）：__________　　　审核人（签字）：__________　　　日期：____年__月__日",
                           st["body"]))
    doc.build(story)


def tables(path: Path, title: str, header: list[str], sections: list[tuple[str, list[str], list[list[Any]], str]]) -> None:
    """A landscape report made of titled tables (the district day, the monthly supervision)."""
    from reportlab.lib.pagesizes import landscape

    register_font()
    st = _styles()
    page = landscape(A4)
    doc = SimpleDocTemplate(str(path), pagesize=page, leftMargin=10 * mm, rightMargin=10 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=title, author="gate-kiosk")
    story: list[Any] = [Paragraph(title, st["title"]), *[Paragraph(h, st["small"]) for h in header]]
    usable = page[0] - 20 * mm
    for heading, columns, rows, empty in sections:
        story.append(Paragraph(heading, st["h2"]))
        if not rows:
            story.append(Paragraph(empty, st["body"]))
            continue
        cells = [[Paragraph(str(c), st["small"]) for c in columns]]
        cells += [[Paragraph("" if v is None else str(v), st["small"]) for v in row] for row in rows]
        story.append(_table(cells, [usable / len(columns)] * len(columns)))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("本报告仅含脱敏信息；随附 .sig 签名文件可用 gate-kiosk verify-export 核验未被篡改。", st["small"]))
    doc.build(story)
