"""Bundles: export to a partner (policy check shown before anything is written), verify, import.

The export dialog asks the core's policy (``exchange.policy.check_export``, the check the export
itself runs) on every change of partner, purpose or items, and lists each refused item with the
reason; "Export" stays disabled until the policy allows the whole selection. Verify and import
show the core's report with every problem it found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.jobs import JobDialog
from desktop.pages import Page
from desktop.pages.export import ExportDialog
from desktop.tablemodel import Column, RecordModel, filtered, number, setup_view, when
from desktop.widgets import CaseBox

DIRECTIONS = {
    "out": QT_TRANSLATE_NOOP("BundlesPage", "sent"),
    "in": QT_TRANSLATE_NOOP("BundlesPage", "received"),
}
KINDS = {
    "case": QT_TRANSLATE_NOOP("BundlesPage", "case"),
    "watchlist": QT_TRANSLATE_NOOP("BundlesPage", "watchlist"),
}


def _tr(table: dict[str, str], key: str) -> str:
    return QCoreApplication.translate("BundlesPage", table.get(key, key))


HISTORY = (
    Column(QT_TRANSLATE_NOOP("BundlesPage", "Direction"), lambda b: _tr(DIRECTIONS, b.direction)),
    Column(QT_TRANSLATE_NOOP("BundlesPage", "Partner"), lambda b: b.partner),
    Column(QT_TRANSLATE_NOOP("BundlesPage", "Purpose"), lambda b: b.purpose),
    Column(
        QT_TRANSLATE_NOOP("BundlesPage", "Case or watchlist"),
        lambda b: f"{b.subject} ({_tr(KINDS, b.kind)})" if b.kind != "case" else b.subject,
    ),
    Column(QT_TRANSLATE_NOOP("BundlesPage", "Time"), lambda b: b.at, when),
    Column(QT_TRANSLATE_NOOP("BundlesPage", "Items"), lambda b: b.items, number, align_right=True),
    Column(
        QT_TRANSLATE_NOOP("BundlesPage", "Bundle hash"), lambda b: b.sha256, width=64, whole=True
    ),
)


def verify(session: Any, path: Path, emit: Any) -> Any:
    from exchange.bundles import verify_bundle

    return verify_bundle(session, path, emit)


class ImportOutcome:
    """An import's end: the imported items, or the refusal with every problem."""

    def __init__(self, result: Any = None, problems: list[str] | None = None) -> None:
        self.result = result
        self.problems = problems or []

    @property
    def ok(self) -> bool:
        return self.result is not None


def import_job(session: Any, path: Path, case_ref: str, cancel: Any) -> Any:
    from exchange.bundles import ImportJob
    from exchange.errors import BundleRejected

    job = ImportJob(session, path, case_ref, cancel)

    class Run:
        def __init__(self) -> None:
            self.cancel = cancel

        def run(self, emit: Any) -> ImportOutcome:
            try:
                return ImportOutcome(job.run(emit))
            except BundleRejected as exc:  # a refusal is the report, not an error
                return ImportOutcome(problems=exc.problems)

    return Run()


class ReportDialog(QDialog):
    """A bundle's verification or import report in plain sentences, every problem listed."""

    def __init__(self, title: str, head: str, lines: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 420)
        self.head = QLabel(head)
        self.head.setWordWrap(True)
        self.head.setStyleSheet("font-weight: bold;")
        self.body = QPlainTextEdit("\n".join(lines))
        self.body.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.head)
        layout.addWidget(self.body, 1)
        layout.addWidget(buttons)


class BundlesPage(Page):
    reported = Signal(object)  # the ReportDialog

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.export_dialog: ExportDialog | None = None
        self.job_dialog: JobDialog | None = None
        self.report: ReportDialog | None = None
        self.cases = CaseBox()
        export = set_icon(QPushButton(self.tr("Export to a partner...")), "export")
        export.clicked.connect(self.open_export)
        verify_button = set_icon(QPushButton(self.tr("Verify a bundle...")), "verify")
        verify_button.setMenu(self._source_menu("verify"))
        import_button = QPushButton(self.tr("Import a bundle into the case..."))
        import_button.setMenu(self._source_menu("import"))
        intro = QLabel(
            self.tr(
                "Bundles are signed BagIt folders (or one file encrypted to the partner). An "
                "export is checked against the agreements before anything is written; a received "
                "bundle is verified completely before anything is imported."
            )
        )
        intro.setWordWrap(True)
        out_row = QHBoxLayout()
        out_row.addWidget(export)
        out_row.addStretch(1)
        in_row = QHBoxLayout()
        in_row.addWidget(QLabel(self.tr("Case")))
        in_row.addWidget(self.cases, 1)
        in_row.addWidget(verify_button)
        in_row.addWidget(import_button)
        self.last = QLabel()
        self.last.setWordWrap(True)
        self.history = RecordModel(HISTORY, "BundlesPage", self)
        self.history_view = QTableView()
        self.history_view.setModel(filtered(self.history, self.history_view))
        setup_view(self.history_view, 4, Qt.SortOrder.DescendingOrder)  # newest first
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("<b>Send</b>")))
        layout.addLayout(out_row)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("<b>Receive</b>")))
        layout.addLayout(in_row)
        layout.addWidget(self.last)
        layout.addSpacing(12)
        layout.addWidget(QLabel(self.tr("<b>Bundles sent and received</b>")))
        layout.addWidget(self.history_view, 1)

    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self.cases.reload, key="cases")
        self.refresh_history()

    def refresh_history(self) -> None:
        from exchange.history import list_bundles

        self.call(list_bundles, self.session, done=self.history.set_records, key="history")

    def show_case(self, reference: str) -> None:
        self.cases.select(reference)

    # --- export --------------------------------------------------------------------------
    def open_export(self) -> ExportDialog:
        self.export_dialog = ExportDialog(self.session, self.runner, self.cases.reference(), self)
        self.export_dialog.exported.connect(lambda _r: self.refresh_history())
        self.export_dialog.show()
        return self.export_dialog

    # --- verify and import ---------------------------------------------------------------
    def _source_menu(self, what: str) -> QMenu:
        """A bundle arrives as a folder or as one file encrypted to us (``.tar.age``)."""
        menu = QMenu(self)
        menu.addAction(self.tr("Bundle folder..."), lambda: self._ask(what))
        menu.addAction(
            self.tr("Encrypted bundle file (.tar.age)..."), lambda: self._ask(what, encrypted=True)
        )
        return menu

    def _ask(self, what: str, encrypted: bool = False) -> None:
        if encrypted:
            chosen, _ = QFileDialog.getOpenFileName(
                self,
                self.tr("Choose the encrypted bundle"),
                "",
                self.tr("Encrypted bundles (*.tar.age)"),
            )
        else:
            chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose the bundle folder"))
        if chosen:
            (self.verify if what == "verify" else self.import_bundle)(Path(chosen))

    def verify(self, path: Path) -> JobDialog:
        session = self.session
        bridge = self.runner.start(lambda emit: verify(session, path, emit))
        self.job_dialog = JobDialog(bridge, self.tr("Verifying {0}").format(path.name), None, self)
        bridge.finished.connect(self._verified)
        self.job_dialog.show()
        return self.job_dialog

    def _verified(self, r: Any) -> None:
        if self.job_dialog is not None:
            self.job_dialog.accept()
        if r.ok:
            head = self.tr("Bundle {0} from {1} is intact.").format(r.bundle_id, r.sender)
        else:
            head = self.tr("This bundle is refused: {0} problem(s).").format(len(r.problems))
        self._report(self.tr("Bundle verification"), head, self._facts(r) + self._problems(r))

    def import_bundle(self, path: Path) -> JobDialog | None:
        from vault.jobs import CancelToken

        case = self.cases.reference()
        if not case:
            self.error(self.tr("Choose the case to import into first."))
            return None
        bridge = self.runner.start(import_job(self.session, path, case, CancelToken()))
        self.job_dialog = JobDialog(
            bridge, self.tr("Importing {0} into {1}").format(path.name, case), None, self
        )
        bridge.finished.connect(self._imported)
        self.job_dialog.show()
        return self.job_dialog

    def _imported(self, outcome: ImportOutcome) -> None:
        if self.job_dialog is not None:
            self.job_dialog.accept()
        if outcome.ok:
            r = outcome.result
            head = self.tr("Imported {0} item(s) from {1} (bundle {2}).").format(
                len(r.items), r.sender, r.bundle_id
            )
            lines = [self.tr("Every file was checked against the signed manifest.")]
            lines += [f"⚠ {w}" for w in r.warnings]  # the core's words, e.g. a head gone back
        else:
            head = self.tr("Import refused: {0} problem(s). Nothing was imported.").format(
                len(outcome.problems)
            )
            lines = [f"• {p}" for p in outcome.problems]
        self.last.setText(head)
        self.refresh_history()
        self._report(self.tr("Bundle import"), head, lines)

    def _facts(self, r: Any) -> list[str]:
        if not r.bundle_id and not r.sender:
            return []
        return [
            self.tr("Bundle: {0}").format(r.bundle_id or "?"),
            self.tr("Signed by: {0}, key {1} ({2})").format(
                r.sender or self.tr("unknown"), r.fingerprint or "?", r.key_status or "?"
            ),
            self.tr("Purpose: {0}; label: {1}").format(
                r.meta.get("purpose", "?"), r.info.get("Handling-Label", "?")
            ),
            self.tr("{0} files, {1} bytes").format(r.files, r.bytes),
        ]

    def _problems(self, r: Any) -> list[str]:
        if r.ok:
            return [self.tr("No problem found.")] + [f"⚠ {w}" for w in r.warnings]
        return ["", self.tr("Problems:")] + [f"• {p}" for p in r.problems]

    def _report(self, title: str, head: str, lines: list[str]) -> None:
        self.report = ReportDialog(title, head, lines, self)
        self.report.show()
        self.reported.emit(self.report)
