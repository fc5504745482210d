"""Hashing beside I/O: SHA-256 on a second thread, and many files hashed by a small pool.

hashlib releases the GIL on buffers above 2 KiB and file reads release it too, so on two cores
reading (or decrypting) one chunk overlaps with hashing the previous one, and two files hash at
once. Chunks are 1 MiB.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from vault.jobs import CancelToken

CHUNK = 1 << 20
SMALL = 1 << 20  # below this a thread costs more than it saves


class Sha256Thread:
    """``update`` from the caller's thread, hashing on another; ``hexdigest`` waits for it."""

    def __init__(self, expected_size: int) -> None:
        self._hash = hashlib.sha256()
        self._threaded = expected_size >= SMALL
        if self._threaded:
            self._inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (chunk := self._inbox.get()) is not None:
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        if self._threaded:
            self._inbox.put(chunk)
        else:
            self._hash.update(chunk)

    def close(self) -> None:
        if self._threaded and self._thread.is_alive():
            self._inbox.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()


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
