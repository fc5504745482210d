"""Approximate 1:N search for large galleries: a compressed-code shortlist, re-ranked exactly.

Exact search (:meth:`matching.search.Gallery.nearest`) stays the reference implementation; the
index is only used for *investigative* top-k searches of galleries of at least
:data:`INDEX_MIN_REFERENCES` references, and alert mode always stays exact. Its recall against exact
search is measured in ``benchmarks/bench_matching.py``.

- Shortlist: faiss ``IndexIVFPQFastScan`` — an inverted file (``nlist`` k-means lists) whose
  entries are 4-bit product-quantisation codes of the residual to the list centroid, one 4-bit
  sub-quantiser per dimension (64 bytes per reference, an eighth of the float32 row). The
  ``nprobe`` nearest lists are scanned with SIMD table look-ups over the codes (faiss's "fast
  scan"), giving the ``shortlist`` nearest references per probe by *approximate* distance.
- Re-ranking: the shortlist is re-ranked with numpy against the gallery's own float32 matrix, so
  every returned distance is the exact Euclidean distance and the order is exact among the
  shortlist. The index keeps no float32 copy of the gallery (codes and row ids only).

Recall is then bounded by the lists scanned (a true neighbour in a list not scanned is missed)
and by the shortlist (a true neighbour whose code looks too far); ``nprobe`` and ``shortlist``
are the knobs. faiss is imported on first build only.
"""

from __future__ import annotations

import contextlib
import ctypes
import time
from typing import Any, Protocol

import numpy as np

from matching import distance
from matching.blas import executor, workers


class Gallery(Protocol):
    """What the index needs of a :class:`~matching.search.Gallery` (no import of it: the
    gallery builds the index)."""

    embeddings: np.ndarray
    sq_norms: np.ndarray

    def __len__(self) -> int: ...


INDEX_MIN_REFERENCES = 200_000
"""Galleries at least this large get an index for investigative search (smaller: exact is fast)."""

_ADD_BLOCK = 65_536  # rows encoded per faiss call (bounds the temporary residual buffer)
_RERANK_BLOCK = 32  # probes re-ranked per gather (32 x 500 x 512 B = 8 MB)
_SPLIT_MIN = 8  # from this many probes, two threads take half each


class PqIndex:
    """IVF + 4-bit PQ fast-scan shortlist over a :class:`~matching.search.Gallery`, re-ranked
    exactly (see module docstring).

    ``nlist`` inverted lists, ``nprobe`` lists scanned per probe, ``shortlist`` references per
    probe re-ranked exactly, k-means trained on ``sample`` rows.
    """

    def __init__(
        self,
        nlist: int = 1024,
        nprobe: int = 256,
        shortlist: int = 500,
        *,
        sample: int = 100_000,
        seed: int = 0,
    ) -> None:
        self.nlist = nlist
        self.nprobe = nprobe
        self.shortlist = shortlist
        self.sample = sample
        self.seed = seed
        self.build_seconds = 0.0
        self._faiss: Any = None
        self._gallery: Gallery | None = None

    @property
    def gallery(self) -> Gallery:
        if self._gallery is None:
            raise RuntimeError("index not built")
        return self._gallery

    def build(self, gallery: Gallery) -> PqIndex:
        """Train the coarse quantiser and the PQ codebooks on a sample, then encode every
        reference (row ids are the gallery's rows)."""
        faiss = _faiss()
        t0 = time.perf_counter()
        x = gallery.embeddings
        # faiss wants >= 39 training points per list
        nlist = max(1, min(self.nlist, len(x) // 39))
        index = faiss.index_factory(x.shape[1], f"IVF{nlist},PQ{x.shape[1]}x4fs")
        index.cp.seed = self.seed
        rng = np.random.default_rng(self.seed)
        take = min(len(x), max(self.sample, 39 * nlist))
        index.train(np.ascontiguousarray(x[np.sort(rng.choice(len(x), take, replace=False))]))
        for s in range(0, len(x), _ADD_BLOCK):
            index.add(x[s : s + _ADD_BLOCK])
        _trim_heap()
        self.nlist = nlist
        self._faiss = index
        self._gallery = gallery
        self.build_seconds = time.perf_counter() - t0
        return self

    @property
    def list_sizes(self) -> np.ndarray:
        invlists = self._faiss.invlists
        return np.array([invlists.list_size(i) for i in range(self.nlist)], np.int64)

    @property
    def code_bytes(self) -> int:
        """Memory of the codes and row ids (what the index adds to the gallery)."""
        return int(self.list_sizes.sum()) * (self._faiss.code_size + 8)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        nprobe: int | None = None,
        shortlist: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate k nearest references: ``(distances (Q, k), rows (Q, k))``, ascending,
        with the exact distances of the references found. Rows it could not fill (fewer than ``k``
        references in the scanned lists) have distance ``inf`` and row -1.
        """
        g = self.gallery
        q = distance.as_matrix(queries)
        nq = q.shape[0]
        k = min(k, len(g))
        if k == 0 or nq == 0:
            return np.empty((nq, k), np.float32), np.empty((nq, k), np.int64)
        nprobe = max(1, min(nprobe or self.nprobe, self.nlist))
        width = min(len(g), max(shortlist or self.shortlist, k))
        if nq < _SPLIT_MIN or workers() < 2:
            return self._search_part(q, k, nprobe, width)
        # Two threads, each with one OpenMP thread, search and re-rank half of the probes: no
        # barrier between the cores (sturdier than faiss's own threads on a loaded machine).
        half = (nq + 1) // 2
        futures = [
            executor().submit(self._search_part, part, k, nprobe, width, True)
            for part in (q[:half], q[half:])
        ]
        parts = [f.result() for f in futures]
        return np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])

    def _search_part(
        self, q: np.ndarray, k: int, nprobe: int, width: int, one_thread: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        faiss = _faiss()
        if one_thread:
            faiss.omp_set_num_threads(1)  # this thread's OpenMP setting only
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        _, cand = self._faiss.search(q, width, params=params)
        nq = q.shape[0]
        out_d = np.empty((nq, k), np.float32)
        out_i = np.empty((nq, k), np.int64)
        for s in range(0, nq, _RERANK_BLOCK):
            e = min(nq, s + _RERANK_BLOCK)
            out_d[s:e], out_i[s:e] = rerank(self.gallery, q[s:e], cand[s:e], k)
        return out_d, out_i


def _trim_heap() -> None:
    """Return freed heap pages to the system (glibc ``malloc_trim``; elsewhere nothing).

    faiss grows each inverted list by reallocation as blocks of codes are added, which leaves
    ~60 MB of freed fragments (for 1M references) in the heap that the process would otherwise
    keep.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _faiss() -> Any:
    """The faiss module, imported on first use (untyped: its SWIG API is dynamic)."""
    import faiss

    return faiss


def rerank(g: Gallery, q: np.ndarray, cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k of each probe among its candidate rows (-1 = no candidate): the one re-rank of
    every shortlist (this index's and the server's, :mod:`matching.pgvectors`)."""
    valid = cand >= 0
    rows = np.where(valid, cand, 0)
    vecs = g.embeddings[rows]  # (probes, width, 128): only the shortlist is gathered
    d = distance.partial(q * distance.MINUS_TWO, vecs, g.sq_norms[rows], how="gathered")
    d += distance.sq_norms(q)[:, None]
    d[~valid] = np.inf
    if k < d.shape[1]:
        sel = np.argpartition(d, k - 1, axis=1)[:, :k]
    else:
        sel = np.broadcast_to(np.arange(d.shape[1]), d.shape)
    best = np.take_along_axis(d, sel, axis=1)
    order = np.argsort(best, axis=1, kind="stable")
    sel = np.take_along_axis(sel, order, axis=1)
    dist = np.take_along_axis(d, sel, axis=1)
    found = np.isfinite(dist)
    dist = np.where(found, distance.root(dist), np.inf).astype(np.float32)
    return dist, np.where(found, np.take_along_axis(rows, sel, axis=1), -1)
