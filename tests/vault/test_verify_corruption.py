"""``verify`` finds every kind of damage and names it: the item (id and name) or the audit seq.

Each test damages a real vault on disk the way an intruder or a failing disk would (flip a byte,
truncate or delete a file, edit or delete a database row with the database key), then asserts
the exact findings. Several problems at once are all listed, not just the first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from vault.agefmt import AgeError
from vault.audit import Head, entry_hash, read_head_file
from vault.history import head
from vault.ingest import ingest
from vault.items import ItemInfo, annotate, get_item
from vault.models import AuditEntry, CustodyEvent
from vault.session import Session
from vault.verify import Problem, verify
from vaultkit import (
    StoredObject,
    audit_rows,
    forge,
    open_as,
    place_of,
    sql,
    stored_names,
    stored_object,
)

AUTH = "stored copy fails authentication (altered or damaged)"
MISSING = "stored copy is missing"


def changed(*columns: str) -> str:
    """The finding for a row edited outside Custos: the columns that differ, by name."""
    return f"{', '.join(columns)} changed (edited outside Custos)"


DELETED = "is in the audit log but was deleted"
HASH = "content does not match its hash (edited)"
NOT_A_USER = "who is not a user at this point of the chain"
OUTSIDE = "the log was truncated or the vault rolled back"
# Where a test damages one object at several places, the age format's own checks are the same
# on both back ends: the server runs one of them (an object rewritten in the bucket).
ONE_ON_A_SERVER = pytest.mark.local_only(
    "the same object damage at another place: one runs on a server"
)


@pytest.fixture()
def items(admin: Session, case: str, evidence: Path) -> list[ItemInfo]:
    """The evidence card ingested, one note on the first item, and a clean verify."""
    result = ingest(admin, case, [evidence])
    assert len(result.saved) == 4 and not result.failed
    annotate(admin, result.saved[0], "lens cracked")
    report = verify(admin)
    assert report.ok, report.problems
    assert report.items == 4 and report.blobs == 4
    return [get_item(admin, i) for i in result.saved]


def _where(item: ItemInfo) -> str:
    return f"item {item.id} ({item.name})"


def _blob(session: Session, item: ItemInfo) -> StoredObject:
    """The item's stored copy, damaged through the store (a folder's file, a bucket's object)."""
    return stored_object(session, session.blobs.name_for(item.sha256))


def _flip(path: StoredObject, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _seq_of(session: Session, action: str, target: str | None = None) -> int:
    rows = [r for r in audit_rows(session, action) if target is None or r.target == target]
    assert rows, (action, target)
    return rows[-1].seq


def _problems(session: Session) -> list[Problem]:
    report = verify(session)
    assert not report.ok
    return report.problems


def test_a_clean_vault_verifies_and_the_check_is_audited(admin: Session, items: list) -> None:
    report = verify(admin)
    assert report.ok and report.problems == []
    assert report.bytes == sum(i.size for i in items)
    assert audit_rows(admin)[-1].action == "vault.verified"


@pytest.mark.parametrize(
    "where",
    [
        where if where == "payload" else pytest.param(where, marks=ONE_ON_A_SERVER)
        for where in [
            "magic line",
            "recipient stanza",
            "header mac",
            "payload nonce",
            "payload",
            "last byte",
        ]
    ],
)
def test_a_flipped_byte_in_a_blob_is_named(admin: Session, items: list, where: str) -> None:
    item = items[3]  # notes/long.bin: 200 kB, four age chunks
    blob = _blob(admin, item)
    data = blob.read_bytes()
    header_end = data.index(b"\n", data.index(b"--- ")) + 1
    offset = {
        "magic line": 3,
        "recipient stanza": data.index(b"-> X25519 ") + 20,
        "header mac": header_end - 10,
        "payload nonce": header_end + 3,
        "payload": header_end + 16 + 100_000,
        "last byte": len(data) - 1,
    }[where]
    _flip(blob, offset)
    assert _problems(admin) == [Problem(_where(item), AUTH)]


@pytest.mark.local_only(
    "the age format's own check, one store write per byte: on a server, "
    "test_a_flipped_byte_in_a_blob_is_named"
)
def test_every_single_byte_flip_of_a_blob_fails_authentication(
    admin: Session, case: str, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(b"evidence " * 30)
    [item_id] = ingest(admin, case, [small]).saved
    item = get_item(admin, item_id)
    blob = _blob(admin, item)
    original = blob.read_bytes()
    assert admin.blobs.read_bytes(blob.name) == small.read_bytes()
    for offset in range(len(original)):
        damaged = bytearray(original)
        damaged[offset] ^= 0x80
        blob.write_bytes(bytes(damaged))
        with pytest.raises(AgeError):
            admin.blobs.read_bytes(blob.name)
    blob.write_bytes(original)
    assert verify(admin).ok


@pytest.mark.parametrize(
    "keep",
    [
        keep if keep == "half" else pytest.param(keep, marks=ONE_ON_A_SERVER)
        for keep in [0, 20, "header", "half", "all but one"]
    ],
)
def test_a_truncated_blob_is_named(admin: Session, items: list, keep: object) -> None:
    item = items[3]
    blob = _blob(admin, item)
    data = blob.read_bytes()
    header_end = data.index(b"\n", data.index(b"--- ")) + 1
    size = {"header": header_end, "half": len(data) // 2, "all but one": len(data) - 1}.get(
        keep, keep
    )
    blob.write_bytes(data[: int(size)])  # type: ignore[call-overload]
    assert _problems(admin) == [Problem(_where(item), AUTH)]


def test_a_deleted_blob_is_named_for_every_item_that_shares_it(
    admin: Session, case: str, items: list, evidence: Path
) -> None:
    [copy] = ingest(
        admin, case, [evidence / "DCIM" / "100CANON" / "IMG_0002.JPG"], again=True
    ).saved
    twin = get_item(admin, copy)
    assert twin.sha256 == items[1].sha256
    _blob(admin, items[1]).unlink()
    assert _problems(admin) == [Problem(_where(items[1]), MISSING), Problem(_where(twin), MISSING)]


def test_an_edited_audit_row_is_named_by_its_sequence_number(admin: Session, items: list) -> None:
    seq = _seq_of(admin, "item.acquired", f"items:{items[0].id}")
    forge(admin, "audit", "seq = :seq", {"seq": seq}, actor="mallory")
    assert _problems(admin) == [Problem(f"audit #{seq}", HASH)]


def test_an_audit_row_rehashed_without_the_signing_key_is_named(
    admin: Session, items: list
) -> None:
    seq = _seq_of(admin, "custody.annotated")
    with admin.db() as db:
        e = db.get(AuditEntry, seq)
        assert e is not None
        forged = entry_hash(e.prev_hash, e.seq, e.at, "mallory", e.action, e.target, e.details)
    forge(admin, "audit", "seq = :seq", {"seq": seq}, actor="mallory", hash=forged)
    assert _problems(admin) == [
        Problem(f"audit #{seq}", "signature is not valid for the workstation key"),
        Problem(f"audit #{seq}", f"signed as 'mallory', {NOT_A_USER}"),
        Problem(f"audit #{seq + 1}", "does not link to the entry before it"),
    ]


def test_a_deleted_audit_row_in_the_middle_is_named(admin: Session, items: list) -> None:
    seq = _seq_of(admin, "case.created")
    sql(admin, "DELETE FROM audit WHERE seq = :seq", seq=seq)
    assert _problems(admin) == [
        Problem(f"audit #{seq + 1}", f"entries {seq}..{seq} are missing"),
        Problem(f"audit #{seq + 1}", "does not link to the entry before it"),
        Problem("case C-1", "has no audit entry"),
    ]


def test_deleting_the_audit_entry_of_an_item_names_the_item_too(
    admin: Session, items: list
) -> None:
    seq = _seq_of(admin, "item.acquired", f"items:{items[2].id}")
    sql(admin, "DELETE FROM audit WHERE seq = :seq", seq=seq)
    problems = _problems(admin)
    assert Problem(f"audit #{seq + 1}", f"entries {seq}..{seq} are missing") in problems
    assert Problem(_where(items[2]), "has no audit entry") in problems


def _problems_against(session: Session, pinned: Head) -> list[Problem]:
    """What verify reports of a truncated tail, against the head this workstation pinned (the
    vault's ``audit.head``, or on a server the one in this workstation's own folder) and the
    head an admin wrote down before the tampering (given, it is named once more by
    ``verify --head``: ``test_cli_commands``)."""
    assert session.backend.pins_head and read_head_file(session.pin_folder) == pinned
    return _problems(session)


def _removed(session: Session, seq: int) -> str:
    """The finding for entries up to ``seq`` removed, by the pin that names them."""
    return f"entries up to #{seq} were removed"


@pytest.mark.parametrize("count", [1, 3])
def test_deleted_audit_rows_at_the_end_are_named(admin: Session, items: list, count: int) -> None:
    last = audit_rows(admin)[-1]
    assert last.action == "vault.verified"
    pinned = head(admin)  # the head an admin wrote down
    sql(admin, "DELETE FROM audit WHERE seq > :seq", seq=last.seq - count)
    problems = _problems_against(admin, pinned)
    gone = Problem(f"audit #{last.seq - count + 1}", _removed(admin, last.seq))
    assert problems[0] == gone
    if count == 1:
        assert problems == [gone]


def test_a_truncated_audit_log_stays_detected_after_later_work(admin: Session, items: list) -> None:
    """Writing new entries over the removed ones must not hide that they were removed."""
    last = audit_rows(admin)[-1]
    pinned = head(admin)  # the head an admin wrote down
    sql(admin, "DELETE FROM audit WHERE seq = :seq", seq=last.seq)
    first = _problems_against(admin, pinned)  # this verify appends an entry with that number
    assert Problem(f"audit #{last.seq}", _removed(admin, last.seq)) in first
    annotate(admin, items[0].id, "later work")
    place = place_of(admin)
    admin.close()
    with open_as(place) as again:
        later = _problems_against(again, pinned)
        assert any(p.where == f"audit #{last.seq}" for p in later), later
    kept = read_head_file(admin.pin_folder)
    assert kept is not None and kept.seq == last.seq


@pytest.mark.parametrize(
    ("column", "value"),
    [("exhibit", "EX-FORGED"), ("size", 1), ("acquired_by", "mallory"), ("name", "other.jpg")],
)
def test_an_edited_item_row_is_named(
    admin: Session, items: list, column: str, value: object
) -> None:
    item = items[0]
    forge(admin, "items", "id = :id", {"id": item.id}, **{column: value})
    problems = _problems(admin)
    edited = Problem(
        _where(item), changed(column)
    )  # named as acquired, even when the name was edited
    assert problems[0] == edited
    if column == "size":
        assert problems == [
            edited,
            Problem(edited.where, "stored copy does not match the acquisition hash"),
        ]
    else:
        assert problems == [edited]


def test_an_edited_item_hash_is_named_twice_record_and_content(admin: Session, items: list) -> None:
    item = items[1]
    forged = "0" * 64
    forge(admin, "items", "id = :id", {"id": item.id}, sha256=forged)
    assert _problems(admin) == [
        Problem(_where(item), changed("sha256")),
        Problem(_where(item), "stored copy does not match the acquisition hash"),
    ]


def test_an_edited_custody_event_is_named(admin: Session, items: list) -> None:
    forge(admin, "custody_events", "kind = 'annotated'", details='{"note":"-"}')
    with admin.db() as db:
        ev = db.scalar(select(CustodyEvent).where(CustodyEvent.kind == "annotated"))
        assert ev is not None
    assert _problems(admin) == [
        Problem(
            f"custody event {ev.id} of item {items[0].id} ({items[0].name})", changed("details")
        )
    ]


def test_a_deleted_custody_event_is_named_with_its_item(admin: Session, items: list) -> None:
    with admin.db() as db:
        ev = db.scalar(select(CustodyEvent).where(CustodyEvent.kind == "annotated"))
        assert ev is not None
    sql(admin, "DELETE FROM custody_events WHERE id = :id", id=ev.id)
    assert _problems(admin) == [
        Problem(
            f"custody event {ev.id} of item {items[0].id} ({items[0].name})",
            DELETED,
        )
    ]


def test_a_deleted_item_row_is_named(admin: Session, items: list) -> None:
    item = items[2]
    with admin.db() as db:
        [event_id] = db.scalars(select(CustodyEvent.id).where(CustodyEvent.item_id == item.id))
    with admin.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql(f"DELETE FROM custody_events WHERE item_id = {item.id}")
        conn.exec_driver_sql(f"DELETE FROM items WHERE id = {item.id}")
        conn.commit()
    problems = _problems(admin)
    assert problems == [  # in the schema's order: the item, then its custody
        Problem(_where(item), DELETED),
        Problem(f"custody event {event_id} of {_where(item)}", DELETED),
    ]


def test_every_problem_is_listed_not_just_the_first(admin: Session, items: list) -> None:
    _flip(_blob(admin, items[0]), -1)
    _blob(admin, items[3]).unlink()
    edited = _seq_of(admin, "case.created")
    forge(admin, "audit", "seq = :seq", {"seq": edited}, target="cases:99")
    forge(admin, "items", "id = :id", {"id": items[2].id}, exhibit="X")
    with admin.db() as db:
        ev = db.scalar(select(CustodyEvent).where(CustodyEvent.kind == "annotated"))
        assert ev is not None
    sql(admin, "DELETE FROM custody_events WHERE id = :id", id=ev.id)
    problems = _problems(admin)
    assert set(problems) >= {
        Problem(_where(items[0]), AUTH),
        Problem(_where(items[3]), MISSING),
        Problem(f"audit #{edited}", HASH),
        Problem(_where(items[2]), changed("exhibit")),
        Problem(
            f"custody event {ev.id} of item {items[0].id} ({items[0].name})",
            DELETED,
        ),
    }
    # The vault still opens and the undamaged item still reads.
    place = place_of(admin)
    admin.close()
    with open_as(place) as again:
        assert again.blobs.read_bytes(_blob(again, items[1]).name)
        assert len(stored_names(again)) == 3
