"""Automatic mask check: a face finder (YuNet, Haar as fallback) plus a small classifier of the lower face.

Faces come from ``devices.face`` (YuNet with five landmarks; the Haar
cascade where the model cannot be loaded). Each face is aligned on its eyes
(``align_face``) and the classifier looks at the lower face: nose, mouth and
chin, the region a mask covers (and the nose that a mask worn too low leaves
bare), compared with the forehead, which no mask covers.

The classifier is a small multilayer perceptron trained by
``scripts/train_mask_model.py`` on YuNet crops of ../shared/data/mask (split by
person) and shipped as ``devices/models/mask_mlp.npz``: plain arrays, loaded
with ``allow_pickle=False`` so the file cannot run code. Features: a HOG of
the lower face, its coarse YCrCb thumbnail, and how far its colour is from
the forehead's (a mask is rarely skin-coloured).

Scores are calibrated (Platt scaling on people the network never saw) and
come with two thresholds chosen on those people: "mask on" only at or above
``on_threshold`` (at most 2 % of their bare faces reached it, in face images and
in each kind of gate-camera scene: plain, a phone or a hand under the chin, a
mask below the nose; ``scripts/mask_scenes.py``), "no mask" only
at or below ``off_threshold``; in between there is no suggestion and the
guard decides. A result is a suggestion: the policy decides what it may
satisfy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from devices.face import (ALIGNED_SIZE, YUNET_PATH, Face, FaceFinder, Fallback, align_face, lower_face,
                          make_face_finder, upper_face)

MODEL_PATH = Path(__file__).resolve().parent / "models" / "mask_mlp.npz"
LOWER_SIZE = (64, 32)  # width, height of the lower face the features are computed on
_HOG = cv2.HOGDescriptor(LOWER_SIZE, (16, 16), (8, 8), (8, 8), 9)


@dataclass(frozen=True)
class FaceMask:
    """One face: its box in frame pixels (x, y, w, h), the suggestion (None: no suggestion) and P(mask)."""

    box: tuple[int, int, int, int]
    mask: bool | None
    score: float


def lower_face_features(aligned_bgr: np.ndarray) -> np.ndarray:
    """The classifier's input vector for one aligned face (``devices.face.align_face``)."""
    lower = cv2.resize(lower_face(aligned_bgr), LOWER_SIZE, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(lower, cv2.COLOR_BGR2GRAY)
    grey = cv2.equalizeHist(grey)  # lighting at a gate varies; the shapes do not
    hog = np.asarray(_HOG.compute(grey), np.float32).ravel()
    lower_ycc = cv2.cvtColor(lower, cv2.COLOR_BGR2YCrCb).astype(np.float32) / 255.0
    upper_ycc = cv2.cvtColor(upper_face(aligned_bgr), cv2.COLOR_BGR2YCrCb).astype(np.float32) / 255.0
    reference = np.median(upper_ycc.reshape(-1, 3), axis=0)
    thumb = cv2.resize(lower_ycc, (8, 4), interpolation=cv2.INTER_AREA)
    # Colour distance of each thumbnail cell from the forehead: a mask differs from the skin above it.
    distance = np.linalg.norm((thumb - reference)[..., 1:], axis=2).ravel()
    return np.concatenate([hog, thumb.ravel(), distance, reference]).astype(np.float32)


def face_features(frame: np.ndarray, face: Face) -> np.ndarray:
    """Features of one face found in a frame."""
    return lower_face_features(align_face(frame, face))


class MaskClassifier:
    """The shipped MLP: standardise, hidden layers with ReLU, logistic output, Platt-calibrated P(mask)."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        with np.load(path, allow_pickle=False) as data:
            self.mean = data["mean"]
            self.scale = data["scale"]
            n = int(data["layers"])
            self.weights = [data[f"w{i}"] for i in range(n)]
            self.biases = [data[f"b{i}"] for i in range(n)]
            self.platt = (float(data["platt_a"]), float(data["platt_b"]))
            self.on_threshold = float(data["on_threshold"])
            self.off_threshold = float(data["off_threshold"])
        if self.mean.shape[0] != lower_face_features(np.zeros((ALIGNED_SIZE, ALIGNED_SIZE, 3), np.uint8)).shape[0]:
            raise ValueError(f"{path}: model does not match the feature extractor")

    def logit(self, features: np.ndarray) -> np.ndarray:
        """The network's raw output for a batch (n, d) or a single vector (d,)."""
        x = (np.atleast_2d(features) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if i < len(self.weights) - 1:
                x = np.maximum(x, 0.0)
        out: np.ndarray = x[:, 0]
        return out

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Calibrated P(mask) for a batch (n, d) or a single vector (d,)."""
        a, b = self.platt
        p: np.ndarray = 1.0 / (1.0 + np.exp(-(a * self.logit(features) + b)))
        return p

    def suggestion(self, p: float) -> bool | None:
        """True (mask on), False (no mask) or None (unsure: the guard decides)."""
        if p >= self.on_threshold:
            return True
        if p <= self.off_threshold:
            return False
        return None


class MaskDetector:
    """Faces in a frame, each with a mask suggestion; largest (nearest) face first."""

    CROP_MAX_SIDE = 512  # larger images are scenes, not face crops

    def __init__(self, classifier: MaskClassifier | None = None, finder: FaceFinder | None = None,
                 detect_width: int = 640, face_model: Path = YUNET_PATH) -> None:
        self.classifier = classifier if classifier is not None else MaskClassifier()
        self.fallback: Fallback | None = None
        if finder is None:
            finder, self.fallback = make_face_finder(face_model, detect_width=detect_width)
        self.finder = finder

    @property
    def fallback_reason(self) -> str | None:
        """Why the Haar cascade is in use (the detail, as logged), or None."""
        return self.fallback.detail if self.fallback is not None else None

    @property
    def finder_name(self) -> str:
        """Which face detector is in use ("YuNet" or "Haar"), for the status bar."""
        return self.finder.name

    @property
    def status_state(self) -> str:
        """The status bar's state: "yunet", "haar" (chosen by the caller) or "haar_<cause>" (a fallback)."""
        if self.fallback is not None:
            return f"haar_{self.fallback.cause}"
        return "haar" if self.finder.name == "Haar" else "yunet"

    def faces(self, frame: np.ndarray) -> list[Face]:
        return self.finder.find(frame)

    def classify(self, frame: np.ndarray, face: Face) -> FaceMask:
        p = float(self.classifier.probability(face_features(frame, face))[0])
        return FaceMask(face.box, self.classifier.suggestion(p), round(p, 4))

    def detect(self, frame: np.ndarray) -> list[FaceMask]:
        return [self.classify(frame, face) for face in self.faces(frame)]

    def nearest(self, frame: np.ndarray) -> FaceMask | None:
        """The face nearest the camera (the largest), judged; None without a face. Only that one is classified."""
        faces = self.faces(frame)
        return self.classify(frame, faces[0]) if faces else None

    def detect_in_image(self, image: np.ndarray) -> list[FaceMask]:
        """For still images: the nearest face of a scene, or the image itself when it is a face crop.

        A scene (a camera frame) gives its largest face, or nothing. An image
        counts as a face crop when it is small (at most 512 px a side) and
        roughly face-shaped (aspect between 1:2 and 2:1): the detector is run
        on it with a margin around it (a tight crop hides the face's outline
        from the detector), and when even then no face is found, the crop is
        judged as a face filling the image.
        """
        h, w = image.shape[:2]
        if max(h, w) > self.CROP_MAX_SIDE or not 0.5 <= w / h <= 2.0:
            found = self.nearest(image)
            return [found] if found is not None else []
        padded, scale, (px, py) = pad_crop(image)
        faces = self.faces(padded)
        if faces:
            mask = self.classify(padded, faces[0])
            x, y, bw, bh = (v / scale for v in mask.box)
            box = (max(0, round(x - px)), max(0, round(y - py)), round(bw), round(bh))
            return [FaceMask(box, mask.mask, mask.score)]
        if not looks_like_a_face_crop(image):
            return []  # a blank, a code, text or noise: no face, so no mask suggestion either
        return [self.classify(image, Face((0, 0, w, h), 0.0))]


def looks_like_a_face_crop(image: np.ndarray) -> bool:
    """Whether a crop no detector found a face in may still be one (a masked face, tightly cropped).

    Not a plain colour, and in colour some skin in the upper part (forehead and eyes show above
    any mask); in grey, not a black-and-white pattern: a QR code, text, a blank or noise is not
    judged as a face at all.
    """
    if image.ndim != 3 or min(image.shape[:2]) < 24:
        return False
    upper = image[: max(1, int(image.shape[0] * 0.45))]
    gray = cv2.cvtColor(upper, cv2.COLOR_BGR2GRAY)
    if float(np.std(gray)) < 12.0:
        return False
    if float(cv2.Laplacian(gray, cv2.CV_64F).var()) > 5000.0:
        return False  # noise or a fine pattern: skin is smooth
    b, g, r = (upper[..., i].astype(np.int16) for i in range(3))
    if float(np.mean(np.abs(b - g) + np.abs(g - r))) < 6.0:  # a grey image: no colour to judge skin by
        return float(np.mean((gray < 40) | (gray > 215))) < 0.7
    ycrcb = cv2.cvtColor(upper, cv2.COLOR_BGR2YCrCb)
    cr, cb = ycrcb[..., 1], ycrcb[..., 2]
    skin = (cr >= 133) & (cr <= 180) & (cb >= 77) & (cb <= 135)
    return float(skin.mean()) >= 0.01  # some skin at all: a blank, a code or a logo has none


CROP_TARGET_PX = 400


def pad_crop(image: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int]]:
    """A face crop with a neutral margin, upscaled so its long side is about 400 px, as a detector likes it.

    Returns (padded image, its scale to the crop, the margin (x, y) in crop
    pixels): a box found in the padded image maps back as ``v / scale - margin``.
    """
    bgr = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = bgr.shape[:2]
    px, py = w // 2, h // 2
    grey = int(np.median(bgr))
    padded = cv2.copyMakeBorder(bgr, py, py, px, px, cv2.BORDER_CONSTANT, value=(grey, grey, grey))
    scale = max(1.0, CROP_TARGET_PX / max(h, w))
    if scale > 1.0:
        padded = cv2.resize(padded, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return padded, scale, (px, py)
