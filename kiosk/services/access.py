"""Guard and admin roles: the admin PIN (scrypt, salted), lockout, and the audit of admin actions.

The PIN guards settings, exports, policy overrides and purges. It is stored
as a scrypt hash with its own salt in ``admin.json`` (mode 0600) in the data
directory. A PIN has few values (10^6 for six digits), so whoever copies the
data dir can guess it offline: each guess is made to cost what a person at the
screen can wait (scrypt at 128 MiB, ``PIN_KDF``: see the README for the measured
cost), new PINs have at least six digits, and a PIN from before (four digits or
the cheaper hash) keeps working but is reported as weak (``weakness``) until
changed. After 5 wrong PINs in a row the PIN is locked for a delay that
doubles with every further failure (30 s, 60 s, 120 s … capped at one hour).

With the entry log at hand (``ledger``, the kiosk always passes it) the PIN
fails closed: attempts are serialised in the log's write transaction (thirty
in parallel count thirty), the failure count and the lockout are read from
the authenticated audit rows (editing ``admin.json`` resets nothing), and
once a PIN was set, a missing, corrupt or swapped ``admin.json`` locks every
admin function, with an audit row, until the file is restored.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from db.records import AuditDetail, AuditRecord, CheckedAudit
from kiosk.config.ledger_file import pin_file_saw_a_log
from kiosk.config.settings import ConfigError, Settings, issuer_content, policy_content, values_needing_confirmation

log = logging.getLogger(__name__)
# scrypt cost of a PIN guess: n=2^17, r=8 is 128 MiB and about 0.3 s on the reference
# gate PC (2 cores); memory-hard, so a GPU or a farm of cores gains less than on a plain hash.
PIN_KDF = {"n": 2**17, "r": 8, "p": 1}
LEGACY_KDF = {"n": 2**14, "r": 8, "p": 1}  # admin.json files from before (no "kdf"): 16 MiB, ~50 ms
PIN_MIN_DIGITS, PIN_MAX_DIGITS = 6, 12
_KDF_LOCK = threading.Lock()  # one 128 MiB derivation at a time: thirty parallel tries do not take 4 GB
FREE_ATTEMPTS = 5
BASE_LOCK_S = 30.0
MAX_LOCK_S = 3600.0
LOG_RETRIES = 20  # a PIN attempt waits its turn behind others (each holds the log for milliseconds)


class PinLedger(Protocol):
    """The part of the entry store the PIN needs (``db.store.EntryStore``)."""

    def audited_attempt(self, actor: str, action: str,
                        judge: Callable[[list[CheckedAudit]], tuple[bool, AuditDetail]],
                        actions: tuple[str, ...]) -> bool: ...

    def last_audit(self, action: str) -> AuditRecord | None: ...

    def recent_audits(self, actions: tuple[str, ...], limit: int = 64) -> list[CheckedAudit]: ...

    def audit_events(self, action: str | None = None) -> list[AuditRecord]: ...

    def audit(self, actor: str, action: str, detail: AuditDetail) -> None: ...


# Audit actions that carry a PIN attempt ({"granted": bool}) or reset the count.
PIN_ACTIONS = ("set_pin", "settings", "export", "override", "purge", "change_pin", "log_key_handout",
               "ledger_accept", "confirm_policy")


def fingerprint(data: dict[str, Any]) -> str:
    """Which PIN file this is, without revealing anything about the PIN."""
    return hashlib.sha256(f"{data.get('salt')}|{data.get('hash')}".encode()).hexdigest()[:16]


class AccessDenied(Exception):
    """Wrong PIN, locked out, or no PIN set; the message is for the person at the screen."""


def as_pin(typed: str) -> str:
    """A PIN as typed, the way it is checked and hashed: full-width digits (a Chinese input method in
    full-width mode types them) become ASCII digits, so the same PIN works whichever way it was typed."""
    return unicodedata.normalize("NFKC", typed).strip()


def is_digits(pin: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes ١٢٣ and ², which no keypad types the same way twice."""
    return pin.isascii() and pin.isdigit()


def is_new_pin(typed: str) -> bool:
    """The rule for a new PIN: 6–12 digits (a 4-digit PIN from before still unlocks until changed)."""
    pin = as_pin(typed)
    return is_digits(pin) and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS


def hash_pin(pin: str, salt: bytes, kdf: dict[str, int] | None = None) -> str:
    return derive_from_pin(pin, salt, kdf or PIN_KDF).hex()


def derive_from_pin(pin: str, salt: bytes, kdf: dict[str, int]) -> bytes:
    """32 bytes from the PIN with scrypt at the given cost (the PIN hash, the export key's sealing key)."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    with _KDF_LOCK:
        return Scrypt(salt=salt, length=32, n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"])).derive(
            as_pin(pin).encode())


class AdminAccess:
    """Checks the admin PIN with lockout; records every attempt through ``audit``."""

    def __init__(self, data_dir: Path, audit: Callable[[str, str, dict[str, Any]], None] | None = None,
                 clock: Callable[[], float] = time.time, ledger: PinLedger | None = None) -> None:
        self.path = data_dir / "admin.json"
        self._ledger = ledger
        self._audit = audit or (ledger.audit if ledger is not None else (lambda *a: None))
        self._clock = clock
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {"corrupt": True}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {"corrupt": True}

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def _last_set(self) -> AuditRecord | None:
        return self._ledger.last_audit("set_pin") if self._ledger is not None else None

    @property
    def has_pin(self) -> bool:
        """A PIN is in force: the file has one, or the log says one was set (then a lost file locks)."""
        return "hash" in self._load() or self._last_set() is not None

    def _file_problem(self, data: dict[str, Any]) -> str | None:
        """Why the PIN file cannot be trusted, when the log says a PIN was set."""
        last = self._last_set()
        if last is None:
            return "管理员 PIN 文件损坏" if data.get("corrupt") else None
        if "hash" not in data or "salt" not in data:
            return "管理员 PIN 文件缺失或损坏：管理功能已锁定，请从备份恢复 admin.json"
        expected = last["detail"].get("fingerprint")
        if expected and expected != fingerprint(data):
            return "管理员 PIN 文件被替换：管理功能已锁定，请从备份恢复 admin.json"
        return None

    def set_pin(self, new_pin: str, actor: str, current_pin: str | None = None) -> None:
        if not is_new_pin(new_pin):
            raise AccessDenied(f"PIN 须为 {PIN_MIN_DIGITS}–{PIN_MAX_DIGITS} 位数字")
        with self._lock:
            if self.has_pin:
                self._check(current_pin or "", actor, "change_pin")
            salt = secrets.token_bytes(16)
            data = {"salt": salt.hex(), "hash": hash_pin(new_pin, salt, PIN_KDF), "kdf": PIN_KDF,
                    "digits": len(new_pin), "failures": 0, "locked_until": 0,
                    # Set at first-run setup, before any log: the first log opened flips it
                    # (kiosk.config.ledger_file.note_log_kept); afterwards a lost log is an alarm.
                    "log_kept": self._ledger is not None or pin_file_saw_a_log(self._load())}
            self._save(data)
        self._audit(actor, "set_pin", {"fingerprint": fingerprint(data)})

    def weakness(self) -> str | None:
        """Why the PIN in force is weaker than a new one would be (shorter than six digits, cheaper hash)."""
        data = self._load()
        if "hash" not in data:
            return None
        if data.get("kdf") != PIN_KDF:
            return "管理员 PIN 为旧版本设置（较弱的哈希，可能只有 4 位）：请更换为 6 位以上的新 PIN"
        if int(data.get("digits") or 0) < PIN_MIN_DIGITS:
            return f"管理员 PIN 少于 {PIN_MIN_DIGITS} 位，容易被离线猜出：请更换为 {PIN_MIN_DIGITS} 位以上"
        return None

    def locked_for(self) -> float:
        if self._ledger is not None:
            failures, last_at = _failures(self._history())
            return max(0.0, _locked_until(failures, last_at) - self._clock())
        return max(0.0, float(self._load().get("locked_until", 0)) - self._clock())

    def _history(self) -> list[CheckedAudit]:
        return self._ledger.recent_audits(PIN_ACTIONS) if self._ledger is not None else []

    def verify(self, pin: str, actor: str, action: str) -> None:
        """Raise ``AccessDenied`` unless ``pin`` is right and not locked; audit either way."""
        with self._lock:
            self._check(pin, actor, action)

    def _check(self, pin: str, actor: str, action: str) -> None:
        data = self._load()
        problem = self._file_problem(data)
        if problem is not None:
            self._audit(actor, "pin_missing", {"action": action, "why": problem})
            raise AccessDenied(problem)
        if "hash" not in data:
            raise AccessDenied("尚未设置管理员 PIN：请先设置")
        if self._ledger is not None:
            self._check_in_log(pin, data, actor, action)
            return
        wait = float(data.get("locked_until", 0)) - self._clock()
        if wait > 0:
            self._audit(actor, "pin_locked", {"action": action})
            raise AccessDenied(f"PIN 已锁定，请 {int(wait) + 1} 秒后再试")
        ok = _right(pin, data)
        if ok:
            data["failures"] = 0
            data["locked_until"] = 0
            data.setdefault("digits", len(pin))
            self._save(data)
            self._audit(actor, action, {"granted": True})
            return
        data["failures"] = int(data.get("failures", 0)) + 1
        over = data["failures"] - FREE_ATTEMPTS
        if over >= 0:
            data["locked_until"] = self._clock() + min(BASE_LOCK_S * 2**over, MAX_LOCK_S)
        self._save(data)
        self._audit(actor, action, {"granted": False, "failures": data["failures"]})
        left = FREE_ATTEMPTS - data["failures"]
        raise AccessDenied("PIN 错误" + (f"，还可尝试 {left} 次" if left > 0 else "，已锁定"))

    def _check_in_log(self, pin: str, data: dict[str, Any], actor: str, action: str) -> None:
        assert self._ledger is not None
        # scrypt runs before the write transaction so that the log is held for
        # milliseconds; whether the answer counts is decided inside it. Locked already:
        # no derivation at all (the attempt is refused inside the transaction anyway).
        failures, last_at = _failures(self._history())
        right = _locked_until(failures, last_at) <= self._clock() and _right(pin, data)
        outcome: dict[str, Any] = {}

        def judge(history: list[CheckedAudit]) -> tuple[bool, AuditDetail]:
            # Runs inside the log's write transaction: one attempt at a time.
            now = self._clock()
            failures, last_at = _failures(history)
            forged = _unauthenticated(history)
            if forged:
                outcome.update(forged=forged)
                log.warning("PIN attempt: %d audit row(s) not authentic, counted as failures: %s",
                            len(forged), "; ".join(forged[:5]))
            wait = _locked_until(failures, last_at) - now
            if wait > 0:
                outcome.update(locked=wait)
                return False, {"granted": None, "locked": True, "at_s": now, "unauthenticated": len(forged)}
            outcome.update(ok=right, failures=0 if right else failures + 1)
            return right, {"granted": right, "failures": outcome["failures"], "at_s": now,
                           "unauthenticated": len(forged)}

        for attempt in range(LOG_RETRIES + 1):
            try:
                self._ledger.audited_attempt(actor, action, judge, PIN_ACTIONS)
                break
            except Exception as exc:  # the attempt cannot be recorded: it does not count as granted
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or attempt == LOG_RETRIES:
                    raise AccessDenied(f"无法记录 PIN 验证（数据库不可用：{type(exc).__name__}），请稍后重试") from None
                time.sleep(0.05 * (attempt + 1))  # other attempts hold the log: take a turn after them
        forged = (f"（{len(outcome['forged'])} 条审计记录未通过日志认证，按错误计：{outcome['forged'][0]}）"
                  if outcome.get("forged") else "")
        if "locked" in outcome:
            raise AccessDenied(f"PIN 已锁定，请 {int(outcome['locked']) + 1} 秒后再试{forged}")
        if not outcome["ok"]:
            left = FREE_ATTEMPTS - outcome["failures"]
            raise AccessDenied("PIN 错误" + (f"，还可尝试 {left} 次" if left > 0 else "，已锁定") + forged)
        self._note_digits(data, pin)

    def _note_digits(self, data: dict[str, Any], pin: str) -> None:
        """A PIN from before "digits" was kept: note its length once it is known (``weakness`` reads it)."""
        if "digits" not in data:
            data["digits"] = len(as_pin(pin))
            with contextlib.suppress(OSError):
                self._save(data)


def _right(pin: str, data: dict[str, Any]) -> bool:
    """The PIN matches the file's hash, at the cost the file was made with."""
    kdf = data.get("kdf") if isinstance(data.get("kdf"), dict) else LEGACY_KDF
    try:
        return hmac.compare_digest(hash_pin(pin, bytes.fromhex(data["salt"]), kdf), data["hash"])
    except (ValueError, KeyError, TypeError):  # a damaged file grants nothing
        return False


def _failures(history: list[CheckedAudit]) -> tuple[int, float]:
    """Wrong PINs in a row since the last right one (newest first), and when the latest was tried.

    Only rows the journal vouches for count as what they say; a row that is
    not authentic (inserted, edited, deleted: ``EntryStore.recent_audits``)
    counts as a failure, so editing the log can add failures but never remove them.
    """
    failures, last_at = 0, 0.0
    times = _times(history)
    for row, at in zip(history, times):
        authentic = row.get("authentic", True)
        granted = row["detail"].get("granted", "n/a") if authentic else False
        if authentic and (row["action"] == "set_pin" or granted is True):
            break
        if granted is False:
            if not failures:
                last_at = at
            failures += 1
    return failures, last_at


def _times(history: list[CheckedAudit]) -> list[float]:
    """When each row was written. A row that is not authentic says nothing (whoever forged it chose its
    time): it takes its newer neighbour's time, else its older one's."""
    own = [_own_time(row) for row in history]
    out: list[float] = []
    for i, at in enumerate(own):
        if at is None:
            at = out[-1] if out else next((t for t in own[i + 1:] if t is not None), 0.0)
        out.append(at)
    return out


def _own_time(row: CheckedAudit) -> float | None:
    """When an authentic row says it was written (None for one that is not: only a deleted row lacks ``at``)."""
    at = row["at"]
    if not row.get("authentic", True) or at is None:
        return None
    return float(row["detail"].get("at_s") or at.timestamp())


def _unauthenticated(history: list[CheckedAudit]) -> list[str]:
    """Why each audit row of the PIN's history is not authentic (they count as failures, and are said)."""
    out = []
    for row in history:
        if not row.get("authentic", True):
            out.append(str(row.get("why")))
        elif row["action"] == "set_pin" or row["detail"].get("granted") is True:
            break  # older rows no longer count
    return out


def _locked_until(failures: int, last_at: float) -> float:
    over = failures - FREE_ATTEMPTS
    return last_at + min(BASE_LOCK_S * 2**over, MAX_LOCK_S) if over >= 0 else 0.0


def check_policy(settings: Settings, store: PinLedger) -> None:
    """Audit a policy that changed since the last start; refuse what an admin has not confirmed yet.

    Unconfirmed are: an unusual fever threshold or plausible range
    (``values_needing_confirmation``), and an issuer key (or issuer server) that
    nobody vouched for. Which keys are vouched for: those of the last
    ``admin confirm-policy``, else those in force when this log first recorded
    its issuers (the setup), plus keys pulled from the centre (signed there).
    The gate refuses to start rather than warn, because a key typed into the
    config file by whoever can edit it would otherwise turn forged codes green.
    """
    version = settings.policy.version
    issuers = issuer_content(settings.trusted_issuers, settings.health_code_patterns, settings.issuer_server_url)
    last = store.last_audit("policy_in_force")
    if last is None or last["detail"].get("version") != version:
        store.audit("kiosk", "policy_in_force", {
            "version": version, "previous": last["detail"].get("version") if last else None,
            "config_file": str(settings.source_path) if settings.source_path else None,
            "policy": policy_content(settings.policy), "issuers": issuers})
        if last is not None:
            log.warning("policy changed since the last start: %s -> %s", last["detail"].get("version"), version)
    unconfirmed = values_needing_confirmation(settings.policy) + _unvouched_issuers(settings, store, issuers)
    if unconfirmed:
        confirmed = store.last_audit("policy_confirmed")
        if confirmed is None or confirmed["detail"].get("version") != version:
            raise ConfigError("; ".join(unconfirmed) + ": an admin must confirm this policy first "
                              "(`gate-kiosk admin confirm-policy`)")


def _unvouched_issuers(settings: Settings, store: PinLedger, issuers: dict[str, Any]) -> list[str]:
    """A line for each trusted key (and the issuer server) not vouched for; see ``check_policy``."""
    from kiosk.services.publications import pulled_issuer_keys

    confirmed = store.last_audit("policy_confirmed")
    vouched: dict[str, Any] | None = confirmed["detail"].get("issuers") if confirmed is not None else None
    if not isinstance(vouched, dict):
        first = next((row for row in store.audit_events("policy_in_force")
                      if isinstance(row["detail"].get("issuers"), dict)), None)
        vouched = first["detail"]["issuers"] if first else issuers
    known = {**dict(vouched.get("trusted") or {}), **pulled_issuer_keys(settings)}
    out = [f"issuers.trusted.{key_id} is a key no admin confirmed"
           for key_id, public in sorted(settings.trusted_issuers.items()) if known.get(key_id) != public]
    if settings.issuer_server_url and settings.issuer_server_url != vouched.get("server_url"):
        out.append(f"issuers.server_url = {settings.issuer_server_url} is a server no admin confirmed")
    return out
