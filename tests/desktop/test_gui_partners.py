"""Partners page as liaison: add a card (fingerprint first), rotate, agreements, revoke a key."""

from __future__ import annotations

from pathlib import Path

from guikit import in_arabic, settle, sign_in
from matchkit import PARTNER_USER
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from vaultkit import FAST_KDF, PASSWORD


def _card_of_new_agency(folder: Path) -> Path:
    from exchange import directory
    from service.opener import init_vault

    s, _recovery = init_vault(folder, "fabien", PASSWORD, kdf=FAST_KDF)
    try:
        directory.set_agency(s, "DGSI", "FR", "desk@interieur.fr")
        data, _card = directory.our_card(s)
    finally:
        s.close()
    card = folder.parent / "dgsi.card"
    card.write_bytes(data)
    return card


def _rotated_card_of_bka(world: Path, target: Path) -> Path:
    from exchange import directory
    from service.opener import unlock
    from vault.rotation import rotate_signing_key

    s = unlock(world / "de", PARTNER_USER, PASSWORD)
    try:
        rotate_signing_key(s)
        data, _card = directory.our_card(s)
    finally:
        s.close()
    target.write_bytes(data)
    return target


def _pick(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(path), ""))


def test_a_card_is_added_only_after_the_fingerprint_is_confirmed_and_a_known_one_rotates(
    matched, qtbot, world: Path, tmp_path: Path, monkeypatch
):
    from exchange.cards import grouped, read_card
    from exchange.directory import list_partners, show_partner
    from vault.history import list_audit

    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    card = _card_of_new_agency(tmp_path / "fr")
    fpr = read_card(card.read_bytes(), "card").fingerprint
    _pick(monkeypatch, card)
    with qtbot.waitSignal(page.card_read, timeout=10_000):  # read on a worker
        page.add_button.click()
    box = page.confirm_box
    assert box is not None and box.isVisible()
    assert "Add DGSI (FR) as a partner?" in box.text()
    assert grouped(fpr) in box.informativeText() and "out of band" in box.informativeText()
    assert [p.name for p in list_partners(matched.session)] == ["BKA"]  # nothing before "yes"
    page.card_button.click()
    settle(qtbot, window)
    assert [p.name for p in page.model.records] == ["BKA", "DGSI"]
    assert page.current().name == "DGSI" and page.keys.records[0].fingerprint == fpr
    assert [a.action for a in list_audit(matched.session, action="partner.")][-2:] == [
        "partner.added",
        "partner.key_added",
    ]

    old = show_partner(matched.session, "BKA")[0].keys[0].fingerprint
    rotated = _rotated_card_of_bka(world, tmp_path / "bka-new.card")
    _pick(monkeypatch, rotated)
    with qtbot.waitSignal(page.card_read, timeout=10_000):
        page.add_button.click()
    page.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
    assert [k.status for k in show_partner(matched.session, "BKA")[0].keys] == ["active"]
    with qtbot.waitSignal(page.card_read, timeout=10_000):
        page.add_button.click()
    box = page.confirm_box
    assert box.windowTitle() == "Rotate the key of BKA" and "already a partner" in box.text()
    assert page.card_button.text() == "Rotate key"
    page.card_button.click()
    settle(qtbot, window)
    keys = show_partner(matched.session, "BKA")[0].keys
    assert [(k.fingerprint == old, k.status) for k in keys] == [
        (True, "retired"),
        (False, "active"),
    ]
    page.select("BKA")
    shown = {k.fingerprint: k.status for k in page.keys.records}  # the table may be sorted
    assert shown == {k.fingerprint: k.status for k in keys}
    assert "partner.key_retired" in [a.action for a in list_audit(matched.session, "partner.")]
    with qtbot.waitSignal(page.card_read, timeout=10_000):
        page.add_button.click()  # the same card again: the core refuses, in one line
    page.card_button.click()
    settle(qtbot, window)
    assert page.last_error is not None and "already has this key" in page.last_error
    assert "\n" not in page.last_error


def test_a_card_file_is_read_on_a_worker_and_a_folder_or_a_pipe_is_refused_in_one_line(
    matched, qtbot, tmp_path: Path, monkeypatch
):
    """Reading a card on the GUI thread froze the window on a pipe (and read /dev/zero forever);
    the bounded reader runs on a worker and says what is wrong in one line."""
    import contextlib
    import os
    import threading

    from exchange import cards

    on_gui_thread: list[bool] = []
    bounded = cards.read_card_file

    def watched(path: Path) -> bytes:
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return bounded(path)

    monkeypatch.setattr(cards, "read_card_file", watched)
    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)

    folder = tmp_path / "cards"
    folder.mkdir()
    _pick(monkeypatch, folder)
    with qtbot.waitSignal(page.card_read, timeout=10_000):
        page.add_button.click()
    assert page.last_error == f"{folder}: a folder, not a key card file"
    assert page.confirm_box is None

    pipe = tmp_path / "card.fifo"
    os.mkfifo(pipe)
    stop = threading.Event()

    def unblock() -> None:  # a reader stuck in open() on the pipe gets an empty file
        while not stop.wait(0.05):
            with contextlib.suppress(OSError):  # no reader yet
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))

    helper = threading.Thread(target=unblock, daemon=True)
    helper.start()
    try:
        _pick(monkeypatch, pipe)
        with qtbot.waitSignal(page.card_read, timeout=10_000):
            page.add_button.click()
    finally:
        stop.set()
        helper.join()
    assert page.last_error == f"{pipe}: not a regular file"
    assert page.confirm_box is None

    card = _card_of_new_agency(tmp_path / "fr")
    _pick(monkeypatch, card)
    with qtbot.waitSignal(page.card_read, timeout=10_000):
        page.add_button.click()
    assert page.confirm_box is not None and page.confirm_box.isVisible()
    assert "Add DGSI (FR) as a partner?" in page.confirm_box.text()
    assert on_gui_thread == [False, False, False]
    page.confirm_box.button(QMessageBox.StandardButton.Cancel).click()


def test_an_agreement_is_added_from_the_dialog_and_core_refusals_stay_in_it(matched, qtbot):
    from exchange.directory import list_agreements
    from vault.history import list_audit

    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    page.select("BKA")
    page.agreement_button.click()
    dialog = page.agreement_dialog
    assert dialog.isVisible() and dialog.partner == "BKA"
    dialog.set_purpose("joint-operation")
    assert not dialog.reference.isEnabled()
    dialog.set_purpose("mla")
    assert dialog.reference.isEnabled()
    dialog.labels["GREEN"].setChecked(True)
    dialog.valid_from.setDate(QDate(2026, 1, 1))
    dialog.valid_until.setDate(QDate(2027, 6, 30))
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    ok.click()  # no MLA reference
    settle(qtbot, window)
    assert dialog.isVisible()
    assert dialog.message.text() == "an MLA agreement needs the request reference (--reference)"
    assert len(list_agreements(matched.session, "BKA")) == 1
    qtbot.keyClicks(dialog.reference, "MLA-2026-17")
    dialog.valid_until.setDate(QDate(2025, 12, 31))
    ok.click()
    settle(qtbot, window)
    assert "ends (2025-12-31) before it starts (2026-01-01)" in dialog.message.text()
    dialog.valid_until.setDate(QDate(2027, 6, 30))
    dialog.labels["AMBER"].setChecked(True)
    dialog.areas["fraud"].setChecked(True)
    dialog.areas["money-laundering"].setChecked(True)
    dialog.onward.setChecked(True)
    dialog.redacted.setChecked(True)
    ok.click()
    settle(qtbot, window)
    assert not dialog.isVisible()
    added = list_agreements(matched.session, "BKA")[-1]
    assert (added.purpose, added.reference, added.labels, added.crime_areas, added.onward) == (
        "mla",
        "MLA-2026-17",
        ["GREEN", "AMBER"],
        ["fraud", "money-laundering"],
        True,
    )
    assert (added.valid_from, added.valid_until) == ("2026-01-01", "2027-06-30")
    assert added.redacted  # photos and videos go only as redacted copies
    assert [a.purpose for a in page.agreements.records] == ["joint-operation", "mla"]
    recorded = list_audit(matched.session, action="agreement.added")
    assert len(recorded) == 2  # the template's, and this one (the refusals recorded nothing)
    assert recorded[-1].details["purpose"] == "mla" and recorded[-1].details["partner"] == "BKA"
    assert len(list_audit(matched.session, action="agreement.redaction")) == 1


def test_revoking_the_selected_key_asks_first_and_is_recorded(matched, qtbot):
    from exchange.directory import show_partner
    from vault.history import list_audit

    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    page.select("BKA")
    key = page.current_key()
    page.revoke_button.click()
    box = page.confirm_box
    assert key.grouped in box.text() and "BKA" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert show_partner(matched.session, "BKA")[0].keys[0].status == "active"
    page.revoke_button.click()
    page.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    assert show_partner(matched.session, "BKA")[0].keys[0].status == "revoked"
    assert page.keys.records[0].status == "revoked"
    assert page.keys_view.model().index(0, 1).data() == "revoked"
    revoked = list_audit(matched.session, action="partner.key_revoked")
    assert len(revoked) == 1 and revoked[0].details["fingerprint"] == key.fingerprint
    page.revoke_button.click()
    page.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    assert page.last_error == f"key {key.grouped} of BKA is already revoked"


def test_the_new_controls_speak_arabic(matched, qtbot):
    page = in_arabic(matched, qtbot, "partners")
    assert page.revoke_button.text() == "إلغاء المفتاح..."
    assert page.agreement_button.text() == "إضافة اتفاقية..."
    page.select("BKA")
    page.agreement_button.click()
    assert page.agreement_dialog.windowTitle() == "اتفاقية جديدة مع BKA"
    assert page.agreement_dialog.purpose.itemText(0) == "المساعدة القانونية المتبادلة (MLA)"
    page.agreement_dialog.reject()
    bundles = matched.window.show_area("bundles")
    settle(qtbot, matched.window)
    assert bundles.history.headerData(0, Qt.Orientation.Horizontal) == "الاتجاه"


def test_the_partner_shows_its_last_head_and_a_warning_once_one_went_backwards(
    matched, qtbot, world: Path, tmp_path: Path, monkeypatch
):
    from exchange.bundles import import_bundle
    from exchange.cards import read_card
    from exchange.directory import show_partner
    from vault.cases import create_case

    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    page.select("BKA")
    settle(qtbot, window)
    assert page.head_label.text() == "Last head seen: none (no bundle of theirs carried one)"
    assert not page.head_warning.isVisible()
    s = matched.session
    create_case(s, "IN-1", "from BKA")
    create_case(s, "IN-2", "from BKA")
    later = import_bundle(s, world / "sealed.tar.age", "IN-1")  # exported after "incoming"
    window.refresh_action.trigger()
    settle(qtbot, window)
    head = show_partner(s, "BKA")[0].head
    assert head is not None and head.bundle_id == later.bundle_id
    text = page.head_label.text()
    assert text.startswith(f"Last head seen: {head.seq}:{head.hash} from bundle {later.bundle_id}")
    assert not page.head_warning.isVisible()
    older = import_bundle(s, world / "incoming", "IN-2")  # carries a lower head: backwards
    assert older.warnings
    window.refresh_action.trigger()
    settle(qtbot, window)
    assert page.head_label.text() == text  # the highest head stays the last seen
    assert page.head_warning.isVisible()
    warning = page.head_warning.text()
    assert warning.startswith("Warning: their audit head went backwards")
    assert older.bundle_id in warning and "Check with them" in warning
    # our key card from this page: never over an existing file
    target = tmp_path / "ours.card"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    page.save_card_button.click()
    settle(qtbot, window)
    assert read_card(target.read_bytes(), "ours").name == "Politie NL"
    page.save_card_button.click()
    settle(qtbot, window)
    assert page.last_error is not None and "already exists" in page.last_error
