"""The admin page's workstations: each machine that writes to the vault, its key fingerprint,
who enrolled it and when, revoked or not; enrol this machine, revoke one (all in the core:
``vault.workstations``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.tablemodel import Column, RecordModel, setup_view, when


def _state(w: Any) -> str:
    if w.revoked_at:
        return QCoreApplication.translate("Admin", "revoked by {0}").format(w.revoked_by)
    return QCoreApplication.translate("Admin", "active")


COLUMNS = (
    Column(
        QT_TRANSLATE_NOOP("Admin", "Workstation"),
        lambda w: w.name,
        lambda name: (
            QCoreApplication.translate("Admin", "shared key") if name == "shared" else name
        ),
    ),
    Column(
        QT_TRANSLATE_NOOP("Admin", "This machine"),
        lambda w: w.here,
        lambda here: QCoreApplication.translate("Admin", "yes") if here else "",
    ),
    Column(QT_TRANSLATE_NOOP("Admin", "Key fingerprint"), lambda w: w.fingerprint, whole=True),
    Column(QT_TRANSLATE_NOOP("Admin", "Enrolled by"), lambda w: w.enrolled_by),
    Column(QT_TRANSLATE_NOOP("Admin", "Enrolled"), lambda w: w.enrolled_at, when),
    Column(QT_TRANSLATE_NOOP("Admin", "State"), lambda w: w, _state),
    Column(QT_TRANSLATE_NOOP("Admin", "Revoked"), lambda w: w.revoked_at, when),
)


class WorkstationsBox(QGroupBox):
    """A table of the vault's workstations, for an admin (``workstation.manage``)."""

    loaded = Signal()

    def __init__(self, page: Any) -> None:
        super().__init__()
        self.setTitle(self.tr("Workstations"))
        self.setObjectName("workstations_box")
        self.page = page
        self.setVisible(page.session.may("workstation.manage"))
        self.model = RecordModel(COLUMNS, "Admin", self)
        self.view = QTableView()
        self.view.setObjectName("workstations_table")
        self.view.setModel(self.model)
        setup_view(self.view)
        self.enrol_button = set_icon(QPushButton(self.tr("Enrol this workstation...")), "key")
        self.enrol_button.clicked.connect(self.ask_enrol)
        self.revoke_button = QPushButton(self.tr("Revoke..."))
        self.revoke_button.clicked.connect(self.ask_revoke)
        self.dialog: QInputDialog | QMessageBox | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.view)

    def refresh(self) -> None:
        if not self.page.session.may("workstation.manage"):
            return
        from vault.workstations import listing

        self.page.call(listing, self.page.session, done=self._listed, key="workstations")

    def _listed(self, found: list[Any]) -> None:
        self.model.set_records(found)
        self.loaded.emit()

    def ask_enrol(self) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setObjectName("workstation_name")
        dialog.setWindowTitle(self.tr("Enrol this workstation"))
        dialog.setLabelText(
            self.tr("Name of this workstation (its key is kept on this machine, for this user):")
        )
        dialog.textValueSelected.connect(self.enrol)
        self.dialog = dialog
        dialog.open()
        return dialog

    def enrol(self, name: str) -> None:
        from vault.workstations import enrol

        self.page.call(enrol, self.page.session, name, done=self._enrolled, writes=True)

    def _enrolled(self, done: Any) -> None:
        """On a server, enrolment also made this workstation's PostgreSQL login: show it once
        (its password is kept nowhere), selectable so the admin can copy it."""
        login = getattr(done, "login", None)
        if login is not None:
            text = self.tr(
                "This workstation's own PostgreSQL login, shown this once and kept "
                "nowhere:\nuser {0}\npassword {1}\n\nFrom now on start Custos here with "
                "--server {2} and PGPASSWORD set to that password."
            ).format(login.user, login.password, login.url)
            key = getattr(done, "store_key", None)
            if isinstance(key, str):
                text += "\n\n" + self.tr("Its own S3 key was not made: {0}").format(key)
            elif key is not None:
                text += "\n\n" + self.tr(
                    "Its own S3 key, shown this once and kept nowhere (it may read, write and "
                    "list the vault's bucket, not delete its objects):\naccess key {0}\n"
                    "secret {1}\n\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to them."
                ).format(key.access_key, key.secret_key)
            self._tell(
                QMessageBox.Icon.Information,
                self.tr("PostgreSQL login of this workstation"),
                text,
                "workstation_login",
            )
        self.refresh()

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str, name: str) -> None:
        """A message the admin may select and copy from (a secret shown once, a problem)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName(name)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dialog = box
        box.open()

    def selected(self) -> Any:
        index = self.view.currentIndex()
        return self.model.records[index.row()] if index.isValid() else None

    def ask_revoke(self) -> QMessageBox | None:
        chosen = self.selected()
        if chosen is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Revoke workstation"),
            self.tr(
                "Revoke workstation {0}? Its writes are refused from then on. On a local vault "
                "it still holds the vault key and can read: revocation is recorded and "
                "enforced by Custos, not by cryptography."
            ).format(chosen.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.accepted.connect(lambda: self.revoke(chosen.name))
        self.dialog = box
        box.open()
        return box

    def revoke(self, name: str) -> None:
        from vault.workstations import revoke

        self.page.call(revoke, self.page.session, name, done=self._changed, writes=True)

    def _changed(self, result: Any) -> None:
        problem = getattr(result, "store_problem", None)
        if problem is not None:  # revoked, but the store still honours its S3 key
            self._tell(
                QMessageBox.Icon.Warning,
                self.tr("Revoke workstation"),
                self.tr("Its S3 key is still valid: {0}").format(problem),
                "workstation_store_key_kept",
            )
        self.refresh()
