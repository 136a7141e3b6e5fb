"""Gate-camera scenes built from face images, for the mask check's bench and its training.

A face image of ../shared/data/mask is a tight crop on a plain background; a
gate camera sees a person in front of a wall, a shirt under the face, uneven
light, blur, and very often a phone held just under the chin to show a health
code. ``compose`` puts one face image into such a 1280x720 frame:

- background: a wall colour with a gradient, bars or panels of a gate, texture;
- a shirt or jacket under the face;
- the face at 110-330 px wide and wholly inside the frame, its edges feathered into the scene;
- one of the ``KINDS`` of occlusion: none, a phone (screen with a code) held
  with its top edge between the lower lip and below the chin, a hand under the
  chin or at the jaw, or (bare faces only) a mask worn below the nose;
  in every case the mouth of a bare face stays visible, so the label is still
  "no mask" (and a masked face with a phone under it is still "mask on");
- light (gain, gamma, colour cast, a side gradient), blur (focus or motion),
  sensor noise and JPEG compression.

``face_free`` makes frames of the same kind with nobody's face in them (a
wall or gate, a shirt, a phone held up, hands): the face finder must report
no face there (bench/bench_mask.py counts false faces per 1,000 such frames).

Occluders are placed from the face's landmarks, found by YuNet on the image
(``locate``); images where YuNet finds no face are not used for scenes.
Used by ``bench/bench_mask.py`` (test people) and ``scripts/train_mask_model.py``
(training people as augmentation, calibration people for the threshold): the
person-level split of the training script decides who is which.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from devices.face import Face, FaceFinder
from devices.mask import pad_crop

FRAME_W, FRAME_H = 1280, 720
KINDS = ("plain", "phone", "hand", "low_mask")  # low_mask: bare faces only
MASK_COLOURS_BGR = [(235, 205, 160), (245, 245, 245), (40, 40, 45), (200, 200, 205), (190, 170, 230), (150, 120, 70)]


@dataclass(frozen=True)
class Scene:
    """One composed frame: where the face is (x, y, w, h), what it shows, and its truth (1 mask, 0 no mask)."""

    frame: np.ndarray
    where: tuple[int, int, int, int]
    kind: str
    label: int


def locate(image: np.ndarray, finder: FaceFinder) -> Face | None:
    """The face YuNet finds in a face image (with the kiosk's margin), in the image's own pixels."""
    padded, scale, margin = pad_crop(image)
    faces = finder.find(padded)
    return in_crop(faces[0], scale, margin) if faces else None


def in_crop(face: Face, scale: float, margin: tuple[int, int]) -> Face | None:
    """A face found in ``pad_crop``'s padded image, in the crop's own pixels (None without landmarks)."""
    if face.landmarks is None:
        return None
    px, py = margin
    x, y, w, h = (v / scale for v in face.box)
    marks = tuple((mx / scale - px, my / scale - py) for mx, my in face.landmarks)
    return Face((round(x - px), round(y - py), round(w), round(h)), face.score, marks)


def _seed_opencv(rng: np.random.Generator) -> None:
    """Seed OpenCV's own generator (``cv2.randn`` below) from ``rng``, so that a seed makes the same frame
    whatever ran before in the process (a test, another bench section)."""
    cv2.setRNGSeed(int(rng.integers(2**31 - 1)))


def _background(rng: np.random.Generator) -> np.ndarray:
    """A wall, gate bars, panels or blotches behind the person (drawn at half size: it is out of focus anyway)."""
    w, h = FRAME_W // 2, FRAME_H // 2
    base = rng.integers(30, 230, 3).astype(np.float32)
    if rng.random() < 0.3:
        base[:] = rng.integers(60, 200)  # grey concrete
    ramp = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.8, 1.3), w, dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    frame = np.ascontiguousarray(base[None, None, :] * ramp[None, :, None] * np.ones((h, 1, 1), np.float32))
    style = rng.integers(4)
    if style == 1:  # bars of a gate
        step, width = int(rng.integers(30, 100)), int(rng.integers(3, 15))
        colour = rng.integers(0, 255, 3)
        for x in range(int(rng.integers(0, step)), w, step):
            frame[:, x:x + width] = colour
    elif style == 2:  # panels, a door, a notice
        for _ in range(int(rng.integers(1, 5))):
            x0, y0 = int(rng.integers(0, w - 50)), int(rng.integers(0, h - 50))
            cv2.rectangle(frame, (x0, y0), (x0 + int(rng.integers(40, 250)), y0 + int(rng.integers(40, 200))),
                          [float(v) for v in rng.integers(0, 255, 3)], -1)
    elif style == 3:  # leaves, people far behind: blotches
        for _ in range(int(rng.integers(10, 40))):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.circle(frame, centre, int(rng.integers(5, 40)), [float(v) for v in rng.integers(0, 255, 3)], -1)
        frame = cv2.GaussianBlur(frame, (0, 0), 2)
    noise = np.empty_like(frame)
    cv2.randn(noise, 0, float(rng.uniform(2, 12)))
    frame = cv2.GaussianBlur(frame + noise, (0, 0), 0.8)
    return cv2.resize(np.clip(frame, 0, 255).astype(np.uint8), (FRAME_W, FRAME_H), interpolation=cv2.INTER_LINEAR)


def _skin_of(face_img: np.ndarray, face: Face) -> np.ndarray:
    """The colour of the forehead (between and above the eyes), for a hand of the same person."""
    (rx, ry), (lx, ly) = face.eyes()
    d = max(4.0, float(np.hypot(lx - rx, ly - ry)))
    x0, x1 = int(min(rx, lx) + 0.2 * d), int(max(rx, lx) - 0.2 * d)
    y0, y1 = int(min(ry, ly) - 0.6 * d), int(min(ry, ly) - 0.25 * d)
    patch = face_img[max(0, y0):max(1, y1), max(0, x0):max(1, x1)]
    if patch.size == 0:
        return np.array([120, 150, 200], np.float32)
    return np.median(patch.reshape(-1, 3), axis=0).astype(np.float32)


def _phone(frame: np.ndarray, cx: float, top: float, width: float, angle: float, skin: np.ndarray,
           rng: np.random.Generator) -> None:
    """A phone held upright with its top edge at ``top``, a code on its screen and fingers round its sides."""
    h = width * rng.uniform(1.8, 2.1)
    body = cv2.boxPoints(((cx, top + h / 2), (width, h), angle)).astype(np.int32)
    case = [float(v) for v in (rng.integers(10, 60, 3) if rng.random() < 0.7 else rng.integers(60, 240, 3))]
    cv2.fillConvexPoly(frame, body, case)
    screen = cv2.boxPoints(((cx, top + h / 2), (width * 0.88, h * 0.9), angle)).astype(np.int32)
    glow = float(rng.uniform(180, 255))
    cv2.fillConvexPoly(frame, screen, [glow, glow, glow])
    # A code on the screen: dark modules of a random pattern.
    n = 21
    cell = width * 0.6 / n
    ox, oy = cx - n * cell / 2, top + h * 0.3
    for r, c in zip(*np.nonzero(rng.random((n, n)) < 0.5)):
        x0, y0 = int(ox + c * cell), int(oy + r * cell)
        cv2.rectangle(frame, (x0, y0), (int(ox + (c + 1) * cell) - 1, int(oy + (r + 1) * cell) - 1), (20, 20, 20), -1)
    for side in (-1, 1):  # thumb and fingers over the edges
        fx = cx + side * width * 0.5
        fy = top + h * rng.uniform(0.45, 0.8)
        cv2.ellipse(frame, (int(fx), int(fy)), (max(2, int(width * 0.14)), max(3, int(width * 0.35))), 0, 0, 360,
                    [float(v) for v in skin * rng.uniform(0.85, 1.05)], -1)


def _hand(frame: np.ndarray, cx: float, top: float, size: float, skin: np.ndarray, rng: np.random.Generator) -> None:
    """A hand under the chin (fingers up to ``top``) or cupping the jaw from one side."""
    colour = [float(v) for v in np.clip(skin * rng.uniform(0.8, 1.1), 0, 255)]
    shade = [float(v) * 0.75 for v in colour]
    palm_c = (int(cx + rng.uniform(-0.3, 0.3) * size), int(top + 0.55 * size))
    cv2.ellipse(frame, palm_c, (max(3, int(0.38 * size)), max(3, int(0.45 * size))), rng.uniform(-25, 25), 0, 360,
                colour, -1)
    spread = rng.uniform(0.12, 0.18) * size
    for i in range(4):
        fx = int(palm_c[0] + (i - 1.5) * spread)
        fy = int(top + 0.12 * size + abs(i - 1.5) * 0.05 * size)
        cv2.ellipse(frame, (fx, fy), (max(2, int(0.07 * size)), max(3, int(0.2 * size))), rng.uniform(-10, 10),
                    0, 360, colour, -1)
        cv2.line(frame, (fx, fy + int(0.05 * size)), (fx, fy + int(0.1 * size)), shade, 1)


def _low_mask(frame: np.ndarray, marks: np.ndarray, box: tuple[float, float, float, float],
              rng: np.random.Generator) -> None:
    """A mask worn below the nose: from between nose tip and mouth (or under the lips) over the chin."""
    nose = marks[2]
    mouth = (marks[3] + marks[4]) / 2
    x, y, w, h = box
    chin = y + h
    top = nose[1] + rng.uniform(0.35, 1.25) * (mouth[1] - nose[1])  # the mouth is partly or fully bare
    colour = np.array(MASK_COLOURS_BGR[int(rng.integers(len(MASK_COLOURS_BGR)))], np.float32)
    half = (marks[4][0] - marks[3][0]) * rng.uniform(1.2, 1.6)
    pts = np.array([[mouth[0] - half, top], [mouth[0] + half, top], [mouth[0] + half * 0.9, chin - 0.02 * h],
                    [mouth[0], chin + 0.06 * h], [mouth[0] - half * 0.9, chin - 0.02 * h]], np.int32)
    layer = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillConvexPoly(layer, pts, 255)
    on = layer > 0
    ys = np.nonzero(on)[0]
    if ys.size == 0:  # the face's lower part is outside the frame
        return
    shade = 1.05 - 0.25 * (ys - ys.min()) / max(1, ys.max() - ys.min())
    frame[on] = np.clip(colour * shade[:, None] + rng.normal(0, 5, (len(ys), 3)), 0, 255).astype(frame.dtype)
    for side in (-1, 1):  # ear loops
        x0 = mouth[0] + side * half
        cv2.line(frame, (int(x0), int(top + 3)), (int(x + (w if side > 0 else 0)), int(y + 0.45 * h)),
                 [float(v) for v in colour * 0.9], max(1, int(w / 80)))


def _light_and_lens(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure, white balance, light from one side, gamma, focus or motion blur, sensor noise, JPEG."""
    gain = rng.uniform(0.55, 1.35)
    cast = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    side = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(1.0, 1.3), FRAME_W, dtype=np.float32)
    if rng.random() < 0.5:
        side = side[::-1]
    img = np.clip(frame * (gain * cast[None, None, :] * side[:, None][None]), 0, 255).astype(np.uint8)
    gamma = rng.uniform(0.75, 1.35)
    img = cv2.LUT(img, (255.0 * (np.arange(256) / 255.0) ** gamma).clip(0, 255).astype(np.uint8))
    blur = rng.random()
    if blur < 0.35:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 2.5))
    elif blur < 0.6:
        n = int(rng.integers(3, 12))
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2, :] = 1.0 / n
        rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (n, n))
        img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
    noise = np.empty(img.shape, np.int16)
    cv2.randn(noise, 0, float(rng.uniform(1, 6)))
    img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 92))])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img


def compose(image: np.ndarray, face: Face, label: int, kind: str, rng: np.random.Generator) -> Scene:
    """One gate-camera frame with this face (found by ``locate``) in it, occluded as ``kind`` says."""
    if kind == "low_mask" and label == 1:
        raise ValueError("a mask below the nose is drawn on bare faces only")
    _seed_opencv(rng)
    frame = _background(rng).astype(np.float32)
    fx, fy, fw, fh = face.box
    width = rng.uniform(110, 330)
    s = width / max(8, fw)
    img = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA)
    ih, iw = img.shape[:2]
    # The whole face box lies in the frame (the image around it may not: a photo wider than the frame is cut).
    bx0, by0, bw, bh = fx * s, fy * s, fw * s, fh * s
    low = int(0.05 * FRAME_H)
    ox = int(rng.integers(int(-bx0), max(int(-bx0) + 1, int(FRAME_W - bx0 - bw))))
    oy = int(rng.integers(int(low - by0), max(int(low - by0) + 1, int(FRAME_H - by0 - bh) - 20)))  # chin in frame
    box = (ox + bx0, oy + by0, bw, bh)
    # Shoulders and shirt under the face.
    shirt = [float(v) for v in rng.integers(10, 245, 3)]
    cv2.ellipse(frame, (int(box[0] + box[2] / 2), int(box[1] + box[3] * 2.1)), (int(box[2] * 1.5), int(box[3] * 1.2)),
                0, 0, 360, shirt, -1)
    # The face image, its edges feathered into the scene, cut to the frame.
    alpha = np.zeros((ih, iw), np.float32)
    margin = max(2, int(0.06 * min(ih, iw)))
    alpha[margin:-margin, margin:-margin] = 1.0
    alpha = cv2.GaussianBlur(alpha, (0, 0), margin / 2)[..., None]
    x0, y0, x1, y1 = max(0, ox), max(0, oy), min(FRAME_W, ox + iw), min(FRAME_H, oy + ih)
    a, part = alpha[y0 - oy:y1 - oy, x0 - ox:x1 - ox], img[y0 - oy:y1 - oy, x0 - ox:x1 - ox].astype(np.float32)
    region = frame[y0:y1, x0:x1]
    region[:] = region * (1 - a) + part * a
    frame = frame.astype(np.uint8)
    marks = np.array(face.landmarks, np.float64) * s + (ox, oy)
    mouth = (marks[3] + marks[4]) / 2
    chin = box[1] + box[3]
    skin = _skin_of(img, Face((0, 0, iw, ih), 1.0, tuple(map(tuple, (np.array(face.landmarks) * s)))))
    if kind == "phone":
        top = mouth[1] + rng.uniform(0.2, 1.0) * (chin - mouth[1])  # between the lower lip and under the chin
        _phone(frame, mouth[0] + rng.uniform(-0.25, 0.25) * box[2], top, box[2] * rng.uniform(0.45, 0.65),
               rng.uniform(-15, 15), skin, rng)
    elif kind == "hand":
        top = mouth[1] + rng.uniform(0.25, 0.9) * (chin - mouth[1])
        _hand(frame, mouth[0] + rng.uniform(-0.3, 0.3) * box[2], top, box[2] * rng.uniform(0.55, 0.8), skin, rng)
    elif kind == "low_mask":
        _low_mask(frame, marks, box, rng)
    out = _light_and_lens(frame, rng)
    return Scene(out, (int(box[0]), int(box[1]), int(box[2]), int(box[3])), kind, label)


def face_free(rng: np.random.Generator) -> np.ndarray:
    """A gate-camera frame without a face: background (gate bars, panels, blotches), and often a shirt
    (shoulders, no head), a phone with a code held up, one or two hands; the same light and lens as ``compose``."""
    _seed_opencv(rng)
    frame = _background(rng)
    skin = np.array(rng.uniform([60, 90, 120], [170, 190, 235]), np.float32)
    if rng.random() < 0.6:  # shoulders of someone whose head is out of the frame, or a torso close up
        cx, size = float(rng.uniform(200, FRAME_W - 200)), float(rng.uniform(120, 330))
        cv2.ellipse(frame, (int(cx), int(rng.uniform(0.55, 1.0) * FRAME_H + size)), (int(size * 1.5), int(size * 1.2)),
                    0, 0, 360, [float(v) for v in rng.integers(10, 245, 3)], -1)
    if rng.random() < 0.5:
        width = float(rng.uniform(60, 200))
        _phone(frame, float(rng.uniform(width, FRAME_W - width)), float(rng.uniform(50, FRAME_H - 2.2 * width)), width,
               float(rng.uniform(-20, 20)), skin, rng)
    for _ in range(int(rng.integers(0, 3))):
        size = float(rng.uniform(80, 260))
        _hand(frame, float(rng.uniform(size, FRAME_W - size)), float(rng.uniform(20, FRAME_H - 1.2 * size)), size,
              skin, rng)
    return _light_and_lens(frame, rng)


def kinds_for(label: int) -> tuple[str, ...]:
    return KINDS if label == 0 else KINDS[:3]


def found_at(box: tuple[int, int, int, int], where: tuple[int, int, int, int]) -> bool:
    """Whether a reported face box is the composed face: its centre lies inside the face's box."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    x, y, w, h = where
    return x <= cx <= x + w and y <= cy <= y + h
