"""Recording a batch of acquired files: item rows, "acquired" custody events, audit entries.

Called by ``vault.ingest`` inside the one transaction that follows the batch's ``syncfs``.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, Table, func, insert, select
from sqlalchemy.orm import Session as DbSession

from vault import batchaudit, sealing
from vault.errors import UserError
from vault.models import (
    Blob,
    CustodyEvent,
    Item,
    canonical,
    column_digests,
    recorded_keys,
    state_digest,
    values_digest,
    values_state,
)
from vault.schema import Acquired
from vault.session import Session, now
from vault.sources import Source, raw_bytes, text


@dataclass(frozen=True)
class CustodyForm:
    """What the seizing officer records once for a batch."""

    exhibit: str | None = None
    seized_from: str | None = None
    seized_at: str | None = None
    seized_on: str | None = None
    seized_by: str | None = None
    description: str | None = None

    def checked(self) -> CustodyForm:
        """This form with its values checked (``seizure_date``); raises ``UserError``."""
        return replace(self, seized_on=seizure_date(self.seized_on))


# A seizure time written in a time zone east of this workstation's is ahead of its clock.
SEIZURE_SLACK = timedelta(days=1)


def seizure_date(value: str | None) -> str | None:
    """A seizure date/time as recorded (ISO 8601, normalised): not in the future beyond a day of
    slack for time zones. One rule for ingest and for corrections, whatever the face."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(
            f"seizure date {value!r} is not an ISO 8601 date or time (e.g. 2026-03-01T14:30)"
        ) from None
    latest = datetime.now(when.tzinfo or None) + SEIZURE_SLACK  # naive: this machine's clock
    if when > latest:
        raise UserError(f"seizure date {value!r} is in the future")
    return when.isoformat()


@dataclass
class Pending:
    source: Source
    size: int
    sha256: str
    sha1: str | None  # None: the case computes no hash-set digests
    md5: str | None
    blob: str
    mtime: str
    derived: dict[str, Any] = field(default_factory=dict)  # by layer: ``vault.schema.Derive``
    pack: str = ""  # a small object in a pack (vault.packs): the pack and its data's offset
    offset: int = 0


def record_batch(
    session: Session, db: DbSession, form: CustodyForm, case_id: int, batch: list[Pending]
) -> list[int]:
    """Insert a batch's rows, returning the item ids.

    Bulk INSERTs (one statement per table, ids by RETURNING) instead of one ORM object and
    flush per row: with small files the ORM bookkeeping cost more than the encryption. A batch
    of ``batchaudit.MIN_ITEMS`` or more gets one audit entry naming every row with its digest
    (``vault.batchaudit``); a smaller one the two entries per item that
    ``Session.audit(db, action, row)`` would write (digests computed from the inserted values).
    """
    at = now()
    names = {p.blob for p in batch}
    known = set(db.scalars(select(Blob.name).where(Blob.name.in_(names))))
    blobs = []
    for p in batch:
        if p.blob not in known:
            known.add(p.blob)
            blobs.append(
                {
                    "name": p.blob,
                    "sha256": p.sha256,
                    "size": p.size,
                    "pack": p.pack,
                    "pack_offset": p.offset,
                }
            )
    insert_many(db, BLOBS, blobs)
    items = [
        {
            "case_id": case_id,
            "name": p.source.name,
            "original_path": source_path(p.source),
            "size": p.size,
            "sha256": p.sha256,
            "md5": p.md5 or "",
            "sha1": p.sha1 or "",
            "blob_name": p.blob,
            "exhibit": form.exhibit,
            "seized_from": form.seized_from,
            "seized_at": form.seized_at,
            "seized_on": form.seized_on,
            "seized_by": form.seized_by,
            "description": form.description,
            "modified_at": p.mtime,
            "acquired_by": session.user,
            "acquired_at": at,
        }
        for p in batch
    ]
    ids = insert_rows(db, Item, items)
    events = [
        {
            "item_id": item_id,
            "kind": "acquired",
            "actor": session.user,
            "at": at,
            "details": canonical(_acquired(p, form)),
            "refers_to": None,
        }
        for p, item_id in zip(batch, ids, strict=True)
    ]
    event_ids = insert_rows(db, CustodyEvent, events)
    if len(batch) >= batchaudit.MIN_ITEMS:
        # One signed entry names every row of the batch with its digest (vault.batchaudit).
        for item, item_id, event, event_id in zip(items, ids, events, event_ids, strict=True):
            item["id"], event["id"] = item_id, event_id
        session.audit_many(db, [batchaudit.entry(case_id, items, events)])
    else:
        session.audit_many(db, _entries(case_id, batch, items, ids, events, event_ids))
    session.schema.acquired(
        session,
        db,
        [
            Acquired(item_id, case_id, p.sha256, p.sha1, p.md5, p.derived)
            for p, item_id in zip(batch, ids, strict=True)
        ],
    )
    return ids


def _entries(
    case_id: int,
    batch: list[Pending],
    items: list[dict[str, Any]],
    ids: list[int],
    events: list[dict[str, Any]],
    event_ids: list[int],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Two entries per item, as ``Session.audit(db, action, row)`` writes them."""
    item_target, event_target = Item.__tablename__ + ":", CustodyEvent.__tablename__ + ":"

    rows = zip(batch, items, ids, events, event_ids, strict=True)
    for p, item, item_id, event, event_id in rows:
        item["id"], event["id"] = item_id, event_id
        yield (
            "item.acquired",
            f"{item_target}{item_id}",
            {
                "sha256": p.sha256,
                "case": case_id,
                "name": p.source.name,  # verify names an edited or deleted item by it
                "digest": state_digest(state := values_state(Item, item)),
                "columns": column_digests(state),
            },
        )
        yield (
            "custody.acquired",
            f"{event_target}{event_id}",
            {"item": item_id, "digest": values_digest(CustodyEvent, event)},
        )


BLOBS: Table = Blob.__table__  # type: ignore[assignment]


def source_path(source: Source) -> str:
    """The source's absolute path as an item records it (``original_path``)."""
    return text(_absolute(source.where))


def held_by_case(db: DbSession, case_id: int) -> dict[tuple[str, str], int]:
    """(original path, SHA-256) -> item id of every item of the case: one query per job, so an
    ingest run again knows what it stored before (the latest item wins)."""
    rows = db.execute(
        select(Item.original_path, Item.sha256, Item.id)
        .where(Item.case_id == case_id)
        .order_by(Item.id)
    )
    return {(path, sha256): item_id for path, sha256, item_id in rows}


def _acquired(p: Pending, form: CustodyForm) -> dict[str, Any]:
    """The "acquired" event's details; with the exact bytes of a source path that is not valid
    UTF-8 (the item's name and path hold it escaped), so the original name is never lost."""
    details: dict[str, Any] = {"sha256": p.sha256, "size": p.size, "exhibit": form.exhibit}
    raw = raw_bytes(_absolute(p.source.where))
    if raw is not None:
        details["original_path_bytes"] = raw.hex()
    return details


def insert_rows(db: DbSession, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk INSERT ``rows`` into ``table`` (a model with an integer ``id``); returns their new
    ids, in order. Other layers use it for rows recorded with a batch (hash-set hits).

    SQLite: the ids are given (max + 1 onwards, what SQLite itself would choose: the tables have
    no AUTOINCREMENT, and this transaction is the vault's only writer), so the rows go in as one
    ``executemany``: an ordered RETURNING made SQLAlchemy insert them one statement per row.
    Elsewhere (a server database with sequences) the ids come back by RETURNING, or, when
    the table has sealed columns, are taken from its sequence first (``vault.sealing``: each
    value is sealed to the id of its row).
    """
    bind = db.get_bind()
    if bind.dialect.name != "sqlite":
        params = sealing.insert_params(db, table, rows)
        if params is not None:
            copy_rows(db, table.__table__, params)
            return [row["id"] for row in rows]
        # sort_by_parameter_order: the returned ids come in the order of the given rows.
        stmt = insert(table).returning(table.id, sort_by_parameter_order=True)
        returned = list(db.scalars(stmt, rows))
        for row, row_id in zip(rows, returned, strict=True):
            row["id"] = row_id  # the audit records the row as stored, its id included
        return returned
    first = (db.scalar(select(func.max(table.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    insert_many(db, table.__table__, rows)
    return ids


def insert_many(db: DbSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` into ``table``: one ``executemany`` of the driver with every column of
    the table given in every row and no column converting its value (plain integers and text,
    as in items, custody events and blobs); else, the same through SQLAlchemy Core. Core
    spent more on its per-row parameter processing than SQLite on the inserts of a batch of
    small files."""
    if not rows:
        return
    sealed = sealing.insert_params(db, table, rows)
    if sealed is not None:  # a server: each sensitive value sealed to its row
        copy_rows(db, table, sealed)
        return
    bind = db.get_bind()
    dialect = bind.dialect
    columns = [table.c[k] for k in recorded_keys(table)]  # not the blind indexes (NULL here)
    keys = [c.key for c in columns]
    if (
        dialect.paramstyle != "qmark"
        or len(columns) < 2
        or any(c.type.bind_processor(dialect) is not None or c.key not in rows[0] for c in columns)
    ):
        db.execute(insert(table), rows)  # Core: no ORM bookkeeping per row
        return
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    values = operator.itemgetter(*keys)  # a tuple of the row's values, in column order
    db.connection().exec_driver_sql(sql, [values(row) for row in rows])


def copy_rows(db: DbSession, table: Table, params: list[dict[str, Any]]) -> None:
    """INSERT the sealed parameter sets of ``sealing.insert_params`` into ``table`` on
    PostgreSQL with one ``COPY ... FROM STDIN`` (one round trip, rows parsed by the server in
    bulk; an ``executemany`` sent a statement per row: with the server on the workstation's
    cores, a batch's 3,000 rows were a third of a small-file ingest). Every row must give the
    same columns, none of them converted by SQLAlchemy on the way (sealed values are
    ciphertext already, blind indexes bytes) and no column left out may have a Python-side
    default; otherwise, or on another database, the Core INSERT it replaces."""
    if not params:
        return
    connection = db.connection()
    dialect = connection.dialect
    keys = list(params[0])
    columns = [table.c[k] for k in keys if k in table.c]
    given = set(keys)
    if (
        dialect.name != "postgresql"
        or len(columns) != len(keys)
        or len(keys) < 2
        or any(c.default is not None for c in table.columns if c.key not in given)
        or any(
            # sealed values and blind indexes are bytes: psycopg sends them as bytea itself
            not isinstance(c.type, sealing.Sealed | LargeBinary)
            and c.type.bind_processor(dialect) is not None
            for c in columns
        )
        or any(len(row) != len(keys) or row.keys() != given for row in params)
    ):
        db.execute(insert(table), params)
        return
    quote = dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) FROM STDIN"
    values = operator.itemgetter(*keys)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for row in params:
            copy.write_row(values(row))


def _absolute(path: str) -> str:
    """``str(Path(path).absolute())`` (a walk's paths are already as pathlib writes them)."""
    return path if os.path.isabs(path) else str(Path(path).absolute())
