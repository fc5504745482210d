"""The Map page on a real vault: photos with real EXIF GPS on the Natural Earth basemap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from guikit import settle, sign_in
from mapkit import NAN, make_case
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

CASE = "MAP-9"
# three obama photos around Amsterdam's Dam square (a few hundred metres apart), one in Paris
# and two hostile positions; ingested in another order than their capture times
SHOTS = (
    ("dam-3.jpg", "knn/train/obama/obama2.jpg", "2021:05:04 12:00:00", 52.3740, 4.8950),
    ("dam-1.jpg", "knn/test/obama1.jpg", "2021:05:04 10:00:00", 52.3731, 4.8922),
    ("paris.jpg", "knn/test/alex_lacamoire1.jpg", "2021:05:03 09:00:00", 48.8584, 2.2945),
    ("dam-2.jpg", "knn/train/obama/obama.jpg", "2021:05:04 11:00:00", 52.3702, 4.8896),
    ("nan.jpg", "knn/test/johnsnow_test1.jpg", "2021:05:05 09:00:00", NAN, 4.0),
    ("far.jpg", "knn/test/kit_with_rose.jpg", "2021:05:06 09:00:00", 1e9, 4.0),
)


def _case(session, faces_dir: Path, tmp_path: Path) -> None:
    from matching.searching import search

    make_case(session, faces_dir, tmp_path / "shots", SHOTS, CASE)
    search(session, ["wanted"], case_reference=CASE, mode="investigative", top=1)


def _map(window, qtbot, reference: str):
    page = window.show_area("map")
    settle(qtbot, window)
    page.show_case(reference)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.loaded is not None and page.loaded.reference == reference)
    qtbot.waitUntil(lambda: bool(page.view.levels) or page.basemap_problem is not None)
    page.resize(1000, 800)
    page.show()
    settle(qtbot, window)
    return page


def _at(lon: float, lat: float) -> tuple[float, float]:
    from desktop.mapview import project

    x, y = project(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


def _name(entry) -> str:
    return entry.name.rsplit("/", 1)[-1]


def test_items_on_the_map_cluster_split_and_open(matched, qtbot, faces_dir, tmp_path):
    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    _case(matched.session, faces_dir, tmp_path)
    page = _map(window, qtbot, CASE)
    view = page.view
    assert page.basemap_problem is None and view.levels
    placed = page.loaded.found.placed
    assert [_name(e) for e in placed] == ["paris.jpg", "dam-1.jpg", "dam-2.jpg", "dam-3.jpg"]
    # the hostile positions are left off, with a note saying which and why
    assert "2 items have a position that cannot be right" in page.note.text()
    assert "far.jpg): the GPS latitude 1e+09 is outside -90..90" in page.note.toolTip()
    assert "nan.jpg): the GPS position is not a number" in page.note.toolTip()
    assert "1 items have no position" in page.note.text()

    # points at the right place: Paris west and south of Amsterdam, both in view
    xs, ys = view.px, view.py
    spots = [view.screen_of(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    assert all(0 <= p.x() <= view.width() and 0 <= p.y() <= view.height() for p in spots)
    assert spots[0].x() < spots[1].x() and spots[0].y() > spots[1].y()
    # ... on the basemap projected the same way: central France is land, the Bay of Biscay sea
    view.set_points(*(np.zeros(0) for _ in range(2)), np.zeros(0, np.int64), np.zeros(0, np.int8),
                    np.zeros(0, np.int64))  # fmt: skip
    view.set_view(*_at(2.0, 47.0), 2.0**12)
    image = view.grab().toImage()
    water, land, _border = view._colours()
    centre = QPoint(view.width() // 2, view.height() // 2)
    assert image.pixelColor(centre) == land
    sea = view.screen_of(*_at(-5.0, 46.0)).toPoint()
    assert image.pixelColor(sea) == water
    page._show(page.loaded)  # points back

    # clusters: the Low Countries and Paris in view, the three Dam photos are one bubble of 3
    view.set_view(*_at(3.6, 50.6), 2.0**13)
    c = view.clusters()
    assert sorted(c.counts.tolist()) == [1, 3]
    bubble = int(np.argmax(c.counts))
    assert "3 items" in view.tip(bubble) or "dam-" in view.tip(bubble)
    # a click on the bubble zooms in until it splits into its three photos
    scale = view.scale
    for _ in range(6):
        c = view.clusters()
        if len(c.counts) >= 4 and c.counts.max() == 1:
            break
        bubble = int(np.argmax(c.counts))
        qtbot.mouseClick(
            view, Qt.MouseButton.LeftButton, pos=QPoint(round(c.x[bubble]), round(c.y[bubble]))
        )
    c = view.clusters()
    assert view.scale > scale and c.counts.max() == 1 and len(c.members) >= 3
    # the list under the map follows the view: only the Dam photos, in time order
    qtbot.waitUntil(lambda: [_name(r[1]) for r in page.model.records][:1] == ["dam-1.jpg"])
    assert [_name(r[1]) for r in page.model.records] == ["dam-1.jpg", "dam-2.jpg", "dam-3.jpg"]

    # a dot's tooltip says time, zone and source; a click on it opens the item
    dot = next(n for n in range(len(c.counts)) if c.counts[n] == 1)
    member = int(c.items_of(dot)[0])
    tip = view.tip(dot)
    assert _name(placed[member]) in tip and "+02:00" in tip and "EXIF" in tip
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(c.x[dot]), round(c.y[dot])))
    assert page.item_dialog is not None and page.item_dialog.item_id == placed[member].item
    settle(qtbot, window)
    page.item_dialog.close()

    # wheel and keys zoom, a drag pans
    before = view.scale
    at = QPointF(view.width() / 2, view.height() / 2)
    wheel = QWheelEvent(
        at, view.mapToGlobal(at), QPoint(0, 0), QPoint(0, -240), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(view, wheel)
    assert view.scale < before
    scale = view.scale
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert abs(view.scale - 2 * scale) < 1e-6 * scale
    centre_x = view.cx
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(500, 300))
    qtbot.mouseMove(view, QPoint(600, 300))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(600, 300))
    assert view.cx < centre_x  # dragged east: the map moved with the mouse
    page.fit_button.click()
    assert len(view.visible()) == 4


def test_a_subjects_track_in_time_order(matched, qtbot, faces_dir, tmp_path):
    from matching.review import list_review

    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    _case(matched.session, faces_dir, tmp_path)
    page = _map(window, qtbot, CASE)
    sightings = {r.item for r in list_review(matched.session, CASE) if r.subject == "obama"}
    placed_ids = {e.item for e in page.loaded.found.placed}
    page.show_subject("obama")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.loaded.subject == "obama")
    track = page.loaded.found.track
    assert {e.item for e in track} == sightings & placed_ids
    assert len(track) >= 3
    names = [_name(e) for e in track]
    assert names == sorted(names, key=lambda n: [e.time for e in track][names.index(n)])
    assert [e.time for e in track] == sorted(e.time for e in track)
    assert "dam-1.jpg" in names and names.index("dam-1.jpg") < names.index("dam-3.jpg")
    assert list(page.view.track) == list(range(len(track)))  # the line joins them in order
    assert "Track of obama" in page.note.text()
    page.view.fit()
    qtbot.waitUntil(lambda: len(page.model.records) == len(track), timeout=3000)
    assert [r[0] for r in page.model.records] == list(range(1, len(track) + 1))  # "Stop" column
    image = page.view.grab().toImage()  # paints the numbered track
    assert image.width() > 0


def test_an_altered_basemap_is_said_in_one_line_and_items_still_shown(
    matched, qtbot, faces_dir, tmp_path, monkeypatch
):
    import shutil

    import matching.basemap as basemap

    copy = tmp_path / basemap.ARCHIVE
    shutil.copyfile(basemap.basemap_file(), copy)
    data = bytearray(copy.read_bytes())
    data[1000] ^= 0xFF
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(basemap, "basemap_file", lambda: copy)
    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    _case(matched.session, faces_dir, tmp_path)
    page = _map(window, qtbot, CASE)
    assert not page.view.levels
    assert "\n" not in page.basemap_problem
    assert "does not match the SHA-256 shipped with Custos" in page.basemap_problem
    assert page.note.text().startswith("No basemap: ")
    assert len(page.view.px) == 4
    water, _land, _border = page.view._colours()
    image = page.view.grab().toImage()
    assert image.pixelColor(QPoint(3, 3)) == QColor(water)


def test_map_in_arabic_keeps_north_up_and_east_right(matched, qtbot, faces_dir, tmp_path):
    sign_in(matched, qtbot)
    _case(matched.session, faces_dir, tmp_path)
    matched.set_language("ar")
    window = matched.window
    page = _map(window, qtbot, CASE)
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert page.view.layoutDirection() == Qt.LayoutDirection.LeftToRight
    for text in (page.help.text(), page.count_label.text(), page.fit_button.text(),
                 page.note.text()):  # fmt: skip
        assert any("\u0600" <= ch <= "\u06ff" for ch in text), text
    assert page.model.headerData(0, Qt.Orientation.Horizontal) != "Stop"
    page.grab()


def test_a_second_map_page_reuses_the_prepared_basemap(
    matched, qtbot, faces_dir, tmp_path, monkeypatch
):
    """The basemap is loaded, checked and simplified once per process: a second Map page gets
    the very levels the first one prepared (nothing prepared again on its worker)."""
    import desktop.mapview
    from desktop.pages.map import MapPage

    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    _case(matched.session, faces_dir, tmp_path)
    first = _map(window, qtbot, CASE)
    assert first.basemap_problem is None and first.view.levels

    def refuse(*_args, **_kwargs):
        raise AssertionError("the basemap was prepared again")

    monkeypatch.setattr(desktop.mapview, "prepare_basemap", refuse)
    second = MapPage(matched.session, window.runner)
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: bool(second.view.levels) or second.basemap_problem is not None)
    assert second.basemap_problem is None
    assert second.view.levels is first.view.levels
