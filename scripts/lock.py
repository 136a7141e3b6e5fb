"""Write requirements.lock: every package the kiosk installs, pinned to the version tested here.

    .venv/bin/python scripts/lock.py            # after scripts/setup.sh; commit the result
    pip install -r requirements.lock -e .       # a reproducible install (a gate PC, the frozen build)

The lock is the dependency closure of ``gate-kiosk[postgres,pyzbar]`` as
resolved in this virtual environment (test tools are not in it), so it only
lists what a school's machine gets. Environment markers of the closure are
evaluated for this platform; Windows-only packages (e.g. colorama, pulled by
nothing the kiosk needs) do not appear. Versions only, no hashes: the wheels
come from PyPI or the school's mirror.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = "gate-kiosk"
EXTRAS = ("postgres", "pyzbar")


def closure() -> dict[str, str]:
    env = {"python_version": ".".join(platform.python_version_tuple()[:2]), "sys_platform": sys.platform}
    seen: dict[str, str] = {}
    todo: list[tuple[str, tuple[str, ...]]] = [(ROOT, EXTRAS)]
    while todo:
        name, extras = todo.pop()
        dist = md.distribution(name)
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key != ROOT:
            seen[key] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            markers_ok = req.marker is None or any(
                req.marker.evaluate({**env, "extra": e}) for e in (extras or ("",)))
            if not markers_ok:
                continue
            dep = req.name.lower().replace("_", "-")
            if dep not in seen:
                todo.append((req.name, tuple(req.extras)))
    return seen


def main() -> int:
    pins = closure()
    lines = [f"# gate-kiosk[{','.join(EXTRAS)}] on Python {platform.python_version()}, written by scripts/lock.py",
             *(f"{name}=={version}" for name, version in sorted(pins.items()))]
    Path(__file__).resolve().parent.parent.joinpath("requirements.lock").write_text("\n".join(lines) + "\n")
    print(f"requirements.lock: {len(pins)} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
