"""Large files of ``custos ingest`` encrypted into the vault's ``tmp/`` while the command line
still imports its modules and unlocks the vault (``cli.main`` starts it; ``vault.ingest`` takes
what it made).

A command-line ingest of a large file spends its first ~0.6 s on one core (imports, Argon2id)
before it reads a byte. A forked child does the stream work meanwhile: it reads each large file
named on the command line once, computes its SHA-256 and encrypts it with age's STREAM into
``tmp/<random>``, fsynced. It needs no secret and reads nothing unauthenticated that decides where
evidence goes: the payload is encrypted under a fresh file key that only the child and its parent
ever hold (it crosses the pipe between them, never the disk), and the space of the header is left
empty. The unlocked process then checks and records it (``vault.ingest``):

* the header that wraps the file key is written only then, for the recipients of the unlocked
  vault (an edited ``vault.toml`` can never make the early work encrypt to a stranger's key);
  a header of another length (other recipients) means the staged file is dropped and the file
  stored as usual;
* the source must be the very file the child read (device, inode, size, mtime and ctime, taken
  before and after the child's read and compared again when the file is recorded): a file
  changed in between is refused, in one line, as any ingest refuses it;
* MD5 and SHA-1 (a case that shares hash sets) are computed by the unlocked process, which alone
  knows the case's choice, reading the file again from the page cache while the child finishes.

Nothing here writes plaintext. A staged file is locked (``flock``) by the child while it lives,
so a vault opened meanwhile (this very command's unlock) keeps it in ``tmp/``
(``vault.session``); the child lives until its parent closes the stage or dies (the kernel kills
it with the parent: ``storework._die_with``). A staged file not recorded is removed by ``close``;
after a crash, it is an unreadable leftover (no header) removed at the next open. Anything the
child could not do (a link, a file under ``WORTH``, a full disk) is left to the ingest itself.

The child writes with ``O_DIRECT`` (``vault.directio``): no page cache to fill and flush, a
second of kernel CPU saved per GiB. Only the standard library and light vault modules
(``agefmt``, ``hashing``, ``storework``, ``directio``, ``fsutil``) are imported: this runs before
the command's heavy imports.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import stat
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vault import agefmt, storework
from vault.directio import DirectWriter
from vault.forked import Forked, Ident, ident
from vault.fsutil import start_writeback
from vault.hashing import MultiHasher

if TYPE_CHECKING:
    from vault.jobs import CancelToken

WORTH = 64 << 20  # a smaller file is stored by the ingest itself (a fork costs more)
WRITEBACK = 16 << 20  # start writing the staged file to disk every this many bytes
PROGRESS = 16 << 20  # a progress line every this many bytes
RECIPIENTS = 2  # every blob is encrypted to the vault's recipient and the recovery one


@dataclass(frozen=True)
class Staged:
    """One file the child read and encrypted: ``tmp`` holds the nonce and payload after
    ``header_size`` bytes left for the header (``agefmt.header_for(file_key, recipients)``)."""

    tmp: str
    file_key: bytes = field(repr=False)
    header_size: int
    size: int
    sha256: str
    ident: Ident  # the source as the child read it (unchanged from before to after)


def candidates(args: list[str]) -> list[Path]:
    """The arguments that name regular files of at least ``WORTH`` bytes (links not followed),
    in order, each once. Anything else (an option's value, a folder) is not a candidate; a
    candidate the command does not ingest after all costs only the child's work."""
    found: list[Path] = []
    for arg in args:
        if arg.startswith("-"):
            continue
        path = Path(arg)
        with contextlib.suppress(OSError, ValueError):
            st = path.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_size >= WORTH and path not in found:
                found.append(path)
    return found


class StageAhead:
    """The forked child staging ``paths`` into ``folder/tmp`` and what it reported."""

    def __init__(self, folder: Path, paths: list[Path]) -> None:
        self.folder = folder
        header_size = agefmt.header_size(RECIPIENTS)
        self._paths = paths
        self._cond = threading.Condition()
        self._done: dict[int, Staged | None] = {}  # index -> staged, or None: left to ingest
        self._progress: dict[int, int] = {}  # index -> bytes read so far
        self._temps: dict[int, str] = {}  # index -> temp file made (removed unless taken)
        self._child: Forked | None = None
        tmp = folder / "tmp"
        if not paths or not hasattr(os, "fork") or tmp.is_symlink() or not tmp.is_dir():
            return
        alive_r, alive_w = os.pipe()  # the child waits for its end before it leaves
        parent = os.getpid()

        def work(out: int) -> None:
            os.close(alive_w)
            _child(str(tmp), paths, header_size, out, alive_r, parent)

        self._child = Forked(work, self._take, self._cond, "custos-stage")
        os.close(alive_r)
        self._alive = alive_w

    # --- the parent ------------------------------------------------------------------------
    @property
    def _ended(self) -> bool:
        """No more reports will come (no child, or its output ended)."""
        return self._child is None or self._child.ended

    def _take(self, lines: list[bytes]) -> None:
        for line in lines:
            self._add(line.decode("ascii", "replace").split())

    def _add(self, parts: list[str]) -> None:
        try:
            kind, index = parts[0], int(parts[1])
            if not 0 <= index < len(self._paths):
                return
            if kind == "T":
                self._temps[index] = os.path.join(self.folder, "tmp", parts[2])
            elif kind == "P":
                self._progress[index] = int(parts[2])
            elif kind == "F":
                self._done[index] = None
            elif kind == "D" and index in self._temps:
                key, size, sha256 = bytes.fromhex(parts[2]), int(parts[4]), parts[5]
                found = tuple(int(p) for p in parts[6:11])
                self._done[index] = Staged(
                    self._temps[index],
                    key,
                    int(parts[3]),
                    size,
                    sha256,
                    found,  # type: ignore[arg-type]
                )
        except (IndexError, ValueError):
            return

    def take(
        self, path: Path, cancel: CancelToken, progress: Callable[[int], None]
    ) -> Staged | None:
        """What the child made of ``path`` (waits for it), or None: store it as usual. Reports
        the child's bytes read through ``progress`` (the increase each time) while it waits."""
        if path not in self._paths:
            return None
        index = self._paths.index(path)
        told = 0
        with self._cond:
            while index not in self._done and not self._ended and not cancel.cancelled:
                self._cond.wait(0.1)
                now = self._progress.get(index, 0)
                if now > told:
                    progress(now - told)
                    told = now
            staged = self._done.pop(index, None)
        if staged is not None:
            progress(staged.size - told)
            self._temps.pop(index, None)  # the caller's from now on (moved in or dropped)
        elif told:
            progress(-told)  # stored as usual: its bytes are counted again
        return staged

    def close(self) -> None:
        """Stop the child (staging or waiting) and remove the temp files not taken; safe to call
        again."""
        if self._child is not None and self._child.pid:
            self._child.close()
            os.close(self._alive)
        for tmp in self._temps.values():
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._temps.clear()

    def __enter__(self) -> StageAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the child ------------------------------------------------------------------------------
def _child(
    tmp_dir: str, paths: list[Path], header_size: int, out: int, alive: int, parent: int
) -> None:
    """Runs in the forked child: stage each path, one report line per event, then hold the
    staged files' locks until the parent closes ``alive`` (or dies)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent's cancel token decides
    storework._die_with(parent)
    held: list[int] = []  # the staged files' descriptors: their locks live as long as we do

    def say(*fields: object) -> None:
        os.write(out, (" ".join(map(str, fields)) + "\n").encode())  # < PIPE_BUF: atomic

    for index, path in enumerate(paths):

        def tell(kind: str, *fields: object, index: int = index) -> None:
            say(kind, index, *fields)

        try:
            staged = _stage(tmp_dir, path, header_size, held, tell)
        except OSError:
            staged = None
        if staged is None:
            say("F", index)
        else:
            key, size, sha256, found = staged
            say("D", index, key.hex(), header_size, size, sha256, *found)
    with contextlib.suppress(OSError):
        os.read(alive, 1)  # end of input: the parent is done (or gone)


def _stage(
    tmp_dir: str,
    path: Path,
    header_size: int,
    held: list[int],
    say: Callable[..., None],
) -> tuple[bytes, int, str, Ident] | None:
    """Stage one file: (file key, bytes read, SHA-256, source ident), or None if it is left to
    the ingest (not a regular file of ``WORTH`` bytes, changed while read, cannot be written)."""
    src = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        before = os.fstat(src)
        if not stat.S_ISREG(before.st_mode) or before.st_size < WORTH:
            return None
        with contextlib.suppress(OSError):  # read once, front to back
            os.posix_fadvise(src, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        name = uuid.uuid4().hex
        tmp = os.path.join(tmp_dir, name)
        # Named to the parent before it exists: a kill between the two would otherwise leave a
        # file the parent never heard of (its close removes the names it was told).
        say("T", name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        held.append(fd)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(tmp).st_ino != os.fstat(fd).st_ino:
            return None  # a vault opened meanwhile emptied tmp/ before the lock was taken
        out = DirectWriter(fd)  # straight to the disk: no page cache to fill and flush
        try:
            out.write(bytes(header_size))  # the header's place, written by the unlocked process
            enc, file_key = agefmt.Encryptor.headless(out)  # type: ignore[arg-type]
            hasher = MultiHasher(before.st_size, hash_sets=False)
            marks = {"synced": 0, "told": 0}

            def step(n: int) -> bool:
                done = marks["told"] + n
                marks["told"] = done
                if not out.direct and out.written >= marks["synced"] + WRITEBACK:
                    start_writeback(fd, marks["synced"], out.written - marks["synced"])
                    marks["synced"] = out.written
                if done // PROGRESS != (done - n) // PROGRESS:
                    say("P", done)
                return True

            try:
                read = storework.encrypt_into(src, enc, hasher, step)
                enc.close()
                out.close()
                os.fsync(fd)
                digest = hasher.digests().sha256
            except (storework.SourceFault, storework.VaultFault, OSError):
                return None
            finally:
                hasher.close()
        finally:
            out.abandon()
        if read is None or storework.unchanged(str(path), before, os.fstat(src), read):
            return None
        return file_key, read, digest, ident(before)
    finally:
        os.close(src)
