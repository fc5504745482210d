"""Cases and evidence as an officer: create a case, ingest by drop with a cancel, view, export."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from guikit import settle, sign_in
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent

from desktop.pages.evidence import CustodyFormDialog
from vaultkit import sha256_of

BIG = 300 << 20


def big_file(folder: Path, name: str = "zz-disk-image.dd") -> Path:
    """A 300 MiB file (sparse: quick to make, read in full by the ingest)."""
    path = folder / name
    with path.open("wb") as fh:
        fh.write(b"\x7fELF" + os.urandom(4096))
        fh.truncate(BIG)
    return path


def drop(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)


def fill_custody(dialog: CustodyFormDialog, qtbot) -> None:
    qtbot.keyClicks(dialog.exhibit, "EX-7")
    qtbot.keyClicks(dialog.seized_from, "Vessel Marta")
    qtbot.keyClicks(dialog.seized_at, "Port of Valletta")
    qtbot.keyClicks(dialog.seized_by, "Insp. Borg")
    dialog.accept()


def new_case(window, qtbot, reference: str = "OP-42"):
    cases = window.show_area("cases")
    settle(qtbot, window)
    dialog = cases.new_case()
    qtbot.keyClicks(dialog.reference, reference)
    qtbot.keyClicks(dialog.title, "Marta")
    dialog.areas["drug-trafficking"].setChecked(True)
    dialog.areas["money-laundering"].setChecked(True)
    qtbot.keyClicks(dialog.operation, "Trident")
    qtbot.keyClicks(dialog.partners, "Guardia di Finanza, Policija")
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible(), dialog.message.text()
    return cases


def test_create_case_with_partners(controller, qtbot):
    window = sign_in(controller, qtbot)
    cases = new_case(window, qtbot)
    refs = [c.reference for c in cases.model.records]
    assert refs == ["C-1", "OP-42"]
    from vault.cases import get_case

    info = get_case(controller.session, "OP-42")
    assert info.crime_areas == ["drug-trafficking", "money-laundering"]
    assert info.operation == "Trident"
    assert info.partners == ["Guardia di Finanza", "Policija"]
    again = cases.new_case()  # a duplicate reference is refused with the core's one line
    qtbot.keyClicks(again.reference, "OP-42")
    again.submit()
    settle(qtbot, window)
    assert again.isVisible()
    assert "already exists" in again.message.text()
    assert info.hash_sets  # the box is ticked by default
    qtbot.keyClicks(again.reference, "-IMG")
    qtbot.keyClicks(again.title, "Disk images")
    again.hash_sets.setChecked(False)
    again.submit()
    settle(qtbot, window)
    assert not again.isVisible(), again.message.text()
    assert get_case(controller.session, "OP-42-IMG").hash_sets is False


def test_ingest_folder_by_drop_with_cancel_keeps_finished_items(
    controller, qtbot, faces_dir: Path, tmp_path: Path
):
    window = sign_in(controller, qtbot)
    new_case(window, qtbot)
    window.show_case("OP-42")
    settle(qtbot, window)
    page = window.pages["evidence"]
    assert page.case_ref == "OP-42"
    big = big_file(tmp_path)
    drop(page, [faces_dir, big])
    form = page.form_dialog
    assert form is not None and form.isVisible()
    fill_custody(form, qtbot)
    dialog = page.job_dialog
    bridge = dialog.bridge
    seen: list[tuple[int, int, str]] = []

    def on_progress(done: int, total: int, message: str) -> None:
        seen.append((done, total, message))
        if message == big.name and not bridge.cancel_token.cancelled:
            dialog.cancel_button.click()  # the user presses Cancel mid-file

    bridge.progress.connect(on_progress)
    with qtbot.waitSignal(page.ingested, timeout=120_000) as done:
        pass
    result = done.args[0]
    assert result.cancelled
    assert any(m == big.name for _, _, m in seen)
    assert dialog.bar.maximum() == dialog.SCALE and 0 < dialog.bar.value() < dialog.SCALE
    assert dialog.cancel_button.text() == "Close"
    assert "Cancelled" in dialog.status.text()
    files = sorted(p for p in faces_dir.rglob("*") if p.is_file())
    assert len(result.saved) == len(files)  # everything before the big file is kept
    names = {r.name for r in page.model.records}
    assert big.name not in names
    assert len(page.model.records) == len(files)
    first = page.model.records[0]
    assert first.exhibit == "EX-7" and first.seized_by == "Insp. Borg"
    from vault.verify import verify

    report = verify(controller.session)
    assert report.ok, report.problems
    assert report.items == len(files)
    # the table sorts and filters
    page.filter.setText(Path(files[0].name).stem)
    assert 1 <= page.proxy.rowCount() < len(files)
    page.filter.clear()
    page.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    top = page.proxy.index(0, 2).data(Qt.ItemDataRole.UserRole + 1)
    assert top == max(r.size for r in page.model.records)


def test_event_loop_stays_responsive_during_a_big_ingest(controller, qtbot, tmp_path: Path):
    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    big = big_file(tmp_path)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    from vault.ingest import CustodyForm

    page.ingest([big], CustodyForm(exhibit="EX-1"))
    with qtbot.waitSignal(page.ingested, timeout=120_000) as done:
        pass
    timer.stop()
    assert done.args[0].saved and not done.args[0].failed
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 5
    assert max(gaps) < 0.5, f"the GUI stalled for {max(gaps):.2f} s"
    assert page.model.records[0].size == BIG


def test_item_view_shows_the_image_custody_audit_and_exports(
    controller, qtbot, faces_dir: Path, tmp_path: Path
):
    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    photo = next(p for p in sorted(faces_dir.rglob("*.jpg")))
    notes = faces_dir / "labels.csv"
    from vault.ingest import CustodyForm

    page.ingest([photo, notes], CustodyForm(exhibit="EX-2"))
    qtbot.waitSignal(page.ingested, timeout=60_000).wait()
    rows = {r.name: r for r in page.model.records}
    view = page.view_item(rows[photo.name].id)
    qtbot.waitUntil(lambda: view.loaded, timeout=10_000)
    assert view.image is not None and view.image.width() > 0
    assert not view.preview.pixmap().isNull()
    kinds = [e.kind for e in view.custody_model.records]
    assert kinds == ["acquired", "viewed"]
    actions = [a.action for a in view.audit_model.records]
    assert actions == ["item.acquired", "custody.acquired", "custody.viewed"]
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(view.export_to(out).finished, timeout=10_000):
        pass
    assert sha256_of(out / photo.name) == rows[photo.name].sha256
    qtbot.waitUntil(lambda: "exported" in [e.kind for e in view.custody_model.records])
    assert str(out) in view.message.text()
    view.close()
    text = page.view_item(rows[notes.name].id)
    qtbot.waitUntil(lambda: text.loaded, timeout=10_000)
    assert text.image is None
    assert text.text.toPlainText().startswith(notes.read_text()[:20])


def test_ingesting_again_skips_what_the_case_holds_unless_asked(controller, qtbot, faces_dir):
    window = sign_in(controller, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    photos = sorted((faces_dir / "knn" / "test").glob("*.jpg"))[:4]

    def ingest(paths: list[Path], again: bool = False):
        form = page.ask_custody(paths)
        assert not form.again.isChecked()  # resuming is what an interrupted ingest wants
        qtbot.keyClicks(form.exhibit, "EX-3")
        if again:
            qtbot.mouseClick(form.again, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(page.ingested, timeout=60_000) as done:
            qtbot.keyClick(form.exhibit, Qt.Key.Key_Return)
        return done.args[0]

    first = ingest(photos[:2])  # as if Ctrl-C had stopped it after two files
    assert (len(first.saved), first.skipped) == (2, [])
    resumed = ingest(photos)
    assert len(resumed.saved) == 2 and len(resumed.skipped) == 2
    assert page.job_dialog.status.text() == (
        "2 saved, 0 failed. 2 skipped as already in the case (same path and SHA-256)."
    )
    assert len(page.model.records) == 4
    again = ingest(photos[:1], again=True)
    assert (len(again.saved), again.skipped) == (1, [])
    assert page.job_dialog.status.text() == "1 saved, 0 failed."
    assert len(page.model.records) == 5
