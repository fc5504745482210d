"""Faces in video: sample frames, detect, and link sightings of one person into tracks.

Frames are sampled at ``fps`` (default 2) by grabbing every frame and decoding only the sampled
ones. Faces in consecutive sampled frames are linked greedily, closest embedding first, when the
embedding distance is under ``max_distance`` (0.5) or the boxes overlap (IoU >= ``min_iou``) with a
distance under ``face_recognition``'s 0.6. A track may skip ``max_gap`` sampled frames (a missed
detection). Each track keeps its time range, its best sighting (highest quality score) and the
mean embedding of its sightings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from matching.detect import FaceEngine
from matching.errors import VideoError
from matching.faces import Face


@dataclass(frozen=True)
class Sighting:
    time: float
    face: Face


@dataclass(frozen=True, eq=False)
class Track:
    """One person seen in consecutive sampled frames."""

    track_id: int
    start: float
    end: float
    best_time: float
    best_face: Face
    best_crop: bytes = field(repr=False)
    mean_embedding: np.ndarray = field(repr=False)
    sightings: tuple[Sighting, ...] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "track": self.track_id,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "best_time": round(self.best_time, 3),
            "sightings": len(self.sightings),
            **self.best_face.to_dict(),
        }


def read_video_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Container facts OpenCV exposes: ``width``, ``height``, ``fps``, ``frames``, ``duration``
    (seconds) and ``codec`` (FourCC). Raises :class:`VideoError` if it cannot be opened."""
    name = os.fspath(path)
    cap = cv2.VideoCapture(name)
    try:
        if not cap.isOpened():
            raise VideoError(name, "not a video OpenCV can decode")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        codec = fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ")
        return {
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(fps, 3),
            "frames": frames,
            "duration": round(frames / fps, 3) if fps > 0 else None,
            "codec": codec or None,
        }
    finally:
        cap.release()


def sample_frames(
    path: str | os.PathLike[str], fps: float = 2.0
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(seconds, rgb)`` for frames ``1/fps`` apart. Raises :class:`VideoError` when the
    file cannot be opened or no frame at all decodes."""
    name = os.fspath(path)
    if fps <= 0:
        raise ValueError("fps must be positive")
    cap = cv2.VideoCapture(name)
    try:
        if not cap.isOpened():
            raise VideoError(name, "not a video OpenCV can decode")
        native = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if native <= 0 or native > 1000:
            native = 25.0
        step = 1.0 / fps
        index, next_time, decoded = 0, 0.0, 0
        while cap.grab():
            t = index / native
            index += 1
            if t + 1e-9 < next_time:
                continue
            ok, bgr = cap.retrieve()
            if not ok or bgr is None:
                continue
            decoded += 1
            next_time += step * max(1, int((t - next_time) // step) + 1)
            yield t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if decoded == 0:
            raise VideoError(name, "no frame could be decoded")
    finally:
        cap.release()


@dataclass
class _Open:
    sightings: list[Sighting]
    last_index: int


def link_tracks(
    frames: list[tuple[float, list[Face]]],
    *,
    max_distance: float = 0.5,
    min_iou: float = 0.3,
    max_gap: int = 1,
) -> list[list[Sighting]]:
    """Group per-frame faces into tracks (lists of sightings), see the module docstring."""
    finished: list[list[Sighting]] = []
    active: list[_Open] = []
    for index, (t, faces) in enumerate(frames):
        still = [tr for tr in active if index - tr.last_index <= max_gap + 1]
        finished += [tr.sightings for tr in active if tr not in still]
        active = still
        pairs: list[tuple[float, int, int]] = []
        for ti, tr in enumerate(active):
            last = tr.sightings[-1].face
            for fi, face in enumerate(faces):
                dist = float(np.linalg.norm(last.embedding - face.embedding))
                overlap = last.box.iou(face.box)
                if dist < max_distance or (overlap >= min_iou and dist < 0.6):
                    pairs.append((dist, ti, fi))
        used_t: set[int] = set()
        used_f: set[int] = set()
        for _, ti, fi in sorted(pairs):
            if ti in used_t or fi in used_f:
                continue
            used_t.add(ti)
            used_f.add(fi)
            active[ti].sightings.append(Sighting(t, faces[fi]))
            active[ti].last_index = index
        for fi, face in enumerate(faces):
            if fi not in used_f:
                active.append(_Open([Sighting(t, face)], index))
    finished += [tr.sightings for tr in active]
    return sorted(finished, key=lambda s: (s[0].time, s[0].face.box.left))


def merge_reappearances(
    tracks: list[list[Sighting]], max_distance: float = 0.5
) -> list[list[Sighting]]:
    """Join tracks of the same person cut apart by a camera cut or a missed detection.

    Two tracks merge when they do not overlap in time and their mean embeddings lie within
    ``max_distance``; the closest pair merges first, so a clip gives one entry per person.
    """
    groups = [list(t) for t in tracks]

    def mean(g: list[Sighting]) -> np.ndarray:
        return np.mean(np.stack([s.face.embedding for s in g]), axis=0)

    def disjoint(a: list[Sighting], b: list[Sighting]) -> bool:
        return a[-1].time < b[0].time or b[-1].time < a[0].time

    while True:
        means = [mean(g) for g in groups]
        best: tuple[float, int, int] | None = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                d = float(np.linalg.norm(means[i] - means[j]))
                if (
                    d < max_distance
                    and disjoint(groups[i], groups[j])
                    and (not best or d < best[0])
                ):
                    best = (d, i, j)
        if best is None:
            return sorted(groups, key=lambda g: (g[0].time, g[0].face.box.left))
        _, i, j = best
        groups[i] = sorted(groups[i] + groups[j], key=lambda s: s.time)
        del groups[j]


def track_video(
    path: str | os.PathLike[str],
    engine: FaceEngine,
    *,
    fps: float = 2.0,
    max_distance: float = 0.5,
    cancel: Callable[[], bool] | None = None,
) -> list[Track]:
    """Sample, detect and link: one :class:`Track` per person-appearance in the video."""
    frames: list[tuple[float, list[Face]]] = []
    best_pixels: dict[int, np.ndarray] = {}
    for t, rgb in sample_frames(path, fps):
        if cancel is not None and cancel():
            break
        faces = engine.detect(rgb)
        for f in faces:
            best_pixels[id(f)] = f.crop(rgb)  # keep only small crops, not frames
        frames.append((t, faces))
    from matching.faces import encode_jpeg

    tracks: list[Track] = []
    linked = merge_reappearances(link_tracks(frames, max_distance=max_distance), max_distance)
    for n, sightings in enumerate(linked, start=1):
        best = max(sightings, key=lambda s: s.face.quality.score())
        mean = np.mean(np.stack([s.face.embedding for s in sightings]), axis=0)
        tracks.append(
            Track(
                track_id=n,
                start=sightings[0].time,
                end=sightings[-1].time,
                best_time=best.time,
                best_face=best.face,
                best_crop=encode_jpeg(best_pixels[id(best.face)]),
                mean_embedding=mean.astype(np.float32),
                sightings=tuple(sightings),
            )
        )
    return tracks
