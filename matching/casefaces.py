"""Finding the faces in a case: photos through a process pool, videos as tracks.

Each item is decrypted from the vault in memory (videos into anonymous memory that OpenCV, which
reads only files, opens as ``/proc/self/fd/N``), analysed, and its faces stored with crops as
blobs, all in one transaction per item with its audit entries and an "analysed" custody event.
An item that fails (damaged image, undecodable video) is one line in the report; the batch goes
on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import numpy as np
from sqlalchemy import select

from matching.errors import MatchingError
from matching.faces import MODEL_NAME, Face
from matching.mediakind import media_kind
from matching.models import FaceRecord, MediaInfo, TrackBoxes
from matching.parallel import DetectPool, ImageInput, ImageResult
from matching.pdq import PdqHash
from matching.pdqstore import add_pdq_rows, hashed_items
from vault.blobs import StoredBlob, add_blob_rows, store_blob
from vault.cases import find_case
from vault.errors import IntegrityFault
from vault.fsutil import plain_copy
from vault.jobs import CancelToken, Emit, Finished, Progress
from vault.models import CustodyEvent, Item, canonical
from vault.session import Session, now


@dataclass
class DetectResult:
    items: int = 0
    faces: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False


@dataclass(frozen=True)
class _Found:
    """A face or track ready to store, with its crop."""

    face: Face
    crop: bytes
    embedding: np.ndarray
    kind: str = "photo"
    frame_time: float | None = None
    start: float | None = None
    end: float | None = None
    boxes: list[list[float]] | None = None  # a track's [t, top, right, bottom, left] per frame


class DetectJob:
    """Detect faces in every image and video item of a case not analysed yet."""

    def __init__(
        self,
        session: Session,
        case_reference: str,
        video_fps: float = 2.0,
        cancel: CancelToken | None = None,
        workers: int | None = None,
        hard_faces: bool = True,
    ) -> None:
        self.session = session
        self.case_reference = case_reference
        self.video_fps = video_fps
        # False: HOG's fast path only, no enlarged pass or CNN (matching.detect): ~20x faster
        # on photos without a face, but small, blurred or turned faces are missed
        self.hard_faces = hard_faces
        self.cancel = cancel or CancelToken()
        self.workers = workers
        self._hashed: set[int] = set()  # items with PDQ hashes already

    def _todo(self) -> tuple[int, list[Item]]:
        with self.session.db() as db:
            case = find_case(db, self.case_reference)
            done = set(db.scalars(select(MediaInfo.id)))  # analysed once; results are evidence
            items = db.scalars(select(Item).where(Item.case_id == case.id).order_by(Item.id))
            todo = [i for i in items if media_kind(i.name) and i.id not in done]
        # PDQ hashes come with the analysis (the image is decrypted for it anyway), unless
        # ``pdq compute`` made them already.
        self._hashed = hashed_items(self.session, case.id)
        return case.id, todo

    def run(self, emit: Emit) -> DetectResult:
        self.session.require("match.run", target=f"case:{self.case_reference}")
        case_id, todo = self._todo()
        result = DetectResult()
        images = [i for i in todo if media_kind(i.name) == "image"]
        videos = [i for i in todo if media_kind(i.name) == "video"]
        total = len(todo)
        emit(Progress(0, total, "items", "finding faces"))
        by_key = {str(i.id): i for i in images}
        if images:
            with DetectPool(self.workers, hard_faces=self.hard_faces) as pool:
                for res in pool.run(
                    self._image_inputs(images, result, emit),
                    cancel=lambda: self.cancel.cancelled,
                    with_pdq=True,
                ):
                    self._store_image(case_id, by_key[res.key], res, result, emit)
                    emit(Progress(result.items + len(result.failed), total, "items", res.key))
        for item in videos:
            if self.cancel.cancelled:
                break
            self._do_video(case_id, item, result, emit)
            emit(Progress(result.items + len(result.failed), total, "items", item.name))
        result.cancelled = self.cancel.cancelled
        return result

    def _image_inputs(
        self, items: list[Item], result: DetectResult, emit: Emit
    ) -> Iterator[ImageInput]:
        """Each item's bytes, checked against its SHA-256: faces found in another item's blob
        (swapped on disk) would be filed under this one. A bad item fails alone."""
        for item in items:
            what = f"item {item.id} ({item.name})"
            try:
                data = self.session.blobs.read_verified(item.blob_name, item.sha256, what)
            except IntegrityFault as exc:
                self._fail(item, str(exc), result, emit)
                continue
            yield ImageInput(str(item.id), data)

    def _store_image(
        self, case_id: int, item: Item, res: ImageResult, result: DetectResult, emit: Emit
    ) -> None:
        if not res.ok:
            self._fail(item, res.error or "cannot be analysed", result, emit)
            return
        meta = _image_meta(self.session, item)
        found = [_Found(f, c, f.embedding) for f, c in zip(res.faces, res.crops, strict=True)]
        pdq = [res.pdq] if res.pdq is not None else []
        self._save(case_id, item, "image", meta, found, result, emit, pdq)

    def _do_video(self, case_id: int, item: Item, result: DetectResult, emit: Emit) -> None:
        from matching.engine import engine
        from matching.pdq import hash_video
        from matching.video import read_video_metadata, track_video

        try:
            chunks = self.session.blobs.read_chunks(item.blob_name)
            with plain_copy(chunks, PurePosixPath(item.name).suffix) as path:
                meta = read_video_metadata(path)
                tracks = track_video(
                    path, engine(), fps=self.video_fps, cancel=lambda: self.cancel.cancelled
                )
                pdq: list[PdqHash] = []
                if item.id not in self._hashed and not self.cancel.cancelled:
                    pdq = hash_video(path, cancel=lambda: self.cancel.cancelled)
        except MatchingError as exc:
            self._fail(item, str(exc), result, emit)
            return
        if self.cancel.cancelled:
            return
        found = [
            _Found(
                t.best_face,
                t.best_crop,
                t.mean_embedding,
                "track",
                t.best_time,
                t.start,
                t.end,
                [[round(s.time, 3), *map(int, s.face.box)] for s in t.sightings],
            )
            for t in tracks
        ]
        self._save(case_id, item, "video", meta, found, result, emit, pdq)

    def _fail(self, item: Item, message: str, result: DetectResult, emit: Emit) -> None:
        line = message if item.name in message else f"{item.name}: {message}"
        result.failed.append((f"item {item.id}", line))
        emit(Finished(f"item {item.id}", False, line))

    def _save(
        self,
        case_id: int,
        item: Item,
        kind: str,
        meta: dict[str, Any],
        found: list[_Found],
        result: DetectResult,
        emit: Emit,
        pdq: list[PdqHash] | None = None,
    ) -> None:
        s = self.session
        crops: list[StoredBlob] = [store_blob(s, f.crop) for f in found]
        place = (
            json.dumps({"lat": meta["gps_lat"], "lon": meta["gps_lon"]})
            if "gps_lat" in meta
            else None
        )
        at = now()
        with s.transaction() as db:
            add_blob_rows(db, *crops)
            info = MediaInfo(
                id=item.id,
                kind=kind,
                meta=json.dumps(meta, sort_keys=True, default=str),
                faces=len(found),
                model=MODEL_NAME,
                analysed_at=at,
            )
            db.add(info)
            # whether small, blurred or turned faces were looked for (matching.detect's hard
            # path): an analyst reading the record knows what "no face" was checked with
            how: dict[str, Any] = {"hard_faces": self.hard_faces} if kind == "image" else {}
            s.audit(db, "faces.analysed", info, faces=len(found), **how)
            for f, crop in zip(found, crops, strict=True):
                rec = FaceRecord(
                    item_id=item.id,
                    case_id=case_id,
                    kind=f.kind,
                    frame_time=f.frame_time,
                    start=f.start,
                    end=f.end,
                    box=json.dumps(list(f.face.box)),
                    landmarks=json.dumps([list(p) for p in f.face.landmarks]),
                    quality=json.dumps(f.face.stored_quality()),
                    embedding=np.asarray(f.embedding, np.float32).tobytes(),
                    model=f.face.model,
                    crop_blob=crop.name,
                    captured_at=meta.get("captured_at"),
                    place=place,
                    created_at=at,
                )
                db.add(rec)
                s.audit(db, "face.found", rec, item=item.id)
                if f.boxes is not None:  # where the track is in each frame (for redaction)
                    track = TrackBoxes(face_id=rec.id, boxes=json.dumps(f.boxes))
                    db.add(track)
                    s.audit(db, "face.track_boxes", track, item=item.id)
            if pdq and item.id not in self._hashed:
                add_pdq_rows(s, db, item.id, case_id, pdq, at)
            event = CustodyEvent(
                item_id=item.id,
                kind="analysed",
                actor=s.user,
                at=at,
                details=canonical({"faces": len(found), "model": MODEL_NAME}),
            )
            db.add(event)
            s.audit(db, "custody.analysed", event, item=item.id)
        result.items += 1
        result.faces += len(found)
        emit(Finished(item.name, True, f"{len(found)} face(s)"))


def _image_meta(session: Session, item: Item) -> dict[str, Any]:
    from matching.images import read_metadata

    try:
        return read_metadata(session.blobs.read_bytes(item.blob_name), name=item.name)
    except MatchingError:
        return {}
