"""Exports and reports: round trips against the database, signatures, empty days, audit, privacy."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from db.store import EntryStore
from kiosk.cli.main import main
from kiosk.config.loading import load_settings
from kiosk.domain.model import Element, Lane, Person, PersonKind, TemperatureSample
from kiosk.services.gate import GateController
from kiosk.services.ports import ListenerHub
from kiosk.reports.tables import COLUMNS
from kiosk.reports import ExportError
from kiosk.reports import ExportQuery
from kiosk.reports.exports import Exporter
from kiosk.reports.figures import parse_iso_week
from kiosk.reports.signing import sign_export, verify_export
from tests.fakes import ManualClock

DAY = date(2022, 2, 22)


@pytest.fixture
def filled(tmp_path: Path):
    """A real SQLite store with one day of entries made by the gate controller."""
    settings = load_settings(tmp_path / "config.toml")
    store = EntryStore(settings.database_url)
    clock = ManualClock(datetime(2022, 2, 21, 23, 30, tzinfo=timezone.utc))  # 07:30 in Shanghai on DAY
    ctl = GateController(settings.policy, store, ListenerHub(), site=settings.site, gate=settings.gate,
                         salt=b"s" * 32, clock=clock)
    people = [
        (PersonKind.STAFF, "王小明", "110101199003077777", 36.5, True),
        (PersonKind.STAFF, "李雷", None, 36.7, False),  # no mask: DENY, flagged
        (PersonKind.STUDENT, "韩梅梅", None, 38.4, True),  # fever confirmed by retake
        (PersonKind.COURIER, "张师傅", "410101198001013333", 36.4, True),
    ]
    for kind, name, id_number, temp, mask in people:
        ctl.set_lane(kind.lane, kind)
        ctl.start_visit(Person(kind, name=name, id_number=id_number))
        with ctl.collecting():
            ctl.confirm(Element.HEALTH, True)
            ctl.temperature(TemperatureSample(temp, temp - 0.2, thermometer_id="thermo-1"))
            if temp >= 37.3:
                clock.advance(61)
                ctl.temperature(TemperatureSample(temp - 0.1, temp - 0.3, thermometer_id="thermo-1"))
            ctl.confirm(Element.MASK, mask)
            if kind.lane is Lane.WORKER:
                ctl.confirm(Element.ITINERARY, True)
                ctl.confirm(Element.VACCINE, True)
                ctl.register({"name": name, "phone": "13812345678", "id_number": id_number or "",
                              "company": "顺丰", "purpose": "送快递"})
        ctl.log_current()
        clock.advance(30)
        ctl.next_person()
    exporter = Exporter(store, timezone_name="Asia/Shanghai", fever_threshold_c=37.3, actor="it-teacher",
                        data_dir=settings.data_dir, site_id="s1", gate_id="east", thermometer_id="thermo-1")
    yield exporter, store
    store.close()


def test_csv_has_bom_chinese_headers_and_matches_the_database(filled, tmp_path: Path) -> None:
    exporter, store = filled
    out = tmp_path / "day.csv"
    result = exporter.export_csv(ExportQuery(DAY, DAY), out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [c[1] for c in COLUMNS] and rows[0][0] == "时间"
    db_rows = list(store.entries(DAY))
    assert result.rows == len(db_rows) == len(rows) - 1 == 4
    by_id = {r[[c[0] for c in COLUMNS].index("entry_id")]: r for r in rows[1:]}
    for e in db_rows:
        r = by_id[e.id]
        assert r[COLUMNS.index(next(c for c in COLUMNS if c[0] == "decision"))] in ("通行", "禁止通行")
        assert float(r[[c[0] for c in COLUMNS].index("temperature")]) == e.temperature_c
    assert "110101199003077777" not in raw.decode("utf-8-sig") and "11**************77" in raw.decode("utf-8-sig")
    english = tmp_path / "en.csv"
    exporter.export_csv(ExportQuery(DAY, DAY), english, english=True)
    assert english.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Time,Gate,Lane,Person kind")


def test_xlsx_sheets_per_lane_summary_frozen_filter_highlight(filled, tmp_path: Path) -> None:
    exporter, store = filled
    out = tmp_path / "day.xlsx"
    exporter.export_xlsx(ExportQuery(DAY, DAY), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "师生通道", "临时人员专用通道"]
    campus = wb["师生通道"]
    assert campus.freeze_panes == "A2" and campus.auto_filter.ref
    header = [c.value for c in campus[1]]
    assert header == [c[1] for c in COLUMNS]
    id_col = header.index("记录号") + 1
    rows = {campus.cell(r, id_col).value: r for r in range(2, campus.max_row + 1)}
    db_campus = [e for e in store.entries(DAY) if e.lane == "campus"]
    assert set(rows) == {e.id for e in db_campus}
    for e in db_campus:
        fill = campus.cell(rows[e.id], 1).fill.fgColor.rgb
        assert (fill == "FFFFC7CE") == e.flagged
    summary = {r[0].value: r[1].value for r in wb["汇总"].iter_rows(min_row=2, max_row=11)}
    assert summary["入校记录"] == 4 and summary["师生通道"] == 3 and summary["异常"] == 2 and summary["发热"] == 1
    from openpyxl.utils import get_column_letter

    reasons = get_column_letter([c[0] for c in COLUMNS].index("reasons") + 1)
    assert campus.column_dimensions[reasons].width > 30  # reasons column is wide


def test_pdf_text_signature_and_tamper(filled, tmp_path: Path) -> None:
    exporter, store = filled
    out = tmp_path / "day.pdf"
    result = exporter.export_pdf(ExportQuery(DAY, DAY), out)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "入校核验日报" in text and "2022-02-22" in text and "异常人员及跟进" in text
    assert "韩*梅" in text and "未佩戴口罩" in text and "测温仪校准" in text and "thermo-1" in text
    assert "110101199003077777" not in text
    fonts = [f.get_object() for page in PdfReader(out).pages for f in page["/Resources"]["/Font"].values()]
    embedded = [f for f in fonts if "/FontDescriptor" in f and "/FontFile2" in f["/FontDescriptor"].get_object()]
    assert any("GateKioskSansSC" in str(f["/BaseFont"]) for f in embedded), \
        [str(f.get("/BaseFont")) for f in fonts]  # the Chinese font travels inside the file
    trusted = __import__("kiosk.services.signedcode", fromlist=["x"]).public_key_b64(
        __import__("kiosk.reports.signing", fromlist=["x"]).export_key(exporter.data_dir))
    assert verify_export(out, trusted).ok
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))
    check = verify_export(out, trusted)
    assert not check.ok and "altered" in check.message
    assert result.signature_path == out.with_name("day.pdf.sig")


def test_signature_by_another_key_or_edited_sig_fails(filled, tmp_path: Path) -> None:
    exporter, _ = filled
    f = tmp_path / "x.csv"
    f.write_text("a,b\n")
    sign_export(f, tmp_path / "other-kiosk")
    from kiosk.reports.signing import export_key
    from kiosk.services.signedcode import public_key_b64

    ours = public_key_b64(export_key(exporter.data_dir))
    assert "another key" in verify_export(f, ours).message
    sig = f.with_name("x.csv.sig")
    sig.write_text(sig.read_text().replace('"size": 4', '"size": 5'))
    assert not verify_export(f, None).ok
    sig.write_text("[" * 5000)  # a hostile .sig is "not valid", not a crash
    assert "not a valid signature file" in verify_export(f, None).message


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_empty_day_is_a_valid_file_that_says_so(filled, tmp_path: Path, fmt: str) -> None:
    exporter, _ = filled
    out = tmp_path / f"empty.{fmt}"
    q = ExportQuery(date(2022, 3, 5), date(2022, 3, 5))
    getattr(exporter, f"export_{fmt}")(q, out)
    if fmt == "csv":
        assert "该时段无入校记录" in out.read_text(encoding="utf-8-sig")
    elif fmt == "xlsx":
        wb = load_workbook(out)
        assert wb["师生通道"]["A2"].value == "无记录" and wb["汇总"]["B3"].value == 0
    else:
        assert "该时段无入校记录" in PdfReader(out).pages[0].extract_text()


def test_weekly_report_and_week_parsing(filled, tmp_path: Path) -> None:
    exporter, _ = filled
    assert parse_iso_week("2022-W08") == date(2022, 2, 21)
    with pytest.raises(ExportError):
        parse_iso_week("2022-08")
    out = tmp_path / "week.pdf"
    result = exporter.weekly_report("2022-W08", out)
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert result.rows == 4 and "周自查" in text and "02-22 周二" in text and "异常人员处置台账" in text
    assert "待处置 2 人" in text


def test_corrected_entries_appear_once_as_corrected(filled, tmp_path: Path) -> None:
    exporter, store = filled
    denied = next(e for e in store.entries(DAY) if e.decision == "DENY" and e.mask is False)
    from dataclasses import replace

    store.append(replace(denied, id="c0000000-0000-0000-0000-000000000001", decision="PASS", corrects_id=denied.id,
                         created_at=denied.created_at + timedelta(minutes=1)))
    ids = [e.id for e in exporter.entries(ExportQuery(DAY, DAY))]
    assert denied.id not in ids and "c0000000-0000-0000-0000-000000000001" in ids and len(ids) == 4


def test_exports_are_audited_and_filters_apply(filled, tmp_path: Path) -> None:
    exporter, store = filled
    result = exporter.export_csv(ExportQuery(DAY, DAY, lane="campus", flagged_only=True), tmp_path / "f.csv")
    assert result.rows == 2
    (event,) = store.audit_events("export")
    assert event["actor"] == "it-teacher" and event["detail"]["lane"] == "campus"
    assert event["detail"]["flagged_only"] is True and event["detail"]["sha256"] == result.sha256
    with pytest.raises(ExportError):
        ExportQuery(DAY, DAY - timedelta(days=1))


@pytest.mark.slow
def test_cli_export_verify_demo_data_and_pin(tmp_path: Path, capsys) -> None:
    assert main(["demo-data", "--from", "2022-02-21", "--to", "2022-02-22", "--per-day", "50"]) == 0
    assert "100 entries" in capsys.readouterr().out
    out = tmp_path / "d.xlsx"
    assert main(["export", "--date", "2022-02-21", "--format", "xlsx", "--out", str(out)]) == 0
    assert main(["verify-export", str(out)]) == 0
    out.write_bytes(out.read_bytes() + b"\0")
    assert main(["verify-export", str(out)]) == 1
    assert "FAILED" in capsys.readouterr().out
    from kiosk.services.access import AdminAccess

    AdminAccess(tmp_path / "data").set_pin("135790", "it")
    assert main(["export", "--date", "2022-02-21", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                 "--pin", "000000"]) == 2
    assert "PIN 错误" in capsys.readouterr().err
    assert main(["export", "--date", "2022-02-21", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                 "--pin", "135790"]) == 0
    assert main(["export", "--date", "2022-02-21", "--format", "csv", "--out", "/proc/nope/x.csv",
                 "--pin", "135790"]) == 2
    assert main(["report", "weekly", "--week", "2022-W8x", "--out", str(tmp_path / "w.pdf"), "--pin", "135790"]) == 2
