"""A new password and a user's disabling: both rotate the vault key, long work run as a job.

``vault.users.PasswordJob`` / ``DisableJob`` run on a worker with a progress dialog (no Cancel:
once the password is changed or the user disabled, the rotation must follow). A refusal (another
Custos process has the vault open, a password too short) is the dialog's one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.jobs import JobDialog, JobRunner


def needs_the_vault(on_server: bool = False) -> str:
    """What a vault-key rotation asks of the others (``vault.rotation``: refused while another
    process has the vault open; on a server, a sign-in during it waits until it is done)."""
    if on_server:
        return QCoreApplication.translate(
            "Password",
            "The vault key will be rotated: every stored file's key is wrapped again, which "
            "takes a while. It needs the agency vault to itself: Custos must first be closed on "
            "every other workstation and in other windows here (it is refused while one is "
            "open). A sign-in during the rotation waits until it is done; the others then sign "
            "in again with the new key.",
        )
    return QCoreApplication.translate(
        "Password",
        "The vault key will be rotated: every stored file's key is wrapped again, which takes a "
        "while. It needs the vault to itself: close other Custos windows and processes first.",
    )


def rotated_text(result: Any) -> str:
    return QCoreApplication.translate(
        "Password",
        "Done: the vault key was rotated ({0} stored files). Partners need our new key card.",
    ).format(result.blobs)


class PasswordDialog(QDialog):
    """The new password of ``name``, twice; ``chosen(name, password)`` when they match."""

    chosen = Signal(str, str)

    def __init__(self, name: str, parent: QWidget | None = None, on_server: bool = False) -> None:
        super().__init__(parent)
        self.user = name
        self.setWindowTitle(self.tr("New password for {0}").format(name))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("New password"), self.password)
        form.addRow(self.tr("Password again"), self.confirm)
        note = QLabel(needs_the_vault(on_server))
        note.setObjectName("password_note")
        note.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.css("danger"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        if self.password.text() != self.confirm.text():
            self.message.setText(self.tr("The two passwords differ."))
            return
        password = self.password.text()
        self.password.clear()
        self.confirm.clear()
        self.accept()
        self.chosen.emit(self.user, password)


def start_rotating(
    parent: QWidget,
    runner: JobRunner,
    job: Any,
    title: str,
    done: Callable[[Any], None] | None = None,
) -> JobDialog:
    """Run a job that rotates the vault key, with its progress dialog; ``done(rotation)``."""
    bridge = runner.start(job)
    dialog = JobDialog(bridge, title, rotated_text, parent)
    dialog.setObjectName("rotation_job")
    if done is not None:
        bridge.finished.connect(done)
    dialog.show()
    return dialog


def change_password(
    parent: QWidget,
    session: Any,
    runner: JobRunner,
    name: str,
    password: str,
    done: Callable[[Any], None] | None = None,
) -> JobDialog:
    from vault.users import PasswordJob

    title = QCoreApplication.translate("Password", "Changing the password of {0}").format(name)
    return start_rotating(parent, runner, PasswordJob(session, name, password), title, done)
