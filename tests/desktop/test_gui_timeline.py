"""The Timeline page on a real vault: capture times from EXIF, zoom, filters, a click opens."""

from __future__ import annotations

import io
from pathlib import Path

from guikit import settle, sign_in
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

CASE = "TL-1"
# (file, DateTimeOriginal, offset): the files are ingested in another order than their times
SHOTS = (
    ("c-late.jpg", "2021:05:04 10:20:40", "+02:00", "knn/test/obama1.jpg"),
    ("a-early.jpg", "2019:01:01 08:00:00", "+00:00", "knn/test/alex_lacamoire1.jpg"),
    ("b-middle.jpg", "2021:05:04 10:20:30", "+02:00", "knn/test/johnsnow_test1.jpg"),
)


def _exif_photo(source: Path, target: Path, when: str, offset: str) -> None:
    """A real face photo with an EXIF capture time and its offset (as a camera writes them)."""
    img = Image.open(source)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011] = when, offset
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", exif=exif, quality=92)
    target.write_bytes(buf.getvalue())


def _case_with_exif_photos(session, faces_dir: Path, tmp_path: Path) -> None:
    from matching.casefaces import DetectJob
    from vault.cases import create_case
    from vault.ingest import CustodyForm, ingest
    from vault.jobs import ignore

    folder = tmp_path / "shots"
    folder.mkdir()
    for name, when, offset, source in SHOTS:
        _exif_photo(faces_dir / source, folder / name, when, offset)
    create_case(session, CASE, "Timeline", ["fraud"])
    ingest(session, CASE, [folder], CustodyForm(exhibit="EX-T"))
    DetectJob(session, CASE, workers=1).run(ignore)


def _timeline(window, qtbot, reference: str):
    page = window.show_area("timeline")
    settle(qtbot, window)
    page.show_case(reference)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.loaded is not None and page.loaded.reference == reference)
    return page


def _names(page) -> list[str]:
    return [r.entry.name.rsplit("/", 1)[-1] for r in page.model.records]


def test_items_appear_at_their_capture_time_in_order_and_zoom(matched, qtbot, faces_dir, tmp_path):
    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    _case_with_exif_photos(matched.session, faces_dir, tmp_path)
    page = _timeline(window, qtbot, CASE)
    assert _names(page) == ["a-early.jpg", "b-middle.jpg", "c-late.jpg"]
    assert [r.entry.source for r in page.model.records] == ["exif"] * 3
    assert page.model.data(page.model.index(0, 2)) == "EXIF"
    assert "+02:00" in page.model.data(page.model.index(2, 1))
    assert "UTC" in page.range_label.text()
    xs = [page.axis.x_of(t) for t in page.axis.times]
    assert xs == sorted(xs) and 0 <= xs[0] < xs[-1] <= page.axis.width()

    span = page.axis.t1 - page.axis.t0  # about two and a half years: fit to every item
    page.zoom_in_button.click()
    assert abs((page.axis.t1 - page.axis.t0) - span / 2) < 1
    page.zoom_out_button.click()
    assert abs((page.axis.t1 - page.axis.t0) - span) < 1
    middle = QPointF(page.axis.width() / 2, 40)
    wheel = QWheelEvent(
        middle,
        page.axis.mapToGlobal(middle),
        QPoint(0, 0),
        QPoint(0, 240),  # two notches towards the user's screen: zoom in
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(page.axis, wheel)
    assert page.axis.t1 - page.axis.t0 < span / 2
    # the two May 2021 shots, ten seconds apart: zoomed to seconds, each one alone in view
    t_mid, t_late = float(page.axis.times[1]), float(page.axis.times[2])
    page.axis.set_range(t_mid - 5, t_mid + 5)
    qtbot.waitUntil(lambda: _names(page) == ["b-middle.jpg"], timeout=2000)
    assert page.axis.ticks() and all(":" in label for _t, label in page.axis.ticks())
    page.axis.set_range(t_mid - 20, t_late + 20)
    qtbot.waitUntil(lambda: len(page.model.records) == 2, timeout=2000)
    assert "2" in page.count_label.text()
    page.fit_button.click()
    qtbot.waitUntil(lambda: len(page.model.records) == 3, timeout=2000)

    x = round(page.axis.x_of(t_mid))  # a click on a dot opens the item
    lo, hi = page.axis.bin_at(x)
    assert hi - lo == 1 or page.axis.set_range(t_mid - 60, t_mid + 60) is None
    x = round(page.axis.x_of(t_mid))
    qtbot.mouseClick(page.axis, Qt.MouseButton.LeftButton, pos=QPoint(x, 60))
    assert page.item_dialog is not None
    assert page.item_dialog.item_id == page.loaded.entries[1].item
    settle(qtbot, window)
    page.item_dialog.close()


def test_filters_by_subject_kind_and_review_outcome(matched, qtbot):
    from matching.review import decide, list_review

    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    first = list_review(matched.session, "OP-7")
    gone = next(r.item for r in first if r.subject == "obama")
    for r in first:  # the analyst rejects "obama" on one item: no sighting there any more
        if r.subject == "obama" and r.item == gone:
            decide(matched.session, r.candidate, "rejected", "different person, see ear shape")
    page = _timeline(window, qtbot, "OP-7")
    every = len(page.loaded.entries)
    assert every > 3 and len(page.model.records) == len(page.shown)
    assert "obama" in [page.subject.itemData(i) for i in range(page.subject.count())]
    reviews = list_review(matched.session, "OP-7")
    obama = {r.item for r in reviews if r.subject == "obama" and r.status != "rejected"}
    page.show_subject("obama")  # the core's --subject path: sightings in time order
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.loaded.subject == "obama")
    items = [r.entry.item for r in page.model.records]
    assert items and set(items) == obama and gone not in obama and len(items) < every
    assert all(r.entry.sightings for r in page.model.records)
    times = [r.t for r in page.model.records]
    assert times == sorted(times)
    page.show_subject(None)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.loaded.subject is None)

    page.kind.setCurrentIndex(page.kind.findData(1))  # videos
    kinds = {r.entry.kind for r in page.model.records}
    assert kinds == {"video"}
    page.kind.setCurrentIndex(0)
    assert len(page.model.records) == len(page.shown) > 1
    page.outcome.setCurrentIndex(page.outcome.findData(1))  # pending
    pending = {r.item for r in reviews if r.status == "pending"}
    assert {r.entry.item for r in page.model.records} == pending
    page.outcome.setCurrentIndex(page.outcome.count() - 1)  # no candidate at all
    assert not {r.entry.item for r in page.model.records} & {r.item for r in reviews}


def test_timeline_in_arabic_keeps_time_left_to_right(matched, qtbot):
    window = sign_in(matched, qtbot)
    matched.set_language("ar")
    window = matched.window
    page = _timeline(window, qtbot, "OP-7")
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert page.axis.layoutDirection() == Qt.LayoutDirection.LeftToRight
    xs = [page.axis.x_of(t) for t in page.axis.times]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    for text in (page.note.text(), page.count_label.text(), page.fit_button.text()):
        assert any("\u0600" <= ch <= "\u06ff" for ch in text), text
    assert page.model.headerData(0, Qt.Orientation.Horizontal) != "Time"
    page.grab()  # paints the axis and its tick labels in Arabic
