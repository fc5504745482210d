"""A child forked to work while the command line starts up, reporting one line per event.

Two commands begin their long work before their imports and unlock: ``custos ingest`` encrypts
large files (``vault.stageahead``), ``custos bundle verify`` hashes a bag's payload
(``exchange.prehash``). Each forks while the process has one thread (``cli.main`` calls them
first), and its child writes short lines (< PIPE_BUF: each ``write`` is atomic) to a pipe that a
thread here reads. Whatever a child reports about a file is trusted only for the very file it
read: ``ident`` (device, inode, size, mtime, ctime) is compared again when the report is used.

Standard library only: this is imported before the heavy imports.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable

Ident = tuple[int, int, int, int, int]  # dev, ino, size, mtime_ns, ctime_ns


def ident(st: os.stat_result) -> Ident:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Forked:
    """Fork now: the child runs ``work(out)`` (``out``: the pipe's write end) and leaves with
    ``os._exit`` (none of the parent's exit handlers run there); here a thread hands each batch
    of complete lines to ``take``, under ``cond``, notified after each batch and once the
    child's output has ended (``ended``)."""

    def __init__(
        self,
        work: Callable[[int], None],
        take: Callable[[list[bytes]], None],
        cond: threading.Condition,
        name: str,
    ) -> None:
        self.cond = cond
        self.ended = False
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(read_end)
                work(write_end)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self._fd, self._take = pid, read_end, take
        self._reader = threading.Thread(target=self._read, daemon=True, name=name)
        self._reader.start()

    def _read(self) -> None:
        rest = b""
        try:
            with open(self._fd, "rb", buffering=0, closefd=False) as fh:
                while chunk := fh.read(1 << 16):
                    *lines, rest = (rest + chunk).split(b"\n")
                    with self.cond:
                        self._take(lines)
                        self.cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self.cond:
                self.ended = True
                self.cond.notify_all()

    def close(self) -> None:
        """Kill the child (working or waiting) and collect it; safe to call again."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
            self._reader.join()
            os.close(self._fd)
        with self.cond:
            self.ended = True
            self.cond.notify_all()
