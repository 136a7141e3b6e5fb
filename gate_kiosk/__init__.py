"""gate_kiosk: the one import name the installed kiosk puts in site-packages.

The kiosk's code lives in four folders named for its architecture (``kiosk/``, ``ui/``,
``devices/``, ``db/``; README, "Architecture") and imports them by those names. Installed bare,
``db`` and ``ui`` would collide with any other distribution of the same name in the environment
(one overwriting the other's files, or shadowing it on import). So the wheel installs the four
inside this package, in ``gate_kiosk/_lib/``, a folder that is on nobody's ``sys.path``;
:func:`activate` puts it first on ``sys.path`` for the kiosk's own process only: the
``gate-kiosk`` command and ``python -m gate_kiosk`` (hence the systemd unit and desktop entry).
In a source checkout the four folders sit beside this one and :func:`activate` uses them there.
The frozen build (PyInstaller) carries its own interpreter and needs none of this.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRIVATE = HERE / "_lib"
PACKAGES = ("kiosk", "ui", "devices", "db")


def code_root() -> Path:
    """The folder holding kiosk/, ui/, devices/ and db/: the installed private one, else the checkout."""
    for root in (PRIVATE, HERE.parent):
        if all((root / name / "__init__.py").is_file() for name in PACKAGES):
            return root
    raise ImportError(f"gate_kiosk: neither {PRIVATE} nor {HERE.parent} holds the kiosk's packages "
                      f"({', '.join(PACKAGES)}); reinstall gate-kiosk")


def activate() -> Path:
    """Make ``import kiosk`` (and ui, devices, db) find this installation's code, first."""
    root = str(code_root())
    if sys.path[:1] != [root]:
        # First, not appended: a stray top-level ``db`` elsewhere on the path must not win.
        if root in sys.path:
            sys.path.remove(root)
        sys.path.insert(0, root)
    return Path(root)
