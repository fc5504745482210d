"""Run small matrix products on one BLAS thread.

OpenBLAS (numpy's BLAS) splits every product above a tiny size over its thread pool. For the many
block products of a batched exact search the hand-off costs more than it saves, and on a busy
2-core machine small products are 10-70x slower than on one thread. The search instead uses its
own two Python threads (numpy releases the GIL) over one-thread BLAS calls.

``one_blas_thread()`` sets numpy's OpenBLAS to one thread for the duration of a block and restores
it after (the same call threadpoolctl makes; found with ctypes in the library numpy loaded). With
another BLAS, or if the library is not found, it does nothing. The setting is process-wide: other
threads' BLAS calls run single-threaded meanwhile (slower, never wrong), and blocks are counted so
nested or concurrent users restore the setting only when the last one leaves.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

_lock = threading.Lock()
_users = 0
_saved = 0
_Api = tuple[Callable[[int], None], Callable[[], int]]
_api: _Api | None = None
_looked_up = False


def _candidates() -> list[str]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower()})
    except OSError:
        pass
    root = os.path.dirname(os.path.dirname(np.__file__))
    for pattern in ("numpy.libs/*openblas*", "numpy/.libs/*openblas*", "numpy/_core/*openblas*"):
        paths += glob.glob(os.path.join(root, pattern))
    return [p for p in paths if os.path.isfile(p)]


def _lookup() -> _Api | None:
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", "_64", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return setter, getter
    return None


def _blas_api() -> _Api | None:
    global _api, _looked_up
    with _lock:
        if not _looked_up:
            _api, _looked_up = _lookup(), True
    return _api


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Within the block, numpy's OpenBLAS uses one thread (no-op if it cannot be set)."""
    global _users, _saved
    api = _blas_api()
    if api is None:
        yield
        return
    setter, getter = api
    with _lock:
        if _users == 0:
            _saved = int(getter())
            setter(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                setter(_saved)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def workers() -> int:
    """Threads of the search pool: two at most (one per core of the target machines)."""
    return min(2, os.cpu_count() or 1)


def executor() -> ThreadPoolExecutor:
    """The process-wide pool of the search's own threads (exact scan halves, index re-ranking),
    started once."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(workers(), thread_name_prefix="custos-search")
        return _pool
