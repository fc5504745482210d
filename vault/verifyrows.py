"""Verify's check of append-only rows (items, custody events, ...) in constant memory.

Such a row is written once and recorded once (by an entry of its own or a batch entry,
``vault.batchaudit``), so verify does not keep a map of every recorded digest: as the chain is
read in order, each visit's recorded rows are fetched by key and compared at once; which keys
were recorded is kept as one bit per key. At the end the tables are walked by key for rows no
entry recorded. Only what is wrong is kept (and, for a row recorded twice, which is itself a
finding, its latest record): memory does not grow with the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import LargeBinary, select

from vault.batchaudit import Record
from vault.jobs import Breather
from vault.models import recorded_columns, state_digest
from vault.schema import Audited

_CHUNK = 500  # keys per SELECT ... IN (...)
PENDING = 4000  # records compared at once at most (a batch entry names ~2,000 rows)


class Bits:
    """Integer keys seen, one bit each (a set for any other key)."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._other: set[Any] = set()

    def add(self, key: Any) -> bool:
        """Mark ``key``; False if it was marked already."""
        if not isinstance(key, int) or key < 0:
            if key in self._other:
                return False
            self._other.add(key)
            return True
        byte, bit = divmod(key, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits) // 2)))
        if self._bits[byte] >> bit & 1:
            return False
        self._bits[byte] |= 1 << bit
        return True

    def __contains__(self, key: Any) -> bool:
        if not isinstance(key, int) or key < 0:
            return key in self._other
        byte, bit = divmod(key, 8)
        return byte < len(self._bits) and bool(self._bits[byte] >> bit & 1)


def _state(row: Any) -> dict[str, Any]:
    return {k: v.hex() if isinstance(v, bytes) else v for k, v in row._mapping.items()}


class AppendOnly:
    """Checks the append-only tables' rows against the records of the chain, as it is read.

    ``db`` opens a database visit (``Session.db``); ``take`` is fed every record of an
    append-only row in chain order and returns False for a row recorded before (the caller
    names that); ``compare`` fetches and compares the records taken since its last call.
    """

    def __init__(self, tables: tuple[Audited, ...], db: Callable[[], Any]) -> None:
        self.tables = {a.name: a for a in tables}
        self._db = db
        self.seen = {name: Bits() for name in self.tables}
        self._pending: dict[str, list[Record]] = defaultdict(list)
        self.pending = 0  # records taken and not yet compared (``compare`` when many)
        self.latest: dict[str, Record] = {}  # rows recorded more than once: their latest record
        # (key, record, live state or None if the row is gone) of rows that differ
        self.differ: dict[str, list[tuple[Any, Record, dict[str, Any] | None]]] = defaultdict(list)

    def take(self, record: Record) -> bool:
        if not self.seen[record.table].add(record.key):
            self.latest[record.target] = record
            return False
        self._pending[record.table].append(record)
        self.pending += 1
        return True

    def compare(self, breathe: Breather) -> None:
        if not self._pending:
            return
        pending, self._pending, self.pending = self._pending, defaultdict(list), 0
        for table, records in pending.items():
            for start in range(0, len(records), _CHUNK):
                chunk = records[start : start + _CHUNK]
                rows = self._rows(table, [r.key for r in chunk])
                for record in chunk:
                    breathe()
                    state = rows.get(record.key)
                    if state is None or state_digest(state) != record.digest:
                        self.differ[table].append((record.key, record, state))

    def _rows(self, table: str, keys: list[Any]) -> dict[Any, dict[str, Any]]:
        model = self.tables[table].model
        columns = recorded_columns(model)
        key = next(c for c in columns if c.primary_key)
        low, high = (min(keys), max(keys)) if all(isinstance(k, int) for k in keys) else (0, -1)
        # A batch's rows have consecutive ids: one range scan instead of a look-up per key.
        near = high - low < 2 * len(keys)
        with self._db() as db:
            where = key.between(low, high) if near else key.in_(keys)
            found = db.execute(select(*columns).where(where)).all()
        names = [c.key for c in columns]
        at = names.index(key.key)
        if near:
            wanted = set(keys)
            found = [row for row in found if row[at] in wanted]
        if any(_binary(c) for c in columns):
            return {row[at]: _state(row) for row in found}
        # no binary column: the row's values as they are
        return {row[at]: dict(zip(names, row, strict=True)) for row in found}

    def settle(self) -> None:
        """Rows recorded more than once are judged by their latest record (as other rows)."""
        by_table: dict[str, list[Record]] = defaultdict(list)
        for record in self.latest.values():
            by_table[record.table].append(record)
        for table, records in by_table.items():
            targets = {r.key for r in records}
            self.differ[table] = [d for d in self.differ[table] if d[0] not in targets]
            rows = self._rows(table, sorted(targets, key=str))
            for record in records:
                state = rows.get(record.key)
                if state is None or state_digest(state) != record.digest:
                    self.differ[table].append((record.key, record, state))

    def unrecorded(self, table: str, batch: int, check: Callable[[], None]) -> Iterator[Any]:
        """Keys of ``table``'s rows that no entry recorded, in key order (read ``batch`` keys
        per visit, ``check`` called between visits)."""
        model = self.tables[table].model
        key = next(c for c in model.__table__.columns if c.primary_key)
        seen = self.seen[table]
        last: Any = None
        while True:
            q = select(key).order_by(key).limit(batch)
            if last is not None:
                q = q.where(key > last)
            with self._db() as db:
                keys = db.scalars(q).all()
            if not keys:
                return
            yield from (k for k in keys if k not in seen)
            last = keys[-1]
            check()

    def row(self, table: str, key: Any) -> dict[str, Any] | None:
        return self._rows(table, [key]).get(key)


def _binary(column: Any) -> bool:
    """A column of bytes (a plain or a sealed ``LargeBinary``): its values are recorded as hex."""
    kind = column.type
    return isinstance(kind, LargeBinary) or isinstance(getattr(kind, "plain", None), LargeBinary)
