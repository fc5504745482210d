"""What the matching layer does when evidence arrives (wired by ``service.opener``).

* ``DERIVE``: while ingest reads a photo (once: hashed and encrypted in the same pass, in an
  ingest worker process for small files), its PDQ hash is computed from the same bytes
  (``wants``/``compute`` of ``matching.pdqderive``, a module the workers import by name, kept
  light; ``vault.schema.Derive``). A file that is not a decodable photo gets
  none (the item is stored all the same; ``custos pdq compute`` names the reason later).
* ``on_acquired``: inside the transaction that records the items, each new item is looked up in
  the active hash sets (``hashhits.on_acquired``) and its PDQ hash recorded with its audit entry
  (``pdq.computed``), as ``pdq compute`` would record it: the hash commits with the item or not
  at all.

This module is imported when a vault opens: it imports no numpy or OpenCV at load.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session as DbSession

from matching.hashhits import on_acquired as look_up_in_hash_sets
from matching.models import LAYER, PdqRecord
from matching.pdqderive import compute, wants
from vault.acquisition import insert_rows
from vault.models import column_digests, state_digest, values_state
from vault.schema import Acquired, Derive
from vault.session import Session, now

LAYER_NAME = LAYER.name  # the key of ``Acquired.derived`` this layer's results come under


DERIVE = Derive(wants, compute)


def on_acquired(session: Session, db: DbSession, items: Sequence[Acquired]) -> None:
    """The matching layer's ``on_acquired``: hash-set hits, then the photos' PDQ hashes."""
    look_up_in_hash_sets(session, db, items)
    record_pdq(session, db, items)


def record_pdq(session: Session, db: DbSession, items: Sequence[Acquired]) -> None:
    """The PDQ rows ``compute`` made during the read, and their audit entries (one bulk INSERT
    each, as the items themselves)."""
    at = now()
    rows = [
        {
            "item_id": item.item_id,
            "case_id": item.case_id,
            "frame_time": None,
            "hash": value[0],
            "quality": value[1],
            "algorithm": value[2],
            "created_at": at,
        }
        for item in items
        if (value := item.derived.get(LAYER_NAME)) is not None
    ]
    if not rows:
        return
    ids = insert_rows(db, PdqRecord, rows)
    target = PdqRecord.__tablename__ + ":"

    def entries() -> Iterator[tuple[str, str, dict[str, Any]]]:
        for row, row_id in zip(rows, ids, strict=True):
            state = values_state(PdqRecord, row)
            yield (
                "pdq.computed",
                f"{target}{row_id}",
                {
                    "item": row["item_id"],
                    "digest": state_digest(state),
                    "columns": column_digests(state),
                },
            )

    session.audit_many(db, entries())


def on_copied(conn: Any, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """The matching layer's ``on_copied`` (``server push``): a batch of references copied to
    the server gets its vectors in the server's pgvector table in the same transaction
    (:func:`matching.servervectors.write`)."""
    if table != "references" or not rows:
        return
    from matching import servervectors  # numpy: only when a push copies references

    servervectors.write(conn, [(int(r["id"]), bytes(r["embedding"])) for r in rows])
