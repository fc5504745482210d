"""The admin page's workstations table: enrol this machine, revoke one, in English and Arabic."""

from __future__ import annotations

from pathlib import Path

import pytest
from guikit import settle, sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from vault import workstations


@pytest.fixture(autouse=True)
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This machine's data folder, where its workstation key goes."""
    home = tmp_path / "machine"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def _rows(page) -> list[list[str]]:
    model = page.workstations.model
    return [
        [model.index(r, c).data() or "" for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_an_admin_enrols_this_machine_and_revokes_the_shared_key(controller, qtbot, machine):
    window = sign_in(controller, qtbot)
    page = window.show_area("admin")
    settle(qtbot, window)
    box = page.workstations
    assert box.isVisibleTo(page)
    [shared] = _rows(page)
    assert shared[0] == "shared key" and shared[1] == "yes" and shared[3] == "alice"
    dialog = box.ask_enrol()
    dialog.setTextValue("desk-1")
    dialog.accept()
    settle(qtbot, window)
    rows = {r[0]: r for r in _rows(page)}
    assert sorted(rows) == ["desk-1", "shared key"]
    assert rows["desk-1"][1] == "yes" and rows["shared key"][1] == ""
    [desk] = [w for w in box.model.records if w.name == "desk-1"]
    assert rows["desk-1"][2] == desk.fingerprint and rows["desk-1"][5] == "active"
    assert workstations.key_path(controller.session.config.vault_id).is_file()
    box.view.selectRow([r[0] for r in _rows(page)].index("shared key"))
    confirm = box.ask_revoke()
    assert "not by cryptography" in confirm.text()
    confirm.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    assert {r[0]: r[5] for r in _rows(page)}["shared key"] == "revoked by alice"
    assert controller.session.workstation is not None  # desk-1 still writes


def test_the_workstations_box_is_translated_to_arabic(controller, qtbot):
    from desktop import i18n
    from desktop.pages.admin import AdminPage

    window = sign_in(controller, qtbot)
    i18n.install("ar")
    page = AdminPage(controller.session, window.runner, window)
    with qtbot.waitSignal(page.workstations.loaded, timeout=20_000):
        page.refresh()
    settle(qtbot, window)
    box = page.workstations
    texts = [box.title(), box.enrol_button.text(), box.revoke_button.text()]
    texts += [box.model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)]
    texts += [t for row in _rows(page) for t in row if t and not t[0].isdigit() and t != "alice"]
    english = {"Workstations", "Enrol this workstation...", "Revoke...", "shared key", "active"}
    english |= {"Workstation", "This machine", "Key fingerprint", "Enrolled by", "Enrolled"}
    english |= {"State", "Revoked", "yes"}
    assert not english & set(texts), texts
