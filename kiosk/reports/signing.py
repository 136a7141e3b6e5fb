"""Signing exports: the kiosk's Ed25519 export key (locked with the admin PIN), detached ``.sig`` files, checking them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.engine import write_private
from kiosk.services.signedcode import generate_key, load_private_key, load_public_key, public_key_b64
from kiosk.reports import ExportError


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


EXPORT_KEY = "kiosk-export.pem"


def export_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / EXPORT_KEY


def export_public_key(data_dir: Path, key_file: Path | None = None) -> str | None:
    """The export public key (base64), readable without the PIN; None if no key was made yet."""
    if key_file is not None:
        return public_key_b64(_load_key(key_file, None))
    pub = export_key_path(data_dir).with_suffix(".pub")
    if pub.exists():
        return pub.read_text(encoding="utf-8").strip()
    if sealed_key_path(data_dir).exists():
        with contextlib.suppress(OSError, ValueError, KeyError):
            return str(json.loads(sealed_key_path(data_dir).read_text(encoding="utf-8"))["public_key"])
    path = export_key_path(data_dir)
    if path.exists():
        return public_key_b64(_load_key(path, None))  # an old, unencrypted key
    return None


def _load_key(path: Path, pin: str | None) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read the export signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=pin.encode() if pin else None)
    except TypeError:
        raise ExportError("the export signing key is locked with the admin PIN: give the PIN (--pin)") from None
    except ValueError:
        raise ExportError(f"cannot unlock the export signing key {path} (wrong PIN, or not a key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ExportError(f"{path}: not an Ed25519 key")
    return key


SEALED_EXPORT_KEY = "kiosk-export.sealed.json"
_SEAL_FORMAT = "gate-kiosk sealed Ed25519 key v1"


def sealed_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / SEALED_EXPORT_KEY


def _write_key(data_dir: Path, key: Ed25519PrivateKey, pin: str | None) -> None:
    """Keep the key under the PIN (scrypt, as costly as a PIN guess: ``kiosk.services.access.PIN_KDF``), or in clear
    while no PIN is set; 0600 either way, the public half beside it for ``verify-export``."""
    from cryptography.hazmat.primitives import serialization

    path = export_key_path(data_dir)
    public = public_key_b64(key)
    if pin:
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
        write_private(sealed_key_path(data_dir), json.dumps(_seal(raw, pin, public)))
        path.unlink(missing_ok=True)  # the PKCS#8 file (clear, or PBKDF2 under the PIN) goes
    else:
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        write_private(path, pem.decode("ascii"))
    write_private(path.with_suffix(".pub"), public + "\n")


def _seal(raw: bytes, pin: str, public: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from kiosk.services.access import PIN_KDF, derive_from_pin

    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(derive_from_pin(pin, salt, PIN_KDF)).encrypt(nonce, raw, (_SEAL_FORMAT + public).encode())
    return {"format": _SEAL_FORMAT, "kdf": "scrypt", **PIN_KDF, "salt": salt.hex(), "nonce": nonce.hex(),
            "sealed": base64.b64encode(sealed).decode("ascii"), "public_key": public}


def _unseal(path: Path, pin: str | None) -> Ed25519PrivateKey:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from kiosk.services.access import derive_from_pin

    if not pin:
        raise ExportError("the export signing key is locked with the admin PIN: give the PIN (--pin)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        kdf = {k: int(meta[k]) for k in ("n", "r", "p")}
        secret = derive_from_pin(pin, bytes.fromhex(meta["salt"]), kdf)
        raw = AESGCM(secret).decrypt(bytes.fromhex(meta["nonce"]), base64.b64decode(meta["sealed"]),
                                     (_SEAL_FORMAT + meta["public_key"]).encode())
    except OSError as exc:
        raise ExportError(f"cannot read the export signing key {path}: {exc.strerror}") from None
    except InvalidTag:
        raise ExportError(f"cannot unlock the export signing key {path} (wrong PIN)") from None
    except (ValueError, KeyError, TypeError):
        raise ExportError(f"{path}: the sealed export signing key is damaged") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def export_key(data_dir: Path, pin: str | None = None, key_file: Path | None = None) -> Ed25519PrivateKey:
    """The kiosk's export signing key.

    From ``key_file`` (``paths.export_key``, outside the data dir: the strong
    option) when set; otherwise sealed in ``<data dir>/keys/`` under the admin
    PIN with scrypt once a PIN is given (so it does not lie beside the log in
    clear; a copy of the data dir costs a scrypt per PIN guess), 0600. A key
    from before (clear, or PKCS#8 under the PIN) is sealed anew when the PIN
    unlocks it.
    """
    if key_file is not None:
        try:
            return _load_key(key_file, None)  # a key file in clear (its safety is where it is kept)
        except ExportError:
            return _load_key(key_file, pin)  # or one its owner locked with the PIN
    if sealed_key_path(data_dir).exists():
        return _unseal(sealed_key_path(data_dir), pin)
    path = export_key_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem, _ = generate_key()
        key = load_private_key(pem)
        _write_key(data_dir, key, pin)
        return key
    try:
        key = _load_key(path, None)
    except ExportError:
        key = _load_key(path, pin)  # PKCS#8 under the PIN (PBKDF2): the PIN unlocks it
    if pin:
        _write_key(data_dir, key, pin)  # a key from before: sealed with scrypt from now on
    return key


def rekey_export_key(data_dir: Path, old_pin: str | None, new_pin: str) -> None:
    """The admin PIN changed: the export key follows it (nothing to do without a key)."""
    if sealed_key_path(data_dir).exists() or export_key_path(data_dir).exists():
        _write_key(data_dir, export_key(data_dir, old_pin), new_pin)


def key_fingerprint(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def _signed_fields(meta: dict[str, Any]) -> bytes:
    keys = ("algorithm", "file", "sha256", "size", "key_id", "public_key", "signed_at")
    return json.dumps({k: meta[k] for k in keys}, sort_keys=True, separators=(",", ":")).encode()


def sign_export(path: Path, data_dir: Path, pin: str | None = None, key_file: Path | None = None) -> Path:
    key = export_key(data_dir, pin, key_file)
    public = public_key_b64(key)
    meta: dict[str, Any] = {
        "algorithm": "Ed25519", "file": path.name, "sha256": sha256_file(path), "size": path.stat().st_size,
        "key_id": key_fingerprint(public), "public_key": public,
        "signed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    meta["signature"] = base64.b64encode(key.sign(_signed_fields(meta))).decode()
    sig = path.with_name(path.name + ".sig")
    write_private(sig, json.dumps(meta, ensure_ascii=False, indent=1))
    return sig


@dataclass(frozen=True)
class Verification:
    """The outcome of ``verify_export``: whether the file is unchanged and signed by the trusted key, and why not."""

    ok: bool
    message: str
    key_id: str = ""


def verify_export(path: Path, trusted_public_b64: str | None, sig_path: Path | None = None) -> Verification:
    """Check a file against its ``.sig``: unchanged, signed by the trusted key."""
    sig_path = sig_path or path.with_name(path.name + ".sig")
    try:
        meta = json.loads(sig_path.read_text(encoding="utf-8"))
        signature = base64.b64decode(meta["signature"])
        signed = _signed_fields(meta)
    except FileNotFoundError:
        return Verification(False, f"no signature file {sig_path.name}")
    except (ValueError, KeyError, TypeError, RecursionError):
        return Verification(False, f"{sig_path.name} is not a valid signature file")
    key_b64 = trusted_public_b64 or meta["public_key"]
    if trusted_public_b64 and meta["public_key"] != trusted_public_b64:
        return Verification(False, "signed by another key than the trusted one", meta.get("key_id", ""))
    try:
        load_public_key(key_b64).verify(signature, signed)
    except (InvalidSignature, ValueError):  # SignedCodeError (a bad key) is a ValueError too
        return Verification(False, "the signature does not match (the .sig file was altered)", meta.get("key_id", ""))
    if not path.exists():
        return Verification(False, f"{path} not found", meta["key_id"])
    if path.stat().st_size != meta["size"] or sha256_file(path) != meta["sha256"]:
        return Verification(False, "the file was altered after signing", meta["key_id"])
    return Verification(True, f"OK: {path.name} unchanged, signed {meta['signed_at']} by key {meta['key_id']}",
                        meta["key_id"])
