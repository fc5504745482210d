"""Encrypted bundles: ``<name>.tar.age`` = one tar of the bag, age-encrypted to the receiver.

Decryption and tar reading stream in one pass into a private folder of the vault (``tmp/``, mode
0700, emptied at every open). ``tarfile.extractall`` is never used: each member is checked first
and only plain files and folders under one top folder are written, with ``O_EXCL|O_NOFOLLOW``.
Links, devices, FIFOs, sparse members, absolute or ``..`` names, twins, duplicates and oversized
members are findings, all listed.

Nothing can make us write more than the file holds: age adds 16 bytes to every 64 KiB chunk, so
the plaintext is never larger than the ciphertext, and a plain tar member's bytes are in the
plaintext. So before a member is written, the declared sizes of the members so far must fit in
the encrypted file's size (and under ``MAX_BYTES``); sparse members (GNU, PAX 0.0/0.1/1.0), whose
holes unpack from nothing, are refused outright; and before anything is written, the vault's
disk must have the encrypted file's size free (plus ``RESERVE``). No member is written longer
than its header says.

Each unpack has its own folder ``bundle-<pid>-<start time>-<random>``: an import killed outright
(SIGKILL, power cut) leaves its folder, with the partner's evidence in clear, and ``tmp/`` as a
whole is emptied only by a process that opens the vault alone. ``sweep`` removes the folders of
processes that are gone, whoever else has the vault open; it runs before every unpack and at
every open (``service.opener``); see :mod:`exchange.leftovers`.

A file that does not decrypt to its end (damaged, truncated, not for us) or whose tar is broken
gives one finding, its cause, and no bag: checking a partly written bag would only list what the
damage left missing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import tarfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from exchange.checks import unsafe
from exchange.constants import MAX_BYTES, MAX_FILES
from exchange.leftovers import sweep, unpack_folder_name
from vault.agefmt import CHUNK, TAG, AgeError, Identities, decrypt_chunks
from vault.jobs import CancelToken


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


def _write_member(
    dest: Path, rel: str, src: io.BufferedReader, size: int, cancel: CancelToken
) -> int:
    """Write one member; returns the bytes written (never more than its declared ``size``)."""
    path = dest / rel
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    written = 0
    with os.fdopen(fd, "wb", buffering=1 << 20) as out:
        while chunk := src.read(1 << 20):
            cancel.check()
            written += len(chunk)
            if written > size:
                raise tarfile.TarError(f"member {rel!r} is longer than its header says")
            out.write(chunk)
    return written


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
    src: Path, identity: Identities, work: Path, cancel: CancelToken
) -> tuple[Path | None, list[str]]:
    """Decrypt and unpack ``src`` under ``work``; returns (bag folder or None, problems)."""
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
        sweep(work)  # what killed imports left in clear
        dest = work / unpack_folder_name()
        dest.mkdir(mode=0o700)
        tops, fatal = _extract(src, fh, identity, dest, cipher, problems, cancel)
    root = dest / tops.pop() if len(tops) == 1 else None
    if fatal or root is None or not root.is_dir():  # one plain file, or a folder never written
        if not problems:
            problems.append(f"{src.name}: the tar does not hold exactly one bundle folder")
        shutil.rmtree(dest, ignore_errors=True)
        return None, problems
    return root, problems


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
    dest: Path,
    cipher: int,
    problems: list[str],
    cancel: CancelToken,
) -> tuple[set[str], bool]:
    """Write the acceptable members under ``dest``; (top folders, fatal: no usable bag)."""
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
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            problems.append(f"{src.name}: the disk filled while unpacking it")
        else:
            problems.append(f"{src.name}: the tar inside is truncated or damaged ({exc})")
        return tops, True
    except (tarfile.TarError, EOFError) as exc:
        problems.append(f"{src.name}: the tar inside is truncated or damaged ({exc})")
        return tops, True
    if oversized:
        problems.append(oversized)
    return tops, bool(oversized)


def discard(bag: Path | None, work: Path) -> None:
    """Remove an unpacked bundle (the folder right under ``work``)."""
    if bag is None:
        return
    top = bag
    while top.parent != work and top.parent != top:
        top = top.parent
    if top.parent == work:
        shutil.rmtree(top, ignore_errors=True)
