"""Hash a bag's payload in a child process while the command line starts and unlocks the vault.

``custos bundle verify`` spends ~0.5 s of one core before it can check anything: imports
(SQLAlchemy, the models) and the Argon2id unlock (the trust list is in the encrypted database).
Hashing the payload in threads of the same process overlapped badly with the imports, which hold
the GIL (a hash thread waits up to the switch interval for it after every chunk), so the payload
is hashed by a forked child instead: it starts before the heavy imports, uses both cores once the
parent is waiting, and hands back one line per file through a pipe.

Only stdlib is imported here (this module is loaded before the heavy imports). Nothing the child
reports is trusted beyond what verification would do itself: a digest is used only for the same
file (device, inode) whose size, mtime and ctime are unchanged since the child read it (checked
by ``lstat`` when the digest is used) and were not recent when it did (``RACY_NS``), else the
file is hashed again; a file the child did not report is hashed by the verification as before.
The child is bounded like the checks (at most ``max_files`` files, ``max_bytes`` bytes), never
follows a link, hashes through ``mmap`` (no copy; a file truncated under it kills only the
child), ignores Ctrl-C (the parent decides) and is killed when the command ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import signal
import stat
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from vault.forked import Forked, Ident, ident

if TYPE_CHECKING:
    from vault.jobs import CancelToken

THREADS = 2
WORTH = 16 << 20  # a smaller payload is hashed by the verification itself (a fork costs more)
# A file changed less than this before the child reads it is left to the parent: file times are
# coarse (a clock tick; 1 s on some file systems), so a second change within it would not show.
RACY_NS = 2_000_000_000


def _payload(root: Path, max_files: int) -> tuple[list[Path], int]:
    """Regular files under ``root/data`` (links not followed), sorted as verification asks."""
    found: list[Path] = []
    size = 0
    for folder, _dirs, names in os.walk(root / "data"):
        for name in names:
            path = Path(folder, name)
            with contextlib.suppress(OSError):
                st = path.lstat()
                if stat.S_ISREG(st.st_mode):
                    found.append(path)
                    size += st.st_size
            if len(found) >= max_files:
                return sorted(found), size
    return sorted(found), size


def _child(paths: list[Path], out: int, max_bytes: int) -> None:
    """Runs in the forked child: hash ``paths`` on two threads, one line per file to ``out``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()
    state = {"next": 0, "bytes": 0, "stop": False}

    def one(index: int) -> bytes | None:
        started = time.time_ns()
        fd = os.open(paths[index], os.O_RDONLY | os.O_NOFOLLOW)
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                return None
            if max(before.st_mtime_ns, before.st_ctime_ns) > started - RACY_NS:
                return None  # changed just now: a change after our read might not show in stat
            with lock:
                state["bytes"] += before.st_size
                if state["bytes"] > max_bytes:
                    state["stop"] = True
                    return None
            digest = hashlib.sha256()
            if before.st_size:
                # Mapped, not read: no copy into a buffer (~15% of the CPU time of hashing).
                # A file truncated meanwhile would kill this child with SIGBUS: the parent then
                # hashes the files left itself.
                with mmap.mmap(fd, before.st_size, prot=mmap.PROT_READ) as mapped:
                    digest.update(mapped)
            if ident(os.fstat(fd)) != ident(before):
                return None  # changed while read: the parent hashes it itself
            fields = (index, digest.hexdigest(), *ident(before))
            return (" ".join(map(str, fields)) + "\n").encode()
        finally:
            os.close(fd)

    def worker() -> None:
        while True:
            with lock:
                index = state["next"]
                state["next"] += 1
                if index >= len(paths) or state["stop"]:
                    return
            try:
                line = one(index)
            except OSError:
                continue
            if line is not None:
                try:
                    os.write(out, line)  # < PIPE_BUF: one atomic write
                except OSError:  # the parent is gone or done: stop
                    with lock:
                        state["stop"] = True
                    return

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class Prehash:
    """Payload digests computed ahead by a child process; ``digest`` is a drop-in hash function."""

    def __init__(self, root: Path, max_files: int, max_bytes: int, worth: int = WORTH) -> None:
        self._results: dict[Path, tuple[str, Ident]] = {}
        self._cond = threading.Condition()
        self._child: Forked | None = None
        self._paths: list[Path] = []
        self.root = root
        if not hasattr(os, "fork") or root.is_symlink() or not root.is_dir():
            return
        self._paths, size = _payload(root, max_files)
        if size < worth:
            return
        paths = self._paths
        self._child = Forked(
            lambda out: _child(paths, out, max_bytes), self._take, self._cond, "custos-prehash"
        )

    @property
    def _done(self) -> bool:
        """No more digests will come (no child, or its output ended)."""
        return self._child is None or self._child.ended

    @property
    def _pid(self) -> int:
        return self._child.pid if self._child is not None else 0

    def _take(self, lines: list[bytes]) -> None:
        for line in lines:
            self._add(line)

    def _add(self, line: bytes) -> None:
        parts = line.decode("ascii", "replace").split()
        if len(parts) != 7 or not parts[0].isdigit() or not 0 <= int(parts[0]) < len(self._paths):
            return
        try:
            dev, ino, size, mtime, ctime = (int(p) for p in parts[2:])
        except ValueError:
            return
        self._results[self._paths[int(parts[0])]] = (parts[1], (dev, ino, size, mtime, ctime))

    def digest(self, path: Path, cancel: CancelToken) -> str:
        """SHA-256 of ``path``: the child's, if it read this very file unchanged; else hashed."""
        with self._cond:
            while path not in self._results and not self._done:
                cancel.check()
                self._cond.wait(0.1)
            found = self._results.pop(path, None)
        if found is not None:
            with contextlib.suppress(OSError):
                if ident(path.lstat()) == found[1]:
                    return found[0]
        from exchange.hashpipe import sha256_file  # loaded by then (imported late: start-up)

        return sha256_file(path, cancel)

    def close(self) -> None:
        """Stop the child (if still hashing) and collect it; safe to call again."""
        if self._child is not None:
            self._child.close()

    def __enter__(self) -> Prehash:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
