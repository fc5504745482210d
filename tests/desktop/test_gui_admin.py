"""Audit and administration as an admin: the log, verify with its report, users and roles."""

from __future__ import annotations

import pytest
from guikit import ANALYST, settle, sign_in
from PySide6.QtWidgets import QLabel, QMessageBox

from desktop import settings
from vaultkit import PASSWORD


def test_audit_page_lists_and_filters_entries_and_shows_chain_status(controller, qtbot):
    window = sign_in(controller, qtbot)
    page = window.show_area("audit")
    settle(qtbot, window)
    actions = [a.action for a in page.model.records]  # newest first
    assert actions[0] == "case.created" and actions[-1] == "vault.created"
    assert page.proxy.index(0, 2).data() == "Case created"  # in words; found by its name too
    assert "case.created" in actions
    assert "not verified yet" in page.chain.text()
    page.filter.setText("case.created")
    assert page.proxy.rowCount() == 1
    dialog = page.verify()
    qtbot.waitUntil(lambda: page.report is not None and page.report.isVisible(), timeout=30_000)
    assert page.report.head.text() == "The vault is intact."
    assert dialog.bridge.result.ok
    settle(qtbot, window)
    assert "intact" in page.chain.text()
    assert "vault.verified" in [a.action for a in page.model.records]


def test_admin_adds_a_user_changes_roles_and_disables(controller, qtbot):
    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    settle(qtbot, window)
    assert [u.name for u in page.model.records] == ["alice", ANALYST]
    dialog = page.add_user()
    qtbot.keyClicks(dialog.name, "carla")
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClicks(dialog.confirm, PASSWORD)
    dialog.submit()
    settle(qtbot, window)
    assert dialog.message.text() == "a user needs at least one role"  # the core's line
    dialog.roles["officer"].setChecked(True)
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible()
    users = {u.name: u for u in page.model.records}
    assert users["carla"].roles == ["officer"]
    page.select_user("carla")
    roles = page.change_roles()
    roles.roles["liaison"].setChecked(True)
    roles.submit()
    settle(qtbot, window)
    assert {u.name: u for u in page.model.records}["carla"].roles == ["liaison", "officer"]
    page.select_user("carla")
    box = page.disable()
    assert "carla" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    assert {u.name: u for u in page.model.records}["carla"].disabled
    from vault.history import list_audit

    done = [a.action for a in list_audit(controller.session) if a.details.get("name") == "carla"]
    assert done == ["user.added", "user.roles", "user.disabled", "keys.vault_rotated"]
    page.idle.setValue(3)
    assert settings.idle_minutes() == 3


def test_verify_from_admin_updates_the_status_bar(controller, qtbot):
    window = sign_in(controller, qtbot)
    settle(qtbot, window)
    assert window.verified_label.text() == "Verified at: never"
    page = window.show_area("admin")
    page.verify_button.click()
    qtbot.waitUntil(lambda: page.report is not None, timeout=30_000)
    assert "never" not in window.verified_label.text()


def test_admin_rotates_the_workstation_key_and_the_vault_still_verifies(controller, qtbot):
    from vault.history import list_audit
    from vault.verify import verify

    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    before = controller.session.signing_public.public_bytes_raw().hex()
    box = page.rotate_key()
    assert "partner agencies" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    after = controller.session.signing_public.public_bytes_raw().hex()
    assert after != before and after in page.key_label.text()
    assert list_audit(controller.session)[-1].action == "keys.signing_rotated"
    assert verify(controller.session).ok


def _try(qtbot, dialog, user: str, password: str) -> str:
    """One attempt in the sign-in dialog; the line it shows."""
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: dialog.sign_in_button.isEnabled(), timeout=20_000)
    return dialog.message.text()


def test_admin_page_shows_failed_sign_ins_escaped_and_the_head_to_write_down(controller, qtbot):
    from vault.history import head

    controller.start()
    hostile = "\x1b[2J\u202emallory"
    assert _try(qtbot, controller.dialog, hostile, "a guess") == "Unknown user or wrong password"
    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    settle(qtbot, window)
    pinned = str(head(controller.session))
    assert page.head.text() == pinned and page.head.isReadOnly()
    assert f"custos verify --head {pinned} checks against it later" in page.head_hint.text()
    assert "outside the agency" in page.head_hint.text()
    assert page.signins.rowCount() == 1
    row = [page.signins.index(0, c).data() for c in range(page.signins.columnCount())]
    assert row[0] == "\\x1b[2J\\u202emallory"  # escaped: cannot reorder or clear the page
    assert row[1] == "1"
    assert "a guess" not in "".join(str(x) for x in row)
    # a verify writes to the audit: the head shown moves with it
    page.verify_button.click()
    qtbot.waitUntil(lambda: page.report is not None, timeout=30_000)
    settle(qtbot, window)
    assert page.head.text() == str(head(controller.session)) != pinned


def test_a_throttled_name_is_told_to_wait_in_the_sign_in_dialog(controller, qtbot, monkeypatch):
    from vault import signin

    monkeypatch.setattr(signin, "clock", lambda: 1_700_000_000.0)  # no time passes
    controller.start()
    said = [_try(qtbot, controller.dialog, "alice", "a guess") for _ in range(signin.FREE_FAILURES)]
    assert said == ["Unknown user or wrong password"] * signin.FREE_FAILURES
    waiting = "Too many failed sign-ins for this name: wait 1 s and try again."
    assert _try(qtbot, controller.dialog, "alice", PASSWORD) == waiting
    assert _try(qtbot, controller.dialog, "nobody", "a guess") == "Unknown user or wrong password"
    window = sign_in(controller, qtbot, ANALYST)  # other names are not held back
    assert window.area_keys()[0] == "cases"


def test_the_security_box_is_translated_to_arabic(controller, qtbot):
    from desktop import i18n

    window = sign_in(controller, qtbot)
    i18n.install("ar")
    from desktop.pages.admin import AdminPage

    page = AdminPage(controller.session, window.runner, window)
    page.refresh()
    qtbot.waitUntil(lambda: bool(page.head.text()), timeout=20_000)
    settle(qtbot, window)
    texts = [page.findChild(type(page.head_hint.parent()), "security_box").title()]
    texts += [page.head_hint.text(), page.signins_note.text()]
    assert "رأس سجل التدقيق" in texts[0]
    assert "custos verify --head" in texts[1] and not texts[1].startswith("Write")
    assert texts[2] == "لا توجد محاولات دخول فاشلة مسجّلة."


NEW_PASSWORD = "a new and longer passphrase"


def _ended(qtbot, job) -> str:
    """Wait for a job dialog's job to end; the line it shows."""
    qtbot.waitUntil(lambda: not job.bridge.running, timeout=60_000)
    return job.status.text()


def test_admin_sets_a_password_as_a_job_then_saves_the_new_key_card_partners_need(
    controller, qtbot, vault_dir, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

    from exchange.cards import read_card
    from exchange.directory import set_agency
    from service.opener import unlock
    from vault.errors import CustosError
    from vault.history import list_audit

    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    settle(qtbot, window)
    assert not page.rotation_box.isVisible()
    page.select_user(ANALYST)
    page.password_button.click()
    dialog = page.password_dialog
    assert "needs the vault to itself" in dialog.findChild(QLabel, "password_note").text()
    qtbot.keyClicks(dialog.password, NEW_PASSWORD)
    qtbot.keyClicks(dialog.confirm, NEW_PASSWORD + "x")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.message.text() == "The two passwords differ." and dialog.isVisible()
    dialog.confirm.setText(NEW_PASSWORD)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    job = page.job
    assert job is not None and job.isVisible() and not job.cancel_button.isEnabled()
    assert _ended(qtbot, job).startswith("Done: the vault key was rotated")
    settle(qtbot, window)
    done = [a.action for a in list_audit(controller.session) if a.details.get("name") == ANALYST]
    assert done[-2:] == ["user.password", "keys.vault_rotated"]
    assert page.rotation_box.isVisible()
    assert "Partners need our new key card" in page.rotation_note.text()
    assert page.save_card_button.isVisible()
    other = unlock(vault_dir, ANALYST, NEW_PASSWORD)  # the new password opens the vault
    other.close()
    with pytest.raises(CustosError):
        unlock(vault_dir, ANALYST, PASSWORD)
    # the button saves our key card: it carries the new vault recipient
    set_agency(controller.session, "Politie NL", "NL")
    target = tmp_path / "card.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    page.save_card_button.click()
    settle(qtbot, window)
    card = read_card(target.read_bytes(), "card")
    assert card.recipient == str(controller.session.age_identity.recipient)
    assert "Our key card is saved in" in window.statusBar().currentMessage()
    page.save_card_button.click()  # never over an existing file: one line
    settle(qtbot, window)
    assert page.last_error is not None and "already exists" in page.last_error


def test_disabling_says_the_key_rotates_and_another_process_is_refused_in_one_line(
    controller, qtbot, vault_dir
):
    from vaultkit import open_as

    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    settle(qtbot, window)
    page.select_user(ANALYST)
    box = page.disable()
    assert "vault key will be rotated" in box.informativeText()
    assert "close other Custos windows and processes" in box.informativeText()
    other = open_as(vault_dir, ANALYST)  # another Custos process with the vault open
    try:
        box.button(QMessageBox.StandardButton.Yes).click()
        said = _ended(qtbot, page.job)
    finally:
        other.close()
    assert "another Custos process has the vault open" in said and "\n" not in said
    assert page.job.cancel_button.text() == "Close"
    settle(qtbot, window)
    assert not {u.name: u for u in page.model.records}[ANALYST].disabled
    assert not page.rotation_box.isVisible()


def test_any_user_changes_their_own_password_from_the_file_menu(controller, qtbot, vault_dir):
    from PySide6.QtWidgets import QDialogButtonBox

    from service.opener import unlock

    window = sign_in(controller, qtbot, ANALYST)
    assert "admin" not in window.area_keys()
    window.password_action.trigger()  # File > Change my password...
    dialog = window.password_dialog
    assert dialog.windowTitle() == f"New password for {ANALYST}"
    qtbot.keyClicks(dialog.password, NEW_PASSWORD)
    qtbot.keyClicks(dialog.confirm, NEW_PASSWORD)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert _ended(qtbot, window.password_job).startswith("Done: the vault key was rotated")
    settle(qtbot, window)
    assert window.statusBar().currentMessage() == "Your password is changed."
    unlock(vault_dir, ANALYST, NEW_PASSWORD).close()


def test_an_admin_rotates_the_vault_key_on_request_with_a_reason(controller, qtbot, vault_dir):
    from vault.history import list_audit

    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    settle(qtbot, window)
    before = (vault_dir / "vault.toml").read_text()
    page.vault_key_button.click()
    dialog = page.reason_dialog
    assert "needs the vault to itself" in dialog.labelText()
    dialog.setTextValue("key may have leaked (ticket 42)")
    dialog.accept()
    job = page.job
    assert job is not None and job.isVisible()
    assert _ended(qtbot, job).startswith("Done: the vault key was rotated")
    settle(qtbot, window)
    rotations = [a for a in list_audit(controller.session) if a.action == "keys.vault_rotated"]
    assert rotations[-1].details["reason"] == "key may have leaked (ticket 42)"
    assert (vault_dir / "vault.toml").read_text() != before
    assert page.rotation_box.isVisible()
