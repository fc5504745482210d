"""Faces as an analyst: detection with progress, the gallery, clusters with enrolment, search."""

from __future__ import annotations

from pathlib import Path

from guikit import settle, sign_in
from PySide6.QtCore import Qt

from desktop.gallery import FACE_ROLE, FaceGalleryModel, ThumbnailCache, gallery_view
from desktop.pages.search import SearchDialog


def test_detect_faces_shows_progress_and_fills_the_gallery(controller, qtbot, faces_dir: Path):
    window = sign_in(controller, qtbot)
    evidence = window.show_area("evidence")
    settle(qtbot, window)
    from vault.ingest import CustodyForm

    photos = [faces_dir / "knn/test/obama1.jpg", faces_dir / "knn/test/kit_with_rose.jpg"]
    evidence.ingest(photos, CustodyForm(exhibit="EX-3"))
    qtbot.waitSignal(evidence.ingested, timeout=30_000).wait()
    page = window.show_area("faces")
    settle(qtbot, window)
    page.show_case("C-1")
    settle(qtbot, window)
    assert page.detect_button.text() == "Detect faces"
    with qtbot.waitSignal(page.detected, timeout=120_000) as done:
        dialog = page.detect()
        assert dialog.cancel_button.isEnabled()  # a running detection can be cancelled
    result = done.args[0]
    assert (result.items, result.faces, result.failed) == (2, 3, [])
    assert dialog.status.text() == "2 items analysed, 3 faces found, 0 failed."
    assert dialog.bar.value() == dialog.SCALE and dialog.cancel_button.text() == "Close"
    assert page.model.rowCount() == 3
    assert page.count.text() == "3 faces (3 photos, 0 video tracks)"
    # each face says which detector found it (at which scale) and its quality
    first = page.model.index(0)
    # obama1.jpg, 1480 px wide: HOG ran on it at 800 / 1480 x 2 (the fast path)
    assert first.data(Qt.ItemDataRole.DisplayRole).endswith(" · hog x1.08")
    tip = first.data(Qt.ItemDataRole.ToolTipRole)
    assert "px between the eyes, sharpness " in tip and "Found by: hog x1.08" in tip
    cache = page.cache
    qtbot.waitUntil(lambda: cache.pending == 0 and len(cache.pixmaps) == 3, timeout=10_000)
    icon = page.model.index(0).data(Qt.ItemDataRole.DecorationRole)
    assert icon is not page.cache.placeholder and icon.width() > 0
    caption = page.model.index(0).data()
    assert "eyes" in caption and "sharp" in caption
    from matching.facelist import list_faces
    from vault.history import list_audit

    assert len(list_faces(controller.session, "C-1")) == 3
    assert list_audit(controller.session, action="custody.analysed")


def test_gallery_shows_tracks_clusters_and_enrols_a_group(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("faces")
    settle(qtbot, window)
    with qtbot.waitSignal(page.faces_loaded, timeout=10_000):
        page.show_case("OP-7")
        settle(qtbot, window)
    faces = [page.model.index(r).data(FACE_ROLE) for r in range(page.model.rowCount())]
    tracks = [f for f in faces if f.kind == "track"]
    assert tracks and len(faces) > len(tracks)
    row = faces.index(tracks[0])
    assert "track" in page.model.index(row).data() and " s" in page.model.index(row).data()
    assert "Video track from" in page.model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    assert f"{len(tracks)} video tracks" in page.count.text()
    page.cluster()
    qtbot.waitUntil(lambda: page.cluster_dialog is not None, timeout=10_000)
    clusters = page.cluster_dialog
    assert clusters.groups and clusters.list.count() == len(clusters.groups)
    group = clusters.groups[0]
    assert clusters.model.rowCount() == len(group) >= 2
    enrol = clusters.enrol_group()
    assert "face" in enrol.findChild(type(enrol.message)).text()
    qtbot.keyClicks(enrol.subject, "unknown-1")
    qtbot.keyClicks(enrol.reason, "seen at two scenes")
    qtbot.keyClicks(enrol.agency, "Politie NL")
    settle(qtbot, window)
    with qtbot.waitSignal(enrol.enrolled, timeout=30_000):
        enrol.submit()
    from matching.watchlists import show_watchlist

    subjects = {s.ref: s for s in show_watchlist(matched.session, "wanted").subjects}
    assert subjects["unknown-1"].references == len(group)
    assert subjects["unknown-1"].reason == "seen at two scenes"


def test_search_lists_candidates_as_pending_review_only(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("faces")
    settle(qtbot, window)
    page.show_case("OP-7")
    settle(qtbot, window)
    from matching.review import list_review

    before = len(list_review(matched.session, "OP-7"))
    dialog = page.open_search()
    assert isinstance(dialog, SearchDialog)
    settle(qtbot, window)
    dialog.run()
    assert dialog.message.text() == "Choose at least one watchlist."
    dialog.watchlists.set_checked("wanted")
    dialog.top.setValue(2)
    with qtbot.waitSignal(dialog.searched, timeout=30_000) as done:
        dialog.run()
    outcome = done.args[0]
    rows = dialog.model.rowCount()
    assert rows == len(outcome.candidates) > 0
    assert {dialog.view.model().index(r, 7).data() for r in range(rows)} == {"pending review"}
    assert "all pending review" in dialog.message.text()
    assert "not an identification" in dialog.findChild(type(dialog.message), "notice").text()
    after = list_review(matched.session, "OP-7")
    # a face x subject pair already pending from an earlier search is not queued twice
    assert len(after) == before + len(outcome.queued)
    assert {r.status for r in after} == {"pending"}
    dialog.alert.setChecked(True)
    assert not dialog.top.isEnabled()
    with qtbot.waitSignal(dialog.searched, timeout=30_000) as done:
        dialog.run()
    assert all(c.distance <= c.threshold for c in done.args[0].candidates)


def test_gallery_of_5000_faces_loads_only_what_is_visible(matched, qtbot):
    window = sign_in(matched, qtbot)
    from matching.facelist import list_faces

    real = list_faces(matched.session, "OP-7")
    faces = [real[n % len(real)] for n in range(5000)]
    cache = ThumbnailCache(matched.session, matched.runner)
    requested: list[int] = []
    original = cache.get
    cache.get = lambda face_id: requested.append(face_id) or original(face_id)  # type: ignore[method-assign]
    model = FaceGalleryModel(cache)
    view = gallery_view(model)
    view.resize(900, 600)
    qtbot.addWidget(view)
    model.set_faces(faces)
    view.show()
    qtbot.waitExposed(view)
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5_000)
    for step in range(0, bar.maximum(), max(1, bar.maximum() // 20)):
        bar.setValue(step)
        view.viewport().repaint()
    # how fast this is, is measured in benchmarks/bench_gallery.py, not here
    assert 0 < len(requested) < 5000 // 2  # only rows on screen asked for a thumbnail
    qtbot.waitUntil(lambda: cache.pending == 0, timeout=10_000)
    assert set(cache.pixmaps) == {f.id for f in real}
    window.close()


def test_item_view_shows_a_video_frame(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("evidence")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.case_ref is not None, timeout=5_000)
    page.show_case("OP-7")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: any(r.name.endswith(".mp4") for r in page.model.records), timeout=5_000)
    video = next(r for r in page.model.records if r.name.endswith(".mp4"))
    view = page.view_item(video.id)
    qtbot.waitUntil(lambda: view.loaded, timeout=20_000)
    assert view.image is not None and view.image.width() > 100
    assert not view.preview.pixmap().isNull()
    assert [e.kind for e in view.custody_model.records][-1] == "viewed"
    view.close()
