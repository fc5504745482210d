"""Thumbnails of a case's photos and videos, made once per item and kept encrypted in the vault.

* **Made lazily, in a background job** (:class:`ThumbJob`): the Evidence grid starts it for the
  items of the case that have none yet (``custos thumbs make --case REF`` does the same with a
  progress bar). Not at ingest: ingest is measured against ``age`` alone and a decode would
  double its time; not only at detection: a case nobody runs detection on needs them too.
* **Stored as face crops are**: a JPEG of at most ``SIDE`` pixels (about 5-10 KB), one vault
  blob (``vault.blobs.store_blob``: age to the vault and recovery recipients, keyed name), a
  ``thumbnails`` row naming it with its audit entry (``thumb.made``), in one transaction per
  batch. ``verify`` checks each such blob (``BlobUse``) and each row (append-only).
* **A photo** is decoded by :func:`matching.images.thumbnail_jpeg` (a large JPEG at reduced
  scale in the DCT domain, a header over 80 Mpx refused before any pixel is decoded); **a
  video** by its key frame: the first sampled frame (one per second, the first ``LOOK``
  seconds) that is not flat (a black fade-in), else the first frame.
* **A hostile file** (a decompression bomb, a truncated JPEG, a file that lies about its type)
  gets a row with no blob and one line in ``error``: the grid shows a placeholder tile with that
  line, and the job does not try it again. The rest of the batch goes on.

Reading (:func:`read_thumbnails`) checks each blob against its recorded SHA-256 before it is
returned; seeing a thumbnail is not a custody event (as a face crop in the review queue is not),
opening the item is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sqlalchemy import func, select, text

from matching.casefaces import media_kind
from matching.errors import MatchingError
from matching.models import FaceRecord, Thumbnail
from vault.blobs import StoredBlob, add_blob_rows, store_blob
from vault.cases import find_case
from vault.errors import IntegrityFault
from vault.jobs import Breather, CancelToken, Emit, Finished, Progress
from vault.models import Blob, Item
from vault.session import Session, now, requires

SIDE = 160
"""Longest side of a thumbnail, in pixels (the grid shows them at up to this size)."""
QUALITY = 80
LOOK = 5
"""Seconds of a video looked at for a key frame."""
FLAT = 12.0
"""A frame whose luma varies less than this (standard deviation) is taken for a fade."""
MESSAGE_LIMIT = 300


@dataclass
class ThumbResult:
    made: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item N, one line)
    cancelled: bool = False


@dataclass(frozen=True)
class _Made:
    item_id: int
    blob: StoredBlob | None
    width: int = 0
    height: int = 0
    frame_time: float | None = None
    error: str | None = None
    record: bool = True  # False: the stored evidence failed its check (verify names it)


def _one_line(text_: str) -> str:
    line = " ".join(text_.split())
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def image_thumbnail(data: bytes, name: str) -> tuple[bytes, int, int]:
    from matching.images import thumbnail_jpeg

    return thumbnail_jpeg(data, SIDE, name=name, quality=QUALITY)


def video_thumbnail(path: str, name: str) -> tuple[bytes, int, int, float]:
    """JPEG, width, height and time of a video's key frame (see the module's docstring)."""
    import io

    import numpy as np
    from PIL import Image

    from matching.errors import VideoError
    from matching.video import sample_frames

    chosen: tuple[float, np.ndarray] | None = None
    try:
        for n, (t, rgb) in enumerate(sample_frames(path, 1.0)):
            if chosen is None:
                chosen = (t, rgb)
            if float(rgb.std()) >= FLAT:
                chosen = (t, rgb)
                break
            if n + 1 >= LOOK:
                break
    except VideoError as exc:  # named by its temp copy: name the item
        raise VideoError(name, exc.reason) from None
    if chosen is None:
        raise VideoError(name, "no frame could be decoded")
    t, rgb = chosen
    picture = Image.fromarray(rgb)
    picture.thumbnail((SIDE, SIDE), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue(), picture.width, picture.height, round(t, 3)


class ThumbJob:
    """A thumbnail for every photo and video of a case that has none yet (or of ``item_ids``).

    Each item is decrypted and checked against its SHA-256, reduced, stored as a blob, and
    recorded (row + audit entry) in batches of ``BATCH`` items per transaction. A damaged or
    hostile item is one line (``Finished(ok=False)``) and a row saying so; the batch goes on.
    Cancel takes effect between items; what was stored stays. ``Finished(ok=True)`` per item
    once its batch is committed, so a viewer can show it at once."""

    BATCH = 25

    def __init__(
        self,
        session: Session,
        case_reference: str,
        cancel: CancelToken | None = None,
        item_ids: Sequence[int] | None = None,
    ) -> None:
        self.session = session
        self.case_reference = case_reference
        self.cancel = cancel or CancelToken()
        self.item_ids = None if item_ids is None else set(item_ids)

    def todo(self) -> list[tuple[int, str, str, str]]:
        """(item id, name, blob name, sha256) of the case's media items without a thumbnail."""
        s = self.session
        with s.db() as db:
            case = find_case(db, self.case_reference)
            self.case_id = case.id
            done = set(db.scalars(select(Thumbnail.item_id).where(Thumbnail.case_id == case.id)))
            rows = db.execute(
                select(Item.id, Item.name, Item.blob_name, Item.sha256)
                .where(Item.case_id == case.id)
                .order_by(Item.id)
            ).all()
        return [
            (r.id, r.name, r.blob_name, r.sha256)
            for r in rows
            if r.id not in done
            and media_kind(r.name)
            and (self.item_ids is None or r.id in self.item_ids)
        ]

    def run(self, emit: Emit) -> ThumbResult:
        s = self.session
        s.require("case.read", target=f"case:{self.case_reference}")
        todo = self.todo()
        result = ThumbResult()
        emit(Progress(0, len(todo), "items", "thumbnails"))
        pending: list[_Made] = []
        breathe = Breather()
        for n, (item_id, name, blob_name, sha256) in enumerate(todo, 1):
            if self.cancel.cancelled:
                break
            made = self._make(item_id, name, blob_name, sha256)
            pending.append(made)
            if made.error is not None:
                result.failed.append((f"item {item_id}", made.error))
            if len(pending) >= self.BATCH:
                self._store(pending, result, emit)
            emit(Progress(n, len(todo), "items", name))
            breathe()
        self._store(pending, result, emit)
        result.cancelled = self.cancel.cancelled
        return result

    def _make(self, item_id: int, name: str, blob_name: str, sha256: str) -> _Made:
        what = f"item {item_id} ({name})"
        try:
            if media_kind(name) == "image":
                data = self.session.blobs.read_verified(blob_name, sha256, what)
                jpeg, w, h = image_thumbnail(data, name)
                return _Made(item_id, store_blob(self.session, jpeg), w, h)
            from vault.fsutil import plain_copy

            chunks = self.session.blobs.read_chunks(blob_name)
            with plain_copy(chunks, PurePosixPath(name).suffix) as path:
                jpeg, w, h, t = video_thumbnail(str(path), name)
            return _Made(item_id, store_blob(self.session, jpeg), w, h, t)
        except IntegrityFault as exc:
            # the evidence itself is damaged: say so, but record nothing (verify names it)
            return _Made(item_id, None, error=_one_line(str(exc)), record=False)
        except MatchingError as exc:
            line = str(exc) if name in str(exc) else f"{name}: {exc}"
            return _Made(item_id, None, error=_one_line(line))

    def _store(self, pending: list[_Made], result: ThumbResult, emit: Emit) -> None:
        if not pending:
            return
        at = now()
        s = self.session
        with s.transaction() as db:
            add_blob_rows(db, *(m.blob for m in pending if m.blob is not None))
            for m in pending:
                if not m.record:
                    continue  # damaged evidence: not a property of the file, try again later
                row = Thumbnail(
                    item_id=m.item_id,
                    case_id=self.case_id,
                    blob=m.blob.name if m.blob else None,
                    width=m.width,
                    height=m.height,
                    frame_time=m.frame_time,
                    error=m.error,
                    made_at=at,
                )
                db.add(row)
                s.audit(db, "thumb.made", row, item=m.item_id)
        for m in pending:
            if m.blob is not None:
                result.made += 1
                emit(Finished(f"item {m.item_id}", True))
            else:
                emit(Finished(f"item {m.item_id}", False, m.error or ""))
        pending.clear()


@dataclass(frozen=True)
class Tile:
    """What a grid tile shows of an item besides its picture: its kind (photo, video, or None
    for other files), faces found in it, candidates of its faces still waiting for a decision,
    and whether its thumbnail is made, failed (with the line) or not made yet."""

    kind: str | None
    faces: int = 0
    waiting: int = 0
    state: str = "none"  # none | made | failed | todo
    error: str | None = None


@requires("case.read")
def case_tiles(session: Session, case_reference: str) -> dict[int, Tile]:
    """Item id -> :class:`Tile` for every item of a case (a few grouped queries)."""
    with session.db() as db:
        case = find_case(db, case_reference)
        names = dict(db.execute(select(Item.id, Item.name).where(Item.case_id == case.id)).all())
        faces = dict(
            db.execute(
                select(FaceRecord.item_id, func.count())
                .where(FaceRecord.case_id == case.id)
                .group_by(FaceRecord.item_id)
            ).all()
        )
        waiting: dict[int, int] = dict(
            db.execute(
                text(
                    "SELECT f.item_id, count(*) FROM candidates c "
                    "JOIN faces f ON f.id = c.face_id "
                    "WHERE f.case_id = :c AND NOT EXISTS "
                    "(SELECT 1 FROM decisions d WHERE d.candidate_id = c.id) "
                    "GROUP BY f.item_id"
                ),
                {"c": case.id},
            ).all()
        )
        thumbs = {
            item: (blob is not None, error)
            for item, blob, error in db.execute(
                select(Thumbnail.item_id, Thumbnail.blob, Thumbnail.error).where(
                    Thumbnail.case_id == case.id
                )
            )
        }
    tiles: dict[int, Tile] = {}
    for item_id, name in names.items():
        kind = media_kind(name)
        made = thumbs.get(item_id)
        if kind is None:
            state = "none"
        elif made is None:
            state = "todo"
        else:
            state = "made" if made[0] else "failed"
        tiles[item_id] = Tile(
            "photo" if kind == "image" else kind,
            faces.get(item_id, 0),
            waiting.get(item_id, 0),
            state,
            made[1] if made else None,
        )
    return tiles


@requires("case.read")
def read_thumbnails(session: Session, item_ids: Sequence[int]) -> dict[int, bytes | str]:
    """Item id -> the thumbnail's JPEG bytes, or one line saying why there is none (a file it
    could not be made of, a stored copy that fails its check). Items with no thumbnail yet are
    left out. Every blob is checked against its recorded SHA-256 (``read_verified``)."""
    found: dict[int, bytes | str] = {}
    wanted: dict[str, list[int]] = defaultdict(list)
    with session.db() as db:
        rows = db.execute(
            select(Thumbnail.item_id, Thumbnail.blob, Thumbnail.error, Blob.sha256)
            .outerjoin(Blob, Blob.name == Thumbnail.blob)
            .where(Thumbnail.item_id.in_(list(item_ids)))
        ).all()
    shas: dict[str, str | None] = {}
    for item_id, blob, error, sha in rows:
        if blob is None:
            found[item_id] = error or "no thumbnail could be made"
        else:
            wanted[blob].append(item_id)
            shas[blob] = sha
    for blob, items in wanted.items():
        recorded = shas[blob]
        try:
            if recorded is None:
                raise IntegrityFault(
                    f"thumbnail of item {items[0]}: stored object has no record; run verify"
                )
            data: bytes | str = session.blobs.read_verified(
                blob, recorded, f"thumbnail of item {items[0]}"
            )
        except IntegrityFault as exc:
            data = str(exc)
        for item_id in items:
            found[item_id] = data
    return found
