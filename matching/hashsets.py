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

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from matching import hashparse
from matching.models import HashSet, HashSetCategory, HashSetEntry
from vault.errors import Cancelled, UserError
from vault.jobs import CancelToken, Emit, Progress
from vault.session import Session, now, requires

KINDS = ("known-good", "known-bad", "info")
STATES = ("active", "disabled", "deleted")
INSERT_ROWS = 50_000  # entries per INSERT; the cancel token is checked between them


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


def _info(row: HashSet) -> HashSetInfo:
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


def _live(db: DbSession, name: str) -> HashSet | None:
    q = select(HashSet).where(HashSet.name == name, HashSet.state != "deleted")
    return db.scalars(q).first()


def _find(db: DbSession, name: str) -> HashSet:
    row = _live(db, name)
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
        name, kind = checked_name(self.name), checked_kind(self.kind)
        source = self.source.strip() if self.source else None
        if source is not None and (len(source) > 200 or not source.isprintable()):
            raise UserError("the source must be at most 200 printable characters")
        with s.db() as db:
            if _live(db, name) is not None:
                raise UserError(f"a hash set named {name!r} exists already")
        fmt = self.fmt or hashparse.detect(self.path)
        size = max(1, self.path.stat().st_size)
        emit(Progress(0, size, "bytes", f"reading {self.path.name}"))

        def report(done: int) -> None:
            emit(Progress(min(done, size), size, "bytes", f"reading {self.path.name}"))

        parsed = hashparse.read(self.path, fmt, self.cancel, report)
        self.cancel.check()
        file_sha = hashparse.file_sha256(self.path)
        digest = hashparse.entries_digest(parsed)
        counts = {d.algorithm: len(d) for d in parsed.sets}
        total = parsed.total
        emit(Progress(0, total, "entries", "storing"))
        with s.transaction() as db:
            if _live(db, name) is not None:  # another process, meanwhile
                raise UserError(f"a hash set named {name!r} exists already")
            at = now()
            row = HashSet(
                name=name,
                kind=kind,
                source=source or parsed.source,
                format=fmt,
                state="active",
                counts=json.dumps(counts, sort_keys=True),
                entries_digest=digest,
                file_name=self.path.name,
                file_sha256=file_sha,
                imported_by=s.user,
                imported_at=at,
            )
            db.add(row)
            db.flush()
            self._insert(db, row.id, parsed, emit, total)
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
        return _info(row)

    def _insert(
        self, db: DbSession, set_id: int, parsed: hashparse.Parsed, emit: Emit, total: int
    ) -> None:
        """The entries in key order, straight to the driver (an ORM or dict per row would cost
        more than SQLCipher's work at 10 million rows); categories beside them."""
        conn = db.connection()
        entries = f"INSERT INTO {HashSetEntry.__tablename__} (set_id, key) VALUES (?, ?)"
        categories = (
            f"INSERT INTO {HashSetCategory.__tablename__} (set_id, key, category) VALUES (?, ?, ?)"
        )
        # Keys are the algorithm's code byte then the digest: the algorithms' runs are
        # disjoint in key order, so the B-tree is only ever appended to.
        done = 0
        for d in parsed.sets:
            code, width = hashparse.ALGORITHMS[d.algorithm]
            raw, prefix = d.values.tobytes(), bytes((code,))
            for start in range(0, len(d), INSERT_ROWS):
                if self.cancel.cancelled:
                    raise Cancelled("cancelled by the user; no hash set imported")
                stop = min(start + INSERT_ROWS, len(d))
                keys = [
                    prefix + raw[i : i + width] for i in range(start * width, stop * width, width)
                ]
                conn.exec_driver_sql(entries, [(set_id, k) for k in keys])
                if d.categories is not None:
                    part = d.categories[start:stop].tolist()
                    rows = [(set_id, k, c) for k, c in zip(keys, part, strict=True) if c >= 0]
                    if rows:
                        conn.exec_driver_sql(categories, rows)
                done += stop - start
                emit(Progress(done, total, "entries", "storing"))


@requires("hashset.read")
def list_sets(session: Session, include_deleted: bool = False) -> list[HashSetInfo]:
    with session.db() as db:
        q = select(HashSet).order_by(HashSet.id)
        if not include_deleted:
            q = q.where(HashSet.state != "deleted")
        return [_info(r) for r in db.scalars(q)]


@requires("hashset.read")
def show_set(session: Session, name: str) -> HashSetInfo:
    with session.db() as db:
        return _info(_find(db, name))


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
            result = db.execute(delete(HashSetEntry).where(HashSetEntry.set_id == row.id))
            removed = int(getattr(result, "rowcount", 0) or 0)
            db.execute(delete(HashSetCategory).where(HashSetCategory.set_id == row.id))
        details: dict[str, Any] = {"name": row.name, "was": before}
        if state == "deleted":
            details["entries_removed"] = removed
        session.audit(db, action, row, **details)
        return _info(row)


def disable_set(session: Session, name: str) -> HashSetInfo:
    """Stop matching against a set (its entries and hits stay); ``enable_set`` undoes it."""
    return _change(session, name, "disabled", "hashset.disabled")


def enable_set(session: Session, name: str) -> HashSetInfo:
    return _change(session, name, "active", "hashset.enabled")


def delete_set(session: Session, name: str) -> HashSetInfo:
    """Remove a set's entries; its row stays, marked deleted, so the hits recorded against it
    keep naming it. No evidence and no hit is deleted."""
    return _change(session, name, "deleted", "hashset.deleted")
