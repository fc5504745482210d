"""An analyst's corrections of what detection and clustering found, each audited and in custody.

- :func:`split` / :func:`merge`: these faces are one person apart from the rest of their group /
  these faces' groups are one person. Recorded as ``cluster_edits`` rows and replayed, in order,
  on top of the automatic grouping every time a case is clustered (:func:`apply_edits`), so a
  correction survives new evidence and a new clustering.
- :func:`name_cluster`: enrol a group's faces as a (new) subject of a watchlist, with its listing,
  through the one enrolment routine ``matching.watchlists.enrol_into``.
- :func:`draw_face`: a box drawn by hand around a face the detector missed, encoded like any
  other face (landmarks, quality, embedding, crop) and marked ``drawn`` with who drew it.
- :func:`discard_face`: a false detection, marked ``discarded`` with a reason; it stays in the
  record but is left out of search, clusters and redaction (:func:`live`).

Faces are named by their ids; every id must belong to the case named (a face of another case is
refused, naming it). Each change appends a custody event ("analysed" with what was done) to the
items whose faces it touches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session as DbSession

from matching.models import ClusterEdit, FaceMark, FaceRecord, MediaInfo
from matching.watchlists import (
    Listing,
    check_listing,
    enrol_into,
    find_watchlist,
    gate_case_faces,
    store_enrolment,
)
from vault.blobs import add_blob_rows, store_blob
from vault.cases import find_case
from vault.errors import UserError
from vault.models import CustodyEvent, Item, canonical
from vault.session import Session, now, requires

MIN_BOX = 12  # pixels: a smaller box holds no face the encoder can describe


def live() -> ColumnElement[bool]:
    """The condition a face row must meet to be searched, clustered or redacted: not discarded."""
    discarded = select(FaceMark.face_id).where(FaceMark.kind == "discarded")
    return FaceRecord.id.not_in(discarded)


def marks(db: DbSession, face_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """``{face id: {"drawn_by": user} and/or {"discarded": reason}}`` for the faces given."""
    ids = sorted(set(face_ids))
    found: dict[int, dict[str, str]] = {}
    for n in range(0, len(ids), 500):
        rows = db.scalars(
            select(FaceMark).where(FaceMark.face_id.in_(ids[n : n + 500])).order_by(FaceMark.id)
        )
        for m in rows:
            key = "drawn_by" if m.kind == "drawn" else "discarded"
            found.setdefault(m.face_id, {})[key] = m.actor if m.kind == "drawn" else m.reason
    return found


@dataclass(frozen=True)
class Edit:
    kind: str  # split | merge | named
    faces: tuple[int, ...]
    subject: str | None = None  # "watchlist/ref" of a named group


def edits(db: DbSession, case_id: int) -> list[Edit]:
    """The case's cluster corrections, oldest first, with named subjects in words."""
    from matching.models import Subject, Watchlist

    rows = db.execute(
        select(ClusterEdit, Subject.ref, Watchlist.name)
        .outerjoin(Subject, Subject.id == ClusterEdit.subject_id)
        .outerjoin(Watchlist, Watchlist.id == Subject.watchlist_id)
        .where(ClusterEdit.case_id == case_id)
        .order_by(ClusterEdit.id)
    ).all()
    return [
        Edit(e.kind, tuple(json.loads(e.faces)), f"{wl}/{ref}" if ref is not None else None)
        for e, ref, wl in rows
    ]


def apply_edits(
    face_ids: Sequence[int], labels: np.ndarray, history: Sequence[Edit]
) -> tuple[np.ndarray, set[int], dict[int, str]]:
    """Replay the corrections on automatic labels (one per face of ``face_ids``).

    A split gives its faces a label of their own; a merge gives every face of the listed faces'
    groups one label; a naming names the group of its faces. Faces no longer in the case's
    searchable set (discarded) are ignored. Returns the labels, the labels any correction
    touched (shown even when a single face) and the name of each named label."""
    labels = labels.copy()
    index = {f: i for i, f in enumerate(face_ids)}
    fresh = int(labels.max()) + 1 if len(labels) else 0
    touched: set[int] = set()
    names: dict[int, str] = {}
    for e in history:
        where = [index[f] for f in e.faces if f in index]
        if not where:
            continue
        if e.kind == "split":
            touched |= {int(labels[i]) for i in where}  # what is left of their groups shows too
            labels[where] = fresh
            touched.add(fresh)
            fresh += 1
        elif e.kind == "merge":
            target = int(labels[where[0]])
            for lab in sorted({int(labels[i]) for i in where} - {target}):
                labels[labels == lab] = target
                name = names.pop(lab, None)
                if name is not None:
                    names.setdefault(target, name)
            touched.add(target)
        elif e.kind == "named" and e.subject:
            lab = int(labels[where[0]])
            names[lab] = e.subject
            touched.add(lab)
    return labels, touched, names


def _case_faces(
    db: DbSession, case_reference: str, face_ids: Sequence[int], live_only: bool = True
) -> tuple[Any, list]:
    """The case and its face rows for ``face_ids``, each checked to belong to it (and, with
    ``live_only``, not to have been discarded)."""
    case = find_case(db, case_reference)
    if not face_ids:
        raise UserError("name at least one face")
    found = []
    for fid in dict.fromkeys(face_ids):
        rec = db.get(FaceRecord, fid)
        if rec is None:
            raise UserError(f"no face with id {fid}")
        if rec.case_id != case.id:
            raise UserError(f"face {fid} is not in case {case_reference}")
        found.append(rec)
    if live_only:
        gone = marks(db, [r.id for r in found])
        for r in found:
            if "discarded" in gone.get(r.id, {}):
                raise UserError(f"face {r.id} was discarded as a false detection")
    return case, found


def _custody(session: Session, db: DbSession, recs: Iterable[FaceRecord], **details: Any) -> None:
    """One "analysed" custody event per item touched, naming the correction."""
    by_item: dict[int, list[int]] = {}
    for r in recs:
        by_item.setdefault(r.item_id, []).append(r.id)
    for item_id, faces in sorted(by_item.items()):
        event = CustodyEvent(
            item_id=item_id,
            kind="analysed",
            actor=session.user,
            at=now(),
            details=canonical({**details, "faces": faces}),
        )
        db.add(event)
        session.audit(db, "custody.analysed", event, item=item_id)


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise UserError(f"{what} needs a reason")
    return text


def _record_edit(
    session: Session,
    case_reference: str,
    kind: str,
    face_ids: Sequence[int],
    reason: str,
    action: str,
) -> int:
    with session.transaction() as db:
        case, recs = _case_faces(db, case_reference, face_ids)
        edit = ClusterEdit(
            case_id=case.id,
            kind=kind,
            faces=json.dumps([r.id for r in recs]),
            subject_id=None,
            reason=reason,
            actor=session.user,
            at=now(),
        )
        db.add(edit)
        session.audit(db, action, edit, case=case.id, faces=[r.id for r in recs])
        _custody(session, db, recs, cluster=kind, reason=reason)
        return edit.id


@requires("match.run")
def split(session: Session, case_reference: str, face_ids: Sequence[int], reason: str = "") -> int:
    """These faces are one person apart from the rest of their group. Returns the edit's id."""
    why = reason.strip() or "split by the analyst"
    return _record_edit(session, case_reference, "split", face_ids, why, "cluster.split")


@requires("match.run")
def merge(session: Session, case_reference: str, face_ids: Sequence[int], reason: str = "") -> int:
    """The groups of these faces (one face of each is enough) are one person."""
    if len(set(face_ids)) < 2:
        raise UserError("a merge needs faces of at least two groups")
    why = reason.strip() or "merged by the analyst"
    return _record_edit(session, case_reference, "merge", face_ids, why, "cluster.merged")


@requires("watchlist.manage")
def name_cluster(
    session: Session,
    case_reference: str,
    face_ids: Sequence[int],
    watchlist: str,
    subject_ref: str,
    listing: Listing,
) -> tuple[int, list[tuple[str, str]], list[tuple[str, str]]]:
    """Enrol these faces (a group) as references of ``subject_ref`` on ``watchlist`` (created
    with ``listing`` when new) and name their group after it. Faces below the quality gate's
    minimum are not enrolled. Returns the subject's id, the refused faces with the gate's
    reasons and the enrolled ones it warns about (as ``watchlists.enrol``)."""
    session.require("match.run", target=f"case:{case_reference}")
    if not subject_ref.strip():
        raise UserError("the subject needs an id")
    listing = check_listing(listing)
    with session.db() as db:
        _, recs = _case_faces(db, case_reference, face_ids)
    accepted, refused, warned = gate_case_faces(session, [r.id for r in recs])
    if not accepted:
        raise UserError(
            "no face of the group could be enrolled: " + "; ".join(m for _, m in refused)
        )
    stored = [store_enrolment(session, *a) for a in accepted]
    with session.transaction() as db:
        case, recs = _case_faces(db, case_reference, face_ids)
        wl = find_watchlist(db, watchlist)
        subject = enrol_into(session, db, wl, subject_ref.strip(), listing, stored)
        edit = ClusterEdit(
            case_id=case.id,
            kind="named",
            faces=json.dumps([r.id for r in recs]),
            subject_id=subject.id,
            reason=f"enrolled as {subject_ref.strip()!r} on watchlist {wl.name!r}",
            actor=session.user,
            at=now(),
        )
        db.add(edit)
        session.audit(
            db,
            "cluster.named",
            edit,
            case=case.id,
            faces=[r.id for r in recs],
            watchlist=wl.name,
            subject=subject_ref.strip(),
        )
        _custody(session, db, recs, cluster="named", watchlist=wl.name, subject=subject_ref)
        return subject.id, refused, warned


@requires("match.run")
def discard_face(session: Session, case_reference: str, face_id: int, reason: str) -> None:
    """Mark a false detection: kept in the record, left out of search, clusters and redaction."""
    why = _reason(reason, "discarding a face")
    with session.transaction() as db:
        case, (rec,) = _case_faces(db, case_reference, [face_id], live_only=False)
        if "discarded" in marks(db, [rec.id]).get(rec.id, {}):
            raise UserError(f"face {face_id} is already discarded")
        mark = FaceMark(
            face_id=rec.id,
            case_id=case.id,
            kind="discarded",
            reason=why,
            actor=session.user,
            at=now(),
        )
        db.add(mark)
        session.audit(db, "face.discarded", mark, face=rec.id, item=rec.item_id)
        _custody(session, db, [rec], discarded=why)


def parse_box(text: str) -> tuple[int, int, int, int]:
    """``x,y,w,h`` (pixels, top-left corner, width, height) as typed; one line when malformed."""
    parts = [p.strip() for p in text.split(",")]
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise UserError(f"box {text!r}: give x,y,w,h as four whole numbers of pixels") from None
    return x, y, w, h


@requires("match.run")
def draw_face(
    session: Session, item_id: int, box: tuple[int, int, int, int], reason: str = ""
) -> int:
    """A face the detector missed, boxed by hand (``x, y, w, h`` in the photo's pixels as shown,
    EXIF orientation applied): encoded like any other, marked as drawn by this user. Returns the
    new face's id."""
    from matching.engine import engine
    from matching.errors import MatchingError
    from matching.images import load_rgb

    x, y, w, h = box
    with session.db() as db:
        item = db.get(Item, item_id)
        if item is None:
            raise UserError(f"no item with id {item_id}")
        info = db.get(MediaInfo, item_id)
        case_id = item.case_id
        name, blob, sha = item.name, item.blob_name, item.sha256
    from matching.mediakind import media_kind

    if media_kind(name) != "image":
        raise UserError(f"item {item_id} ({name}): boxes can be drawn on photos only")
    if w < MIN_BOX or h < MIN_BOX:
        raise UserError(
            f"box {x},{y},{w},{h} on item {item_id}: width and height must be at least "
            f"{MIN_BOX} pixels"
        )
    data = session.blobs.read_verified(blob, sha, f"item {item_id} ({name})")
    try:
        rgb = load_rgb(data, name=name)
    except MatchingError as exc:
        raise UserError(str(exc)) from None
    height, width = rgb.shape[:2]
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise UserError(
            f"box {x},{y},{w},{h} is outside item {item_id} ({name}), which is "
            f"{width}x{height} pixels"
        )
    import dlib

    from matching.detect import HAND

    # the detector's encoder; found "by hand" at the photo's own pixels (issue 13: each face
    # says what found it)
    face = engine()._face(rgb, dlib.rectangle(x, y, x + w, y + h), HAND, 1.0)
    crop = store_blob(session, face.crop_jpeg(rgb))
    why = reason.strip() or "missed by the detector"
    with session.transaction() as db:
        add_blob_rows(db, crop)
        meta = json.loads(info.meta) if info is not None else {}
        rec = FaceRecord(
            item_id=item_id,
            case_id=case_id,
            kind="photo",
            frame_time=None,
            start=None,
            end=None,
            box=json.dumps(list(face.box)),
            landmarks=json.dumps([list(p) for p in face.landmarks]),
            quality=json.dumps(face.stored_quality()),
            embedding=np.asarray(face.embedding, np.float32).tobytes(),
            model=face.model,
            crop_blob=crop.name,
            captured_at=meta.get("captured_at"),
            place=None,
            created_at=now(),
        )
        db.add(rec)
        session.audit(db, "face.found", rec, item=item_id, drawn=True)
        mark = FaceMark(
            face_id=rec.id,
            case_id=case_id,
            kind="drawn",
            reason=why,
            actor=session.user,
            at=now(),
        )
        db.add(mark)
        session.audit(db, "face.drawn", mark, face=rec.id, item=item_id)
        _custody(session, db, [rec], drawn=[x, y, w, h], reason=why)
        return rec.id
