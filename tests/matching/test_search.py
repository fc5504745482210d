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
