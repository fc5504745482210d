"""Which tables a vault has and which of them ``verify`` checks: declared, never discovered.

Each layer lists its own tables in one ``Layer`` (``vault.models.LAYER``, ``matching.models``,
``exchange.models``); the opener (``service.opener``) puts the layers together into a ``Schema``
and hands it to the session. So what ``verify`` checks never depends on which modules some face
happened to import (the CLI once verified no matching or exchange table at all).

Each audited table also names its own rows in words (``describe``): a finding says "watchlist
'wanted'", not ``<matching.models.Watchlist object at 0x...>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from vault import workstations
from vault.models import AuditEntry, Base, Blob, Case, CustodyEvent, Item, Meta, User, VaultFile

# Values of a row (its columns, or for a deleted row what its audit entries recorded) plus a way
# to look up another row's values by audit target ("exchange_partners:3"), for names that need
# a parent ("agreement with Agency-B").
Lookup = Callable[[str], Mapping[str, Any]]
Describe = Callable[[Mapping[str, Any], Lookup], str]


@dataclass(frozen=True)
class Audited:
    """A table whose every row is checked against the digest its latest audit entry recorded."""

    model: type[Base]
    describe: Describe
    # Rows written once and never changed (an item as acquired, a custody event): a second
    # audit entry recording such a row is itself a finding, whoever signed it. Corrections are
    # new custody events, never edits, so an insider cannot "legitimise" an edited row by
    # appending an entry of their own that records its new digest.
    append_only: bool = False

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)


@dataclass(frozen=True)
class BlobUse:
    """A column naming a blob derived from evidence (a face crop, a reference photo).

    ``verify`` checks every such blob against its ``blobs`` row and names a bad one by the row
    that uses it, in the words of that row's audited table: "face 7 in item 3 (a.jpg): crop
    does not match its hash".
    """

    model: type[Base]
    column: str
    noun: str  # what the blob is to that row: "crop", "photo"

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


@dataclass(frozen=True)
class Acquired:
    """An item just recorded (ingest, bundle import), as a layer's ``on_acquired`` sees it."""

    item_id: int
    case_id: int
    sha256: str
    sha1: str | None  # None: the case computes no hash-set digests (``--no-hash-sets``)
    md5: str | None
    # What each layer's ``derive`` made of the file's bytes during the ingest read, by layer
    # name (a photo's PDQ hash); empty for a bundle import or a file no layer wanted.
    derived: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Derive:
    """What a layer computes from a file's bytes while ingest reads it (once, for hashing and
    encryption): the matching layer's PDQ hash of a photo. The result reaches the layer's
    ``on_acquired`` as ``Acquired.derived[layer name]``, so it is recorded in the transaction
    that records the item.

    ``wants(name)`` decides from the file name alone and must be cheap (it runs for every file);
    ``compute(name, data)`` gets the whole file (at most ``limit`` bytes; larger files are not
    kept) after it was read unchanged, returns a small picklable value or None, and never raises
    for a hostile file (evidence is stored whatever it holds). Both must be module-level
    functions: ingest worker processes import them by name, so their module must import
    nothing heavy at load (``compute`` imports what it needs when first called).
    """

    wants: Callable[[str], bool]
    compute: Callable[[str, bytes], Any]
    limit: int = 64 << 20

    @property
    def names(self) -> tuple[str, str, str, int]:
        """(module, wants, compute, limit): how a worker process finds the two functions."""
        mod = self.wants.__module__
        wants, compute = self.wants.__qualname__, self.compute.__qualname__
        if self.compute.__module__ != mod or "." in wants + compute:
            raise ValueError("Derive functions must be module-level functions of one module")
        return mod, wants, compute, self.limit


# Called inside the transaction that records new items, with the acting ``vault.session.Session``
# and the database session (typed ``Any`` here: ``vault.session`` imports this module). What it
# writes commits with the items or not at all. The vault layer cannot import the layers above
# it, so this is how a higher layer reacts to evidence arriving (the matching layer looks every
# item up in the active hash sets); the opener wires it by naming the layer in the ``Schema``.
OnAcquired = Callable[[Any, Any, Sequence[Acquired]], None]

# Called by ``server push`` (``vault.push``) inside the transaction that copies a batch of a
# table's rows to the server, after their INSERT: the server connection, the table's name and
# the rows' plain values (ids included). The matching layer writes the references' vectors to
# the server's pgvector table there, so a pushed reference has its vector or neither exists.
OnCopied = Callable[[Any, str, Sequence[dict[str, Any]]], None]

# A layer's own check, run by ``verify`` after the audited rows, of data that no audit entry
# covers row by row but an audited row records a digest of (a hash set's entries). Called with
# the ``vault.session.Session`` and verify's ``vault.jobs.CancelToken``; yields findings as
# (where, what), named in the words of the audited table ("hash set 'nsrl'"). It reads in
# batches through ``session.db()``, releasing the vault between them, and calls
# ``cancel.check()`` between batches (``Cancelled`` stops verify as a cancel).
Check = Callable[[Any, Any], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Layer:
    name: str
    tables: tuple[type[Base], ...]  # every table of the layer, created when a vault opens
    audited: tuple[Audited, ...] = ()
    blob_uses: tuple[BlobUse, ...] = ()
    on_acquired: OnAcquired | None = None
    checks: tuple[Check, ...] = ()
    derive: Derive | None = None
    on_copied: OnCopied | None = None


@dataclass(frozen=True)
class Schema:
    layers: tuple[Layer, ...]

    @property
    def tables(self) -> list[Table]:
        return [m.__table__ for layer in self.layers for m in layer.tables]  # type: ignore[misc]

    @property
    def audited(self) -> tuple[Audited, ...]:
        return tuple(a for layer in self.layers for a in layer.audited)

    @property
    def blob_uses(self) -> tuple[BlobUse, ...]:
        return tuple(u for layer in self.layers for u in layer.blob_uses)

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(c for layer in self.layers for c in layer.checks)

    @property
    def derivers(self) -> tuple[tuple[str, Derive], ...]:
        """(layer name, its ``Derive``) of every layer that computes something at ingest."""
        return tuple((layer.name, layer.derive) for layer in self.layers if layer.derive)

    def acquired(self, session: Any, db: Any, items: Sequence[Acquired]) -> None:
        """Tell every layer that wants to know about ``items`` (inside their transaction)."""
        for layer in self.layers:
            if layer.on_acquired is not None and items:
                layer.on_acquired(session, db, items)

    def audited_table(self, table: str) -> Audited | None:
        return next((a for a in self.audited if a.name == table), None)


def quoted(value: Any) -> str:
    """A name as users read it in a finding: in quotes, control characters escaped."""
    text = str(value)
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) + "'"


def _user(v: Mapping[str, Any], _: Lookup) -> str:
    return f"user {quoted(v['name'])}" if v.get("name") else f"user {v['_key']}"


def _case(v: Mapping[str, Any], _: Lookup) -> str:
    return f"case {v['reference']}" if v.get("reference") else f"case {v['_key']}"


def item_name(item_id: Any, lookup: Lookup) -> str:
    """An item as acquired: the name its audit entries recorded, even if the row was edited."""
    name = lookup(f"items:{item_id}").get("name")
    return f"item {item_id} ({name})" if name is not None else f"item {item_id}"


def _item(v: Mapping[str, Any], lookup: Lookup) -> str:
    recorded = lookup(f"items:{v['_key']}").get("name")
    name = recorded if recorded is not None else v.get("name")
    return f"item {v['_key']} ({name})" if name is not None else f"item {v['_key']}"


def _custody(v: Mapping[str, Any], lookup: Lookup) -> str:
    item = v.get("item_id", v.get("item"))
    if item is None:
        return f"custody event {v['_key']}"
    return f"custody event {v['_key']} of {item_name(item, lookup)}"


def _vault_layer() -> Layer:
    return Layer(
        "vault",
        tables=(
            Meta,
            User,
            Case,
            Blob,
            Item,
            CustodyEvent,
            AuditEntry,
            workstations.Workstation,
            VaultFile,
        ),
        audited=(
            Audited(User, _user),
            Audited(Case, _case),
            Audited(Item, _item, append_only=True),
            Audited(CustodyEvent, _custody, append_only=True),
            Audited(workstations.Workstation, workstations.describe),
        ),
    )


VAULT = _vault_layer()
