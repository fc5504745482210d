"""Administration: users and roles, verify with its report, the idle-lock time, workstations;
failed sign-ins and the audit head to write down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import settings, theme
from desktop.i18n import QT_TRANSLATE_NOOP
from desktop.icons import set_icon
from desktop.jobs import JobDialog
from desktop.pages import Page, call
from desktop.pages.workstations import WorkstationsBox
from desktop.password import PasswordDialog, change_password, needs_the_vault, start_rotating
from desktop.tablemodel import Column, RecordModel, filtered, number, setup_view, when
from vault.printable import safe

COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Admin", "User"), lambda u: u.name),
    Column(QT_TRANSLATE_NOOP("Admin", "Roles"), lambda u: ", ".join(u.roles)),
    Column(
        QT_TRANSLATE_NOOP("Admin", "State"),
        lambda u: u.disabled,
        lambda d: QCoreApplication.translate("Admin", "disabled" if d else "active"),
    ),
    Column(QT_TRANSLATE_NOOP("Admin", "Created"), lambda u: u.created_at, when),
)
_STATES = (QT_TRANSLATE_NOOP("Admin", "active"), QT_TRANSLATE_NOOP("Admin", "disabled"))


def _typed(name: str | None) -> str:
    """A name as typed at a failed sign-in: anyone's input, so control and bidi characters are
    shown escaped."""
    if name is None:
        return QCoreApplication.translate("Admin", "(names not kept)")
    return safe(name)


def _note(outcome: tuple[bool, int]) -> str:
    then_signed_in, refused = outcome
    notes = []
    if refused:
        text = QCoreApplication.translate("Admin", "{0} refused while waiting")
        notes.append(text.format(number(refused)))
    if then_signed_in:
        notes.append(QCoreApplication.translate("Admin", "then signed in"))
    return "; ".join(notes)


SIGNIN_COLUMNS = (
    Column(QT_TRANSLATE_NOOP("Admin", "Name typed"), lambda f: f.name, _typed, width=24),
    Column(QT_TRANSLATE_NOOP("Admin", "Failures"), lambda f: f.failures, number, align_right=True),
    Column(QT_TRANSLATE_NOOP("Admin", "First"), lambda f: f.first, when),
    Column(QT_TRANSLATE_NOOP("Admin", "Last"), lambda f: f.last, when),
    Column(QT_TRANSLATE_NOOP("Admin", "Note"), lambda f: (f.then_signed_in, f.refused), _note),
)
ROLE_NAMES = {
    "admin": QT_TRANSLATE_NOOP("Admin", "Administrator"),
    "officer": QT_TRANSLATE_NOOP("Admin", "Officer"),
    "analyst": QT_TRANSLATE_NOOP("Admin", "Analyst"),
    "liaison": QT_TRANSLATE_NOOP("Admin", "Liaison"),
}


def _role_boxes(parent: QWidget, checked: list[str]) -> tuple[QGroupBox, dict[str, QCheckBox]]:
    from vault.permissions import Role

    box = QGroupBox(QCoreApplication.translate("Admin", "Roles"), parent)
    layout = QHBoxLayout(box)
    boxes = {}
    for role in Role:
        check = QCheckBox(QCoreApplication.translate("Admin", ROLE_NAMES.get(role.value, role)))
        check.setChecked(role.value in checked)
        boxes[role.value] = check
        layout.addWidget(check)
    return box, boxes


class UserDialog(QDialog):
    """Add a user (name, password twice, roles) or, with ``name``, change a user's roles."""

    def __init__(
        self,
        session: Any,
        runner: Any,
        name: str = "",
        roles: list[str] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.editing = bool(name)
        self.setWindowTitle(self.tr("Roles of {0}").format(name) if name else self.tr("Add user"))
        self.name = QLineEdit(name)
        self.name.setReadOnly(self.editing)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        if not self.editing:
            form.addRow(self.tr("Password"), self.password)
            form.addRow(self.tr("Password again"), self.confirm)
        box, self.roles = _role_boxes(self, roles or [])
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.css("danger"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def submit(self) -> None:
        """Ask the core on a worker (Argon2id for a new password takes a while); close when done."""
        from vault.users import add_user, set_roles

        roles = [r for r, c in self.roles.items() if c.isChecked()]
        if not self.editing and self.password.text() != self.confirm.text():
            self.message.setText(self.tr("The two passwords differ."))
            return
        if self.editing:
            args: tuple[Any, ...] = (set_roles, self.session, self.name.text(), roles)
        else:
            args = (add_user, self.session, self.name.text(), roles, self.password.text())
        self.buttons.setEnabled(False)
        call(self, self.runner, *args, done=self._done, failed=self._refused, writes=True)

    def _done(self, _result: Any) -> None:
        self.buttons.setEnabled(True)
        self.accept()

    def _refused(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(message)


class ReportDialog(QDialog):
    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Verify report"))
        self.resize(640, 420)
        if report.cancelled:
            head = self.tr("Verify was cancelled; nothing is concluded.")
        elif report.ok:
            head = self.tr("The vault is intact.")
        else:
            head = self.tr("{0} problem(s) found.").format(len(report.problems))
        summary = self.tr(
            "{0} items in {1} stored files, {2} audit entries checked at {3}."
        ).format(report.items, report.blobs, report.audit_entries, when(report.checked_at))
        self.head = QLabel(head)
        self.head.setObjectName("report_head")
        body = QPlainTextEdit("\n".join(str(p) for p in report.problems))
        body.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.head)
        layout.addWidget(QLabel(summary))
        layout.addWidget(body)
        layout.addWidget(buttons)


def start_verify(page: Any) -> JobDialog:
    """Run a verify with progress and Cancel; its report opens when it ends."""
    from vault.jobs import CancelToken
    from vault.verify import VerifyJob

    bridge = page.runner.start(VerifyJob(page.session, CancelToken()))
    title = QCoreApplication.translate("Admin", "Verifying the vault")
    dialog = JobDialog(bridge, title, None, page)

    def done(report: Any) -> None:
        dialog.accept()
        page.report = ReportDialog(report, page)
        page.report.open()
        if not report.cancelled:
            page.verified.emit(report.checked_at)
        page.refresh()

    bridge.finished.connect(done)
    dialog.show()
    return dialog


class AdminPage(Page):
    verified = Signal(str)
    users_loaded = Signal()
    security_loaded = Signal()
    rotated = Signal(object)  # a vault-key rotation finished here: its result

    def __init__(self, session: Any, runner: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, runner, parent)
        self.report: ReportDialog | None = None
        self.model = RecordModel(COLUMNS, "Admin", self)
        self.proxy = filtered(self.model, self)
        self.view = QTableView()
        self.view.setObjectName("users_table")
        self.view.setModel(self.proxy)
        setup_view(self.view)
        self.add_button = set_icon(QPushButton(self.tr("Add user...")), "user")
        self.add_button.clicked.connect(self.add_user)
        self.roles_button = set_icon(QPushButton(self.tr("Change roles...")), "admin")
        self.roles_button.clicked.connect(self.change_roles)
        self.disable_button = QPushButton(self.tr("Disable"))
        self.disable_button.clicked.connect(self.disable)
        self.password_button = set_icon(QPushButton(self.tr("Set password...")), "password")
        self.password_button.clicked.connect(self.set_password)
        self.password_dialog: PasswordDialog | None = None
        self.job: JobDialog | None = None
        self.verify_button = set_icon(QPushButton(self.tr("Verify vault...")), "verify")
        self.verify_button.clicked.connect(lambda: start_verify(self))
        self.verify_button.setVisible(session.may("vault.verify"))
        self.rotate_button = set_icon(QPushButton(self.tr("Rotate workstation key...")), "key")
        self.rotate_button.clicked.connect(self.rotate_key)
        self.rotate_button.setVisible(session.may("keys.manage"))
        self.vault_key_button = set_icon(QPushButton(self.tr("Rotate vault key...")), "key")
        self.vault_key_button.setObjectName("vault_key_button")
        self.vault_key_button.clicked.connect(self.rotate_vault_key)
        self.vault_key_button.setVisible(session.may("keys.manage"))
        self.key_label = QLabel()
        self.key_label.setObjectName("key_label")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.idle = QSpinBox()
        self.idle.setRange(1, 240)
        self.idle.setSuffix(self.tr(" min"))
        self.idle.setValue(settings.idle_minutes())
        self.idle.valueChanged.connect(settings.set_idle_minutes)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.roles_button, self.password_button, self.disable_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.rotate_button)
        buttons.addWidget(self.vault_key_button)
        buttons.addWidget(self.verify_button)
        lock = QFormLayout()
        lock.addRow(self.tr("Lock the session after idle time"), self.idle)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        layout.addLayout(lock)
        layout.addWidget(self.key_label)
        layout.addWidget(self._rotation_box())
        self.workstations = WorkstationsBox(self)
        layout.addWidget(self.workstations)
        layout.addWidget(self._security_box())
        self.dialog: UserDialog | None = None

    def _rotation_box(self) -> QGroupBox:
        """Shown after a vault-key rotation: partners need our new key card."""
        box = QGroupBox(self.tr("Vault key rotated"))
        box.setObjectName("rotation_box")
        box.setVisible(False)
        self.rotation_note = QLabel()
        self.rotation_note.setObjectName("rotation_note")
        self.rotation_note.setWordWrap(True)
        self.rotation_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_card_button = set_icon(QPushButton(self.tr("Save our key card...")), "key")
        self.save_card_button.setObjectName("save_card_button")
        self.save_card_button.clicked.connect(self._ask_card)
        self.save_card_button.setVisible(self.session.may("exchange.manage"))
        row = QHBoxLayout(box)
        row.addWidget(self.rotation_note, 1)
        row.addWidget(self.save_card_button)
        self.rotation_box = box
        return box

    def show_rotation(self, result: Any) -> None:
        """What a rotation means for partners (the core's result says they need a new card)."""
        text = self.tr(
            "The vault key was rotated ({0} stored files). Partners need our new key card: "
            "bundles they encrypt to our old key still open here, but only the new card "
            "protects what they send next."
        ).format(number(result.blobs))
        if not self.session.may("exchange.manage"):
            text += " " + self.tr("A liaison saves it on the Partners page.")
        self.rotation_note.setText(text)
        self.rotation_box.setVisible(True)
        self.rotated.emit(result)

    def _ask_card(self) -> None:
        from desktop.pages.agency import ask_card_file, save_card

        save_card(self, ask_card_file(self))

    def save_card(self, path: Path) -> None:
        """Write our key card to ``path`` (on a worker; the core never overwrites a file)."""
        from desktop.pages.agency import save_card

        save_card(self, path)

    def _security_box(self) -> QGroupBox:
        """Failed sign-ins (as audited) and the audit head to pin outside the agency."""
        box = QGroupBox(self.tr("Failed sign-ins and the audit head"))
        box.setObjectName("security_box")
        box.setVisible(self.session.may("audit.read"))
        self.head = QLineEdit()
        self.head.setObjectName("audit_head")
        self.head.setReadOnly(True)
        self.head.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.head_hint = QLabel()
        self.head_hint.setWordWrap(True)
        self.head_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signins = RecordModel(SIGNIN_COLUMNS, "Admin", self)
        self.signins_view = QTableView()
        self.signins_view.setObjectName("signins_table")
        self.signins_view.setModel(self.signins)
        setup_view(self.signins_view)
        self.signins_note = QLabel()
        self.signins_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Audit head"), self.head)
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addWidget(self.head_hint)
        layout.addWidget(self.signins_note)
        layout.addWidget(self.signins_view)
        return box

    def refresh(self) -> None:
        from vault.users import list_users

        self.call(list_users, self.session, done=self._users, key="list")
        self.workstations.refresh()
        if self.session.may("audit.read"):
            from vault.signin import security_overview

            self.call(security_overview, self.session, done=self._security, key="security")

    def _security(self, overview: Any) -> None:
        head = str(overview.head)
        self.head.setText(head)
        self.head.setCursorPosition(0)
        self.head_hint.setText(
            self.tr(
                "Write this down or send it to someone outside the agency; "
                "custos verify --head {0} checks against it later."
            ).format(head)
        )
        notes = [] if overview.failed else [self.tr("No failed sign-ins recorded.")]
        notes += [
            self.tr("The record of failed sign-ins was replaced: {0}").format(safe(why))
            for why in overview.damaged
        ]
        self.signins_note.setText("\n".join(notes))
        self.signins_note.setVisible(bool(notes))
        self.signins.set_records(overview.failed)
        self.security_loaded.emit()

    def _users(self, found: list[Any]) -> None:
        self.model.set_records(found)
        self.users_loaded.emit()

    def selected(self) -> Any:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.model.records[self.proxy.mapToSource(index).row()]

    def _open(self, dialog: UserDialog) -> UserDialog:
        self.dialog = dialog
        dialog.accepted.connect(self.refresh)
        dialog.open()
        return dialog

    def add_user(self) -> UserDialog:
        return self._open(UserDialog(self.session, self.runner, parent=self))

    def change_roles(self) -> UserDialog | None:
        user = self.selected()
        if user is None:
            return None
        return self._open(UserDialog(self.session, self.runner, user.name, user.roles, self))

    def disable(self) -> QMessageBox | None:
        """Ask to confirm, then disable the selected user (their key slot is removed)."""
        user = self.selected()
        if user is None or user.disabled:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Disable user"),
            self.tr("Disable {0}? They can no longer sign in.").format(user.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(needs_the_vault(self.session.on_server))
        box.accepted.connect(lambda: self._disable(user.name))
        box.open()
        return box

    def _disable(self, name: str) -> JobDialog:
        from vault.users import DisableJob

        title = self.tr("Disabling {0}").format(name)
        job = DisableJob(self.session, name)
        self.job = start_rotating(self, self.runner, job, title, self._rotation_done)
        return self.job

    def _rotation_done(self, result: Any) -> None:
        self.refresh()
        self.show_rotation(result)

    def set_password(self) -> PasswordDialog | None:
        """A new password for the selected user (the vault key is rotated: a job)."""
        user = self.selected()
        if user is None or user.disabled:
            return None
        dialog = PasswordDialog(user.name, self, self.session.on_server)
        dialog.chosen.connect(self._change_password)
        self.password_dialog = dialog
        dialog.open()
        return dialog

    def _change_password(self, name: str, password: str) -> None:
        self.job = change_password(
            self, self.session, self.runner, name, password, self._rotation_done
        )

    def rotate_key(self) -> QMessageBox:
        """Ask to confirm, then replace the workstation signing key (audited in the core)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Rotate workstation key"),
            self.tr(
                "Make a new signing key? Earlier audit entries stay verifiable; partner agencies "
                "need our new key card."
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.accepted.connect(self._rotate)
        box.open()
        return box

    def rotate_vault_key(self) -> QInputDialog:
        """Ask for the reason (it is audited), then rotate the vault key as a job: what an admin
        does when a key may have leaked, or on the agency's schedule."""
        dialog = QInputDialog(self)
        dialog.setObjectName("vault_key_reason")
        dialog.setWindowTitle(self.tr("Rotate vault key"))
        dialog.setLabelText(
            self.tr("Reason (recorded in the audit log):")
            + "\n\n"
            + needs_the_vault(self.session.on_server)
        )
        dialog.textValueSelected.connect(self._rotate_vault_key)
        self.reason_dialog = dialog
        dialog.open()
        return dialog

    def _rotate_vault_key(self, reason: str) -> None:
        from vault.rotation import VaultRotationJob

        job = VaultRotationJob(self.session, reason)
        title = self.tr("Rotating the vault key")
        self.job = start_rotating(self, self.runner, job, title, self._rotation_done)

    def _rotate(self) -> None:
        from vault.rotation import rotate_signing_key

        self.call(rotate_signing_key, self.session, done=self._rotated, writes=True)

    def _rotated(self, new_public: Any) -> None:
        if new_public:
            self.key_label.setText(self.tr("New workstation key: {0}").format(new_public))

    def select_user(self, name: str) -> None:
        for row, user in enumerate(self.model.records):
            if user.name == name:
                self.view.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
