"""1:N search on the labelled faces: probes rank their own subject first, unknowns match nobody."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from matching.errors import ModelMismatchError
from matching.evaluate import read_folder
from matching.parallel import ImageResult
from matching.search import DEFAULT_ALERT_THRESHOLD, Gallery, SearchPolicy


@pytest.fixture(scope="module")
def watchlist(faces_dir: Path, detected: dict[str, ImageResult]) -> Gallery:
    rows = [r for r in read_folder(faces_dir).identities if r[2] == "enrol"]
    embs = [detected[image].faces[0].embedding for image, _, _ in rows]
    return Gallery(np.stack(embs), [identity for _, identity, _ in rows])


def test_probes_rank_their_own_subject_first(
    faces_dir: Path, detected: dict[str, ImageResult], watchlist: Gallery
) -> None:
    probes = [r for r in read_folder(faces_dir).identities if r[2] == "probe"]
    queries = np.stack([detected[image].faces[0].embedding for image, _, _ in probes])
    results = watchlist.investigate(queries, top=3)
    firsts = [cands[0].subject for cands in results]
    assert firsts == [identity for _, identity, _ in probes]
    assert all(len({c.subject for c in cands}) == 3 for cands in results)


def test_multi_face_probe_finds_both_enrolled_people(
    detected: dict[str, ImageResult], watchlist: Gallery
) -> None:
    faces = detected["knn/test/obama_and_biden.jpg"].faces
    hits = watchlist.alert(np.stack([f.embedding for f in faces]))
    assert sorted(c[0].subject for c in hits if c) == ["biden", "obama"]
    assert sum(1 for c in hits if not c) == 1  # the third person is on no list


def test_unknown_people_match_no_one_at_default_threshold(
    labels: list[dict[str, str]], detected: dict[str, ImageResult], watchlist: Gallery
) -> None:
    unknown = [r["path"] for r in labels if r["identities"] == "unknown"]
    assert unknown
    queries = np.stack([f.embedding for p in unknown for f in detected[p].faces])
    assert watchlist.alert(queries, DEFAULT_ALERT_THRESHOLD) == [[] for _ in queries]


def test_different_model_is_refused(watchlist: Gallery) -> None:
    q = watchlist.embeddings[:1]
    with pytest.raises(ModelMismatchError, match="other_model"):
        watchlist.investigate(q, model="other_model")
    with pytest.raises(ModelMismatchError):
        watchlist.search(q, SearchPolicy(mode="alert"), model="other_model")


def test_exact_search_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    g = (rng.normal(size=(5000, 128)) * 0.08).astype(np.float32)
    gallery = Gallery(g, [str(i // 4) for i in range(len(g))])
    q = g[:7] + (rng.normal(size=(7, 128)) * 0.03).astype(np.float32)
    dist, rows = gallery.nearest(q, 50)
    for p in range(len(q)):
        brute = np.linalg.norm(g.astype(np.float64) - q[p], axis=1)
        order = np.argsort(brute)[:50]
        assert set(rows[p]) == set(order)
        np.testing.assert_allclose(dist[p], brute[order], atol=1e-4)
    cands = gallery.investigate(q, top=5)
    assert [c[0].subject for c in cands] == [str(i // 4) for i in range(7)]
    assert all(c.distance <= d.distance for cs in cands for c, d in itertools.pairwise(cs))


def _clustered(n_ids: int, per: int, seed: int) -> np.ndarray:
    """Identity centres plus intra-identity spread, like real embeddings (not uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = (rng.normal(size=(n_ids, 128)) * 0.06).astype(np.float32)
    refs = np.repeat(centres, per, axis=0)
    return refs + (rng.normal(size=refs.shape) * 0.02).astype(np.float32)


def _brute(g: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    g64 = g.astype(np.float64)
    d = np.stack([np.sqrt(((g64 - p) ** 2).sum(-1)) for p in q.astype(np.float64)])
    order = np.argsort(d, axis=1)[:, :k]
    return np.take_along_axis(d, order, axis=1), order


def test_two_thread_scan_matches_brute_force() -> None:
    g = _clustered(34_000, 4, seed=2)  # 136,000 references: both two-half threaded paths
    gallery = Gallery(g, [str(i // 4) for i in range(len(g))])
    rng = np.random.default_rng(3)
    for nq in (1, 3, 9):  # per-probe scan (<= 4 probes) and batched GEMM
        q = g[rng.choice(len(g), nq)] + (rng.normal(size=(nq, 128)) * 0.02).astype(np.float32)
        dist, rows = gallery.nearest(q, 50)
        bd, bi = _brute(g, q, 50)
        for p in range(nq):
            assert set(rows[p]) == set(bi[p])
        np.testing.assert_allclose(dist, bd, atol=1e-4)
        assert np.all(np.diff(dist, axis=1) >= 0)
    one_d, one_i = gallery.nearest(g[5], 1)
    assert one_i[0, 0] == 5 and one_d[0, 0] < 1e-3


def test_index_shortlist_is_reranked_exactly_with_recall() -> None:
    g = _clustered(3000, 4, seed=4)
    subjects = [str(i // 4) for i in range(len(g))]
    gallery = Gallery(g, subjects)
    rng = np.random.default_rng(5)
    q = g[rng.choice(len(g), 40)] + (rng.normal(size=(40, 128)) * 0.02).astype(np.float32)
    _, exact_i = gallery.nearest(q, 20)
    assert not gallery.build_index(nlist=64)  # below the size threshold: stays exact
    assert gallery.build_index(force=True, nlist=64, nprobe=40, shortlist=100, sample=3000)
    assert gallery.index is not None
    # the index holds codes only: the gallery's matrix is untouched, exact search unchanged
    np.testing.assert_array_equal(gallery.embeddings, g)
    assert gallery.index.code_bytes < g.nbytes / 4
    approx_d, approx_i = gallery.index.search(q, 20)
    recall = np.mean([len(set(a) & set(b)) / 20 for a, b in zip(exact_i, approx_i, strict=True)])
    assert recall >= 0.97
    found = approx_i >= 0
    np.testing.assert_allclose(  # re-ranked: exact distances, ascending
        approx_d[found],
        np.linalg.norm(g[approx_i[found]] - np.repeat(q, 20, 0)[found.ravel()], axis=1),
        atol=1e-4,
    )
    assert np.all(np.diff(approx_d, axis=1) >= 0)
    _, full_i = gallery.index.search(q, 20, nprobe=64, shortlist=3000)  # everything: exact
    assert all(set(a) == set(b) for a, b in zip(exact_i, full_i, strict=True))
    # investigative mode uses the index, alert mode stays exact and maps rows back
    cands = gallery.investigate(q[:5], top=3)
    assert [c[0].subject for c in cands] == [
        c[0].subject for c in gallery.investigate(q[:5], top=3, exact=True)
    ]
    alerts = gallery.alert(g[:1], threshold=0.01)
    assert alerts[0][0].reference == 0 and alerts[0][0].subject == "0"
    assert all(subjects[c.reference] == c.subject for cs in cands for c in cs)
