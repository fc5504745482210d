"""Sealed columns: sensitive values stored as ciphertext on an agency server (PostgreSQL).

On a workstation's SQLCipher vault the whole file is encrypted, so a ``Sealed`` column is the
plain type it wraps (``String``/``Text``/``LargeBinary``): the local schema, its values and its
speed are those of a plain column. On PostgreSQL a ``Sealed`` column is ``bytea`` holding::

    0x01 | nonce (12 bytes) | ChaCha20-Poly1305(value) with its 16-byte tag

under the key ``keys.subkey(vault_key, "seal:" + table + "." + column)`` and with the
associated data ``"custos/seal/v2:" + table + "." + column + ":" + row key`` (``v1`` for the
unpadded values of before; the row key is the
row's primary key as text: an ``id``, an audit ``seq``, a blob's keyed name). A ciphertext moved
by the server's operator to another row or column fails authentication when read:
``IntegrityFault`` naming table, column and row.

How the row key is known:

- **on write**, before the INSERT: integer ids are taken from the table's sequence by the
  workstation (``nextval``) in the ORM's ``before_insert`` hook and in ``insert_params`` for the
  Core bulk inserts (``vault.acquisition``, ``vault.audit``), so every value is sealed with the
  id its row gets. A plain value bound to a sealed column on PostgreSQL is a bug and raises
  (nothing reaches the server unsealed by accident);
- **on read**, from the row itself: the column's SELECT expression is
  ``convert_to(pk::text, 'UTF8') || '\\x00' || column``, so the value handed to the result
  processor carries the key of the row it was read from, whichever query read it.

Equality lookups by a sealed value go through a keyed **blind index**: a ``*_bidx`` column
holding HMAC-SHA-256(``keys.subkey(vault_key, "blind:" + table + "." + column)``, value)
truncated to 16 bytes, filled on PostgreSQL only (NULL in a local vault, where lookups use the
plain column; partial indexes skip the NULLs). Every such lookup goes through ``equals`` /
``among``, which pick the right column for the session's back end.

``attach(engine, vault_key)`` gives an engine its keys (the engine's dialect object is its
own: the type's bind and result processors find the keys there).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV, ChaCha20Poly1305
from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Table,
    Text,
    bindparam,
    cast,
    event,
    func,
    literal,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.types import TypeDecorator, TypeEngine

from vault.errors import IntegrityFault
from vault.keys import subkey

VERSION = b"\x01"  # the value as it is (written before lengths were padded; still read)
PADDED = b"\x02"  # the value padded to its length bucket (``padded``): what is written now
NONCE = 12
BLIND_BYTES = 16
_AAD = "custos/seal/v1:"
# the associated data of a padded value: its version is bound, so a padded value cannot be
# passed off as an unpadded one (its padding read as part of the value) by changing the byte
_AAD_PADDED = "custos/seal/v2:"
_ATTR = "custos_sealer"  # the attribute of an engine's dialect that holds its Sealer


class SealFault(IntegrityFault):
    """A sealed value that does not open for its place: where it is, so verify can name the
    row and go on with the next."""

    def __init__(self, table: str, column: str, row: str, what: str) -> None:
        super().__init__(f"{table}.{column} of row {row} {what}")
        self.table, self.column, self.row, self.what = table, column, row, what


class _Placed:
    """A value with the place it is sealed for (``label`` = "table.column", ``row``)."""

    label: str
    row: str

    def __new__(cls, value: Any, label: str, row: str) -> Any:
        placed = super().__new__(cls, value)  # type: ignore[call-arg]
        placed.label, placed.row = label, row
        return placed


class Bound(_Placed, str):
    """A text value bound to its place."""


class BoundBytes(_Placed, bytes):
    """A binary value bound to its place."""


class Ciphertext(bytes):
    """A value sealed already (``insert_params``): bound as it is."""


def _bound(value: Any, label: str, row: str) -> Any:
    if isinstance(value, bytes):
        return BoundBytes(value, label, row)
    return Bound(value, label, row)


@dataclass
class Sealer:
    """An engine's sealing keys, derived from the agency's vault key (one per column)."""

    vault_key: bytes = field(repr=False)
    _aeads: dict[str, ChaCha20Poly1305] = field(default_factory=dict, repr=False)
    _blinds: dict[str, Callable[[bytes], bytes]] = field(default_factory=dict, repr=False)
    sequences: dict[str, str] = field(default_factory=dict)  # table -> its id sequence
    _digests: dict[str, DigestSealer] = field(default_factory=dict, repr=False)

    def _aead(self, label: str) -> ChaCha20Poly1305:
        aead = self._aeads.get(label)
        if aead is None:
            aead = self._aeads[label] = ChaCha20Poly1305(subkey(self.vault_key, "seal:" + label))
        return aead

    def sealer_for(self, label: str) -> Callable[[bytes, bytes, bytes], bytes]:
        """``seal`` for one column, its key and AAD prefix looked up once: (row key as bytes,
        nonce, value) -> sealed value (a batch seals thousands per column)."""
        encrypt = self._aead(label).encrypt
        prefix = (_AAD_PADDED + label + ":").encode()

        def seal(row: bytes, nonce: bytes, plain: bytes) -> bytes:
            return PADDED + nonce + encrypt(nonce, padded(plain), prefix + row)

        return seal

    def seal(self, label: str, row: str, plain: bytes) -> bytes:
        """``plain`` sealed for its place (one value; batches use ``sealer_for``)."""
        return self.sealer_for(label)(row.encode(), os.urandom(NONCE), plain)

    def open(self, label: str, stored: bytes) -> bytes:
        """``stored`` as the column's SELECT expression gives it: row key, NUL, sealed value."""
        row_raw, _, sealed = bytes(stored).partition(b"\x00")
        row = row_raw.decode("utf-8", "replace")
        return _opened(self._aead(label).decrypt, label, row, sealed)

    def digests(self, label: str) -> DigestSealer:
        """The deterministic sealing of one column of keyed digests (``SealedDigest``)."""
        sealer = self._digests.get(label)
        if sealer is None:
            key = subkey(self.vault_key, "seal:" + label) + subkey(self.vault_key, "siv:" + label)
            sealer = self._digests[label] = DigestSealer(label, AESSIV(key))
        return sealer

    def blind(self, label: str, value: str | bytes) -> bytes:
        mac = self._blinds.get(label)
        if mac is None:
            mac = self._blinds[label] = _hmac_sha256(subkey(self.vault_key, "blind:" + label))
        return mac(value.encode() if isinstance(value, str) else value)[:BLIND_BYTES]


def _hmac_sha256(key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA-256 under ``key`` (RFC 2104) with its inner and outer key blocks hashed once:
    ``hmac.digest`` keys OpenSSL's HMAC afresh on every call, ~3.3 us against ~0.9 us for
    the two copied hashes (a batch of 1,000 small files takes 2,000 blind indexes)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def mac(message: bytes) -> bytes:
        h = inner.copy()
        h.update(message)
        o = outer.copy()
        o.update(h.digest())
        return o.digest()

    return mac


class DigestSealer:
    """Keyed digests sealed *deterministically*, so that the server can still answer equality
    (``key IN (...)``, a join on the key) without learning them: a stored key is its first byte
    (the algorithm's code, kept plain: range scans by algorithm) then AES-256-SIV (RFC 5297) of
    the rest with the associated data ``custos/seal/v1:TABLE.COLUMN:CODE``. The same digest
    gives the same stored key (that equality is all the server learns of it); a stored key that
    was altered or given another code fails authentication when opened."""

    def __init__(self, label: str, siv: AESSIV) -> None:
        self.label = label
        self._siv = siv
        self._ads = [[(_AAD + label + ":" + str(code)).encode()] for code in range(256)]

    def seal(self, key: bytes) -> bytes:
        """``key`` (code byte + digest) as the server stores it."""
        return key[:1] + self._siv.encrypt(key[1:], self._ads[key[0]])

    def seal_all(self, code: int, digests: Iterable[bytes]) -> list[bytes]:
        """Many digests of one algorithm sealed (an import's batch: no per-key look-ups)."""
        encrypt, ad, prefix = self._siv.encrypt, self._ads[code], bytes((code,))
        return [prefix + encrypt(d, ad) for d in digests]

    def open(self, stored: bytes) -> bytes:
        """The code byte + digest a stored key seals; ``SealFault`` if it does not open."""
        stored = bytes(stored)
        if len(stored) < 2 + 16:
            raise self._fault(stored, "is not a sealed value")
        try:
            return stored[:1] + self._siv.decrypt(stored[1:], self._ads[stored[0]])
        except InvalidTag:
            raise self._fault(
                stored, "fails authentication (altered, or not written by Custos)"
            ) from None

    def _fault(self, stored: bytes, what: str) -> SealFault:
        table, _, column = self.label.partition(".")
        return SealFault(table, column, "key " + stored[:8].hex() + "...", what)


def padded(plain: bytes) -> bytes:
    """``plain`` then 0x80 then zeros up to its length bucket (ISO/IEC 7816-4 padding): a
    multiple of ``BUCKET`` bytes, of ``LARGE_BUCKET`` above ``LARGE``. A sealed value shows its
    length only to the bucket: a name of 1 to 31 bytes looks like any other."""
    n = len(plain) + 1
    step = BUCKET if n <= LARGE else LARGE_BUCKET
    return plain + b"\x80" + bytes(-n % step)


BUCKET, LARGE, LARGE_BUCKET = 32, 1024, 256


def _opened(decrypt: Callable[..., bytes], label: str, row: str, sealed: bytes) -> bytes:
    """The plain value of ``sealed`` (``label``'s column, row key ``row``) or ``SealFault``."""
    version = sealed[:1]
    if version not in (VERSION, PADDED) or len(sealed) < 1 + NONCE + 16:
        table, _, column = label.partition(".")
        raise SealFault(table, column, row, "is not a sealed value")
    aad = ((_AAD if version == VERSION else _AAD_PADDED) + label + ":" + row).encode()
    try:
        plain = decrypt(sealed[1 : 1 + NONCE], sealed[1 + NONCE :], aad)
        if version == VERSION:
            return plain
        end = plain.rstrip(b"\x00")
        if end[-1:] != b"\x80":
            raise InvalidTag  # authentic, so written by a workstation: cannot happen
        return end[:-1]
    except InvalidTag:
        table, _, column = label.partition(".")
        raise SealFault(
            table,
            column,
            row,
            "fails authentication (altered, or moved from another row or column on the server)",
        ) from None


def attach(engine: Engine, vault_key: bytes) -> None:
    """Seal this engine's sensitive columns with keys from ``vault_key`` (PostgreSQL; on
    SQLite the columns stay plain and this does nothing)."""
    if engine.dialect.name == "sqlite":
        return
    setattr(engine.dialect, _ATTR, Sealer(vault_key))


def sealer_of(dialect: Dialect) -> Sealer | None:
    sealer: Sealer | None = getattr(dialect, _ATTR, None)
    return sealer


def _required(dialect: Dialect) -> Sealer:
    sealer = sealer_of(dialect)
    if sealer is None:
        raise RuntimeError("sealed columns on PostgreSQL need sealing.attach(engine, vault_key)")
    return sealer


class _SealedBytea(LargeBinary):
    """The PostgreSQL form of a sealed column: bytea, read with its row's key in front."""

    cache_ok = True

    def __init__(self, label: str, pk: str) -> None:
        super().__init__()
        self.label, self.pk = label, pk

    def column_expression(self, colexpr: Any) -> Any:
        source = getattr(colexpr, "table", None)
        pk = None if source is None else source.c.get(self.pk)
        if pk is None:
            raise RuntimeError(
                f"a sealed column ({self.label}) is read without its row's {self.pk}: "
                "select it from its table"
            )
        prefix = func.convert_to(cast(pk, Text), literal("UTF8"))
        joined = (prefix.op("||")(literal(b"\x00", LargeBinary))).op("||")(colexpr)
        return type_coerce(joined, colexpr.type)  # read by the column's own type: unsealed


class Sealed(TypeDecorator[Any]):
    """A sensitive column: the wrapped type on SQLite, ciphertext bound to its table, column
    and row on PostgreSQL (module docstring)."""

    impl = Text
    cache_ok = True

    def __init__(self, plain: TypeEngine[Any]) -> None:
        super().__init__()
        self.plain = plain
        self.label = ""  # "table.column", set by ``name_columns`` once the table exists
        self.pk = "id"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(self.plain)
        return dialect.type_descriptor(_SealedBytea(self.label, self.pk))

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            # the plain type's own (none for text): no Python call per value in a local vault
            return self.plain.dialect_impl(dialect).bind_processor(dialect)
        # psycopg sends bytes as bytea itself: no wrapper object per value (LargeBinary's)
        seal = self.process_bind_param

        def process(value: Any) -> Any:
            if value is None or type(value) is Ciphertext:
                return value
            return seal(value, dialect)

        return process

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "sqlite" or type(value) is Ciphertext:
            return value
        if not isinstance(value, Bound | BoundBytes):
            # A plain value would reach the server readable: a write path that does not seal
            # (or a lookup that does not use the blind index) is a bug, never a quiet leak.
            raise RuntimeError(f"{self.label} is bound without sealing (use vault.sealing)")
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return _required(dialect).seal(value.label, value.row, raw)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name == "sqlite":
            return self.plain.dialect_impl(dialect).result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "sqlite":
            return value
        plain = _required(dialect).open(self.label, value)
        return plain if isinstance(self.plain, LargeBinary) else plain.decode()

    @property
    def python_type(self) -> type[Any]:
        return self.plain.python_type


class SealedDigest(TypeDecorator[bytes]):
    """A column of binary keys looked up by equality (a hash-set entry: the algorithm's code
    byte then the digest): the plain bytes on SQLite; on PostgreSQL the code byte then
    AES-SIV of the digest (``DigestSealer``: deterministic, so ``=``, ``IN`` and joins on it
    work on the server as they do locally). ``label`` names the key: columns that are joined on
    each other share it. Statements sent straight to the driver use ``digest_sealer``."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "sqlite":
            return value
        return _required(dialect).digests(self.label).seal(bytes(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "sqlite":
            return value
        return _required(dialect).digests(self.label).open(value)


def column_opener(
    db: DbSession | Connection | Engine, column: Any
) -> Callable[[Any, bytes], bytes] | None:
    """For a sealed column read by a statement sent straight to the driver (a bulk read that
    SQLAlchemy's per-row processing would slow): (the row's key, the stored value) -> the
    plain bytes (``SealFault`` if it does not open). None in a local vault: stored = plain."""
    sealer = sealer_of(_dialect(db))
    if sealer is None:
        return None
    name_columns(column.table)
    label = column.type.label
    decrypt = sealer._aead(label).decrypt  # looked up once: a gallery opens 100,000s

    def open_value(row: Any, stored: bytes) -> bytes:
        return _opened(decrypt, label, str(row), stored)

    return open_value


def digest_sealer(db: DbSession | Connection | Engine, label: str) -> DigestSealer | None:
    """The sealing of ``label``'s keyed digests for statements sent straight to the driver;
    None in a local vault (the keys are stored as they are)."""
    sealer = sealer_of(_dialect(db))
    return None if sealer is None else sealer.digests(label)


def blind_index() -> Any:
    """The type of a ``*_bidx`` column (see the module docstring)."""
    return LargeBinary(BLIND_BYTES)


# -- the tables' sealed columns ----------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What sealing a row of one table takes: its sealed columns and blind indexes."""

    table: str
    pk: str
    serial: bool  # an integer id from the table's sequence
    sealed: tuple[str, ...]  # column keys
    blind: tuple[tuple[str, str], ...]  # (sealed column, its blind-index column)
    # a sealed column's default, applied here (SQLAlchemy applies it after the hooks, unsealed)
    defaults: tuple[tuple[str, Any], ...] = ()


_PLANS: dict[str, _Plan] = {}


def name_columns(table: Table) -> _Plan:
    """Tell ``table``'s sealed columns their table, column and row key (once per table)."""
    plan = _PLANS.get(table.name)
    if plan is not None:
        return plan
    keys = list(table.primary_key.columns)
    sealed = []
    for column in table.columns:
        if isinstance(column.type, Sealed):
            if len(keys) != 1:
                raise RuntimeError(f"{table.name}: a sealed column needs a one-column primary key")
            pk = keys[0]
            column.type.label, column.type.pk = f"{table.name}.{column.key}", pk.key
            sealed.append(column.key)
    blind = tuple(
        (column.info["blind"], column.key) for column in table.columns if "blind" in column.info
    )
    defaults = tuple(
        (key, column.default.arg)  # type: ignore[attr-defined]
        for key in sealed
        if (column := table.c[key]).default is not None and column.default.is_scalar
    )
    if not sealed:
        plan = _Plan(table.name, "", False, (), blind)
        _PLANS[table.name] = plan
        return plan
    serial = pk.autoincrement is True or (pk.autoincrement == "auto" and _is_int(pk))
    plan = _Plan(table.name, pk.key, serial, tuple(sealed), blind, defaults)
    _PLANS[table.name] = plan
    return plan


def _is_int(column: Any) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


def install(base: Any) -> None:
    """Name every mapped table's sealed columns and seal ORM writes (called once per base)."""

    @event.listens_for(base, "instrument_class", propagate=True)
    def _named(mapper: Mapper[Any], cls: type) -> None:
        table = getattr(cls, "__table__", None)
        if isinstance(table, Table):
            name_columns(table)

    event.listen(base, "before_insert", _before_insert, propagate=True)
    event.listen(base, "before_update", _before_update, propagate=True)
    event.listen(base, "after_insert", _after_write, propagate=True)
    event.listen(base, "after_update", _after_write, propagate=True)


def _next_ids(sealer: Sealer, connection: Connection, plan: _Plan, n: int) -> list[int]:
    seq = sealer.sequences.get(plan.table)
    if seq is None:  # looked up once per engine
        seq = connection.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": plan.table, "c": plan.pk}
        )
        sealer.sequences[plan.table] = seq
    rows = connection.execute(
        text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)"),
        {"s": seq, "n": n},
    )
    return [int(r[0]) for r in rows]


def _before_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    sealer = sealer_of(connection.dialect)
    if sealer is None:
        return
    plan = name_columns(mapper.local_table)  # type: ignore[arg-type]
    if not plan.sealed:
        return
    row = getattr(target, plan.pk)
    if row is None and plan.serial:
        row = _next_ids(sealer, connection, plan, 1)[0]
        setattr(target, plan.pk, row)
    for key, default in plan.defaults:
        if getattr(target, key) is None:
            setattr(target, key, default)
    _seal_object(sealer, plan, target, str(row), None)


def _before_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    sealer = sealer_of(connection.dialect)
    if sealer is None:
        return
    plan = name_columns(mapper.local_table)  # type: ignore[arg-type]
    if plan.sealed:
        from sqlalchemy import inspect

        state = inspect(target)
        changed = {k for k in plan.sealed if state.attrs[k].history.has_changes()}
        _seal_object(sealer, plan, target, str(getattr(target, plan.pk)), changed)


def _seal_object(sealer: Sealer, plan: _Plan, target: Any, row: str, only: set[str] | None) -> None:
    for key in plan.sealed:
        if only is not None and key not in only:
            continue
        value = getattr(target, key)
        if value is not None:
            setattr(target, key, _bound(value, f"{plan.table}.{key}", row))
    blind = {}
    for key, index in plan.blind:
        if only is None or key in only:
            value = getattr(target, key)
            blind[index] = None if value is None else sealer.blind(f"{plan.table}.{key}", value)
    if blind:
        # The blind indexes are not mapped (``vault.models.blind``): written after the row.
        target.__dict__[_PENDING] = (row, blind)


_PENDING = "_custos_blind_pending"


def _after_write(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    pending = target.__dict__.pop(_PENDING, None)
    if pending is None:
        return
    row, blind = pending
    table = mapper.local_table
    plan = name_columns(table)  # type: ignore[arg-type]
    key = table.c[plan.pk]
    connection.execute(
        table.update().where(key == key.type.python_type(row)).values(blind)  # type: ignore[attr-defined]
    )


def insert_params(
    db: DbSession | Connection, table: Any, rows: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The parameter sets of a Core bulk INSERT of ``rows`` into ``table`` (a model or a
    ``Table``) on a sealing engine: rows without an id get one from the table's sequence
    (written into ``rows`` too, as ``insert_rows`` does locally), each sensitive value sealed
    to its row, the blind indexes filled. ``rows`` keep their plain values (callers digest them
    for the audit chain). None when there is nothing to seal (a local vault, or a table without
    sealed columns): insert ``rows`` as they are."""
    connection = db if isinstance(db, Connection) else db.connection()
    sealer = sealer_of(connection.dialect)
    if sealer is None:
        return None
    plan = name_columns(getattr(table, "__table__", table))
    if not plan.sealed:
        return None
    missing = [row for row in rows if row.get(plan.pk) is None]
    if missing and plan.serial:
        new_ids = _next_ids(sealer, connection, plan, len(missing))
        for row, new in zip(missing, new_ids, strict=True):
            row[plan.pk] = new
    seals = [(column, sealer.sealer_for(f"{plan.table}.{column}")) for column in plan.sealed]
    blinds = [(column, index, f"{plan.table}.{column}") for column, index in plan.blind]
    defaults = plan.defaults
    out = []
    nonces = os.urandom(NONCE * len(seals) * len(rows))  # one call, not one per value
    at = 0
    for row in rows:
        params = dict(row)
        for column, default in defaults:
            params.setdefault(column, default)
        key = str(row[plan.pk]).encode()
        for column, index, label in blinds:
            value = params.get(column)
            params[index] = None if value is None else sealer.blind(label, value)
        for column, seal in seals:
            value = params.get(column)
            if value is not None:
                raw = value.encode() if isinstance(value, str) else value
                params[column] = Ciphertext(seal(key, nonces[at : at + NONCE], raw))
                at += NONCE
        out.append(params)
    return out


# -- lookups by a sealed value -------------------------------------------------------------


def _index_of(column: Any) -> tuple[Any, str]:
    table = column.table
    plan = name_columns(table)
    for key, index in plan.blind:
        if key == column.key:
            return table.c[index], f"{plan.table}.{key}"
    raise RuntimeError(f"{plan.table}.{column.key} has no blind index")


Bind = DbSession | Connection | Engine


def _dialect(db: Bind) -> Dialect:
    return db.get_bind().dialect if isinstance(db, DbSession) else db.dialect


def current(db: Bind) -> Sealer | None:
    """The keys this session's engine seals with now (None: a local vault)."""
    return sealer_of(_dialect(db))


def seals(db: Bind) -> bool:
    """Whether this session's engine seals (a server): a query the database cannot answer on
    sealed values (a prefix, an order) is then done on the workstation."""
    return sealer_of(_dialect(db)) is not None


def blind_of(db: Bind, column: Any, value: str | bytes) -> bytes | None:
    """The blind index of ``value`` in ``column`` (what ``equals`` looks up and the write paths
    store); None in a local vault, which has none."""
    sealer = sealer_of(_dialect(db))
    if sealer is None:
        return None
    _, label = _index_of(column)
    return sealer.blind(label, value)


def equals(db: Bind, column: Any, value: str | bytes) -> ColumnElement[bool]:
    """``column == value`` for a sealed column with a blind index, on either back end."""
    sealer = sealer_of(_dialect(db))
    if sealer is None:
        result: ColumnElement[bool] = column == value
        return result
    index, label = _index_of(column)
    return index == bindparam(None, sealer.blind(label, value), type_=LargeBinary)


def among(db: Bind, column: Any, values: Iterable[str | bytes]) -> ColumnElement[bool]:
    """``column IN values`` for a sealed column with a blind index, on either back end."""
    sealer = sealer_of(_dialect(db))
    if sealer is None:
        result: ColumnElement[bool] = column.in_(list(values))
        return result
    index, label = _index_of(column)
    return index.in_([sealer.blind(label, v) for v in values])


# -- a new vault key: every sealed value sealed again (vault.serverrotation) -------------------


@dataclass(frozen=True)
class _Resealed:
    """One table's share of a re-seal: what its rows are read by and what is written back."""

    table: Table
    keys: tuple[str, ...]  # the primary key's column names (the WHERE of the UPDATE)
    row_key: str  # the column whose text is a sealed value's row key ("" if none)
    sealed: tuple[tuple[str, str, str | None], ...]  # (column, label, its blind-index column)
    digests: tuple[tuple[str, str], ...]  # (column, label) of ``SealedDigest`` columns


def resealed_tables(tables: Iterable[Table]) -> list[_Resealed]:
    """Every table of ``tables`` holding values sealed under the vault key, as the registry
    (``name_columns``) and the column types say: nothing is listed by hand, so a table a later
    revision seals is re-sealed by a rotation without a change here."""
    out = []
    for table in tables:
        plan = name_columns(table)
        digests = tuple(
            (c.name, c.type.label) for c in table.columns if isinstance(c.type, SealedDigest)
        )
        if not plan.sealed and not digests:
            continue
        blind = {key: index for key, index in plan.blind}
        sealed = tuple(
            (
                table.c[key].name,
                f"{plan.table}.{key}",
                table.c[blind[key]].name if key in blind else None,
            )
            for key in plan.sealed
        )
        row_key = table.c[plan.pk].name if plan.sealed else ""
        keys = tuple(c.name for c in table.primary_key.columns)
        out.append(_Resealed(table, keys, row_key, sealed, digests))
    return out


def _array_type(column: Any) -> str:
    """The PostgreSQL array type a primary-key column's values are sent as (``unnest``)."""
    if isinstance(column.type, SealedDigest | LargeBinary):
        return "bytea[]"
    return "bigint[]" if _is_int(column) else "text[]"


def reseal(
    raw: Any,
    part: _Resealed,
    old_key: bytes,
    new_key: bytes,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Seal every value of one table again under ``new_key`` (the blind indexes recomputed), on
    ``raw`` (a psycopg connection inside the rotation's transaction); returns the rows changed.

    The rows are streamed through a server-side cursor (constant memory, ``batch`` rows at a
    time) and written back by one ``UPDATE ... FROM unnest(...)`` per batch. The cursor reads
    the transaction's snapshot as of its opening, so a row whose key changes (a deterministic
    digest in a primary key) is never met twice. A value that does not open under ``old_key``
    raises ``SealFault``: the whole rotation rolls back, nothing half re-sealed."""
    from psycopg import sql

    old, new = Sealer(old_key), Sealer(new_key)
    table = part.table
    pk_columns = [table.c[k] for k in part.keys]
    read = [*part.keys, *(c for c, _, _ in part.sealed), *(c for c, _ in part.digests)]
    if part.row_key:
        read.insert(0, part.row_key)
    select_sql = sql.SQL("SELECT {cols} FROM {t}").format(
        cols=sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(c))
            if i == 0 and part.row_key
            else sql.Identifier(c)
            for i, c in enumerate(read)
        ),
        t=sql.Identifier(table.name),
    )
    written = [c for c, _, _ in part.sealed]
    written += [b for _, _, b in part.sealed if b is not None]
    written += [c for c, _ in part.digests]
    where_names = [f"k{i}" for i in range(len(part.keys))]
    update_sql = sql.SQL(
        "UPDATE {t} SET {sets} FROM unnest({arrays}) AS v({names}) WHERE {where}"
    ).format(
        t=sql.Identifier(table.name),
        sets=sql.SQL(", ").join(
            sql.SQL("{} = v.{}").format(sql.Identifier(c), sql.Identifier(f"n{i}"))
            for i, c in enumerate(written)
        ),
        arrays=sql.SQL(", ").join(
            [sql.SQL("%b::" + _array_type(c)) for c in pk_columns]
            + [sql.SQL("%b::bytea[]") for _ in written]
        ),
        names=sql.SQL(", ").join(
            sql.Identifier(n) for n in [*where_names, *(f"n{i}" for i in range(len(written)))]
        ),
        where=sql.SQL(" AND ").join(
            sql.SQL("{t}.{c} = v.{n}").format(
                t=sql.Identifier(table.name), c=sql.Identifier(c), n=sql.Identifier(n)
            )
            for c, n in zip(part.keys, where_names, strict=True)
        ),
    )
    opens = [(old._aead(label).decrypt, label) for _, label, _ in part.sealed]
    seals = [new.sealer_for(label) for _, label, _ in part.sealed]
    blinded = [(j, label) for j, (_, label, b) in enumerate(part.sealed) if b is not None]
    digest_pairs = [(old.digests(label), new.digests(label)) for _, label in part.digests]
    offset = 1 if part.row_key else 0
    n_keys, n_sealed = len(part.keys), len(part.sealed)
    done = 0
    with raw.cursor(name=f"custos_reseal_{table.name}") as cursor:
        cursor.itersize = batch
        cursor.execute(select_sql)
        while rows := cursor.fetchmany(batch):
            columns: list[list[Any]] = [[] for _ in range(n_keys + len(written))]
            nonces = os.urandom(NONCE * n_sealed * len(rows))
            at = 0
            for row in rows:
                for i in range(n_keys):
                    columns[i].append(row[offset + i])
                row_text = row[0] if part.row_key else ""
                row_raw = row_text.encode() if part.row_key else b""
                out = n_keys
                plains: list[bytes | None] = []
                for j in range(n_sealed):
                    stored = row[offset + n_keys + j]
                    if stored is None:
                        columns[out + j].append(None)
                        plains.append(None)
                        continue
                    decrypt, label = opens[j]
                    plain = _opened(decrypt, label, row_text, bytes(stored))
                    plains.append(plain)
                    columns[out + j].append(seals[j](row_raw, nonces[at : at + NONCE], plain))
                    at += NONCE
                out += n_sealed
                for j, (index, label) in enumerate(blinded):
                    value = plains[index]
                    columns[out + j].append(None if value is None else new.blind(label, value))
                out += len(blinded)
                for j, (was, now) in enumerate(digest_pairs):
                    # a digest in the primary key: the WHERE matches its old value (above)
                    stored = row[offset + n_keys + n_sealed + j]
                    columns[out + j].append(None if stored is None else now.seal(was.open(stored)))
            raw.execute(update_sql, columns)
            done += len(rows)
            if progress is not None:
                progress(len(rows))
    return done
