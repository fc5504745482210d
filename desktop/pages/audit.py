"""The audit log (admins): a filterable table and the chain status from the last verify."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.pages import Page
from desktop.tablemodel import (
    Column,
    RecordModel,
    action_text,
    detail_lines,
    digits,
    filtered,
    setup_view,
    value_text,
    when,
)

_NOOP = (QT_TRANSLATE_NOOP("Audit", "yes"), QT_TRANSLATE_NOOP("Audit", "no"))


COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Audit", "Time"), lambda a: a.at, when, width=16),
    Column(QT_TRANSLATE_NOOP("Audit", "Actor"), lambda a: a.actor, width=12),
    Column(QT_TRANSLATE_NOOP("Audit", "Action"), lambda a: a.action, action_text, width=20),
    Column(QT_TRANSLATE_NOOP("Audit", "Target"), lambda a: a.target, width=18),
    Column(
        QT_TRANSLATE_NOOP("Audit", "Details"),
        lambda a: "; ".join(detail_lines(a.readable)),
        width=50,
    ),
    Column(
        QT_TRANSLATE_NOOP("Audit", "Workstation"),
        lambda a: a.workstation,
        lambda w: QCoreApplication.translate("Audit", "shared key") if w == "shared" else w,
        width=12,
    ),
    Column(QT_TRANSLATE_NOOP("Audit", "Seq"), lambda a: a.seq, digits, align_right=True, width=6),
    Column(QT_TRANSLATE_NOOP("Audit", "Hash"), lambda a: a.hash, width=64, whole=True),
)


class AuditPage(Page):
    verified = Signal(str)

    def __init__(self, session: Any, runner: Any, parent: Any = None) -> None:
        super().__init__(session, runner, parent)
        self.model = RecordModel(COLUMNS, "Audit", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setObjectName("audit_table")
        self.view.setModel(self.proxy)
        seq = [c.title for c in COLUMNS].index("Seq")
        setup_view(self.view, seq, Qt.SortOrder.DescendingOrder)  # newest first
        self.details = QPlainTextEdit()
        self.details.setObjectName("audit_details")
        self.details.setReadOnly(True)
        self.details.setPlaceholderText(self.tr("Choose an entry to read its details."))
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self._show_details())
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by user, action, target or details"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.chain = QLabel()
        self.chain.setObjectName("chain_status")
        self.verify_button = set_icon(QPushButton(self.tr("Verify now...")), "verify")
        self.verify_button.clicked.connect(self.verify)
        self.verify_button.setVisible(session.may("vault.verify"))
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        layout.addWidget(split, 1)
        layout.addWidget(self.chain)
        self.job_dialog: Any = None
        self.report: Any = None

    def refresh(self) -> None:
        from vault.history import list_audit

        self.call(list_audit, self.session, done=self._show, key="list")

    def _show(self, found: list[Any]) -> None:
        self.model.set_records(found)
        last = next((a for a in reversed(found) if a.action == "vault.verified"), None)
        if last is None:
            self.chain.setText(self.tr("Chain status: not verified yet (run a verify)."))
        elif last.details.get("problems"):
            self.chain.setText(
                self.tr("Chain status: verify at {0} found {1} problem(s).").format(
                    when(last.at), value_text(last.details["problems"])
                )
            )
        else:
            self.chain.setText(
                self.tr("Chain status: intact (verified at {0}, {1} entries).").format(
                    when(last.at), value_text(len(found))
                )
            )

    def _show_details(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            self.details.clear()
            return
        entry = self.model.records[self.proxy.mapToSource(index).row()]
        head = [
            self.tr("Time: {0}").format(when(entry.at)),
            self.tr("Actor: {0}").format(entry.actor),
            self.tr("Action: {0} ({1})").format(action_text(entry.action), entry.action),
            self.tr("Target: {0}").format(entry.target),
            "",
        ]
        self.details.setPlainText("\n".join(head + detail_lines(entry.readable)))

    def verify(self) -> Any:
        from desktop.pages.admin import start_verify

        self.job_dialog = start_verify(self)
        return self.job_dialog
