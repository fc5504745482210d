"""A received payload file staged for the blob store: hashed while encrypted, in one read.

Import (of a bundle folder, or of a ``.tar.age`` streamed from its decryptor) stores exactly
what it hashed: each payload file is read once, and every digest a manifest or an item needs
(SHA-256, SHA-1, MD5) is computed from the same chunks that are encrypted, to the vault's own
recipients, into a new file of the vault's private ``tmp/`` (``vault.storework.encrypt_into``,
the one store-one-file loop). Nothing reaches the blob store before every check passed
(``exchange.bundles`` moves the staged files in then); a staged file is ciphertext, so a process
killed meanwhile leaves nothing in clear. ``hash_only`` is the same read for ``bundle verify``,
which keeps nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vault import agefmt
from vault.hashing import Digests, MultiHasher
from vault.jobs import CancelToken
from vault.storework import Derivers, Sink, encrypt_into

Read = Callable[[int], bytes]


@dataclass(frozen=True)
class Staged:
    tmp: Path  # an age file to the vault's recipients, waiting to be moved into the store
    digests: Digests
    size: int
    derived: dict[str, Any] = field(default_factory=dict)  # by layer (a photo's PDQ hash)


class TooLong(Exception):
    """The source gave more bytes than it declared (a tar member longer than its header)."""


class _Discard:
    def write(self, data: bytes) -> None:
        pass


def _steps(cancel: CancelToken, limit: int | None) -> Callable[[int], bool]:
    read = 0

    def step(n: int) -> bool:
        nonlocal read
        cancel.check()
        read += n
        if limit is not None and read > limit:
            raise TooLong(read)
        return True

    return step


def stage(
    read: int | Read,
    expected: int,
    folder: Path,
    recipients: list[agefmt.Recipient],
    cancel: CancelToken,
    limit: int | None = None,
    derive: tuple[Derivers, str] | None = None,
) -> Staged:
    """Encrypt what ``read`` gives (a file descriptor or a stream's ``read``) into a new file
    under ``folder`` while hashing it. ``expected`` (about the size) decides whether the hashes
    run on threads; more bytes than ``limit`` raise ``TooLong``. Errors as ``encrypt_into``'s
    (``SourceFault``, ``VaultFault``); the new file is removed again on any failure.
    ``derive``: the layers' ``Derivers`` and the file's name in the bag: what they make of the
    bytes (a photo's PDQ hash, as at ingest) comes back in ``Staged.derived``."""
    tmp = folder / uuid.uuid4().hex
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    hasher = MultiHasher(expected)
    keep: list[bytes] | None = [] if derive and derive[0].wanted(derive[1], expected) else None
    try:
        sink = Sink(fd)
        enc = agefmt.Encryptor(sink, recipients)  # type: ignore[arg-type]
        size = encrypt_into(read, enc, hasher, _steps(cancel, limit), keep) or 0
        enc.close()
        sink.flush()
        digests = hasher.digests()
        derived = derive[0].run(derive[1], b"".join(keep)) if derive and keep is not None else {}
    except BaseException:
        hasher.close()
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return Staged(tmp, digests, size, derived)


def hash_only(
    read: int | Read, expected: int, cancel: CancelToken, limit: int | None = None
) -> tuple[str, int]:
    """(SHA-256, size) of what ``read`` gives; nothing is kept."""
    hasher = MultiHasher(expected, hash_sets=False)
    try:
        size = encrypt_into(read, _Discard(), hasher, _steps(cancel, limit)) or 0
        return hasher.hexdigest(), size
    finally:
        hasher.close()
