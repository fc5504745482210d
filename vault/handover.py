"""Objects handed to the store while ingest goes on: uploads to an agency server's bucket run
on a worker thread, the commit that names an object waits for its upload.

A local vault's folder takes an object with one rename, so ``Handover`` does it at once, on the
caller's thread, exactly as ``BlobStore.move_in`` / ``move_pack_in`` always did. An S3 bucket
takes it with a PUT (a pack of 4-8 MiB: tenths of a second against a store on the same
machine); done inline, the ingest's main thread waited for every pack while the workers had
nothing to hand over. Here the uploads run on ``THREADS`` threads, at most ``WINDOW`` objects
ahead (their temp files stay in ``tmp/`` until uploaded: the disk used stays bounded), and:

* ``wait(names)`` returns once every object the given blob or pack names were handed under is
  in the store (its upload completed: S3 shows an object only then, and it is durable then);
  the ingest calls it before the commit that records them, where a local vault ``syncfs``-es.
* A failed upload fails every later ``wait`` (the first failure, one line): a batch is never
  recorded after any of its objects, or any object handed before it, failed to go in.
* ``close()`` (the job's end, also after a failure or a cancel) cancels the uploads not
  started, removes their temp files and waits for the running ones; what was uploaded but not
  recorded is an orphan, removed as after a crash (the store is marked unsettled first).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from vault.blobs import pack_key

if TYPE_CHECKING:
    from vault.blobs import BlobStore

THREADS = 2
WINDOW = 8  # objects handed over but not yet in the store, at most


class Handover:
    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._remote = blobs.store.local_path(pack_key("0" * 16)) is None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[str, Future[None]] = {}  # name -> its upload, oldest first
        self._failure: BaseException | None = None
        self._lock = threading.Lock()

    @property
    def background(self) -> bool:
        """Uploads run on worker threads (an object store that is not a local folder)."""
        return self._remote

    def blob(self, tmp: str, name: str) -> None:
        """Store the temp file ``tmp`` as blob ``name``; the temp file is gone afterwards
        (moved in, or dropped: that content is stored already)."""
        self._hand(name, tmp, lambda: self._blobs.move_in(tmp, name))

    def pack(self, tmp: str, pack: str) -> None:
        """Store the sealed pack ``tmp`` as ``pack``."""

        def take() -> bool:
            self._blobs.move_pack_in(tmp, pack)
            return True

        self._hand(pack, tmp, take)

    def _hand(self, name: str, tmp: str, take: Callable[[], object]) -> None:
        if not self._remote:
            self._take(tmp, take)
            return
        self.check()
        with self._lock:
            if name in self._pending:  # the same content twice in flight: one upload is enough
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                return
            oldest = list(self._pending)[: max(0, len(self._pending) - WINDOW + 1)]
        for old in oldest:  # at most WINDOW in flight
            self._finish(old)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="custos-upload")
            future = self._pool.submit(self._take, tmp, take)
            future.tmp = tmp  # type: ignore[attr-defined]
            self._pending[name] = future

    @staticmethod
    def _take(tmp: str, take: Callable[[], object]) -> None:
        moved = False
        try:
            moved = bool(take())
        finally:
            if not moved:  # that content is stored already, or the upload failed
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _finish(self, name: str) -> None:
        """Wait for the upload of ``name`` (if still pending); record its failure."""
        with self._lock:
            future = self._pending.get(name)
        if future is None:
            return
        try:
            future.result()
        except BaseException as exc:
            with self._lock:
                if self._failure is None:
                    self._failure = exc
        with self._lock:
            if self._pending.get(name) is future:
                del self._pending[name]

    def check(self) -> None:
        """Raise the first failed upload's error, if any (again on every call)."""
        with self._lock:
            failure = self._failure
        if failure is not None:
            raise failure.with_traceback(None)

    def wait(self, names: Iterable[str]) -> None:
        """Return once every object handed over under ``names`` is in the store; raise the
        first failed upload's error (of these or of any other object handed over before).

        May run on another thread than the one handing objects over (ingest's commit thread).
        """
        for name in set(names):
            self._finish(name)
        # an upload that failed meanwhile, of an object these names do not include, still
        # stops the job: nothing is recorded after a failure
        with self._lock:
            done = [n for n, f in self._pending.items() if f.done()]
        for name in done:
            self._finish(name)
        self.check()

    def close(self) -> None:
        """Cancel the uploads not started (their temp files removed), wait for the others."""
        with self._lock:
            pool, self._pool = self._pool, None
            pending = list(self._pending.items())
        if pool is None:
            return
        for _, future in pending:
            if future.cancel():
                with contextlib.suppress(OSError):
                    os.unlink(future.tmp)  # type: ignore[attr-defined]
        pool.shutdown(wait=True)
        for name, _ in pending:
            self._finish(name)
