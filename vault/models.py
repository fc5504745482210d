"""The vault's tables (portable SQLAlchemy: SQLCipher on a workstation, PostgreSQL on a server).

Custody events and audit entries are append-only: the service layer never updates or deletes them,
and ``verify`` proves it by recomputing each row's digest against the signed audit chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Unmapped, mapped_column, unmapped_column

from vault import sealing
from vault.sealing import Sealed


class Base(DeclarativeBase):
    pass


sealing.install(Base)  # sensitive columns are sealed on an agency server (``vault.sealing``)


def sealed(plain: Any = None, **kwargs: Any) -> Any:
    """A sealed column (``vault.sealing``) of the plain type ``plain`` (default ``Text``)."""
    return mapped_column(Sealed(Text() if plain is None else plain), **kwargs)


def blind(of: str) -> Any:
    """The blind-index column of the sealed column ``of``: NULL in a local vault. Not mapped
    (``Unmapped``): ORM rows never read or write it (``vault.sealing`` fills it on a
    server), so the ORM works unchanged on a local vault whose schema is not yet at head."""
    return unmapped_column(sealing.blind_index(), nullable=True, info={"blind": of})


def blind_where(column: str) -> dict[str, Any]:
    """A partial index's condition: only rows with a blind index (none in a local vault)."""
    where = text(f"{column} IS NOT NULL")
    return {"postgresql_where": where, "sqlite_where": where}


# A size in bytes: 64-bit on every back end (evidence files pass 2 GiB). SQLite's INTEGER is
# 64-bit and stays the declared type of existing vaults; PostgreSQL's INTEGER is 32-bit.
BYTES = BigInteger().with_variant(Integer(), "sqlite")


class Meta(Base):
    """Small secrets and settings kept inside the encrypted database (signing key, agency)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = sealed(LargeBinary())


class VaultFile(Base):
    """``vault.toml``'s text on an agency server (``vault.backend.ServerBackend``): the key slots,
    KDF parameters, recipients and their MACs, exactly as a local vault keeps them in its file
    (and MAC'd the same way). One row, id 1; a local vault's table stays empty."""

    __tablename__ = "vault_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_name_bidx", "name_bidx", unique=True, **blind_where("name_bidx")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = sealed(String(200), unique=True)
    roles: Mapped[str] = sealed(String(200))  # comma-separated, sorted
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[str] = mapped_column(String(40))
    slot: Mapped[str | None] = mapped_column(String(64), nullable=True)  # key slot in vault.toml
    # The user's own Ed25519 public key (hex): their audit entries are signed with its private
    # half, reachable only through their password. Also in their signed user.* entries.
    signing_public: Mapped[str] = mapped_column(String(64), default="")
    name_bidx: Unmapped[bytes | None] = blind("name")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "ix_cases_reference_bidx",
            "reference_bidx",
            unique=True,
            **blind_where("reference_bidx"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = sealed(String(200), unique=True)
    title: Mapped[str] = sealed()
    crime_areas: Mapped[str] = sealed(default="[]")  # JSON list
    operation: Mapped[str | None] = sealed(nullable=True)
    partners: Mapped[str] = sealed(default="[]")  # JSON list
    # Whether its items get SHA-1 and MD5 besides SHA-256 (hash-set sharing: NSRL, Project VIC).
    hash_sets: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_by: Mapped[str] = sealed(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    reference_bidx: Unmapped[bytes | None] = blind("reference")


class Blob(Base):
    """One stored object; identical content is stored once (name = HMAC of its SHA-256)."""

    __tablename__ = "blobs"
    # verify reads packed objects pack by pack, in offset order, a visit at a time
    __table_args__ = (
        Index("ix_blobs_pack", "pack", "pack_offset"),
        Index("ix_blobs_sha256_bidx", "sha256_bidx", unique=True, **blind_where("sha256_bidx")),
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = sealed(String(64), unique=True)
    size: Mapped[int] = mapped_column(BYTES)
    # A small object in a pack (vault format 3, ``vault.packs``): the pack's name and the
    # plaintext offset of its data; "" for a blob of its own in ``blobs/``.
    pack: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    pack_offset: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # The encrypted size of that pack as written (its age file's bytes; NULL for a blob of its
    # own, or a pack an upgrade found no size for): every read of the pack stops there, so a
    # store cannot hand more (``BlobStore``), and verify names a pack whose size differs.
    pack_size: Mapped[int | None] = mapped_column(BYTES, nullable=True)
    sha256_bidx: Unmapped[bytes | None] = blind("sha256")


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_case", "case_id"),
        # verify finds the items of a blob (and the blobs no item names) without a scan
        Index("ix_items_blob", "blob_name"),
        Index("ix_items_sha256_bidx", "sha256_bidx", **blind_where("sha256_bidx")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    name: Mapped[str] = sealed()  # relative path inside the ingested folder, or name
    original_path: Mapped[str] = sealed()
    size: Mapped[int] = mapped_column(BYTES)
    sha256: Mapped[str] = sealed(String(64))
    md5: Mapped[str] = sealed(String(32))  # "" when the case computes no hash-set digests
    sha1: Mapped[str] = sealed(String(40))  # idem
    blob_name: Mapped[str] = mapped_column(ForeignKey("blobs.name"))
    exhibit: Mapped[str | None] = sealed(nullable=True)
    seized_from: Mapped[str | None] = sealed(nullable=True)
    seized_at: Mapped[str | None] = sealed(nullable=True)
    seized_on: Mapped[str | None] = sealed(String(40), nullable=True)
    seized_by: Mapped[str | None] = sealed(nullable=True)
    description: Mapped[str | None] = sealed(nullable=True)
    modified_at: Mapped[str | None] = sealed(String(40), nullable=True)
    acquired_by: Mapped[str] = sealed(String(200))
    acquired_at: Mapped[str] = mapped_column(String(40))
    sha256_bidx: Unmapped[bytes | None] = blind("sha256")


class CustodyEvent(Base):
    """Append-only history of one item. Corrections are new events that refer to the old."""

    __tablename__ = "custody_events"
    __table_args__ = (
        Index("ix_custody_item", "item_id"),
        # the few corrected events of a case's items without visiting every item's events
        Index("ix_custody_kind", "kind", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = sealed(String(200))
    at: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = sealed(default="{}")  # JSON object
    refers_to: Mapped[int | None] = mapped_column(ForeignKey("custody_events.id"), nullable=True)


class AuditEntry(Base):
    """One signed link of the audit chain."""

    __tablename__ = "audit"
    __table_args__ = (
        UniqueConstraint("seq"),
        Index("ix_audit_target", "target"),
        Index("ix_audit_target_bidx", "target_bidx", **blind_where("target_bidx")),
    )
    # Never fetch the server default back (no RETURNING): see ``workstation`` below.
    __mapper_args__ = {"eager_defaults": False}  # noqa: RUF012 (SQLAlchemy reads it once)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = sealed(String(200))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = sealed(String(200))
    details: Mapped[str] = sealed()  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))  # the workstation's
    user_signature: Mapped[str] = mapped_column(String(128), default="")  # the actor's own
    # The workstation that wrote and signed the entry (``vault.workstations``); "" for the
    # vault's shared key (every entry before workstations existed, and any process without an
    # enrolment of its own on a local vault). In the hash only when not "". No Python default:
    # an entry of the shared key leaves the column out of its INSERT, so a revision that signs
    # an entry (r0004) works on the schema before this column existed.
    # Code that runs before a schema upgrade (recovery, a revision's own entry) selects the
    # columns it needs by name, never whole entries: the table has no such column yet.
    workstation: Mapped[str] = mapped_column(String(64), server_default=text("''"))
    target_bidx: Unmapped[bytes | None] = blind("target")


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> str:
    # One encoder for all calls: ``json.dumps`` with options builds a new one each time, which
    # was a visible part of recording a batch of small files (several digests per item).
    return _CANONICAL.encode(value)


_RECORDED: dict[str, list[str]] = {}


def recorded_keys(table: Any) -> list[str]:
    """The keys of the columns a row's digest covers: all but the blind indexes, which are
    derived from a sealed column on a server only (``vault.sealing``)."""
    keys = _RECORDED.get(table.name)
    if keys is None:
        keys = _RECORDED[table.name] = [c.key for c in table.columns if "blind" not in c.info]
    return keys


def recorded_columns(model: Any) -> list[Any]:
    """The ``Column`` objects of ``recorded_keys``."""
    table = model.__table__
    return [table.c[k] for k in recorded_keys(table)]


def row_state(row: Base) -> dict[str, Any]:
    """A row's columns as JSON-ready values (binary columns as hex)."""
    state = {k: getattr(row, k) for k in recorded_keys(row.__table__)}
    return {k: v.hex() if isinstance(v, bytes) else v for k, v in state.items()}


def row_digest(row: Base) -> str:
    """The digest an audit entry records for a row, so verify can prove it was not edited."""
    return state_digest(row_state(row))


def values_state(cls: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """``row_state`` of the row a bulk INSERT of ``values`` (every column given) creates."""
    state = {k: values[k] for k in recorded_keys(cls.__table__)}
    return {k: v.hex() if isinstance(v, bytes) else v for k, v in state.items()}


def values_digest(cls: type[Base], values: dict[str, Any]) -> str:
    """``row_digest`` of the row a bulk INSERT of ``values`` (every column given) creates."""
    return state_digest(values_state(cls, values))


def state_digest(state: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(state).encode()).hexdigest()


def column_digests(state: dict[str, Any]) -> dict[str, str]:
    """A short digest per column, recorded beside the row digest so verify can say *which*
    column was edited ("alert_threshold changed"). 48 bits each: the row digest is the proof,
    these only name the column."""
    return {k: value_digest(v) for k, v in state.items()}


def batch_digests(
    cls: type[Base], rows: Sequence[dict[str, Any]], columns_too: bool = True
) -> tuple[list[str], list[list[str]]]:
    """For the rows a bulk INSERT of ``rows`` creates (every column given): each row's
    ``values_digest`` and (``columns_too``), per column of ``cls`` in table order, each row's
    ``value_digest``:
    the same strings, computed for a batch of small files at a fraction of the cost (each value
    encoded once for both digests, a value repeated down a column digested once)."""
    columns = recorded_keys(cls.__table__)  # not the blind indexes (a server's derived data)
    by_column: list[list[str]] = []
    digests: list[list[str]] = []
    for key in columns:
        first = rows[0][key] if rows else None
        if all(r[key] is first for r in rows):  # one object down the column (case, who, when)
            encoded = [_value_json(first.hex() if type(first) is bytes else first)] * len(rows)
        else:
            encoded = [
                _value_json(v.hex() if type(v) is bytes else v) for v in (r[key] for r in rows)
            ]
        by_column.append(encoded)
        if not columns_too:
            continue
        seen: dict[str, str] = {}
        column = []
        for value in encoded:
            digest = seen.get(value)
            if digest is None:
                digest = seen[value] = hashlib.sha256(value.encode()).hexdigest()[:12]
            column.append(digest)
        digests.append(column)
    # canonical(state): keys sorted, "key":value joined by ","; each value as encoded above
    order = sorted(range(len(columns)), key=columns.__getitem__)
    heads = [_JSON_STR(columns[i]) + ":" for i in order]
    sorted_values = [by_column[i] for i in order]
    row_digests = [
        hashlib.sha256(("{" + ",".join(map(str.__add__, heads, values)) + "}").encode()).hexdigest()
        for values in zip(*sorted_values, strict=True)
    ]
    return row_digests, digests


def value_digest(value: Any) -> str:
    """One column's digest in ``column_digests``."""
    return hashlib.sha256(_value_json(value).encode()).hexdigest()[:12]


_JSON_STR = json.encoder.encode_basestring  # what the encoder does for a str (no ensure_ascii)


def _value_json(value: Any) -> str:
    """``canonical(value)``, without the encoder's set-up for the common scalar types (a batch
    of small files digests ~17 columns per item)."""
    kind = type(value)
    if kind is str:
        return _JSON_STR(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return canonical(value)


def audit_target(row: Base) -> str:
    """The audit ``target`` string naming a row: ``<table>:<primary key>``."""
    pk = row.__mapper__.primary_key_from_instance(row)[0]
    return f"{row.__tablename__}:{pk}"
