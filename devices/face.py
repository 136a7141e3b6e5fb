"""Face finding for the mask check: YuNet (shipped ONNX model) with the Haar cascade as fallback.

YuNet (``models/face_detection_yunet_2023mar.onnx``, Apache-2.0, see
``models/README.md``) runs through ``cv2.FaceDetectorYN``; it finds masked
faces that the Haar cascade misses and gives five landmarks (eyes, nose tip,
mouth corners). The frame is downscaled to ``detect_width`` first: the person
at the kiosk is close, so faces are large, and a 320-pixel-wide frame costs a
few milliseconds on one core.

Where the model file is missing or damaged, OpenCV is too old to have
``cv2.FaceDetectorYN`` (before 4.8) or cannot load the model,
``make_face_finder`` falls back to the frontal Haar cascade inside
opencv-python-headless 4.x and says why (a ``Fallback``: a cause the status bar
names, and the detail, which is logged and shown as the tooltip).

``align_face`` turns a face with landmarks into a crop of fixed geometry: a
similarity transform puts the eyes where a reference face has them, so that
the lower face (nose, mouth, chin: where a mask is or is not) is always the
same part of the crop. Haar faces have no landmarks; their eyes are placed
where they sit in an average Haar box.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

YUNET_PATH = Path(__file__).resolve().parent / "models" / "face_detection_yunet_2023mar.onnx"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"

Point = tuple[float, float]
Box = tuple[int, int, int, int]

# The aligned face: ALIGNED_SIZE square, eyes at these points (the usual 112x112 reference face).
ALIGNED_SIZE = 112
REF_RIGHT_EYE = (38.29, 51.70)  # the person's right eye, on the left of the image
REF_LEFT_EYE = (73.53, 51.50)
LOWER_FACE_TOP = 60  # rows from here down: nose, mouth, chin
UPPER_FACE_ROWS = (24, 48)  # forehead and brows: the person's own skin colour, for reference


# Why YuNet is not in use (``Fallback.cause``); the status bar has words for each (ui/main_window.py).
MODEL_MISSING, MODEL_DAMAGED, OPENCV_TOO_OLD, MODEL_LOAD_FAILED = (
    "model_missing", "model_damaged", "opencv_too_old", "model_load_failed")


@dataclass(frozen=True)
class Fallback:
    """Why the Haar cascade is in use instead of YuNet: the cause (one of the four above) and the detail."""

    cause: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Face:
    """One face: box in frame pixels (x, y, w, h), detector score, landmarks if the detector gives them.

    ``landmarks`` are the right eye, left eye, nose tip, right and left mouth
    corner (the person's right and left), in frame pixels.
    """

    box: Box
    score: float
    landmarks: tuple[Point, ...] | None = None

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]

    def eyes(self) -> tuple[Point, Point]:
        """Right and left eye: from the landmarks, or where they sit in a typical face box."""
        if self.landmarks is not None:
            return self.landmarks[0], self.landmarks[1]
        x, y, w, h = self.box
        return (x + 0.30 * w, y + 0.38 * h), (x + 0.70 * w, y + 0.38 * h)


class FaceFinder(Protocol):
    """Finds faces in a frame, largest (nearest the camera) first."""

    name: str

    def find(self, frame: np.ndarray) -> list[Face]: ...


def _bgr(frame: np.ndarray) -> np.ndarray:
    return frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def _downscale(frame: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    h, w = frame.shape[:2]
    scale = min(1.0, width / w)
    if scale >= 1.0:
        return frame, 1.0
    return cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA), scale


class YuNetFaceFinder:
    """YuNet through ``cv2.FaceDetectorYN`` on a downscaled frame."""

    name = "YuNet"

    def __init__(self, model: Path = YUNET_PATH, detect_width: int = 320, score_threshold: float = 0.35,
                 min_face_px: int = 0) -> None:
        if not model.is_file():
            raise FileNotFoundError(f"{model}: face model not found")
        # Score threshold 0.35, not OpenCV's sample 0.9 or 0.6: at 0.6 it missed 9 of 200 test scenes, at
        # 0.35 4, and it reported no face in 80 frames without one (bench/bench_mask.py); masked faces score low.
        # An input size is required at creation; it is set per frame below.
        self._net = cv2.FaceDetectorYN.create(str(model), "", (320, 320), score_threshold, 0.3, 50)
        self.detect_width = detect_width
        self.min_face_px = min_face_px
        self._size: tuple[int, int] = (0, 0)

    def find(self, frame: np.ndarray) -> list[Face]:
        small, scale = _downscale(_bgr(frame), self.detect_width)
        size = (small.shape[1], small.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        _, rows = self._net.detect(small)
        faces = []
        for row in rows if rows is not None else []:
            x, y, w, h = (float(v) / scale for v in row[:4])
            if min(w, h) < self.min_face_px:
                continue
            marks = tuple((float(row[4 + 2 * i]) / scale, float(row[5 + 2 * i]) / scale) for i in range(5))
            faces.append(Face((round(x), round(y), round(w), round(h)), round(float(row[14]), 4), marks))
        return sorted(faces, key=lambda f: -f.area)


class HaarFaceFinder:
    """The frontal-face Haar cascade of opencv-python-headless 4.x: the fallback, no landmarks."""

    name = "Haar"

    def __init__(self, detect_width: int = 400, min_face_px: int = 160) -> None:
        # cv2.data is where the wheel ships its cascades (OpenCV 4.x headless wheels).
        cascade = Path(getattr(cv2, "data").haarcascades) / "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(str(cascade))
        if self._cascade.empty():
            raise RuntimeError(f"cannot load the Haar cascade {cascade}")
        self.detect_width = detect_width
        self.min_face_px = min_face_px

    def find(self, frame: np.ndarray) -> list[Face]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        small, scale = _downscale(grey, self.detect_width)
        # Only gate-sized faces are searched for, which keeps this within the camera thread's budget.
        min_px = max(20, int(self.min_face_px * scale))
        found = self._cascade.detectMultiScale(small, scaleFactor=1.2, minNeighbors=4, minSize=(min_px, min_px))
        faces = [Face((round(x / scale), round(y / scale), round(w / scale), round(h / scale)), 1.0)
                 for x, y, w, h in found]
        return sorted(faces, key=lambda f: -f.area)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_face_finder(model: Path = YUNET_PATH, detect_width: int = 320) -> tuple[FaceFinder, Fallback | None]:
    """YuNet if its model is there, intact and loadable; else Haar. Returns (finder, why Haar or None)."""
    haar = "; using the Haar cascade, which finds fewer faces"
    try:
        if not model.is_file():
            fallback = Fallback(MODEL_MISSING, f"YuNet face model missing: {model} not found{haar}")
        elif file_sha256(model) != YUNET_SHA256:
            fallback = Fallback(MODEL_DAMAGED, f"YuNet face model damaged: {model} does not match its SHA-256{haar}")
        elif not hasattr(cv2, "FaceDetectorYN"):
            fallback = Fallback(OPENCV_TOO_OLD, f"OpenCV {cv2.__version__} is too old for YuNet "
                                                f"(cv2.FaceDetectorYN needs OpenCV 4.8 or later){haar}")
        else:
            return YuNetFaceFinder(model, detect_width=detect_width), None
    except (OSError, ValueError, cv2.error) as exc:
        fallback = Fallback(MODEL_LOAD_FAILED, f"OpenCV {cv2.__version__} could not load the YuNet face model {model} "
                                               f"({str(exc).strip().splitlines()[-1][:120]}){haar}")
    log.warning("%s", fallback.detail)
    return HaarFaceFinder(), fallback


def align_face(frame: np.ndarray, face: Face) -> np.ndarray:
    """The face warped to ALIGNED_SIZE x ALIGNED_SIZE with the eyes on the reference points (BGR)."""
    (rx, ry), (lx, ly) = face.eyes()
    src = np.array([[rx, ry], [lx, ly]], np.float64)
    dst = np.array([REF_RIGHT_EYE, REF_LEFT_EYE], np.float64)
    # Similarity from two point pairs: scale and rotation from the eye vectors, then translation.
    vs, vd = src[1] - src[0], dst[1] - dst[0]
    norm = float(vs @ vs)
    if norm < 1.0:  # eyes on top of each other: not a usable face
        x, y, w, h = face.box
        src = np.array([[x + 0.3 * w, y + 0.38 * h], [x + 0.7 * w, y + 0.38 * h]], np.float64)
        vs = src[1] - src[0]
        norm = max(float(vs @ vs), 1.0)
    a = (vs[0] * vd[0] + vs[1] * vd[1]) / norm
    b = (vs[0] * vd[1] - vs[1] * vd[0]) / norm
    m = np.array([[a, -b, 0.0], [b, a, 0.0]], np.float64)
    m[:, 2] = dst[0] - m[:, :2] @ src[0]
    return cv2.warpAffine(_bgr(frame), m, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def lower_face(aligned: np.ndarray) -> np.ndarray:
    """Nose, mouth and chin of an aligned face: where a mask is worn, or worn too low."""
    return aligned[LOWER_FACE_TOP:, 8:ALIGNED_SIZE - 8]


def upper_face(aligned: np.ndarray) -> np.ndarray:
    """Forehead and brows of an aligned face: skin a mask does not cover, as colour reference."""
    top, bottom = UPPER_FACE_ROWS
    return aligned[top:bottom, 24:ALIGNED_SIZE - 24]
