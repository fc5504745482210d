"""Face detection and encoding with dlib, models loaded once per :class:`FaceEngine`.

Pipeline per image: HOG detection on a grayscale copy scaled so that its longest side is at most
``max_side`` (800) pixels and then upsampled ``upsample`` times (1) — done as one OpenCV resize to
the detection scale rather than dlib's internal pyramid-up, which is cheaper and finds the same
faces; boxes are scaled back; 5-point landmarks, the aligned chip and the 128-d embedding are
computed on the ORIGINAL pixels. This reproduces ``face_recognition``'s defaults (HOG, upsample 1,
5-point model, one jitter) at a fraction of the detection cost on large photos.

Hard faces (issue 13). That first HOG pass is the fast path: when it finds a face of at least
:data:`WELL_SIZED_PX` (box width, original pixels) the photo is done. Otherwise -- nothing found,
or only tiny faces -- two more passes look for what it missed, and each face found keeps which
pass found it (:attr:`Face.detector`, :attr:`Face.scale`):

1. HOG again on an ENLARGED copy: up to :data:`ENLARGE_MAX` x the original pixels (a 150 x 150
   thumbnail becomes 600 x 600), within :data:`HOG_BUDGET_PX` detection pixels, when that is
   finer than the first pass. HOG's 80-pixel window then covers faces of 20 original pixels.
2. dlib's CNN face detector (``mmod_human_face_detector.dat``, checked like the other model
   files) on a copy of at most :data:`CNN_BUDGET_PX` pixels (enlarged up to 2x): it finds faces
   in profile, low light and low resolution that HOG misses, at ~7 us per pixel of CPU, which is
   why it never runs where HOG already found a well-sized face. It runs when neither HOG pass
   found anything, or when they found only tiny faces in an image small enough for the CNN to
   see at full resolution (a large photo shrunk to its budget would show it tiny faces smaller
   still).

Faces of a later pass that overlap one already found (box IoU >= 0.3) are dropped. Video frames
are sampled at 2 per second and detected with ``hard=False`` (the fast path only): a CNN pass on
every faceless frame would cost more than the video.
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
    CNN_DETECTOR_SHA256,
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

WELL_SIZED_PX = 48
"""A face box at least this wide (original pixels) found by the first HOG pass ends detection
(the fast path): about 20 pixels between the eyes, the enrolment minimum."""

ENLARGE_MAX = 4.0
"""The hard path's HOG pass enlarges an image at most this much (detection/original pixels)."""

HOG_BUDGET_PX = 4_000_000
"""Detection pixels of the enlarged HOG pass at most (~0.5 s of one core)."""

CNN_BUDGET_PX = 250_000
"""Pixels the CNN detector sees at most (500 x 500; ~2 s of one core, ~7 us per pixel)."""

CNN_ENLARGE_MAX = 2.0
"""The CNN pass enlarges a small image at most this much."""

HOG, CNN, HAND = "hog", "cnn", "hand"
"""Names of the two detectors, and of a box drawn by hand (``matching.curation.draw_face``), as
recorded with each face (:attr:`Face.detector`)."""


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


def cnn_detector() -> Any:
    """dlib's CNN face detector (MMOD) from the models package, checked against its digest."""
    return load_model(
        face_recognition_models.cnn_face_detector_model_location(),
        CNN_DETECTOR_SHA256,
        dlib.cnn_face_detection_model_v1,
    )


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
        hard_faces: bool = True,
    ) -> None:
        self.max_side = max_side
        self.hard_faces = hard_faces  # the default of detect(hard=...)
        self.upsample = upsample
        self.gray_detection = gray_detection
        self.num_jitters = num_jitters
        self._detector, self._shapes, self._encoder = _take_models()
        self._cnn: Any = None  # loaded on first use: the fast path never needs it

    # -- detection ------------------------------------------------------------------------------

    def detection_scale(self, height: int, width: int) -> float:
        """Factor from original pixels to the pixels HOG runs on."""
        longest = max(height, width)
        down = min(1.0, self.max_side / longest) if longest else 1.0
        return down * (2.0**self.upsample)

    def _hog(self, gray: np.ndarray, scale: float) -> list[tuple[dlib.rectangle, str, float]]:
        """HOG on ``gray`` resized by ``scale``; boxes in original pixels."""
        h, w = gray.shape[:2]
        src = gray
        if scale != 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
            src = cv2.resize(gray, size, interpolation=interp)
        return [(_unscale(r, scale), HOG, scale) for r in self._detector(src, 0)]

    def _cnn_pass(self, rgb: np.ndarray) -> list[tuple[dlib.rectangle, str, float]]:
        """The CNN detector on a copy of at most :data:`CNN_BUDGET_PX` pixels."""
        if self._cnn is None:
            self._cnn = cnn_detector()
        h, w = rgb.shape[:2]
        scale = min(CNN_ENLARGE_MAX, (CNN_BUDGET_PX / max(1, h * w)) ** 0.5)
        src = rgb
        if scale != 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
            src = cv2.resize(rgb, size, interpolation=interp)
        if min(src.shape[:2]) < 20:  # no face fits (and dlib's convolutions refuse it)
            return []
        return [(_unscale(d.rect, scale), CNN, scale) for d in self._cnn(src, 0)]

    def _rects(self, rgb: np.ndarray, hard: bool = True) -> list[tuple[dlib.rectangle, str, float]]:
        """Face boxes with the detector and scale that found each (see the module docstring)."""
        h, w = rgb.shape[:2]
        scale = self.detection_scale(h, w)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if self.gray_detection else rgb
        found = self._hog(gray, scale)
        if not hard or any(r.width() >= WELL_SIZED_PX for r, _, _ in found):
            return found
        finer = min(ENLARGE_MAX, (HOG_BUDGET_PX / max(1, h * w)) ** 0.5)
        if finer > scale * 1.25:
            found = _merge(found, self._hog(gray, finer))
            if any(r.width() >= WELL_SIZED_PX for r, _, _ in found):
                return found
        if found and h * w > CNN_BUDGET_PX:  # the CNN would see tiny faces smaller still
            return found
        return _merge(found, self._cnn_pass(rgb))

    # -- encoding -------------------------------------------------------------------------------

    def _face(
        self, rgb: np.ndarray, rect: dlib.rectangle, detector: str = HOG, scale: float = 1.0
    ) -> Face:
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
            detector=detector,
            scale=round(scale, 3),
        )

    def detect(self, rgb: np.ndarray, *, hard: bool | None = None) -> list[Face]:
        """Every face in an RGB ``uint8`` image, ordered left to right then top to bottom.

        ``hard=False``: the first HOG pass only (video frames; ``faces detect
        --no-hard-faces``); None: the engine's ``hard_faces``."""
        rgb = _as_rgb(rgb)
        hard = self.hard_faces if hard is None else hard
        faces = [self._face(rgb, r, d, s) for r, d, s in self._rects(rgb, hard)]
        return sorted(faces, key=lambda f: (f.box.left, f.box.top))


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB array, got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(rgb)


def _unscale(r: dlib.rectangle, scale: float) -> dlib.rectangle:
    return dlib.rectangle(
        round(r.left() / scale),
        round(r.top() / scale),
        round(r.right() / scale),
        round(r.bottom() / scale),
    )


def _merge(
    first: list[tuple[dlib.rectangle, str, float]], more: list[tuple[dlib.rectangle, str, float]]
) -> list[tuple[dlib.rectangle, str, float]]:
    """``first`` plus the boxes of ``more`` that overlap none of them (IoU < 0.3)."""
    out = list(first)
    for cand in more:
        box = _box(cand[0])
        if all(box.iou(_box(kept[0])) < 0.3 for kept in out):
            out.append(cand)
    return out


def _box(r: dlib.rectangle) -> Box:
    return Box(top=r.top(), right=r.right(), bottom=r.bottom(), left=r.left())


def _clip(rect: dlib.rectangle, height: int, width: int) -> Box:
    return Box(
        top=max(int(rect.top()), 0),
        right=min(int(rect.right()), width),
        bottom=min(int(rect.bottom()), height),
        left=max(int(rect.left()), 0),
    )
