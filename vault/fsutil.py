"""Durable file-system steps: atomic replace, fsync of files and folders, syncfs; and the one
private temp copy of decrypted bytes for libraries that read files only."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

# The C library's symbols through the program's own handle (dlopen(NULL)): ``find_library``
# would run ``/sbin/ldconfig -p`` as a child process at every start of every command.
_libc = ctypes.CDLL(None, use_errno=True)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(folder: Path) -> None:
    """Flush every dirty page of the file system holding ``folder`` (one call for a batch)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _libc.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(folder))
    finally:
        os.close(fd)


_libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
_SYNC_FILE_RANGE_WRITE = 2


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a file range to disk without waiting (``sync_file_range``, Linux).

    Not a durability point (``fsync`` still is): it only lets the disk work while we go on
    encrypting, so the final ``fsync`` of a large file has little left to do. Best effort.
    """
    _libc.sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def create_temp(path: Path, mode: int = 0o600) -> tuple[int, Path]:
    """A new, empty file next to ``path`` under a random name (``.<name>.<random>.tmp``), open
    for writing with the permissions set at creation.

    ``O_EXCL|O_NOFOLLOW``: whatever someone planted in the folder (a symbolic link to their own
    file, at any name they could guess) is never opened, only a file this call created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue


def publish(tmp: Path, path: Path, overwrite: bool = True) -> None:
    """Give the finished ``tmp`` its name ``path``, then fsync the folder.

    ``overwrite=False``: ``path`` must not exist, not even as a dangling link; raises
    ``FileExistsError`` otherwise (``link`` refuses any existing name, where a check before
    ``replace`` would leave a gap). File systems without hard links (FAT) fall back to a check
    and ``replace``.
    """
    if overwrite:
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
                raise
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
            os.replace(tmp, path)
        else:
            os.unlink(tmp)
    fsync_dir(path.parent)


def atomic_write(path: Path, data: bytes, mode: int = 0o600, overwrite: bool = True) -> None:
    """Temp file in the same folder (``create_temp``), fsync, ``publish``."""
    fd, tmp = create_temp(path, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def plain_copy(chunks: Iterable[bytes], suffix: str = "") -> Iterator[Path]:
    """Decrypted bytes where a library that reads files only (OpenCV, FFmpeg) can open them by
    name, in this process: anonymous memory (``memfd_create``) read as ``/proc/self/fd/N``,
    which is in no folder and goes with the process, even one killed outright. Where there is
    no memfd (not Linux), a private temp file (0600), always removed on leaving."""
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        memfd = os.memfd_create("custos-plain", os.MFD_CLOEXEC)
        try:
            with os.fdopen(os.dup(memfd), "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            yield Path(f"/proc/self/fd/{memfd}")
        finally:
            os.close(memfd)
        return
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    fd, name = tempfile.mkstemp(prefix="custos-", suffix=suffix, dir=base)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


_held_here: dict[str, threading.RLock] = {}
_held_depth: dict[str, int] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold ``path`` (a lock file kept for this one purpose, made if missing) against every
    other process and every other thread of this one; the same thread may take it again inside.

    ``flock`` on a descriptor of its own, not fcntl record locks (``lockf``): those belong to
    the process, so another thread gets them at once, and closing *any* descriptor of the file
    drops them all. A link planted in its place is refused (``O_NOFOLLOW``)."""
    key = os.path.abspath(path)
    with _held_guard:
        lock = _held_here.setdefault(key, threading.RLock())
    with lock:
        if _held_depth.get(key, 0):
            _held_depth[key] += 1
            try:
                yield
            finally:
                _held_depth[key] -= 1
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _held_depth[key] = 1
            try:
                yield
            finally:
                _held_depth[key] = 0
        finally:
            os.close(fd)
