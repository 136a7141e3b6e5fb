"""What the code tile says about where its evidence came from."""

from __future__ import annotations


def test_an_unknown_code_is_not_said_to_be_a_colour_reading(qtbot, gate) -> None:
    """A code of no known issuer (a scanner's text, a web page's QR): nothing was read from its colour."""
    from devices.decoders import DecodedCode
    from kiosk.domain.policy import Policy
    from kiosk.services.verification import Verifier

    window, kiosk, _ = gate
    text = "https://example.com/menu"
    verdict = Verifier(Policy(), {}).verify(DecodedCode("QRCode", text.encode(), text, (), None, None, "keyboard"))
    kiosk.controller.code_seen(verdict.check)
    qtbot.waitUntil(lambda: window.tiles["code"].value.text().endswith(window.tr("未知二维码")))
    assert window.tiles["code"].source.text() == window.tr("需人工核验")
    assert window.tiles["code"].state == "pending"  # amber: the guard looks, never green
