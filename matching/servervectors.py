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
- :func:`mapping` gives the workstation ``opaque id -> reference id`` for one watchlist (the
  search caches it with the watchlist's gallery).

On a local vault (nothing sealed) every function here does nothing: the table stays empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as DbSession

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


def present(db: DbSession, opaque: Sequence[bytes]) -> int:
    """How many of the opaque ids ``opaque`` the server's vector table holds (one query)."""
    if not opaque:
        return 0
    found = db.connection().exec_driver_sql(
        f"SELECT count(*) FROM {TABLE} WHERE id = ANY(%s)", (list(opaque),)
    )
    return int(found.scalar() or 0)


def counts(db: DbSession) -> tuple[int, int]:
    """Rows of the vector table and of the sealed mapping (equal unless rows went missing)."""
    vectors = int(db.scalar(select(func.count()).select_from(ReferenceVector)) or 0)
    mapped = int(db.scalar(select(func.count()).select_from(ReferenceVectorId)) or 0)
    return vectors, mapped


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


def _dangling(db: DbSession) -> list[int]:
    """References whose mapped vector the server no longer holds (removed outside Custos)."""
    rows = [
        (int(r), bytes(v))
        for r, v in db.execute(select(ReferenceVectorId.reference_id, ReferenceVectorId.vector_id))
    ]
    if not rows:
        return []
    held = db.connection().exec_driver_sql(
        f"SELECT id FROM {TABLE} WHERE id = ANY(%s)", ([v for _, v in rows],)
    )
    have = {bytes(i) for (i,) in held}
    return [r for r, v in rows if v not in have]


def backfill(session: Session, emit: Emit, cancel: CancelToken) -> int:
    """Write the vectors of every reference that has none (or whose vector the server lost:
    its mapping is dropped first), ``_BACKFILL_BATCH`` per transaction (each batch whole or not
    at all). Returns how many were written.

    Each transaction appends its own ``watchlist.vectors_written`` entry (how many, the first
    and last reference), so the vectors of a job cancelled or failed half-way are audited too
    (the job's ``watchlist.indexed`` comes last, after the index), and each claims the write
    first: a revoked workstation is refused before it writes anything."""
    with session.db() as db:
        if not on_server(db):
            return 0
    with session.transaction() as db:
        session.claim_write(db, INDEXED)
        lost = _dangling(db)
        if lost:
            db.execute(delete(ReferenceVectorId).where(ReferenceVectorId.reference_id.in_(lost)))
            session.audit(db, WRITTEN, target="watchlists", written=0, dropped=len(lost))
    with session.db() as db:
        total = int(
            db.scalar(
                select(func.count())
                .select_from(Reference)
                .where(Reference.id.not_in(select(ReferenceVectorId.reference_id)))
            )
            or 0
        )
    done = 0
    while done < total:
        cancel.check()
        with session.transaction() as db:
            session.claim_write(db, INDEXED)
            batch = _missing(db, _BACKFILL_BATCH)
            if not batch:
                break
            write(db, batch)
            session.audit(
                db,
                WRITTEN,
                target="watchlists",
                written=len(batch),
                first=batch[0][0],
                last=batch[-1][0],
            )
        done += len(batch)
        emit(Progress(done, total, "references", "writing reference vectors to the server"))
    return done


@dataclass(frozen=True)
class IndexReport:
    written: int  # vectors written for references that had none
    rows: int  # vectors in the server's table
    index_bytes: int


class IndexJob:
    """``custos watchlist index``: write the vectors of references that have none
    (:func:`backfill`), then build the server's HNSW index over the vector table
    (:class:`matching.pgindexjob.BuildIndexJob`: progress from PostgreSQL, cancellable; a
    cancelled build leaves no index, the vectors stay). Once built, PostgreSQL keeps the index
    up to date as vectors are added and deleted; building again does nothing. Audited
    (``watchlist.indexed``). A local vault has no server index: refused in one line."""

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
        written = backfill(session, emit, self.cancel)
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
                vectors=sizes["rows"],
                index="hnsw",
            )
        return IndexReport(written, sizes["rows"], sizes["index_bytes"])
