"""Packs: many small objects in one age file (vault format 3).

A seized phone is hundreds of thousands of small files; one age file each cost a file creation
and two X25519 wraps per object and made a vault folder of a million files. Objects smaller than
``PACK_MAX`` that ingest stores by the hundred go into packs instead::

    packs/ab/<pack name>     pack name: 32 random hex digits (says nothing about the content)

A pack is a standard age v1 file (the same two recipients as every blob: the vault's own and the
agency's recovery recipient) whose plaintext is a POSIX ustar archive::

    <sha256 hex>       one member per object, named by the SHA-256 of its content, mode 0600,
    <sha256 hex>       mtime 0, uid/gid 0; its data starts at a 512-byte boundary
    ...
    index.jsonl        last member: one JSON object per line per object:
                       {"sha256": ..., "size": ..., "offset": ..., "name": source path}
    (two zero blocks)

so ``age -d -i recovery.txt PACK | tar -x`` gives every object back with stock tools, each file's
``sha256sum`` equal to its name, and ``index.jsonl`` says where each came from (the database,
recoverable the same way, names the items). The ``blobs`` row of a packed object records its
pack and the plaintext offset of its data (``pack``, ``pack_offset``); the blob name stays the
keyed HMAC of its SHA-256, so deduplication is the same for loose and packed objects.

Packs are immutable: written once into ``tmp/``, renamed into ``packs/``, never changed (a
vault-key rotation writes a new header in front of the same payload bytes, as for blobs), so an
object store can hold them as they are.

Reading one object does not decrypt its pack: age's STREAM encrypts 64 KiB chunks each with its
own nonce (the chunk counter), so ``read_object`` opens the header (one X25519 unwrap), seeks to
the chunks that hold the object and decrypts only those (an object under ``PACK_MAX`` spans at
most two). The last chunk of the file is known from the file size, so truncation is still caught.

This module needs nothing of the vault but ``agefmt``: ingest's worker processes write packs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tarfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from vault import agefmt

PACK_MAX = 64 * 1024  # objects below this size go into packs (one STREAM chunk)
INDEX = "index.jsonl"
BLOCK = 512
_SEALED = agefmt.CHUNK + agefmt.TAG


def _tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = 0
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")


# ``tarfile``'s own header with the name left empty: every member's header differs from it only
# in the name, the size and the checksum, so a small file's header costs a copy and a sum
# instead of tarfile's ~20 us of Python per member (the same bytes: tests/vault/test_packs.py).
_TEMPLATE = bytes(100) + _tar_header("x", 0)[100:]
_SIZE0 = _TEMPLATE[124:136]  # the size field of size 0
_SUM = sum(_TEMPLATE[:148]) + 8 * ord(" ") + sum(_TEMPLATE[156:])  # checksum field as spaces


def _header(name: str, size: int) -> bytes:
    raw = name.encode()
    if len(raw) > 100 or size >= 8**11:
        return _tar_header(name, size)
    size_field = b"%011o\0" % size
    checksum = _SUM + sum(raw) + sum(size_field) - sum(_SIZE0)
    buf = bytearray(_TEMPLATE)
    buf[: len(raw)] = raw
    buf[124:136] = size_field
    buf[148:155] = b"%06o\0" % checksum  # byte 155 stays the space tarfile leaves there
    return bytes(buf)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


class PackWriter:
    """Writes one pack into ``folder`` (the vault's ``tmp/``): ``add`` objects, then ``seal``.

    Memory holds one age chunk and the index; an object repeated in the pack is stored once.
    ``seal`` does not fsync: ingest makes the pack durable with ``syncfs`` before the commit
    that records its objects (the same order as for blobs)."""

    def __init__(self, folder: str, recipients: list[agefmt.Recipient]) -> None:
        self.name = uuid.uuid4().hex
        self.path = os.path.join(folder, self.name)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._fh: BinaryIO = os.fdopen(fd, "wb", buffering=1 << 20)
        self._enc = agefmt.Encryptor(self._fh, recipients)
        self._pos = 0
        self._offsets: dict[str, int] = {}
        self._index: list[bytes] = []

    def __len__(self) -> int:
        return len(self._offsets)

    @property
    def size(self) -> int:
        return self._pos

    def _write(self, data: bytes) -> None:
        self._enc.write(data)
        self._pos += len(data)

    def add(self, sha256: str, data: bytes, name: str = "") -> int:
        """Add an object (its SHA-256 hex computed by the caller); returns its data offset."""
        offset = self._offsets.get(sha256)
        if offset is not None:
            return offset
        self._write(_header(sha256, len(data)))
        offset = self._pos
        self._write(data + _padding(len(data)))
        self._offsets[sha256] = offset
        entry = {"sha256": sha256, "size": len(data), "offset": offset, "name": name}
        self._index.append(json.dumps(entry, ensure_ascii=True).encode() + b"\n")
        return offset

    def seal(self) -> None:
        index = b"".join(self._index)
        self._write(_header(INDEX, len(index)))
        self._write(index + _padding(len(index)) + b"\0" * (2 * BLOCK))
        self._enc.close()
        self._fh.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _payload(
    fh: BinaryIO, identities: agefmt.Identities, total: int | None = None
) -> tuple[ChaCha20Poly1305, int, int, int]:
    """The payload cipher, the payload's start, its number of chunks and the pack's end
    (``total``: the pack's size, when ``fh`` holds only its beginning or more than the pack's
    recorded bytes)."""
    file_key = agefmt.read_file_key(fh, identities)
    nonce = fh.read(16)
    if len(nonce) != 16:
        raise agefmt.AgeError("truncated payload")
    start = fh.tell()
    end = os.fstat(fh.fileno()).st_size if total is None else total
    chunks = max(1, -(-(end - start) // _SEALED))
    return ChaCha20Poly1305(agefmt.hkdf(file_key, nonce, b"payload")), start, chunks, end


def read_object(
    path: str, identities: agefmt.Identities, offset: int, size: int, total: int | None = None
) -> bytes:
    """``size`` bytes at plaintext ``offset`` of the pack at ``path``, decrypting only the
    chunks that hold them; ``AgeError`` if any of those fails authentication. ``total``: the
    pack's recorded size (the file is read as if it ended there; else the file's size)."""
    with open(path, "rb") as fh:
        aead, start, chunks, end = _payload(fh, identities, total)
        if size == 0:
            return b""
        first, last = offset // agefmt.CHUNK, (offset + size - 1) // agefmt.CHUNK
        if last >= chunks:
            raise agefmt.AgeError("truncated payload")
        at = start + first * _SEALED
        fh.seek(at)
        sealed = fh.read(_span(at, last - first + 1, end))
    return _opened(aead, chunks, first, last, sealed, offset, size)


# An age header to two X25519 recipients is ~330 bytes; a header is read in one request of
# this size (a larger one, e.g. more recipients, costs a second).
_HEAD = 4096


def read_object_ranged(
    read: Callable[[int, int], bytes],
    total: int,
    identities: agefmt.Identities,
    offset: int,
    size: int,
) -> bytes:
    """``read_object`` of a pack in an object store: ``read(offset, size)`` gives a byte range
    of the pack, ``total`` its size. Two ranged reads: the header, the chunks that hold the
    object; nothing else of the pack is fetched."""
    head = read(0, min(total, _HEAD))
    try:
        aead, start, chunks, end = _payload(io.BytesIO(head), identities, total)
    except agefmt.AgeError:
        if len(head) >= total:
            raise
        aead, start, chunks, end = _payload(io.BytesIO(read(0, total)), identities, total)
    if size == 0:
        return b""
    first, last = offset // agefmt.CHUNK, (offset + size - 1) // agefmt.CHUNK
    if last >= chunks:
        raise agefmt.AgeError("truncated payload")
    at = start + first * _SEALED
    sealed = read(at, _span(at, last - first + 1, end))
    return _opened(aead, chunks, first, last, sealed, offset, size)


def _span(at: int, n: int, end: int) -> int:
    """The bytes of ``n`` sealed chunks from ``at``, never past the pack's ``end`` as its size
    says (the last chunk may be short): a larger file's excess is never read."""
    return max(0, min(n * _SEALED, end - at))


def _opened(
    aead: ChaCha20Poly1305,
    chunks: int,
    first: int,
    last: int,
    sealed: bytes,
    offset: int,
    size: int,
) -> bytes:
    plain = []
    for i in range(first, last + 1):
        part = sealed[(i - first) * _SEALED : (i - first + 1) * _SEALED]
        try:
            plain.append(aead.decrypt(agefmt.stream_nonce(i, i == chunks - 1), part, None))
        except InvalidTag:
            raise agefmt.AgeError(f"payload chunk {i} failed authentication") from None
    skip = offset - first * agefmt.CHUNK
    data = b"".join(plain)[skip : skip + size]
    if len(data) != size:
        raise agefmt.AgeError("truncated payload")
    return data


@dataclass
class PackContent:
    """A whole pack decrypted (verify): the plaintext and the chunks that failed (zeroed)."""

    plain: bytearray
    bad_chunks: set[int]

    def damaged(self, offset: int, size: int) -> bool:
        """Whether the object at ``offset`` lies (partly) in a chunk that failed, or past the
        end of what the pack holds."""
        if offset + size > len(self.plain):
            return True
        first, last = offset // agefmt.CHUNK, (offset + max(size, 1) - 1) // agefmt.CHUNK
        return any(i in self.bad_chunks for i in range(first, last + 1))


def read_pack(path: str, identities: agefmt.Identities) -> PackContent:
    """Decrypt a whole pack, authenticating every chunk; a chunk that fails is remembered (and
    zeroed) so the objects in the others are still checked. ``AgeError`` if the header fails
    (then no object of the pack can be read)."""
    with open(path, "rb") as fh:
        return read_pack_file(fh, identities)


def read_pack_file(
    fh: BinaryIO, identities: agefmt.Identities, total: int | None = None
) -> PackContent:
    """``read_pack`` of an open pack file: its first ``total`` bytes (the recorded size), else
    the file's size (a real file: taken from it). Nothing past ``total`` is read."""
    aead, _start, chunks, end = _payload(fh, identities, total)
    plain = bytearray()
    bad: set[int] = set()
    for i in range(chunks):
        part = fh.read(max(0, min(_SEALED, end - fh.tell())))
        try:
            plain += aead.decrypt(agefmt.stream_nonce(i, i == chunks - 1), part, None)
        except InvalidTag:
            bad.add(i)
            plain += bytes(max(0, min(agefmt.CHUNK, len(part) - agefmt.TAG)))
    return PackContent(plain, bad)
