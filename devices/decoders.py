"""Barcode and QR decoding: zxing-cpp (default), pyzbar, or both (``auto``).

Results are ``DecodedCode``: raw bytes, correctly decoded text, the polygon in
frame coordinates, and the colour sampled inside the code together with the
colour of its light modules and quiet zone (the white reference that colour
reading needs). Formats: QR and the 1-D barcodes used on student cards
(Code 128, Code 39, EAN-13).

Two ways of looking:
- ``decode_frame`` for live camera frames, on a time budget: a pass at half
  resolution (about 1 ms for 1280x720 here), and when that finds nothing, a
  full-resolution pass on every third frame, so that a small, distant code
  still shows up within three frames without every empty frame paying for it.
- ``decode_image`` for still images (files, tests): a ladder of passes
  (full resolution, global-histogram binariser, a slight blur, an upscale for
  tiny images, inverted) stopping at the first that finds something.

zbar guesses Shift-JIS for short payloads and hands back mojibake for UTF-8
Chinese; ``fix_zbar_text`` undoes that where the bytes prove it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import zxingcpp

BGR = tuple[int, int, int]
FORMAT_NAMES = {"QRCode": "QR_CODE", "Code128": "CODE_128", "Code39": "CODE_39", "EAN13": "EAN_13"}
_ZX_FORMATS = [zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128,
               zxingcpp.BarcodeFormat.Code39, zxingcpp.BarcodeFormat.EAN13]
_ZBAR_FORMATS = {"QRCODE": "QR_CODE", "CODE128": "CODE_128", "CODE39": "CODE_39", "EAN13": "EAN_13"}


@dataclass(frozen=True)
class DecodedCode:
    """One code found in an image."""

    format: str
    raw: bytes
    text: str
    polygon: tuple[tuple[int, int], ...]
    colour: BGR | None  # median colour of the dark modules
    white: BGR | None  # median colour of the light modules and quiet zone
    backend: str


class Decoder(Protocol):
    """A code-reading backend (zxing, pyzbar, or both): live frames on a time budget, stills thoroughly."""

    name: str

    def decode_frame(self, frame: np.ndarray) -> list[DecodedCode]: ...

    def decode_image(self, image: np.ndarray) -> list[DecodedCode]: ...


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def utf8_or(raw: bytes, fallback: str) -> str:
    """Byte-mode payloads without an ECI are, in China, almost always UTF-8; trust the bytes if they say so.

    zxing guesses ISO-8859-1 for short byte-mode payloads (李雷 comes out as
    "æé·"). Bytes that are not valid UTF-8 (Kanji mode gives Shift-JIS
    bytes, an ECI may declare GB 18030) keep the backend's own decoding.
    """
    if raw.isascii():
        return fallback
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return fallback


def fix_zbar_text(data: bytes) -> str:
    """Text of a zbar result; zbar re-encodes what it took for Shift-JIS into UTF-8.

    When the UTF-8 text zbar returns maps back to Shift-JIS bytes that are
    themselves valid UTF-8 with CJK, those bytes were the real payload.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")
    try:
        original = text.encode("shift_jis")
        recovered = original.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    if recovered != text and any("\u3400" <= ch <= "\u9fff" for ch in recovered):
        return recovered
    return text


def sample_colours(image: np.ndarray, polygon: tuple[tuple[int, int], ...]) -> tuple[BGR | None, BGR | None]:
    """Median colour of the dark modules and of the light area (modules + quiet zone) of a code."""
    if image.ndim != 3 or len(polygon) < 4:
        return None, None
    pts = np.array(polygon, dtype=np.float32)
    centre = pts.mean(axis=0)
    # Grow the polygon by 15% so the quiet zone is included as white reference.
    grown = centre + (pts - centre) * 1.15
    x, y, w, h = cv2.boundingRect(grown.astype(np.int32))
    H, W = image.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None, None
    patch = image[y0:y1, x0:x1]
    mask = np.zeros(patch.shape[:2], np.uint8)
    cv2.fillPoly(mask, [(grown - [x0, y0]).astype(np.int32)], 255)
    step = max(1, int(np.sqrt(patch.shape[0] * patch.shape[1] / 20000)))  # ~20k samples at most
    patch, mask = patch[::step, ::step], mask[::step, ::step]
    pixels = patch[mask > 0]
    if len(pixels) < 16:
        return None, None
    lum = pixels.astype(np.float32) @ np.array([0.114, 0.587, 0.299], np.float32)
    threshold, _ = cv2.threshold(lum.astype(np.uint8).reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark, light = pixels[lum <= threshold], pixels[lum > threshold]
    if len(dark) < 8 or len(light) < 8:
        return None, None
    return _median_bgr(dark), _median_bgr(light)


def _median_bgr(pixels: np.ndarray) -> BGR:
    b, g, r = (int(v) for v in np.median(pixels, axis=0))
    return b, g, r


class ZxingDecoder:
    """zxing-cpp: the fast default backend."""

    name = "zxing"

    def __init__(self, full_res_every: int = 3, half_width: int = 640) -> None:
        self._frame_no = 0
        self.full_res_every = full_res_every
        self.half_width = half_width

    def _read(self, gray: np.ndarray, scale: float = 1.0, colour_src: np.ndarray | None = None,
              **kw: object) -> list[DecodedCode]:
        found = zxingcpp.read_barcodes(gray, text_mode=zxingcpp.TextMode.Plain, **kw)  # type: ignore[arg-type]
        out = []
        for bc in found:
            if not bc.valid:
                continue
            p = bc.position
            poly = tuple((int(pt.x * scale), int(pt.y * scale))
                         for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            raw = bytes(bc.bytes)
            text = utf8_or(raw, bc.text)
            colour, white = sample_colours(colour_src, poly) if colour_src is not None else (None, None)
            fmt = FORMAT_NAMES.get(bc.format.name, bc.format.name)
            out.append(DecodedCode(fmt, raw, text, poly, colour, white, self.name))
        return out

    def decode_frame(self, frame: np.ndarray) -> list[DecodedCode]:
        self._frame_no += 1
        gray = _gray(frame)
        h, w = gray.shape
        if w > self.half_width * 1.5:
            scale = w / self.half_width
            small = cv2.resize(gray, (self.half_width, int(h / scale)), interpolation=cv2.INTER_AREA)
            found = self._read(small, scale, frame, formats=_ZX_FORMATS, try_invert=False)
            if found or self._frame_no % self.full_res_every:
                return found
            # Small or distant codes and thin card barcodes: full resolution, on every third frame.
            return self._read(gray, 1.0, frame, formats=_ZX_FORMATS, try_invert=False, try_downscale=False)
        return self._read(gray, 1.0, frame, formats=_ZX_FORMATS, try_invert=False)

    def decode_image(self, image: np.ndarray) -> list[DecodedCode]:
        gray = _gray(image)
        colour = image if image.ndim == 3 else None
        gh = zxingcpp.Binarizer.GlobalHistogram
        attempts: list[Callable[[], list[DecodedCode]]] = [
            lambda: self._read(gray, 1.0, colour, formats=_ZX_FORMATS),
            lambda: self._read(gray, 1.0, colour, formats=_ZX_FORMATS, binarizer=gh),
            lambda: self._read(cv2.GaussianBlur(gray, (3, 3), 0), 1.0, colour, formats=_ZX_FORMATS, binarizer=gh),
        ]
        if max(gray.shape) < 800:
            up = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            attempts.append(lambda: self._read(up, 0.5, colour, formats=_ZX_FORMATS))
            attempts.append(lambda: self._read(up, 0.5, colour, formats=_ZX_FORMATS, binarizer=gh))
        for attempt in attempts:
            found = attempt()
            if found:
                return found
        return []


class PyzbarDecoder:
    """pyzbar (zbar): a supported second backend, slower and weaker on photos."""

    name = "pyzbar"

    def __init__(self) -> None:
        from pyzbar import pyzbar  # needs the system's libzbar0; fail here with a clear message

        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.CODE39,
                         pyzbar.ZBarSymbol.EAN13]

    def _read(self, gray: np.ndarray, colour_src: np.ndarray | None, scale: float = 1.0) -> list[DecodedCode]:
        out = []
        for r in self._pyzbar.decode(gray, symbols=self._symbols):
            points = [(p.x, p.y) for p in r.polygon]
            if len(points) < 4:
                x, y, w, h = r.rect
                points = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
            poly = tuple((int(x * scale), int(y * scale)) for x, y in points)
            colour, white = sample_colours(colour_src, poly) if colour_src is not None else (None, None)
            text = fix_zbar_text(r.data)
            # Where zbar's Shift-JIS guess was undone, the payload's real bytes are the UTF-8 text.
            raw = bytes(r.data) if text == r.data.decode("utf-8", "replace") else text.encode("utf-8")
            out.append(DecodedCode(_ZBAR_FORMATS.get(r.type, r.type), raw, text, poly, colour, white, self.name))
        return out

    def decode_frame(self, frame: np.ndarray) -> list[DecodedCode]:
        return self._read(_gray(frame), frame if frame.ndim == 3 else None)

    def decode_image(self, image: np.ndarray) -> list[DecodedCode]:
        gray = _gray(image)
        colour = image if image.ndim == 3 else None
        found = self._read(gray, colour)
        if not found and max(gray.shape) < 800:
            up = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            found = self._read(up, colour, 0.5)
        return found


class AutoDecoder:
    """zxing-cpp first; pyzbar as a second opinion when zxing finds nothing."""

    name = "auto"

    def __init__(self) -> None:
        self.zxing = ZxingDecoder()
        self.pyzbar = PyzbarDecoder()

    def decode_frame(self, frame: np.ndarray) -> list[DecodedCode]:
        return self.zxing.decode_frame(frame) or self.pyzbar.decode_frame(frame)

    def decode_image(self, image: np.ndarray) -> list[DecodedCode]:
        return self.zxing.decode_image(image) or self.pyzbar.decode_image(image)


def make_decoder(name: str) -> ZxingDecoder | PyzbarDecoder | AutoDecoder:
    if name == "zxing":
        return ZxingDecoder()
    if name == "pyzbar":
        return PyzbarDecoder()
    if name == "auto":
        return AutoDecoder()
    raise ValueError(f"unknown decoder {name!r} (use zxing, pyzbar or auto)")


MAX_IMAGE_PIXELS = 40_000_000  # a 12 MP phone photo is 12 M; 40 M leaves room, 400 M is an attack


class ImageRejected(ValueError):
    """An image file refused before decoding (too many pixels, unknown format); the message says why."""


def image_size(path: str) -> tuple[int, int] | None:
    """Width and height from the file's header, without decoding the pixels; None if no image header."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # PIL warns (on stderr) from ~89 MP; our own, lower limit refuses such an image
            # right after, with its size, so PIL's warning would only be noise on the terminal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                return int(width), int(height)
    except Image.DecompressionBombError:
        raise ImageRejected(f"image too large (more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels)") from None
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def load_image(path: str) -> np.ndarray | None:
    """Read an image file as BGR; None if unreadable; ``ImageRejected`` if its header says it is too large.

    The size is read from the header first: a 1 MB PNG can hold 20000×20000
    pixels (2.5 GB once decoded).
    """
    size = image_size(path)
    if size is None:
        return None  # only formats whose size can be read first are decoded
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageRejected(f"image too large: {width}×{height} pixels "
                            f"(at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels)")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)
