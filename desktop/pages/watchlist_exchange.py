"""Dialogs of the Watchlists page: calibration, export to a partner, import of a partner's list.

Each one only gathers the user's choice; the core does the work on a worker thread (``JobRunner``)
and its progress shows in a ``JobDialog``. Refusals come back as readable text, never a trace.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.jobs import JobDialog
from desktop.pages import call
from desktop.widgets import partner_and_purpose


def _path_row(edit: QLineEdit, *buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    for b in buttons:
        row.addWidget(b)
    return row


def _buttons(dialog: QDialog, ok: str) -> tuple[QDialogButtonBox, QPushButton]:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    go = box.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
    box.rejected.connect(dialog.reject)
    return box, go


class CalibrateDialog(QDialog):
    """A labelled folder and a target FPIR; the threshold is measured off the GUI thread."""

    calibrated = Signal(object)  # the Calibration

    def __init__(self, session: Any, runner: Any, watchlist: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session, self.runner, self.watchlist = session, runner, watchlist
        self.job_dialog: JobDialog | None = None
        self.setWindowTitle(self.tr("Calibrate {0}").format(watchlist))
        self.setMinimumWidth(480)
        self.folder = QLineEdit()
        choose = QPushButton(self.tr("Choose..."))
        choose.clicked.connect(self._ask_folder)
        self.fpir = QDoubleSpinBox()
        self.fpir.setDecimals(4)
        self.fpir.setRange(0.0001, 0.5)
        self.fpir.setSingleStep(0.001)
        self.fpir.setValue(0.01)
        form = QFormLayout()
        form.addRow(
            self.tr("Labelled folder (one subfolder per person)"), _path_row(self.folder, choose)
        )
        form.addRow(self.tr("Target FPIR (false alerts per non-mated search)"), self.fpir)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons, go = _buttons(self, self.tr("Calibrate"))
        go.clicked.connect(self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Labelled folder to measure on"))
        if folder:
            self.folder.setText(folder)

    def submit(self) -> JobDialog | None:
        folder = Path(self.folder.text().strip())
        if not self.folder.text().strip() or not folder.is_dir():
            self.message.setText(self.tr("Choose a labelled folder."))
            return None
        from matching.measure import CalibrateJob

        name = self.watchlist
        bridge = self.runner.start(CalibrateJob(self.session, name, folder, self.fpir.value()))
        self.job_dialog = JobDialog(
            bridge,
            self.tr("Calibrating {0}").format(name),
            lambda cal: self.tr("Alert threshold {0:.4f} (FPIR {1:.4f}).").format(
                cal.threshold, cal.fpir
            ),
            self.parentWidget(),
        )
        bridge.finished.connect(self.calibrated.emit)
        self.job_dialog.show()
        self.accept()
        return self.job_dialog


class _Refusable:
    """A core job whose policy refusal is a result to show (with its reasons), not an error."""

    def __init__(self, job: Any) -> None:
        self.job, self.cancel = job, job.cancel

    def run(self, emit: Any) -> Any:
        from exchange.errors import PolicyRefused

        try:
            return self.job.run(emit)
        except PolicyRefused as exc:
            return exc


class WatchlistExportDialog(QDialog):
    """Partner, purpose, where to save, encryption and an optional ANSI/NIST-ITL file."""

    exported = Signal(object)  # the WatchlistExportResult
    refused = Signal(list)  # the policy's reasons, one per subject

    def __init__(self, session: Any, runner: Any, watchlist: str, parent: QWidget | None) -> None:
        super().__init__(parent)

        self.session, self.runner, self.watchlist = session, runner, watchlist
        self.result: Any = None
        self.job_dialog: JobDialog | None = None
        self.setWindowTitle(self.tr("Export watchlist {0} to a partner").format(watchlist))
        self.setMinimumWidth(560)
        self.partner, self.purpose = partner_and_purpose()
        self.folder = QLineEdit()
        choose = QPushButton(self.tr("Choose..."))
        choose.clicked.connect(self._ask_folder)
        self.name = QLineEdit()
        self.encrypt = QCheckBox(self.tr("Encrypt to the partner (one .tar.age file)"))
        self.nist = QCheckBox(self.tr("Also write an ANSI/NIST-ITL 1-2011 file (.eft)"))
        form = QFormLayout()
        form.addRow(self.tr("Partner"), self.partner)
        form.addRow(self.tr("Purpose"), self.purpose)
        form.addRow(self.tr("Save in"), _path_row(self.folder, choose))
        form.addRow(self.tr("Name"), self.name)
        form.addRow("", self.encrypt)
        form.addRow("", self.nist)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("export_message")
        buttons, self.export_button = _buttons(self, self.tr("Export"))
        self.export_button.clicked.connect(self.export)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.partner.currentIndexChanged.connect(self._default_name)
        self._default_name()
        from exchange.directory import list_partners

        call(self, runner, list_partners, session, done=self._partners, failed=lambda _m: None)

    def _partners(self, partners: list[Any]) -> None:
        for p in partners:
            self.partner.addItem(f"{p.name} ({p.country})", p.name)

    def _default_name(self, *_args: Any) -> None:
        partner = self.partner.currentData() or "partner"
        name = f"watchlist-{self.watchlist}-{partner}-{date.today().isoformat()}"
        self.name.setText("".join(c if c.isalnum() or c in "-_." else "_" for c in name))

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save the bundle in"))
        if folder:
            self.folder.setText(folder)

    def export(self) -> JobDialog | None:
        from exchange.wlexport import WatchlistExportJob

        folder, name = self.folder.text().strip(), self.name.text().strip()
        if not self.partner.currentData():
            self.message.setText(self.tr("Add a partner first (Partners page)."))
            return None
        if not folder or not name:
            self.message.setText(self.tr("Choose a folder and a name for the bundle."))
            return None
        target = Path(folder) / name
        nist = target.with_name(name + ".eft") if self.nist.isChecked() else None
        job = WatchlistExportJob(
            self.session,
            self.watchlist,
            self.partner.currentData(),
            target,
            self.purpose.currentData(),
            nist,
            encrypt=self.encrypt.isChecked(),
        )
        self.export_button.setEnabled(False)
        self.message.setText("")
        bridge = self.runner.start(_Refusable(job))
        self.job_dialog = JobDialog(
            bridge, self.tr("Exporting {0}").format(self.watchlist), self._describe, self
        )
        bridge.finished.connect(self._finished)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return self.job_dialog

    def _describe(self, r: Any) -> str:
        if isinstance(r, Exception):
            lines = "\n".join(f"• {why}" for why in r.refusals)  # type: ignore[attr-defined]
            return (
                self.tr("Refused by the agreements with {0}; nothing was written:").format(
                    self.partner.currentData()
                )
                + "\n"
                + lines
            )
        text = self.tr(
            "Watchlist bundle written to {0}: {1} subject(s), {2} photo(s), highest label TLP:{3}."
        ).format(r.path, r.subjects, r.references, r.label)
        if r.nist is not None:
            text += "\n" + self.tr("ANSI/NIST-ITL file written to {0}.").format(r.nist)
        if r.skipped_expired:
            text += "\n" + self.tr("Expired listings not shared: {0}").format(
                ", ".join(r.skipped_expired)
            )
        return text

    def _finished(self, result: Any) -> None:
        self.message.setText(self._describe(result))
        self.export_button.setEnabled(True)
        if isinstance(result, Exception):
            self.refused.emit(list(result.refusals))  # type: ignore[attr-defined]
        else:
            self.result = result
            self.exported.emit(result)

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self.export_button.setEnabled(True)


class WatchlistImportDialog(QDialog):
    """A partner's watchlist bundle (folder or .tar.age), verified and enrolled again here."""

    imported = Signal(object)  # the WatchlistImportResult

    def __init__(self, session: Any, runner: Any, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.result: Any = None
        self.job_dialog: JobDialog | None = None
        self.setWindowTitle(self.tr("Import a watchlist bundle"))
        self.setMinimumWidth(560)
        self.path = QLineEdit()
        folder = QPushButton(self.tr("Folder..."))
        folder.clicked.connect(self._ask_folder)
        sealed = QPushButton(self.tr("Encrypted file..."))
        sealed.clicked.connect(self._ask_file)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("default: <name> (<agency>)"))
        form = QFormLayout()
        form.addRow(self.tr("Bundle"), _path_row(self.path, folder, sealed))
        form.addRow(self.tr("Import as"), self.name)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        buttons, self.import_button = _buttons(self, self.tr("Import"))
        self.import_button.clicked.connect(self.import_)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Watchlist bundle folder"))
        if folder:
            self.path.setText(folder)

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Encrypted watchlist bundle"), "", self.tr("Bundles (*.tar.age)")
        )
        if path:
            self.path.setText(path)

    def import_(self) -> JobDialog | None:
        from exchange.wlimport import WatchlistImportJob

        if not self.path.text().strip():
            self.report.setPlainText(self.tr("Choose a bundle folder or a .tar.age file."))
            return None
        job = WatchlistImportJob(
            self.session, Path(self.path.text().strip()), self.name.text().strip() or None
        )
        self.import_button.setEnabled(False)
        self.report.setPlainText(self.tr("Verifying and enrolling..."))
        bridge = self.runner.start(job)
        self.job_dialog = JobDialog(bridge, self.tr("Importing a watchlist"), self._describe, self)
        bridge.finished.connect(self._finished)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return self.job_dialog

    def _describe(self, r: Any) -> str:
        text = self.tr("Watchlist {0} from {1}: {2} subject(s), {3} photo(s) enrolled.").format(
            r.watchlist, r.sender, r.subjects, r.references
        )
        if r.refused:
            text += "\n" + self.tr("{0} photo(s) refused by the local quality rules:").format(
                len(r.refused)
            )
            text += "".join(f"\n• {photo}: {why}" for photo, why in r.refused)
        return text

    def _finished(self, result: Any) -> None:
        self.result = result
        self.report.setPlainText(self._describe(result))
        self.import_button.setEnabled(True)
        self.imported.emit(result)

    def _failed(self, message: str) -> None:
        self.report.setPlainText(message)
        self.import_button.setEnabled(True)
