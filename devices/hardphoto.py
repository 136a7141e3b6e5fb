"""Hard-photo decoding for still images and idle camera frames: a ladder of named techniques.

A live frame has a 10 ms budget (``decoders.ZxingDecoder.decode_frame``). A
still image (``gate-kiosk scan``, ``check --code``) or a camera frame while
nothing is happening can afford more, and photos of codes are often hard:
small, curved (printed on a cup or a bottle), printed on fabric, dim.
``StillReader.read`` tries, in order, until one finds a code:

1. ``plain``: the configured backend's own still path, then the other backend
   (zxing-cpp and pyzbar fail on different images);
2. ``upscale``: images with a short side below 1200 px, enlarged 2x and 3x
   (bicubic): tiny modules give the binarisers too few pixels;
3. ``binarise``: contrast-limited equalisation, Otsu on a median-filtered
   image (the weave of a fabric is finer than a module and the median
   removes it), and local adaptive thresholds of two block sizes, each read
   by both backends;
4. ``dewarp``: a code on a cylinder is compressed towards its edges; the
   image (or the region where zxing located a code it could not read) is
   unrolled for a few curvatures, about a vertical and a horizontal axis;
5. ``weave``: a fabric whose weave is about one module: a median removes a
   weave finer than a module (step 3) but not this one, and closing or
   blurring at the module scale wipes out the modules with it (measured:
   bench/bench_decode.py's dev photos). The weave is periodic and the code is
   not, so its peaks stand out in the image's spectrum: they are notched out
   (``without_weave``), then the image is read as it is and binarised (Otsu),
   at 1x and, for small images, 2x.

Polygons are mapped back to the input image's pixels. ``TECHNIQUES`` names
the steps so that ``bench/bench_decode.py`` can report each one's rate.
"""

from __future__ import annotations

import time

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import zxingcpp

from devices.decoders import _ZX_FORMATS, DecodedCode, PyzbarDecoder, ZxingDecoder, sample_colours

TECHNIQUES = ("plain", "upscale", "binarise", "dewarp", "weave")
IDLE_TECHNIQUES = ("plain",)  # what an idle camera frame can afford: both backends, their own ladders
Poly = tuple[tuple[int, int], ...]
PointMap = Callable[[Poly], Poly]


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _odd(n: float) -> int:
    k = max(3, int(n))
    return k if k % 2 else k + 1


def binarised(gray: np.ndarray) -> Iterator[tuple[np.ndarray, bool]]:
    """Variants of a grey image: (image, is already black and white)."""
    yield cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray), False
    smooth = cv2.medianBlur(gray, 5 if min(gray.shape) >= 200 else 3)
    _, otsu = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    yield otsu, True
    for fraction in (8, 24):
        block = _odd(min(gray.shape) / fraction)
        yield cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 5), True


def without_weave(gray: np.ndarray, notch_px: int = 5, strength: float = 6.0, min_period_px: float = 24.0
                  ) -> np.ndarray:
    """The image with its periodic texture (a weave) removed: notches at the spectrum's isolated peaks.

    A peak is a frequency whose magnitude is ``strength`` times its 15x15
    neighbourhood's mean, at periods shorter than ``min_period_px`` (the
    code's own layout is not periodic, so it has no such peaks; finder
    patterns and the quiet zone live at low frequencies).
    """
    h, w = gray.shape
    spectrum = np.fft.fft2(gray.astype(np.float32))
    magnitude = np.abs(spectrum).astype(np.float32)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    fine = np.hypot(fx, fy) >= 1.0 / min_period_px
    peaks = fine & (magnitude > strength * cv2.blur(magnitude, (15, 15)))
    peaks = cv2.dilate(peaks.astype(np.uint8), np.ones((notch_px, notch_px), np.uint8)) > 0
    spectrum[peaks] = 0
    flat = np.real(np.fft.ifft2(spectrum))
    low, high = float(flat.min()), float(flat.max())
    out: np.ndarray = ((flat - low) * (255.0 / max(high - low, 1e-6))).clip(0, 255).astype(np.uint8)
    return out


def cylinder_maps(width: int, height: int, span_deg: float, vertical_axis: bool) -> tuple[np.ndarray, np.ndarray]:
    """remap() tables that unroll an image of a cylinder whose visible arc spans ``span_deg`` degrees.

    The cylinder's silhouette fills the image across the axis; an output
    column at arc length s samples the input at ``centre + R sin(s / R)``.
    """
    n = width if vertical_axis else height
    half = n / 2.0
    theta = np.deg2rad(span_deg) / 2.0
    radius = half / np.sin(theta)
    arc = radius * theta  # the unrolled half-width
    out_n = int(round(2 * arc))
    s = (np.arange(out_n, dtype=np.float32) - out_n / 2.0 + 0.5)
    src = (half + radius * np.sin(s / radius) - 0.5).astype(np.float32)
    if vertical_axis:
        map_x = np.tile(src, (height, 1))
        map_y = np.tile(np.arange(height, dtype=np.float32)[:, None], (1, out_n))
    else:
        map_y = np.tile(src[:, None], (1, width))
        map_x = np.tile(np.arange(width, dtype=np.float32), (out_n, 1))
    return map_x, map_y


class StillReader:
    """Tries harder on still images; see the module docstring."""

    def __init__(self, primary: Any = None) -> None:
        self.primary = primary if primary is not None else ZxingDecoder()
        self.zxing = self.primary if isinstance(self.primary, ZxingDecoder) else ZxingDecoder()
        self.pyzbar: PyzbarDecoder | None
        try:
            self.pyzbar = self.primary if isinstance(self.primary, PyzbarDecoder) else PyzbarDecoder()
        except ImportError:  # no libzbar on this machine: zxing-cpp alone
            self.pyzbar = None
        self.name = getattr(self.primary, "name", "zxing")

    # ------------------------------------------------------------------ reading
    def _both(self, gray: np.ndarray, colour: np.ndarray | None, back: PointMap, binary: bool = False
              ) -> list[DecodedCode]:
        kw: dict[str, Any] = {"binarizer": zxingcpp.Binarizer.BoolCast} if binary else {}
        found = self.zxing._read(gray, 1.0, None, formats=_ZX_FORMATS, **kw)
        if not found and self.pyzbar is not None:
            found = self.pyzbar._read(gray, None)
        return [self._mapped(c, back, colour) for c in found]

    @staticmethod
    def _mapped(code: DecodedCode, back: PointMap, colour: np.ndarray | None) -> DecodedCode:
        poly = back(code.polygon)
        col, white = sample_colours(colour, poly) if colour is not None else (None, None)
        return replace(code, polygon=poly, colour=col, white=white)

    def technique(self, name: str, image: np.ndarray) -> list[DecodedCode]:
        """One technique alone (for the bench); ``read`` runs them in order."""
        steps: dict[str, Callable[[np.ndarray], list[DecodedCode]]] = {
            "plain": self._plain, "upscale": self._upscale, "binarise": self._binarise, "dewarp": self._dewarp,
            "weave": self._weave}
        return steps[name](image)

    BUDGET_S = 6.0  # a still gets this long for the harder techniques: a huge photo never hangs the command
    MAX_LADDER_PIXELS = 4_000_000

    def read(self, image: np.ndarray, techniques: tuple[str, ...] = TECHNIQUES) -> tuple[list[DecodedCode], str | None]:
        """The codes found and the technique that found them (None: nothing found)."""
        started = time.monotonic()
        h, w = image.shape[:2]
        if h * w > self.MAX_LADDER_PIXELS:
            # A 12-megapixel phone photo: a code in it is large enough at a quarter of the pixels,
            # and every technique runs four times faster (polygons are mapped back).
            factor = (self.MAX_LADDER_PIXELS / (h * w)) ** 0.5
            small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            found, name = self.read(small, techniques)
            back = _scaled(1.0 / factor)
            colour = image if image.ndim == 3 else None
            return [self._mapped(c, back, colour) for c in found], name
        for i, name in enumerate(techniques):
            if i and time.monotonic() - started > self.BUDGET_S:
                break
            try:
                found = self.technique(name, image)
            except (ValueError, cv2.error):
                continue  # an image this technique cannot take (too wide to upscale, ...): the next one
            if found:
                return found, name
        return [], None

    def decode_image(self, image: np.ndarray) -> list[DecodedCode]:
        return self.read(image)[0]

    # --------------------------------------------------------------- techniques
    def _plain(self, image: np.ndarray) -> list[DecodedCode]:
        found: list[DecodedCode] = self.primary.decode_image(image)
        if found:
            return found
        if self.name == "auto":  # it has asked both already
            return []
        other = self.pyzbar if self.primary is self.zxing else self.zxing
        return other.decode_image(image) if other is not None else []

    def _upscale(self, image: np.ndarray) -> list[DecodedCode]:
        gray = _gray(image)
        colour = image if image.ndim == 3 else None
        if min(gray.shape) >= 1200 or max(gray.shape) * 3 > 65535:
            return []  # large enough already, or too wide for the decoders once upscaled
        for k in (2.0, 3.0):
            up = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
            found = self._both(up, colour, _scaled(1.0 / k))
            if found:
                return found
        return []

    def _binarise(self, image: np.ndarray) -> list[DecodedCode]:
        gray = _gray(image)
        colour = image if image.ndim == 3 else None
        k = 2.0 if min(gray.shape) < 400 else 1.0  # thresholds need a few pixels per module
        work = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC) if k != 1.0 else gray
        for variant, binary in binarised(work):
            found = self._both(variant, colour, _scaled(1.0 / k), binary)
            if found:
                return found
        return []

    def _dewarp(self, image: np.ndarray) -> list[DecodedCode]:
        gray = _gray(image)
        colour = image if image.ndim == 3 else None
        regions = [(0, 0, gray.shape[1], gray.shape[0])]
        # Where zxing saw a code it could not read, unroll around that code too.
        qr = zxingcpp.BarcodeFormat.QRCode  # the stubs want BarcodeFormats; one format is accepted at run time
        for bc in zxingcpp.read_barcodes(gray, formats=qr, return_errors=True):  # type: ignore[arg-type]
            pts = np.array([(p.x, p.y) for p in (bc.position.top_left, bc.position.top_right,
                                                 bc.position.bottom_right, bc.position.bottom_left)], np.float32)
            x, y, w, h = cv2.boundingRect(pts)
            if w > 8 and h > 8:
                mx, my = w // 4, h // 4
                regions.append((max(0, x - mx), max(0, y - my), min(gray.shape[1], x + w + mx),
                                min(gray.shape[0], y + h + my)))
        k = 2.0 if min(gray.shape) < 400 else 1.0
        for x0, y0, x1, y1 in regions:
            part = gray[y0:y1, x0:x1]
            if k != 1.0:
                part = cv2.resize(part, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
            for span in (120.0, 160.0, 80.0):
                for vertical in (True, False):
                    map_x, map_y = cylinder_maps(part.shape[1], part.shape[0], span, vertical)
                    flat = cv2.remap(part, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
                    found = self._both(flat, colour, _through(map_x, map_y, 1.0 / k, x0, y0))
                    if found:
                        return found
        return []

    MAX_WEAVE_PIXELS = 2_500_000  # the FFT of a larger image costs more than a still's budget allows

    def _weave(self, image: np.ndarray) -> list[DecodedCode]:
        gray = _gray(image)
        colour = image if image.ndim == 3 else None
        scales = (1.0, 2.0) if min(gray.shape) < 600 else (1.0,)
        for k in scales:
            work = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC) if k != 1.0 else gray
            if work.size > self.MAX_WEAVE_PIXELS:
                break
            flat = without_weave(work)
            _, otsu = cv2.threshold(cv2.GaussianBlur(flat, (0, 0), 1.0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            for variant, binary in ((flat, False), (otsu, True)):
                found = self._both(variant, colour, _scaled(1.0 / k), binary)
                if found:
                    return found
        return []


def _scaled(factor: float) -> PointMap:
    return lambda poly: tuple((int(x * factor), int(y * factor)) for x, y in poly)


def _through(map_x: np.ndarray, map_y: np.ndarray, factor: float, dx: int, dy: int) -> PointMap:
    """Points of the unrolled image back to the input: the remap tables say where each came from."""
    h, w = map_x.shape

    def back(poly: Poly) -> Poly:
        out = []
        for x, y in poly:
            cx, cy = min(max(x, 0), w - 1), min(max(y, 0), h - 1)
            out.append((int(map_x[cy, cx] * factor) + dx, int(map_y[cy, cx] * factor) + dy))
        return tuple(out)

    return back
