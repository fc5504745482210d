"""Defects found driving the window as a person would: each test clicks, types and presses keys."""

from __future__ import annotations

from pathlib import Path

from guikit import ANALYST, checked, settle, sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from vaultkit import PASSWORD


def _ingest(folder: Path, case: str, files: list[Path]) -> None:
    from service.opener import unlock
    from vault.ingest import CustodyForm, ingest

    s = unlock(folder, "alice", PASSWORD)
    try:
        ingest(s, case, files, CustodyForm(exhibit="EX-1"))
    finally:
        s.close()


def _type_then_tab(qtbot, text: str) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    if text:
        qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Tab)


def test_view_button_opens_the_selected_item(controller, qtbot, vault_dir: Path, faces_dir):
    photos = sorted((faces_dir / "knn" / "test").glob("*.jpg"))[:2]
    _ingest(vault_dir, "C-1", photos)
    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    assert len(page.model.records) == 2
    page.view.selectRow(1)
    chosen = page.selected_item()
    qtbot.mouseClick(page.view_button, Qt.MouseButton.LeftButton)
    dialog = page.item_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.item is not None, timeout=10_000)
    assert dialog.item.id == chosen.id
    dialog.close()


def test_custody_form_filled_with_tab_keeps_every_field(controller, qtbot, tmp_path: Path):
    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    sent = []
    page.ingest = lambda paths, form, again=False: sent.append(form)  # what the core would receive
    photo = tmp_path / "a.txt"
    photo.write_text("a")
    dialog = page.ask_custody([photo])
    dialog.activateWindow()
    dialog.exhibit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.exhibit)
    for text in ("EX-7", "Vessel Marta", "Port of Valletta", "", "Insp. Borg"):
        _type_then_tab(qtbot, text)
    _type_then_tab(qtbot, "Two phones in a bag")
    assert QApplication.focusWidget() is not dialog.description
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # the Ingest button
    assert not dialog.isVisible()
    (form,) = sent
    assert form.exhibit == "EX-7"
    assert form.seized_from == "Vessel Marta"
    assert form.seized_at == "Port of Valletta"
    assert form.seized_by == "Insp. Borg"
    assert form.description == "Two phones in a bag"


def test_a_missing_reason_puts_the_cursor_in_the_reason_field(matched, qtbot):
    window = sign_in(matched, qtbot, user=ANALYST)
    page = window.show_area("review")
    with qtbot.waitSignal(page.detail_shown, timeout=10_000):
        page.show_case("OP-7")
    window.activateWindow()
    page.view.setFocus()
    qtbot.waitUntil(lambda: page.view.hasFocus(), timeout=5_000)
    qtbot.keyClick(page.view, Qt.Key.Key_C)
    dialog = page.reason_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.activateWindow()
    confirm = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    confirm.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is confirm, timeout=5_000)
    qtbot.keyClick(confirm, Qt.Key.Key_Space)  # press Confirm with no reason
    assert dialog.isVisible() and dialog.message.text() == "A reason is required."
    assert QApplication.focusWidget() is dialog.reason
    qtbot.keyClicks(QApplication.focusWidget(), "same scar")  # the person types on at once
    assert dialog.text() == "same scar"
    dialog.reject()


def test_detection_progress_says_how_many_photos_of_how_many(
    controller, qtbot, vault_dir: Path, faces_dir
):
    photos = sorted((faces_dir / "knn" / "test").glob("*.jpg"))[:3]
    _ingest(vault_dir, "C-1", photos)
    window = sign_in(controller, qtbot)
    page = window.show_area("faces")
    settle(qtbot, window)
    page.show_case("C-1")
    settle(qtbot, window)
    shown: list[str] = []
    with qtbot.waitSignal(page.detected, timeout=120_000):
        qtbot.mouseClick(page.detect_button, Qt.MouseButton.LeftButton)
        dialog = page.job_dialog
        dialog.bridge.progress.connect(lambda *_a: shown.append(dialog.status.text()))
    assert shown and shown[-1] == "Detecting faces: 3 of 3 photos"
    assert all(t.startswith("Detecting faces: ") for t in shown)


def test_audit_details_read_as_key_value_lines(controller, qtbot):
    window = sign_in(controller, qtbot)
    page = window.show_area("audit")
    settle(qtbot, window)
    model = page.view.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:5] == ["Time", "Actor", "Action", "Target", "Details"]
    row = next(r for r in range(model.rowCount()) if model.index(r, 2).data() == "Case created")
    entry = page.model.records[page.proxy.mapToSource(model.index(row, 0)).row()]
    cell = model.index(row, 4).data()
    assert "{" not in cell and '"' not in cell
    for key in entry.readable:  # the row digests verify uses are not for reading
        assert f"{key.replace('_', ' ')}: " in cell
    qtbot.mouseClick(
        page.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=page.view.visualRect(model.index(row, 0)).center(),
    )
    lines = page.details.toPlainText().splitlines()
    assert "Actor: alice" in lines and "Action: Case created (case.created)" in lines
    assert all(not line.startswith("{") for line in lines)


def test_user_state_and_onward_sharing_are_spelt_out(matched, qtbot):
    from exchange.directory import add_agreement
    from vault.users import disable_user

    add_agreement(
        matched_session := _open(matched),
        "BKA",
        "mla",
        "GREEN",
        "2099-12-31",
        reference="MLA-1",
        onward=True,
    )
    disable_user(matched_session, "bea")
    matched_session.close()
    window = sign_in(matched, qtbot)
    admin = window.show_area("admin")
    settle(qtbot, window)
    state = {
        admin.view.model().index(r, 0).data(): admin.view.model().index(r, 2).data()
        for r in range(admin.view.model().rowCount())
    }
    assert state == {"alice": "active", "bea": "disabled"}
    partners = window.show_area("partners")
    settle(qtbot, window)
    view = partners.agreements_view
    column = [a.title for a in partners.agreements.columns].index("Onward sharing")
    onward = {
        view.model().index(r, 0).data(): view.model().index(r, column).data()
        for r in range(view.model().rowCount())
    }
    assert onward == {"joint-operation": "not allowed", "mla": "allowed"}


def _open(controller):
    from service.opener import unlock

    return unlock(controller.folder, "alice", PASSWORD)


def test_key_fingerprints_are_shown_whole_monospace_and_copied(matched, qtbot):
    from PySide6.QtGui import QFontInfo, QFontMetrics, QGuiApplication

    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    key = page.keys.records[0]
    for view, column in ((page.keys_view, 0), (page.view, 3)):
        index = view.model().index(0, column)
        text = index.data()
        assert text == key.grouped and len(text.replace(" ", "")) == len(key.fingerprint)
        font = index.data(Qt.ItemDataRole.FontRole)
        assert QFontInfo(font).fixedPitch()
        assert index.data(Qt.ItemDataRole.ToolTipRole) == text
        assert view.columnWidth(column) > QFontMetrics(font).horizontalAdvance(text)
        # wide enough to need no eliding; narrowed by the user, it elides in the middle
        assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
    page.keys_view.selectRow(0)
    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == key.grouped


def test_the_agency_is_set_from_the_partners_page(controller, qtbot):
    window = sign_in(controller, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    assert "custos" not in page.ours.text()  # no trip to the command line
    qtbot.mouseClick(page.agency_button, Qt.MouseButton.LeftButton)
    dialog = page.agency_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name, "Politie NL")
    qtbot.keyClicks(dialog.country, "N")
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: bool(dialog.message.text()), timeout=10_000)
    assert "two-letter country code" in dialog.message.text() and dialog.isVisible()
    qtbot.keyClicks(dialog.country, "l")
    qtbot.keyClicks(dialog.contact, "desk@politie.nl")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
        )
    assert not dialog.isVisible()
    settle(qtbot, window)
    from exchange.directory import our_card

    _data, card = our_card(controller.session)
    assert (card.name, card.country, card.contact) == ("Politie NL", "NL", "desk@politie.nl")
    assert "We are Politie NL (NL)" in page.ours.text()
    again = page.open_agency()  # the dialog opens with what is set
    assert (again.name.text(), again.country.text()) == ("Politie NL", "NL")
    again.reject()


def test_case_item_counts_follow_an_ingest_without_f5(controller, qtbot, faces_dir):
    window = sign_in(controller, qtbot)
    cases = window.show_area("cases")
    settle(qtbot, window)
    assert [(c.reference, c.items) for c in cases.model.records] == [("C-1", 0)]
    evidence = window.show_area("evidence")
    settle(qtbot, window)
    photos = sorted((faces_dir / "knn" / "test").glob("*.jpg"))[:3]
    form = evidence.ask_custody(photos)
    qtbot.keyClicks(form.exhibit, "EX-1")
    with qtbot.waitSignal(evidence.ingested, timeout=60_000):
        qtbot.keyClick(form.exhibit, Qt.Key.Key_Return)
    window.show_area("cases")
    qtbot.waitUntil(lambda: cases.model.records[0].items == 3, timeout=10_000)
    column = [c.title for c in cases.model.columns].index("Items")
    assert cases.view.model().index(0, column).data() == "3"


def test_export_preselects_the_purpose_agreed_with_the_chosen_partner(
    matched, qtbot, tmp_path: Path
):
    from exchange import directory
    from service.opener import init_vault
    from vaultkit import FAST_KDF

    fr, _ = init_vault(tmp_path / "fr", "fabien", PASSWORD, kdf=FAST_KDF)
    try:
        directory.set_agency(fr, "DGSI", "FR")
        card, _info = directory.our_card(fr)
    finally:
        fr.close()
    s = _open(matched)
    try:
        directory.add_partner(s, card, "card")
        directory.add_agreement(s, "DGSI", "mla", "GREEN,AMBER", "2099-12-31", reference="M-1")
    finally:
        s.close()
    window = sign_in(matched, qtbot)
    page = window.show_area("bundles")
    settle(qtbot, window)
    page.show_case("OP-7")
    dialog = page.open_export()
    checked(qtbot, window, dialog)
    assert dialog.partner.currentData() == "BKA"
    assert dialog.purpose.currentData() == "joint-operation"
    assert "no active agreement" not in dialog.summary.text()
    dialog.partner.setCurrentIndex(dialog.partner.findData("DGSI"))
    qtbot.waitUntil(lambda: dialog.purpose.currentData() == "mla", timeout=10_000)
    checked(qtbot, window, dialog)
    assert dialog.preview.agreement is not None and dialog.preview.agreement.partner == "DGSI"
    dialog.reject()
