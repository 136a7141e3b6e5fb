"""Exports and reports for the education bureau: CSV, XLSX, the PDF daily report and the weekly self-inspection.

What leaves the kiosk must be right, readable by the people who receive it,
and fast even on a database of millions of entries, so every export streams
entries from the store in batches and never holds a whole range in memory
(the XLSX writer runs in constant-memory mode; the PDF holds only counts and
the flagged list). Exports carry masked names and IDs only. Every export is
written to the audit log; every export can be signed with the kiosk's Ed25519
key in a detached ``.sig`` file that ``verify_export`` checks.

Corrections: an entry that was corrected appears once, as corrected (the
correction row carries the final decision and points at the original).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import json
import functools
import logging
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.records import EntryRecord
from db.store import EntryStore, write_private
from kiosk.config import Settings, foreign_path
from kiosk.vocabulary import stored_reason_words
from kiosk.signedcode import generate_key, load_private_key, load_public_key, public_key_b64

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# (key, Chinese header, English header, XLSX width)
COLUMNS: list[tuple[str, str, str, int]] = [
    ("time", "时间", "Time", 20), ("lane", "通道", "Lane", 14), ("kind", "身份", "Person kind", 10),
    ("name", "姓名", "Name", 10), ("id_masked", "证件号（脱敏）", "ID (masked)", 20), ("ref", "学号/工号", "Roster no.", 12),
    ("health", "健康码", "Health code", 9), ("health_source", "验码方式", "Code checked by", 12),
    ("temperature", "体温℃", "Temp °C", 8), ("temperature_raw", "原始读数℃", "Raw °C", 9),
    ("thermometer", "测温仪", "Thermometer", 11), ("calibration", "校准记录", "Calibration", 12),
    ("mask", "口罩", "Mask", 6), ("itinerary", "行程卡", "Itinerary", 10), ("vaccine", "疫苗接种", "Vaccine", 10),
    ("nucleic", "核酸结果", "Nucleic acid", 9), ("nucleic_time", "核酸采样时间", "Sampled at", 16),
    ("decision", "结论", "Decision", 10), ("flagged", "异常", "Flagged", 6),
    ("reasons", "原因", "Reasons", 40), ("follow_up", "跟进", "Follow-up", 10), ("company", "单位", "Company", 14),
    ("purpose", "事由", "Purpose", 12), ("registration", "登记信息", "Registration", 24), ("handoff", "交接未入校", "Hand-off", 8), ("policy", "策略版本", "Policy", 11),
    ("guard", "门卫", "Guard", 10), ("corrects", "更正自", "Corrects", 36), ("entry_id", "记录号", "Entry id", 36),
    ("origin", "来源", "Origin", 10),
]
# Where an entry came from: a demo or simulation export says so on every row.
ORIGIN_ZH = {"live": "门岗", "demo": "演示数据", "simulation": "模拟数据"}
LANE_ZH = {"campus": "师生通道", "worker": "临时人员专用通道"}
LANE_EN = {"campus": "Students and staff", "worker": "Temporary workers"}
KIND_ZH = {"student": "学生", "staff": "教职工", "courier": "快递员", "delivery": "送货人员", "garbage": "垃圾清运",
           "other_worker": "其他临时人员", "visitor": "访客"}
DECISION_ZH = {"PASS": "通行", "DENY": "禁止通行", "INCOMPLETE": "未完成", "HANDOFF": "交接未入校"}
FOLLOW_ZH = {"retake_due": "待复测", "observation": "已送观察点", "cleared": "已解除", "open": "待处理", "": ""}
HEALTH_ZH = {"green": "绿码", "yellow": "黄码", "red": "红码", "unknown": "未识别", "invalid": "无效"}
SOURCE_ZH = {"device": "设备", "manual": "人工", "signature": "签名验证", "server": "验码服务", "color": "颜色识别",
             "roster": "名册"}
OUTCOME_ZH = {"ok": "正常", "fail": "异常", "retake": "待复测", "unknown": "待确认"}
NUCLEIC_ZH = {"negative": "阴性", "positive": "阳性"}
REGISTRATION_ZH = {"name": "姓名", "phone": "电话", "company": "单位", "purpose": "事由", "visiting": "拜访",
                   "from_area": "来自"}
TEMPERATURE_BANDS = ("normal", "retake", "fever")  # the histogram's colours: 正常 / 复测 / 发热
# The bundled font first (OFL; GB 2312 subset of Noto Sans CJK SC with TrueType outlines, made by
# scripts/make_pdf_font.py), so a Windows PC needs nothing installed; system fonts only if it is missing.
BUNDLED_FONT = str(Path(__file__).resolve().parent / "fonts" / "GateKioskSansSC-Regular.ttf")
FONT_PATHS = [BUNDLED_FONT, "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "C:/Windows/Fonts/simhei.ttf"]


class ExportError(Exception):
    """An export cannot be made (bad range, unwritable file, no Chinese font)."""


class ExportCancelled(Exception):
    """Raised from an export's progress callback to stop it; the staged file is removed, nothing is renamed."""


def export_failure_kind(exc: BaseException) -> str:
    """Which words a failed export gets (``kiosk.vocabulary.export_failure_words``): a storage fault or not."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from db.store import StoreError

    if isinstance(exc, ExportCancelled):
        return "cancelled"
    if isinstance(exc, (SQLAlchemyError, sqlite3.Error, StoreError)):
        return "database"
    return "unexpected"


@dataclass(frozen=True)
class ExportQuery:
    """Which entries: a range of local days, optionally one lane and only flagged ones."""

    date_from: date
    date_to: date
    lane: str | None = None
    flagged_only: bool = False

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ExportError("--to is before --date")
        if self.lane not in (None, "campus", "worker"):
            raise ExportError("lane must be campus or worker")

    def describe(self) -> str:
        span = str(self.date_from) if self.date_from == self.date_to else f"{self.date_from} – {self.date_to}"
        return span + (f" · {LANE_ZH[self.lane]}" if self.lane else "") + (" · 仅异常" if self.flagged_only else "")


@dataclass
class ExportResult:
    path: Path
    rows: int
    sha256: str = ""
    signature_path: Path | None = None


@dataclass(frozen=True)
class CheckItem:
    """One line of the weekly self-inspection: the item, its answer from the data (None: a person ticks it), why."""

    item: str
    ok: bool | None
    evidence: str


@dataclass
class DayFigures:
    """Counts for one day (or one range) that the reports print."""

    total: int = 0
    by_lane: Counter[str] = field(default_factory=Counter)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    decisions: Counter[str] = field(default_factory=Counter)
    flagged: int = 0
    fevers: int = 0
    handoffs: int = 0
    temperatures: Counter[float] = field(default_factory=Counter)  # rounded to 0.1 °C
    temperature_bands: Counter[tuple[float, str]] = field(default_factory=Counter)  # (0.1 °C, band)
    flagged_entries: list[EntryRecord] = field(default_factory=list)
    origins: Counter[str] = field(default_factory=Counter)  # live | demo | simulation

    @property
    def not_live(self) -> int:
        """Entries of a demo or a simulation: a report holding any says so on its face."""
        return sum(n for origin, n in self.origins.items() if origin != "live")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


STAGED_SUFFIX = ".partial"
_STAGED = re.compile(r"^\.(?P<final>.+)\.(?P<pid>\d+)\.partial$")


def staged_path(final: Path) -> Path:
    """Where an export is written before it is renamed over ``final`` (hidden, named with this process)."""
    return final.with_name(f".{final.name}.{os.getpid()}{STAGED_SUFFIX}")


def final_of(staged: Path) -> Path:
    found = _STAGED.match(staged.name)
    return staged.with_name(found.group("final")) if found else staged


def remove_stale_staged(folder: Path) -> list[Path]:
    """Remove what killed exports left in ``folder`` (their process is gone); returns what was removed.

    A SIGKILL or a power cut skips the clean-up of an export, so the next one
    does it; a file of an export still running (another process) is left alone.
    """
    removed: list[Path] = []
    try:
        candidates = [p for p in folder.iterdir() if _STAGED.match(p.name)]
    except OSError:
        return removed
    for staged in candidates:
        match = _STAGED.match(staged.name)
        if match and not _process_alive(int(match.group("pid")), staged):
            with contextlib.suppress(OSError):
                staged.unlink()
                removed.append(staged)
    return removed


def _process_alive(pid: int, staged: Path) -> bool:
    if pid == os.getpid():
        return False  # this process starts exports one at a time: a file of ours is from an earlier one
    if sys.platform == "win32":  # no cheap pid test: an export runs minutes, not a day
        try:
            return datetime.now().timestamp() - staged.stat().st_mtime < 86400
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, as another user's process
    return True


def _atomic_export(method: Callable[..., ExportResult]) -> Callable[..., ExportResult]:
    """Run an export into a private (0600) temporary file next to the target; ``_finish`` renames it."""
    @functools.wraps(method)
    def run(self: Any, first: Any, path: Path, *args: Any, **kw: Any) -> ExportResult:
        foreign = foreign_path(str(path))
        if foreign:  # on Linux C:\Users\… is a file name with backslashes in it, in the current folder
            raise ExportError(f"cannot write {path}: {foreign}")
        path = Path(path)
        staged = staged_path(path)
        for stale in remove_stale_staged(path.parent):
            log.info("removed %s, left by an export that was killed", stale)
        try:
            staged.unlink(missing_ok=True)
            os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror}") from None
        try:
            return method(self, first, staged, *args, **kw)
        finally:
            staged.unlink(missing_ok=True)  # gone after the rename; left over only on failure
    return run


def exporter_for(settings: Settings, store: EntryStore, actor: str | None = None,
                 pin: str | None = None) -> Exporter:
    """The exporter for this kiosk's settings (command line and window alike)."""
    return Exporter.for_settings(settings, store, actor, pin=pin)


class Exporter:
    """Builds every export from the store (see the module docstring)."""

    def __init__(self, store: EntryStore, *, timezone_name: str, fever_threshold_c: float, actor: str,
                 data_dir: Path, site_id: str = "", gate_id: str = "", thermometer_id: str = "",
                 calibration_interval_days: int = 7, pin: str | None = None,
                 key_file: Path | None = None, site_name: str = "", gate_name: str = "") -> None:
        self.store = store
        self.pin = pin  # unlocks the export signing key (kept encrypted with the admin PIN)
        self.key_file = key_file  # or a key file outside the data dir
        self.tz = ZoneInfo(timezone_name)
        self.fever = fever_threshold_c
        self.actor = actor
        self.data_dir = data_dir
        self.site_id, self.gate_id = site_id, gate_id
        self.site_name, self.gate_name = site_name or site_id, gate_name or gate_id
        self.thermometer_id = thermometer_id
        self.calibration_interval_days = calibration_interval_days

    @classmethod
    def for_settings(cls, settings: Any, store: EntryStore, actor: str | None = None,
                     pin: str | None = None) -> "Exporter":
        """The exporter of this kiosk: its school, gate, thermometer, policy, data directory and signing key."""
        s = settings
        return cls(store, timezone_name=s.site.timezone, fever_threshold_c=s.policy.fever_threshold_c,
                   actor=actor or s.site.guard_id, data_dir=s.data_dir, site_id=s.site.site_id, gate_id=s.site.gate_id,
                   thermometer_id=s.devices.thermometer_id, calibration_interval_days=s.calibration.interval_days,
                   pin=pin, key_file=s.export_key_file, site_name=s.site.name, gate_name=s.site.gate_name)

    # ------------------------------------------------------------- entries
    def entries(self, q: ExportQuery) -> Iterator[EntryRecord]:
        """The range's entries in time order, each corrected entry replaced by its correction."""
        return self.store.effective_entries(q.date_from, q.date_to, lane=q.lane, flagged_only=q.flagged_only)

    def count(self, q: ExportQuery) -> int:
        return self.store.count(q.date_from, q.date_to)

    def _follow_ups(self, q: ExportQuery) -> dict[str, str]:
        return self.store.latest_follow_ups(q.date_from, q.date_to)

    def _cells(self, e: EntryRecord, follow: dict[str, str], english: bool) -> list[Any]:
        health_ev = e.elements.get("health") or e.elements.get("card") or {}
        reg = e.registration or {}
        zh = not english
        values: dict[str, Any] = {
            "time": e.created_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S"),
            "lane": (LANE_ZH if zh else LANE_EN).get(e.lane, e.lane),
            "kind": KIND_ZH.get(e.person_kind, e.person_kind) if zh else e.person_kind,
            "name": e.name_masked or "", "id_masked": e.id_masked or "", "ref": masked_ref(e),
            "health": (HEALTH_ZH.get(e.health_status or "", e.health_status or "") if zh else (e.health_status or "")),
            "health_source": (SOURCE_ZH.get(health_ev.get("source", ""), "") if zh else health_ev.get("source", "")),
            "temperature": round1(e.temperature_c), "temperature_raw": round1(e.temperature_raw),
            "itinerary": self._element(e, "itinerary", zh), "vaccine": self._element(e, "vaccine", zh),
            "nucleic": self._nucleic(e, zh), "nucleic_time": self._nucleic_time(e),
            "registration": "；".join(f"{REGISTRATION_ZH.get(k, k) if zh else k} {v}" for k, v in reg.items()
                                     if v and k not in ("company", "purpose")),
            "thermometer": e.thermometer_id or "", "calibration": (e.calibration_id or "")[:8],
            "mask": "" if e.mask is None else (("是" if e.mask else "否") if zh else ("yes" if e.mask else "no")),
            "decision": DECISION_ZH.get(e.decision, e.decision) if zh else e.decision,
            "flagged": ("是" if e.flagged else "") if zh else ("yes" if e.flagged else ""),
            "reasons": ("；" if zh else "; ").join(stored_reason_words(r, "zh" if zh else "en") for r in e.reasons),
            "follow_up": (FOLLOW_ZH.get(follow.get(e.id, e.follow_up or ""), "") if zh
                          else follow.get(e.id, e.follow_up or "")),
            "company": reg.get("company", ""), "purpose": reg.get("purpose", ""),
            "handoff": ("是" if e.handoff else "") if zh else ("yes" if e.handoff else ""),
            "policy": e.policy_version, "guard": e.guard_id, "corrects": e.corrects_id or "", "entry_id": e.id,
            "origin": (ORIGIN_ZH.get(e.origin or "live", e.origin or "") if zh else (e.origin or "live")),
        }
        return [values[c[0]] for c in COLUMNS]

    @staticmethod
    def _element(e: EntryRecord, name: str, zh: bool) -> str:
        ev = e.elements.get(name)
        if not ev:
            return ""
        outcome = str(ev.get("outcome", ""))
        return OUTCOME_ZH.get(outcome, outcome) if zh else outcome

    @staticmethod
    def _nucleic(e: EntryRecord, zh: bool) -> str:
        ev = e.elements.get("nucleic_acid")
        if not ev:
            return ""
        value = str(ev.get("value") or ev.get("outcome") or "")
        return NUCLEIC_ZH.get(value, OUTCOME_ZH.get(value, value)) if zh else value

    def _nucleic_time(self, e: EntryRecord) -> str:
        sampled = ((e.elements.get("nucleic_acid") or {}).get("detail") or {}).get("sampled_at")
        if not sampled:
            return ""
        try:
            return datetime.fromisoformat(str(sampled)).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return str(sampled)

    # ----------------------------------------------------------------- CSV
    @_atomic_export
    def export_csv(self, q: ExportQuery, path: Path, english: bool = False,
                   progress: Progress | None = None) -> ExportResult:
        total = self.count(q)
        follow = self._follow_ups(q)
        rows = 0
        with _open_out(path, newline="", encoding="utf-8-sig") as fh:  # BOM: Excel on Chinese Windows needs it
            writer = csv.writer(fh)
            writer.writerow([c[2] if english else c[1] for c in COLUMNS])
            for e in counted(self.entries(q), progress, total):
                writer.writerow([csv_safe(c) for c in self._cells(e, follow, english)])
                rows += 1
            if rows == 0:
                writer.writerow(["No entries in this range" if english else "该时段无入校记录"])
        return self._finish(path, rows, q, "csv", progress, total)

    # ---------------------------------------------------------------- XLSX
    @_atomic_export
    def export_xlsx(self, q: ExportQuery, path: Path, english: bool = False,
                    progress: Progress | None = None) -> ExportResult:
        import xlsxwriter

        total = self.count(q)
        follow = self._follow_ups(q)
        headers = [c[2] if english else c[1] for c in COLUMNS]
        lanes = [q.lane] if q.lane else ["campus", "worker"]
        try:
            # No URL/formula sniffing: every text cell would otherwise pay for two regex matches.
            wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                                 "strings_to_formulas": False, "strings_to_urls": False})
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc}") from None
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        flag = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        summary = wb.add_worksheet("汇总" if not english else "Summary")
        sheets, row_of = {}, {}
        for lane in lanes:
            ws = wb.add_worksheet((LANE_EN if english else LANE_ZH)[lane][:31])
            ws.freeze_panes(1, 0)
            for i, (_, _, _, width) in enumerate(COLUMNS):
                ws.set_column(i, i, width)
            ws.write_row(0, 0, headers, head)
            sheets[lane], row_of[lane] = ws, 1
        figures = DayFigures()
        rows = 0
        for e in counted(self.entries(q), progress, total):
            ws = sheets.get(e.lane)
            if ws is None:
                continue
            # Empty cells are skipped rather than written as empty strings (a third of all cells).
            cells = [None if v == "" else v for v in self._cells(e, follow, english)]
            ws.write_row(row_of[e.lane], 0, cells, flag if e.flagged else None)
            row_of[e.lane] += 1
            tally(figures, e, self.fever, self.tz)
            rows += 1
        for lane, ws in sheets.items():
            ws.autofilter(0, 0, max(row_of[lane] - 1, 1), len(COLUMNS) - 1)
            if row_of[lane] == 1:
                ws.write(1, 0, "No entries" if english else "无记录")
        _write_summary(summary, figures, q, english, head)
        wb.close()
        return self._finish(path, rows, q, "xlsx", progress, total)

    # ----------------------------------------------------------------- PDF
    def figures(self, q: ExportQuery) -> DayFigures:
        return day_figures(self.entries(q), self.fever, self.tz)

    def downtime(self, start: date, end: date) -> dict[str, timedelta]:
        """Device downtime per device over the local days [start, end]."""
        since = datetime.combine(start, time.min, self.tz).astimezone(timezone.utc)
        until = datetime.combine(end + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        until = min(until, datetime.now(timezone.utc))
        down: dict[str, timedelta] = defaultdict(timedelta)
        lost_at: dict[str, datetime] = {}
        for at, device, state, _ in self.store.device_events(since, until):
            if state in ("lost", "reconnecting", "silent"):
                lost_at.setdefault(device, at)
            elif state in ("connected", "receiving", "stopped") and device in lost_at:
                down[device] += at - lost_at.pop(device)
        for device, at in lost_at.items():
            down[device] += max(timedelta(0), until - at)
        return dict(down)

    def calibration_lines(self, start: date, end: date) -> list[str]:
        since = datetime.combine(start, time.min, self.tz).astimezone(timezone.utc)
        until = datetime.combine(end + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        lines = []
        for c in self.store.calibrations(since, until):
            lines.append(f"{c['performed_at'].astimezone(self.tz):%m-%d %H:%M} {c['thermometer_id']} 校准：偏差 "
                         f"{c['offset_c']:+.2f} °C，残差 ±{c['residual_c']:.2f} °C，操作人 {c['operator']}")
        if self.thermometer_id:
            latest = self.store.latest_calibration(self.thermometer_id)
            if latest is None or latest["performed_at"] > until:
                lines.append(f"{self.thermometer_id}：截至 {end} 从未校准（应每 {self.calibration_interval_days} 天校准）")
            else:
                due = latest["performed_at"] + timedelta(days=self.calibration_interval_days)
                if due < until:
                    lines.append(f"{self.thermometer_id}：校准已过期（上次 {latest['performed_at'].astimezone(self.tz):%Y-%m-%d}）")
                else:
                    lines.append(f"{self.thermometer_id}：校准有效至 {due.astimezone(self.tz):%Y-%m-%d}")
        return lines or ["无测温仪校准记录"]

    @_atomic_export
    def export_pdf(self, q: ExportQuery, path: Path, progress: Progress | None = None) -> ExportResult:
        from kiosk import pdfreport

        # Counting is most of the work; the page itself is laid out in one go at the end.
        total = self.count(q)
        figures = day_figures(counted(self.entries(q), progress, total, share=0.9), self.fever, self.tz)
        follow = self._follow_ups(q)
        pdfreport.daily(path, self, q, figures, follow)
        return self._finish(path, figures.total, q, "pdf", progress, figures.total)

    @_atomic_export
    def weekly_report(self, week: str, path: Path) -> ExportResult:
        from kiosk import pdfreport

        monday = parse_iso_week(week)
        days = [monday + timedelta(days=i) for i in range(7)]
        per_day = [self.figures(ExportQuery(d, d)) for d in days]
        q = ExportQuery(days[0], days[-1])
        follow = self._follow_ups(q)
        checklist = self.weekly_checklist(days[0], days[-1], follow)
        pdfreport.weekly(path, self, week, days, per_day, follow, checklist)
        return self._finish(path, sum(f.total for f in per_day), q, "weekly-pdf", None, 0)

    def weekly_checklist(self, first: date, last: date, follow: dict[str, str]) -> list[CheckItem]:
        """The 周自查 items the data can answer, each with its evidence, then the ones a person ticks."""
        workers = {"courier", "delivery", "garbage", "other_worker"}
        passed = three = wrong_lane = worker_in = worker_reg = flagged = handled = nucleic = nucleic_bad = 0
        for e in self.entries(ExportQuery(first, last)):
            if e.person_kind in workers and e.lane != "worker":
                wrong_lane += 1
            if e.flagged:
                flagged += 1
                handled += follow.get(e.id, e.follow_up or "open") in ("observation", "cleared")
            if "nucleic_acid" in e.elements:
                nucleic += 1
                nucleic_bad += e.decision == "PASS" and e.elements["nucleic_acid"].get("outcome") != "ok"
            if e.decision != "PASS" or e.handoff:
                continue
            passed += 1
            code_ok = any((e.elements.get(k) or {}).get("outcome") == "ok" for k in ("health", "card"))
            three += code_ok and e.temperature_c is not None and e.mask is True
            if e.person_kind in workers:
                worker_in += 1
                worker_reg += bool(e.registration)
        cal_ok, cal_text = self.calibration_state(last)
        since = datetime.combine(first, time.min, self.tz).astimezone(timezone.utc)
        until = datetime.combine(last + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        exports = [a for a in self.store.audit_events("export") if since <= a["at"] < until]
        return [
            CheckItem("入校人员均落实验码、测温、戴口罩三要素", three == passed,
                      f"本周放行 {passed} 人次，三要素齐全 {three} 人次" + (f"，缺项 {passed - three} 人次" if three < passed else "")),
            CheckItem("临时人员走专用通道并登记", wrong_lane == 0 and worker_reg == worker_in,
                      f"临时人员入校 {worker_in} 人次，已登记 {worker_reg}；走错通道 {wrong_lane} 人次"),
            CheckItem(f"测温仪按期校准（每 {self.calibration_interval_days} 天）", cal_ok, cal_text),
            CheckItem("异常人员均已跟进处置", handled == flagged, f"异常 {flagged} 人次，已处置 {handled}，待处置 {flagged - handled}"),
            CheckItem("返校人员持 48 小时内核酸阴性证明", nucleic_bad == 0,
                      f"查验核酸 {nucleic} 人次" + (f"，放行但核酸不合格 {nucleic_bad} 人次" if nucleic_bad else "，均合格")),
            CheckItem("入校记录按日导出留存并签名", len(exports) > 0, f"本周导出 {len(exports)} 次（均附 .sig 签名）"),
            CheckItem("晨午晚检已落实", None, "由检查人核实后勾选"),
            CheckItem("门卫、食堂等重点人员核酸抽检已落实", None, "由检查人核实后勾选"),
            CheckItem("应急处置预案和隔离观察点已就绪", None, "由检查人核实后勾选"),
        ]

    def calibration_state(self, day: date) -> tuple[bool, str]:
        """Whether this gate's thermometer was within its calibration interval at the end of ``day``."""
        until = datetime.combine(day + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        latest = self.store.latest_calibration(self.thermometer_id) if self.thermometer_id else None
        if latest is None or latest["performed_at"] > until:
            return False, f"{self.thermometer_id or '测温仪'} 无校准记录"
        due = latest["performed_at"] + timedelta(days=self.calibration_interval_days)
        when = latest["performed_at"].astimezone(self.tz)
        if due < until:
            return False, f"上次校准 {when:%Y-%m-%d}，已过期"
        return True, f"上次校准 {when:%Y-%m-%d}，偏差 {latest['offset_c']:+.2f} °C，有效至 {due.astimezone(self.tz):%Y-%m-%d}"

    # --------------------------------------------------------------- common
    def _finish(self, path: Path, rows: int, q: ExportQuery, kind: str, progress: Progress | None,
                total: int) -> ExportResult:
        if progress:
            progress(total, total)
        digest = sha256_file(path)
        final = final_of(path)
        os.replace(path, final)  # a killed export never replaces a good file with half of one
        path = final
        sig = sign_export(path, self.data_dir, pin=self.pin, key_file=self.key_file)
        self.store.audit(self.actor, "export", {
            "format": kind, "file": str(path), "from": str(q.date_from), "to": str(q.date_to), "lane": q.lane,
            "flagged_only": q.flagged_only, "rows": rows, "sha256": digest,
        })
        return ExportResult(path, rows, digest, sig)


def counted(entries: Iterable[EntryRecord], progress: Progress | None, total: int,
            share: float = 1.0) -> Iterator[EntryRecord]:
    """The entries, reporting progress about every 1 % (at least every 1,000 rows) along the way.

    ``share`` < 1 leaves the rest of the bar for a step that follows (the PDF's layout).
    """
    if progress is None:
        yield from entries
        return
    step = max(1, min(1000, total // 100))
    progress(0, total)
    for done, e in enumerate(entries, start=1):
        yield e
        if done % step == 0:
            progress(min(total, int(done * share)), total)


def _open_out(path: Path, **kw: Any) -> Any:
    try:
        return path.open("w", **kw)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from None


def round1(value: float | None) -> float | None:
    """Temperatures are shown to 0.1 °C everywhere (raw floats like 36.099999999999994 never leave)."""
    return None if value is None else round(value, 1)


def masked_ref(e: EntryRecord) -> str:
    """Student numbers are masked like IDs; staff numbers stay (they are the school's own)."""
    from kiosk.privacy import mask_id

    if not e.person_ref:
        return ""
    return (mask_id(e.person_ref) or "") if e.person_kind == "student" else e.person_ref


def temperature_band(e: EntryRecord, fever: float) -> str:
    """normal / retake / fever, from the entry's own temperature outcome (a retake pending is not a fever yet)."""
    outcome = (e.elements.get("temperature") or {}).get("outcome")
    if outcome == "retake":
        return "retake"
    if outcome == "fail" or (e.temperature_c is not None and e.temperature_c >= fever):
        return "fever"
    return "normal"


def day_figures(entries: Iterable[EntryRecord], fever: float, tz: ZoneInfo) -> DayFigures:
    """Counts of a stream of entries, as the reports and the window's "today" panel show them."""
    figures = DayFigures()
    for e in entries:
        tally(figures, e, fever, tz)
    return figures


def tally(f: DayFigures, e: EntryRecord, fever: float, tz: ZoneInfo) -> None:
    f.total += 1
    f.by_lane[e.lane] += 1
    f.by_hour[e.created_at.astimezone(tz).hour] += 1
    f.decisions[e.decision] += 1
    f.origins[e.origin or "live"] += 1
    f.handoffs += e.handoff
    if e.temperature_c is not None:
        f.temperatures[round(e.temperature_c, 1)] += 1
        f.temperature_bands[(round(e.temperature_c, 1), temperature_band(e, fever))] += 1
        f.fevers += e.temperature_c >= fever
    if e.flagged:
        f.flagged += 1
        if len(f.flagged_entries) < 5000:  # the report lists them; a bound keeps memory bounded
            f.flagged_entries.append(e)


def _write_summary(ws: Any, f: DayFigures, q: ExportQuery, english: bool, head: Any) -> None:
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 14)
    rows = [
        ("Range" if english else "时间范围", q.describe()),
        ("Entries" if english else "入校记录", f.total),
        ("Students and staff" if english else "师生通道", f.by_lane.get("campus", 0)),
        ("Temporary workers" if english else "临时人员专用通道", f.by_lane.get("worker", 0)),
        ("Passed" if english else "通行", f.decisions.get("PASS", 0)),
        ("Denied" if english else "禁止通行", f.decisions.get("DENY", 0)),
        ("Not completed" if english else "未完成", f.decisions.get("INCOMPLETE", 0)),
        ("Flagged" if english else "异常", f.flagged),
        ("Fever readings" if english else "发热", f.fevers),
        ("Hand-offs (no entry)" if english else "快递交接（未入校）", f.handoffs),
    ]
    ws.write_row(0, 0, ["Item" if english else "项目", "Value" if english else "数值"], head)
    for i, (k, v) in enumerate(rows, start=1):
        ws.write_row(i, 0, [k, v])
    ws.write_row(len(rows) + 2, 0, ["Hour" if english else "时段", "Entries" if english else "人数"], head)
    for h in range(24):
        ws.write_row(len(rows) + 3 + h, 0, [f"{h:02d}:00", f.by_hour[h]])


def parse_iso_week(week: str) -> date:
    """``2022-W08`` -> the Monday of that ISO week."""
    try:
        year_s, w_s = week.upper().split("-W")
        return date.fromisocalendar(int(year_s), int(w_s), 1)
    except (ValueError, TypeError):
        raise ExportError(f"bad week {week!r}: use YYYY-Www, e.g. 2022-W08") from None


def find_cjk_font() -> str:
    for p in FONT_PATHS:
        if os.path.exists(p):
            return p
    raise ExportError("no Chinese TrueType font for PDF reports: the bundled kiosk/fonts is missing; "
                      "reinstall gate-kiosk or install fonts-wqy-microhei")


# ------------------------------------------------------------- signatures
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


EXPORT_KEY = "kiosk-export.pem"


def export_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / EXPORT_KEY


def export_public_key(data_dir: Path, key_file: Path | None = None) -> str | None:
    """The export public key (base64), readable without the PIN; None if no key was made yet."""
    if key_file is not None:
        return public_key_b64(_load_key(key_file, None))
    pub = export_key_path(data_dir).with_suffix(".pub")
    if pub.exists():
        return pub.read_text(encoding="utf-8").strip()
    if sealed_key_path(data_dir).exists():
        with contextlib.suppress(OSError, ValueError, KeyError):
            return str(json.loads(sealed_key_path(data_dir).read_text(encoding="utf-8"))["public_key"])
    path = export_key_path(data_dir)
    if path.exists():
        return public_key_b64(_load_key(path, None))  # an old, unencrypted key
    return None


def _load_key(path: Path, pin: str | None) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read the export signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=pin.encode() if pin else None)
    except TypeError:
        raise ExportError("the export signing key is locked with the admin PIN: give the PIN (--pin)") from None
    except ValueError:
        raise ExportError(f"cannot unlock the export signing key {path} (wrong PIN, or not a key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ExportError(f"{path}: not an Ed25519 key")
    return key


SEALED_EXPORT_KEY = "kiosk-export.sealed.json"
_SEAL_FORMAT = "gate-kiosk sealed Ed25519 key v1"


def sealed_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / SEALED_EXPORT_KEY


def _write_key(data_dir: Path, key: Ed25519PrivateKey, pin: str | None) -> None:
    """Keep the key under the PIN (scrypt, as costly as a PIN guess: ``kiosk.access.PIN_KDF``), or in clear
    while no PIN is set; 0600 either way, the public half beside it for ``verify-export``."""
    from cryptography.hazmat.primitives import serialization

    path = export_key_path(data_dir)
    public = public_key_b64(key)
    if pin:
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
        write_private(sealed_key_path(data_dir), json.dumps(_seal(raw, pin, public)))
        path.unlink(missing_ok=True)  # the PKCS#8 file (clear, or PBKDF2 under the PIN) goes
    else:
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        write_private(path, pem.decode("ascii"))
    write_private(path.with_suffix(".pub"), public + "\n")


def _seal(raw: bytes, pin: str, public: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from kiosk.access import PIN_KDF, derive_from_pin

    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(derive_from_pin(pin, salt, PIN_KDF)).encrypt(nonce, raw, (_SEAL_FORMAT + public).encode())
    return {"format": _SEAL_FORMAT, "kdf": "scrypt", **PIN_KDF, "salt": salt.hex(), "nonce": nonce.hex(),
            "sealed": base64.b64encode(sealed).decode("ascii"), "public_key": public}


def _unseal(path: Path, pin: str | None) -> Ed25519PrivateKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from kiosk.access import derive_from_pin

    if not pin:
        raise ExportError("the export signing key is locked with the admin PIN: give the PIN (--pin)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        kdf = {k: int(meta[k]) for k in ("n", "r", "p")}
        secret = derive_from_pin(pin, bytes.fromhex(meta["salt"]), kdf)
        raw = AESGCM(secret).decrypt(bytes.fromhex(meta["nonce"]), base64.b64decode(meta["sealed"]),
                                     (_SEAL_FORMAT + meta["public_key"]).encode())
    except OSError as exc:
        raise ExportError(f"cannot read the export signing key {path}: {exc.strerror}") from None
    except InvalidTag:
        raise ExportError(f"cannot unlock the export signing key {path} (wrong PIN)") from None
    except (ValueError, KeyError, TypeError):
        raise ExportError(f"{path}: the sealed export signing key is damaged") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def export_key(data_dir: Path, pin: str | None = None, key_file: Path | None = None) -> Ed25519PrivateKey:
    """The kiosk's export signing key.

    From ``key_file`` (``paths.export_key``, outside the data dir: the strong
    option) when set; otherwise sealed in ``<data dir>/keys/`` under the admin
    PIN with scrypt once a PIN is given (so it does not lie beside the log in
    clear; a copy of the data dir costs a scrypt per PIN guess), 0600. A key
    from before (clear, or PKCS#8 under the PIN) is sealed anew when the PIN
    unlocks it.
    """
    if key_file is not None:
        try:
            return _load_key(key_file, None)  # a key file in clear (its safety is where it is kept)
        except ExportError:
            return _load_key(key_file, pin)  # or one its owner locked with the PIN
    if sealed_key_path(data_dir).exists():
        return _unseal(sealed_key_path(data_dir), pin)
    path = export_key_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem, _ = generate_key()
        key = load_private_key(pem)
        _write_key(data_dir, key, pin)
        return key
    try:
        key = _load_key(path, None)
    except ExportError:
        key = _load_key(path, pin)  # PKCS#8 under the PIN (PBKDF2): the PIN unlocks it
    if pin:
        _write_key(data_dir, key, pin)  # a key from before: sealed with scrypt from now on
    return key


def rekey_export_key(data_dir: Path, old_pin: str | None, new_pin: str) -> None:
    """The admin PIN changed: the export key follows it (nothing to do without a key)."""
    if sealed_key_path(data_dir).exists() or export_key_path(data_dir).exists():
        _write_key(data_dir, export_key(data_dir, old_pin), new_pin)


def key_fingerprint(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def _signed_fields(meta: dict[str, Any]) -> bytes:
    keys = ("algorithm", "file", "sha256", "size", "key_id", "public_key", "signed_at")
    return json.dumps({k: meta[k] for k in keys}, sort_keys=True, separators=(",", ":")).encode()


def sign_export(path: Path, data_dir: Path, pin: str | None = None, key_file: Path | None = None) -> Path:
    key = export_key(data_dir, pin, key_file)
    public = public_key_b64(key)
    meta: dict[str, Any] = {
        "algorithm": "Ed25519", "file": path.name, "sha256": sha256_file(path), "size": path.stat().st_size,
        "key_id": key_fingerprint(public), "public_key": public,
        "signed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    meta["signature"] = base64.b64encode(key.sign(_signed_fields(meta))).decode()
    sig = path.with_name(path.name + ".sig")
    write_private(sig, json.dumps(meta, ensure_ascii=False, indent=1))
    return sig


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    key_id: str = ""


def verify_export(path: Path, trusted_public_b64: str | None, sig_path: Path | None = None) -> Verification:
    """Check a file against its ``.sig``: unchanged, signed by the trusted key."""
    sig_path = sig_path or path.with_name(path.name + ".sig")
    try:
        meta = json.loads(sig_path.read_text(encoding="utf-8"))
        signature = base64.b64decode(meta["signature"])
        signed = _signed_fields(meta)
    except FileNotFoundError:
        return Verification(False, f"no signature file {sig_path.name}")
    except (ValueError, KeyError, TypeError, RecursionError):
        return Verification(False, f"{sig_path.name} is not a valid signature file")
    key_b64 = trusted_public_b64 or meta["public_key"]
    if trusted_public_b64 and meta["public_key"] != trusted_public_b64:
        return Verification(False, "signed by another key than the trusted one", meta.get("key_id", ""))
    try:
        load_public_key(key_b64).verify(signature, signed)
    except (InvalidSignature, ValueError):  # SignedCodeError (a bad key) is a ValueError too
        return Verification(False, "the signature does not match (the .sig file was altered)", meta.get("key_id", ""))
    if not path.exists():
        return Verification(False, f"{path} not found", meta["key_id"])
    if path.stat().st_size != meta["size"] or sha256_file(path) != meta["sha256"]:
        return Verification(False, "the file was altered after signing", meta["key_id"])
    return Verification(True, f"OK: {path.name} unchanged, signed {meta['signed_at']} by key {meta['key_id']}",
                        meta["key_id"])
