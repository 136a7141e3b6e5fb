"""Make the PDF reports' bundled Chinese font: Noto Sans CJK SC, subset to GB 2312, with TrueType outlines.

    .venv/bin/pip install fonttools && .venv/bin/python scripts/make_pdf_font.py [SOURCE.ttc]

Why: ReportLab embeds only TrueType (glyf) outlines, and a school's Windows PC
has no fonts-wqy-microhei. Noto Sans CJK (SIL Open Font License 1.1) ships
with CFF outlines and 65,000 glyphs (19 MB per weight), so this script keeps
the characters a report can contain (ASCII, Latin-1, GB 2312's 7,445
characters and symbols, CJK and full-width punctuation, plus every character
in the kiosk's own source), converts the curves to quadratic TrueType
outlines (fontTools cu2qu, error 1 unit of 1000), and renames the family:
OFL 1.1 reserves "Source" and Google's trademark covers "Noto", so a modified
version may use neither. The license goes next to the font (kiosk/fonts/OFL.txt).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "kiosk" / "fonts" / "GateKioskSansSC-Regular.ttf"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")  # Debian's fonts-noto-cjk
FAMILY = "GateKiosk Sans SC"
POSTSCRIPT = "GateKioskSansSC-Regular"


def characters() -> set[int]:
    wanted = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x2000, 0x2070))
    wanted |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0)) | set(range(0x2190, 0x2200))
    wanted |= {0x2103, 0x2116, 0x2460, 0x2714, 0x2718, 0x25CF, 0x25CB, 0x26A0}  # ℃ № ① ✔ ✘ ● ○ ⚠
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                wanted.update(map(ord, bytes([b1, b2]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for folder in ("kiosk", "ui", "db", "devices"):
        for path in (REPO / folder).rglob("*.py"):
            wanted.update(ord(ch) for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x7F)
    return wanted


def to_truetype(font: object) -> None:
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    f: object = font
    glyph_order = f.getGlyphOrder()  # type: ignore[attr-defined]
    glyph_set = f.getGlyphSet()  # type: ignore[attr-defined]
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    f["loca"] = newTable("loca")  # type: ignore[index]
    glyf = f["glyf"] = newTable("glyf")  # type: ignore[index]
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    for table in ("CFF ", "VORG"):
        if table in f:  # type: ignore[operator]
            del f[table]  # type: ignore[attr-defined]
    glyf.compile(f)
    hmtx = f["hmtx"]  # type: ignore[index]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = f["maxp"] = newTable("maxp")  # type: ignore[index]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones",):
        setattr(maxp, attr, 1)
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                 "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.compile(f)
    post = f["post"]  # type: ignore[index]
    post.formatType = 3.0  # no glyph names: 7,000 CID names would only add size
    post.extraNames, post.mapping = [], {}
    f.sfntVersion = "\x00\x01\x00\x00"  # type: ignore[attr-defined]


def rename(font: object) -> None:
    names = font["name"]  # type: ignore[index]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 18, 21, 22):
            names.removeNames(nameID=record.nameID)
    for name_id, text in ((1, FAMILY), (2, "Regular"), (3, f"{POSTSCRIPT};gate-kiosk"), (4, FAMILY),
                          (6, POSTSCRIPT)):
        names.setName(text, name_id, 3, 1, 0x409)
        names.setName(text, name_id, 1, 0, 0)
    description = ("Subset of Noto Sans CJK SC (GB 2312 and punctuation) with TrueType outlines, "
                   "made by gate-kiosk's scripts/make_pdf_font.py. Licensed under the SIL Open Font License 1.1.")
    names.setName(description, 10, 3, 1, 0x409)


def main() -> int:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    collection = TTCollection(str(source))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    options = subset.Options()
    options.layout_features = []  # no OpenType layout: ReportLab does not shape
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT))
    print(f"{OUT.relative_to(REPO)}: {len(font.getGlyphOrder())} glyphs, {OUT.stat().st_size / 2**20:.1f} MiB")
    copyright_text = Path("/usr/share/doc/fonts-noto-cjk/copyright")
    if copyright_text.exists():
        text = copyright_text.read_text(encoding="utf-8")
        # The stand-alone "License: SIL-1.1" paragraph holds the full text (the Files stanzas only name it).
        bodies = re.findall(r"^License: SIL-1\.1\n((?: .*\n?)+)", text, re.M)
        if bodies:
            body = "\n".join(line[1:] for line in max(bodies, key=len).splitlines())
            body = body.replace("\n.\n", "\n\n")
            head = ("GateKiosk Sans SC is a modified version (subset, TrueType outlines, renamed) of Noto Sans CJK SC.\n"
                    "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.\n"
                    "Noto is a trademark of Google Inc.\n\n")
            (OUT.parent / "OFL.txt").write_text(head + body.strip() + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
