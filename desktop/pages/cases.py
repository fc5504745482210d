"""Cases: the list, and a dialog to open a new case (crime areas, joint-operation partners)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.pages import Page, call
from desktop.tablemodel import Column, RecordModel, filtered, number, setup_view, when

COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Cases", "Reference"), lambda c: c.reference),
    Column(QT_TRANSLATE_NOOP("Cases", "Title"), lambda c: c.title),
    Column(QT_TRANSLATE_NOOP("Cases", "Items"), lambda c: c.items, number, align_right=True),
    Column(QT_TRANSLATE_NOOP("Cases", "Crime areas"), lambda c: ", ".join(c.crime_areas)),
    Column(QT_TRANSLATE_NOOP("Cases", "Joint operation"), lambda c: c.operation or ""),
    Column(QT_TRANSLATE_NOOP("Cases", "Partners"), lambda c: ", ".join(c.partners)),
    Column(QT_TRANSLATE_NOOP("Cases", "Created by"), lambda c: c.created_by),
    Column(QT_TRANSLATE_NOOP("Cases", "Created"), lambda c: c.created_at, when),
)

AREA_NAMES = {
    "drug-trafficking": QT_TRANSLATE_NOOP("Cases", "Drug trafficking"),
    "human-trafficking": QT_TRANSLATE_NOOP("Cases", "Human trafficking"),
    "arms-smuggling": QT_TRANSLATE_NOOP("Cases", "Arms smuggling"),
    "money-laundering": QT_TRANSLATE_NOOP("Cases", "Money laundering"),
    "cybercrime": QT_TRANSLATE_NOOP("Cases", "Cybercrime"),
    "terrorism": QT_TRANSLATE_NOOP("Cases", "Terrorism"),
    "corruption": QT_TRANSLATE_NOOP("Cases", "Corruption"),
    "fraud": QT_TRANSLATE_NOOP("Cases", "Fraud"),
    "other": QT_TRANSLATE_NOOP("Cases", "Other"),
}


class CaseDialog(QDialog):
    """Reference, title, crime areas, joint operation and its partner agencies."""

    made = Signal(object)

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from vault.cases import CRIME_AREAS

        self.session, self.runner = session, runner
        self.setWindowTitle(self.tr("New case"))
        self.reference = QLineEdit()
        self.title = QLineEdit()
        self.operation = QLineEdit()
        self.partners = QLineEdit()
        self.partners.setPlaceholderText(self.tr("Agencies, separated by commas"))
        form = QFormLayout()
        form.addRow(self.tr("Reference"), self.reference)
        form.addRow(self.tr("Title"), self.title)
        box = QGroupBox(self.tr("Crime areas"))
        grid = QGridLayout(box)
        self.areas: dict[str, QCheckBox] = {}
        for i, key in enumerate(CRIME_AREAS):
            check = QCheckBox(QCoreApplication.translate("Cases", AREA_NAMES.get(key, key)))
            self.areas[key] = check
            grid.addWidget(check, i // 3, i % 3)
        joint = QFormLayout()
        joint.addRow(self.tr("Joint operation"), self.operation)
        joint.addRow(self.tr("Partner agencies"), self.partners)
        self.hash_sets = QCheckBox(self.tr("Also compute SHA-1 and MD5 (hash-set sharing)"))
        self.hash_sets.setChecked(True)
        self.hash_sets.setToolTip(
            self.tr(
                "SHA-256 is always computed. SHA-1 and MD5 let partners match these files "
                "against shared hash sets; without them large files ingest about twice as fast."
            )
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.css("danger"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addLayout(joint)
        layout.addWidget(self.hash_sets)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def submit(self) -> None:
        """Ask the core on a worker; a refusal stays in the dialog as one line."""
        from vault.cases import create_case

        partners = [p.strip() for p in self.partners.text().split(",") if p.strip()]
        areas = [k for k, c in self.areas.items() if c.isChecked()]
        self.buttons.setEnabled(False)
        call(
            self,
            self.runner,
            create_case,
            self.session,
            self.reference.text(),
            self.title.text().strip(),
            areas,
            self.operation.text().strip() or None,
            partners,
            self.hash_sets.isChecked(),
            done=self._made,
            failed=self._refused,
            writes=True,
        )

    def _made(self, info: Any) -> None:
        self.buttons.setEnabled(True)
        self.made.emit(info)
        self.accept()

    def _refused(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(message)


class CasesPage(Page):
    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.model = RecordModel(COLUMNS, "Cases", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.view.doubleClicked.connect(self._open)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter cases"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.new_button = set_icon(QPushButton(self.tr("New case...")), "add")
        self.new_button.clicked.connect(self.new_case)
        self.new_button.setVisible(session.may("case.create"))
        self.open_button = set_icon(QPushButton(self.tr("Show evidence")), "evidence")
        self.open_button.clicked.connect(lambda: self._open(self.view.currentIndex()))
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)

        # item counts follow every ingest, import or other change, not only F5
        runner.changed.connect(self.refresh)

    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self.model.set_records, key="list")

    def new_case(self) -> CaseDialog:
        dialog = CaseDialog(self.session, self.runner, self)
        dialog.made.connect(self._made)
        dialog.open()
        return dialog

    def _made(self, info: Any) -> None:
        self.refresh()
        self.status.emit(self.tr("Case {0} created").format(info.reference))

    def _open(self, index: Any) -> None:
        if index.isValid():
            record = self.model.records[self.proxy.mapToSource(index).row()]
            self.open_case.emit(record.reference)
