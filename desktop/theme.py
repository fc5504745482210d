"""Light and dark Fusion palettes that follow the system colour scheme (Qt 6.5+)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

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
    QPalette.ColorRole.PlaceholderText: "#8a8d93",
}


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def palette(dark: bool) -> QPalette:
    app = QGuiApplication.instance()
    assert app is None or isinstance(app, QGuiApplication)
    if not dark:
        from PySide6.QtWidgets import QStyleFactory

        style = QStyleFactory.create("Fusion")
        return style.standardPalette() if style else QPalette()
    pal = QPalette(app.palette()) if app else QPalette()
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


def apply(app: QGuiApplication) -> None:
    """Fusion style with the palette of the current scheme; re-applied when the scheme changes."""
    from PySide6.QtWidgets import QApplication

    if isinstance(app, QApplication):
        app.setStyle("Fusion")
    app.setPalette(palette(is_dark()))
    hints = app.styleHints()
    hints.colorSchemeChanged.connect(lambda scheme: app.setPalette(palette(is_dark())))
