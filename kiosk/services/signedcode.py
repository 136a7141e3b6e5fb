"""The kiosk's signed code format for health, itinerary and vaccination codes.

Real health codes carry an opaque token; only the issuer can vouch for them.
Where a school or district issues its own codes (or a vendor integrates), a
compact signed format lets the kiosk verify offline:

    GK1.<payload>.<signature>

``payload`` is base64url (no padding) of compact UTF-8 JSON with sorted keys;
``signature`` is base64url of the Ed25519 signature of the ASCII bytes
``GK1.<payload>``. Payload keys:

    k    kind: "health" | "itinerary" | "vaccine"
    n    holder name (masked or full, as issued)     id   masked ID (first 2 + last 2)
    kid  issuer key id (must be in the trusted keys)
    iat  issued at, epoch seconds                      exp  expires at, epoch seconds
    health:    s status "green"|"yellow"|"red"; na nucleic result "negative"|"positive" (optional);
               nt nucleic sampling time, epoch seconds (optional)
    itinerary: c list of cities visited in the last 7 days; r risk-area flag (bool)
    vaccine:   d doses (int); ld last dose date "YYYY-MM-DD"

Parsing never raises anything but ``SignedCodeError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization

PREFIX = "GK1."
KINDS = ("health", "itinerary", "vaccine")
STATUSES = ("green", "yellow", "red")


class SignedCodeError(ValueError):
    """The code is not a valid signed code; ``reason`` says why in words for the guard."""

    def __init__(self, reason: str, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class SignedClaims:
    """What a verified signed code says."""

    kind: str
    holder_name: str
    holder_id_masked: str
    key_id: str
    issued_at: datetime
    expires_at: datetime
    status: str | None = None
    nucleic_result: str | None = None
    nucleic_sampled_at: datetime | None = None
    cities: tuple[str, ...] = ()
    risk_area: bool = False
    doses: int | None = None
    last_dose: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64d(text: str) -> bytes:
    """Strict base64url without padding: one code, one spelling.

    Python's decoder skips junk, accepts padding and ignores the unused low
    bits of the last character, so one signed code had many spellings and
    each passed replay detection as a new code. Anything but the canonical
    spelling is a malformed code.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise SignedCodeError("签名码格式损坏（base64）", "malformed")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SignedCodeError("签名码格式损坏（base64）", "malformed") from None
    if _b64e(data) != text:
        raise SignedCodeError("签名码格式损坏（base64 非规范写法）", "malformed")
    return data


def replay_key(text: str) -> str | None:
    """The canonical key of a signed code for replay detection: a digest of its decoded payload.

    The same payload is the same code whatever else differs; ``None`` when the
    text is not a well-formed signed code (it is then judged malformed anyway).
    """
    parts = text.split(".")
    if len(parts) != 3 or parts[0] + "." != PREFIX:
        return None
    try:
        payload = _b64d(parts[1])
    except SignedCodeError:
        return None
    return hashlib.sha256(PREFIX.encode("ascii") + payload).hexdigest()[:32]


def generate_key() -> tuple[bytes, str]:
    """A new issuer key: (private key PEM, public key base64 of the raw 32 bytes)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, base64.b64encode(raw).decode("ascii")


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SignedCodeError(f"not an Ed25519 private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignedCodeError("not an Ed25519 private key")
    return key


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_public_key(b64: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise SignedCodeError(f"not an Ed25519 public key: {exc}") from None


def issue(key: Ed25519PrivateKey, key_id: str, claims: dict[str, Any]) -> str:
    """Sign ``claims`` (the payload keys above, without kid) and return the code text."""
    payload = dict(claims, kid=key_id)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    signed = PREFIX + _b64e(body)
    return signed + "." + _b64e(key.sign(signed.encode("ascii")))


def claimed_kind(text: str) -> str:
    """The kind a signed code claims, read without trusting it (only to name the element it is about)."""
    parts = text.split(".")
    if len(parts) != 3:
        return "unknown"
    try:
        payload = json.loads(_b64d(parts[1]).decode("utf-8"))
    except (SignedCodeError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "unknown"
    kind = payload.get("k") if isinstance(payload, dict) else None
    return kind if kind in KINDS else "unknown"


def is_signed_code(text: str) -> bool:
    return text.startswith(PREFIX)


def verify(text: str, trusted: dict[str, Ed25519PublicKey], now: datetime) -> SignedClaims:
    """Check signature, issuer and validity; return the claims or raise ``SignedCodeError``."""
    if not text.startswith(PREFIX):
        raise SignedCodeError("不是签名码", "not_signed")
    parts = text.split(".")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise SignedCodeError("签名码格式损坏", "malformed")
    body, sig = _b64d(parts[1]), _b64d(parts[2])
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # deep nesting fits in a QR code
        raise SignedCodeError("签名码内容损坏", "malformed") from None
    if not isinstance(payload, dict):
        raise SignedCodeError("签名码内容损坏", "malformed")
    kid = payload.get("kid")
    if not isinstance(kid, str) or kid not in trusted:
        raise SignedCodeError(f"签发机构未受信任（{str(kid)[:16]}）", "unknown_issuer")
    try:
        trusted[kid].verify(sig, (PREFIX + parts[1]).encode("ascii"))
    except (InvalidSignature, ValueError):
        raise SignedCodeError("签名无效：二维码被篡改或伪造", "bad_signature") from None
    claims = _claims(payload)
    if claims.issued_at > now.replace(microsecond=0) + _SKEW:
        raise SignedCodeError("签发时间在未来：请核对本机时间", "not_yet_valid")
    if now >= claims.expires_at:
        raise SignedCodeError(f"二维码已过期（{claims.expires_at.astimezone():%m-%d %H:%M}）", "expired")
    return claims


_SKEW = timedelta(minutes=5)  # clocks of phones, issuers and kiosks drift


def _epoch(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SignedCodeError(f"签名码字段 {name} 无效", "malformed")
    try:
        return datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise SignedCodeError(f"签名码字段 {name} 无效", "malformed") from None


def _str(payload: dict[str, Any], key: str, default: str | None = None) -> str:
    value = payload.get(key, default)
    if not isinstance(value, str):
        raise SignedCodeError(f"签名码字段 {key} 无效", "malformed")
    return value


def _claims(p: dict[str, Any]) -> SignedClaims:
    kind = p.get("k")
    if kind not in KINDS:
        raise SignedCodeError("签名码类型未知", "malformed")
    common = dict(kind=kind, holder_name=_str(p, "n", ""), holder_id_masked=_str(p, "id", ""),
                  key_id=_str(p, "kid"), issued_at=_epoch(p.get("iat"), "iat"), expires_at=_epoch(p.get("exp"), "exp"))
    if kind == "health":
        status = p.get("s")
        if status not in STATUSES:
            raise SignedCodeError("健康码状态无效", "malformed")
        na = p.get("na")
        if na not in (None, "negative", "positive"):
            raise SignedCodeError("核酸结果无效", "malformed")
        nt = _epoch(p["nt"], "nt") if "nt" in p else None
        return SignedClaims(**common, status=status, nucleic_result=na, nucleic_sampled_at=nt)
    if kind == "itinerary":
        cities = p.get("c", [])
        if not isinstance(cities, list) or not all(isinstance(c, str) for c in cities):
            raise SignedCodeError("行程城市无效", "malformed")
        risk = p.get("r", False)
        if not isinstance(risk, bool):
            raise SignedCodeError("行程风险标记无效", "malformed")
        return SignedClaims(**common, cities=tuple(cities), risk_area=risk)
    doses = p.get("d")
    if isinstance(doses, bool) or not isinstance(doses, int) or not 0 <= doses <= 10:
        raise SignedCodeError("接种剂次无效", "malformed")
    try:
        last = date.fromisoformat(_str(p, "ld")) if "ld" in p else None
    except ValueError:
        raise SignedCodeError("末次接种日期无效", "malformed") from None
    return SignedClaims(**common, doses=doses, last_dose=last)
