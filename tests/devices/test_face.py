"""The face finder: the shipped YuNet model (intact, licensed), faces in scenes, the Haar fallback, alignment."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.face import (
    ALIGNED_SIZE, MODEL_DAMAGED, MODEL_MISSING, OPENCV_TOO_OLD, REF_LEFT_EYE, REF_RIGHT_EYE, YUNET_PATH, YUNET_SHA256,
    Face, HaarFaceFinder, YuNetFaceFinder, align_face, make_face_finder,
)
from tests.conftest import REPO, SHARED_DATA

FACE = SHARED_DATA / "mask" / "without_mask" / "0.jpg"


def scene_with(face: np.ndarray, width: int, x: int, y: int, seed: int = 0) -> np.ndarray:
    frame = cv2.GaussianBlur(np.random.default_rng(seed).normal(110, 25, (720, 1280, 3)).clip(0, 255)
                             .astype(np.uint8), (0, 0), 6)
    f = cv2.resize(face, (width, int(width * face.shape[0] / face.shape[1])), interpolation=cv2.INTER_CUBIC)
    frame[y:y + f.shape[0], x:x + f.shape[1]] = f
    return frame


def test_the_shipped_model_is_the_published_one_with_its_licence() -> None:
    assert hashlib.sha256(YUNET_PATH.read_bytes()).hexdigest() == YUNET_SHA256
    models = YUNET_PATH.parent
    assert "Apache License" in (models / "LICENSE-yunet.txt").read_text()
    readme = (models / "README.md").read_text()
    assert YUNET_SHA256 in readme and "Shiqi Yu" in readme
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["devices"]
    assert "models/*.onnx" in data and "models/LICENSE-*" in data


@pytest.mark.skipif(not FACE.exists(), reason="../shared/data/mask not present")
def test_yunet_finds_the_face_in_a_camera_frame_with_landmarks() -> None:
    face = cv2.imread(str(FACE))
    frame = scene_with(face, 300, 500, 150)
    finder, reason = make_face_finder()
    assert reason is None and finder.name == "YuNet"
    (found, *_) = finder.find(frame)
    x, y, w, h = found.box
    assert 450 <= x + w / 2 <= 850 and 150 <= y + h / 2 <= 150 + 300 * face.shape[0] / face.shape[1]
    assert found.landmarks is not None and len(found.landmarks) == 5
    (rx, ry), (lx, ly) = found.eyes()
    assert rx < lx and x <= rx <= x + w and y <= ry <= y + h  # the person's right eye is on the image's left


@pytest.mark.skipif(not FACE.exists(), reason="../shared/data/mask not present")
def test_the_largest_face_comes_first() -> None:
    face = cv2.imread(str(FACE))
    frame = scene_with(face, 170, 100, 100)
    big = cv2.resize(face, (320, int(320 * face.shape[0] / face.shape[1])), interpolation=cv2.INTER_CUBIC)
    frame[200:200 + big.shape[0], 800:1120] = big
    faces = YuNetFaceFinder().find(frame)
    assert len(faces) == 2 and faces[0].box[0] > 600 and faces[0].area > faces[1].area


def test_no_face_in_an_empty_frame() -> None:
    empty = np.full((720, 1280, 3), 128, np.uint8)
    assert YuNetFaceFinder().find(empty) == [] and HaarFaceFinder().find(empty) == []


def test_a_missing_or_damaged_model_falls_back_to_haar_and_says_why(tmp_path: Path, caplog) -> None:
    finder, reason = make_face_finder(tmp_path / "missing.onnx")
    assert finder.name == "Haar" and reason is not None and reason.cause == MODEL_MISSING
    assert "missing.onnx not found" in reason.detail and reason.detail in caplog.text  # logged, with the path
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(YUNET_PATH.read_bytes()[:1000])
    finder, reason = make_face_finder(damaged)
    assert finder.name == "Haar" and reason is not None and reason.cause == MODEL_DAMAGED
    assert "SHA-256" in str(reason)


def test_an_opencv_without_yunet_falls_back_to_haar_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(cv2, "FaceDetectorYN")  # as in OpenCV before 4.8
    finder, reason = make_face_finder()
    assert finder.name == "Haar" and reason is not None and reason.cause == OPENCV_TOO_OLD
    assert cv2.__version__ in reason.detail and "4.8" in reason.detail


def test_alignment_puts_the_eyes_on_the_reference_points() -> None:
    frame = np.zeros((400, 400, 3), np.uint8)
    right, left = (150.0, 220.0), (250.0, 180.0)  # a tilted head
    cv2.circle(frame, (150, 220), 4, (0, 0, 255), -1)
    cv2.circle(frame, (250, 180), 4, (0, 255, 0), -1)
    face = Face((100, 100, 200, 200), 0.9, (right, left, (200.0, 240.0), (170.0, 280.0), (240.0, 270.0)))
    aligned = align_face(frame, face)
    assert aligned.shape == (ALIGNED_SIZE, ALIGNED_SIZE, 3)
    red = np.argwhere(aligned[..., 2] > 128).mean(axis=0)
    green = np.argwhere(aligned[..., 1] > 128).mean(axis=0)
    assert np.allclose(red[::-1], REF_RIGHT_EYE, atol=1.5) and np.allclose(green[::-1], REF_LEFT_EYE, atol=1.5)


def test_a_haar_box_is_aligned_on_where_eyes_usually_are() -> None:
    face = Face((100, 100, 200, 200), 1.0)
    (rx, ry), (lx, ly) = face.eyes()
    assert rx < lx and ry == ly and 100 < ry < 200
    assert align_face(np.zeros((400, 400), np.uint8), face).shape == (ALIGNED_SIZE, ALIGNED_SIZE, 3)
