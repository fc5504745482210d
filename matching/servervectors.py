"""Reference embeddings in the agency server's pgvector table (issue 12, item 3), kept with the
references they belong to.

One table per vault, ``reference_vectors`` (:class:`matching.models.ReferenceVector`): a random
16-byte opaque id and the vector, nothing else. Which reference an opaque id stands for is
``reference_vector_ids.vector_id``, sealed to the reference's id (:mod:`vault.sealing`), so the
server's operator cannot join the two tables by value; which subject and watchlist a vector
belongs to is only known through that sealed mapping. (What the operator still learns: the
vectors themselves, their number, and when each was written: SECURITY.md.)

- :func:`write` adds the vectors of new references in the caller's transaction (enrolment,
  watchlist import: :func:`matching.watchlists.enrol_into`), so a crash leaves both the
  reference and its vector or neither. The rows of one transaction go in shuffled, so their
  order on disk does not follow the references' order.
- :func:`matching.models.forget` removes them in the same transaction (a reference deleted
  through the ORM: its ``before_delete`` hook there).
- :func:`backfill` writes the vectors of references that have none (a vault pushed from a
  workstation, or made before r0012), a batch per transaction; ``custos watchlist index`` runs
  it before building the index (:class:`IndexJob`).
- :func:`lookup` finds the references of the few opaque ids a search shortlisted through the
  mapping's keyed blind index (``vector_id_bidx``, :func:`vault.sealing.among`), each row's
  sealed id opened and checked against the id it was found by, with its reference's sealed
  (authenticated) embedding; :func:`subject_references` reads the searchable references of
  the shortlisted subjects, and :func:`coverage` counts what a search needs to know of the
  whole watchlist (its searchable references, the most per subject, how many are mapped;
  :func:`unblinded` the mapping rows of any watchlist that still lack a blind index):
  a server search reads neither the gallery nor the mapping (branch ``pgrerank``).
- :func:`mapping` gives the workstation ``opaque id -> reference id`` for one watchlist, every
  id opened (read only when the two tables' counts disagree: rows added or removed outside
  Custos, :func:`matching.searching._all_present`).

On a local vault (nothing sealed) every function here does nothing: the table stays empty.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, not_, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as DbSession

from matching.errors import MatchingError
from matching.faces import EMBEDDING_DIM
from matching.models import Reference, ReferenceVector, ReferenceVectorId, Subject
from vault import sealing
from vault.backend import driver_sql
from vault.errors import UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.session import Session

TABLE = ReferenceVector.__tablename__
_BACKFILL_BATCH = 2000


def on_server(db: DbSession | Connection) -> bool:
    """Whether ``db`` is an agency server's (vectors are kept there); a local vault's is not."""
    return sealing.seals(db)


def _copy(conn: Connection, ids: np.ndarray, vectors: np.ndarray) -> None:
    """The rows by one binary COPY on the transaction's own connection."""
    from matching import pgvectors

    raw: Any = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {TABLE} (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy,
    ):
        copy.write(pgvectors._COPY_SIGNATURE)
        copy.write(pgvectors.copy_block(ids, vectors))
        copy.write(pgvectors._COPY_TRAILER)


def write(db: DbSession | Connection, rows: Sequence[tuple[int, bytes]]) -> int:
    """Store the embeddings of references ``rows`` (``(reference id, float32 bytes)``) in the
    server's vector table under fresh opaque ids, and each id sealed on its reference, in the
    caller's transaction. Does nothing on a local vault. Returns the vectors written."""
    if not rows or not on_server(db):
        return 0
    from matching import pgvectors

    vectors = pgvectors.checked(
        np.frombuffer(b"".join(e for _, e in rows), np.float32).reshape(-1, EMBEDDING_DIM),
        "reference embeddings",
    )
    ids = pgvectors.new_ids(len(rows))
    order = np.random.default_rng().permutation(len(rows))  # disk order != reference order
    conn = db if isinstance(db, Connection) else db.connection()
    _copy(conn, ids[order], vectors[order])
    params = [
        {"reference_id": int(ref), "vector_id": bytes(ids[i])} for i, (ref, _) in enumerate(rows)
    ]
    conn.execute(
        insert(ReferenceVectorId),
        sealing.insert_params(conn, ReferenceVectorId, params) or params,
    )
    return len(rows)


def mapping(db: DbSession, watchlist_id: int) -> dict[bytes, int]:
    """``opaque id -> reference id`` of the watchlist's references that have a server vector
    (each id opened, and so authenticated, for its reference). Plain driver rows: SQLAlchemy's
    per-row processing doubled the time at 50,000 references."""
    conn = db.connection()
    opened = sealing.column_opener(db, ReferenceVectorId.vector_id)
    statement = driver_sql(
        conn,
        f'SELECT m.reference_id, m.vector_id FROM "{ReferenceVectorId.__tablename__}" AS m '
        f'JOIN "{Reference.__tablename__}" AS r ON r.id = m.reference_id '
        f'JOIN "{Subject.__tablename__}" AS s ON s.id = r.subject_id WHERE s.watchlist_id = ?',
    )
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement, (int(watchlist_id),))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if opened is None:
        return {bytes(v): int(r) for r, v in rows}
    return {opened(r, bytes(v)): int(r) for r, v in rows}


class Inconsistent(MatchingError):
    """The server's rows contradict each other (a blind index moved to another reference, an id
    the server shortlisted that maps to no reference while every vector is mapped, a vector
    that is not its reference's sealed embedding): the search does not trust the shortlist."""


_BIDX = ReferenceVectorId.__table__.c.vector_id_bidx
_LOOKUP_BATCH = 2000


@dataclass(frozen=True)
class Mapped:
    """A shortlisted opaque id's reference, read through the blind index: its ids and its
    sealed embedding, opened (authenticated) for its row."""

    reference_id: int
    subject_id: int
    embedding: bytes


def lookup(db: DbSession, opaque: Sequence[bytes]) -> dict[bytes, Mapped]:
    """The references of the opaque ids ``opaque`` that have one (ids that map to nothing are
    left out), found by the mapping's blind index (one indexed query per 2,000 ids, never the
    whole mapping). Each row's sealed id is opened for its reference (a value moved there fails
    authentication: ``SealFault``) and must be the id its blind index was looked up for, else
    :class:`Inconsistent` (a blind index moved to another reference)."""
    wanted = list(dict.fromkeys(bytes(i) for i in opaque))
    out: dict[bytes, Mapped] = {}
    for s in range(0, len(wanted), _LOOKUP_BATCH):
        by_blind = {
            sealing.blind_of(db, ReferenceVectorId.vector_id, i): i
            for i in wanted[s : s + _LOOKUP_BATCH]
        }
        # sent in the blind indexes' order, not the shortlist's: a log of the statement does not
        # pair each returned id with the row it finds by position
        part = [by_blind[b] for b in sorted(by_blind, key=lambda b: b or b"")]
        for ref, vid, blind, subject, embedding in db.execute(
            select(
                ReferenceVectorId.reference_id,
                ReferenceVectorId.vector_id,
                _BIDX,
                Reference.subject_id,
                Reference.embedding,
            )
            .join(Reference, Reference.id == ReferenceVectorId.reference_id)
            .where(sealing.among(db, ReferenceVectorId.vector_id, part))
        ):
            asked = by_blind.get(None if blind is None else bytes(blind))
            if asked is None or bytes(vid) != asked:
                raise Inconsistent(
                    f"the blind index of reference {int(ref)}'s vector id is not its own "
                    "(moved on the server)"
                )
            out[asked] = Mapped(int(ref), int(subject), bytes(embedding))
    return out


def _gallery_rows(watchlist_id: int, today: date) -> list[Any]:
    """The conditions of a gallery row (:func:`matching.watchlists.load_gallery`): a reference
    of the watchlist, of the current model and version, whose listing has not expired."""
    from matching.detect import MODEL_VERSION
    from matching.faces import MODEL_NAME

    return [
        Subject.watchlist_id == watchlist_id,
        Reference.model == MODEL_NAME,
        Reference.model_version == MODEL_VERSION,
        or_(
            Subject.expires_on.is_(None),
            Subject.expires_on == "",
            Subject.expires_on >= today.isoformat(),  # ISO dates (checked: ``Coverage``)
        ),
    ]


@dataclass(frozen=True)
class Coverage:
    """What a server search needs to know of a whole watchlist, counted by the server."""

    references: int  # searchable today (the exact search's gallery size)
    most_per_subject: int  # the gallery's ``max_refs_per_subject``
    mapped: int  # of those, with an opaque id in the mapping
    odd_dates: int  # subjects whose expiry is not a YYYY-MM-DD date (compared as text above)


def coverage(db: DbSession, watchlist_id: int, today: date) -> Coverage:
    """The watchlist's :class:`Coverage`: three aggregate queries (the last gives each distinct
    expiry of a date's shape, parsed here), no reference leaves the server."""
    per_subject = (
        select(
            func.count().label("n"),
            func.count(ReferenceVectorId.reference_id).label("mapped"),
        )
        .select_from(Reference)
        .join(Subject, Subject.id == Reference.subject_id)
        .outerjoin(ReferenceVectorId, ReferenceVectorId.reference_id == Reference.id)
        .where(*_gallery_rows(watchlist_id, today))
        .group_by(Reference.subject_id)
        .subquery()
    )
    n, most, mapped = db.execute(
        select(
            func.coalesce(func.sum(per_subject.c.n), 0),
            func.coalesce(func.max(per_subject.c.n), 0),
            func.coalesce(func.sum(per_subject.c.mapped), 0),
        )
    ).one()
    # a date's shape checked by the server, the date itself here (``2026-02-30`` has the shape):
    # nothing newer than PostgreSQL 15 (``pg_input_is_valid`` is 16's), and only the distinct
    # well-shaped expiries leave the server
    shaped = Subject.expires_on.regexp_match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    listed = (
        Subject.watchlist_id == watchlist_id,
        Subject.expires_on.is_not(None),
        Subject.expires_on != "",
    )
    odd = int(
        db.scalar(select(func.count()).select_from(Subject).where(*listed, not_(shaped))) or 0
    )
    for day, many in db.execute(
        select(Subject.expires_on, func.count()).where(*listed, shaped).group_by(Subject.expires_on)
    ):
        try:
            date.fromisoformat(str(day))
        except ValueError:
            odd += int(many)
    return Coverage(int(n), int(most), int(mapped), odd)


def unblinded(db: DbSession) -> int:
    """Mapping rows, of any watchlist or reference, with no blind index (written before r0013
    and not yet filled by ``custos watchlist index``): the server may shortlist their ids,
    which no look-up finds (one count)."""
    return int(
        db.scalar(select(func.count()).select_from(ReferenceVectorId).where(_BIDX.is_(None))) or 0
    )


def searchable_ids(db: DbSession, watchlist_id: int, today: date) -> set[int]:
    """The ids of the watchlist's searchable references (ids only, nothing opened)."""
    return {
        int(r)
        for r in db.scalars(
            select(Reference.id)
            .join(Subject, Subject.id == Reference.subject_id)
            .where(*_gallery_rows(watchlist_id, today))
        )
    }


def subject_references(
    db: DbSession, watchlist_id: int, subject_ids: Sequence[int], today: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every searchable reference of those subjects ``subject_ids`` that are the watchlist's
    and listed today (others left out): reference ids, subject ids and embeddings (each opened,
    so authenticated, for its row), in reference id order."""
    ids: list[int] = []
    subjects: list[int] = []
    blobs: list[bytes] = []
    wanted = sorted({int(s) for s in subject_ids})
    for s in range(0, len(wanted), _LOOKUP_BATCH):
        for ref, subject, embedding in db.execute(
            select(Reference.id, Reference.subject_id, Reference.embedding)
            .join(Subject, Subject.id == Reference.subject_id)
            .where(
                Reference.subject_id.in_(wanted[s : s + _LOOKUP_BATCH]),
                *_gallery_rows(watchlist_id, today),
            )
            .order_by(Reference.id)
        ):
            ids.append(int(ref))
            subjects.append(int(subject))
            blobs.append(bytes(embedding))
    emb = np.frombuffer(b"".join(blobs), np.float32).reshape(-1, EMBEDDING_DIM)
    return np.array(ids, np.int64), np.array(subjects, np.int64), emb


def present(db: DbSession, opaque: Sequence[bytes]) -> int:
    """How many of the opaque ids ``opaque`` the server's vector table holds (one query)."""
    if not opaque:
        return 0
    found = db.connection().exec_driver_sql(
        f"SELECT count(*) FROM {TABLE} WHERE id = ANY(%s)", (list(opaque),)
    )
    return int(found.scalar() or 0)


def counts(db: DbSession) -> tuple[int, int]:
    """Rows of the vector table and of the sealed mapping (equal unless rows went missing), in
    one statement: two could see another desk's commit between them (READ COMMITTED)."""
    vectors, mapped = db.execute(
        select(
            select(func.count()).select_from(ReferenceVector).scalar_subquery(),
            select(func.count()).select_from(ReferenceVectorId).scalar_subquery(),
        )
    ).one()
    return int(vectors or 0), int(mapped or 0)


@contextlib.contextmanager
def snapshot(session: Session) -> Iterator[DbSession]:
    """``session.db()`` in one REPEATABLE READ transaction: every statement in it sees the
    server as at its first, so other desks' commits meanwhile (a reference deleted or enrolled
    between a shortlist and its look-ups) cannot look like rows contradicting each other."""
    with session.db() as db:
        db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield db


def _missing(db: DbSession, limit: int) -> list[tuple[int, bytes]]:
    have = select(ReferenceVectorId.reference_id)
    return [
        (int(r), bytes(e))
        for r, e in db.execute(
            select(Reference.id, Reference.embedding)
            .where(Reference.id.not_in(have))
            .order_by(Reference.id)
            .limit(limit)
        )
    ]


INDEXED = "watchlist.indexed"
WRITTEN = "watchlist.vectors_written"  # one per backfill batch (or dropped mappings)
REMOVED = "watchlist.vectors_removed"  # vectors no mapping names (orphans), removed


def _unmatched(db: DbSession) -> tuple[list[int], list[bytes]]:
    """The two tables' rows that do not pair up: references whose mapped vector the server no
    longer holds, and vectors (opaque ids) that no mapping row names (orphans: left by a crash
    or by the operator). Every mapping row is read and its id opened, so authenticated for its
    reference (an id the operator wrote there fails, ``SealFault``: nothing is removed by it).
    The vector table's ids are read first: a vector and its mapping are committed together, so
    a vector seen there has its mapping seen after it (and the caller holds the write lock)."""
    held = {bytes(i) for (i,) in db.connection().exec_driver_sql(f"SELECT id FROM {TABLE}")}
    rows = [
        (int(r), bytes(v))
        for r, v in db.execute(select(ReferenceVectorId.reference_id, ReferenceVectorId.vector_id))
    ]
    mapped = {v for _, v in rows}
    return [r for r, v in rows if v not in held], sorted(held - mapped)


def removed_digest(opaque_ids: list[bytes]) -> str:
    """Which orphan vectors were removed, as their audit entry records it: SHA-256 over their
    opaque ids in hex, sorted, one a line (an operator who kept the ids can check it)."""
    listed = "\n".join(sorted(i.hex() for i in opaque_ids))
    return hashlib.sha256(listed.encode()).hexdigest()


def backfill(session: Session, emit: Emit, cancel: CancelToken) -> int:
    """:func:`reconcile`, then how many vectors were written."""
    return reconcile(session, emit, cancel)[0]


def reconcile(session: Session, emit: Emit, cancel: CancelToken) -> tuple[int, int]:
    """Write the vectors of every reference that has none (or whose vector the server lost:
    its mapping is dropped first), ``_BACKFILL_BATCH`` per transaction (each batch whole or not
    at all). Returns how many were written and how many orphans were removed: vectors that no
    mapping row names (their count keeps every server search on the whole-mapping check,
    ``matching.searching``), removed first, in the transaction that drops the lost mappings,
    audited (``watchlist.vectors_removed``: how many, and which: :func:`removed_digest`).

    Each transaction appends its own ``watchlist.vectors_written`` entry (how many, the first
    and last reference), so the vectors of a job cancelled or failed half-way are audited too
    (the job's ``watchlist.indexed`` comes last, after the index), and each claims the write
    first: a revoked workstation is refused before it writes anything."""
    with session.db() as db:
        if not on_server(db):
            return 0, 0
    with session.transaction() as db:
        session.claim_write(db, INDEXED)
        lost, orphans = _unmatched(db)
        if lost:
            db.execute(delete(ReferenceVectorId).where(ReferenceVectorId.reference_id.in_(lost)))
            session.audit(db, WRITTEN, target="watchlists", written=0, dropped=len(lost))
        if orphans:
            db.connection().exec_driver_sql(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", (orphans,))
            session.audit(
                db,
                REMOVED,
                target="watchlists",
                removed=len(orphans),
                removed_sha256=removed_digest(orphans),
            )
    with session.db() as db:
        total = int(
            db.scalar(
                select(func.count())
                .select_from(Reference)
                .where(Reference.id.not_in(select(ReferenceVectorId.reference_id)))
            )
            or 0
        )

    def step(db: DbSession) -> list[int]:
        batch = _missing(db, _BACKFILL_BATCH)
        write(db, batch)
        return [int(r) for r, _ in batch]

    written = _batches(
        session, emit, cancel, total, step, "written", "writing reference vectors to the server"
    )
    return written, len(orphans)


def _batches(
    session: Session,
    emit: Emit,
    cancel: CancelToken,
    total: int,
    step: Callable[[DbSession], list[int]],
    key: str,
    what: str,
) -> int:
    """Run ``step`` (the references it did, in order; none when none were left) a transaction
    at a time until ``total`` rows are done, each transaction claiming the write first (a
    revoked workstation is refused before it writes anything) and appending its own
    ``watchlist.vectors_written`` entry (``key``: how many, and the first and last reference),
    so a job cancelled half-way leaves nothing unaudited. Returns the rows done."""
    done = 0
    while done < total:
        cancel.check()
        with session.transaction() as db:
            session.claim_write(db, INDEXED)
            refs = step(db)
            if refs:
                details: dict[str, Any] = {key: len(refs), "first": refs[0], "last": refs[-1]}
                session.audit(
                    db,
                    WRITTEN,
                    target="watchlists",
                    **details,
                )
        if not refs:
            break
        done += len(refs)
        emit(Progress(done, total, "references", what))
    return done


def fill_blind(session: Session, emit: Emit, cancel: CancelToken) -> int:
    """Fill the blind index of every mapping row that has none (rows written before r0013,
    whose migration had no vault key), ``_BACKFILL_BATCH`` per transaction, each id opened for
    its reference first. Returns how many were filled; a local vault has none to fill."""
    with session.db() as db:
        if not on_server(db):
            return 0
        total = int(
            db.scalar(select(func.count()).select_from(ReferenceVectorId).where(_BIDX.is_(None)))
            or 0
        )

    def step(db: DbSession) -> list[int]:
        rows = db.execute(
            select(ReferenceVectorId.reference_id, ReferenceVectorId.vector_id)
            .where(_BIDX.is_(None))
            .order_by(ReferenceVectorId.reference_id)
            .limit(_BACKFILL_BATCH)
        ).all()
        if rows:
            db.connection().exec_driver_sql(
                f"UPDATE {ReferenceVectorId.__tablename__} AS m SET vector_id_bidx = v.b "
                "FROM unnest(%s::bigint[], %s::bytea[]) AS v(r, b) WHERE m.reference_id = v.r",
                (
                    [int(r) for r, _ in rows],
                    [sealing.blind_of(db, ReferenceVectorId.vector_id, bytes(v)) for _, v in rows],
                ),
            )
        return [int(r) for r, _ in rows]

    return _batches(session, emit, cancel, total, step, "blinded", "indexing the vector ids")


@dataclass(frozen=True)
class IndexReport:
    written: int  # vectors written for references that had none
    rows: int  # vectors in the server's table
    index_bytes: int
    blinded: int = 0  # mapping rows whose blind index was filled (written before r0013)
    removed: int = 0  # vectors no mapping row named (orphans), removed


class IndexJob:
    """``custos watchlist index``: remove the vectors no mapping row names and write the
    vectors of references that have none (:func:`reconcile`), fill the blind index of mapping
    rows written before r0013 (:func:`fill_blind`), then build the server's HNSW index over the
    vector table (:class:`matching.pgindexjob.BuildIndexJob`: progress from PostgreSQL,
    cancellable; a cancelled build leaves no index, the vectors stay). Once built, PostgreSQL
    keeps the index up to date as vectors are added and deleted; building again does nothing.
    Audited (``watchlist.indexed``). A local vault has no server index: refused in one line."""

    def __init__(self, session: Session, cancel: CancelToken | None = None) -> None:
        self.session = session
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> IndexReport:
        from matching import pgvectors
        from matching.pgindexjob import BuildIndexJob

        session = self.session
        session.require("watchlist.manage", target="watchlists")
        with session.db() as db:
            if not on_server(db):
                raise UserError(
                    "a local vault is searched on this workstation: the search index is built "
                    "on an agency server only"
                )
        written, removed = reconcile(session, emit, self.cancel)
        blinded = fill_blind(session, emit, self.cancel)
        backend: Any = session.backend
        connections = [backend.raw_connection(), backend.raw_connection()]
        try:
            store = pgvectors.VectorStore(connections, TABLE)
            sizes = BuildIndexJob(store, cancel=self.cancel).run(emit)
        finally:
            for conn in connections:
                conn.close()
        with session.transaction() as db:
            session.audit(
                db,
                INDEXED,
                target="watchlists",
                written=written,
                blinded=blinded,
                removed=removed,
                vectors=sizes["rows"],
                index="hnsw",
            )
        return IndexReport(written, sizes["rows"], sizes["index_bytes"], blinded, removed)
