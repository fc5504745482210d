"""The Hash sets page beyond the list, as a liaison officer and an analyst use it: a set shared
with a partner as a signed bundle (and VICS JSON beside it), refused where no agreement covers
it; a partner's set imported from its bundle (disabled until enabled); a set made from a case's
confirmed known-bad files; and a case's items near a partner's PDQ list. Real vaults (ours and
the partner's, ``matchkit``), real bundles, real photos."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from guikit import settle, sign_in
from matchkit import PARTNER_USER

from vaultkit import open_as

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hashsets"))

from hashkit import vics_file, write_files


def _stock(world: Path, tmp_path: Path) -> Path:
    """Ours: set 'VIC NL' (known-bad, files 1-3), an intelligence agreement with BKA.
    BKA's: an intelligence agreement with us and its set 'BKA list' sent to us (``bka-set``)."""
    from exchange import directory
    from exchange.hsexport import HashSetExportJob
    from matching.hashsets import ImportJob
    from vault.jobs import ignore

    with open_as(world / "vault") as s:
        ImportJob(s, vics_file(tmp_path / "nl.json", [1, 2, 3]), "VIC NL", "known-bad").run(ignore)
        directory.add_agreement(s, "BKA", "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
    with open_as(world / "de", PARTNER_USER) as b:
        directory.add_agreement(b, "Politie NL", "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
        ImportJob(b, vics_file(tmp_path / "de.json", [7, 8]), "BKA list", "known-bad").run(ignore)
        HashSetExportJob(b, "BKA list", "Politie NL", world / "bka-set").run(ignore)
    return world / "bka-set"


def test_share_a_set_with_a_partner_and_import_theirs(matched, world, qtbot, tmp_path):
    from exchange.hsimport import HashSetImportJob
    from vault.history import list_audit
    from vault.jobs import ignore

    incoming = _stock(world, tmp_path)
    window = sign_in(matched, qtbot)
    page = window.show_area("hashsets")
    settle(qtbot, window)
    assert page.share() is None  # nothing chosen yet
    assert page.select("VIC NL")
    dialog = page.share()
    settle(qtbot, window)
    assert dialog.partner.currentData() == "BKA"
    assert dialog.purpose.currentData() == "intelligence"
    out = tmp_path / "out"
    out.mkdir()
    assert dialog.export() is None
    assert dialog.message.text() == "Choose a folder and a name for the bundle."
    qtbot.keyClicks(dialog.folder, str(out))

    dialog.purpose.setCurrentIndex(dialog.purpose.findData("mla"))  # no agreement for it
    with qtbot.waitSignal(dialog.refused, timeout=60_000):
        dialog.export()
    settle(qtbot, window)
    assert dialog.message.text().splitlines() == [
        "Refused by the agreements with BKA; nothing was written:",
        "• hash set VIC NL: no active agreement with BKA for purpose mla",
    ]
    assert not list(out.iterdir())
    assert [a.target for a in list_audit(matched.session, "hashset.export_refused")] == [
        "hashset:VIC NL"
    ]

    dialog.purpose.setCurrentIndex(dialog.purpose.findData("intelligence"))
    dialog.vics.setChecked(True)
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as sent:
        job = dialog.export()
    settle(qtbot, window)
    result = sent.args[0]
    assert result.entries == 6 and result.path.is_dir()  # MD5 and SHA-1 of three files
    assert result.vics is not None and result.vics.name.endswith(".vics.json")
    media = json.loads(result.vics.read_text())["value"]
    assert len(media) == 6
    assert job.status.text().startswith(f"Hash set bundle written to {result.path}: 6 entries")
    with open_as(world / "de", PARTNER_USER) as b:  # the partner takes it in
        received = HashSetImportJob(b, result.path).run(ignore)
    assert (received.name, received.entries, received.kind) == (
        "VIC NL (Politie NL)",
        6,
        "known-bad",
    )

    importer = page.import_bundle()
    assert importer.import_() is None
    assert importer.report.toPlainText() == "Choose a bundle folder or a .tar.age file."
    qtbot.keyClicks(importer.path, str(incoming))
    with qtbot.waitSignal(importer.imported, timeout=60_000):
        importer.import_()
    settle(qtbot, window)
    report = importer.report.toPlainText()
    assert report.startswith("Hash set BKA list (BKA) from BKA: 4 entries (Known bad, TLP:AMBER).")
    assert "disabled until an analyst enables it" in report
    states = {s.name: s.state for s in page.model.records}
    assert states == {"VIC NL": "active", "BKA list (BKA)": "disabled"}

    again = page.import_bundle()  # the same bundle twice: refused in one line, nothing new
    qtbot.keyClicks(again.path, str(incoming))
    job = again.import_()
    qtbot.waitUntil(lambda: not job.bridge.running, timeout=60_000)
    settle(qtbot, window)
    line = again.report.toPlainText()
    assert "already imported" in line and "\n" not in line and "Traceback" not in line
    assert len(page.model.records) == 2


def test_an_analyst_makes_sets_but_does_not_share_them(matched, qtbot):
    from guikit import ANALYST

    window = sign_in(matched, qtbot, ANALYST)
    page = window.show_area("hashsets")
    settle(qtbot, window)
    assert not page.export_button.isVisibleTo(page)
    assert not page.bundle_button.isVisibleTo(page)
    assert page.from_case_button.isVisibleTo(page)  # hashset.manage: analysts too
    assert page.pdq_button.isVisibleTo(page)  # every role may look


def test_a_set_from_a_case_and_a_partners_pdq_list(matched, world, qtbot, tmp_path, faces_dir):
    from matching import hashhits
    from matching.hashsets import ImportJob
    from matching.pdq import hash_image
    from vault.ingest import ingest
    from vault.jobs import ignore

    with open_as(world / "vault") as s:
        ImportJob(s, vics_file(tmp_path / "nl.json", [1, 2], categories={1: 1, 2: 2}),
                  "VIC NL", "known-bad").run(ignore)  # fmt: skip
        ingest(s, "C-1", write_files(tmp_path / "seized", range(1, 5)))
        # a partner's PDQ list: one of the OP-7 photos, as the partner hashed a smaller copy
        probe = sorted((faces_dir / "knn" / "test").glob("*.jpg"))[0]
        from PIL import Image

        small = tmp_path / "small.jpg"
        with Image.open(probe) as img:
            img.resize((img.width // 2, img.height // 2)).save(small, quality=60)
        (tmp_path / "pdq.txt").write_text(hash_image(small).hex + "\n")
        ImportJob(s, tmp_path / "pdq.txt", "Partner PDQ", "known-bad", "pdq").run(ignore)

    window = sign_in(matched, qtbot)
    page = window.show_area("hashsets")
    settle(qtbot, window)
    maker = page.from_case()
    settle(qtbot, window)
    maker.case.select("C-1")
    assert maker.make() is False
    assert maker.message.text() == "Choose a case and give the set a name."
    qtbot.keyClicks(maker.name, "C-1 confirmed")
    maker.make()  # no alert acknowledged yet: the core refuses, one line, nothing made
    qtbot.waitUntil(lambda: maker.make_button.isEnabled(), timeout=20_000)
    assert maker.message.text().startswith("case C-1 has no confirmed known-bad item")
    assert "C-1 confirmed" not in {s.name for s in page.model.records}

    s = matched.session
    for hit in hashhits.alerts(s, "C-1"):  # as the analyst did on the Evidence page
        hashhits.acknowledge(s, hit.id, "categorised")
    with qtbot.waitSignal(maker.made, timeout=20_000) as made:
        maker.make()
    settle(qtbot, window)
    info = made.args[0]
    assert (info.name, info.kind, info.entries) == ("C-1 confirmed", "known-bad", 6)
    assert maker.message.text() == "Hash set C-1 confirmed made: 6 entries."
    qtbot.waitUntil(lambda: "C-1 confirmed" in {s.name for s in page.model.records}, timeout=10_000)

    near = page.pdq_matches()
    settle(qtbot, window)
    with qtbot.waitSignal(near.answered, timeout=30_000) as answered:
        near.case.select("OP-7")
    settle(qtbot, window)
    [found] = answered.args[0]
    assert found.name == probe.name and found.match.set == "Partner PDQ"
    assert found.match.distance <= 31  # (a halved, re-compressed copy: often 0 bits)
    assert near.model.index(0, 2).data() == "Known bad"
    assert "1 items near an active PDQ set's entry (within 31 bits)" in near.note.text()
    item = near.open_item()
    assert item is not None

    from desktop.pages.similar import SimilarDialog

    dialog = SimilarDialog(s, page.runner, found.item, near)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30_000)
    assert dialog.set_matches.isVisibleTo(dialog)
    assert dialog.set_matches.text().startswith(
        "Near-duplicate of an entry of Known bad set Partner PDQ: "
    )
