"""Automatic mask check: Haar face detection plus a small classifier of the face.

The face detector is the frontal-face Haar cascade shipped inside
opencv-python-headless 4.x, run on a downscaled grey frame (the person at the
gate is close, so faces are large). Each face box is widened downwards to
include the chin, where a mask worn under the nose or on the chin shows.

The classifier is a small multilayer perceptron trained by
``scripts/train_mask_model.py`` on ../shared/data/mask (split by person) and
shipped as ``devices/models/mask_mlp.npz``: plain arrays, loaded with
``allow_pickle=False`` so the file cannot run code. Features: a HOG of the
64x64 face, the share of skin-coloured pixels in each quarter of the face
(a mask hides the skin of the lower half), and a coarse 8x8 YCrCb thumbnail.

A result is a suggestion: the policy decides what it may satisfy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "models" / "mask_mlp.npz"
FACE_SIZE = 64
_HOG = cv2.HOGDescriptor((FACE_SIZE, FACE_SIZE), (16, 16), (8, 8), (8, 8), 9)


@dataclass(frozen=True)
class FaceMask:
    """One face: its box in frame pixels (x, y, w, h), mask on or not, and P(mask)."""

    box: tuple[int, int, int, int]
    mask: bool | None
    score: float


def face_features(face_bgr: np.ndarray) -> np.ndarray:
    """The classifier's input vector for one face crop (any size, BGR)."""
    face = cv2.resize(face_bgr, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
    hog = np.asarray(_HOG.compute(grey), np.float32).ravel()
    ycc = cv2.cvtColor(face, cv2.COLOR_BGR2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    skin = ((cr > 135) & (cr < 180) & (cb > 85) & (cb < 135)).astype(np.float32)
    quarter = FACE_SIZE // 4
    skin_rows = np.array([skin[i * quarter:(i + 1) * quarter].mean() for i in range(4)], np.float32)
    thumb = cv2.resize(ycc, (8, 8), interpolation=cv2.INTER_AREA).astype(np.float32).ravel() / 255.0
    return np.concatenate([hog, skin_rows, thumb]).astype(np.float32)


class MaskClassifier:
    """The shipped MLP: standardise, hidden layers with ReLU, logistic output = P(mask)."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        with np.load(path, allow_pickle=False) as data:
            self.mean = data["mean"]
            self.scale = data["scale"]
            n = int(data["layers"])
            self.weights = [data[f"w{i}"] for i in range(n)]
            self.biases = [data[f"b{i}"] for i in range(n)]
            self.threshold = float(data["threshold"])
        if self.mean.shape[0] != face_features(np.zeros((8, 8, 3), np.uint8)).shape[0]:
            raise ValueError(f"{path}: model does not match the feature extractor")

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(mask) for a batch (n, d) or a single vector (d,)."""
        x = (np.atleast_2d(features) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if i < len(self.weights) - 1:
                x = np.maximum(x, 0.0)
        p: np.ndarray = 1.0 / (1.0 + np.exp(-x[:, 0]))
        return p

    def predict_face(self, face_bgr: np.ndarray) -> float:
        return float(self.probability(face_features(face_bgr))[0])


class MaskDetector:
    """Faces in a frame, each with a mask suggestion; largest (nearest) face first."""

    def __init__(self, classifier: MaskClassifier | None = None, detect_width: int = 400,
                 min_face_px: int = 160) -> None:
        self.classifier = classifier if classifier is not None else MaskClassifier()
        # cv2.data is where the wheel ships its cascades (OpenCV 4.x headless wheels).
        cascade = Path(getattr(cv2, "data").haarcascades) / "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(str(cascade))
        if self._cascade.empty():
            raise RuntimeError(f"cannot load the Haar cascade {cascade}")
        self.detect_width = detect_width
        self.min_face_px = min_face_px

    def faces(self, frame: np.ndarray) -> list[tuple[int, int, int, int]]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape
        scale = min(1.0, self.detect_width / w)
        small = cv2.resize(grey, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 \
            else grey
        # The person at the kiosk is close: only gate-sized faces are searched for, which is
        # what keeps this within the camera thread's budget.
        min_px = max(20, int(self.min_face_px * scale))
        found = self._cascade.detectMultiScale(small, scaleFactor=1.2, minNeighbors=4, minSize=(min_px, min_px))
        boxes = [(int(x / scale), int(y / scale), int(w / scale), int(h / scale)) for x, y, w, h in found]
        return sorted(boxes, key=lambda b: -b[2] * b[3])

    def classify_box(self, frame: np.ndarray, box: tuple[int, int, int, int]) -> FaceMask:
        x, y, w, h = box
        H, W = frame.shape[:2]
        # Widen the box down to the chin: a mask under the nose or on the chin shows there.
        x0, y0 = max(0, x - w // 10), max(0, y - h // 10)
        x1, y1 = min(W, x + w + w // 10), min(H, y + h + h // 4)
        crop = frame[y0:y1, x0:x1]
        if crop.size == 0:
            return FaceMask(box, None, 0.0)
        if crop.ndim == 2:
            crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
        p = self.classifier.predict_face(crop)
        return FaceMask(box, p >= self.classifier.threshold, round(p, 4))

    def detect(self, frame: np.ndarray) -> list[FaceMask]:
        return [self.classify_box(frame, box) for box in self.faces(frame)]

    CROP_MAX_SIDE = 512  # larger images are scenes, not face crops

    def detect_in_image(self, image: np.ndarray) -> list[FaceMask]:
        """For still images: a face crop with no face found counts as the face.

        An image counts as a face crop when it is small (at most 512 px a side)
        and roughly face-shaped (aspect between 1:2 and 2:1); a scene without a
        face gives no faces at all.
        """
        found = self.detect(image)
        h, w = image.shape[:2]
        if found or max(h, w) > self.CROP_MAX_SIDE or not 0.5 <= w / h <= 2.0:
            return found
        p = self.classifier.predict_face(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
        return [FaceMask((0, 0, w, h), p >= self.classifier.threshold, round(p, 4))]
