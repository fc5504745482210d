"""Review of candidates: the probe crop and the reference photo side by side, then a decision.

Shortcuts for fast review: C confirm, R reject, I inconclusive (each asks for a reason), J / Down
next, K / Up previous. The core records the decision, its audit entry and a custody event.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.gallery import quality_text
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.pages import Page
from desktop.tablemodel import Column, RecordModel, day, digits, filtered, number, setup_view, when
from desktop.widgets import CaseBox, Picture

STATUS = {
    "pending": QT_TRANSLATE_NOOP("Review", "pending review"),
    "confirmed": QT_TRANSLATE_NOOP("Review", "confirmed"),
    "rejected": QT_TRANSLATE_NOOP("Review", "rejected"),
    "inconclusive": QT_TRANSLATE_NOOP("Review", "inconclusive"),
    "awaiting second review": QT_TRANSLATE_NOOP("Review", "awaiting second review"),
}
DECISIONS = {
    "confirmed": QT_TRANSLATE_NOOP("Review", "Confirm"),
    "rejected": QT_TRANSLATE_NOOP("Review", "Reject"),
    "inconclusive": QT_TRANSLATE_NOOP("Review", "Inconclusive"),
}
KEYS = {"confirmed": "C", "rejected": "R", "inconclusive": "I"}


def status_text(status: str) -> str:
    return QCoreApplication.translate("Review", STATUS.get(status, status))


COLUMNS = (
    Column(
        QT_TRANSLATE_NOOP("Review", "Candidate"), lambda r: r.candidate, digits, align_right=True
    ),
    Column(QT_TRANSLATE_NOOP("Review", "Face"), lambda r: r.face, digits, align_right=True),
    Column(QT_TRANSLATE_NOOP("Review", "Watchlist"), lambda r: r.watchlist),
    Column(QT_TRANSLATE_NOOP("Review", "Subject"), lambda r: r.subject),
    Column(QT_TRANSLATE_NOOP("Review", "Rank"), lambda r: r.rank, number, align_right=True),
    Column(QT_TRANSLATE_NOOP("Review", "Distance"), lambda r: r.distance, lambda d: f"{d:.3f}"),
    Column(QT_TRANSLATE_NOOP("Review", "Mode"), lambda r: r.mode),
    Column(QT_TRANSLATE_NOOP("Review", "Status"), lambda r: r.status, status_text),
)


class ReasonDialog(QDialog):
    """Why: a decision without a reason is refused here (and by the core)."""

    def __init__(self, decision: str, candidate: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.decision = decision
        verb = QCoreApplication.translate("Review", DECISIONS[decision])
        self.setWindowTitle(self.tr("{0} candidate {1}").format(verb, candidate))
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(self.tr("What you compared and what decided it"))
        self.message = QLabel()
        self.message.setStyleSheet(theme.css("danger"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(verb)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Reason (recorded in the audit log)")))
        layout.addWidget(self.reason)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.reason.toPlainText().strip()

    def submit(self) -> None:
        if not self.text():
            self.message.setText(self.tr("A reason is required."))
            self.reason.setFocus()  # the person types the reason next, not into the button
            return
        self.accept()


class ReviewPage(Page):
    decided = Signal(int, str)  # candidate, new status
    detail_shown = Signal(int)

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.case_ref: str | None = None
        self.detail: Any = None
        self.reason_dialog: ReasonDialog | None = None
        self._after_list: tuple[int, int, str] | None = None  # a decision waiting for the list
        self._generation = 0
        self.cases = CaseBox()
        self.cases.chosen.connect(lambda _r: self.load())
        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("All"), None)
        for key in STATUS:
            self.status_filter.addItem(status_text(key), key)
        self.status_filter.setCurrentIndex(1)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.load())
        self.model = RecordModel(COLUMNS, "Review", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Case")))
        top.addWidget(self.cases, 1)
        top.addWidget(QLabel(self.tr("Show")))
        top.addWidget(self.status_filter)
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(self._detail_panel())
        split.setStretchFactor(1, 1)
        split.setSizes([420, 780])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._shortcuts()

    def _detail_panel(self) -> QWidget:
        panel = QWidget()
        self.probe = Picture(self.tr("No probe crop"), 280, 280)
        self.reference = Picture(self.tr("No reference photo"), 280, 280)
        pictures = QGridLayout()
        pictures.addWidget(QLabel(self.tr("Probe (case face)")), 0, 0)
        pictures.addWidget(QLabel(self.tr("Reference (watchlist)")), 0, 1)
        pictures.addWidget(self.probe, 1, 0)
        pictures.addWidget(self.reference, 1, 1)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, title in (
            ("distance", self.tr("Distance")),
            ("threshold", self.tr("Threshold used")),
            ("mode", self.tr("Search mode")),
            ("probe_quality", self.tr("Case face")),
            ("reference_quality", self.tr("Reference face")),
            ("subject", self.tr("Subject")),
            ("reason", self.tr("Listed for")),
            ("agency", self.tr("Issuing agency")),
            ("label", self.tr("Label")),
            ("review_on", self.tr("Listing review date")),
            ("expires_on", self.tr("Listing expires")),
            ("decisions", self.tr("Decisions")),
        ):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            form.addRow(title, label)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for decision, key in KEYS.items():
            verb = QCoreApplication.translate("Review", DECISIONS[decision])
            button = QPushButton(f"{verb} ({key})")
            button.clicked.connect(lambda _c=False, d=decision: self.ask_decision(d))
            button.setEnabled(False)
            button.setVisible(self.session.may("match.review"))
            self.buttons[decision] = button
            row.addWidget(button)
        hint = QLabel(self.tr("J / K: next / previous candidate"))
        hint.setEnabled(False)
        layout = QVBoxLayout(panel)
        layout.addLayout(pictures)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addStretch(1)
        return panel

    def _shortcuts(self) -> None:
        self.actions_by_key: dict[str, QAction] = {}
        bindings: list[tuple[str, Any]] = [
            (key, lambda _c=False, d=d: self.ask_decision(d)) for d, key in KEYS.items()
        ]
        bindings += [("J", lambda _c=False: self.step(1)), ("K", lambda _c=False: self.step(-1))]
        for key, slot in bindings:
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_key[key] = action

    # --- loading -------------------------------------------------------------------------
    def refresh(self) -> None:
        from vault.cases import list_cases

        self.call(list_cases, self.session, done=self._cases, key="cases")

    def _cases(self, cases: list[Any]) -> None:
        self.cases.reload(cases)
        self.load()

    def show_case(self, reference: str) -> None:
        self.cases.select(reference)

    def refresh_live(self) -> None:
        record = self.current()
        self.load(keep=record.candidate if record is not None else None)

    def load(self, keep: int | None = None) -> None:
        from matching.review import list_review

        self.case_ref = self.cases.reference()
        if not self.case_ref:
            self._listed([], keep)
            return
        self.call(
            list_review,
            self.session,
            self.case_ref,
            self.status_filter.currentData(),
            done=lambda records: self._listed(records, keep),
            key="list",
        )

    def _listed(self, records: list[Any], keep: int | None) -> None:
        self.model.set_records(records)
        rows = [n for n, r in enumerate(self.model.records) if r.candidate == keep]
        if self.model.records:
            self.select_row(rows[0] if rows else 0)
        else:
            self._clear()
        if self._after_list is not None:
            self._announce()

    def select_row(self, source_row: int) -> None:
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        self.view.setCurrentIndex(index)

    def current(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.records[self.proxy.mapToSource(index).row()]

    def step(self, delta: int) -> None:
        row = self.view.currentIndex().row() + delta
        if 0 <= row < self.proxy.rowCount():
            self.view.setCurrentIndex(self.proxy.index(row, 0))

    def _row_changed(self, *_args: Any) -> None:
        from matching.review import candidate_detail

        record = self.current()
        if record is None:
            self._clear()
            return
        self._generation += 1
        for button in self.buttons.values():
            button.setEnabled(True)
        bridge = self.runner.call(candidate_detail, self.session, record.candidate)
        bridge.setProperty("generation", self._generation)
        bridge.finished.connect(self._show_detail)
        bridge.failed.connect(self.error)
        self.fields["decisions"].setText(self._decisions(record))

    def _clear(self) -> None:
        self.detail = None
        self.probe.show_bytes(None)
        self.reference.show_bytes(None)
        for label in self.fields.values():
            label.clear()
        for button in self.buttons.values():
            button.setEnabled(False)

    def _decisions(self, record: Any) -> str:
        if not record.decisions:
            return self.tr("none yet")
        return "\n".join(
            f"{status_text(d)} — {who}, {when(at)}: {why}" for d, who, at, why in record.decisions
        )

    def _show_detail(self, detail: Any) -> None:
        if self.sender().property("generation") != self._generation:
            return
        self.detail = detail
        self.probe.show_bytes(detail.probe_crop)
        self.reference.show_bytes(detail.reference_photo)
        values = {
            "distance": f"{detail.distance:.4f}",
            "threshold": f"{detail.threshold:.4f}",
            "mode": detail.mode,
            "probe_quality": (
                quality_text(detail.probe_quality, detail.probe_found_by)
                if detail.probe_quality is not None
                else self.tr("a probe photo (not stored)")
            ),
            "reference_quality": quality_text(detail.reference_quality or {}),
            "subject": f"{detail.subject} ({detail.watchlist})",
            "reason": detail.reason,
            "agency": detail.agency,
            "label": f"TLP:{detail.label}",
            "review_on": detail.review_on,
            "expires_on": day(detail.expires_on) if detail.expires_on else self.tr("no expiry"),
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self.detail_shown.emit(detail.candidate)

    # --- decisions -----------------------------------------------------------------------
    def ask_decision(self, decision: str) -> ReasonDialog | None:
        record = self.current()
        if record is None or not self.session.may("match.review"):
            return None
        dialog = ReasonDialog(decision, record.candidate, self)
        dialog.accepted.connect(lambda: self.record_decision(record.candidate, decision, dialog))
        self.reason_dialog = dialog
        dialog.open()
        return dialog

    def record_decision(self, candidate: int, decision: str, dialog: ReasonDialog) -> None:
        from matching.review import decide

        self.call(
            decide,
            self.session,
            candidate,
            decision,
            dialog.text(),
            done=lambda status: self._decided(candidate, status),
            writes=True,
        )

    def _decided(self, candidate: int, status: str) -> None:
        row = self.view.currentIndex().row()
        self._after_list = (candidate, row, status)
        self.load(keep=candidate)

    def _announce(self) -> None:
        """After a decision, once the list is read again: keep the place, say what happened."""
        if self._after_list is None:
            return
        candidate, row, status = self._after_list
        self._after_list = None
        if self.current() is None or self.current().candidate != candidate:
            self.select_row(min(max(row, 0), max(self.proxy.rowCount() - 1, 0)))
        self.status.emit(self.tr("Candidate {0}: {1}").format(candidate, status_text(status)))
        self.decided.emit(candidate, status)
