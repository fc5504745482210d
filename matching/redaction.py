"""Redacted copies: every face blurred except those the analyst keeps, as a new derived item.

A photo is decoded (EXIF orientation applied), each face box not kept is padded by
``PAD`` of its size on every side and blurred beyond recognition (pixelated to at most
``CELLS`` cells across, smoothed at that scale and enlarged bilinearly), and the result is
encoded as a new file: JPEG (quality 92) or PNG for a PNG original. No metadata of the
original travels (no EXIF, no GPS).

A video is read frame by frame; each face track not kept is blurred in every frame from its
first to its last sighting (plus ``TIME_PAD`` seconds either side, the sampling interval of
detection), its box linearly interpolated between the sampled frames detection recorded
(``track_boxes``), padded like a photo's. The frames are decoded with OpenCV (as detection
decodes them, so the boxes fit) and piped raw to the FFmpeg program of the imageio-ffmpeg package
(``matching.encoder``: found in the package, hashed against a digest shipped here), which encodes
them as H.264 (libx264, ``X264_PRESET``, CRF ``X264_CRF``) in MP4 at the original size and frame
rate, and copies the original's audio streams into it as they are (re-encoded as AAC only when
MP4 cannot carry their codec), shifted as in the original. No metadata of the original travels
(no title, date or location). No clear frame touches a disk: the decrypted original is in
anonymous memory (``plain_copy``), frames go through a pipe, the MP4 is written in a private
folder in ``/dev/shm`` (RAM) removed at once.

Faces discarded as false detections are not blurred; boxes drawn by hand are. The copy is a new
item of the same case (``vault.items.record_derived``): its own SHA-256, an encrypted blob, an
"acquired" event naming the original and the faces kept, and a "redacted" event on the original,
which never changes. Kept faces must belong to the item.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
from sqlalchemy import select

from matching.curation import live
from matching.encoder import checked_ffmpeg
from matching.errors import MatchingError
from matching.mediakind import media_kind
from matching.models import FaceRecord, MediaInfo, TrackBoxes
from vault.errors import Cancelled, UserError
from vault.fsutil import plain_copy
from vault.jobs import CancelToken, Emit, Progress
from vault.models import Item
from vault.session import Session

PAD = 0.25  # of the box's width/height added on every side
CELLS = 8  # at most this many blocks across a blurred face
TIME_PAD = 0.5  # seconds a track's blur starts before its first and ends after its last sighting
X264_PRESET = "veryfast"  # see PERFORMANCE "Redaction"
X264_CRF = 18  # visually lossless for the parts not blurred
MP4_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}  # copied as they are
BoxT = tuple[int, int, int, int]  # top, right, bottom, left (face_recognition order)


def blur_boxes(image: np.ndarray, boxes: Sequence[BoxT], pad: float = PAD) -> None:
    """Blur each box (padded, clipped to the image) of an ``(H, W, 3)`` array in place."""
    h, w = image.shape[:2]
    for top, right, bottom, left in boxes:
        bw, bh = right - left, bottom - top
        if bw <= 0 or bh <= 0:
            continue
        t, b = max(0, int(top - pad * bh)), min(h, int(bottom + pad * bh))
        lft, r = max(0, int(left - pad * bw)), min(w, int(right + pad * bw))
        if b <= t or r <= lft:
            continue
        roi = image[t:b, lft:r]
        cw = max(1, min(CELLS, r - lft))
        ch = max(1, round(cw * (b - t) / (r - lft)))
        small = cv2.resize(roi, (cw, ch), interpolation=cv2.INTER_AREA)
        # smoothed at the small scale (a large kernel on the full box cost 25 ms a face), then
        # enlarged bilinearly: soft blocks with no edge left between them
        small = cv2.GaussianBlur(small, (3, 3), 0)
        roi[:] = cv2.resize(small, (r - lft, b - t), interpolation=cv2.INTER_LINEAR)


def box_at(track: Sequence[Sequence[float]], t: float, time_pad: float = TIME_PAD) -> BoxT | None:
    """A track's box at time ``t`` (``track``: ``[time, top, right, bottom, left]`` per sampled
    frame, in time order): interpolated between sightings, the nearest one within
    ``time_pad`` outside them, else None."""
    if not track or t < track[0][0] - time_pad or t > track[-1][0] + time_pad:
        return None
    if t <= track[0][0]:
        return _box(track[0][1:])
    if t >= track[-1][0]:
        return _box(track[-1][1:])
    times = [s[0] for s in track]
    i = int(np.searchsorted(times, t))  # times[i-1] < t <= times[i]
    a, b = track[i - 1], track[i]
    f = (t - a[0]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
    return _box([a[k] + f * (b[k] - a[k]) for k in range(1, 5)])


def _box(v: Sequence[float]) -> BoxT:
    return (round(v[0]), round(v[1]), round(v[2]), round(v[3]))


def redact_image(data: bytes, name: str, boxes: Sequence[BoxT]) -> tuple[bytes, str]:
    """The photo with ``boxes`` blurred, encoded; returns (bytes, suffix)."""
    from matching.images import load_rgb

    rgb = load_rgb(data, name=name)
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    blur_boxes(bgr, boxes)
    png = PurePosixPath(name).suffix.lower() == ".png"
    ok, buf = cv2.imencode(
        ".png" if png else ".jpg", bgr, [] if png else [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    if not ok:  # pragma: no cover - a uint8 array always encodes
        raise MatchingError(f"{name}: cannot encode the redacted copy")
    return bytes(buf), ".png" if png else ".jpg"


def redact_video(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    tracks: Sequence[Sequence[Sequence[float]]],
    emit: Emit,
    cancel: CancelToken,
) -> tuple[int, str]:
    """Write ``source`` to ``target`` (H.264 in MP4, the audio copied) with every track's box
    blurred in every frame it covers; returns (frames written, what became of the audio:
    ``copied``, ``re-encoded (aac)`` or ``none``). Progress in frames; the token is checked
    every 25 frames. The frames go to FFmpeg through a pipe; only ``target`` is written."""
    name = os.fspath(source)
    cap = cv2.VideoCapture(name)
    try:
        if not cap.isOpened():
            raise MatchingError(f"{name}: not a video OpenCV can decode")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if fps <= 0 or fps > 1000:
            fps = 25.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if size[0] <= 0 or size[1] <= 0:
            raise MatchingError(f"{name}: the video has no frame size")
        even = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        with checked_ffmpeg() as ff:
            info = ff.probe(name)
            audio = info.audio
            copy = all(a.codec in MP4_AUDIO for a in audio)
            audio_note = "none" if not audio else "copied" if copy else "re-encoded (aac)"
            # the first frame OpenCV decodes is at the video stream's start, which may come
            # after the file's start (the audio's): the frames are shifted by the same amount
            video = info.video[0] if info.video else None
            shift = 0.0
            if video and video.start is not None and info.start is not None:
                shift = max(0.0, video.start - info.start)
            cmd = ff.command(
                [
                    "-loglevel", "error",
                    "-f", "rawvideo", "-pix_fmt", "yuv420p",
                    "-s", f"{even[0]}x{even[1]}", "-framerate", repr(fps),
                    "-itsoffset", f"{shift:.6f}",
                    "-i", "pipe:0",
                    "-i", name,
                    "-map", "0:v:0", "-map", "1:a?",
                    "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF),
                    "-pix_fmt", "yuv420p",
                    *(["-c:a", "copy"] if copy else ["-c:a", "aac", "-b:a", "192k"]),
                    "-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1",
                    "-movflags", "+faststart",
                    "-f", "mp4", "-y", os.fspath(target),
                ]
            )  # fmt: skip
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                **ff.options(name),
            )
            assert proc.stdin is not None and proc.stderr is not None
            stdin, stderr = proc.stdin, proc.stderr
            errors: list[bytes] = []
            drain = threading.Thread(
                target=lambda: errors.extend(stderr.read().splitlines()[-20:]),
                name="redact-ffmpeg-stderr",
                daemon=True,
            )
            drain.start()
            index, broken, finished = 0, False, False
            try:
                while True:
                    ok, frame = cap.read()
                    if not ok or frame is None:
                        break
                    t = index / fps
                    boxes = [b for tr in tracks if (b := box_at(tr, t)) is not None]
                    if boxes:
                        blur_boxes(frame, boxes)
                    if frame.shape[1::-1] != size:  # a stream whose frames change size
                        frame = cv2.resize(frame, size)
                    if even != size:  # 4:2:0 needs even sizes: one edge row/column repeated
                        frame = cv2.copyMakeBorder(
                            frame, 0, even[1] - size[1], 0, even[0] - size[0], cv2.BORDER_REPLICATE
                        )
                    # converted here (BT.601, as FFmpeg's default): half the bytes through the
                    # pipe, and OpenCV's conversion is faster than FFmpeg's from BGR
                    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
                    try:
                        stdin.write(yuv.data.cast("B"))
                    except BrokenPipeError:
                        broken = True
                        break
                    index += 1
                    if index % 25 == 0:
                        cancel.check()
                        emit(Progress(index, max(total, index), "frames", "blurring faces"))
                with contextlib.suppress(BrokenPipeError):
                    stdin.close()
                code = proc.wait()
                drain.join()
                finished = True
            finally:
                if not finished:  # cancelled or failed: no half-written copy is waited for
                    proc.kill()
                    proc.wait()
                    drain.join()
                with contextlib.suppress(OSError):  # data left unsent to a killed program
                    stdin.close()
                stderr.close()
        if index == 0:
            raise MatchingError(f"{name}: no frame could be decoded")
        if code != 0 or broken:
            why = errors[-1].decode("utf-8", "replace").strip() if errors else f"exit {code}"
            raise MatchingError(f"{name}: the redacted copy could not be encoded ({why})")
        return index, audio_note
    finally:
        cap.release()


STAGING_PREFIX = "custos-redact-"
"""Private folders that hold a redacted video while FFmpeg writes it: ``custos-redact-PID-*``."""


def sweep_stale_folders(base: Path) -> list[Path]:
    """Remove the staging folders (in RAM) left by Custos processes that were killed mid-redaction.

    A folder is named after the process that made it; one whose process is gone and that
    belongs to this user is removed. Returns what was removed."""
    removed = []
    for folder in base.glob(f"{STAGING_PREFIX}*"):
        pid_text = folder.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid_text), 0)
            continue  # its process is alive (or the number was reused): leave it
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        except OSError:
            continue  # not ours to signal, or gone meanwhile
    return removed


@dataclass(frozen=True)
class RedactResult:
    item: int  # the new item
    name: str
    sha256: str
    size: int
    blurred: int  # faces or tracks blurred
    kept: list[int]
    frames: int | None = None  # video only


class RedactJob:
    """Make a redacted copy of one photo or video item (a job: progress in frames for a video,
    cancel token checked per frame; a cancelled job records nothing)."""

    def __init__(
        self,
        session: Session,
        item_id: int,
        keep: Sequence[int] = (),
        all_faces: bool = False,
        cancel: CancelToken | None = None,
    ) -> None:
        self.session, self.item_id = session, item_id
        self.keep, self.all_faces = list(dict.fromkeys(keep)), all_faces
        self.cancel = cancel or CancelToken()

    def _plan(self) -> tuple[Item, list[FaceRecord], dict[int, list[list[float]]]]:
        with self.session.db() as db:
            item = db.get(Item, self.item_id)
            if item is None:
                raise UserError(f"no item with id {self.item_id}")
            db.expunge(item)
            kind = media_kind(item.name)
            if kind is None:
                raise UserError(
                    f"item {item.id} ({item.name}) is not a photo or a video: nothing to redact"
                )
            if db.get(MediaInfo, item.id) is None:
                raise UserError(
                    f"item {item.id} ({item.name}) has not been analysed for faces yet: "
                    "run 'custos faces detect' first"
                )
            faces = list(
                db.scalars(
                    select(FaceRecord)
                    .where(FaceRecord.item_id == item.id, live())
                    .order_by(FaceRecord.id)
                )
            )
            for f in faces:
                db.expunge(f)
            boxes = {
                t.face_id: json.loads(t.boxes)
                for t in db.scalars(
                    select(TrackBoxes).where(TrackBoxes.face_id.in_([f.id for f in faces]))
                )
            }
        if self.keep and self.all_faces:
            raise UserError("give faces to keep, or --all, not both")
        mine = {f.id for f in faces}
        for fid in self.keep:
            if fid not in mine:
                raise UserError(f"face {fid} is not a face of item {item.id} ({item.name})")
        return item, faces, boxes

    def run(self, emit: Emit) -> RedactResult:
        from vault.items import record_derived

        s = self.session
        s.require("item.export", target=f"items:{self.item_id}")
        item, faces, tracks = self._plan()
        blur = [f for f in faces if f.id not in self.keep]
        what = f"item {item.id} ({item.name})"
        data = s.blobs.read_verified(item.blob_name, item.sha256, what)
        stem = PurePosixPath(item.name)
        frames: int | None = None
        audio = ""
        if media_kind(item.name) == "image":
            emit(Progress(0, 1, "items", "blurring faces"))
            try:
                out, suffix = redact_image(
                    data,
                    item.name,
                    [_box(json.loads(f.box)) for f in blur],
                )
            except MatchingError as exc:
                raise UserError(str(exc)) from None
            emit(Progress(1, 1, "items", "storing the copy"))
        else:
            missing = [f.id for f in blur if f.kind == "track" and f.id not in tracks]
            if missing:
                raise UserError(
                    f"{what} was analysed before track boxes were recorded (faces "
                    f"{', '.join(map(str, missing))}): it cannot be redacted frame by frame"
                )
            out, frames, audio = self._video(
                data, [tracks[f.id] for f in blur if f.id in tracks], emit
            )
            suffix = ".mp4"
        self.cancel.check()
        name = str(stem.with_name(f"{stem.stem}.redacted{suffix}"))
        details = {
            "kept": self.keep,
            "blurred": [f.id for f in blur],
            "format": "h264" if frames is not None else suffix.lstrip("."),
        }
        if frames is not None:
            details["audio"] = audio
        with s.transaction() as db:
            copy = record_derived(s, db, item, out, name, "redacted", "item.redacted", **details)
            result = RedactResult(
                copy.id, copy.name, copy.sha256, copy.size, len(blur), self.keep, frames
            )
        return result

    def _video(
        self, data: bytes, tracks: list[list[list[float]]], emit: Emit
    ) -> tuple[bytes, int, str]:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        sweep_stale_folders(Path(base or tempfile.gettempdir()))
        prefix = f"{STAGING_PREFIX}{os.getpid()}-"
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))  # 0700
        try:
            target = folder / "redacted.mp4"
            with plain_copy([data], ".video") as source:
                try:
                    frames, audio = redact_video(source, target, tracks, emit, self.cancel)
                except MatchingError as exc:
                    raise UserError(str(exc)) from None
            return target.read_bytes(), frames, audio
        except Cancelled:
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)
