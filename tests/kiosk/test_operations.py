"""Operations: the log file, native-crash traces, a closed pipe, and the doctor's findings."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.main import main
from kiosk.cli.doctor import FAIL, OK, WARN, diagnose
from kiosk.config.operations import LOG_FILE, NATIVE_CRASH_FILE, log_dir, setup_logging
from devices.simulators import ThermometerSimulator


def test_logs_go_to_a_rotating_file_in_the_log_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GATE_KIOSK_LOG_DIR", str(tmp_path / "logs"))
    path = setup_logging()
    assert path == tmp_path / "logs" / LOG_FILE
    logging.getLogger("kiosk.test").info("hello from the gate")
    assert "hello from the gate" in path.read_text(encoding="utf-8")
    setup_logging()  # again (every main() call): one file handler, not two
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(handlers) == 1 and handlers[0].maxBytes > 0 and handlers[0].backupCount == 5


def test_log_files_are_private_rotated_ones_too(tmp_path: Path, monkeypatch) -> None:
    """Issue 16: logs name guards and people; they were created 0644."""
    monkeypatch.setenv("GATE_KIOSK_LOG_DIR", str(tmp_path / "logs"))
    previous = os.umask(0o022)  # the usual umask, which made them 0644
    path = setup_logging()
    os.umask(previous)
    logging.getLogger("kiosk.test").info("x")
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler))
    handler.doRollover()
    logging.getLogger("kiosk.test").info("y")
    files = [path, path.with_name(LOG_FILE + ".1"), path.with_name(NATIVE_CRASH_FILE)]
    assert [oct(f.stat().st_mode & 0o777) for f in files] == ["0o600"] * 3


def test_log_dir_follows_the_data_dir_override(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GATE_KIOSK_LOG_DIR", raising=False)
    monkeypatch.setenv("GATE_KIOSK_DATA", str(tmp_path / "d"))
    assert log_dir() == tmp_path / "d" / "log"


def test_an_unwritable_log_dir_does_not_stop_the_kiosk(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("GATE_KIOSK_LOG_DIR", str(blocker / "logs"))  # a folder under a file cannot exist
    assert setup_logging() is None


def test_a_native_crash_leaves_a_trace(tmp_path: Path) -> None:
    env = dict(os.environ, GATE_KIOSK_LOG_DIR=str(tmp_path))
    code = ("from kiosk.config.operations import setup_logging; setup_logging(); "
            "import ctypes; ctypes.string_at(0)")  # a segfault, as a crash inside Qt would be
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    trace = (tmp_path / NATIVE_CRASH_FILE).read_text()
    assert "Segmentation fault" in trace and "<string>" in trace


def test_a_closed_pipe_is_quiet_and_writes_no_crash_file(tmp_path: Path) -> None:
    env = dict(os.environ, GATE_KIOSK_LOG_DIR=str(tmp_path))
    # config show, printed 20,000 times over (more than a pipe holds), into a reader that leaves at once.
    script = (f"{sys.executable} -c 'import sys; sys.argv=[\"gate-kiosk\",\"config\",\"show\"]; "
              f"import kiosk.cli.main as c; import builtins; p=builtins.print; "
              f"builtins.print=lambda *a, **k: [p(*a, **k) for _ in range(20000)]; sys.exit(c.main())' "
              f"| head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}")
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "141", proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr
    assert not list(tmp_path.glob("crash-*.log"))


def test_doctor_names_what_to_fix(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    findings = {f.check: f for f in diagnose(config)}
    assert findings["camera"].status == FAIL and "devices list" in findings["camera"].fix
    assert findings["pin"].status == FAIL and findings["disk"].status == OK
    assert findings["database"].status == OK and "first start" in findings["database"].message
    sim = ThermometerSimulator("aa55", interval_s=0.1).start()
    try:
        config.write_text(f'[devices]\ncamera = "{tmp_path / "nope.mp4"}"\nthermometer = "{sim.path}"\n'
                          'thermometer_protocol = "ascii"\n')
        findings = {f.check: f for f in diagnose(config)}
        assert findings["camera"].status == FAIL and "no such camera" in findings["camera"].message
        therm = findings["thermometer"]
        assert therm.status == FAIL and "speaks aa55" in therm.message and '"aa55"' in therm.fix
        config.write_text(config.read_text().replace('"ascii"', '"aa55"'))
        findings = {f.check: f for f in diagnose(config)}
        assert findings["thermometer"].status == OK
    finally:
        sim.close()
    config.write_text("[devices\n")
    assert main(["--config", str(config), "doctor", "--json"]) == 2  # a config error, as for every command
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["check"] == "config" and rows[0]["status"] == FAIL and "not valid TOML" in rows[0]["message"]
    config.write_text('[devices]\nscanner = "keyboard"\n')
    assert main(["--config", str(config), "doctor"]) == 1  # still no PIN
    out = capsys.readouterr().out
    assert "to fix" in out and "→ gate-kiosk admin set-pin" in out
    assert {WARN, OK} <= {f.status for f in diagnose(config)}


@pytest.mark.skipif(sys.platform == "win32", reason="a pty and a Linux device path")
def test_doctor_opens_the_scanner_port_as_it_does_the_thermometer_s(tmp_path: Path) -> None:
    import pty

    config = tmp_path / "config.toml"
    plain = tmp_path / "scanner.txt"
    plain.write_text("not a port")
    controller, device = pty.openpty()
    try:
        for scanner, status, words in (("COM9", FAIL, "Windows port name"),
                                       (str(plain), FAIL, "cannot open: not a serial port"),
                                       (str(tmp_path / "ttyUSB7"), FAIL, "no such serial port"),
                                       (os.ttyname(device), OK, "opens")):
            config.write_text(f'[devices]\ncamera = ""\nscanner = "{scanner}"\n')
            finding = {f.check: f for f in diagnose(config)}["scanner"]
            assert finding.status == status and words in finding.message, (scanner, finding)
            assert "Errno" not in finding.message
    finally:
        os.close(controller)
        os.close(device)


def test_a_bad_thermometer_protocol_is_one_config_line_for_doctor_and_run(qapp, tmp_path: Path, capsys) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.test_run_config import when_active

    config = tmp_path / "config.toml"
    config.write_text('[devices]\ncamera = "0"\nthermometer_protocol = "aa56"\n')
    assert main(["--config", str(config), "doctor"]) == 2
    out = capsys.readouterr().out
    assert "FAIL  config" in out and "thermometer_protocol" in out and "'aa56'" in out and "Traceback" not in out
    shown: list[str] = []
    when_active(QMessageBox, QMessageBox.accept, shown)  # with a display, the window says it too
    assert main(["--config", str(config), "run"]) == 2
    assert shown == ["QMessageBox"]
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "thermometer_protocol must be one of" in err


def test_a_config_saved_by_notepad_with_a_bom_is_read_and_saved_without_it(tmp_path: Path) -> None:
    from kiosk.config.loading import load_settings
    from kiosk.config.settings_file import write_settings

    config = tmp_path / "config.toml"
    config.write_bytes(b"\xef\xbb\xbf# gate PC\r\n[devices]\r\nscanner = \"keyboard\"\r\n")
    assert load_settings(config).devices.scanner == "keyboard"
    assert main(["--config", str(config), "doctor"]) == 1  # loads: only the missing PIN etc. are left
    write_settings(config, {"site": {"gate_id": "east-1"}})
    assert not config.read_bytes().startswith(b"\xef\xbb\xbf") and b"# gate PC" in config.read_bytes()
    assert load_settings(config).site.gate_id == "east-1"


def test_doctor_warns_while_the_initial_log_key_was_never_handed_out(tmp_path: Path) -> None:
    from db.store import EntryStore
    from tests.db.test_store import entry

    db = tmp_path / "entries.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n[central]\nurl = "postgresql+psycopg://c@127.0.0.1/x"\n')
    store = EntryStore(f"sqlite:///{db}")
    store.append(entry(1))
    finding = {f.check: f for f in diagnose(config)}["log key"]
    assert finding.status == WARN and "in clear" in finding.message and "centre" in finding.message
    assert "log-key handout" in finding.fix
    store.handout_initial_key()
    store.close()
    assert {f.check: f for f in diagnose(config)}["log key"].status == OK
