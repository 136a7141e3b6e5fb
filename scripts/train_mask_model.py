"""Train the mask classifier shipped in devices/models/mask_mlp.npz, on YuNet crops of the lower face.

Data: ../shared/data/mask/{with_mask,without_mask} (face images, MIT licence,
from the Face-Mask-Detection project). Many people appear in several images,
and some images are augmented copies of one original, so the split is by
*group* (person or original), never by image:

- ``0_0_aidai_0014.jpg`` / ``1_0_aidai_0003.jpg``: the person ``aidai`` (both classes);
- ``0_0_0_copy_12.jpg``: augmented copies of one original -> group ``0_0_0_copy``;
- ``augmented_image_94.jpg``: unknown originals -> one group for all of them;
- other file names: their own group.

sha1(group) % 5 decides: 0 -> test people (figures only), 1 -> calibration
people (Platt scaling and the two thresholds), the rest -> training. Neither
the test nor the calibration people are ever trained on.

Each image goes through the kiosk's own path for a face crop
(``MaskDetector.detect_in_image``: margin, YuNet, eye alignment, lower face).
Training adds, for training people only: mirrored faces, faces with their eye
landmarks jittered (as a detector's landmarks wobble) and the light changed,
and **masks worn below the nose**: a mask drawn over the mouth and chin of a
bare face, labelled "no mask" (the data has no such class; the nose stays
visible, which is what the classifier must learn to look at). The same
synthetic low masks are made of calibration and test people to measure them.

**Gate-camera scenes** (``scripts/mask_scenes.py``): each training person's
image is also put into realistic 1280x720 frames (a wall or gate behind, a
shirt, light and colour cast, blur, noise, JPEG), plain, with a phone or a
hand under the chin (the mouth stays visible: a bare face there is "no mask",
a masked one still "mask on") and, for bare faces, a mask worn below the nose;
the face is found in the scene by YuNet as the kiosk finds it, so its
landmarks wobble as they do at a gate. Crops are also trained with a colour
cast and blur.

Thresholds, chosen on the calibration people, their face images and their
own scenes: "mask on" needs a calibrated score at or above the lowest
threshold where at most 2 % of their bare faces reach it, in *each* group
(face images, synthetic low masks, and each kind of scene: plain, phone,
hand, mask below the nose) — the worst group decides; "no mask" needs a
score at or below the highest where at most 2 % of their masked faces (images
and every kind of scene) fall.

Needs scikit-learn (training only: ``pip install -e .[train]``); the kiosk
itself only needs numpy and OpenCV.

Usage: python scripts/train_mask_model.py [--data ../shared/data/mask] [--out devices/models/mask_mlp.npz]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.face import ALIGNED_SIZE, Face, YuNetFaceFinder, align_face  # noqa: E402
from devices.mask import MaskClassifier, lower_face_features, pad_crop  # noqa: E402
from mask_scenes import MASK_COLOURS_BGR, compose, found_at, in_crop, kinds_for  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MAX_WRONG = 0.02  # at most this share of wrong "mask on" (and wrong "no mask") on calibration people
SCENE_DETECT_WIDTH = 640  # as MaskDetector finds faces in a camera frame


def group_of(name: str) -> str:
    for pattern in (r"^\d+_\d+_([a-z]+)_\d+\.", r"^(augmented_image)_", r"^(\d+_\d+(?:_\d+_copy)?)_\d+\."):
        m = re.match(pattern, name)
        if m:
            return m.group(1)
    return name


def split_of(group: str) -> str:
    """'test', 'calibration' or 'train', by a hash of the person (stable across runs and machines)."""
    bucket = int(hashlib.sha1(group.encode()).hexdigest(), 16) % 5
    return "test" if bucket == 0 else "calibration" if bucket == 1 else "train"


def held_out(group: str) -> bool:
    """The test people: never trained on, never used to choose a threshold."""
    return split_of(group) == "test"


@dataclass
class Sample:
    """One image of the data set, with the face the kiosk's path finds in it."""

    image: np.ndarray  # the face with a margin, cut from the padded, upscaled crop it was found in
    face: Face
    found: bool  # False: no face found, judged as a face filling the crop
    label: int  # 1 mask, 0 no mask
    group: str
    path: Path
    in_original: Face | None  # the face in the image file's own pixels, for composing scenes


def load(data: Path, finder: YuNetFaceFinder) -> list[Sample]:
    samples = []
    for label, folder in ((1, "with_mask"), (0, "without_mask")):
        for path in sorted((data / folder).iterdir()):
            img = cv2.imread(str(path))
            if img is None:
                continue
            padded, scale, (px, py) = pad_crop(img)
            faces = finder.find(padded)
            if faces:
                crop, face = around(padded, faces[0])
                samples.append(Sample(crop, face, True, label, group_of(path.name), path,
                                      in_crop(faces[0], scale, (px, py))))
            else:
                h, w = img.shape[:2]
                samples.append(Sample(img, Face((0, 0, w, h), 0.0), False, label, group_of(path.name), path, None))
    return samples


def around(image: np.ndarray, face: Face) -> tuple[np.ndarray, Face]:
    """The face with a margin of half its size (memory: the padded images are large), landmarks shifted."""
    x, y, w, h = face.box
    x0, y0 = max(0, x - w // 2), max(0, y - h // 2)
    crop = image[y0:y + h + h // 2, x0:x + w + w // 2].copy()
    marks = tuple((px - x0, py - y0) for px, py in face.landmarks) if face.landmarks is not None else None
    return crop, Face((x - x0, y - y0, w, h), face.score, marks)


def jittered(face: Face, rng: np.random.Generator) -> Face:
    """The same face with its eye landmarks moved by up to 6 % of the eye distance (a detector's wobble)."""
    (rx, ry), (lx, ly) = face.eyes()
    d = float(np.hypot(lx - rx, ly - ry))
    shift = rng.uniform(-0.06, 0.06, 4) * d
    marks = [(rx + shift[0], ry + shift[1]), (lx + shift[2], ly + shift[3])]
    rest = list(face.landmarks[2:]) if face.landmarks is not None else []
    return replace(face, landmarks=tuple(marks + rest))


def relit(aligned: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brighter or darker, a colour cast (white balance, coloured light), sometimes out of focus."""
    gain = rng.uniform(0.6, 1.35) * rng.uniform(0.85, 1.15, 3)
    out = np.clip(aligned.astype(np.float32) * gain[None, None, :].astype(np.float32), 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.8))
    return out


def scene_features(samples: list[Sample], which: np.ndarray, finder: YuNetFaceFinder, rng: np.random.Generator,
                   kinds: dict[int, tuple[str, ...]] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features of the faces YuNet finds in gate-camera scenes of the chosen samples: (x, labels, kinds).

    ``kinds`` gives, per label, which kinds of scene to make of each image (default: every kind, once);
    a scene whose face is not found is left out (no face, no suggestion).
    """
    xs, ys, ks = [], [], []
    for i in which:
        s = samples[i]
        if s.in_original is None:
            continue
        img = cv2.imread(str(s.path))
        for kind in (kinds or {0: kinds_for(0), 1: kinds_for(1)})[s.label]:
            sc = compose(img, s.in_original, s.label, kind, rng)
            faces = finder.find(sc.frame)
            if not faces or not found_at(faces[0].box, sc.where):
                continue
            xs.append(lower_face_features(align_face(sc.frame, faces[0])))
            ys.append(s.label)
            ks.append(kind)
    return np.array(xs), np.array(ys, int), ks


def mask_below_nose(aligned: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A mask drawn over mouth and chin (or only the chin) of an aligned bare face: the nose stays bare."""
    out = aligned.copy()
    layer = np.zeros(aligned.shape[:2], np.uint8)
    top = int(rng.integers(78, 98))  # just under the nose tip (about row 72) down to the chin
    centre = (ALIGNED_SIZE // 2 + int(rng.integers(-3, 4)), top + 30)
    cv2.ellipse(layer, centre, (int(rng.integers(34, 44)), 30), 0, 0, 360, 255, -1)
    colour = np.array(MASK_COLOURS_BGR[int(rng.integers(len(MASK_COLOURS_BGR)))], np.float32)
    shade = np.linspace(1.05, 0.8, ALIGNED_SIZE, dtype=np.float32)[:, None, None]  # lit from above
    fabric = colour * shade + rng.normal(0, 6, aligned.shape).astype(np.float32)
    on = layer > 0
    out[on] = np.clip(fabric[on], 0, 255).astype(np.uint8)
    return out


def metrics(truth: np.ndarray, p: np.ndarray, on: float, off: float) -> dict[str, float]:
    said_on, said_off = p >= on, p <= off
    bare, masked = truth == 0, truth == 1
    suggested = said_on | said_off
    right = (said_on & masked) | (said_off & bare)
    return {
        "n": float(len(truth)),
        "coverage": float(suggested.mean()),
        "accuracy_of_suggestions": float(right.sum() / max(1, suggested.sum())),
        "accuracy_at_half": float(((p >= 0.5) == masked).mean()),
        "wrong_mask_on": float((said_on & bare).sum() / max(1, bare.sum())),
        "wrong_no_mask": float((said_off & masked).sum() / max(1, masked.sum())),
        "mask_on_precision": float((said_on & masked).sum() / max(1, said_on.sum())),
    }


def fit(features: np.ndarray, labels: np.ndarray, seed: int = 0):
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(features)
    mlp = MLPClassifier((64,), alpha=3e-2, max_iter=400, early_stopping=False, random_state=seed)
    return scaler, mlp.fit(scaler.transform(features), labels)


def platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(logits.reshape(-1, 1), labels)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def choose_thresholds(p: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None) -> tuple[float, float]:
    """Lowest "mask on" threshold with ≤ MAX_WRONG of bare faces at or above it; likewise "no mask".

    With ``groups`` (face images, low masks, each kind of scene), each group must keep to
    MAX_WRONG on its own: the strictest group's threshold is the one chosen.
    """
    groups = np.zeros(len(p), int) if groups is None else groups
    on, off = 0.5, 0.5
    for g in np.unique(groups):
        sel = groups == g
        bare, masked = np.sort(p[sel & (labels == 0)]), np.sort(p[sel & (labels == 1)])
        if len(bare):
            # The k-th highest bare score: at most k bare faces may be at or above the threshold.
            k = int(np.floor(MAX_WRONG * len(bare)))
            on = max(on, float(bare[len(bare) - k - 1]) + 1e-6 if k < len(bare) else 0.0)
        if len(masked):
            k = int(np.floor(MAX_WRONG * len(masked)))
            off = min(off, float(masked[k]) - 1e-6 if k < len(masked) else 1.0)
    return on, off


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mask")
    ap.add_argument("--out", type=Path, default=REPO / "devices" / "models" / "mask_mlp.npz")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    finder = YuNetFaceFinder(detect_width=640)
    samples = load(args.data, finder)
    split = np.array([split_of(s.group) for s in samples])
    labels = np.array([s.label for s in samples])
    found = np.array([s.found for s in samples])
    print(flush=True)
    print(f"{len(samples)} images, {len({s.group for s in samples})} people/originals; "
          f"YuNet found the face in {found.sum()} ({100 * found.mean():.1f} %)")
    for name in ("train", "calibration", "test"):
        sel = split == name
        print(f"  {name:11}: {sel.sum()} images of {len({s.group for s, m in zip(samples, sel) if m})} groups")

    rng = np.random.default_rng(0)
    aligned = [align_face(s.image, s.face) for s in samples]
    feats = np.array([lower_face_features(a) for a in aligned])
    # Synthetic masks below the nose, on every bare face (labelled "no mask").
    low = [i for i, s in enumerate(samples) if s.label == 0 and s.found]
    low_feats = np.array([lower_face_features(mask_below_nose(aligned[i], rng)) for i in low])
    low_split = split[low]

    train_idx = np.flatnonzero(split == "train")
    extra_x, extra_y = [], []
    for i in train_idx:
        s = samples[i]
        for _ in range(2):
            a = relit(align_face(s.image, jittered(s.face, rng)), rng)
            extra_x.append(lower_face_features(a))
            extra_x.append(lower_face_features(cv2.flip(a, 1)))
            extra_y += [s.label, s.label]
        if s.label == 0 and s.found:
            for _ in range(2):
                a = mask_below_nose(relit(align_face(s.image, jittered(s.face, rng)), rng), rng)
                extra_x.append(lower_face_features(a))
                extra_y.append(0)
    # Gate-camera scenes of the training people: bare faces with a phone, a hand or a low mask twice as often.
    scene_kinds = {0: ("plain", "phone", "phone", "hand", "hand", "low_mask"), 1: ("plain", "phone", "hand")}
    scene_x, scene_y, _ = scene_features(samples, train_idx, finder, rng, scene_kinds)
    print(f"training scenes: {len(scene_y)} faces found in gate-camera scenes of the training people", flush=True)
    x_train = np.vstack([feats[train_idx], low_feats[low_split == "train"], np.array(extra_x), scene_x])
    y_train = np.concatenate([labels[train_idx], np.zeros((low_split == "train").sum(), int), np.array(extra_y),
                              scene_y])
    print(f"training on {len(y_train)} vectors (with mirrored, jittered, relit, low-mask copies and scenes)",
          flush=True)
    scaler, mlp = fit(x_train, y_train)

    arrays: dict[str, np.ndarray] = {"mean": scaler.mean_.astype(np.float32), "scale": scaler.scale_.astype(np.float32),
                                     "layers": np.array(len(mlp.coefs_))}
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        arrays[f"w{i}"] = w.astype(np.float32)
        arrays[f"b{i}"] = b.astype(np.float32)
    arrays.update(platt_a=np.array(1.0), platt_b=np.array(0.0), on_threshold=np.array(0.5), off_threshold=np.array(0.5))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    raw = MaskClassifier(args.out)

    cal = split == "calibration"
    cal_scene_x, cal_scene_y, cal_kinds = scene_features(samples, np.flatnonzero(cal), finder,
                                                         np.random.default_rng(7))
    n_low = int((low_split == "calibration").sum())
    cal_x = np.vstack([feats[cal], low_feats[low_split == "calibration"], cal_scene_x])
    cal_y = np.concatenate([labels[cal], np.zeros(n_low, int), cal_scene_y])
    cal_groups = np.array(["image"] * int(cal.sum()) + ["low mask image"] * n_low + [f"scene {k}" for k in cal_kinds])
    a, b = platt(raw.logit(cal_x), cal_y)
    arrays.update(platt_a=np.array(a), platt_b=np.array(b))
    np.savez_compressed(args.out, **arrays)
    on, off = choose_thresholds(MaskClassifier(args.out).probability(cal_x), cal_y, cal_groups)
    arrays.update(on_threshold=np.array(on), off_threshold=np.array(off))
    np.savez_compressed(args.out, **arrays)
    model = MaskClassifier(args.out)  # check the shipped file itself, not the sklearn object
    p_cal = model.probability(cal_x)
    for g in sorted(set(cal_groups)):
        sel = cal_groups == g
        bare, masked = sel & (cal_y == 0), sel & (cal_y == 1)
        print(f"  calibration {g:16}: wrong 'mask on' {(p_cal[bare] >= on).sum()} of {bare.sum()} bare, "
              f"wrong 'no mask' {(p_cal[masked] <= off).sum()} of {masked.sum()} masked")
    print(f"calibration people ({cal.sum()} images + {n_low} low masks + {len(cal_scene_y)} scenes): "
          f"Platt a={a:.3f} b={b:.3f}; 'mask on' at p >= {on:.3f}, 'no mask' at p <= {off:.3f}")

    def report(title: str, x: np.ndarray, y: np.ndarray) -> None:
        m = metrics(y, model.probability(x), model.on_threshold, model.off_threshold)
        print(f"{title} ({int(m['n'])}): accuracy at 0.5 {100 * m['accuracy_at_half']:.1f} %; with the thresholds: "
              f"suggestion for {100 * m['coverage']:.1f} %, of which right {100 * m['accuracy_of_suggestions']:.1f} %; "
              f"wrong 'mask on' {100 * m['wrong_mask_on']:.1f} % of bare faces, wrong 'no mask' "
              f"{100 * m['wrong_no_mask']:.1f} % of masked faces")

    test = split == "test"
    report("test people, all images", feats[test], labels[test])
    report("test people, face found by YuNet", feats[test & found], labels[test & found])
    lt = low_split == "test"
    p_low = model.probability(low_feats[lt])
    print(f"test people, synthetic mask below the nose ({lt.sum()}): called 'mask on' "
          f"{100 * (p_low >= model.on_threshold).mean():.1f} %, 'no mask' {100 * (p_low <= model.off_threshold).mean():.1f} %")
    print(f"model: {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
