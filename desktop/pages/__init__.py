"""The pages of the main window and the permissions that show them.

Every page is a ``Page``: ``__init__(self, session, runner, parent)`` and ``refresh()``. A page
presents and calls the core; the core checks every permission again, the list below only decides
what is worth showing to whom. Page modules are imported when the page is first shown.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget

from desktop.jobs import JobRunner


@dataclass(frozen=True)
class Area:
    key: str
    title: str  # source text in the "Areas" context
    needs: tuple[str, ...]  # every one of these permissions
    module: str
    cls: str

    def label(self) -> str:
        return QCoreApplication.translate("Areas", self.title)

    def allowed(self, session: Any) -> bool:
        return all(session.may(p) for p in self.needs)

    def make(self, session: Any, runner: JobRunner, parent: QWidget | None) -> Page:
        page_cls = getattr(importlib.import_module(self.module), self.cls)
        return page_cls(session, runner, parent)


AREAS = (
    Area(
        "cases",
        QT_TRANSLATE_NOOP("Areas", "Cases"),
        ("case.read",),
        __name__ + ".cases",
        "CasesPage",
    ),
    Area(
        "evidence",
        QT_TRANSLATE_NOOP("Areas", "Evidence"),
        ("case.read",),
        __name__ + ".evidence",
        "EvidencePage",
    ),
    Area(
        "faces",
        QT_TRANSLATE_NOOP("Areas", "Faces"),
        ("match.run", "case.read"),
        __name__ + ".faces",
        "FacesPage",
    ),
    Area(
        "watchlists",
        QT_TRANSLATE_NOOP("Areas", "Watchlists"),
        ("watchlist.manage",),
        __name__ + ".watchlists",
        "WatchlistsPage",
    ),
    Area(
        "review",
        QT_TRANSLATE_NOOP("Areas", "Review"),
        ("match.review", "case.read"),
        __name__ + ".review",
        "ReviewPage",
    ),
    Area(
        "partners",
        QT_TRANSLATE_NOOP("Areas", "Partners"),
        ("exchange.manage",),
        __name__ + ".partners",
        "PartnersPage",
    ),
    Area(
        "bundles",
        QT_TRANSLATE_NOOP("Areas", "Bundles"),
        ("exchange.bundle",),
        __name__ + ".bundles",
        "BundlesPage",
    ),
    Area(
        "audit",
        QT_TRANSLATE_NOOP("Areas", "Audit"),
        ("audit.read",),
        __name__ + ".audit",
        "AuditPage",
    ),
    Area(
        "admin",
        QT_TRANSLATE_NOOP("Areas", "Admin"),
        ("user.manage",),
        __name__ + ".admin",
        "AdminPage",
    ),
)


class Page(QWidget):
    """Base of every page. ``status`` carries a one-line note for the status bar."""

    status = Signal(str)
    open_case = Signal(str)  # ask the window to show a case's evidence

    def __init__(self, session: Any, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self.last_error: str | None = None

    def refresh(self) -> None:
        """Reload what the page shows from the core."""

    def show_case(self, reference: str) -> None:
        """Pages with a case selector select ``reference``; others ignore it."""

    def error(self, message: str) -> None:
        """One readable line in a message box (never a traceback); does not block."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Custos"), message, parent=self)
        box.setObjectName("error_box")
        box.open()

    def attempt(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the core inline (a quick read or write); a refusal is shown, not raised."""
        from vault.errors import CustosError

        try:
            return fn(*args, **kwargs)
        except CustosError as exc:
            self.error(exc.message)
            return None


class Placeholder(Page):
    """A page whose core is not ready yet."""

    def __init__(self, session: Any, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        note = QLabel(self.tr("This area is not available in this version yet."))
        note.setWordWrap(True)
        QVBoxLayout(self).addWidget(note)
