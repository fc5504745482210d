"""One distance kernel: eval and calibration score a pair exactly as alert and search do."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matching import distance
from matching.cluster import neighbour_edges
from matching.evaluate import LabelledFolder, calibrate_from_report, score_folder
from matching.search import Gallery


def _embeddings(n: int, seed: int = 7) -> np.ndarray:
    """dlib-like: not unit norm, neighbours around 0.3-0.7 apart."""
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 0.06, (n, 128)) + rng.normal(0, 0.03, 128)).astype(np.float32)


def test_kernel_is_euclidean() -> None:
    x = _embeddings(6)
    expected = np.linalg.norm(x[:, None, :].astype(np.float64) - x[None, :, :], axis=2)
    off = ~np.eye(len(x), dtype=bool)  # a face to itself: float32 cancellation leaves ~1e-4
    assert np.allclose(distance.distances(x, x)[off], expected[off], atol=1e-5)
    left, right = distance.augmented(x)
    assert np.allclose(distance.root(left @ right.T)[off], expected[off], atol=1e-5)


def test_eval_calibration_and_alert_give_the_same_score(tmp_path: Path) -> None:
    x = _embeddings(5)
    names = ["a1.jpg", "a2.jpg", "b1.jpg", "probe.jpg", "stranger.jpg"]
    folder = LabelledFolder(
        tmp_path,
        [
            ("a1.jpg", "A", "enrol"),
            ("a2.jpg", "A", "enrol"),
            ("b1.jpg", "B", "enrol"),
            ("probe.jpg", "A", "probe"),
            ("stranger.jpg", "C", "distractor"),
        ],
        [("a1.jpg", "probe.jpg", True)],
    )
    report = score_folder(folder, {tmp_path / n: e for n, e in zip(names, x, strict=True)}, 1.0)
    gallery = Gallery(x[:3], ["A", "A", "B"])

    # the mated probe: eval's distance to its subject is alert's distance, to the bit
    alert = gallery.alert(x[3], threshold=10.0)[0]
    by_subject = {c.subject: c.distance for c in alert}
    assert report.mated[0] == by_subject["A"]
    assert report.nonmated[0] == by_subject["B"]  # the probe searched without its own subject
    pair = Gallery(x[3:4], ["probe"]).alert(x[0], threshold=10.0)[0][0]
    assert report.genuine[0] == pair.distance  # 1:1 pairs too
    investigative = gallery.investigate(x[3], top=2)[0]
    assert [c.subject for c in investigative] == sorted(by_subject, key=by_subject.__getitem__)
    assert np.allclose([c.distance for c in investigative], sorted(by_subject.values()))

    # a threshold calibrated on eval's scores decides alert mode the same way
    cal = calibrate_from_report(report, 0.0, str(tmp_path))
    for probe in (x[3], x[4]):
        hits = gallery.alert(probe, threshold=cal.threshold)[0]
        best = min(distance.distances(probe, x[:3])[0])
        assert bool(hits) == bool(best <= cal.threshold)
    assert not gallery.alert(x[4], threshold=cal.threshold)[0]  # no false alert at FPIR 0


def test_clustering_edges_use_the_kernel() -> None:
    x = _embeddings(40, seed=3)
    d = distance.distances(x, x)
    i, j, dist = neighbour_edges(x, threshold=float(np.median(d)), k=0)
    assert len(i) and np.allclose(dist, d[i, j], atol=1e-6)
