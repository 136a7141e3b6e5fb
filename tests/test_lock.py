"""requirements.lock installs on every supported Python (3.10 to 3.13) and platform, checked statically.

No other interpreter can be installed here, so the lock's environment markers
are evaluated for each (Python, platform) pair: exactly one pin per package,
every requirement of the kiosk met by its pin, and no pin applied to a Python
its own metadata refuses (numpy 2.4 on 3.10 was the trial's failure). The
Requires-Python and dependencies are read from the packages installed in
this environment, so those two checks cover the pins equal to what is installed.
"""

from __future__ import annotations

import importlib.metadata as md
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = {"linux": ("linux", "Linux", "x86_64", "posix"), "windows": ("win32", "Windows", "AMD64", "nt")}
EXTRAS = ("postgres", "pyzbar")


def environment(python: str, platform: str, extra: str = "") -> dict[str, str]:
    sys_platform, system, machine, os_name = PLATFORMS[platform]
    return {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": sys_platform,
            "platform_system": system, "platform_machine": machine, "os_name": os_name,
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": extra}


def lock_pins() -> list[Requirement]:
    lines = (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def pins_for(python: str, platform: str) -> dict[str, Version]:
    env = environment(python, platform)
    out: dict[str, Version] = {}
    for req in lock_pins():
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        assert name not in out, f"{name} pinned twice for Python {python} on {platform}"
        (spec,) = req.specifier
        assert spec.operator == "==", f"{req}: a lock pins exact versions"
        out[name] = Version(spec.version)
    return out


def kiosk_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    texts = list(project["dependencies"])
    for extra in EXTRAS:
        texts += project["optional-dependencies"][extra]
    return [Requirement(t) for t in texts]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("python", PYTHONS)
def test_the_lock_meets_every_requirement_on_each_python(python: str, platform: str) -> None:
    pins = pins_for(python, platform)
    for req in kiosk_requirements():
        if req.marker is not None and not req.marker.evaluate(environment(python, platform)):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} has no pin for Python {python} on {platform}"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} does not meet {req}"


def test_no_pin_applies_to_a_python_its_package_refuses() -> None:
    checked = 0
    for req in lock_pins():
        name = canonicalize_name(req.name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        (spec,) = req.specifier
        if Version(dist.version) != Version(spec.version):
            continue  # another Python's pin: its metadata is not here
        requires = SpecifierSet(dist.metadata.get("Requires-Python") or "")
        for python in PYTHONS:
            for platform in PLATFORMS:
                if req.marker is None or req.marker.evaluate(environment(python, platform)):
                    assert requires.contains(f"{python}.0"), \
                        f"{req} applies to Python {python}, but {name} {dist.version} needs Python {requires}"
        checked += 1
    assert checked >= 20  # most pins are the installed versions: the check is not vacuous


def test_the_installed_pins_dependencies_are_pinned_too() -> None:
    import platform as host

    python = ".".join(host.python_version_tuple()[:2])
    if python not in PYTHONS:
        pytest.skip(f"Python {python} is not one the lock is made for")
    pins = pins_for(python, "linux")
    for name, version in pins.items():
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if Version(dist.version) != version:
            continue
        for text in dist.requires or []:
            dep = Requirement(text)
            if dep.marker is None or dep.marker.evaluate(environment(python, "linux")):
                assert canonicalize_name(dep.name) in pins, f"{name} needs {dep}, which the lock does not pin"
