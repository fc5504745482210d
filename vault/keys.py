"""The key hierarchy: one random vault key, reached per user through the user's own keys.

Each user has a random secret of their own, wrapped under a key derived from their password
(Argon2id). From the secret come the user's age identity and their Ed25519 signing key. The
user's slot in ``vault.toml`` holds the wrapped secret and the vault key sealed (age) to the
user's age recipient. So an admin can rotate the vault key and seal the new one to every user
without knowing a password, and a user's signing key is reachable only through that user's
password: holding the vault key does not let anyone sign as someone else.

A slot is found without storing the user's name: the password key is derived with salt
``SHA-256(vault salt || name)`` and the slot id is an HMAC under that key. So a wrong name and a
wrong password fail alike, and the file names nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vault import agefmt
from vault.agefmt import Identity

KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, recorded in vault.toml so they can be raised later."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def below(self, floor: KdfParams) -> bool:
        """Weaker than ``floor`` in memory or time (lanes add no cost to a guess)."""
        return self.memory_kib < floor.memory_kib or self.iterations < floor.iterations


# No slot is ever written under weaker parameters than these, whatever vault.toml says, nor
# under weaker ones than the vault was created with (recorded in its first, signed entry). The
# floor is low enough for the tests' fast vaults; the default is what a vault gets.
KDF_FLOOR = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
# No derivation is started ahead (``Derivation``, from a note a server's operator or anyone with
# this workstation's cache could have planted) above these: 1 GiB, 16 passes, 16 lanes. A vault
# made with more still opens; it only derives after reaching the server.
KDF_AHEAD_CEILING = KdfParams(memory_kib=1 << 20, iterations=16, lanes=16)


def plausible(params: KdfParams) -> bool:
    """Between ``KDF_FLOOR`` and ``KDF_AHEAD_CEILING`` in every setting (lanes at least 1)."""
    low, high = KDF_FLOOR, KDF_AHEAD_CEILING
    return (
        low.memory_kib <= params.memory_kib <= high.memory_kib
        and low.iterations <= params.iterations <= high.iterations
        and low.lanes <= params.lanes <= high.lanes
    )


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
        try:
            self.key = _derive(*self.args)
        except Exception:  # settings Argon2id refuses: the unlock derives (and says so) itself
            self.key = None

    def take(self, password: str, name: str, vault_salt: bytes, params: KdfParams) -> bytes | None:
        """The derived key if it was started for these arguments, else None at once (a
        derivation started for others is not waited for: it ends on its daemon thread, or with
        the process). Forgets the password and the key either way (a derivation is used once)."""
        same = self.args == (password, name, vault_salt, params)
        self.args = ("", "", b"", params)
        if not same:
            return None
        self.join()
        key, self.key = self.key, None
        return key


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
    return _argon2(salt, params).derive(password.encode("utf-8"))


def _argon2(salt: bytes, params: KdfParams) -> Argon2id:
    return Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )


def usable(params: KdfParams) -> KdfParams:
    """``params`` if Argon2id accepts them (nothing is derived), else ValueError, TypeError or
    OverflowError saying which setting is wrong (a vault file read says it is damaged)."""
    _argon2(bytes(16), params)
    return params


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


@dataclass(frozen=True)
class UserKeys:
    """A user's own keys, all from one random secret that only their password unwraps."""

    secret: bytes

    @classmethod
    def generate(cls) -> UserKeys:
        return cls(os.urandom(KEY_BYTES))

    @property
    def identity(self) -> Identity:
        return Identity(subkey(self.secret, "user-age-identity"))

    @property
    def signing(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(subkey(self.secret, "user-signing"))

    @property
    def public_hex(self) -> str:
        """The signing key's public half, as recorded in the user's audit entries."""
        return self.signing.public_key().public_bytes_raw().hex()


def public_key(hex_text: str) -> Ed25519PublicKey | None:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_text))
    except (ValueError, TypeError):
        return None


SLOT_VERSION = 2


@dataclass(frozen=True)
class Slot:
    """One user's way in: their secret under their password key, and the vault key sealed to
    their age recipient (resealed by a vault-key rotation without the password)."""

    wrapped_secret: bytes
    recipient: str
    sealed_key: bytes

    @classmethod
    def make(
        cls, user: UserKeys, user_key: bytes, slot: str, vault_id: str, vault_key: bytes
    ) -> Slot:
        context = f"{vault_id}{slot}".encode()
        recipient = user.identity.recipient
        return cls(
            wrap(user.secret, user_key, context),
            str(recipient),
            agefmt.encrypt_bytes(vault_key, [recipient]),
        )

    def open(self, user_key: bytes, slot: str, vault_id: str) -> tuple[UserKeys, bytes] | None:
        """(the user's keys, the vault key), or None for a wrong password or an altered slot."""
        secret = unwrap(self.wrapped_secret, user_key, f"{vault_id}{slot}".encode())
        if secret is None or len(secret) != KEY_BYTES:
            return None
        user = UserKeys(secret)
        if str(user.identity.recipient) != self.recipient:
            return None
        try:
            vault_key = agefmt.decrypt_bytes(self.sealed_key, user.identity)
        except agefmt.AgeError:
            return None
        return (user, vault_key) if len(vault_key) == KEY_BYTES else None

    def resealed(self, vault_key: bytes) -> Slot:
        """The same slot opening ``vault_key`` instead (a vault-key rotation)."""
        sealed = agefmt.encrypt_bytes(vault_key, [agefmt.Recipient.parse(self.recipient)])
        return Slot(self.wrapped_secret, self.recipient, sealed)

    def encode(self) -> bytes:
        parts = (self.wrapped_secret, self.recipient.encode(), self.sealed_key)
        return bytes([SLOT_VERSION]) + b"".join(len(p).to_bytes(2, "big") + p for p in parts)

    @classmethod
    def decode(cls, raw: bytes) -> Slot | None:
        """The slot, or None when ``raw`` is not one (altered, or an older format)."""
        if not raw or raw[0] != SLOT_VERSION:
            return None
        parts, at = [], 1
        for _ in range(3):
            if at + 2 > len(raw):
                return None
            size = int.from_bytes(raw[at : at + 2], "big")
            if at + 2 + size > len(raw):
                return None
            parts.append(raw[at + 2 : at + 2 + size])
            at += 2 + size
        if at != len(raw):
            return None
        try:
            recipient = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        return cls(parts[0], recipient, parts[2])
