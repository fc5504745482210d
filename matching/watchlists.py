"""Watchlists of subjects with reference photos and listing metadata; every change audited.

A reference photo must show exactly one face that passes the quality gate at enrolment
(:mod:`matching.qualitygate`: size, sharpness, pose): a poor reference makes every later search
against it unreliable. Below the gate's minimum it is refused with the reason; below its
recommended level it is enrolled with a warning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session as DbSession

from matching.detect import MODEL_VERSION
from matching.engine import engine
from matching.errors import MatchingError
from matching.faces import EMBEDDING_DIM, MODEL_NAME, Face
from matching.images import load_rgb
from matching.models import FaceRecord, Reference, Subject, Watchlist
from matching.qualitygate import assess
from matching.search import DEFAULT_ALERT_THRESHOLD, Gallery
from matching.tlp import parse_tlp
from vault import sealing
from vault.blobs import StoredBlob, add_blob_rows, read_blob, store_blob
from vault.errors import UserError
from vault.session import Session, now, requires


@dataclass(frozen=True)
class SubjectInfo:
    id: int
    ref: str
    reason: str
    agency: str
    label: str
    review_on: str
    expires_on: str | None
    references: int
    expired: bool  # the expiry date has passed: left out of every search
    review_overdue: bool = False  # the review date has passed: still searched, to be reviewed

    @property
    def review_overdue_since(self) -> str | None:
        """The review date when it has passed (shown as "review overdue since ..."), else None."""
        return self.review_on if self.review_overdue else None


@dataclass(frozen=True)
class WatchlistInfo:
    id: int
    name: str
    alert_threshold: float
    calibration: dict[str, Any] | None
    second_review: bool
    source_agency: str | None
    subjects: list[SubjectInfo] = field(default_factory=list)

    @property
    def overdue_reviews(self) -> int:
        """How many listings are past their review date (expired ones included)."""
        return sum(s.review_overdue for s in self.subjects)


def watchlist_named(db: DbSession, name: str) -> Watchlist | None:
    """The watchlist named ``name``, found by its blind index on a server; the unsealed name is
    re-checked (a blind index copied onto another row finds nothing)."""
    wl = db.scalar(select(Watchlist).where(sealing.equals(db, Watchlist.name, name)))
    return wl if wl is not None and wl.name == name else None


def find_watchlist(db: DbSession, name: str) -> Watchlist:
    wl = watchlist_named(db, name)
    if wl is None:
        raise UserError(f"no watchlist named {name!r}")
    return wl


def _expired(subject: Subject, today: date | None = None) -> bool:
    return (
        bool(subject.expires_on)
        and _ordinal(subject.expires_on or "") < (today or date.today()).toordinal()
    )


def _review_overdue(subject: Subject, today: date | None = None) -> bool:
    """The listing's review date has passed. A flag only: unlike expiry, an overdue review does
    not take the listing out of searches (the listing stays valid until it expires)."""
    return (
        bool(subject.review_on)
        and _ordinal(subject.review_on) < (today or date.today()).toordinal()
    )


def _info(db: DbSession, wl: Watchlist, with_subjects: bool = True) -> WatchlistInfo:
    subjects: list[SubjectInfo] = []
    today = date.today()
    if with_subjects:
        listed = db.scalars(select(Subject).where(Subject.watchlist_id == wl.id))
        for s in sorted(listed, key=lambda s: s.ref):  # sealed on a server: sorted here
            n = len(db.scalars(select(Reference.id).where(Reference.subject_id == s.id)).all())
            subjects.append(
                SubjectInfo(
                    s.id,
                    s.ref,
                    s.reason,
                    s.agency,
                    s.label,
                    s.review_on,
                    s.expires_on,
                    n,
                    _expired(s, today),
                    _review_overdue(s, today),
                )
            )
    calibration = json.loads(wl.calibration) if wl.calibration else None
    return WatchlistInfo(
        wl.id,
        wl.name,
        wl.alert_threshold,
        calibration,
        wl.second_review,
        wl.source_agency,
        subjects,
    )


@requires("watchlist.manage")
def create_watchlist(
    session: Session,
    name: str,
    second_review: bool = False,
    threshold: float = DEFAULT_ALERT_THRESHOLD,
    source_agency: str | None = None,
) -> WatchlistInfo:
    name = name.strip()
    if not name:
        raise UserError("a watchlist needs a name")
    with session.transaction() as db:
        if watchlist_named(db, name) is not None:
            raise UserError(f"a watchlist named {name!r} already exists")
        wl = Watchlist(
            name=name,
            alert_threshold=threshold,
            second_review=second_review,
            source_agency=source_agency,
            created_by=session.user,
            created_at=now(),
        )
        db.add(wl)
        session.audit(db, "watchlist.created", wl, name=name)
        return _info(db, wl, with_subjects=False)


@requires("case.read")
def list_watchlists(session: Session) -> list[WatchlistInfo]:
    with session.db() as db:
        lists = sorted(db.scalars(select(Watchlist)), key=lambda wl: wl.name)  # sealed names
        return [_info(db, wl) for wl in lists]


@requires("case.read")
def show_watchlist(session: Session, name: str) -> WatchlistInfo:
    with session.db() as db:
        return _info(db, find_watchlist(db, name))


def reference_face(data: bytes, name: str) -> Face:
    """The single, good-enough face of a reference photo, or a one-line refusal."""
    try:
        rgb = load_rgb(data, name=name)
    except MatchingError as exc:
        raise UserError(str(exc)) from None
    faces = engine().detect(rgb)
    if not faces:
        raise UserError(f"{name}: no face found; a reference photo must show one face")
    if len(faces) > 1:
        raise UserError(f"{name}: {len(faces)} faces found; a reference photo must show one face")
    refusals = assess(faces[0].quality).refusals
    if refusals:
        raise UserError(f"{name}: " + "; ".join(refusals))
    return faces[0]


@dataclass(frozen=True)
class Listing:
    """The listing metadata of a subject."""

    reason: str
    agency: str
    label: str
    review_on: str
    expires_on: str | None = None


def check_listing(listing: Listing) -> Listing:
    for value, what in ((listing.reason, "reason"), (listing.agency, "issuing agency")):
        if not value.strip():
            raise UserError(f"a listing needs a {what}")
    dates: list[tuple[str | None, str]] = [
        (listing.review_on, "review date"),
        (listing.expires_on, "expiry"),
    ]
    for when, what in dates:
        if when:
            try:
                date.fromisoformat(when)
            except ValueError:
                raise UserError(f"{what} {when!r} is not a date (YYYY-MM-DD)") from None
    return Listing(
        listing.reason,
        listing.agency,
        parse_tlp(listing.label),
        listing.review_on,
        listing.expires_on,
    )


@dataclass(frozen=True)
class Enrolment:
    """One reference ready to enrol: its provenance (``Reference.source``), its photo and face
    crop already stored as blobs, and the face (embedding, model, quality) found in it."""

    source: str
    photo: StoredBlob
    face: Face
    crop: StoredBlob


def store_enrolment(
    session: Session, source: str, photo: bytes, face: Face, crop: bytes
) -> Enrolment:
    """Store a reference's photo and crop as blobs (rows added by :func:`enrol_into`)."""
    return Enrolment(source, store_blob(session, photo), face, store_blob(session, crop))


def enrol_into(
    session: Session,
    db: DbSession,
    wl: Watchlist,
    subject_ref: str,
    listing: Listing,
    references: list[Enrolment],
    at: str | None = None,
    **provenance: str,
) -> Subject:
    """The one enrolment: in the caller's transaction, create the subject (or update its
    listing) and add ``references``, each change audited. ``provenance`` (a bundle and its
    sender, for an imported watchlist) goes into every audit entry.

    Used by :func:`enrol` (photos, case faces) and by watchlist import (``exchange.wlimport``).
    """
    listing = check_listing(listing)
    subject = db.scalar(
        select(Subject).where(
            Subject.watchlist_id == wl.id, sealing.equals(db, Subject.ref, subject_ref)
        )
    )
    if subject is not None and subject.ref != subject_ref:
        subject = None  # a blind index copied from another row: not this listing
    if subject is None:
        subject = Subject(
            watchlist_id=wl.id,
            ref=subject_ref,
            created_by=session.user,
            created_at=at or now(),
            **listing.__dict__,
        )
        db.add(subject)
        session.audit(
            db, "watchlist.subject_added", subject, watchlist=wl.name, ref=subject_ref, **provenance
        )
    elif (
        subject.reason,
        subject.agency,
        subject.label,
        subject.review_on,
        subject.expires_on,
    ) != (listing.reason, listing.agency, listing.label, listing.review_on, listing.expires_on):
        for key, value in listing.__dict__.items():
            setattr(subject, key, value)
        session.audit(
            db,
            "watchlist.subject_updated",
            subject,
            watchlist=wl.name,
            ref=subject_ref,
            **provenance,
        )
    added: list[tuple[Reference, bytes]] = []
    for e in references:
        add_blob_rows(db, e.photo, e.crop)
        ref = Reference(
            subject_id=subject.id,
            photo_blob=e.photo.name,
            crop_blob=e.crop.name,
            source=e.source,
            embedding=e.face.embedding.astype(np.float32).tobytes(),
            model=e.face.model,
            quality=json.dumps(e.face.stored_quality()),
            created_at=at or now(),
        )
        db.add(ref)
        session.audit(
            db, "watchlist.reference_added", ref, subject=subject.id, source=e.source, **provenance
        )
        added.append((ref, e.face.embedding.astype(np.float32).tobytes()))
    if added and sealing.seals(db):  # on a server: each vector with its reference, same transaction
        from matching import servervectors

        db.flush()
        servervectors.write(db, [(ref.id, emb) for ref, emb in added])
    return subject


def gate_case_faces(
    session: Session, face_ids: list[int]
) -> tuple[list[tuple[str, bytes, Face, bytes]], list[tuple[str, str]], list[tuple[str, str]]]:
    """Faces found in a case as references, through the quality gate (one place for every
    enrolment of case faces: ``enrol --face`` and naming a cluster): the accepted references,
    the refused faces with the gate's reasons, and the accepted ones it warns about."""
    accepted: list[tuple[str, bytes, Face, bytes]] = []
    refused: list[tuple[str, str]] = []
    warned: list[tuple[str, str]] = []
    for face_id in face_ids:
        found = face_reference(session, face_id)
        verdict = assess(found[2].quality)
        if verdict.refusals:
            refused.append((f"face {face_id}", f"face {face_id}: " + "; ".join(verdict.refusals)))
            continue
        if verdict.warnings:
            warned.append((f"face {face_id}", f"face {face_id}: " + "; ".join(verdict.warnings)))
        accepted.append(found)
    return accepted, refused, warned


@requires("watchlist.manage")
def enrol(
    session: Session,
    watchlist: str,
    subject_ref: str,
    listing: Listing,
    photos: list[Path] | None = None,
    face_ids: list[int] | None = None,
) -> tuple[SubjectInfo, list[tuple[str, str]], list[tuple[str, str]]]:
    """Add reference photos (files, or faces found in a case) to a subject, creating it if new.

    Returns the subject, the refused photos with their reasons (the quality gate's, or why
    they could not be read) and the enrolled ones the gate warns about, with its warnings.
    """
    listing = check_listing(listing)
    accepted: list[tuple[str, bytes, Face, bytes]] = []  # source, photo bytes, face, crop
    refused: list[tuple[str, str]] = []
    warned: list[tuple[str, str]] = []
    for path in photos or []:
        try:
            data = path.read_bytes()
            face = reference_face(data, path.name)
            accepted.append((path.name, data, face, face.crop_jpeg(load_rgb(data, name=path.name))))
        except OSError as exc:
            refused.append((str(path), f"cannot read: {exc.strerror}"))
            continue
        except UserError as exc:
            refused.append((str(path), str(exc)))
            continue
        if warnings := assess(face.quality).warnings:
            warned.append((str(path), f"{path.name}: " + "; ".join(warnings)))
    faces, refused_faces, warned_faces = gate_case_faces(session, face_ids or [])
    accepted += faces
    refused += refused_faces
    warned += warned_faces
    if not accepted:
        raise UserError(
            "no reference photo could be enrolled: " + "; ".join(m for _, m in refused)
            if refused
            else "give at least one reference photo or face"
        )
    stored = [store_enrolment(session, *a) for a in accepted]
    with session.transaction() as db:
        wl = find_watchlist(db, watchlist)
        subject = enrol_into(session, db, wl, subject_ref, listing, stored)
        info = next(s for s in _info(db, wl).subjects if s.id == subject.id)
    return info, refused, warned


def face_reference(session: Session, face_id: int) -> tuple[str, bytes, Face, bytes]:
    """A face found in a case as a reference photo to enrol (source "face:<id>", its crop)."""
    from matching.faces import Box, Quality, found_by

    with session.db() as db:
        rec = db.get(FaceRecord, face_id)
        if rec is None:
            raise UserError(f"no face with id {face_id}")
    crop = read_blob(session, rec.crop_blob, f"crop of face {face_id}")
    stored = json.loads(rec.quality)
    found = found_by(stored)
    face = Face(
        box=Box(*json.loads(rec.box)),
        landmarks=tuple((int(p[0]), int(p[1])) for p in json.loads(rec.landmarks)),
        embedding=np.frombuffer(rec.embedding, np.float32).copy(),
        quality=Quality.from_dict(stored),
        detector=found[0],
        scale=found[1] or 1.0,
        model=rec.model,
    )
    return f"face:{face_id}", crop, face, crop


@dataclass(frozen=True)
class GalleryRows:
    """What each row of a watchlist's :class:`Gallery` is: its reference and subject ids (two
    int64 arrays, not one ORM object per row; a search fetches only the rows it records)."""

    reference_ids: np.ndarray
    subject_ids: np.ndarray


_FETCH_ROWS = 65_536  # rows fetched per chunk when loading a gallery (32 MB of embeddings)
_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)


@dataclass(frozen=True)
class WatchlistRows:
    """Every current-model reference of a watchlist, expired listings included: the embeddings,
    the reference and subject id of each row, and its subject's expiry as an ordinal day (the
    listing is searchable through that day) or -1 (no expiry). ``select`` keeps today's rows."""

    embeddings: np.ndarray
    reference_ids: np.ndarray
    subject_ids: np.ndarray
    expires: np.ndarray  # int64 ordinal day, -1 when the listing does not expire

    def __len__(self) -> int:
        return len(self.reference_ids)

    def select(self, today: date | None = None) -> tuple[Gallery, GalleryRows]:
        """The searchable gallery on ``today``: expired listings left out (a numpy mask)."""
        day = (today or date.today()).toordinal()
        emb, ref_ids, subject_ids = self.embeddings, self.reference_ids, self.subject_ids
        live = (self.expires < 0) | (self.expires >= day)
        if not live.all():
            emb, ref_ids, subject_ids = emb[live], ref_ids[live], subject_ids[live]
        g = Gallery(emb, subject_ids, MODEL_NAME)  # subject names: the ids as text
        return g, GalleryRows(ref_ids, subject_ids)


def _ordinal(expires: str) -> int:
    """An expiry's ordinal day; 0 (expired) for one that is not a date, such as 2026-02-30
    (``expires_on`` is plain on a server: its operator can write anything there)."""
    try:
        return date.fromisoformat(expires).toordinal()
    except ValueError:
        return 0


def _expiry_days(db: DbSession, watchlist_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The watchlist's subjects with an expiry date (sorted ids) and that date as an ordinal
    day (only dated subjects are read; each distinct date is parsed once)."""
    rows = db.execute(
        select(Subject.id, Subject.expires_on)
        .where(
            Subject.watchlist_id == watchlist_id,
            Subject.expires_on.is_not(None),
            Subject.expires_on != "",
        )
        .order_by(Subject.id)
    ).all()
    days: dict[str, int] = {}
    ids = np.empty(len(rows), np.int64)
    out = np.empty(len(rows), np.int64)
    for i, (sid, expires) in enumerate(rows):
        assert expires  # the query keeps dated listings only
        day = days.get(expires)
        if day is None:
            day = days[expires] = _ordinal(expires)
        ids[i], out[i] = sid, day
    return ids, out


def load_watchlist_rows(db: DbSession, wl: Watchlist) -> WatchlistRows:
    """All current-model references of ``wl`` (expired listings included) read with plain
    column selects, in reference id order: the embedding bytes of each chunk of rows are joined
    and viewed as float32 straight into one preallocated matrix. Other models or versions are
    left out."""
    dated, dated_days = _expiry_days(db, wl.id)
    # an upper bound on the rows, from the reference-by-subject index alone (no table page read)
    bound = int(
        db.scalar(
            select(func.count())
            .select_from(Reference)
            .join(Subject, Subject.id == Reference.subject_id)
            .where(Subject.watchlist_id == wl.id)
        )
        or 0
    )
    # A large watchlist is read in table order (each encrypted page decrypted once, rows already
    # in id order: no sort); a small one through the subject index, sorted by id.
    # (SQLite's CROSS JOIN keeps the written order; elsewhere the planner chooses.)
    dialect = db.get_bind().dialect
    total = int(db.scalar(select(func.count()).select_from(Reference)) or 0)
    table_order = dialect.name == "sqlite" and bound * 4 >= total
    statement = text(
        f'SELECT r.id, r.subject_id, r.embedding FROM "{Reference.__tablename__}" AS r '
        f'{"CROSS JOIN" if table_order else "JOIN"} "{Subject.__tablename__}" AS s '
        "ON s.id = r.subject_id WHERE s.watchlist_id = :wl AND r.model = :model "
        "AND r.model_version = :version ORDER BY r.id"
    ).bindparams(wl=wl.id, model=MODEL_NAME, version=MODEL_VERSION)  # never across versions
    # Compiled for the database's own parameter style, then run on the plain DBAPI cursor.
    compiled = statement.compile(dialect=dialect)
    sql = str(compiled)
    params: Any = (
        [compiled.params[k] for k in compiled.positiontup or ()]
        if compiled.positional
        else compiled.params
    )
    emb = np.empty((bound, EMBEDDING_DIM), np.float32)
    ref_ids = np.empty(bound, np.int64)
    subject_ids = np.empty(bound, np.int64)
    n = 0
    # Plain DBAPI rows (tuples): SQLAlchemy's Row objects would double the per-row cost. On a
    # server each embedding is sealed to its row: opened here with the row's id.
    opened = sealing.column_opener(db, Reference.embedding)
    cursor = db.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(_FETCH_ROWS):
            m = len(chunk)
            if n + m > len(emb):  # cannot happen under the session's lock; stay correct anyway
                emb = np.resize(emb, (n + m, EMBEDDING_DIM))
                ref_ids, subject_ids = np.resize(ref_ids, n + m), np.resize(subject_ids, n + m)
            if opened is None:
                flat = np.frombuffer(b"".join(map(_third, chunk)), np.float32)
            else:
                flat = np.frombuffer(b"".join([opened(r[0], r[2]) for r in chunk]), np.float32)
            emb[n : n + m] = flat.reshape(m, EMBEDDING_DIM)
            ref_ids[n : n + m] = np.fromiter(map(_first, chunk), np.int64, m)
            subject_ids[n : n + m] = np.fromiter(map(_second, chunk), np.int64, m)
            n += m
            del chunk, flat
    finally:
        cursor.close()
    if n < len(emb):  # references of another model or version were left out
        emb = emb[:n].copy() if n < len(emb) * 0.9 else emb[:n]
    ref_ids, subject_ids = ref_ids[:n], subject_ids[:n]
    expires = np.full(n, -1, np.int64)
    if len(dated):
        at = np.minimum(np.searchsorted(dated, subject_ids), len(dated) - 1)
        hit = dated[at] == subject_ids
        expires[hit] = dated_days[at[hit]]
    return WatchlistRows(emb, ref_ids, subject_ids, expires)


def load_gallery(
    db: DbSession, wl: Watchlist, today: date | None = None
) -> tuple[Gallery, GalleryRows]:
    """The searchable references of ``wl`` on ``today`` (:func:`load_watchlist_rows`, then
    expired listings left out)."""
    return load_watchlist_rows(db, wl).select(today)


def gallery(
    session: Session, watchlist: str, today: date | None = None
) -> tuple[Gallery, Watchlist, GalleryRows]:
    """The searchable references of a watchlist; expired listings are left out. Row ``i`` of the
    gallery is reference ``rows.reference_ids[i]`` of subject ``rows.subject_ids[i]`` (the
    gallery's subject names are the subject ids as text)."""
    with session.db() as db:
        wl = find_watchlist(db, watchlist)
        g, rows = load_gallery(db, wl, today)
    return g, wl, rows


@requires("watchlist.manage")
def set_calibration(
    session: Session, watchlist: str, threshold: float, calibration: dict[str, Any]
) -> None:
    with session.transaction() as db:
        wl = find_watchlist(db, watchlist)
        wl.alert_threshold = threshold
        wl.calibration = json.dumps(calibration, sort_keys=True)
        session.audit(db, "watchlist.calibrated", wl, threshold=threshold)


@dataclass(frozen=True)
class ReferencePhoto:
    """One reference photo of a subject: its face crop (decrypted JPEG) and where it came from."""

    id: int
    source: str  # file name, or "face:<id>"
    crop: bytes
    quality: dict[str, Any]  # the measures, and "detector" / "detection_scale" (new references)
    created_at: str


def reference_photos(session: Session, watchlist: str, subject: str) -> list[ReferencePhoto]:
    """The reference photos of ``subject`` in ``watchlist``, oldest first (like ``face_crop``,
    a read of listing data, not evidence: checked, not a custody event)."""
    session.require("case.read", target=f"watchlist:{watchlist}")
    with session.db() as db:
        wl = find_watchlist(db, watchlist)
        rows = db.execute(
            select(
                Reference.id,
                Reference.source,
                Reference.crop_blob,
                Reference.quality,
                Reference.created_at,
                Subject.ref,
            )
            .join(Subject, Subject.id == Reference.subject_id)
            .where(Subject.watchlist_id == wl.id, sealing.equals(db, Subject.ref, subject))
            .order_by(Reference.id)
        ).all()
    return [
        ReferencePhoto(
            rid,
            source,
            read_blob(session, blob, f"crop of reference photo {rid} ({source})"),
            json.loads(quality),
            at,
        )
        for rid, source, blob, quality, at, ref in rows
        if ref == subject  # re-checked after the blind index
    ]
