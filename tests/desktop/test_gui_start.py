"""First start, signing in, the sidebar per role, locking and the language, driven as a user."""

from __future__ import annotations

import stat
from pathlib import Path

from guikit import ANALYST, settle, sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop import settings
from desktop.controller import Controller
from desktop.login import LoginDialog, RecoveryDialog, SetupDialog
from vaultkit import FAST_KDF, NEW_PASSWORD, PASSWORD

ALL_AREAS = [
    "cases",
    "overview",
    "evidence",
    "timeline",
    "map",
    "hashsets",
    "faces",
    "watchlists",
    "review",
    "partners",
    "bundles",
    "audit",
    "admin",
]


def test_first_start_creates_the_vault_and_shows_the_recovery_key_once(tmp_path: Path, qtbot):
    folder = tmp_path / "new-vault"
    c = Controller(folder, kdf=FAST_KDF)
    c.start()
    setup = c.dialog
    assert isinstance(setup, SetupDialog)
    qtbot.keyClicks(setup.admin, "alice")
    qtbot.keyClicks(setup.password, PASSWORD)
    qtbot.keyClicks(setup.confirm, PASSWORD + "x")
    setup.create_button.click()
    assert setup.message.text() == "The two passwords differ."
    assert not folder.exists()
    setup.confirm.setText(PASSWORD)
    setup.create_button.click()
    qtbot.waitUntil(lambda: isinstance(c.dialog, RecoveryDialog), timeout=20_000)
    shown = c.dialog
    key = shown.key.toPlainText()
    assert key.startswith("AGE-SECRET-KEY-1")
    assert c.window is None
    assert not shown.continue_button.isEnabled()  # the box must be ticked first
    saved = tmp_path / "escrow.txt"
    shown.save_to(saved)
    assert saved.read_text().strip() == key
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    shown.reject()  # Escape does not skip the confirmation
    assert shown.isVisible()
    shown.stored.setChecked(True)
    with qtbot.waitSignal(c.entered, timeout=10_000):
        shown.continue_button.click()
    assert shown.key.toPlainText() == ""  # gone from the dialog once confirmed
    assert c.window.area_keys() == ALL_AREAS
    # the key is written nowhere on this computer except where the user saved it
    for path in [*folder.rglob("*"), *tmp_path.joinpath("settings").rglob("*")]:
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    c._close_session()
    # and it really opens the vault
    from service.opener import recover

    recover(folder, key, "alice", NEW_PASSWORD).close()


def test_wrong_password_and_unknown_user_say_the_same(controller, qtbot):
    controller.start()
    dialog = controller.dialog
    assert isinstance(dialog, LoginDialog)
    messages = []
    for user, password in (("alice", "wrong password!"), ("mallory", PASSWORD)):
        dialog.user.setText(user)
        dialog.password.setText(password)
        dialog.sign_in_button.click()
        qtbot.waitUntil(lambda: dialog.sign_in_button.isEnabled(), timeout=20_000)
        messages.append(dialog.message.text())
    assert messages == ["Unknown user or wrong password"] * 2
    assert dialog.password.text() == ""
    assert controller.session is None
    window = sign_in(controller, qtbot)
    assert controller.session.user == "alice"
    assert window.isVisible()
    assert "alice" in window.user_label.text()
    assert str(controller.folder) in window.vault_label.text()


def test_sidebar_shows_only_the_areas_the_roles_allow(controller, qtbot):
    window = sign_in(controller, qtbot, ANALYST)
    keys = [
        "cases",
        "overview",
        "evidence",
        "timeline",
        "map",
        "hashsets",
        "faces",
        "watchlists",
        "review",
    ]
    assert window.area_keys() == keys
    texts = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert texts == [
        "Cases",
        "Overview",
        "Evidence",
        "Timeline",
        "Map",
        "Hash sets",
        "Faces",
        "Watchlists",
        "Review",
    ]
    assert "analyst" in window.user_label.text()
    controller.lock()
    window = sign_in(controller, qtbot, "alice")
    assert window.area_keys() == ALL_AREAS


def test_lock_by_shortcut_and_when_idle(controller, qtbot):
    window = sign_in(controller, qtbot)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, LoginDialog))
    assert controller.session is None and controller.window is None
    assert controller.dialog.user.text() == "alice"  # the password is asked again
    sign_in(controller, qtbot)
    controller.idle.start(0.002)  # about 120 ms without input
    qtbot.waitUntil(lambda: controller.session is None, timeout=5_000)
    assert isinstance(controller.dialog, LoginDialog)


def test_arabic_is_right_to_left_and_remembered_per_user(controller, qtbot):
    window = sign_in(controller, qtbot)
    controller.set_language("ar")
    window = controller.window
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.sidebar.item(0).text() == "القضايا"
    assert settings.language_for("alice") == "ar"
    assert settings.language_for(ANALYST) == "ar"  # the last choice, until bea picks her own
    controller.lock()
    assert controller.dialog.windowTitle() == "Custos — تسجيل الدخول"
    window = sign_in(controller, qtbot)
    assert window.sidebar.item(0).text() == "القضايا"
    controller.set_language("en")
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert controller.window.sidebar.item(0).text() == "Cases"


def test_quit_closes_the_session_and_releases_the_vault(controller, qtbot):
    window = sign_in(controller, qtbot)
    window.quit_action.trigger()
    assert controller.session is None and controller.window is None
    from service.opener import unlock

    unlock(controller.folder, "alice", PASSWORD).close()  # the vault lock was released


def test_every_area_opens_for_the_admin_without_an_error(controller, qtbot):
    window = sign_in(controller, qtbot)
    for key in ALL_AREAS:
        page = window.show_area(key)
        settle(qtbot, window)
        page.refresh()
        assert page.last_error is None, (key, page.last_error)
        assert window.stack.currentWidget() is page
    qtbot.keyClick(window, Qt.Key.Key_F5)  # refresh the current page
    assert window.pages["admin"].last_error is None
