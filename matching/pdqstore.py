"""Storing PDQ hashes (``pdq_hashes``): one row per photo or kept video frame, audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from matching.models import PdqRecord
from matching.pdq import ALGORITHM, PdqHash
from vault.session import Session


def hashed_items(session: Session, case_id: int) -> set[int]:
    """Items of a case that have their PDQ hashes already."""
    with session.db() as db:
        return set(db.scalars(select(PdqRecord.item_id).where(PdqRecord.case_id == case_id)))


def add_pdq_rows(
    session: Session, db: DbSession, item_id: int, case_id: int, hashes: list[PdqHash], at: str
) -> None:
    """An item's PDQ hashes and their audit entries, in the caller's transaction."""
    for h in hashes:
        rec = PdqRecord(
            item_id=item_id,
            case_id=case_id,
            frame_time=h.frame_time,
            hash=h.bits,
            quality=h.quality,
            algorithm=ALGORITHM,
            created_at=at,
        )
        db.add(rec)
        session.audit(db, "pdq.computed", rec, item=item_id)
