"""Known-file intelligence in the window, as an analyst uses it: hash-set hits on the Evidence
page (known-bad first, known-good hidden, alerts acknowledged with a reason), the Hash sets page
(import as a job, the core's refusal, disable / enable / delete), and near-duplicates and other
occurrences of an item (PDQ computed as a job, each row opening its item)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from guikit import ANALYST, settle, sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hashsets"))

from hashkit import digests, nsrl_file, vics_file, write_files

from desktop import theme
from vaultkit import PASSWORD, open_as

OFFICER = "olga"


def _session(vault: Path):
    return open_as(vault)


def _evidence_with_sets(vault: Path, tmp_path: Path) -> None:
    """C-1 holds files 1..6; sets imported after the ingest (so only a match finds them):
    'VIC UK' known-bad (files 1 and 2, categories 1 and 2), NSRL known-good (files 3 and 4)."""
    from matching.hashsets import ImportJob
    from vault.ingest import CustodyForm, ingest
    from vault.jobs import ignore
    from vault.users import add_user

    s = _session(vault)
    try:
        add_user(s, OFFICER, ["officer"], PASSWORD)
        ingest(s, "C-1", write_files(tmp_path / "seized", range(1, 7)), CustodyForm(exhibit="E1"))
        vics = vics_file(tmp_path / "vic.json", [1, 2], categories={1: 1, 2: 2})
        ImportJob(s, vics, "VIC UK", "known-bad", source="CAID").run(ignore)
        nsrl = nsrl_file(tmp_path / "rds.db", [3, 4])
        ImportJob(s, nsrl, "NSRL", "known-good").run(ignore)
    finally:
        s.close()


def _shown(page) -> list[str]:
    return [page.proxy.index(r, 1).data() for r in range(page.proxy.rowCount())]


def test_an_analyst_matches_a_case_sees_known_bad_first_and_acknowledges_alerts(
    controller, vault_dir, qtbot, tmp_path
):
    _evidence_with_sets(vault_dir, tmp_path)
    window = sign_in(controller, qtbot, ANALYST)
    page = window.show_area("evidence")
    settle(qtbot, window)
    assert len(page.model.records) == 6 and not page.model.hits
    assert page.hide_good.isChecked() and page.bad_first.isChecked()
    assert page.alerts_button.text() == "Alerts: 0"

    qtbot.mouseClick(page.match_button, Qt.MouseButton.LeftButton)
    job = page.match_dialog
    qtbot.waitUntil(lambda: not job.bridge.running, timeout=20_000)
    settle(qtbot, window)
    # a hit per set and algorithm: VICS gives MD5 and SHA-1, NSRL all three
    assert "6 items looked up in 2 sets: 10 new hits, 4 known-bad" in job.status.text()
    assert job.cancel_button.text() == "Close"

    # known-good hidden, known-bad first, in red, with set and category
    names = _shown(page)
    assert len(names) == 4
    assert set(names[:2]) == {"file00001.bin", "file00002.bin"}
    assert "2 known-good hidden" in page.count.text()
    first = page.proxy.index(0, 3)
    assert first.data().startswith("Known bad: VIC UK (category ")
    assert first.data(Qt.ItemDataRole.ForegroundRole) == theme.colour("danger")
    assert page.alerts_button.text() == "Alerts: 4"

    page.hide_good.setChecked(False)
    assert len(_shown(page)) == 6
    last = page.proxy.index(5, 3)  # known-good sorts last
    assert last.data() == "Known good: NSRL"
    assert last.data(Qt.ItemDataRole.ForegroundRole) == theme.colour("muted")
    page.bad_first.setChecked(False)  # back to the ID order
    assert _shown(page)[0] == "file00001.bin" and _shown(page)[2] == "file00003.bin"

    alerts = page.show_alerts()
    settle(qtbot, window)
    assert len(alerts.model.records) == 4
    assert "4 not acknowledged" in alerts.note.text()
    reason = alerts.ask_ack()  # the first row, chosen when the list came
    qtbot.keyClicks(reason.reason, "categorised in the case report")
    with qtbot.waitSignal(alerts.acknowledged, timeout=10_000):
        reason.submit()
    settle(qtbot, window)
    assert "3 not acknowledged" in alerts.note.text()
    acked = [h for h in alerts.model.records if h.acknowledged]
    assert acked[0].acknowledged["reason"] == "categorised in the case report"
    assert alerts.model.records[-1] is acked[0]  # acknowledged ones sort last
    assert page.alerts_button.text() == "Alerts: 3"

    alerts.view.selectAll()
    reason = alerts.ask_ack()
    qtbot.keyClicks(reason.reason, "seen")
    with qtbot.waitSignal(alerts.acknowledged, timeout=10_000):
        reason.submit()
    settle(qtbot, window)
    assert "0 not acknowledged" in alerts.note.text()
    assert page.alerts_button.text() == "Alerts: 0"
    assert alerts.ask_ack() is None  # acknowledged once only


def test_an_officer_sees_hits_but_cannot_match_or_acknowledge(
    controller, vault_dir, qtbot, tmp_path
):
    _evidence_with_sets(vault_dir, tmp_path)
    window = sign_in(controller, qtbot, OFFICER)
    page = window.show_area("evidence")
    settle(qtbot, window)
    assert not page.match_button.isVisibleTo(page)
    sets = window.show_area("hashsets")
    settle(qtbot, window)
    assert [s.name for s in sets.model.records] == ["NSRL", "VIC UK"]  # by name
    assert not sets.import_button.isVisibleTo(sets)
    assert not sets.delete_button.isVisibleTo(sets)


def test_the_hash_sets_page_imports_refuses_disables_and_deletes(
    controller, vault_dir, qtbot, tmp_path, monkeypatch
):
    window = sign_in(controller, qtbot)
    page = window.show_area("hashsets")
    settle(qtbot, window)
    assert page.model.records == []

    good = tmp_path / "known.txt"
    good.write_text("\n".join(digests(f"file {n}".encode())["sha256"] for n in range(5)) + "\n")
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(good), ""))
    dialog = page.ask_import()
    dialog._browse()  # the file dialog, answered
    assert dialog.name.text() == "known"
    dialog.name.setText("Agency list \u202etxt.exe")  # pasted: keyClicks cannot type it
    dialog.kind.setCurrentIndex(dialog.kind.findData("known-bad"))
    qtbot.keyClicks(dialog.source, "Politie NL")
    with qtbot.waitSignal(page.imported, timeout=20_000) as refused:
        dialog.submit()
    assert refused.args[0] is None  # the core refuses a name that could hide its end
    assert "printable" in page.last_error and "\u202e" not in page.job.windowTitle()
    with qtbot.waitSignal(page.imported, timeout=20_000) as imported:
        page.start_import(good, "Agency list", "known-bad", None, "Politie NL")
    assert imported.args[0].entries == 5
    settle(qtbot, window)
    assert "5 entries" in page.job.status.text()
    (info,) = page.model.records
    assert info.kind == "known-bad" and info.source == "Politie NL"
    assert page.proxy.index(0, 1).data() == "Known bad"

    bad = tmp_path / "bad.txt"
    bad.write_text(digests(b"x")["sha256"] + "\nnot a digest\n" + "ab" * 10 + "\n")
    with qtbot.waitSignal(page.imported, timeout=20_000) as failed:
        page.start_import(bad, "Broken", "info")
    assert failed.args[0] is None
    assert "line 2" in page.last_error and "line 3" in page.last_error
    assert page.job.status.text() == page.last_error
    settle(qtbot, window)
    assert len(page.model.records) == 1  # nothing imported

    assert page.select(info.name)
    box = page.toggle()
    assert "no longer looked up" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    assert page.model.records[0].state == "disabled"
    assert page.disable_button.text() == "Enable"
    page.toggle()  # enabling asks nothing
    settle(qtbot, window)
    assert page.model.records[0].state == "active"

    box = page.delete()
    assert "No evidence is deleted" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    settle(qtbot, window)
    assert len(page.model.records) == 1
    page.delete().button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, window)
    assert page.model.records == []


@pytest.fixture()
def obama_case(vault_dir: Path, faces_dir: Path) -> list[str]:
    """C-1 with four resolutions of one photo and two other photos; no PDQ computed yet (as
    the photos of a vault from before PDQ at ingest)."""
    from vault.ingest import CustodyForm, ingest
    from vaultkit import ingest_without_pdq

    names = ["obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg"]
    others = ["obama2.jpg", "biden.jpg"]
    s = _session(vault_dir)
    try:
        paths = [faces_dir / "more" / n for n in names + others]
        with ingest_without_pdq(s):
            ingest(s, "C-1", paths, CustodyForm(exhibit="E2"))
    finally:
        s.close()
    return names


def test_similar_computes_pdq_and_opens_the_near_duplicates(controller, obama_case, qtbot):
    window = sign_in(controller, qtbot, ANALYST)
    page = window.show_area("evidence")
    settle(qtbot, window)
    row = _shown(page).index("obama-240p.jpg")
    page.view.selectRow(row)
    page._menu(page.view.visualRect(page.proxy.index(row, 0)).center())
    similar_action = page.menu.actions()[1]
    assert similar_action.text() == "Similar and other occurrences..."
    similar_action.trigger()
    dialog = page.similar_dialog
    settle(qtbot, window)
    assert dialog.model.records == []
    assert "no PDQ hash" in dialog.note.text()
    assert dialog.pdq_button.isVisibleTo(dialog)

    qtbot.mouseClick(dialog.pdq_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.job.bridge.running, timeout=60_000)
    settle(qtbot, window)
    assert "6 items hashed" in dialog.job.status.text()
    found = {o.name: o for o in dialog.model.records}
    assert set(found) == set(obama_case) - {"obama-240p.jpg"}  # not obama2, not biden
    assert all(o.kind == "near-duplicate" and o.distance <= 31 for o in found.values())
    assert dialog.model.index(0, 4).data().endswith(" bits")
    assert not dialog.pdq_button.isVisibleTo(dialog)

    dialog.distance.setValue(10)  # the analyst tightens the distance: the 240p copy is further
    dialog.distance.editingFinished.emit()
    settle(qtbot, window)
    assert dialog.model.records == [] and "(PDQ within 10 bits)" in dialog.note.text()
    dialog.distance.setValue(31)
    dialog.distance.editingFinished.emit()
    settle(qtbot, window)
    assert len(dialog.model.records) == 3

    dialog.all_cases.setChecked(True)
    settle(qtbot, window)
    assert "in every case you may read" in dialog.note.text()
    assert len(dialog.model.records) == 3

    dialog.view.selectRow(0)
    rect = dialog.view.visualRect(dialog.model.index(0, 0))
    qtbot.mouseClick(dialog.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle(qtbot, window)
    opened = dialog.item_dialog
    assert opened.item_id == dialog.model.records[0].item
    qtbot.waitUntil(lambda: opened.item is not None, timeout=10_000)
    assert opened.item.name == dialog.model.records[0].name
    opened.close()
    dialog.close()


def test_the_item_view_opens_similar(controller, obama_case, qtbot):
    window = sign_in(controller, qtbot, ANALYST)
    page = window.show_area("evidence")
    settle(qtbot, window)
    page.view.selectRow(0)
    item = page.view_item()
    settle(qtbot, window)
    dialog = item.show_similar()
    settle(qtbot, window)
    assert dialog.result is not None and dialog.result.item == item.item_id
    dialog.close()
    item.close()


def test_the_new_screens_speak_arabic(controller, vault_dir, qtbot, tmp_path):
    from guikit import in_arabic

    _evidence_with_sets(vault_dir, tmp_path)
    page = in_arabic(controller, qtbot, "hashsets")
    assert page.import_button.text() != "Import set..."
    assert page.from_case_button.text() != "Make from a case..."
    importer = page.import_bundle()  # the shared bundle dialog, in its own context
    assert importer.import_button.text() == "استيراد"
    assert importer.windowTitle() != "Import a partner's hash set"
    importer.close()
    near = page.pdq_matches()
    assert near.model.headerData(1, Qt.Orientation.Horizontal) != "Name"
    near.close()
    assert page.model.headerData(0, Qt.Orientation.Horizontal) != "Name"
    evidence = controller.window.show_area("evidence")
    settle(qtbot, controller.window)
    assert evidence.hide_good.text() != "Hide known-good"
