"""Partner directory: agencies we trust, their key fingerprints (grouped), agreements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.pages import Page
from desktop.tablemodel import Column, RecordModel, day, filtered, number, setup_view, when
from vault.printable import safe

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
    Column(
        QT_TRANSLATE_NOOP("Partners", "Active key fingerprint"), _active_key, width=80, whole=True
    ),
    Column(QT_TRANSLATE_NOOP("Partners", "Keys"), lambda p: len(p.keys), number, align_right=True),
)
KEYS = (
    Column(QT_TRANSLATE_NOOP("Partners", "Fingerprint"), lambda k: k.grouped, width=80, whole=True),
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
    Column(
        QT_TRANSLATE_NOOP("Partners", "Onward sharing"),
        lambda a: a.onward,
        lambda o: QCoreApplication.translate("Partners", "allowed" if o else "not allowed"),
    ),
    Column(
        QT_TRANSLATE_NOOP("Partners", "Redacted copies only"),
        lambda a: QCoreApplication.translate("Partners", "yes" if a.redacted else "no"),
    ),
    Column(QT_TRANSLATE_NOOP("Partners", "Valid from"), lambda a: a.valid_from, day),
    Column(QT_TRANSLATE_NOOP("Partners", "Valid until"), lambda a: a.valid_until, day),
    Column(
        QT_TRANSLATE_NOOP("Partners", "In force"),
        lambda a: QCoreApplication.translate("Partners", "yes" if a.active() else "no"),
    ),
)
_NOOP = (
    QT_TRANSLATE_NOOP("Partners", "yes"),
    QT_TRANSLATE_NOOP("Partners", "no"),
    QT_TRANSLATE_NOOP("Partners", "allowed"),
    QT_TRANSLATE_NOOP("Partners", "not allowed"),
)


def read_card_at(session: Any, path: Path) -> tuple[bytes, Any, bool]:
    """On a worker: a key card file read within its bound (a folder, a pipe or a device is
    refused at once), the card it carries (self-signature checked) and whether its agency is a
    partner already (then the card is offered as a key rotation)."""
    from exchange.cards import read_card, read_card_file
    from exchange.directory import list_partners

    data = read_card_file(path)
    card = read_card(data, str(path))
    return data, card, any(p.name == card.name for p in list_partners(session))


def _table(model: RecordModel) -> QTableView:
    view = QTableView()
    view.setModel(filtered(model, view))
    setup_view(view)
    return view


def _proxy(view: QTableView) -> QSortFilterProxyModel:
    """The sorting/filtering model ``setup_view`` put between a table and its records."""
    model = view.model()
    assert isinstance(model, QSortFilterProxyModel)
    return model


class PartnersPage(Page):
    partner_shown = Signal()  # the keys and agreements of the current partner are shown
    card_read = Signal()  # a chosen key card was read: its question or its refusal is shown

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.model = RecordModel(PARTNERS, "Partners", self)
        self.view = _table(self.model)
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self.show_partner())
        self.confirm_box: QMessageBox | None = None
        self.card_button: QPushButton | None = None
        self.agreement_dialog: Any = None
        self.keys = RecordModel(KEYS, "Partners", self)
        self.agreements = RecordModel(AGREEMENTS, "Partners", self)
        self.ours = QLabel()
        self.ours.setWordWrap(True)
        self.ours.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ours.setObjectName("our_card")
        self.add_button = set_icon(QPushButton(self.tr("Add partner from key card...")), "add")
        self.add_button.clicked.connect(self._ask_card)
        self.agency_button = set_icon(QPushButton(self.tr("Our agency...")), "partners")
        self.agency_button.clicked.connect(self.open_agency)
        self.save_card_button = set_icon(QPushButton(self.tr("Save our key card...")), "key")
        self.save_card_button.clicked.connect(self._ask_save)
        self.agency_dialog: Any = None
        self.card: Any = None  # our card, as last read
        self._select_after: str | None = None  # a partner to select when the list arrives
        top = QHBoxLayout()
        top.addWidget(self.ours, 1)
        top.addWidget(self.agency_button)
        top.addWidget(self.save_card_button)
        top.addWidget(self.add_button)
        details = QWidget()
        dl = QVBoxLayout(details)
        self.head_label = QLabel()
        self.head_label.setObjectName("partner_head")
        self.head_label.setWordWrap(True)
        self.head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.head_warning = QLabel()
        self.head_warning.setObjectName("head_warning")
        self.head_warning.setWordWrap(True)
        self.head_warning.setStyleSheet(theme.css("danger", bold=True))
        self.head_warning.setVisible(False)
        dl.addWidget(self.head_label)
        dl.addWidget(self.head_warning)
        self.keys_view = _table(self.keys)
        self.revoke_button = set_icon(QPushButton(self.tr("Revoke key...")), "revoke")
        self.revoke_button.clicked.connect(self.revoke)
        self.agreement_button = set_icon(QPushButton(self.tr("Add agreement...")), "agreement")
        self.agreement_button.clicked.connect(self.open_agreement)
        keys_row = QHBoxLayout()
        keys_row.addWidget(
            QLabel(self.tr("Keys (compare fingerprints with the partner out of band)"))
        )
        keys_row.addStretch(1)
        self.copy_button = set_icon(QPushButton(self.tr("Copy fingerprint")), "copy")
        self.copy_button.clicked.connect(self.copy_fingerprint)
        keys_row.addWidget(self.copy_button)
        keys_row.addWidget(self.revoke_button)
        agreements_row = QHBoxLayout()
        agreements_row.addWidget(QLabel(self.tr("Agreements")))
        agreements_row.addStretch(1)
        agreements_row.addWidget(self.agreement_button)
        dl.addLayout(keys_row)
        dl.addWidget(self.keys_view)
        dl.addLayout(agreements_row)
        self.agreements_view = _table(self.agreements)
        dl.addWidget(self.agreements_view)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(details)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def refresh(self) -> None:
        from exchange.directory import list_partners, our_card

        self.call(our_card, self.session, done=self._our_card, failed=self._no_card, key="card")
        self.call(list_partners, self.session, done=self._partners, key="list")

    def _our_card(self, made: tuple[bytes, Any]) -> None:
        _data, card = made
        self.card = card
        self.agency_button.setText(self.tr("Our agency..."))
        self.ours.setText(
            self.tr("We are {0} ({1}). Our signing key: {2}").format(
                card.name, card.country, _grouped(card.fingerprint)
            )
        )

    def _no_card(self, _message: str) -> None:
        self.card = None
        self.ours.setText(
            self.tr("Our agency is not set yet: partners need its name on our key card.")
        )
        self.agency_button.setText(self.tr("Set our agency..."))

    def _partners(self, partners: list[Any]) -> None:
        keep = self._select_after
        self._select_after = None
        self.model.set_records(partners)
        if keep is not None:
            self.select(keep)
        elif self.model.records:
            self.view.setCurrentIndex(self.view.model().index(0, 0))
        else:
            self.show_partner()

    def current(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.records[_proxy(self.view).mapToSource(index).row()]

    def select(self, name: str) -> None:
        for n, p in enumerate(self.model.records):
            if p.name == name:
                self.view.setCurrentIndex(_proxy(self.view).mapFromSource(self.model.index(n, 0)))

    def show_partner(self, select_key: str | None = None) -> None:
        from exchange.directory import show_partner

        p = self.current()
        self.agreement_button.setEnabled(p is not None)
        if p is None:
            self._show_partner((None, []), None)
            return
        self.call(
            show_partner,
            self.session,
            p.name,
            done=lambda found: self._show_partner(found, select_key),
            key="partner",
        )

    def _show_partner(self, found: tuple[Any, list[Any]], select_key: str | None) -> None:
        info, agreements = found
        self._show_head(info)
        self.keys.set_records(info.keys if info else [])
        self.agreements.set_records(agreements)
        self.revoke_button.setEnabled(bool(self.keys.records))
        self.copy_button.setEnabled(bool(self.keys.records))
        if self.keys.records:
            self.keys_view.setCurrentIndex(self.keys_view.model().index(0, 0))
        if select_key is not None:
            self.select_key(select_key)
        self.partner_shown.emit()

    def _show_head(self, info: Any) -> None:
        """The partner's last audit head a bundle carried; a warning if one went backwards."""
        head = info.head if info else None
        if info is None:
            self.head_label.clear()
        elif head is None:
            self.head_label.setText(
                self.tr("Last head seen: none (no bundle of theirs carried one)")
            )
        else:
            self.head_label.setText(
                self.tr("Last head seen: {0} from bundle {1} on {2}").format(
                    f"{head.seq}:{head.hash}", safe(head.bundle_id), when(head.at)
                )
            )
        back = info.went_back if info else None
        self.head_warning.setVisible(back is not None)
        if back is not None:
            self.head_warning.setText(
                self.tr(
                    "Warning: their audit head went backwards ({0} in bundle {1} on {2}): their "
                    "vault may have been restored or rolled back. Check with them before "
                    "relying on it."
                ).format(f"{back.seq}:{back.hash[:16]}...", safe(back.bundle_id), when(back.at))
            )

    def _ask_save(self) -> None:
        from desktop.pages.agency import ask_card_file, save_card

        save_card(self, ask_card_file(self))

    def save_card(self, path: Path) -> None:
        """Write our key card to ``path`` (on a worker; the core never overwrites a file)."""
        from desktop.pages.agency import save_card

        save_card(self, path)

    def _ask_card(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Partner key card"))
        if name:
            self.add_card(Path(name))

    def add_card(self, path: Path) -> None:
        """Read the card on a worker, show its fingerprint and ask that it was compared out of
        band, then add it. A card of a partner we already know is offered as a key rotation
        (the old key retires). ``card_read`` tells when the question (or a refusal) is shown.
        """
        self.confirm_box = None
        self.call(
            read_card_at,
            self.session,
            path,
            done=lambda found: self._confirm_card(path, *found),
            failed=self._card_refused,
            key="card_file",
        )

    def _card_refused(self, message: str) -> None:
        self.error(message)
        self.card_read.emit()

    def _confirm_card(self, path: Path, data: bytes, card: Any, known: bool) -> None:
        if known:
            title = self.tr("Rotate the key of {0}").format(card.name)
            text = self.tr(
                "{0} is already a partner. This card carries a new key; the current one will "
                "be retired."
            ).format(card.name)
        else:
            title = self.tr("Add partner {0}").format(card.name)
            text = self.tr("Add {0} ({1}) as a partner?").format(card.name, card.country)
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.setObjectName("card_confirm")
        box.setInformativeText(
            self.tr(
                "Fingerprint: {0}\n\nCompare it with {1} out of band (by phone or in person) "
                "before you trust this card."
            ).format(_grouped(card.fingerprint), card.name)
        )
        accept = self.tr("Rotate key") if known else self.tr("I compared it: add")
        self.card_button = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        self.card_button.clicked.connect(lambda: self._add(data, str(path), known))
        self.confirm_box = box
        box.open()
        self.card_read.emit()

    def _add(self, data: bytes, where: str, rotate: bool) -> Any:
        from exchange.directory import add_partner

        return self.call(
            add_partner, self.session, data, where, rotate, done=self._added, writes=True
        )

    def _added(self, info: Any) -> None:
        self._select_after = info.name
        self.refresh()
        self.status.emit(self.tr("Partner {0} added: compare the fingerprint.").format(info.name))

    def open_agency(self) -> Any:
        """Name, country and contact of our agency (``custos agency set``)."""
        from desktop.pages.agency import AgencyDialog

        self.agency_dialog = AgencyDialog(self.session, self.runner, self.card, self)
        self.agency_dialog.saved.connect(self._agency_saved)
        self.agency_dialog.open()
        return self.agency_dialog

    def _agency_saved(self, name: str) -> None:
        self.refresh()
        self.status.emit(self.tr("Our agency is now {0}.").format(name))

    def open_agreement(self) -> Any:
        from desktop.pages.agreements import AgreementDialog

        p = self.current()
        if p is None:
            return None
        self.agreement_dialog = AgreementDialog(self.session, self.runner, p.name, self)
        self.agreement_dialog.added.connect(lambda _a: self.show_partner())
        self.agreement_dialog.open()
        return self.agreement_dialog

    def copy_fingerprint(self) -> None:
        """The selected key's whole fingerprint, grouped, to the clipboard (to read it out)."""
        key = self.current_key()
        if key is not None:
            QGuiApplication.clipboard().setText(key.grouped)
            self.status.emit(self.tr("Fingerprint copied."))

    def current_key(self) -> Any:
        index = self.keys_view.currentIndex()
        if not index.isValid():
            return None
        return self.keys.records[_proxy(self.keys_view).mapToSource(index).row()]

    def select_key(self, fingerprint: str) -> None:
        for n, k in enumerate(self.keys.records):
            if k.fingerprint == fingerprint:
                source = self.keys.index(n, 0)
                self.keys_view.setCurrentIndex(_proxy(self.keys_view).mapFromSource(source))

    def revoke(self) -> QMessageBox | None:
        """Ask to confirm, then revoke the selected key (the core refuses a second revocation)."""
        p, key = self.current(), self.current_key()
        if p is None or key is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Revoke key"),
            self.tr(
                "Revoke key {0} of {1}? Every bundle signed with it will be refused from now on, "
                "old or new. This cannot be undone."
            ).format(key.grouped, p.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("revoke_confirm")
        box.accepted.connect(lambda: self._revoke(p.name, key.fingerprint))
        self.confirm_box = box
        box.open()
        return box

    def _revoke(self, name: str, fingerprint: str) -> None:
        from exchange.directory import revoke_key

        def revoked(key: Any) -> None:
            self.show_partner(select_key=fingerprint)
            self.status.emit(self.tr("Key {0} of {1} revoked.").format(key.grouped, name))

        def refused(message: str) -> None:
            self.show_partner(select_key=fingerprint)
            self.error(message)

        self.call(
            revoke_key, self.session, name, fingerprint, done=revoked, failed=refused, writes=True
        )


def _grouped(fpr: str) -> str:
    from exchange.cards import grouped

    return grouped(fpr)
