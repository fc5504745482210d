"""What every "send to a partner" and "import a partner's bundle" dialog shares (watchlists,
hash sets): the partner and purpose, where to save, encryption; a bundle folder or ``.tar.age``
file and the name to import it as; the core's job on a worker with its progress dialog, a policy
refusal shown with its reasons, and the job's answer in words.

A subclass makes the job and describes its result; its own texts (title, captions) are passed
in already translated, so each dialog keeps its own translation context. The shared texts are
translated here, in the context ``BundleDialogs``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
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
from vault.printable import safe


def path_row(edit: QLineEdit, *buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    for b in buttons:
        row.addWidget(b)
    return row


def ok_cancel(dialog: QDialog, ok: str) -> tuple[QDialogButtonBox, QPushButton]:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    go = box.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
    box.rejected.connect(dialog.reject)
    return box, go


class Refusable:
    """A core job whose policy refusal is a result to show (with its reasons), not an error."""

    def __init__(self, job: Any) -> None:
        self.job, self.cancel = job, job.cancel

    def run(self, emit: Any) -> Any:
        from exchange.errors import PolicyRefused

        try:
            return self.job.run(emit)
        except PolicyRefused as exc:
            return exc


class BundleExportDialog(QDialog):
    """Partner, purpose, the folder and name of the bundle (``prefix-partner-date`` by
    default), encryption; the subclass sets the title, adds its own options to ``form`` and
    makes the export job (``make_job(target)``)."""

    exported = Signal(object)  # the job's result
    refused = Signal(list)  # the policy's reasons

    def __init__(self, session: Any, runner: Any, prefix: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session, self.runner, self.prefix = session, runner, prefix
        self.result: Any = None
        self.job_dialog: JobDialog | None = None
        self.setMinimumWidth(560)
        self.partner, self.purpose = partner_and_purpose()
        self.folder = QLineEdit()
        choose = QPushButton(QCoreApplication.translate("BundleDialogs", "Choose..."))
        choose.clicked.connect(self._ask_folder)
        self.name = QLineEdit()
        self.encrypt = QCheckBox(
            QCoreApplication.translate(
                "BundleDialogs", "Encrypt to the partner (one .tar.age file)"
            )
        )
        self.form = QFormLayout()
        self.form.addRow(QCoreApplication.translate("BundleDialogs", "Partner"), self.partner)
        self.form.addRow(QCoreApplication.translate("BundleDialogs", "Purpose"), self.purpose)
        self.form.addRow(
            QCoreApplication.translate("BundleDialogs", "Save in"), path_row(self.folder, choose)
        )
        self.form.addRow(QCoreApplication.translate("BundleDialogs", "Name"), self.name)
        self.form.addRow("", self.encrypt)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("export_message")
        self.buttons, self.export_button = ok_cancel(
            self, QCoreApplication.translate("BundleDialogs", "Export")
        )
        self.export_button.clicked.connect(self.export)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.partner.currentIndexChanged.connect(self._default_name)
        self._default_name()
        from exchange.directory import list_partners

        call(self, runner, list_partners, session, done=self._partners, failed=self._failed)

    def make_job(self, target: Path) -> Any:
        raise NotImplementedError

    def job_title(self) -> str:
        raise NotImplementedError

    def describe(self, result: Any) -> str:
        raise NotImplementedError

    def _partners(self, partners: list[Any]) -> None:
        for p in partners:
            self.partner.addItem(f"{safe(p.name)} ({safe(p.country)})", p.name)

    def _default_name(self, *_args: Any) -> None:
        partner = self.partner.currentData() or "partner"
        name = f"{self.prefix}-{partner}-{date.today().isoformat()}"
        self.name.setText("".join(c if c.isalnum() or c in "-_." else "_" for c in name))

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, QCoreApplication.translate("BundleDialogs", "Save the bundle in")
        )
        if folder:
            self.folder.setText(folder)

    def export(self) -> JobDialog | None:
        folder, name = self.folder.text().strip(), self.name.text().strip()
        if not self.partner.currentData():
            self.message.setText(
                QCoreApplication.translate("BundleDialogs", "Add a partner first (Partners page).")
            )
            return None
        if not folder or not name:
            self.message.setText(
                QCoreApplication.translate(
                    "BundleDialogs", "Choose a folder and a name for the bundle."
                )
            )
            return None
        job = self.make_job(Path(folder) / name)
        self.export_button.setEnabled(False)
        self.message.setText("")
        bridge = self.runner.start(Refusable(job))
        self.job_dialog = JobDialog(bridge, self.job_title(), self._text, self)
        bridge.finished.connect(self._finished)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return self.job_dialog

    def _text(self, r: Any) -> str:
        if isinstance(r, Exception):
            lines = "\n".join(f"• {safe(why)}" for why in r.refusals)  # type: ignore[attr-defined]
            head = QCoreApplication.translate(
                "BundleDialogs", "Refused by the agreements with {0}; nothing was written:"
            )
            return head.format(safe(self.partner.currentData())) + "\n" + lines
        return self.describe(r)

    def _finished(self, result: Any) -> None:
        self.message.setText(self._text(result))
        self.export_button.setEnabled(True)
        if isinstance(result, Exception):
            self.refused.emit(list(result.refusals))  # type: ignore[attr-defined]
        else:
            self.result = result
            self.exported.emit(result)

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self.export_button.setEnabled(True)


class BundleImportDialog(QDialog):
    """A partner's bundle (folder or ``.tar.age``) and the name to import it as; the subclass
    sets the title and the name's placeholder, makes the import job (``make_job(path, name)``)
    and says what came in (``describe(result)``)."""

    imported = Signal(object)  # the job's result

    def __init__(self, session: Any, runner: Any, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.result: Any = None
        self.job_dialog: JobDialog | None = None
        self.setMinimumWidth(560)
        self.path = QLineEdit()
        folder = QPushButton(QCoreApplication.translate("BundleDialogs", "Folder..."))
        folder.clicked.connect(self._ask_folder)
        sealed = QPushButton(QCoreApplication.translate("BundleDialogs", "Encrypted file..."))
        sealed.clicked.connect(self._ask_file)
        self.name = QLineEdit()  # the subclass says what the default is (placeholder)
        form = QFormLayout()
        form.addRow(
            QCoreApplication.translate("BundleDialogs", "Bundle"),
            path_row(self.path, folder, sealed),
        )
        form.addRow(QCoreApplication.translate("BundleDialogs", "Import as"), self.name)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        buttons, self.import_button = ok_cancel(
            self, QCoreApplication.translate("BundleDialogs", "Import")
        )
        self.import_button.clicked.connect(self.import_)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)

    def make_job(self, path: Path, name: str | None) -> Any:
        raise NotImplementedError

    def describe(self, result: Any) -> str:
        raise NotImplementedError

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, QCoreApplication.translate("BundleDialogs", "Bundle folder")
        )
        if folder:
            self.path.setText(folder)

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            QCoreApplication.translate("BundleDialogs", "Encrypted bundle"),
            "",
            QCoreApplication.translate("BundleDialogs", "Bundles (*.tar.age)"),
        )
        if path:
            self.path.setText(path)

    def import_(self) -> JobDialog | None:
        if not self.path.text().strip():
            self.report.setPlainText(
                QCoreApplication.translate(
                    "BundleDialogs", "Choose a bundle folder or a .tar.age file."
                )
            )
            return None
        job = self.make_job(Path(self.path.text().strip()), self.name.text().strip() or None)
        self.import_button.setEnabled(False)
        self.report.setPlainText(
            QCoreApplication.translate("BundleDialogs", "Checking the bundle...")
        )
        bridge = self.runner.start(job)
        self.job_dialog = JobDialog(bridge, self.windowTitle(), self.describe, self)
        bridge.finished.connect(self._finished)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return self.job_dialog

    def _finished(self, result: Any) -> None:
        self.result = result
        self.report.setPlainText(self.describe(result))
        self.import_button.setEnabled(True)
        self.imported.emit(result)

    def _failed(self, message: str) -> None:
        self.report.setPlainText(message)
        self.import_button.setEnabled(True)
