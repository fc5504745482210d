"""A spool on the workstation's disk for what does not fit in memory (the sorted runs of a hash
set read back from a server, an export being written), never readable there.

The file is made in the vault's private ``tmp/`` (the vault folder, or on an agency server this
workstation's folder for it: ``Session.folder``), 0600, ``O_EXCL|O_NOFOLLOW``, and unlinked at
once: it has no name while it is used and nothing is left of it when the process ends, however
it ends. What is written is sealed in frames (ChaCha20-Poly1305 under a random key that exists
only in this process's memory, the frame's number as nonce and associated data bound to its
offset), so the disk blocks never hold a plain byte of it either (SECURITY, "no hash readable in
the vault folder, WAL and temp files included").

A spool is written once, front to back (``write`` returns where each part starts), then read as
many times as wanted, any part from its start (``read``), by several readers at once (``pread``).
"""

from __future__ import annotations

import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

FRAME = 256 << 10  # plain bytes per sealed frame (a merge of k runs holds about k frames)
_HEAD = struct.Struct("<I")  # the frame's sealed length
_AT = struct.Struct("<Q")  # the frame's offset, bound as associated data (a spool may pass 4 GiB)
_TAG = 16


class Spool:
    """An anonymous, sealed file in ``folder``; close it (or leave the ``with``) when done."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"spool-{os.getpid()}-{secrets.token_hex(8)}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        self._fd = os.open(path, flags, 0o600)
        os.unlink(path)
        self._aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
        self._frames = 0
        self.size = 0  # bytes on disk
        self.plain = 0  # plain bytes written

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _nonce(self) -> bytes:
        self._frames += 1
        return self._frames.to_bytes(12, "little")

    def write(self, data: bytes | memoryview) -> tuple[int, int]:
        """Append ``data``; returns (offset, length) to ``read`` it back by."""
        start, view = self.size, memoryview(data)
        for at in range(0, len(view), FRAME):
            part = view[at : at + FRAME]
            nonce = self._nonce()
            sealed = self._aead.encrypt(nonce, bytes(part), _AT.pack(self.size))
            frame = _HEAD.pack(len(sealed)) + nonce + sealed
            os.pwrite(self._fd, frame, self.size)
            self.size += len(frame)
        self.plain += len(view)
        return start, self.size - start

    def read(self, offset: int, length: int) -> Iterator[bytes]:
        """The plain bytes of what ``write`` put at (offset, length), frame by frame."""
        end = offset + length
        while offset < end:
            head = os.pread(self._fd, _HEAD.size + 12, offset)
            (sealed_len,) = _HEAD.unpack_from(head)
            nonce = head[_HEAD.size :]
            sealed = os.pread(self._fd, sealed_len, offset + len(head))
            if len(sealed) != sealed_len or sealed_len < _TAG:
                raise OSError(f"spool truncated at {offset}")
            yield self._aead.decrypt(nonce, sealed, _AT.pack(offset))
            offset += len(head) + sealed_len
