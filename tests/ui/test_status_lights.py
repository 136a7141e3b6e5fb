"""The window's status lights and banner for what a gate has and lacks: an issuer server that does not
answer, a gate with a keyboard scanner and no camera or thermometer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from kiosk.domain.model import Lane, PersonKind


def test_a_code_sent_to_a_hanging_issuer_server_says_checking_and_then_that_it_does_not_answer(qtbot, gate) -> None:
    """Trial finding 4: the banner kept 请出示健康码 for 4-5 s while the issuer server was asked; no issuer light."""
    from kiosk.domain.policy import Policy
    from kiosk.services.scanning import VerificationService
    from kiosk.services.verification import IssuerServer, Verifier
    from tests.central.netfaults import SilentServer

    window, kiosk, clock = gate
    srv = SilentServer()
    server = IssuerServer(srv.url, "app", "secret", timeout_s=1.5, retries=0)
    codes = VerificationService(Verifier(Policy(), {}, server=server, health_code_patterns={"county": r"^HC:"}),
                                kiosk.controller)
    window._desk.codes = codes
    window.watch_issuer(server)  # as the window does at start when the kiosk has an issuer server
    codes.start()
    try:
        assert "验码服务器" in window.lights["issuer"].text()
        kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        qtbot.keyClicks(window, "HC:0001-GREEN")  # a keyboard scanner reads a county health code
        qtbot.keyClick(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "正在核验" in window.banner.text(), timeout=1000)
        assert window.lights["issuer"].state == "asking"
        qtbot.waitUntil(lambda: window.lights["issuer"].state == "lost", timeout=5000)
        assert "验码服务器无应答" in window.banner.text() and "正在核验" not in window.banner.text()
        assert "F3" in window.banner.text()  # what to do instead
    finally:
        codes.close()
        srv.close()


def test_a_scanner_only_gate_says_what_it_has_and_does_not_wait_for_a_camera(qtbot, tmp_path: Path) -> None:
    """Trial finding 10: 等待摄像头画面…, 摄像头 未知, no scanner light and 校准 有效 with no thermometer."""
    from kiosk.config.loading import load_settings
    from tests.fakes import ManualClock
    from tests.ui.conftest import open_window

    config = tmp_path / "config.toml"
    config.write_text('[devices]\ncamera = ""\nscanner = "keyboard"\nthermometer = ""\n')
    window, kiosk = open_window(qtbot, load_settings(config), ManualClock())
    try:
        assert "未接摄像头" in window.camera.idle_text
        assert window.lights["camera"].state == "stopped" and "未使用" in window.lights["camera"].text()
        assert "未使用" in window.lights["face"].text() and "未使用" in window.lights["thermometer"].text()
        assert "无测温仪" in window.lights["calibration"].text() and "有效" not in window.lights["calibration"].text()
        scanner = window.lights["scanner"]
        assert "扫码枪" in scanner.text() and scanner.state == "unknown"
        seen: list[str] = []
        window._desk.code_from_keyboard_scanner = seen.append
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        qtbot.keyClicks(window, "2023001")
        qtbot.keyClick(window, Qt.Key.Key_Return)
        assert seen == ["2023001"] and scanner.state == "ok"  # a code read: the scanner works
    finally:
        window.close()
        kiosk.close()
