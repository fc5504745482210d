"""Our agency: the name, country and contact partners see on our key card.

The same core call as ``custos agency set`` (``exchange.directory.set_agency``); the core checks
the values and its refusal is shown as one line in the dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.pages import call


def ask_card_file(parent: QWidget) -> Path | None:
    """Where to save our key card (``exchange.directory.save_our_card`` never overwrites)."""
    title = QCoreApplication.translate("Agency", "Save our key card")
    name, _ = QFileDialog.getSaveFileName(parent, title, "our-key-card.json")
    return Path(name) if name else None


def save_card(page: Any, path: Path | None) -> None:
    """From a page: our key card written to ``path`` on a worker, its fingerprints in the
    status line (a refusal, e.g. an existing file, in the error box)."""
    from exchange.directory import save_our_card

    if path is not None:
        page.call(
            save_our_card,
            page.session,
            path,
            done=lambda card: page.status.emit(card_saved(path, card)),
            writes=True,
        )


def card_saved(path: Path, card: Any) -> str:
    """The status line after saving our card: read both fingerprints to partners."""
    from exchange.cards import grouped

    return QCoreApplication.translate(
        "Agency", "Our key card is saved in {0}. Signing key {1}; recipient {2}."
    ).format(path, grouped(card.fingerprint), grouped(card.recipient_fingerprint))


class AgencyDialog(QDialog):
    """Name, ISO 3166 country code and contact point; filled with the current values."""

    saved = Signal(str)  # the name

    def __init__(
        self, session: Any, runner: Any, current: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.setWindowTitle(self.tr("Our agency"))
        self.name = QLineEdit(getattr(current, "name", ""))
        self.country = QLineEdit(getattr(current, "country", ""))
        self.country.setMaxLength(2)
        self.country.setPlaceholderText(self.tr("two letters, e.g. NL"))
        self.contact = QLineEdit(getattr(current, "contact", ""))
        self.contact.setPlaceholderText(self.tr("desk, e-mail or phone"))
        note = QLabel(
            self.tr("Partners see these on our key card. Give them a new card after a change.")
        )
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Agency name"), self.name)
        form.addRow(self.tr("Country"), self.country)
        form.addRow(self.tr("Contact"), self.contact)
        self.message = QLabel()
        self.message.setObjectName("agency_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.css("danger"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        """Ask the core (on a worker) to set the agency; close when it is recorded."""
        from exchange.directory import set_agency

        name = self.name.text()
        self.buttons.setEnabled(False)
        self.message.clear()
        call(
            self,
            self.runner,
            set_agency,
            self.session,
            name,
            self.country.text(),
            self.contact.text().strip(),
            done=lambda _none: self._saved(name.strip()),
            failed=self._refused,
            writes=True,
        )

    def _saved(self, name: str) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(name)
        self.accept()

    def _refused(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(message)
