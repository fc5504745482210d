"""Partner directory: agencies we trust, their key fingerprints (grouped), agreements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.pages import Page
from desktop.tablemodel import Column, RecordModel, filtered, setup_view, when

KEY_STATUS = {
    "active": QT_TRANSLATE_NOOP("Partners", "active"),
    "retired": QT_TRANSLATE_NOOP("Partners", "retired"),
    "revoked": QT_TRANSLATE_NOOP("Partners", "revoked"),
}


def _status(s: str) -> str:
    return QCoreApplication.translate("Partners", KEY_STATUS.get(s, s))


def _active_key(p: Any) -> str:
    active = [k for k in p.keys if k.status == "active"]
    return active[-1].grouped if active else ""


PARTNERS = (
    Column(QT_TRANSLATE_NOOP("Partners", "Agency"), lambda p: p.name),
    Column(QT_TRANSLATE_NOOP("Partners", "Country"), lambda p: p.country),
    Column(QT_TRANSLATE_NOOP("Partners", "Contact"), lambda p: p.contact),
    Column(QT_TRANSLATE_NOOP("Partners", "Active key fingerprint"), _active_key, width=48),
    Column(QT_TRANSLATE_NOOP("Partners", "Keys"), lambda p: len(p.keys), str, align_right=True),
)
KEYS = (
    Column(QT_TRANSLATE_NOOP("Partners", "Fingerprint"), lambda k: k.grouped, width=60),
    Column(QT_TRANSLATE_NOOP("Partners", "Status"), lambda k: k.status, _status),
    Column(QT_TRANSLATE_NOOP("Partners", "Added"), lambda k: k.added_at, when),
    Column(QT_TRANSLATE_NOOP("Partners", "Changed"), lambda k: k.changed_at, when),
)
AGREEMENTS = (
    Column(QT_TRANSLATE_NOOP("Partners", "Purpose"), lambda a: a.purpose),
    Column(QT_TRANSLATE_NOOP("Partners", "Reference"), lambda a: a.reference or ""),
    Column(QT_TRANSLATE_NOOP("Partners", "Labels"), lambda a: ", ".join(a.labels)),
    Column(
        QT_TRANSLATE_NOOP("Partners", "Crime areas"),
        lambda a: ", ".join(a.crime_areas) or QCoreApplication.translate("Partners", "all"),
    ),
    Column(QT_TRANSLATE_NOOP("Partners", "Onward sharing"), lambda a: "✓" if a.onward else ""),
    Column(QT_TRANSLATE_NOOP("Partners", "Valid from"), lambda a: a.valid_from),
    Column(QT_TRANSLATE_NOOP("Partners", "Valid until"), lambda a: a.valid_until),
    Column(
        QT_TRANSLATE_NOOP("Partners", "In force"),
        lambda a: QCoreApplication.translate("Partners", "yes" if a.active() else "no"),
    ),
)
_NOOP = (QT_TRANSLATE_NOOP("Partners", "yes"), QT_TRANSLATE_NOOP("Partners", "no"))


def _table(model: RecordModel) -> QTableView:
    view = QTableView()
    view.setModel(filtered(model, view))
    setup_view(view)
    return view


class PartnersPage(Page):
    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.model = RecordModel(PARTNERS, "Partners", self)
        self.view = _table(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self.show_partner())
        self.keys = RecordModel(KEYS, "Partners", self)
        self.agreements = RecordModel(AGREEMENTS, "Partners", self)
        self.ours = QLabel()
        self.ours.setWordWrap(True)
        self.ours.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ours.setObjectName("our_card")
        add = QPushButton(self.tr("Add partner from key card..."))
        add.clicked.connect(self._ask_card)
        top = QHBoxLayout()
        top.addWidget(self.ours, 1)
        top.addWidget(add)
        details = QWidget()
        dl = QVBoxLayout(details)
        dl.addWidget(QLabel(self.tr("Keys (compare fingerprints with the partner out of band)")))
        dl.addWidget(_table(self.keys))
        dl.addWidget(QLabel(self.tr("Agreements")))
        dl.addWidget(_table(self.agreements))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(details)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def refresh(self) -> None:
        from exchange.directory import list_partners, our_card
        from vault.errors import CustosError

        try:
            _data, card = our_card(self.session)
        except CustosError as exc:
            self.ours.setText(exc.message)
        else:
            self.ours.setText(
                self.tr("We are {0} ({1}). Our signing key: {2}").format(
                    card.name, card.country, _grouped(card.fingerprint)
                )
            )
        self.model.set_records(self.attempt(list_partners, self.session) or [])
        if self.model.records:
            self.view.setCurrentIndex(self.view.model().index(0, 0))
        else:
            self.show_partner()

    def current(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.records[self.view.model().mapToSource(index).row()]

    def select(self, name: str) -> None:
        for n, p in enumerate(self.model.records):
            if p.name == name:
                self.view.setCurrentIndex(self.view.model().mapFromSource(self.model.index(n, 0)))

    def show_partner(self) -> None:
        from exchange.directory import show_partner

        p = self.current()
        found = self.attempt(show_partner, self.session, p.name) if p else None
        info, agreements = found or (None, [])
        self.keys.set_records(info.keys if info else [])
        self.agreements.set_records(agreements)

    def _ask_card(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Partner key card"))
        if name:
            self.add_card(Path(name))

    def add_card(self, path: Path) -> Any:
        from exchange.directory import add_partner
        from vault.errors import UserError

        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error(UserError(f"{path}: cannot read the card: {exc.strerror}").message)
            return None
        info = self.attempt(add_partner, self.session, data, str(path))
        if info is not None:
            self.refresh()
            self.select(info.name)
            self.status.emit(
                self.tr("Partner {0} added: compare the fingerprint.").format(info.name)
            )
        return info


def _grouped(fpr: str) -> str:
    from exchange.cards import grouped

    return grouped(fpr)
