"""Data model of a found face: box, landmarks, quality and embedding (plain, picklable)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

MODEL_NAME = "dlib_face_recognition_resnet_model_v1"
"""Embedding model: dlib's ResNet, 128-d, aligned with the 5-point shape predictor (150 px chip,
padding 0.25, one jitter) — the pipeline of ``face_recognition`` 1.3.0."""

EMBEDDING_DIM = 128


class Box(NamedTuple):
    """Face box in pixels of the oriented image, ``face_recognition``'s css order."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def iou(self, other: Box) -> float:
        """Intersection over union of two boxes (0 when disjoint)."""
        ih = min(self.bottom, other.bottom) - max(self.top, other.top)
        iw = min(self.right, other.right) - max(self.left, other.left)
        if ih <= 0 or iw <= 0:
            return 0.0
        inter = ih * iw
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Quality:
    """How usable a face is for matching.

    ``inter_eye_px``: distance between eye centres in original pixels; ``sharpness``: variance of
    the Laplacian of the gray aligned 150x150 chip; ``yaw_deg``: rough head yaw from the 5
    landmarks (0 frontal, sign: nose towards image right is positive); ``brightness``: mean gray
    level 0..255 of the chip.
    """

    inter_eye_px: float
    sharpness: float
    yaw_deg: float
    brightness: float

    def score(self) -> float:
        """One number to pick the best view of a person (bigger is better)."""
        size = min(self.inter_eye_px / 60.0, 1.0)
        sharp = min(self.sharpness / 300.0, 1.0)
        pose = max(0.0, math.cos(math.radians(min(abs(self.yaw_deg), 90.0))))
        light = 1.0 - min(abs(self.brightness - 128.0) / 128.0, 1.0) * 0.5
        return size * (0.5 + 0.5 * sharp) * pose * light

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Quality:
        """The quality of a stored face (its JSON may also say which detector found it)."""
        return cls(**{k: float(stored[k]) for k in QUALITY_KEYS})

    def to_dict(self) -> dict[str, float]:
        return {
            "inter_eye_px": round(self.inter_eye_px, 2),
            "sharpness": round(self.sharpness, 2),
            "yaw_deg": round(self.yaw_deg, 2),
            "brightness": round(self.brightness, 2),
        }


QUALITY_KEYS = ("inter_eye_px", "sharpness", "yaw_deg", "brightness")


def found_by(stored: dict[str, Any]) -> tuple[str, float | None]:
    """Which detector found a stored face and at which scale (detection pixels per original
    pixel), from its quality JSON. Faces stored before detectors were recorded were all found
    by HOG (the only detector then), at a scale not recorded: ``("hog", None)``."""
    scale = stored.get("detection_scale")
    return str(stored.get("detector", "hog")), float(scale) if scale is not None else None


def found_by_label(stored: dict[str, Any]) -> str:
    """``found_by`` as shown to an analyst: "cnn x2", "hog x4", "hog" (scale not recorded)."""
    detector, scale = found_by(stored)
    return detector if scale is None else f"{detector} x{scale:.3g}"


@dataclass(frozen=True, eq=False)
class Face:
    """One face found in an image (or a video frame)."""

    box: Box
    landmarks: tuple[tuple[int, int], ...]
    embedding: np.ndarray = field(repr=False)  # float32[128]
    quality: Quality
    model: str = MODEL_NAME
    detector: str = "hog"  # matching.detect.HOG or CNN: the detector that found it
    scale: float = 1.0  # detection pixels per original pixel where it was found

    def stored_quality(self) -> dict[str, Any]:
        """What a face record keeps in its ``quality`` JSON: the measures and which detector
        found the face at which scale (a field of that JSON, not a column: an audited row's
        digest covers every column, so a new column would make every face of an older vault
        look edited to ``custos verify``)."""
        return {**self.quality.to_dict(), "detector": self.detector, "detection_scale": self.scale}

    def crop(self, rgb: np.ndarray, margin: float = 0.25) -> np.ndarray:
        """The box enlarged by ``margin`` on each side, clipped to the image (a copy)."""
        h, w = rgb.shape[:2]
        mx, my = int(self.box.width * margin), int(self.box.height * margin)
        top, bottom = max(0, self.box.top - my), min(h, self.box.bottom + my)
        left, right = max(0, self.box.left - mx), min(w, self.box.right + mx)
        return np.ascontiguousarray(rgb[top:bottom, left:right])

    def crop_jpeg(self, rgb: np.ndarray, margin: float = 0.25, quality: int = 92) -> bytes:
        """The crop encoded as JPEG (what the vault stores as the face's blob)."""
        return encode_jpeg(self.crop(rgb, margin), quality)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (embedding omitted)."""
        return {
            "box": list(self.box),
            "landmarks": [list(p) for p in self.landmarks],
            "quality": self.quality.to_dict(),
            "model": self.model,
            "detector": self.detector,
            "detection_scale": self.scale,
        }


def encode_jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    """JPEG bytes of an RGB array (empty arrays encode a 1x1 black pixel)."""
    import cv2  # here, not at the top: listing stored faces needs no OpenCV

    if rgb.size == 0:
        rgb = np.zeros((1, 1, 3), np.uint8)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 array
        raise RuntimeError("JPEG encoding failed")
    return bytes(buf)


_NOSE_DEPTH = 0.6  # nose base depth in front of the eye line, as a fraction of inter-eye distance


def measure_quality(landmarks: np.ndarray, chip: np.ndarray) -> Quality:
    """Quality from the 5 landmarks (original pixels) and the aligned 150x150 RGB chip.

    dlib's 5-point model: points 0-1 corners of one eye, 2-3 corners of the other, 4 nose base.
    """
    import cv2

    pts = landmarks.astype(np.float64)
    eye_a, eye_b, nose = pts[0:2].mean(axis=0), pts[2:4].mean(axis=0), pts[4]
    axis = eye_b - eye_a
    inter_eye = float(np.hypot(*axis))
    if inter_eye > 0:
        unit = axis / inter_eye
        offset = float(np.dot(nose - (eye_a + eye_b) / 2.0, unit))
        yaw = math.degrees(math.atan2(offset, _NOSE_DEPTH * inter_eye))
        if unit[0] < 0:  # eye order flipped in the image: keep the sign convention
            yaw = -yaw
    else:
        yaw = 0.0
    gray = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    sharpness = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    return Quality(
        inter_eye_px=inter_eye,
        sharpness=sharpness,
        yaw_deg=yaw,
        brightness=float(gray.mean()),
    )
