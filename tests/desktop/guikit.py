"""Helpers for the GUI tests: sign in through the real login dialog."""

from __future__ import annotations

from desktop.controller import Controller
from desktop.login import LoginDialog
from vaultkit import PASSWORD

ANALYST = "bea"


def sign_in(controller: Controller, qtbot, user: str = "alice", password: str = PASSWORD):
    """Start the app, type the user and password, wait for the main window."""
    if controller.dialog is None:
        controller.start()
    dialog = controller.dialog
    assert isinstance(dialog, LoginDialog)
    dialog.user.setText(user)
    qtbot.keyClicks(dialog.password, password)
    with qtbot.waitSignal(controller.entered, timeout=20_000) as entered:
        dialog.sign_in_button.click()
    return entered.args[0]


def in_arabic(controller: Controller, qtbot, area: str):
    """Sign in, switch the window to Arabic and show ``area`` with what the core answered."""
    sign_in(controller, qtbot)
    controller.set_language("ar")
    page = controller.window.show_area(area)
    settle(qtbot, controller.window)
    return page


def settle(qtbot, window, timeout: int = 20_000) -> None:
    """Wait until every call and job the window started has answered."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=timeout)


def checked(qtbot, window, dialog, timeout: int = 20_000) -> None:
    """Wait until an export dialog shows the policy's answer to its current choices."""
    qtbot.waitUntil(
        lambda: not window.runner.busy and not dialog._timer.isActive() and bool(dialog.preview),
        timeout=timeout,
    )
