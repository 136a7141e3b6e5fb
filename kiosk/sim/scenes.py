"""A scenario's scenes: codes rendered into a camera frame, decoded and verified as the kiosk would."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from devices.decoders import Decoder
    from kiosk.domain.visit import CodeCheck
    from kiosk.services.ports import FrameImage
    from kiosk.services.verification import Verifier


class ScenarioError(Exception):
    """A scenario file that cannot be read, or a step or row that did not go as expected."""


class SceneMaker:
    """Renders a scene's codes into a camera frame and reads them back as the kiosk would."""

    def __init__(self, issuer_key: Ed25519PrivateKey, key_id: str, decoder: Decoder, verifier: Verifier,
                 clock: Callable[[], datetime]) -> None:
        self._key = issuer_key
        self._key_id = key_id
        self._decoder = decoder
        self._verifier = verifier
        self._clock = clock
        self._issued: dict[str, str] = {}
        self.last_frame: FrameImage | None = None  # the newest camera frame made (the window's preview shows it)

    def text_of(self, spec: Mapping[str, Any]) -> tuple[str, str, str]:
        """(content, format, colour) of one code in a scene.

        The same signed code described twice is the same code (a person shows
        the same phone again), so it is issued once per scenario.
        """
        from kiosk.services.signedcode import issue

        if "signed" in spec:
            now = int(self._clock().timestamp())
            claims: dict[str, Any] = {"k": spec["signed"], "n": spec.get("holder", "王小明"),
                                      "id": spec.get("id", "11**77"), "iat": now - 60, "exp": now + 86400}
            if spec["signed"] == "health":
                claims["s"] = spec.get("status", "green")
                if "nucleic" in spec:
                    claims["na"] = spec["nucleic"]
                    claims["nt"] = now - int(float(spec.get("nucleic_hours_ago", 20)) * 3600)
            elif spec["signed"] == "itinerary":
                claims["c"] = list(spec.get("cities", ["郑州市"]))
                claims["r"] = bool(spec.get("risk", False))
            else:
                claims["d"] = int(spec.get("doses", 3))
                claims["ld"] = "2022-01-10"
            cache_key = repr(sorted(spec.items()))
            text = self._issued.setdefault(cache_key, issue(self._key, self._key_id, claims))
            if spec.get("tamper"):
                text = text[:-6] + ("AAAAAA" if not text.endswith("AAAAAA") else "BBBBBB")
            return text, "QR_CODE", spec.get("colour", spec.get("status", "green") if spec["signed"] == "health"
                                               else "green")
        if "url" in spec:
            return str(spec["url"]), "QR_CODE", spec.get("colour", "green")
        if "card" in spec:
            return str(spec["card"]), "CODE_128", "black"
        raise ScenarioError(f"a scene code needs signed, url or card: {dict(spec)}")

    def checks(self, scene: list[Mapping[str, Any]]) -> list[CodeCheck]:
        """The code checks the kiosk gets from this scene, one code at a time (as a person shows them)."""
        from devices.codeimage import STATUS_BGR, place_on_scene, render_code

        out: list[CodeCheck] = []
        for spec in scene:
            text, fmt, colour = self.text_of(spec)
            image = render_code(text, fmt, module_px=6 if fmt == "QR_CODE" else 3, colour_bgr=STATUS_BGR[colour],
                                bar_height=120)
            frame = place_on_scene(image, centre=(640, 360), width_px=300 if fmt == "QR_CODE" else 500, seed=3)
            self.last_frame = frame
            codes = []
            for _ in range(3):  # the live decoder looks at full resolution every few empty frames
                codes = self._decoder.decode_frame(frame)
                if codes:
                    break
            if not codes:
                raise ScenarioError(f"the scene's code could not be decoded: {dict(spec)}")
            out.extend(self._verifier.verify(c).check for c in codes)
        return out
