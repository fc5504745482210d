"""Light and dark Fusion palettes: the user's choice (View > Theme), by default the system's.

``CHOICES``: "system" follows the desktop's colour scheme (Qt 6.5+) and changes with it; "light"
and "dark" hold whatever the system does. The choice is kept in the user's settings
(``desktop.settings.theme``). Colours that carry a meaning (an error, a known-bad hit, an overdue
listing) come from ``colour(role)``, one per theme, each readable on that theme's backgrounds
(WCAG contrast >= 4.5, tested).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

CHOICES = ("system", "light", "dark")

_DARK = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#26282c",
    QPalette.ColorRole.ToolTipBase: "#2b2d31",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#33353a",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#79a8ff",
    QPalette.ColorRole.PlaceholderText: "#9a9da3",
}

# meaning -> (light theme, dark theme)
_MEANINGS = {
    "danger": ("#b3261e", "#ff8a80"),  # errors, known-bad hits, overdue listings
    "muted": ("#616161", "#a3a6ab"),  # known-good hits, notes
    "ok": ("#1b6e20", "#81c784"),
}

_current = {"dark": False}
_choice = ["system"]


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def is_dark() -> bool:
    """Whether the palette in use is the dark one."""
    return _current["dark"]


def resolve(choice: str) -> bool:
    """Whether ``choice`` ("system", "light", "dark") means dark now."""
    return system_is_dark() if choice not in ("light", "dark") else choice == "dark"


def palette(dark: bool) -> QPalette:
    app = QGuiApplication.instance()
    assert app is None or isinstance(app, QGuiApplication)
    from PySide6.QtWidgets import QStyleFactory

    style = QStyleFactory.create("Fusion")
    base = style.standardPalette() if style else QPalette()
    if not dark:
        return base
    pal = QPalette(base)
    for role, colour in _DARK.items():
        pal.setColor(role, QColor(colour))
    grey = QColor("#7a7d83")
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return pal


def colour(meaning: str, dark: bool | None = None) -> QColor:
    """The colour of ``meaning`` ("danger", "muted", "ok") in the theme in use."""
    light_hex, dark_hex = _MEANINGS[meaning]
    return QColor(dark_hex if (is_dark() if dark is None else dark) else light_hex)


def css(meaning: str, bold: bool = False) -> str:
    """A style sheet giving a label the colour of ``meaning``."""
    return f"color: {colour(meaning).name()};" + (" font-weight: bold;" if bold else "")


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""

    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def set_theme(app: QGuiApplication, choice: str) -> bool:
    """Use ``choice``'s palette now; returns whether it is dark."""
    dark = resolve(choice)
    _current["dark"] = dark
    app.setPalette(palette(dark))
    return dark


def apply(app: QGuiApplication, choice: str = "system") -> None:
    """Fusion style with the chosen palette; with "system", re-applied when the scheme changes."""
    from PySide6.QtWidgets import QApplication

    if isinstance(app, QApplication):
        app.setStyle("Fusion")
    set_theme(app, choice)
    _choice[0] = choice
    if not getattr(app, "_custos_scheme_watch", False):
        app._custos_scheme_watch = True  # type: ignore[attr-defined]
        app.styleHints().colorSchemeChanged.connect(lambda _s: _follow_system(app))


def _follow_system(app: QGuiApplication) -> None:
    if _choice[0] == "system":
        set_theme(app, "system")
