"""Curating faces in the GUI: split, merge and name clusters, discard a false detection, draw a
box with the mouse around a missed face, and a redacted copy with the faces to keep ticked."""

from __future__ import annotations

from guikit import settle, sign_in
from PySide6.QtCore import QPoint, Qt

from desktop.gallery import FACE_ROLE


def _faces_page(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("faces")
    settle(qtbot, window)
    with qtbot.waitSignal(page.faces_loaded, timeout=10_000):
        page.show_case("OP-7")
        settle(qtbot, window)
    return window, page


def _clusters(page, qtbot):
    page.cluster_dialog = None
    page.cluster()
    qtbot.waitUntil(lambda: page.cluster_dialog is not None, timeout=20_000)
    return page.cluster_dialog


def test_split_merge_and_name_a_cluster(matched, qtbot):
    window, page = _faces_page(matched, qtbot)
    clusters = _clusters(page, qtbot)
    group = clusters.groups[0]
    assert len(group) >= 2 and clusters.split_button.isVisible()
    clusters.list.setCurrentRow(0)
    clusters.view.selectionModel().select(
        clusters.model.index(0), clusters.view.selectionModel().SelectionFlag.Select
    )
    apart = group[0].id
    old = clusters
    clusters.split_selected()
    qtbot.waitUntil(lambda: page.cluster_dialog is not old, timeout=20_000)
    clusters = page.cluster_dialog
    alone = next(g for g in clusters.groups if apart in {f.id for f in g})
    assert [f.id for f in alone] == [apart]
    rows = [n for n, g in enumerate(clusters.groups) if {f.id for f in g} & {f.id for f in group}]
    assert len(rows) == 2
    for r in rows:
        clusters.list.item(r).setSelected(True)
    old = clusters
    clusters.merge_selected()
    qtbot.waitUntil(lambda: page.cluster_dialog is not old, timeout=20_000)
    clusters = page.cluster_dialog
    merged = next(g for g in clusters.groups if apart in {f.id for f in g})
    assert {f.id for f in group} <= {f.id for f in merged}
    clusters.list.setCurrentRow(clusters.groups.index(merged))
    enrol = clusters.enrol_group()
    qtbot.keyClicks(enrol.subject, "UNK-9")
    qtbot.keyClicks(enrol.reason, "seen at the marina")
    qtbot.keyClicks(enrol.agency, "Politie NL")
    settle(qtbot, window)
    with qtbot.waitSignal(enrol.enrolled, timeout=30_000):
        enrol.submit()
    clusters = _clusters(page, qtbot)
    assert any(
        clusters.list.item(n).text().endswith("= wanted/UNK-9")
        for n in range(clusters.list.count())
    )
    from matching.watchlists import show_watchlist

    subjects = {s.ref: s for s in show_watchlist(matched.session, "wanted").subjects}
    assert subjects["UNK-9"].references == len(merged)


def test_discard_a_false_detection(matched, qtbot):
    window, page = _faces_page(matched, qtbot)
    face = page.model.index(0).data(FACE_ROLE)
    with qtbot.waitSignal(page.faces_loaded, timeout=20_000):
        page.discard([face.id], "a face on a poster")
    settle(qtbot, window)
    shown = [page.model.index(r).data(FACE_ROLE) for r in range(page.model.rowCount())]
    row = next(n for n, f in enumerate(shown) if f.id == face.id)
    assert shown[row].discarded == "a face on a poster"
    assert page.model.index(row).data().startswith("discarded: ")
    tip = page.model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    assert "Discarded as a false detection: a face on a poster" in tip


def _item_view(matched, qtbot, suffix: str):
    window = sign_in(matched, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    page.show_case("OP-7")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: any(r.name.endswith(suffix) for r in page.model.records), timeout=5_000)
    item = next(r for r in page.model.records if r.name.endswith(suffix))
    view = page.view_item(item.id)
    qtbot.waitUntil(lambda: view.loaded, timeout=20_000)
    return window, view


def test_draw_a_box_with_the_mouse_adds_a_face(matched, qtbot):
    window, view = _item_view(matched, qtbot, "obama1.jpg")
    assert view.face_button.isVisible() and view.redact_button.isVisible()
    dialog = view.draw_face()
    picker = dialog.picker
    start, end = (
        QPoint(picker.width() // 3, picker.height() // 5),
        QPoint(picker.width() * 2 // 3, picker.height() * 3 // 5),
    )
    qtbot.mousePress(picker, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(picker, end)
    qtbot.mouseRelease(picker, Qt.MouseButton.LeftButton, pos=end)
    _x, _y, w, h = picker.box()
    assert w > 100 and h > 100 and dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.reason, "partly hidden")
    with qtbot.waitSignal(dialog.added, timeout=30_000) as added:
        dialog.submit()
    from matching.facelist import list_faces

    face = next(f for f in list_faces(matched.session, "OP-7") if f.id == added.args[0])
    assert face.drawn_by == "alice"
    settle(qtbot, window)
    assert any(e.kind == "analysed" for e in view.custody_model.records)


def test_redact_a_photo_keeping_the_ticked_face(matched, qtbot):
    window, view = _item_view(matched, qtbot, "obama_and_biden.jpg")
    dialog = view.redact()
    qtbot.waitUntil(lambda: dialog.ok.isEnabled(), timeout=20_000)
    assert dialog.faces.count() >= 2
    dialog.faces.item(0).setCheckState(Qt.CheckState.Checked)
    kept = dialog.kept()
    with qtbot.waitSignal(dialog.redacted, timeout=60_000) as done:
        dialog.submit()
    result = done.args[0]
    assert result.kept == kept and result.blurred == dialog.faces.count() - 1
    assert result.name.endswith("obama_and_biden.redacted.jpg")
    settle(qtbot, window)
    assert [e.kind for e in view.custody_model.records][-1] == "redacted"
