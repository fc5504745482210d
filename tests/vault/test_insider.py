"""An insider with a password cannot rewrite history or act as someone else.

Every user's slot opens the vault key, which opens the database and the workstation's signing
key inside it. Each test is what the red team did as an officer (the least privileged role)
holding exactly that: the vault key, the workstation key and the officer's own keys, editing
the database directly and re-signing the chain. Verify must name what was done; sign-in must
refuse a slot that is not the user's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from vault import keys, sealing
from vault.audit import AuditLog, entry_hash
from vault.cases import create_case
from vault.errors import AuthenticationFailed, IntegrityFault
from vault.ingest import ingest
from vault.models import AuditEntry, Item, User, column_digests, row_state, state_digest
from vault.session import VAULT_FILE_KEY, Session, now
from vault.users import add_user, change_password
from vault.verify import Problem, verify
from vaultkit import PASSWORD, forge, open_as, place_of, sql, vault_file_finding

OFFICER = "olga"


@pytest.fixture()
def officer(admin: Session) -> Session:
    add_user(admin, OFFICER, ["officer"], PASSWORD)
    session = open_as(place_of(admin), OFFICER)
    yield session
    session.close()


def _append(
    session: Session, actor: str, action: str, target: str, user_key: Ed25519PrivateKey, **details
) -> int:
    """Append an entry straight into the database, signed with the workstation key (which any
    holder of the vault key can read) and ``user_key``; returns its seq."""
    with DbSession(session.engine) as db, db.begin():
        entry = AuditLog(session.signing_key(), user_key).append(
            db, now(), actor, action, target, details
        )
        return entry.seq


def _own_key(session: Session) -> Ed25519PrivateKey:
    assert session._user_keys is not None
    return session._user_keys.signing


def _problems(admin: Session) -> list[Problem]:
    """What the admin's verify reports (the admin signed in before the tampering)."""
    return verify(admin).problems


def test_an_officer_granting_itself_admin_is_named(admin: Session, officer: Session) -> None:
    with DbSession(officer.engine) as db, db.begin():
        user = db.scalar(select(User).where(sealing.equals(db, User.name, OFFICER)))
        assert user is not None
        user.roles = "admin,officer"
        db.flush()
        values = row_state(user)
        AuditLog(officer.signing_key(), _own_key(officer)).append(
            db,
            now(),
            OFFICER,
            "user.roles",
            f"users:{user.id}",
            {
                "name": OFFICER,
                "roles": user.roles,
                "digest": state_digest(values),
                "columns": column_digests(values),
            },
        )
    problems = _problems(admin)
    assert [p.what for p in problems] == [
        "user.roles by 'olga', who did not hold user.manage at that point"
    ]


def test_a_pack_size_recorded_by_an_officer_is_named(admin: Session, officer: Session) -> None:
    """Only verify (an admin's, ``vault.verify``) records a pack's size, the bound of its
    reads: an officer's own entry for one, signed as themself, is named."""
    seq = _append(
        officer, OFFICER, "blobs.pack_sized", "pack:" + "ab" * 32, _own_key(officer), size=1
    )
    assert _problems(admin) == [
        Problem(
            f"audit #{seq}",
            "blobs.pack_sized by 'olga', who did not hold vault.verify at that point",
        )
    ]


def test_an_entry_signed_as_admin_by_an_officer_is_named(admin: Session, officer: Session) -> None:
    seq = _append(officer, "alice", "user.roles", "users:2", _own_key(officer), name=OFFICER)
    assert _problems(admin) == [
        Problem(f"audit #{seq}", "not signed with user 'alice''s key (forged or re-signed)")
    ]


def test_a_recovery_forged_by_an_insider_is_named(admin: Session, officer: Session) -> None:
    seq = _append(officer, OFFICER, "vault.recovered", "users:2", _own_key(officer), name=OFFICER)
    assert _problems(admin) == [
        Problem(f"audit #{seq}", "not signed with the recovery key (forged or re-signed)")
    ]


def test_history_rewritten_past_another_users_entry_is_named(
    admin: Session, officer: Session, tmp_path: Path
) -> None:
    """The officer edits an entry of their own, then re-hashes and re-signs every later entry
    with the workstation key and their own: the admin's later entry cannot be re-signed."""
    create_case(officer, "C-1", "first")
    create_case(admin, "C-2", "admin's")  # the admin holds every role
    with DbSession(officer.engine) as db:
        rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    own = next(e for e in rows if e.actor == OFFICER and e.action == "case.created")
    later = [e for e in rows if e.seq > own.seq]
    assert any(e.actor == "alice" for e in later)
    prev = own.prev_hash
    ws, mine = officer.signing_key(), _own_key(officer)
    for e in [own, *later]:
        at = "2020-01-01T00:00:00.000000+00:00" if e is own else e.at  # backdated
        digest = entry_hash(prev, e.seq, at, e.actor, e.action, e.target, e.details)
        raw = bytes.fromhex(digest)
        sql(
            officer,
            "UPDATE audit SET at=:a, prev_hash=:p, hash=:h, signature=:s, user_signature=:u "
            "WHERE seq=:seq",
            a=at,
            p=prev,
            h=digest,
            s=ws.sign(raw).hex(),
            u=mine.sign(raw).hex() if e.actor == OFFICER else e.user_signature,
            seq=e.seq,
        )
        prev = digest
    problems = _problems(admin)
    unsigned = [p for p in problems if "not signed with user 'alice''s key" in p.what]
    by_admin = {f"audit #{e.seq}" for e in later if e.actor == "alice"}
    assert by_admin and {p.where for p in unsigned} == by_admin, problems


def test_a_deleted_item_rechained_by_an_officer_is_named(
    admin: Session, officer: Session, evidence: Path
) -> None:
    """Delete an item with its custody and audit rows, then re-chain: the entries of other
    users after the gap no longer carry valid signatures of theirs."""
    create_case(officer, "C-9", "seizure")
    saved = ingest(officer, "C-9", [evidence]).saved
    add_user(admin, "bob", ["analyst"], PASSWORD)  # another user's entry after the ingest
    victim = saved[0]
    with DbSession(officer.engine) as db:
        rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    gone = {e.seq for e in rows if e.target == f"items:{victim}"}
    sql(officer, "DELETE FROM custody_events WHERE item_id=:i", i=victim)
    sql(officer, "DELETE FROM items WHERE id=:i", i=victim)
    keep = [e for e in rows if e.seq not in gone]
    sql(officer, "DELETE FROM audit WHERE seq >= :s", s=min(gone))
    prev, seq = next(e.hash for e in reversed(keep) if e.seq < min(gone)), min(gone)
    ws, mine = officer.signing_key(), _own_key(officer)
    with DbSession(officer.engine) as db, db.begin():
        for e in keep:
            if e.seq < min(gone):
                continue
            digest = entry_hash(prev, seq, e.at, e.actor, e.action, e.target, e.details)
            raw = bytes.fromhex(digest)
            db.add(
                AuditEntry(
                    seq=seq,
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    target=e.target,
                    details=e.details,
                    prev_hash=prev,
                    hash=digest,
                    signature=ws.sign(raw).hex(),
                    user_signature=mine.sign(raw).hex() if e.actor == OFFICER else e.user_signature,
                )
            )
            prev, seq = digest, seq + 1
    forged = [p for p in _problems(admin) if "not signed with user 'alice''s key" in p.what]
    assert forged, "the admin's later entries must fail their signature check"


def test_a_slot_planted_for_another_user_opens_nothing(admin: Session, officer: Session) -> None:
    """With the vault key the officer can write a slot that the admin's name and a password of
    the officer's choosing find; it holds keys that are not the admin's, so sign-in refuses."""
    folder, backend = place_of(admin), officer.backend  # the vault file: a file, or a row
    config = backend.load_config()
    planted = keys.UserKeys.generate()
    user_key = keys.password_key("officer's choice", "alice", config.salt, config.kdf)
    slot = keys.slot_id(user_key)
    config.slots[slot] = keys.Slot.make(
        planted, user_key, slot, config.vault_id, officer._vault_key
    ).encode()
    config.seal(keys.subkey(officer._vault_key, VAULT_FILE_KEY))
    backend.save_config(config)
    with pytest.raises(AuthenticationFailed):
        open_as(folder, "alice", "officer's choice").close()
    # And if the officer also rewrites the admin's public key in the user row, the row is named
    # as edited and every entry signed with the planted key fails.
    with officer.db() as db:
        alice = db.scalar(select(User.id).where(sealing.equals(db, User.name, "alice")))
    forge(officer, "users", "id = :id", {"id": alice}, signing_public=planted.public_hex)
    with open_as(folder, "alice", "officer's choice") as impostor:
        create_case(impostor, "C-X", "as admin")
    problems = _problems(admin)
    assert any(p.what.startswith("signing_public changed") for p in problems), problems
    assert any("not signed with user 'alice''s key" in p.what for p in problems), problems


def test_a_password_change_gives_new_keys_and_verifies(admin: Session, officer: Session) -> None:
    admin.close()  # the change rotates the vault key: it needs the vault to itself
    before = _own_key(officer).public_key().public_bytes_raw().hex()
    change_password(officer, OFFICER, "another long password")
    after = _own_key(officer).public_key().public_bytes_raw().hex()
    assert before != after
    create_case(officer, "C-5", "after the change")
    officer.close()
    admin = open_as(place_of(officer))
    assert _problems(admin) == []
    admin.close()
    with pytest.raises(AuthenticationFailed):
        open_as(place_of(admin), OFFICER, PASSWORD).close()
    open_as(place_of(admin), OFFICER, "another long password").close()


def test_weaker_kdf_written_with_the_vault_key_is_refused_and_named(
    admin: Session, officer: Session
) -> None:
    backend = officer.backend  # the vault file: a file, or the server's row
    config = backend.load_config()
    config.kdf = keys.KdfParams(memory_kib=8 * 1024 - 1, iterations=1, lanes=1)
    config.seal(keys.subkey(officer._vault_key, VAULT_FILE_KEY))
    backend.save_config(config)
    with pytest.raises(IntegrityFault, match="weaker"):
        add_user(admin, "carol", ["analyst"], PASSWORD)
    assert (
        Problem(
            vault_file_finding(admin),
            "kdf (weaker than the vault was created with) changed outside Custos",
        )
        in verify(admin).problems
    )


def test_an_edited_seizure_record_legitimised_by_an_own_entry_is_named(
    admin: Session, officer: Session, evidence: Path
) -> None:
    """The officer edits ``seized_from`` in the database and appends an entry of their own (valid
    signatures, a permission they hold) recording the row's new digest: an item never changes
    once acquired (corrections are custody events), so the second record is named."""
    create_case(officer, "C-7", "seizure")
    item_id = ingest(officer, "C-7", [evidence]).saved[0]
    with DbSession(officer.engine) as db, db.begin():
        item = db.get(Item, item_id)
        assert item is not None
        item.seized_from = "someone else"
        name = item.name
        db.flush()
        values = row_state(item)
        seq = (
            AuditLog(officer.signing_key(), _own_key(officer))
            .append(
                db,
                now(),
                OFFICER,
                "item.annotated",
                f"items:{item_id}",
                {"digest": state_digest(values), "columns": column_digests(values)},
            )
            .seq
        )
    problems = _problems(admin)
    assert [str(p) for p in problems] == [
        f"audit #{seq}: records item {item_id} ({name}) again (by 'olga'); "
        "it never changes once written"
    ]
