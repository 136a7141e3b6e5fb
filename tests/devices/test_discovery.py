"""Device discovery: the thermometer probe against simulated thermometers on real ptys, ports and cameras."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import tomlkit

from devices.discovery import list_cameras, list_serial_ports, port_exists, probe_thermometer, _v4l2_cameras
from devices.simulators import ThermometerSimulator
from kiosk.cli.main import main


@pytest.mark.parametrize("protocol", ["ascii", "aa55", "gy-mcu", "modbus"])
def test_probe_names_the_protocol_and_the_reading(protocol: str) -> None:
    sim = ThermometerSimulator(protocol, interval_s=0.1, seed=3, mean_c=36.6, noise_c=0.05).start()
    try:
        result = probe_thermometer(sim.path, budget_s=10.0)
    finally:
        sim.close()
    assert result.found, result.error
    assert result.protocol == protocol
    assert result.config["thermometer_protocol"] == protocol
    assert all(36.0 <= c <= 37.2 for c in result.readings)
    assert result.readings[-1] in [round(v, 2) for v in sim.sent]
    if protocol == "gy-mcu":
        assert result.baud == 9600 and result.ambient == pytest.approx(22.0, abs=0.1)  # started at its own baud
    if protocol == "modbus":
        assert result.config["modbus_scale"] == 0.1


@pytest.mark.slow
def test_probe_of_a_silent_port_says_so_within_the_budget() -> None:
    sim = ThermometerSimulator("aa55", interval_s=0.1)
    sim.paused.set()
    sim.start()
    try:
        result = probe_thermometer(sim.path, budget_s=4.0)
    finally:
        sim.close()
    assert not result.found
    assert "no thermometer protocol recognised" in result.error and "powered" in result.error
    listened = float(result.error.split("after listening ")[1].split(" s")[0])
    assert 0 < listened <= 4.0  # the time it listened, not more than the budget it was given
    assert any(t.startswith("modbus@") for t in result.tried)  # silence is where a Modbus device hides


def test_probe_of_garbage_is_not_a_thermometer() -> None:
    sim = ThermometerSimulator("aa55", interval_s=0.05)
    sim.paused.set()
    sim.start()
    stop = threading.Event()

    def babble() -> None:  # digits and letters, never a frame, all the time the probe listens
        while not stop.wait(0.05):
            sim.write_raw(bytes(range(0x30, 0x50)))

    talker = threading.Thread(target=babble)
    talker.start()
    try:
        result = probe_thermometer(sim.path, budget_s=3.0, listen_s=0.5)
    finally:
        stop.set()
        talker.join()
        sim.close()
    assert not result.found and result.bytes_heard > 0


def test_missing_ports() -> None:
    assert not probe_thermometer("/dev/ttyUSB97").found
    assert "no such serial port" in probe_thermometer("/dev/ttyUSB97").error
    assert "no serial adapter" in probe_thermometer("usb:ffff:fff0").error
    assert not port_exists("/dev/ttyUSB97") and port_exists("/dev/null")
    if not sys.platform.startswith("win"):
        assert port_exists("COM3")  # a Windows name in a config is not judged by a Linux file check


def test_cli_probe_and_list(capsys) -> None:
    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "simulate", "thermometer", "--protocol", "ascii",
                            "--interval", "0.1"], stdout=subprocess.PIPE, text=True)
    try:
        port = sim.stdout.readline().strip()
        assert main(["devices", "probe", "--port", port, "--json"]) == 0
        found = json.loads(capsys.readouterr().out)
        assert found["found"] and found["protocol"] == "ascii" and 34 < found["celsius"] < 42
        assert main(["devices", "probe", "--port", port]) == 0
        out = capsys.readouterr().out
        assert "ascii at" in out and "note:" not in out
        pasted = tomlkit.parse(out.split("config.toml:\n", 1)[1])  # lines to paste into config.toml as they are
        assert pasted["devices"]["thermometer_protocol"] == "ascii" and pasted["devices"]["thermometer"] == port
    finally:
        sim.terminate()
        sim.wait(5)
    # A thermometer in ambient mode, or pointed at a radiator: found, and the reading said to be no person's.
    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "simulate", "thermometer", "--protocol", "ascii",
                            "--interval", "0.1", "--mean", "45", "--noise", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = sim.stdout.readline().strip()
        assert main(["devices", "probe", "--port", port]) == 0
        out = capsys.readouterr().out
        assert "reading 45.0 °C" in out and "note: 45.0 °C is outside a person's plausible" in out
    finally:
        sim.terminate()
        sim.wait(5)
    assert main(["devices", "probe", "--port", "/dev/ttyUSB97"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    for odd in ("/tmp/" + "a" * 300, "/tmp/" + "b/" * 3000, "/dev/tty\x00USB0"):  # too long for the OS, a NUL
        assert main(["devices", "probe", "--port", odd]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no such serial port" in err and "Traceback" not in err
        assert not port_exists(odd)
    assert main(["devices", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed) == {"cameras", "serial_ports"}
    assert len(listed["cameras"]) == len(list_cameras())
    assert [p["device"] for p in listed["serial_ports"]] == [p.device for p in list_serial_ports()]
    assert main(["devices", "list"]) == 0
    assert "Cameras" in capsys.readouterr().out


def test_v4l2_listing_reports_nodes_it_cannot_query(tmp_path: Path) -> None:
    dev, sysfs = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    (dev / "video0").write_bytes(b"")  # a regular file: the capability ioctl fails like on a node we may not open
    (sysfs / "video0").mkdir(parents=True)
    (sysfs / "video0" / "name").write_text("HD USB Camera\n")
    cameras = _v4l2_cameras(dev, sysfs)
    assert [c.uri for c in cameras] == ["v4l2:0"]
    assert cameras[0].name.startswith("HD USB Camera (cannot query")


def test_camera_backends_per_platform_and_uris(monkeypatch) -> None:
    import cv2

    from devices import camera
    from devices.camera import CameraError, camera_backends, open_capture

    monkeypatch.setattr(camera.sys, "platform", "win32")
    assert camera_backends() == [("msmf", cv2.CAP_MSMF), ("dshow", cv2.CAP_DSHOW)]  # Media Foundation first
    monkeypatch.setattr(camera.sys, "platform", "linux")
    assert camera_backends() == [("v4l2", cv2.CAP_V4L2)]
    for bad in ("msmf:front", "dshow:", "v4l2:x"):
        with pytest.raises(CameraError, match=f"use {bad.split(':')[0]}:0"):
            open_capture(bad)
    with pytest.raises(CameraError, match="cannot open camera 'dshow:7'"):
        open_capture("dshow:7")  # no DirectShow on Linux: a clear "cannot open", not a crash


def test_cli_probe_of_a_silent_port_exits_1_and_a_usage_error_2() -> None:
    """"Listened, nothing spoke" is a finding, not a mistyped command: its own exit status (argparse's is 2)."""
    sim = ThermometerSimulator("aa55", interval_s=0.1)
    sim.paused.set()  # a real pty that never speaks: a thermometer without power
    sim.start()
    try:
        for extra in ([], ["--json"]):
            done = subprocess.run([sys.executable, "-m", "kiosk", "devices", "probe", "--port", sim.path,
                                   "--budget", "2", *extra], capture_output=True, text=True, timeout=60)
            assert done.returncode == 1, done.stderr
            assert done.stderr.count("\n") == 1 and "no thermometer protocol recognised" in done.stderr
            if extra:
                found = json.loads(done.stdout)
                assert found["found"] is False and found["listened"] is True
    finally:
        sim.close()
    usage = subprocess.run([sys.executable, "-m", "kiosk", "devices", "probe", "--port", sim.path, "--budget", "x"],
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "invalid float value" in usage.stderr and "Traceback" not in usage.stderr
    described = subprocess.run([sys.executable, "-m", "kiosk", "devices", "probe", "--help"],
                               capture_output=True, text=True, timeout=60)
    assert "1 listened but no thermometer protocol spoke" in " ".join(described.stdout.split())
