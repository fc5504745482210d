"""Known-file hash sets in the vault: import (a job), list, show, disable, enable, delete.

Data model (docs/ARCHITECTURE.md, "Hash sets"): ``hashsets`` (one audited row per set: name,
kind, source, format, state, counts, digest of the entries), ``hashset_entries`` (fixed-width
binary digests, primary key (set, algorithm, digest), WITHOUT ROWID; the lookup structure, in the
encrypted database, so it costs no memory), ``hashset_hits`` and ``hashset_acks``
(``matching.hashhits``).

Permissions: ``hashset.read`` (every role) to list and show sets; ``hashset.manage`` (analyst,
admin) to import, disable, enable and delete them (privileged: verify checks the signer held it).
Deleting a set removes its entries and marks its row deleted; evidence and the hits recorded
against it stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from matching import hashparse
from matching.hashparse import Report
from matching.models import ENTRY_KEY, HashSet, HashSetCategory, HashSetEntry
from vault import sealing
from vault.backend import driver_sql
from vault.errors import Cancelled, UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.schema import quoted
from vault.session import Session, now, requires
from vault.tmpspool import Spool

if TYPE_CHECKING:  # numpy is imported where it is used: the vault opens without it
    import numpy as np

KINDS = ("known-good", "known-bad", "info")
STATES = ("active", "disabled", "deleted")
INSERT_ROWS = 50_000  # entries per INSERT; the cancel token is checked between them
READ_ROWS = 50_000  # entries per database visit when reading a set back; released between
SORT_ROWS = 500_000  # a server's entries sorted in memory at once (more: merged from a spool)
ENTRIES_CHANGED = "entries changed (edited outside Custos)"


@dataclass(frozen=True)
class HashSetInfo:
    id: int
    name: str
    kind: str
    source: str | None
    format: str
    state: str
    counts: dict[str, int]
    entries: int
    entries_digest: str
    file_name: str
    file_sha256: str
    imported_by: str
    imported_at: str
    changed_by: str | None
    changed_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def set_info(row: HashSet) -> HashSetInfo:
    counts = json.loads(row.counts)
    return HashSetInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        source=row.source,
        format=row.format,
        state=row.state,
        counts=counts,
        entries=sum(counts.values()),
        entries_digest=row.entries_digest,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        imported_by=row.imported_by,
        imported_at=row.imported_at,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


def checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise UserError(f"hash-set name {name!r} must be 1-200 printable characters")
    return name


def checked_kind(kind: str) -> str:
    if kind not in KINDS:
        raise UserError(f"hash-set kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def live_set(db: DbSession, name: str) -> HashSet | None:
    """The set named ``name`` that is not deleted (by its blind index on a server, the unsealed
    name re-checked)."""
    q = select(HashSet).where(sealing.equals(db, HashSet.name, name), HashSet.state != "deleted")
    return next((row for row in db.scalars(q) if row.name == name), None)


def _find(db: DbSession, name: str) -> HashSet:
    row = live_set(db, name)
    if row is None:
        raise UserError(f"no hash set named {name!r} (see 'custos hashset list')")
    return row


class ImportJob:
    """Import one hash-set file as a new set: read and check all of it first (nothing is
    written if any line is malformed), then one transaction inserts the set row, its entries in
    key order (appended to the B-tree) and the audit entry. Cancel at any point: nothing."""

    def __init__(
        self,
        session: Session,
        path: Path,
        name: str,
        kind: str,
        fmt: str | None = None,
        source: str | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.session = session
        self.path = Path(path)
        self.name = name
        self.kind = kind
        self.fmt = fmt
        self.source = source
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> HashSetInfo:
        s = self.session
        s.require("hashset.manage", target=f"hashset:{self.name}")
        name = checked_name(self.name)
        checked_kind(self.kind)
        source = self.source.strip() if self.source else None
        if source is not None and (len(source) > 200 or not source.isprintable()):
            raise UserError("the source must be at most 200 printable characters")
        with s.db() as db:
            if live_set(db, name) is not None:
                raise UserError(f"a hash set named {name!r} exists already")
        fmt = self.fmt or hashparse.detect(self.path)
        size = max(1, self.path.stat().st_size)
        emit(Progress(0, size, "bytes", f"reading {self.path.name}"))

        def report(done: int) -> None:
            emit(Progress(min(done, size), size, "bytes", f"reading {self.path.name}"))

        if fmt in hashparse.SPILLED:  # read in bounded memory (``_SpooledRuns``)
            with Spool(Path(s.folder) / "tmp") as spool:
                runs = _SpooledRuns(spool, self.cancel)
                got = hashparse.read_spilled(self.path, fmt, self.cancel, report, runs.spill)
                runs.finish(got, self.path.name)
                if not runs.counts:
                    raise UserError(f"{self.path.name}: no digests found; nothing imported")
                self.cancel.check()
                digest = runs.entries_digest()
                return self._store(
                    fmt, runs.counts, digest, source or got.source, runs.insert, emit
                )
        parsed = hashparse.read(self.path, fmt, self.cancel, report)
        self.cancel.check()
        digest = hashparse.entries_digest(parsed)
        counts = {d.algorithm: len(d) for d in parsed.sets}

        def insert(db: DbSession, set_id: int, emit: Emit) -> None:
            _insert(db, set_id, parsed, self.cancel, emit)

        return self._store(fmt, counts, digest, source or parsed.source, insert, emit)

    def _store(
        self,
        fmt: str,
        counts: dict[str, int],
        digest: str,
        source: str | None,
        insert: Callable[[DbSession, int, Emit], None],
        emit: Emit,
    ) -> HashSetInfo:
        """One transaction: the set's row, its entries (``insert``) and the audit entry."""
        s, name, kind = self.session, checked_name(self.name), checked_kind(self.kind)
        file_sha = hashparse.file_sha256(self.path)
        emit(Progress(0, sum(counts.values()), "entries", "storing"))
        with s.transaction() as db:
            if live_set(db, name) is not None:  # another process, meanwhile
                raise UserError(f"a hash set named {name!r} exists already")
            row = _new_row(
                s, db, counts, name=name, kind=kind, source=source, format=fmt, state="active",
                entries_digest=digest, file_name=self.path.name, file_sha256=file_sha,
            )  # fmt: skip
            insert(db, row.id, emit)
            s.audit(
                db,
                "hashset.imported",
                row,
                name=name,
                kind=kind,
                source=row.source,
                format=fmt,
                counts=counts,
                entries_digest=digest,
                file_sha256=file_sha,
            )
        return set_info(row)


@requires("hashset.read")
def list_sets(session: Session, include_deleted: bool = False) -> list[HashSetInfo]:
    with session.db() as db:
        q = select(HashSet).order_by(HashSet.id)
        if not include_deleted:
            q = q.where(HashSet.state != "deleted")
        return [set_info(r) for r in db.scalars(q)]


@requires("hashset.read")
def show_set(session: Session, name: str) -> HashSetInfo:
    with session.db() as db:
        return set_info(_find(db, name))


def _change(session: Session, name: str, state: str, action: str) -> HashSetInfo:
    session.require("hashset.manage", target=f"hashset:{name}")
    with session.transaction() as db:
        row = _find(db, name)
        if row.state == state:
            raise UserError(f"hash set {name!r} is {state} already")
        before = row.state
        row.state, row.changed_by, row.changed_at = state, session.user, now()
        removed = 0
        if state == "deleted":
            removed = _delete_rows(db, HashSetEntry.__tablename__, row.id)
            _delete_rows(db, HashSetCategory.__tablename__, row.id)
        details: dict[str, Any] = {"name": row.name, "was": before}
        if state == "deleted":
            details["entries_removed"] = removed
        session.audit(db, action, row, **details)
        return set_info(row)


def _delete_rows(db: DbSession, table: str, set_id: int) -> int:
    """Delete a set's rows of ``table`` (entries or categories) ``READ_ROWS`` at a time, in key
    order, in the caller's transaction; how many. One ``DELETE ... WHERE set_id = ?`` would make
    SQLite gather every key it deletes first, in memory (``temp_store=MEMORY``: ~50 bytes an
    entry). Each page starts after the last one's key, so PostgreSQL's index scans never walk
    the rows this transaction already deleted."""
    conn, removed, last = db.connection(), 0, b""
    bound = driver_sql(
        conn, f"SELECT key FROM {table} WHERE set_id = ? AND key > ? ORDER BY key LIMIT 1 OFFSET ?"
    )
    while True:
        upto = conn.exec_driver_sql(bound, (set_id, last, READ_ROWS - 1)).scalar()
        where = "set_id = ? AND key > ?" + ("" if upto is None else " AND key <= ?")
        params = (set_id, last) if upto is None else (set_id, last, upto)
        sql = driver_sql(conn, f"DELETE FROM {table} WHERE {where}")
        removed += conn.exec_driver_sql(sql, params).rowcount
        if upto is None:
            return removed
        last = upto


def disable_set(session: Session, name: str) -> HashSetInfo:
    """Stop matching against a set (its entries and hits stay); ``enable_set`` undoes it."""
    return _change(session, name, "disabled", "hashset.disabled")


def enable_set(session: Session, name: str) -> HashSetInfo:
    return _change(session, name, "active", "hashset.enabled")


def delete_set(session: Session, name: str) -> HashSetInfo:
    """Remove a set's entries; its row stays, marked deleted, so the hits recorded against it
    keep naming it. No evidence and no hit is deleted."""
    return _change(session, name, "deleted", "hashset.deleted")


def store_parsed(
    session: Session,
    db: DbSession,
    name: str,
    kind: str,
    source: str | None,
    fmt: str,
    parsed: hashparse.Parsed,
    file_name: str,
    file_sha: str,
    state: str,
    cancel: CancelToken,
    emit: Emit,
) -> HashSet:
    """Add a set's row and its entries in ``db`` (the caller's transaction, which audits it):
    a file import, or a set received in a partner's bundle (``exchange.hsimport``)."""
    counts = {d.algorithm: len(d) for d in parsed.sets}
    digest = hashparse.entries_digest(parsed)
    row = _new_row(
        session, db, counts, name=name, kind=kind, source=source, format=fmt, state=state,
        entries_digest=digest, file_name=file_name, file_sha256=file_sha,
    )  # fmt: skip
    _insert(db, row.id, parsed, cancel, emit)
    return row


@contextlib.contextmanager
def spooled_vics(
    session: Session, name: str, chunks: Iterator[bytes], cancel: CancelToken, report: Report
) -> Iterator[SpooledSet]:
    """A VICS document's entries (``chunks``: a partner's bundle file, streamed) read and
    checked as ``ImportJob`` reads a file, sorted and merged on a sealed spool in the vault's
    ``tmp/`` (bounded memory); the spool is gone when the ``with`` ends. One line
    (``HashSetRefused`` / ``UserError``) if it is not a well-formed VICS set."""
    with Spool(Path(session.folder) / "tmp") as spool:
        runs = _SpooledRuns(spool, cancel)
        got = hashparse.read_vics_chunks(name, chunks, cancel, report, runs.spill)
        runs.finish(got, name)
        if not runs.counts:
            raise UserError(f"{name}: no digests found; nothing imported")
        cancel.check()
        yield SpooledSet(runs.counts, runs.entries_digest(), runs)


@dataclass(frozen=True)
class SpooledSet:
    """A set's entries on a spool (``spooled_vics``): counts, entries digest, and its runs."""

    counts: dict[str, int]
    entries_digest: str
    runs: _SpooledRuns

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def store_spooled(
    session: Session,
    db: DbSession,
    name: str,
    kind: str,
    source: str | None,
    spooled: SpooledSet,
    file_name: str,
    file_sha: str,
    state: str,
    emit: Emit,
) -> HashSet:
    """``store_parsed`` for a set on a spool (VICS: a partner's bundle)."""
    row = _new_row(
        session, db, spooled.counts, name=name, kind=kind, source=source, format="vics",
        state=state, entries_digest=spooled.entries_digest, file_name=file_name,
        file_sha256=file_sha,
    )  # fmt: skip
    spooled.runs.insert(db, row.id, emit)
    return row


def _new_row(session: Session, db: DbSession, counts: dict[str, int], **fields: Any) -> HashSet:
    """A set's row (``fields``: its columns but the counts and who imported it, when)."""
    row = HashSet(
        **fields,
        counts=json.dumps(counts, sort_keys=True),
        imported_by=session.user,
        imported_at=now(),
    )
    db.add(row)
    db.flush()
    return row


def _insert(
    db: DbSession, set_id: int, parsed: hashparse.Parsed, cancel: CancelToken, emit: Emit
) -> None:
    """The entries in key order, straight to the driver (an ORM or dict per row would cost
    more than SQLCipher's work at 10 million rows); categories beside them."""
    conn, done = db.connection(), 0
    sealer = sealing.digest_sealer(conn, ENTRY_KEY)
    for d in parsed.sets:
        code, width = hashparse.ALGORITHMS[d.algorithm]
        raw = d.values.tobytes()
        for start in range(0, len(d), INSERT_ROWS):
            if cancel.cancelled:
                raise Cancelled("cancelled by the user; no hash set imported")
            stop = min(start + INSERT_ROWS, len(d))
            digests = [raw[i : i + width] for i in range(start * width, stop * width, width)]
            cats = None if d.categories is None else d.categories[start:stop].tolist()
            _insert_rows(conn, set_id, code, digests, cats, sealer)
            done += stop - start
            emit(Progress(done, parsed.total, "entries", "storing"))


def _insert_rows(
    conn: Any,
    set_id: int,
    code: int,
    digests: list[bytes],
    cats: list[int] | None,
    sealer: sealing.DigestSealer | None,
) -> None:
    """One INSERT of consecutive digests of one algorithm (with their categories, -1: none).
    Keys are the algorithm's code byte then the digest: the algorithms' runs are disjoint in
    key order, so the B-tree is only ever appended to. On a server the digest is sealed
    (deterministically: lookups stay an indexed IN); a batch is inserted in the order of its
    stored keys."""
    entries = f"INSERT INTO {HashSetEntry.__tablename__} (set_id, key) VALUES (?, ?)"
    categories = (
        f"INSERT INTO {HashSetCategory.__tablename__} (set_id, key, category) VALUES (?, ?, ?)"
    )
    if sealer is None:
        prefix = bytes((code,))
        keys = [prefix + d for d in digests]
    else:
        keys = sealer.seal_all(code, digests)
    conn.exec_driver_sql(
        driver_sql(conn, entries), [(set_id, k) for k in (keys if sealer is None else sorted(keys))]
    )
    if cats is not None:
        rows = [(set_id, k, c) for k, c in zip(keys, cats, strict=True) if c >= 0]
        if rows:
            conn.exec_driver_sql(driver_sql(conn, categories), rows)


class _SpooledRuns:
    """A file's digests in bounded memory: taken from the parser between chunks (``spill``),
    sorted in runs of at most ``SORT_ROWS`` (repeats dropped) onto a sealed spool
    (``vault.tmpspool``), then per algorithm merged (``_merged``) into one sorted, unique run on
    the same spool (``finish``) that the entries digest and the insert read back in order.

    A VICS file's digests come with a category each (``Collected.categories``, -1: none): its
    runs are records of the digest then the category (int32 little-endian), sorted by digest;
    one digest given two categories is a clash, refused as ``hashparse`` refuses it (named in
    ``clashes``, found within a run when it is sorted and between runs when they are merged).
    An algorithm none of whose entries has a category is stored and digested without any, as
    ``hashparse.Parsed`` has it."""

    def __init__(self, spool: Spool, cancel: CancelToken) -> None:
        self.spool, self.cancel = spool, cancel
        self.runs: dict[str, list[tuple[int, int]]] = {a: [] for a in hashparse.ALGORITHMS}
        self.run_counts: dict[str, int] = {}  # entries of the last run (one run: its count)
        self.merged: dict[str, tuple[int, int]] = {}
        self.counts: dict[str, int] = {}
        self.with_categories: set[str] = set()  # algorithms whose runs carry categories
        self.categorised: set[str] = set()  # ... and where an entry has one (not -1)
        self.clashes = hashparse.Collected()

    def _width(self, algorithm: str) -> int:
        width = hashparse.ALGORITHMS[algorithm][1]
        return width + 4 if algorithm in self.with_categories else width

    def spill(self, got: hashparse.Collected, final: bool = False) -> None:
        for algorithm, raw in got.digests.items():
            cats = got.categories[algorithm]
            if cats:
                self.with_categories.add(algorithm)
            size = SORT_ROWS * hashparse.ALGORITHMS[algorithm][1]
            if len(raw) >= size or (final and raw):
                if cats:
                    self._spill_categorised(algorithm, raw, cats)
                    continue
                with memoryview(raw) as view:  # no copy of the digests taken
                    for at in range(0, len(raw), size):
                        run = hashparse.sorted_unique(algorithm, view[at : at + size])
                        self.runs[algorithm].append(self.spool.write(run))
                        self.run_counts[algorithm] = len(run) // (size // SORT_ROWS)
                        del run
                raw.clear()

    def _spill_categorised(self, algorithm: str, raw: bytearray, cats: list[int]) -> None:
        import numpy as np

        width = hashparse.ALGORITHMS[algorithm][1]
        for at in range(0, len(cats), SORT_ROWS):
            part = bytes(raw[at * width : (at + SORT_ROWS) * width])
            values = np.frombuffer(part, dtype=f"S{width}")
            categories = np.asarray(cats[at : at + SORT_ROWS], dtype="<i4")
            order = np.argsort(values, kind="stable")
            values, categories = values[order], categories[order]
            same = values[1:] == values[:-1]
            clash = np.flatnonzero(same & (categories[1:] != categories[:-1]))
            for i in clash:
                self._clash(algorithm, values[i].tobytes(), categories[i], categories[i + 1])
            keep = np.concatenate(([True], ~same))
            values, categories = values[keep], categories[keep]
            if (categories != hashparse.NO_CATEGORY).any():
                self.categorised.add(algorithm)
            records = np.empty((len(values), width + 4), dtype=np.uint8)
            records[:, :width] = values.view(np.uint8).reshape(-1, width)
            records[:, width:] = categories.view(np.uint8).reshape(-1, 4)
            self.runs[algorithm].append(self.spool.write(records.data.cast("B")))
            self.run_counts[algorithm] = len(values)
            del part, values, categories, records
        raw.clear()
        cats.clear()

    def _clash(self, algorithm: str, digest: bytes, first: int, second: int) -> None:
        shown = digest.ljust(hashparse.ALGORITHMS[algorithm][1], b"\0").hex()  # numpy cuts NULs
        self.clashes.problem(f"{algorithm} {shown}", f"given categories {first} and {second}")

    def finish(self, got: hashparse.Collected, name: str) -> None:
        """Merge each algorithm's runs; ``HashSetRefused`` if one digest has two categories."""
        self.spill(got, final=True)
        for algorithm, runs in self.runs.items():
            size = self._width(algorithm)
            width = hashparse.ALGORITHMS[algorithm][1]
            if len(runs) == 1:  # sorted and unique already
                self.merged[algorithm] = runs[0]
                self.counts[algorithm] = self.run_counts[algorithm]
            elif runs:
                start, length, count = self.spool.size, 0, 0
                for merged in _merged_blocks(self.spool, runs, size, width, READ_ROWS):
                    self.cancel.check()
                    kept = self._unique(algorithm, merged, width)
                    count += len(kept)
                    if len(kept):
                        length += self.spool.write(kept.tobytes())[1]
                self.merged[algorithm] = (start, length)
                self.counts[algorithm] = count
        if self.clashes.problem_count:
            raise hashparse.HashSetRefused(name, self.clashes.problems, self.clashes.problem_count)

    def _unique(self, algorithm: str, merged: np.ndarray, width: int) -> np.ndarray:
        """A merged block's records (``S<size>``, in record order) with each digest's first
        kept; a later record of the same digest with another category is a clash (named)."""
        import numpy as np

        if len(merged) < 2:
            return merged
        keys = merged.view(np.uint8).reshape(len(merged), -1)
        same = (keys[1:, :width] == keys[:-1, :width]).all(axis=1)
        if not same.any():
            return merged
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        first = starts[np.searchsorted(starts, np.arange(len(merged)), side="right") - 1]
        clash = np.flatnonzero(merged != merged[first])
        for i in clash:
            kept = merged[first[i]].ljust(keys.shape[1], b"\0")
            r = merged[i].ljust(keys.shape[1], b"\0")
            self._clash(algorithm, r[:width], _cat(kept, width), _cat(r, width))
        return merged[starts]

    def _blocks(self, algorithm: str, n: int) -> Iterator[bytes]:
        """The merged run of ``algorithm`` read back: blocks of ``n`` records (the last fewer)."""
        return _record_blocks(self.spool.read(*self.merged[algorithm]), self._width(algorithm), n)

    def entries_digest(self) -> str:
        """``hashparse.entries_digest`` of the same entries, read back from the spool."""
        import numpy as np

        h = hashlib.sha256()
        for algorithm, count in self.counts.items():
            width, size = hashparse.ALGORITHMS[algorithm][1], self._width(algorithm)
            h.update(f"{algorithm}:{count}\n".encode())
            if size == width:
                for block in self._blocks(algorithm, READ_ROWS):
                    h.update(block)
                continue
            for block in self._blocks(algorithm, READ_ROWS):
                h.update(np.frombuffer(block, np.uint8).reshape(-1, size)[:, :width].tobytes())
            if algorithm in self.categorised:  # then the categories, as stored
                for block in self._blocks(algorithm, READ_ROWS):
                    h.update(np.frombuffer(block, np.uint8).reshape(-1, size)[:, width:].tobytes())
        return h.hexdigest()

    def insert(self, db: DbSession, set_id: int, emit: Emit) -> None:
        import numpy as np

        conn, done, total = db.connection(), 0, sum(self.counts.values())
        sealer = sealing.digest_sealer(conn, ENTRY_KEY)
        for algorithm in self.counts:
            code, width = hashparse.ALGORITHMS[algorithm]
            size = self._width(algorithm)
            for block in self._blocks(algorithm, INSERT_ROWS):
                if self.cancel.cancelled:
                    raise Cancelled("cancelled by the user; no hash set imported")
                digests = [block[i : i + width] for i in range(0, len(block), size)]
                cats = None
                if algorithm in self.categorised:
                    records = np.frombuffer(block, np.uint8).reshape(-1, size)
                    cats = records[:, width:].copy().view("<i4").ravel().tolist()
                _insert_rows(conn, set_id, code, digests, cats, sealer)
                done += len(digests)
                emit(Progress(done, total, "entries", "storing"))


def _cat(record: bytes, width: int) -> int:
    return int.from_bytes(record[width:], "little", signed=True)


# --- reading a set's entries back (verify, export) ------------------------------------------


@dataclass(frozen=True)
class EntryBatch:
    """Consecutive entries of one algorithm of a stored set, in key order."""

    algorithm: str
    count: int  # entries of this algorithm in the set (the same in every batch of it)
    digests: list[bytes]  # binary, without the algorithm byte
    categories: list[int] | None  # aligned with digests (-1: none); None: the set gives none


def entry_batches(
    session: Session, set_id: int, cancel: CancelToken
) -> Iterator[EntryBatch | None]:
    """A stored set's entries, algorithm by algorithm (``ALGORITHMS`` order), in digest order,
    in batches of at most ``READ_ROWS``, read ``READ_ROWS`` per database visit (``stored_pages``:
    keyset paging, the vault released in between, ``cancel`` checked). Yields ``None`` once if a
    category row names no entry of the set (only an edit outside Custos makes one).

    On a server the stored keys are sealed, so their order is not the digests' order: each page
    is opened on the workstation and the algorithm's entries sorted in bounded memory
    (``_sorted_batches``: runs of ``SORT_ROWS`` sorted in memory, more than one run merged from
    a sealed spool in the vault's ``tmp/``)."""
    with session.db() as db:
        sealer = sealing.digest_sealer(db, ENTRY_KEY)
    for algorithm, (code, _) in hashparse.ALGORITHMS.items():
        count = _count(session, HashSetEntry.__tablename__, set_id, code)
        categorised = _count(session, HashSetCategory.__tablename__, set_id, code)
        seen = [0]  # category rows met that name an entry
        pages = _counted(stored_pages(session, set_id, code, cancel, bool(categorised)), seen)
        if not count:
            pages = iter(())
        if sealer is None:
            yield from (_batch(algorithm, count, rows, categorised) for rows in pages)
        else:
            opened = _opened_pages(pages, sealer)
            for batch in _sorted_batches(session, algorithm, count, opened, categorised):
                yield batch
                cancel.check()  # the merge reads no page: cancel between its batches too
        if seen[0] != categorised:
            yield None


def _counted(pages: Iterator[list[Any]], seen: list[int]) -> Iterator[list[Any]]:
    """``pages`` as they are, counting in ``seen[0]`` the rows that have a category."""
    for rows in pages:
        if rows and len(rows[0]) > 1:
            seen[0] += sum(1 for _, c in rows if c is not None)
        yield rows


def _batch(algorithm: str, count: int, rows: list[Any], categorised: int) -> EntryBatch:
    """A page of (key, category or None) rows in digest order as an ``EntryBatch``."""
    cats = None
    if categorised:
        cats = [hashparse.NO_CATEGORY if c is None else c for _, c in rows]
    return EntryBatch(algorithm, count, [r[0][1:] for r in rows], cats)


def _opened_pages(pages: Iterator[list[Any]], sealer: sealing.DigestSealer) -> Iterator[list[Any]]:
    """Pages of sealed rows with their keys opened (code byte + digest)."""
    for rows in pages:
        yield [(sealer.open(r[0]), *r[1:]) for r in rows]


def _sorted_batches(
    session: Session, algorithm: str, count: int, pages: Iterator[list[Any]], categorised: int
) -> Iterator[EntryBatch]:
    """One algorithm's opened entries (pages in any order) as batches in digest order, holding
    at most ``SORT_ROWS`` entries: each run of ``SORT_ROWS`` is sorted in memory; when there is
    more than one, each sorted run goes to a sealed spool (``vault.tmpspool``) and the runs are
    merged from it. A record is the digest then its category (int32, little-endian; -1: none):
    the digests are unique in a set, so records sort as their digests."""
    import numpy as np  # not at import: the vault opens without numpy

    width = hashparse.ALGORITHMS[algorithm][1]
    size = width + 4
    keys, cats = bytearray(), bytearray()

    def sorted_run() -> bytes:
        n = len(keys) // width
        values = np.frombuffer(bytes(keys), dtype=f"S{width}")
        order = np.argsort(values, kind="stable")
        records = np.empty((n, size), dtype=np.uint8)
        records[:, :width] = np.frombuffer(values[order].tobytes(), np.uint8).reshape(n, width)
        if categorised:
            ordered = np.frombuffer(bytes(cats), "<i4")[order]
        else:
            ordered = np.full(n, hashparse.NO_CATEGORY, "<i4")
        records[:, width:] = ordered.view(np.uint8).reshape(n, 4)
        del keys[:], cats[:]
        return records.tobytes()

    with contextlib.ExitStack() as stack:
        spool: Spool | None = None
        runs: list[tuple[int, int]] = []
        for rows in pages:
            keys.extend(b"".join(r[0][1:] for r in rows))
            if categorised:
                cs = [hashparse.NO_CATEGORY if c is None else c for _, c in rows]
                cats.extend(struct.pack(f"<{len(cs)}i", *cs))
            if len(keys) >= SORT_ROWS * width:
                if spool is None:
                    spool = stack.enter_context(Spool(Path(session.folder) / "tmp"))
                runs.append(spool.write(sorted_run()))
        last = sorted_run() if keys else b""
        if spool is None:
            records: Iterator[bytes] = (last[i : i + size] for i in range(0, len(last), size))
        else:
            if last:
                runs.append(spool.write(last))
            records = _merged(spool, runs, size)
        for part in _chunked(records, READ_ROWS):
            digests = [r[:width] for r in part]
            part_cats = None
            if categorised:
                part_cats = [int.from_bytes(r[width:], "little", signed=True) for r in part]
            yield EntryBatch(algorithm, count, digests, part_cats)


def _merged(spool: Spool, runs: list[tuple[int, int]], size: int) -> Iterator[bytes]:
    """The records of ``size`` bytes of sorted ``runs`` on ``spool``, merged in order."""
    return heapq.merge(*(_records(spool.read(*run), size) for run in runs))


def _records(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Fixed-size records out of chunks that may split them."""
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        cut = len(data) - len(data) % size
        yield from (data[i : i + size] for i in range(0, cut, size))
        rest = data[cut:]


def _record_blocks(chunks: Iterator[bytes], size: int, n: int) -> Iterator[bytes]:
    """Blocks of ``n`` records of ``size`` bytes (the last fewer) out of chunks that may split
    them: what the spool's frames hold, cut where the caller wants it, in C (no record a Python
    object)."""
    buf, want = bytearray(), n * size
    for chunk in chunks:
        buf += chunk
        while len(buf) >= want:
            yield bytes(buf[:want])
            del buf[:want]
    if len(buf) >= size:
        yield bytes(buf[: len(buf) - len(buf) % size])


def _merged_blocks(
    spool: Spool, runs: list[tuple[int, int]], size: int, width: int, n: int
) -> Iterator[np.ndarray]:
    """The records of ``size`` bytes of sorted ``runs`` (each digest, the first ``width``
    bytes, at most once in a run) on ``spool``, merged in record order, as arrays (``S<size>``)
    of what every run holds up to the least of their blocks' last digests: all the records of
    one digest are in the same array. Each run is read ``n`` records at a time."""
    import numpy as np

    kind, digest = f"S{size}", f"S{width}"
    readers = [_record_blocks(spool.read(*run), size, n) for run in runs]
    held: list[np.ndarray | None] = [None] * len(runs)
    while True:
        for i, reader in enumerate(readers):
            if held[i] is None or not len(held[i]):  # type: ignore[arg-type]
                block = next(reader, None)
                held[i] = None if block is None else np.frombuffer(block, kind)
        live = [(i, a) for i, a in enumerate(held) if a is not None]
        if not live:
            return
        heads = [a.view(np.uint8).reshape(len(a), size)[:, :width] for _, a in live]
        keys = [h.copy().view(digest).ravel() for h in heads]
        bound = min(k[-1] for k in keys)
        parts = []
        for (i, a), k in zip(live, keys, strict=True):
            cut = int(np.searchsorted(k, bound, side="right"))
            parts.append(a[:cut])
            held[i] = a[cut:]
        yield np.sort(np.concatenate(parts))


def _chunked(records: Iterator[bytes], n: int) -> Iterator[list[bytes]]:
    part: list[bytes] = []
    for r in records:
        part.append(r)
        if len(part) == n:
            yield part
            part = []
    if part:
        yield part


def _count(session: Session, table: str, set_id: int, code: int) -> int:
    """How many rows of ``table`` (entries or categories) a set has for one algorithm."""
    with session.db() as db:
        conn = db.connection()
        return int(
            conn.exec_driver_sql(
                driver_sql(
                    conn, f"SELECT count(*) FROM {table} WHERE set_id = ? AND key >= ? AND key < ?"
                ),
                (set_id, bytes((code,)), bytes((code + 1,))),
            ).scalar_one()
        )


def stored_pages(
    session: Session, set_id: int, code: int, cancel: CancelToken, categories: bool = True
) -> Iterator[list[Any]]:
    """One algorithm's entries of a set in stored-key order, keyset-paged: ``READ_ROWS`` rows
    per database visit (``_page``: ``key > last ORDER BY key LIMIT``, no cursor held open, so it
    works through any pooler), the vault released between visits and ``cancel`` checked. Rows
    are (stored key, category or None) with ``categories``, else (stored key,). Verify, export
    and the PDQ-set scan (``matching.pdqsets``) all read sets through it."""
    last, hi = bytes((code,)), bytes((code + 1,))
    while True:
        rows = _page(session, set_id, last, hi, READ_ROWS, categories)
        if not rows:
            return
        last = rows[-1][0]
        yield rows
        cancel.check()
        if len(rows) < READ_ROWS:
            return


def _page(
    session: Session, set_id: int, after: bytes, below: bytes, limit: int, categories: bool
) -> list[Any]:
    """One database visit of ``stored_pages``: the next ``limit`` rows after key ``after``."""
    entries, cats = HashSetEntry.__tablename__, HashSetCategory.__tablename__
    if categories:
        query = (
            f"SELECT e.key, c.category FROM {entries} e LEFT JOIN {cats} c "
            "ON c.set_id = e.set_id AND c.key = e.key "
            "WHERE e.set_id = ? AND e.key > ? AND e.key < ? ORDER BY e.key LIMIT ?"
        )
    else:
        query = (
            f"SELECT key FROM {entries} WHERE set_id = ? AND key > ? AND key < ? "
            "ORDER BY key LIMIT ?"
        )
    with session.db() as db:
        conn = db.connection()
        rows = conn.exec_driver_sql(driver_sql(conn, query), (set_id, after, below, limit))
        return list(rows.all())  # fetchall: iterating the result fetches row by row


def stored_entries_digest(session: Session, set_id: int, cancel: CancelToken) -> str | None:
    """``hashparse.entries_digest`` recomputed from the stored entries (streamed), or None when
    they are inconsistent in a way no import makes (a category of no entry)."""
    h = hashlib.sha256()
    started: str | None = None
    later: list[bytes] = []  # this algorithm's categories: hashed after its digests
    for batch in entry_batches(session, set_id, cancel):
        if batch is None:
            return None
        if batch.algorithm != started:
            h.update(b"".join(later))
            later = []
            h.update(f"{batch.algorithm}:{batch.count}\n".encode())
            started = batch.algorithm
        h.update(b"".join(batch.digests))
        if batch.categories is not None:
            cats = batch.categories  # int32 little-endian, as hashparse.entries_digest hashes them
            later.append(struct.pack(f"<{len(cats)}i", *cats))
    h.update(b"".join(later))
    return h.hexdigest()


def check_entries(session: Session, cancel: CancelToken) -> Iterator[tuple[str, str]]:
    """``verify``'s check of the matching layer (``vault.schema.Check``): every set's entries
    against the digest its audited row records (verify checks that row against the log), so an
    entry added to a known-good set with the database key (evidence hidden) or removed from a
    known-bad one is named. A deleted set must hold no entries."""
    with session.db() as db:
        sets = db.execute(
            select(HashSet.id, HashSet.name, HashSet.state, HashSet.entries_digest).order_by(
                HashSet.id
            )
        ).all()
    for set_id, name, state, digest in sets:
        where = f"hash set {quoted(name)}"
        if state == "deleted":
            with session.db() as db:
                left = db.scalars(
                    select(HashSetEntry.key).where(HashSetEntry.set_id == set_id).limit(1)
                ).first()
            if left is not None:
                yield where, "has entries but was deleted (edited outside Custos)"
            continue
        try:
            recomputed = stored_entries_digest(session, set_id, cancel)
        except sealing.SealFault as fault:  # a sealed key on the server that does not open
            yield where, f"has an entry that {fault.what}"
            continue
        if recomputed != digest:
            yield where, ENTRIES_CHANGED


VICS_CONTEXT = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"
)
_VICS_KEYS = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "pdq": "PDQ"}


def write_vics(
    session: Session, set_id: int, cancel: CancelToken, write: Callable[[bytes], object]
) -> None:
    """A stored set as VICS 2.0 JSON (``{"@odata.context": ...#Media, "value": [media]}``),
    one media entry per digest (a set keeps no link between a file's MD5 and its SHA-1), with
    its ``Category`` when it has one: what Griffeye, Project VIC tools and ``hashparse`` read.
    Reading it back gives the same entries and so the same ``entries_digest``. Written to
    ``write`` as it is read, one batch at a time (``entry_batches``: bounded memory on both
    back ends, whatever the set's size)."""
    write(b'{"@odata.context": ' + json.dumps(VICS_CONTEXT).encode() + b', "value": [')
    n = 0
    for batch in entry_batches(session, set_id, cancel):
        if batch is None:
            raise UserError("the set's stored entries are inconsistent; run 'custos verify'")
        key = _VICS_KEYS[batch.algorithm]
        cats = batch.categories or [hashparse.NO_CATEGORY] * len(batch.digests)
        parts = []
        for digest, category in zip(batch.digests, cats, strict=True):
            n += 1
            media = {"MediaID": n, key: digest.hex().upper()}
            if category != hashparse.NO_CATEGORY:
                media["Category"] = category
            parts.append((b"\n " if n == 1 else b",\n ") + json.dumps(media).encode())
        write(b"".join(parts))
    write(b"\n]}\n")


def vics_json(session: Session, set_id: int, cancel: CancelToken) -> bytes:
    """``write_vics`` into memory (small sets, tests); exports stream with ``write_vics``."""
    out = bytearray()
    write_vics(session, set_id, cancel, out.extend)
    return bytes(out)


def find_set(db: DbSession, name: str) -> HashSet:
    """A set not deleted, by name (``UserError`` naming the list command if there is none)."""
    return _find(db, name)
