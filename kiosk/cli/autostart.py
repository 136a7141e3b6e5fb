"""``gate-kiosk autostart install|remove``: a dedicated gate PC opens the kiosk full screen at login, and again if it dies.

Linux (Debian/Ubuntu desktop): a systemd *user* service bound to the
graphical session, ``Restart=always`` with no start limit, so a crash or a
killed process brings the window back within seconds; plus an XDG autostart
entry that starts the service, for desktops that never reach
``graphical-session.target``. Log in automatically (GDM: ``AutomaticLogin``
in ``/etc/gdm3/custom.conf``) and the PC shows the gate after power-on.

Windows: a ``Run`` entry under ``HKCU\\...\\CurrentVersion\\Run`` for the
windowed executable of the frozen build (restarting after a crash is left to
the Task Scheduler; the README says how).

The command works for a source install (the virtual environment's
``gate-kiosk``) and for the frozen build (the executable itself).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

SERVICE = "gate-kiosk.service"


def kiosk_command() -> list[str]:
    """How to start this very installation's window, full screen."""
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        windowed = exe.with_name("gate-kiosk-window.exe")
        return [str(windowed if windowed.exists() else exe), "run", "--fullscreen"]
    script = Path(sys.executable).with_name("gate-kiosk")
    if script.exists():
        return [str(script), "run", "--fullscreen"]
    return [sys.executable, "-m", "gate_kiosk", "run", "--fullscreen"]


def service_unit(command: list[str], config: Path | None = None) -> str:
    exec_start = " ".join(shlex.quote(part) for part in command)
    # systemd splits Environment= on spaces unless the assignment is quoted; the data folder goes
    # along too when it was chosen by the environment, so the service opens the same log.
    def assignment(name: str, value: str) -> str:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'Environment="{name}={escaped}"\n'

    # Absolute: the user service starts in $HOME, not where `autostart install` was typed.
    env = assignment("GATE_KIOSK_CONFIG", str(Path(config).resolve())) if config else ""
    if os.environ.get("GATE_KIOSK_DATA"):
        env += assignment("GATE_KIOSK_DATA", str(Path(os.environ["GATE_KIOSK_DATA"]).resolve()))
    return f"""[Unit]
Description=School gate-entry kiosk (gate-kiosk), full screen
PartOf=graphical-session.target
After=graphical-session.target
# Never give up: a gate PC must show the gate.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart={exec_start}
{env}Restart=always
RestartSec=3
# The window needs the session's display; a crash trace goes to the log dir (gate-kiosk doctor says where).
Environment=QT_QPA_PLATFORM=xcb

[Install]
WantedBy=graphical-session.target
"""


def desktop_entry() -> str:
    return """[Desktop Entry]
Type=Application
Name=Gate kiosk (校园门岗入校核验)
Comment=Starts the gate kiosk service at login
Exec=systemctl --user start gate-kiosk.service
X-GNOME-Autostart-enabled=true
NoDisplay=true
"""


def install(home: Path, config: Path | None = None, enable: bool = True) -> list[Path]:
    """Write the service and the autostart entry under ``home``; with ``enable``, tell systemd. Returns the files.

    When systemd does not take the service, the files and folders this run wrote are put back as they were
    (a half install would look done and start nothing) and :class:`AutostartError` says why.
    """
    if sys.platform == "win32":
        return [_install_windows(config)]
    unit = home / ".config" / "systemd" / "user" / SERVICE
    entry = home / ".config" / "autostart" / "gate-kiosk.desktop"
    files = {unit: service_unit(kiosk_command(), config), entry: desktop_entry()}
    before = {path: path.read_bytes() if path.exists() else None for path in files}
    new_dirs = [d for path in files for d in (path.parent, *path.parent.parents) if not d.exists()]
    told: list[str] = []  # the systemctl commands that went through
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if enable:
            for args in (["daemon-reload"], ["enable", SERVICE]):
                _systemctl(args)
                told.append(args[0])
    except (AutostartError, OSError):
        _put_back(before, new_dirs)
        if told:  # systemd read the new unit before `enable` failed: let it read what is there now
            _systemctl_quietly(["daemon-reload"])
        raise
    return list(files)


def _put_back(before: dict[Path, bytes | None], new_dirs: list[Path]) -> None:
    for path, content in before.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content)
    for folder in sorted(set(new_dirs), key=lambda d: len(d.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


class AutostartError(Exception):
    """systemd did not take the service: nothing was installed (the files written were put back)."""


def _systemctl(args: list[str]) -> None:
    again = "nothing was installed; run `gate-kiosk autostart install` again in the gate PC's desktop session"
    if not shutil.which("systemctl"):
        raise AutostartError("systemctl not found: this desktop has no systemd user session to start the kiosk "
                             "at login; nothing was installed (start `gate-kiosk run --fullscreen` with the "
                             "desktop's own autostart instead)")
    try:
        done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AutostartError(f"systemctl --user {' '.join(args)} failed: {exc}; {again}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise AutostartError(f"systemctl --user {' '.join(args)} failed (exit {done.returncode})"
                             f"{': ' + said[0] if said else ''}; {again} (not over ssh or su), "
                             "where the user's systemd answers")


def _systemctl_quietly(args: list[str]) -> None:
    try:
        subprocess.run(["systemctl", "--user", *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        pass


def remove(home: Path) -> list[Path]:
    """Stop and disable the kiosk's service where systemd answers, and delete its files: the ones deleted.

    The files go even where ``systemctl --user`` cannot be reached (over ssh, no session bus): without
    them nothing starts at the next login. A kiosk running now is then said to keep running (stderr).
    """
    if sys.platform == "win32":
        _remove_windows()
        return []
    gone = []
    if shutil.which("systemctl"):
        try:
            done = subprocess.run(["systemctl", "--user", "disable", "--now", SERVICE], capture_output=True, text=True,
                                  timeout=30, check=False)
            failed = done.returncode != 0 and (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        except (OSError, subprocess.TimeoutExpired) as exc:
            failed = str(exc)
        if failed:
            print(f"gate-kiosk: note: systemctl --user could not stop the service ({failed}); a kiosk running now "
                  "keeps running until the next login, which no longer starts it", file=sys.stderr)
    for path in (home / ".config" / "systemd" / "user" / SERVICE, home / ".config" / "autostart" /
                 "gate-kiosk.desktop"):
        if path.exists():
            path.unlink()
            gone.append(path)
    return gone


_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def _install_windows(config: Path | None) -> Path:
    if sys.platform != "win32":  # also tells mypy, on Linux, not to look for winreg's Windows-only names
        raise OSError("the Run key exists on Windows only")
    import winreg

    command = subprocess.list2cmdline(kiosk_command())
    if config:
        command = f'cmd /c "set GATE_KIOSK_CONFIG={config}&& {command}"'
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        winreg.SetValueEx(key, "gate-kiosk", 0, winreg.REG_SZ, command)
    return Path("HKCU") / _RUN_KEY / "gate-kiosk"


def _remove_windows() -> None:
    if sys.platform != "win32":
        raise OSError("the Run key exists on Windows only")
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        try:
            winreg.DeleteValue(key, "gate-kiosk")
        except FileNotFoundError:
            pass


def home_dir() -> Path:
    return Path(os.path.expanduser("~"))
