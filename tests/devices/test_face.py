"""The face finder: the shipped YuNet model (intact, licensed), faces in scenes, the Haar fallback, alignment;
low-scoring (masked) faces confirmed by a second look, none reported in face-free gate scenes."""

from __future__ import annotations

import hashlib
import sys
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.face import (
    ALIGNED_SIZE, MODEL_DAMAGED, MODEL_MISSING, OPENCV_TOO_OLD, REF_LEFT_EYE, REF_RIGHT_EYE, YUNET_PATH, YUNET_SHA256,
    Face, HaarFaceFinder, YuNetFaceFinder, align_face, make_face_finder, plausible_landmarks,
)
from tests.conftest import REPO, SHARED_DATA

sys.path.insert(0, str(REPO / "scripts"))
from mask_scenes import compose, face_free, found_at, locate  # noqa: E402

FACE = SHARED_DATA / "mask" / "without_mask" / "0.jpg"
MASKED = SHARED_DATA / "mask" / "with_mask"


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
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gate_kiosk._lib.devices"]
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


def one_pass_finder() -> YuNetFaceFinder:
    """YuNet as it was before the second look: one pass at score 0.35 (the camera path's 640 px width)."""
    return YuNetFaceFinder(detect_width=640, score_threshold=0.35, candidate_threshold=0.35)


@pytest.mark.skipif(not MASKED.exists(), reason="../shared/data/mask not present")
@pytest.mark.parametrize("name", ["0_0_15.jpg", "0_0_18.jpg", "0_0_26.jpg"])
def test_a_masked_face_one_pass_missed_in_a_gate_scene_is_found(name: str) -> None:
    # Test people (never trained on); the single pass at 0.35 finds no face in these scenes.
    finder = YuNetFaceFinder(detect_width=640)
    img = cv2.imread(str(MASKED / name))
    scene = compose(img, locate(img, finder), 1, "plain", np.random.default_rng(1))
    assert one_pass_finder().find(scene.frame) == []
    (found, *_) = finder.find(scene.frame)
    assert found_at(found.box, scene.where) and found.score >= 0.3 and plausible_landmarks(found)


def test_face_free_gate_scenes_yield_no_face() -> None:
    finder = YuNetFaceFinder(detect_width=640)
    # In these a single pass at 0.1 (low enough for most masked faces) reports a face on a wall, shirt or hand.
    lenient = YuNetFaceFinder(detect_width=640, score_threshold=0.1, candidate_threshold=0.1)
    for seed in (1, 9, 47, 79):
        frame = face_free(np.random.default_rng(seed))
        assert lenient.find(frame) and finder.find(frame) == []
    assert not any(finder.find(face_free(np.random.default_rng(seed))) for seed in range(40))


def test_landmarks_must_be_arranged_as_on_a_face() -> None:
    box = (100, 100, 200, 200)
    eyes = ((160.0, 180.0), (240.0, 180.0))
    face = Face(box, 0.2, (*eyes, (200.0, 230.0), (170.0, 260.0), (230.0, 260.0)))
    assert plausible_landmarks(face)
    assert plausible_landmarks(Face(box, 0.2, (*eyes, (260.0, 225.0), (175.0, 265.0), (235.0, 262.0))))  # masked guess
    assert not plausible_landmarks(Face(box, 0.2, (*eyes, (200.0, 260.0), (170.0, 230.0), (230.0, 230.0))))  # mouth up
    assert not plausible_landmarks(Face(box, 0.2, ((198.0, 180.0), (202.0, 180.0), *face.landmarks[2:])))  # eyes heap
    assert not plausible_landmarks(Face(box, 0.2, (eyes[1], eyes[0], *face.landmarks[2:])))  # upside down
    assert not plausible_landmarks(Face(box, 1.0))  # Haar: no landmarks
