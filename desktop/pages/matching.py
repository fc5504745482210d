"""Faces, watchlists and review: minimal read-only views over the matching core.

The matching screens (detection, gallery, search, side-by-side review) are completed in a later
step; these pages keep the page interface and show what the core already lists. The matching
modules (numpy, dlib) are imported only when one of these pages is first shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QTableView, QVBoxLayout

from desktop.pages import Page
from desktop.tablemodel import Column, RecordModel, filtered, number, setup_view

FACES = (
    Column(QT_TRANSLATE_NOOP("Matching", "Face"), lambda f: f.id, str, align_right=True),
    Column(QT_TRANSLATE_NOOP("Matching", "Item"), lambda f: f.item_name),
    Column(QT_TRANSLATE_NOOP("Matching", "Kind"), lambda f: f.kind),
    Column(
        QT_TRANSLATE_NOOP("Matching", "Quality"),
        lambda f: ", ".join(f"{k} {v:.2f}" for k, v in sorted(f.quality.items())),
    ),
    Column(QT_TRANSLATE_NOOP("Matching", "Captured"), lambda f: f.captured_at or ""),
)
WATCHLISTS = (
    Column(QT_TRANSLATE_NOOP("Matching", "Watchlist"), lambda w: w.name),
    Column(QT_TRANSLATE_NOOP("Matching", "Subjects"), lambda w: len(w.subjects), number),
    Column(QT_TRANSLATE_NOOP("Matching", "Alert threshold"), lambda w: w.alert_threshold),
    Column(
        QT_TRANSLATE_NOOP("Matching", "Second review"), lambda w: "✓" if w.second_review else ""
    ),
    Column(QT_TRANSLATE_NOOP("Matching", "Source agency"), lambda w: w.source_agency or ""),
)
REVIEW = (
    Column(QT_TRANSLATE_NOOP("Matching", "Candidate"), lambda r: r.candidate, str),
    Column(QT_TRANSLATE_NOOP("Matching", "Watchlist"), lambda r: r.watchlist),
    Column(QT_TRANSLATE_NOOP("Matching", "Subject"), lambda r: r.subject),
    Column(QT_TRANSLATE_NOOP("Matching", "Distance"), lambda r: r.distance, lambda d: f"{d:.3f}"),
    Column(QT_TRANSLATE_NOOP("Matching", "Threshold"), lambda r: r.threshold, lambda t: f"{t:.3f}"),
    Column(QT_TRANSLATE_NOOP("Matching", "Mode"), lambda r: r.mode),
    Column(QT_TRANSLATE_NOOP("Matching", "Status"), lambda r: r.status),
)


class _TablePage(Page):
    """A table with a filter box and, for per-case lists, a case selector."""

    columns: tuple[Column, ...] = ()
    per_case = True

    def __init__(self, session: Any, runner: Any, parent: Any = None) -> None:
        super().__init__(session, runner, parent)
        self.model = RecordModel(self.columns, "Matching", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter"))
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.cases = QComboBox()
        self.cases.currentIndexChanged.connect(lambda _i: self.load())
        top = QHBoxLayout()
        if self.per_case:
            top.addWidget(QLabel(self.tr("Case")))
            top.addWidget(self.cases)
        top.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)

    def refresh(self) -> None:
        if self.per_case:
            from vault.cases import list_cases

            keep = self.cases.currentData()
            self.cases.blockSignals(True)
            self.cases.clear()
            for c in self.attempt(list_cases, self.session) or []:
                self.cases.addItem(c.reference, c.reference)
            if keep is not None and self.cases.findData(keep) >= 0:
                self.cases.setCurrentIndex(self.cases.findData(keep))
            self.cases.blockSignals(False)
        self.load()

    def show_case(self, reference: str) -> None:
        index = self.cases.findData(reference)
        if index >= 0:
            self.cases.setCurrentIndex(index)

    def load(self) -> None:
        records = self.fetch(self.cases.currentData()) if self.per_case else self.fetch(None)
        self.model.set_records(records or [])

    def fetch(self, case: str | None) -> list[Any] | None:
        raise NotImplementedError


class FacesPage(_TablePage):
    columns = FACES

    def fetch(self, case: str | None) -> list[Any] | None:
        from matching.facelist import list_faces

        return self.attempt(list_faces, self.session, case) if case else []


class WatchlistsPage(_TablePage):
    columns = WATCHLISTS
    per_case = False

    def fetch(self, case: str | None) -> list[Any] | None:
        from matching.watchlists import list_watchlists

        return self.attempt(list_watchlists, self.session)


class ReviewPage(_TablePage):
    columns = REVIEW

    def fetch(self, case: str | None) -> list[Any] | None:
        from matching.review import list_review

        return self.attempt(list_review, self.session, case) if case else []
