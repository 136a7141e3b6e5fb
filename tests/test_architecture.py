"""The dependency rules bite (import-linter catches forbidden imports); the core runs without Qt and documents itself.

That the rules hold today (lint-imports), and ruff, mypy and vermin, are steps of ``scripts/check.sh``,
run before the suite (``scripts/test.sh``, ``.ci/run``).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(exe)], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.mark.slow
def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".venv", ".git", "tests", "__pycache__", "bench",
                                                              "dist", "build", "*.png"))
    leaks = {
        copy / "devices" / "leak.py": "import db.store",
        copy / "kiosk" / "qt_leak.py": "from PySide6 import QtCore",
        copy / "kiosk" / "domain" / "stored.py": "import db.records",  # the domain is pure
        copy / "kiosk" / "domain" / "threaded.py": "import threading",  # no threads, no logging in the domain
        copy / "kiosk" / "services" / "simulated.py": "import kiosk.sim.demo",  # services never import sim
        copy / "kiosk" / "services" / "wired.py": "import kiosk.app",  # only the entry points reach the root
    }
    for path, line in leaks.items():
        path.write_text(f'"""A forbidden import."""\n{line}  # noqa\n')
    result = lint_imports(copy)
    assert result.returncode != 0
    for name in ("devices.leak", "kiosk.qt_leak", "kiosk.domain.stored", "kiosk.domain.threaded",
                 "kiosk.services.simulated", "kiosk.services.wired"):
        assert name in result.stdout, name


def test_every_module_and_public_class_of_the_core_says_what_it_is() -> None:
    missing = []
    for path in sorted(p for root in ("kiosk", "devices", "db") for p in (REPO / root).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(REPO)
        if ast.get_docstring(tree) is None:
            missing.append(f"{where}: module")
        missing += [f"{where}:{node.lineno}: class {node.name}" for node in ast.walk(tree)
                    if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
                    and ast.get_docstring(node) is None]
    assert not missing, "no docstring:\n" + "\n".join(missing)


def test_core_imports_without_qt() -> None:
    code = ("import sys, builtins\n"
            "real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name.startswith(('PySide6', 'shiboken6')): raise ImportError('Qt is not allowed here')\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            "import kiosk.cli.main, kiosk.services.gate, kiosk.domain.policy, kiosk.desk.guard_desk, db.store, devices\n"
            "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
