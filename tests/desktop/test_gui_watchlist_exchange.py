"""Watchlists page: calibration, export to a partner and import of a partner's watchlist."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from guikit import settle, sign_in
from matchkit import PARTNER_USER

from vaultkit import PASSWORD


def _audit(session, action: str) -> list:
    from vault.history import list_audit

    return list_audit(session, action)


def test_calibrate_from_the_page(matched, qtbot, faces_dir: Path):
    from matching.watchlists import show_watchlist

    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    assert page.current_name() == "wanted" and "not calibrated" in page.calibration.text()
    dialog = page.calibrate()
    assert dialog.submit() is None
    assert dialog.message.text() == "Choose a labelled folder."
    qtbot.keyClicks(dialog.folder, str(faces_dir))
    dialog.fpir.setValue(0.05)
    with qtbot.waitSignal(dialog.calibrated, timeout=180_000) as done:
        job = dialog.submit()
    settle(qtbot, window)
    cal = done.args[0]
    assert job.status.text() == f"Alert threshold {cal.threshold:.4f} (FPIR {cal.fpir:.4f})."
    text = page.calibration.text()  # the page shows the threshold, FPIR and where it came from
    assert f"Alert threshold {cal.threshold:.4f}, calibrated on {faces_dir}" in text
    assert "22 images" in text and f"FPIR {cal.fpir:.4f} (target 0.05)" in text
    info = show_watchlist(matched.session, "wanted")
    assert info.alert_threshold == cal.threshold
    assert info.calibration["folder"] == str(faces_dir)
    assert info.calibration["target_fpir"] == 0.05 and info.calibration["fpir"] <= 0.05
    assert [a.details["threshold"] for a in _audit(matched.session, "watchlist.calibrated")] == [
        cal.threshold
    ]


def test_export_refused_then_encrypted_for_the_partner(matched, qtbot, world: Path, tmp_path):
    from exchange.wlimport import WatchlistImportJob
    from service.opener import unlock
    from vault.jobs import ignore

    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    out = tmp_path / "out"
    out.mkdir()
    dialog = page.export()
    settle(qtbot, window)
    assert dialog.partner.currentData() == "BKA"
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("intelligence"))
    qtbot.keyClicks(dialog.folder, str(out))
    with qtbot.waitSignal(dialog.refused, timeout=60_000):
        dialog.export()
    settle(qtbot, window)
    message = dialog.message.text()
    assert message.splitlines() == [
        "Refused by the agreements with BKA; nothing was written:",
        "• subject biden: no active agreement with BKA for purpose intelligence",
        "• subject obama: no active agreement with BKA for purpose intelligence",
    ]
    assert dialog.job_dialog.status.text() == message
    assert not list(out.iterdir())
    refused = _audit(matched.session, "watchlist.export_refused")
    assert [(a.target, a.details["partner"]) for a in refused] == [("watchlist:wanted", "BKA")]

    dialog.purpose.setCurrentIndex(dialog.purpose.findData("joint-operation"))
    dialog.encrypt.setChecked(True)
    dialog.nist.setChecked(True)
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as done:
        dialog.export()
    settle(qtbot, window)
    res = done.args[0]
    name = dialog.name.text()
    assert res.path == out / f"{name}.tar.age" and res.nist == out / f"{name}.eft"
    assert sorted(p.name for p in out.iterdir()) == [f"{name}.eft", f"{name}.tar.age"]
    assert dialog.message.text().startswith(f"Watchlist bundle written to {res.path}: 2 subject")
    assert [a.details["partner"] for a in _audit(matched.session, "watchlist.exported")] == ["BKA"]

    partner = unlock(world / "de", PARTNER_USER, PASSWORD)  # BKA opens it with its own key
    try:
        got = WatchlistImportJob(partner, res.path).run(ignore)
    finally:
        partner.close()
    assert (got.watchlist, got.sender, got.subjects) == ("wanted (Politie NL)", "Politie NL", 2)


def _reseal(bag: Path, rel: str, photo: bytes, signer) -> None:
    """Swap one photo of a bag and sign it again: a trusted partner's odd but valid bundle."""
    from exchange import bagfmt

    (bag / rel).write_bytes(photo)
    meta = json.loads((bag / bagfmt.BUNDLE_JSON).read_text())
    for item in meta["items"]:
        if item["path"] == rel:
            item.update(sha256=hashlib.sha256(photo).hexdigest(), size=len(photo))
    (bag / bagfmt.BUNDLE_JSON).write_text(json.dumps(meta))
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in payload)
    info = [
        f"Payload-Oxum: {size}.{len(payload)}" if x.startswith("Payload-Oxum") else x
        for x in (bag / "bag-info.txt").read_text().splitlines()
    ]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n")
    lines = [
        (hashlib.sha256(p.read_bytes()).hexdigest(), p.relative_to(bag).as_posix()) for p in payload
    ]
    (bag / bagfmt.MANIFEST).write_bytes(bagfmt.manifest_text(lines))
    tags = ["bagit.txt", "bag-info.txt", bagfmt.MANIFEST, bagfmt.BUNDLE_JSON]
    text = bagfmt.manifest_text(
        (hashlib.sha256((bag / t).read_bytes()).hexdigest(), t) for t in tags
    )
    (bag / bagfmt.TAGMANIFEST).write_bytes(text)
    (bag / bagfmt.SIG).write_bytes(signer.signing_key().sign(text))


def test_import_a_partner_watchlist_bundle(matched, qtbot, world: Path, faces_dir: Path):
    from exchange.wlexport import WatchlistExportJob
    from matching.watchlists import Listing, create_watchlist, enrol, show_watchlist
    from service.opener import unlock
    from vault.jobs import ignore

    partner = unlock(world / "de", PARTNER_USER, PASSWORD)  # BKA sends two copies of a list
    try:
        create_watchlist(partner, "fugitives")
        listing = Listing("escaped prisoner", "BKA", "TLP:AMBER", "2027-06-30")
        for who in ("kit_harington", "rose_leslie"):
            photos = sorted((faces_dir / "knn/train" / who).iterdir())
            enrol(partner, "fugitives", who, listing, photos=photos)
        sealed = WatchlistExportJob(
            partner, "fugitives", "Politie NL", world / "fugitives", "joint-operation",
            encrypt=True,
        ).run(ignore)  # fmt: skip
        plain = WatchlistExportJob(
            partner, "fugitives", "Politie NL", world / "fugitives-plain", "joint-operation"
        ).run(ignore)
        bad = "data/references/rose_leslie/2.jpg"
        assert (plain.path / bad).is_file()
        _reseal(plain.path, bad, (faces_dir / "more/two_people.jpg").read_bytes(), partner)
    finally:
        partner.close()

    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    dialog = page.import_bundle()
    assert dialog.import_() is None
    assert dialog.report.toPlainText() == "Choose a bundle folder or a .tar.age file."
    qtbot.keyClicks(dialog.path, str(sealed.path))
    with qtbot.waitSignal(dialog.imported, timeout=120_000):
        dialog.import_()
    settle(qtbot, window)
    assert dialog.report.toPlainText() == (
        "Watchlist fugitives (BKA) from BKA: 2 subject(s), 4 photo(s) enrolled."
    )
    assert page.current_name() == "fugitives (BKA)"
    assert sorted(s.ref for s in page.model.records) == ["kit_harington", "rose_leslie"]
    info = show_watchlist(matched.session, "fugitives (BKA)")
    assert info.source_agency == "BKA"
    imported = _audit(matched.session, "watchlist.imported")
    assert [(a.details["name"], a.details["sender"]) for a in imported] == [
        ("fugitives (BKA)", "BKA")
    ]

    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(plain.path))
    qtbot.keyClicks(dialog.name, "fugitives 2")
    with qtbot.waitSignal(dialog.imported, timeout=120_000):
        dialog.import_()
    settle(qtbot, window)
    report = dialog.report.toPlainText().splitlines()
    assert report[0] == "Watchlist fugitives 2 from BKA: 2 subject(s), 3 photo(s) enrolled."
    assert report[1] == "1 photo(s) refused by the local quality rules:"
    assert report[2].startswith(f"• {bad}: ") and "2 faces found" in report[2]
    assert len(report) == 3
    assert show_watchlist(matched.session, "fugitives 2").source_agency == "BKA"

    dialog.path.clear()  # the same bundle again: refused as a replay, in one readable line
    qtbot.keyClicks(dialog.path, str(sealed.path))
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "fugitives 3")
    dialog.import_()
    qtbot.waitUntil(lambda: "(replay)" in dialog.report.toPlainText(), timeout=60_000)
    assert "\n" not in dialog.report.toPlainText()
