"""The pages of the main window and the permissions that show them.

Every page is a ``Page``: ``__init__(self, session, runner, parent)`` and ``refresh()``. A page
presents and calls the core; the core checks every permission again, the list below only decides
what is worth showing to whom. Page modules are imported when the page is first shown.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.jobs import JobBridge, JobRunner


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
        "overview",
        QT_TRANSLATE_NOOP("Areas", "Overview"),
        ("case.read",),
        __name__ + ".overview",
        "OverviewPage",
    ),
    Area(
        "evidence",
        QT_TRANSLATE_NOOP("Areas", "Evidence"),
        ("case.read",),
        __name__ + ".evidence",
        "EvidencePage",
    ),
    Area(
        "timeline",
        QT_TRANSLATE_NOOP("Areas", "Timeline"),
        ("case.read",),
        __name__ + ".timeline",
        "TimelinePage",
    ),
    Area(
        "map",
        QT_TRANSLATE_NOOP("Areas", "Map"),
        ("case.read",),
        __name__ + ".map",
        "MapPage",
    ),
    Area(
        "hashsets",
        QT_TRANSLATE_NOOP("Areas", "Hash sets"),
        ("hashset.read",),
        __name__ + ".hashsets",
        "HashSetsPage",
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

    def refresh_live(self) -> None:
        """Reload because others changed the vault: as ``refresh``, keeping the user's place
        where the page can (the row they are on)."""
        self.refresh()

    def show_case(self, reference: str) -> None:
        """Pages with a case selector select ``reference``; others ignore it."""

    def error(self, message: str) -> None:
        """One readable line in a message box (never a traceback); does not block."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Custos"), message, parent=self)
        box.setObjectName("error_box")
        box.open()

    def call(
        self,
        fn: Any,
        *args: Any,
        done: Any = None,
        failed: Any = None,
        key: str | None = None,
        writes: bool = False,
        **kwargs: Any,
    ) -> JobBridge:
        """Call the core on a worker; ``done(result)`` or ``failed(message)`` on the GUI thread.

        ``failed`` defaults to the error box. With ``key``, only the latest call of that key is
        answered (a stale answer, e.g. of a case chosen before, is dropped). ``writes`` tells
        every page that the vault changed once the call ends (see ``JobRunner.changed``).
        """
        return call(
            self,
            self.runner,
            fn,
            *args,
            done=done,
            failed=failed or self.error,
            key=key,
            writes=writes,
            **kwargs,
        )


class _Reply(QObject):
    """Delivers one call's answer to its owner; owned by it, so it dies with it (no late call)."""

    def __init__(self, owner: QObject, done: Any, failed: Any, key: str | None) -> None:
        super().__init__(owner)
        self._done, self._failed, self._key = done, failed, key

    def current(self) -> bool:
        latest = getattr(self.parent(), "_latest_calls", None) or {}
        return self._key is None or latest.get(self._key) is self

    @Slot(object)
    def finished(self, result: Any) -> None:
        if self.current() and self._done is not None:
            self._done(result)
        self.deleteLater()

    @Slot(str)
    def failed(self, message: str) -> None:
        if self.current() and self._failed is not None:
            self._failed(message)
        self.deleteLater()


def call(
    owner: QObject,
    runner: JobRunner,
    fn: Any,
    *args: Any,
    done: Any = None,
    failed: Any = None,
    key: str | None = None,
    writes: bool = False,
    **kwargs: Any,
) -> JobBridge:
    """``Page.call`` for any widget (dialogs too): the core on a worker, the answer here."""
    reply = _Reply(owner, done, failed, key)
    if key is not None:
        if getattr(owner, "_latest_calls", None) is None:
            owner._latest_calls = {}  # type: ignore[attr-defined]
        owner._latest_calls[key] = reply  # type: ignore[attr-defined]
    bridge = runner.call(fn, *args, writes=writes, **kwargs)
    bridge.finished.connect(reply.finished)
    bridge.failed.connect(reply.failed)
    return bridge


class Placeholder(Page):
    """A page whose core is not ready yet."""

    def __init__(self, session: Any, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        note = QLabel(self.tr("This area is not available in this version yet."))
        note.setWordWrap(True)
        QVBoxLayout(self).addWidget(note)
