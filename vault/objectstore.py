"""Where a vault's stored objects live: the narrow interface the blob store needs, and two
implementations of it, a local folder and an S3-compatible object store.

What the blob store keeps are immutable files, each written once and never changed (a vault-key
rotation writes a new header in front of the same payload, which here is a new ``put`` of the
same key): blobs (``blobs/ab/<keyed name>``) and packs (``packs/ab/<random name>``), both age
files, encrypted on the workstation before they reach any store. So a store only needs:

``put(key, path)``      store a finished file under ``key`` atomically (readers see the whole
                        object or none: a folder renames a fsynced temp file in; S3 makes an
                        object visible only when its upload completed)
``open(key, most)``     a readable, seekable binary file of the object (``ObjectMissing`` if none)
``read(key, offset, size)``  a byte range (a packed object's chunks), ``get_chunks(key, most)`` all
                        of it; ``most`` (the bytes the caller knows the object has at most)
                        bounds what a remote store may send: more is one ``StoreUnavailable`` line
``exists(key)``, ``delete(key)``, ``size(key)``, ``names(prefix)`` (every key under a prefix, to
                        find orphans: an object no database row names)
``take(key, path, durable)``  ``put`` a finished temp file the caller gives up (False, the file
                        left, when the key is already stored): the blob store's way in. A folder
                        renames it (no copy: ingest of small files stays a rename per file); S3
                        uploads it and removes it. ``durable``: the folder fsyncs the folders
                        too (ingest makes a batch durable with one ``syncfs`` instead)
``local_path(key)``     the object's file when the store is a local folder (reads open it
                        directly), else None (reads go through ``read``/``open``)
``mark_unsettled()``, ``unsettled()``, ``settled()``  the marker that objects may be stored that no
                        committed row names yet (only then is the store scanned for orphans)

Keys are ``<space>/<ab>/<name>`` with ``space`` ``blobs`` or ``packs``; the folder store maps a
key to the same relative path inside the vault folder, so it reads an existing vault as it is.
The S3 store keeps the same keys in one bucket (path-style addressing: endpoints such as
SeaweedFS and MinIO on an IP address have no virtual-host names; TLS verified when the endpoint
is https). ``copy_objects`` moves every object from one store to another (the blob half of
``custos server push``). ``vault.blobs.BlobStore`` reads and writes only through this interface
(``vault.backend`` gives a local vault a ``FolderStore``, an agency server an ``S3Store``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from vault.errors import UserError
from vault.fsutil import create_temp, fsync_dir, publish

if TYPE_CHECKING:
    from vault.server.address import Credentials, S3Endpoint

CHUNK = 1 << 20
SPACES = ("blobs", "packs")
_KEY = re.compile(r"^(blobs|packs)/[0-9a-f]{2}/[0-9a-f]{16,64}$")


class ObjectMissing(UserError):
    """The store holds no object under that key."""

    def __init__(self, store: str, key: str) -> None:
        super().__init__(f"{store}: stored object {key} is missing")
        self.key = key


class StoreUnavailable(UserError):
    """The store cannot be reached or refused the credentials."""


class DeleteRefused(StoreUnavailable):
    """The store refused to delete an object: this key may not (a workstation's own S3 key,
    ``vault.s3iam``)."""


def key_for(space: str, name: str) -> str:
    return f"{space}/{name[:2]}/{name}"


def check_key(key: str) -> str:
    """A key as the blob store makes them; anything else (``..``, absolute paths, other
    characters) is refused before it reaches a file system or a bucket."""
    if not _KEY.match(key):
        raise UserError(f"{key!r}: not a stored object's key")
    return key


class ObjectStore(Protocol):
    label: str

    def put(self, key: str, path: Path) -> None: ...
    def open(
        self, key: str, most: int | None = None
    ) -> contextlib.AbstractContextManager[BinaryIO]: ...
    def read(self, key: str, offset: int, size: int) -> bytes: ...
    def get_chunks(self, key: str, most: int | None = None) -> Iterator[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def names(self, prefix: str) -> Iterator[str]: ...
    def take(self, key: str, path: str | Path, durable: bool = False) -> bool: ...
    def local_path(self, key: str) -> str | None: ...
    def mark_unsettled(self) -> None: ...
    def unsettled(self) -> bool: ...
    def settled(self) -> None: ...


# The object whose presence says "objects may be stored that no committed row names" (orphans
# of a crash): a file in ``blobs/`` as vaults have always had it, an object at the bucket's top.
UNSETTLED = ".unsettled"
# Written and removed at ``init`` on a server (``S3Store.prepare``): not a stored object's key.
PREPARED = ".custos-prepared"


class FolderStore:
    """Objects as files under a folder (a vault's own ``blobs/`` and ``packs/``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.label = str(folder)
        self._root = str(folder)
        self._marker = os.path.join(self._root, "blobs", UNSETTLED)
        # Check and rename under a lock: ingest stores small files on several threads, and two
        # copies of one content must not both pass the check (the second rename could replace
        # an object already committed by a file that is not durable yet).
        self._take_lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.folder / check_key(key)

    def put(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = create_temp(target, 0o600)
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            publish(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    @contextlib.contextmanager
    def open(self, key: str, most: int | None = None) -> Iterator[BinaryIO]:
        # ``most`` bounds what a remote store may send; a file of the vault's is read in place
        try:
            fh = open(self._path(key), "rb")  # noqa: SIM115 - handed to the caller
        except FileNotFoundError:
            raise ObjectMissing(self.label, key) from None
        with fh:
            yield fh

    def read(self, key: str, offset: int, size: int) -> bytes:
        with self.open(key) as fh:
            fh.seek(offset)
            return fh.read(size)

    def get_chunks(self, key: str, most: int | None = None) -> Iterator[bytes]:
        with self.open(key) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectMissing(self.label, key) from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            fsync_dir(path.parent)

    def local_path(self, key: str) -> str:
        # Plain strings, not pathlib, no pattern check: called once per object read or stored
        # (keys come from the blob store, which makes them from hex names).
        return os.path.join(self._root, key)

    def take(self, key: str, path: str | Path, durable: bool = False) -> bool:
        """Rename ``path`` in as ``key``; False (``path`` left) when ``key`` is stored already.

        Not durable unless ``durable`` (the folders fsynced): ingest makes a batch's renames
        durable with one ``syncfs`` before the commit that records them."""
        target = os.path.join(self._root, key)
        folder = os.path.dirname(target)
        with self._take_lock:
            if os.path.exists(target):
                return False
            try:
                os.replace(path, target)
            except FileNotFoundError:  # first object under this prefix (one stat fewer each)
                space = os.path.dirname(folder)
                if not os.path.isdir(space):
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(space, 0o700)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder, 0o700)
                os.replace(path, target)
        if durable:
            fsync_dir(Path(folder))
            fsync_dir(Path(folder).parent)  # in case the prefix folder is new
        return True

    def mark_unsettled(self) -> None:
        """Durable before the rename it precedes (fsync of the file and the folder), so a crash
        can never leave an orphan without the marker."""
        fd = os.open(self._marker, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(Path(self._marker).parent)

    def unsettled(self) -> bool:
        return os.path.exists(self._marker)

    def settled(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._marker)

    def names(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (``blobs/`` or ``packs/``); the unsettled marker and
        temp files are not objects."""
        space = prefix.strip("/")
        root = self.folder / space
        if space not in SPACES or not root.is_dir():
            return
        for sub in sorted(root.iterdir()):
            if sub.is_dir() and not sub.is_symlink():
                for f in sorted(sub.iterdir()):
                    key = f"{space}/{sub.name}/{f.name}"
                    if _KEY.match(key) and f.is_file():
                        yield key


def s3_client(endpoint: S3Endpoint, credentials: Credentials, timeout: float = 10) -> Any:
    """A boto3 S3 client for the endpoint: path-style addressing, the given credentials only
    (nothing from ``~/.aws``), TLS verified for https (against ``ca_file`` if given)."""
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=timeout,
        read_timeout=max(timeout, 60),
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        region_name="us-east-1",
    )
    verify: bool | str = (endpoint.ca_file or True) if endpoint.tls else False
    return session.client("s3", endpoint_url=endpoint.endpoint, config=config, verify=verify)


def s3_problem(label: str, exc: Exception) -> str:
    """One line for a failed S3 request (``vault.s3wire``'s errors, or boto3's: the trial
    server's checks use boto3)."""
    from vault import s3wire

    if isinstance(exc, s3wire.S3BadCertificate):
        return f"{label}: the store's TLS certificate does not verify"
    if isinstance(exc, s3wire.S3Down):
        return f"{label}: no S3 store answers there (is it running?)"
    if isinstance(exc, s3wire.S3Malformed):
        return f"{label}: {exc}"
    if isinstance(exc, s3wire.S3Error):
        return _refusal(label, exc.code, exc.status)
    from botocore.exceptions import ClientError, EndpointConnectionError, SSLError

    if isinstance(exc, SSLError):
        return f"{label}: the store's TLS certificate does not verify"
    if isinstance(exc, EndpointConnectionError):
        return f"{label}: no S3 store answers there (is it running?)"
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return _refusal(label, code, status)
    return f"{label}: {type(exc).__name__}: {exc}"


def _refusal(label: str, code: str, status: int | None) -> str:
    refused = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied")
    if code in refused or status in (401, 403):
        return (
            f"{label}: access key or secret refused "
            "(check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        )
    if code in ("NoSuchBucket", "404") or status == 404:
        return f"{label}: the bucket does not exist"
    return f"{label}: the store refused the request ({code or status})"


class S3Store:
    """Objects in one bucket of an S3-compatible store (SeaweedFS, MinIO, AWS S3, ...), through
    ``vault.s3wire`` (not boto3: its import and client cost every server command ~0.5 s)."""

    def __init__(self, endpoint: S3Endpoint, credentials: Credentials) -> None:
        from vault.s3wire import S3Client

        self.endpoint = endpoint
        self.bucket = endpoint.bucket
        self.label = f"{endpoint.endpoint}/{endpoint.bucket}"
        self._wire = S3Client(
            endpoint.endpoint,
            credentials.access_key,
            credentials.secret_key,
            ca_file=endpoint.ca_file if endpoint.tls else None,
        )

    def _call(self, key: str, what: Callable[[], Any], deleting: bool = False) -> Any:
        from vault.s3wire import S3Down, S3Error

        try:
            return what()
        except S3Error as exc:
            if deleting and exc.code == "AccessDenied":
                raise DeleteRefused(
                    f"{self.label}: this S3 key may not delete stored objects ({key})"
                ) from None
            if exc.code in ("NoSuchKey", "404", "NotFound"):
                raise ObjectMissing(self.label, key) from None
            if key and exc.code == "NoSuchUpload":  # a multipart upload the store lost
                raise StoreUnavailable(
                    f"{self.label}: the store refused an upload: {exc}"
                ) from None
            raise StoreUnavailable(s3_problem(self.label, exc)) from None
        except S3Down as exc:
            raise StoreUnavailable(s3_problem(self.label, exc)) from None

    def close(self) -> None:
        """Close the store's connections."""
        self._wire.close()

    def check_bucket(self) -> None:
        """A signed request on the bucket; ``StoreUnavailable`` (one line) if it fails."""
        from vault.s3wire import S3Down, S3Error

        try:
            self._wire.head_bucket(self.bucket)
        except (S3Error, S3Down) as exc:
            raise StoreUnavailable(s3_problem(self.label, exc)) from None

    def put(self, key: str, path: Path) -> None:
        check_key(key)
        # A single PUT up to 64 MiB, a multipart upload above (parts sent on a few connections
        # at once): an S3 object appears only once its upload completed, so readers never see
        # half of one.
        self._call(key, lambda: self._wire.put_file(self.bucket, key, Path(path)))

    @contextlib.contextmanager
    def open(self, key: str, most: int | None = None) -> Iterator[BinaryIO]:
        """The object spooled to a private temp file (seekable, as the age reader wants); with
        ``most``, ``StoreUnavailable`` (naming the object) once the store sends more bytes."""
        import tempfile

        with tempfile.TemporaryFile(prefix="custos-object-") as fh:
            for chunk in self.get_chunks(key, most):
                fh.write(chunk)
            fh.seek(0)
            yield fh

    def read(self, key: str, offset: int, size: int) -> bytes:
        if size <= 0:
            return b""
        check_key(key)
        return bytes(self._call(key, lambda: self._wire.get(self.bucket, key, offset, size)))

    def get_chunks(self, key: str, most: int | None = None) -> Iterator[bytes]:
        check_key(key)
        chunks = self._wire.get_chunks(self.bucket, key, CHUNK, most)
        while (chunk := self._call(key, lambda: next(chunks, None))) is not None:
            yield chunk

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectMissing:
            return False
        return True

    def size(self, key: str) -> int:
        check_key(key)
        head = self._call(key, lambda: self._wire.head(self.bucket, key))
        return int(head["content-length"])

    def delete(self, key: str) -> None:
        check_key(key)
        self._call(key, lambda: self._wire.delete(self.bucket, key), deleting=True)

    def local_path(self, key: str) -> None:
        return None

    def take(self, key: str, path: str | Path, durable: bool = False) -> bool:
        """Upload ``path`` as ``key`` and remove it; False (``path`` left) if ``key`` is stored.

        Durable once the upload completed, whatever ``durable`` says. Two uploads of one
        content under one key may race: each is a whole, valid age file of the same plaintext
        (the last one stays), so no lock is needed."""
        if self.exists(key):
            return False
        self.put(key, Path(path))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return True

    def prepare(self) -> None:
        """Write a small object at the bucket's top (``PREPARED``) and remove it, at ``init``:
        a store that makes a new bucket's room on its first write (SeaweedFS grows the bucket's
        volumes then, 0.25-0.35 s on the trial server) makes it now instead of in the first
        ingest's first upload, and a bucket that refuses writes is named at ``init``."""
        self._call(PREPARED, lambda: self._wire.put_bytes(self.bucket, PREPARED, b"custos\n"))
        self._call(PREPARED, lambda: self._wire.delete(self.bucket, PREPARED))

    def mark_unsettled(self) -> None:
        self._call(UNSETTLED, lambda: self._wire.put_bytes(self.bucket, UNSETTLED, b""))

    def unsettled(self) -> bool:
        try:
            self._call(UNSETTLED, lambda: self._wire.head(self.bucket, UNSETTLED))
        except ObjectMissing:
            return False
        return True

    def settled(self) -> None:
        self._call(UNSETTLED, lambda: self._wire.delete(self.bucket, UNSETTLED))

    def names(self, prefix: str) -> Iterator[str]:
        keys = self._wire.list_keys(self.bucket, prefix.strip("/") + "/")
        while (key := self._call(prefix, lambda: next(keys, None))) is not None:
            if _KEY.match(key):
                yield key


def copy_objects(
    source: ObjectStore, target: ObjectStore, progress: Callable[[str], None] | None = None
) -> int:
    """Copy every blob and pack of ``source`` missing from ``target``; returns how many.

    The bytes are the age files as stored (no decryption: the target never sees plaintext)."""
    import tempfile

    copied = 0
    for space in SPACES:
        have = set(target.names(space))
        for key in source.names(space):
            if key in have:
                continue
            with tempfile.NamedTemporaryFile(prefix="custos-copy-") as tmp:
                for chunk in source.get_chunks(key):
                    tmp.write(chunk)
                tmp.flush()
                target.put(key, Path(tmp.name))
            copied += 1
            if progress is not None:
                progress(key)
    return copied
