"""Rendering codes as images (zxing-cpp's writer): issued health codes, demo scenes, test cases.

A real health code is drawn in its status colour on white; ``render_code``
does the same so that colour reading can be exercised end to end. The
``place_on_scene`` and distortion helpers build camera-like frames: a code
held at a distance, tilted, blurred, under glare or in low light; and the
hard photos of the still-image bench: shrunk, wrapped round a cup, printed
on cloth.
"""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp

FORMATS = {"QR_CODE": zxingcpp.BarcodeFormat.QRCode, "CODE_128": zxingcpp.BarcodeFormat.Code128,
           "CODE_39": zxingcpp.BarcodeFormat.Code39, "EAN_13": zxingcpp.BarcodeFormat.EAN13}
STATUS_BGR = {"green": (60, 170, 20), "yellow": (0, 200, 245), "red": (40, 30, 215), "black": (20, 20, 20)}


def render_code(text: str | bytes, fmt: str = "QR_CODE", *, module_px: int = 8, colour_bgr: tuple[int, int, int] = (20, 20, 20),
                bar_height: int = 0) -> np.ndarray:
    """A BGR image of the code, dark modules in ``colour_bgr`` on white, with quiet zone.

    ``bytes`` are written in byte mode as they are (a UTF-8 payload as phones
    show it); a ``str`` lets the writer pick its modes (it uses Kanji mode for
    characters Shift-JIS has).
    """
    try:
        barcode = zxingcpp.create_barcode(text, FORMATS[fmt])
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    mono: np.ndarray = np.array(barcode.to_image(scale=module_px), dtype=np.uint8)
    if bar_height and mono.shape[0] < bar_height:
        mono = cv2.resize(mono, (mono.shape[1], bar_height), interpolation=cv2.INTER_NEAREST)
    out = np.full(mono.shape + (3,), 255, np.uint8)
    out[mono < 128] = colour_bgr
    return out


def place_on_scene(code: np.ndarray, size: tuple[int, int] = (1280, 720), *, centre: tuple[int, int] | None = None,
                   width_px: int = 260, angle_deg: float = 0.0, tilt: float = 0.0, seed: int = 0,
                   background: np.ndarray | None = None, keep_background: bool = False) -> np.ndarray:
    """Put ``code`` into a camera-sized frame: scaled to ``width_px``, rotated, perspective-tilted.

    The phone around the code is a dark rounded rectangle with a white screen,
    as a person holds it up to the camera.
    """
    W, H = size
    rng = np.random.default_rng(seed)
    frame: np.ndarray
    if background is None:
        frame = rng.normal(110, 25, (H, W, 3)).clip(0, 255).astype(np.uint8)
        frame = cv2.GaussianBlur(frame, (0, 0), 6)
    elif keep_background:
        frame = background.copy()  # add another phone to an existing scene
    else:
        frame = cv2.resize(background, (W, H))
    cx, cy = centre or (W // 2, H // 2)
    scale = width_px / code.shape[1]
    w, h = code.shape[1] * scale, code.shape[0] * scale
    # The screen (white) with the code, inside a phone body (dark).
    pad = 0.18 * w
    screen = np.array([[-w / 2 - pad, -h / 2 - pad * 2], [w / 2 + pad, -h / 2 - pad * 2],
                       [w / 2 + pad, h / 2 + pad * 2], [-w / 2 - pad, h / 2 + pad * 2]], np.float32)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], np.float32)
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)

    def project(pts: np.ndarray) -> np.ndarray:
        # Tilt: the phone leans back, so its top edge is narrower than its bottom edge.
        p = pts.copy()
        depth = np.clip((pts[:, 1] + h / 2) / h, 0.0, 1.0)  # 0 at the code's top, 1 at its bottom
        p[:, 0] *= 1 - tilt * (1 - depth)
        out: np.ndarray = p @ rot.T + np.array([cx, cy], np.float32)
        return out

    body = project(screen * 1.12)
    cv2.fillConvexPoly(frame, body.astype(np.int32), (25, 25, 30), lineType=cv2.LINE_AA)
    cv2.fillConvexPoly(frame, project(screen).astype(np.int32), (250, 250, 250), lineType=cv2.LINE_AA)
    src = np.array([[0, 0], [code.shape[1], 0], [code.shape[1], code.shape[0]], [0, code.shape[0]]], np.float32)
    dst = project(corners)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(code, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full(code.shape[:2], 255, np.uint8), m, (W, H), flags=cv2.INTER_NEAREST)
    frame[mask > 0] = warped[mask > 0]
    return frame


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma)


def glare(img: np.ndarray, strength: float = 0.6, seed: int = 0) -> np.ndarray:
    """A bright elliptical reflection, as a ceiling light on a phone screen."""
    h, w = img.shape[:2]
    rng = np.random.default_rng(seed)
    spot = np.zeros((h, w), np.float32)
    cx, cy = int(w * rng.uniform(0.4, 0.6)), int(h * rng.uniform(0.4, 0.6))
    cv2.ellipse(spot, (cx, cy), (w // 10, h // 14), float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    spot = cv2.GaussianBlur(spot, (0, 0), w / 40)[..., None] * strength
    return (img.astype(np.float32) * (1 - spot) + 255 * spot).clip(0, 255).astype(np.uint8)


def low_light(img: np.ndarray, gain: float = 0.25, noise: float = 6.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dark = img.astype(np.float32) * gain + rng.normal(0, noise, img.shape)
    return dark.clip(0, 255).astype(np.uint8)


def moire(img: np.ndarray, period_px: float = 3.2, depth: float = 0.25) -> np.ndarray:
    """A screen-door / moiré pattern, as a phone screen filmed by a camera."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pattern = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * 0.8 + yy * 0.6) / period_px)
    factor = (1 - depth) + depth * pattern
    out: np.ndarray = (img.astype(np.float32) * factor[..., None]).clip(0, 255).astype(np.uint8)
    return out


def tint(img: np.ndarray, gains_bgr: tuple[float, float, float]) -> np.ndarray:
    """A white-balance shift: each channel multiplied by its gain."""
    return (img.astype(np.float32) * np.array(gains_bgr, np.float32)).clip(0, 255).astype(np.uint8)


def shrink(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shrunk to a long side of 90-130 px: a code far from the lens, or a thumbnail."""
    h, w = img.shape[:2]
    k = min(1.0, float(rng.uniform(90, 130)) / max(h, w))
    return cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)


def wrap_on_cylinder(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Wrapped round a cylinder (a cup, a bottle) spanning 100-150 degrees, about a vertical or horizontal axis."""
    h, w = img.shape[:2]
    vertical = bool(rng.integers(2))
    n = w if vertical else h
    theta = np.deg2rad(float(rng.uniform(100, 150))) / 2
    radius = (n / 2) / np.sin(theta)
    u = np.arange(n, dtype=np.float32) - n / 2 + 0.5  # position across the photo of the cylinder
    src = (np.arcsin(np.clip(u / radius, -1, 1)) / theta * (n / 2) + n / 2 - 0.5).astype(np.float32)
    if vertical:
        mx, my = np.tile(src, (h, 1)), np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    else:
        mx, my = np.tile(np.arange(w, dtype=np.float32), (h, 1)), np.tile(src[:, None], (1, w))
    out: np.ndarray = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out


def on_fabric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Printed on cloth: washed-out contrast, a weave of 3-4 px, slight blur and noise."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = float(rng.uniform(3.0, 4.0))
    weave = 0.75 + 0.25 * np.sign(np.sin(xx * 2 * np.pi / period)) * np.sign(np.sin(yy * 2 * np.pi / period))
    cloth = (img.astype(np.float32) * 0.55 + 70) * (weave[..., None] if img.ndim == 3 else weave)
    cloth = cv2.GaussianBlur(cloth, (0, 0), 0.8) + rng.normal(0, 10, img.shape)
    out: np.ndarray = cloth.clip(0, 255).astype(np.uint8)
    return out


def on_coarse_fabric(img: np.ndarray, rng: np.random.Generator, module_px: float) -> np.ndarray:
    """Printed on a coarse cloth whose weave is about one module (0.8-1.25 of it): threads darken every other cell.

    The weave then looks like modules itself, so a median finer than a module
    no longer removes it (``on_fabric``'s 3-4 px weave is finer than a module).
    """
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = float(max(2.0, module_px * rng.uniform(0.8, 1.25)))
    px, py = rng.uniform(0, period, 2)
    weave = 0.7 + 0.3 * np.sign(np.sin((xx + px) * 2 * np.pi / period)) * np.sign(np.sin((yy + py) * 2 * np.pi / period))
    cloth = (img.astype(np.float32) * 0.55 + 70) * (weave[..., None] if img.ndim == 3 else weave)
    cloth = cv2.GaussianBlur(cloth, (0, 0), 0.8) + rng.normal(0, 10, img.shape)
    out: np.ndarray = cloth.clip(0, 255).astype(np.uint8)
    return out
