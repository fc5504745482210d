"""The audit log (admins): a filterable table and the chain status from the last verify."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout

from desktop.pages import Page
from desktop.tablemodel import Column, RecordModel, filtered, setup_view, when

COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Audit", "Seq"), lambda a: a.seq, str, align_right=True, width=6),
    Column(QT_TRANSLATE_NOOP("Audit", "When"), lambda a: a.at, when, width=16),
    Column(QT_TRANSLATE_NOOP("Audit", "User"), lambda a: a.actor, width=12),
    Column(QT_TRANSLATE_NOOP("Audit", "Action"), lambda a: a.action, width=20),
    Column(QT_TRANSLATE_NOOP("Audit", "Target"), lambda a: a.target, width=18),
    Column(
        QT_TRANSLATE_NOOP("Audit", "Details"),
        lambda a: json.dumps(a.details, ensure_ascii=False, sort_keys=True),
        width=50,
    ),
    Column(QT_TRANSLATE_NOOP("Audit", "Hash"), lambda a: a.hash),
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
        setup_view(self.view, 0, Qt.SortOrder.DescendingOrder)  # newest first
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by user, action, target or details"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.chain = QLabel()
        self.chain.setObjectName("chain_status")
        self.verify_button = QPushButton(self.tr("Verify now..."))
        self.verify_button.clicked.connect(self.verify)
        self.verify_button.setVisible(session.may("vault.verify"))
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        layout.addWidget(self.chain)
        self.job_dialog: Any = None
        self.report: Any = None

    def refresh(self) -> None:
        from vault.history import list_audit

        found = self.attempt(list_audit, self.session)
        if found is None:
            return
        self.model.set_records(found)
        last = next((a for a in reversed(found) if a.action == "vault.verified"), None)
        if last is None:
            self.chain.setText(self.tr("Chain status: not verified yet (run a verify)."))
        elif last.details.get("problems"):
            self.chain.setText(
                self.tr("Chain status: verify at {0} found {1} problem(s).").format(
                    when(last.at), last.details["problems"]
                )
            )
        else:
            self.chain.setText(
                self.tr("Chain status: intact (verified at {0}, {1} entries).").format(
                    when(last.at), len(found)
                )
            )

    def verify(self) -> Any:
        from desktop.pages.admin import start_verify

        self.job_dialog = start_verify(self)
        return self.job_dialog
