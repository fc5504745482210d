"""Hard faces through the vault: a face in a thumbnail is found, stored with the detector that
found it, and listed with it by ``custos faces list`` (text and JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import pytest

from matching.casefaces import DetectJob
from matching.facelist import list_faces
from matching.images import load_rgb
from vault import cases
from vault.history import list_audit
from vault.ingest import ingest
from vaultkit import new_vault, one_clear_line, open_as, run_cli


@pytest.mark.local_only(
    "the 4x detection is the same on both; what it stores and lists (the detector in the face's "
    "record) is covered on the server by test_a_drawn_face_is_encoded_searchable_and_marked"
)
def test_a_thumbnail_face_is_stored_and_listed_with_its_detector(
    place: Any, tmp_path: Path, faces_dir: Path
) -> None:
    rgb = load_rgb(faces_dir / "more/obama-720p.jpg")
    thumb = tmp_path / "thumb.jpg"  # 150 x 84: ~8 px between the eyes
    small = cv2.resize(rgb, (150, 84), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(thumb), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    folder = place
    session, _ = new_vault(folder)
    try:
        cases.create_case(session, "C-1", "Thumbnails", ["fraud"])
        cases.create_case(session, "C-2", "Thumbnails, fast path only", ["fraud"])
        ingest(session, "C-1", [thumb])
        ingest(session, "C-2", [thumb])
        result = DetectJob(session, "C-1").run(lambda _e: None)
        assert (result.items, result.faces) == (1, 1)
        [face] = list_faces(session, "C-1")
        assert (face.detector, face.detection_scale, face.found_by()) == ("hog", 4.0, "hog x4")
        [analysed] = list_audit(session, action="faces.analysed")
        assert analysed.details["hard_faces"] is True  # the record says how it was looked for
    finally:
        session.close()
    listed = run_cli("faces", "list", "--case", "C-1", vault=folder)
    assert listed.returncode == 0, listed.stderr
    assert " hog x4 " in listed.stdout and "thumb.jpg" in listed.stdout  # tabs as spaces
    as_json = json.loads(run_cli("faces", "list", "--case", "C-1", "--json", vault=folder).stdout)
    assert as_json[0]["detector"] == "hog" and as_json[0]["detection_scale"] == 4.0
    # the fast path alone (as before this issue) finds nothing in the same photo
    fast = run_cli("faces", "detect", "--case", "C-2", "--no-hard-faces", vault=folder)
    one_clear_line(fast)
    assert fast.returncode == 0 and "analysed 1 item(s): 0 face(s)" in fast.stdout
    with open_as(folder) as s:
        last = list_audit(s, action="faces.analysed")[-1]
    assert last.details["hard_faces"] is False
