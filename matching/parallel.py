"""Detect and encode many images on every core: one :class:`FaceEngine` per worker process.

Results come back per image as they complete (not in input order); an image that fails yields an
:class:`ImageResult` with ``error`` set, so the batch goes on. A cancel callback is checked
between images: no new image is started once it returns true.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.detect import FaceEngine
from matching.errors import MatchingError
from matching.faces import Face
from matching.images import load_rgb


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

    @property
    def ok(self) -> bool:
        return self.error is None


_ENGINE: FaceEngine | None = None


def _init_worker(options: dict[str, Any]) -> None:
    global _ENGINE
    _ENGINE = FaceEngine(**options)


def _key(source: Source) -> str:
    return source.key if isinstance(source, ImageInput) else os.fspath(source)


def process_one(engine: FaceEngine, source: Source, with_crops: bool = True) -> ImageResult:
    """Decode, detect and encode one image; errors become ``ImageResult.error``."""
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
    h, w = rgb.shape[:2]
    return ImageResult(key, faces, crops, w, h, time.perf_counter() - start)


def _work(source: Source, with_crops: bool) -> ImageResult:
    assert _ENGINE is not None, "worker not initialised"
    return process_one(_ENGINE, source, with_crops)


def _size(source: Source) -> int:
    if isinstance(source, ImageInput):
        return len(source.data)
    try:
        return Path(source).stat().st_size
    except OSError:
        return 0


class DetectPool:
    """A pool of worker processes, each holding one engine; reuse it across batches.

    Use as a context manager. ``workers`` defaults to the number of cores. Processes are started
    with ``spawn`` (safe next to a GUI's threads).
    """

    def __init__(self, workers: int | None = None, **engine_options: Any) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(engine_options,),
        )

    def warm_up(self) -> None:
        """Start every worker and load its models now (otherwise on the first batch)."""
        futures = [self._pool.submit(_noop) for _ in range(self.workers)]
        for fut in futures:
            fut.result()

    def run(
        self,
        sources: Iterable[Source],
        *,
        cancel: Callable[[], bool] | None = None,
        with_crops: bool = True,
        largest_first: bool = True,
    ) -> Iterator[ImageResult]:
        """Yield one :class:`ImageResult` per source as each completes.

        At most two images per worker are in flight, so memory stays bounded and ``cancel`` takes
        effect within one image per worker. ``largest_first`` orders by file size so the slowest
        images do not finish last (shorter batch time on few images).
        """
        items = list(sources)
        if largest_first:
            items.sort(key=_size, reverse=True)
        pending: set[Future[ImageResult]] = set()
        todo = iter(items)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < 2 * self.workers:
                    if cancel is not None and cancel():
                        exhausted = True
                        break
                    nxt = next(todo, None)
                    if nxt is None:
                        exhausted = True
                        break
                    pending.add(self._pool.submit(_work, nxt, with_crops))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
                if cancel is not None and cancel():
                    exhausted = True
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> DetectPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _noop() -> None:
    return None


def detect_many(
    sources: Iterable[Source],
    *,
    workers: int | None = None,
    cancel: Callable[[], bool] | None = None,
    with_crops: bool = True,
    **engine_options: Any,
) -> Iterator[ImageResult]:
    """One-shot convenience over :class:`DetectPool` (starts and stops the workers)."""
    with DetectPool(workers, **engine_options) as pool:
        yield from pool.run(sources, cancel=cancel, with_crops=with_crops)
