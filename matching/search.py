"""Exact 1:N search of face embeddings against a gallery (watchlist references).

Distances are euclidean, on the scale of ``face_recognition.face_distance`` (dlib embeddings are
not unit-norm). Squared distances use ``||q||^2 + ||g||^2 - 2 q.g``: the ``q.g`` term is one BLAS
matrix product per block of queries x block of references, and ``||q||^2`` is added only to the
few kept results since it does not change a query's ranking. Work is blocked over queries and
references so memory stays bounded (a few tens of MB beyond the gallery itself).

The score is never thrown away: every candidate carries its distance; the decision (threshold,
mode) is a separate, recorded policy (:class:`SearchPolicy`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from matching.errors import ModelMismatchError
from matching.faces import EMBEDDING_DIM, MODEL_NAME

DEFAULT_ALERT_THRESHOLD = 0.6
"""Default alert threshold (euclidean distance) until a watchlist is calibrated; equal to
``face_recognition``'s default tolerance. ``calibrate`` replaces it per watchlist."""

_QUERY_BLOCK = 128
_REF_BLOCK = 65536


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


def _as_matrix(x: np.ndarray) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != EMBEDDING_DIM:
        raise ValueError(f"expected (n, {EMBEDDING_DIM}) embeddings, got {arr.shape}")
    return np.ascontiguousarray(arr)


class Gallery:
    """References of one embedding model: a contiguous float32 ``(N, 128)`` matrix and the
    subject id of each row.

    ``subjects`` may repeat (a subject has several references). Row order is kept, so
    ``Candidate.reference`` is the caller's row index.
    """

    def __init__(
        self,
        embeddings: np.ndarray,
        subjects: Sequence[str] | np.ndarray,
        model: str = MODEL_NAME,
    ) -> None:
        self.embeddings = (
            _as_matrix(embeddings) if len(embeddings) else np.zeros((0, 128), np.float32)
        )
        self.subjects = np.asarray(subjects, dtype=object)
        if self.subjects.shape != (self.embeddings.shape[0],):
            raise ValueError("one subject id per embedding row is required")
        self.model = model
        self.sq_norms = np.einsum("ij,ij->i", self.embeddings, self.embeddings).astype(np.float32)
        codes, inverse = np.unique(self.subjects.astype(str), return_inverse=True)
        self._subject_codes = inverse.astype(np.int64)
        self._subject_names = codes
        counts = np.bincount(self._subject_codes) if len(codes) else np.zeros(0, np.int64)
        self.max_refs_per_subject = int(counts.max()) if len(counts) else 0

    def __len__(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def subject_count(self) -> int:
        return len(self._subject_names)

    # -- persistence (a plain .npy so it loads in well under a second, or memory-maps) -----------

    def save_npy(self, path: str | os.PathLike[str]) -> None:
        """Write the embedding matrix as ``.npy`` (subjects and model are the caller's to keep)."""
        np.save(path, self.embeddings)

    @staticmethod
    def load_npy(source: str | os.PathLike[str] | bytes, mmap: bool = False) -> np.ndarray:
        """Load an embedding matrix written by :meth:`save_npy` (from a path or decrypted bytes)."""
        if isinstance(source, bytes):
            return np.load(io.BytesIO(source), allow_pickle=False)
        return np.load(source, mmap_mode="r" if mmap else None, allow_pickle=False)

    # -- search ----------------------------------------------------------------------------------

    def check_model(self, model: str) -> None:
        if model != self.model:
            raise ModelMismatchError(self.model, model)

    def nearest(
        self, queries: np.ndarray, k: int, *, model: str = MODEL_NAME
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k nearest references per query: ``(distances (Q, k), rows (Q, k))``, ascending.

        ``k`` is capped at the gallery size.
        """
        self.check_model(model)
        q = _as_matrix(queries)
        n = len(self)
        k = min(k, n)
        out_d = np.empty((q.shape[0], k), np.float32)
        out_i = np.empty((q.shape[0], k), np.int64)
        if k == 0:
            return out_d, out_i
        q_sq = np.einsum("ij,ij->i", q, q)
        for qs in range(0, q.shape[0], _QUERY_BLOCK):
            qb = q[qs : qs + _QUERY_BLOCK] * np.float32(-2.0)
            d, i = self._block_topk(qb, k)
            d += q_sq[qs : qs + _QUERY_BLOCK, None]
            np.maximum(d, 0.0, out=d)
            out_d[qs : qs + _QUERY_BLOCK] = np.sqrt(d)
            out_i[qs : qs + _QUERY_BLOCK] = i
        return out_d, out_i
        q_sq = np.einsum("ij,ij->i", q, q)
        for qs in range(0, q.shape[0], _QUERY_BLOCK):
            qb = q[qs : qs + _QUERY_BLOCK] * np.float32(-2.0)
            best_d: list[np.ndarray] = []
            best_i: list[np.ndarray] = []
            for rs in range(0, n, _REF_BLOCK):
                g = self.embeddings[rs : rs + _REF_BLOCK]
                part = qb @ g.T  # -2 q.g
                part += self.sq_norms[rs : rs + _REF_BLOCK]
                kk = min(k, part.shape[1])
                if kk < part.shape[1]:
                    idx = np.argpartition(part, kk - 1, axis=1)[:, :kk]
                else:
                    idx = np.broadcast_to(np.arange(part.shape[1]), part.shape).copy()
                best_d.append(np.take_along_axis(part, idx, axis=1))
                best_i.append(idx + rs)
            d = np.concatenate(best_d, axis=1)
            i = np.concatenate(best_i, axis=1)
            if d.shape[1] > k:
                sel = np.argpartition(d, k - 1, axis=1)[:, :k]
                d = np.take_along_axis(d, sel, axis=1)
                i = np.take_along_axis(i, sel, axis=1)
            order = np.argsort(d, axis=1, kind="stable")
            d = np.take_along_axis(d, order, axis=1)
            i = np.take_along_axis(i, order, axis=1)
            d += q_sq[qs : qs + _QUERY_BLOCK, None]
            np.maximum(d, 0.0, out=d)
            out_d[qs : qs + _QUERY_BLOCK] = np.sqrt(d)
            out_i[qs : qs + _QUERY_BLOCK] = i
        return out_d, out_i

    def _block_topk(self, qb: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k of ``||g||^2 - 2 q.g`` per row of ``qb`` (already scaled by -2), ascending.

        The first reference block is partitioned fully; later blocks only pass values under each
        query's current k-th best through a cheap comparison, so few elements are ever sorted.
        """
        n = len(self)
        best_d = np.full((qb.shape[0], k), np.inf, np.float32)
        best_i = np.full((qb.shape[0], k), -1, np.int64)
        cutoff = np.full(qb.shape[0], np.inf, np.float32)
        for rs in range(0, n, _REF_BLOCK):
            part = qb @ self.embeddings[rs : rs + _REF_BLOCK].T  # -2 q.g
            part += self.sq_norms[rs : rs + _REF_BLOCK]
            rows, cols = np.nonzero(part < cutoff[:, None])
            if not len(rows):
                continue
            bounds = np.searchsorted(rows, np.arange(qb.shape[0] + 1))
            for r in np.flatnonzero(np.diff(bounds)):
                c = cols[bounds[r] : bounds[r + 1]]
                d = np.concatenate([best_d[r], part[r, c]])
                i = np.concatenate([best_i[r], c.astype(np.int64) + rs])
                if len(d) > k:
                    sel = np.argpartition(d, k - 1)[:k]
                    d, i = d[sel], i[sel]
                best_d[r], best_i[r] = d, i
                cutoff[r] = d.max()
        order = np.argsort(best_d, axis=1, kind="stable")
        return np.take_along_axis(best_d, order, axis=1), np.take_along_axis(best_i, order, axis=1)

    def _candidates(
        self, dist: np.ndarray, rows: np.ndarray, top: int | None, threshold: float | None
    ) -> list[list[Candidate]]:
        result: list[list[Candidate]] = []
        for p in range(dist.shape[0]):
            seen: set[int] = set()
            cands: list[Candidate] = []
            for d, r in zip(dist[p], rows[p], strict=True):
                if threshold is not None and d > threshold:
                    break
                code = int(self._subject_codes[r])
                if code in seen:
                    continue  # a subject's score is its best reference: the first one seen
                seen.add(code)
                cands.append(Candidate(p, len(cands) + 1, str(self.subjects[r]), int(r), float(d)))
                if top is not None and len(cands) == top:
                    break
            result.append(cands)
        return result

    def investigate(
        self, queries: np.ndarray, top: int = 10, *, model: str = MODEL_NAME
    ) -> list[list[Candidate]]:
        """Investigative mode: the ``top`` nearest subjects per probe, ranked, with distances.

        Exact: enough references are fetched (``top`` x the largest reference count of a
        subject) that the best reference of each of the ``top`` best subjects is among them.
        """
        k = min(len(self), top * max(self.max_refs_per_subject, 1))
        dist, rows = self.nearest(queries, k, model=model)
        return self._candidates(dist, rows, top, None)

    def alert(
        self,
        queries: np.ndarray,
        threshold: float = DEFAULT_ALERT_THRESHOLD,
        *,
        model: str = MODEL_NAME,
    ) -> list[list[Candidate]]:
        """Alert mode: every subject with a reference at distance <= ``threshold``, per probe."""
        self.check_model(model)
        q = _as_matrix(queries)
        result: list[list[Candidate]] = []
        q_sq = np.einsum("ij,ij->i", q, q)
        for qs in range(0, q.shape[0], _QUERY_BLOCK):
            qb = q[qs : qs + _QUERY_BLOCK]
            hits: list[list[tuple[float, int]]] = [[] for _ in range(qb.shape[0])]
            for rs in range(0, len(self), _REF_BLOCK):
                g = self.embeddings[rs : rs + _REF_BLOCK]
                d2 = (qb * np.float32(-2.0)) @ g.T
                d2 += self.sq_norms[rs : rs + _REF_BLOCK]
                d2 += q_sq[qs : qs + _QUERY_BLOCK, None]
                pi, ri = np.nonzero(d2 <= np.float32(threshold * threshold))
                for a, b in zip(pi.tolist(), ri.tolist(), strict=True):
                    hits[a].append((float(np.sqrt(max(d2[a, b], 0.0))), b + rs))
            for j, h in enumerate(hits):
                h.sort()
                dist = np.array([[x[0] for x in h]], np.float32).reshape(1, -1)
                rows = np.array([[x[1] for x in h]], np.int64).reshape(1, -1)
                cands = self._candidates(dist, rows, None, threshold)[0]
                result.append(
                    [Candidate(qs + j, c.rank, c.subject, c.reference, c.distance) for c in cands]
                )
        return result

    def search(
        self, queries: np.ndarray, policy: SearchPolicy, *, model: str = MODEL_NAME
    ) -> list[list[Candidate]]:
        """Run ``policy`` (investigative top-k or alert under threshold)."""
        if policy.mode == "alert":
            return self.alert(queries, policy.threshold, model=model)
        return self.investigate(queries, policy.top, model=model)


def face_distance(known: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """Euclidean distances from ``probe`` to each row of ``known`` (as face_recognition)."""
    known = np.asarray(known, dtype=np.float32)
    if known.size == 0:
        return np.zeros(0, np.float32)
    return np.asarray(np.linalg.norm(known - np.asarray(probe, np.float32), axis=1))
