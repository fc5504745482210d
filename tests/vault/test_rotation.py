"""Vault-key rotation revokes: an old ``vault.toml`` plus an old password opens nothing current.

Real vaults on disk, the real ``age`` binary, no mocks. The attacker of these tests is an insider
who copied ``vault.toml`` while their password still worked (or before changing it), and later
holds a copy of the current vault folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlcipher3

from service.opener import recover
from vault import agefmt, keys
from vault.backend import Server
from vault.errors import AuthenticationFailed, UserError, VaultUnavailable
from vault.ingest import ingest
from vault.rotation import VaultRotationJob, rotate_vault_key
from vault.session import Session
from vault.users import add_user, change_password, disable_user
from vault.verify import verify
from vaultkit import (
    NEW_PASSWORD,
    PASSWORD,
    audit_rows,
    blob_files,
    key_from_vault_file,
    open_as,
    read_all_evidence,
    require_tool,
    stored_objects,
    vault_file_text,
)

# The tests that read the vault folder's own files (custos.db under a key, the blob files, the
# rotation marker) run locally; their server counterparts are tests/vault/test_server_rotation.py
# (every sealed cell, every object). The others run on both back ends.
FOLDER = pytest.mark.local_only(
    "reads the vault folder's files: on a server, tests/vault/test_server_rotation.py"
)


def _key_from_old_file(old_toml: Path, name: str, password: str) -> bytes:
    """What the insider computes offline: the vault key their slot in the old file opens."""
    return key_from_vault_file(old_toml.read_text(), name, password)


def _database_opens(path: Path, vault_key: bytes) -> bool:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = \"x'{keys.subkey(vault_key, 'database').hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


def _blobs_open(folder: Path, vault_key: bytes, tmp: Path) -> list[bool]:
    """For each blob: does the vault identity of ``vault_key`` open it (ours, then stock age)?"""
    identity = keys.vault_identity(vault_key)
    id_file = tmp / "insider-identity.txt"
    id_file.write_text(f"{identity}\n")
    age = require_tool("age")
    opened = []
    for path in blob_files(folder):
        try:
            agefmt.decrypt_bytes(path.read_bytes(), identity)
            ours = True
        except agefmt.AgeError:
            ours = False
        stock = subprocess.run([age, "-d", "-i", str(id_file), str(path)], capture_output=True)
        assert ours == (stock.returncode == 0)
        opened.append(ours)
    return opened


def _copy_file(folder: Path, to: Path) -> Path:
    to.mkdir()
    shutil.copy2(folder / "vault.toml", to / "vault.toml")
    return to / "vault.toml"


@pytest.fixture()
def stored(admin: Session, case: str, evidence: Path) -> Session:
    ingest(admin, case, [evidence])
    add_user(admin, "xavier", ["officer"], PASSWORD)
    return admin


@FOLDER
def test_disabled_users_old_vault_file_opens_nothing_current(
    stored: Session, vault_dir: Path, tmp_path: Path
) -> None:
    old = _copy_file(vault_dir, tmp_path / "kept")
    key = _key_from_old_file(old, "xavier", PASSWORD)
    # The insider's key opens the vault as it is before the disable (the test's method works).
    assert _database_opens(vault_dir / "custos.db", key)
    assert all(_blobs_open(vault_dir, key, tmp_path))
    disable_user(stored, "xavier")
    assert not _database_opens(vault_dir / "custos.db", key)
    opened = _blobs_open(vault_dir, key, tmp_path)
    assert opened and not any(opened)
    assert verify(stored).ok
    (entry,) = audit_rows(stored, "keys.vault_rotated")
    assert "xavier" in entry.details and key.hex() not in entry.details


@FOLDER
def test_old_password_and_old_vault_file_open_nothing_current(
    stored: Session, vault_dir: Path, tmp_path: Path
) -> None:
    stored.close()
    xavier = open_as(vault_dir, "xavier")
    old = _copy_file(vault_dir, tmp_path / "kept")
    change_password(xavier, "xavier", NEW_PASSWORD)  # their own: a non-admin rotates too
    xavier.close()
    key = _key_from_old_file(old, "xavier", PASSWORD)
    assert not _database_opens(vault_dir / "custos.db", key)
    assert not any(_blobs_open(vault_dir, key, tmp_path))
    admin = open_as(vault_dir)
    try:
        assert verify(admin).ok  # a user's own rotation is accepted along the chain
        assert audit_rows(admin, "keys.vault_rotated")[-1].actor == "xavier"
    finally:
        admin.close()
    open_as(vault_dir, "xavier", NEW_PASSWORD).close()


@FOLDER
def test_after_rotation_everything_verifies_reads_and_recovers(
    stored: Session, vault_dir: Path, tmp_path: Path, recovery_file: Path
) -> None:
    before = {p.name: p.read_bytes() for p in blob_files(vault_dir)}
    events: list[object] = []
    done = rotate_vault_key(stored, "scheduled rotation", events.append)
    assert done.blobs == len(before) > 0 and done.old_recipient != done.new_recipient
    assert "key card" in done.note
    after = {p.name: p.read_bytes() for p in blob_files(vault_dir)}
    assert after.keys() == before.keys()  # names are stable
    for name, data in after.items():  # headers differ, payloads are the same bytes
        old_payload = before[name][before[name].index(b"\n---") :].split(b"\n", 2)[2]
        assert data != before[name] and data.endswith(old_payload)
    assert events and getattr(events[-1], "done", 0) == getattr(events[-1], "total", -1)
    assert read_all_evidence(stored) == len(before)
    assert verify(stored).ok
    stored.close()
    age = require_tool("age")
    for path in blob_files(vault_dir):
        out = subprocess.run([age, "-d", "-i", str(recovery_file), str(path)], capture_output=True)
        assert out.returncode == 0, out.stderr
    session = open_as(vault_dir)  # every user's slot was resealed without their password
    session.close()
    open_as(vault_dir, "xavier").close()
    session = recover(vault_dir, recovery_file.read_text(), "alice", "a new admin password")
    try:
        assert verify(session).ok
        assert read_all_evidence(session) == len(before)
    finally:
        session.close()
    assert not (vault_dir / "rotation.pending").exists()
    assert not list(vault_dir.glob("*.rekey"))


def test_refused_while_another_session_has_the_vault_open(stored: Session, vault_dir: Path) -> None:
    other = open_as(vault_dir, "xavier")
    try:
        key_before = vault_file_text(vault_dir)
        with pytest.raises(VaultUnavailable, match="another Custos process has the vault open"):
            rotate_vault_key(stored, "while in use")
        with pytest.raises(VaultUnavailable, match="another Custos process"):
            disable_user(stored, "xavier")
        assert vault_file_text(vault_dir) == key_before  # nothing changed
        assert not audit_rows(stored, "keys.vault_rotated")
    finally:
        other.close()
    assert stored.may("keys.manage")
    disable_user(stored, "xavier")  # alone now: done


def test_a_reason_is_required_and_an_officer_may_not_rotate(
    stored: Session, vault_dir: Path
) -> None:
    with pytest.raises(UserError, match="say why"):
        rotate_vault_key(stored, "  ")
    stored.close()
    xavier = open_as(vault_dir, "xavier")
    try:
        from vault.errors import PermissionDenied

        with pytest.raises(PermissionDenied):
            VaultRotationJob(xavier, "me too").run(lambda e: None)
    finally:
        xavier.close()


def test_cancel_before_the_point_of_no_return_changes_nothing(
    stored: Session, vault_dir: Path
) -> None:
    from vault.errors import Cancelled
    from vault.jobs import CancelToken

    toml = vault_file_text(vault_dir)
    blobs = {o.name: o.read_bytes() for o in stored_objects(stored)}
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        VaultRotationJob(stored, "cancelled", token).run(lambda e: None)
    assert vault_file_text(vault_dir) == toml
    assert {o.name: o.read_bytes() for o in stored_objects(stored)} == blobs
    assert sorted(p.name for p in stored.folder.glob("*rekey*")) == []
    assert not (stored.folder / "rotation.pending").exists()
    assert verify(stored).ok
    assert not audit_rows(stored, "keys.vault_rotated")
    # cancelled on a server mid-transaction (between two tables): rolled back whole
    seen = []

    def cancel_later(event: object) -> None:
        seen.append(event)
        if len(seen) == 3:
            token2.cancel()

    token2 = CancelToken()
    if not stored.backend.local:
        with pytest.raises(Cancelled):
            VaultRotationJob(stored, "cancelled later", token2).run(cancel_later)
        assert vault_file_text(vault_dir) == toml
        assert {o.name: o.read_bytes() for o in stored_objects(stored)} == blobs
        assert verify(stored).ok
        assert not audit_rows(stored, "keys.vault_rotated")
    open_as(vault_dir, "xavier").close()


@FOLDER
def test_the_rotation_marker_never_holds_the_new_key(stored: Session) -> None:
    """The user being disabled holds K and may copy the folder mid-rotation: the marker names the
    new recipient only (an earlier version sealed K' to the old identity, handing it over)."""
    folder = stored.folder
    copied: dict[str, bytes] = {}

    def snoop(_: object) -> None:
        marker = folder / "rotation.pending"
        if marker.exists() and not copied:
            copied["marker"] = marker.read_bytes()

    rotate_vault_key(stored, "scheduled rotation", snoop)
    assert set(json.loads(copied["marker"])) == {"format", "new_vault_recipient"}


def test_password_change_and_disable_on_either_back_end(stored: Session, vault_dir: Path) -> None:
    """The same calls on a local vault and on an agency server: a password change (the old one
    opens nothing), a user disabled (refused from then on), everything else as it was."""
    before = vault_file_text(vault_dir)
    change_password(stored, "xavier", NEW_PASSWORD)
    assert vault_file_text(vault_dir) != before
    with pytest.raises(AuthenticationFailed):
        open_as(vault_dir, "xavier")
    open_as(vault_dir, "xavier", NEW_PASSWORD).close()
    disable_user(stored, "xavier")
    with pytest.raises(AuthenticationFailed):
        open_as(vault_dir, "xavier", NEW_PASSWORD)
    rotated = audit_rows(stored, "keys.vault_rotated")
    assert [json.loads(r.details)["trigger"] for r in rotated] == ["user.password", "user.disabled"]
    assert read_all_evidence(stored) > 0
    report = verify(stored)
    assert report.ok, report.problems
    stored.close()
    again = open_as(vault_dir)
    try:
        assert verify(again).ok
    finally:
        again.close()


def _disabled_unrotated(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """xavier disabled (committed) while the rotation that follows could not run (another
    process had the vault open): his slot is out of the vault file, the key still K."""
    from vault import users

    def refused(*args: object, **kwargs: object) -> None:
        raise VaultUnavailable("another Custos process has the vault open")

    with monkeypatch.context() as m:
        m.setattr(users, "rotate", refused)
        with pytest.raises(VaultUnavailable):
            disable_user(session, "xavier")


def _xavier_put_back_refused(
    stored: Session, vault_dir: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> str:
    """xavier disabled (his slot dropped, the rotation not run), an entry written and pinned
    after it; then his ``users`` row and the vault file with his slot put back, and ``edit``
    (SQL) run on the audit table. The next rotation must be refused: its one line, after
    checking that the vault file is as put back (nothing resealed to a new key)."""
    from sqlalchemy import select, text

    from vault.cases import create_case
    from vault.errors import IntegrityFault
    from vault.models import User
    from vaultkit import forge, write_vault_file

    kept_file = vault_file_text(vault_dir)
    with stored.db() as db:
        xavier = next(u for u in db.scalars(select(User)) if u.name == "xavier")
        xavier_id, xavier_slot = xavier.id, xavier.slot
    _disabled_unrotated(stored, monkeypatch)
    create_case(stored, "C-9", "Written after the disable", ["fraud"])  # pinned: past it
    write_vault_file(vault_dir, kept_file)
    forge(stored, "users", "id = :id", {"id": xavier_id}, disabled=False, slot=xavier_slot)
    with stored.engine.begin() as conn:
        conn.execute(text(edit))
    with pytest.raises(IntegrityFault) as refused:
        rotate_vault_key(stored, "scheduled rotation")
    assert vault_file_text(vault_dir) == kept_file  # nothing resealed to a new key
    line = str(refused.value)
    assert "\n" not in line and "not rotating" in line and "verify first" in line
    return line


def test_a_disabled_user_put_back_with_the_entry_cut_mid_chain_refuses_the_rotation(
    stored: Session, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An insider (the server's operator; locally, someone holding the vault key) colludes with
    xavier: his ``user.disabled`` entry is deleted from the middle of the chain (an entry this
    workstation wrote after it, and pinned, stays), and his ``users`` row and the vault file
    with his slot put back as they were. The latest entry of his still in the table then
    matches his row: the next rotation must not reseal his slot to the new key. It is refused
    in one line (the chain in the database is not contiguous and linked) and his password
    opens nothing it did not open before. Both back ends."""
    line = _xavier_put_back_refused(
        stored, vault_dir, monkeypatch, "DELETE FROM audit WHERE action = 'user.disabled'"
    )
    assert "contiguous" in line and "missing" in line


def test_a_disabled_user_put_back_with_the_entry_relabelled_refuses_the_rotation(
    stored: Session, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, but the ``user.disabled`` entry is not deleted: its plain ``action`` column is
    changed (to ``case.viewed``), so the chain keeps its count, its seqs and its links, and an
    entry of another action stands where it was. The rotation must recompute each entry's hash
    (as verify does), find the edit, and refuse in one line. Both back ends."""
    line = _xavier_put_back_refused(
        stored,
        vault_dir,
        monkeypatch,
        "UPDATE audit SET action = 'case.viewed' WHERE action = 'user.disabled'",
    )
    assert "does not match its hash (edited)" in line


def test_a_forged_entry_for_a_disabled_user_pinned_at_sign_in_refuses_the_rotation(
    stored: Session, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator cannot sign, but can write a whole entry with a right hash and link: the
    last entry becomes a ``user.roles`` of xavier recording the digest of his put-back row,
    its hash recomputed; a desk signing in then pins that head (as every desk does on a
    server). Hash, links and pin all hold, so the rotation must check the signature of every
    entry naming a user (not only those after the pin): refused in one line, his slot not
    resealed. Both back ends."""
    from sqlalchemy import select

    from vault.audit import Head, entry_hash, write_head_file
    from vault.cases import create_case
    from vault.errors import IntegrityFault
    from vault.models import AuditEntry, User, canonical, row_digest
    from vaultkit import forge, write_vault_file

    kept_file = vault_file_text(vault_dir)
    with stored.db() as db:
        xavier = next(u for u in db.scalars(select(User)) if u.name == "xavier")
        xavier_id, xavier_slot = xavier.id, xavier.slot
    _disabled_unrotated(stored, monkeypatch)
    create_case(stored, "C-9", "Written after the disable", ["fraud"])
    write_vault_file(vault_dir, kept_file)
    forge(stored, "users", "id = :id", {"id": xavier_id}, disabled=False, slot=xavier_slot)
    with stored.db() as db:
        digest = row_digest(db.get(User, xavier_id))
        last = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        seq, prev, at, actor = last.seq, last.prev_hash, last.at, last.actor
        station = last.workstation or ""
    target, details = f"users:{xavier_id}", canonical({"digest": digest})
    forged = entry_hash(prev, seq, at, actor, "user.roles", target, details, station)
    forge(stored, "audit", "seq = :seq", {"seq": seq}, action="user.roles")
    forge(stored, "audit", "seq = :seq", {"seq": seq}, target=target, details=details)
    forge(stored, "audit", "seq = :seq", {"seq": seq}, hash=forged)
    write_head_file(stored.pin_folder, Head(seq, forged))  # the next sign-in pins it
    with pytest.raises(IntegrityFault) as refused:
        rotate_vault_key(stored, "scheduled rotation")
    line = str(refused.value)
    assert "\n" not in line and "verify first" in line and f"audit #{seq} " in line
    assert "not valid" in line or "not signed" in line
    assert vault_file_text(vault_dir) == kept_file  # nothing resealed to a new key


def test_verify_names_a_slot_that_no_enabled_user_holds(
    stored: Session, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xavier is disabled, but the rotation that drops his slot for good has not run yet; the
    vault file as it was before (his slot in it, MACs still valid under K) is put back by
    whoever can write it (the folder's owner, the server's operator). Every field's MAC holds,
    his row is as the chain recorded it: verify must still name the slot no enabled user holds,
    in one line; and once his row is put back too (enabled, his slot), that it is his. Both
    back ends."""
    from sqlalchemy import select

    from vault.models import User
    from vaultkit import forge, write_vault_file

    kept_file = vault_file_text(vault_dir)
    with stored.db() as db:
        xavier = next(u for u in db.scalars(select(User)) if u.name == "xavier")
        xavier_id, slot = xavier.id, xavier.slot
    assert slot
    _disabled_unrotated(stored, monkeypatch)
    assert verify(stored).ok
    write_vault_file(vault_dir, kept_file)
    where = "vault_file" if isinstance(vault_dir, Server) else "vault.toml"
    report = verify(stored)
    assert [(p.where, p.what) for p in report.problems] == [
        (where, f"slot {slot} is held by no enabled user whose row is as the audit log recorded")
    ]
    forge(stored, "users", "id = :id", {"id": xavier_id}, disabled=False, slot=slot)
    found = [(p.where, p.what) for p in verify(stored).problems]
    assert (
        where,
        f"slot {slot} is held by no enabled user whose row is as the audit log recorded "
        "(user 'xavier': row edited outside Custos)",
    ) in found
    assert all("\n" not in what for _, what in found)
