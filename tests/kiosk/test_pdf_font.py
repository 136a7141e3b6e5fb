"""The PDF reports' Chinese font ships with the kiosk (no system font path), subset and OFL-licensed."""

from __future__ import annotations

from pathlib import Path

from kiosk.reports.pdf import BUNDLED_FONT, find_cjk_font


def test_the_bundled_font_is_used_and_covers_what_reports_print(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    from pypdf import PdfReader

    assert find_cjk_font() == BUNDLED_FONT
    font = Path(BUNDLED_FONT)
    assert font.stat().st_size < 4 * 2**20  # subset: GB 2312, not the 19 MB original
    license_text = (font.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in license_text and "Reserved Font Name" in license_text
    pdfmetrics.registerFont(TTFont("GateKioskTest", BUNDLED_FONT))
    text = "校园门岗入校核验 日报：体温 37.3 ℃ 发热 通行 禁止通行 ● 张三丰 顺丰速运"
    face = pdfmetrics.getFont("GateKioskTest").face
    missing = [ch for ch in text if ch != " " and ord(ch) not in face.charToGlyph]
    assert not missing, missing
    path = tmp_path / "t.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("GateKioskTest", 12)
    c.drawString(50, 800, text)
    c.save()
    page = PdfReader(str(path)).pages[0]
    assert "校园门岗入校核验" in page.extract_text()
    fonts = page["/Resources"]["/Font"]
    assert any("GateKioskSansSC" in str(f.get_object()["/BaseFont"]) for f in fonts.values())
