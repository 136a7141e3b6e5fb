"""Camera sources and the latest-frame grabber with its watchdog.

``open_capture(uri)`` understands:
- ``v4l2:N`` or a bare index ``N``: a local camera, asked for MJPG, 1280x720
  and a buffer of one frame (otherwise V4L2 queues stale frames);
- ``rtsp://…``, ``http://…``: an IP camera (common at school gates);
- a video file; a folder of images (cycled);
- ``sim:``: a synthetic source fed by the composition root with demo scenes.

``FrameGrabber`` runs one named thread that reads frames and keeps only the
newest. A watchdog notices a camera that stalls (``read()`` blocks or fails)
or goes stale (a real unplug may keep returning the last frame), releases it
and reopens with exponential backoff, reporting ``connected``, ``lost`` and
``reconnecting``. A stalled read cannot be interrupted from Python, so the
watchdog abandons that thread (it is a daemon) and starts a fresh one. Both
are ``Worker``s: the grabber's own thread is the watchdog, and each reading
thread is a ``_FrameReader`` that the watchdog abandons with ``close(0)``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from devices.status import StatusReporter
from devices.worker import Worker

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


class Capture(Protocol):
    """What the grabber needs of an opened source (cv2.VideoCapture fits)."""

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


class CameraError(Exception):
    """A camera source cannot be opened."""


@dataclass(frozen=True)
class Frame:
    """The newest frame with its sequence number and capture time (monotonic)."""

    image: np.ndarray
    seq: int
    at: float


class ImageFolderCapture:
    """Cycles through the images of a folder at a fixed rate."""

    def __init__(self, folder: Path, fps: float = 10.0) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise CameraError(f"{folder}: no images")
        self._i = 0
        self._period = 1.0 / fps
        self._next = time.monotonic()

    def read(self) -> tuple[bool, np.ndarray | None]:
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = time.monotonic() + self._period
        path = self.files[self._i % len(self.files)]
        self._i += 1
        img = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
        return (img is not None), img

    def release(self) -> None:
        pass


class SceneCapture:
    """``sim:``: shows scenes (BGR arrays) in turn, each for ``hold_s``, at ``fps``.

    Scenes come from whoever builds the kiosk (demo people with their codes);
    devices know nothing of what they show. Each frame gets fresh sensor
    noise so that it is a new frame, as from a real camera.
    """

    def __init__(self, scenes: Sequence[np.ndarray], fps: float = 30.0, hold_s: float = 4.0, seed: int = 0,
                 first_scene: int = 0) -> None:
        if not scenes:
            raise CameraError("sim: no scenes to show")
        self.scenes = list(scenes)
        self.fps, self.hold_s = fps, hold_s
        self._rng = np.random.default_rng(seed)
        self._start = time.monotonic() - first_scene * hold_s
        self._next = time.monotonic()
        self._noise = [self._rng.integers(-3, 4, self.scenes[0].shape, dtype=np.int16) for _ in range(4)]
        self._n = 0
        self.on_scene: Callable[[int], None] | None = None
        self._scene = -1

    def read(self) -> tuple[bool, np.ndarray | None]:
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = time.monotonic() + 1.0 / self.fps
        index = int((time.monotonic() - self._start) / self.hold_s) % len(self.scenes)
        if index != self._scene:
            self._scene = index
            if self.on_scene is not None:
                self.on_scene(index)
        self._n += 1
        scene = self.scenes[index]
        noise = self._noise[self._n % len(self._noise)]
        if noise.shape != scene.shape:
            return True, scene.copy()
        return True, (scene.astype(np.int16) + noise).clip(0, 255).astype(np.uint8)

    def release(self) -> None:
        pass


def open_capture(uri: str, scenes: Sequence[np.ndarray] | None = None,
                 on_scene: Callable[[int], None] | None = None, hold_s: float = 4.0, first_scene: int = 0) -> Capture:
    """Open a source from its configured URI (see the module docstring)."""
    if uri.startswith("sim:"):
        scene = SceneCapture(scenes or [np.full((720, 1280, 3), 90, np.uint8)], hold_s=hold_s,
                             first_scene=first_scene)
        scene.on_scene = on_scene
        return scene
    index: int | None = None
    cap: Any
    backends = camera_backends()
    scheme, _, rest = uri.partition(":")
    if scheme in BACKEND_APIS and "://" not in uri:
        try:
            index = int(rest)
        except ValueError:
            raise CameraError(f"bad camera {uri!r}: use {scheme}:0") from None
        backends = [(scheme, BACKEND_APIS[scheme])]
    elif uri.isdigit():
        index = int(uri)
    if index is not None:
        cap = _open_index(index, backends)
        cap.set(cv2.CAP_PROP_FOURCC, getattr(cv2, "VideoWriter_fourcc")(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, 1280)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, 720)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    elif "://" in uri:
        cap = cv2.VideoCapture(uri, cv2.CAP_FFMPEG)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    else:
        path = Path(uri)
        if path.is_dir():
            return ImageFolderCapture(path)
        if not path.exists():
            raise CameraError(f"{uri}: no such camera, file or folder")
        cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise CameraError(f"cannot open camera {uri!r}")
    return cap  # type: ignore[no-any-return]


BACKEND_APIS = {"v4l2": cv2.CAP_V4L2, "msmf": cv2.CAP_MSMF, "dshow": cv2.CAP_DSHOW,
                "avfoundation": cv2.CAP_AVFOUNDATION}


def camera_backends() -> list[tuple[str, int]]:
    """OpenCV capture backends for a camera index on this OS, best first."""
    if sys.platform.startswith("win"):
        # Media Foundation first (Windows 10/11, most UVC cameras); DirectShow for older drivers.
        return [("msmf", cv2.CAP_MSMF), ("dshow", cv2.CAP_DSHOW)]
    if sys.platform == "darwin":
        return [("avfoundation", cv2.CAP_AVFOUNDATION)]
    return [("v4l2", cv2.CAP_V4L2)]


def _open_index(index: int, backends: Sequence[tuple[str, int]]) -> Any:
    """The first backend that opens camera ``index`` (the last attempt's capture if none does)."""
    cap: Any = None
    for _name, api in backends:
        if cap is not None:
            cap.release()
        cap = cv2.VideoCapture(index, api)
        if cap.isOpened():
            break
    return cap


class FrameGrabber(Worker):
    """Keeps the newest frame of a source; reopens it when it stalls or goes stale.

    Its thread (``start``/``close``) is the watchdog; the frames are read on a ``_FrameReader``.
    """

    def __init__(
        self,
        opener: Callable[[], Capture],
        *,
        name: str = "camera",
        on_status: Callable[[str, str], None] = lambda state, message: None,
        stall_s: float = 3.0,
        stale_s: float = 5.0,
        backoff_s: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        Worker.__init__(self)
        self._opener = opener
        self.name = name
        self.thread_name = f"{name}-watchdog"
        self._reporter = StatusReporter(on_status)
        self.stall_s, self.stale_s = stall_s, stale_s
        self._backoff = backoff_s
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._latest: Frame | None = None
        self._seq = 0
        self._generation = 0  # names the reading threads; an older one is abandoned
        self._reader: _FrameReader | None = None
        self._close_timeout = 2.0
        self._last_frame_at = 0.0
        self._last_change_at = 0.0
        self._signature: bytes = b""
        self._capture: Capture | None = None
        self.reconnects = 0

    def _before_start(self) -> None:
        self._spawn_reader()

    def _after_stop(self) -> None:
        with self._cond:
            self._cond.notify_all()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close(self._close_timeout)
        self._release()
        self._reporter.report("stopped", "摄像头已停止")

    def close(self, timeout: float = 2.0) -> None:
        self._close_timeout = timeout  # the reader's join is bounded as the watchdog's
        Worker.close(self, timeout)

    def latest(self, after_seq: int = 0, timeout: float = 0.5) -> Frame | None:
        """The newest frame newer than ``after_seq``, waiting up to ``timeout``."""
        with self._cond:
            if self._latest is None or self._latest.seq <= after_seq:
                self._cond.wait(timeout)
            f = self._latest
            return f if f is not None and f.seq > after_seq else None

    # ---------------------------------------------------------- internals
    def _spawn_reader(self) -> None:
        self._generation += 1
        now = time.monotonic()
        self._last_frame_at = self._last_change_at = now
        self._reader = _FrameReader(self, f"{self.name}-reader-{self._generation}").start()

    def _read_loop(self, abandoned: threading.Event) -> None:
        """The reading thread's loop, until the grabber closes or the watchdog abandons it (``abandoned``)."""
        delay = self._backoff[0]
        while not abandoned.is_set():
            if self._capture is None:
                try:
                    cap = self._opener()
                except Exception as exc:  # any opener failure is a "camera lost" to the guard
                    self._reporter.report("reconnecting" if self.state in ("lost", "reconnecting") else "lost",
                              f"摄像头无法打开（{str(exc)[:80]}），正在重试")
                    abandoned.wait(delay)
                    delay = min(delay * 2, self._backoff[1])
                    continue
                if abandoned.is_set():
                    cap.release()
                    return
                self._capture = cap
                if self.state in ("lost", "reconnecting"):
                    self.reconnects += 1
                self._reporter.report("connected", "摄像头已连接")
                self._last_frame_at = self._last_change_at = time.monotonic()
                delay = self._backoff[0]
            cap = self._capture
            try:
                ok, img = cap.read()
            except Exception:  # a driver error during read counts as a failed read
                ok, img = False, None
            if abandoned.is_set():
                return  # the watchdog gave up on this thread while it was blocked (or the grabber closed)
            if not ok or img is None:
                self._reporter.report("lost", "摄像头无画面，正在重连")
                self._release()
                abandoned.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            now = time.monotonic()
            sig = img[::max(1, img.shape[0] // 16), ::max(1, img.shape[1] // 16)].tobytes()
            with self._cond:
                self._seq += 1
                self._latest = Frame(img, self._seq, now)
                self._last_frame_at = now
                if sig != self._signature:
                    self._signature = sig
                    self._last_change_at = now
                self._cond.notify_all()

    def _run(self) -> None:
        """The watchdog."""
        while not self._stop.wait(0.25):
            if self.state != "connected":
                continue
            now = time.monotonic()
            stalled = now - self._last_frame_at > self.stall_s
            stale = now - self._last_change_at > self.stale_s
            if stalled or stale:
                why = "摄像头卡住（无新画面）" if stalled else "摄像头画面静止不变（可能已断开）"
                log.warning("%s: %s; reopening", self.name, why)
                self._reporter.report("lost", why + "，正在重连")
                # Abandon the (possibly blocked) reader; a new generation reopens the source.
                if self._reader is not None:
                    self._reader.close(0)
                self._release()
                self._spawn_reader()

    def _release(self) -> None:
        cap, self._capture = self._capture, None
        if cap is not None:
            try:
                cap.release()
            except Exception:  # releasing a vanished camera may fail; it is gone either way
                pass

    @property
    def state(self) -> str:
        return self._reporter.state


class _FrameReader(Worker):
    """One reading thread of a ``FrameGrabber``; ``close(0)`` abandons it while a read may still block."""

    def __init__(self, grabber: FrameGrabber, thread_name: str) -> None:
        Worker.__init__(self)
        self.thread_name = thread_name
        self._grabber = grabber

    def _run(self) -> None:
        self._grabber._read_loop(self._stop)


def capture_opener(uri: str, scenes: Sequence[np.ndarray] | None = None,
                   on_scene: Callable[[int], None] | None = None, hold_s: float = 4.0,
                   first_scene: int = 0) -> Callable[[], Any]:
    return lambda: open_capture(uri, scenes, on_scene, hold_s, first_scene)
