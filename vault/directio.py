"""Writing a large new file straight to the disk (``O_DIRECT``), not through the page cache.

Ingest must make a file durable before it reports it saved. Written through the page cache and
then fsynced, 1 GiB cost 1.2-1.6 s of kernel CPU on this 2-core machine (copying into the cache,
then submitting the write-out), more than the encryption of the same bytes; written with
``O_DIRECT`` from aligned buffers, 0.03 s, and the disk took it as fast (docs/PERFORMANCE.md,
"1 GiB ingest"). The writes go out on
a thread of their own (the GIL is released while the kernel writes) from two buffers in turn, so
the caller encrypts the next buffer while the last one is written.

A file system that refuses ``O_DIRECT`` (tmpfs on older kernels) gets the same writes through
the page cache. The last, partial block goes through the page cache too; the caller's fsync
makes everything durable (new extents and the file size included).
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import queue
import threading

BLOCK = 4096  # O_DIRECT offsets and lengths are multiples of this (the logical block size)
BUFFER = 4 << 20


class DirectWriter:
    """A write-only file object over ``fd`` (opened for writing, positioned at 0): ``write``
    appends, ``close`` writes the rest (not fsync). ``written``: bytes accepted so far.
    ``direct``: whether the file system took ``O_DIRECT`` (else the caller may want to start
    the write-out itself, as for any buffered file)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.written = 0
        self._flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        self.direct = hasattr(os, "O_DIRECT")
        if self.direct:
            try:
                fcntl.fcntl(fd, fcntl.F_SETFL, self._flags | os.O_DIRECT)
            except OSError:
                self.direct = False
        self._buffers = [mmap.mmap(-1, BUFFER) for _ in range(2)]
        self._free: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        self._full: queue.SimpleQueue[tuple[memoryview, int, int] | None] = queue.SimpleQueue()
        views = [memoryview(b) for b in self._buffers]
        self._current, *rest = views
        for view in rest:
            self._free.put(view)
        self._used = 0  # bytes in the current buffer
        self._offset = 0  # file offset of the current buffer
        self._error: OSError | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._drain, daemon=True, name="custos-direct")
        self._thread.start()

    def _drain(self) -> None:
        while (job := self._full.get()) is not None:
            view, length, offset = job
            if self._error is None:
                try:
                    self._pwrite(view[:length], offset)
                except OSError as exc:
                    self._error = exc
            self._free.put(view)

    def _pwrite(self, data: memoryview, offset: int) -> None:
        while data:
            try:
                n = os.pwrite(self.fd, data, offset)
            except OSError as exc:
                if not (self.direct and exc.errno == 22):  # EINVAL: O_DIRECT refused after all
                    raise
                self._buffered()
                continue
            data, offset = data[n:], offset + n

    def _buffered(self) -> None:
        fcntl.fcntl(self.fd, fcntl.F_SETFL, self._flags & ~getattr(os, "O_DIRECT", 0))
        self.direct = False

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            n = min(len(view), BUFFER - self._used)
            self._current[self._used : self._used + n] = view[:n]
            self._used += n
            view = view[n:]
            if self._used == BUFFER:
                self._full.put((self._current, BUFFER, self._offset))
                self._offset += BUFFER
                self._used = 0
                self._current = self._free.get()  # waits while both buffers are being written
                self._check()
        self.written += size
        return size

    def close(self) -> None:
        """Write what is left (the tail through the page cache) and stop the thread."""
        if self._closed:
            return
        self._closed = True
        aligned = self._used - self._used % BLOCK
        if aligned:
            self._full.put((self._current, aligned, self._offset))
        self._full.put(None)
        self._thread.join()
        try:
            self._check()
            if self._used > aligned:
                if self.direct:
                    self._buffered()
                self._pwrite(self._current[aligned : self._used], self._offset + aligned)
        finally:
            self._release()

    def abandon(self) -> None:
        """Stop without writing the rest (the file is being dropped)."""
        if not self._closed:
            self._closed = True
            self._full.put(None)
            self._thread.join()
            self._release()

    def _release(self) -> None:
        self._current.release()
        while True:
            try:
                self._free.get_nowait().release()
            except queue.Empty:
                break
        for buffer in self._buffers:
            with contextlib.suppress(BufferError):
                buffer.close()
