"""Search a case's faces against chosen watchlists; every result is a candidate to review."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.jobs import JobDialog
from desktop.pages import call
from desktop.tablemodel import Column, RecordModel, digits, filtered, number, setup_view
from desktop.widgets import CheckList

PENDING = QT_TRANSLATE_NOOP("Search", "pending review")

RESULTS = (
    Column(QT_TRANSLATE_NOOP("Search", "Face"), lambda c: c.face, digits, align_right=True),
    Column(QT_TRANSLATE_NOOP("Search", "Watchlist"), lambda c: c.watchlist),
    Column(QT_TRANSLATE_NOOP("Search", "Subject"), lambda c: c.subject),
    Column(QT_TRANSLATE_NOOP("Search", "Rank"), lambda c: c.rank, number, align_right=True),
    Column(QT_TRANSLATE_NOOP("Search", "Distance"), lambda c: c.distance, lambda d: f"{d:.3f}"),
    Column(QT_TRANSLATE_NOOP("Search", "Threshold"), lambda c: c.threshold, lambda t: f"{t:.3f}"),
    Column(QT_TRANSLATE_NOOP("Search", "Label"), lambda c: c.label),
    Column(
        QT_TRANSLATE_NOOP("Search", "Status"),
        lambda c: QCoreApplication.translate("Search", PENDING),
    ),
)


class SearchDialog(QDialog):
    searched = Signal(object)  # the SearchOutcome

    def __init__(self, session: Any, runner: Any, case_ref: str, parent: QWidget | None = None):
        super().__init__(parent)
        from matching.watchlists import list_watchlists

        self.session = session
        self.runner = runner
        self.case_ref = case_ref
        self.outcome: Any = None
        self.job_dialog: JobDialog | None = None
        self.setWindowTitle(self.tr("Search the faces of {0}").format(case_ref))
        self.resize(820, 560)
        self.watchlists = CheckList()
        call(self, runner, list_watchlists, session, done=self._watchlists, failed=self._failed)
        self.investigative = QRadioButton(self.tr("Investigative: the closest candidates (top k)"))
        self.alert = QRadioButton(self.tr("Alert: only candidates within the watchlist threshold"))
        self.investigative.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.investigative)
        group.addButton(self.alert)
        self.top = QSpinBox()
        self.top.setRange(1, 50)
        self.top.setValue(5)
        self.investigative.toggled.connect(self.top.setEnabled)
        mode = QGroupBox(self.tr("Mode"))
        ml = QVBoxLayout(mode)
        row = QHBoxLayout()
        row.addWidget(self.investigative)
        row.addWidget(QLabel(self.tr("Top")))
        row.addWidget(self.top)
        row.addStretch(1)
        ml.addLayout(row)
        ml.addWidget(self.alert)
        lists = QGroupBox(self.tr("Watchlists"))
        QVBoxLayout(lists).addWidget(self.watchlists)
        self.run_button = set_icon(QPushButton(self.tr("Search")), "search")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.model = RecordModel(RESULTS, "Search", self)
        self.view = QTableView()
        self.view.setModel(filtered(self.model, self))
        setup_view(self.view)
        notice = QLabel(
            self.tr(
                "A candidate is not an identification. Every candidate stays pending until an "
                "analyst reviews it on the Review page."
            )
        )
        notice.setWordWrap(True)
        notice.setObjectName("notice")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(lists, 1)
        top.addWidget(mode, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        run_row = QHBoxLayout()
        run_row.addWidget(self.message, 1)
        run_row.addWidget(self.run_button)
        layout.addLayout(run_row)
        layout.addWidget(notice)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    def _watchlists(self, found: list[Any]) -> None:
        self.watchlists.set_entries(
            [(self.tr("{0} ({1} subjects)").format(w.name, len(w.subjects)), w.name) for w in found]
        )

    def mode(self) -> str:
        return "investigative" if self.investigative.isChecked() else "alert"

    def run(self) -> Any:
        from matching.searching import SearchJob

        names = self.watchlists.checked()
        if not names:
            self.message.setText(self.tr("Choose at least one watchlist."))
            return None
        self.run_button.setEnabled(False)
        self.message.setText(self.tr("Searching..."))
        job = SearchJob(self.session, names, self.case_ref, None, self.mode(), self.top.value())
        bridge = self.runner.start(job)
        title = self.tr("Searching {0}").format(self.case_ref)
        self.job_dialog = JobDialog(bridge, title, None, self)
        bridge.finished.connect(self._done)
        bridge.failed.connect(self._failed)
        self.job_dialog.show()
        return bridge

    def _done(self, outcome: Any) -> None:
        if self.job_dialog is not None:
            self.job_dialog.accept()
        self.outcome = outcome
        self.run_button.setEnabled(True)
        self.model.set_records(outcome.candidates)
        self.message.setText(
            self.tr(
                "{0} faces searched: {1} new candidates, all pending review "
                "({2} found again were already in the queue)."
            ).format(outcome.probes, len(outcome.queued), outcome.already_pending)
        )
        self.searched.emit(outcome)

    def _failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.message.setText(message)
