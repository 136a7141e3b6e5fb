"""Serial (USB-CDC) code scanners on a real pty: lines become codes, garbage does not, an unplug is reported."""

from __future__ import annotations

import os
import threading
import time
import tty
from dataclasses import replace
from pathlib import Path

from devices.scanner import MAX_LINE, LineFramer, SerialCodeScanner, decode_line


def test_line_framing() -> None:
    framer = LineFramer()
    assert framer.feed(b"GK1.abc") == []
    assert framer.feed(b"def\r\nS2023") == [b"GK1.abcdef"]
    assert framer.feed(b"001\n\r\n") == [b"S2023001"]
    assert framer.feed(b"x" * (MAX_LINE + 10)) == [] and framer.dropped == 1
    assert framer.feed(b"yyy\rok\r") == [b"ok"]  # the overlong line's tail is dropped with it


def test_text_encodings() -> None:
    assert decode_line("张三".encode()) == "张三"
    assert decode_line("张三".encode("gbk")) == "张三"
    assert decode_line(b"\xff\xfe\xfd") == "\xff\xfe\xfd"  # never an exception


def pty_pair() -> tuple[int, str]:
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, os.ttyname(slave)


def test_codes_from_a_serial_scanner_and_an_unplug() -> None:
    master, path = pty_pair()
    codes: list[str] = []
    states: list[str] = []
    got = threading.Event()
    scanner = SerialCodeScanner(path, on_code=lambda t: (codes.append(t), got.set()),
                                on_status=lambda s, m: states.append(s), backoff_s=(0.05, 0.2))
    scanner.start()
    try:
        deadline = time.monotonic() + 5
        while "connected" not in states and time.monotonic() < deadline:
            time.sleep(0.02)
        os.write(master, "S2023001\r\n张三 https://h.example/v/1\r".encode())
        os.write(master, b"\x00\x00\r\n")  # a stray NUL burst is not a code
        deadline = time.monotonic() + 5
        while len(codes) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert codes[:2] == ["S2023001", "张三 https://h.example/v/1"]
        os.close(master)  # pulled out
        deadline = time.monotonic() + 5
        while "lost" not in states and "reconnecting" not in states and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "lost" in states or "reconnecting" in states
    finally:
        scanner.close()
    assert states[-1] == "stopped" and scanner.codes == len(codes)
    assert all(c.strip("\x00") for c in codes)


def test_a_serial_scanner_feeds_the_gate(tmp_path: Path) -> None:
    from kiosk.app import build_kiosk
    from kiosk.config.loading import load_settings
    from kiosk.domain.model import Element, Lane, PersonKind
    from kiosk.services.signedcode import generate_key, issue, load_private_key

    pem, pub = generate_key()
    now = int(time.time())
    code = issue(load_private_key(pem), "k1", dict(k="health", n="李雷", id="11**77", iat=now, exp=now + 600,
                                                   s="green"))
    master, path = pty_pair()
    settings = load_settings(tmp_path / "config.toml")
    settings = replace(settings, devices=replace(settings.devices, scanner=path), trusted_issuers={"k1": pub})
    assert not settings.needs_setup  # a scanner alone is enough to read codes
    kiosk = build_kiosk(settings, with_devices=True)
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    kiosk.start()
    try:
        time.sleep(0.3)
        os.write(master, code.encode() + b"\r\n")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            visit = kiosk.controller.current()
            if visit is not None and Element.HEALTH in visit.evidence:
                break
            time.sleep(0.05)
        assert visit.evidence[Element.HEALTH].value == "green" and visit.name_masked == "李*"
        assert kiosk.codes._thread is not None  # verified on the verifier thread, not the reader's
    finally:
        kiosk.close()
        os.close(master)
