"""Hashing beside I/O: many files hashed by a small pool, a writer thread, and the block copier.

hashlib releases the GIL on buffers above 2 KiB and file reads release it too, so on two cores
reading (or decrypting) one chunk overlaps with hashing the previous one, and two files hash at
once. Chunks are 1 MiB. A stream hashed on another thread uses ``vault.hashing.MultiHasher``.
``BlockCopier`` (export of a folder bag) goes further: 4 MiB aligned blocks decrypted into in
place, hashed and written with direct I/O on two threads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from vault.jobs import CancelToken

CHUNK = 1 << 20


def batched(chunks: Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Join small chunks (age's are 64 KiB) into ~1 MiB ones: fewer hand-offs and system calls."""
    buf: list[bytes] = []
    n = 0
    for chunk in chunks:
        buf.append(chunk)
        n += len(chunk)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


class WriterThread:
    """Writes chunks to a file descriptor on another thread (the caller goes on decrypting)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._inbox.get()) is not None:
            if self._error is not None:
                continue  # drain: the caller learns of the error at the next write or close
            try:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as exc:
                self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._inbox.put(chunk)

    def close(self) -> None:
        """Wait for every queued chunk; raises the first write error."""
        if self._thread.is_alive():
            self._inbox.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


BLOCK = 4 << 20  # a multiple of age's 64 KiB chunks and of any disk's block size
ALIGN = 4096  # O_DIRECT: buffer address, file offset and length (all but a file's tail)
O_DIRECT = getattr(os, "O_DIRECT", 0)


def try_direct(fd: int) -> bool:
    """Switch ``fd`` to direct I/O (Linux ``O_DIRECT``) if the file system allows it.

    Writes then go from our buffers straight to the disk: no page-cache copy (on this VM a
    buffered GiB cost ~2 s of kernel time), and the final sync has no data left to write.
    Not a durability point by itself: the caller still syncs (file metadata, the disk's cache).
    """
    if not O_DIRECT:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | O_DIRECT)
    except OSError:
        return False
    return True


def _buffered(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~O_DIRECT)


def _write_all(fd: int, view: memoryview) -> None:
    """Write ``view`` whole; a direct write the file system refuses is done buffered instead."""
    while view:
        try:
            view = view[os.write(fd, view) :]
        except OSError as exc:
            direct = O_DIRECT and fcntl.fcntl(fd, fcntl.F_GETFL) & O_DIRECT
            if exc.errno != errno.EINVAL or not direct:
                raise
            _buffered(fd)


class _Block:
    """A page-aligned buffer (anonymous mmap), as O_DIRECT needs; in use by the hasher and
    the writer at once, back in the free list when both are done with it."""

    def __init__(self) -> None:
        self.mem = mmap.mmap(-1, BLOCK)
        self.view = memoryview(self.mem)
        self.users = 0


class Copied:
    """One file handed to a ``BlockCopier``: its digest and size once hashed and written."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: Exception | None = None
        self._hashed = threading.Event()
        self._written = threading.Event()

    def done(self) -> bool:
        return self._hashed.is_set() and self._written.is_set()

    def result(self) -> tuple[str, int]:
        """(SHA-256 of the bytes written, size), once every block is hashed and written and the
        file closed; raises the first write error."""
        self._hashed.wait()
        self._written.wait()
        if self.error is not None:
            raise self.error
        return self.digest.hexdigest(), self.size


class BlockCopier:
    """Copies what a fill function produces into files through aligned blocks, hashing it.

    The caller's thread fills a block (decrypts into it); SHA-256 runs on one thread and the
    write on another, both from the same block: no per-chunk objects, no joined copies, and
    hashing, writing and decrypting the next block overlap (hashlib, AEAD calls and writes
    release the GIL). Files follow each other without a pause: ``copy`` returns once the last
    block is handed over, the writer closes the file after it, and ``Copied.result`` waits.
    One copier serves a whole bag; ``close`` finishes all work and stops its threads.
    """

    def __init__(self, blocks: int = 8) -> None:
        self._free: queue.Queue[_Block] = queue.Queue()
        for _ in range(blocks):
            self._free.put(_Block())
        self._lock = threading.Lock()
        self._hash_q: queue.Queue[tuple[Copied, _Block | None, int] | None] = queue.Queue()
        self._write_q: queue.Queue[tuple[Copied, _Block | None, int] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._hasher, daemon=True, name="custos-sha256"),
            threading.Thread(target=self._writer, daemon=True, name="custos-write"),
        ]
        for t in self._threads:
            t.start()

    def _release(self, block: _Block) -> None:
        with self._lock:
            block.users -= 1
            if block.users == 0:
                self._free.put(block)

    def _hasher(self) -> None:
        while (job := self._hash_q.get()) is not None:
            f, block, n = job
            if block is None:
                f._hashed.set()
                continue
            try:
                f.digest.update(block.view[:n])
            except Exception as exc:  # not expected; but the thread must go on
                f.error = f.error or exc
            finally:
                self._release(block)

    def _writer(self) -> None:
        while (job := self._write_q.get()) is not None:
            f, block, n = job
            if block is None:  # the file's end: close it (its fd is ours since ``copy``)
                try:
                    os.close(f.fd)
                except OSError as exc:
                    f.error = f.error or exc
                f._written.set()
                continue
            try:
                if f.error is None:
                    aligned = n - n % ALIGN
                    _write_all(f.fd, block.view[:aligned])
                    if aligned < n:  # a file's tail: direct I/O takes whole blocks only
                        if fcntl.fcntl(f.fd, fcntl.F_GETFL) & O_DIRECT:
                            _buffered(f.fd)
                        _write_all(f.fd, block.view[aligned:n])
            except Exception as exc:  # OSError mostly; anything else must not stop the thread
                f.error = exc
            finally:
                self._release(block)

    def _dispatch(self, f: Copied, block: _Block, n: int) -> None:
        block.users = 2
        f.size += n
        self._hash_q.put((f, block, n))
        self._write_q.put((f, block, n))

    def copy(
        self, fd: int, fill: Callable[[memoryview], int], progress: Callable[[int], None]
    ) -> Copied:
        """Write what ``fill`` produces to ``fd``, which the copier closes when done.

        ``fill(buffer)`` puts the next bytes into ``buffer`` (decrypts into it) and returns how
        many, 0 at the end; ``progress(bytes)`` runs after each block. Both run on the caller's
        thread and may raise (a damaged blob, a cancel): whatever happens the file is closed
        and its ``Copied`` completes.
        """
        f = Copied(fd)
        block: _Block | None = None
        try:
            while True:
                block, n = self._free.get(), 0
                while n < BLOCK and (got := fill(block.view[n:])):
                    n += got
                if n:
                    self._dispatch(f, block, n)
                    block = None
                    progress(n)
                if n < BLOCK:
                    break
        finally:
            if block is not None:
                self._free.put(block)
            self._hash_q.put((f, None, 0))
            self._write_q.put((f, None, 0))
        return f

    def close(self) -> None:
        """Finish every file handed over, then stop the threads and free the blocks."""
        self._hash_q.put(None)
        self._write_q.put(None)
        for t in self._threads:
            t.join()
        while not self._free.empty():
            block = self._free.get_nowait()
            block.view.release()
            with contextlib.suppress(BufferError):
                block.mem.close()


def sha256_file(path: Path, cancel: CancelToken) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        while chunk := fh.read(CHUNK):
            cancel.check()
            digest.update(chunk)
    return digest.hexdigest()


def hash_many(
    jobs: Iterable[tuple[str, Path]],
    digest: Callable[[Path, CancelToken], str],
    cancel: CancelToken,
    workers: int = 2,
) -> Iterator[tuple[str, str]]:
    """(key, digest) for each (key, path) as they finish; at most ``2 * workers`` in flight.

    Results are yielded on the caller's thread (progress events stay there). A failure or a
    cancel stops the others at their next chunk.
    """
    pending: dict[Future[str], str] = {}
    it = iter(jobs)
    with ThreadPoolExecutor(workers, thread_name_prefix="custos-hash") as pool:
        try:
            while True:
                while len(pending) < 2 * workers and (nxt := next(it, None)) is not None:
                    pending[pool.submit(digest, nxt[1], cancel)] = nxt[0]
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    key = pending.pop(fut)
                    yield key, fut.result()
        finally:
            for fut in pending:
                fut.cancel()
