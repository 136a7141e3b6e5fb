"""Handing the log's initial key K_0 out of the kiosk, and reading it back for ``verify-log --key``.

K_0 (see ``db.chain``) is the one secret that lets someone outside the kiosk
check that the log was not rewritten. It leaves the kiosk once, as a printed
sheet with a QR code (one copy for the school, one for the education
bureau), and is then erased from the kiosk. The text form is
``GKLOG1:<ledger id>:<64 hex digits>``; ``verify-log --key`` takes that text,
the bare hex, or a file holding either.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

PREFIX = "GKLOG1"
_TEXT = re.compile(r"^(?:GKLOG1:[0-9a-fA-F-]{36}:)?([0-9a-fA-F]{64})$")


class LogKeyError(ValueError):
    """The text given is not a log key; the message says what is expected."""


def key_text(ledger_id: str, key: bytes) -> str:
    return f"{PREFIX}:{ledger_id}:{key.hex()}"


def parse_key(value: str) -> bytes:
    """K_0 from its text form, the bare hex, or a file holding either."""
    raw = value.strip()
    try:
        path = Path(raw).expanduser()
        if len(raw) < 4096 and path.is_file():
            raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    match = _TEXT.match("".join(raw.split()))  # the sheet wraps the key over lines
    if match is None:
        raise LogKeyError("--key must be the log key from the key sheet (GKLOG1:…, 64 hex digits) or a file holding it")
    return bytes.fromhex(match.group(1))


def write_key_sheet(path: Path, school: str, site_id: str, gate: str, ledger_id: str, key: bytes,
                    now: datetime) -> None:
    """A one-page PDF with the key as text and as a QR code; written 0600, via a temporary file.

    The school's name (as configured) comes first, so a bureau holding many sheets knows whose
    this is at a glance; the site id follows for the machines.
    """
    from kiosk.reports.pdf import FONT, register_font
    text = key_text(ledger_id, key)
    tmp = path.with_name(path.name + ".tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    c = canvas.Canvas(str(tmp), pagesize=A4)
    width, height = A4
    y = height - 30 * mm
    c.setFont("Helvetica-Bold", 16)
    c.drawString(20 * mm, y, "gate-kiosk: initial key of the entry log")
    register_font()
    c.setFont(FONT, 12)  # the school's name is usually Chinese
    y -= 8 * mm
    c.drawString(20 * mm, y, f"学校 School: {school or site_id}")
    c.setFont("Helvetica", 10)
    lines = [
        f"Site id: {site_id}    Gate: {gate}",
        f"Ledger: {ledger_id}",
        f"Handed out: {now.isoformat(timespec='seconds')}",
        "",
        "Keep this sheet locked away: one copy at the school, one at the education bureau.",
        "With it, `gate-kiosk verify-log --key <text below>` shows whether any entry, follow-up",
        "or audit row was changed, deleted or cut off since this log began. The kiosk no longer",
        "holds this key, so whoever takes the machine cannot rewrite the past without it showing.",
    ]
    for line in lines:
        y -= 6 * mm
        c.drawString(20 * mm, y, line)
    y -= 12 * mm
    c.setFont("Courier", 9)
    for start in range(0, len(text), 64):
        c.drawString(20 * mm, y, text[start:start + 64])
        y -= 5 * mm
    qr = QrCodeWidget(text)
    x0, y0, x1, y1 = qr.getBounds()
    size = 80 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    drawing.drawOn(c, 20 * mm, y - size - 5 * mm)
    c.showPage()
    c.save()
    os.replace(tmp, path)
