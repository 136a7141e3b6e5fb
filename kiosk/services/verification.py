"""How far a decoded code can be trusted, and what it proves.

For each code the camera decodes, in order:
1. A signed code (``GK1.``, see ``kiosk.services.signedcode``): verified offline with
   the trusted issuer keys -> VERIFIED, or rejected with the reason
   (tampered, expired, unknown issuer).
2. A student card: a 1-D barcode, or a QR whose text is a roster id or card
   number -> matched against the roster.
3. Anything else may be a real health code, whose content is an opaque
   token: if an issuer server is configured, its verify call decides
   (VERIFIED). Offline or unconfigured, the code's colour is read —
   normalised against its own white quiet zone -> ADVISORY — but only when
   its content matches one of the configured health-code issuers
   (``[issuers.health_codes]``: a name and a regular expression each). Any
   other QR (a web page, a Wi-Fi code) is an unknown code that needs the
   guard: a green colour from it never passes. An unsure colour is
   "unknown", never green.

The result is a ``CodeCheck`` for the gate controller plus a ``CodeVerdict``
summary for the ``scan`` command and the window.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any, Protocol

import httpx

from db.records import RosterPerson
from devices.decoders import DecodedCode
from kiosk.domain.model import Element, Evidence, Outcome, PersonKind, Source, Strength
from kiosk.domain.visit import CodeCheck
from kiosk.config.settings import compile_issuer_patterns
from kiosk.domain.policy import Policy
from kiosk.domain.privacy import mask_id, mask_name
from kiosk.services.signedcode import (
    SignedClaims, SignedCodeError, claimed_kind, is_signed_code, load_public_key, replay_key, verify,
)

log = logging.getLogger(__name__)

ONE_D = ("CODE_128", "CODE_39", "EAN_13")
COLOUR_ZH = {"yellow": "黄码", "red": "红码"}


@dataclass(frozen=True)
class CodeVerdict:
    """What the kiosk concluded about one code (the ``scan`` command's JSON)."""

    kind: str  # health | itinerary | vaccine | card | unknown
    status: str  # green | yellow | red | unknown
    verified_by: str  # signature | server | color | roster | none
    holder: str | None
    text: str
    reason: str
    check: CodeCheck

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status, "verified_by": self.verified_by, "holder": self.holder,
                "text": self.text, "reason": self.reason}


# ------------------------------------------------------------------ colour
@dataclass(frozen=True)
class ColourReading:
    """A code's health status read from its colour, with the hue and saturation it was judged on."""

    status: str  # green | yellow | red | unknown
    hue: float | None
    saturation: float | None
    note: str


def classify_colour(colour_bgr: tuple[int, int, int] | None, white_bgr: tuple[int, int, int] | None) -> ColourReading:
    """Green / yellow / red from a code's module colour, normalised by its white reference.

    Dividing by the white of the quiet zone removes the camera's white balance
    and exposure; hue then separates the three statuses. The bands leave gaps
    between them on purpose: a colour in a gap is "unknown".
    """
    if colour_bgr is None or white_bgr is None:
        return ColourReading("unknown", None, None, "无法取色")
    white = [max(float(v), 1.0) for v in white_bgr]
    if sum(white) / 3 < 50:
        return ColourReading("unknown", None, None, "光线太暗，无法判断颜色")
    b, g, r = (min(255.0, 255.0 * float(c) / w) for c, w in zip(colour_bgr, white))
    mx, mn = max(b, g, r), min(b, g, r)
    saturation = 0.0 if mx == 0 else (mx - mn) / mx
    if saturation < 0.35 or mx < 60:
        return ColourReading("unknown", None, round(saturation, 2), "黑白二维码，无颜色可读")
    # Hue in degrees, 0..360.
    if mx == r:
        hue = (60 * ((g - b) / (mx - mn))) % 360
    elif mx == g:
        hue = 60 * ((b - r) / (mx - mn)) + 120
    else:
        hue = 60 * ((r - g) / (mx - mn)) + 240
    if hue >= 340 or hue <= 18:
        status = "red"
    elif 32 <= hue <= 68:
        status = "yellow"
    elif 85 <= hue <= 170:
        status = "green"
    else:
        return ColourReading("unknown", round(hue, 1), round(saturation, 2), f"颜色不确定（色相 {hue:.0f}°）")
    return ColourReading(status, round(hue, 1), round(saturation, 2), "")


# ------------------------------------------------------------- issuer server
class IssuerUnavailable(Exception):
    """The issuer's verify service did not give a usable answer."""


@dataclass(frozen=True)
class ServerVerdict:
    """The issuer server's answer for a code: its status, the masked holder and when the code expires."""

    status: str
    holder_name: str | None
    holder_id_masked: str | None
    expires_at: datetime | None


GRADES = {"00": "green", "01": "yellow", "10": "red"}


class IssuerServer:
    """A GB/T 38963-style 验码 call: code, app id, timestamp, nonce and HMAC signature in;
    grade (``00`` green, ``01`` yellow, ``10`` red), masked holder and expiry out."""

    def __init__(self, url: str, app_id: str, app_secret: str, *, timeout_s: float = 2.0, retries: int = 1,
                 client: httpx.Client | None = None) -> None:
        self.url = url
        self.app_id = app_id
        self._secret = app_secret.encode()
        self.timeout_s = timeout_s
        self.retries = retries
        self._client = client or httpx.Client(timeout=timeout_s)
        # Told "asking", then "ok" or "lost"/"error" (with why), on the verifier thread: the window shows
        # 正在核验… while the server is asked and an issuer light that says when it does not answer.
        self.status_listener: Callable[[str, str], None] | None = None

    def _say(self, state: str, message: str = "") -> None:
        if self.status_listener is not None:
            try:
                self.status_listener(state, message)
            except Exception:  # a window gone away must not fail a verification
                log.exception("issuer status listener failed")

    @staticmethod
    def signature(secret: bytes, app_id: str, timestamp: int, nonce: str, code: str) -> str:
        message = f"{app_id}\n{timestamp}\n{nonce}\n{code}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    def verify(self, code: str) -> ServerVerdict:
        self._say("asking")
        try:
            verdict = self._ask(code)
        except IssuerUnavailable as exc:
            self._say("error" if str(exc).startswith("rejected") else "lost", str(exc))
            raise
        self._say("ok")
        return verdict

    def _ask(self, code: str) -> ServerVerdict:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            ts, nonce = int(time.time()), secrets.token_hex(8)
            body = {"code": code, "app_id": self.app_id, "timestamp": ts, "nonce": nonce,
                    "signature": self.signature(self._secret, self.app_id, ts, nonce, code)}
            try:
                resp = self._client.post(self.url, json=body, timeout=self.timeout_s)
                if resp.status_code >= 500:
                    raise IssuerUnavailable(f"HTTP {resp.status_code}")
                if resp.status_code != 200:
                    raise IssuerUnavailable(f"rejected: HTTP {resp.status_code}")
                data = resp.json()
                grade = data.get("grade")
                if grade not in GRADES:
                    raise IssuerUnavailable(f"unknown grade {grade!r}")
                exp = data.get("expires_at")
                return ServerVerdict(GRADES[grade], data.get("name"), data.get("id"),
                                     datetime.fromtimestamp(exp, timezone.utc) if isinstance(exp, (int, float)) else None)
            except (httpx.HTTPError, ValueError, IssuerUnavailable) as exc:
                last = exc
                if isinstance(exc, IssuerUnavailable) and str(exc).startswith("rejected"):
                    break
        raise IssuerUnavailable(str(last) or type(last).__name__)

    def close(self) -> None:
        self._client.close()


class RosterLookup(Protocol):
    """The school's roster as verification reads it (``db.store.EntryStore`` in the kiosk)."""

    def find_roster(self, person_id_or_card: str) -> RosterPerson | None: ...

    def find_roster_by_name(self, name: str) -> list[RosterPerson]: ...


# ---------------------------------------------------------------- verifier
class Verifier:
    """Turns a ``DecodedCode`` into evidence (see the module docstring)."""

    def __init__(
        self,
        policy: Policy,
        trusted_keys: dict[str, str],
        roster: RosterLookup | None = None,
        server: IssuerServer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        health_code_patterns: Mapping[str, str] | None = None,
        local_tz: tzinfo = timezone.utc,
    ) -> None:
        self.policy = policy
        self._keys = {kid: load_public_key(b64) for kid, b64 in trusted_keys.items()}
        self._roster = roster
        self._server = server
        self._clock = clock
        self._tz = local_tz
        self._issuers = compile_issuer_patterns(health_code_patterns or {})

    @property
    def server(self) -> IssuerServer | None:
        """The issuer server asked about codes that carry no signature, if one is configured."""
        return self._server

    def health_issuer_of(self, text: str) -> str | None:
        """The configured health-code issuer whose pattern this content matches, if any."""
        for name, pattern in self._issuers:
            if pattern.match(text):  # from the start of the content: a pattern never matches mid-URL
                return name
        return None

    def verify(self, code: DecodedCode) -> CodeVerdict:
        text = code.text
        key = CodeCheck.key_of(code.raw or text.encode("utf-8", "surrogateescape"))
        if is_signed_code(text):
            # Replay is keyed on the canonical payload, not on the bytes read.
            return self._signed(text, replay_key(text) or key)
        if code.format in ONE_D or self._roster_match(text) is not None:
            return self._card(text, key, code.format)
        return self._health_token(code, key)

    # ---- signed codes
    def _signed(self, text: str, key: str) -> CodeVerdict:
        now = self._clock()
        try:
            claims = verify(text, self._keys, now)
        except SignedCodeError as exc:
            kind = claimed_kind(text)
            element = {"itinerary": Element.ITINERARY, "vaccine": Element.VACCINE}.get(kind, Element.HEALTH)
            ev = Evidence(element, Outcome.FAIL, Source.SIGNATURE, "invalid", Strength.VERIFIED,
                          detail={"error": exc.code}, note=exc.reason)
            return CodeVerdict(kind, "unknown", "none", None, text, exc.reason,
                               CodeCheck(key, (ev,), kind=kind if kind in ("health", "itinerary", "vaccine")
                                         else "unknown"))
        evidence = self._claims_evidence(claims, now)
        status = claims.status or ("red" if any(e.outcome is Outcome.FAIL for e in evidence) else "green")
        reason = "; ".join(([COLOUR_ZH[status]] if status in COLOUR_ZH else [])
                           + [e.note for e in evidence if e.outcome is Outcome.FAIL and e.note])
        holder = mask_name(claims.holder_name) if claims.holder_name else None
        return CodeVerdict(claims.kind, status, "signature", holder, text, reason,
                           CodeCheck(key, tuple(evidence), holder_name=claims.holder_name or None,
                                     holder_id_masked=mask_id(claims.holder_id_masked), kind=claims.kind,
                                     **self._roster_by_name(claims.holder_name)))

    def _claims_evidence(self, c: SignedClaims, now: datetime) -> list[Evidence]:
        detail: dict[str, Any] = {"issuer": c.key_id, "expires_at": c.expires_at.isoformat()}
        sig, ver = Source.SIGNATURE, Strength.VERIFIED
        if c.kind == "health":
            ok = c.status == "green"
            out = [Evidence(Element.HEALTH, Outcome.OK if ok else Outcome.FAIL, sig, c.status, ver, detail)]
            if c.nucleic_result is not None and c.nucleic_sampled_at is not None:
                # Freshness depends on who the person is (returnee 48 h, key post 7 days):
                # the policy judges it at the visit; the code only says what the test said.
                negative = c.nucleic_result == "negative"
                out.append(Evidence(Element.NUCLEIC_ACID, Outcome.OK if negative else Outcome.FAIL, sig,
                                    c.nucleic_result, ver, {"sampled_at": c.nucleic_sampled_at.isoformat()}))
            return out
        if c.kind == "itinerary":
            d = dict(detail, cities=list(c.cities))
            return [Evidence(Element.ITINERARY, Outcome.FAIL if c.risk_area else Outcome.OK, sig,
                             "risk" if c.risk_area else "ok", ver, d,
                             note="7天内到访中高风险地区" if c.risk_area else "")]
        ok = (c.doses or 0) >= 1
        d = dict(detail, doses=c.doses, last_dose=c.last_dose.isoformat() if c.last_dose else None)
        return [Evidence(Element.VACCINE, Outcome.OK if ok else Outcome.FAIL, sig, c.doses, ver, d,
                         note="" if ok else "未接种疫苗")]

    # ---- student cards
    def _roster_match(self, text: str) -> RosterPerson | None:
        if self._roster is None or not text or len(text) > 64:
            return None
        return self._roster.find_roster(text.strip())

    def _card(self, text: str, key: str, fmt: str) -> CodeVerdict:
        person = self._roster_match(text)
        if person is None:
            reason = "卡号不在名册中" if self._roster is not None else "未导入名册，无法核对学生卡"
            ev = Evidence(Element.CARD, Outcome.FAIL, Source.ROSTER, text, Strength.VERIFIED, {"format": fmt},
                          note=reason)
            return CodeVerdict("card", "unknown", "none", None, text, reason, CodeCheck(key, (ev,), kind="card"))
        kind = PersonKind.STAFF if person.kind == "staff" else PersonKind.STUDENT
        ev = Evidence(Element.CARD, Outcome.OK, Source.ROSTER, person.person_id, Strength.VERIFIED,
                      {"group": person.group, "format": fmt})
        evidence = [ev]
        health = self._roster_health(person)
        if health is not None:
            evidence.append(health)
        return CodeVerdict("card", "green", "roster", mask_name(person.name), text, "",
                           CodeCheck(key, tuple(evidence), holder_name=person.name, person_ref=person.person_id,
                                     kind_hint=kind, kind="card", group=person.group or None))

    def _roster_by_name(self, name: str) -> dict[str, Any]:
        """Who the holder of a signed code is at this school, when exactly one roster person has that name.

        So a staff member (a key post such as 门卫) showing only a health code is
        still known as staff of that group; two people of one name: no guess.
        """
        if not name or self._roster is None:
            return {}
        people = self._roster.find_roster_by_name(name)
        if len(people) != 1:
            return {}
        p = people[0]
        return {"person_ref": p.person_id, "group": p.group or None,
                "kind_hint": PersonKind.STAFF if p.kind == "staff" else PersonKind.STUDENT}

    def _roster_health(self, person: RosterPerson) -> Evidence | None:
        """The school's daily health status of this person, if it is today's (never older)."""
        if not person.health_status or person.health_date is None:
            return None
        today = self._clock().astimezone(self._tz).date()
        if person.health_date != today:
            return None
        ok = person.health_status == "green"
        return Evidence(Element.HEALTH, Outcome.OK if ok else Outcome.FAIL, Source.ROSTER, person.health_status,
                        Strength.VERIFIED, {"roster_date": person.health_date.isoformat()})

    # ---- real health codes (opaque tokens)
    def _health_token(self, code: DecodedCode, key: str) -> CodeVerdict:
        offline_note = ""
        if self._server is not None:
            try:
                sv = self._server.verify(code.text)
                ok = sv.status == "green"
                ev = Evidence(Element.HEALTH, Outcome.OK if ok else Outcome.FAIL, Source.SERVER, sv.status,
                              Strength.VERIFIED, {"expires_at": sv.expires_at.isoformat() if sv.expires_at else None})
                return CodeVerdict("health", sv.status, "server", mask_name(sv.holder_name), code.text,
                                   COLOUR_ZH.get(sv.status, ""),
                                   CodeCheck(key, (ev,), holder_name=sv.holder_name,
                                             holder_id_masked=mask_id(sv.holder_id_masked), kind="health"))
            except IssuerUnavailable as exc:
                log.warning("issuer server unavailable, reading the colour: %s", exc)
                offline_note = "验码服务不可用，改为颜色识别"
        issuer = self.health_issuer_of(code.text)
        if issuer is None:
            # Not a health code of any configured issuer: its colour means nothing.
            ev = Evidence(Element.HEALTH, Outcome.UNKNOWN, Source.COLOR, "unknown", Strength.UNVERIFIABLE,
                          {"unknown_code": True}, note="不是已知的健康码")
            reason = "; ".join(x for x in (offline_note, "不是已知的健康码，需人工核验") if x)
            return CodeVerdict("unknown", "unknown", "none", None, code.text, reason,
                               CodeCheck(key, (ev,), kind="unknown"))
        reading = classify_colour(code.colour, code.white)
        detail = {"hue": reading.hue, "saturation": reading.saturation, "issuer": issuer}
        if reading.status == "unknown":
            ev = Evidence(Element.HEALTH, Outcome.UNKNOWN, Source.COLOR, "unknown", Strength.UNVERIFIABLE, detail,
                          note=reading.note)
            reason = "; ".join(x for x in (offline_note, reading.note) if x)
            return CodeVerdict("health", "unknown", "none", None, code.text, reason,
                               CodeCheck(key, (ev,), kind="health"))
        ok = reading.status == "green"
        note = "仅颜色识别，未经验证" if ok else "颜色识别"
        ev = Evidence(Element.HEALTH, Outcome.OK if ok else Outcome.FAIL, Source.COLOR, reading.status,
                      Strength.ADVISORY, detail, note=note)
        reason = "; ".join(x for x in (offline_note, note if ok else f"{COLOUR_ZH[reading.status]}（颜色识别）") if x)
        return CodeVerdict("health", reading.status, "color", None, code.text, reason,
                           CodeCheck(key, (ev,), kind="health"))
