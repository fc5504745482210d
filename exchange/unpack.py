"""Encrypted bundles: ``<name>.tar.age`` = one tar of the bag, age-encrypted to the receiver.

Decryption and tar reading stream in one pass, and no decrypted byte is written to a file
system: the tag files (bagit.txt, bag-info.txt, the manifests, custos-bundle.json, the signature
files; each at most ``checks.MAX_TAG``) are kept in memory, every other member is hashed as it
goes by, and for an import (``recipients`` given) each payload file is encrypted, while it is
hashed with every digest import needs, straight into the vault's private ``tmp/`` as an age file
to the vault's own recipients (``exchange.staging``). The result is a ``StreamedBag``, which the
one checker (``exchange.checks``) reads like a folder; after the checks pass, import moves the
staged files into the blob store, else they are removed. ``bundle verify`` stages nothing.

``tarfile.extractall`` is never used: each member is checked first and only plain files and
folders under one top folder are taken. Links, devices, FIFOs, sparse members, absolute or
``..`` names, twins, duplicates and oversized members are findings, all listed.

Nothing can make us write (stage) more than the file holds: age adds 16 bytes to every 64 KiB
chunk, so the plaintext is never larger than the ciphertext, and a plain tar member's bytes are
in the plaintext. So before a member is taken, the declared sizes of the members so far must
fit in the encrypted file's size (and under ``MAX_BYTES``); sparse members (GNU, PAX
0.0/0.1/1.0), whose holes unpack from nothing, are refused outright; and before anything is
read, the vault's disk must have the encrypted file's size free (plus ``RESERVE``: the staged
copies are that size and a header each). ``bundle verify`` checks the space too: it tells
whether the import would pass. No member is taken longer than its header says.

Each import stages into its own folder ``bundle-<pid>-<start time>-<random>``: an import killed
outright (SIGKILL, power cut) leaves that folder, ciphertext only, and ``tmp/`` as a whole is
emptied only by a process that opens the vault alone. ``sweep`` removes the folders of processes
that are gone, whoever else has the vault open; it runs before every unpack and at every open
(``service.opener``); see :mod:`exchange.leftovers`.

A file that does not decrypt to its end (damaged, truncated, not for us) or whose tar is broken
gives one finding, its cause, and no bag: checking a partly read bag would only list what the
damage left missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tarfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from exchange.checks import MAX_TAG, OUTSIDE, TAG_FILES, BagReport, unsafe
from exchange.constants import MAX_BYTES, MAX_FILES
from exchange.leftovers import sweep, unpack_folder_name
from exchange.staging import Staged, TooLong, hash_only, stage
from vault.agefmt import CHUNK, TAG, AgeError, Identities, Recipient, decrypt_chunks
from vault.jobs import CancelToken, Emit, Progress, ignore
from vault.storework import FULL, Derivers, SourceFault, VaultFault


class _Reader(io.RawIOBase):
    """The decrypted stream, for tarfile. Reading on and on at its end is an error: tarfile
    skips a member by reading as far as its header says, one block at a time, and a header
    declaring exabytes would keep it reading nothing for ever."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = memoryview(b"")
        self._ends = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            nxt = next(self._chunks, None)
            if nxt is None:
                self._ends += 1
                if self._ends > 64:
                    raise EOFError("read on past the end of the tar")
                return 0
            self._buf = memoryview(nxt)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


SPARSE = "sparse member (its holes would unpack from nothing)"
RESERVE = 64 << 20  # left free on the vault's disk after the largest possible unpack


def free_space(folder: Path) -> int:
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def _sparse(m: tarfile.TarInfo) -> bool:
    """GNU sparse (type S) or PAX sparse 0.0, 0.1, 1.0 (``GNU.sparse.*`` records)."""
    return (
        m.issparse()
        or m.type == tarfile.GNUTYPE_SPARSE
        or any(key.startswith("GNU.sparse.") for key in m.pax_headers)
    )


def _member_problem(m: tarfile.TarInfo) -> str | None:
    if m.issym() or m.islnk():
        return "link entry"
    if m.ischr() or m.isblk() or m.isfifo():
        return "device or FIFO entry"
    if not (m.isreg() or m.isdir()):
        return "unsupported entry type"
    return unsafe(m.name.rstrip("/") if m.isdir() else m.name)


KEPT = frozenset((*TAG_FILES, *OUTSIDE))  # the tag files the checks read: kept in memory


class StreamedBag:
    """A bag read from a ``.tar.age`` in one stream (an ``exchange.checks.BagView``).

    Keeps the tag files of the first top folder in memory (at most ``len(KEPT)`` of
    ``MAX_TAG`` bytes each), the size and SHA-256 of every plain file, and for an import
    (``folder``: the staging folder under the vault's ``tmp/``) each payload file's staged
    copy. Members under another top folder are only read through: such a tar is no bundle.
    """

    def __init__(
        self,
        identity: Identities,
        folder: Path | None,
        recipients: list[Recipient] | None,
        emit: Emit,
        total: int,
        derivers: Derivers | None = None,
    ) -> None:
        self.folder, self._recipients = folder, recipients
        self._derivers = derivers  # evidence import: what the layers make of each file
        self._identity, self._emit, self._total = identity, emit, total
        self.top = ""
        self._first: str | None = None
        self._files: dict[str, int] = {}  # member name -> size
        self._dirs: set[str] = set()  # the folders its files imply (member names)
        self._tags: dict[str, bytes] = {}
        self._sha: dict[str, str] = {}
        self._done = 0
        self.staged: dict[str, Staged] = {}

    def take(self, name: str, src: io.BufferedReader, size: int, cancel: CancelToken) -> int:
        """Read one plain member through (never more than ``size``); returns the bytes read."""
        parts = name.split("/")
        folders = ["/".join(parts[:n]) for n in range(1, len(parts))]
        if name in self._dirs or any(f in self._files for f in folders):
            raise tarfile.TarError(f"member {name!r} is both a file and a folder")
        top, rel = parts[0], "/".join(parts[1:])
        self._first = self._first or top
        try:
            if top != self._first:  # no bundle; read through only (tar reads on past it)
                hash_only(src.read, size, cancel, size)
                return size
            if rel.startswith("data/"):
                sha, got = self._payload(rel, src, size, cancel)
            elif rel in KEPT and size <= MAX_TAG:
                data = src.read(size + 1)
                if len(data) > size:
                    raise TooLong(len(data))
                self._tags[name], sha, got = data, hashlib.sha256(data).hexdigest(), len(data)
            else:
                sha, got = hash_only(src.read, size, cancel, size)
        except TooLong:
            raise tarfile.TarError(f"member {name!r} is longer than its header says") from None
        self._files[name], self._sha[name] = got, sha
        self._dirs.update(folders)
        return got

    def _payload(
        self, rel: str, src: io.BufferedReader, size: int, cancel: CancelToken
    ) -> tuple[str, int]:
        if self.folder is not None and self._recipients is not None:
            derive = (self._derivers, rel) if self._derivers else None
            done = stage(src.read, size, self.folder, self._recipients, cancel, size, derive)
            self.staged[rel] = done
            sha, got = done.digests.sha256, done.size
        else:
            sha, got = hash_only(src.read, size, cancel, size)
        self._done += got
        self._emit(Progress(self._done, self._total, "bytes", "decrypting and hashing payload"))
        return sha, got

    def holds(self, top: str) -> bool:
        """``top`` is a folder holding at least one file (a bag, as far as the tar goes)."""
        return top in self._dirs and top == self._first

    def _name(self, rel: str) -> str:
        return f"{self.top}/{rel}"

    # The BagView the checks read.
    def listing(self, r: BagReport) -> dict[str, int] | None:
        cut = len(self.top) + 1
        return {n[cut:]: size for n, size in self._files.items() if n.startswith(self.top + "/")}

    def present(self, rel: str) -> bool:
        return self._name(rel) in self._dirs

    def is_link(self, rel: str) -> bool:
        return False  # links are tar member findings, never taken

    def read(self, rel: str) -> bytes:
        return self._tags[self._name(rel)]

    def tag_sha256(self, rel: str, cancel: CancelToken) -> str:
        return self._sha[self._name(rel)]

    def payload_sha256(
        self, rels: list[str], trusted: bool, cancel: CancelToken
    ) -> Iterator[tuple[str, str]]:
        for rel in rels:  # hashed (and staged) as the stream went by
            cancel.check()
            yield rel, self._sha[self._name(rel)]

    def read_payload(self, rel: str, limit: int) -> bytes:
        """A staged payload file decrypted into memory (at most ``limit`` + 1 bytes)."""
        out = bytearray()
        with open(self.staged[rel].tmp, "rb") as fh:
            for chunk in decrypt_chunks(fh, self._identity):
                out += chunk
                if len(out) > limit:
                    break
        return bytes(out)

    def payload_chunks(self, rel: str) -> Iterator[bytes]:
        """A staged payload file decrypted chunk by chunk (age's 64 KiB)."""
        with open(self.staged[rel].tmp, "rb") as fh:
            yield from decrypt_chunks(fh, self._identity)

    def discard(self) -> None:
        """Remove the staging folder (the staged files not moved into the store)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _write_member(
    dest: StreamedBag, rel: str, src: io.BufferedReader, size: int, cancel: CancelToken
) -> int:
    """Take one member: hash it, keep it (a tag file) or stage it encrypted (an import's
    payload); returns the bytes read (never more than its declared ``size``)."""
    return dest.take(rel, src, size, cancel)


def _damaged_at(src: Path, why: str) -> int | None:
    """Where an age file stops decrypting: the first byte of the chunk that fails
    authentication, or the end of a file cut short. None when the header cannot be found."""
    failed = re.fullmatch(r"payload chunk (\d+) failed authentication", why)
    try:
        with open(src, "rb") as fh:
            head = fh.read(1 << 16)
            size = os.fstat(fh.fileno()).st_size
    except OSError:
        return None
    mac = head.find(b"\n--- ")
    end = head.find(b"\n", mac + 1) if mac >= 0 else -1
    if end < 0:
        return None
    first = end + 1 + 16  # the header, then the payload nonce
    if failed is None:
        return size
    return min(first + int(failed[1]) * (CHUNK + TAG), size)


def _why_not(src: Path, exc: AgeError) -> str:
    """One line for a ``.tar.age`` that does not decrypt (the age error itself stays opaque)."""
    why = str(exc)
    if "no identity matched" in why:
        return f"{src.name}: not encrypted for this agency (no matching recipient)"
    if why == "truncated payload" or why.startswith("payload chunk"):
        at = _damaged_at(src, why)
        where = f" at byte {at}" if at is not None else ""
        return f"{src.name}: the encrypted bundle is truncated or damaged{where}"
    return f"{src.name}: the encrypted bundle does not decrypt (damaged or not an age file)"


def _too_large(m: tarfile.TarInfo, declared: int, cipher: int, src: Path) -> str | None:
    if declared > MAX_BYTES:
        return f"tar member {m.name!r}: the members declare {declared} bytes, over {MAX_BYTES}"
    if declared > cipher:
        before = f" (with the members before it, {declared})" if declared != m.size else ""
        return (
            f"tar member {m.name!r}: declares {m.size} bytes{before}, "
            f"more than the {cipher} bytes of {src.name} can hold"
        )
    return None


def unpack(
    src: Path,
    identity: Identities,
    work: Path,
    cancel: CancelToken,
    recipients: list[Recipient] | None = None,
    emit: Emit = ignore,
    derivers: Derivers | None = None,
) -> tuple[StreamedBag | None, list[str]]:
    """Decrypt and read ``src`` in one stream; returns (the bag or None, problems). With
    ``recipients`` (import) the payload is staged, encrypted to them, in a new folder under
    ``work`` (the vault's ``tmp/``); the caller discards the bag when done."""
    problems: list[str] = []
    try:
        fh = open(src, "rb", buffering=1 << 20)  # noqa: SIM115 (closed below)
    except OSError as exc:
        return None, [f"{src.name}: cannot be read ({exc.strerror})"]
    with fh:
        cipher = os.fstat(fh.fileno()).st_size  # bounds the plaintext, so every member
        free, need = free_space(work), cipher + RESERVE
        if free < need:
            return None, [
                f"{src.name}: not enough free disk space to unpack it ({free} bytes free "
                f"in the vault, {need} needed)"
            ]
        sweep(work)  # what killed imports left staged
        folder = None
        if recipients is not None:
            folder = work / unpack_folder_name()
            folder.mkdir(mode=0o700)
        bag = StreamedBag(identity, folder, recipients, emit, cipher, derivers)
        try:
            tops, fatal = _extract(src, fh, identity, bag, cipher, problems, cancel)
        except BaseException:
            bag.discard()
            raise
    top = tops.pop() if len(tops) == 1 else None
    if fatal or top is None or not bag.holds(top):  # one plain file, or no file in a folder
        if not problems:
            problems.append(f"{src.name}: the tar does not hold exactly one bundle folder")
        bag.discard()
        return None, problems
    bag.top = top
    return bag, problems


@contextlib.contextmanager
def _tar_slips() -> Iterator[None]:
    """tarfile's own slips on a malformed header (``int('')`` of a PAX ``GNU.sparse.map``...)
    become the ``TarError`` they should have been. Only around tarfile's header reading."""
    try:
        yield
    except (ValueError, OverflowError, IndexError, KeyError) as exc:
        raise tarfile.TarError(f"malformed member header: {exc}") from None


def _open_tar(reader: BinaryIO) -> tarfile.TarFile:
    with _tar_slips():  # opening reads the first header
        return tarfile.open(fileobj=reader, mode="r|")


def _next(tar: tarfile.TarFile) -> tarfile.TarInfo | None:
    with _tar_slips():
        return tar.next()


def _data_size(m: tarfile.TarInfo) -> int:
    """The bytes a member's data takes in the tar (what tarfile skips or reads for it)."""
    return max(m.size, 0) if m.isreg() or m.type not in tarfile.SUPPORTED_TYPES else 0


def _extract(
    src: Path,
    fh: BinaryIO,
    identity: Identities,
    dest: StreamedBag,
    cipher: int,
    problems: list[str],
    cancel: CancelToken,
) -> tuple[set[str], bool]:
    """Take the acceptable members into ``dest``; (top folders, fatal: no usable bag)."""
    tops: set[str] = set()
    names: dict[str, str] = {}
    count = declared = 0
    oversized = ""
    try:
        reader = io.BufferedReader(_Reader(decrypt_chunks(fh, identity)), 1 << 20)
        with _open_tar(reader) as tar:
            while (m := _next(tar)) is not None:
                cancel.check()
                count += 1
                if count > MAX_FILES:
                    problems.append(f"{src.name}: tar holds more than {MAX_FILES} members")
                    return tops, True
                if _sparse(m):
                    problems.append(f"tar member {m.name!r}: {SPARSE}")
                    continue
                declared += _data_size(m)  # refused members too: tar reads past their data
                oversized = _too_large(m, declared, cipher, src) or ""
                if oversized:  # before a byte of it is written or skipped
                    break
                why = _member_problem(m)
                if why:
                    problems.append(f"tar member {m.name!r}: {why}")
                    continue
                nfc = unicodedata.normalize("NFC", m.name.rstrip("/"))
                if nfc in names:
                    problems.append(f"tar member {m.name!r}: duplicate or twin of {names[nfc]!r}")
                    continue
                names[nfc] = m.name
                tops.add(m.name.split("/", 1)[0])
                if m.isreg():
                    f = tar.extractfile(m)
                    assert f is not None
                    _write_member(dest, m.name, f, m.size, cancel)  # type: ignore[arg-type]
        while oversized and reader.read(1 << 20):  # only to learn whether the file is damaged,
            cancel.check()  # which would explain the sizes its tar declares
    except AgeError as exc:
        problems.append(_why_not(src, exc))
        return tops, True
    except VaultFault as exc:
        if str(exc) == FULL:
            problems.append(f"{src.name}: the disk filled while unpacking it")
        else:
            problems.append(f"{src.name}: {exc}")
        return tops, True
    except (OSError, SourceFault) as exc:
        problems.append(f"{src.name}: the tar inside is truncated or damaged ({exc})")
        return tops, True
    except (tarfile.TarError, EOFError) as exc:
        problems.append(f"{src.name}: the tar inside is truncated or damaged ({exc})")
        return tops, True
    if oversized:
        problems.append(oversized)
    return tops, bool(oversized)
