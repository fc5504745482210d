"""Long work as front-end-neutral jobs: progress events out, a cancel token in.

The CLI shows the events as a rich progress bar, the GUI as a bar with Cancel (from a worker
thread), tests read them as a list. Each job checks its token between chunks, never mid-write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from vault.errors import Cancelled


class CancelToken:
    """One per job; ``cancel`` may be called from any thread or a signal handler."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


class Breather:
    """Lets other threads of the process run now and then, when a job runs on a worker thread.

    A job's pure-Python work (hashing rows, checking signatures) holds the GIL almost all the
    time. A GUI thread needs the GIL for every call Qt makes into Python (painting one table
    makes hundreds: ``rowCount``, ``index``, ``data`` per role), and takes it back from the worker
    once per call: each time it sleeps, is woken, and waits for a CPU. On a loaded two-core
    machine that summed to 100+ ms stalls of the window during a verify (~700 wake-ups in one
    stall, most of it waiting for a CPU; see docs/PERFORMANCE.md, issue 9). Calling the breather
    in the job's loops sleeps ``rest`` seconds after every ``work`` seconds of work, so such a
    burst of calls gets through in one gap, without a hand-over per call.

    On the main thread (the CLI, tests) it does nothing: no other thread waits there.
    """

    def __init__(self, work: float = 0.004, rest: float = 0.001) -> None:
        self.work = work
        self.rest = rest
        self._on = threading.current_thread() is not threading.main_thread()
        self._since = time.perf_counter()

    def __call__(self) -> None:
        if self._on:
            now = time.perf_counter()
            if now - self._since >= self.work:
                time.sleep(self.rest)
                self._since = time.perf_counter()


@dataclass(frozen=True)
class Progress:
    """Where a job stands. ``done``/``total`` count ``unit`` (bytes or items)."""

    done: int
    total: int
    unit: str = "bytes"
    message: str = ""


@dataclass(frozen=True)
class Finished:
    """One entry of a batch is done and durable (``ok``) or failed with a one-line reason."""

    subject: str
    ok: bool
    message: str = ""


Event = Progress | Finished
Emit = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An ``emit`` for callers that do not watch progress."""
