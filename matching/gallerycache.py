"""A persistent, encrypted and authenticated copy of a large watchlist's gallery.

Loading a watchlist of a million references from the database means SQLCipher decrypting ~1 GB
of pages (4-5 s); this file holds just the matrix and ids (~0.5 GB) and decrypts in a fraction of
that. One file per watchlist in ``<vault>/cache/``, named by HMAC-SHA256 of the watchlist id
under the vault subkey ``gallery-cache`` (the name reveals nothing), sealed with a key derived
from that same subkey: symmetric and authenticated, so only a holder of the vault key can write
one. (Not age to the vault's public recipient: anyone can write such a file, and a forged cache
could hide a subject from an alert.)

Layout::

    salt (32 random bytes)
    header length (u32 little endian) || header: ChaCha20-Poly1305, nonce counter 0,
        associated data = label || salt || header length; JSON of the format, watchlist id,
        audit sequence number and largest reference / subject ids it reflects, the hash of the
        audit entry at that number (the history it reflects), model name and version, row count
        and chunk size
    payload: the embeddings (float32, rows x 128), reference ids, subject ids and each row's
        expiry (ordinal day or -1; all int64), each part cut in chunks of ``chunk`` bytes, every
        chunk sealed with the next nonce counter (11 bytes) and a last-chunk flag (age's STREAM)

The file key is HKDF-SHA256(subkey, salt, label). Any tag failure, a truncated or over-long file,
or a header that does not describe the vault's current state reads as "no cache": the caller
loads from the database and writes a new one (atomically: a temp file in the vault's ``tmp/``,
then ``os.replace``). Expired rows are kept with their expiry day: the reader drops them by
today's date, so a new day needs no rewrite.

On an agency server the file is in this workstation's folder for that server vault
(``vault.backend.server_folder``: one per database and bucket), not with the database: a
database restored from a backup can reach the same sequence number and largest ids again with
other rows. The entry hash at the header's sequence number tells the two histories apart (the
audit chain: an entry's hash covers every entry before it).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import BinaryIO

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from matching.faces import EMBEDDING_DIM
from matching.watchlists import WatchlistRows
from vault.agefmt import hkdf, stream_nonce
from vault.session import Session

log = logging.getLogger(__name__)

FORMAT = 2  # 2: the header holds the audit entry hash at its sequence number
CACHE_DIR = "cache"
SUBKEY = "gallery-cache"
CHUNK = 4 * 2**20  # plaintext bytes per sealed chunk
_MIN_CHUNK, _MAX_CHUNK = 2**20, 16 * 2**20
_LABEL = b"custos gallery cache v1"
_SALT = 32
_TAG = 16
_MAX_HEADER = 4096


@dataclass(frozen=True)
class CacheHeader:
    watchlist: int
    seq: int  # audit entries up to this sequence number are reflected
    max_ids: tuple[int | None, int | None]  # largest reference id, largest subject id
    model: str
    model_version: str
    rows: int
    chunk: int = CHUNK
    head: str = ""  # the hash of the audit entry numbered ``seq``


class _Unusable(Exception):
    """The file is damaged, forged, truncated or of another format (reads as no cache)."""


def _subkey(session: Session) -> bytes:
    return session.subkey(SUBKEY)


def cache_path(session: Session, watchlist_id: int) -> Path:
    name = hmac.new(_subkey(session), f"watchlist:{watchlist_id}".encode(), sha256).hexdigest()
    return session.folder / CACHE_DIR / name


def _parts(rows: int) -> list[tuple[int, np.dtype]]:
    """(item count, dtype) of each payload part, in file order."""
    i64 = np.dtype(np.int64)
    return [(rows * EMBEDDING_DIM, np.dtype(np.float32)), (rows, i64), (rows, i64), (rows, i64)]


def _chunks(size: int, chunk: int) -> int:
    return -(-size // chunk)


def _file_size(header_len: int, h: CacheHeader) -> int:
    payload = [n * dt.itemsize for n, dt in _parts(h.rows)]
    return _SALT + 4 + header_len + sum(payload) + _TAG * sum(_chunks(p, h.chunk) for p in payload)


def _read_exact(src: BinaryIO, view: memoryview) -> None:
    got = 0
    while got < len(view):
        n = src.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            raise _Unusable("truncated")
        got += n


def read(
    session: Session, watchlist_id: int, valid: Callable[[CacheHeader], bool]
) -> WatchlistRows | None:
    """The cached rows of a watchlist, or None when there is no usable cache: missing,
    unreadable, failing authentication anywhere, of another size, or ``valid(header)`` false."""
    path = cache_path(session, watchlist_id)
    try:
        src = open(path, "rb", buffering=0)  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.debug("gallery cache of watchlist %d unreadable: %s", watchlist_id, exc)
        return None
    with src:
        try:
            return _read(src, _subkey(session), watchlist_id, valid)
        except (_Unusable, InvalidTag, ValueError, KeyError, TypeError, OSError) as exc:
            log.debug("gallery cache of watchlist %d ignored: %r", watchlist_id, exc)
            return None


def _read(
    src: BinaryIO, subkey: bytes, watchlist_id: int, valid: Callable[[CacheHeader], bool]
) -> WatchlistRows | None:
    head = bytearray(_SALT + 4)
    _read_exact(src, memoryview(head))
    salt, header_len = bytes(head[:_SALT]), struct.unpack("<I", head[_SALT:])[0]
    if not _TAG < header_len <= _MAX_HEADER:
        raise _Unusable("header length")
    sealed = bytearray(header_len)
    _read_exact(src, memoryview(sealed))
    aead = ChaCha20Poly1305(hkdf(subkey, salt, _LABEL))
    plain = aead.decrypt(stream_nonce(0, False), bytes(sealed), _LABEL + bytes(head))
    fields = json.loads(plain)
    if fields.pop("format") != FORMAT:
        raise _Unusable("format")
    max_ids = fields.pop("max_ids")
    h = CacheHeader(max_ids=(max_ids[0], max_ids[1]), **fields)
    if h.watchlist != watchlist_id or not _MIN_CHUNK <= h.chunk <= _MAX_CHUNK or h.rows <= 0:
        raise _Unusable("header")
    if os.fstat(src.fileno()).st_size != _file_size(header_len, h):
        raise _Unusable("size")
    if not valid(h):
        log.debug("gallery cache of watchlist %d is stale", watchlist_id)
        return None
    arrays = [np.empty(n, dt) for n, dt in _parts(h.rows)]
    ct = bytearray(h.chunk + _TAG)
    ct_view = memoryview(ct)
    counter = 1
    total = sum(_chunks(a.nbytes, h.chunk) for a in arrays)
    for a in arrays:
        out = a.data.cast("B")
        for pos in range(0, a.nbytes, h.chunk):
            n = min(h.chunk, a.nbytes - pos)
            _read_exact(src, ct_view[: n + _TAG])
            aead.decrypt_into(
                stream_nonce(counter, counter == total),
                ct_view[: n + _TAG],
                None,
                out[pos : pos + n],
            )
            counter += 1
    if src.read(1):
        raise _Unusable("trailing bytes")
    emb, ref_ids, subject_ids, expires = arrays
    return WatchlistRows(emb.reshape(h.rows, EMBEDDING_DIM), ref_ids, subject_ids, expires)


def write(session: Session, header: CacheHeader, rows: WatchlistRows) -> Path:
    """Seal ``rows`` into the watchlist's cache file (replaced atomically; no fsync: a cache
    lost in a crash is rebuilt). Raises OSError when it cannot be written (e.g. disk full)."""
    if header.rows != len(rows) or not len(rows):
        raise ValueError("the header must count the rows")
    subkey = _subkey(session)
    path = cache_path(session, header.watchlist)
    salt = os.urandom(_SALT)
    aead = ChaCha20Poly1305(hkdf(subkey, salt, _LABEL))
    fields = {"format": FORMAT, **header.__dict__, "max_ids": list(header.max_ids)}
    plain = json.dumps(fields, sort_keys=True).encode()
    head = salt + struct.pack("<I", len(plain) + _TAG)
    arrays: list[np.ndarray] = [
        np.ascontiguousarray(rows.embeddings, np.float32).reshape(-1),
        np.ascontiguousarray(rows.reference_ids, np.int64),
        np.ascontiguousarray(rows.subject_ids, np.int64),
        np.ascontiguousarray(rows.expires, np.int64),
    ]
    total = sum(_chunks(a.nbytes, header.chunk) for a in arrays)
    tmp_dir = session.folder / "tmp"
    tmp_dir.mkdir(mode=0o700, exist_ok=True)
    tmp = tmp_dir / f"cache-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            out.write(head + aead.encrypt(stream_nonce(0, False), plain, _LABEL + head))
            ct = bytearray(header.chunk + _TAG)
            ct_view = memoryview(ct)
            counter = 1
            for a in arrays:
                data = a.data.cast("B")
                for pos in range(0, a.nbytes, header.chunk):
                    n = min(header.chunk, a.nbytes - pos)
                    last = counter == total
                    aead.encrypt_into(
                        stream_nonce(counter, last), data[pos : pos + n], None, ct_view[: n + _TAG]
                    )
                    view = ct_view[: n + _TAG]
                    while view:
                        view = view[out.write(view) :]
                    counter += 1
        folder = path.parent
        folder.mkdir(mode=0o700, exist_ok=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return path
