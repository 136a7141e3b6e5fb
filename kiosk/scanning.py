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

``scan_path`` does the same for one image or video file (the ``scan`` and
``check --code`` commands), timing decode + verify only; a still image gets
the whole hard-photo ladder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2

from devices.decoders import Decoder, load_image
from devices.hardphoto import IDLE_TECHNIQUES, StillReader
from devices.worker import Worker
from kiosk.gate import CodeCheck
from kiosk.verification import CodeVerdict, Verifier

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"}


class CodeSink(Protocol):
    def code_seen(self, check: CodeCheck) -> Any: ...

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> Any: ...


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
    image = load_image(str(path))
    if image is None:
        result.error = "not a readable image"
        return result
    t0 = time.perf_counter()
    codes, result.technique = StillReader(decoder).read(image)
    result.verdicts = [verifier.verify(c) for c in codes]
    result.ms = (time.perf_counter() - t0) * 1000
    return result


class ScanService(Worker):
    """The camera-side pipeline (see the module docstring)."""

    thread_name = "scanner"

    CACHE_S = 5.0
    IDLE_AFTER_S = 2.0  # no code for this long: the scene is idle
    IDLE_EVERY_S = 1.0  # then one frame per this gets the harder decoding

    def __init__(self, grabber: Any, decoder: Decoder, verifier: Verifier, sink: CodeSink, listener: Any,
                 mask_detector: Any = None, clock: Callable[[], float] = time.monotonic, *, mask_every: int = 3,
                 on_face_status: Callable[[str, str], None] | None = None, idle_hard: bool = True) -> None:
        self.grabber = grabber
        self.decoder = decoder
        self.verifier = verifier
        self._sink = sink
        self._listener = listener
        self._mask = mask_detector
        self._clock = clock
        self._cache: dict[bytes, tuple[float, CodeVerdict]] = {}
        Worker.__init__(self)
        self.frames = 0
        self.decode_ms_total = 0.0
        self.mask_every = max(1, mask_every)
        self._face_overlay: dict[str, Any] | None = None
        self._on_face_status = on_face_status
        self._still = StillReader(decoder) if idle_hard else None
        self._last_code_at = self._last_hard_at = clock()
        self.idle_hard_hits = 0

    def _before_start(self) -> None:
        if self._mask is not None and self._on_face_status is not None:
            reason = getattr(self._mask, "fallback_reason", None)
            name = getattr(self._mask, "finder_name", "")
            self._on_face_status("haar" if name == "Haar" else "yunet", reason or f"{name} 人脸检测")
        self.grabber.start()

    def _after_stop(self) -> None:
        self.grabber.close()

    def _verify(self, code: Any) -> CodeVerdict:
        now = self._clock()
        hit = self._cache.get(code.raw)
        if hit is not None and now - hit[0] < self.CACHE_S:
            return hit[1]
        verdict = self.verifier.verify(code)
        if len(self._cache) > 256:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.CACHE_S}
        self._cache[code.raw] = (now, verdict)
        return verdict

    def process(self, image: Any) -> list[dict[str, Any]]:
        """Decode, verify and report one frame; returns the overlays drawn on the preview."""
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
        overlays: list[dict[str, Any]] = []
        for code in codes:
            verdict = self._verify(code)
            overlays.append({"polygon": code.polygon, "status": verdict.status, "kind": verdict.kind,
                             "verified_by": verdict.verified_by})
            self._sink.code_seen(verdict.check)
        if self._mask is not None:
            if self.frames % self.mask_every == 1 or self.mask_every == 1:
                # The person nearest the camera (largest face) is the one being checked.
                face = self._mask.nearest(image)
                self._face_overlay = None
                if face is not None:
                    self._face_overlay = {"box": face.box, "mask": face.mask, "score": face.score}
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
