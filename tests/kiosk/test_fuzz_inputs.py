"""Fuzzing what comes from outside: the config file and roster workbooks (fixed example budgets)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import event

from db.store import EntryStore
from kiosk.config.settings import ConfigError
from kiosk.config.loading import load_settings
from kiosk.services.roster import RosterError, import_roster, read_roster

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                    st.text(max_size=12))
keys = st.sampled_from(["site", "gate", "devices", "policy", "ui", "database", "paths", "issuers", "calibration",
                        "rules", "staff", "worker", "fever_threshold_c", "decoder", "camera", "trusted", "url",
                        "accept_strength", "language", "visit_timeout_s", "mask", "health", "x"])
documents = st.recursive(st.dictionaries(keys, scalars, max_size=5),
                         lambda children: st.dictionaries(keys, children, max_size=4), max_leaves=20)


@pytest.mark.slow
@FUZZ
@given(doc=documents)
def test_fuzz_config_structures(tmp_path: Path, doc: dict) -> None:
    path = tmp_path / "c.toml"
    path.write_text(tomlkit.dumps(doc))
    try:
        load_settings(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path))


@FUZZ
@given(text=st.text(max_size=300))
def test_fuzz_config_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_settings(path)
    except ConfigError:
        pass


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_xlsx_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04" + data)
    with pytest.raises(RosterError):
        read_roster(path)


@pytest.mark.slow
@FUZZ
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=70),
                                        st.booleans()), max_size=6), max_size=12))
def test_fuzz_xlsx_cells(tmp_path: Path, rows: list) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["学号", "姓名", "类别", "班级", "卡号"])
    for r in rows:
        ws.append([v if not isinstance(v, str) else "".join(ch for ch in v if ch.isprintable()) for v in r])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    people, rejected = read_roster(path)
    assert len(people) + len(rejected) <= len(rows)
    assert all(p.person_id and p.name and p.kind in ("student", "staff") for p in people)


def test_deeply_nested_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("a = " + "[" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(path)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not excel")
    path = tmp_path / "r.xlsx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(RosterError, match="not a readable Excel file"):
        read_roster(path)


def test_roster_import_is_all_or_nothing_when_the_database_fails(tmp_path: Path) -> None:
    store = EntryStore(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    csv = tmp_path / "r.csv"
    csv.write_text("id,name,kind\n" + "".join(f"{i},人{i},student\n" for i in range(200)), encoding="utf-8")

    def read_only(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA query_only = 1")

    event.listen(store.engine, "connect", read_only)
    store.engine.dispose()
    from db.engine import StoreError

    with pytest.raises(StoreError, match="nothing written"):
        import_roster(store, csv)
    event.remove(store.engine, "connect", read_only)
    store.engine.dispose()
    assert store.find_roster("0") is None and store.find_roster("199") is None
    report = import_roster(store, csv)
    assert report.imported == 200
    store.close()
