"""Reading the audit log (admins) and its head (anyone signed in, for pinning)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from vault.audit import Head, read_head
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def readable(self) -> dict[str, Any]:
        """The details a person reads: without the row digests verify uses (``digest``,
        ``columns``), which ``as_dict`` keeps."""
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
        q = q.where(AuditEntry.target == target)
    with session.db() as db:
        rows = db.scalars(q).all()
    if limit:
        rows = rows[-limit:]
    return [
        AuditInfo(e.seq, e.at, e.actor, e.action, e.target, json.loads(e.details), e.hash)
        for e in rows
    ]


def head(session: Session) -> Head:
    with session.db() as db:
        return read_head(db)
