"""Mask detector speed on 1280x720 camera frames (one core) and its accuracy on held-out people.

Frames: a face image from ../shared/data/mask (people the model never saw)
pasted at 260-340 px onto a camera-sized background, and frames without a face.
Prints the median and p90 time of ``MaskDetector.detect`` per frame, how often
the Haar cascade found the face, and the classifier's accuracy on the held-out
split (the same split as scripts/train_mask_model.py).

Usage: python bench/bench_mask.py [--frames N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from devices.mask import MaskDetector  # noqa: E402
from train_mask_model import group_of, held_out  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "mask"


def held_out_images() -> list[tuple[np.ndarray, int]]:
    out = []
    for label, folder in ((1, "with_mask"), (0, "without_mask")):
        for p in sorted((DATA / folder).iterdir()):
            if held_out(group_of(p.name)):
                img = cv2.imread(str(p))
                if img is not None:
                    out.append((img, label))
    return out


def with_context(img: np.ndarray) -> np.ndarray:
    """The dataset's tight face crops padded out to a head with some context, as a camera sees it."""
    h, w = img.shape[:2]
    return cv2.copyMakeBorder(img, h // 3, h // 4, w // 3, w // 3, cv2.BORDER_REPLICATE)


def scene(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    face = with_context(face)
    frame = cv2.GaussianBlur(rng.normal(110, 25, (720, 1280, 3)).clip(0, 255).astype(np.uint8), (0, 0), 6)
    size = int(rng.integers(260, 340))
    f = cv2.resize(face, (size, int(size * face.shape[0] / face.shape[1])))
    y, x = 150, int(rng.integers(300, 700))
    h = min(f.shape[0], 720 - y)
    frame[y:y + h, x:x + f.shape[1]] = f[:h]
    return frame


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    detector = MaskDetector()
    if not DATA.exists():
        print("../shared/data/mask not found")
        return
    images = held_out_images()
    rng = np.random.default_rng(0)
    picks = [images[i] for i in rng.choice(len(images), args.frames, replace=False)]
    frames = [(scene(img, rng), label) for img, label in picks]
    empty = [cv2.GaussianBlur(rng.normal(110, 25, (720, 1280, 3)).clip(0, 255).astype(np.uint8), (0, 0), 6)
             for _ in range(20)]
    times, found, right = [], 0, 0
    for frame, label in frames:
        t0 = time.perf_counter()
        faces = detector.detect(frame)
        times.append((time.perf_counter() - t0) * 1000)
        if faces:
            found += 1
            right += int(faces[0].mask == bool(label))
    empty_times = []
    for frame in empty:
        t0 = time.perf_counter()
        detector.detect(frame)
        empty_times.append((time.perf_counter() - t0) * 1000)
    print(f"one core, 1280x720: detect() median {statistics.median(times):.2f} ms, "
          f"p90 {np.percentile(times, 90):.2f} ms with a face; {statistics.median(empty_times):.2f} ms without")
    print(f"Haar found the face in {found}/{len(frames)} frames; mask right on {right}/{found} of those")
    feats_right = sum(int((detector.classifier.predict_face(img) >= 0.5) == bool(label)) for img, label in images)
    print(f"classifier on held-out people ({len(images)} face images): accuracy {feats_right / len(images):.3f}")


if __name__ == "__main__":
    main()
