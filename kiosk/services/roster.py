"""Reading the school's roster file (CSV or XLSX) into validated people.

Schools keep rosters in Excel, often with Chinese headers and half-filled
rows. Every row is checked on its own: good rows are imported, bad rows are
reported with their line number and the reason, and nothing is written when
the file as a whole cannot be read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from datetime import date
from typing import Any, Protocol

from db.records import RosterImportReport, RosterPerson

# Accepted header spellings for each column (lower-cased, spaces stripped).
HEADERS = {
    "id": ("id", "person_id", "student_id", "staff_id", "学号", "工号", "编号", "学号/工号"),
    "name": ("name", "姓名"),
    "kind": ("kind", "type", "类别", "身份"),
    "group": ("class", "department", "class/department", "group", "班级", "部门", "班级/部门"),
    "card": ("card", "card_number", "cardnumber", "卡号", "学生卡号"),
    # The school's daily health status (晨检) and its date: a student's health code
    # may be satisfied by it on that day only.
    "health": ("health", "health_status", "健康状态", "健康码", "健康码状态"),
    "health_date": ("health_date", "date", "健康日期", "日期", "状态日期"),
}
HEALTH = {"green": "green", "yellow": "yellow", "red": "red", "绿": "green", "绿码": "green", "黄": "yellow",
          "黄码": "yellow", "红": "red", "红码": "red"}
KINDS = {"student": "student", "学生": "student", "staff": "staff", "教职工": "staff", "教师": "staff",
         "职工": "staff", "teacher": "staff"}


class RosterError(Exception):
    """The roster file cannot be read at all."""


MAX_COLUMNS = 32
MAX_ROWS = 200_000
MAX_XLSX_UNPACKED = 200_000_000


def read_roster(path: Path, stored: dict[str, str | None] | None = None
                ) -> tuple[list[RosterPerson], list[tuple[int, str]]]:
    """Parse a roster file; returns (good people, rejected (line, reason) pairs).

    ``stored`` (person id -> card number, the roster already on the kiosk) extends the
    check that no card number is someone else's id to the people imported before.
    """
    if not path.exists():
        raise RosterError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise RosterError(f"{path}: unsupported file type {suffix!r} (use .csv or .xlsx)")
    try:
        header = next(rows)
    except StopIteration:
        raise RosterError(f"{path}: the file is empty") from None
    columns = _map_header(header[1])
    missing = [c for c in ("id", "name", "kind") if c not in columns]
    if missing:
        raise RosterError(f"{path}: missing column(s) {', '.join(missing)} (need id, name, kind; "
                          "optional class/department, card number)")
    people: list[RosterPerson] = []
    rejected: list[tuple[int, str]] = []
    seen_ids: dict[str, int] = {}
    seen_cards: dict[str, int] = {}
    stored = stored or {}
    stored_cards = {card: pid for pid, card in stored.items() if card}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue

        def cell(col: str) -> str:
            i = columns.get(col)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        pid, name, kind_raw, group, card = cell("id"), cell("name"), cell("kind"), cell("group"), cell("card")
        problems = []
        if not pid:
            problems.append("id is empty")
        if not name:
            problems.append("name is empty")
        kind = KINDS.get(kind_raw.lower()) if kind_raw else None
        if kind is None:
            problems.append(f"kind {kind_raw!r} is not student/staff (学生/教职工)" if kind_raw else "kind is empty")
        if len(pid) > 64 or len(name) > 64 or len(card) > 64:
            problems.append("a value is longer than 64 characters")
        if pid and pid in seen_ids:
            problems.append(f"id {pid} already on line {seen_ids[pid]}")
        if card and card in seen_cards:
            problems.append(f"card {card} already on line {seen_cards[card]}")
        # A card number that is someone else's id (or the reverse) would let one
        # person's card resolve to another person.
        if card and card in seen_ids and card != pid:
            problems.append(f"card {card} is the id of the person on line {seen_ids[card]}")
        if pid and pid in seen_cards and seen_cards[pid] != line:
            problems.append(f"id {pid} is the card number of the person on line {seen_cards[pid]}")
        if card and card != pid and card in stored and card not in seen_ids:
            problems.append(f"card {card} is the id of {card}, already on the roster")
        owner = stored_cards.get(pid)
        if owner is not None and owner != pid and owner not in seen_ids:
            problems.append(f"id {pid} is the card number of {owner}, already on the roster")
        health, health_day = _health(cell("health"), cell("health_date"), problems)
        if problems:
            rejected.append((line, "; ".join(problems)))
            continue
        seen_ids[pid] = line
        if card:
            seen_cards[card] = line
        assert kind is not None
        people.append(RosterPerson(pid, name, kind, group, card or None, health, health_day))
    return people, rejected


def _health(status_raw: str, day_raw: str, problems: list[str]) -> tuple[str | None, date | None]:
    """The daily health status of a roster line: both or neither of status and date."""
    if not status_raw and not day_raw:
        return None, None
    status = HEALTH.get(status_raw.lower()) if status_raw else None
    if status is None:
        problems.append(f"health status {status_raw!r} is not green/yellow/red (绿码/黄码/红码)" if status_raw
                        else "health date without a health status")
    day: date | None = None
    try:
        day = date.fromisoformat(day_raw[:10]) if day_raw else None
    except ValueError:
        problems.append(f"health date {day_raw!r} is not a date (YYYY-MM-DD)")
    if status is not None and day is None and not day_raw:
        problems.append("health status without its date")
    return (status, day) if status and day else (None, None)


def import_roster(store: RosterSink, path: Path) -> RosterImportReport:
    people, rejected = read_roster(path, store.roster_index())
    new, updated = store.upsert_roster(people) if people else (0, 0)
    return RosterImportReport(imported=new, updated=updated, rejected=rejected)


class RosterSink(Protocol):
    """What ``import_roster`` needs of the store."""

    def upsert_roster(self, people: list[RosterPerson]) -> tuple[int, int]: ...

    def roster_index(self) -> dict[str, str | None]: ...


def _map_header(cells: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, raw in enumerate(cells):
        key = raw.strip().lower().replace(" ", "").lstrip("\ufeff")
        for col, names in HEADERS.items():
            if key in names and col not in out:
                out[col] = i
    return out


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError(f"{path}: not UTF-8 or GB18030 text")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise RosterError(f"{path}: line {reader.line_num}: {exc}") from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_size(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise RosterError(f"{path}: not a readable Excel file ({type(exc).__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile and friends from a corrupt file
        raise RosterError(f"{path}: not a readable Excel file ({type(exc).__name__})") from None
    try:
        ws = wb.worksheets[0]
        _check_sheet_shape(path, ws)
        # Streamed, and only the columns a roster can have (and one more, to see a value past
        # them): a sheet whose last cell is at XFD1048576 would otherwise pad every row to 16384 cells.
        for i, row in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
            if i > MAX_ROWS:
                raise RosterError(f"{path}: more than {MAX_ROWS} rows; split the roster")
            if len(row) > MAX_COLUMNS and row[MAX_COLUMNS] not in (None, ""):
                raise RosterError(f"{path}: line {i} has a value past column {MAX_COLUMNS} "
                                  f"(at most {MAX_COLUMNS} columns); save a plain roster sheet")
            yield i, ["" if v is None else _cell_text(v) for v in row[:MAX_COLUMNS]]
    finally:
        wb.close()


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


# ``ws`` is an openpyxl worksheet: openpyxl ships no type information, so it is Any.
def _check_sheet_shape(path: Path, ws: Any) -> None:
    """Refuse a sheet too big for a roster before a single row is parsed into people.

    The sheet's own dimension (``A1:C210001``) answers at once when it is there; it can be
    missing or a lie, so the sheet's XML is also streamed once counting ``<row>`` tags
    (a byte scan, no cells parsed). The header row is read in full to count its columns.
    """
    if (ws.max_row or 0) > MAX_ROWS:
        raise RosterError(f"{path}: {ws.max_row} rows (at most {MAX_ROWS}); split the roster")
    rows, tail = 0, b""
    with ws.parent._archive.open(ws._worksheet_path) as xml:  # the zip member of the first sheet
        while chunk := xml.read(1 << 20):
            data = tail + chunk
            rows += len(_ROW_TAG.findall(data))
            # A tag cut at the chunk's end is counted with the next chunk (tags are < 64 bytes).
            cut = data.rfind(b"<", max(len(data) - 64, 0))
            if cut >= 0 and _ROW_TAG.match(data, cut):
                rows -= 1
            tail = data[cut:] if cut >= 0 else b""
            if rows > MAX_ROWS:
                raise RosterError(f"{path}: more than {MAX_ROWS} rows; split the roster")
    header = next(ws.iter_rows(values_only=True, max_row=1), ())  # one row, at most 16384 cells
    used = [i for i, v in enumerate(header, start=1) if v not in (None, "")]
    if used and used[-1] > MAX_COLUMNS:
        raise RosterError(f"{path}: the header has {used[-1]} columns (at most {MAX_COLUMNS} columns); "
                          "save a plain roster sheet")


def _check_xlsx_size(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        raise RosterError(f"{path}: not a readable Excel file") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise RosterError(f"{path}: unpacks to {unpacked // 1_000_000} MB (at most "
                          f"{MAX_XLSX_UNPACKED // 1_000_000} MB); save a plain roster sheet")


def _cell_text(value: object) -> str:
    # Excel turns student numbers into floats: 20230101.0 must stay 20230101.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
