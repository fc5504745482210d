"""The live view: what other workstations and processes add shows up while the user works.

A thread of its own waits on the core's change feed (``vault.changes``) and hands each report
to the GUI thread through a queued signal; the window then reloads the page in front and says
in the status bar what arrived. The thread never touches a widget.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

from vault.errors import CustosError


class LiveView(QObject):
    """Emits ``changed(Changes)`` on the GUI thread when others changed the vault."""

    changed = Signal(object)

    def __init__(self, session: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.watching = threading.Event()  # set once the feed has read the head it starts from

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="custos-live")
        self._thread.daemon = True
        self._thread.start()

    def _run(self) -> None:
        from vault.changes import ChangeFeed

        feed: Any = None
        while not self._stop.is_set():
            try:
                if feed is None:  # the head now, read here (never on the GUI thread)
                    feed = ChangeFeed(self._session)
                    self.watching.set()
                found = feed.wait(self._stop)
            except CustosError:  # the vault was locked or closed under the feed
                return
            except Exception as exc:  # a convenience: never take the window down with it
                print(f"custos: the live view stopped: {type(exc).__name__}: {exc}")
                return
            if found is not None:
                self.changed.emit(found)

    def stop(self) -> None:
        """End the thread before the session closes (it holds no lock between looks)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
