"""Detect and encode many images on every core: one :class:`FaceEngine` per worker process.

Results come back per image as they complete (not in input order); an image that fails yields an
:class:`ImageResult` with ``error`` set, so the batch goes on. A cancel callback is checked
between images: no new image is started once it returns true.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from matching.detect import FaceEngine
from matching.errors import MatchingError
from matching.faces import Face
from matching.images import load_rgb
from matching.modelfiles import check_model_files
from matching.pdq import PdqHash, hash_image


@dataclass(frozen=True)
class ImageInput:
    """An image given by content (e.g. decrypted from the vault); ``key`` names it."""

    key: str
    data: bytes = field(repr=False)


Source = str | os.PathLike[str] | ImageInput


@dataclass(frozen=True)
class ImageResult:
    """Outcome for one image: its faces (and JPEG crops, same order) or an error line."""

    key: str
    faces: list[Face]
    crops: list[bytes] = field(default_factory=list, repr=False)
    width: int = 0
    height: int = 0
    seconds: float = 0.0
    error: str | None = None
    pdq: PdqHash | None = None
    """The image's PDQ hash when asked for (``with_pdq``); None if it has none (too small)."""

    @property
    def ok(self) -> bool:
        return self.error is None


_ENGINE: FaceEngine | None = None


def _init_worker(options: dict[str, Any]) -> None:
    global _ENGINE
    # Ctrl-C at a terminal reaches the whole process group; a worker's KeyboardInterrupt would
    # come back as an image's result. The parent's cancel token decides, as for ingest workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _ENGINE = FaceEngine(**options)


def _key(source: Source) -> str:
    return source.key if isinstance(source, ImageInput) else os.fspath(source)


def process_one(
    engine: FaceEngine, source: Source, with_crops: bool = True, with_pdq: bool = False
) -> ImageResult:
    """Decode, detect and encode one image; errors become ``ImageResult.error``. With
    ``with_pdq`` also its PDQ hash (``matching.pdq.hash_image``: its own reduced decode of the
    same bytes, so the hash is the one ``pdq compute`` gives)."""
    key = _key(source)
    start = time.perf_counter()
    try:
        if isinstance(source, ImageInput):
            rgb = load_rgb(source.data, name=source.key)
        else:
            rgb = load_rgb(source)
        faces = engine.detect(rgb)
        crops = [f.crop_jpeg(rgb) for f in faces] if with_crops else []
    except MatchingError as exc:
        return ImageResult(key, [], error=str(exc), seconds=time.perf_counter() - start)
    except MemoryError:
        return ImageResult(key, [], error=f"cannot read image {key}: too large for memory")
    pdq = None
    if with_pdq:
        try:
            pdq = hash_image(source.data if isinstance(source, ImageInput) else source, name=key)
        except MatchingError:
            pdq = None  # too small to hash: its faces still count
    h, w = rgb.shape[:2]
    return ImageResult(key, faces, crops, w, h, time.perf_counter() - start, pdq=pdq)


def _work(source: Source, with_crops: bool, with_pdq: bool = False) -> ImageResult:
    assert _ENGINE is not None, "worker not initialised"
    return process_one(_ENGINE, source, with_crops, with_pdq)


def _size(source: Source) -> int:
    if isinstance(source, ImageInput):
        return len(source.data)
    try:
        return Path(source).stat().st_size
    except OSError:
        return 0


_PRELOAD = ["matching.preload", "matching.parallel"]

_Feed = tuple["deque[Source]", "set[Future[ImageResult]]", tuple[bool, bool]]
"""What :meth:`DetectPool.run` is working through: queue, futures in flight, (crops, PDQ)
wanted."""


def _context() -> BaseContext:
    """``forkserver`` where the platform has it (Linux, macOS), else ``spawn``.

    The fork server is a fresh interpreter (started with exec, so it is safe next to a GUI's
    threads) that imports numpy, OpenCV, dlib and Pillow and loads the models once
    (:mod:`matching.preload`); each worker is then a fork of it, ready in milliseconds, sharing the
    models' memory. One server serves every pool of the process.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def prestart() -> None:
    """Start the detection fork server now and return at once (it loads in the background).

    For a command that has other work first (e.g. unlocking the vault): a :class:`DetectPool` made
    afterwards forks its workers from the ready server in milliseconds. Does nothing where workers
    are spawned instead.
    """
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class DetectPool:
    """A pool of worker processes, each holding one engine; reuse it across batches.

    Use as a context manager. ``workers`` defaults to the number of cores. The workers are started
    in the background as soon as the pool is made, so the caller can read and decrypt its inputs
    meanwhile; until the first worker is ready, :meth:`run` detects in the calling process itself,
    smallest images first, so no core waits for the start-up. ``help_while_starting`` (default:
    only when :meth:`run` is called from the main thread) controls that: dlib holds the GIL for up
    to ~0.1 s per call, which would stall a GUI's main thread if a worker thread did it.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        help_while_starting: bool | None = None,
        **engine_options: Any,
    ) -> None:
        check_model_files()  # one IntegrityFault line here, not a broken pool of workers
        self.workers = workers or os.cpu_count() or 1
        self.help_while_starting = help_while_starting
        self._engine_options = engine_options
        self._local: FaceEngine | None = None
        self.local_images = 0
        """Images detected in the calling process while the workers started."""
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(),
            initializer=_init_worker,
            initargs=(engine_options,),
        )
        self._ready = threading.Event()
        self._started: list[Future[None]] = []
        # While the workers start, run() detects here and leaves the head of its queue to the
        # starter thread, which hands it to the workers the moment they exist (run() cannot: a
        # submit blocks until then, and dlib holds the GIL for ~0.1 s per call).
        self._lock = threading.Lock()
        self._launched = False  # worker processes exist: a submit no longer blocks
        self._feed: _Feed | None = None
        # Starting a forkserver worker blocks until the server has loaded the models: do it in a
        # thread so the caller goes on meanwhile.
        self._starter = threading.Thread(target=self._start, name="detect-pool-start", daemon=True)
        self._starter.start()

    def _start(self) -> None:
        try:
            self._started = [self._pool.submit(_noop) for _ in range(self.workers)]
            with self._lock:
                self._launched = True
                if self._feed is not None:
                    self._top_up(self._feed)
            wait(self._started, return_when=FIRST_COMPLETED)
        except Exception:  # shut down or broken: run() sees it on its own submit
            pass
        finally:
            self._ready.set()

    def _top_up(self, feed: _Feed) -> None:
        """Keep two images per worker in flight (the caller holds ``_lock`` while helping)."""
        todo, pending, wanted = feed
        while todo and len(pending) < 2 * self.workers:
            pending.add(self._pool.submit(_work, todo.popleft(), *wanted))

    @property
    def ready(self) -> bool:
        """True once a worker process has started and loaded its models."""
        return self._ready.is_set()

    def warm_up(self) -> None:
        """Wait until every worker has started and loaded its models."""
        self._starter.join()
        for fut in self._started:
            fut.result()

    def _local_engine(self) -> FaceEngine:
        if self._local is None:
            self._local = FaceEngine(**self._engine_options)
        return self._local

    def run(
        self,
        sources: Iterable[Source],
        *,
        cancel: Callable[[], bool] | None = None,
        with_crops: bool = True,
        with_pdq: bool = False,
        largest_first: bool = True,
    ) -> Iterator[ImageResult]:
        """Yield one :class:`ImageResult` per source as each completes.

        At most two images per worker are in flight, so memory stays bounded and ``cancel`` takes
        effect within one image per worker. ``with_pdq`` adds each image's PDQ hash.
        ``largest_first`` orders by file size so the slowest
        images do not finish last (shorter batch time on few images); images done in this process
        while the workers start are taken from the other end.
        """
        items = list(sources)
        if largest_first:
            items.sort(key=_size, reverse=True)
        todo = deque(items)
        pending: set[Future[ImageResult]] = set()
        helping = self.help_while_starting
        if helping is None:
            helping = threading.current_thread() is threading.main_thread()
        try:
            if helping and todo and not self._ready.is_set():
                yield from self._help((todo, pending, (with_crops, with_pdq)), cancel)
            while True:
                while todo and len(pending) < 2 * self.workers:
                    if cancel is not None and cancel():
                        todo.clear()
                        break
                    pending.add(self._pool.submit(_work, todo.popleft(), with_crops, with_pdq))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
                if cancel is not None and cancel():
                    todo.clear()
        finally:
            for fut in pending:
                fut.cancel()

    def _help(self, feed: _Feed, cancel: Callable[[], bool] | None) -> Iterator[ImageResult]:
        """Detect here, smallest images first, until a worker is ready; the workers get the
        largest ones as soon as they are launched (by the starter thread or here)."""
        todo, _, (with_crops, with_pdq) = feed
        with self._lock:
            self._feed = feed
        try:
            while not self._ready.is_set():
                with self._lock:
                    if cancel is not None and cancel():
                        todo.clear()
                    if self._launched:
                        self._top_up(feed)
                    source = todo.pop() if todo else None
                if source is None:
                    return
                self.local_images += 1
                yield process_one(self._local_engine(), source, with_crops, with_pdq)
        finally:
            with self._lock:
                self._feed = None

    def close(self) -> None:
        self._starter.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._local = None

    def __enter__(self) -> DetectPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _noop() -> None:
    return None
