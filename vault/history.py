"""Reading the audit log (admins) and its head (anyone signed in, for pinning)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from vault import batchaudit, sealing
from vault.audit import SHARED, Head, read_head
from vault.models import AuditEntry
from vault.session import Session, requires

INTEGRITY_FIELDS = frozenset({"digest", "columns"})


@dataclass(frozen=True)
class AuditInfo:
    seq: int
    at: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    hash: str
    workstation: str = SHARED  # the workstation that wrote and signed it (``vault.workstations``)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def readable(self) -> dict[str, Any]:
        """The details a person reads: without the row digests verify uses (``digest``,
        ``columns``), which ``as_dict`` keeps. A batch entry says how many items and custody
        events it records, not each one's digests."""
        if self.action == batchaudit.ACTION:
            return batchaudit.readable(self.details)
        return {k: v for k, v in self.details.items() if k not in INTEGRITY_FIELDS}


@requires("audit.read")
def list_audit(
    session: Session, action: str | None = None, target: str | None = None, limit: int = 0
) -> list[AuditInfo]:
    """Entries oldest first; ``action`` matches a prefix (``item.`` gives every item action)."""
    q = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        q = q.where(AuditEntry.action.startswith(action))
    if target:
        q = q.where(sealing.equals(session.engine, AuditEntry.target, target))
    with session.db() as db:
        rows = list(db.scalars(q).all())
        if target:  # as unsealed: a blind index copied onto another entry on a server finds it
            rows = [e for e in rows if e.target == target]
        if target and (action is None or batchaudit.ACTION.startswith(action)):
            rows = sorted(rows + _batches_holding(db, target), key=lambda e: e.seq)
    if limit:
        rows = rows[-limit:]
    return [
        AuditInfo(
            e.seq,
            e.at,
            e.actor,
            e.action,
            e.target,
            json.loads(e.details),
            e.hash,
            e.workstation or SHARED,
        )
        for e in rows
    ]


def _batches_holding(db: Any, target: str) -> list[AuditEntry]:
    """The batch entries (``vault.batchaudit``) whose items include the item ``target`` names:
    an item acquired in a large batch has its acquisition there, not in an entry of its own."""
    table, _, key = target.partition(":")
    if table != "items" or not key.isdigit():
        return []
    q = select(AuditEntry.seq, AuditEntry.target).where(AuditEntry.action == batchaudit.ACTION)
    seqs = [
        seq
        for seq, span_target in db.execute(q)
        if (span := batchaudit.span(span_target)) and span[0] <= int(key) <= span[1]
    ]
    return list(db.scalars(select(AuditEntry).where(AuditEntry.seq.in_(seqs)))) if seqs else []


def head(session: Session) -> Head:
    with session.db() as db:
        return read_head(db)
