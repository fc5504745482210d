"""A batch of an ingest on an agency server is made (ids from the sequences, values sealed,
audit digests) on a thread of its own while the batch before is recorded
(``vault.ingest``, ``acquisition.prepare_batch``): what is made ahead must still be what the
transaction that records it would have made."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from vault import sealing
from vault.acquisition import CustodyForm, Pending, prepare_batch, record_batch
from vault.cases import find_case
from vault.items import list_items
from vault.models import Item
from vault.session import Session
from vault.sources import Source


def _batch(session: Session, n: int) -> list[Pending]:
    batch = []
    for i in range(n):
        sha256 = hashlib.sha256(f"file {i}".encode()).hexdigest()
        batch.append(
            Pending(
                Source(f"/media/usb/DCIM/IMG_{i:04}.jpg", f"DCIM/IMG_{i:04}.jpg"),
                4096,
                sha256,
                None,
                None,
                session.blobs.name_for(sha256),
                "2026-03-01T14:30:00",
            )
        )
    return batch


def _record(session: Session, batch: list[Pending], rekey: bool) -> tuple[list[int], list[int]]:
    """The batch made ahead (as the preparing thread does), then, if ``rekey``, the engine
    given its keys again (as a vault-key rotation does: ``sealing.attach``), then recorded;
    the ids made ahead and the ids recorded."""
    form = CustodyForm(exhibit="EX-1")
    with session.db() as db:
        case_id = find_case(db, "C-1").id
    with session.db_alongside() as db:
        ready = prepare_batch(session, db, form, case_id, batch)
    ahead = [row["id"] for row in ready.items]
    if rekey:
        sealing.attach(session.engine, session.vault_key_for_rotation())
    with session.transaction() as db:
        ids = record_batch(session, db, form, case_id, batch, ready)
    return ahead, ids


def test_a_batch_made_ahead_is_recorded_as_made(server_alice: Any) -> None:
    session: Session = server_alice
    ahead, ids = _record(session, _batch(session, 5), rekey=False)
    assert ids == ahead
    with session.db() as db:
        names = db.scalars(select(Item.name).where(Item.id.in_(ids)).order_by(Item.id)).all()
    assert names == [f"DCIM/IMG_{i:04}.jpg" for i in range(5)]


def test_a_batch_made_before_the_engine_took_other_keys_is_made_again(server_alice: Any) -> None:
    """Sealed under keys the engine no longer has (a rotation ran between the preparation and
    the transaction), the rows would not open afterwards: the transaction makes them again."""
    session: Session = server_alice
    ahead, ids = _record(session, _batch(session, 5), rekey=True)
    assert ids != ahead  # made again: ids of their own from the sequences
    assert len(ids) == 5
    assert sorted(i.name for i in list_items(session, "C-1")) == [
        f"DCIM/IMG_{i:04}.jpg" for i in range(5)
    ]
