"""One signed audit entry per committed batch of acquired items (``vault.batchaudit``).

An ingest of many files records each batch in ONE entry naming every item and custody row with
its digest, signed by the workstation and the officer. These tests tamper with such a batch the
way an insider holding the vault key (and their own keys) could, and check that verify still
names every edited, deleted, inserted or re-recorded row, a changed or forged batch entry, and
a malformed one (one line, no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from vault import batchaudit
from vault.audit import AuditLog, entry_hash
from vault.cases import create_case
from vault.history import list_audit
from vault.ingest import ingest
from vault.models import AuditEntry, CustodyEvent, Item, recorded_keys
from vault.session import Session, now
from vault.users import add_user
from vault.verify import Problem, verify
from vaultkit import PASSWORD, forge, open_as, place_of, plant

COUNT = 20  # files: more than batchaudit.MIN_ITEMS, so one batch entry
EDITED = "content does not match its hash (edited)"
DELETED = "is in the audit log but was deleted"


@pytest.fixture()
def officer(admin: Session) -> Session:
    add_user(admin, "olga", ["officer"], PASSWORD)
    session = open_as(place_of(admin), "olga")
    yield session
    session.close()


@pytest.fixture()
def phone(tmp_path: Path) -> Path:
    root = tmp_path / "phone" / "DCIM"
    root.mkdir(parents=True)
    for i in range(COUNT):
        (root / f"IMG_{i:04}.JPG").write_bytes(b"\xff\xd8" + i.to_bytes(4, "big") * 1000)
    return root.parent


@pytest.fixture()
def batch(officer: Session, phone: Path) -> list[int]:
    """The officer's ingest of the phone: item ids, one batch entry, a clean verify."""
    create_case(officer, "C-1", "phone")
    saved = ingest(officer, "C-1", [phone]).saved
    assert len(saved) == COUNT
    return saved


def _entry(session: Session) -> AuditEntry:
    with DbSession(session.engine) as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == batchaudit.ACTION))
        return entry


def _name(session: Session, item_id: int) -> str:
    with session.db() as db:
        item = db.get(Item, item_id)
        assert item is not None
        return f"item {item_id} ({item.name})"


def _rewrite(session: Session, seq: int, details: dict, user_key: Ed25519PrivateKey) -> None:
    """Replace entry ``seq``'s details, rehash it and sign it with the workstation key and
    ``user_key`` (what an insider holding those keys can do)."""
    with DbSession(session.engine) as db, db.begin():
        e = db.get(AuditEntry, seq)
        assert e is not None
        e.details = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        e.hash = entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.details)
        e.signature = session.signing_key().sign(bytes.fromhex(e.hash)).hex()
        e.user_signature = user_key.sign(bytes.fromhex(e.hash)).hex()


def _own_key(session: Session) -> Ed25519PrivateKey:
    assert session._user_keys is not None
    return session._user_keys.signing


def test_a_batch_is_one_signed_entry_that_names_every_row(
    admin: Session, officer: Session, batch: list[int]
) -> None:
    with admin.db() as db:
        actions = [a for (a,) in db.execute(select(AuditEntry.action))]
        events = list(db.scalars(select(CustodyEvent.id).order_by(CustodyEvent.id)))
    assert actions.count(batchaudit.ACTION) == 1
    assert "item.acquired" not in actions and "custody.acquired" not in actions
    entry = _entry(admin)
    details = json.loads(entry.details)
    assert entry.actor == "olga" and entry.target == f"items:{batch[0]}..{batch[-1]}"
    assert [i[0] for i in details["items"]] == batch
    assert [c[0] for c in details["custody"]] == events
    report = verify(admin)
    assert report.ok, report.problems
    assert report.items == COUNT
    # an item's history still shows how it was acquired
    history = list_audit(admin, target=f"items:{batch[7]}")
    assert [h.action for h in history] == [batchaudit.ACTION]
    assert history[0].readable == {"case": 1, "items": COUNT, "custody_events": COUNT}


def test_an_edited_row_of_a_batch_is_named_with_its_column(
    admin: Session, batch: list[int]
) -> None:
    name = _name(admin, batch[3])
    forge(admin, "items", "id = :i", {"i": batch[3]}, seized_from="someone else")
    forge(admin, "custody_events", "item_id = :i", {"i": batch[5]}, actor="mallory")
    with admin.db() as db:
        event = db.scalar(select(CustodyEvent.id).where(CustodyEvent.item_id == batch[5]))
    assert verify(admin).problems == [
        Problem(name, "seized_from changed (edited outside Custos)"),
        Problem(
            f"custody event {event} of {_name(admin, batch[5])}",
            "differs from its audited record (edited)",
        ),
    ]


def test_a_deleted_and_an_inserted_row_of_a_batch_are_named(
    admin: Session, batch: list[int]
) -> None:
    victim = batch[-1]
    name = _name(admin, victim)
    with admin.db() as db:
        event = db.scalar(select(CustodyEvent.id).where(CustodyEvent.item_id == victim))
    with admin.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql(f"DELETE FROM custody_events WHERE item_id = {victim}")
        conn.exec_driver_sql(f"DELETE FROM items WHERE id = {victim}")
        conn.commit()
    plant(admin, Item, batch[0], id=999, name="planted.jpg")
    assert verify(admin).problems == [
        Problem("item 999 (planted.jpg)", "has no audit entry"),
        Problem(name, DELETED),
        Problem(f"custody event {event} of {name}", DELETED),
    ]


def test_an_item_removed_from_a_batch_entry_is_named(
    admin: Session, officer: Session, batch: list[int]
) -> None:
    """The entry no longer names an item whose row stays: the entry's hash (or, re-signed by
    the officer, the admin's later entry) and the unrecorded row are both named."""
    entry = _entry(admin)
    details = json.loads(entry.details)
    gone = details["items"].pop(4)
    forge(admin, "audit", "seq = :s", {"s": entry.seq}, details=json.dumps(details))
    assert verify(admin).problems == [
        Problem(f"audit #{entry.seq}", EDITED),
        Problem(f"item {gone[0]} ({gone[1]})", "has no audit entry"),
    ]


def test_an_item_removed_and_the_batch_re_signed_by_its_officer_breaks_later_entries(
    admin: Session, officer: Session, batch: list[int]
) -> None:
    add_user(admin, "bob", ["analyst"], PASSWORD)  # another user's entry after the batch
    entry = _entry(admin)
    details = json.loads(entry.details)
    details["items"].pop(4)
    _rewrite(officer, entry.seq, details, _own_key(officer))
    problems = verify(admin).problems
    wheres = {p.where for p in problems}
    assert f"audit #{entry.seq + 1}" in wheres  # no longer links to the rewritten entry
    assert any(p.what == "has no audit entry" and str(batch[4]) in p.where for p in problems)


def test_digests_swapped_between_two_items_of_a_batch_are_named(
    admin: Session, batch: list[int]
) -> None:
    entry = _entry(admin)
    details = json.loads(entry.details)
    a, b = details["items"][1], details["items"][2]
    a[3], b[3] = b[3], a[3]
    forge(admin, "audit", "seq = :s", {"s": entry.seq}, details=json.dumps(details))
    problems = verify(admin).problems
    assert problems[0] == Problem(f"audit #{entry.seq}", EDITED)
    assert {p.where for p in problems[1:]} == {_name(admin, batch[1]), _name(admin, batch[2])}


def test_a_batch_entry_forged_by_a_user_who_may_not_ingest_is_named(
    admin: Session, batch: list[int]
) -> None:
    """An analyst (no item.ingest) plants an item and records it in a batch entry signed with
    their own key: the signature is theirs, but they never held the right to acquire."""
    add_user(admin, "ann", ["analyst"], PASSWORD)
    analyst = open_as(place_of(admin), "ann")
    try:
        plant(admin, Item, batch[0], id=500, name="planted.jpg", acquired_by="ann")
        with DbSession(analyst.engine) as db, db.begin():
            item = db.get(Item, 500)
            assert item is not None
            values = {k: getattr(item, k) for k in recorded_keys(Item.__table__)}
            action, target, details = batchaudit.entry(1, [values], [])
            seq = (
                AuditLog(analyst.signing_key(), _own_key(analyst))
                .append(db, now(), "ann", action, target, details)
                .seq
            )
    finally:
        analyst.close()
    assert verify(admin).problems == [
        Problem(
            f"audit #{seq}",
            "items.acquired by 'ann', who did not hold item.ingest at that point",
        )
    ]


def test_a_malformed_batch_entry_is_one_line(admin: Session, officer: Session, batch: list) -> None:
    entry = _entry(admin)
    details = json.loads(entry.details)
    details["items"] = "all of them"
    _rewrite(officer, entry.seq, details, _own_key(officer))
    problems = verify(admin).problems
    assert Problem(f"audit #{entry.seq}", "its record of a batch is malformed") in problems
    assert all("Traceback" not in p.what for p in problems)


def test_a_batch_records_the_digests_a_row_of_its_own_would() -> None:
    """The batch digests (computed per column, repeated values once) are exactly the digests
    ``Session.audit`` records for one row: verify compares rows with either, unchanged. Names
    on seized media carry any character: quotes, escapes, other scripts, a byte that is not
    UTF-8 (as ``sources.text`` shows it)."""
    from vault.models import batch_digests, column_digests, state_digest, values_state

    names = ['a "quoted"\\name.jpg', "صورة.png", "tab\tnew\nline", "\\xff-latin1.bin", "x"]
    items = [
        {
            "id": 7 + i,
            "case_id": 3,
            "name": name,
            "original_path": "/seized/" + name,
            "size": 4096 if i % 2 else 10**12 + i,
            "sha256": f"{i:064x}",
            "md5": "",
            "sha1": "" if i else "f" * 40,
            "blob_name": f"{i:064x}",
            "exhibit": None if i % 3 else "EX-1 «α»",
            "seized_from": None,
            "seized_at": None,
            "seized_on": "2026-03-01T14:30:00",
            "seized_by": None,
            "description": "same for all",
            "modified_at": now(),
            "acquired_by": "officer",
            "acquired_at": "2026-12-07T04:00:00.000000+00:00",
        }
        for i, name in enumerate(names)
    ]
    assert set(items[0]) == set(recorded_keys(Item.__table__))  # blind indexes are not recorded
    digests, by_column = batch_digests(Item, items)
    for item, digest, columns in zip(items, digests, zip(*by_column, strict=True), strict=True):
        state = values_state(Item, item)
        assert digest == state_digest(state)
        assert list(columns) == list(column_digests(state).values())
    events = [
        {
            "id": i,
            "item_id": 7 + i,
            "kind": "acquired",
            "actor": "officer",
            "at": now(),
            "details": json.dumps({"sha256": "ab", "size": i}),
            "refers_to": None,
        }
        for i in range(3)
    ]
    digests, none = batch_digests(CustodyEvent, events, columns_too=False)
    assert none == []
    assert digests == [state_digest(values_state(CustodyEvent, e)) for e in events]
