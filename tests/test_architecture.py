"""The dependency rule (ui -> kiosk -> {devices, db}) is enforced by import-linter contracts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(exe)], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_contracts_hold() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".venv", ".git", "tests", "__pycache__", "bench"))
    (copy / "devices" / "leak.py").write_text('"""A forbidden import."""\nimport db.store  # noqa\n')
    (copy / "kiosk" / "qt_leak.py").write_text('"""A forbidden import."""\nfrom PySide6 import QtCore  # noqa\n')
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "devices.leak" in result.stdout and "kiosk.qt_leak" in result.stdout


def test_core_imports_without_qt() -> None:
    code = ("import sys, builtins\n"
            "real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name.startswith(('PySide6', 'shiboken6')): raise ImportError('Qt is not allowed here')\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            "import kiosk.cli.main, kiosk.services.gate, kiosk.domain.policy, db.store, devices\n"
            "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def test_no_unused_imports_or_undefined_names() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--select", "F,E9", "--output-format", "concise",
                             "kiosk", "devices", "db", "ui", "tests", "bench", "scripts"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_devices_and_db_are_mypy_strict_clean() -> None:
    mypy = Path(sys.executable).parent / "mypy"
    result = subprocess.run([str(mypy)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_declared_lowest_python_is_honest() -> None:
    # No Python 3.10 can be installed in CI, so the minimum is checked statically: vermin knows which
    # modules, functions and syntax each version added (tomllib, StrEnum, except* …) and honours
    # sys.version_info guards such as config.py's tomli fallback.
    import tomllib

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert declared == ">=3.10"
    vermin = Path(sys.executable).parent / "vermin"
    result = subprocess.run([str(vermin), "--no-tips", "--violations", "--target=3.10-", "--eval-annotations",
                             "--backport", "typing", "kiosk", "devices", "db", "ui", "scripts", "bench"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
