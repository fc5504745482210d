"""The export dialog: 1. partner and purpose, 2. items, 3. the policy check, then the export job."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.jobs import JobDialog
from desktop.pages import call
from desktop.tablemodel import Column, RecordModel, day, digits, filtered, setup_view
from desktop.widgets import CaseBox, CheckList, partner_and_purpose

VERDICT = {
    True: QT_TRANSLATE_NOOP("Export", "allowed"),
    False: QT_TRANSLATE_NOOP("Export", "refused"),
}
COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Export", "Item"), lambda v: v.item, digits, align_right=True),
    Column(QT_TRANSLATE_NOOP("Export", "Name"), lambda v: v.name),
    Column(QT_TRANSLATE_NOOP("Export", "Label"), lambda v: f"TLP:{v.label}"),
    Column(
        QT_TRANSLATE_NOOP("Export", "Policy"),
        lambda v: QCoreApplication.translate("Export", VERDICT[v.allowed]),
    ),
    Column(QT_TRANSLATE_NOOP("Export", "Reason"), lambda v: v.reason, width=60),
)


class ExportDialog(QDialog):
    checked = Signal(object)  # the Preview shown
    exported = Signal(object)  # the ExportResult

    def __init__(self, session: Any, runner: Any, case_ref: str | None, parent: QWidget | None):
        super().__init__(parent)
        from exchange.directory import list_partners
        from vault.cases import list_cases

        self.session, self.runner = session, runner
        self._case_ref = case_ref
        self.preview: Any = None  # the core's ExportPreview
        self.result: Any = None
        self.job_dialog: JobDialog | None = None
        self._generation = 0
        self.setWindowTitle(self.tr("Export a bundle to a partner"))
        self.resize(900, 640)
        self.partner, self.purpose = partner_and_purpose()
        self.cases = CaseBox()
        step1 = QGroupBox(self.tr("1. Partner and purpose"))
        f1 = QFormLayout(step1)
        f1.addRow(self.tr("Partner"), self.partner)
        f1.addRow(self.tr("Purpose"), self.purpose)
        f1.addRow(self.tr("Case"), self.cases)
        self.items = CheckList()
        step2 = QGroupBox(self.tr("2. Items"))
        QVBoxLayout(step2).addWidget(self.items)
        self.model = RecordModel(COLUMNS, "Export", self)
        self.view = QTableView()
        self.view.setModel(filtered(self.model, self))
        setup_view(self.view)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("policy_summary")
        step3 = QGroupBox(self.tr("3. Policy check (before anything is written)"))
        l3 = QVBoxLayout(step3)
        l3.addWidget(self.summary)
        l3.addWidget(self.view)
        self.folder = QLineEdit()
        self.name = QLineEdit()
        choose = QPushButton(self.tr("Choose..."))
        choose.clicked.connect(self._ask_folder)
        self.encrypt = QCheckBox(self.tr("Encrypt to the partner (one .tar.age file)"))
        self.matches = QCheckBox(self.tr("Include face matches"))
        self.matches.setToolTip(
            self.tr("Face search results and review decisions on these items (policy-checked).")
        )
        out = QHBoxLayout()
        out.addWidget(QLabel(self.tr("Save in")))
        out.addWidget(self.folder, 2)
        out.addWidget(choose)
        out.addWidget(QLabel(self.tr("Name")))
        out.addWidget(self.name, 1)
        out.addWidget(self.encrypt)
        out.addWidget(self.matches)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setEnabled(False)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(step1, 1)
        top.addWidget(step2, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(step3, 1)
        layout.addLayout(out)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.check)
        self.partner.currentIndexChanged.connect(self._partner_changed)
        self.purpose.currentIndexChanged.connect(self._changed)
        self.cases.chosen.connect(self._load_items)
        self.items.itemChanged.connect(self._changed)
        self.matches.toggled.connect(self._changed)
        self.folder.textChanged.connect(self._enable)
        self.name.textChanged.connect(self._enable)
        self.summary.setText(self.tr("Loading..."))
        # partners, then cases, then items: each read on the runner, shown when it answers
        call(self, runner, list_partners, session, done=self._partners, failed=self._partners)
        call(self, runner, list_cases, session, done=self._cases, failed=self._check_failed)

    def _partners(self, partners: Any) -> None:
        """Fill the partner choice (a refusal to read the directory leaves it empty)."""
        self.partner.blockSignals(True)
        for p in partners if isinstance(partners, list) else []:
            self.partner.addItem(f"{p.name} ({p.country})", p.name)
        self.partner.blockSignals(False)
        self._partner_changed()

    def _cases(self, cases: list[Any]) -> None:
        self.cases.blockSignals(True)
        self.cases.reload(cases)
        if self._case_ref:
            self.cases.select(self._case_ref)
        self.cases.blockSignals(False)
        self._load_items()

    def _partner_changed(self, *_args: Any) -> None:
        """Preselect the purpose of an agreement in force with this partner, if there is one."""
        from exchange.directory import list_agreements

        partner = self.partner.currentData()
        self._name_bundle()
        if partner:
            call(
                self,
                self.runner,
                list_agreements,
                self.session,
                partner,
                done=self._agreements,
                failed=lambda _m: self._changed(),  # no right to read them: the user chooses
                key="agreements",
            )
        self._changed()

    def _agreements(self, agreements: list[Any]) -> None:
        in_force = [a for a in agreements if a.active()]
        index = self.purpose.findData(in_force[0].purpose) if in_force else -1
        if index >= 0 and index != self.purpose.currentIndex():
            self.purpose.setCurrentIndex(index)  # checks again
        else:
            self._changed()

    def _load_items(self, *_args: Any) -> None:
        from vault.items import list_items

        case = self.cases.reference()
        self._name_bundle()
        if not case:
            self._items([])
            return
        call(
            self,
            self.runner,
            list_items,
            self.session,
            case,
            done=self._items,
            failed=self._check_failed,
            key="items",
        )

    def _items(self, found: list[Any]) -> None:
        self.items.blockSignals(True)
        self.items.set_entries([(f"{i.id}  {i.name}", i.id) for i in found], checked=True)
        self.items.blockSignals(False)
        self._changed()

    def _name_bundle(self) -> None:
        case = self.cases.reference()
        partner = self.partner.currentData() or "partner"
        self.name.setText(f"bundle-{case}-{partner}-{date.today().isoformat()}".replace(" ", "_"))

    def _changed(self, *_args: Any) -> None:
        self.preview = None
        self.export_button.setEnabled(False)
        self.summary.setText(self.tr("Checking the agreements..."))
        self._timer.start()

    def check(self) -> Any:
        """Ask the core's policy about the current choice (on a worker)."""
        self._timer.stop()
        self._generation += 1
        case, partner, ids = (
            self.cases.reference(),
            self.partner.currentData(),
            self.items.checked(),
        )
        if not (case and partner and ids):
            self.model.set_records([])
            self.summary.setText(self.tr("Choose a partner, a case and at least one item."))
            return None
        from exchange.export import preview_export

        bridge = self.runner.call(
            preview_export,
            self.session,
            case,
            partner,
            self.purpose.currentData(),
            ids,
            self.matches.isChecked(),
        )
        bridge.setProperty("generation", self._generation)
        bridge.finished.connect(self._checked)
        bridge.failed.connect(self._check_failed)
        return bridge

    def _checked(self, preview: Any) -> None:
        if self.sender().property("generation") != self._generation:
            return
        self.preview = preview
        self.model.set_records(preview.verdicts)
        refused = [v for v in preview.verdicts if not v.allowed]
        if preview.allowed:
            ag = preview.agreement
            self.summary.setText(
                self.tr("Allowed: {0} item(s) under agreement {1} ({2}, until {3}).").format(
                    len(preview.verdicts), ag.id, ag.reference or ag.purpose, day(ag.valid_until)
                )
            )
        else:
            self.summary.setText(
                self.tr(
                    "Refused: {0} of {1} item(s) may not go to this partner (reasons below). "
                    "Untick them or choose another purpose; nothing is written."
                ).format(len(refused), len(preview.verdicts))
            )
        self._enable()
        self.checked.emit(preview)

    def _check_failed(self, message: str) -> None:
        if self.sender().property("generation") == self._generation:
            self.summary.setText(message)

    def _enable(self) -> None:
        ready = self.preview is not None and self.preview.allowed
        self.export_button.setEnabled(ready and bool(self.folder.text() and self.name.text()))

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save the bundle in"))
        if folder:
            self.folder.setText(folder)

    def target(self) -> Path:
        return Path(self.folder.text()) / self.name.text().strip()

    def export(self) -> JobDialog | None:
        from exchange.export import ExportJob
        from vault.jobs import CancelToken

        if not self.export_button.isEnabled():
            return None
        job = ExportJob(
            self.session,
            self.cases.reference() or "",
            self.partner.currentData(),
            self.purpose.currentData(),
            self.target(),
            item_ids=self.items.checked(),
            encrypt=self.encrypt.isChecked(),
            cancel=CancelToken(),
            matches=self.matches.isChecked(),
        )
        self.export_button.setEnabled(False)
        bridge = self.runner.start(job)
        self.job_dialog = JobDialog(
            bridge, self.tr("Exporting to {0}").format(job.partner), self._describe, self
        )
        bridge.finished.connect(self._exported)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return self.job_dialog

    def _describe(self, r: Any) -> str:
        return self.tr("Bundle written to {0}: {1} item(s), highest label TLP:{2}.").format(
            r.path, r.items, r.label
        )

    def _exported(self, result: Any) -> None:
        self.result = result
        self.message.setText(
            self._describe(result) + " " + self.tr("Bundle hash: {0}").format(result.sha256)
        )
        self.exported.emit(result)

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self._enable()
