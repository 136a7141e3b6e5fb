"""Issue 16, safe files: CSV cells a spreadsheet would run, file modes, killed exports, huge images, rosters."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest

from db.store import EntryStore
from kiosk.cli.main import main
from kiosk.config.loading import load_settings
from kiosk.reports.exports import Exporter
from kiosk.reports import ExportQuery
from kiosk.reports import ExportError
from kiosk.reports.signing import verify_export
from tests.db.test_store import entry

DAY = date(2022, 3, 1)
ATTACKS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def exporter(tmp_path: Path):
    settings = load_settings(tmp_path / "config.toml")
    store = EntryStore(settings.database_url)
    for i, attack in enumerate(ATTACKS, start=1):
        store.append(entry(i, registration={"company": attack, "purpose": attack}, guard_id=attack, lane="worker"))
    yield Exporter(store, timezone_name="Asia/Shanghai", fever_threshold_c=37.3, actor="it",
                   data_dir=settings.data_dir), store
    store.close()


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(exporter, tmp_path: Path) -> None:
    ex, _ = exporter
    out = tmp_path / "day.csv"
    ex.export_csv(ExportQuery(DAY, DAY), out, english=True)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(ATTACKS)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert sorted(r["Company"] for r in rows) == sorted("'" + a for a in ATTACKS)


def test_exports_and_signatures_are_private_and_a_failed_export_keeps_the_good_one(exporter, tmp_path: Path,
                                                                                   monkeypatch) -> None:
    ex, _ = exporter
    out = tmp_path / "day.csv"
    result = ex.export_csv(ExportQuery(DAY, DAY), out)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert oct(result.signature_path.stat().st_mode & 0o777) == "0o600"
    good = out.read_bytes()

    def killed(*_a, **_k):
        raise KeyboardInterrupt  # the process dies half way through the rows

    monkeypatch.setattr(Exporter, "_cells", killed)
    with pytest.raises(KeyboardInterrupt):
        ex.export_csv(ExportQuery(DAY, DAY), out)
    public = json.loads(result.signature_path.read_text())["public_key"]
    assert out.read_bytes() == good and verify_export(out, public).ok
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".day.csv")] == []


def test_an_export_into_a_missing_folder_is_a_clear_error(exporter, tmp_path: Path) -> None:
    ex, _ = exporter
    with pytest.raises(ExportError, match="cannot write"):
        ex.export_csv(ExportQuery(DAY, DAY), tmp_path / "no" / "such" / "day.csv")


def test_crash_reports_are_private(tmp_path: Path, monkeypatch, capsys) -> None:
    import kiosk.cli.gate as gate_commands

    def boom(*_a, **_k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(gate_commands, "_config", boom)
    assert main(["config", "show"]) == 1
    path = Path(capsys.readouterr().err.rsplit(" ", 1)[-1].strip())
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels: what an attacker sends, 100 bytes long."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [7000, 20000, 65000])
def test_a_huge_image_is_refused_before_it_is_decoded(tmp_path: Path, capsys, side: int) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(_png_header(side, side))
    assert main(["scan", str(path), "--json"]) == 2
    out = capsys.readouterr()
    assert "too large" in out.out + out.err and "Traceback" not in out.err


def test_a_card_number_that_is_another_persons_id_is_rejected(tmp_path: Path) -> None:
    from kiosk.services.roster import read_roster

    path = tmp_path / "roster.csv"
    path.write_text("id,name,kind,card\nS001,张三,student,C900\nS002,李四,student,S001\nC900,王五,student,\n",
                    encoding="utf-8")
    people, rejected = read_roster(path)
    assert [p.person_id for p in people] == ["S001"]
    assert [line for line, _ in rejected] == [3, 4]


def test_a_card_number_that_is_the_id_of_someone_already_stored_is_rejected(tmp_path: Path, capsys) -> None:
    """Issue 16: the check held within one file only; a second import could reuse a stored id as a card."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("id,name,kind,card\nS001,张三,student,C900\n", encoding="utf-8")
    second.write_text("id,name,kind,card\nS002,李四,student,S001\nC900,王五,student,\nS003,赵六,student,C901\n"
                      "S001,张三,student,C902\n", encoding="utf-8")
    assert main(["roster", "import", str(first)]) == 0
    capsys.readouterr()
    main(["roster", "import", str(second)])
    out = capsys.readouterr()
    assert "line 2" in out.out + out.err and "line 3" in out.out + out.err
    store = EntryStore(f"sqlite:///{tmp_path / 'data' / 'entries.sqlite3'}")
    assert set(store.roster_index()) == {"S001", "S003"} and store.find_roster("S002") is None
    assert store.find_roster("C902").person_id == "S001"  # a person's own new card is fine
    store.close()


def test_one_number_for_two_people_resolves_to_nobody(tmp_path: Path) -> None:
    from db.records import RosterPerson

    store = EntryStore(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    store.upsert_roster([RosterPerson("S001", "张三", "student"), RosterPerson("S002", "李四", "student", "", "S001")])
    assert store.find_roster("S001") is None
    assert store.find_roster("S002").name == "李四"
    store.close()


def test_a_wide_roster_sheet_is_read_only_as_wide_as_a_roster(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from kiosk.services.roster import MAX_COLUMNS, RosterError, _xlsx_rows

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name", "kind"])
    ws.append(["S1", "张三", "student"])
    ws.cell(row=2, column=16000).font = Font(bold=True)  # formatted, empty: the sheet's dimension reaches far right
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    rows = list(_xlsx_rows(path))
    assert len(rows) == 2 and all(len(cells) <= MAX_COLUMNS for _, cells in rows)
    ws.cell(row=1, column=16000, value="x")  # a value past the documented 32 columns: refused (trial 16 #13)
    wb.save(path)
    with pytest.raises(RosterError, match="at most 32 columns"):
        list(_xlsx_rows(path))


@pytest.mark.slow
def test_the_export_signing_key_is_locked_with_the_pin_not_beside_the_log_in_clear(tmp_path: Path, capsys) -> None:
    """Issue 16: the export signing key lay in clear in the data dir, so anyone with the files could sign."""
    data = tmp_path / "data"
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    assert main(["admin", "set-pin", "--new-pin", "246810"]) == 0
    out = tmp_path / "day.csv"
    assert main(["export", "--date", "2022-02-22", "--format", "csv", "--out", str(out), "--pin", "246810"]) == 0
    sealed = data / "keys" / "kiosk-export.sealed.json"
    meta = json.loads(sealed.read_text())
    assert meta["kdf"] == "scrypt" and meta["n"] >= 2**17 and oct(sealed.stat().st_mode & 0o777) == "0o600"
    assert not (data / "keys" / "kiosk-export.pem").exists()
    from kiosk.reports import ExportError
    from kiosk.reports.signing import export_key

    with pytest.raises(ExportError, match="PIN"):
        export_key(data)  # the files alone do not sign
    capsys.readouterr()
    assert main(["verify-export", str(out)]) == 0  # the public half needs no PIN
    capsys.readouterr()
    assert main(["verify-export", "--show-key"]) == 0  # no file needed to show the key
    assert "key id" in capsys.readouterr().out
    assert main(["verify-export"]) == 2
    assert main(["admin", "set-pin", "--new-pin", "135790", "--pin", "246810"]) == 0
    assert main(["export", "--date", "2022-02-22", "--format", "csv", "--out", str(out), "--pin", "135790"]) == 0
    assert main(["verify-export", str(out)]) == 0


def test_an_export_key_file_inside_the_data_dir_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "config.toml").write_text(f'[paths]\nexport_key = "{tmp_path / "data" / "k.pem"}"\n')
    assert main(["config", "show"]) == 2
    assert "paths.export_key" in capsys.readouterr().err


def test_the_export_key_in_a_key_file_off_the_data_dir_signs_with_the_pin_set(tmp_path: Path, capsys) -> None:
    """Issue 16 (trial): the strong option: a copy of the data dir holds no signing key at all."""
    usb = tmp_path / "usb" / "kiosk-export.pem"
    assert main(["keys", "generate", "--key-id", "export", "--out", str(usb)]) == 0
    (tmp_path / "config.toml").write_text(f'[paths]\nexport_key = "{usb}"\n')
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    assert main(["admin", "set-pin", "--new-pin", "246810"]) == 0
    out = tmp_path / "day.csv"
    assert main(["export", "--date", "2022-02-22", "--format", "csv", "--out", str(out), "--pin", "246810"]) == 0
    assert main(["verify-export", str(out)]) == 0
    assert not list((tmp_path / "data").glob("keys/kiosk-export*"))


def test_an_export_key_from_before_is_resealed_with_scrypt_and_keeps_its_public_half(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.reports.signing import export_key, export_public_key, sealed_key_path
    from kiosk.services.signedcode import public_key_b64

    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"246810"))  # as the version before kept it
    (data / "keys" / "kiosk-export.pem").write_bytes(pem)
    with pytest.raises(ExportError, match="PIN"):
        export_key(data)
    assert public_key_b64(export_key(data, "246810")) == public_key_b64(key)
    assert sealed_key_path(data).exists() and not (data / "keys" / "kiosk-export.pem").exists()
    with pytest.raises(ExportError, match="wrong PIN"):
        export_key(data, "135790")
    assert public_key_b64(export_key(data, "246810")) == public_key_b64(key) == export_public_key(data)


def test_what_a_killed_export_left_is_removed_by_the_next_one(exporter, tmp_path: Path) -> None:
    import subprocess
    import sys

    ex, _ = exporter
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    left = tmp_path / f".win.xlsx.{int(dead.stdout)}.partial"  # SIGKILL skipped its clean-up
    left.write_bytes(b"")
    running = tmp_path / f".other.csv.{os.getppid()}.partial"  # another process's export, still running
    running.write_bytes(b"half")
    ex.export_csv(ExportQuery(DAY, DAY), tmp_path / "day.csv")
    assert not left.exists() and running.read_bytes() == b"half"
    assert (tmp_path / "day.csv").exists()


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="a Windows path is a path there")
def test_an_export_to_a_windows_path_on_linux_is_refused(exporter, tmp_path: Path, monkeypatch) -> None:
    ex, _ = exporter
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExportError, match=r"is a Windows path"):
        ex.export_csv(ExportQuery(DAY, DAY), Path("C:\\Users\\guard\\Desktop\\today.csv"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("C:")]
