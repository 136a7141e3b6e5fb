"""Decode speed on camera-sized frames and detection rate on the real photo corpus.

Pinned to one core. Frames are 1280x720 scenes of a phone-sized code (the
demo's renderer: varied size, angle, colour, code content), plus frames with
no code at all. For each: the kiosk's frame path (``ZxingDecoder.decode_frame``,
which runs its full-resolution pass on every third empty frame, so the
median, the mean and the slow-frame p90 are printed), and naive full-frame pyzbar on the
same frames, with the ratio. Then the detection rate on ../shared/data/qr-photos
per technique of the hard-photo ladder (devices/hardphoto.py), on the photos
as they are and on harder versions made from them (small, curved, on fabric
with a weave finer than a module, and on a coarse fabric whose weave is about
one module: made only of photos zxing reads as they are, which gives the
module size), split into a development part and a held-out third.

Usage: python bench/bench_decode.py [--frames N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.codeimage import (STATUS_BGR, on_coarse_fabric, on_fabric, place_on_scene, render_code, shrink,  # noqa: E402
                               wrap_on_cylinder)
from devices.decoders import ZxingDecoder, load_image, make_decoder  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "qr-photos"


def scenes(n: int, with_code: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    out = []
    for i in range(n):
        if with_code:
            text = f"https://healthcode.example.gov.cn/v/{rng.integers(1 << 60):x}?t={1646121600 + i}"
            colour = STATUS_BGR[["green", "yellow", "red", "black"][i % 4]]
            code = render_code(text, module_px=6, colour_bgr=colour)
            out.append(place_on_scene(code, width_px=int(rng.integers(200, 340)), angle_deg=float(rng.uniform(-20, 20)),
                                      tilt=float(rng.uniform(0, 0.2)), seed=i))
        else:
            out.append(place_on_scene(np.full((8, 8, 3), 250, np.uint8), width_px=8, seed=i))
    return out


def time_ms(fn, frames: list[np.ndarray], repeat: int = 3) -> list[float]:
    times = []
    for _ in range(repeat):
        for f in frames:
            t0 = time.perf_counter()
            fn(f)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--hard-every", type=int, default=1, help="use every n-th photo (quick runs)")
    ap.add_argument("--only-hard", action="store_true", help="only the hard-photo detection rates")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    if args.only_hard:
        hard_photos(args.hard_every)
        return
    print(f"one core; {args.frames} frames of 1280x720 each kind, 3 rounds")
    coded, empty = scenes(args.frames, True), scenes(args.frames, False)
    zx = ZxingDecoder()
    found = sum(bool(zx.decode_frame(f) or zx.decode_frame(f) or zx.decode_frame(f)) for f in coded)
    print(f"frames with a code decoded by the frame path (within 3 frames): {found}/{len(coded)}")
    from pyzbar import pyzbar

    rows = []
    for label, frames in (("phone-sized code", coded), ("no code", empty)):
        kiosk = time_ms(ZxingDecoder().decode_frame, frames)
        naive = time_ms(lambda f: pyzbar.decode(f), frames, repeat=1)
        rows.append((label, statistics.median(kiosk), statistics.fmean(kiosk), p(kiosk, 90), statistics.median(naive)))
    print(f"{'frame':18} {'kiosk median':>13} {'mean':>9} {'p90':>9} {'pyzbar naive median':>20} {'ratio':>6}")
    for label, med, mean, p90, naive in rows:
        print(f"{label:18} {med:10.2f} ms {mean:6.2f} ms {p90:6.2f} ms {naive:17.2f} ms {naive / med:5.1f}x")

    if SHARED.exists():
        hard_photos(args.hard_every)
    else:
        print("qr-photos: ../shared/data/qr-photos not found; detection rate not measured")


# ----------------------------------------------------------------------------- hard photos
def photo_cases() -> list[tuple[str, np.ndarray, str]]:
    out = []
    for img in sorted(SHARED.glob("*/*")):
        txt = img.with_suffix(".txt")
        if img.suffix.lower() in (".png", ".jpg", ".webp") and txt.exists():
            image = load_image(str(img))
            if image is not None:
                out.append((f"{img.parent.name}/{img.name}", image, txt.read_text(encoding="utf-8", errors="surrogateescape")))
    return out


def held_out_photo(name: str) -> bool:
    """A third of the photos, by a hash of the name: the ladder was built looking at the others only."""
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % 3 == 0


def module_px(img: np.ndarray) -> float | None:
    """A QR code's module size in pixels, from zxing's reading of the photo (None: not read as it is)."""
    import zxingcpp

    for bc in zxingcpp.read_barcodes(img):
        version = str(bc.extra.get("Version", "")) if isinstance(bc.extra, dict) else ""
        if bc.format == zxingcpp.BarcodeFormat.QRCode and version.isdigit():
            p = bc.position
            side = float(np.hypot(p.top_right.x - p.top_left.x, p.top_right.y - p.top_left.y))
            return side / (17 + 4 * int(version))
    return None


def hard_photos(every: int) -> None:
    from pyzbar import pyzbar
    import zxingcpp

    from devices.hardphoto import TECHNIQUES, StillReader

    norm = lambda t: t.replace("\r\n", "\n").rstrip("\n")  # noqa: E731
    cases = photo_cases()[::every]
    rng = np.random.default_rng(7)
    sets = {"photos as they are": [(n, img, t) for n, img, t in cases]}
    for label, fn in (("small", shrink), ("curved", wrap_on_cylinder), ("on fabric", on_fabric)):
        sets[label] = [(n, fn(img, rng), t) for n, img, t in cases]
    coarse = []
    for n, img, t in cases:
        module = module_px(img)
        if module is not None:
            coarse.append((n, on_coarse_fabric(img, rng, module), t))
    sets["weave about a module"] = coarse
    reader = StillReader(ZxingDecoder())
    columns = (["zxing naive", "pyzbar naive", "union naive", "kiosk before"] + list(TECHNIQUES)
               + ["ladder no weave", "ladder"])
    before = make_decoder("zxing")  # the still path before the ladder: zxing's own passes
    print()
    print(f"qr-photos: {len(cases)} photos (ZXing corpus); a held-out third by name hash; naive = one call with "
          "the library's defaults; 'kiosk before' = the previous still path; each technique alone, then the ladder")
    print(f"{'set':22} {'split':9} " + " ".join(f"{c[:13]:>13}" for c in columns) + "   ms/photo (ladder)")
    for label, items in sets.items():
        hits = {(split, c): 0 for split in ("dev", "held-out") for c in columns}
        sizes = {"dev": 0, "held-out": 0}
        ladder_ms = []
        for name, img, text in items:
            split = "held-out" if held_out_photo(name) else "dev"
            sizes[split] += 1
            want = norm(text)
            right = lambda codes: any(norm(c.text) == want for c in codes)  # noqa: E731
            zx = any(norm(b.text) == want for b in zxingcpp.read_barcodes(img))
            zb = any(norm(r.data.decode("utf-8", "replace")) == want for r in pyzbar.decode(img))
            row = {"zxing naive": zx, "pyzbar naive": zb, "union naive": zx or zb,
                   "kiosk before": right(before.decode_image(img))}
            for t in TECHNIQUES:
                row[t] = right(reader.technique(t, img))
            row["ladder no weave"] = right(reader.read(img, tuple(t for t in TECHNIQUES if t != "weave"))[0])
            t0 = time.perf_counter()
            row["ladder"] = right(reader.read(img)[0])
            ladder_ms.append((time.perf_counter() - t0) * 1000)
            for c in columns:
                hits[(split, c)] += int(row[c])
        for split in ("dev", "held-out"):
            n = max(1, sizes[split])
            cells = " ".join(f"{hits[(split, c)]:>4}/{sizes[split]:<3}{100 * hits[(split, c)] / n:4.0f}%" for c in columns)
            print(f"{label:22} {split:9} {cells}   {statistics.median(ladder_ms):.0f}")


if __name__ == "__main__":
    main()
