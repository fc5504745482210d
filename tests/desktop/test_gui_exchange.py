"""Partners and bundles as liaison: directory, export with the policy check, verify and import."""

from __future__ import annotations

from pathlib import Path

from guikit import checked, settle, sign_in

from vaultkit import PASSWORD


def test_partner_directory_shows_grouped_fingerprints_and_agreements(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("partners")
    settle(qtbot, window)
    assert [p.name for p in page.model.records] == ["BKA"]
    fpr = page.view.model().index(0, 3).data()
    groups = fpr.split(" ")
    assert len(groups) > 4 and all(len(g) == 4 for g in groups[:-1])
    assert page.keys.records[0].status == "active"
    assert [(a.purpose, a.labels) for a in page.agreements.records] == [
        ("joint-operation", ["CLEAR", "GREEN", "AMBER"])
    ]
    assert "Politie NL" in page.ours.text()


def test_export_refused_by_policy_writes_nothing_then_allowed_export_verifies(
    matched, qtbot, world: Path, tmp_path: Path
):
    window = sign_in(matched, qtbot)
    page = window.show_area("bundles")
    settle(qtbot, window)
    page.show_case("OP-7")
    settle(qtbot, window)
    dialog = page.open_export()
    checked(qtbot, window, dialog)
    assert dialog.cases.reference() == "OP-7" and dialog.partner.currentData() == "BKA"
    # the purpose of the agreement in force with BKA is chosen for the user
    assert dialog.purpose.currentData() == "joint-operation"
    assert dialog.summary.text().startswith("Refused: 1 of 6 item(s)")
    with qtbot.waitSignal(dialog.checked, timeout=10_000) as seen:
        dialog.purpose.setCurrentIndex(dialog.purpose.findData("mla"))
    why = "no active agreement with BKA for purpose mla"
    assert all(why in v.reason for v in seen.args[0].verdicts)
    with qtbot.waitSignal(dialog.checked, timeout=10_000) as seen:
        dialog.purpose.setCurrentIndex(dialog.purpose.findData("joint-operation"))
    preview = seen.args[0]
    assert not preview.allowed
    refused = [v for v in preview.verdicts if not v.allowed]
    assert len(refused) == 1 and refused[0].name.endswith(".mp4")
    assert "label RED is not allowed" in refused[0].reason
    assert dialog.summary.text().startswith("Refused: 1 of 6 item(s)")
    rows = {dialog.view.model().index(r, 1).data(): r for r in range(dialog.model.rowCount())}
    row = rows[refused[0].name]
    assert dialog.view.model().index(row, 3).data() == "refused"
    assert "RED" in dialog.view.model().index(row, 4).data()
    out = tmp_path / "out"
    out.mkdir()
    dialog.folder.setText(str(out))
    assert not dialog.export_button.isEnabled()
    assert dialog.export() is None
    assert list(out.iterdir()) == []  # nothing written
    with qtbot.waitSignal(dialog.checked, timeout=10_000) as seen:
        dialog.purpose.setCurrentIndex(dialog.purpose.findData("intelligence"))
    assert all("no active agreement with BKA" in v.reason for v in seen.args[0].verdicts)
    with qtbot.waitSignal(dialog.checked, timeout=10_000):
        dialog.purpose.setCurrentIndex(dialog.purpose.findData("joint-operation"))
    with qtbot.waitSignal(dialog.checked, timeout=10_000) as seen:
        dialog.items.set_checked(refused[0].item, False)
    assert seen.args[0].allowed and dialog.summary.text().startswith("Allowed: 5 item(s)")
    assert dialog.export_button.isEnabled()
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as done:
        dialog.export_button.click()
    result = done.args[0]
    assert result.path.is_dir() and result.items == 5 and result.path.parent == out
    assert "Bundle written to" in dialog.message.text()
    from vault.history import list_audit

    actions = [a.action for a in list_audit(matched.session, action="bundle.")]
    assert actions == ["bundle.exported"]  # the previews refused nothing on record
    matched._close_session()
    from exchange.bundles import verify_bundle
    from service.opener import unlock

    partner = unlock(world / "de", "bernd", PASSWORD)
    try:
        report = verify_bundle(partner, result.path)
    finally:
        partner.close()
    assert report.ok, report.problems
    assert report.sender == "Politie NL" and report.files >= 5


def test_verify_then_import_of_a_forged_bundle_is_refused_with_the_reason(
    matched, qtbot, world: Path
):
    window = sign_in(matched, qtbot)
    page = window.show_area("bundles")
    settle(qtbot, window)
    bundle = world / "incoming"
    with qtbot.waitSignal(page.reported, timeout=30_000) as shown:
        page.verify(bundle)
    report = shown.args[0]
    assert report.head.text().startswith("Bundle ") and "from BKA is intact" in report.head.text()
    assert "No problem found." in report.body.toPlainText()
    from exchange import bagfmt

    sig = bytearray((bundle / bagfmt.SIG).read_bytes())
    sig[5] ^= 1
    (bundle / bagfmt.SIG).write_bytes(bytes(sig))
    page.show_case("C-1")
    settle(qtbot, window)
    with qtbot.waitSignal(page.reported, timeout=30_000) as shown:
        page.import_bundle(bundle)
    report = shown.args[0]
    assert report.head.text() == "Import refused: 1 problem(s). Nothing was imported."
    assert "signature does not match" in report.body.toPlainText()
    assert "forged or altered" in report.body.toPlainText()
    assert page.last.text() == report.head.text()
    from vault.history import list_audit
    from vault.items import list_items

    assert list_items(matched.session, "C-1") == []
    refused = list_audit(matched.session, action="bundle.refused")
    assert len(refused) == 1 and "signature" in refused[0].details["problems"][0]


def test_an_encrypted_bundle_file_is_verified_and_imported(matched, qtbot, world: Path):
    window = sign_in(matched, qtbot)
    page = window.show_area("bundles")
    settle(qtbot, window)
    sealed = world / "sealed.tar.age"
    with qtbot.waitSignal(page.reported, timeout=30_000) as shown:
        page.verify(sealed)
    assert "from BKA is intact" in shown.args[0].head.text()
    page.show_case("C-1")
    settle(qtbot, window)
    with qtbot.waitSignal(page.reported, timeout=30_000) as shown:
        page.import_bundle(sealed)
    assert "Nothing was imported" not in shown.args[0].head.text()
    from vault.items import list_items
    from vault.verify import verify

    assert [i.name for i in list_items(matched.session, "C-1")] == ["note.txt"]
    assert verify(matched.session).ok
