"""``vault.toml``: the only plaintext file of a vault.

It holds the format version, the KDF parameters, the wrapped key slots (opaque ids), the recovery
copy of the vault key (an age file to the recovery recipient, base64) and public keys. No name,
title or path is ever written here.
"""

from __future__ import annotations

import base64
import hmac
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from vault.errors import VaultUnavailable
from vault.fsutil import atomic_write
from vault.keys import KdfParams, usable

# 2: slots hold each user's own keys (vault.keys.Slot); 3: small objects in packs (vault.packs).
# A vault of format 2 is upgraded in place when it opens (vault.upgrade).
FORMAT = 3
OLDEST = 2  # the oldest format this Custos opens (and upgrades)
FILENAME = "vault.toml"


@dataclass
class VaultConfig:
    vault_id: str
    salt: bytes
    kdf: KdfParams
    vault_recipient: str
    recovery_recipient: str
    recovery_wrapped_key: bytes
    signing_public: str = ""
    # The recovery key's Ed25519 private half, an age file to the recovery recipient: only the
    # holder of the escrowed identity can sign the ``vault.recovered`` entry with it.
    recovery_signing_key: bytes = b""
    slots: dict[str, bytes] = field(default_factory=dict)
    format: int = FORMAT
    # Per-field MACs (``[auth]``): HMAC-SHA256 under a subkey of the vault key, so the file
    # cannot be changed by anyone without the vault key (a thief of the disk, a user without a
    # password). Checked at every unlock and by verify, which name the changed field.
    auth: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> VaultConfig:
        path = folder / FILENAME
        if not path.is_file():
            raise VaultUnavailable(f"{folder}: not a Custos vault (no {FILENAME})")
        try:
            text = path.read_text("utf-8")
        except (OSError, ValueError) as exc:
            raise VaultUnavailable(f"{path}: damaged vault file ({exc})") from None
        return cls.parse(text, folder, path)

    @classmethod
    def parse(cls, text: str, folder: Path | str, path: Path | str) -> VaultConfig:
        """The settings in ``text`` (a ``vault.toml``'s, or an agency server's ``vault_file``
        row); ``folder`` and ``path`` name where it came from in a refusal."""
        try:
            raw = tomllib.loads(text)
            fmt = int(raw["format"])
            if fmt > FORMAT:
                raise VaultUnavailable(
                    f"{folder}: vault format {fmt} is newer than this Custos understands "
                    f"({FORMAT}); update Custos"
                )
            if fmt < OLDEST:
                raise VaultUnavailable(
                    f"{folder}: vault format {fmt} was made by an earlier Custos whose users "
                    "share one key; it cannot be opened here (export its cases with that version)"
                )
            kdf = raw["kdf"]
            keys = raw["keys"]
            return cls(
                vault_id=raw["vault_id"],
                salt=bytes.fromhex(raw["salt"]),
                kdf=usable(KdfParams(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])),
                vault_recipient=keys["vault_recipient"],
                recovery_recipient=keys["recovery_recipient"],
                recovery_wrapped_key=base64.b64decode(keys["recovery_wrapped_key"]),
                signing_public=keys.get("signing_public", ""),
                recovery_signing_key=base64.b64decode(keys.get("recovery_signing_key", "")),
                slots={k: base64.b64decode(v) for k, v in raw.get("slots", {}).items()},
                format=fmt,
                auth={str(k): str(v) for k, v in raw.get("auth", {}).items()},
            )
        except (KeyError, ValueError, TypeError, OverflowError, tomllib.TOMLDecodeError) as exc:
            raise VaultUnavailable(f"{path}: damaged vault file ({exc})") from None

    def _fields(self) -> dict[str, str]:
        """Every field that decides where keys and blobs go, as the text its MAC covers."""
        b64 = base64.b64encode
        return {
            "format": str(self.format),
            "salt": self.salt.hex(),
            "kdf": f"{self.kdf.memory_kib}/{self.kdf.iterations}/{self.kdf.lanes}",
            "vault_recipient": self.vault_recipient,
            "recovery_recipient": self.recovery_recipient,
            "recovery_wrapped_key": b64(self.recovery_wrapped_key).decode(),
            "signing_public": self.signing_public,
            "recovery_signing_key": b64(self.recovery_signing_key).decode(),
            "slots": ",".join(f"{k}={b64(v).decode()}" for k, v in sorted(self.slots.items())),
        }

    def _macs(self, key: bytes) -> dict[str, str]:
        return {
            name: hmac.new(key, f"{self.vault_id}\n{name}\n{value}".encode(), "sha256").hexdigest()
            for name, value in self._fields().items()
        }

    def seal(self, key: bytes) -> None:
        """Compute the MACs (``key``: the vault's ``vault-file`` subkey); ``save`` writes them."""
        self.auth = self._macs(key)

    def changed_fields(self, key: bytes) -> list[str]:
        """The fields whose MAC does not match (all of them when the file carries none)."""
        expected = self._macs(key)
        return [
            name
            for name, mac in expected.items()
            if not hmac.compare_digest(self.auth.get(name, ""), mac)
        ]

    def save(self, folder: Path, name: str = FILENAME) -> None:
        atomic_write(folder / name, self.text().encode(), mode=0o600)

    def text(self) -> str:
        """The file's text (what ``save`` writes, ``parse`` reads)."""
        b64 = base64.b64encode
        lines = [
            "# Custos vault. Everything secret here is encrypted; see docs/ARCHITECTURE.md.",
            f"format = {self.format}",
            f'vault_id = "{self.vault_id}"',
            f'salt = "{self.salt.hex()}"',
            "",
            "[kdf]",
            'algorithm = "argon2id"',
            f"memory_kib = {self.kdf.memory_kib}",
            f"iterations = {self.kdf.iterations}",
            f"lanes = {self.kdf.lanes}",
            "",
            "[keys]",
            f'vault_recipient = "{self.vault_recipient}"',
            f'recovery_recipient = "{self.recovery_recipient}"',
            f'recovery_wrapped_key = "{b64(self.recovery_wrapped_key).decode()}"',
            f'signing_public = "{self.signing_public}"',
            f'recovery_signing_key = "{b64(self.recovery_signing_key).decode()}"',
            "",
            "[slots]",
            *(f'{k} = "{b64(v).decode()}"' for k, v in sorted(self.slots.items())),
            "",
            "[auth]",
            *(f'{k} = "{v}"' for k, v in sorted(self.auth.items())),
        ]
        return "\n".join(lines) + "\n"


def is_vault(folder: Path) -> bool:
    return (folder / FILENAME).is_file() and os.access(folder / FILENAME, os.R_OK)
