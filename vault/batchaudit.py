"""One signed audit entry for a committed batch of acquired items (``items.acquired``).

An ingest of many files used to write two entries per item (``item.acquired`` and
``custody.acquired``), each hashed into the chain and signed twice (workstation and user): four
Ed25519 signatures per 4 KiB file, more CPU than storing the file. A batch of
``MIN_ITEMS`` or more items committed in one transaction now gets ONE entry, in that same
transaction, that names every row the batch wrote with the digest ``Session.audit`` would have
recorded for it:

    action  "items.acquired"
    target  "items:FIRST..LAST"        (the batch's item ids; custody ids are in the details)
    details {"case": case id,
             "columns": [item column names, in the order of each item's column digests],
             "items":   [[item id, name, sha256, row digest, column digests], ...],
             "custody": [[event id, item id, row digest], ...]}

"column digests" is the concatenation of the 12-hex-digit digest of each column
(``models.column_digests``) in the order of ``columns``: verify names the edited column with it,
as it does for a row recorded by an entry of its own. The entry is hashed into the chain and
signed by the workstation and by the acting user like every other; ``items.acquired`` is in
``audit.PRIVILEGED`` (``item.ingest``), so verify also checks that its signer held that right.
What verify proves of each row is unchanged: the row equals the digest a signed entry recorded,
no row is missing from the table or from the log, and an append-only row is recorded once.

A batch of fewer items (a handful of files) keeps the two entries per item, which read better in
an item's history; verify reads both forms (and those of older vaults) through ``records``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from vault.models import CustodyEvent, Item, batch_digests, recorded_keys

ACTION = "items.acquired"
MIN_ITEMS = 16
_ITEMS = Item.__tablename__
_CUSTODY = CustodyEvent.__tablename__


def entry(
    case_id: int, items: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]]
) -> tuple[str, str, dict[str, Any]]:
    """(action, target, details) of the entry recording ``items`` and their ``events`` (the
    values as inserted, ``id`` included)."""
    names = recorded_keys(Item.__table__)
    # The digests ``Session.audit`` would record (``models.batch_digests``: each value encoded
    # once, a value repeated down a column such as the case or the seizure record digested once)
    digests, by_column = batch_digests(Item, items)
    recorded = [
        [item["id"], item["name"], item["sha256"], digest, "".join(columns)]
        for item, digest, columns in zip(items, digests, zip(*by_column, strict=True), strict=True)
    ]
    custody_digests, _ = batch_digests(CustodyEvent, events, columns_too=False)
    custody = [
        [e["id"], e["item_id"], digest] for e, digest in zip(events, custody_digests, strict=True)
    ]
    target = f"{_ITEMS}:{items[0]['id']}..{items[-1]['id']}"
    details = {"case": case_id, "columns": names, "items": recorded, "custody": custody}
    return ACTION, target, details


@dataclass(frozen=True)
class Record:
    """One row an entry records: its table, key, digest, column digests (if recorded) and what
    the entry says of it in words (an item's name), to name it in a finding."""

    table: str
    key: Any
    digest: str
    columns: dict[str, str] | None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return f"{self.table}:{self.key}"


class Malformed(ValueError):
    """A batch entry whose details are not the shape ``entry`` writes."""


def records(action: str, target: str, details: str) -> Iterator[Record]:
    """Every row the entry records with a digest: one for an entry of its own, each item and
    custody event of a batch entry. Raises ``Malformed`` for a batch entry of another shape."""
    try:
        fields = json.loads(details)
    except ValueError:
        return  # an edited entry; the chain check names it
    if not isinstance(fields, dict):
        return
    if action == ACTION:
        yield from _batch(fields)
        return
    digest = fields.get("digest")
    if not digest or not isinstance(digest, str):
        return
    table, _, key_text = target.partition(":")
    columns = fields.get("columns")
    facts = {k: v for k, v in fields.items() if k not in ("digest", "columns")}
    key: Any = int(key_text) if key_text.isdigit() else key_text
    yield Record(table, key, digest, columns if isinstance(columns, dict) else None, facts)


def _batch(fields: dict[str, Any]) -> Iterator[Record]:
    try:
        names = [str(n) for n in fields["columns"]]
        case = fields["case"]
        for item_id, name, sha256, digest, digests in fields["items"]:
            if not isinstance(digests, str) or len(digests) != 12 * len(names):
                raise Malformed(f"item {item_id}: column digests")
            parts = [digests[i * 12 : i * 12 + 12] for i in range(len(names))]
            facts = {"name": name, "sha256": sha256, "case": case}
            columns = dict(zip(names, parts, strict=True))
            yield Record(_ITEMS, int(item_id), str(digest), columns, facts)
        for event_id, item_id, digest in fields["custody"]:
            yield Record(_CUSTODY, int(event_id), str(digest), None, {"item": int(item_id)})
    except (KeyError, TypeError, ValueError) as exc:
        raise Malformed(str(exc)) from None


def readable(details: dict[str, Any]) -> dict[str, Any]:
    """What a person reads of a batch entry: its case and how many rows it records."""
    items, custody = details.get("items"), details.get("custody")
    return {
        "case": details.get("case"),
        "items": len(items) if isinstance(items, list) else 0,
        "custody_events": len(custody) if isinstance(custody, list) else 0,
    }


def span(target: str) -> tuple[int, int] | None:
    """(first, last) item id of a batch entry's target ``items:FIRST..LAST``."""
    table, _, rest = target.partition(":")
    first, sep, last = rest.partition("..")
    if table != _ITEMS or not sep or not (first.isdigit() and last.isdigit()):
        return None
    return int(first), int(last)
