"""First start (create the vault, show the recovery key once) and signing in.

Both dialogs open the vault off the GUI thread (Argon2id, SQLCipher, import of the core), so
the window stays responsive. A wrong password and an unknown user show the same message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.icons import set_icon
from desktop.jobs import JobRunner


@dataclass(frozen=True)
class _Wait:
    """Too many failed sign-ins with the name typed: the core refused before deriving a key."""

    seconds: int


def _unlock(folder: Path | Any, user: str, password: str) -> Any:
    from service.opener import unlock
    from vault.errors import AuthenticationFailed
    from vault.signin import SignInThrottled

    try:
        return unlock(folder, user, password)
    except SignInThrottled as exc:
        return _Wait(exc.wait)  # the same for every name, known or not
    except AuthenticationFailed:
        return None  # shown as one fixed message: never say whether the user exists


def _init(folder: Path, admin: str, password: str, kdf: Any) -> Any:
    from service.opener import init_vault

    session, identity = init_vault(folder, admin, password, kdf=kdf)
    return session, str(identity)


def place_of(where: Any) -> str:
    """A vault folder as it is, an agency server by its URL (which holds no secret)."""
    return str(where) if isinstance(where, Path) else str(getattr(where, "url", where))


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(theme.css("danger"))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class LoginDialog(QDialog):
    """User name and password; emits ``signed_in(session)``."""

    signed_in = Signal(object)

    def __init__(
        self, runner: JobRunner, folder: Path | Any, user: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.folder = folder
        self.setWindowTitle(self.tr("Custos — sign in"))
        self.user = QLineEdit(user)
        self.user.setObjectName("user")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = _error_label()
        where = QLabel(self.tr("Vault: {0}").format(place_of(folder)))
        where.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("Password"), self.password)
        self.buttons = QDialogButtonBox()
        self.sign_in_button = self.buttons.addButton(
            self.tr("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.password if user else self.user).setFocus()
        self.setMinimumWidth(380)

    def submit(self) -> None:
        user, password = self.user.text().strip(), self.password.text()
        if not user or not password:
            self.message.setText(self.tr("Enter your user name and password."))
            return
        self._busy(True)
        self.message.setText(self.tr("Opening the vault..."))
        bridge = self.runner.call(_unlock, self.folder, user, password)
        bridge.finished.connect(self._opened)
        bridge.failed.connect(self._failed)

    def _busy(self, busy: bool) -> None:
        for w in (self.user, self.password, self.sign_in_button):
            w.setEnabled(not busy)

    def _opened(self, session: Any) -> None:
        self.password.clear()
        self._busy(False)
        if session is None:
            self.message.setText(self.tr("Unknown user or wrong password"))
            self.password.setFocus()
            return
        if isinstance(session, _Wait):
            self.message.setText(
                self.tr("Too many failed sign-ins for this name: wait {0} s and try again.").format(
                    session.seconds
                )
            )
            self.password.setFocus()
            return
        self.message.clear()
        self.signed_in.emit(session)
        self.accept()

    def _failed(self, message: str) -> None:
        self._busy(False)
        self.message.setText(message)


class SetupDialog(QDialog):
    """First start: create the vault and its admin; emits ``created(session, recovery_text)``."""

    created = Signal(object, str)

    def __init__(
        self, runner: JobRunner, folder: Path, kdf: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.folder = folder
        self.kdf = kdf
        self.setWindowTitle(self.tr("Custos — create a vault"))
        intro = QLabel(
            self.tr(
                "No vault was found at {0}. Create it now: you become its first administrator."
            ).format(folder)
        )
        intro.setWordWrap(True)
        self.admin = QLineEdit()
        self.admin.setObjectName("admin")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("Administrator name"), self.admin)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Password again"), self.confirm)
        self.message = _error_label()
        self.buttons = QDialogButtonBox()
        self.create_button = self.buttons.addButton(
            self.tr("Create vault"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    def submit(self) -> None:
        admin = self.admin.text().strip()
        if not admin:
            self.message.setText(self.tr("Enter the administrator's name."))
            return
        if self.password.text() != self.confirm.text():
            self.message.setText(self.tr("The two passwords differ."))
            return
        self.create_button.setEnabled(False)
        self.message.setText(self.tr("Creating the vault..."))
        bridge = self.runner.call(_init, self.folder, admin, self.password.text(), self.kdf)
        bridge.finished.connect(self._made)
        bridge.failed.connect(self._failed)

    def _made(self, made: tuple[Any, str]) -> None:
        self.password.clear()
        self.confirm.clear()
        self.message.clear()
        self.created.emit(*made)
        self.accept()

    def _failed(self, message: str) -> None:
        self.create_button.setEnabled(True)
        self.message.setText(message)


class RecoveryDialog(QDialog):
    """The recovery identity, shown once; continuing needs the 'stored' box ticked."""

    def __init__(self, identity: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Custos — recovery key"))
        text = QLabel(
            self.tr(
                "This is the vault's recovery key. It is shown only this once and is not stored "
                "on this computer. Hand it to your agency's key escrow now (print it or save it "
                "to removable media kept under seal). Without it, a vault whose administrators "
                "have all lost their passwords cannot be opened again."
            )
        )
        text.setWordWrap(True)
        self.key = QPlainTextEdit(identity.strip())
        self.key.setObjectName("recovery_key")
        self.key.setReadOnly(True)
        self.key.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.key.setMaximumHeight(70)
        self.save_button = set_icon(QPushButton(self.tr("Save to file...")), "save")
        self.save_button.clicked.connect(self._ask_save)
        self.saved = QLabel()
        self.stored = QCheckBox(self.tr("I have stored the recovery key"))
        self.buttons = QDialogButtonBox()
        self.continue_button = self.buttons.addButton(
            self.tr("Continue"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.continue_button.setEnabled(False)
        self.stored.toggled.connect(self.continue_button.setEnabled)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.key)
        layout.addWidget(self.save_button)
        layout.addWidget(self.saved)
        layout.addWidget(self.stored)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the recovery key"), "custos-recovery-key.txt"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(self.key.toPlainText() + "\n")
        except OSError as exc:
            self.saved.setText(self.tr("Cannot save: {0}").format(exc.strerror))
            return
        self.saved.setText(self.tr("Saved to {0}").format(path))

    def reject(self) -> None:  # Escape must not skip the confirmation
        if self.stored.isChecked():
            self.accept()

    def done(self, result: int) -> None:
        if result == QDialog.DialogCode.Accepted or self.stored.isChecked():
            self.key.setPlainText("")  # the key leaves memory with the dialog
        super().done(result)
