"""Scanning: camera frames (or files) to verified codes for the gate.

``ScanService`` runs on its own named thread: it takes the newest frame from
the grabber (never a queue of old ones), decodes it, verifies each code
(results cached for a few seconds, since the same phone stays in view for
many frames and an issuer server must not be asked 15 times a second), hands
the evidence to the gate controller, and passes the frame with its overlays
to the listener for the preview. An optional mask detector runs on the same
thread, on every third frame (``mask_every``): YuNet on the frame downscaled
to 640 px wide costs 15-20 ms on one core (up to 35 ms on this shared
machine under load), a live decode about 5 ms, and a person does not put a
mask on in 100 ms, so ten checks a second at 30 frames/s keep the thread
well inside its 40 ms budget (25 frames/s). When nothing has been decoded for a while, one frame a second also
gets the hard-photo ladder's cheap steps (``devices.hardphoto``).

Verification (the issuer server, the roster) runs on its own thread,
``VerificationService``, shared by every code source: the camera, a
keyboard-wedge scanner (through the window) and a serial scanner.

``scan_path`` does the same for one image or video file (the ``scan`` and
``check --code`` commands), timing decode + verify only; a still image gets
the whole hard-photo ladder.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import cv2

from devices.decoders import DecodedCode, Decoder, ImageRejected, load_image
from devices.hardphoto import IDLE_TECHNIQUES, StillReader
from devices.worker import Worker
from kiosk.domain.visit import CodeCheck
from kiosk.services.ports import CodeOverlay, FaceOverlay, FrameFeed, GateListener, Overlay
from kiosk.services.verification import CodeVerdict, Verifier

if TYPE_CHECKING:
    from devices.mask import FaceMask
    from kiosk.services.ports import FrameImage

log = logging.getLogger(__name__)

SCANNED_FORMAT = "SCANNER"  # a code typed in by a handheld scanner: its symbology is not known
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"}


class FaceWatch(Protocol):
    """The mask detector as the scanner uses it (``devices.mask.MaskDetector``)."""

    @property
    def fallback_reason(self) -> str | None: ...

    @property
    def finder_name(self) -> str: ...

    @property
    def status_state(self) -> str: ...

    def nearest(self, frame: FrameImage) -> FaceMask | None: ...


class CodeSink(Protocol):
    """Where the scanning services hand each checked code and mask reading (the ``GateController``)."""

    def code_seen(self, check: CodeCheck) -> object: ...

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> object: ...


@dataclass
class ScanResult:
    """One file's outcome for the ``scan`` command."""

    file: str
    ms: float = 0.0
    verdicts: list[CodeVerdict] = field(default_factory=list)
    error: str | None = None
    technique: str | None = None  # which hard-photo step found the codes (stills only)

    def as_json(self) -> dict[str, Any]:
        if self.error:
            return {"file": self.file, "error": self.error}
        out = {"file": self.file, "ms": round(self.ms, 2), "codes": [v.as_json() for v in self.verdicts]}
        if self.technique:
            out["technique"] = self.technique
        return out


def scan_path(path: Path, decoder: Decoder, verifier: Verifier, max_video_frames: int = 300) -> ScanResult:
    result = ScanResult(str(path))
    if not path.is_file():
        result.error = "file not found"
        return result
    if path.suffix.lower() in VIDEO_SUFFIXES:
        cap = cv2.VideoCapture(str(path))
        if not cap.isOpened():
            result.error = "not a readable video"
            return result
        try:
            for _ in range(max_video_frames):
                ok, frame = cap.read()
                if not ok:
                    break
                t0 = time.perf_counter()
                codes = decoder.decode_frame(frame)
                verdicts = [verifier.verify(c) for c in codes]
                result.ms = (time.perf_counter() - t0) * 1000
                if verdicts:
                    result.verdicts = verdicts
                    break
            else:
                pass
        finally:
            cap.release()
        return result
    try:
        image = load_image(str(path))
    except ImageRejected as exc:
        result.error = str(exc)
        return result
    if image is None:
        result.error = "not a readable image"
        return result
    t0 = time.perf_counter()
    codes, result.technique = StillReader(decoder).read(image)
    result.verdicts = [verifier.verify(c) for c in codes]
    result.ms = (time.perf_counter() - t0) * 1000
    return result


class VerificationService(Worker):
    """Verifies decoded codes on its own thread, so that no code source ever waits on the network or the roster.

    An issuer server may take seconds to answer (2 s timeout, one retry) and a
    roster lookup is a database query; the camera's scanner thread and the
    serial scanner's reader only hand codes over here. Results are cached for
    ``CACHE_S`` (the same phone stays in view for many frames, and an issuer
    server must not be asked 15 times a second); a code already waiting is not
    queued twice. Each verdict goes to the gate controller as it is known.

    Not started (tests, the headless ``check``), ``submit`` verifies inline.
    """

    thread_name = "verifier"
    CACHE_S = 5.0
    MAX_WAITING = 64

    def __init__(self, verifier: Verifier, sink: CodeSink, clock: Callable[[], float] = time.monotonic) -> None:
        Worker.__init__(self)
        self.verifier = verifier
        self._sink = sink
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[float, CodeVerdict]] = {}
        self._waiting: set[bytes] = set()
        self._queue: queue.Queue[DecodedCode] = queue.Queue(self.MAX_WAITING)
        self.dropped = 0

    def cached(self, raw: bytes) -> CodeVerdict | None:
        with self._lock:
            hit = self._cache.get(raw)
        return hit[1] if hit is not None and self._clock() - hit[0] < self.CACHE_S else None

    def submit(self, code: DecodedCode) -> None:
        """Verify ``code`` and give its evidence to the gate (now if not started, else on the verifier thread)."""
        if self._thread is None:
            self._handle(code)
            return
        with self._lock:
            if code.raw in self._waiting:
                return
            self._waiting.add(code.raw)
        try:
            self._queue.put_nowait(code)
        except queue.Full:  # verification hangs: the camera will show the code again; a scanner's is logged
            with self._lock:
                self._waiting.discard(code.raw)
            self.dropped += 1
            log.warning("verification queue full: code from %s not verified", code.backend)

    def submit_text(self, text: str, source: str) -> None:
        """A code a scanner read (no image: no colour, no outline)."""
        self.submit(DecodedCode(format=SCANNED_FORMAT, raw=text.encode("utf-8", "surrogateescape"), text=text,
                                polygon=(), colour=None, white=None, backend=source))

    def _handle(self, code: DecodedCode) -> None:
        verdict = self.cached(code.raw)
        if verdict is None:
            verdict = self.verifier.verify(code)
            now = self._clock()
            with self._lock:
                if len(self._cache) > 256:
                    self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.CACHE_S}
                self._cache[code.raw] = (now, verdict)
        self._sink.code_seen(verdict.check)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                code = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._handle(code)
            except Exception:  # one bad code must not stop verification
                log.exception("verifying a code failed")
            finally:
                with self._lock:
                    self._waiting.discard(code.raw)


class ScanService(Worker):
    """The camera-side pipeline (see the module docstring)."""

    thread_name = "scanner"

    IDLE_AFTER_S = 2.0  # no code for this long: the scene is idle
    IDLE_EVERY_S = 1.0  # then one frame per this gets the harder decoding

    def __init__(self, grabber: FrameFeed, decoder: Decoder, verifier: Verifier, sink: CodeSink,
                 listener: GateListener, mask_detector: FaceWatch | None = None, clock: Callable[[], float] = time.monotonic,
                 verification: VerificationService | None = None, *, mask_every: int = 3,
                 on_face_status: Callable[[str, str], None] | None = None, idle_hard: bool = True) -> None:
        self.grabber = grabber
        self.decoder = decoder
        self.verifier = verifier
        self._sink = sink
        self._listener = listener
        self._mask = mask_detector
        self._clock = clock
        # Shared with the other code sources when the composition root passes one; else our own.
        self._owns_verification = verification is None
        self.verification = verification or VerificationService(verifier, sink, clock)
        Worker.__init__(self)
        self.frames = 0
        self.decode_ms_total = 0.0
        self.mask_every = max(1, mask_every)
        self._face_overlay: FaceOverlay | None = None
        self._on_face_status = on_face_status
        self._still = StillReader(decoder) if idle_hard else None
        self._last_code_at = self._last_hard_at = clock()
        self.idle_hard_hits = 0

    def _before_start(self) -> None:
        if self._owns_verification:
            self.verification.start()
        if self._mask is not None and self._on_face_status is not None:
            reason = self._mask.fallback_reason
            self._on_face_status(self._mask.status_state, reason or f"{self._mask.finder_name} 人脸检测")
        self.grabber.start()

    def _after_stop(self) -> None:
        self.grabber.close()
        if self._owns_verification:
            self.verification.close()

    def process(self, image: FrameImage) -> list[Overlay]:
        """Decode one frame, hand its codes to verification, report it; returns the overlays of the preview.

        A code still being verified is outlined as ``pending``; the next frame shows its verdict.
        """
        t0 = time.perf_counter()
        codes = self.decoder.decode_frame(image)
        self.decode_ms_total += (time.perf_counter() - t0) * 1000
        self.frames += 1
        now = self._clock()
        if codes:
            self._last_code_at = now
        elif (self._still is not None and now - self._last_code_at >= self.IDLE_AFTER_S
              and now - self._last_hard_at >= self.IDLE_EVERY_S):
            # Idle: a code held still but too small, dim or curved for the live path gets a harder look.
            self._last_hard_at = now
            codes = self._still.read(image, IDLE_TECHNIQUES)[0]
            self.idle_hard_hits += bool(codes)
        overlays: list[Overlay] = []
        for code in codes:
            self.verification.submit(code)
            verdict = self.verification.cached(code.raw)
            overlays.append(CodeOverlay(polygon=code.polygon, status=verdict.status if verdict else "pending",
                                        kind=verdict.kind if verdict else "",
                                        verified_by=verdict.verified_by if verdict else ""))
        if self._mask is not None:
            if self.frames % self.mask_every == 1 or self.mask_every == 1:
                # The person nearest the camera (largest face) is the one being checked.
                face = self._mask.nearest(image)
                self._face_overlay = None
                if face is not None:
                    self._face_overlay = FaceOverlay(box=face.box, mask=face.mask, score=face.score)
                    self._sink.mask_seen(face.mask, face.score)
            if self._face_overlay is not None:
                overlays.append(self._face_overlay)
        self._listener.on_frame(image, overlays)
        return overlays

    def _run(self) -> None:
        seq = 0
        while not self._stop.is_set():
            frame = self.grabber.latest(seq, timeout=0.5)
            if frame is None:
                continue
            seq = frame.seq
            try:
                self.process(frame.image)
            except Exception:  # one bad frame must not stop the scanner
                log.exception("scanning a frame failed")
