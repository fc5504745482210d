"""SHA-256 (and, for cases that share hash sets, SHA-1 and MD5) of a stream, computed on other
threads while the caller encrypts.

hashlib releases the GIL on large buffers, so with two cores the hashes run beside the
encryption. SHA-256 alone fits on the second core (0.6 s per GiB against 0.9 s of reading,
encrypting and writing); MD5 alone costs 1.4 s per GiB, so a case that asks for the hash-set
digests pays for them (see ``vault.cases``, "hash sets").
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass

SMALL = 1 << 20  # below this, hashing inline is cheaper than handing chunks to threads
HASH_SET_ALGORITHMS = ("sha1", "md5")


@dataclass(frozen=True)
class Digests:
    sha256: str
    sha1: str | None  # None: the case does not compute hash-set digests
    md5: str | None


class _Worker(threading.Thread):
    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(daemon=True)
        self.hashes = [hashlib.new(n) for n in names]
        self.inbox: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=8)

    def run(self) -> None:
        while (group := self.inbox.get()) is not None:
            for chunk in group:
                for h in self.hashes:
                    h.update(chunk)


class MultiHasher:
    """The one threaded hasher (ingest, bundle import and export, verify): feed chunks with
    ``update``; ``digests`` (or ``hexdigest``, the SHA-256) waits for the threads.

    Below ``SMALL`` expected bytes everything is hashed inline. ``group``: chunks are handed to
    the threads in lists of at least this many bytes (for small chunks such as age's 64 KiB,
    where a queue hand-off per chunk costs more, in the feeding thread, than the work saved).
    ``sha256=False``: MD5 and SHA-1 only, each on a thread of its own (the SHA-256 of a staged
    file is known already: ``vault.stageahead``).
    """

    def __init__(
        self, expected_size: int, hash_sets: bool = True, *, group: int = 0, sha256: bool = True
    ) -> None:
        self._threaded = expected_size >= SMALL
        names: tuple[str, ...] = ("sha256",) if sha256 else ()
        names += HASH_SET_ALGORITHMS if hash_sets else ()
        self._group_min = group
        self._group: list[bytes] = []
        self._grouped = 0
        self._closed = False
        if self._threaded:
            # MD5 (the slowest) on a thread of its own, the others together.
            groups = [("md5",), tuple(n for n in names if n != "md5")] if hash_sets else [names]
            self._workers = [_Worker(g) for g in groups]
            for w in self._workers:
                w.start()
        else:
            self._inline = {n: hashlib.new(n) for n in names}

    def update(self, chunk: bytes) -> None:
        if not self._threaded:
            for h in self._inline.values():
                h.update(chunk)
            return
        self._group.append(chunk)
        self._grouped += len(chunk)
        if self._grouped >= self._group_min:
            self._hand_over()

    def _hand_over(self) -> None:
        group, self._group, self._grouped = self._group, [], 0
        for w in self._workers:
            w.inbox.put(group)

    def close(self) -> None:
        """Stop the threads (used alone when the file in flight is dropped); idempotent."""
        if self._threaded and not self._closed:
            self._closed = True
            if self._group:
                self._hand_over()
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
        # sha256 is "" when it was not asked for (``sha256=False``: the hash-set digests only)
        return Digests(found.get("sha256", ""), sha1=found.get("sha1"), md5=found.get("md5"))

    def hexdigest(self) -> str:
        """The SHA-256 (waits for the threads)."""
        return self.digests().sha256
