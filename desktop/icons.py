"""The desktop's icons: one maintained set, Material Design Icons 6 through ``qtawesome``.

The fonts ship inside the qtawesome wheel (no files of ours to keep, nothing fetched). Icons take
the palette's text colour when they are made, so a theme change makes the window again (as a
language change does). ``NAMES`` is the one list of what each thing looks like: the sidebar's
areas, the menus' actions, the pages' buttons and the kinds of item.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

os.environ.setdefault("QT_API", "pyside6")  # qtawesome's Qt shim: the binding we ship

PREFIX = "mdi6"  # the one set: Material Design Icons 6
NAMES: dict[str, str] = {
    # sidebar areas (keys of desktop.pages.AREAS)
    "cases": "mdi6.briefcase-outline",
    "overview": "mdi6.view-dashboard-outline",
    "evidence": "mdi6.file-document-multiple-outline",
    "thumbnails": "mdi6.view-grid-outline",
    "timeline": "mdi6.timeline-clock-outline",
    "map": "mdi6.map-marker-radius-outline",
    "hashsets": "mdi6.pound-box-outline",
    "faces": "mdi6.face-recognition",
    "watchlists": "mdi6.account-search-outline",
    "review": "mdi6.scale-balance",
    "partners": "mdi6.handshake-outline",
    "bundles": "mdi6.package-variant-closed",
    "audit": "mdi6.clipboard-text-clock-outline",
    "admin": "mdi6.shield-account-outline",
    # menu actions
    "lock": "mdi6.lock-outline",
    "quit": "mdi6.exit-to-app",
    "password": "mdi6.form-textbox-password",
    "refresh": "mdi6.refresh",
    "language": "mdi6.translate",
    "theme": "mdi6.theme-light-dark",
    "shortcuts": "mdi6.keyboard-outline",
    "about": "mdi6.information-outline",
    # buttons
    "add": "mdi6.plus",
    "ingest": "mdi6.tray-arrow-down",
    "import": "mdi6.import",
    "export": "mdi6.export",
    "save": "mdi6.content-save-outline",
    "view": "mdi6.eye-outline",
    "verify": "mdi6.check-decagram-outline",
    "search": "mdi6.magnify",
    "report": "mdi6.file-certificate-outline",
    "alert": "mdi6.alert-octagon-outline",
    "copy": "mdi6.content-copy",
    "detect": "mdi6.face-recognition",
    "cluster": "mdi6.account-group-outline",
    "confirm": "mdi6.check-circle-outline",
    "reject": "mdi6.close-circle-outline",
    "inconclusive": "mdi6.help-circle-outline",
    "key": "mdi6.key-outline",
    "revoke": "mdi6.key-remove",
    "user": "mdi6.account-outline",
    "agreement": "mdi6.file-sign",
    "similar": "mdi6.image-multiple-outline",
    # kinds of item
    "photo": "mdi6.file-image-outline",
    "video": "mdi6.file-video-outline",
    "document": "mdi6.file-document-outline",
    "other": "mdi6.file-outline",
}


_made: dict[str, QIcon] = {}
_font: list[Any] = []  # qtawesome's IconicFont of our one set, loaded on first use
SIZE = 16  # menus, buttons, the sidebar and table cells (the style's small icon size)


def icon(name: str) -> QIcon:
    """The icon of ``name`` (a key of ``NAMES``) in the palette's current text colour.

    qtawesome paints a font glyph on every paint (a tenth of a second more for a window full
    of icons); the glyph is drawn once here into a pixmap (at the screen's pixel ratio) that Qt
    then only copies, and derives from it the disabled look."""
    found = _made.get(name)
    if found is None:
        from PySide6.QtGui import QGuiApplication

        screen = QGuiApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        glyph = _iconic().icon(NAMES[name])
        found = QIcon()
        for size in sorted({SIZE, round(SIZE * ratio)}):
            found.addPixmap(glyph.pixmap(QSize(size, size)))
        _made[name] = found
    return found


def _iconic() -> Any:
    """The Material Design Icons 6 font alone (qtawesome.icon would load all twelve of its
    fonts: ~0.1 s more before the first window)."""
    if not _font:
        import qtawesome
        from qtawesome.iconic_font import IconicFont

        ours = [f for f in getattr(qtawesome, "_BUNDLED_FONTS", ()) if f[0] == PREFIX]
        _font.append(IconicFont(*ours) if ours else qtawesome._instance())
    return _font[0]


def forget() -> None:
    """Drop the icons made so far (they carry the old palette's colours)."""
    _made.clear()
    if _font:
        _font[0].icon_cache = {}


W = TypeVar("W")


def set_icon(widget: W, name: str) -> W:
    """``widget.setIcon(icon(name))`` for a button or an action; returns the widget."""
    widget.setIcon(icon(name))  # type: ignore[attr-defined]
    return widget


def kind_icon(kind: str | None) -> QIcon:
    """The icon of an item kind (photo, video, document, other)."""
    return icon(kind if kind in ("photo", "video", "document") else "other")


def preload() -> None:
    """Import qtawesome (and its Qt shim, ~0.3 s) on a worker while the user types the password."""
    import qtawesome  # noqa: F401
