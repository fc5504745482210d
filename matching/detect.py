"""Face detection and encoding with dlib, models loaded once per :class:`FaceEngine`.

Pipeline per image: HOG detection on a grayscale copy scaled so that its longest side is at most
``max_side`` (800) pixels and then upsampled ``upsample`` times (1) — done as one OpenCV resize to
the detection scale rather than dlib's internal pyramid-up, which is cheaper and finds the same
faces; boxes are scaled back; 5-point landmarks, the aligned chip and the 128-d embedding are
computed on the ORIGINAL pixels. This reproduces ``face_recognition``'s defaults (HOG, upsample 1,
5-point model, one jitter) at a fraction of the detection cost on large photos.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import dlib
import face_recognition_models
import numpy as np

from matching.faces import MODEL_NAME, Box, Face, measure_quality
from matching.modelfiles import (
    HOG_DETECTOR_SHA256,
    RESNET_MODEL_SHA256,
    SHAPE_PREDICTOR_SHA256,
    load_checked,
    load_model,
)
from vault.errors import IntegrityFault

MODEL_VERSION = f"dlib {dlib.__version__}"
"""Version of the library that ran :data:`MODEL_NAME`; recorded with every embedding."""

CHIP_SIZE = 150
CHIP_PADDING = 0.25

_HOG_FILE = f"frontal_face_detector-dlib-{dlib.__version__}.svm"


class Models(NamedTuple):
    """The three dlib models an engine runs (not thread-safe: one set per engine)."""

    detector: Any  # dlib.fhog_object_detector
    shapes: Any  # dlib.shape_predictor (5 points)
    encoder: Any  # dlib.face_recognition_model_v1


def cache_dir() -> Path:
    """Where the serialised HOG detector is kept (``CUSTOS_CACHE_DIR`` overrides)."""
    env = os.environ.get("CUSTOS_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("custos"))


def hog_detector() -> Any:
    """dlib's frontal face detector (the one ``face_recognition`` uses), from a cached file.

    ``dlib.get_frontal_face_detector()`` rebuilds the detector from text compiled into dlib, which
    costs ~0.25 s per process; loading the same detector saved with ``save()`` costs ~1 ms. The
    cached file is used only when its content has the SHA-256 shipped for this dlib version
    (:data:`matching.modelfiles.HOG_DETECTOR_SHA256`), never a hash taken from the file or its
    name; otherwise it is discarded and rebuilt from dlib's own detector.
    """
    expected = HOG_DETECTOR_SHA256.get(dlib.__version__)
    if expected is None:  # no digest shipped for this dlib: no cache
        return dlib.get_frontal_face_detector()
    path = cache_dir() / _HOG_FILE
    try:
        return load_checked(path, expected, dlib.fhog_object_detector, "cached HOG detector")
    except (IntegrityFault, OSError, RuntimeError):
        pass  # missing, or not dlib's own: rebuilt below
    detector = dlib.get_frontal_face_detector()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hog-", suffix=".tmp")
        os.close(fd)
        try:
            detector.save(tmp)
            if hashlib.sha256(Path(tmp).read_bytes()).hexdigest() == expected:
                os.replace(tmp, path)
            else:  # this build of dlib saves it differently: keep no cache
                path.unlink(missing_ok=True)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, RuntimeError):
        pass  # no cache: the next process rebuilds it too
    return detector


def load_models() -> Models:
    """Load a fresh set of models: HOG detector, 5-point predictor and ResNet only (not the
    68-point predictor or the CNN detector that ``import face_recognition`` also loads).

    Each file is checked against the digest shipped with Custos (:mod:`matching.modelfiles`):
    ``IntegrityFault`` if a model file was altered or replaced.
    """
    return Models(
        hog_detector(),
        load_model(
            face_recognition_models.pose_predictor_five_point_model_location(),
            SHAPE_PREDICTOR_SHA256,
            dlib.shape_predictor,
        ),
        load_model(
            face_recognition_models.face_recognition_model_location(),
            RESNET_MODEL_SHA256,
            dlib.face_recognition_model_v1,
        ),
    )


_PRELOADED: list[Models] = []


def preload_models() -> None:
    """Load one set of models now for the next :class:`FaceEngine` made in this process.

    The detection fork server calls this once, so every worker forked from it starts with the
    models already in memory (see :mod:`matching.parallel`). A model file that fails its check
    is not preloaded (the server must live on): the pool refuses it in the calling process.
    """
    if not _PRELOADED:
        with contextlib.suppress(IntegrityFault):
            _PRELOADED.append(load_models())


def _take_models() -> Models:
    try:
        return _PRELOADED.pop()  # atomic: a preloaded set goes to one engine only
    except IndexError:
        return load_models()


class FaceEngine:
    """Detector, shape predictor and ResNet encoder, loaded once.

    Not thread-safe (dlib objects); use one engine per process (see :mod:`matching.parallel`).
    """

    model_name = MODEL_NAME
    model_version = MODEL_VERSION

    def __init__(
        self,
        *,
        max_side: int = 800,
        upsample: int = 1,
        gray_detection: bool = True,
        num_jitters: int = 1,
    ) -> None:
        self.max_side = max_side
        self.upsample = upsample
        self.gray_detection = gray_detection
        self.num_jitters = num_jitters
        self._detector, self._shapes, self._encoder = _take_models()

    # -- detection ------------------------------------------------------------------------------

    def detection_scale(self, height: int, width: int) -> float:
        """Factor from original pixels to the pixels HOG runs on."""
        longest = max(height, width)
        down = min(1.0, self.max_side / longest) if longest else 1.0
        return down * (2.0**self.upsample)

    def _rects(self, rgb: np.ndarray) -> list[dlib.rectangle]:
        h, w = rgb.shape[:2]
        scale = self.detection_scale(h, w)
        src = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if self.gray_detection else rgb
        if scale != 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
            src = cv2.resize(src, size, interpolation=interp)
        found = self._detector(src, 0)
        return [
            dlib.rectangle(
                round(r.left() / scale),
                round(r.top() / scale),
                round(r.right() / scale),
                round(r.bottom() / scale),
            )
            for r in found
        ]

    # -- encoding -------------------------------------------------------------------------------

    def _face(self, rgb: np.ndarray, rect: dlib.rectangle) -> Face:
        h, w = rgb.shape[:2]
        shape = self._shapes(rgb, rect)
        chip = dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        vec = self._encoder.compute_face_descriptor(chip, self.num_jitters)
        pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.int64)
        return Face(
            box=_clip(rect, h, w),
            landmarks=tuple((int(x), int(y)) for x, y in pts),
            embedding=np.asarray(vec, dtype=np.float32),
            quality=measure_quality(pts, chip),
        )

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Every face in an RGB ``uint8`` image, ordered left to right then top to bottom."""
        rgb = _as_rgb(rgb)
        faces = [self._face(rgb, r) for r in self._rects(rgb)]
        return sorted(faces, key=lambda f: (f.box.left, f.box.top))


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB array, got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(rgb)


def _clip(rect: dlib.rectangle, height: int, width: int) -> Box:
    return Box(
        top=max(int(rect.top()), 0),
        right=min(int(rect.right()), width),
        bottom=min(int(rect.bottom()), height),
        left=max(int(rect.left()), 0),
    )
