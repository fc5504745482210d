"""Partners and bundles: placeholders until the exchange core is complete.

The partner page lists the directory when ``exchange.directory.list_partners`` is available; the
bundle wizard (export with policy check, verify and import) is built in a later step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout

from desktop.pages import Page, Placeholder
from desktop.tablemodel import Column, RecordModel, filtered, setup_view

PARTNERS = (
    Column(QT_TRANSLATE_NOOP("Exchange", "Agency"), lambda p: p.name),
    Column(QT_TRANSLATE_NOOP("Exchange", "Country"), lambda p: p.country),
    Column(QT_TRANSLATE_NOOP("Exchange", "Contact"), lambda p: p.contact),
    Column(
        QT_TRANSLATE_NOOP("Exchange", "Key fingerprints"),
        lambda p: ", ".join(getattr(k, "grouped", "") for k in p.keys),
    ),
)


class PartnersPage(Page):
    def __init__(self, session: Any, runner: Any, parent: Any = None) -> None:
        super().__init__(session, runner, parent)
        self.model = RecordModel(PARTNERS, "Exchange", self)
        self.view = QTableView()
        self.view.setModel(filtered(self.model, self))
        setup_view(self.view)
        self.note = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(self.note)

    def refresh(self) -> None:
        try:
            from exchange.directory import list_partners
        except Exception:
            self.note.setText(self.tr("The partner directory is not available in this version."))
            return
        found = self.attempt(list_partners, self.session)
        self.model.set_records(found or [])


class BundlesPage(Placeholder):
    pass
