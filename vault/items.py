"""Reading evidence records: list, show, custody history, export of a copy, annotations."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session as DbSession

from vault.acquisition import seizure_date
from vault.agefmt import AgeError
from vault.cases import find_case
from vault.errors import IntegrityFault, UserError
from vault.fsutil import create_temp, publish
from vault.models import CustodyEvent, Item, canonical
from vault.session import Session, now, requires

CUSTODY_KINDS = (
    "acquired",
    "viewed",
    "exported",
    "annotated",
    "corrected",
    "transferred",
    "analysed",
    "reviewed",
    "reported",
    "redacted",  # a redacted copy was derived from this item (the copy is a new item)
)
CORRECTABLE = ("exhibit", "seized_from", "seized_at", "seized_on", "seized_by", "description")


@dataclass(frozen=True)
class ItemInfo:
    id: int
    case: str
    name: str
    size: int
    sha256: str
    md5: str | None  # None: the case computes no hash-set digests
    sha1: str | None
    exhibit: str | None
    seized_from: str | None
    seized_at: str | None
    seized_on: str | None
    seized_by: str | None
    description: str | None
    original_path: str
    acquired_by: str
    acquired_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CustodyInfo:
    id: int
    item: int
    kind: str
    actor: str
    at: str
    details: dict[str, Any]
    refers_to: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = tuple(f for f in ItemInfo.__dataclass_fields__ if f != "case")


def _info(item: Any, case_ref: str, corrections: dict[str, str] | None = None) -> ItemInfo:
    """An ``ItemInfo`` from an ``Item`` or a row of its columns, with corrections applied."""
    values = {f: getattr(item, f) for f in _COLUMNS}
    values["md5"] = values["md5"] or None  # stored as "" when not computed
    values["sha1"] = values["sha1"] or None
    return ItemInfo(case=case_ref, **(values | (corrections or {})))


@requires("case.read")
def list_items(session: Session, case_reference: str) -> list[ItemInfo]:
    with session.db() as db:
        case = find_case(db, case_reference)
        # Core rows (not the ORM's loading) in the dataclass's field order, straight into its
        # constructor: no per-field getattr (profiled on 100,000 items: PERFORMANCE "Desktop").
        rows = db.connection().execute(_list_query(case.id, case.reference)).all()
    corrections = _corrections(session, [case.id])
    found = [_listed(row) for row in rows]
    if corrections:  # few: a correction is an event, and rare
        at = {info.id: n for n, info in enumerate(found) if info.id in corrections}
        for item_id, n in at.items():
            found[n] = replace(found[n], **corrections[item_id])  # type: ignore[arg-type]
    return found


_FIELDS = list(ItemInfo.__dataclass_fields__)
_BLANK = (_FIELDS.index("md5"), _FIELDS.index("sha1"))


def _listed(row: Any) -> ItemInfo:
    """md5 and sha1 are stored as "" when not computed: None here (not ``nullif`` in SQL, which
    a server cannot apply to sealed values)."""
    values = list(row)
    for i in _BLANK:
        values[i] = values[i] or None
    return ItemInfo(*values)


def _list_query(case_id: int, case_ref: str) -> Any:
    columns: list[Any] = []
    for f in ItemInfo.__dataclass_fields__:
        if f == "case":
            columns.append(literal(case_ref))
        else:
            columns.append(getattr(Item, f))
    return select(*columns).where(Item.case_id == case_id).order_by(Item.id)


def _corrections(session: Session, case_ids: list[int]) -> dict[int, dict[str, str]]:
    """Latest corrected value per item and field (corrections are events, never edits)."""
    found: dict[int, dict[str, str]] = {}
    with session.db() as db:
        q = (
            select(CustodyEvent.item_id, CustodyEvent.details)
            .join(Item, Item.id == CustodyEvent.item_id)
            .where(Item.case_id.in_(case_ids), CustodyEvent.kind == "corrected")
            .order_by(CustodyEvent.id)
        )
        for item_id, details in db.execute(q):
            d = json.loads(details)
            found.setdefault(item_id, {})[d["field"]] = d["value"]
    return found


def _item(session: Session, item_id: int) -> tuple[Item, str]:
    from vault.models import Case

    with session.db() as db:
        item = db.get(Item, item_id)
        if item is None:
            raise UserError(f"no item with id {item_id}")
        case = db.get(Case, item.case_id)
        assert case is not None
        return item, case.reference


@requires("case.read")
def get_item(session: Session, item_id: int) -> ItemInfo:
    item, ref = _item(session, item_id)
    return _info(item, ref, _corrections(session, [item.case_id]).get(item.id))


@requires("case.read")
def custody(session: Session, item_id: int) -> list[CustodyInfo]:
    _item(session, item_id)
    return custody_of(session, [item_id]).get(item_id, [])


def custody_of(session: Session, item_ids: Sequence[int]) -> dict[int, list[CustodyInfo]]:
    """The custody events of many items, oldest first per item (a few queries, not one per
    item; the caller has checked the permission)."""
    found: dict[int, list[CustodyInfo]] = {}
    with session.db() as db:
        for start in range(0, len(item_ids), _QUERY_IDS):
            chunk = list(item_ids[start : start + _QUERY_IDS])
            q = (
                select(CustodyEvent)
                .where(CustodyEvent.item_id.in_(chunk))
                .order_by(CustodyEvent.id)
            )
            for e in db.scalars(q):
                found.setdefault(e.item_id, []).append(
                    CustodyInfo(
                        e.id, e.item_id, e.kind, e.actor, e.at, json.loads(e.details), e.refers_to
                    )
                )
    return found


_QUERY_IDS = 500  # ids per IN (...) query


def add_custody_event(
    session: Session, item_id: int, kind: str, refers_to: int | None = None, **details: Any
) -> CustodyInfo:
    """Append one custody event and its audit entry (the caller has checked the permission)."""
    if kind not in CUSTODY_KINDS:
        raise ValueError(kind)
    with session.transaction() as db:
        event = CustodyEvent(
            item_id=item_id,
            kind=kind,
            actor=session.user,
            at=now(),
            details=canonical(details),
            refers_to=refers_to,
        )
        db.add(event)
        session.audit(db, f"custody.{kind}", event, item=item_id)
    return CustodyInfo(event.id, item_id, kind, event.actor, event.at, details, refers_to)


def add_custody_events(
    session: Session,
    kind: str,
    events: Sequence[tuple[int, dict[str, Any]]],
    also: Callable[[DbSession], None] | None = None,
) -> list[CustodyInfo]:
    """Append one custody event per ``(item id, details)`` and their audit entries in one
    transaction, with whatever ``also`` writes: all or none (the caller has checked the
    permission)."""
    if kind not in CUSTODY_KINDS:
        raise ValueError(kind)
    at = now()
    with session.transaction() as db:
        rows = [
            CustodyEvent(
                item_id=item_id, kind=kind, actor=session.user, at=at, details=canonical(details)
            )
            for item_id, details in events
        ]
        db.add_all(rows)
        db.flush()
        for row in rows:
            session.audit(db, f"custody.{kind}", row, item=row.item_id)
        if also is not None:
            also(db)
    return [
        CustodyInfo(r.id, r.item_id, kind, r.actor, r.at, details, None)
        for r, (_, details) in zip(rows, events, strict=True)
    ]


@requires("item.annotate")
def annotate(session: Session, item_id: int, note: str) -> CustodyInfo:
    _item(session, item_id)
    if not note.strip():
        raise UserError("the note is empty")
    return add_custody_event(session, item_id, "annotated", note=note)


@requires("item.annotate")
def correct(session: Session, item_id: int, field: str, value: str, reason: str) -> CustodyInfo:
    """Record a corrected custody field as a new event; the original record stays as it was."""
    _item(session, item_id)
    if field not in CORRECTABLE:
        raise UserError(f"{field!r} cannot be corrected (correctable: {', '.join(CORRECTABLE)})")
    if not reason.strip():
        raise UserError("a correction needs a reason")
    if field == "seized_on":
        value = seizure_date(value) or value
    return add_custody_event(session, item_id, "corrected", field=field, value=value, reason=reason)


def read_item_bytes(session: Session, item_id: int) -> bytes:
    """The item's content for viewing (small previews), checked against its SHA-256 (a blob file
    swapped for another one still decrypts); records a 'viewed' custody event."""
    session.require("case.read", target=f"items:{item_id}")
    item, _ = _item(session, item_id)
    what = f"item {item.id} ({item.name})"
    data = session.blobs.read_verified(item.blob_name, item.sha256, what)
    add_custody_event(session, item_id, "viewed")
    return data


def _checked(session: Session, item: Item, reader: Any) -> Any:
    try:
        return reader(item.blob_name)
    except (AgeError, OSError):
        raise IntegrityFault(
            f"item {item.id} ({item.name}): stored copy is missing or damaged; run verify"
        ) from None


@requires("item.export")
def export_copy(session: Session, item_id: int, target: Path) -> Path:
    """Write the original bytes to ``target`` (a file or folder), checked against the SHA-256."""
    item, _ = _item(session, item_id)
    if target.is_dir():
        target = target / Path(item.name).name
    exists = UserError(f"{target}: already exists; not overwritten")
    if os.path.lexists(target):
        raise exists
    if not target.parent.is_dir():
        raise UserError(f"{target.parent}: no such folder")
    digest = hashlib.sha256()
    tmp: Path | None = None
    try:
        fd, tmp = create_temp(target)  # random name, O_EXCL|O_NOFOLLOW: no planted link is used
        with os.fdopen(fd, "wb") as out:
            for chunk in _checked(session, item, session.blobs.read_chunks):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != item.sha256:
            raise IntegrityFault(f"item {item.id} ({item.name}): content does not match its hash")
        publish(tmp, target, overwrite=False)
    except FileExistsError:
        raise exists from None
    except (AgeError, OSError) as exc:
        raise _export_error(item, target, exc) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    add_custody_event(session, item_id, "exported", to=str(target.absolute()), sha256=item.sha256)
    return target


def _export_error(item: Item, target: Path, exc: Exception) -> Exception:
    if isinstance(exc, AgeError):
        return IntegrityFault(f"item {item.id} ({item.name}): stored copy is damaged; run verify")
    assert isinstance(exc, OSError)
    return UserError(f"{target}: cannot write the copy: {exc.strerror}")


def record_derived(
    session: Session,
    db: DbSession,
    original: Item,
    data: bytes,
    name: str,
    how: str,
    action: str,
    **details: Any,
) -> Item:
    """Store ``data`` (a copy made from ``original``: a redaction) as a new item of the same
    case, in the caller's transaction: its own hashes and blob, an "acquired" custody event that
    names the original and how it was derived, a ``how`` custody event on the original naming
    the copy, the audit entries (``action`` on the copy), and the layers' ``on_acquired``. The
    original is never changed. The caller has checked the permission."""
    from vault.blobs import StoredBlob, add_blob_rows
    from vault.hashing import MultiHasher
    from vault.models import Case
    from vault.schema import Acquired

    case = db.get(Case, original.case_id)
    hash_sets = bool(case.hash_sets) if case is not None else True
    hasher = MultiHasher(len(data), hash_sets)
    hasher.update(data)
    digests = hasher.digests()
    blob_name, sha, _ = session.blobs.put_bytes(data)
    add_blob_rows(db, StoredBlob(blob_name, sha, len(data)))
    at = now()
    copy = Item(
        case_id=original.case_id,
        name=name,
        original_path=f"derived from item {original.id} ({original.name})",
        size=len(data),
        sha256=digests.sha256,
        md5=digests.md5 or "",
        sha1=digests.sha1 or "",
        blob_name=blob_name,
        exhibit=original.exhibit,
        seized_from=None,
        seized_at=None,
        seized_on=None,
        seized_by=None,
        description=f"{how} copy of item {original.id} ({original.name})",
        modified_at=at,
        acquired_by=session.user,
        acquired_at=at,
    )
    db.add(copy)
    db.flush()
    session.audit(
        db,
        action,  # records the copy (an item is recorded once: append-only)
        copy,
        sha256=copy.sha256,
        case=copy.case_id,
        name=copy.name,
        original=original.id,
        **details,
    )
    made = CustodyEvent(
        item_id=copy.id,
        kind="acquired",
        actor=session.user,
        at=at,
        details=canonical(
            {
                "sha256": copy.sha256,
                "size": copy.size,
                "exhibit": copy.exhibit,
                "derived_from": original.id,
                "derived_from_sha256": original.sha256,
                "how": how,
                **details,
            }
        ),
    )
    source = CustodyEvent(
        item_id=original.id,
        kind=how,
        actor=session.user,
        at=at,
        details=canonical({"copy": copy.id, "copy_sha256": copy.sha256, **details}),
    )
    db.add_all([made, source])
    db.flush()
    session.audit(db, "custody.acquired", made, item=copy.id)
    session.audit(db, f"custody.{how}", source, item=original.id)
    session.schema.acquired(
        session, db, [Acquired(copy.id, copy.case_id, copy.sha256, digests.sha1, digests.md5)]
    )
    return copy
