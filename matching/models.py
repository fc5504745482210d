"""Tables of the matching layer, in the same encrypted database as the evidence.

Embeddings are float32 bytes inside SQLCipher (encrypted at rest like every other column); face
crops and reference photos are vault blobs. Every row an analyst relies on is audited
(``LAYER`` at the end), so ``custos verify`` proves it was not edited outside Custos.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    select,
)
from sqlalchemy.dialects.postgresql import base as postgresql_types
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Unmapped, mapped_column
from sqlalchemy.types import UserDefinedType

from vault.models import Base, blind, blind_where, sealed
from vault.schema import Audited, BlobUse, Layer, Lookup, item_name, quoted
from vault.sealing import SealedDigest

# the label of a hash-set entry's sealed key (entries and categories are joined on it)
ENTRY_KEY = "hashset_entries.key"


def _engine_version() -> str:
    """The version of the engine that computes every embedding stored here (always local)."""
    from matching.detect import MODEL_VERSION

    return MODEL_VERSION


class MediaInfo(Base):
    """What detection learnt about one item: kind, size, EXIF/container metadata, outcome."""

    __tablename__ = "media_info"
    id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # image | video
    meta: Mapped[str] = sealed(default="{}")  # JSON: captured_at, camera, gps, ...
    faces: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = sealed(nullable=True)
    model: Mapped[str] = mapped_column(String(80))
    analysed_at: Mapped[str] = mapped_column(String(40))


class FaceRecord(Base):
    """A face in a photo, or a video track (one entry per person per clip)."""

    __tablename__ = "faces"
    __table_args__ = (Index("ix_faces_case", "case_id"), Index("ix_faces_item", "item_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(10))  # photo | track
    frame_time: Mapped[float | None] = mapped_column(nullable=True)  # seconds, best frame
    start: Mapped[float | None] = mapped_column(nullable=True)
    end: Mapped[float | None] = mapped_column(nullable=True)
    box: Mapped[str] = mapped_column(Text)  # JSON [top, right, bottom, left]
    landmarks: Mapped[str] = mapped_column(Text)  # JSON [[x, y], ...]
    quality: Mapped[str] = mapped_column(Text)  # JSON
    embedding: Mapped[bytes] = sealed(LargeBinary())  # float32[128]; sealed: biometric
    model: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(40), default=_engine_version)
    crop_blob: Mapped[str] = mapped_column(ForeignKey("blobs.name"))
    captured_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    place: Mapped[str | None] = sealed(nullable=True)  # JSON {lat, lon}
    created_at: Mapped[str] = mapped_column(String(40))


class FaceMark(Base):
    """An analyst's mark on one face (``matching.curation``): ``drawn`` (a box drawn by hand
    around a face the detector missed; the face row is the drawn one) or ``discarded`` (a false
    detection: kept in the record, left out of search, clusters and redaction). Append-only."""

    __tablename__ = "face_marks"
    __table_args__ = (Index("ix_face_marks_case", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # drawn | discarded
    reason: Mapped[str] = sealed()
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))


class ClusterEdit(Base):
    """An analyst's correction of a case's clusters, replayed in order on top of the automatic
    grouping (``matching.curation.apply_edits``): ``split`` (these faces are one person apart
    from the rest of their group), ``merge`` (these faces' groups are one person), ``named``
    (these faces were enrolled as a subject of a watchlist). Append-only."""

    __tablename__ = "cluster_edits"
    __table_args__ = (Index("ix_cluster_edits_case", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # split | merge | named
    faces: Mapped[str] = mapped_column(Text)  # JSON list of face ids
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True)
    reason: Mapped[str] = sealed()
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))


class TrackBoxes(Base):
    """Where a video track's face is in each sampled frame: JSON ``[[t, top, right, bottom,
    left], ...]`` (seconds, original pixels). What redaction interpolates between frames."""

    __tablename__ = "track_boxes"
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id"), primary_key=True)
    boxes: Mapped[str] = mapped_column(Text)


class PdqRecord(Base):
    """A PDQ perceptual hash of a photo, or of one sampled frame of a video (``matching.pdq``).

    Written once per item (by face detection or ``pdq compute``), never changed."""

    __tablename__ = "pdq_hashes"
    __table_args__ = (Index("ix_pdq_item", "item_id"), Index("ix_pdq_case", "case_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    frame_time: Mapped[float | None] = mapped_column(nullable=True)  # seconds, video frames
    hash: Mapped[bytes] = sealed(LargeBinary())  # 32 bytes, the reference hex order
    quality: Mapped[int]  # 0-100; under matching.pdq.MIN_QUALITY never matched
    algorithm: Mapped[str] = mapped_column(String(40))  # matching.pdq.ALGORITHM
    created_at: Mapped[str] = mapped_column(String(40))


class Thumbnail(Base):
    """The small picture of a photo or video shown in the Evidence grid (``matching.thumbs``).

    One row per item, written once, never changed: ``blob`` names the JPEG (a vault blob like a
    face crop, checked by verify), or is None with ``error`` saying in one line why none could
    be made (a damaged or hostile file); the grid then shows a placeholder tile."""

    __tablename__ = "thumbnails"
    __table_args__ = (Index("ix_thumbnails_case", "case_id"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    blob: Mapped[str | None] = mapped_column(ForeignKey("blobs.name"), nullable=True)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    frame_time: Mapped[float | None] = mapped_column(nullable=True)  # seconds, video key frame
    error: Mapped[str | None] = sealed(nullable=True)
    made_at: Mapped[str] = mapped_column(String(40))


class Watchlist(Base):
    __tablename__ = "watchlists"
    __table_args__ = (
        Index("ix_watchlists_name_bidx", "name_bidx", unique=True, **blind_where("name_bidx")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = sealed(String(200), unique=True)
    alert_threshold: Mapped[float]
    calibration: Mapped[str | None] = sealed(nullable=True)  # JSON
    second_review: Mapped[bool] = mapped_column(default=False)
    source_agency: Mapped[str | None] = sealed(nullable=True)
    created_by: Mapped[str] = sealed(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    name_bidx: Unmapped[bytes | None] = blind("name")


class Subject(Base):
    __tablename__ = "subjects"
    __table_args__ = (
        UniqueConstraint("watchlist_id", "ref"),
        Index(
            "ix_subjects_ref_bidx",
            "watchlist_id",
            "ref_bidx",
            unique=True,
            **blind_where("ref_bidx"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"))
    ref: Mapped[str] = sealed(String(200))  # the listing's subject id
    reason: Mapped[str] = sealed()
    agency: Mapped[str] = sealed()
    label: Mapped[str] = mapped_column(String(20))  # TLP 2.0
    review_on: Mapped[str] = mapped_column(String(10))
    expires_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_by: Mapped[str] = sealed(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    ref_bidx: Unmapped[bytes | None] = blind("ref")


class Reference(Base):
    """One reference photo of a subject, with its embedding."""

    __tablename__ = "references"
    # ``coverage`` counts a watchlist by these alone: an index-only scan (r0015)
    __table_args__ = (
        Index("ix_references_subject_model", "subject_id", "model", "model_version", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    photo_blob: Mapped[str] = mapped_column(ForeignKey("blobs.name"))
    crop_blob: Mapped[str] = mapped_column(ForeignKey("blobs.name"))
    source: Mapped[str] = sealed()  # file name, or "face:<id>"
    embedding: Mapped[bytes] = sealed(LargeBinary())  # float32[128]; sealed: biometric
    model: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(40), default=_engine_version)
    quality: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))


class _PgVector(UserDefinedType[bytes]):
    """pgvector's ``vector(128)`` (PostgreSQL only; rows are written by binary COPY and read by
    ``vector_send``, never through the ORM)."""

    cache_ok = True

    def __init__(self, dim: int = 128) -> None:
        self.dim = dim

    def get_col_spec(self, **kw: Any) -> str:
        return f"vector({self.dim})"


# What a reflected ``vector(N)`` column is (Alembic's schema comparison reflects the table):
# the PostgreSQL dialect does not know pgvector's type and warned of it.
postgresql_types.ischema_names.setdefault("vector", _PgVector)


class ReferenceVector(Base):
    """The server's 1:N search table (issue 12 item 3, :mod:`matching.servervectors`): a
    reference embedding under a random 16-byte opaque id, and nothing else (no reference,
    subject or watchlist). Written in the transaction that adds the reference; empty in a local
    vault (where the column is a plain blob and nothing writes it)."""

    __tablename__ = "reference_vectors"
    id: Mapped[bytes] = mapped_column(LargeBinary(), primary_key=True)
    embedding: Mapped[bytes] = mapped_column(LargeBinary().with_variant(_PgVector(), "postgresql"))


class ReferenceVectorId(Base):
    """Which opaque vector id (:class:`ReferenceVector`) holds a reference's embedding on the
    server: sealed to the reference's id, so the server's operator cannot join the two tables
    (and a value moved to another reference fails authentication). ``vector_id_bidx`` is its
    keyed blind index (:mod:`vault.sealing`: HMAC under a vault subkey, not the id), so a
    search finds the references of the few ids pgvector shortlisted without reading the whole
    mapping (:func:`matching.servervectors.lookup`); NULL in a local vault, and in rows written
    before r0013 until ``custos watchlist index`` fills it."""

    __tablename__ = "reference_vector_ids"
    __table_args__ = (
        Index(
            "ix_reference_vector_ids_vector_id_bidx",
            "vector_id_bidx",
            unique=True,
            **blind_where("vector_id_bidx"),
        ),
    )
    reference_id: Mapped[int] = mapped_column(
        ForeignKey("references.id"), primary_key=True, autoincrement=False
    )
    vector_id: Mapped[bytes] = sealed(LargeBinary())
    vector_id_bidx: Unmapped[bytes | None] = blind("vector_id")


def forget(conn: Connection, reference_ids: Iterable[int]) -> int:
    """Delete the vectors of ``reference_ids`` and their mapping rows in the caller's
    transaction (a local vault has none). Returns the vectors deleted."""
    wanted = [int(r) for r in reference_ids]
    if not wanted:
        return 0
    side: Any = ReferenceVectorId.__table__
    opaque = [
        bytes(v)
        for v in conn.scalars(select(side.c.vector_id).where(side.c.reference_id.in_(wanted)))
    ]
    conn.execute(delete(side).where(side.c.reference_id.in_(wanted)))
    if not opaque:
        return 0
    return conn.execute(delete(ReferenceVector).where(ReferenceVector.id.in_(opaque))).rowcount


@event.listens_for(Reference, "before_delete")
def _reference_deleted(mapper: Any, connection: Connection, target: Reference) -> None:
    """A reference deleted takes its server vector and sealed mapping with it, in the same
    transaction (:func:`forget`)."""
    forget(connection, [target.id])


class SearchRun(Base):
    """One 1:N search: what was searched, against what, under which recorded policy."""

    __tablename__ = "search_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    probe: Mapped[str] = sealed()  # "case:<ref>" or the probe photo's name
    watchlists: Mapped[str] = sealed()  # JSON list of names
    mode: Mapped[str] = mapped_column(String(20))
    top: Mapped[int | None] = mapped_column(nullable=True)
    threshold: Mapped[float | None] = mapped_column(nullable=True)
    model: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))


class CandidateRecord(Base):
    """A subject proposed for a face. Never an identification until a human confirms it."""

    __tablename__ = "candidates"
    __table_args__ = (Index("ix_candidates_run", "run_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("search_runs.id"))
    face_id: Mapped[int | None] = mapped_column(ForeignKey("faces.id"), nullable=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))
    rank: Mapped[int]
    distance: Mapped[float]
    threshold: Mapped[float]


class Decision(Base):
    """An analyst's review of a candidate (append-only; a second reviewer adds another)."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_candidate", "candidate_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    decision: Mapped[str] = mapped_column(String(20))  # confirmed | rejected | inconclusive
    reason: Mapped[str] = sealed()
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))


class HashSet(Base):
    """A known-file hash set (NSRL, Project VIC / CAID, an agency's list): who said what about
    which files. Never deleted: ``state`` becomes "deleted" and its entries go, so hits recorded
    against it keep naming it (and verify never sees an audited row vanish)."""

    __tablename__ = "hashsets"
    __table_args__ = (Index("ix_hashsets_name_bidx", "name_bidx", **blind_where("name_bidx")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = sealed(String(200))  # unique among sets not deleted (in the core)
    kind: Mapped[str] = mapped_column(String(20))  # known-good | known-bad | info
    source: Mapped[str | None] = sealed(nullable=True)  # agency or NSRL release
    format: Mapped[str] = mapped_column(String(20))  # nsrl | vics | plain | hashdeep
    state: Mapped[str] = mapped_column(String(20))  # active | disabled | deleted
    # entries per algorithm, JSON {"md5": n, "sha1": n, "sha256": n}
    counts: Mapped[str] = mapped_column(Text)
    # SHA-256 over the entries as stored (``hashsets.entries_digest``): what was imported
    entries_digest: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = sealed()
    file_sha256: Mapped[str] = sealed(String(64))
    imported_by: Mapped[str] = sealed(String(200))
    imported_at: Mapped[str] = mapped_column(String(40))
    changed_by: Mapped[str | None] = sealed(String(200), nullable=True)
    changed_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    name_bidx: Unmapped[bytes | None] = blind("name")


class HashSetEntry(Base):
    """One digest of a set, looked up by primary key. ``key`` is one byte naming the algorithm
    (1 MD5, 2 SHA-1, 3 SHA-256: ``matching.hashparse.ALGORITHMS``) then the binary digest.

    WITHOUT ROWID: the table *is* its primary-key B-tree (no second copy as an index), entries
    of one set are contiguous (import appends them in key order, delete removes one range), and
    a batch of items is looked up with one indexed ``IN``. Two columns only: at 10 million rows
    every column costs seconds of import. Not audited row by row (10 million signatures); the
    set's row records their count and digest (``entries_digest``). On an agency server the
    digest after the code byte is sealed deterministically (``vault.sealing.SealedDigest``)."""

    __tablename__ = "hashset_entries"
    __table_args__ = ({"sqlite_with_rowid": False},)
    set_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id"), primary_key=True)
    key: Mapped[bytes] = mapped_column(SealedDigest(ENTRY_KEY), primary_key=True)


class HashSetCategory(Base):
    """The category a VICS / CAID set gives one of its digests (only entries that have one)."""

    __tablename__ = "hashset_categories"
    __table_args__ = ({"sqlite_with_rowid": False},)
    set_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id"), primary_key=True)
    key: Mapped[bytes] = mapped_column(SealedDigest(ENTRY_KEY), primary_key=True)  # as entries
    category: Mapped[int]


class HashHit(Base):
    """An item found in a set: which set (named and kinded as it was then), which digest,
    which category. Kept when the set is disabled or deleted: it is what was found."""

    __tablename__ = "hashset_hits"
    __table_args__ = (
        UniqueConstraint("item_id", "set_id", "algorithm"),
        Index("ix_hashset_hits_case", "case_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    set_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id"))
    set_name: Mapped[str] = sealed(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    algorithm: Mapped[str] = mapped_column(String(10))  # md5 | sha1 | sha256
    digest: Mapped[str] = sealed(String(64))  # hex, lower case
    category: Mapped[int | None] = mapped_column(nullable=True)
    found_by: Mapped[str] = mapped_column(String(20))  # ingest | match
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))


class HitAck(Base):
    """An analyst's acknowledgement of a known-bad hit (the alert), with a reason."""

    __tablename__ = "hashset_acks"
    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hashset_hits.id"), unique=True)
    reason: Mapped[str] = sealed()
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))


def _hashset(key: object, lookup: Lookup) -> str:
    name = lookup(f"hashsets:{key}").get("name")
    return f"hash set {quoted(name)}" if name else f"hash set {key}"


def _hit(v: Mapping[str, Any], lookup: Lookup) -> str:
    item, name = v.get("item_id", v.get("item")), v.get("set_name", v.get("set"))
    of = f" of {item_name(item, lookup)}" if item is not None else ""
    return f"hash-set hit {v['_key']}{of}" + (f" in {quoted(name)}" if name else "")


def _watchlist(key: object, lookup: Lookup) -> str:
    name = lookup(f"watchlists:{key}").get("name")
    return f"watchlist {quoted(name)}" if name else f"watchlist {key}"


def _subject(v: Mapping[str, Any], lookup: Lookup) -> str:
    ref = v.get("ref") or v.get("subject")
    where = f" of {_watchlist(v['watchlist_id'], lookup)}" if v.get("watchlist_id") else ""
    return f"subject {quoted(ref)}{where}" if ref else f"subject {v['_key']}{where}"


def _reference(v: Mapping[str, Any], lookup: Lookup) -> str:
    subject = v.get("subject_id")
    of = f" of {_subject({**lookup(f'subjects:{subject}'), '_key': subject}, lookup)}"
    return f"reference photo {v['_key']}" + (of if subject is not None else "")


def _face(v: Mapping[str, Any], lookup: Lookup) -> str:
    item = v.get("item_id", v.get("item"))
    return f"face {v['_key']}" + (f" in {item_name(item, lookup)}" if item is not None else "")


def _mark(v: Mapping[str, Any], lookup: Lookup) -> str:
    face = v.get("face_id", v.get("face"))
    kind = v.get("kind", "mark")
    return f"{kind} mark {v['_key']}" + (f" on face {face}" if face is not None else "")


def _edit(v: Mapping[str, Any], _: Lookup) -> str:
    return f"cluster {v.get('kind', 'edit')} {v['_key']}" + (
        f" in case {v['case_id']}" if v.get("case_id") is not None else ""
    )


def _pdq(v: Mapping[str, Any], lookup: Lookup) -> str:
    item = v.get("item_id", v.get("item"))
    at = f" at {v['frame_time']} s" if v.get("frame_time") is not None else ""
    return f"PDQ hash {v['_key']}{at}" + (f" of {item_name(item, lookup)}" if item else "")


def _thumbnail(v: Mapping[str, Any], lookup: Lookup) -> str:
    return f"thumbnail of {item_name(v['_key'], lookup)}"


def _candidate(v: Mapping[str, Any], lookup: Lookup) -> str:
    run = v.get("run_id", v.get("run"))
    return f"candidate {v['_key']}" + (f" of search run {run}" if run is not None else "")


LAYER = Layer(
    "matching",
    tables=(
        MediaInfo,
        FaceRecord,
        FaceMark,
        ClusterEdit,
        TrackBoxes,
        PdqRecord,
        Thumbnail,
        Watchlist,
        Subject,
        Reference,
        ReferenceVector,
        ReferenceVectorId,
        SearchRun,
        CandidateRecord,
        Decision,
        HashSet,
        HashSetEntry,
        HashSetCategory,
        HashHit,
        HitAck,
    ),
    audited=(
        Audited(MediaInfo, lambda v, lookup: f"face analysis of {item_name(v['_key'], lookup)}"),
        Audited(FaceRecord, _face),
        Audited(FaceMark, _mark, append_only=True),
        Audited(ClusterEdit, _edit, append_only=True),
        Audited(TrackBoxes, lambda v, lookup: f"track boxes of face {v['_key']}", append_only=True),
        Audited(PdqRecord, _pdq, append_only=True),
        Audited(Thumbnail, _thumbnail, append_only=True),
        Audited(Watchlist, lambda v, lookup: _watchlist(v["_key"], lambda _: v)),
        Audited(Subject, _subject),
        Audited(Reference, _reference),
        Audited(SearchRun, lambda v, _: f"search run {v['_key']}"),
        Audited(CandidateRecord, _candidate),
        Audited(
            Decision,
            lambda v, _: (
                f"review decision {v['_key']} on candidate "
                f"{v.get('candidate_id', v.get('candidate', '?'))}"
            ),
        ),
        Audited(HashSet, lambda v, lookup: _hashset(v["_key"], lambda _: v)),
        Audited(HashHit, _hit, append_only=True),
        Audited(
            HitAck,
            lambda v, _: (
                f"acknowledgement {v['_key']} of hash-set hit {v.get('hit_id', v.get('hit', '?'))}"
            ),
            append_only=True,
        ),
    ),
    blob_uses=(
        BlobUse(FaceRecord, "crop_blob", "crop"),
        BlobUse(Reference, "photo_blob", "photo"),
        BlobUse(Reference, "crop_blob", "crop"),
        BlobUse(Thumbnail, "blob", "thumbnail"),
    ),
)
