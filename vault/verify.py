"""``verify``: re-check every blob, every row against the audit log, every chain link.

Findings are collected, never stopped at: each names the item (id and original name) or the audit
sequence number. Blobs are decrypted and re-hashed with the hash on a second thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, exists, func, or_, select, tuple_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as DbSession

from vault import batchaudit, packs, sealing
from vault.agefmt import AgeError
from vault.audit import ENTRY_COLUMNS, ChainChecker, Head, read_head, read_head_file
from vault.errors import Cancelled, CustosError, UserError
from vault.hashing import MultiHasher
from vault.jobs import Breather, CancelToken, Emit, Progress
from vault.models import (
    AuditEntry,
    Blob,
    Item,
    User,
    audit_target,
    column_digests,
    recorded_columns,
    row_digest,
    row_state,
    state_digest,
)
from vault.objectstore import ObjectMissing, StoreUnavailable
from vault.schema import Audited, BlobUse, Lookup, item_name
from vault.sealing import SealFault
from vault.session import Session, now
from vault.verifyrows import PENDING, AppendOnly

BATCH = 2000  # rows read per database visit; the vault is released between visits
BATCH_TEXT = 4 << 20  # audit details read per visit, about (batch entries are large)
EDITED = "differs from its audited record (edited)"
HASH_MISMATCH = "does not match the acquisition hash"
# A pack's size recorded by verify (an upgrade could not size it): the write of a run that
# may only be an admin's (``vault.verify``, ``audit.PRIVILEGED``), so the chain records it.
PACK_SIZED = "blobs.pack_sized"
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
    def __init__(
        self,
        session: Session,
        cancel: CancelToken | None = None,
        heads: list[Head] | None = None,
        record: bool = True,
    ) -> None:
        self.session = session
        # Whether the run ends with its ``vault.verified`` entry (a push checks the vault it
        # copies without changing it: ``vault.push``)
        self.record = record
        self.cancel = cancel or CancelToken()
        # Heads pinned outside the vault (written down by an admin, carried in a bundle): the
        # log must still hold each of them, so a rewrite or a rollback of the whole folder
        # is visible to anyone holding a later head.
        self.heads = heads or []
        self.breathe: Breather | None = None  # made on the thread that runs the job
        self._pack_name = ""  # the pack decrypted last (packed objects are checked in order)
        self._pack: packs.PackContent | str = ""
        self._may_write: bool | None = None  # this desk may record a pack's size (asked once)
        self._rows = AppendOnly((), session.db)  # made by _check_audit
        self._spans: list[tuple[int, int, int]] = []  # (first, last item id, seq) of batch entries

    def run(self, emit: Emit) -> VerifyReport:
        self.session.require("vault.verify", target="vault")
        from vault import serverrotation

        # an agency server's rotation whose object re-wrap was interrupted: finished first, if
        # this process can hold the vault alone and its workstation may write (verify then
        # checks the objects as they are); a failure is a problem of the report, not its end
        report = VerifyReport()
        try:
            serverrotation.resume(self.session, emit)
        except (UserError, OSError) as exc:
            report.problems.append(Problem("objects", str(exc).splitlines()[0]))
        self.breathe = Breather()
        # The vault file is named as it is where the vault lives: a folder's file, a server's row.
        vault_file = "vault.toml" if self.session.backend.local else "vault_file"
        for name in self.session.vault_file_changes():
            report.problems.append(Problem(vault_file, f"{name} changed outside Custos"))
        try:
            recorded = self._check_audit(report)
            self._check_rows(report, recorded)
            self._check_slots(report, recorded, vault_file)
            for check in self.session.schema.checks:  # each layer's own (hash-set entries)
                report.problems.extend(
                    Problem(w, what) for w, what in check(self.session, self.cancel)
                )
        except Cancelled:
            report.cancelled = True
            return report
        self._check_blobs(report, recorded, emit)
        report.checked_at = now()
        if not report.cancelled and self.record:
            with self.session.transaction() as db:
                self.session.audit(
                    db, "vault.verified", target="vault", problems=len(report.problems)
                )
        return report

    def _check_audit(self, report: VerifyReport) -> _Recorded:
        """Check the chain; return what it recorded of every audited row that may change.

        Entries are read in batches and checked with the database released in between, so the
        other work of the session (a page listing cases) and other processes are not held up.
        Append-only rows (items, custody events) are compared with their record as the chain
        is read (``vault.verifyrows``), so nothing per row is kept.
        """
        s = self.session
        checker = ChainChecker(s.chain_root_public)
        breathe = self.breathe or Breather()
        rec = _Recorded()
        wanted = {h.seq for h in self.heads}
        found: dict[int, str] = {}
        once = {a.name for a in s.schema.audited if a.append_only}
        rows = self._rows = AppendOnly(tuple(a for a in s.schema.audited if a.append_only), s.db)
        again: list[tuple[int, str, str]] = []  # (seq, actor, target) re-recording such a row
        last, limit = 0, 16  # entries per visit: ~BATCH_TEXT of details (batch entries are large)
        while True:
            with s.db() as db:
                # Plain rows, not ORM objects: fewer objects for the collector to walk (its
                # pauses hold the GIL, and the GUI thread waits for the GIL).
                batch, unsealable = _entries_after(db, last, limit)
                if not batch and unsealable is None:
                    head = read_head(db)
                    pinned = read_head_file(s.pin_folder)
                    at = db.get(AuditEntry, pinned.seq) if pinned and pinned.seq > 0 else None
                    break
            size = 0
            for entry in batch:
                breathe()
                size += len(entry.details)
                report.audit_entries += 1
                for seq, what in checker.check(entry):
                    report.problems.append(Problem(f"audit #{seq}", what))
                if entry.action != batchaudit.ACTION and entry.target.partition(":")[0] not in once:
                    rec.add(entry.target, entry.details)
                else:
                    try:
                        for record in batchaudit.records(entry.action, entry.target, entry.details):
                            if record.table in once and not rows.take(record):
                                again.append((entry.seq, entry.actor, record.target))
                    except batchaudit.Malformed:
                        report.problems.append(
                            Problem(f"audit #{entry.seq}", "its record of a batch is malformed")
                        )
                    if rows.pending >= PENDING:
                        rows.compare(breathe)
                    first_last = batchaudit.span(entry.target)
                    if entry.action == batchaudit.ACTION and first_last:
                        self._spans.append((*first_last, entry.seq))
                if entry.seq in wanted:
                    found[entry.seq] = entry.hash
            rows.compare(breathe)
            if unsealable is not None:  # named, and the chain followed on past it
                seq, what, digest = unsealable
                report.audit_entries += 1
                report.problems.append(Problem(f"audit #{seq}", what))
                checker.skip(seq, digest)
                last = seq
            else:
                last = batch[-1].seq
            limit = max(4, min(BATCH, BATCH_TEXT * len(batch) // max(size, 1)))
            self.cancel.check()
        rows.settle()
        lookup = self._lookup(rec)
        for seq, actor, target in again:
            table = s.schema.audited_table(target.partition(":")[0])
            assert table is not None
            values = {**lookup(target), "_key": target_key(target)}
            report.problems.append(
                Problem(
                    f"audit #{seq}",
                    f"records {table.describe(values, lookup)} again (by {actor!r}); "
                    "it never changes once written",
                )
            )
        if pinned and pinned.seq > head.seq:
            report.problems.append(
                Problem(f"audit #{head.seq + 1}", f"entries up to #{pinned.seq} were removed")
            )
        elif pinned and pinned.seq > 0 and (at is None or at.hash != pinned.hash):
            report.problems.append(Problem(f"audit #{pinned.seq}", "differs from head"))
        for given in self.heads:
            if given.seq > head.seq:
                report.problems.append(
                    Problem(
                        f"audit #{head.seq + 1}",
                        f"entries up to #{given.seq} were removed (a head pinned outside "
                        "names them: the log was truncated or the vault rolled back)",
                    )
                )
            elif found.get(given.seq) != given.hash:
                report.problems.append(
                    Problem(
                        f"audit #{given.seq}",
                        "differs from the head pinned outside (the history was rewritten)",
                    )
                )
        return rec

    def _check_rows(self, report: VerifyReport, rec: _Recorded) -> None:
        s = self.session
        breathe = self.breathe or Breather()
        seen: set[str] = set()
        lookup = self._lookup(rec)
        for table in s.schema.audited:
            if table.append_only:
                report.problems.extend(self._append_only_rows(table, lookup))
                continue
            columns = recorded_columns(table.model)
            key = next(c for c in columns if c.primary_key)
            prefix = f"{table.name}:"
            last: Any = None
            while True:
                with s.db() as db:  # plain rows (see _check_audit), the vault released after
                    q = select(*columns).order_by(key).limit(BATCH)
                    if last is not None:
                        q = q.where(key > last)
                    rows = db.execute(q).all()
                if not rows:
                    break
                for row in rows:
                    breathe()
                    state = {
                        k: v.hex() if isinstance(v, bytes) else v for k, v in row._mapping.items()
                    }
                    target = prefix + str(state[key.key])
                    seen.add(target)
                    digest = rec.digest.get(target)
                    if digest is not None and digest == state_digest(state):
                        continue
                    where = table.describe(
                        {**state, **rec.details(target), "_key": target_key(target)}, lookup
                    )
                    if digest is None:
                        report.problems.append(Problem(where, "has no audit entry"))
                    else:
                        report.problems.append(Problem(where, _edited(state, rec.columns(target))))
                last = rows[-1]._mapping[key.key]
                self.cancel.check()
        gone = rec.digest.keys() - seen
        for table in s.schema.audited:  # in the schema's order, like the rows above
            if table.append_only:
                deleted = sorted(
                    (d for d in self._rows.differ[table.name] if d[2] is None), key=_key_order
                )
                for key_value, record, _ in deleted:
                    values = {**record.facts, "_key": str(key_value)}
                    where = table.describe(values, lookup)
                    report.problems.append(Problem(where, "is in the audit log but was deleted"))
                continue
            prefix = table.name + ":"
            for target in sorted((t for t in gone if t.startswith(prefix)), key=_target_order):
                values = {**rec.details(target), "_key": target_key(target)}
                where = table.describe(values, lookup)
                report.problems.append(Problem(where, "is in the audit log but was deleted"))

    def _check_slots(self, report: VerifyReport, rec: _Recorded, vault_file: str) -> None:
        """Every slot of the vault file must be held by an enabled user whose ``users`` row is
        as the chain recorded it (what a rotation keeps: ``rotation.enabled_slots``). A slot
        whose MACs hold may still be one put back with the file as it was before a user was
        disabled (the rotation that drops it not yet run): named, with the user whose row names
        it, if any."""
        try:
            slots = sorted(self.session.backend.load_config().slots)
        except CustosError:
            return  # the file unreadable: named already (``vault_file_changes``)
        with self.session.db() as db:
            holders = {u.slot: u for u in db.scalars(select(User).where(User.slot.in_(slots)))}
            for slot in slots:
                user = holders.get(slot)
                trusted = user is not None and not user.disabled
                edited = user is not None and rec.digest.get(audit_target(user)) != row_digest(user)
                if trusted and not edited:
                    continue
                whose = ""
                if user is not None:
                    how = "row edited outside Custos" if edited else "disabled"
                    whose = f" (user {user.name!r}: {how})"
                report.problems.append(
                    Problem(
                        vault_file,
                        f"slot {slot} is held by no enabled user whose row is as the audit log "
                        f"recorded{whose}",
                    )
                )

    def _append_only_rows(self, table: Audited, lookup: Lookup) -> list[Problem]:
        """An append-only table's rows that differ from their record or that no entry
        recorded, in key order."""
        found: list[tuple[Any, Problem]] = []
        for key_value, record, state in self._rows.differ[table.name]:
            if state is not None:
                values = {**state, **record.facts, "_key": str(key_value)}
                what = _edited(state, record.columns)
                found.append((key_value, Problem(table.describe(values, lookup), what)))
        for key_value in self._rows.unrecorded(table.name, BATCH, self.cancel.check):
            state = self._rows.row(table.name, key_value) or {}
            values = {**state, "_key": str(key_value)}
            found.append((key_value, Problem(table.describe(values, lookup), "has no audit entry")))
        found.sort(key=lambda f: _key_order(f))
        return [p for _, p in found]

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
            return {**live, **(rec.details(target) or self._recorded_facts(target))}

        return lookup

    def _recorded_facts(self, target: str) -> dict[str, Any]:
        """What the log recorded of an append-only row (its name): from the entries naming it,
        or the batch entry whose span holds it. Only called when naming a finding."""
        table, _, key_text = target.partition(":")
        key = int(key_text) if key_text.isdigit() else -1
        seqs = [seq for first, last, seq in self._spans if first <= key <= last]
        facts: dict[str, Any] = {}
        with self.session.db() as db:
            q = select(AuditEntry.action, AuditEntry.target, AuditEntry.details)
            mine = q.where(sealing.equals(db, AuditEntry.target, target)).order_by(AuditEntry.seq)
            entries = list(db.execute(mine))
            if seqs and table == "items":
                entries += list(db.execute(q.where(AuditEntry.seq.in_(seqs))))
        for action, entry_target, details in entries:
            try:
                for record in batchaudit.records(action, entry_target, details):
                    if record.target == target:
                        facts.update(record.facts)
            except batchaudit.Malformed:
                continue
        return facts

    def _check_blobs(self, report: VerifyReport, recorded: _Recorded, emit: Emit) -> None:
        """Every row of the ``blobs`` table: the evidence against each item's SHA-256, then the
        blobs derived from it (face crops, reference photos) against their own row, each named
        by the rows that use it (the schema's ``blob_uses``).

        Read in visits of ``BATCH`` rows, nothing kept per item: blobs of their own in item
        order, then packed objects pack by pack in their order in it (each pack decrypted once).
        """
        s = self.session
        used = exists().where(Item.blob_name == Blob.name)
        with s.db() as db:  # plain rows (see _check_audit)
            users = self._blob_users(db)
            derived = self._derived_blobs(db, users)
            report.items = db.scalar(select(func.count()).select_from(Item)) or 0
            total = db.scalar(select(func.coalesce(func.sum(Blob.size), 0)).where(used)) or 0
            # contents several items share (rare): checked once, named for each
            shared = set(
                db.scalars(select(Item.blob_name).group_by(Item.blob_name).having(func.count() > 1))
            )
        total += sum(row[2] for row in derived)
        emit(Progress(0, total, "bytes", "checking stored evidence"))
        lookup = self._lookup(recorded)
        done: dict[str, str | None] = {}  # shared contents checked, and what was found

        def check(
            name: str, items: list[Any], pack: str, offset: int, pack_size: int | None
        ) -> None:
            if name in done:
                problem = done[name]
            else:
                first = items[0]
                problem = self._check_blob(
                    name, first.sha256, first.size, report, emit, total, pack, offset, pack_size
                )
                report.blobs += 1
                if name in shared:
                    done[name] = problem
                if problem:
                    report.problems.extend(self._users_of(users.get(name, ()), problem, lookup))
            if problem:
                what = "stored copy " + (HASH_MISMATCH if problem == _MISMATCH else problem)
                report.problems.extend(Problem(_item_name(i, lookup), what) for i in items)

        for item in self._loose_items():
            if self.cancel.cancelled:
                report.cancelled = True
                return
            check(item.blob_name, [item], "", 0, None)
        for blob, items in self._packed_blobs():
            if self.cancel.cancelled:
                report.cancelled = True
                return
            check(blob.name, items, blob.pack, blob.pack_offset, blob.pack_size)
        for name, sha, size, pack, offset, pack_size in derived:
            if self.cancel.cancelled:
                report.cancelled = True
                return
            problem = self._check_blob(
                name, sha, size, report, emit, total, pack, offset, pack_size
            )
            if problem is None and s.blobs.name_for(sha) != name:
                problem = _MISMATCH  # the row's hash is not the one the file is named after
            report.blobs += 1
            if problem:
                found = self._users_of(users.get(name, ()), problem, lookup)
                report.problems.extend(found or [Problem(f"stored object {name[:16]}", problem)])

    def _loose_items(self) -> Iterator[Any]:
        """Items whose content is a blob of its own (or has no blob row), in item order."""
        q = (
            select(Item.id, Item.name, Item.blob_name, Item.sha256, Item.size)
            .outerjoin(Blob, Blob.name == Item.blob_name)
            .where(or_(Blob.pack == "", Blob.pack.is_(None)))
            .order_by(Item.id)
            .limit(BATCH)
        )
        last = 0
        while True:
            with self.session.db() as db:
                rows = db.execute(q.where(Item.id > last)).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].id

    def _packed_blobs(self) -> Iterator[tuple[Any, list[Any]]]:
        """(blob row, the items naming it) of every packed object an item names, pack by pack
        in offset order."""
        q = (
            select(Blob.name, Blob.pack, Blob.pack_offset, Blob.pack_size)
            .where(Blob.pack != "", exists().where(Item.blob_name == Blob.name))
            .order_by(Blob.pack, Blob.pack_offset)
            .limit(BATCH)
        )
        after: tuple[str, int] | None = None
        while True:
            with self.session.db() as db:
                page = q if after is None else q.where(tuple_(Blob.pack, Blob.pack_offset) > after)
                blobs = db.execute(page).all()
                if not blobs:
                    return
                by_blob: dict[str, list[Any]] = defaultdict(list)
                names = [b.name for b in blobs]
                for item in db.execute(
                    select(Item.id, Item.name, Item.blob_name, Item.sha256, Item.size)
                    .where(Item.blob_name.in_(names))
                    .order_by(Item.id)
                ):
                    by_blob[item.blob_name].append(item)
            for blob in blobs:
                if by_blob[blob.name]:
                    yield blob, by_blob[blob.name]
            after = (blobs[-1].pack, blobs[-1].pack_offset)

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
    ) -> list[tuple[str, str, int, str, int, int | None]]:
        """(name, sha256, size, pack, offset, pack size) of every blob row no item names: in
        the order of the rows that use them (faces by id, then references), then any unused
        row."""
        columns = (Blob.name, Blob.sha256, Blob.size, Blob.pack, Blob.pack_offset, Blob.pack_size)
        rows = {
            row[0]: (row[0], row[1], row[2], row[3], row[4], row[5])
            for row in db.execute(
                select(*columns).where(
                    ~exists().where(Item.blob_name == Blob.name)  # by ix_items_blob, row by row
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
        self,
        name: str,
        sha: str,
        size: int,
        report: VerifyReport,
        emit: Emit,
        total: int,
        pack: str = "",
        offset: int = 0,
        pack_size: int | None = None,
    ) -> str | None:
        """None, or what is wrong with the stored copy ("is missing", ..., ``_MISMATCH``)."""
        if self.breathe is not None:
            self.breathe()
        if pack:
            self._open_pack(pack, pack_size, report)
            return self._check_packed(offset, sha, size, report, emit, total)
        if not self.session.blobs.exists(name):
            return "is missing"
        hasher = MultiHasher(size, hash_sets=False, group=1 << 20)  # 64 KiB chunks, grouped
        read = 0
        try:
            for chunk in self.session.blobs.read_file_chunks(name, size):
                hasher.update(chunk)
                read += len(chunk)
                report.bytes += len(chunk)
                if report.bytes % (8 << 20) < len(chunk):
                    emit(Progress(report.bytes, total, "bytes", "checking stored evidence"))
        except AgeError:
            return "fails authentication (altered or damaged)"
        except (FileNotFoundError, ObjectMissing):
            return "is missing"
        except OSError as exc:
            return f"cannot be read: {exc.strerror}"
        finally:
            digest = hasher.hexdigest()
        if read != size or digest != sha:
            return _MISMATCH
        return None

    def _open_pack(self, pack: str, recorded: int | None, report: VerifyReport) -> None:
        """Decrypt ``pack`` once (objects are checked pack by pack), never past its recorded
        size; a pack whose stored size differs from its rows' is named. A pack with no recorded
        size (an upgrade could not size it) gets it here once it authenticates whole."""
        if self._pack_name == pack:
            return
        self._pack_name = pack
        where = f"pack {pack}"
        try:
            with self.session.blobs.open_pack(pack, recorded) as fh:
                stored = os.fstat(fh.fileno()).st_size
                if recorded is not None and stored != recorded:
                    report.problems.append(
                        Problem(
                            where,
                            f"stored size {stored} bytes differs from its rows' "
                            f"{recorded} (altered or damaged)",
                        )
                    )
                self._pack = packs.read_pack_file(fh, self._ids(), recorded)
        except (FileNotFoundError, ObjectMissing):
            self._pack = "is missing (its pack is missing)"
            return
        except AgeError:
            self._pack = "fails authentication (its pack is altered or damaged)"
            return
        except StoreUnavailable as exc:  # more than recorded (or the store failed)
            report.problems.append(Problem(where, str(exc).splitlines()[0]))
            self._pack = "cannot be read (its pack cannot be read)"
            return
        except OSError as exc:
            self._pack = f"cannot be read: {exc.strerror}"
            return
        if recorded is None and not self._pack.bad_chunks:
            self._record_pack_size(pack, stored)

    def _record_pack_size(self, pack: str, size: int) -> None:
        """An unsized pack's size from now on, and its ``blobs.pack_sized`` entry in the same
        transaction (best-effort: a run that changes nothing (``record`` False), a desk that
        may not write, or a failed write leaves it unsized and its reads unbounded, the pack
        named by the warning of its unbounded read)."""
        from vault.serverrotation import may_rewrap

        if self._may_write is None:  # not a push's check, nor a revoked desk's
            self._may_write = self.record and may_rewrap(self.session)
        if not self._may_write:
            return
        with contextlib.suppress(UserError, DBAPIError), self.session.transaction() as db:
            self.session.claim_write(db, PACK_SIZED)
            sized = cast(
                CursorResult[Any],
                db.execute(
                    update(Blob)
                    .where(Blob.pack == pack, Blob.pack_size.is_(None))
                    .values(pack_size=size)
                ),
            )
            if sized.rowcount:  # else sized meanwhile by another verify, which recorded it
                self.session.audit(db, PACK_SIZED, target=f"pack:{pack}", pack=pack, size=size)

    def _check_packed(
        self,
        offset: int,
        sha: str,
        size: int,
        report: VerifyReport,
        emit: Emit,
        total: int,
    ) -> str | None:
        """A packed object in the pack ``_open_pack`` decrypted (every chunk authenticated, the
        last one kept), its bytes re-hashed; a damaged chunk fails only the objects in it."""
        content = self._pack
        if isinstance(content, str):
            return content
        if content.damaged(offset, size):
            return "fails authentication (altered or damaged)"
        before = report.bytes
        report.bytes += size
        if report.bytes // (8 << 20) != before // (8 << 20):
            emit(Progress(report.bytes, total, "bytes", "checking stored evidence"))
        digest = hashlib.sha256(content.plain[offset : offset + size]).hexdigest()
        return None if digest == sha else _MISMATCH

    def _ids(self) -> Any:
        return self.session.age_identities


class _Recorded:
    """What the audit log says of each row: the latest digest, the latest per-column digests
    and everything its entries recorded (names, references) for naming it."""

    # Kept as strings (which the garbage collector does not track) and parsed again only for
    # the few rows a finding names: a vault of a million entries makes no million dicts.

    def __init__(self) -> None:
        self.digest: dict[str, str] = {}
        self._columns: dict[str, str] = {}
        self._details: dict[str, str] = {}

    def add(self, target: str, details: str) -> None:
        try:
            fields = json.loads(details)
        except ValueError:
            return  # an edited entry; the chain check has named it
        if not isinstance(fields, dict):
            return
        digest = fields.get("digest")
        if digest and isinstance(digest, str):
            self.digest[target] = digest
            columns = fields.get("columns")
            self._columns[target] = json.dumps(columns) if isinstance(columns, dict) else ""
            earlier = self._details.get(target)
            # NUL never occurs in canonical JSON (JSON escapes it), so it separates entries
            self._details[target] = details if earlier is None else earlier + "\0" + details

    def columns(self, target: str) -> dict[str, str] | None:
        text = self._columns.get(target)
        return json.loads(text) if text else None

    def details(self, target: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for text in filter(None, self._details.get(target, "").split("\0")):
            fields = json.loads(text)
            merged.update((k, v) for k, v in fields.items() if k not in ("digest", "columns"))
        return merged


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


def _item_name(item: Any, lookup: Lookup) -> str:
    return item_name(item.id, lambda t: lookup(t) or {"name": item.name})


def _key_order(found: tuple[Any, ...]) -> tuple[int, Any]:
    key = found[0]
    return (0, key) if isinstance(key, int) else (1, str(key))


def _target_order(target: str) -> tuple[str, int]:
    table, _, key = target.partition(":")
    return (table, int(key)) if key.isdigit() else (table, 0)


def _entries_after(
    db: DbSession, last: int, limit: int
) -> tuple[list[Any], tuple[int, str, str] | None]:
    """Up to ``limit`` entries after ``last``, as plain rows.

    On a server an entry whose sealed values do not open (changed or moved there) ends the
    batch: the entries before it, and (its seq, what is wrong, its hash) so verify names it and
    follows the chain on past it, instead of stopping at the first such row."""
    q = select(*ENTRY_COLUMNS).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(limit)
    try:
        return list(db.execute(q)), None
    except SealFault as fault:
        if fault.table != AuditEntry.__tablename__ or not fault.row.isdigit():
            raise
        bad = int(fault.row)
        what = f"its {fault.column} {fault.what}"
    before = list(db.execute(q.where(AuditEntry.seq < bad)))
    digest = db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == bad))
    return before, (bad, what, digest or "")


def verify(session: Session, emit: Emit | None = None) -> VerifyReport:
    from vault.jobs import ignore

    return VerifyJob(session).run(emit or ignore)
