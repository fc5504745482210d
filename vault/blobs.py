"""The blob store: one age v1 file per distinct content, named by a keyed hash, or an object in a
pack (small objects, ``vault.packs``).

``blobs/ab/<name>`` where name = HMAC-SHA256(blob-name key, SHA-256 of the plaintext). The folder
shows neither content nor equality with a known file; the same content is stored once. Writes go
to ``tmp/`` first and are renamed in only when complete (see ``vault.ingest`` for the order).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import select

from vault import agefmt, packs
from vault.errors import IntegrityFault
from vault.fsutil import fsync_dir

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as DbSession

    from vault.session import Session

READ_CHUNK = 1 << 20
WRITE_BUFFER = 1 << 20
# An empty file in blobs/: blobs may be stored that no database row names yet (a session moved
# blobs in and has not settled). Only then does opening the vault look for orphans, a scan of
# every blob name that would cost seconds per command on a vault of a million blobs.
UNSETTLED = ".unsettled"


class BlobStore:
    def __init__(
        self,
        folder: Path,
        name_key: bytes,
        recipients: list[agefmt.Recipient],
        identity: agefmt.Identities,
    ) -> None:
        self.root = folder / "blobs"
        self._root = str(self.root)
        self.packs = folder / "packs"
        self._packs = str(self.packs)
        # blob name -> (pack, offset, size) of a packed object, None for a loose blob; the
        # session sets it (the database says where each object is)
        self.locate: Callable[[str], tuple[str, int, int] | None] = lambda name: None
        self.tmp = folder / "tmp"
        self._name_key = name_key
        self.recipients = recipients
        self._identity = identity
        self._move_lock = threading.Lock()
        self._marker = os.path.join(self._root, UNSETTLED)
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
        return self.root / name[:2] / name

    def pack_path(self, pack: str) -> str:
        return os.path.join(self._packs, pack[:2], pack)

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

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

    def move_in(self, tmp_path: str | Path, name: str) -> bool:
        """Rename a finished temp file into place; False when that content is already stored.

        Not durable by itself: the caller makes the rename (and a new ``blobs/ab`` folder)
        durable, ingest with one ``syncfs`` per batch, ``put_bytes`` with folder fsyncs.
        """
        # Plain strings, not pathlib: ingest of many small files calls this once per file.
        folder = os.path.join(self._root, name[:2])
        target = os.path.join(folder, name)
        # Check and rename under a lock: ingest stores small files on several threads, and two
        # copies of one content must not both pass the check (the second rename could replace
        # a blob already committed by a file that is not durable yet).
        with self._move_lock:
            if os.path.exists(target):
                return False
            if not self._marked:
                self._mark_unsettled()
            try:
                os.replace(tmp_path, target)
            except FileNotFoundError:  # first blob under this prefix (one stat fewer per blob)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder, 0o700)
                os.replace(tmp_path, target)
        return True

    def move_pack_in(self, tmp_path: str, pack: str) -> None:
        """Rename a sealed pack from ``tmp/`` into ``packs/``; not durable by itself (ingest's
        ``syncfs`` before the commit that records its objects makes it so)."""
        folder = os.path.join(self._packs, pack[:2])
        with self._move_lock:
            if not self._marked:
                self._mark_unsettled()
            try:
                os.replace(tmp_path, os.path.join(folder, pack))
            except FileNotFoundError:
                if not os.path.isdir(self._packs):
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(self._packs, 0o700)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder, 0o700)
                os.replace(tmp_path, os.path.join(folder, pack))

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
            new = self.move_in(tmp, name)
        fsync_dir(self.path(name).parent)
        fsync_dir(self.root)  # in case move_in made the prefix folder
        return name, sha, new

    def read_chunks(self, name: str) -> Iterator[bytes]:
        """Decrypt a blob; ``agefmt.AgeError`` if it was altered, ``OSError`` if it is missing."""
        where = self.locate(name)
        if where is not None:
            pack, offset, size = where
            yield packs.read_object(self.pack_path(pack), self._identity, offset, size)
            return
        yield from self.read_file_chunks(name)

    def read_file_chunks(self, name: str) -> Iterator[bytes]:
        """``read_chunks`` of a blob known to be a file of its own (no database look-up)."""
        with (
            open(self.path(name), "rb", buffering=0) as raw,
            open(raw.fileno(), "rb", closefd=False, buffering=1 << 20) as fh,
        ):
            yield from agefmt.decrypt_chunks(fh, self._identity)

    @contextlib.contextmanager
    def open_decrypted(self, name: str) -> Iterator[agefmt.Decryptor | _Plain]:
        """A blob's plaintext for ``readinto`` (no copy per chunk); errors as ``read_chunks``."""
        where = self.locate(name)
        if where is not None:
            pack, offset, size = where
            yield _Plain(packs.read_object(self.pack_path(pack), self._identity, offset, size))
            return
        with open(self.path(name), "rb") as fh:
            yield agefmt.Decryptor(fh, self._identity)

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
        except FileNotFoundError:
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
        for sub in self.root.iterdir():
            if sub.is_dir():
                for f in sub.iterdir():
                    yield f.name

    def stored_packs(self) -> Iterator[str]:
        """Names of the packs in ``packs/``."""
        if not self.packs.is_dir():
            return
        for sub in self.packs.iterdir():
            if sub.is_dir():
                for f in sub.iterdir():
                    yield f.name

    def _mark_unsettled(self) -> None:
        """Before this session's first blob goes in: from now on a crash may leave orphans.

        Durable before the rename it precedes (fsync of the file and the folder), so a crash
        can never leave an orphan without the marker.
        """
        fd = os.open(self._marker, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self.root)
        self._marked = True

    def settle(self, db: DbSession) -> int:
        """Remove orphan blobs if the marker says there may be some, then the marker.

        Called when the vault opens (after a crash) and when a session closes (after a
        cancelled or failed job), each time when no commit can run beside it: otherwise a blob
        committed after the scan read the rows would be taken for an orphan. Holds the move
        lock: a blob moved in meanwhile is either seen by the scan or marks the store again.
        """
        with self._move_lock:
            if not os.path.exists(self._marker):
                return 0
            removed = self.remove_orphans(db)
            os.unlink(self._marker)
            self._marked = False
            return removed

    def remove_orphans(self, db: DbSession) -> int:
        """Delete blobs and packs no database row names: leftovers of a crash before the commit.

        A loose blob whose row says its object is in a pack is one too (a vault upgrade moved it
        into a pack and was interrupted before removing the file)."""
        from vault.models import Blob

        # The packs named (a few per thousand objects, by ix_blobs_pack) and the blobs of their
        # own: never a set of every object's name (a phone dump is a million packed objects).
        loose = set(db.scalars(select(Blob.name).where(Blob.pack == "")))
        used = set(db.scalars(select(Blob.pack).where(Blob.pack != "").distinct()))
        removed = 0
        for name in list(self.stored_names()):
            if name not in loose:
                self.path(name).unlink()
                removed += 1
        for pack in list(self.stored_packs()):
            if pack not in used:
                os.unlink(self.pack_path(pack))
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
