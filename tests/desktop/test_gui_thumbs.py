"""The Evidence page as thumbnails, on a real vault: the photos and the video of ../shared/faces
(faces detected, a search run), plus hostile files, driven through the real window."""

from __future__ import annotations

from pathlib import Path

from guikit import settle, sign_in
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QImage

from desktop.pages.evidence_grid import TILE


def open_grid(controller, qtbot, extra: list[Path] | None = None):
    window = sign_in(controller, qtbot)
    if extra:
        from vault.ingest import ingest

        ingest(controller.session, "OP-7", extra)  # as an officer's ingest had put them there
    page = window.show_area("evidence")
    settle(qtbot, window)
    page.show_case("OP-7")
    settle(qtbot, window)
    page.grid_action.trigger()  # the button; Ctrl+G does the same
    grid = page.grid
    qtbot.waitUntil(lambda: grid.job is None and bool(grid.tiles), timeout=60_000)
    settle(qtbot, window)
    return window, page, grid


def shown(qtbot, grid, item_ids: list[int]) -> None:
    """Paint until the tiles of ``item_ids`` have their pictures or their one line."""

    def ready() -> bool:
        grid.view.viewport().repaint()
        return all(i in grid.cache.pixmaps or i in grid.cache.errors for i in item_ids)

    qtbot.waitUntil(ready, timeout=30_000)


def items_by_name(page) -> dict[str, int]:
    return {r.name.rsplit("/", 1)[-1]: r.id for r in page.model.records}


def test_thumbnails_appear_for_the_real_photos_and_the_video(matched, qtbot):
    window, page, grid = open_grid(matched, qtbot)
    assert page.stack.currentWidget() is grid and grid.view.isVisible()
    ids = items_by_name(page)
    media = [i for n, i in ids.items() if n.endswith((".jpg", ".mp4"))]
    grid.view.resize(1400, 2000)  # every tile of the case on screen
    shown(qtbot, grid, media)
    for item_id in media:
        pixmap = grid.cache.pixmaps[item_id]
        assert max(pixmap.width(), pixmap.height()) == TILE
    # what the user sees: the tile of obama1.jpg is a picture, not the grey placeholder
    rect = grid.view.visualRect(page.proxy.index(0, 1))
    picture = grid.view.viewport().grab(rect).toImage()
    colours = {
        picture.pixel(x, y) for x in range(10, rect.width() - 10, 7) for y in range(30, 120, 7)
    }
    assert len(colours) > 50
    # the tiles carry the faces found (detection ran on this case)
    assert any(t.faces for t in grid.tiles.values())
    assert "face(s) found" in grid.tooltip(
        next(r for r in page.model.records if grid.tiles[r.id].faces)
    )
    # made once: showing the case again starts no job
    page.show_grid(False)
    page.show_grid(True)
    settle(qtbot, window)
    assert grid.job is None


def test_grid_and_table_share_the_selection_and_open_the_item(matched, qtbot):
    window, page, grid = open_grid(matched, qtbot)
    third = page.proxy.index(2, 1)
    grid.view.selectionModel().setCurrentIndex(
        third,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    fifth = page.proxy.index(4, 1)
    grid.view.selectionModel().select(
        fifth, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    )
    expected = sorted(
        page.model.records[page.proxy.mapToSource(page.proxy.index(r, 0)).row()].id for r in (2, 4)
    )
    assert page.selected_ids() == expected  # what "Report..." takes as "the selected items"
    from desktop.about import shortcuts

    # Ctrl+G, listed in Help > Keyboard shortcuts (offscreen Qt delivers no shortcut keys)
    assert ("Ctrl+G", "Thumbnails") in shortcuts(window)
    page.grid_action.trigger()  # back to the table
    assert page.stack.currentWidget() is page.view and not page.grid_action.isChecked()
    # the same rows are selected there
    assert sorted({i.row() for i in page.view.selectionModel().selectedRows()}) == [2, 4]
    dialog = page.ask_report()
    assert dialog is not None and dialog.only_selected.text().startswith("Only the 2 selected")
    dialog.reject()
    # double click in the grid opens the item, as in the table
    page.show_grid(True)
    rect = grid.view.visualRect(third)
    qtbot.mouseClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(grid.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.item_dialog is not None
    record = page.model.records[page.proxy.mapToSource(third).row()]
    assert page.item_dialog.item_id == record.id
    settle(qtbot, window)
    page.item_dialog.close()
    # and from the keyboard: Enter on the current tile
    page.item_dialog = None
    grid.view.setFocus()
    qtbot.keyClick(grid.view, Qt.Key.Key_Return)
    assert page.item_dialog is not None
    settle(qtbot, window)
    page.item_dialog.close()


def test_hostile_images_give_a_placeholder_tile_and_one_line(matched, qtbot, tmp_path, faces_dir):
    jpeg = (faces_dir / "more/obama.jpg").read_bytes()
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(jpeg[: len(jpeg) // 3])
    liar = tmp_path / "liar.png"
    liar.write_bytes(b"MZ\x90\x00" + b"\x00" * 4000)  # a program named as a picture
    _window, page, grid = open_grid(matched, qtbot, [truncated, liar])
    ids = items_by_name(page)
    assert grid.tiles[ids["cut.jpg"]].state == "failed"
    assert grid.tiles[ids["liar.png"]].state == "failed"
    line = grid.tooltip(next(r for r in page.model.records if r.id == ids["liar.png"]))
    assert line.splitlines()[1] == "cannot read image liar.png: not a supported image format"
    assert "could not be shown" in grid.note.text() and "\n" not in grid.note.text()
    # the grid paints them (a warning tile) and everything else still has its picture
    grid.view.resize(1400, 2000)
    others = [i for n, i in ids.items() if n.endswith(".jpg") and n != "cut.jpg"]
    shown(qtbot, grid, others)
    row = next(
        r
        for r in range(page.proxy.rowCount())
        if page.proxy.index(r, 0).data() == str(ids["cut.jpg"])
    )
    tile = grid.view.viewport().grab(grid.view.visualRect(page.proxy.index(row, 1))).toImage()
    assert isinstance(tile, QImage) and not tile.isNull()
    assert page.last_error is None  # no error box: the lines are on the tiles


def test_a_known_bad_photo_carries_its_badge_and_alert(world, matched, qtbot, faces_dir, tmp_path):
    import hashlib

    from matching.hashhits import MatchJob
    from matching.hashsets import ImportJob
    from vault.jobs import ignore
    from vaultkit import open_as

    photo = (faces_dir / "knn/test/obama1.jpg").read_bytes()
    listed = tmp_path / "bad.txt"
    listed.write_text(hashlib.sha256(photo).hexdigest() + "\n")
    with open_as(world / "vault") as s:
        ImportJob(s, listed, "Agency list", "known-bad").run(ignore)
        MatchJob(s, "OP-7").run(ignore)
    _window, page, grid = open_grid(matched, qtbot)
    bad = next(r for r in page.model.records if r.name.endswith("obama1.jpg"))
    assert page.proxy.mapFromSource(page.model.index(page.model.records.index(bad), 0)).row() == 0
    assert "Agency list" in grid.tooltip(bad)  # known-bad first, named in the tooltip
    rect = grid.view.visualRect(page.proxy.index(0, 1))
    tile = grid.view.viewport().grab(rect).toImage()
    red = {
        (x, y)
        for x in range(0, rect.width(), 2)
        for y in range(0, 30, 2)
        if tile.pixelColor(x, y).red() > 150 and tile.pixelColor(x, y).green() < 90
    }
    assert red  # the red known-bad badge on the tile's top edge


def test_choosing_another_case_while_thumbnails_are_made_makes_that_cases_too(
    matched, qtbot, faces_dir
):
    window = sign_in(matched, qtbot)
    from vault.ingest import ingest

    ingest(matched.session, "C-1", sorted((faces_dir / "knn/train/obama").iterdir()))
    page = window.show_area("evidence")
    settle(qtbot, window)
    page.show_case("C-1")
    settle(qtbot, window)
    page.grid_action.trigger()  # C-1's job starts...
    qtbot.waitUntil(lambda: page.grid.job is not None, timeout=30_000)
    page.show_case("OP-7")  # ...and the user moves on before it ends
    grid = page.grid

    def all_made() -> bool:
        media = [t for t in grid.tiles.values() if t.kind]
        return grid._case == "OP-7" and bool(media) and all(t.state == "made" for t in media)

    qtbot.waitUntil(lambda: grid.job is None and all_made(), timeout=60_000)
    settle(qtbot, window)
