"""Exact 1:N search of face embeddings against a gallery (watchlist references).

Distances come from :mod:`matching.distance` (Euclidean on 128-d dlib embeddings, the one kernel
of eval, calibration, search, alert, index and clustering): the scan ranks on
``||g||^2 - 2 q.g``; ``||q||^2`` is added only to the few kept results since it does not change a
query's ranking. Top-k keeps a running k-th best
per query, so each block of scores is filtered by one comparison and almost nothing is
partitioned after the first block.

- One to ``_SMALL_BATCH`` probes (the single-photo case): memory-bandwidth bound. Two threads
  each scan one half of the gallery in 16,384-row blocks; a block's scores (64 KB, reused buffer)
  come from a SIMD dot product per row (``einsum``, which releases the GIL and needs no BLAS
  thread hand-off), norms are added in place while the block is in cache, and the two halves'
  top-k are merged.
- Larger batches: compute bound. One BLAS product per 128 queries x 16,384 references block.

Exact search is the reference. :mod:`matching.index` (a faiss IVF-PQ shortlist re-ranked exactly
against this matrix) may serve *investigative* searches of large galleries once built
(:meth:`Gallery.build_index`); alert mode is always exact.

The score is never thrown away: every candidate carries its distance; the decision (threshold,
mode) is a separate, recorded policy (:class:`SearchPolicy`).

Whole subjects: a subject's score for a probe is the distance to its NEAREST reference photo
(:data:`SUBJECT_RULE`), so every reference counts (a probe in profile meets the profile
reference). Chosen by measurement (``benchmarks/bench_hardfaces.py --rules``, PERFORMANCE.md
"Hard faces") against the mean of the two nearest references and the centroid: on
``../shared/faces`` and its small-faces copy it ranks as well as either, keeps the widest margin
between the worst mated and the best non-mated score on the small faces (within 0.002 of the
best on the others), scores subjects with one photo and with many on one scale, and is the
only one of the three that the index's nearest-reference shortlist serves exactly.
``custos eval`` and ``watchlist calibrate`` score subjects through
:meth:`Gallery.subject_distances`, the same :meth:`Gallery.investigate` a search runs, so a
calibrated threshold means the same in a search.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from matching import distance
from matching.blas import executor, one_blas_thread, workers
from matching.distance import MINUS_TWO, as_matrix
from matching.errors import ModelMismatchError
from matching.faces import MODEL_NAME
from matching.index import INDEX_MIN_REFERENCES, PqIndex

SUBJECT_RULE = "nearest reference"
"""How a subject with several reference photos is scored (see the module docstring); recorded in
every evaluation and calibration."""

DEFAULT_ALERT_THRESHOLD = 0.6
"""Default alert threshold (euclidean distance) until a watchlist is calibrated; equal to
``face_recognition``'s default tolerance. ``calibrate`` replaces it per watchlist."""

_QUERY_BLOCK = 128
_REF_BLOCK = 16384  # references per GEMM block: 128 x 16,384 scores = 8 MB per thread
_SCAN_BLOCK = 16384  # rows per block of the few-probe scan: 64 KB of scores stay in L1/L2
_SMALL_BATCH = 4  # up to this many probes, scan probe by probe instead of a matrix product
_PARALLEL_MIN = 4 * _SCAN_BLOCK  # below this many references, one thread


def _sorted_topk(d: np.ndarray, i: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest of each row of ``d`` (with their ``i``), ascending."""
    if d.shape[1] > k:
        sel = np.argpartition(d, k - 1, axis=1)[:, :k]
        d = np.take_along_axis(d, sel, axis=1)
        i = np.take_along_axis(i, sel, axis=1)
    order = np.argsort(d, axis=1, kind="stable")
    return np.take_along_axis(d, order, axis=1), np.take_along_axis(i, order, axis=1)


@dataclass(frozen=True)
class Candidate:
    """One subject proposed for one probe: its best reference and the distance to it."""

    probe: int
    rank: int
    subject: str
    reference: int
    distance: float

    @property
    def score(self) -> float:
        """Similarity in 0..1 for display (1 - distance / 1.2, clipped); distance is the truth."""
        return float(min(1.0, max(0.0, 1.0 - self.distance / 1.2)))


@dataclass(frozen=True)
class SearchPolicy:
    """The recorded decision rule of a search."""

    mode: Literal["investigative", "alert"] = "investigative"
    top: int = 10
    threshold: float = DEFAULT_ALERT_THRESHOLD


class Gallery:
    """References of one embedding model: a contiguous float32 ``(N, 128)`` matrix and the
    subject id of each row.

    ``subjects`` may repeat (a subject has several references). ``Candidate.reference`` and the
    rows returned by :meth:`nearest` are the caller's row indices. An index
    (:meth:`build_index`) keeps compressed codes only and re-ranks against this matrix.
    """

    def __init__(
        self,
        embeddings: np.ndarray,
        subjects: Sequence[str] | np.ndarray,
        model: str = MODEL_NAME,
    ) -> None:
        self.embeddings = (
            as_matrix(embeddings) if len(embeddings) else np.zeros((0, 128), np.float32)
        )
        ids = np.asarray(subjects)
        if ids.shape != (self.embeddings.shape[0],):
            raise ValueError("one subject id per embedding row is required")
        self.model = model
        self.sq_norms = distance.sq_norms(self.embeddings)
        # subject ids are kept as one code per row plus the distinct names (not one Python
        # string per row: 1M references would cost ~60 MB more); integer ids (a watchlist's
        # subject ids) are made unique as integers, then named by their text
        if ids.dtype.kind in "iu":
            codes, inverse = np.unique(ids, return_inverse=True)
            codes = codes.astype(str)
        else:
            codes, inverse = np.unique(ids.astype(str), return_inverse=True)
        del ids
        self._subject_codes = inverse.astype(np.int32 if len(codes) < 2**31 else np.int64)
        self._subject_names = codes
        counts = np.bincount(self._subject_codes) if len(codes) else np.zeros(0, np.int64)
        self.max_refs_per_subject = int(counts.max()) if len(counts) else 0
        self.index: PqIndex | None = None

    def __len__(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def subjects(self) -> np.ndarray:
        """The subject id of each row (built on demand)."""
        return self._subject_names[self._subject_codes]

    # -- persistence (a plain .npy so it loads in well under a second, or memory-maps) -----------

    @staticmethod
    def load_npy(source: str | os.PathLike[str] | bytes, mmap: bool = False) -> np.ndarray:
        """Load an embedding matrix saved with ``np.save`` (from a path or decrypted bytes)."""
        if isinstance(source, bytes):
            return np.load(io.BytesIO(source), allow_pickle=False)
        return np.load(source, mmap_mode="r" if mmap else None, allow_pickle=False)

    # -- index ---------------------------------------------------------------------------------

    def embedding(self, row: int) -> np.ndarray:
        """The embedding of row ``row``."""
        return self.embeddings[row]

    def build_index(self, *, force: bool = False, **params: int) -> bool:
        """Build a :class:`~matching.index.PqIndex` for investigative searches if the gallery
        has at least ``INDEX_MIN_REFERENCES`` references (or ``force``). Returns whether one was
        built. Alert mode and :meth:`nearest` stay exact."""
        if not force and len(self) < INDEX_MIN_REFERENCES:
            return False
        self.index = PqIndex(**params).build(self)
        return True

    # -- search ----------------------------------------------------------------------------------

    def check_model(self, model: str) -> None:
        if model != self.model:
            raise ModelMismatchError(self.model, model)

    def nearest(
        self, queries: np.ndarray, k: int, *, model: str = MODEL_NAME
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k nearest references per query: ``(distances (Q, k), rows (Q, k))``, ascending.

        ``k`` is capped at the gallery size. Up to ``_SMALL_BATCH`` probes are scanned one at a
        time over cache-sized blocks by two threads (one half of the gallery each); larger
        batches use one BLAS matrix product per (queries x references) block.
        """
        self.check_model(model)
        q = as_matrix(queries)
        k = min(k, len(self))
        if k == 0 or q.shape[0] == 0:
            return np.empty((q.shape[0], k), np.float32), np.empty((q.shape[0], k), np.int64)
        if q.shape[0] <= _SMALL_BATCH:
            d, i = self._scan_small(q * MINUS_TWO, k)
        else:
            d = np.empty((q.shape[0], k), np.float32)
            i = np.empty((q.shape[0], k), np.int64)
            for qs in range(0, q.shape[0], _QUERY_BLOCK):
                qb = q[qs : qs + _QUERY_BLOCK] * MINUS_TWO
                d[qs : qs + _QUERY_BLOCK], i[qs : qs + _QUERY_BLOCK] = self._batch_topk(qb, k)
        return distance.finish(d, distance.sq_norms(q)), i

    # -- exact top-k kernels (values are ||g||^2 - 2 q.g: the query's own norm is added last) ----

    def _scan_small(self, qm2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k for a few queries (already scaled by -2): the gallery is cut in two halves
        scanned by two threads (numpy releases the GIL), then the two top-k lists are merged."""
        n = len(self)
        if n < _PARALLEL_MIN or workers() < 2:
            return _sorted_topk(*self._scan_range(qm2, k, 0, n), k)
        half = (n // 2 + _SCAN_BLOCK - 1) // _SCAN_BLOCK * _SCAN_BLOCK
        pool = executor()
        futures = [pool.submit(self._scan_range, qm2, k, a, b) for a, b in ((0, half), (half, n))]
        parts = [f.result() for f in futures]
        d = np.concatenate([p[0] for p in parts], axis=1)
        i = np.concatenate([p[1] for p in parts], axis=1)
        return _sorted_topk(d, i, k)

    def _scan_range(
        self, qm2: np.ndarray, k: int, lo: int, hi: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unsorted top-k of rows ``lo:hi`` for each query, in one pass over the references.

        Each block's scores (a 64 KB buffer, reused) are computed with one SIMD dot product
        per row (``einsum``: no BLAS thread hand-offs, which cost more than the work on a busy
        machine), the norms added in place, and only values under the query's running k-th best
        are kept, so after the first block almost nothing is partitioned.
        """
        nq = qm2.shape[0]
        buf = np.empty(_SCAN_BLOCK, np.float32)
        best_d = [np.empty(0, np.float32) for _ in range(nq)]
        best_i = [np.empty(0, np.int64) for _ in range(nq)]
        cutoff = [np.float32(np.inf)] * nq
        for s in range(lo, hi, _SCAN_BLOCK):
            e = min(s + _SCAN_BLOCK, hi)
            block = self.embeddings[s:e]
            norms = self.sq_norms[s:e]
            part = buf[: e - s]
            for r in range(nq):
                distance.partial(qm2[r], block, norms, part, how="row")
                if len(best_d[r]) < k:
                    cand = np.arange(e - s)
                else:
                    cand = np.flatnonzero(part < cutoff[r])
                    if not len(cand):
                        continue
                d = np.concatenate((best_d[r], part[cand]))
                i = np.concatenate((best_i[r], cand + s))
                if len(d) > k:
                    sel = np.argpartition(d, k - 1)[:k]
                    d, i = d[sel], i[sel]
                best_d[r], best_i[r] = d, i
                if len(d) >= k:
                    cutoff[r] = d.max()
        return np.stack(best_d), np.stack(best_i)

    def _batch_topk(self, qb: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k for a batch: two threads over the two halves of the gallery, each making
        one-thread BLAS calls (no OpenBLAS barrier between cores, which stalls on a busy
        machine), then the halves' top-k merged."""
        n = len(self)
        if n < 2 * _REF_BLOCK or workers() < 2:
            return self._block_topk(qb, k, 0, n)
        half = (n // 2 + _REF_BLOCK - 1) // _REF_BLOCK * _REF_BLOCK
        with one_blas_thread():
            pool = executor()
            futures = [
                pool.submit(self._block_topk, qb, k, a, b) for a, b in ((0, half), (half, n))
            ]
            parts = [f.result() for f in futures]
        d = np.concatenate([p[0] for p in parts], axis=1)
        i = np.concatenate([p[1] for p in parts], axis=1)
        return _sorted_topk(d, i, k)

    def _block_topk(
        self, qb: np.ndarray, k: int, lo: int, hi: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k of ``||g||^2 - 2 q.g`` per row of ``qb`` (already scaled by -2), ascending.

        One BLAS product per reference block; the first block is partitioned fully, later blocks
        only pass values under each query's current k-th best through a cheap comparison, so few
        elements are ever partitioned.
        """
        nq = qb.shape[0]
        k = min(k, hi - lo)
        best_d = np.full((nq, k), np.inf, np.float32)
        best_i = np.full((nq, k), -1, np.int64)
        cutoff = np.full((nq, 1), np.inf, np.float32)
        part_buf = np.empty((nq, _REF_BLOCK), np.float32)
        for rs in range(lo, hi, _REF_BLOCK):
            stop = min(rs + _REF_BLOCK, hi)
            g = self.embeddings[rs:stop]
            part = part_buf[:, : g.shape[0]]
            distance.partial(qb, g, self.sq_norms[rs:stop], part)
            if rs == lo and g.shape[0] >= k:
                sel = np.argpartition(part, k - 1, axis=1)[:, :k]
                best_d = np.take_along_axis(part, sel, axis=1)
                best_i = sel.astype(np.int64) + rs
                cutoff = best_d.max(axis=1, keepdims=True)
                continue
            rows, cols = np.nonzero(part < cutoff)  # row-major: grouped by query
            if not len(rows):
                continue
            # merge all queries at once: each row's k best + its survivors, padded with inf
            counts = np.bincount(rows, minlength=nq)
            pos = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows] + k
            cand_d = np.full((nq, k + int(counts.max())), np.inf, np.float32)
            cand_i = np.full(cand_d.shape, -1, np.int64)
            cand_d[:, :k], cand_i[:, :k] = best_d, best_i
            cand_d[rows, pos] = part[rows, cols]
            cand_i[rows, pos] = cols + rs
            sel = np.argpartition(cand_d, k - 1, axis=1)[:, :k]
            best_d = np.take_along_axis(cand_d, sel, axis=1)
            best_i = np.take_along_axis(cand_i, sel, axis=1)
            cutoff = best_d.max(axis=1, keepdims=True)
        return _sorted_topk(best_d, best_i, k)

    def _candidates(
        self, dist: np.ndarray, rows: np.ndarray, top: int | None, threshold: float | None
    ) -> list[list[Candidate]]:
        result: list[list[Candidate]] = []
        for p in range(dist.shape[0]):
            seen: set[int] = set()
            cands: list[Candidate] = []
            for d, r in zip(dist[p], rows[p], strict=True):
                if r < 0 or (threshold is not None and d > threshold):
                    break  # r < 0: the index found fewer than k references
                code = int(self._subject_codes[r])
                if code in seen:
                    continue  # SUBJECT_RULE: a subject's score is its nearest reference
                seen.add(code)
                name = str(self._subject_names[code])
                cands.append(Candidate(p, len(cands) + 1, name, int(r), float(d)))
                if top is not None and len(cands) == top:
                    break
            result.append(cands)
        return result

    def investigate(
        self,
        queries: np.ndarray,
        top: int = 10,
        *,
        model: str = MODEL_NAME,
        exact: bool = False,
    ) -> list[list[Candidate]]:
        """Investigative mode: the ``top`` nearest subjects per probe, ranked, with distances.

        Enough references are fetched (``top`` x the largest reference count of a subject) that
        the best reference of each of the ``top`` best subjects is among them. Exact unless an
        index was built (:meth:`build_index`) and ``exact`` is false; then the index's recall
        against exact search applies (measured in the benchmark).
        """
        self.check_model(model)
        k = min(len(self), top * max(self.max_refs_per_subject, 1))
        if self.index is not None and not exact:
            dist, rows = self.index.search(queries, k)
        else:
            dist, rows = self.nearest(queries, k, model=model)
        return self._candidates(dist, rows, top, None)

    def alert(
        self,
        queries: np.ndarray,
        threshold: float = DEFAULT_ALERT_THRESHOLD,
        *,
        model: str = MODEL_NAME,
    ) -> list[list[Candidate]]:
        """Alert mode: every subject with a reference at distance <= ``threshold``, per probe.

        Always exact (a full scan, never the index): an alert must not be missed by an
        approximation."""
        self.check_model(model)
        q = as_matrix(queries)
        result: list[list[Candidate]] = []
        q_sq = distance.sq_norms(q)
        for qs in range(0, q.shape[0], _QUERY_BLOCK):
            qb = q[qs : qs + _QUERY_BLOCK]
            hits: list[list[tuple[float, int]]] = [[] for _ in range(qb.shape[0])]
            for rs in range(0, len(self), _REF_BLOCK):
                g = self.embeddings[rs : rs + _REF_BLOCK]
                d2 = distance.partial(qb * MINUS_TWO, g, self.sq_norms[rs : rs + _REF_BLOCK])
                d2 += q_sq[qs : qs + _QUERY_BLOCK, None]
                pi, ri = np.nonzero(d2 <= np.float32(threshold * threshold))
                found = distance.root(d2[pi, ri]).tolist()
                for a, dist, c in zip(pi.tolist(), found, (ri + rs).tolist(), strict=True):
                    hits[a].append((dist, c))
            for j, h in enumerate(hits):
                h.sort()
                dist = np.array([[x[0] for x in h]], np.float32).reshape(1, -1)
                rows = np.array([[x[1] for x in h]], np.int64).reshape(1, -1)
                cands = self._candidates(dist, rows, None, threshold)[0]
                result.append(
                    [Candidate(qs + j, c.rank, c.subject, c.reference, c.distance) for c in cands]
                )
        return result

    def subject_distances(
        self, queries: np.ndarray, *, model: str = MODEL_NAME
    ) -> list[dict[str, float]]:
        """Every subject's score per probe, by :data:`SUBJECT_RULE`: an exact investigative
        search for all subjects, the code every search runs (``custos eval`` and calibration
        measure through it)."""
        everyone = len(self._subject_names)
        if not everyone:
            return [{} for _ in range(as_matrix(queries).shape[0])]
        found = self.investigate(queries, top=everyone, model=model, exact=True)
        return [{c.subject: c.distance for c in cands} for cands in found]

    def search(
        self, queries: np.ndarray, policy: SearchPolicy, *, model: str = MODEL_NAME
    ) -> list[list[Candidate]]:
        """Run ``policy`` (investigative top-k or alert under threshold)."""
        if policy.mode == "alert":
            return self.alert(queries, policy.threshold, model=model)
        return self.investigate(queries, policy.top, model=model)
