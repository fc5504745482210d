"""``verify``: re-check every blob, every row against the audit log, every chain link.

Findings are collected, never stopped at: each names the item (id and original name) or the audit
sequence number. Blobs are decrypted and re-hashed with the hash on a second thread.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from vault.agefmt import AgeError
from vault.audit import check_chain, read_head, read_head_file
from vault.hashing import MultiHasher
from vault.jobs import CancelToken, Emit, Progress
from vault.models import (
    AUDITED,
    AuditEntry,
    Base,
    Case,
    CustodyEvent,
    Item,
    User,
    audit_target,
    row_digest,
)
from vault.session import Session, now


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
        latest, recorded = self._check_audit(report)
        self._check_rows(report, latest, recorded)
        self._check_blobs(report, emit)
        report.checked_at = now()
        if not report.cancelled:
            with self.session.transaction() as db:
                self.session.audit(
                    db, "vault.verified", target="vault", problems=len(report.problems)
                )
        return report

    def _check_audit(
        self, report: VerifyReport
    ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        """Check the chain; return the latest recorded digest and details of every audited row."""
        s = self.session
        with s.db() as db:
            for seq, what in check_chain(db, s.chain_root_public):
                report.problems.append(Problem(f"audit #{seq}", what))
            head = read_head(db)
            pinned = read_head_file(s.folder)
            if pinned and pinned.seq > head.seq:
                report.problems.append(
                    Problem(f"audit #{head.seq + 1}", f"entries up to #{pinned.seq} were removed")
                )
            elif pinned and pinned.seq > 0:
                at = db.get(AuditEntry, pinned.seq)
                if at is None or at.hash != pinned.hash:
                    report.problems.append(Problem(f"audit #{pinned.seq}", "differs from head"))
            latest: dict[str, str] = {}
            recorded: dict[str, dict[str, Any]] = {}
            q = select(AuditEntry.seq, AuditEntry.target, AuditEntry.details).order_by(
                AuditEntry.seq
            )
            for _seq, target, details in db.execute(q):
                report.audit_entries += 1
                try:
                    fields = json.loads(details)
                except ValueError:
                    continue  # an edited entry; check_chain has named it
                if not isinstance(fields, dict):
                    continue
                digest = fields.get("digest")
                if digest:
                    latest[target] = digest
                    recorded.setdefault(target, {}).update(fields)
        return latest, recorded

    def _check_rows(
        self, report: VerifyReport, latest: dict[str, str], recorded: dict[str, dict[str, Any]]
    ) -> None:
        seen: set[str] = set()
        # Items are named by the name their audit entries recorded (the original name), so an
        # item whose row was edited or deleted is still named as it was acquired.
        names = {
            int(t.split(":")[1]): str(d["name"])
            for t, d in recorded.items()
            if t.startswith("items:") and "name" in d
        }
        with self.session.db() as db:
            for item_id, name in db.execute(select(Item.id, Item.name)):
                names.setdefault(item_id, name)
            for table in AUDITED:
                for row in db.scalars(select(table)).yield_per(2000):
                    target = audit_target(row)
                    seen.add(target)
                    digest = latest.get(target)
                    if digest is None:
                        report.problems.append(Problem(_name(row, names), "has no audit entry"))
                    elif digest != row_digest(row):
                        report.problems.append(
                            Problem(_name(row, names), "differs from its audited record (edited)")
                        )
        tables = {t.__tablename__ for t in AUDITED}
        for target in sorted(latest.keys() - seen, key=_target_order):
            if target.split(":")[0] in tables:
                where = _deleted_name(target, recorded.get(target, {}), names)
                report.problems.append(Problem(where, "is in the audit log but was deleted"))

    def _check_blobs(self, report: VerifyReport, emit: Emit) -> None:
        s = self.session
        by_blob: dict[str, list[Item]] = defaultdict(list)
        with s.db() as db:
            for item in db.scalars(select(Item).order_by(Item.id)):
                by_blob[item.blob_name].append(item)
        report.items = sum(len(v) for v in by_blob.values())
        total = sum(items[0].size for items in by_blob.values())
        emit(Progress(0, total, "bytes", "checking stored evidence"))
        for name, items in by_blob.items():
            if self.cancel.cancelled:
                report.cancelled = True
                return
            first = items[0]
            problem = self._check_blob(name, first.sha256, first.size, report, emit, total)
            report.blobs += 1
            if problem:
                report.problems.extend(Problem(_name(i), problem) for i in items)

    def _check_blob(
        self, name: str, sha: str, size: int, report: VerifyReport, emit: Emit, total: int
    ) -> str | None:
        path = self.session.blobs.path(name)
        if not path.exists():
            return "stored copy is missing"
        hasher = MultiHasher(size, hash_sets=False, group=1 << 20)  # 64 KiB chunks, grouped
        read = 0
        try:
            for chunk in self.session.blobs.read_chunks(name):
                hasher.update(chunk)
                read += len(chunk)
                report.bytes += len(chunk)
                if report.bytes % (8 << 20) < len(chunk):
                    emit(Progress(report.bytes, total, "bytes", "checking stored evidence"))
        except AgeError:
            return "stored copy fails authentication (altered or damaged)"
        except OSError as exc:
            return f"stored copy cannot be read: {exc.strerror}"
        finally:
            digest = hasher.hexdigest()
        if read != size or digest != sha:
            return "stored copy does not match the acquisition hash"
        return None


def _item_name(item_id: int, names: dict[int, str]) -> str:
    name = names.get(item_id)
    return f"item {item_id} ({name})" if name is not None else f"item {item_id}"


def _name(row: Base, names: dict[int, str] | None = None) -> str:
    names = names or {}
    if isinstance(row, Item):
        return f"item {row.id} ({names.get(row.id, row.name)})"
    if isinstance(row, CustodyEvent):
        return f"custody event {row.id} of {_item_name(row.item_id, names)}"
    if isinstance(row, Case):
        return f"case {row.reference}"
    if isinstance(row, User):
        return f"user {row.name}"
    return str(row)


def _target_order(target: str) -> tuple[str, int]:
    table, _, key = target.partition(":")
    return (table, int(key)) if key.isdigit() else (table, 0)


def _deleted_name(target: str, details: dict[str, Any], names: dict[int, str]) -> str:
    """Name a row that the audit log knows and the database no longer has."""
    table, _, key = target.partition(":")
    if table == "items" and key.isdigit():
        return _item_name(int(key), names)
    if table == "custody_events" and isinstance(details.get("item"), int):
        return f"custody event {key} of {_item_name(details['item'], names)}"
    if table == "cases" and details.get("reference"):
        return f"case {details['reference']}"
    if table == "users" and details.get("name"):
        return f"user {details['name']}"
    return target


def verify(session: Session, emit: Emit | None = None) -> VerifyReport:
    from vault.jobs import ignore

    return VerifyJob(session).run(emit or ignore)
