"""gate-kiosk simulate / thermometer / calibrate, against a simulator in its own process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.main import main


@pytest.fixture
def simulator(request):
    procs = []

    def start(*args: str) -> str:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "simulate", "thermometer", *args],
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc.stdout.readline().strip()

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


@pytest.mark.parametrize("protocol", ["ascii", "aa55", "gy-mcu", "modbus"])
def test_thermometer_json_lines(simulator, capsys, protocol: str) -> None:
    port = simulator("--protocol", protocol, "--interval", "0.05", "--seed", "1")
    assert port.startswith("/dev/")
    extra = ["--ambient-register", "1"] if protocol == "modbus" else []
    assert main(["thermometer", "--port", port, "--protocol", protocol, "--count", "3", "--json", *extra]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    for row in lines:
        assert set(row) == {"celsius", "raw", "ambient", "at"}
        assert 34 < row["celsius"] < 42
        assert (row["ambient"] is None) == (protocol in ("ascii", "aa55"))


@pytest.mark.slow
def test_wrong_protocol_and_missing_port_are_one_line_errors(simulator, capsys) -> None:
    port = simulator("--protocol", "aa55", "--interval", "0.05")
    assert main(["thermometer", "--port", port, "--protocol", "gy-mcu", "--count", "2", "--timeout", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "is the protocol right" in err and err.count("\n") == 1
    assert main(["thermometer", "--port", "/dev/ttyUSB99", "--protocol", "aa55", "--count", "1"]) == 2
    assert "no such serial port" in capsys.readouterr().err
    code = subprocess.run([sys.executable, "-m", "kiosk", "thermometer", "--port", port, "--protocol", "morse"],
                          capture_output=True, text=True)
    assert code.returncode == 2 and "invalid choice" in code.stderr and "Traceback" not in code.stderr


def test_calibrate_stores_offset_and_entries_carry_it(simulator, capsys, tmp_path: Path) -> None:
    port = simulator("--protocol", "aa55", "--interval", "0.02", "--seed", "5", "--mean", "36.7", "--noise", "0.08")
    assert main(["calibrate", "--port", port, "--protocol", "aa55", "--reference", "37.0", "--count", "10",
                 "--operator", "it-teacher"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["offset_c"] == pytest.approx(37.0 - result["mean_c"], abs=1e-3)
    assert len(result["readings"]) == 10 and 0.0 < result["offset_c"] < 0.6
    from db.store import EntryStore

    store = EntryStore(f"sqlite:///{tmp_path / 'data' / 'entries.sqlite3'}")
    latest = store.latest_calibration("thermo-1")
    assert latest["id"] == result["calibration_id"] and latest["operator"] == "it-teacher"
    assert store.audit_events("calibrate")[0]["detail"]["calibration_id"] == result["calibration_id"]
    store.close()


def test_simulate_rejects_bad_rates(capsys) -> None:
    assert main(["simulate", "thermometer", "--protocol", "aa55", "--fever-rate", "2"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="Linux port names")
def test_probe_errors_are_plain_words_and_an_empty_port_is_refused_up_front(capsys, tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("x")
    cases = (("COM3", "Windows port name"), (str(plain), "cannot open: not a serial port"),
             (str(tmp_path), "cannot open: a folder, not a serial port"))
    for port, words in cases:
        assert main(["devices", "probe", "--port", port]) == 2
        err = capsys.readouterr().err
        assert words in err and "Errno" not in err and len(err.strip().splitlines()) == 1, err
    with pytest.raises(SystemExit) as exit_:  # refused by the parser: nothing is opened or probed
        main(["devices", "probe", "--port", " "])
    assert exit_.value.code == 2 and "--port: empty" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["calibrate", "--port", "/dev/null", "--count", "0"],
                                  ["thermometer", "--port", "/dev/null", "--count", "-3"],
                                  ["simulate", "gate", "--people", "0"]])
def test_a_count_below_one_is_one_line_not_a_crash(args: list[str], capsys) -> None:
    """Trial finding: ``calibrate --count 0`` raised IndexError and wrote a crash file."""
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith("must be at least 1, not " + args[-1])
