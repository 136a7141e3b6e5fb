"""Build the frozen kiosk with PyInstaller, on Linux or Windows, and check that it runs: one script.

    python scripts/build.py              # dist/gate-kiosk/ (Linux: gate-kiosk; Windows: .exe files)
    python scripts/build.py --check      # then run the frozen program: version, config, a headless check
    python scripts/build.py --check --screenshot demo.png   # and the demo window (Xvfb on Linux CI)

Needs ``pip install -e .[build]`` (PyInstaller). The spec is scripts/gate-kiosk.spec;
a Windows installer is made from dist/gate-kiosk with Inno Setup (README, "Windows").
Every failure stops the script with a non-zero status and says what failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "dist" / "gate-kiosk"
EXE = DIST / ("gate-kiosk.exe" if sys.platform == "win32" else "gate-kiosk")


def fail(message: str) -> None:
    print(f"build: FAILED: {message}", file=sys.stderr)
    raise SystemExit(1)


def build() -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        fail("PyInstaller is not installed: pip install -e .[build]")
    work = REPO / "build" / "pyinstaller"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                             "--workpath", str(work), "--distpath", str(REPO / "dist"),
                             str(REPO / "scripts" / "gate-kiosk.spec")], cwd=REPO)
    if result.returncode != 0:
        fail(f"PyInstaller exited with {result.returncode}")
    if not EXE.exists():
        fail(f"{EXE} was not made")
    size = sum(f.stat().st_size for f in DIST.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"build: {DIST} ({size / 2**20:.0f} MiB) in {time.monotonic() - started:.0f} s")


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        fail(f"gate-kiosk {' '.join(args)} exited with {proc.returncode}:\n{proc.stdout[-2000:]}\n"
             f"{proc.stderr[-2000:]}")
    return proc


def check(screenshot: Path | None) -> None:
    """The frozen program, with nothing from the source tree: its own data, fonts, migrations, Qt plugins."""
    home = Path(tempfile.mkdtemp(prefix="frozen-check-"))
    env = dict(os.environ, GATE_KIOSK_DATA=str(home / "data"), GATE_KIOSK_CONFIG=str(home / "config.toml"),
               PYTHONPATH="")
    (home / "config.toml").write_text('[devices]\ncamera = "sim:"\n', encoding="utf-8")
    out = run("check", "--lane", "staff", "--temp", "36.6", "--mask", "yes", "--confirm", "health", env=env)
    verdict = json.loads(out.stdout)
    if verdict["decision"] != "PASS" or not verdict["entry_id"]:
        fail(f"frozen check gave {verdict}")
    print(f"build: frozen check: {verdict['decision']}, entry {verdict['entry_id']}")
    run("export", "--date", time.strftime("%Y-%m-%d"), "--format", "pdf", "--out", str(home / "day.pdf"), env=env)
    if (home / "day.pdf").stat().st_size < 10_000:
        fail("the frozen PDF export is empty (font or reportlab missing?)")
    print("build: frozen PDF export with the bundled font: ok")
    run("devices", "list", "--json", env=env)
    out = run("verify-log", env=env)  # the journal and the chain (reportlab's barcode modules, alembic files)
    print(f"build: frozen verify-log: {out.stdout.strip().splitlines()[0]}")
    if screenshot is not None:
        env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM", "xcb" if sys.platform.startswith("linux") else "")
        run("run", "--demo", "--quit-after", "12", "--screenshot", str(screenshot), env=env, timeout=180)
        if not screenshot.exists() or screenshot.stat().st_size < 20_000:
            fail(f"no screenshot from the frozen demo at {screenshot}")
        print(f"build: frozen demo screenshot {screenshot}")
    shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="run the frozen program after building")
    p.add_argument("--screenshot", type=Path, help="with --check: run the demo window and save a screenshot")
    p.add_argument("--no-build", action="store_true", help="check an existing dist/ only")
    args = p.parse_args()
    if not args.no_build:
        build()
    if args.check:
        check(args.screenshot.resolve() if args.screenshot else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
