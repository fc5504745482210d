"""Approximate 1:N search for large galleries: an inverted-file (IVF) index in pure numpy.

Exact search (:meth:`matching.search.Gallery.nearest`) stays the reference implementation; the
index is only used for *investigative* top-k searches of galleries of at least
:data:`INDEX_MIN_REFERENCES` references, and alert mode always stays exact. Its recall against exact
search is measured in ``benchmarks/bench_matching.py``.

- Coarse quantiser: k-means (``nlist`` centroids, a few Lloyd iterations on a random sample, one
  BLAS product per block for the assignment).
- Inverted lists: the gallery's rows are reordered *in place* by list (:meth:`Gallery._reorder`),
  so each list is a contiguous slice of the gallery matrix, no copy of the embeddings is kept, and
  ``Candidate.reference`` stays the caller's row through the gallery's row map.
- Search: the ``nprobe`` lists with the nearest centroids are scanned exactly (float32, same
  distance as exact search). Probes are grouped by list, so each list is read once per batch with
  one matrix product. Each probe's first ``warm`` lists are fully ranked to get a k-th-best bound;
  in the other lists only values under that bound are kept (one comparison), then merged.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from matching.blas import one_blas_thread

if TYPE_CHECKING:
    from matching.search import Gallery

INDEX_MIN_REFERENCES = 200_000
"""Galleries at least this large get an index for investigative search (smaller: exact is fast)."""

_ASSIGN_BLOCK = 32768


def _assign(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Nearest centroid of each row of ``x`` (blocked ``||c||^2 - 2 x.c``)."""
    cm2 = centroids.T * np.float32(-2.0)
    cn = np.einsum("ij,ij->i", centroids, centroids)
    out = np.empty(len(x), np.int64)
    buf = np.empty((min(_ASSIGN_BLOCK, len(x)), len(centroids)), np.float32)
    for s in range(0, len(x), _ASSIGN_BLOCK):
        blk = x[s : s + _ASSIGN_BLOCK]
        d = buf[: len(blk)]
        np.matmul(blk, cm2, out=d)
        d += cn
        out[s : s + len(blk)] = d.argmin(axis=1)
    return out


def kmeans(x: np.ndarray, nlist: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """Lloyd's k-means from a random start; empty clusters are re-seeded on random points."""
    centroids = x[rng.choice(len(x), nlist, replace=False)].copy()
    for _ in range(iterations):
        labels = _assign(x, centroids)
        counts = np.bincount(labels, minlength=nlist)
        sums = np.zeros((nlist, x.shape[1]), np.float64)
        np.add.at(sums, labels, x)
        full = counts > 0
        centroids[full] = (sums[full] / counts[full, None]).astype(np.float32)
        empty = np.flatnonzero(~full)
        if len(empty):
            centroids[empty] = x[rng.choice(len(x), len(empty), replace=False)]
    return centroids


class IvfIndex:
    """Inverted-file index over a :class:`~matching.search.Gallery` (see module docstring).

    ``nlist`` lists, ``nprobe`` lists scanned per probe (the recall/speed knob), k-means on
    ``sample`` rows for ``iterations`` Lloyd iterations.
    """

    def __init__(
        self,
        nlist: int = 1024,
        nprobe: int = 224,
        *,
        sample: int = 100_000,
        iterations: int = 8,
        warm: int = 4,
        seed: int = 0,
    ) -> None:
        self.nlist = nlist
        self.nprobe = nprobe
        self.sample = sample
        self.iterations = iterations
        self.warm = warm
        self.seed = seed
        self.centroids = np.zeros((0, 128), np.float32)
        self.offsets = np.zeros(1, np.int64)
        self.build_seconds = 0.0
        self._gallery: Gallery | None = None

    @property
    def gallery(self) -> Gallery:
        if self._gallery is None:
            raise RuntimeError("index not built")
        return self._gallery

    def build(self, gallery: Gallery) -> IvfIndex:
        """Train the quantiser, assign every reference and reorder ``gallery`` by list."""
        t0 = time.perf_counter()
        x = gallery.embeddings
        nlist = max(1, min(self.nlist, len(x)))
        rng = np.random.default_rng(self.seed)
        train = x[np.sort(rng.choice(len(x), min(len(x), max(self.sample, nlist)), replace=False))]
        self.centroids = kmeans(train, nlist, self.iterations, rng)
        del train
        labels = _assign(x, self.centroids)
        perm = np.argsort(labels, kind="stable")
        self.offsets = np.searchsorted(labels[perm], np.arange(nlist + 1)).astype(np.int64)
        del labels
        gallery._reorder(perm)
        self._c_norms = np.einsum("ij,ij->i", self.centroids, self.centroids)
        self._gallery = gallery
        self.build_seconds = time.perf_counter() - t0
        return self

    @property
    def list_sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def search(
        self, queries: np.ndarray, k: int, nprobe: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate k nearest references: ``(distances (Q, k), caller rows (Q, k))``,
        ascending, same distances as exact search for the references it finds. Rows it could not
        fill (fewer than ``k`` references in the scanned lists) have distance ``inf`` and row -1.
        """
        from matching.search import _as_matrix, _executor, _workers

        g = self.gallery
        q = _as_matrix(queries)
        nq = q.shape[0]
        k = min(k, len(g))
        nprobe = max(1, min(nprobe or self.nprobe, len(self.centroids)))
        warm = min(self.warm, nprobe)
        if k == 0 or nq == 0:
            return np.empty((nq, k), np.float32), np.empty((nq, k), np.int64)
        qm2 = q * np.float32(-2.0)
        q_sq = np.einsum("ij,ij->i", q, q)
        coarse = qm2 @ self.centroids.T + self._c_norms
        lists = (
            np.argpartition(coarse, nprobe - 1, axis=1)[:, :nprobe]
            if nprobe < len(self.centroids)
            else np.broadcast_to(np.arange(len(self.centroids)), (nq, nprobe))
        )
        order = np.argsort(np.take_along_axis(coarse, lists, axis=1), axis=1)
        lists = np.take_along_axis(lists, order, axis=1)

        with one_blas_thread():
            # 1. each probe's nearest `warm` lists, fully ranked: a k-th-best bound per probe
            width = int(self.list_sizes.max())
            vals = np.full((nq, warm, width), np.inf, np.float32)
            rows = np.full((nq, warm, width), -1, np.int64)
            for j in range(warm):
                for lst, probes in self._grouped(lists[:, j : j + 1]):
                    a, b = int(self.offsets[lst]), int(self.offsets[lst + 1])
                    vals[probes, j, : b - a] = self._scores(qm2, probes, lst).T
                    rows[probes, j, : b - a] = np.arange(a, b)
            flat = vals.reshape(nq, -1)
            kk = min(k, flat.shape[1]) - 1
            bound = np.partition(flat, kk, axis=1)[:, kk]
            flat_rows = rows.reshape(nq, -1)
            pi, ci = np.nonzero((flat <= bound[:, None]) & (flat_rows >= 0))  # not the padding
            found = [(pi, flat[pi, ci], flat_rows[pi, ci])]
            del vals, rows, flat, flat_rows

            # 2. the other lists, in two threads: keep only values under the probe's bound
            groups = self._grouped(lists[:, warm:])
            cost = np.cumsum([len(p) * int(self.list_sizes[lst]) for lst, p in groups])
            half = int(np.searchsorted(cost, cost[-1] / 2)) + 1 if len(groups) else 0
            if len(groups) > 8 and _workers() > 1:
                pool = _executor()
                futures = [
                    pool.submit(self._scan, qm2, bound, part)
                    for part in (groups[:half], groups[half:])
                ]
                for f in futures:
                    found += f.result()
            else:
                found += self._scan(qm2, bound, groups)
        owners, v, r = (np.concatenate([f[i] for f in found]) for i in range(3))
        return self._merge(owners, v, r, q_sq, k)

    def _scan(
        self, qm2: np.ndarray, bound: np.ndarray, groups: list[tuple[int, np.ndarray]]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Values under each probe's ``bound`` in the given ``(list, probes)`` groups."""
        out = []
        for lst, probes in groups:
            d = self._scores(qm2, probes, lst)
            ci, pi = np.nonzero(d <= bound[probes])
            if len(pi):
                out.append((probes[pi], d[ci, pi], ci + self.offsets[lst]))
        return out

    def _grouped(self, lists: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``(list, probes scanning it)`` pairs, in storage order (one read of each list)."""
        flat = lists.ravel()
        if not len(flat):
            return []
        probe_of = np.repeat(np.arange(lists.shape[0]), lists.shape[1])
        order = np.argsort(flat, kind="stable")
        flat, probe_of = flat[order], probe_of[order]
        cuts = np.flatnonzero(np.diff(flat)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(flat)]))
        return [
            (int(flat[a]), probe_of[a:b])
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            if self.offsets[flat[a] + 1] > self.offsets[flat[a]]
        ]

    def _scores(self, qm2: np.ndarray, probes: np.ndarray, lst: int) -> np.ndarray:
        g = self.gallery
        a, b = int(self.offsets[lst]), int(self.offsets[lst + 1])
        d = g.embeddings[a:b] @ qm2[probes].T  # this orientation is the faster one in OpenBLAS
        d += g.sq_norms[a:b, None]
        return d  # (list size, probes)

    def _merge(
        self, owners: np.ndarray, vals: np.ndarray, rows: np.ndarray, q_sq: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        nq = len(q_sq)
        order = np.lexsort((vals, owners))
        owners, vals, rows = owners[order], vals[order], rows[order]
        starts = np.searchsorted(owners, np.arange(nq))
        counts = np.bincount(owners, minlength=nq)
        take = np.minimum(counts, k)
        out_d = np.full((nq, k), np.inf, np.float32)
        out_i = np.full((nq, k), -1, np.int64)
        slot = np.arange(k)
        have = slot[None, :] < take[:, None]
        src = (starts[:, None] + slot[None, :])[have]
        out_d[have] = np.sqrt(np.maximum(vals[src] + np.repeat(q_sq, take), 0.0))
        out_i[have] = self.gallery.caller_rows(rows[src])
        return out_d, out_i
