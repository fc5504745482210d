"""What an officer and an examiner rely on: items with their hashes, custody, export, audit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from vault import cases, users
from vault.audit import read_head_file
from vault.errors import IntegrityFault, PermissionDenied, UserError
from vault.history import head, list_audit
from vault.ingest import CustodyForm, ingest
from vault.items import (
    annotate,
    correct,
    custody,
    export_copy,
    get_item,
    list_items,
    read_item_bytes,
)
from vault.models import Item
from vault.session import Session
from vault.verify import verify
from vaultkit import PASSWORD, open_as, place_of, sha256_of, stored_names, stored_object

FORM = CustodyForm(
    exhibit="EX-7",
    seized_from="J. Doe",
    seized_at="Pier 4, Rotterdam",
    seized_on="2026-03-01T14:30:00",
    seized_by="Sgt Peters",
    description="SD card from a camera",
)


def test_a_folder_is_ingested_recursively_with_relative_paths_and_hashes(
    admin: Session, case: str, evidence: Path, tmp_path: Path
) -> None:
    big = tmp_path / "video.mp4"
    big.write_bytes(bytes(range(256)) * 12_000)  # > 1 MiB: hashed on other threads
    result = ingest(admin, case, [evidence, big], FORM)
    assert not result.failed
    listed = list_items(admin, case)
    assert [i.id for i in listed] == result.saved
    assert [i.name for i in listed] == [
        "card/DCIM/100CANON/IMG_0001.JPG",
        "card/DCIM/100CANON/IMG_0002.JPG",
        "card/notes/empty.txt",
        "card/notes/long.bin",
        "video.mp4",
    ]
    for info in listed:
        source = big if info.name == "video.mp4" else evidence.parent / info.name
        data = source.read_bytes()
        assert info.size == len(data)
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        assert info.md5 == hashlib.md5(data).hexdigest()
        assert info.sha1 == hashlib.sha1(data).hexdigest()
        assert info.original_path == str(source.absolute())
        assert (info.exhibit, info.seized_at, info.seized_by) == (
            "EX-7",
            FORM.seized_at,
            "Sgt Peters",
        )
        assert info.case == case and info.acquired_by == "alice"
        [acquired] = custody(admin, info.id)
        assert acquired.kind == "acquired" and acquired.actor == "alice"
        assert acquired.details == {"sha256": info.sha256, "size": info.size, "exhibit": "EX-7"}
    assert cases.get_case(admin, case).items == 5
    assert verify(admin).ok


def test_identical_files_are_two_items_sharing_one_blob(
    admin: Session, case: str, evidence: Path
) -> None:
    photo = evidence / "DCIM" / "100CANON" / "IMG_0001.JPG"
    first = ingest(admin, case, [photo]).saved
    second = ingest(admin, case, [evidence / "DCIM"], again=True).saved  # IMG_0001 again
    assert len(first) == 1 and len(second) == 2
    a, b = get_item(admin, first[0]), get_item(admin, second[0])
    assert a.id != b.id and a.sha256 == b.sha256 and a.name != b.name
    assert len(stored_names(admin)) == 2
    assert verify(admin).ok


def test_custody_is_append_only_and_corrections_are_new_events(
    admin: Session, case: str, evidence: Path
) -> None:
    [item_id] = ingest(admin, case, [evidence / "notes" / "long.bin"], FORM).saved
    note = annotate(admin, item_id, "sealed in bag 0042")
    fix = correct(admin, item_id, "exhibit", "EX-8", "label misread")
    assert (note.kind, fix.kind) == ("annotated", "corrected")
    history = custody(admin, item_id)
    assert [e.kind for e in history] == ["acquired", "annotated", "corrected"]
    assert history[0].details["exhibit"] == "EX-7"  # the original record is still there
    assert history[2].details == {"field": "exhibit", "value": "EX-8", "reason": "label misread"}
    assert get_item(admin, item_id).exhibit == "EX-8"  # the record shows the corrected value
    with admin.db() as db:
        assert db.scalar(select(Item.exhibit).where(Item.id == item_id)) == "EX-7"  # never edited
    correct(admin, item_id, "exhibit", "EX-9", "second look")
    assert get_item(admin, item_id).exhibit == "EX-9"
    assert [i.exhibit for i in list_items(admin, case)] == ["EX-9"]
    with pytest.raises(UserError, match="cannot be corrected"):
        correct(admin, item_id, "sha256", "0" * 64, "no")
    with pytest.raises(UserError, match="needs a reason"):
        correct(admin, item_id, "exhibit", "EX-1", " ")
    with pytest.raises(UserError, match="empty"):
        annotate(admin, item_id, "  ")
    with pytest.raises(UserError, match="no item"):
        annotate(admin, 999, "nothing")
    assert len(custody(admin, item_id)) == 4
    assert verify(admin).ok


def test_export_writes_identical_bytes_and_records_it(
    admin: Session, case: str, evidence: Path, tmp_path: Path
) -> None:
    source = evidence / "notes" / "long.bin"
    [item_id] = ingest(admin, case, [source]).saved
    out = tmp_path / "out"
    out.mkdir()
    written = export_copy(admin, item_id, out)  # into a folder: the item's file name
    assert written == out / "long.bin"
    assert written.read_bytes() == source.read_bytes()
    exported = custody(admin, item_id)[-1]
    assert exported.kind == "exported"
    assert exported.details == {"to": str(written.absolute()), "sha256": sha256_of(source)}
    with pytest.raises(UserError, match="already exists"):
        export_copy(admin, item_id, written)
    with pytest.raises(UserError, match="no such folder"):
        export_copy(admin, item_id, tmp_path / "nowhere" / "x.bin")
    assert read_item_bytes(admin, item_id) == source.read_bytes()
    assert custody(admin, item_id)[-1].kind == "viewed"
    assert sorted(p.name for p in out.iterdir()) == ["long.bin"]


def test_export_of_a_damaged_item_fails_and_leaves_no_partial_copy(
    admin: Session, case: str, evidence: Path, tmp_path: Path
) -> None:
    [item_id] = ingest(admin, case, [evidence / "notes" / "long.bin"]).saved
    [name] = stored_names(admin)
    blob = stored_object(admin, name)
    data = bytearray(blob.read_bytes())
    data[-100] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(IntegrityFault, match=rf"item {item_id} \(long.bin\)"):
        export_copy(admin, item_id, tmp_path / "copy.bin")
    assert list(tmp_path.glob("*copy.bin*")) == []
    assert [e.kind for e in custody(admin, item_id)] == ["acquired"]


def test_cases_hold_crime_areas_and_a_joint_operation(admin: Session) -> None:
    info = cases.create_case(
        admin,
        "OP-1",
        "Container port",
        ["Drug trafficking", "money_laundering"],
        operation="Trident",
        partners=["Europol", "Guardia Civil"],
    )
    assert info.crime_areas == ["drug-trafficking", "money-laundering"]
    assert (info.operation, info.partners) == ("Trident", ["Europol", "Guardia Civil"])
    assert cases.get_case(admin, "OP-1") == info
    with pytest.raises(UserError, match="already exists"):
        cases.create_case(admin, "OP-1", "again")
    with pytest.raises(UserError, match="unknown crime area"):
        cases.create_case(admin, "OP-2", "t", ["shoplifting"])
    with pytest.raises(UserError, match="joint operation"):
        cases.create_case(admin, "OP-3", "t", partners=["Interpol"])
    with pytest.raises(UserError, match="no case"):
        ingest(admin, "OP-404", [])
    assert [c.reference for c in cases.list_cases(admin)] == ["OP-1"]


def test_users_and_roles_are_managed_by_admins(admin: Session) -> None:
    users.add_user(admin, "bob", ["officer", "analyst"], PASSWORD)
    with pytest.raises(UserError, match="already exists"):
        users.add_user(admin, "bob", ["officer"], PASSWORD)
    with pytest.raises(UserError, match="unknown role"):
        users.add_user(admin, "carol", ["sheriff"], PASSWORD)
    with pytest.raises(UserError, match="too short"):
        users.add_user(admin, "carol", ["officer"], "short")
    with pytest.raises(UserError, match="own admin role"):
        users.set_roles(admin, "alice", ["officer"])
    with pytest.raises(PermissionDenied, match="disable yourself"):
        users.disable_user(admin, "alice")
    assert [(u.name, u.roles) for u in users.list_users(admin)] == [
        ("alice", ["admin", "analyst", "liaison", "officer"]),
        ("bob", ["analyst", "officer"]),
    ]
    admin.close()


def test_a_user_changes_their_own_password(admin: Session) -> None:
    users.add_user(admin, "bob", ["officer", "analyst"], PASSWORD)
    folder = place_of(admin)
    admin.close()
    with open_as(folder, "bob") as bob:
        users.change_password(bob, "bob", "a brand new one")
    with open_as(folder, "bob", "a brand new one") as bob:
        assert bob.user == "bob"


def test_every_change_is_audited_and_the_head_is_pinned(
    admin: Session, case: str, evidence: Path
) -> None:
    [item_id] = ingest(admin, case, [evidence / "notes" / "long.bin"]).saved
    annotate(admin, item_id, "checked")
    actions = [e.action for e in list_audit(admin)]
    assert actions == [
        "vault.created",
        "user.added",
        "case.created",
        "item.acquired",
        "custody.acquired",
        "custody.annotated",
    ]
    entries = list_audit(admin)
    assert [e.seq for e in entries] == list(range(1, 7))
    assert entries[3].target == f"items:{item_id}" and entries[3].actor == "alice"
    assert [e.action for e in list_audit(admin, action="custody.")] == actions[4:]
    # pinned in the vault's folder, or on a server in this workstation's own folder
    pinned = read_head_file(admin.pin_folder)
    assert pinned == head(admin)
    assert pinned is not None and (pinned.seq, pinned.hash) == (6, entries[-1].hash)
    assert json.loads(json.dumps([e.as_dict() for e in entries]))  # JSON-ready


def test_leftovers_of_a_crash_are_cleaned_when_the_vault_opens(
    admin: Session, case: str, evidence: Path
) -> None:
    ingest(admin, case, [evidence / "notes" / "long.bin"])
    place, folder, store = place_of(admin), admin.folder, admin.backend.store
    admin.close()
    assert not store.unsettled()  # a clean close leaves nothing to look for
    # What a crash between a blob's rename and its commit leaves: a temp file, a blob no row
    # names, and the marker its session wrote before the first rename (the vault folder's
    # files; on a server the working folder's tmp/ and objects of the bucket).
    (folder / "tmp" / "half-written").write_bytes(b"x" * 1000)
    orphan = stored_object(admin, "ab" + "0" * 62)
    orphan.write_bytes(b"age-encryption.org/v1\n")
    store.mark_unsettled()
    with open_as(place) as session:
        assert list((folder / "tmp").iterdir()) == []
        assert not orphan.exists() and not store.unsettled()
        assert len(stored_names(session)) == 1
        assert verify(session).ok


def test_blobs_left_without_a_row_go_when_the_session_closes(
    admin: Session, case: str, evidence: Path
) -> None:
    """A job that stored blobs and then failed or was cancelled before its commit leaves them;
    the session removes them when it closes, so the next open need not scan the store."""
    ingest(admin, case, [evidence / "notes" / "long.bin"])
    place, store = place_of(admin), admin.backend.store
    name, _, new = admin.blobs.put_bytes(b"stored, never committed")
    stored = stored_object(admin, name)
    assert new and stored.exists()
    assert store.unsettled()
    admin.close()
    assert not stored.exists()
    assert not store.unsettled()
    assert len(list(store.names("blobs"))) == 1
    with open_as(place) as session:
        assert verify(session).ok


def test_orphans_are_found_a_page_of_the_listing_at_a_time(
    admin: Session, case: str, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clean-up compares a page of listed names with the rows at a time (a store of
    millions of objects is never held as one list): the first orphan goes before the listing
    ends, and every named object stays."""
    import vault.blobs

    assert not ingest(admin, case, [evidence], FORM).failed
    kept = stored_names(admin)
    orphans = [admin.blobs.put_bytes(f"never committed {i}".encode())[0] for i in range(7)]
    monkeypatch.setattr(vault.blobs, "ORPHAN_PAGE", 2)
    listed: list[str] = []
    deleted_after: list[int] = []
    names, delete = admin.blobs.store.names, admin.blobs.store.delete

    def listing(prefix: str) -> Iterator[str]:
        for key in names(prefix):
            listed.append(key)
            yield key

    def deleting(key: str) -> None:
        deleted_after.append(len(listed))
        delete(key)

    monkeypatch.setattr(admin.blobs.store, "names", listing)
    monkeypatch.setattr(admin.blobs.store, "delete", deleting)
    with admin.db() as db:
        assert admin.blobs.remove_orphans(db) == len(orphans)
    blobs_listed = len(kept) + len(orphans)
    assert deleted_after[0] < blobs_listed, (deleted_after, blobs_listed)
    assert sorted(stored_names(admin)) == sorted(kept)
    assert verify(admin).ok


def test_a_case_without_hash_sets_records_sha256_only_on_every_ingest_path(
    admin: Session, vault_dir: Path, tmp_path: Path
) -> None:
    """Large files (hash threads), a few small ones (store threads) and many small ones (worker
    processes) all skip SHA-1 and MD5 when the case says so, and the vault still verifies."""
    cases.create_case(admin, "IMG-1", "Disk images", hash_sets=False)
    assert cases.get_case(admin, "IMG-1").hash_sets is False
    few, many = tmp_path / "few", tmp_path / "many"
    few.mkdir(), many.mkdir()
    (few / "disk.dd").write_bytes(bytes(range(256)) * 9_000)  # > 1 MiB
    (few / "note.txt").write_bytes(b"small")
    for n in range(300):  # enough for the worker processes
        (many / f"f{n:03}.bin").write_bytes(n.to_bytes(2, "big") * 100)
    for folder in (few, many):
        assert not ingest(admin, "IMG-1", [folder]).failed
    listed = list_items(admin, "IMG-1")
    assert len(listed) == 302
    for info in listed:
        data = (tmp_path / info.name).read_bytes()
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        assert (info.md5, info.sha1) == (None, None)
    # The default case next to it still gets all three.
    cases.create_case(admin, "HS-1", "Hash-set case")
    ingest(admin, "HS-1", [few / "note.txt"])
    [hashed] = list_items(admin, "HS-1")
    assert hashed.md5 == hashlib.md5(b"small").hexdigest()
    assert verify(admin).ok


@pytest.mark.local_only(
    "a local vault from before r0005 (SQLite DDL): a server vault starts at r0007; the "
    "revisions on PostgreSQL: test_migrations.py"
)
def test_a_vault_made_before_an_index_gets_it_at_its_next_open(
    admin: Session, case: str, evidence: Path
) -> None:
    """The corrections of a case are read through ``ix_custody_kind``: a vault at the revision
    before it (r0004) gets it from revision r0005 when it is next opened alone."""
    [item_id] = ingest(admin, case, [evidence / "notes" / "long.bin"], FORM).saved
    correct(admin, item_id, "exhibit", "EX-8", "label misread")
    folder = admin.folder

    def indexes(session: Session) -> set[str]:
        with session.db() as db:
            rows = db.connection().exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'custody_events'"
            )
            return {r[0] for r in rows}

    with admin.transaction() as db:
        db.connection().exec_driver_sql("DROP INDEX ix_custody_kind")
        # and what the revisions after r0004 made (r0009: workstations)
        db.connection().exec_driver_sql("DROP TABLE workstations")
        db.connection().exec_driver_sql("ALTER TABLE audit DROP COLUMN workstation")
        db.connection().exec_driver_sql("ALTER TABLE blobs DROP COLUMN pack_size")  # r0014
        db.connection().exec_driver_sql("UPDATE alembic_version SET version_num = 'r0004'")
    assert "ix_custody_kind" not in indexes(admin)
    admin.close()
    again = open_as(folder)
    try:
        assert "ix_custody_kind" in indexes(again)
        assert [i.exhibit for i in list_items(again, case)] == ["EX-8"]
        assert verify(again).ok
    finally:
        again.close()
