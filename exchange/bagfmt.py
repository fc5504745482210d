"""BagIt 1.0 (RFC 8493) pieces, written by hand so export streams and never changes directory.

A Custos bundle is a bag with only SHA-256 manifests::

    bagit.txt  bag-info.txt  custos-bundle.json     tag files (all listed in the tagmanifest)
    data/evidence/<item path>  data/case.jsonld     payload (listed in manifest-sha256.txt)
    manifest-sha256.txt  tagmanifest-sha256.txt
    signature/tagmanifest-sha256.txt.sig            raw Ed25519 (64 bytes) over the tagmanifest
    signature/sender.pem                            SubjectPublicKeyInfo PEM of the sender's key

``signature/`` is outside the tagmanifest (a signature cannot cover itself); bagit.py ignores
unlisted tag files, Custos accepts no other unlisted file. Manifest lines are ``<hex>  <path>``
(``sha256sum -c`` reads them too). RFC 8493 percent-encodes ``%``, CR and LF in paths but
bagit.py 1.9 decodes only CR and LF, so the two disagree on any name holding ``%``: Custos
never writes such a path (export replaces ``%``, control characters and backslash by ``_``) and
refuses one on import.

Writers are *sinks*: a folder (plain bundle) or a tar stream (encrypted bundle, never on disk in
clear). Both take the same calls, so the export code is one path; each knows its own fastest way
to copy a stored blob in (``write_blob``). ``exchange.bagwriter`` writes whole bundles on them.
"""

from __future__ import annotations

import contextlib
import os
import re
import tarfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from exchange.hashpipe import BlockCopier, Copied, WriterThread, batched, try_direct
from vault import agefmt
from vault.blobs import BlobStore
from vault.errors import IntegrityFault
from vault.fsutil import syncfs
from vault.hashing import MultiHasher

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
BUNDLE_JSON = "custos-bundle.json"
SIG = "signature/tagmanifest-sha256.txt.sig"
PEM = "signature/sender.pem"


def portable_path(path: str) -> str:
    """A payload path every BagIt reader decodes alike: no ``%``, ``\\``, control character
    (C0 or C1) or Unicode line or paragraph separator."""
    return "".join("_" if c in "%\\" or unicodedata.category(c) in BREAKS else c for c in path)


BREAKS = ("Cc", "Zl", "Zp")  # control characters, U+2028, U+2029: never in a path or a label
BOM = b"\xef\xbb\xbf"
# Labels Custos reads from bag-info.txt: a repeat would leave two readers free to disagree.
READ_ONCE = ("Payload-Oxum", "Handling-Label")
_EOL = re.compile(r"\r\n|\r|\n")


def manifest_text(entries: Iterable[tuple[str, str]]) -> bytes:
    return "".join(f"{sha}  {path}\n" for sha, path in entries).encode("utf-8")


def tag_lines(data: bytes, where: str) -> tuple[list[str] | None, list[str]]:
    """(lines, problems) of a tag file: UTF-8 without a byte-order mark, lines ending at CR, LF
    or CRLF only, as BagIt readers split them (``str.splitlines`` also splits at U+2028, NEL,
    FS..., which can be inside a path)."""
    if data.startswith(BOM):
        return None, [f"{where}: starts with a byte-order mark (plain UTF-8 expected)"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [f"{where}: not UTF-8 (byte {exc.start})"]
    lines = _EOL.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines, []


def parse_manifest(data: bytes, where: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(entries, problems): each line is ``<64 hex> <space or tab> <path>``."""
    entries: list[tuple[str, str]] = []
    lines, problems = tag_lines(data, where)
    for n, whole in enumerate(lines or [], 1):
        line = whole.lstrip(" \t")
        if not line:
            continue
        sha, _, rest = line.partition(" ") if " " in line[:65] else line.partition("\t")
        sha = sha.lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha) or not rest:
            problems.append(f"{where} line {n}: malformed")
            continue
        entries.append((sha, rest.lstrip(" \t")))
    return entries, problems


def bag_info_text(fields: list[tuple[str, str]]) -> bytes:
    lines = []
    for key, value in fields:
        clean = " ".join(value.split())  # no line breaks inside a value
        lines.append(f"{key}: {clean}\n")
    return "".join(lines).encode("utf-8")


def parse_bag_info(data: bytes, where: str = "bag-info.txt") -> tuple[dict[str, str], list[str]]:
    """(first value of each label, problems). A line starting with a space or tab continues the
    value above; any other line is ``Label: value``. A repeated label in ``READ_ONCE``, a line
    of another form, bytes that are not UTF-8 are problems."""
    found: dict[str, str] = {}
    lines, problems = tag_lines(data, where)
    current: str | None = None  # the label a continuation extends (None after a repeat)
    for n, line in enumerate(lines or [], 1):
        if line[:1] in (" ", "\t") and n > 1:
            if current is not None:
                found[current] += " " + line.strip()
            continue
        key, colon, value = line.partition(":")
        label = key.strip()
        if colon and label:
            current = None if label in found else label
            if current is None and label in READ_ONCE:
                problems.append(f"{where}: {label} repeated (ambiguous)")
            found.setdefault(label, value.strip())
        elif line.strip():
            problems.append(f"{where} line {n}: not 'Label: value'")
    return found, problems


@dataclass(frozen=True)
class Expected:
    """A stored blob to copy into a bag: its name, what it must hash to, and who it is for the
    error messages (``item 3 (photo.jpg)``)."""

    blob: str
    size: int
    sha256: str
    what: str

    def damaged(self) -> IntegrityFault:
        return IntegrityFault(f"{self.what}: stored copy is missing or damaged; run verify")

    def check(self, sha256: str, size: int) -> None:
        """The bytes written must be exactly the ones the stored SHA-256 names."""
        if size != self.size or sha256 != self.sha256:
            raise IntegrityFault(f"{self.what}: content does not match its hash")


class Sink(Protocol):
    def write_stream(self, rel: str, size: int, chunks: Iterator[bytes]) -> None: ...
    def write_bytes(self, rel: str, data: bytes) -> None: ...
    def write_blob(
        self, rel: str, blobs: BlobStore, blob: Expected, progress: Callable[[int], None]
    ) -> None:
        """Decrypt ``blob`` from the vault into ``rel``, re-hashing it; ``progress(bytes)`` on
        the caller's thread (it may raise to cancel). A mismatch raises here or, for a copy still
        in flight, from ``settle``."""

    def settle(self) -> None:
        """Wait for every payload file in flight; raise the first mismatch."""


class DirSink:
    """Writes the bag into a (temporary) folder; ``sync`` makes it durable before the rename.

    Payload files go through ``copy_in``: written with direct I/O where the file system allows
    it (from our buffers to the disk, nothing left in the page cache to write back) and hashed
    from the same buffers. One ``syncfs`` for the whole bag then makes the files' metadata
    and the small tag files durable, instead of an fsync per file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(mode=0o700)
        self._copier: BlockCopier | None = None
        self._pending: list[tuple[Expected, Copied]] = []  # written and hashed behind decryption

    def copy_in(
        self, rel: str, fill: Callable[[memoryview], int], progress: Callable[[int], None]
    ) -> Copied:
        """Start writing a payload file from ``fill`` (see ``BlockCopier.copy``); ``result()``
        of the answer gives (SHA-256 of what was written, size)."""
        if self._copier is None:
            self._copier = BlockCopier()
        fd = self._open(rel)
        try_direct(fd)
        return self._copier.copy(fd, fill, progress)  # closes fd

    def write_blob(
        self, rel: str, blobs: BlobStore, blob: Expected, progress: Callable[[int], None]
    ) -> None:
        """Fast path: decrypted into the copier's aligned blocks, then written (direct I/O) and
        re-hashed from them on two threads; checked when done (``settle`` waits for the rest)."""
        with contextlib.ExitStack() as stack:
            try:
                source = stack.enter_context(blobs.open_decrypted(blob.blob))
            except (agefmt.AgeError, OSError):  # the blob or its header
                raise blob.damaged() from None

            def fill(view: memoryview) -> int:
                try:
                    return source.readinto(view)
                except (agefmt.AgeError, OSError):  # reading the vault (write errors: later)
                    raise blob.damaged() from None

            self._pending.append((blob, self.copy_in(rel, fill, progress)))
        self._check(wait=False)

    def _check(self, wait: bool) -> None:
        while self._pending and (wait or self._pending[0][1].done()):
            blob, copied = self._pending.pop(0)
            blob.check(*copied.result())

    def settle(self) -> None:
        self._check(wait=True)

    def close(self) -> None:
        """Finish the files handed to ``copy_in`` and stop its threads (also after a failure)."""
        if self._copier is not None:
            self._copier.close()
            self._copier = None

    def _open(self, rel: str) -> int:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)

    def write_stream(self, rel: str, size: int, chunks: Iterator[bytes]) -> None:
        fd = self._open(rel)
        try:
            writer = WriterThread(fd)
            try:
                for chunk in chunks:
                    writer.write(chunk)
            finally:
                writer.close()
        finally:
            os.close(fd)

    def sync(self) -> None:
        syncfs(self.root)

    def write_bytes(self, rel: str, data: bytes) -> None:
        self.write_stream(rel, len(data), iter([data]))


class _ChunkReader:
    """A read()-able view of an iterator of chunks (what tarfile.addfile wants)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buf += nxt
        if n < 0:
            n = len(self._buf)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


class TarSink:
    """Writes the bag as a POSIX tar stream under ``<prefix>/`` (regular files only)."""

    def __init__(self, out: BinaryIO, prefix: str, mtime: float) -> None:
        self._tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self._prefix = prefix
        self._mtime = mtime

    def write_stream(self, rel: str, size: int, chunks: Iterator[bytes]) -> None:
        info = tarfile.TarInfo(f"{self._prefix}/{rel}")
        info.size, info.mode, info.mtime = size, 0o644, int(self._mtime)
        self._tar.addfile(info, _ChunkReader(chunks))

    def write_bytes(self, rel: str, data: bytes) -> None:
        self.write_stream(rel, len(data), iter([data]))

    def write_blob(
        self, rel: str, blobs: BlobStore, blob: Expected, progress: Callable[[int], None]
    ) -> None:
        """Decrypted chunks (joined to ~1 MiB) into the tar stream, hashed on a second thread
        while the next chunk is decrypted and the previous one encrypted."""
        digest = MultiHasher(blob.size, hash_sets=False)

        def chunks() -> Iterator[bytes]:
            size = 0
            try:
                for chunk in batched(blobs.read_chunks(blob.blob)):
                    progress(len(chunk))
                    digest.update(chunk)
                    size += len(chunk)
                    yield chunk
            except (agefmt.AgeError, OSError):
                raise blob.damaged() from None
            blob.check(digest.hexdigest(), size)

        try:
            self.write_stream(rel, blob.size, chunks())
        finally:
            digest.close()

    def settle(self) -> None:
        """Nothing in flight: each payload file is checked as its stream ends."""

    def close(self) -> None:
        self._tar.close()
