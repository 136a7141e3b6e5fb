"""Train the mask classifier shipped in devices/models/mask_mlp.npz.

Data: ../shared/data/mask/{with_mask,without_mask} (face images, MIT licence,
from the Face-Mask-Detection project). Many people appear in several images,
and some images are augmented copies of one original, so the split is by
*group* (person or original), never by image:

- ``0_0_aidai_0014.jpg`` / ``1_0_aidai_0003.jpg``: the person ``aidai`` (both classes);
- ``0_0_0_copy_12.jpg``: augmented copies of one original -> group ``0_0_0_copy``;
- ``augmented_image_94.jpg``: unknown originals -> one group for all of them;
- other file names: their own group.

A group is held out when sha1(group) % 5 == 0 (about 20 % of the images). The
script reports 5-fold grouped cross-validation on the training groups, then
fits on all training groups (with mirrored and jittered copies) and reports accuracy and
precision/recall of "no mask" on the held-out people. Needs scikit-learn
(training only: ``pip install scikit-learn``); the kiosk itself only needs numpy.

Usage: python scripts/train_mask_model.py [--data ../shared/data/mask] [--out devices/models/mask_mlp.npz]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.mask import MaskClassifier, MaskDetector, face_features  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def group_of(name: str) -> str:
    for pattern in (r"^\d+_\d+_([a-z]+)_\d+\.", r"^(augmented_image)_", r"^(\d+_\d+(?:_\d+_copy)?)_\d+\."):
        m = re.match(pattern, name)
        if m:
            return m.group(1)
    return name


def held_out(group: str) -> bool:
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % 5 == 0


def load(data: Path) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    images, labels, groups = [], [], []
    for label, folder in ((1, "with_mask"), (0, "without_mask")):
        for path in sorted((data / folder).iterdir()):
            img = cv2.imread(str(path))
            if img is None:
                continue
            images.append(img)
            labels.append(label)
            groups.append(group_of(path.name))
    return images, np.array(labels), np.array(groups)


def jitter(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random crop of 85–100 % and a brightness change of ±30 %: faces framed and lit differently."""
    h, w = img.shape[:2]
    s = rng.uniform(0.85, 1.0)
    ch, cw = int(h * s), int(w * s)
    y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    crop = img[y0:y0 + ch, x0:x0 + cw].astype(np.float32) * rng.uniform(0.7, 1.3)
    return np.clip(crop, 0, 255).astype(np.uint8)


def with_context(img: np.ndarray) -> np.ndarray:
    """The dataset's tight face crop padded out to a head with some context, as a camera sees it."""
    h, w = img.shape[:2]
    return cv2.copyMakeBorder(img, h // 3, h // 4, w // 3, w // 3, cv2.BORDER_REPLICATE)


def detector_crops(images: list[np.ndarray], labels: np.ndarray, groups: np.ndarray):
    """Faces as the camera path crops them (Haar box widened to the chin), where Haar finds one."""
    finder = MaskDetector(classifier=_NoModel())  # type: ignore[arg-type]  # the face finder only
    feats, labs, grps = [], [], []
    for img, label, group in zip(images, labels, groups):
        padded = with_context(img)
        scale = 1280 / padded.shape[1] if padded.shape[1] < 1280 else 1.0
        frame = cv2.resize(padded, None, fx=scale, fy=scale) if scale != 1.0 else padded
        boxes = finder.faces(frame)
        if boxes:
            x, y, w, h = boxes[0]
            H, W = frame.shape[:2]
            crop = frame[max(0, y - h // 10):min(H, y + h + h // 4), max(0, x - w // 10):min(W, x + w + w // 10)]
            feats.append(face_features(crop))
            labs.append(label)
            grps.append(group)
    return np.array(feats), np.array(labs), np.array(grps)


class _NoModel:
    """Stands in for the classifier while only faces are being found (it is not trained yet)."""

    threshold = 0.5


def metrics(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    no_mask = truth == 0
    said_no = predicted == 0
    accuracy = float((truth == predicted).mean())
    precision = float((said_no & no_mask).sum() / max(1, said_no.sum()))
    recall = float((said_no & no_mask).sum() / max(1, no_mask.sum()))
    return accuracy, precision, recall


def fit(features: np.ndarray, labels: np.ndarray, seed: int = 0):
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(features)
    mlp = MLPClassifier((64,), alpha=1e-2, max_iter=600, random_state=seed).fit(scaler.transform(features), labels)
    return scaler, mlp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mask")
    ap.add_argument("--out", type=Path, default=REPO / "devices" / "models" / "mask_mlp.npz")
    args = ap.parse_args()
    images, labels, groups = load(args.data)
    rng = np.random.default_rng(0)
    feats = np.array([face_features(i) for i in images])
    # Augmented copies, used for training only: mirrored, and jittered (plain and mirrored).
    augmented = [np.array([face_features(cv2.flip(i, 1)) for i in images]),
                 np.array([face_features(jitter(i, rng)) for i in images]),
                 np.array([face_features(cv2.flip(jitter(i, rng), 1)) for i in images])]
    test = np.array([held_out(g) for g in groups])
    train = ~test
    crop_feats, crop_labels, crop_groups = detector_crops(images, labels, groups)
    crop_test = np.array([held_out(g) for g in crop_groups])
    print(f"detector-style crops: Haar found {len(crop_labels)} of {len(images)} faces")
    print(f"{len(images)} images, {len(set(groups))} groups; held out {test.sum()} images of "
          f"{len(set(groups[test]))} groups")

    from sklearn.model_selection import GroupKFold

    cv = []
    idx = np.flatnonzero(train)
    for fold_train, fold_val in GroupKFold(5).split(idx, labels[idx], groups[idx]):
        tr, va = idx[fold_train], idx[fold_val]
        tr_groups = set(groups[tr])
        extra = np.array([g in tr_groups for g in crop_groups], bool)
        scaler, mlp = fit(np.vstack([feats[tr]] + [a[tr] for a in augmented] + [crop_feats[extra]]),
                          np.concatenate([np.tile(labels[tr], 4), crop_labels[extra]]))
        cv.append(metrics(labels[va], mlp.predict(scaler.transform(feats[va]))))
    cv_arr = np.array(cv)
    print("5-fold grouped CV on training groups: accuracy {:.3f} ± {:.3f}, no-mask precision {:.3f}, "
          "recall {:.3f}".format(cv_arr[:, 0].mean(), cv_arr[:, 0].std(), cv_arr[:, 1].mean(), cv_arr[:, 2].mean()))

    scaler, mlp = fit(np.vstack([feats[train]] + [a[train] for a in augmented] + [crop_feats[~crop_test]]),
                      np.concatenate([np.tile(labels[train], 4), crop_labels[~crop_test]]))
    arrays = {"mean": scaler.mean_.astype(np.float32), "scale": scaler.scale_.astype(np.float32),
              "layers": np.array(len(mlp.coefs_)), "threshold": np.array(0.5)}
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        arrays[f"w{i}"] = w.astype(np.float32)
        arrays[f"b{i}"] = b.astype(np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    model = MaskClassifier(args.out)  # check the shipped file itself, not the sklearn object
    predicted = (model.probability(feats[test]) >= model.threshold).astype(int)
    acc, prec, rec = metrics(labels[test], predicted)
    print(f"held-out people ({test.sum()} images): accuracy {acc:.3f}, no-mask precision {prec:.3f}, "
          f"recall {rec:.3f}")
    crop_predicted = (model.probability(crop_feats[crop_test]) >= model.threshold).astype(int)
    acc, prec, rec = metrics(crop_labels[crop_test], crop_predicted)
    print(f"held-out people, detector-style crops ({crop_test.sum()}): accuracy {acc:.3f}, no-mask precision "
          f"{prec:.3f}, recall {rec:.3f}")
    print(f"model: {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
