"""The dialog that records an agreement with a partner (``exchange.directory.add_agreement``).

The dialog only collects the terms; the core checks them (purpose, MLA reference, labels, crime
areas, dates) and its refusal is shown as one line in the dialog.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.pages import call
from desktop.pages.cases import AREA_NAMES

PURPOSE_NAMES = {
    "mla": QT_TRANSLATE_NOOP("AgreementDialog", "Mutual legal assistance (MLA)"),
    "joint-operation": QT_TRANSLATE_NOOP("AgreementDialog", "Joint operation"),
    "intelligence": QT_TRANSLATE_NOOP("AgreementDialog", "Intelligence"),
}


def _date_edit(value: QDate) -> QDateEdit:
    edit = QDateEdit(value)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class AgreementDialog(QDialog):
    """Purpose (with the MLA reference), allowed TLP labels, crime areas, onward sharing, dates."""

    added = Signal(object)  # the core's AgreementInfo

    def __init__(
        self, session: Any, runner: Any, partner: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        from exchange.directory import PURPOSES
        from matching.tlp import LABELS
        from vault.cases import CRIME_AREAS

        self.session = session
        self.partner = partner
        self.setWindowTitle(self.tr("New agreement with {0}").format(partner))
        self.purpose = QComboBox()
        for key in PURPOSES:
            name = QCoreApplication.translate("AgreementDialog", PURPOSE_NAMES.get(key, key))
            self.purpose.addItem(name, key)
        self.reference = QLineEdit()
        self.reference.setPlaceholderText(self.tr("The MLA request reference"))
        self.purpose.currentIndexChanged.connect(self._purpose_changed)
        self.labels: dict[str, QCheckBox] = {}
        label_box = QGroupBox(self.tr("Allowed TLP labels"))
        label_row = QHBoxLayout(label_box)
        for label in LABELS:
            self.labels[label] = QCheckBox(f"TLP:{label}")
            label_row.addWidget(self.labels[label])
        self.areas: dict[str, QCheckBox] = {}
        area_box = QGroupBox(self.tr("Crime areas (none checked: all)"))
        grid = QGridLayout(area_box)
        for i, key in enumerate(CRIME_AREAS):
            check = QCheckBox(QCoreApplication.translate("Cases", AREA_NAMES.get(key, key)))
            self.areas[key] = check
            grid.addWidget(check, i // 3, i % 3)
        self.onward = QCheckBox(self.tr("The partner may share onward"))
        self.redacted = QCheckBox(self.tr("Photos and videos only as redacted copies"))
        self.redacted.setToolTip(self.tr("Faces blurred; the originals never go (Redact...)"))
        today = QDate.currentDate()
        self.valid_from = _date_edit(today)
        self.valid_until = _date_edit(today.addYears(1))
        form = QFormLayout()
        form.addRow(self.tr("Partner"), QLabel(partner))
        form.addRow(self.tr("Purpose"), self.purpose)
        form.addRow(self.tr("MLA reference"), self.reference)
        form.addRow(self.tr("Valid from"), self.valid_from)
        form.addRow(self.tr("Valid until"), self.valid_until)
        self.message = QLabel()
        self.message.setObjectName("agreement_error")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.css("danger"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Add agreement"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(label_box)
        layout.addWidget(area_box)
        layout.addWidget(self.onward)
        layout.addWidget(self.redacted)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._purpose_changed()

    def _purpose_changed(self, *_args: Any) -> None:
        self.reference.setEnabled(self.purpose.currentData() == "mla")

    def set_purpose(self, key: str) -> None:
        self.purpose.setCurrentIndex(self.purpose.findData(key))

    def submit(self) -> Any:
        """Ask the core to record the agreement; its refusal stays in the dialog as one line."""
        from exchange.directory import add_agreement

        purpose = self.purpose.currentData()
        self.buttons.setEnabled(False)
        return call(
            self,
            self.runner,
            add_agreement,
            self.session,
            self.partner,
            purpose,
            ",".join(k for k, c in self.labels.items() if c.isChecked()),
            self.valid_until.date().toString("yyyy-MM-dd"),
            reference=self.reference.text().strip() if purpose == "mla" else None,
            crime_areas=[k for k, c in self.areas.items() if c.isChecked()],
            onward=self.onward.isChecked(),
            redacted=self.redacted.isChecked(),
            valid_from=self.valid_from.date().toString("yyyy-MM-dd"),
            done=self._added,
            failed=self._refused,
            writes=True,
        )

    def _added(self, info: Any) -> None:
        self.buttons.setEnabled(True)
        self.message.clear()
        self.added.emit(info)
        self.accept()

    def _refused(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(message.splitlines()[0] if message else "")
