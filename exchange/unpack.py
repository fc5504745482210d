"""Encrypted bundles: ``<name>.tar.age`` = one tar of the bag, age-encrypted to the receiver.

Decryption and tar reading stream in one pass into a private folder of the vault (``tmp/``, mode
0700, emptied at every open). ``tarfile.extractall`` is never used: each member is checked first
and only plain files and folders under one top folder are written, with ``O_EXCL|O_NOFOLLOW``.
Links, devices, FIFOs, absolute or ``..`` names, twins, duplicates and oversized members are
findings, all listed.

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

import io
import os
import re
import shutil
import tarfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from exchange.checks import unsafe
from exchange.constants import MAX_BYTES, MAX_FILES
from exchange.leftovers import sweep, unpack_folder_name
from vault.agefmt import CHUNK, TAG, AgeError, Identity, decrypt_chunks
from vault.jobs import CancelToken


class _Reader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._buf = memoryview(nxt)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _member_problem(m: tarfile.TarInfo) -> str | None:
    if m.issym() or m.islnk():
        return "link entry"
    if m.ischr() or m.isblk() or m.isfifo():
        return "device or FIFO entry"
    if not (m.isreg() or m.isdir()):
        return "unsupported entry type"
    return unsafe(m.name.rstrip("/") if m.isdir() else m.name)


def _write_member(dest: Path, rel: str, src: io.BufferedReader, cancel: CancelToken) -> None:
    path = dest / rel
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb", buffering=1 << 20) as out:
        while chunk := src.read(1 << 20):
            cancel.check()
            out.write(chunk)


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


def unpack(
    src: Path, identity: Identity, work: Path, cancel: CancelToken
) -> tuple[Path | None, list[str]]:
    """Decrypt and unpack ``src`` under ``work``; returns (bag folder or None, problems)."""
    problems: list[str] = []
    sweep(work)
    dest = work / unpack_folder_name()
    dest.mkdir(mode=0o700)
    tops: set[str] = set()
    names: dict[str, str] = {}
    count = total = 0
    fatal = False  # the stream ended early: what was written is not the bundle
    try:
        with open(src, "rb", buffering=1 << 20) as fh:
            reader = io.BufferedReader(_Reader(decrypt_chunks(fh, identity)), 1 << 20)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for m in tar:
                    cancel.check()
                    count += 1
                    total += max(m.size, 0)
                    if count > MAX_FILES or total > MAX_BYTES:
                        problems.append(f"{src.name}: tar holds too many or too large members")
                        fatal = True
                        break
                    why = _member_problem(m)
                    if why:
                        problems.append(f"tar member {m.name!r}: {why}")
                        continue
                    nfc = unicodedata.normalize("NFC", m.name.rstrip("/"))
                    if nfc in names:
                        twin = names[nfc]
                        problems.append(f"tar member {m.name!r}: duplicate or twin of {twin!r}")
                        continue
                    names[nfc] = m.name
                    tops.add(m.name.split("/", 1)[0])
                    if m.isreg():
                        f = tar.extractfile(m)
                        assert f is not None
                        _write_member(dest, m.name, f, cancel)  # type: ignore[arg-type]
    except AgeError as exc:
        problems.append(_why_not(src, exc))
        fatal = True
    except (tarfile.TarError, EOFError, OSError) as exc:
        problems.append(f"{src.name}: the tar inside is truncated or damaged ({exc})")
        fatal = True
    if fatal or len(tops) != 1:
        if not problems:
            problems.append(f"{src.name}: the tar does not hold exactly one bundle folder")
        shutil.rmtree(dest, ignore_errors=True)
        return None, problems
    root = dest / tops.pop()
    return (root if root.is_dir() else None), problems


def discard(bag: Path | None, work: Path) -> None:
    """Remove an unpacked bundle (the folder right under ``work``)."""
    if bag is None:
        return
    top = bag
    while top.parent != work and top.parent != top:
        top = top.parent
    if top.parent == work:
        shutil.rmtree(top, ignore_errors=True)
