"""Verification: signed codes, colour reading under lighting shifts, the issuer server, student cards."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.records import RosterPerson
from devices.codeimage import STATUS_BGR, glare, low_light, place_on_scene, render_code, tint
from devices.decoders import DecodedCode, ZxingDecoder
from kiosk.domain.model import Element, Outcome, Source, Strength
from kiosk.domain.policy import Policy
from kiosk.services.signedcode import SignedCodeError, generate_key, issue, load_private_key, load_public_key, verify
from kiosk.services.verification import IssuerServer, Verifier, classify_colour

NOW = datetime(2022, 3, 1, 8, 0, tzinfo=timezone.utc)
T = int(NOW.timestamp())


@pytest.fixture(scope="module")
def keys():
    pem, pub = generate_key()
    other_pem, other_pub = generate_key()
    return load_private_key(pem), pub, load_private_key(other_pem), other_pub


HC_ISSUER = {"hc-example": r"^https://hc\.example\.cn/"}


def verifier(pub: str, **kw) -> Verifier:
    kw.setdefault("health_code_patterns", HC_ISSUER)
    return Verifier(Policy(), {"county": pub}, clock=lambda: NOW, **kw)


def code(text: str, fmt: str = "QR_CODE", colour=None, white=None) -> DecodedCode:
    return DecodedCode(fmt, text.encode(), text, ((0, 0), (1, 0), (1, 1), (0, 1)), colour, white, "test")


def health(key, **kw) -> str:
    claims = dict(k="health", n="王小明", id="11**77", iat=T - 60, exp=T + 3600, s="green")
    claims.update(kw)
    return issue(key, "county", claims)


def test_signed_green_with_fresh_nucleic_acid(keys) -> None:
    key, pub, _, _ = keys
    v = verifier(pub).verify(code(health(key, na="negative", nt=T - 20 * 3600)))
    assert (v.kind, v.status, v.verified_by, v.holder) == ("health", "green", "signature", "王*明")
    by = {e.element: e for e in v.check.evidence}
    assert by[Element.HEALTH].outcome is Outcome.OK and by[Element.HEALTH].strength is Strength.VERIFIED
    assert by[Element.NUCLEIC_ACID].outcome is Outcome.OK
    # Whether a test is fresh enough depends on who shows it (returnee 48 h, key post 7 days):
    # the code says what the test said and when, the policy judges freshness at the visit.
    stale = verifier(pub).verify(code(health(key, na="negative", nt=T - 50 * 3600)))
    nucleic = {e.element: e for e in stale.check.evidence}[Element.NUCLEIC_ACID]
    assert nucleic.outcome is Outcome.OK and nucleic.detail["sampled_at"].startswith("2022-")
    positive = verifier(pub).verify(code(health(key, na="positive", nt=T - 2 * 3600)))
    assert {e.element: e for e in positive.check.evidence}[Element.NUCLEIC_ACID].outcome is Outcome.FAIL


def test_a_green_qr_that_is_no_known_health_code_never_counts(keys) -> None:
    _, pub, _, _ = keys
    for text in ("https://example.com/landing", "WIFI:S:school;T:WPA;P:x;;", "https://hc.example.cn.evil.com/x"):
        v = verifier(pub).verify(code(text, colour=(60, 170, 20), white=(250, 250, 250)))
        ev = v.check.evidence[0]
        assert (v.kind, v.status) == ("unknown", "unknown"), text
        assert ev.outcome is Outcome.UNKNOWN and ev.strength is Strength.UNVERIFIABLE
    # Nothing configured: no opaque code is read by colour at all.
    v = verifier(pub, health_code_patterns={}).verify(code("https://hc.example.cn/t/2", colour=(60, 170, 20),
                                                           white=(250, 250, 250)))
    assert v.status == "unknown"


@pytest.mark.parametrize("status", ["yellow", "red"])
def test_signed_yellow_red_fail(keys, status: str) -> None:
    key, pub, _, _ = keys
    v = verifier(pub).verify(code(health(key, s=status)))
    assert v.status == status and v.check.evidence[0].outcome is Outcome.FAIL


def test_itinerary_and_vaccine(keys) -> None:
    key, pub, _, _ = keys
    it = issue(key, "county", dict(k="itinerary", n="张", id="41**33", iat=T, exp=T + 99, c=["郑州市"], r=True))
    v = verifier(pub).verify(code(it))
    assert v.kind == "itinerary" and v.check.evidence[0].outcome is Outcome.FAIL
    assert v.check.evidence[0].detail["cities"] == ["郑州市"]
    vac = issue(key, "county", dict(k="vaccine", n="张", id="41**33", iat=T, exp=T + 99, d=3, ld="2022-01-10"))
    v = verifier(pub).verify(code(vac))
    assert v.kind == "vaccine" and v.check.evidence[0].outcome is Outcome.OK and v.check.evidence[0].value == 3


def test_deeply_nested_payload_is_malformed_not_a_crash(keys) -> None:
    _, pub, _, _ = keys
    body = base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=").decode()
    with pytest.raises(SignedCodeError, match="损坏"):
        verify(f"GK1.{body}.AAAA", {"county": load_public_key(pub)}, NOW)
    v = verifier(pub).verify(code(f"GK1.{body}.AAAA"))
    assert v.kind == "unknown" and v.check.evidence[0].outcome is Outcome.FAIL


def test_forged_tampered_expired_unknown_issuer(keys) -> None:
    key, pub, other, _ = keys
    good = health(key)
    head, body, sig = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["s"] = "green"
    payload["n"] = "冒名者"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    cases = {
        "tampered": f"{head}.{forged_body}.{sig}",
        "forged": issue(other, "county", dict(k="health", n="x", id="1", iat=T, exp=T + 60, s="green")),
        "unknown issuer": issue(other, "elsewhere", dict(k="health", n="x", id="1", iat=T, exp=T + 60, s="green")),
        "expired": health(key, iat=T - 7200, exp=T - 1),
        "future": health(key, iat=T + 3600, exp=T + 7200),
        "truncated": good[:-10],
    }
    reasons = {}
    for name, text in cases.items():
        v = verifier(pub).verify(code(text))
        ev = v.check.evidence[0]
        assert ev.outcome is Outcome.FAIL and ev.element is Element.HEALTH, name
        assert v.verified_by == "none" and v.reason, name
        reasons[name] = v.reason
    assert "篡改" in reasons["tampered"] and "篡改" in reasons["forged"]
    assert "未受信任" in reasons["unknown issuer"] and "过期" in reasons["expired"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=200).map(lambda t: "GK1." + t),
    st.binary(max_size=150).map(lambda b: "GK1." + base64.urlsafe_b64encode(b).decode() + ".AAAA"),
    st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=8), st.none(), st.booleans(),
                                                   st.lists(st.integers(), max_size=3)), max_size=8)
    .map(lambda d: "GK1." + base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=") + ".AAAA"),
))
def test_fuzz_signed_code_parser_raises_only_its_own_error(text: str) -> None:
    pub = load_public_key(base64.b64encode(b"\x01" * 32).decode())
    try:
        verify(text, {"county": pub}, NOW)
    except SignedCodeError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["k", "n", "id", "iat", "exp", "s", "na", "nt", "c", "r", "d", "ld", "kid"]),
                       st.one_of(st.integers(-10**12, 10**12), st.text(max_size=6), st.none(), st.booleans(),
                                 st.floats(allow_nan=True), st.lists(st.text(max_size=3), max_size=3)), max_size=13))
def test_fuzz_properly_signed_but_odd_payloads(keys_payload) -> None:
    pem, pub = _FUZZ_KEY
    key = load_private_key(pem)
    claims = {k: v for k, v in keys_payload.items() if k != "kid"}
    text = issue(key, "county", claims)
    try:
        verify(text, {"county": load_public_key(pub)}, NOW)
    except SignedCodeError:
        pass


_FUZZ_KEY = generate_key()


@pytest.mark.parametrize("status", ["green", "yellow", "red"])
@pytest.mark.parametrize("light", ["neutral", "warm", "cool", "dim", "bright", "glare"])
def test_colour_reading_through_the_camera_under_lighting_shifts(status: str, light: str) -> None:
    frame = place_on_scene(render_code("https://hc.example.cn/t/1", module_px=6, colour_bgr=STATUS_BGR[status]),
                           width_px=300)
    frame = {
        "neutral": lambda f: f,
        "warm": lambda f: tint(f, (0.75, 0.95, 1.15)),
        "cool": lambda f: tint(f, (1.2, 1.0, 0.8)),
        "dim": lambda f: low_light(f, 0.35, 3.0),
        "bright": lambda f: tint(f, (1.3, 1.3, 1.3)),
        "glare": lambda f: glare(f, 0.35),
    }[light](frame)
    (decoded,) = ZxingDecoder().decode_image(frame)
    reading = classify_colour(decoded.colour, decoded.white)
    assert reading.status == status, (light, reading)


def test_black_and_ambiguous_colours_are_unknown_never_green() -> None:
    assert classify_colour((20, 20, 20), (240, 240, 240)).status == "unknown"
    assert classify_colour((0, 128, 255), (250, 250, 250)).status == "unknown"  # orange: between red and yellow
    assert classify_colour((200, 120, 20), (250, 250, 250)).status == "unknown"  # blue
    assert classify_colour((10, 30, 10), (30, 30, 30)).status == "unknown"  # too dark to tell
    assert classify_colour(None, None).status == "unknown"


def test_colour_only_health_code_is_advisory_and_unknown_is_unverifiable(keys) -> None:
    _, pub, _, _ = keys
    v = verifier(pub).verify(code("https://hc.example.cn/t/2", colour=(60, 170, 20), white=(250, 250, 250)))
    ev = v.check.evidence[0]
    assert (v.status, v.verified_by, ev.strength, ev.source) == ("green", "color", Strength.ADVISORY, Source.COLOR)
    v = verifier(pub).verify(code("https://hc.example.cn/t/3", colour=(20, 20, 20), white=(250, 250, 250)))
    assert v.status == "unknown" and v.check.evidence[0].outcome is Outcome.UNKNOWN
    assert v.check.evidence[0].strength is Strength.UNVERIFIABLE


class Roster:
    def find_roster(self, key: str):
        people = {"2023001": RosterPerson("2023001", "李雷", "student", "初二(3)班", "S2023001")}
        by_card = {p.card_number: p for p in people.values()}
        return people.get(key) or by_card.get(key)

    def find_roster_by_name(self, name: str):
        return []


def test_student_card_barcode_and_qr_against_the_roster(keys) -> None:
    _, pub, _, _ = keys
    v = verifier(pub, roster=Roster()).verify(code("S2023001", "CODE_128"))
    assert (v.kind, v.status, v.verified_by, v.holder) == ("card", "green", "roster", "李*")
    assert v.check.person_ref == "2023001" and v.check.kind_hint.value == "student"
    v = verifier(pub, roster=Roster()).verify(code("2023001"))  # a QR holding the student number
    assert v.kind == "card" and v.verified_by == "roster"
    v = verifier(pub, roster=Roster()).verify(code("S9999999", "CODE_128"))
    assert v.verified_by == "none" and v.check.evidence[0].outcome is Outcome.FAIL and "名册" in v.reason


class IssuerHandler(BaseHTTPRequestHandler):
    secret = b"s3cret"
    mode = "ok"
    calls = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).calls += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.mode == "slow":
            time.sleep(1.0)
        if self.mode == "error" or (self.mode == "flaky" and type(self).calls == 1):
            self.send_response(503)
            self.end_headers()
            return
        expected = IssuerServer.signature(self.secret, body["app_id"], body["timestamp"], body["nonce"], body["code"])
        if body["signature"] != expected:
            self.send_response(401)
            self.end_headers()
            return
        grade = {"GREEN": "00", "YELLOW": "01"}.get(body["code"].rsplit("/", 1)[-1], "10")
        data = json.dumps({"grade": grade, "name": "王*明", "id": "11**77", "expires_at": T + 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def issuer_server():
    server = HTTPServer(("127.0.0.1", 0), IssuerHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    IssuerHandler.mode, IssuerHandler.calls = "ok", 0
    yield f"http://127.0.0.1:{server.server_port}/verify"
    server.shutdown()


@pytest.mark.parametrize("token, status", [("GREEN", "green"), ("YELLOW", "yellow"), ("RED", "red")])
def test_issuer_server_grades(keys, issuer_server, token: str, status: str) -> None:
    _, pub, _, _ = keys
    srv = IssuerServer(issuer_server, "kiosk-1", "s3cret")
    v = verifier(pub, server=srv).verify(code(f"https://hc.example.cn/{token}"))
    assert (v.status, v.verified_by) == (status, "server")
    assert v.check.evidence[0].strength is Strength.VERIFIED and v.check.holder_name == "王*明"


def test_issuer_server_retry_then_success(keys, issuer_server) -> None:
    _, pub, _, _ = keys
    IssuerHandler.mode = "flaky"
    v = verifier(pub, server=IssuerServer(issuer_server, "kiosk-1", "s3cret", retries=1)).verify(
        code("https://hc.example.cn/GREEN"))
    assert v.verified_by == "server" and IssuerHandler.calls == 2


@pytest.mark.parametrize("mode", ["error", "slow", "wrong secret", "offline"])
def test_issuer_server_down_falls_back_to_colour(keys, issuer_server, mode: str) -> None:
    _, pub, _, _ = keys
    IssuerHandler.mode = mode
    url = "http://127.0.0.1:9/verify" if mode == "offline" else issuer_server
    srv = IssuerServer(url, "kiosk-1", "wrong" if mode == "wrong secret" else "s3cret", timeout_s=0.3, retries=1)
    v = verifier(pub, server=srv).verify(code("https://hc.example.cn/GREEN", colour=(40, 30, 215),
                                              white=(250, 250, 250)))
    assert (v.status, v.verified_by) == ("red", "color")
    assert "验码服务不可用" in v.reason
    assert v.check.evidence[0].strength is Strength.ADVISORY


# ---- issue 16: one code, one spelling; no full ID leaves the core
def _respell(text: str) -> list[str]:
    head, payload, sig = text.split(".")
    last = sig[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # Ed25519 signatures are 64 bytes: the last character carries 4 unused bits.
    twin = alphabet[alphabet.index(last) ^ 1]
    return [f"{head}.{payload}.{sig}==", f"{head}.{payload}.{sig[:-1]}{twin}", f"{head}.{payload}=.{sig}",
            f"{head}.{payload}.{sig[:10]}\n{sig[10:]}"]


def test_a_respelled_signed_code_is_malformed_not_a_new_code(keys) -> None:
    from kiosk.services.signedcode import replay_key

    key, pub, _, _ = keys
    text = health(key)
    good = verifier(pub).verify(code(text))
    assert good.verified_by == "signature" and good.check.content_key == replay_key(text)
    for spelling in _respell(text):
        with pytest.raises(SignedCodeError) as err:
            verify(spelling, {"county": load_public_key(pub)}, NOW)
        assert err.value.code == "malformed", spelling
        v = verifier(pub).verify(code(spelling))
        assert v.verified_by == "none" and v.check.evidence[0].outcome is Outcome.FAIL


def test_the_replay_key_is_the_payload_not_the_bytes_read(keys) -> None:
    from kiosk.services.signedcode import replay_key

    key, pub, _, _ = keys
    text = health(key)
    assert replay_key(text) == replay_key(text.split(".")[0] + "." + text.split(".")[1] + ".AAAA")
    assert replay_key(text) != replay_key(health(key, s="yellow"))
    assert replay_key("not a code") is None


def test_a_full_id_number_in_a_signed_code_is_masked_before_the_gate_sees_it(keys) -> None:
    key, pub, _, _ = keys
    v = verifier(pub).verify(code(health(key, id="110101199003077777")))
    assert v.check.holder_id_masked == "11**************77"
    assert "110101199003077777" not in repr(v.check)
