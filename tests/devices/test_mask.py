"""The mask check: person-level splits, the model file, accuracy floors on test people, scenes and crops."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from devices.face import HaarFaceFinder, align_face
from devices.mask import MODEL_PATH, MaskClassifier, MaskDetector, lower_face_features, pad_crop
from tests.conftest import REPO, SHARED_DATA

sys.path.insert(0, str(REPO / "scripts"))
from train_mask_model import choose_thresholds, group_of, mask_below_nose, metrics, split_of  # noqa: E402

DATA = SHARED_DATA / "mask"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data/mask not present")


@pytest.fixture(scope="module")
def detector() -> MaskDetector:
    return MaskDetector()


def test_person_grouping_keeps_one_person_together() -> None:
    assert group_of("0_0_aidai_0014.jpg") == group_of("1_0_aidai_0003.jpg") == "aidai"
    assert group_of("0_0_0_copy_12.jpg") == group_of("0_0_0_copy_3.jpg")
    assert group_of("augmented_image_94.jpg") == group_of("augmented_image_2.jpg")
    assert group_of("0129.jpg") == "0129.jpg"
    assert split_of(group_of("0_0_aidai_0014.jpg")) == split_of(group_of("1_0_aidai_0003.jpg"))


def test_model_file_is_small_holds_no_pickles_and_has_calibrated_thresholds() -> None:
    assert MODEL_PATH.stat().st_size <= 5 * 1024 * 1024
    with np.load(MODEL_PATH, allow_pickle=False) as data:  # raises if anything needs unpickling
        assert all(data[k].dtype != object for k in data.files)
    model = MaskClassifier()
    assert 0.0 < model.off_threshold <= 0.5 <= model.on_threshold < 1.0
    assert model.suggestion(model.on_threshold) is True and model.suggestion(model.off_threshold) is False
    assert model.suggestion((model.on_threshold + model.off_threshold) / 2) in (None, True, False)


def test_thresholds_are_chosen_for_at_most_two_percent_wrong() -> None:
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0.0, 0.7, 1000), rng.uniform(0.3, 1.0, 1000)])
    labels = np.array([0] * 1000 + [1] * 1000)
    on, off = choose_thresholds(p, labels)
    assert ((p >= on) & (labels == 0)).sum() <= 20 and ((p <= off) & (labels == 1)).sum() <= 20
    assert ((p >= on - 0.01) & (labels == 0)).sum() > 15  # the lowest such threshold, not just any


def test_with_groups_the_worst_group_decides_the_threshold() -> None:
    # Bare faces in plain scenes score low; with a phone under the chin, higher: pooled, the phone
    # scenes' wrong "mask on" would hide among the plain ones; per group, each keeps to 2 %.
    rng = np.random.default_rng(1)
    plain, phone, masked = rng.uniform(0.0, 0.5, 900), rng.uniform(0.2, 0.9, 100), rng.uniform(0.6, 1.0, 1000)
    p = np.concatenate([plain, phone, masked])
    labels = np.array([0] * 1000 + [1] * 1000)
    groups = np.array(["plain"] * 900 + ["phone"] * 100 + ["plain"] * 1000)
    pooled, _ = choose_thresholds(p, labels)
    on, _ = choose_thresholds(p, labels, groups)
    assert (phone >= pooled).mean() > 0.02 and (phone >= on).mean() <= 0.02


@pytest.mark.slow
@needs_data
def test_accuracy_on_people_the_model_never_saw(detector: MaskDetector) -> None:
    truth, scores = [], []
    for label, folder in ((1, "with_mask"), (0, "without_mask")):
        for path in sorted((DATA / folder).iterdir()):
            if split_of(group_of(path.name)) == "test":
                truth.append(label)
                found = detector.detect_in_image(cv2.imread(str(path)))
                # No face judged at all counts as "no suggestion" (a score between the thresholds).
                no_suggestion = (detector.classifier.on_threshold + detector.classifier.off_threshold) / 2
                scores.append(found[0].score if found else no_suggestion)
    m = metrics(np.array(truth), np.array(scores), detector.classifier.on_threshold,
                detector.classifier.off_threshold)
    assert m["n"] > 300
    # The "mask on" threshold is now chosen on gate-camera scenes too (phones, hands, low masks),
    # which is stricter: fewer face images get a suggestion than before (0.990), fewer wrong ones.
    assert m["coverage"] >= 0.88  # measured 0.908
    assert m["accuracy_of_suggestions"] >= 0.97  # measured 0.995
    assert m["wrong_mask_on"] <= 0.02  # measured 0.000


@pytest.mark.slow
@needs_data
def test_a_mask_below_the_nose_is_not_a_mask(detector: MaskDetector) -> None:
    rng = np.random.default_rng(5)
    said = []
    for path in sorted((DATA / "without_mask").iterdir())[:400]:
        if split_of(group_of(path.name)) != "test":
            continue
        img = pad_crop(cv2.imread(str(path)))[0]  # as detect-mask looks at a face crop
        faces = detector.faces(img)
        if faces:
            aligned = mask_below_nose(align_face(img, faces[0]), rng)
            said.append(detector.classifier.suggestion(float(detector.classifier.probability(
                lower_face_features(aligned))[0])))
    assert len(said) >= 20
    assert sum(s is True for s in said) <= len(said) * 0.05


@needs_data
def test_a_phone_or_a_hand_under_a_bare_chin_is_not_a_mask_in_a_camera_scene(detector: MaskDetector) -> None:
    # The new-user trial's worst case: 24 % wrong "mask on" with a phone held under the chin.
    from mask_scenes import compose, found_at, locate

    rng = np.random.default_rng(21)
    said = []
    for path in sorted((DATA / "without_mask").iterdir()):
        if split_of(group_of(path.name)) != "test":
            continue
        img = cv2.imread(str(path))
        face = locate(img, detector.finder)
        if face is None:
            continue
        for kind in ("phone", "hand"):
            scene = compose(img, face, 0, kind, rng)
            found = detector.nearest(scene.frame)
            if found is not None and found_at(found.box, scene.where):
                said.append(found.mask)
        if len(said) >= 120:
            break
    assert len(said) >= 100
    assert sum(s is True for s in said) <= 3  # bench/bench_mask.py: 3 of 459 such test scenes
    assert sum(s is False for s in said) >= len(said) * 0.7  # and most of them still get "no mask"


def test_frame_without_a_face_and_scene_images(detector: MaskDetector) -> None:
    empty = cv2.GaussianBlur(np.random.default_rng(0).normal(110, 25, (720, 1280, 3)).clip(0, 255)
                             .astype(np.uint8), (0, 0), 6)
    assert detector.detect(empty) == [] and detector.nearest(empty) is None
    assert detector.detect_in_image(empty) == []  # a scene, not a face crop


@needs_data
def test_the_nearest_face_of_a_scene_is_judged(detector: MaskDetector) -> None:
    bare = cv2.imread(str(DATA / "without_mask" / "0.jpg"))
    masked = cv2.imread(str(DATA / "with_mask" / "0129.jpg"))
    frame = np.full((720, 1280, 3), 100, np.uint8)
    far = cv2.resize(bare, (160, int(160 * bare.shape[0] / bare.shape[1])))
    near = cv2.resize(masked, (330, int(330 * masked.shape[0] / masked.shape[1])), interpolation=cv2.INTER_CUBIC)
    frame[60:60 + far.shape[0], 80:240] = far
    frame[200:200 + near.shape[0], 700:1030] = near
    (face,) = detector.detect_in_image(frame)
    assert 700 <= face.box[0] + face.box[2] / 2 <= 1030 and face.mask is True
    faces = detector.detect(frame)
    assert len(faces) == 2 and faces[1].mask is False


@needs_data
def test_face_crops_are_judged_as_faces(detector: MaskDetector) -> None:
    (masked,) = detector.detect_in_image(cv2.imread(str(DATA / "with_mask" / "0129.jpg")))
    (bare,) = detector.detect_in_image(cv2.imread(str(DATA / "without_mask" / "0.jpg")))
    assert masked.mask is True and masked.score >= 0.5
    assert bare.mask is False and bare.score <= 0.5
    # A face-shaped image with no face in it (a blank, noise, a code) gets no face and no suggestion.
    assert detector.detect_in_image(np.full((200, 160, 3), 128, np.uint8)) == []
    noise = np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    assert detector.detect_in_image(noise) == []


def test_haar_fallback_still_judges_what_it_finds() -> None:
    haar = MaskDetector(finder=HaarFaceFinder())
    assert haar.finder_name == "Haar"
    assert haar.nearest(np.full((720, 1280, 3), 90, np.uint8)) is None


def test_features_are_stable_in_size() -> None:
    a = lower_face_features(np.zeros((112, 112, 3), np.uint8))
    b = lower_face_features(np.full((112, 112, 3), 200, np.uint8))
    assert a.shape == b.shape and a.dtype == np.float32
