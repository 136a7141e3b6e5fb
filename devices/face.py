"""Face finding for the mask check: YuNet (shipped ONNX model) with the Haar cascade as fallback.

YuNet (``models/face_detection_yunet_2023mar.onnx``, Apache-2.0, see
``models/README.md``) runs through ``cv2.FaceDetectorYN``; it finds masked
faces that the Haar cascade misses and gives five landmarks (eyes, nose tip,
mouth corners). The frame is downscaled to ``detect_width`` first: the person
at the kiosk is close, so faces are large, and a 320-pixel-wide frame costs a
few milliseconds on one core. Faces that score low there (masked faces
often do) count only with plausible landmarks and when a second look at the
full-resolution region around them finds them again (``YuNetFaceFinder``).

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


def plausible_landmarks(face: Face) -> bool:
    """Whether a face's five landmarks are arranged as on a face looking roughly at the camera.

    In the frame of the eyes (origin between them, unit = eye distance, down
    = away from the forehead): the eyes span 15-80 % of the box width and tilt
    at most about 30 degrees; the nose tip is below the eye line and at most one
    eye distance to the side (YuNet guesses a masked nose well off-centre); both
    mouth corners are below the nose, the person's right one on the image's
    left, and the mouth is 0.2-1.8 eye distances wide. A masked face's nose and
    mouth are YuNet's guesses, but guesses in that arrangement; broken
    detections (all five points in a heap, a mouth above the nose) are not.
    """
    if face.landmarks is None:
        return False
    marks = np.array(face.landmarks, np.float64)
    right_eye, left_eye = marks[0], marks[1]
    d = float(np.hypot(*(left_eye - right_eye)))
    if d < 1.0 or face.box[2] <= 0:
        return False
    u = (left_eye - right_eye) / d
    v = np.array([-u[1], u[0]])
    rel = marks - (right_eye + left_eye) / 2
    across, down = rel @ u / d, rel @ v / d
    (nose_x, mouth_r_x, mouth_l_x), (nose_y, mouth_r_y, mouth_l_y) = across[2:], down[2:]
    return bool(0.15 <= d / face.box[2] <= 0.8 and abs(u[1]) <= 0.5
                and abs(nose_x) <= 0.9 and 0.2 <= nose_y <= 1.6
                and nose_y + 0.05 < mouth_r_y < 3.0 and nose_y + 0.05 < mouth_l_y < 3.0
                and 0.2 <= mouth_l_x - mouth_r_x <= 1.8)


class YuNetFaceFinder:
    """YuNet through ``cv2.FaceDetectorYN``: a low-threshold pass on a downscaled frame, doubtful faces confirmed.

    A face scoring at least ``score_threshold`` on the downscaled frame is a
    face (YuNet's landmarks of a sure face are not checked: some true faces,
    turned or masked, have odd ones). Masked faces often score lower, so the pass
    keeps candidates down to ``candidate_threshold``; such a candidate counts
    only if it is at least ``MIN_CANDIDATE_PX`` wide (the person at the kiosk is
    close: a tiny low-scoring "face" is a pattern or someone far behind), its
    landmarks are plausible and a second look (for at most the
    ``MAX_CONFIRMS`` largest candidates of a frame, which bounds the cost), YuNet again on the
    full-resolution region around it (twice the face's size) scaled to
    ``CONFIRM_PX`` wide, finds a face there scoring at least
    ``confirm_threshold``, with plausible landmarks too.
    """

    name = "YuNet"
    CONFIRM_PX = 240
    MAX_CONFIRMS = 3
    MIN_CANDIDATE_PX = 48  # the composed gate scenes' faces are 110-330 px wide

    def __init__(self, model: Path = YUNET_PATH, detect_width: int = 320, score_threshold: float = 0.5,
                 min_face_px: int = 0, candidate_threshold: float = 0.1, confirm_threshold: float = 0.3) -> None:
        if not model.is_file():
            raise FileNotFoundError(f"{model}: face model not found")
        # Thresholds chosen on bench/bench_mask.py's realistic and face-free scenes (README, figures): YuNet in
        # one pass at 0.35 missed 12 % of masked faces; in one pass at 0.1 it found a face in 80 of 1,000
        # face-free frames. Candidates 0.1-0.5 confirmed at 0.3 keep false faces to the one-pass level.
        # An input size is required at creation; it is set per frame below.
        self._net = cv2.FaceDetectorYN.create(str(model), "", (320, 320), min(candidate_threshold, score_threshold),
                                              0.3, 50)
        self._confirm_net = cv2.FaceDetectorYN.create(str(model), "", (self.CONFIRM_PX, self.CONFIRM_PX),
                                                      confirm_threshold, 0.3, 10)
        self.detect_width = detect_width
        self.score_threshold = score_threshold
        self.min_face_px = min_face_px
        self._size: tuple[int, int] = (0, 0)
        self._confirm_size: tuple[int, int] = (self.CONFIRM_PX, self.CONFIRM_PX)

    @staticmethod
    def _faces(net: cv2.FaceDetectorYN, image: np.ndarray, scale: float, offset: Point = (0.0, 0.0)) -> list[Face]:
        _, rows = net.detect(image)
        ox, oy = offset
        faces = []
        for row in rows if rows is not None else []:
            x, y, w, h = (float(v) / scale for v in row[:4])
            marks = tuple((float(row[4 + 2 * i]) / scale + ox, float(row[5 + 2 * i]) / scale + oy) for i in range(5))
            faces.append(Face((round(x + ox), round(y + oy), round(w), round(h)), round(float(row[14]), 4), marks))
        return faces

    def _confirmed(self, frame: np.ndarray, face: Face) -> Face | None:
        """The face YuNet finds again in the full-resolution region around a doubtful candidate, or None."""
        x, y, w, h = face.box
        cx, cy, side = x + w / 2, y + h / 2, 2.0 * max(w, h)
        x0, y0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
        x1, y1 = min(frame.shape[1], int(cx + side / 2)), min(frame.shape[0], int(cy + side / 2))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        scale = self.CONFIRM_PX / (x1 - x0)
        region = cv2.resize(frame[y0:y1, x0:x1], (self.CONFIRM_PX, max(1, round((y1 - y0) * scale))),
                            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        size = (region.shape[1], region.shape[0])
        if size != self._confirm_size:
            self._confirm_net.setInputSize(size)
            self._confirm_size = size
        for again in self._faces(self._confirm_net, region, scale, (x0, y0)):
            ax, ay, aw, ah = again.box
            if x <= ax + aw / 2 <= x + w and y <= ay + ah / 2 <= y + h and plausible_landmarks(again):
                return again
        return None

    def find(self, frame: np.ndarray) -> list[Face]:
        frame = _bgr(frame)
        small, scale = _downscale(frame, self.detect_width)
        size = (small.shape[1], small.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        faces = []
        confirms = 0
        for face in sorted(self._faces(self._net, small, scale), key=lambda f: -f.area):
            if min(face.box[2], face.box[3]) < self.min_face_px:
                continue
            if face.score < self.score_threshold:
                if (confirms == self.MAX_CONFIRMS or face.box[2] < self.MIN_CANDIDATE_PX
                        or not plausible_landmarks(face)):
                    continue
                confirms += 1
                again = self._confirmed(frame, face)
                if again is not None:
                    faces.append(again)
            else:
                faces.append(face)
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
