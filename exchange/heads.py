"""Partners' audit heads as their bundles carry them, kept here to see a rollback.

Every bundle Custos writes carries the sender's audit head at that moment (``audit_head``,
``"SEQ:HASH"``, inside the signed ``custos-bundle.json``). The receiver keeps one row per bundle
that carried a head (``PartnerHead``, audited). A head lower than one recorded before, or the
same sequence number with another hash, means the partner's vault went back in time (a restored
backup, a rolled-back folder, a rewritten history): the import still lands (their evidence is not
wrong for it) but says so in one line and audits it as ``bundle.head_backwards``, for a phone call.
Bundles without ``audit_head`` (older Custos) import without a head recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from exchange.models import PartnerHead
from vault import sealing
from vault.audit import Head, read_head
from vault.session import Session, now

# the shape ``custos-bundle.json`` must give it (exchange.checks): digits, a colon, 64 hex
HEAD_PATTERN = "[0-9]{1,18}:[0-9a-f]{64}"


@dataclass(frozen=True)
class KnownHead:
    """A partner's audit head as one of their bundles carried it."""

    partner: str
    seq: int
    hash: str
    bundle_id: str
    at: str  # when we received it
    backwards: bool

    @property
    def text(self) -> str:
        return f"{self.seq}:{self.hash}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_head(session: Session) -> str:
    """Our own audit head, as a bundle carries it."""
    with session.db() as db:
        head = read_head(db)
    return f"{head.seq}:{head.hash}"


def carried(meta: dict[str, Any]) -> Head | None:
    """The head a (shape-checked) bundle description carries, or None (an older bundle)."""
    text = meta.get("audit_head")
    if not text:
        return None
    seq, _, digest = str(text).partition(":")
    return Head(int(seq), digest)


def _known(row: PartnerHead) -> KnownHead:
    return KnownHead(row.partner, row.seq, row.hash, row.bundle_id, row.at, row.backwards)


def last_head(db: DbSession, partner: str) -> KnownHead | None:
    """The highest head any bundle of ``partner`` carried (the latest we know of)."""
    rows = db.scalars(
        select(PartnerHead)
        .where(sealing.equals(db, PartnerHead.partner, partner))
        .order_by(PartnerHead.seq.desc(), PartnerHead.id)
    )
    return _first_of(rows, partner)


def _first_of(rows: Iterable[PartnerHead], partner: str) -> KnownHead | None:
    """The first of ``rows`` (found by the partner's blind index) that is ``partner``'s: the
    unsealed name re-checked, so a blind index copied onto another row finds nothing."""
    row = next((row for row in rows if row.partner == partner), None)
    return None if row is None else _known(row)


def last_backwards(db: DbSession, partner: str) -> KnownHead | None:
    """The latest head of ``partner`` recorded as going backwards (``bundle.head_backwards``),
    or None when none ever did."""
    rows = db.scalars(
        select(PartnerHead)
        .where(sealing.equals(db, PartnerHead.partner, partner), PartnerHead.backwards.is_(True))
        .order_by(PartnerHead.id.desc())
    )
    return _first_of(rows, partner)


def backwards(db: DbSession, partner: str, head: Head | None) -> str | None:
    """One line when ``head`` goes back from what ``partner``'s bundles carried before."""
    if head is None or not partner:
        return None
    known = last_head(db, partner)
    if known is not None and head.seq < known.seq:
        why = "lower than"
    else:
        rows = db.scalars(
            select(PartnerHead).where(
                sealing.equals(db, PartnerHead.partner, partner),
                PartnerHead.seq == head.seq,
                PartnerHead.hash != head.hash,
            )
        )
        same = _first_of(rows, partner)
        if same is None:
            return None
        known, why = same, "the same entry as, with another hash than,"
    return (
        f"{partner}'s audit head went backwards: this bundle carries {head.seq}:"
        f"{head.hash[:16]}..., {why} {known.seq}:{known.hash[:16]}... carried by bundle "
        f"{known.bundle_id} received {known.at[:10]}; their vault may have been restored or "
        "rolled back: check with them before relying on it"
    )


def record_head(
    session: Session, db: DbSession, partner: str, head: Head | None, bundle_id: str, kind: str
) -> str | None:
    """Keep the head a bundle carried (in the import's transaction); returns the warning line
    when it goes backwards (audited as ``bundle.head_backwards``), else None."""
    if head is None:
        return None
    warning = backwards(db, partner, head)
    row = PartnerHead(
        partner=partner,
        seq=head.seq,
        hash=head.hash,
        bundle_id=bundle_id,
        kind=kind,
        backwards=warning is not None,
        at=now(),
    )
    db.add(row)
    action = "bundle.head_backwards" if warning else "partner.head_recorded"
    details: dict[str, Any] = {
        "partner": partner,
        "bundle": bundle_id,
        "head": f"{head.seq}:{head.hash}",
    }
    if warning:
        details["warning"] = warning
    session.audit(db, action, row, **details)
    return warning
