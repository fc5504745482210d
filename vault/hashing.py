"""SHA-256, SHA-1 and MD5 of a stream, computed on other threads while the caller encrypts.

hashlib releases the GIL on large buffers, so with two cores the hashes run beside the
encryption: MD5 (the slowest) on one thread, SHA-256 and SHA-1 on another.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass

SMALL = 1 << 20  # below this, hashing inline is cheaper than handing chunks to threads


@dataclass(frozen=True)
class Digests:
    sha256: str
    sha1: str
    md5: str


class _Worker(threading.Thread):
    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(daemon=True)
        self.hashes = [hashlib.new(n) for n in names]
        self.inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=8)

    def run(self) -> None:
        while (chunk := self.inbox.get()) is not None:
            for h in self.hashes:
                h.update(chunk)


class MultiHasher:
    """Feed chunks with ``update``; ``digests`` waits for the threads and returns the results."""

    def __init__(self, expected_size: int) -> None:
        self._threaded = expected_size >= SMALL
        if self._threaded:
            self._workers = [_Worker(("md5",)), _Worker(("sha256", "sha1"))]
            for w in self._workers:
                w.start()
        else:
            self._inline = {n: hashlib.new(n) for n in ("sha256", "sha1", "md5")}

    def update(self, chunk: bytes) -> None:
        if self._threaded:
            for w in self._workers:
                w.inbox.put(chunk)
        else:
            for h in self._inline.values():
                h.update(chunk)

    def close(self) -> None:
        """Stop the threads without results (used when the file in flight is dropped)."""
        if self._threaded:
            for w in self._workers:
                w.inbox.put(None)
            for w in self._workers:
                w.join()

    def digests(self) -> Digests:
        if self._threaded:
            self.close()
            found = {h.name: h.hexdigest() for w in self._workers for h in w.hashes}
        else:
            found = {n: h.hexdigest() for n, h in self._inline.items()}
        return Digests(sha256=found["sha256"], sha1=found["sha1"], md5=found["md5"])
