"""Chinese by default, English through Qt's translation files, and nothing left untranslated."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QCoreApplication

from ui.i18n import I18N, install_translator

TS = I18N / "gate_kiosk_en.ts"


def sources(ts: Path) -> set[tuple[str, str]]:
    tree = ET.parse(ts)
    return {(ctx.findtext("name"), m.findtext("source")) for ctx in tree.iter("context") for m in ctx.iter("message")}


def test_every_tr_string_in_ui_is_in_the_committed_translation(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    lupdate = Path(PySide6.__path__[0]) / "lupdate"
    repo = I18N.parent.parent
    subprocess.run([str(lupdate), *sorted(str(p) for p in (repo / "ui").glob("*.py")), "-ts", str(fresh),
                    "-silent"], check=True, cwd=repo)
    missing = sources(fresh) - sources(TS)
    assert not missing, f"run scripts/translations.sh: new strings {sorted(missing)[:5]}"


def test_no_unfinished_translation() -> None:
    tree = ET.parse(TS)
    unfinished = [m.findtext("source") for m in tree.iter("message")
                  if m.find("translation").get("type") == "unfinished" or not m.findtext("translation")]
    assert unfinished == []


def test_english_loads_and_chinese_is_the_default(qapp) -> None:
    translators = install_translator(qapp, "en")
    try:
        assert QCoreApplication.translate("VerdictBanner", "通行") == "PASS"
        assert QCoreApplication.translate("MainWindow", "下一位") == "Next person"
    finally:
        for t in translators:
            qapp.removeTranslator(t)
    assert QCoreApplication.translate("VerdictBanner", "通行") == "通行"
    with pytest.raises(FileNotFoundError):
        install_translator(qapp, "fr")
