"""The daily ledger the bureau accepts: 0.1 °C, masked student numbers, code columns, school name, checklist."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pypdf import PdfReader

from db.records import EntryRecord
from kiosk.reports.tables import COLUMNS, masked_ref, round1
from kiosk.reports.figures import DayFigures, tally, temperature_band
from kiosk.reports import ExportQuery
from kiosk.reports.exports import Exporter
from tests.kiosk.test_reports import DAY, filled  # noqa: F401  (the fixture)


def _entry(**kw: object) -> EntryRecord:
    base = dict(id="e", site_id="s", gate_id="g", lane="campus", person_kind="student", decision="PASS", flagged=False,
                policy_version="v", guard_id="guard", created_at=datetime(2022, 2, 22, 0, tzinfo=timezone.utc),
                local_date=DAY)
    base.update(kw)
    return EntryRecord(**base)  # type: ignore[arg-type]


def test_temperatures_are_rounded_and_banded() -> None:
    assert round1(36.099999999999994) == 36.1 and round1(None) is None
    fever = _entry(temperature_c=38.3, elements={"temperature": {"outcome": "fail"}})
    retake = _entry(temperature_c=37.5, elements={"temperature": {"outcome": "retake"}})
    normal = _entry(temperature_c=36.099999999999994, elements={"temperature": {"outcome": "ok"}})
    assert [temperature_band(e, 37.3) for e in (fever, retake, normal)] == ["fever", "retake", "normal"]
    f = DayFigures()
    for e in (fever, retake, normal):
        tally(f, e, 37.3, timezone.utc)  # type: ignore[arg-type]
    assert f.temperature_bands == {(38.3, "fever"): 1, (37.5, "retake"): 1, (36.1, "normal"): 1}


def test_student_numbers_are_masked_like_ids_staff_numbers_are_not() -> None:
    assert masked_ref(_entry(person_ref="20220117")) == "20****17"
    assert masked_ref(_entry(person_ref="T0042", person_kind="staff")) == "T0042"


def test_csv_has_code_columns_rounded_readings_and_masked_numbers(filled, tmp_path: Path) -> None:  # noqa: F811
    exporter, store = filled
    out = tmp_path / "day.csv"
    exporter.export_csv(ExportQuery(DAY, DAY), out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    for title in ("行程卡", "疫苗接种", "核酸结果", "核酸采样时间", "登记信息", "交接未入校"):
        assert title in header
    col = {c[0]: i for i, c in enumerate(COLUMNS)}
    for r in rows[1:]:
        for key in ("temperature", "temperature_raw"):
            if r[col[key]]:
                assert len(r[col[key]].split(".")[1]) <= 1, r[col[key]]
    courier = next(r for r in rows[1:] if r[col["company"]] == "顺丰")
    assert courier[col["itinerary"]] == "正常" and courier[col["vaccine"]] == "正常"
    assert "138****5678" in courier[col["registration"]]


def test_pdf_header_names_the_school_and_weekly_has_the_checklist(filled, tmp_path: Path) -> None:  # noqa: F811
    exporter, store = filled
    named = Exporter(store, timezone_name="Asia/Shanghai", fever_threshold_c=37.3, actor="it", data_dir=exporter.data_dir,
                     site_id="s1", gate_id="east", thermometer_id="thermo-1", site_name="第一中学", gate_name="东门")
    named.export_pdf(ExportQuery(DAY, DAY), tmp_path / "d.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "d.pdf").pages)
    assert "第一中学" in text and "东门" in text and "学校 school" not in text
    named.weekly_report("2022-W08", tmp_path / "w.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "w.pdf").pages)
    assert "自查清单" in text and "三要素" in text and "签字" in text
    items = named.weekly_checklist(DAY - timedelta(days=1), DAY + timedelta(days=5), {})
    by_item = {c.item[:6]: c for c in items}
    three = by_item["入校人员均落"]
    passed = [e for e in store.effective_entries(DAY) if e.decision == "PASS" and not e.handoff]
    assert passed and three.ok is True and f"三要素齐全 {len(passed)} 人次" in three.evidence
    assert by_item["测温仪按期校准"[:6]].ok is False  # never calibrated
    assert any(c.ok is None for c in items)  # the items a person must tick
