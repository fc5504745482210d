"""Listing the faces of a case, and clustering the ones that recur."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from matching.cluster import DEFAULT_CLUSTER_THRESHOLD, chinese_whispers, clusters
from matching.curation import Edit, apply_edits, edits, live, marks
from matching.faces import QUALITY_KEYS, found_by, found_by_label
from matching.models import FaceRecord
from vault.cases import find_case
from vault.errors import Cancelled
from vault.jobs import CancelToken, Emit, Progress, ignore
from vault.models import Case, Item
from vault.session import Session, requires


@dataclass(frozen=True)
class FaceInfo:
    id: int
    item: int
    item_name: str
    kind: str
    box: list[int]
    quality: dict[str, float]
    frame_time: float | None
    start: float | None
    end: float | None
    captured_at: str | None
    place: dict[str, float] | None
    model: str
    model_version: str
    detector: str = "hog"  # matching.detect.HOG or CNN
    detection_scale: float | None = None  # detection pixels per original pixel (None: older)

    def found_by(self) -> str:
        """Which detector found the face, at which scale when recorded: "cnn x2", "hog x4"."""
        return found_by_label({"detector": self.detector, "detection_scale": self.detection_scale})

    drawn_by: str | None = None  # a box drawn by hand (``matching.curation.draw_face``)
    discarded: str | None = None  # the reason it was discarded as a false detection

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.kind != "track":
            for key in ("start", "end"):
                d.pop(key)
        return d


def _info(rec: FaceRecord, item_name: str, mark: dict[str, str] | None = None) -> FaceInfo:
    mark = mark or {}
    stored = json.loads(rec.quality)
    detector, scale = found_by(stored)
    return FaceInfo(
        id=rec.id,
        item=rec.item_id,
        item_name=item_name,
        kind=rec.kind,
        box=json.loads(rec.box),
        quality={k: stored[k] for k in QUALITY_KEYS if k in stored},
        frame_time=rec.frame_time,
        start=rec.start,
        end=rec.end,
        captured_at=rec.captured_at,
        place=json.loads(rec.place) if rec.place else None,
        model=rec.model,
        model_version=rec.model_version,
        detector=detector,
        detection_scale=scale,
        drawn_by=mark.get("drawn_by"),
        discarded=mark.get("discarded"),
    )


def _case_faces(
    session: Session, case_reference: str, live_only: bool = False
) -> tuple[Case, list[Any], dict[int, dict[str, str]], list[Edit]]:
    """The case, its face records with their item names (id order), the analysts' marks on
    them and the cluster corrections; ``live_only`` leaves discarded faces out."""
    with session.db() as db:
        case = find_case(db, case_reference)
        q = (
            select(FaceRecord, Item.name)
            .join(Item, Item.id == FaceRecord.item_id)
            .where(FaceRecord.case_id == case.id)
            .order_by(FaceRecord.id)
        )
        rows = db.execute(q.where(live()) if live_only else q).all()
        found = marks(db, [r.id for r, _ in rows])
        history = edits(db, case.id)
    return case, list(rows), found, history


@requires("case.read")
def list_faces(session: Session, case_reference: str) -> list[FaceInfo]:
    """Faces and tracks of a case, in order of capture time (then item, then position)."""
    _case, rows, found, _ = _case_faces(session, case_reference)
    faces = [_info(rec, name, found.get(rec.id)) for rec, name in rows]
    return sorted(faces, key=lambda f: (f.captured_at or "~", f.item, f.frame_time or 0.0, f.id))


def face_crop(session: Session, face_id: int) -> bytes:
    """JPEG crop of a face (for review screens), checked against its hash."""
    from vault.blobs import read_blob

    session.require("case.read", target=f"faces:{face_id}")
    with session.db() as db:
        rec = db.get(FaceRecord, face_id)
        if rec is None:
            from vault.errors import UserError

            raise UserError(f"no face with id {face_id}")
        crop = rec.crop_blob
    return read_blob(session, crop, f"crop of face {face_id}")


@dataclass
class ClusterResult:
    """Groups of faces of one (unknown) person that recur in a case, largest first."""

    groups: list[list[FaceInfo]]
    threshold: float
    names: list[str | None] = field(default_factory=list)  # "watchlist/subject" of named groups


class ClusterJob:
    """Cluster a case's faces (Chinese whispers over the k-NN graph). Progress in steps:
    faces read, neighbours found, grouped, recorded; the token is checked between steps and
    between blocks of the neighbour search, and nothing is recorded once it is set."""

    STEPS = 4

    def __init__(
        self,
        session: Session,
        case_reference: str,
        threshold: float = DEFAULT_CLUSTER_THRESHOLD,
        cancel: CancelToken | None = None,
    ) -> None:
        self.session, self.case_reference, self.threshold = session, case_reference, threshold
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> ClusterResult:
        self.session.require("match.run", target=f"case:{self.case_reference}")
        emit(Progress(0, self.STEPS, "steps", "reading the faces"))
        case, rows, found, history = _case_faces(self.session, self.case_reference, True)
        self.cancel.check()
        if not rows:
            return ClusterResult([], self.threshold)
        emit(Progress(1, self.STEPS, "steps", f"comparing {len(rows)} faces"))
        emb = np.frombuffer(b"".join(r.embedding for r, _ in rows), np.float32).reshape(-1, 128)
        try:
            labels = chinese_whispers(emb, self.threshold, cancel=lambda: self.cancel.cancelled)
        except InterruptedError:
            raise Cancelled("cancelled by the user") from None
        emit(Progress(2, self.STEPS, "steps", "grouping"))
        labels, touched, named = apply_edits([r.id for r, _ in rows], labels, history)
        members = [
            m for m in clusters(labels, min_size=1) if len(m) >= 2 or int(labels[m[0]]) in touched
        ]
        groups = [
            [_info(rows[i][0], rows[i][1], found.get(rows[i][0].id)) for i in m] for m in members
        ]
        names = [named.get(int(labels[m[0]])) for m in members]
        self.cancel.check()
        emit(Progress(3, self.STEPS, "steps", "recording"))
        with self.session.transaction() as db:
            self.session.audit(
                db,
                "faces.clustered",
                target=f"cases:{case.id}",
                groups=len(groups),
                threshold=self.threshold,
                corrections=len(history),
            )
        emit(Progress(self.STEPS, self.STEPS, "steps", f"{len(groups)} groups"))
        return ClusterResult(groups, self.threshold, names)


def cluster_faces(
    session: Session, case_reference: str, threshold: float = DEFAULT_CLUSTER_THRESHOLD
) -> list[list[FaceInfo]]:
    """Groups of faces of one (unknown) person that recur in a case, largest first."""
    return ClusterJob(session, case_reference, threshold).run(ignore).groups
