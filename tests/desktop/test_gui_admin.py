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
