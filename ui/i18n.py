"""Loading the window's language: Simplified Chinese is the source language, English a Qt translation.

Every user-visible string in ``ui/`` goes through ``tr()`` with the Chinese
text as its source; ``ui/i18n/gate_kiosk_en.qm`` (compiled from the ``.ts``
next to it by ``scripts/translations.sh``) turns the window English.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

I18N = Path(__file__).resolve().parent / "i18n"


def install_translator(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install the translators for ``language`` (``zh_CN`` or ``en``); keep the returned list alive."""
    installed: list[QTranslator] = []
    qt = QTranslator(app)
    if qt.load(QLocale(language), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        installed.append(qt)
    if language != "zh_CN":
        ours = QTranslator(app)
        if not ours.load(str(I18N / f"gate_kiosk_{language}.qm")):
            raise FileNotFoundError(f"no translation for {language!r} in {I18N}")
        app.installTranslator(ours)
        installed.append(ours)
    return installed
