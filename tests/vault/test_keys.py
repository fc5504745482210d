"""The key hierarchy as stored: Argon2id parameters, opaque slots, tamper-evident wrapping."""

from __future__ import annotations

import base64
import threading
import tomllib
from pathlib import Path

import pytest

from service.opener import init_vault, unlock
from vault.backend import Server
from vault.cases import create_case
from vault.errors import AuthenticationFailed, PermissionDenied
from vault.rotation import rotate_signing_key
from vault.session import Session
from vault.users import add_user
from vault.verify import verify
from vaultkit import (
    FAST_KDF,
    PASSWORD,
    audit_rows,
    open_as,
    place_of,
    vault_file_text,
    write_vault_file,
)


def test_default_kdf_is_memory_hard_and_recorded(vault_dir: Path | Server) -> None:
    folder = vault_dir
    session, _ = init_vault(folder, "alice", PASSWORD)  # production parameters
    session.close()
    raw = tomllib.loads(vault_file_text(folder))
    assert raw["kdf"]["algorithm"] == "argon2id"
    assert raw["kdf"]["memory_kib"] >= 64 * 1024
    assert raw["kdf"]["iterations"] >= 3
    assert len(bytes.fromhex(raw["salt"])) == 16
    # one opaque slot for the one user: its id is not derived from the name alone
    assert list(raw["slots"]) and "alice" not in vault_file_text(folder)
    with unlock(folder, "alice", PASSWORD) as s:
        assert s.user == "alice"


def test_a_tampered_slot_fails_like_a_wrong_password(vault_dir: Path | Server) -> None:
    folder = vault_dir
    session, _ = init_vault(folder, "alice", PASSWORD)
    session.close()
    raw = tomllib.loads(vault_file_text(folder))
    _slot, value = next(iter(raw["slots"].items()))
    wrapped = bytearray(base64.b64decode(value))
    wrapped[-1] ^= 0x01
    text = vault_file_text(folder).replace(value, base64.b64encode(bytes(wrapped)).decode())
    write_vault_file(folder, text)
    with pytest.raises(AuthenticationFailed, match="unknown user or wrong password"):
        unlock(folder, "alice", PASSWORD)
    with pytest.raises(AuthenticationFailed, match="unknown user or wrong password"):
        unlock(folder, "alice", "not the password")


def test_signing_key_rotation_keeps_the_chain_verifying(admin: Session) -> None:
    before = admin.signing_public.public_bytes_raw().hex()
    new_public = rotate_signing_key(admin)
    assert new_public != before
    assert admin.signing_public.public_bytes_raw().hex() == new_public
    create_case(admin, "C-rot", "after rotation")
    assert verify(admin).ok
    entry = audit_rows(admin, "keys.signing_rotated")[-1]
    assert entry.details.count(new_public) == 1 and before in entry.details
    admin.close()
    with open_as(place_of(admin)) as again:  # the new key is the one loaded at the next unlock
        assert again.signing_public.public_bytes_raw().hex() == new_public
        assert verify(again).ok


def test_an_entry_signed_by_a_retired_key_is_found(admin: Session) -> None:
    old = admin._signing  # the key in force before the rotation
    rotate_signing_key(admin)
    admin.use_signing_key(old)  # a thief with only the old key appends an entry
    create_case(admin, "C-forged", "signed with the retired key")
    problems = [str(p) for p in verify(admin).problems]
    assert any("signature is not valid for the workstation key" in p for p in problems)


def test_only_admins_rotate_keys(admin: Session) -> None:
    add_user(admin, "olga", ["officer"], PASSWORD)
    admin.close()
    with open_as(place_of(admin), "olga") as olga, pytest.raises(PermissionDenied):
        rotate_signing_key(olga)


def test_a_key_derived_ahead_is_used_only_for_the_same_name_and_password() -> None:
    """The command line starts the derivation early; it must never stand in for another
    password or user (that would let a wrong password unlock)."""
    from vault import keys

    params, salt = FAST_KDF, b"\x01" * 16
    right = keys.password_key("right-password", "alice", salt, params)

    def ahead() -> keys.Derivation:
        return keys.Derivation("right-password", "alice", salt, params)

    assert keys.password_key("wrong-password", "alice", salt, params, ahead()) != right
    assert keys.password_key("right-password", "bob", salt, params, ahead()) != right
    started = ahead()
    assert keys.password_key("right-password", "alice", salt, params, started) == right
    # taken once: the password and the key are gone from it, the next call derives again
    assert started.key is None and "right-password" not in started.args
    assert keys.password_key("right-password", "alice", salt, params, started) == right


def test_a_derivation_for_other_settings_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """``take`` compares first: a derivation started from a planted note (other settings) is
    left to its daemon thread, never joined, so it cannot hold the sign-in."""
    from vault import keys

    release = threading.Event()
    monkeypatch.setattr(keys, "_derive", lambda *args: release.wait(60) and b"k" * 32)
    planted = keys.KdfParams(memory_kib=8 * 1024, iterations=16, lanes=1)
    started = keys.Derivation("pw", "alice", b"\x01" * 16, planted)
    try:
        assert started.take("pw", "alice", b"\x01" * 16, FAST_KDF) is None
        assert started.is_alive() and started.daemon  # not joined; cannot hold the exit
        assert "pw" not in started.args
    finally:
        release.set()
    started.join()
    assert started.key == b"k" * 32  # what it made is never handed out (args forgotten)


@pytest.mark.parametrize("lanes", [0, -1])
def test_a_derivation_argon2_refuses_ends_quietly(
    lanes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No traceback from thread ``custos-kdf``: the unlock derives again and says what is wrong."""
    from vault import keys

    died: list[object] = []
    monkeypatch.setattr(threading, "excepthook", died.append)
    started = keys.Derivation("pw", "alice", b"\x01" * 16, keys.KdfParams(8 * 1024, 1, lanes))
    started.join()
    assert started.key is None and died == []
