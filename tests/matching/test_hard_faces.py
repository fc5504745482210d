"""Hard faces (issue 13, item 1): small photos enlarged for detection, the CNN detector where HOG
finds nothing, and which detector found each face recorded."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from matching.detect import CNN, HOG, WELL_SIZED_PX, FaceEngine
from matching.faces import found_by
from matching.images import load_rgb
from matching.parallel import ImageResult


def shrink(faces_dir: Path, name: str, longest: int = 150) -> np.ndarray:
    """A real photo scaled down so its longest side is ``longest`` pixels (a thumbnail)."""
    rgb = load_rgb(faces_dir / name)
    h, w = rgb.shape[:2]
    s = longest / max(h, w)
    return cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def test_a_face_in_a_150px_thumbnail_is_now_found(faces_dir: Path, engine: FaceEngine) -> None:
    thumb = shrink(faces_dir, "more/obama-720p.jpg")  # 150 x 84: ~8 px between the eyes
    assert engine.detect(thumb, hard=False) == []  # the fast path alone (as before) misses it
    faces = engine.detect(thumb)
    assert len(faces) == 1
    face = faces[0]
    assert face.detector == HOG and face.scale == 4.0  # found on the enlarged copy
    assert face.to_dict()["detector"] == HOG and face.to_dict()["detection_scale"] == 4.0
    # the same person as in the full-size photo
    full = engine.detect(load_rgb(faces_dir / "more/obama-720p.jpg"))[0]
    assert float(np.linalg.norm(full.embedding - face.embedding)) < 0.6


def test_the_cnn_finds_a_face_hog_cannot(faces_dir: Path, engine: FaceEngine) -> None:
    # An out-of-focus copy (a blurred thumbnail, as from a CCTV still): HOG finds nothing at
    # either scale; the CNN detector finds the face, and the face says so.
    blurred = cv2.GaussianBlur(shrink(faces_dir, "knn/train/biden/biden.jpg", 400), (0, 0), 3)
    faces = engine.detect(blurred)
    assert [f.detector for f in faces] == [CNN]
    assert 1.0 < faces[0].scale <= 2.0  # enlarged for the CNN, within its pixel budget
    assert faces[0].embedding.shape == (128,) and len(faces[0].landmarks) == 5


def test_the_fast_path_keeps_the_labelled_photos_on_hog(
    detected: dict[str, ImageResult],
) -> None:
    """Every labelled face is found by the first HOG pass at its usual scale: the CNN and the
    enlarged pass never run on these photos (the speed target depends on it)."""
    for name, res in detected.items():
        assert res.faces, name
        assert any(f.box.width >= WELL_SIZED_PX for f in res.faces), name
        assert {f.detector for f in res.faces} == {HOG}, name
        assert all(f.scale <= 2.0 for f in res.faces), name


def test_a_face_stored_before_detectors_were_recorded_reads_as_hog() -> None:
    assert found_by({"inter_eye_px": 40.0, "sharpness": 90.0}) == ("hog", None)
    assert found_by({"detector": "cnn", "detection_scale": 2.0}) == ("cnn", 2.0)


def test_no_face_at_all_runs_every_pass_and_finds_nothing(engine: FaceEngine) -> None:
    grey = np.full((120, 160, 3), 128, np.uint8)
    assert engine.detect(grey) == []


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 700, 3)])
def test_degenerate_images_do_not_crash_the_hard_path(
    engine: FaceEngine, shape: tuple[int, int, int]
) -> None:
    assert engine.detect(np.zeros(shape, np.uint8)) == []
