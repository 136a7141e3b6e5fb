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
