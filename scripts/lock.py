"""Write requirements.lock: every package the kiosk installs, for each supported Python (3.10 to 3.13).

    .venv/bin/python scripts/lock.py            # after scripts/setup.sh, with uv installed; commit the result
    pip install -r requirements.lock -e .       # a reproducible install (a gate PC, the frozen build)

The lock is the dependency closure of ``gate-kiosk[postgres,pyzbar]`` (test
tools are not in it), so it only lists what a school's machine gets. From
this virtual environment's Python up, the versions are the ones installed
here (the ones the suite ran with). Below it (Ubuntu 22.04's 3.10), newer
releases of some packages no longer install (numpy 2.3+, SQLAlchemy 2.1,
Pillow 13 need 3.11), so ``uv pip compile --universal`` picks the newest
that do and writes both with environment markers (``numpy==2.2.6 ;
python_full_version < '3.11'``). Windows-only dependencies get their markers
the same way. Versions only, no hashes: the wheels come from PyPI or the
school's mirror. ``tests/test_lock.py`` checks the result statically.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = "gate-kiosk"
EXTRAS = ("postgres", "pyzbar")
LOWEST_PYTHON = "3.10"  # pyproject's requires-python
LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def closure() -> dict[str, str]:
    """Name -> version of every package ``gate-kiosk[postgres,pyzbar]`` pulls in this environment."""
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


def top_level_requirements() -> list[str]:
    """The kiosk's own requirements with the locked extras, as the installed metadata states them."""
    out = []
    for text in md.distribution(ROOT).requires or []:
        req = Requirement(text)
        if req.marker is not None and "extra" in str(req.marker):
            if not any(req.marker.evaluate({"extra": e}) for e in EXTRAS):
                continue
            req.marker = None  # the extra is chosen; other markers of these requirements are none
        out.append(str(req))
    return out


def main() -> int:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        print("lock.py needs uv (pip install uv) for the markers of the other Python versions", file=sys.stderr)
        return 2
    here = ".".join(platform.python_version_tuple()[:2])
    with tempfile.TemporaryDirectory() as tmp:
        reqs, tested, out = Path(tmp, "requirements.in"), Path(tmp, "tested.txt"), Path(tmp, "lock.txt")
        reqs.write_text("\n".join(top_level_requirements()) + "\n")
        tested.write_text("".join(f"{name}=={version} ; python_version >= '{here}'\n"
                                  for name, version in sorted(closure().items())))
        subprocess.run([uv, "pip", "compile", "--quiet", "--universal", "--python-version", LOWEST_PYTHON,
                        "--no-header", "--no-annotate", str(reqs), "-c", str(tested), "-o", str(out)], check=True)
        pins = [line for line in out.read_text().splitlines() if line.strip() and not line.startswith("#")]
    LOCK.write_text("\n".join([
        f"# gate-kiosk[{','.join(EXTRAS)}] for Python {LOWEST_PYTHON}+ on Linux and Windows, written by "
        f"scripts/lock.py;",
        f"# Python {here}+ gets the versions tested ({platform.python_version()}), older ones the newest that "
        "install there.", *pins]) + "\n")
    print(f"requirements.lock: {len(pins)} pins")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
