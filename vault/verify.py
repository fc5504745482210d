"""``verify``: re-check every blob, every row against the audit log, every chain link.

Findings are collected, never stopped at: each names the item (id and original name) or the audit
sequence number. Blobs are decrypted and re-hashed with the hash on a second thread.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from vault.agefmt import AgeError
from vault.audit import ChainChecker, read_head, read_head_file
from vault.errors import Cancelled
from vault.jobs import CancelToken, Emit, Progress
from vault.models import (
    AuditEntry,
    Blob,
    Item,
    audit_target,
    column_digests,
    row_state,
    state_digest,
)
from vault.schema import BlobUse, Lookup, item_name
from vault.session import Session, now

BATCH = 2000  # rows read per database visit; the vault is released between visits
EDITED = "differs from its audited record (edited)"
HASH_MISMATCH = "does not match the acquisition hash"
_MISMATCH = "does not match its hash"  # of a derived blob; an item's says HASH_MISMATCH


@dataclass(frozen=True)
class Problem:
    where: str  # "item 12 (DCIM/a.jpg)" or "audit #40" or "users:3"
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    blobs: int = 0
    items: int = 0
    audit_entries: int = 0
    bytes: int = 0
    checked_at: str = ""
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.cancelled


class VerifyJob:
    def __init__(self, session: Session, cancel: CancelToken | None = None) -> None:
        self.session = session
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> VerifyReport:
        self.session.require("vault.verify", target="vault")
        report = VerifyReport()
        try:
            recorded = self._check_audit(report)
            self._check_rows(report, recorded)
        except Cancelled:
            report.cancelled = True
            return report
        self._check_blobs(report, recorded, emit)
        report.checked_at = now()
        if not report.cancelled:
            with self.session.transaction() as db:
                self.session.audit(
                    db, "vault.verified", target="vault", problems=len(report.problems)
                )
        return report

    def _check_audit(self, report: VerifyReport) -> _Recorded:
        """Check the chain; return what it recorded of every audited row.

        Entries are read in batches and checked with the database released in between, so the
        other work of the session (a page listing cases) and other processes are not held up.
        """
        s = self.session
        checker = ChainChecker(s.chain_root_public)
        rec = _Recorded()
        last = 0
        while True:
            with s.db() as db:
                batch = list(
                    db.scalars(
                        select(AuditEntry)
                        .where(AuditEntry.seq > last)
                        .order_by(AuditEntry.seq)
                        .limit(BATCH)
                    )
                )
                if not batch:
                    head = read_head(db)
                    pinned = read_head_file(s.folder)
                    at = db.get(AuditEntry, pinned.seq) if pinned and pinned.seq > 0 else None
                    break
            for entry in batch:
                report.audit_entries += 1
                for seq, what in checker.check(entry):
                    report.problems.append(Problem(f"audit #{seq}", what))
                rec.add(entry.target, entry.details)
            last = batch[-1].seq
            self.cancel.check()
        if pinned and pinned.seq > head.seq:
            report.problems.append(
                Problem(f"audit #{head.seq + 1}", f"entries up to #{pinned.seq} were removed")
            )
        elif pinned and pinned.seq > 0 and (at is None or at.hash != pinned.hash):
            report.problems.append(Problem(f"audit #{pinned.seq}", "differs from head"))
        return rec

    def _check_rows(self, report: VerifyReport, rec: _Recorded) -> None:
        s = self.session
        seen: set[str] = set()
        for table in s.schema.audited:
            model = table.model
            key = model.__mapper__.primary_key[0]
            last: Any = None
            while True:
                with s.db() as db:
                    q = select(model).order_by(key).limit(BATCH)
                    if last is not None:
                        q = q.where(key > last)
                    rows = list(db.scalars(q))
                if not rows:
                    break
                for row in rows:
                    target = audit_target(row)
                    seen.add(target)
                    digest = rec.digest.get(target)
                    state = row_state(row)
                    if digest is not None and digest == state_digest(state):
                        continue
                    where = table.describe(
                        {**state, **rec.details(target), "_key": target_key(target)},
                        self._lookup(rec),
                    )
                    if digest is None:
                        report.problems.append(Problem(where, "has no audit entry"))
                    else:
                        report.problems.append(
                            Problem(where, _edited(state, rec.columns.get(target)))
                        )
                last = getattr(rows[-1], str(key.key))
                self.cancel.check()
        gone = rec.digest.keys() - seen
        for table in s.schema.audited:  # in the schema's order, like the rows above
            prefix = table.name + ":"
            for target in sorted((t for t in gone if t.startswith(prefix)), key=_target_order):
                values = {**rec.details(target), "_key": target_key(target)}
                where = table.describe(values, self._lookup(rec))
                report.problems.append(Problem(where, "is in the audit log but was deleted"))

    def _lookup(self, rec: _Recorded) -> Lookup:
        """Values of another row by audit target (live columns, overlaid by what the log
        recorded), to name a row by its parent: only called when naming a finding."""
        s = self.session

        def lookup(target: str) -> dict[str, Any]:
            table_name, _, key_text = target.partition(":")
            audited = s.schema.audited_table(table_name)
            live: dict[str, Any] = {}
            if audited is not None:
                key = int(key_text) if key_text.isdigit() else key_text
                with s.db() as db:
                    row = db.get(audited.model, key)
                    if row is not None:
                        live = row_state(row)
            return {**live, **rec.details(target)}

        return lookup

    def _check_blobs(self, report: VerifyReport, recorded: _Recorded, emit: Emit) -> None:
        """Every row of the ``blobs`` table: the evidence against each item's SHA-256, then the
        blobs derived from it (face crops, reference photos) against their own row, each named
        by the rows that use it (the schema's ``blob_uses``)."""
        s = self.session
        by_blob: dict[str, list[Item]] = defaultdict(list)
        with s.db() as db:
            for item in db.scalars(select(Item).order_by(Item.id)):
                by_blob[item.blob_name].append(item)
            users = self._blob_users(db)
            derived = self._derived_blobs(db, users)
        report.items = sum(len(v) for v in by_blob.values())
        total = sum(items[0].size for items in by_blob.values())
        total += sum(size for _, _, size in derived)
        emit(Progress(0, total, "bytes", "checking stored evidence"))
        lookup = self._lookup(recorded)
        for name, items in by_blob.items():
            if self.cancel.cancelled:
                report.cancelled = True
                return
            first = items[0]
            problem = self._check_blob(name, first.sha256, first.size, report, emit, total)
            report.blobs += 1
            if problem:
                what = "stored copy " + (HASH_MISMATCH if problem == _MISMATCH else problem)
                report.problems.extend(Problem(_item_name(i, lookup), what) for i in items)
                report.problems.extend(self._users_of(users.get(name, ()), problem, lookup))
        for name, sha, size in derived:
            if self.cancel.cancelled:
                report.cancelled = True
                return
            problem = self._check_blob(name, sha, size, report, emit, total)
            if problem is None and s.blobs.name_for(sha) != name:
                problem = _MISMATCH  # the row's hash is not the one the file is named after
            report.blobs += 1
            if problem:
                found = self._users_of(users.get(name, ()), problem, lookup)
                report.problems.extend(found or [Problem(f"stored object {name[:16]}", problem)])

    def _blob_users(self, db: Any) -> dict[str, list[tuple[BlobUse, Any]]]:
        """Blob name -> (use, row key) of every row of another layer that names a blob."""
        users: dict[str, list[tuple[BlobUse, Any]]] = defaultdict(list)
        for use in self.session.schema.blob_uses:
            key = use.model.__mapper__.primary_key[0]
            column = getattr(use.model, use.column)
            for row_key, name in db.execute(select(key, column).order_by(key)):
                users[name].append((use, row_key))
        return users

    def _derived_blobs(
        self, db: Any, users: dict[str, list[tuple[BlobUse, Any]]]
    ) -> list[tuple[str, str, int]]:
        """(name, sha256, size) of every blob row no item names: in the order of the rows that
        use them (faces by id, then references), then any unused row."""
        rows = {
            name: (name, sha, size)
            for name, sha, size in db.execute(
                select(Blob.name, Blob.sha256, Blob.size).where(
                    Blob.name.not_in(select(Item.blob_name))
                )
            )
        }
        ordered = [rows.pop(name) for name in users if name in rows]
        return ordered + [rows[name] for name in sorted(rows)]

    def _users_of(
        self, uses: Iterable[tuple[BlobUse, Any]], problem: str, lookup: Lookup
    ) -> list[Problem]:
        found = []
        for use, key in uses:
            what = f"{use.noun} {problem}"
            table = self.session.schema.audited_table(use.table)
            target = f"{use.table}:{key}"
            where = table.describe({**lookup(target), "_key": key}, lookup) if table else target
            found.append(Problem(where, what))
        return found

    def _check_blob(
        self, name: str, sha: str, size: int, report: VerifyReport, emit: Emit, total: int
    ) -> str | None:
        """None, or what is wrong with the stored copy ("is missing", ..., ``_MISMATCH``)."""
        path = self.session.blobs.path(name)
        if not path.exists():
            return "is missing"
        hasher = _ThreadedSha256()
        read = 0
        try:
            for chunk in self.session.blobs.read_chunks(name):
                hasher.update(chunk)
                read += len(chunk)
                report.bytes += len(chunk)
                if report.bytes % (8 << 20) < len(chunk):
                    emit(Progress(report.bytes, total, "bytes", "checking stored evidence"))
        except AgeError:
            return "fails authentication (altered or damaged)"
        except OSError as exc:
            return f"cannot be read: {exc.strerror}"
        finally:
            digest = hasher.hexdigest()
        if read != size or digest != sha:
            return _MISMATCH
        return None


class _ThreadedSha256:
    """SHA-256 on a second thread, so decryption and hashing use both cores.

    Chunks (64 KiB, as decrypted) are handed over in groups of about 1 MiB: a queue hand-off
    per chunk cost more, in the decrypting thread, than the decryption itself.
    """

    GROUP = 1 << 20

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self._q: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=8)
        self._group: list[bytes] = []
        self._size = 0
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while (group := self._q.get()) is not None:
            for chunk in group:
                self._h.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._group.append(chunk)
        self._size += len(chunk)
        if self._size >= self.GROUP:
            self._q.put(self._group)
            self._group, self._size = [], 0

    def hexdigest(self) -> str:
        if self._group:
            self._q.put(self._group)
        self._q.put(None)
        self._t.join()
        return self._h.hexdigest()


class _Recorded:
    """What the audit log says of each row: the latest digest, the latest per-column digests
    and everything its entries recorded (names, references) for naming it."""

    def __init__(self) -> None:
        self.digest: dict[str, str] = {}
        self.columns: dict[str, dict[str, str] | None] = {}
        self._details: dict[str, dict[str, Any]] = {}

    def add(self, target: str, details: str) -> None:
        try:
            fields = json.loads(details)
        except ValueError:
            return  # an edited entry; the chain check has named it
        if not isinstance(fields, dict):
            return
        digest = fields.get("digest")
        if digest:
            self.digest[target] = digest
            columns = fields.get("columns")
            self.columns[target] = columns if isinstance(columns, dict) else None
            self._details.setdefault(target, {}).update(
                (k, v) for k, v in fields.items() if k not in ("digest", "columns")
            )

    def details(self, target: str) -> dict[str, Any]:
        return self._details.get(target, {})


def _edited(state: dict[str, Any], recorded: dict[str, str] | None) -> str:
    """Which columns differ from the audited record, by name, when the entry recorded them."""
    if recorded:
        now_digests = column_digests(state)
        changed = sorted(k for k in now_digests if recorded.get(k) != now_digests[k])
        if changed:
            return f"{', '.join(changed)} changed (edited outside Custos)"
    return EDITED


def target_key(target: str) -> str:
    return target.partition(":")[2]


def _item_name(item: Item, lookup: Lookup) -> str:
    return item_name(item.id, lambda t: lookup(t) or {"name": item.name})


def _target_order(target: str) -> tuple[str, int]:
    table, _, key = target.partition(":")
    return (table, int(key)) if key.isdigit() else (table, 0)


def verify(session: Session, emit: Emit | None = None) -> VerifyReport:
    from vault.jobs import ignore

    return VerifyJob(session).run(emit or ignore)
