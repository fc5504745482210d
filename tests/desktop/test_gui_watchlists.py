"""Watchlists: subjects with their photos and listing, a new list, enrolment, calibration."""

from __future__ import annotations

from pathlib import Path

from guikit import in_arabic, settle, sign_in


def test_watchlist_shows_subjects_photos_and_calibration(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    assert page.current_name() == "wanted"
    refs = sorted(s.ref for s in page.model.records)
    assert refs == ["biden", "obama"]
    assert page.view.model().index(0, 4).data() == "armed robbery"
    qtbot.waitUntil(lambda: page.photos.count() == 2, timeout=10_000)
    assert "not calibrated" in page.calibration.text()
    from matching.watchlists import set_calibration

    set_calibration(
        matched.session,
        "wanted",
        0.5312,
        {
            "threshold": 0.5312,
            "target_fpir": 0.01,
            "fpir": 0.0,
            "fnir": 0.0714,
            "nonmated_searches": 40,
            "mated_searches": 14,
            "folder": "/data/faces",
            "images": 30,
            "model": "dlib_face_recognition_resnet_model_v1",
        },
    )
    page.refresh()
    settle(qtbot, window)
    text = page.calibration.text()
    assert "0.5312" in text and "/data/faces" in text and "FPIR 0.0000" in text
    assert "30 images" in text and "40 non-mated searches" in text


def test_create_watchlist_and_enrol_from_files(matched, qtbot, faces_dir: Path):
    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    dialog = page.new_watchlist()
    dialog.submit()
    settle(qtbot, window)
    assert dialog.message.text() == "a watchlist needs a name"
    qtbot.keyClicks(dialog.name, "border")
    dialog.second.setChecked(True)
    dialog.submit()
    settle(qtbot, window)
    assert not dialog.isVisible()
    page.lists.setCurrentRow(0)
    assert page.current_name() == "border"
    photos = sorted((faces_dir / "knn/train/kit_harington").iterdir())
    two = faces_dir / "more/two_people.jpg"
    enrol = page.enrol_photos([*photos, two])
    settle(qtbot, window)
    assert enrol.watchlist.currentData() == "border"
    qtbot.keyClicks(enrol.subject, "KH-1")
    qtbot.keyClicks(enrol.agency, "Interpol")
    enrol.submit()  # the core checks the listing
    qtbot.waitUntil(lambda: enrol.message.text() == "a listing needs a reason", timeout=10_000)
    qtbot.keyClicks(enrol.reason, "missing person")
    with qtbot.waitSignal(enrol.enrolled, timeout=60_000):
        enrol.submit()
    settle(qtbot, window)
    assert enrol.isVisible() and "two_people.jpg" in enrol.message.text()  # refused, shown
    assert "KH-1 enrolled with 2 photos" in enrol.message.text()
    from matching.watchlists import show_watchlist

    info = show_watchlist(matched.session, "border")
    assert info.second_review
    assert [(s.ref, s.references, s.reason) for s in info.subjects] == [
        ("KH-1", 2, "missing person")
    ]
    assert [s.ref for s in page.model.records] == ["KH-1"]


def test_listings_past_their_review_date_are_flagged_on_the_list_and_per_subject(
    matched, qtbot, faces_dir: Path
):
    from matching.watchlists import Listing, enrol

    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    assert page.lists.item(0).text() == "wanted (2 subjects)"
    assert not page.overdue.isVisible()
    photo = sorted((faces_dir / "knn/train/obama").iterdir())[0]
    listing = Listing("armed robbery", "Europol", "TLP:AMBER", "2020-03-01")
    enrol(matched.session, "wanted", "obama", listing, photos=[photo])  # review date passed
    window.refresh_action.trigger()  # F5
    settle(qtbot, window)
    item = page.lists.item(0)
    assert item.text() == "wanted (2 subjects, 1 overdue)"
    assert item.toolTip().startswith("1 listing(s) overdue for review")
    assert not item.icon().isNull()
    assert page.overdue.isVisible()
    assert page.overdue.text().startswith("1 listing(s) overdue for review")
    model = page.view.model()
    column = [c.title for c in page.model.columns].index("State")
    state = {model.index(r, 0).data(): model.index(r, column).data() for r in range(2)}
    assert state == {"obama": "review overdue since 2020-03-01", "biden": ""}


def test_the_watchlist_calibration_line_speaks_arabic(matched, qtbot):
    page = in_arabic(matched, qtbot, "watchlists")
    assert page.calibration.text() == "عتبة التنبيه 0.6000 (افتراضية؛ غير معايرة)"


def test_the_enrol_dialog_shows_the_quality_gate(matched, qtbot, faces_dir: Path, tmp_path: Path):
    """A blurred reference is refused with its reason, a small one enrolled with a warning; the
    dialog stays open on both (the core's gate, matching.qualitygate)."""
    import cv2

    from matching.images import load_rgb

    rgb = load_rgb(faces_dir / "knn/train/obama/obama.jpg")
    blurred = tmp_path / "blurred.jpg"
    cv2.imwrite(str(blurred), cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 4), cv2.COLOR_RGB2BGR))
    small = faces_dir / "more/obama-480p.jpg"  # 48 px between the eyes
    window = sign_in(matched, qtbot)
    page = window.show_area("watchlists")
    settle(qtbot, window)
    enrol = page.enrol_photos([blurred, small])
    settle(qtbot, window)
    qtbot.keyClicks(enrol.subject, "OB-2")
    qtbot.keyClicks(enrol.reason, "fraud")
    qtbot.keyClicks(enrol.agency, "Europol")
    with qtbot.waitSignal(enrol.enrolled, timeout=60_000):
        enrol.submit()
    settle(qtbot, window)
    text = enrol.message.text()
    assert enrol.isVisible()
    assert "OB-2 enrolled with 1 photos." in text
    assert "blurred.jpg: face too blurred (sharpness " in text and "at least 15 needed" in text
    assert "Enrolled, but below the recommended quality:" in text
    assert "obama-480p.jpg: small face (48 px between the eyes; 60 or more recommended)" in text
