"""What guessing the admin PIN offline costs someone who copied the data dir.

The export signing key (when it is not in a key file off the machine) is
sealed under the admin PIN, and ``admin.json`` holds the PIN's hash: either
one lets a copy be tried PIN by PIN without the kiosk's lockout. Each try is
one scrypt at ``kiosk.services.access.PIN_KDF``. This times that derivation (and the
cheaper one of PINs set before, ``LEGACY_KDF``) and prints what trying every
4- and 6-digit PIN costs on one core of this machine.

Usage: python bench/bench_pin_guess.py [--tries 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.services.access import LEGACY_KDF, PIN_KDF, derive_from_pin  # noqa: E402


def per_try(kdf: dict[str, int], tries: int) -> list[float]:
    out = []
    for i in range(tries):
        salt = os.urandom(16)
        t0 = time.perf_counter()
        derive_from_pin(f"{i:06d}", salt, kdf)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tries", type=int, default=10)
    args = ap.parse_args()
    for name, kdf in (("PIN_KDF", PIN_KDF), ("LEGACY_KDF", LEGACY_KDF)):
        times = per_try(kdf, args.tries)
        median = statistics.median(times)
        mib = 128 * kdf["r"] * kdf["n"] * kdf["p"] // 2**20
        print(f"{name} n={kdf['n']} r={kdf['r']} p={kdf['p']} ({mib} MiB): per try median {median:.3f} s "
              f"(min {min(times):.3f}, max {max(times):.3f}); every 4-digit PIN {1e4 * median / 3600:.1f} h, "
              f"every 6-digit PIN {1e6 * median / 86400:.1f} days on one core")


if __name__ == "__main__":
    main()
