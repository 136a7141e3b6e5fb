"""The frame grabber: newest frame only, and a watchdog that reopens stalled or stale cameras."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.camera import CameraError, FrameGrabber, ImageFolderCapture, SceneCapture, open_capture


class FakeCapture:
    """A capture that counts frames; ``stall`` blocks read() until released; ``freeze`` repeats a frame."""

    def __init__(self, log: list) -> None:
        self.n = 0
        self.stall = threading.Event()
        self.freeze = False
        self.released = threading.Event()
        log.append(self)

    def read(self):
        if self.stall.is_set():
            self.released.wait(30)  # a blocked driver: only giving up on the thread helps
            return False, None
        time.sleep(0.01)
        if not self.freeze:
            self.n += 1
        return True, np.full((48, 64, 3), self.n % 256, np.uint8)

    def release(self) -> None:
        self.released.set()


def wait_for(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def grabbers():
    made: list[FrameGrabber] = []
    yield made
    for g in made:
        g.close()


def test_latest_frame_only(grabbers) -> None:
    caps: list = []
    g = FrameGrabber(lambda: FakeCapture(caps))
    grabbers.append(g)
    g.start()
    first = g.latest(0, timeout=2)
    time.sleep(0.3)
    newest = g.latest(first.seq, timeout=2)
    assert newest.seq > first.seq + 5  # frames in between were dropped, not queued
    assert g.latest(newest.seq, timeout=0.05) is None or g.latest(newest.seq).seq > newest.seq


def test_stall_then_recovery_reopens(grabbers) -> None:
    caps: list = []
    states: list = []
    g = FrameGrabber(lambda: FakeCapture(caps), on_status=lambda s, m: states.append(s), stall_s=0.4,
                     backoff_s=(0.05, 0.2))
    grabbers.append(g)
    g.start()
    assert wait_for(lambda: g.latest(0) is not None)
    caps[0].stall.set()
    assert wait_for(lambda: "lost" in states)
    assert wait_for(lambda: len(caps) >= 2 and states[-1] == "connected")
    seq = g.latest(0).seq
    assert wait_for(lambda: (f := g.latest(seq, 0.1)) is not None and f.seq > seq)
    assert caps[0].released.is_set() and g.reconnects >= 1


def test_stale_camera_repeating_the_last_frame_is_reopened(grabbers) -> None:
    caps: list = []
    states: list = []
    g = FrameGrabber(lambda: FakeCapture(caps), on_status=lambda s, m: states.append(s), stale_s=0.4,
                     backoff_s=(0.05, 0.2))
    grabbers.append(g)
    g.start()
    assert wait_for(lambda: g.latest(0) is not None)
    caps[0].freeze = True
    assert wait_for(lambda: "lost" in states and len(caps) >= 2)
    assert wait_for(lambda: states[-1] == "connected")


def test_opener_failures_back_off_and_report(grabbers) -> None:
    attempts: list = []
    states: list = []

    def opener():
        attempts.append(time.monotonic())
        if len(attempts) < 4:
            raise CameraError("cannot open camera 'v4l2:0'")
        return FakeCapture([])

    g = FrameGrabber(opener, on_status=lambda s, m: states.append(s), backoff_s=(0.05, 0.4))
    grabbers.append(g)
    g.start()
    assert wait_for(lambda: states and states[-1] == "connected")
    assert states[:2] == ["lost", "reconnecting"]
    gaps = np.diff(attempts[:4])
    assert gaps[2] > gaps[0]  # exponential backoff


def test_sources_from_uris(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((20, 30, 3), i * 50, np.uint8))
    folder = open_capture(str(tmp_path))
    assert isinstance(folder, ImageFolderCapture)
    assert [int(folder.read()[1][0, 0, 0]) for _ in range(4)] == [0, 50, 100, 0]
    assert isinstance(open_capture("sim:"), SceneCapture)
    with pytest.raises(CameraError, match="no such camera"):
        open_capture(str(tmp_path / "nope.mp4"))
    with pytest.raises(CameraError, match="v4l2:0"):
        open_capture("v4l2:front")
    with pytest.raises(CameraError):
        open_capture(str(tmp_path / "empty"))  # neither a dir with images nor a file


def test_scene_capture_cycles_and_adds_noise() -> None:
    scenes = [np.full((10, 10, 3), 50, np.uint8), np.full((10, 10, 3), 200, np.uint8)]
    seen: list[int] = []
    cap = SceneCapture(scenes, fps=200, hold_s=0.05)
    cap.on_scene = seen.append
    frames = [cap.read()[1] for _ in range(30)]
    assert seen[:2] == [0, 1]
    assert any(not np.array_equal(frames[0], f) for f in frames[1:3])


def test_video_file_source_and_scan_of_a_video(tmp_path: Path) -> None:
    from devices.codeimage import place_on_scene, render_code
    from devices.decoders import ZxingDecoder
    from kiosk.domain.policy import Policy
    from kiosk.services.scanning import scan_path
    from kiosk.services.verification import Verifier

    path = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 360))
    blank = np.full((360, 640, 3), 100, np.uint8)
    coded = cv2.resize(place_on_scene(render_code("https://hc.example.cn/v/1", module_px=6), width_px=360),
                       (640, 360))
    for frame in [blank] * 5 + [coded] * 5:
        writer.write(frame)
    writer.release()
    cap = open_capture(str(path))
    ok, frame = cap.read()
    assert ok and frame.shape == (360, 640, 3)
    cap.release()
    result = scan_path(path, ZxingDecoder(), Verifier(Policy(), {}))
    assert result.error is None and [v.text for v in result.verdicts] == ["https://hc.example.cn/v/1"]


def test_close_ends_the_watchdog_and_the_reader_and_releases_the_camera() -> None:
    caps: list = []
    g = FrameGrabber(lambda: FakeCapture(caps), name="cam-close")
    g.start()
    assert wait_for(lambda: g.latest(0) is not None)
    assert {"cam-close-watchdog", "cam-close-reader-1"} <= {t.name for t in threading.enumerate()}
    g.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("cam-close-")]
    assert caps[0].released.is_set() and g.state == "stopped"


def test_an_abandoned_reader_ends_once_its_blocked_read_returns(grabbers) -> None:
    caps: list = []
    g = FrameGrabber(lambda: FakeCapture(caps), name="cam-stall", stall_s=0.4, backoff_s=(0.05, 0.2))
    grabbers.append(g)
    g.start()
    assert wait_for(lambda: g.latest(0) is not None)
    caps[0].stall.set()
    # The watchdog releases the stalled camera (which lets its read return) and reads on a new thread.
    assert wait_for(lambda: len(caps) >= 2 and g.state == "connected")
    assert wait_for(lambda: "cam-stall-reader-1" not in {t.name for t in threading.enumerate()})
    assert "cam-stall-reader-2" in {t.name for t in threading.enumerate()}
    assert wait_for(lambda: caps[1].n > 0)  # the new thread reads the reopened camera
