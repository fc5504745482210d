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
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

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
    """Container facts: ``width``, ``height``, ``fps``, ``frames``, ``duration`` (seconds) and
    ``codec`` (FourCC) from OpenCV, plus, for MP4/MOV files that record them, ``captured_at``
    (ISO 8601 UTC, from ``moov/mvhd`` creation time) and ``gps_lat``/``gps_lon`` (and
    ``gps_alt`` in metres when given) from ``moov/udta/\u00a9xyz`` (see
    :func:`read_mp4_metadata`). Raises :class:`VideoError` if OpenCV cannot open the file."""
    name = os.fspath(path)
    cap = cv2.VideoCapture(name)
    try:
        if not cap.isOpened():
            raise VideoError(name, "not a video OpenCV can decode")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        codec = fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ")
        meta: dict[str, Any] = {
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(fps, 3),
            "frames": frames,
            "duration": round(frames / fps, 3) if fps > 0 else None,
            "codec": codec or None,
        }
    finally:
        cap.release()
    meta.update(read_mp4_metadata(name))
    return meta


# -- ISO-BMFF (MP4 / QuickTime) container metadata -----------------------------------------------

_MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
_MAX_MOOV = 64 << 20  # a moov box larger than this is not read (damaged or hostile file)
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?")


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, payload end)`` of the boxes in ``data[start:end]``; stops at the
    first malformed header."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size


def _read_moov(fh: BinaryIO) -> bytes | None:
    """The payload of the top-level ``moov`` box, seeking over ``mdat`` and other boxes."""
    fh.seek(0, os.SEEK_END)
    file_size = fh.tell()
    pos = 0
    while pos + 8 <= file_size:
        fh.seek(pos)
        head = fh.read(16)
        if len(head) < 8:
            return None
        size = int.from_bytes(head[:4], "big")
        header = 8
        if size == 1:
            if len(head) < 16:
                return None
            size, header = int.from_bytes(head[8:16], "big"), 16
        elif size == 0:
            size = file_size - pos
        if size < header or pos + size > file_size:
            return None
        if head[4:8] == b"moov":
            if size - header > _MAX_MOOV:
                return None
            fh.seek(pos + header)
            payload = fh.read(size - header)
            return payload if len(payload) == size - header else None
        pos += size
    return None


def _creation_time(mvhd: bytes) -> str | None:
    if len(mvhd) < 4:
        return None
    version = mvhd[0]
    if version == 1 and len(mvhd) >= 12:
        seconds = int.from_bytes(mvhd[4:12], "big")
    elif version == 0 and len(mvhd) >= 8:
        seconds = int.from_bytes(mvhd[4:8], "big")
    else:
        return None
    if seconds == 0:
        return None  # "not set" in practice
    try:
        when = _MP4_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None
    return when.isoformat()


def _iso6709_part(text: str, degree_digits: int) -> float:
    """One ISO 6709 coordinate: decimal degrees, or degrees+minutes[+seconds] packed."""
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole = body.split(".")[0]
    if len(whole) <= degree_digits:
        return sign * float(body)
    if len(whole) == degree_digits + 2:  # DDMM.mmm
        return sign * (float(whole[:degree_digits]) + float(body[degree_digits:]) / 60)
    if len(whole) == degree_digits + 4:  # DDMMSS.sss
        deg, mins = float(whole[:degree_digits]), float(whole[degree_digits : degree_digits + 2])
        return sign * (deg + mins / 60 + float(body[degree_digits + 2 :]) / 3600)
    raise ValueError(f"not an ISO 6709 coordinate: {text!r}")


def parse_iso6709(text: str) -> dict[str, float] | None:
    """``+48.8584+002.2945+035.000/`` -> ``{"gps_lat": .., "gps_lon": .., "gps_alt": ..}``."""
    m = _ISO6709.match(text.strip())
    if not m:
        return None
    try:
        lat, lon = _iso6709_part(m.group(1), 2), _iso6709_part(m.group(2), 3)
    except ValueError:
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    out = {"gps_lat": round(lat, 7), "gps_lon": round(lon, 7)}
    if m.group(3):
        out["gps_alt"] = float(m.group(3))
    return out


def _xyz_text(payload: bytes) -> str:
    """The string of a QuickTime ``\u00a9xyz`` user-data atom (16-bit length, 16-bit language,
    text), or of an iTunes-style atom wrapping a ``data`` box."""
    for kind, a, b in _boxes(payload):
        if kind == b"data" and b - a >= 8:
            return payload[a + 8 : b].decode("utf-8", "replace")
    if len(payload) >= 4:
        length = int.from_bytes(payload[:2], "big")
        if 0 < length <= len(payload) - 4:
            return payload[4 : 4 + length].decode("utf-8", "replace")
    return payload.decode("utf-8", "replace")


def read_mp4_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``captured_at`` and GPS from an MP4/MOV file's own boxes (no decoder needed).

    ``captured_at`` is ``moov/mvhd`` creation time (seconds since 1904-01-01 UTC, version 0 or 1;
    0 means unset and is ignored). GPS is the ISO 6709 string of ``moov/udta/\u00a9xyz``. Any
    other file, or a damaged one, gives an empty dict or only the fields that could be read;
    nothing is raised.
    """
    meta: dict[str, Any] = {}
    try:
        with open(path, "rb") as fh:
            moov = _read_moov(fh)
        if moov is None:
            return meta
        for kind, a, b in _boxes(moov):
            if kind == b"mvhd":
                when = _creation_time(moov[a:b])
                if when:
                    meta["captured_at"] = when
            elif kind == b"udta":
                for sub, c, d in _boxes(moov, a, b):
                    if sub == b"\xa9xyz":
                        gps = parse_iso6709(_xyz_text(moov[c:d]))
                        if gps:
                            meta.update(gps)
    except Exception:  # a damaged container loses its optional fields, never the item
        pass
    return meta


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
        faces = engine.detect(rgb, hard=False)  # sampled frames: the fast path only
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
