"""The blob store: one age v1 file per distinct content, named by a keyed hash, or an object in a
pack (small objects, ``vault.packs``).

``blobs/ab/<name>`` where name = HMAC-SHA256(blob-name key, SHA-256 of the plaintext). The store
shows neither content nor equality with a known file; the same content is stored once. Writes go
to ``tmp/`` first and are handed to the object store only when complete (a rename into the
vault's folder, an upload to an agency server's bucket; see ``vault.ingest`` for the order).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import select

from vault import agefmt, packs
from vault.errors import IntegrityFault, UserError
from vault.objectstore import ObjectMissing, ObjectStore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as DbSession

    from vault.session import Session

READ_CHUNK = 1 << 20
WRITE_BUFFER = 1 << 20
# Names a clean-up compares with the rows at a time (an IN list: within any SQLite's limit)
ORPHAN_PAGE = 500


def blob_key(name: str) -> str:
    return f"blobs/{name[:2]}/{name}"


def pack_key(pack: str) -> str:
    return f"packs/{pack[:2]}/{pack}"


Row = tuple[str | None, int, int, int | None]
"""A blob's row as ``BlobStore.row_of`` gives it: (pack or None, offset in the pack, plaintext
size, the pack's recorded encrypted size or None)."""


class BlobStore:
    """Blobs and packs in an ``ObjectStore`` (``vault.objectstore``: the vault's own folder, or
    an agency server's S3 bucket), written through temp files in ``tmp`` (a local folder)."""

    def __init__(
        self,
        store: ObjectStore,
        tmp: Path,
        name_key: bytes,
        recipients: list[agefmt.Recipient],
        identity: agefmt.Identities,
    ) -> None:
        self.store = store
        # blob name -> its row's (pack or None, offset, plaintext size, the pack's encrypted
        # size or None), None without a row; the session sets it (the database says where each
        # object is and how large it and its pack are): one look-up per read gives both where
        # it is and how much an object store may send
        self.row_of: Callable[[str], Row | None] = lambda name: None
        # pack name -> its recorded encrypted size (None: no row records one); the session
        # sets it (verify, the re-wrap after a rotation)
        self.pack_size_of: Callable[[str], int | None] = lambda pack: None
        # told once per session when a pack with no recorded size is read unbounded
        self.warn: Callable[[str], None] = lambda line: None
        self._warned = False
        self.tmp = tmp
        self._name_key = name_key
        self.recipients = recipients
        self._identity = identity
        self._move_lock = threading.Lock()
        self._marked = False  # this session made the marker durable

    def use_keys(self, name_key: bytes, identities: agefmt.Identities) -> None:
        """The blob-name key and the identities to read with, as the database records them after
        a vault-key rotation (names stay those of the first key; old identities open blobs whose
        header a rotation interrupted by a crash has not re-wrapped yet)."""
        self._name_key = name_key
        self._identity = identities

    @property
    def name_key(self) -> bytes:
        return self._name_key

    def name_for(self, sha256_hex: str) -> str:
        return hmac.new(self._name_key, bytes.fromhex(sha256_hex), hashlib.sha256).hexdigest()

    def path(self, name: str) -> Path:
        """A blob's file (a local vault only: tests and rotation look at the files)."""
        return Path(self._local(blob_key(name)))

    def pack_path(self, pack: str) -> str:
        return self._local(pack_key(pack))

    def _local(self, key: str) -> str:
        path = self.store.local_path(key)
        if path is None:
            raise UserError(f"{self.store.label}: stored objects are not files on this machine")
        return path

    def exists(self, name: str) -> bool:
        return self.store.exists(blob_key(name))

    @contextlib.contextmanager
    def temp_file(self, size_hint: int = WRITE_BUFFER) -> Iterator[tuple[Path, BinaryIO]]:
        """A new file in ``tmp/``; removed again unless the caller moved it away.

        ``size_hint`` (about the bytes to be written) keeps the write buffer small for small
        files: a 1 MiB buffer per 4 KiB file was a large part of its cost.
        """
        path = self.tmp / uuid.uuid4().hex
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            buffering = max(8192, min(WRITE_BUFFER, size_hint))
            fh = os.fdopen(fd, "wb", buffering=buffering)
            try:
                yield path, fh
            except BaseException:
                # The file is dropped: a failing flush on close (the disk is full) must not
                # replace the error that got us here.
                with contextlib.suppress(OSError):
                    fh.close()
                raise
            fh.close()
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _mark(self) -> None:
        """Before this session's first object goes in: from now on a crash may leave orphans."""
        with self._move_lock:
            if not self._marked:
                self.store.mark_unsettled()
                self._marked = True

    def move_in(self, tmp_path: str | Path, name: str) -> bool:
        """Store a finished temp file as blob ``name``; False (the file left) when that content
        is already stored.

        Not durable by itself in a folder: the caller makes the rename (and a new ``blobs/ab``
        folder) durable, ingest with one ``syncfs`` per batch, ``put_bytes`` with folder fsyncs.
        """
        if not self._marked:
            self._mark()
        return self.store.take(blob_key(name), tmp_path)

    def move_pack_in(self, tmp_path: str, pack: str) -> None:
        """Store a sealed pack from ``tmp/``; not durable by itself in a folder (ingest's
        ``syncfs`` before the commit that records its objects makes it so)."""
        if not self._marked:
            self._mark()
        self.store.take(pack_key(pack), tmp_path)

    def put_bytes(self, data: bytes) -> tuple[str, str, bool]:
        """Store a small object durably; returns (blob name, sha256, newly stored)."""
        sha = hashlib.sha256(data).hexdigest()
        name = self.name_for(sha)
        if self.exists(name):
            return name, sha, False
        with self.temp_file() as (tmp, fh):
            enc = agefmt.Encryptor(fh, self.recipients)
            enc.write(data)
            enc.close()
            fh.flush()
            os.fsync(fh.fileno())
            if not self._marked:
                self._mark()
            new = self.store.take(blob_key(name), tmp, durable=True)
        return name, sha, new

    def _read_packed(self, row: Row) -> bytes:
        pack, offset, size, total = row
        assert pack
        key = pack_key(pack)
        if total is None:
            self.unbounded(pack)
        path = self.store.local_path(key)
        if path is not None:
            return packs.read_object(path, self._identity, offset, size, total)
        store = self.store
        if total is None:
            total = store.size(key)  # the store's word: unbounded (one warning, above)
        # the recorded size: no byte past it is asked for, whatever the store holds
        return packs.read_object_ranged(
            lambda at, n: store.read(key, at, n), total, self._identity, offset, size
        )

    def unbounded(self, pack: str) -> None:
        if not self._warned:
            self._warned = True
            self.warn(
                f"pack {pack} (and maybe others) has no recorded size: its reads are not "
                "bounded until custos verify records it"
            )

    def read_chunks(self, name: str) -> Iterator[bytes]:
        """Decrypt a blob; ``agefmt.AgeError`` if it was altered, ``OSError`` (or
        ``ObjectMissing``) if it is missing."""
        row = self.row_of(name)
        if row is not None and row[0]:
            yield self._read_packed(row)
            return
        yield from self.read_file_chunks(name, None if row is None else row[2])

    def read_file_chunks(self, name: str, size: int | None = None) -> Iterator[bytes]:
        """``read_chunks`` of a blob known to be a file of its own; ``size``: its row's (else,
        on an object store, one look-up of it bounds what the store may send)."""
        key = blob_key(name)
        path = self.store.local_path(key)
        if path is None:
            most = self._most(name) if size is None else agefmt.most_encrypted(size)
            with self.store.open(key, most) as fh:
                yield from agefmt.decrypt_chunks(fh, self._identity)
            return
        with (
            open(path, "rb", buffering=0) as raw,
            open(raw.fileno(), "rb", closefd=False, buffering=1 << 20) as fh,
        ):
            yield from agefmt.decrypt_chunks(fh, self._identity)

    @contextlib.contextmanager
    def open_decrypted(self, name: str) -> Iterator[agefmt.Decryptor | _Plain]:
        """A blob's plaintext for ``readinto`` (no copy per chunk); errors as ``read_chunks``."""
        row = self.row_of(name)
        if row is not None and row[0]:
            yield _Plain(self._read_packed(row))
            return
        key = blob_key(name)
        path = self.store.local_path(key)
        most = None if row is None else agefmt.most_encrypted(row[2])
        with open(path, "rb") if path is not None else self.store.open(key, most) as fh:
            yield agefmt.Decryptor(fh, self._identity)

    def recorded_size(self, name: str) -> int | None:
        """A blob's plaintext size as its row records it; None if no row names it."""
        row = self.row_of(name)
        return None if row is None else row[2]

    def _most(self, name: str) -> int | None:
        """The most bytes blob ``name``'s age file has (its row's size and the age overhead);
        None without a row (verify reads what the store holds, bounded by the store itself)."""
        size = self.recorded_size(name)
        return None if size is None else agefmt.most_encrypted(size)

    @contextlib.contextmanager
    def open_pack(self, pack: str, size: int | None = None) -> Iterator[BinaryIO]:
        """A pack's file (in an object store: spooled to a private temp file), never more of it
        than its recorded encrypted size (``size``, else ``pack_size_of``): a store sending more
        is one ``StoreUnavailable`` line naming the pack, nothing spooled past the size. A file
        of the vault's is read in place (the reader stops at the size). Unrecorded: unbounded,
        with one warning."""
        if size is None:
            size = self.pack_size_of(pack)
        if size is None:
            self.unbounded(pack)
        key = pack_key(pack)
        path = self.store.local_path(key)
        if path is not None:
            with open(path, "rb") as fh:
                yield fh
            return
        with self.store.open(key, size) as fh:
            yield fh

    def read_bytes(self, name: str) -> bytes:
        """A blob's plaintext, authenticated but NOT checked against its hash: a blob file
        swapped for another of the vault decrypts fine. To show or use it, ``read_verified``."""
        return b"".join(self.read_chunks(name))

    def read_verified(self, name: str, sha256: str, what: str = "") -> bytes:
        """A blob's plaintext, checked against the SHA-256 its ``blobs`` row recorded.

        The file name only says where the file is: two blob files swapped on disk (no password
        needed) both decrypt, so the decrypted bytes are re-hashed, and the name must be the
        one that hash gives. Any failure is one ``IntegrityFault`` line naming ``what`` (e.g.
        "crop of face 7"); nothing unchecked is returned.
        """
        label = what or f"stored object {name[:16]}"
        try:
            data = self.read_bytes(name)
        except agefmt.AgeError:
            raise IntegrityFault(
                f"{label}: stored copy fails authentication (altered or damaged); run verify"
            ) from None
        except (FileNotFoundError, ObjectMissing):
            raise IntegrityFault(f"{label}: stored copy is missing; run verify") from None
        except OSError as exc:
            raise IntegrityFault(
                f"{label}: stored copy cannot be read ({exc.strerror}); run verify"
            ) from None
        if hashlib.sha256(data).hexdigest() != sha256 or self.name_for(sha256) != name:
            raise IntegrityFault(
                f"{label}: stored copy does not match its hash (altered or swapped); run verify"
            )
        return data

    def stored_names(self) -> Iterator[str]:
        for key in self.store.names("blobs"):
            yield key.rsplit("/", 1)[1]

    def stored_packs(self) -> Iterator[str]:
        """Names of the packs in the store."""
        for key in self.store.names("packs"):
            yield key.rsplit("/", 1)[1]

    def settle(self, db: DbSession) -> int:
        """Remove orphan objects if the marker says there may be some, then the marker.

        Called when the vault opens (after a crash) and when a session closes (after a
        cancelled or failed job), each time when no commit can run beside it (the vault held
        alone: on a server, by no other workstation either): otherwise an object committed
        after the scan read the rows would be taken for an orphan. Holds the move lock: an
        object moved in meanwhile is either seen by the scan or marks the store again.
        """
        from vault.objectstore import DeleteRefused

        with self._move_lock:
            if not self.store.unsettled():
                return 0
            try:
                removed = self.remove_orphans(db)
            except DeleteRefused:
                # a workstation's own S3 key may not delete objects (vault.s3iam): the
                # orphans and the mark stay for a session with the admin's key
                return 0
            self.store.settled()
            self._marked = False
            return removed

    def remove_orphans(self, db: DbSession) -> int:
        """Delete blobs and packs no database row names: leftovers of a crash before the commit.

        A loose blob whose row says its object is in a pack is one too (a vault upgrade moved it
        into a pack and was interrupted before removing the file)."""
        from vault.models import Blob

        # A page of listed names at a time against the rows that name them (by primary key and
        # ix_blobs_pack): neither the listing nor the database's names are ever held whole (a
        # phone dump is a million objects, a store's listing of them ~100 MB of strings).
        removed = 0
        names = self.stored_names()
        while page := list(itertools.islice(names, ORPHAN_PAGE)):
            named = set(db.scalars(select(Blob.name).where(Blob.name.in_(page), Blob.pack == "")))
            for name in page:
                if name not in named:
                    self.store.delete(blob_key(name))
                    removed += 1
        pack_names = self.stored_packs()
        while page := list(itertools.islice(pack_names, ORPHAN_PAGE)):
            used = set(db.scalars(select(Blob.pack).where(Blob.pack.in_(page)).distinct()))
            for pack in page:
                if pack not in used:
                    self.store.delete(pack_key(pack))
                    removed += 1
        return removed


class _Plain:
    """A packed object's plaintext with ``readinto``, as ``agefmt.Decryptor`` gives a blob's."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)

    def readinto(self, out: memoryview) -> int:
        n = min(len(out), len(self._view))
        out[:n] = self._view[:n]
        self._view = self._view[n:]
        return n


@dataclass(frozen=True)
class StoredBlob:
    name: str
    sha256: str
    size: int


def store_blob(session: Session, data: bytes) -> StoredBlob:
    """Store a small object durably (a crop, a photo); add its row with ``add_blob_rows``.

    Until that row commits the blob is an orphan, removed at the next open: a crash in between
    leaves nothing behind.
    """
    name, sha, _ = session.blobs.put_bytes(data)
    return StoredBlob(name, sha, len(data))


def blob_sha256(db: DbSession, name: str, what: str) -> str:
    """The SHA-256 the ``blobs`` row of ``name`` recorded, to pass to ``read_verified``."""
    from vault.models import Blob

    sha = db.scalar(select(Blob.sha256).where(Blob.name == name))
    if sha is None:
        raise IntegrityFault(f"{what}: stored object has no record; run verify")
    return sha


def read_blob(session: Session, name: str, what: str) -> bytes:
    """A stored object checked against its ``blobs`` row (see ``BlobStore.read_verified``);
    decrypted outside the database session."""
    with session.db() as db:
        sha = blob_sha256(db, name, what)
    return session.blobs.read_verified(name, sha, what)


def add_blob_rows(db: DbSession, *blobs: StoredBlob) -> None:
    from vault.models import Blob

    for blob in blobs:
        if db.get(Blob, blob.name) is None:
            db.add(Blob(name=blob.name, sha256=blob.sha256, size=blob.size))
            db.flush()
