"""Core jobs on a worker thread; their events cross into the GUI thread through one bridge.

A core job is anything with ``run(emit)`` (``IngestJob``, ``VerifyJob``) or a plain function
taking ``emit``. It runs on a ``QThreadPool`` worker; every event it emits, its result and its
error go through one ``JobBridge`` (a QObject living in the GUI thread, as electrum's
``QtEventListener``): the worker only emits a queued signal, the bridge re-emits ``progress``,
``entry``, ``finished`` or ``failed`` on the GUI thread. A ``CustosError`` becomes
``failed(one-line message)``; anything else is a bug: ``failed("internal error: ...")`` plus the
traceback on stderr, never a traceback dialog.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

PROGRESS_EVERY = 0.04  # seconds between forwarded progress events (the bar cannot show more)


class JobBridge(QObject):
    """The only way a job's events reach widgets. Lives in the GUI thread."""

    progress = Signal(object, object, str)  # done, total (ints, may exceed 2**31), message
    entry = Signal(str, bool, str)  # one batch entry finished: subject, ok, message
    finished = Signal(object)  # the job's result
    failed = Signal(str)  # one readable line
    _cross = Signal()  # emitted on the worker thread, delivered queued

    def __init__(
        self, cancel: Any = None, parent: QObject | None = None, every_entry: bool = False
    ) -> None:
        super().__init__(parent)
        self.cancel_token = cancel
        self.every_entry = every_entry  # also the entries that went well (else failures only)
        self.running = True
        self.result: Any = None
        self.error: str | None = None
        self._inbox: deque[tuple[str, Any]] = deque()
        self._cross.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def post(self, kind: str, payload: Any) -> None:
        """From the worker: queue an event (Python objects stay in Python; the signal is bare)."""
        self._inbox.append((kind, payload))
        self._cross.emit()

    def cancel(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()

    @property
    def cancellable(self) -> bool:
        return self.cancel_token is not None

    @Slot()
    def _deliver(self) -> None:
        kind, payload = self._inbox.popleft()
        if kind == "progress":
            self.progress.emit(*payload)
        elif kind == "entry":
            self.entry.emit(*payload)
        elif kind == "finished":
            self.running = False
            self.result = payload
            self.finished.emit(payload)
        elif kind == "failed":
            self.running = False
            self.error = payload
            self.failed.emit(payload)


class _Worker(QRunnable):
    def __init__(self, fn: Callable[[Callable[[Any], None]], Any], bridge: JobBridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._bridge = bridge
        self._last = 0.0

    def _emit(self, event: Any) -> None:
        from vault.jobs import Finished, Progress

        if isinstance(event, Progress):
            now = time.monotonic()
            final = event.total and event.done >= event.total
            if self._last and not final and now - self._last < PROGRESS_EVERY:
                return
            self._last = now
            self._bridge.post("progress", (event.done, event.total, event.message))
        elif isinstance(event, Finished) and (self._bridge.every_entry or not event.ok):
            self._bridge.post("entry", (event.subject, event.ok, event.message))

    def run(self) -> None:
        from vault.errors import CustosError

        try:
            result = self._fn(self._emit)
        except CustosError as exc:
            self._bridge.post("failed", exc.message)
        except Exception as exc:
            print("custos: internal error in a background job:", file=sys.stderr)
            traceback.print_exc()
            self._bridge.post("failed", f"internal error: {type(exc).__name__}: {exc}")
        else:
            self._bridge.post("finished", result)


class JobRunner(QObject):
    """Starts jobs on its own thread pool and keeps their bridges alive until they end.

    ``changed`` is emitted on the GUI thread after a job that may have changed the vault ends
    (every ``start``ed job, and calls made with ``writes=True``), however it ended: pages that
    show counts or lists subscribe to it instead of waiting for the user to press F5.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None, threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._active: set[JobBridge] = set()

    def start(self, job: Any, writes: bool = True, every_entry: bool = False) -> JobBridge:
        """Run ``job.run(emit)`` (or ``job(emit)``); its ``cancel`` token, if any, is wired.
        ``every_entry``: ``entry`` for each finished entry, not only for failures."""
        fn = job.run if hasattr(job, "run") else job
        token = getattr(job, "cancel", None)
        bridge = JobBridge(token if hasattr(token, "cancelled") else None, self, every_entry)
        self._active.add(bridge)
        bridge.finished.connect(lambda _r, b=bridge, w=writes: self._ended(b, w))
        bridge.failed.connect(lambda _m, b=bridge, w=writes: self._ended(b, w))
        self.pool.start(_Worker(fn, bridge))
        return bridge

    def _ended(self, bridge: JobBridge, writes: bool) -> None:
        self._active.discard(bridge)
        if writes:
            # after the job's own receivers: a queued call, so they run first
            QTimer.singleShot(0, self.changed.emit)

    def call(
        self, fn: Callable[..., Any], *args: Any, writes: bool = False, **kwargs: Any
    ) -> JobBridge:
        """Run a plain call off the GUI thread (unlock, a preview, an export)."""
        return self.start(lambda _emit: fn(*args, **kwargs), writes=writes)

    @property
    def busy(self) -> bool:
        return bool(self._active)

    def cancel_all(self) -> None:
        for bridge in list(self._active):
            bridge.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        return self.pool.waitForDone(msecs)


class JobDialog(QDialog):
    """A progress bar, the current file, per-entry failures and a working Cancel."""

    SCALE = 1000

    def __init__(
        self,
        bridge: JobBridge,
        title: str,
        describe: Callable[[Any], str] | None = None,
        parent: QWidget | None = None,
        progress: Callable[[int, int, str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._describe = describe
        self._progress_text = progress  # (done, total, message) -> the status line
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.status = QLabel(self.tr("Starting..."))
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setEnabled(bridge.cancellable)
        self.buttons.rejected.connect(self._cancel_or_close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        bridge.progress.connect(self._on_progress)
        bridge.entry.connect(self._on_entry)
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)

    @Slot(object, object, str)
    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.bar.setRange(0, self.SCALE)
            self.bar.setValue(min(self.SCALE, int(done * self.SCALE / total)))
        if self._progress_text is not None:
            message = self._progress_text(done, total, message)
        if message and self.bridge.running and not self._cancelling:
            self.status.setText(message)

    @property
    def _cancelling(self) -> bool:
        token = self.bridge.cancel_token
        return bool(token is not None and token.cancelled)

    @Slot(str, bool, str)
    def _on_entry(self, subject: str, ok: bool, message: str) -> None:
        self.problems.setVisible(True)
        self.problems.appendPlainText(f"{subject}: {message}")

    def _done(self, text: str) -> None:
        self.status.setText(text)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Close"))

    @Slot(object)
    def _on_finished(self, result: Any) -> None:
        if self.bar.maximum() == 0:
            self.bar.setRange(0, self.SCALE)
        if not getattr(result, "cancelled", False):
            self.bar.setValue(self.SCALE)
        self._done(self._describe(result) if self._describe else self.tr("Done."))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.bar.setRange(0, self.SCALE)
        self._done(message)

    def _cancel_or_close(self) -> None:
        if self.bridge.running:
            self.bridge.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText(self.tr("Cancelling: the file in flight is dropped..."))
        else:
            self.accept()

    def closeEvent(self, event: Any) -> None:
        if self.bridge.running:
            self.bridge.cancel()
        super().closeEvent(event)
