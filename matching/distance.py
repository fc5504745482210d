"""The one distance between face embeddings: small pure functions over numpy arrays.

Metric: the Euclidean distance between 128-d dlib ResNet embeddings (``face_recognition``'s
``face_distance`` scale; embeddings are not unit-norm; ~0.6 separates people). Every score in
Custos comes from here: exact and indexed search, alert mode, the index's re-ranking, clustering,
``custos eval`` and ``watchlist calibrate``, so a threshold calibrated on a folder means the same
thing in an alert search.

It is computed in float32 as ``sqrt(max(|q|^2 + |g|^2 - 2 q.g, 0))``: reference norms are
computed once per gallery (:func:`sq_norms`), and search ranks on the partial score
``|g|^2 - 2 q.g`` (:func:`partial`, with the query pre-scaled by -2) since ``|q|^2`` does not
change a query's order; :func:`finish` adds it and takes the root. The three ways of getting the
dot products (a BLAS product for a block of queries, one SIMD dot per row for a single query, a
batched product over gathered rows) are one function with a ``how`` parameter, so hot loops keep
their fastest form and everything else still comes from this module.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from matching.faces import EMBEDDING_DIM

MINUS_TWO = np.float32(-2.0)


def as_matrix(x: np.ndarray) -> np.ndarray:
    """Embeddings as a contiguous float32 ``(n, 128)`` matrix (one row for one embedding)."""
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != EMBEDDING_DIM:
        raise ValueError(f"expected (n, {EMBEDDING_DIM}) embeddings, got {arr.shape}")
    return np.ascontiguousarray(arr)


def sq_norms(x: np.ndarray) -> np.ndarray:
    """``|x_i|^2`` per row (float32)."""
    return np.einsum("ij,ij->i", x, x).astype(np.float32, copy=False)


def partial(
    qm2: np.ndarray,
    refs: np.ndarray,
    ref_sq: np.ndarray,
    out: np.ndarray | None = None,
    how: Literal["gemm", "row", "gathered"] = "gemm",
) -> np.ndarray:
    """``|g|^2 - 2 q.g``: the squared distance less the query's own norm, for queries already
    multiplied by -2 (``qm2``).

    ``how``: ``"gemm"``, ``qm2`` (Q, 128) against ``refs`` (N, 128) -> (Q, N) by one BLAS product;
    ``"row"``, one query (128,) against ``refs`` -> (N,) by one SIMD dot per row (no BLAS thread
    hand-off: fastest for a single probe); ``"gathered"``, ``qm2`` (P, 128) against its own rows
    ``refs`` (P, R, 128) -> (P, R). ``out`` (when given) receives the result.
    """
    if how == "gemm":
        res = np.matmul(qm2, refs.T, out=out)
    elif how == "row":
        res = np.einsum("ij,j->i", refs, qm2, out=out)
    else:
        res = np.einsum("prd,pd->pr", refs, qm2, out=out)
    res += ref_sq
    return res


def finish(part: np.ndarray, q_sq: np.ndarray) -> np.ndarray:
    """Distances from partial scores (in place): add ``|q|^2`` per row, clamp at 0, root."""
    part += q_sq[:, None] if part.ndim == 2 else q_sq
    np.maximum(part, 0.0, out=part)
    np.sqrt(part, out=part)
    return part


def squared(q: np.ndarray, refs: np.ndarray, ref_sq: np.ndarray | None = None) -> np.ndarray:
    """Squared distances ``(Q, N)`` from each query to each reference (may be slightly < 0)."""
    q, refs = as_matrix(q), as_matrix(refs)
    d2 = partial(q * MINUS_TWO, refs, sq_norms(refs) if ref_sq is None else ref_sq)
    d2 += sq_norms(q)[:, None]
    return d2


def root(d2: np.ndarray) -> np.ndarray:
    """Distances from squared distances (clamped at 0: rounding may leave a tiny negative)."""
    return np.sqrt(np.maximum(d2, np.float32(0.0)))


def distances(q: np.ndarray, refs: np.ndarray, ref_sq: np.ndarray | None = None) -> np.ndarray:
    """Distances ``(Q, N)`` from each query to each reference."""
    if len(refs) == 0:
        return np.zeros((len(as_matrix(q)), 0), np.float32)
    return root(squared(q, refs, ref_sq))


def augmented(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(left, right)`` with ``left[a] . right[b] = |x_a - x_b|^2``: ``[-2a, |a|^2, 1]`` and
    ``[b, 1, |b|^2]``. One BLAS product per block then gives squared distances directly, with no
    pass to add the norms (all-pairs work: clustering)."""
    x = as_matrix(x) if len(x) else np.zeros((0, EMBEDDING_DIM), np.float32)
    sq = sq_norms(x)[:, None]
    ones = np.ones((len(x), 1), np.float32)
    return np.hstack([x * MINUS_TWO, sq, ones]), np.hstack([x, ones, sq])
