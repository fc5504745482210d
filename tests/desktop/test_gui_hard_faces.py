"""Faces page: the hard-faces switch (issue 13) goes to the core's detection job, and the
record says how each photo was looked at."""

from __future__ import annotations

from pathlib import Path

import cv2
from guikit import settle, sign_in

from matching.images import load_rgb


def test_detection_without_the_hard_path_misses_a_thumbnail_face_and_says_so(
    controller, qtbot, faces_dir: Path, tmp_path: Path
):
    thumb = tmp_path / "thumb.jpg"  # 150 x 84: found only on an enlarged copy
    small = cv2.resize(load_rgb(faces_dir / "more/obama-720p.jpg"), (150, 84), cv2.INTER_AREA)
    cv2.imwrite(str(thumb), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    window = sign_in(controller, qtbot)
    evidence = window.show_area("evidence")
    settle(qtbot, window)
    from vault.ingest import CustodyForm

    evidence.ingest([thumb], CustodyForm(exhibit="EX-9"))
    qtbot.waitSignal(evidence.ingested, timeout=30_000).wait()
    page = window.show_area("faces")
    settle(qtbot, window)
    page.show_case("C-1")
    settle(qtbot, window)
    assert page.hard_faces.isChecked()  # the default: look for small faces too
    page.hard_faces.setChecked(False)
    with qtbot.waitSignal(page.detected, timeout=120_000) as done:
        page.detect()
    assert (done.args[0].items, done.args[0].faces) == (1, 0)
    from vault.history import list_audit

    [analysed] = list_audit(controller.session, action="faces.analysed")
    assert analysed.details["hard_faces"] is False
