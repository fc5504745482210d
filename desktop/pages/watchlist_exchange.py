"""Dialogs of the Watchlists page: calibration, export to a partner, import of a partner's list.

Each one only gathers the user's choice; the core does the work on a worker thread (``JobRunner``)
and its progress shows in a ``JobDialog``. Refusals come back as readable text, never a trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.jobs import JobDialog
from desktop.pages.bundle_dialogs import (
    BundleExportDialog,
    BundleImportDialog,
    ok_cancel,
    path_row,
)


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
            self.tr("Labelled folder (one subfolder per person)"), path_row(self.folder, choose)
        )
        form.addRow(self.tr("Target FPIR (false alerts per non-mated search)"), self.fpir)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons, go = ok_cancel(self, self.tr("Calibrate"))
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


class WatchlistExportDialog(BundleExportDialog):
    """Partner, purpose, where to save, encryption and an optional ANSI/NIST-ITL file."""

    def __init__(self, session: Any, runner: Any, watchlist: str, parent: QWidget | None) -> None:
        super().__init__(session, runner, f"watchlist-{watchlist}", parent)
        self.watchlist = watchlist
        self.setWindowTitle(self.tr("Export watchlist {0} to a partner").format(watchlist))
        self.nist = QCheckBox(self.tr("Also write an ANSI/NIST-ITL 1-2011 file (.eft)"))
        self.form.addRow("", self.nist)

    def make_job(self, target: Path) -> Any:
        from exchange.wlexport import WatchlistExportJob

        nist = target.with_name(target.name + ".eft") if self.nist.isChecked() else None
        return WatchlistExportJob(
            self.session,
            self.watchlist,
            self.partner.currentData(),
            target,
            self.purpose.currentData(),
            nist,
            encrypt=self.encrypt.isChecked(),
        )

    def job_title(self) -> str:
        return self.tr("Exporting {0}").format(self.watchlist)

    def describe(self, r: Any) -> str:
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


class WatchlistImportDialog(BundleImportDialog):
    """A partner's watchlist bundle (folder or .tar.age), verified and enrolled again here."""

    def __init__(self, session: Any, runner: Any, parent: QWidget | None) -> None:
        super().__init__(session, runner, parent)
        self.setWindowTitle(self.tr("Import a watchlist bundle"))
        self.name.setPlaceholderText(self.tr("default: <name> (<agency>)"))

    def make_job(self, path: Path, name: str | None) -> Any:
        from exchange.wlimport import WatchlistImportJob

        return WatchlistImportJob(self.session, path, name)

    def describe(self, r: Any) -> str:
        text = self.tr("Watchlist {0} from {1}: {2} subject(s), {3} photo(s) enrolled.").format(
            r.watchlist, r.sender, r.subjects, r.references
        )
        if r.refused:
            text += "\n" + self.tr("{0} photo(s) refused by the local quality rules:").format(
                len(r.refused)
            )
            text += "".join(f"\n• {photo}: {why}" for photo, why in r.refused)
        return text
