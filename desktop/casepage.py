"""A page of one case, optionally narrowed to one subject's sightings (timeline, map).

Below its picture of the case (an axis, a map), a list of what is in view in time order,
refreshed once moving pauses (``fill_list``); a double-click opens an item, as a click on it in
the picture does (``open_item``: the Evidence page's item view).

It holds a case box and a subject box ("Every item" or a subject of the case's review list),
calls ``fetch(session, reference, subject)`` on a worker whenever either changes or the vault
changes while it is shown, and hands the answer (or None: no case) to ``_show``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.pages import Page
from desktop.tablemodel import RecordModel, setup_view
from desktop.widgets import CaseBox


def _t(text: str) -> str:
    return QCoreApplication.translate("CaseSubjectPage", text)


def _every_item() -> str:
    return _t(QT_TRANSLATE_NOOP("CaseSubjectPage", "Every item"))


class CaseSubjectPage(Page):
    fetch: Any = None  # (session, reference, subject) -> what _show receives; on a worker

    def __init__(self, session: Any, runner: Any, name: str, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.loaded: Any = None  # has .reference and .subject
        self.item_dialog: Any = None  # the item view opened last
        self.cases = CaseBox()
        self.cases.setObjectName(f"{name}_case")
        self.cases.chosen.connect(lambda _r: self.load())
        self.subject = QComboBox()
        self.subject.setObjectName(f"{name}_subject")
        self.subject.addItem(_every_item(), None)
        self.subject.currentIndexChanged.connect(lambda _i: self.load())
        self._key = name
        runner.changed.connect(self._changed)

    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self._cases, key="cases")

    def _cases(self, cases: list[Any]) -> None:
        self.cases.reload(cases)
        shown = self.loaded.reference if self.loaded is not None else None
        if self.cases.reference() != shown:
            self.load()

    def show_case(self, reference: str) -> None:
        if self.cases.findData(reference) < 0:
            self.cases.select(reference)
            self.refresh()
            return
        self.cases.select(reference)

    def show_subject(self, subject: str | None) -> None:
        """Only ``subject``'s sightings (None: every item)."""
        index = self.subject.findData(subject)
        if index < 0:
            self.subject.addItem(subject or "", subject)
            index = self.subject.count() - 1
        self.subject.setCurrentIndex(index)

    def load(self) -> None:
        reference = self.cases.reference()
        if not reference:
            self._show(None)
            return
        subject = self.subject.currentData()
        fetch = type(self).fetch
        self.call(fetch, self.session, reference, subject, done=self._show, key=self._key)

    def _changed(self) -> None:
        if self.cases.reference() and self.isVisible():
            self.load()

    def _show(self, loaded: Any) -> None:
        raise NotImplementedError

    def reload_subjects(self, subjects: list[str]) -> None:
        """The subject box offers ``subjects``; the one chosen stays chosen (no new load)."""
        keep = self.subject.currentData()
        self.subject.blockSignals(True)
        self.subject.clear()
        self.subject.addItem(_every_item(), None)
        for ref in subjects:
            self.subject.addItem(ref, ref)
        self.subject.setCurrentIndex(max(self.subject.findData(keep), 0))
        self.subject.blockSignals(False)

    def split_with_list(
        self, upper: QWidget, model: RecordModel, stretch: tuple[int, int]
    ) -> tuple[QTableView, QLabel, QSplitter]:
        """``upper`` above the list of ``model`` (in the model's order: time), with a count
        line; the list follows ``fill_list`` 120 ms after the last ``list_later``."""
        table = QTableView()
        table.setObjectName(f"{self._key}_list")
        table.setModel(model)
        setup_view(table)
        table.setSortingEnabled(False)  # the time order is the point
        table.horizontalHeader().setSortIndicatorShown(False)
        table.activated.connect(lambda index: self._activated(model, index))
        table.doubleClicked.connect(lambda index: self._activated(model, index))
        count = QLabel()
        count.setObjectName(f"{self._key}_count")
        below = QWidget()
        lower = QVBoxLayout(below)
        lower.setContentsMargins(0, 0, 0, 0)
        lower.addWidget(count)
        lower.addWidget(table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(below)
        split.setStretchFactor(0, stretch[0])
        split.setStretchFactor(1, stretch[1])
        self._list_timer = QTimer(self)
        self._list_timer.setSingleShot(True)
        self._list_timer.setInterval(120)
        self._list_timer.timeout.connect(self.fill_list)
        return table, count, split

    def list_later(self) -> None:
        self._list_timer.start()

    def fill_list(self) -> None:
        raise NotImplementedError

    def item_of(self, record: Any) -> int:
        raise NotImplementedError

    def _activated(self, model: RecordModel, index: QModelIndex) -> None:
        if index.isValid():
            self.open_item(self.item_of(model.records[index.row()]))

    def open_item(self, item_id: int) -> Any:
        from desktop.pages.item_view import ItemDialog

        self.item_dialog = ItemDialog(self.session, self.runner, item_id, self)
        self.item_dialog.show()
        return self.item_dialog

    def zoom_controls(self, zoom: Any, fit: Any) -> QHBoxLayout:
        """Zoom out, zoom in (``zoom(factor)``) and "Show all" (``fit()``) buttons in a row."""
        self.zoom_in_button = QPushButton("+")
        self.zoom_in_button.setToolTip(_t(QT_TRANSLATE_NOOP("CaseSubjectPage", "Zoom in")))
        self.zoom_in_button.clicked.connect(lambda: zoom(2.0))
        self.zoom_out_button = QPushButton("−")
        self.zoom_out_button.setToolTip(_t(QT_TRANSLATE_NOOP("CaseSubjectPage", "Zoom out")))
        self.zoom_out_button.clicked.connect(lambda: zoom(0.5))
        self.fit_button = QPushButton(_t(QT_TRANSLATE_NOOP("CaseSubjectPage", "Show all")))
        set_icon(self.fit_button, "refresh")
        self.fit_button.clicked.connect(fit)
        for b in (self.zoom_out_button, self.zoom_in_button):
            b.setFixedWidth(b.fontMetrics().horizontalAdvance("+") + 28)
        row = QHBoxLayout()
        for b in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            row.addWidget(b)
        return row
