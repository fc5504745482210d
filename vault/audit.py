"""The audit log: append-only, hash-chained, every entry signed with the workstation key.

Entry hash = SHA-256(prev_hash || canonical JSON of seq, at, actor, action, target, details);
signature = Ed25519(hash). The head (seq, hash) is also written to ``audit.head`` after each commit
so truncating the chain from the end is caught, and so an outside party can pin it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from vault.fsutil import atomic_write
from vault.models import AuditEntry, canonical

GENESIS = "0" * 64
HEAD_FILE = "audit.head"


def entry_hash(
    prev: str, seq: int, at: str, actor: str, action: str, target: str, details: str
) -> str:
    body = canonical(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
        }
    )
    return hashlib.sha256(prev.encode() + body.encode()).hexdigest()


class AuditLog:
    """Appends entries inside the caller's transaction."""

    def __init__(self, signing_key: Ed25519PrivateKey) -> None:
        self._key = signing_key

    def append(
        self, db: DbSession, at: str, actor: str, action: str, target: str, details: dict[str, Any]
    ) -> AuditEntry:
        last = db.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()))
        row = last.first()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        text = canonical(details)
        digest = entry_hash(prev, seq, at, actor, action, target, text)
        signature = self._key.sign(bytes.fromhex(digest)).hex()
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            details=text,
            prev_hash=prev,
            hash=digest,
            signature=signature,
        )
        db.add(entry)
        db.flush()
        return entry


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def read_head(db: DbSession) -> Head:
    row = db.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
    ).first()
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def write_head_file(folder: Path, head: Head) -> None:
    atomic_write(folder / HEAD_FILE, f"{head.seq} {head.hash}\n".encode(), mode=0o644)


def read_head_file(folder: Path) -> Head | None:
    try:
        seq, digest = (folder / HEAD_FILE).read_text().split()
        return Head(int(seq), digest)
    except (FileNotFoundError, ValueError):
        return None


def check_chain(db: DbSession, public: Ed25519PublicKey) -> Iterator[tuple[int, str]]:
    """Yield (seq, problem) for every broken link, wrong hash or bad signature."""
    expected_seq, prev = 1, GENESIS
    for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000):
        if e.seq != expected_seq:
            yield e.seq, f"entries {expected_seq}..{e.seq - 1} are missing"
        if e.prev_hash != prev:
            yield e.seq, "does not link to the entry before it"
        digest = entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.details)
        if digest != e.hash:
            yield e.seq, "content does not match its hash (edited)"
        try:
            public.verify(bytes.fromhex(e.signature), bytes.fromhex(e.hash))
        except (InvalidSignature, ValueError):
            yield e.seq, "signature is not valid for the workstation key"
        expected_seq, prev = e.seq + 1, e.hash


def count(db: DbSession) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0
