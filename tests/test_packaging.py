"""The installed distribution: one top-level import name (gate_kiosk), and the kiosk runs from it.

Builds the wheel from this checkout, unpacks it as pip would lay it out in site-packages, and runs
the command line from there, in a folder where the checkout is not on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools reuses a build/ folder, and a stale one in the checkout would put
    # modules deleted since into the wheel (or this build's leftovers into the next PyInstaller run).
    source = tmp_path_factory.mktemp("source") / "gate-kiosk"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                               "__pycache__", ".mypy_cache", ".ruff_cache"))
    # No build isolation: the build runs offline, with the setuptools the test extras install.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    str(source), "-w", str(out)], check=True, capture_output=True, text=True)
    (built,) = out.glob("gate_kiosk-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_puts_one_name_in_site_packages(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"gate_kiosk", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    # the four folders and their data are inside it, not beside it
    for inside in ("gate_kiosk/_lib/kiosk/cli/main.py", "gate_kiosk/_lib/db/alembic.ini",
                   "gate_kiosk/_lib/ui/i18n/gate_kiosk_en.qm", "gate_kiosk/_lib/kiosk/fonts/OFL.txt"):
        assert inside in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "gate-kiosk = gate_kiosk.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_kiosk_runs_and_hides_its_folders(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    env = dict(os.environ, PYTHONPATH=str(site), GATE_KIOSK_DATA=str(tmp_path / "data"),
               GATE_KIOSK_CONFIG=str(tmp_path / "config.toml"), QT_QPA_PLATFORM="offscreen")
    (tmp_path / "config.toml").write_text('[devices]\ncamera = "sim:"\n', encoding="utf-8")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True, text=True,
                              timeout=180)

    # Without gate_kiosk.activate() nobody else sees a bare db or ui from this installation.
    hidden = python("-c", "import importlib.util as u, json; "
                          "print(json.dumps([u.find_spec(n) is not None and 'site-packages' in u.find_spec(n).origin"
                          " for n in ('db', 'ui', 'devices')]))")
    assert json.loads(hidden.stdout) == [False, False, False], hidden.stderr
    # The command line runs from the installed copy: a whole check that writes an entry.
    done = python("-m", "gate_kiosk", "check", "--lane", "staff", "--temp", "36.6", "--mask", "yes",
                  "--confirm", "health")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "PASS"
    where = python("-c", "import gate_kiosk; gate_kiosk.activate(); import kiosk, db; print(kiosk.__file__); "
                         "print(db.__file__)")
    assert all(line.startswith(str(site / "gate_kiosk" / "_lib")) for line in where.stdout.split()), where
