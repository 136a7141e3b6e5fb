"""District and monthly reports, the findings ledger and contact tracing, from a real central database."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from db.central.store import CentralStore
from db.store import EntryStore
from kiosk.reports import district as district_reports
from kiosk.reports.figures import day_figures
from tests.central.helpers import DAY, central_rows, cli, fill, make_kiosk

pytestmark = [pytest.mark.postgres, pytest.mark.slow]  # each test runs kiosks against a centre: seconds


@pytest.fixture
def district(tmp_path: Path, central_url: str, monkeypatch: pytest.MonkeyPatch):
    centre = CentralStore(central_url, migrate=True)
    a = make_kiosk(tmp_path, "a", central_url, site="s1", gate="north")
    assert cli(a, "admin", "set-pin", "--new-pin", "246810").returncode == 0
    monkeypatch.setenv("GATE_KIOSK_PIN", "246810")  # district reports and tracing need the admin PIN
    b = make_kiosk(tmp_path, "b", central_url, site="s2", gate="gate-1", school="第二小学")
    fill(a, 200, seed=1)
    fill(b, 120, seed=2)
    for k in (a, b):
        assert cli(k, "sync", "--once").returncode == 0
    centre.register_gate("s2", "west", gate_name="西门")  # a gate that never synced: a silent gate
    yield centre, a, b
    centre.close()


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_district_day_per_school_and_gate_with_silent_gates_incidents_and_open_findings(
        tmp_path: Path, district) -> None:
    centre, a, b = district
    centre.record_incident("s2", "gate-1", "gap", 7, None, "rows 5–6 are missing",
                          datetime(DAY.year, DAY.month, DAY.day, 3, tzinfo=timezone.utc))
    fid = centre.add_finding("s1", "self_inspection", DAY - timedelta(days=3), "测温仪未按期校准", "王老师")
    out = tmp_path / "d.csv"
    run = cli(a, "report", "district", "--date", str(DAY), "--format", "csv", "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = _csv(out)
    gate_rows = {(r[0], r[1]): r for r in rows if len(r) > 10 and r[0] in ("第一中学", "第二小学")}
    north = gate_rows[("第一中学", "north门")]
    total = central_rows(centre.url, "SELECT count(*) FROM entries WHERE site_id = 's1' AND corrects_id IS NULL")[0][0]
    assert int(north[2]) == total and int(north[3]) + int(north[4]) == int(north[2])
    assert north[-1] == "正常"
    assert gate_rows[("第二小学", "西门")][-1] == "未同步"
    # A refusal no longer in force (the gate synced on, as the real kiosk does beside a second kiosk with its
    # gate id) is still said in the status, not a bare 正常 (re-trial finding).
    assert [r[-1] for k, r in gate_rows.items() if k[0] == "第二小学" and k[1] != "西门"] == ["正常；当日有拒收事件（见四）"]
    text = "\n".join(",".join(r) for r in rows)
    assert "当日无记录" in text and "rows 5–6 are missing" in text and "测温仪未按期校准" in text
    # After closing, the finding no longer carries over.
    centre.close_finding(fid, DAY, "已用黑体校准", "李主任")
    cli(a, "report", "district", "--date", str(DAY), "--format", "csv", "--out", str(out))
    assert "测温仪未按期校准" not in out.read_text(encoding="utf-8-sig")
    for fmt in ("pdf", "xlsx"):
        path = tmp_path / f"d.{fmt}"
        assert cli(a, "report", "district", "--date", str(DAY), "--format", fmt, "--out", str(path)).returncode == 0
        assert cli(a, "verify-export", str(path)).returncode == 0
    assert "第二小学" in "".join(p.extract_text() for p in PdfReader(tmp_path / "d.pdf").pages)
    assert "各校各门岗情况" in load_workbook(tmp_path / "d.xlsx").sheetnames[0]


def test_monthly_supervision_counts_complete_days_follow_ups_weekly_reports_and_findings(
        tmp_path: Path, district) -> None:
    centre, a, b = district
    store = EntryStore(a.database_url)
    flagged = [e for e in store.entries(DAY) if e.flagged]
    assert flagged
    store.follow_up(flagged[0].id, "observation", "guard", at=flagged[0].created_at + timedelta(hours=2))
    week = DAY.isocalendar()
    assert cli(a, "report", "weekly", "--week", f"{week[0]}-W{week[1]:02d}", "--out", str(tmp_path / "w.pdf")).returncode == 0
    store.close()
    assert cli(a, "sync", "--once").returncode == 0
    old = centre.add_finding("s1", "supervision", DAY - timedelta(days=40), "临时人员通道未分设", "督导组")
    centre.add_finding("s1", "supervision", DAY, "未做周自查", "督导组")
    centre.close_finding(old, DAY + timedelta(days=1), "已设置临时人员专用通道", "张校长")
    later = datetime(DAY.year, DAY.month, DAY.day + 1, 3, tzinfo=timezone.utc)
    for seq in (901, 902):  # two incidents of one gate on one day: two rows, as the district report lists them
        centre.record_incident("s1", "north", "fork", seq, None, "a second kiosk with gate_id north", later)
    out = tmp_path / "m.csv"
    run = cli(a, "report", "monthly", "--month", f"{DAY:%Y-%m}", "--format", "csv", "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = _csv(out)
    s1 = next(r for r in rows if r and r[0] == "第一中学")
    s2 = next(r for r in rows if r and r[0] == "第二小学")
    assert s1[1:4] == ["1", "1", "1"]  # one gate, one day with entries, complete
    assert s2[1:4] == ["2", "1", "0"]  # the west gate never logged: not complete
    assert s1[6] == f"1/{len(flagged)}" and s1[7] == "2.0 小时"
    assert s1[8] == "1/4"  # four weeks have their Thursday in March 2026; one self-inspection was made
    assert s1[9] == "2"
    assert s1[10:13] == ["1", "1", "1"]  # opened in March, closed in March, open at the end
    text = out.read_text(encoding="utf-8-sig")
    assert "已设置临时人员专用通道" in text and "未做周自查" in text
    bad = cli(a, "report", "monthly", "--month", "2026-13", "--format", "csv", "--out", str(out))
    assert bad.returncode == 2 and "bad month" in bad.stderr


def test_findings_ledger_cli(tmp_path: Path, district) -> None:
    centre, a, _ = district
    assert cli(a, "findings", "add", "门岗登记本缺页", "--by", "督导组", "--source", "supervision").returncode == 0
    listed = cli(a, "findings", "list").stdout
    assert "门岗登记本缺页" in listed and "OPEN" in listed
    fid = int(listed.split()[0].lstrip("#"))
    assert cli(a, "findings", "close", str(fid), "--action", "已补登").returncode == 0
    assert "门岗登记本缺页" not in cli(a, "findings", "list").stdout
    again = cli(a, "findings", "close", str(fid), "--action", "x")
    assert again.returncode == 2 and "already closed" in again.stderr
    late = cli(a, "findings", "add", "测温仪未校准", "--date", "2026-11-10")
    assert late.returncode == 0, late.stderr
    late_id = int(late.stdout.split()[1])
    early = cli(a, "findings", "close", str(late_id), "--action", "已校准", "--date", "2026-11-05")
    assert early.returncode == 2 and "cannot be closed on 2026-11-05" in early.stderr
    nowhere = cli(a, "findings", "add", "x", "--site", "no-such-school")
    assert nowhere.returncode == 2 and "knows no school" in nowhere.stderr
    for bad in ("2099-13-45", "2099-12-01"):
        run = cli(a, "findings", "add", "日期不对", "--date", bad)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert [f["site_id"] for f in centre.findings()] == ["s1", "s1"]


def test_trace_masks_identities_unless_a_reason_is_recorded_and_is_audited(tmp_path: Path, district) -> None:
    centre, a, b = district
    store = EntryStore(a.database_url)
    target = next(e for e in store.entries(DAY) if e.person_ref and e.lane == "campus")
    store.close()
    centre.publish("roster", "s1", [{"person_id": target.person_ref, "name": "韩梅梅", "kind": "student"}])
    at = target.created_at.astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None)
    window = ["--from", (at - timedelta(hours=1)).isoformat(), "--to", (at + timedelta(hours=1)).isoformat(),
              "--window-min", "5", "--json"]
    denied = cli(a, "trace", "--person", target.person_ref, *window, "--pin", "111111")
    assert denied.returncode == 2 and "Traceback" not in denied.stderr
    masked = json.loads(cli(a, "trace", "--person", target.person_ref, *window, "--pin", "246810").stdout)
    mine = [e for e in masked["entries"] if e["entry_id"] == target.id]
    assert mine and mine[0]["ref"] != target.person_ref and "*" in mine[0]["ref"] and "韩梅梅" not in json.dumps(masked)
    contacts = masked["contacts"][target.id]
    assert contacts and all(abs(datetime.fromisoformat(c["at"]) - target.created_at) <= timedelta(minutes=5)
                            for c in contacts)
    assert all(c["gate"] == "north" for c in contacts)
    full = json.loads(cli(a, "trace", "--person", target.person_ref, *window, "--pin", "246810",
                          "--reason", "区疾控 2026-031 号协查").stdout)
    mine = [e for e in full["entries"] if e["entry_id"] == target.id][0]
    assert mine["ref"] == target.person_ref and mine["who"] == "韩梅梅"
    requests = central_rows(centre.url, "SELECT reason, matched FROM trace_requests ORDER BY id")
    assert [r[0] for r in requests] == ["", "区疾控 2026-031 号协查"] and requests[0][1] >= 1
    logged = central_rows(centre.url, "SELECT query->>'person' FROM trace_requests")
    assert all(r[0] and r[0] != target.person_ref for r in logged)  # re-trial: the full id was kept in clear
    store = EntryStore(a.database_url)
    assert [e["detail"]["reason"] for e in store.audit_events("trace") if "reason" in e["detail"]] == \
        ["", "区疾控 2026-031 号协查"]
    store.close()


def test_central_schema_is_partitioned_by_day_and_migrates_down_and_up(central_url: str) -> None:
    centre = CentralStore(central_url, migrate=True)
    centre.ensure_partitions([date(2026, 3, 2), date(2026, 3, 3)])
    assert central_rows(central_url, "SELECT partstrat FROM pg_partitioned_table t JOIN pg_class c "
                                     "ON c.oid = t.partrelid WHERE c.relname = 'entries'") == [("r",)]
    indexes = {r[0] for r in central_rows(central_url, "SELECT indexname FROM pg_indexes WHERE tablename = 'entries_20260302'")}
    assert any("site_id_gate_id_created_at" in i for i in indexes) and any("person_ref" in i for i in indexes)
    centre.downgrade("base")
    assert central_rows(central_url, "SELECT to_regclass('entries')") == [(None,)]
    centre.upgrade()
    assert centre.revision() == "c0001"
    centre.close()


def test_the_daily_ledger_from_the_centre_matches_the_kiosks_own(tmp_path: Path, district) -> None:
    centre, a, _ = district
    here, there = tmp_path / "local.csv", tmp_path / "central.csv"
    assert cli(a, "export", "--date", str(DAY), "--format", "csv", "--out", str(here)).returncode == 0
    run = cli(a, "report", "ledger", "--site", "s1", "--gate", "north", "--date", str(DAY), "--format", "csv",
              "--out", str(there))
    assert run.returncode == 0, run.stderr
    assert sorted(_csv(here)) == sorted(_csv(there))  # same rows, same columns, same rounding and masking
    week = DAY.isocalendar()
    weekly = tmp_path / "w.pdf"
    assert cli(a, "report", "ledger", "--site", "s1", "--week", f"{week[0]}-W{week[1]:02d}",
               "--out", str(weekly)).returncode == 0
    text = "".join(p.extract_text() for p in PdfReader(weekly).pages)
    assert "第一中学" in text and "自查清单" in text
    unknown = cli(a, "report", "ledger", "--site", "nowhere", "--date", str(DAY), "--out", str(there))
    assert unknown.returncode == 2 and "knows no gate" in unknown.stderr


def test_district_data_needs_a_pin_set_and_given(tmp_path: Path, district, monkeypatch: pytest.MonkeyPatch) -> None:
    centre, a, b = district
    window = ["--from", f"{DAY}T00:00", "--to", f"{DAY}T23:59"]
    out = str(tmp_path / "d.csv")
    # b has no admin PIN: district data is refused there, with what to do.
    for args in (("trace", "--person", "S0001", *window), ("report", "district", "--date", str(DAY),
                                                            "--format", "csv", "--out", out)):
        run = cli(b, *args)
        assert run.returncode == 2 and "none is set" in run.stderr and "admin set-pin" in run.stderr, run.stderr
    # a has one; without --pin and $GATE_KIOSK_PIN and no terminal: said so, and never counted as a wrong try.
    monkeypatch.delenv("GATE_KIOSK_PIN")
    for _ in range(6):
        run = cli(a, "trace", "--person", "S0001", *window)
        assert run.returncode == 2 and "--pin" in run.stderr and "$GATE_KIOSK_PIN" in run.stderr, run.stderr
        assert "PIN 错误" not in run.stderr
    assert cli(a, "trace", "--person", "S0001", *window, "--pin", "246810").returncode == 0
    thin = cli(a, "trace", "--person", "S0001", *window, "--pin", "246810", "--reason", "x")
    assert thin.returncode == 2 and "says too little" in thin.stderr
    assert cli(a, "trace", "--person", "S0001", *window, "--pin", "246810", "--reason", "aaaaaaaa").returncode == 2


def test_the_school_ledger_names_each_rows_gate_and_the_out_suffix_picks_the_format(tmp_path: Path, district,
                                                                                      central_url: str) -> None:
    centre, a, _ = district
    south = make_kiosk(tmp_path, "c", central_url, site="s1", gate="south")
    fill(south, 60, seed=5)
    assert cli(south, "sync", "--once").returncode == 0
    out = tmp_path / "ledger-a.csv"
    run = cli(a, "report", "ledger", "--site", "s1", "--date", str(DAY), "--out", str(out))  # no --format: CSV
    assert run.returncode == 0, run.stderr
    rows = _csv(out)
    gate = rows[0].index("门岗")
    assert {r[gate] for r in rows[1:] if len(r) > gate} >= {"north", "south"}
    pdf = tmp_path / "ledger-a.pdf"
    assert cli(a, "report", "ledger", "--site", "s1", "--date", str(DAY), "--out", str(pdf)).returncode == 0
    assert pdf.read_bytes()[:4] == b"%PDF"
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    flagged_part = text[text.index("异常人员及跟进"):]
    flag = rows[0].index("异常")
    flagged_gates = {r[gate] for r in rows[1:] if len(r) > flag and r[flag] == "是"}
    assert flagged_gates and "门岗" in flagged_part and all(g in flagged_part for g in flagged_gates)
    mismatch = cli(a, "report", "ledger", "--site", "s1", "--date", str(DAY), "--format", "pdf", "--out", str(out))
    assert mismatch.returncode == 2 and "the name says .csv" in mismatch.stderr
    local = cli(a, "export", "--date", str(DAY), "--out", str(tmp_path / "own.xlsx"))
    assert local.returncode == 0 and (tmp_path / "own.xlsx").read_bytes()[:2] == b"PK"


def test_a_refused_gate_shows_as_refused_and_an_admin_can_reanchor_it(tmp_path: Path, district,
                                                                      central_url: str) -> None:
    import sqlite3

    centre, a, _ = district
    east = make_kiosk(tmp_path, "c", central_url, site="s1", gate="east")
    fill(east, 30, seed=11)
    con = sqlite3.connect(east.sqlite_path)
    con.execute("DELETE FROM entries WHERE seq = 5")  # lost before it was ever sent
    con.commit()
    con.close()
    run = cli(east, "sync", "--once")
    assert run.returncode == 1 and "central reanchor" in run.stderr
    out = tmp_path / "d.csv"

    def east_state() -> str:
        assert cli(a, "report", "district", "--date", str(DAY), "--out", str(out)).returncode == 0
        return next(r for r in _csv(out) if len(r) > 10 and r[1] == "east门")[-1]

    assert east_state().startswith("中心拒收（gap，第 6 行")
    held = cli(a, "central", "reanchor", "--site", "s1", "--gate", "east", "--from-seq", "3", "--reason",
               "东门第5行本机丢失，无备份")
    assert held.returncode == 2 and "never replaces" in held.stderr
    ok = cli(a, "central", "reanchor", "--site", "s1", "--gate", "east", "--from-seq", "6", "--reason",
             "东门第5行本机丢失，无备份")
    assert ok.returncode == 0, ok.stderr
    assert cli(east, "sync", "--once").returncode == 0
    assert json.loads(cli(east, "sync", "status", "--json").stdout)["pending"] == 0
    assert east_state() == "正常"
    assert centre.verify_chains(site_id="s1") == []
    kinds = [(i.kind, i.seq) for i in centre.incidents(site_id="s1") if i.gate_id == "east"]
    assert kinds == [("gap", 6), ("reanchored", 6)]
    store = EntryStore(a.database_url)
    assert store.last_audit("reanchor")["detail"]["from_seq"] == 6
    store.close()


def test_demo_data_in_district_and_monthly_reports_is_warned(tmp_path: Path, district) -> None:
    centre, a, _ = district  # the fixture's kiosks were filled by kiosk.demodata: origin "demo"
    demo = central_rows(centre.url, "SELECT count(*) FROM entries WHERE origin = 'demo'")[0][0]
    assert demo > 0
    out = tmp_path / "d.csv"
    for args in (("district", "--date", str(DAY)), ("monthly", "--month", f"{DAY:%Y-%m}")):
        run = cli(a, "report", *args, "--out", str(out))
        assert run.returncode == 0 and f"{demo} demo/simulated entries" in run.stderr, run.stderr
        assert f"本报告含 {demo} 条演示/模拟数据" in out.read_text(encoding="utf-8-sig")


def test_a_worker_whose_registration_the_guard_confirmed_counts_as_registered(tmp_path: Path, district) -> None:
    """Re-trial: a courier let in with the registration confirmed by the guard counted 0/1 in 三码+登记."""
    centre, a, _ = district
    run = cli(a, "check", "--lane", "worker", "--kind", "courier", "--temp", "36.5", "--mask", "yes",
              "--confirm", "health", "--confirm", "itinerary", "--confirm", "vaccine", "--confirm", "registration")
    assert run.returncode == 0 and json.loads(run.stdout)["decision"] == "PASS", run.stdout + run.stderr
    assert cli(a, "sync", "--once").returncode == 0
    day = datetime.now(timezone(timedelta(hours=8))).date()  # the kiosk's day (Asia/Shanghai)
    out = tmp_path / "today.csv"
    assert cli(a, "report", "district", "--date", str(day), "--out", str(out)).returncode == 0
    north = next(r for r in _csv(out) if len(r) > 10 and r[0] == "第一中学")
    assert north[11] == "1/1"


def test_the_centres_fever_count_follows_the_policy_threshold_as_the_kiosks_figures_do(district) -> None:
    """The fever rule is the kiosk's (kiosk.domain.fever); the centre's SQL counts with the threshold it is given.

    Over the same synced entries, the district report's 发热 column and the kiosk's own figures agree at the
    default threshold and at a changed one, and the changed one changes the count (the SQL follows the policy).
    """
    centre, a, _ = district
    store = EntryStore(a.database_url)
    try:
        counts = {}
        for threshold in (a.policy.fever_threshold_c, 36.6):
            settings = dataclasses.replace(a, policy=dataclasses.replace(a.policy, fever_threshold_c=threshold))
            report = district_reports.district_day(centre, settings, DAY)
            north = next(r for r in report.sections[0].rows if r[1] == "north门")
            kiosk = day_figures(store.effective_entries(DAY), threshold, ZoneInfo(a.site.timezone)).fevers
            assert north[9] == kiosk, threshold
            counts[threshold] = kiosk
        assert counts[36.6] > counts[a.policy.fever_threshold_c]
    finally:
        store.close()
