"""Decode speed on camera-sized frames and detection rate on the real photo corpus.

Pinned to one core. Frames are 1280x720 scenes of a phone-sized code (the
demo's renderer: varied size, angle, colour, code content), plus frames with
no code at all. For each: the kiosk's frame path (``ZxingDecoder.decode_frame``,
which runs its full-resolution pass on every third empty frame, so the
median, the mean and the slow-frame p90 are printed), and naive full-frame pyzbar on the
same frames, with the ratio. Then the detection rate on ../shared/data/qr-photos
for each backend's still-image path.

Usage: python bench/bench_decode.py [--frames N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.codeimage import STATUS_BGR, place_on_scene, render_code  # noqa: E402
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
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import cv2

    cv2.setNumThreads(1)
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
        cases = [(img, img.with_suffix(".txt")) for img in sorted(SHARED.glob("*/*"))
                 if img.suffix.lower() in (".png", ".jpg", ".webp") and img.with_suffix(".txt").exists()]
        norm = lambda t: t.replace("\r\n", "\n").rstrip("\n")  # noqa: E731
        for name in ("zxing", "pyzbar", "auto"):
            d = make_decoder(name)
            t0 = time.perf_counter()
            hits = sum(any(norm(c.text) == norm(txt.read_text(encoding="utf-8", errors="surrogateescape"))
                           for c in d.decode_image(load_image(str(img)))) for img, txt in cases)
            ms = (time.perf_counter() - t0) * 1000 / len(cases)
            print(f"qr-photos {name:6}: {hits}/{len(cases)} = {100 * hits / len(cases):.1f}% ({ms:.1f} ms per photo)")
    else:
        print("qr-photos: ../shared/data/qr-photos not found; detection rate not measured")


if __name__ == "__main__":
    main()
