"""Roster files: CSV (UTF-8 and GB18030), XLSX, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kiosk.services.roster import RosterError, read_roster


def test_xlsx_with_numeric_ids(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name", "kind", "class/department", "card number"])
    ws.append([20230101, "李雷", "student", "三年二班", 555001])
    ws.append([None, None, None, None, None])
    ws.append(["T9", "", "staff", "", ""])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    people, rejected = read_roster(path)
    assert [(p.person_id, p.card_number) for p in people] == [("20230101", "555001")]
    assert rejected == [(4, "name is empty")]


def test_gb18030_csv_from_chinese_excel(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("学号,姓名,类别\n1,张三,教职工\n".encode("gb18030"))
    people, rejected = read_roster(path)
    assert people[0].name == "张三" and people[0].kind == "staff" and not rejected


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"foo,bar\n1,2\n", "missing column"),
    (b"\xff\xfe\x00garbage\x81\x82", "missing column|not UTF-8"),
])
def test_unreadable_csv(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    with pytest.raises(RosterError, match=message):
        read_roster(path)


def test_corrupt_xlsx_and_wrong_type(tmp_path: Path) -> None:
    bad = tmp_path / "r.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RosterError, match="not a readable Excel file"):
        read_roster(bad)
    other = tmp_path / "r.pdf"
    other.write_bytes(b"%PDF")
    with pytest.raises(RosterError, match="unsupported file type"):
        read_roster(other)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400))
def test_fuzzed_csv_never_escapes_as_another_error(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"id,name,kind\n" + body)
    try:
        people, rejected = read_roster(path)
    except RosterError:
        return
    assert all(p.person_id and p.name and p.kind in ("student", "staff") for p in people)


def test_documented_example_config_loads() -> None:
    from kiosk.config.loading import load_settings
    from tests.conftest import REPO

    settings = load_settings(REPO / "docs" / "config.example.toml")
    assert settings.policy.fever_threshold_c == 37.3 and settings.devices.decoder == "zxing"


def _xlsx_with_rows(path: Path, rows: int, dimension: str) -> None:
    """A real XLSX whose first sheet is replaced by ``rows`` one-cell rows and the given dimension tag."""
    import zipfile

    wb = Workbook()
    wb.active.append(["id"])
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    body = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>P{i}</t></is></c></row>' for i in range(1, rows + 1))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>')
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, sheet if item.filename == "xl/worksheets/sheet1.xml" else src.read(item))


@pytest.mark.parametrize("dimension", ["A1:A200005", "A1:A1"])  # honest, and a lie that only the count sees
def test_a_roster_xlsx_over_the_row_limit_is_refused_before_any_row_is_read(tmp_path: Path, dimension: str) -> None:
    from kiosk.services.roster import _xlsx_rows

    path = tmp_path / "big.xlsx"
    _xlsx_with_rows(path, 200_005, dimension)
    rows = _xlsx_rows(path)
    with pytest.raises(RosterError, match="200000"):
        next(rows)  # not even the header is handed out


def test_a_roster_xlsx_over_32_columns_is_refused(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name", "kind", *[f"extra{i}" for i in range(2002)]])
    ws.append(["1", "李雷", "student"])
    wide = tmp_path / "wide.xlsx"
    wb.save(wide)
    with pytest.raises(RosterError, match="at most 32 columns"):
        read_roster(wide)
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name", "kind"])
    ws.append(["1", "李雷", "student", *[""] * 29, "a value in column 33"])
    late = tmp_path / "late.xlsx"
    wb.save(late)
    with pytest.raises(RosterError, match="line 2 has a value past column 32"):
        read_roster(late)
