"""Fixtures for the matching tests: one engine and one detection pass per session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matching.detect import FaceEngine
from matching.parallel import DetectPool, ImageResult


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="session")
def labels(faces_dir: Path) -> list[dict[str, str]]:
    with (faces_dir / "labels.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def photo_labels(labels: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in labels if row["faces"]]


@pytest.fixture(scope="session")
def pool() -> DetectPool:
    with DetectPool(2) as p:
        yield p


@pytest.fixture(scope="session")
def detected(
    faces_dir: Path, photo_labels: list[dict[str, str]], pool: DetectPool
) -> dict[str, ImageResult]:
    """Every labelled photo through the parallel pipeline, keyed by its labels.csv path."""
    paths = [faces_dir / row["path"] for row in photo_labels]
    results = {Path(r.key).relative_to(faces_dir).as_posix(): r for r in pool.run(paths)}
    assert len(results) == len(paths)
    return results
