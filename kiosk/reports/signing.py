"""Signing exports: the kiosk's Ed25519 export key (locked with the admin PIN), detached ``.sig`` files, checking them."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.store import write_private
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


def _write_key(path: Path, key: Ed25519PrivateKey, pin: str | None) -> None:
    from cryptography.hazmat.primitives import serialization

    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(pin.encode()) if pin else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    write_private(path, pem.decode("ascii"))
    write_private(path.with_suffix(".pub"), public_key_b64(key) + "\n")


def export_key(data_dir: Path, pin: str | None = None, key_file: Path | None = None) -> Ed25519PrivateKey:
    """The kiosk's export signing key.

    From ``key_file`` (``paths.export_key``, outside the data dir) when set;
    otherwise ``<data dir>/keys/kiosk-export.pem``, encrypted with the admin
    PIN once one is given (so it does not lie beside the log in clear), 0600.
    """
    if key_file is not None:
        return _load_key(key_file, pin)
    path = export_key_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem, _ = generate_key()
        key = load_private_key(pem)
        _write_key(path, key, pin)
        return key
    try:
        key = _load_key(path, None)
    except ExportError:
        return _load_key(path, pin)  # encrypted: the PIN unlocks it
    if pin:
        _write_key(path, key, pin)  # a key from before: lock it with the PIN from now on
    return key


def rekey_export_key(data_dir: Path, old_pin: str | None, new_pin: str) -> None:
    """The admin PIN changed: the export key follows it (nothing to do without a key)."""
    path = export_key_path(data_dir)
    if path.exists():
        _write_key(path, export_key(data_dir, old_pin), new_pin)


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
