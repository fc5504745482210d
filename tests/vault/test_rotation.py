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
from sqlalchemy import select

from service.opener import recover
from vault import agefmt, keys
from vault.backend import Server
from vault.config import VaultConfig
from vault.errors import UserError, VaultUnavailable
from vault.ingest import ingest
from vault.models import Blob
from vault.rotation import VaultRotationJob, rotate_vault_key
from vault.session import Session
from vault.users import add_user, change_password, disable_user
from vault.verify import verify
from vaultkit import (
    NEW_PASSWORD,
    PASSWORD,
    audit_rows,
    blob_files,
    open_as,
    require_tool,
    vault_file_text,
)

# Re-keying is SQLCipher's PRAGMA rekey and a re-wrap of the vault folder's files: a vault on an
# agency server refuses it (the last test here); the [server] runs of the others are left out.
pytestmark = pytest.mark.local_only(
    "vault-key rotation is local only: test_rotation_is_refused_on_an_agency_server_in_one_line"
)


def _key_from_old_file(old_toml: Path, name: str, password: str) -> bytes:
    """What the insider computes offline: the vault key their slot in the old file opens."""
    folder = old_toml.parent
    config = VaultConfig.load(folder)
    user_key = keys.password_key(password, name, config.salt, config.kdf)
    slot = keys.slot_id(user_key)
    parsed = keys.Slot.decode(config.slots[slot])
    assert parsed is not None
    opened = parsed.open(user_key, slot, config.vault_id)
    assert opened is not None
    return opened[1]


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


def _all_evidence_reads(session: Session) -> int:
    with session.db() as db:
        rows = list(db.scalars(select(Blob)))
    for row in rows:
        session.blobs.read_verified(row.name, row.sha256, row.name)
    return len(rows)


@pytest.fixture()
def stored(admin: Session, case: str, evidence: Path) -> Session:
    ingest(admin, case, [evidence])
    add_user(admin, "xavier", ["officer"], PASSWORD)
    return admin


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
    assert _all_evidence_reads(stored) == len(before)
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
        assert _all_evidence_reads(session) == len(before)
    finally:
        session.close()
    assert not (vault_dir / "rotation.pending").exists()
    assert not list(vault_dir.glob("*.rekey"))


def test_refused_while_another_session_has_the_vault_open(stored: Session, vault_dir: Path) -> None:
    other = open_as(vault_dir, "xavier")
    try:
        key_before = (vault_dir / "vault.toml").read_bytes()
        with pytest.raises(VaultUnavailable, match="another Custos process has the vault open"):
            rotate_vault_key(stored, "while in use")
        with pytest.raises(VaultUnavailable, match="another Custos process"):
            disable_user(stored, "xavier")
        assert (vault_dir / "vault.toml").read_bytes() == key_before  # nothing changed
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

    toml = (vault_dir / "vault.toml").read_bytes()
    blobs = {p: p.read_bytes() for p in blob_files(vault_dir)}
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        VaultRotationJob(stored, "cancelled", token).run(lambda e: None)
    assert (vault_dir / "vault.toml").read_bytes() == toml
    assert {p: p.read_bytes() for p in blob_files(vault_dir)} == blobs
    assert sorted(p.name for p in vault_dir.glob("*rekey*")) == []
    assert not (vault_dir / "rotation.pending").exists()
    assert verify(stored).ok


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


def test_rotation_is_refused_on_an_agency_server_in_one_line(
    server_alice: Session, server_place: Server
) -> None:
    """Every way to a new vault key (a rotation, a password change, a user disabled) is refused
    on a server in one line, and nothing changes: not the vault file, not the audit chain."""
    add_user(server_alice, "xavier", ["officer"], PASSWORD)
    before = vault_file_text(server_place)
    attempts = {
        "rotate": lambda: rotate_vault_key(server_alice, "scheduled rotation"),
        "password": lambda: change_password(server_alice, "xavier", NEW_PASSWORD),
        "disable": lambda: disable_user(server_alice, "xavier"),
    }
    for what, attempt in attempts.items():
        with pytest.raises(UserError) as refused:
            attempt()
        line = str(refused.value)
        assert line.endswith("rotating the vault key of an agency server is not possible yet")
        assert "\n" not in line, what
    assert vault_file_text(server_place) == before
    assert not audit_rows(server_alice, "keys.vault_rotated")
    assert not audit_rows(server_alice, "user.password")
    open_as(server_place, "xavier").close()  # still enabled, with the same password
    assert verify(server_alice).ok
