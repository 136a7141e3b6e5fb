"""The mask detector: accuracy on held-out people (with a floor), no-face images, crops, the model file."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from devices.mask import MODEL_PATH, MaskClassifier, MaskDetector, face_features
from tests.conftest import REPO, SHARED_DATA

sys.path.insert(0, str(REPO / "scripts"))
from train_mask_model import group_of, held_out  # noqa: E402

DATA = SHARED_DATA / "mask"


def test_person_grouping_keeps_one_person_together() -> None:
    assert group_of("0_0_aidai_0014.jpg") == group_of("1_0_aidai_0003.jpg") == "aidai"
    assert group_of("0_0_0_copy_12.jpg") == group_of("0_0_0_copy_3.jpg")
    assert group_of("augmented_image_94.jpg") == group_of("augmented_image_2.jpg")
    assert group_of("0129.jpg") == "0129.jpg"


def test_model_file_is_small_and_holds_no_pickles() -> None:
    assert MODEL_PATH.stat().st_size <= 5 * 1024 * 1024
    with np.load(MODEL_PATH, allow_pickle=False) as data:  # raises if anything needs unpickling
        assert all(data[k].dtype != object for k in data.files)


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data/mask not present")
def test_accuracy_on_people_the_model_never_saw() -> None:
    classifier = MaskClassifier()
    truth, predicted = [], []
    for label, folder in ((1, "with_mask"), (0, "without_mask")):
        for path in sorted((DATA / folder).iterdir()):
            if not held_out(group_of(path.name)):
                continue
            img = cv2.imread(str(path))
            truth.append(label)
            predicted.append(int(classifier.predict_face(img) >= classifier.threshold))
    t, p = np.array(truth), np.array(predicted)
    accuracy = (t == p).mean()
    no_mask_recall = ((p == 0) & (t == 0)).sum() / (t == 0).sum()
    assert len(t) > 300
    assert accuracy >= 0.94, accuracy  # measured 0.955; the aim is 0.95
    assert no_mask_recall >= 0.93, no_mask_recall


def test_frame_without_a_face_and_scene_images() -> None:
    detector = MaskDetector()
    empty = cv2.GaussianBlur(np.random.default_rng(0).normal(110, 25, (720, 1280, 3)).clip(0, 255)
                             .astype(np.uint8), (0, 0), 6)
    assert detector.detect(empty) == []
    assert detector.detect_in_image(empty) == []  # a scene, not a face crop


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data/mask not present")
def test_face_crops_fall_back_to_the_whole_image() -> None:
    detector = MaskDetector()
    with_mask = cv2.imread(str(DATA / "with_mask" / "0129.jpg"))
    (face,) = detector.detect_in_image(with_mask)
    assert face.mask is True and face.box[:2] == (0, 0) and 0.5 <= face.score <= 1


def test_features_are_stable_in_size() -> None:
    a = face_features(np.zeros((30, 20, 3), np.uint8))
    b = face_features(np.full((300, 260, 3), 200, np.uint8))
    assert a.shape == b.shape and a.dtype == np.float32
