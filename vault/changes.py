"""What other processes and workstations wrote since this session last looked.

Every change to a vault appends an audit entry, so the chain's head is the one place that says
"something changed" for every kind of record, whoever made it: the desktop watches it to show
what another workstation (or the officer's ingest on the command line) adds while an analyst
works, without the analyst pressing F5. Entries this session wrote itself are not counted: the
desktop already refreshes after its own jobs.

On a local vault the head is polled (one indexed ``SELECT`` of the last entry, four times a
second). On a server every commit that appends entries is announced (``NOTIFY``, see
``vault.backend``) and the feed sleeps on ``LISTEN`` until one is: it looks the moment another
workstation commits, and otherwise only every ``NOTIFIED_POLL_SECONDS`` (a safety net for an
announcement lost while the listening connection was being made again).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from vault.audit import read_head
from vault.models import AuditEntry
from vault.session import Session

POLL_SECONDS = 0.25
NOTIFIED_POLL_SECONDS = 5.0
# Entries read per look: a burst larger than this (a phone dump's ingest from another desk) is
# summarised from its first entries; the head still moves past all of them.
MOST_READ = 5_000

ITEMS = frozenset({"item.acquired", "items.acquired"})
CANDIDATES = frozenset({"search.candidate"})
DECISIONS = frozenset({"review.decided"})


@dataclass(frozen=True)
class Changes:
    """What others added since the last look (counts; the head now seen)."""

    head: int
    items: int = 0
    candidates: int = 0
    decisions: int = 0
    other: int = 0

    @property
    def any(self) -> bool:
        return bool(self.items or self.candidates or self.decisions or self.other)


def _items_of(action: str, target: str) -> int:
    """How many items an acquisition entry records (``items:FIRST..LAST`` for a batch)."""
    if action != "items.acquired":
        return 1
    first, _, last = target.removeprefix("items:").partition("..")
    if first.isdigit() and last.isdigit() and int(last) >= int(first):
        return int(last) - int(first) + 1
    return 1


class ChangeFeed:
    """Reports, from a thread of its own, what others appended to the audit chain."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.watch_changes()  # before the head is read: no commit falls between the two
        self.looks = 0  # heads read (the first look included)
        self.woken = 0  # waits ended by another commit's announcement (a server)
        with session.db() as db:
            self.seen = read_head(db).seq

    def look(self) -> Changes | None:
        """What others wrote since the last look; None if the head has not moved."""
        self.looks += 1
        with self.session.db() as db:
            head = read_head(db).seq
            if head <= self.seen:
                return None
            rows = db.execute(
                select(AuditEntry.seq, AuditEntry.action, AuditEntry.target)
                .where(AuditEntry.seq > self.seen)
                .order_by(AuditEntry.seq)
                .limit(MOST_READ)
            ).all()
        own = self.session.own_entries
        kinds: Counter[str] = Counter()
        for seq, action, target in rows:
            if seq in own:
                continue
            if action in ITEMS:
                kinds["items"] += _items_of(action, target)
            elif action in CANDIDATES:
                kinds["candidates"] += 1
            elif action in DECISIONS:
                kinds["decisions"] += 1
            else:
                kinds["other"] += 1
        self.seen = head
        return Changes(
            head, kinds["items"], kinds["candidates"], kinds["decisions"], kinds["other"]
        )

    def wait(self, stop: threading.Event, timeout: float | None = None) -> Changes | None:
        """Block until others changed the vault (their ``Changes``), ``stop`` is set or
        ``timeout`` passes (None then). Own writes move the head but are not reported."""
        every = NOTIFIED_POLL_SECONDS if self.session.notified else POLL_SECONDS
        deadline = None if timeout is None else time.monotonic() + timeout
        while not stop.is_set():
            found = self.look()
            if found is not None and found.any:
                return found
            pause = every
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                pause = min(pause, left)
            if self.session.wait_for_change(stop, pause):
                self.woken += 1
        return None
