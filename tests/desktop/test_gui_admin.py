"""Audit and administration as an admin: the log, verify with its report, users and roles."""

from __future__ import annotations

from guikit import ANALYST, settle, sign_in
from PySide6.QtWidgets import QMessageBox

from desktop import settings
from vaultkit import PASSWORD


def test_audit_page_lists_and_filters_entries_and_shows_chain_status(controller, qtbot):
    window = sign_in(controller, qtbot)
    page = window.show_area("audit")
    settle(qtbot, window)
    actions = [a.action for a in page.model.records]  # newest first
    assert actions[0] == "case.created" and actions[-1] == "vault.created"
    assert page.proxy.index(0, 2).data() == "case.created"
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
