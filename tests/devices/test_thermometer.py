"""The serial reader on real ptys: every protocol, faults, unplug and replug, silence."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import pytest

from devices.simulators import ThermometerSimulator
from devices.thermoframes import encode_aa55
from devices.thermometer import ModbusThermometer, SerialThermometer, resolve_port, PortNotFound


class Collector:
    def __init__(self) -> None:
        self.readings: queue.Queue = queue.Queue()
        self.states: list[str] = []

    def reading(self, r) -> None:
        self.readings.put(r)

    def status(self, s) -> None:
        self.states.append(s.state)

    def take(self, n: int, timeout: float = 10.0) -> list:
        out, deadline = [], time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            try:
                out.append(self.readings.get(timeout=0.1))
            except queue.Empty:
                pass
        return out

    def wait_state(self, state: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if state in self.states:
                return True
            time.sleep(0.02)
        return False


@pytest.fixture
def cleanup():
    items: list = []
    yield items
    for item in reversed(items):
        item.close()


def reader_for(sim: ThermometerSimulator, col: Collector, port: str | None = None, **kw) -> SerialThermometer | ModbusThermometer:
    if sim.protocol == "modbus":
        return ModbusThermometer(port or sim.path, interval_s=0.05, ambient_register=1, on_reading=col.reading,
                                 on_status=col.status, **kw)
    return SerialThermometer(port or sim.path, sim.protocol, on_reading=col.reading, on_status=col.status,
                             backoff_s=(0.05, 0.2), **kw)


@pytest.mark.parametrize("protocol", ["ascii", "aa55", "gy-mcu", "modbus"])
def test_every_protocol_reads_the_values_sent(protocol: str, cleanup) -> None:
    sim = ThermometerSimulator(protocol, interval_s=0.03, seed=7)
    sim.queue(36.4, 38.3, 36.9)
    cleanup.append(sim.start())
    col = Collector()
    reader = reader_for(sim, col)
    cleanup.append(reader)
    reader.start()
    got = col.take(3)
    assert [r.celsius for r in got] == pytest.approx([36.4, 38.3, 36.9])
    assert all(r.thermometer_id == "thermo-1" for r in got)
    if protocol in ("gy-mcu", "modbus"):
        assert got[0].ambient == pytest.approx(22.0)
    if protocol == "gy-mcu":
        assert sim.started_streaming  # the reader sent A5 45 EA
    assert col.states[0] == "connected"
    assert reader._thread is not None and reader._thread.name == "thermometer-thermo-1"


@pytest.mark.parametrize("protocol", ["aa55", "gy-mcu", "ascii"])
def test_garbage_bad_checksums_and_split_frames(protocol: str, cleanup) -> None:
    sim = ThermometerSimulator(protocol, interval_s=0.01, seed=3, garbage_rate=0.5,
                               bad_checksum_rate=0.3 if protocol != "ascii" else 0.0, split_rate=0.5)
    cleanup.append(sim.start())
    col = Collector()
    reader = reader_for(sim, col)
    cleanup.append(reader)
    reader.start()
    got = col.take(40, timeout=20)
    assert len(got) == 40
    # Every reading delivered is one the simulator sent with a good checksum, in order.
    sent = list(sim.sent)
    values = [r.celsius for r in got]
    assert values == pytest.approx(sent[: len(values)])
    assert reader.garbage_bytes > 0
    if protocol != "ascii":
        assert reader.checksum_errors > 0


def test_partial_frame_written_by_hand_is_completed_later(cleanup) -> None:
    sim = ThermometerSimulator("aa55", interval_s=3600)
    cleanup.append(sim)
    col = Collector()
    reader = reader_for(sim, col)
    cleanup.append(reader)
    reader.start()
    assert col.wait_state("connected")
    frame = encode_aa55(37.4)
    sim.write_raw(b"\xde\xad" + frame[:2])
    time.sleep(0.4)
    assert col.readings.empty()
    sim.write_raw(frame[2:])
    assert [r.celsius for r in col.take(1)] == pytest.approx([37.4])


def test_unplug_reconnects_through_a_by_id_link(tmp_path: Path, cleanup) -> None:
    link = tmp_path / "usb-Prolific_Thermo-if00-port0"
    sim = ThermometerSimulator("aa55", interval_s=0.03, link=link)
    cleanup.append(sim.start())
    col = Collector()
    reader = reader_for(sim, col, port=str(link))
    cleanup.append(reader)
    reader.start()
    assert len(col.take(3)) == 3
    sim.unplug()
    assert col.wait_state("lost")
    time.sleep(0.3)
    sim.replug()  # a new device node; the by-id link follows it
    col.take(100, timeout=0.5)
    assert col.wait_state("connected")
    assert col.states.count("connected") >= 2 and reader.reconnects >= 1
    sim.queue(36.2)
    got = col.take(5)
    assert got and 36.2 in [round(r.celsius, 1) for r in got]


def test_close_ends_the_simulator_thread_and_removes_its_link(tmp_path: Path) -> None:
    link = tmp_path / "usb-Thermo-if00-port0"
    sim = ThermometerSimulator("ascii", interval_s=0.03, link=link).start()
    assert sim.start() is sim  # started once: a second start leaves the running thread as it is
    assert link.is_symlink() and [t for t in threading.enumerate() if t.name == "thermo-sim-ascii"]
    sim.close()
    assert not link.is_symlink() and not [t for t in threading.enumerate() if t.name == "thermo-sim-ascii"]


def test_silence_is_reported_and_recovery_too(cleanup) -> None:
    sim = ThermometerSimulator("ascii", interval_s=0.03)
    cleanup.append(sim.start())
    col = Collector()
    reader = reader_for(sim, col, silent_after_s=0.4)
    cleanup.append(reader)
    reader.start()
    assert col.take(2)
    sim.paused.set()
    assert col.wait_state("silent", timeout=5)
    sim.paused.clear()
    deadline = time.monotonic() + 5
    while col.states[-1] != "connected" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert col.states[-1] == "connected"


def test_missing_port_keeps_retrying_without_raising(cleanup) -> None:
    col = Collector()
    reader = SerialThermometer("/dev/does-not-exist", "aa55", on_reading=col.reading, on_status=col.status,
                               backoff_s=(0.05, 0.1))
    cleanup.append(reader)
    reader.start()
    assert col.wait_state("lost")
    assert col.wait_state("reconnecting")


def test_usb_vid_pid_spec() -> None:
    with pytest.raises(PortNotFound, match="no serial adapter with USB id 1a86:7523"):
        resolve_port("usb:1a86:7523")
    with pytest.raises(PortNotFound, match="bad USB id"):
        resolve_port("usb:zz")
    assert resolve_port("/dev/ttyUSB0") == "/dev/ttyUSB0"


def test_the_in_process_port_carries_every_streaming_protocol_and_an_unplug() -> None:
    # What the demo uses on Windows, where there is no pty: the same reader, through pyserial's URL handlers.
    import time as _time

    from devices.discovery import probe_thermometer
    from devices.simulators import ThermometerSimulator
    from devices.thermometer import SerialThermometer

    for protocol in ("ascii", "aa55", "gy-mcu"):
        sim = ThermometerSimulator(protocol, interval_s=0.05, transport="inprocess", mean_c=36.8, noise_c=0.05)
        sim.start()
        assert sim.path.startswith("simport://")
        readings, states = [], []
        reader = SerialThermometer(sim.path, protocol, on_reading=readings.append,
                                   on_status=lambda s: states.append(s.state), backoff_s=(0.05, 0.2))
        reader.start()
        try:
            deadline = _time.monotonic() + 5
            while len(readings) < 3 and _time.monotonic() < deadline:
                _time.sleep(0.02)
            assert len(readings) >= 3 and all(36.0 < r.celsius < 37.6 for r in readings)
            sim.unplug()
            deadline = _time.monotonic() + 5
            while "lost" not in states and _time.monotonic() < deadline:
                _time.sleep(0.02)
            assert "lost" in states
        finally:
            reader.close()
            sim.close()
    sim = ThermometerSimulator("aa55", interval_s=0.1, transport="inprocess").start()
    try:
        found = probe_thermometer(sim.path, budget_s=5)
    finally:
        sim.close()
    assert found.found and found.protocol == "aa55"


@pytest.mark.parametrize("noise", [b"\x00\xff\x13garbage\r\n", b"$GPGGA,123519,4807.038,N*47\r\n"])
def test_a_port_sending_only_unreadable_bytes_is_reported_silent(cleanup, noise: bytes) -> None:
    """The trial: noise (or another device's frames) kept 测温仪 已连接 for ever; only a mute port was reported."""
    import os
    import pty

    controller, device = pty.openpty()
    stop = threading.Event()

    def chatter() -> None:
        while not stop.is_set():
            os.write(controller, noise)
            time.sleep(0.02)

    sender = threading.Thread(target=chatter, daemon=True)
    messages: list[str] = []
    col = Collector()
    reader = SerialThermometer(os.ttyname(device), "aa55", on_reading=col.reading,
                               on_status=lambda s: (col.status(s), messages.append(s.message)),
                               silent_after_s=0.4, backoff_s=(0.05, 0.2))
    cleanup.append(reader)
    sender.start()
    try:
        reader.start()
        assert col.wait_state("silent", timeout=5)
    finally:
        stop.set()
        sender.join()
    assert col.readings.empty() and reader.garbage_bytes > 0
    assert any("无有效读数" in m for m in messages)
    os.close(controller)
    os.close(device)
