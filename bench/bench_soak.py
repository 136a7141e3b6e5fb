"""Soak: the demo pipeline at 30 frames per second for 10 minutes; memory, threads and descriptors.

Runs the real headless pipeline (scene camera at 30 fps, decoder, mask
detector, verifier, gate controller, pty thermometer, SQLite) in this
process, samples resident memory (VmRSS), thread count and open file
descriptors from /proc every 10 s, and compares the end with the state after
a one-minute warm-up. Target: RSS grows less than 5 %, no thread or fd leak.

Usage: python bench/bench_soak.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.services.ports import SilentListener  # noqa: E402  (after the path above)


class RecordingCounter(SilentListener):
    """Counts frames processed and entries committed (benchmarks, the soak test)."""

    def __init__(self) -> None:
        self.frames = 0
        self.entries = 0

    def on_frame(self, frame: object, overlays: list[dict[str, object]]) -> None:
        self.frames += 1

    def on_entry_committed(self, entry_id: str) -> None:
        self.entries += 1


def sample() -> tuple[float, int, int]:
    """RSS (MiB), persistent Python threads (the demo's short-lived timers left out), open fds."""
    import threading

    rss_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
    threads = sum(1 for t in threading.enumerate() if t.name != "demo-timer")
    return rss_kb / 1024, threads, len(os.listdir("/proc/self/fd"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=60.0)
    args = ap.parse_args()
    os.environ["GATE_KIOSK_DATA"] = tempfile.mkdtemp(prefix="soak-")
    from kiosk.app import build_kiosk
    from kiosk.config.loading import load_settings
    from kiosk.sim.demo import demo_settings

    settings = demo_settings(load_settings(os.devnull))
    kiosk = build_kiosk(settings, demo=True, with_devices=True)
    counter = RecordingCounter()
    kiosk.listeners.add(counter)
    kiosk.start()
    t0 = time.monotonic()
    base = None
    rows = []
    try:
        while time.monotonic() - t0 < args.warmup + args.minutes * 60:
            time.sleep(10)
            elapsed = time.monotonic() - t0
            rss, threads, fds = sample()
            rows.append((elapsed, rss, threads, fds, counter.frames, counter.entries))
            if base is None and elapsed >= args.warmup:
                base = rows[-1]
            print(f"{elapsed:6.0f} s  RSS {rss:7.1f} MiB  threads {threads:3}  fds {fds:3}  "
                  f"frames {counter.frames:6}  entries {counter.entries:5}", flush=True)
    finally:
        kiosk.close()
    assert base is not None
    end = rows[-1]
    seconds = end[0] - base[0]
    fps = (end[4] - base[4]) / seconds
    growth = 100 * (end[1] - base[1]) / base[1]
    print(f"after warm-up: {seconds / 60:.1f} min at {fps:.1f} frames/s processed, {end[5] - base[5]} entries; "
          f"RSS {base[1]:.1f} -> {end[1]:.1f} MiB ({growth:+.2f} %), threads {base[2]} -> {end[2]}, "
          f"fds {base[3]} -> {end[3]}")


if __name__ == "__main__":
    main()
