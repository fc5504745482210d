"""Watchlist reference embeddings on the agency server: PostgreSQL + pgvector (HNSW, or IVFFlat
by choice), a shortlist re-ranked exactly on the workstation.

The server table holds two columns and nothing else::

    id         bytea PRIMARY KEY   16 random bytes (os.urandom): not the reference's id, not its
                                   subject, not its watchlist; the mapping stays on the workstation
    embedding  vector(128) NOT NULL

plus an HNSW index with ``vector_l2_ops``: Custos's one distance is the Euclidean distance between
dlib embeddings (:mod:`matching.distance`), which is pgvector's ``<->``. With ``halfvec=True`` the
index is built over ``embedding::halfvec(128)`` (``halfvec_l2_ops``: the graph holds 16-bit
floats, a quarter smaller) and searched by the same expression; the table keeps the float32
vectors, so the shortlist comes back in float32 and the re-rank stays exact (a shortlist a little
wider than ``k`` absorbs the half-precision order at its edge). ``index="ivfflat"`` builds
pgvector's IVFFlat instead (``lists`` k-means lists, trained on the rows present, so built after
the bulk load; a search scans the ``ivf_probes`` nearest lists with exact distances, under
``ivfflat.iterative_scan`` and with the sequential scan disabled so the planner keeps the index
however many lists are scanned): at 1M a build of half a minute to 2 minutes against HNSW's 21
and half the index (a quarter over ``halfvec``), but recall@50 0.99 needs 15% of the gallery
scanned, about 100 ms of server CPU per probe (pgvector spends ~0.67 us on each scanned row):
3-4x HNSW's walk (PERFORMANCE.md, "1:N on the server", session 10). HNSW stays the default.

- **Insert** in bulk: one ``COPY ... FROM STDIN (FORMAT BINARY)`` per block, its bytes laid out by
  numpy (PostgreSQL's binary COPY: signature, then per row a field count, the 16-byte id, and the
  vector's binary form ``int16 dim, int16 0, float4[dim]`` big-endian), never row by row.
- **Search**: a batch of probes in one round trip per connection, ``unnest`` of a ``vector[]``
  with a ``LATERAL ... ORDER BY embedding <-> probe LIMIT width``, under ``SET LOCAL
  hnsw.ef_search``; each probe's shortlist comes back as opaque ids with their vectors
  (``vector_send``: the binary form, parsed by numpy in one piece). A batch is split across the
  store's connections (one PostgreSQL backend, one core each).
- **Re-rank** on the workstation with :func:`matching.index.rerank`, the re-rank of the faiss
  index too (distances from :mod:`matching.distance`, no second kernel), then the calibrated
  threshold is applied there. Results equal the exact search's whenever the true neighbours are
  in the shortlist: the recall of the HNSW shortlist against exact is measured in
  ``benchmarks/bench_pgvector.py`` (PERFORMANCE.md, "1:N on the server").

Hostile input (NaN or infinite values, a wrong dimension, an empty batch) is refused in one line
(:class:`VectorInputError`) before anything reaches the server.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from matching import distance
from matching.errors import MatchingError
from matching.faces import EMBEDDING_DIM
from matching.index import rerank

ID_BYTES = 16
"""Length of an opaque vector id (random bytes)."""

DEFAULT_TABLE = "reference_vectors"

DEFAULT_M = 32
DEFAULT_EF_CONSTRUCTION = 96
DEFAULT_EF_SEARCH = 600
"""ef_search of a search unless given. On the benchmark's synthetic 1M gallery with the default
graph (m 32, ef_construction 96: build 21 min, index 981 MB on 2 cores) it gives recall@50 0.991
and recall@10 0.998 at 18-21 ms/probe; 400 gives 0.980 at 11-15 ms/probe (m 16,
ef_construction 64 gave 0.922 there): PERFORMANCE.md, "1:N on the server"."""

_MAX_EF_SEARCH = 1000  # pgvector's limit

INDEX_KINDS = ("hnsw", "ivfflat")
"""The index a store is built and searched with: pgvector's HNSW graph (the default) or its
IVFFlat inverted file (k-means lists; a search scans the ``ivf_probes`` nearest lists with exact
distances)."""

DEFAULT_LISTS = 1000
"""IVFFlat lists unless given (pgvector's advice for 1M rows: rows / 1000)."""

DEFAULT_IVF_PROBES = 170
"""IVFFlat lists scanned per probe unless given (meant for ~1000 lists). On the benchmark's
synthetic 1M gallery with 1000 lists (float32: build 33 s, index 525 MB; ``halfvec``: 274 MB)
150 lists give recall@50 0.988 and 200 give 0.996, at 104 and 132 ms of server CPU per probe
(about 52 and 66 ms/probe on two idle cores); HNSW (the default) gives 0.991 at 17.9 ms/probe
on the quiet machine: IVFFlat does not beat it (PERFORMANCE.md, "1:N on the server", sessions 8
and 10)."""

_MAX_IVF_LISTS = 32768  # pgvector's limit on lists (and so on probes)
_IVF_WORK_MEM = "64MB"
"""work_mem of an IVFFlat search: pgvector sorts every tuple of the scanned lists, and at the
default 4 MB the sort of 300 lists of a 1M table spilled to temporary files."""
_COPY_BLOCK = 65_536  # rows per COPY write (35 MB of COPY data)
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_VECTOR_BYTES = 4 + 4 * EMBEDDING_DIM  # vector's binary form: int16 dim, int16 0, float4[dim]
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("id_len", ">i4"),
        ("id", "V16"),
        ("vec_len", ">i4"),
        ("dim", ">i2"),
        ("unused", ">i2"),
        ("vec", ">f4", (EMBEDDING_DIM,)),
    ]
)
_SENT_VECTOR = np.dtype([("dim", ">i2"), ("unused", ">i2"), ("vec", ">f4", (EMBEDDING_DIM,))])


class VectorInputError(MatchingError):
    """Embeddings given to the server store are malformed (refused before any is sent)."""


def checked(vectors: Any, what: str) -> np.ndarray:
    """``vectors`` as a float32 ``(n, 128)`` matrix, or :class:`VectorInputError` naming ``what``
    and the first bad row: no rows, a wrong dimension, NaN or infinite values."""
    try:
        arr = np.asarray(vectors, dtype=np.float32)
    except (ValueError, TypeError) as err:
        raise VectorInputError(f"{what}: not a matrix of numbers ({err})") from None
    if arr.ndim == 1 and arr.size:
        arr = arr[None, :]
    if arr.size == 0:
        raise VectorInputError(f"{what}: the batch is empty")
    if arr.ndim != 2 or arr.shape[1] != EMBEDDING_DIM:
        shape = "x".join(map(str, arr.shape))
        raise VectorInputError(f"{what}: expected {EMBEDDING_DIM}-d embeddings, got shape {shape}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise VectorInputError(
            f"{what}: row {row} holds NaN or infinite values ({int(bad.sum())} such rows)"
        )
    return np.ascontiguousarray(arr)


def new_ids(n: int) -> np.ndarray:
    """``n`` fresh opaque ids: random 16-byte values (``V16`` array; ``bytes(ids[i])``)."""
    return np.frombuffer(os.urandom(ID_BYTES * n), dtype=f"V{ID_BYTES}").copy()


def _as_ids(ids: Sequence[bytes] | np.ndarray, what: str) -> np.ndarray:
    if isinstance(ids, np.ndarray) and ids.dtype == np.dtype(f"V{ID_BYTES}"):
        return ids
    items = list(ids)
    if any(not isinstance(i, bytes | bytearray) or len(i) != ID_BYTES for i in items):
        raise VectorInputError(f"{what}: every id must be {ID_BYTES} bytes")
    return np.frombuffer(b"".join(items), dtype=f"V{ID_BYTES}").copy()


def copy_block(ids: np.ndarray, vectors: np.ndarray) -> bytes:
    """The rows' PostgreSQL binary-COPY tuples (without signature or trailer)."""
    rows = np.empty(len(ids), _COPY_ROW)
    rows["fields"] = 2
    rows["id_len"] = ID_BYTES
    rows["id"] = ids
    rows["vec_len"] = _VECTOR_BYTES
    rows["dim"] = EMBEDDING_DIM
    rows["unused"] = 0
    rows["vec"] = vectors
    return rows.tobytes()


def _probe_array(q: np.ndarray) -> str:
    """Probes as a ``vector[]`` literal (shortest round-trip decimal of each float32)."""
    return "{" + ",".join('"[' + ",".join(map(repr, row.tolist())) + ']"' for row in q) + "}"


@dataclass
class Shortlist:
    """The shortlisted vectors of a batch, flat (what :func:`matching.index.rerank` gathers
    from): ``embeddings`` (R, 128), their squared norms and opaque ``ids`` (R,)."""

    embeddings: np.ndarray
    ids: np.ndarray
    sq_norms: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.sq_norms = distance.sq_norms(self.embeddings)

    def __len__(self) -> int:
        return int(self.embeddings.shape[0])


@dataclass(frozen=True)
class Found:
    """Result of :meth:`VectorStore.search`: per probe, up to ``k`` opaque ids ascending by exact
    distance. Empty slots (fewer found, or beyond the threshold) have distance ``inf`` and
    ``found`` false."""

    distances: np.ndarray  # (P, k) float32
    ids: np.ndarray  # (P, k) V16
    found: np.ndarray  # (P, k) bool

    def probe(self, p: int) -> list[tuple[bytes, float]]:
        """Probe ``p``'s results as ``(id, distance)`` pairs, nearest first."""
        keep = self.found[p]
        return [
            (bytes(i), float(d))
            for i, d in zip(self.ids[p][keep], self.distances[p][keep], strict=True)
        ]


class VectorStore:
    """Reference embeddings in one pgvector table (see module docstring), searched over
    ``len(connections)`` connections at once."""

    def __init__(
        self,
        connections: Sequence[psycopg.Connection[Any]],
        table: str = DEFAULT_TABLE,
        *,
        halfvec: bool = False,
        index: str = "hnsw",
    ) -> None:
        if not connections:
            raise ValueError("at least one connection is needed")
        if index not in INDEX_KINDS:
            raise ValueError(f"unknown index kind {index!r} (one of {', '.join(INDEX_KINDS)})")
        self.connections = list(connections)
        self.table = table
        self.halfvec = halfvec
        self.index = index
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    @contextmanager
    def connect(
        cls,
        conninfo: str,
        table: str = DEFAULT_TABLE,
        connections: int = 2,
        *,
        halfvec: bool = False,
        index: str = "hnsw",
    ) -> Iterator[VectorStore]:
        """A store over ``connections`` new connections to ``conninfo`` (closed on exit)."""
        conns = [psycopg.connect(conninfo, autocommit=True) for _ in range(connections)]
        store = cls(conns, table, halfvec=halfvec, index=index)
        try:
            yield store
        finally:
            store.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for conn in self.connections:
            conn.close()

    @property
    def _conn(self) -> psycopg.Connection[Any]:
        return self.connections[0]

    def _ident(self) -> sql.Identifier:
        return sql.Identifier(self.table)

    def _key(self, column: str) -> sql.Composable:
        """What the index orders by: the vector, or its half-precision cast."""
        if not self.halfvec:
            return sql.Identifier(*column.split("."))
        return sql.SQL("({}::halfvec({}))").format(
            sql.Identifier(*column.split(".")), sql.Literal(EMBEDDING_DIM)
        )

    # -- schema ----------------------------------------------------------------------------------

    def create(self) -> None:
        """The extension and the table (no index yet: build it after a bulk load)."""
        with self._conn.transaction():
            self._conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            self._conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id bytea PRIMARY KEY "
                    "CHECK (octet_length(id) = {}), embedding vector({}) NOT NULL)"
                ).format(self._ident(), sql.Literal(ID_BYTES), sql.Literal(EMBEDDING_DIM))
            )

    @property
    def index_name(self) -> str:
        """The index's name: ``<table>_hnsw`` or ``<table>_ivfflat``."""
        return f"{self.table}_{self.index}"

    def build_index(
        self,
        m: int = DEFAULT_M,
        ef_construction: int = DEFAULT_EF_CONSTRUCTION,
        *,
        lists: int = DEFAULT_LISTS,
        maintenance_work_mem: str = "1GB",
        workers: int = 2,
    ) -> None:
        """Build the store's index over ``vector_l2_ops``, or ``halfvec_l2_ops`` over the
        half-precision cast (Euclidean, Custos's distance): HNSW (``m``, ``ef_construction``;
        the graph is built in memory when it fits in ``maintenance_work_mem``, much faster) or
        IVFFlat (``lists`` k-means lists, trained on the rows present: build it after the bulk
        load). ``workers`` parallel maintenance workers besides the leader."""
        if self.index == "hnsw":
            method = sql.SQL("hnsw")
            options = sql.SQL("m = {}, ef_construction = {}").format(
                sql.Literal(int(m)), sql.Literal(int(ef_construction))
            )
        else:
            if not 1 <= int(lists) <= _MAX_IVF_LISTS:
                raise VectorInputError(f"IVFFlat lists must be 1-{_MAX_IVF_LISTS}, got {lists}")
            method = sql.SQL("ivfflat")
            options = sql.SQL("lists = {}").format(sql.Literal(int(lists)))
        conn = self._conn
        with conn.transaction():
            conn.execute(
                "SELECT set_config('maintenance_work_mem', %s, true), "
                "set_config('max_parallel_maintenance_workers', %s, true)",
                (maintenance_work_mem, str(workers)),
            )
            conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING {} ({} {}) WITH ({})").format(
                    sql.Identifier(self.index_name),
                    self._ident(),
                    method,
                    self._key("embedding"),
                    sql.SQL("halfvec_l2_ops" if self.halfvec else "vector_l2_ops"),
                    options,
                )
            )

    def sizes(self) -> dict[str, int]:
        """Rows, table bytes and index bytes (``pg_relation_size``)."""
        conn = self._conn
        row = conn.execute(
            sql.SQL(
                "SELECT (SELECT count(*) FROM {}), pg_relation_size(%s::regclass), "
                "coalesce(pg_relation_size(to_regclass(%s)), 0)"
            ).format(self._ident()),
            (
                self._ident().as_string(conn),
                sql.Identifier(self.index_name).as_string(conn),
            ),
        ).fetchone()
        assert row is not None
        return {"rows": int(row[0]), "table_bytes": int(row[1]), "index_bytes": int(row[2])}

    # -- writing ---------------------------------------------------------------------------------

    def insert(self, vectors: Any) -> np.ndarray:
        """Store ``vectors`` (refused whole if any is malformed) under fresh opaque ids, by
        binary COPY in one transaction; returns their ids in row order."""
        x = checked(vectors, "embeddings to store")
        ids = new_ids(len(x))
        conn = self._conn
        copy_sql = sql.SQL("COPY {} (id, embedding) FROM STDIN WITH (FORMAT BINARY)").format(
            self._ident()
        )
        with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
            copy.write(_COPY_SIGNATURE)
            for s in range(0, len(x), _COPY_BLOCK):
                copy.write(copy_block(ids[s : s + _COPY_BLOCK], x[s : s + _COPY_BLOCK]))
            copy.write(_COPY_TRAILER)
        return ids

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        """Every stored ``(ids, vectors)``, by one binary ``COPY ... TO STDOUT`` parsed by numpy:
        for a workstation that searches exactly (or with its own index) over the server's
        vectors instead of through the HNSW shortlist."""
        conn = self._conn
        copy_sql = sql.SQL("COPY {} (id, embedding) TO STDOUT WITH (FORMAT BINARY)").format(
            self._ident()
        )
        with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        head = len(_COPY_SIGNATURE)
        n = (len(data) - head - len(_COPY_TRAILER)) // _COPY_ROW.itemsize
        if data[:head] != _COPY_SIGNATURE or head + n * _COPY_ROW.itemsize + 2 != len(data):
            raise ValueError("unexpected binary COPY layout from the server")
        rows = np.frombuffer(data, _COPY_ROW, count=n, offset=head)
        if n and not (
            (rows["fields"] == 2).all()
            and (rows["id_len"] == ID_BYTES).all()
            and (rows["dim"] == EMBEDDING_DIM).all()
        ):
            raise ValueError("unexpected binary COPY rows from the server")
        return rows["id"].copy(), rows["vec"].astype(np.float32)

    def delete(self, ids: Sequence[bytes] | np.ndarray) -> int:
        """Delete the rows of ``ids``; returns how many were there."""
        arr = _as_ids(ids, "ids to delete")
        if not len(arr):
            raise VectorInputError("ids to delete: the batch is empty")
        with self._conn.transaction():
            cur = self._conn.execute(
                sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self._ident()),
                ([bytes(i) for i in arr],),
            )
            return cur.rowcount

    # -- searching -------------------------------------------------------------------------------

    def shortlist(
        self,
        probes: Any,
        width: int,
        ef_search: int = DEFAULT_EF_SEARCH,
        *,
        ivf_probes: int = DEFAULT_IVF_PROBES,
    ) -> tuple[Shortlist, np.ndarray]:
        """Each probe's ``width`` nearest stored vectors by the store's index: ``(shortlist,
        cand)``, ``cand`` (P, width) rows of the shortlist per probe (-1 where fewer came back).
        HNSW searches with ``ef = max(ef_search, width)`` (at most pgvector's 1000); IVFFlat
        scans the ``ivf_probes`` nearest lists (with iterative scan, more when they hold fewer
        than ``width`` rows)."""
        q = checked(probes, "probes")
        width = max(1, int(width))
        if self.index == "hnsw":
            ef = min(_MAX_EF_SEARCH, max(int(ef_search), width))
            settings = {"hnsw.ef_search": str(ef)}
            if width > ef:  # more than one graph search gives: pgvector's iterative scan
                settings["hnsw.iterative_scan"] = "relaxed_order"  # re-ranked here anyway
        else:
            if not 1 <= int(ivf_probes) <= _MAX_IVF_LISTS:
                raise VectorInputError(
                    f"probes: IVFFlat lists to scan must be 1-{_MAX_IVF_LISTS}, got {ivf_probes}"
                )
            # the planner's cost for IVFFlat grows with the lists scanned: at 1M with 1000 lists
            # it keeps the index up to 500 scanned and picks a full scan and sort when all are
            # (exact, but then the index is not what answers): the index is what this query is for
            settings = {
                "ivfflat.probes": str(int(ivf_probes)),
                "ivfflat.iterative_scan": "relaxed_order",
                "enable_seqscan": "off",
                "work_mem": _IVF_WORK_MEM,
            }
        parts = np.array_split(np.arange(len(q)), min(len(self.connections), len(q)))
        jobs = [(conn, q[p]) for conn, p in zip(self.connections, parts, strict=False)]
        if len(jobs) == 1:
            results = [self._shortlist_on(jobs[0][0], jobs[0][1], width, settings)]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(len(self.connections))
            work = self._shortlist_on
            futures = [self._pool.submit(work, c, part, width, settings) for c, part in jobs]
            results = [f.result() for f in futures]
        ids = np.concatenate([r[0] for r in results])
        vecs = np.concatenate([r[1] for r in results])
        cand = np.full((len(q), width), -1, np.int64)
        offset, start = 0, 0
        for (_, part), (rids, _, counts) in zip(jobs, results, strict=True):
            starts = np.cumsum(counts) - counts
            for p in range(len(part)):
                n = int(counts[p])
                cand[start + p, :n] = np.arange(n) + starts[p] + offset
            offset += len(rids)
            start += len(part)
        return Shortlist(vecs, ids), cand

    def _shortlist_on(
        self, conn: psycopg.Connection[Any], q: np.ndarray, width: int, settings: dict[str, str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One round trip: ``(ids (R,), vectors (R, 128), rows per probe (P,))``, by probe."""
        query = sql.SQL(
            "SELECT p.n, v.id, vector_send(v.embedding) "
            "FROM unnest(%s::vector[]) WITH ORDINALITY AS p(probe, n) "
            "CROSS JOIN LATERAL (SELECT id, embedding FROM {} "
            "ORDER BY {} <-> {} LIMIT %s) AS v ORDER BY p.n"
        ).format(self._ident(), self._key("embedding"), self._key("p.probe"))
        with conn.transaction(), conn.cursor(binary=True) as cur:
            names = ", ".join("set_config(%s, %s, true)" for _ in settings)
            cur.execute(f"SELECT {names}", [x for kv in settings.items() for x in kv])
            cur.execute(query, (_probe_array(q), width))
            rows = cur.fetchall()
        n = np.fromiter((r[0] for r in rows), np.int64, len(rows)) - 1
        ids = np.frombuffer(b"".join(r[1] for r in rows), dtype=f"V{ID_BYTES}")
        sent = np.frombuffer(b"".join(r[2] for r in rows), dtype=_SENT_VECTOR)
        vecs = sent["vec"].astype(np.float32)
        return ids, vecs.reshape(len(rows), EMBEDDING_DIM), np.bincount(n, minlength=len(q))

    def search(
        self,
        probes: Any,
        k: int,
        *,
        width: int | None = None,
        ef_search: int = DEFAULT_EF_SEARCH,
        ivf_probes: int = DEFAULT_IVF_PROBES,
        threshold: float | None = None,
    ) -> Found:
        """The ``k`` nearest stored references per probe: the index's shortlist (``width``, at
        least ``k``; ``ef_search`` for HNSW, ``ivf_probes`` for IVFFlat) re-ranked exactly on this
        side (:func:`matching.index.rerank`), then only those at distance <= ``threshold`` (when
        given) kept."""
        q = checked(probes, "probes")
        if k < 1:
            raise VectorInputError(f"probes: k must be at least 1, got {k}")
        short, cand = self.shortlist(q, max(k, width or k), ef_search, ivf_probes=ivf_probes)
        if not len(short):  # an empty table: nothing to re-rank
            none = np.zeros((len(q), k), bool)
            return Found(np.full(none.shape, np.inf, np.float32), np.zeros(none.shape, "V16"), none)
        dist, rows = rerank(short, q, cand, min(k, cand.shape[1]))
        found = rows >= 0
        if threshold is not None:
            found &= dist <= np.float32(threshold)
        ids = np.zeros(rows.shape, dtype=f"V{ID_BYTES}")
        ids[found] = short.ids[rows[found]]
        return Found(np.where(found, dist, np.inf).astype(np.float32), ids, found)


class IdMap:
    """The workstation's side of the opaque ids: id -> (reference, subject), in memory (the
    benchmark's and the tests'; the product keeps the mapping sealed in the agency database:
    :mod:`matching.servervectors`)."""

    def __init__(self) -> None:
        self._ref: dict[bytes, int] = {}
        self._subject: dict[bytes, str] = {}

    def add(self, ids: np.ndarray, references: Sequence[int], subjects: Sequence[str]) -> None:
        for i, r, s in zip(ids, references, subjects, strict=True):
            key = bytes(i)
            self._ref[key], self._subject[key] = int(r), str(s)

    def forget(self, ids: Sequence[bytes] | np.ndarray) -> None:
        for i in ids:
            self._ref.pop(bytes(i), None)
            self._subject.pop(bytes(i), None)

    def references(self, found: Found) -> np.ndarray:
        """Reference of each result slot of ``found`` (-1: empty or unknown id)."""
        out = np.full(found.ids.shape, -1, np.int64)
        for p, s in zip(*np.nonzero(found.found), strict=True):
            out[p, s] = self._ref.get(bytes(found.ids[p, s]), -1)
        return out

    def subject(self, opaque: bytes) -> str | None:
        return self._subject.get(bytes(opaque))

    def __len__(self) -> int:
        return len(self._ref)
