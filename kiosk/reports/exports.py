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

import contextlib
import csv
import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from db.downtime import downtime
from db.records import EntryRecord
from kiosk.config.loading import foreign_path
from kiosk.config.settings import Settings
from kiosk.domain.calibration import calibration_due, calibration_valid
from kiosk.domain.vocabulary import lane_words
from kiosk.reports import ExportAuditFailed, ExportError, ExportQuery, export_failure_kind
from kiosk.reports.checklist import CheckItem, checklist, week_counts
from kiosk.reports.figures import DayFigures, Progress, counted, day_figures, parse_iso_week, tally
from kiosk.reports.signing import sha256_file, sign_export
from kiosk.reports.source import LedgerSource
from kiosk.reports.tables import COLUMNS, csv_safe, entry_cells, write_summary

# (key, Chinese header, English header, XLSX width)


@dataclass
class ExportResult:
    """One written export: its file, how many entry rows it holds, its SHA-256 and its ``.sig`` when signed."""

    path: Path
    rows: int
    sha256: str = ""
    signature_path: Path | None = None


STAGED_SUFFIX = ".partial"


_STAGED = re.compile(r"^\.(?P<final>.+)\.(?P<pid>\d+)\.partial$")
log = logging.getLogger(__name__)


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
            raise ExportError(f"cannot write {path}: {foreign}", "write", str(path))
        path = Path(path)
        staged = staged_path(path)
        for stale in remove_stale_staged(path.parent):
            log.info("removed %s, left by an export that was killed", stale)
        try:
            staged.unlink(missing_ok=True)
            os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror}", "write", str(path)) from None
        try:
            return method(self, first, staged, *args, **kw)
        finally:
            staged.unlink(missing_ok=True)  # gone after the rename; left over only on failure
    return run


class Exporter:
    """Builds every export from the store (see the module docstring)."""

    def __init__(self, store: LedgerSource, *, timezone_name: str, fever_threshold_c: float, actor: str,
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
    def for_settings(cls, settings: Settings, store: LedgerSource, actor: str | None = None,
                     pin: str | None = None) -> "Exporter":
        """The exporter of this kiosk: its school, gate, thermometer, policy, data directory and signing key.

        The one way to build one from the settings (the window's desk and the command line alike).
        """
        s = settings
        return cls(store, timezone_name=s.site.timezone, fever_threshold_c=s.policy.fever_threshold_c,
                   actor=actor or s.site.guard_id, data_dir=s.data_dir, site_id=s.site.site_id, gate_id=s.site.gate_id,
                   thermometer_id=s.devices.thermometer_id, calibration_interval_days=s.calibration.interval_days,
                   pin=pin, key_file=s.export_key_file, site_name=s.site.report_name, gate_name=s.site.gate_name)

    # ------------------------------------------------------------- entries
    def entries(self, q: ExportQuery) -> Iterator[EntryRecord]:
        """The range's entries in time order, each corrected entry replaced by its correction."""
        return self.store.effective_entries(q.date_from, q.date_to, lane=q.lane, flagged_only=q.flagged_only)

    def count(self, q: ExportQuery) -> int:
        return self.store.count(q.date_from, q.date_to)

    def _follow_ups(self, q: ExportQuery) -> dict[str, str]:
        return self.store.latest_follow_ups(q.date_from, q.date_to)

    def _cells(self, e: EntryRecord, follow: dict[str, str], english: bool) -> list[Any]:
        return entry_cells(e, follow, english, self.tz, self.gate_label(e))

    def gate_label(self, e: EntryRecord) -> str:
        """The entry's gate: this kiosk's gate by its name, another (a school-wide ledger) by its id."""
        return self.gate_name if e.gate_id == self.gate_id and self.gate_name else e.gate_id

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
            raise ExportError(f"cannot write {path}: {exc}", "write", str(path)) from None
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        flag = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        summary = wb.add_worksheet("汇总" if not english else "Summary")
        sheets, row_of = {}, {}
        for lane in lanes:
            ws = wb.add_worksheet(lane_words(lane, "en" if english else "zh")[:31])
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
        write_summary(summary, figures, q.describe(), english, head)
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
        return downtime(((at, device, state) for at, device, state, _ in self.store.device_events(since, until)), until)

    def calibration_lines(self, start: date, end: date) -> list[str]:
        since = datetime.combine(start, time.min, self.tz).astimezone(timezone.utc)
        until = datetime.combine(end + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        lines = []
        for c in self.store.calibrations(since, until):
            lines.append(f"{c['performed_at'].astimezone(self.tz):%m-%d %H:%M} {c['thermometer_id']} 校准：偏差 "
                         f"{c['offset_c']:+.2f} °C，残差 ±{c['residual_c']:.2f} °C，操作人 {c['operator']}")
        if self.thermometer_id:
            latest = self.store.latest_calibration(self.thermometer_id, before=until)
            if latest is None:
                lines.append(f"{self.thermometer_id}：截至 {end} 从未校准（应每 {self.calibration_interval_days} 天校准）")
            else:
                due = calibration_due(latest["performed_at"], self.calibration_interval_days)
                if not calibration_valid(latest["performed_at"], self.calibration_interval_days, until):
                    lines.append(f"{self.thermometer_id}：校准已过期（上次 {latest['performed_at'].astimezone(self.tz):%Y-%m-%d}）")
                else:
                    lines.append(f"{self.thermometer_id}：校准有效至 {due.astimezone(self.tz):%Y-%m-%d}")
        return lines or ["无测温仪校准记录"]

    @_atomic_export
    def export_pdf(self, q: ExportQuery, path: Path, progress: Progress | None = None) -> ExportResult:
        from kiosk.reports import pdf as pdfreport

        # Counting is most of the work; the page itself is laid out in one go at the end.
        total = self.count(q)
        figures = day_figures(counted(self.entries(q), progress, total, share=0.9), self.fever, self.tz)
        follow = self._follow_ups(q)
        pdfreport.daily(path, self, q, figures, follow)
        return self._finish(path, figures.total, q, "pdf", progress, figures.total)

    @_atomic_export
    def weekly_report(self, week: str, path: Path) -> ExportResult:
        from kiosk.reports import pdf as pdfreport

        monday = parse_iso_week(week)
        days = [monday + timedelta(days=i) for i in range(7)]
        per_day = [self.figures(ExportQuery(d, d)) for d in days]
        q = ExportQuery(days[0], days[-1])
        follow = self._follow_ups(q)
        checklist = self.weekly_checklist(days[0], days[-1], follow)
        pdfreport.weekly(path, self, week, days, per_day, follow, checklist)
        return self._finish(path, sum(f.total for f in per_day), q, "weekly-pdf", None, 0)

    def weekly_checklist(self, first: date, last: date, follow: dict[str, str]) -> list[CheckItem]:
        """The 周自查 items over [first, last]: this gathers the data, kiosk.reports.checklist judges it."""
        since = datetime.combine(first, time.min, self.tz).astimezone(timezone.utc)
        until = datetime.combine(last + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        exports = sum(1 for a in self.store.audit_events("export") if since <= a["at"] < until)
        return checklist(week_counts(self.entries(ExportQuery(first, last)), follow),
                         calibration=self.calibration_state(last),
                         calibration_interval_days=self.calibration_interval_days, exports=exports)

    def calibration_state(self, day: date) -> tuple[bool, str]:
        """Whether this gate's thermometer calibration still held at the end of ``day`` (kiosk.domain.calibration)."""
        until = datetime.combine(day + timedelta(days=1), time.min, self.tz).astimezone(timezone.utc)
        latest = self.store.latest_calibration(self.thermometer_id, before=until) if self.thermometer_id else None
        if latest is None:
            return False, f"{self.thermometer_id or '测温仪'} 无校准记录"
        due = calibration_due(latest["performed_at"], self.calibration_interval_days)
        when = latest["performed_at"].astimezone(self.tz)
        if not calibration_valid(latest["performed_at"], self.calibration_interval_days, until):
            return False, f"上次校准 {when:%Y-%m-%d}，已过期"
        return True, f"上次校准 {when:%Y-%m-%d}，偏差 {latest['offset_c']:+.2f} °C，有效至 {due.astimezone(self.tz):%Y-%m-%d}"

    # --------------------------------------------------------------- common
    def _finish(self, path: Path, rows: int, q: ExportQuery, kind: str, progress: Progress | None,
                total: int) -> ExportResult:
        if progress:
            progress(total, total)
        digest = sha256_file(path)
        final = final_of(path)
        # The audit row is written before the file is published: a failed write (a busy database)
        # leaves the staged file, which ``_atomic_export`` removes, never a signed file nobody recorded.
        try:
            self.store.audit(self.actor, "export", {
                "format": kind, "file": str(final), "from": str(q.date_from), "to": str(q.date_to),
                "lane": q.lane, "flagged_only": q.flagged_only, "rows": rows, "sha256": digest,
            })
        except Exception as exc:
            if export_failure_kind(exc) != "database":
                raise
            raise ExportAuditFailed(f"the audit record could not be written (the database is busy); "
                                    f"no file was left at {final}") from exc
        os.replace(path, final)  # a killed export never replaces a good file with half of one
        sig = sign_export(final, self.data_dir, pin=self.pin, key_file=self.key_file)
        return ExportResult(final, rows, digest, sig)


def _open_out(path: Path, **kw: Any) -> Any:
    try:
        return path.open("w", **kw)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}", "write", str(path)) from None
