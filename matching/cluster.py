"""Group recurring unknown faces: Chinese whispers over a thresholded k-NN graph.

The graph links every pair of faces closer than ``threshold`` (0.5; at most ``k`` neighbours per
face). Distances are :mod:`matching.distance`'s, from blocked matrix products on its augmented
vectors, so one BLAS call per block yields squared distances directly
(``[-2a, |a|^2, 1] . [b, 1, |b|^2] = |a - b|^2``). Only the upper
triangle of blocks is computed. The labelling runs in dlib's C++ ``chinese_whispers`` on the edge
list (dlib's ``chinese_whispers_clustering`` compares every pair itself: O(N^2) in one thread).
"""

from __future__ import annotations

from collections.abc import Callable

import dlib
import numpy as np

from matching import distance

DEFAULT_CLUSTER_THRESHOLD = 0.5
_BLOCK = 4096


def neighbour_edges(
    embeddings: np.ndarray,
    threshold: float = DEFAULT_CLUSTER_THRESHOLD,
    k: int = 50,
    cancel: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges ``(i, j, distance)`` with ``i < j`` and distance < ``threshold``; each face keeps at
    most its ``k`` nearest such neighbours (an edge stays if either end keeps it)."""
    left, right = distance.augmented(embeddings)
    n = left.shape[0]
    limit = np.float32(threshold * threshold)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for a in range(0, n, _BLOCK):
        if cancel is not None and cancel():
            raise InterruptedError("clustering cancelled")
        la = left[a : a + _BLOCK]
        for b in range(a, n, _BLOCK):
            d2 = la @ right[b : b + _BLOCK].T
            if a == b:
                d2[np.tril_indices(d2.shape[0], 0, d2.shape[1])] = np.inf
            i, j = np.nonzero(d2 < limit)
            if len(i):
                rows.append(i + a)
                cols.append(j + b)
                vals.append(distance.root(d2[i, j]))
    if not rows:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32)
    ei, ej, ed = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    if k and len(ei) > k:
        ei, ej, ed = _keep_k(ei, ej, ed, n, k)
    return ei.astype(np.int64), ej.astype(np.int64), ed.astype(np.float32)


def _keep_k(
    ei: np.ndarray, ej: np.ndarray, ed: np.ndarray, n: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep an edge when it is among the k shortest of either endpoint."""
    ends = np.concatenate([ei, ej])
    dist = np.concatenate([ed, ed])
    edge = np.concatenate([np.arange(len(ei)), np.arange(len(ei))])
    order = np.lexsort((dist, ends))
    ends_sorted = ends[order]
    starts = np.searchsorted(ends_sorted, np.arange(n))
    rank = np.arange(len(order)) - starts[ends_sorted]
    keep = np.zeros(len(ei), bool)
    keep[edge[order][rank < k]] = True
    return ei[keep], ej[keep], ed[keep]


def chinese_whispers(
    embeddings: np.ndarray,
    threshold: float = DEFAULT_CLUSTER_THRESHOLD,
    k: int = 50,
    cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Cluster label per face (``int64``, 0..C-1, largest cluster first; singletons get their
    own label)."""
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, np.int64)
    ei, ej, _ = neighbour_edges(embeddings, threshold, k, cancel)
    # every vertex needs an edge to exist in dlib's graph: add self loops
    loops = np.arange(n)
    edges = list(
        zip(np.concatenate([ei, loops]).tolist(), np.concatenate([ej, loops]).tolist(), strict=True)
    )
    raw = np.asarray(dlib.chinese_whispers(edges), dtype=np.int64)
    _, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(len(order))
    return relabel[inverse].astype(np.int64)


def clusters(labels: np.ndarray, min_size: int = 2) -> list[list[int]]:
    """Members (face indexes) of each cluster with at least ``min_size`` faces, largest first."""
    groups: dict[int, list[int]] = {}
    for idx, lab in enumerate(labels.tolist()):
        groups.setdefault(lab, []).append(idx)
    out = [m for m in groups.values() if len(m) >= min_size]
    return sorted(out, key=len, reverse=True)
