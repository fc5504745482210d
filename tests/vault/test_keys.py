"""The key hierarchy as stored: Argon2id parameters, opaque slots, tamper-evident wrapping."""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path

import pytest

from vault.errors import AuthenticationFailed
from vault.session import init_vault, unlock
from vaultkit import PASSWORD


def test_default_kdf_is_memory_hard_and_recorded(tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    session, _ = init_vault(folder, "alice", PASSWORD)  # production parameters
    session.close()
    raw = tomllib.loads((folder / "vault.toml").read_text())
    assert raw["kdf"]["algorithm"] == "argon2id"
    assert raw["kdf"]["memory_kib"] >= 64 * 1024
    assert raw["kdf"]["iterations"] >= 3
    assert len(bytes.fromhex(raw["salt"])) == 16
    # one opaque slot for the one user: its id is not derived from the name alone
    assert list(raw["slots"]) and "alice" not in (folder / "vault.toml").read_text()
    with unlock(folder, "alice", PASSWORD) as s:
        assert s.user == "alice"


def test_a_tampered_slot_fails_like_a_wrong_password(tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    session, _ = init_vault(folder, "alice", PASSWORD)
    session.close()
    path = folder / "vault.toml"
    raw = tomllib.loads(path.read_text())
    _slot, value = next(iter(raw["slots"].items()))
    wrapped = bytearray(base64.b64decode(value))
    wrapped[-1] ^= 0x01
    text = path.read_text().replace(value, base64.b64encode(bytes(wrapped)).decode())
    path.write_text(text)
    with pytest.raises(AuthenticationFailed, match="unknown user or wrong password"):
        unlock(folder, "alice", PASSWORD)
    with pytest.raises(AuthenticationFailed, match="unknown user or wrong password"):
        unlock(folder, "alice", "not the password")
