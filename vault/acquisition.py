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
from sqlalchemy import text as sql_text
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
    pack_size: int | None = None  # that pack's encrypted size, as written


@dataclass
class Prepared:
    """A batch's rows and audit entries as made before its transaction (``prepare_batch``).

    On a server (a sealing engine) the rows also have their ids, taken from the tables'
    sequences, and their sealed parameter sets (``sealing.insert_params``): the sealing, the
    row digests and the audit entries are then computed while the batch's uploads finish, not
    inside the transaction that holds the server's audit lock. On a local vault the ids are
    given inside the transaction (``insert_rows``): only the blobs' and items' plain values
    are made here."""

    at: str
    blobs: list[dict[str, Any]]  # the batch's distinct objects, in order of first use
    items: list[dict[str, Any]]
    sealed_blobs: list[dict[str, Any]] | None = None
    sealed_items: list[dict[str, Any]] | None = None
    events: list[dict[str, Any]] | None = None
    sealed_events: list[dict[str, Any]] | None = None
    entries: list[tuple[str, str, dict[str, Any]]] | None = None
    # the keys the values were sealed with: a batch made before a vault-key rotation took the
    # engine's keys (``sealing.attach``) is made again in its transaction
    sealer: sealing.Sealer | None = None


def prepare_batch(
    session: Session, db: DbSession, form: CustodyForm, case_id: int, batch: list[Pending]
) -> Prepared:
    """A batch's rows, and on a server their ids, sealed values and audit entries
    (``Prepared``); ``db`` need not be the recording transaction's (ids come from sequences)."""
    at = now()
    blobs: dict[str, dict[str, Any]] = {}
    for p in batch:
        if p.blob not in blobs:
            blobs[p.blob] = {
                "name": p.blob,
                "sha256": p.sha256,
                "size": p.size,
                "pack": p.pack,
                "pack_offset": p.offset,
                "pack_size": p.pack_size,
            }
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
    ready = Prepared(at, list(blobs.values()), items, sealer=sealing.current(db))
    if ready.sealer is None:
        return ready
    ready.sealed_blobs = sealing.insert_params(db, BLOBS, ready.blobs)
    ready.sealed_items = sealing.insert_params(db, Item, items)  # the ids: into ``items`` too
    if ready.sealed_items is None:
        return ready
    ready.events = _events(session, form, batch, items, at)
    ready.sealed_events = sealing.insert_params(db, CustodyEvent, ready.events)
    if ready.sealed_events is not None:
        ready.entries = list(_audit_entries(case_id, batch, items, ready.events))
    return ready


def record_batch(
    session: Session,
    db: DbSession,
    form: CustodyForm,
    case_id: int,
    batch: list[Pending],
    ready: Prepared | None = None,
) -> list[int]:
    """Insert a batch's rows, returning the item ids (``ready``: made by ``prepare_batch``
    before the transaction; else made here).

    Bulk INSERTs (one statement per table, ids by RETURNING) instead of one ORM object and
    flush per row: with small files the ORM bookkeeping cost more than the encryption. A batch
    of ``batchaudit.MIN_ITEMS`` or more gets one audit entry naming every row with its digest
    (``vault.batchaudit``); a smaller one the two entries per item that
    ``Session.audit(db, action, row)`` would write (digests computed from the inserted values).
    """
    if ready is None or ready.sealer is not sealing.current(db):
        ready = prepare_batch(session, db, form, case_id, batch)
    known = stored_blobs(db, {row["name"] for row in ready.blobs})
    if ready.sealed_blobs is not None:
        copy_rows(db, BLOBS, [row for row in ready.sealed_blobs if row["name"] not in known])
    else:
        insert_many(db, BLOBS, [row for row in ready.blobs if row["name"] not in known])
    items = ready.items
    if ready.sealed_items is not None:
        copy_rows(db, Item.__table__, ready.sealed_items)  # type: ignore[arg-type]
        ids = [row["id"] for row in items]
    else:
        ids = insert_rows(db, Item, items)
    events = ready.events
    if events is None:
        events = _events(session, form, batch, items, ready.at)
    if ready.sealed_events is not None:
        copy_rows(db, CustodyEvent.__table__, ready.sealed_events)  # type: ignore[arg-type]
    else:
        insert_rows(db, CustodyEvent, events)
    entries = ready.entries
    if entries is None:
        entries = list(_audit_entries(case_id, batch, items, events))
    session.audit_many(db, entries)
    session.schema.acquired(
        session,
        db,
        [
            Acquired(item_id, case_id, p.sha256, p.sha1, p.md5, p.derived)
            for p, item_id in zip(batch, ids, strict=True)
        ],
    )
    return ids


def _events(
    session: Session,
    form: CustodyForm,
    batch: list[Pending],
    items: list[dict[str, Any]],
    at: str,
) -> list[dict[str, Any]]:
    """The "acquired" custody events of a batch's items (their ids given)."""
    return [
        {
            "item_id": item["id"],
            "kind": "acquired",
            "actor": session.user,
            "at": at,
            "details": canonical(_acquired(p, form)),
            "refers_to": None,
        }
        for p, item in zip(batch, items, strict=True)
    ]


def _audit_entries(
    case_id: int,
    batch: list[Pending],
    items: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The batch's audit entries (rows and events with their ids given): one naming every row
    with its digest (``vault.batchaudit``) for a batch of ``batchaudit.MIN_ITEMS`` or more, else
    two per item, as ``Session.audit(db, action, row)`` writes them."""
    if len(batch) >= batchaudit.MIN_ITEMS:
        yield batchaudit.entry(case_id, items, events)
        return
    item_target, event_target = Item.__tablename__ + ":", CustodyEvent.__tablename__ + ":"
    for p, item, event in zip(batch, items, events, strict=True):
        item_id, event_id = item["id"], event["id"]
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


def stored_blobs(db: DbSession, names: set[str]) -> set[str]:
    """Which of ``names`` the vault stores already: one query. On PostgreSQL the names go as
    one array (``= ANY``): with one placeholder per name, psycopg rewrote the batch's
    1,000-placeholder statement and PostgreSQL parsed it, each batch (~0.25 s of the commit
    thread per 10,000 small files)."""
    if db.get_bind().dialect.name == "postgresql":
        query = sql_text(f"SELECT name FROM {BLOBS.name} WHERE name = ANY(:names)")
        return set(db.scalars(query, {"names": list(names)}))
    return set(db.scalars(select(Blob.name).where(Blob.name.in_(names))))


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
    cores, a batch's 3,000 rows were a third of a small-file ingest), in COPY's binary format
    when every column's type is one of ``_BINARY`` (``_binary_types``). Every row must give the
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
    types = _binary_types(columns, dialect)
    if types is not None:
        sql += " (FORMAT BINARY)"
    values = operator.itemgetter(*keys)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        if types is not None:
            copy.set_types(types)
        for row in params:
            copy.write_row(values(row))


# PostgreSQL's types of the columns ``copy_rows`` sends in COPY's binary format, by the
# SQLAlchemy type's name as compiled for PostgreSQL (a length dropped)
_BINARY = {
    "INTEGER": "int4",
    "BIGINT": "int8",
    "SMALLINT": "int2",
    "BOOLEAN": "bool",
    "BYTEA": "bytea",
    "TEXT": "text",
    "VARCHAR": "text",  # the same bytes on the wire as text (varchar's receive reads them)
}


def _binary_types(columns: list[Any], dialect: Any) -> list[str] | None:
    """The PostgreSQL type of each column for a binary COPY, or None (text COPY) if one is
    of a type not in ``_BINARY``. Binary: a sealed value or blind index is sent as its bytes,
    not as hex text twice its size for pgbouncer to relay and PostgreSQL to parse."""
    types = []
    for column in columns:
        name = _BINARY.get(column.type.compile(dialect=dialect).split("(", 1)[0])
        if name is None:
            return None
        types.append(name)
    return types


def _absolute(path: str) -> str:
    """``str(Path(path).absolute())`` (a walk's paths are already as pathlib writes them)."""
    return path if os.path.isabs(path) else str(Path(path).absolute())
