"""Long work as front-end-neutral jobs: progress events out, a cancel token in.

The CLI shows the events as a rich progress bar, the GUI as a bar with Cancel (from a worker
thread), tests read them as a list. Each job checks its token between chunks, never mid-write.
"""

from __future__ import annotations

import threading
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
