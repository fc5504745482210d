"""Translations: English is the source language; ``custos_<lang>.qm`` next to this file.

``build.py`` compiles the ``.ts`` sources with ``pyside6-lrelease``; a missing ``.qm`` falls back
to English. Arabic switches the whole application to a right-to-left layout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTranslator

HERE = Path(__file__).resolve().parent
RTL = {"ar"}
NAMES = {"en": "English", "ar": "العربية"}

_installed: list[QTranslator] = []


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Mark ``source`` for translation in ``context`` and return it unchanged (typed as ``str``;
    PySide6's own is typed ``object``)."""
    return source


def qm_path(lang: str) -> Path:
    return HERE / f"custos_{lang}.qm"


def install(lang: str) -> bool:
    """Use ``lang`` for every string from now on; returns whether a translation was loaded."""
    app = QCoreApplication.instance()
    assert app is not None
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    loaded = False
    if lang != "en":
        qm = qm_path(lang)
        if not qm.is_file():
            _try_build()
        translator = QTranslator(app)
        if qm.is_file() and translator.load(str(qm)):
            app.installTranslator(translator)
            _installed.append(translator)
            loaded = True
    QLocale.setDefault(QLocale(lang))
    direction = Qt.LayoutDirection.RightToLeft if lang in RTL else Qt.LayoutDirection.LeftToRight
    if hasattr(app, "setLayoutDirection"):
        app.setLayoutDirection(direction)
    return loaded


def _try_build() -> None:
    """Compile the .ts files if ``pyside6-lrelease`` is at hand (a source checkout)."""
    try:
        from desktop.i18n.build import build

        build(quiet=True)
    except Exception:
        return
