"""The key hierarchy: one random vault key, wrapped per user under Argon2id, subkeys by HKDF.

A user's slot in ``vault.toml`` is found without storing the user's name: the Argon2id key is
derived from the password with salt ``SHA-256(vault salt || name)``, and the slot id is an HMAC
under that key. So a wrong name and a wrong password fail alike, and the file names nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault.agefmt import Identity

KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, recorded in vault.toml so they can be raised later."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4


def new_vault_key() -> bytes:
    return os.urandom(KEY_BYTES)


class Derivation(threading.Thread):
    """A user's key derivation started early, so it runs while the caller does other work.

    Argon2id releases the GIL: the command line starts one before importing the command's
    modules (about 0.4 s holding the GIL), which hides most of the derivation, and hands it to
    ``password_key`` explicitly; it is used only if the arguments are the same.
    """

    def __init__(self, password: str, name: str, vault_salt: bytes, params: KdfParams) -> None:
        super().__init__(daemon=True, name="custos-kdf")
        self.args = (password, name, vault_salt, params)
        self.key: bytes | None = None
        self.start()

    def run(self) -> None:
        self.key = _derive(*self.args)

    def take(self, password: str, name: str, vault_salt: bytes, params: KdfParams) -> bytes | None:
        """The derived key if it was started for these arguments, else None. Forgets the
        password and the key either way (a derivation is used once)."""
        self.join()
        key, self.key = self.key, None
        same = self.args == (password, name, vault_salt, params)
        self.args = ("", "", b"", params)
        return key if same else None


def password_key(
    password: str,
    name: str,
    vault_salt: bytes,
    params: KdfParams,
    ahead: Derivation | None = None,
) -> bytes:
    if ahead is not None:
        key = ahead.take(password, name, vault_salt, params)
        if key is not None:
            return key
    return _derive(password, name, vault_salt, params)


def _derive(password: str, name: str, vault_salt: bytes, params: KdfParams) -> bytes:
    salt = hashlib.sha256(vault_salt + name.encode("utf-8")).digest()[:16]
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(password.encode("utf-8"))


def slot_id(user_key: bytes) -> str:
    return hmac.new(user_key, b"custos slot id", hashlib.sha256).hexdigest()[:32]


def wrap(key: bytes, wrapping_key: bytes, context: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + ChaCha20Poly1305(wrapping_key).encrypt(nonce, key, context)


def unwrap(blob: bytes, wrapping_key: bytes, context: bytes) -> bytes | None:
    """The wrapped key, or None when the wrapping key is wrong or the slot was altered."""
    try:
        return ChaCha20Poly1305(wrapping_key).decrypt(blob[:12], blob[12:], context)
    except (InvalidTag, ValueError):
        return None


def subkey(vault_key: bytes, purpose: str) -> bytes:
    """A key for one purpose only (database, blob names, age identity)."""
    info = b"custos/v1/" + purpose.encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(vault_key)


def vault_identity(vault_key: bytes) -> Identity:
    """The vault's own age identity, derived so it never needs storing."""
    return Identity(subkey(vault_key, "age-identity"))
