"""Fixtures for the matching tests: one engine and one detection pass per session."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, vault_place

from matching.detect import FaceEngine
from matching.parallel import DetectPool, ImageResult


@pytest.fixture(scope="module", autouse=True)
def workstation_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This workstation's cache folder for the module's tests (``CUSTOS_CACHE_DIR``): the
    working folders of the server vaults the ``[server]`` runs make (one per database and
    bucket), never the user's own cache."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CUSTOS_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(params=BACKENDS)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Where a test makes its vault: a folder (``[local]``), or a database and bucket of its
    own on the trial server (``[server]``)."""
    return vault_place(request, tmp_path / "vault")


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


# photos of a seizure: real faces of ../shared/faces, some of them enrolled subjects
SEIZED = ("knn/test/obama1.jpg", "knn/test/obama_and_biden.jpg", "knn/test/alex_lacamoire1.jpg",
          "knn/test/kit_with_rose.jpg", "more/biden.jpg", "more/two_people.jpg")  # fmt: skip


@pytest.fixture
def seized(tmp_path: Path, faces_dir: Path) -> Path:
    """A folder of the ``SEIZED`` photos, to ingest into a case."""
    folder = tmp_path / "seized"
    folder.mkdir()
    for name in SEIZED:
        shutil.copyfile(faces_dir / name, folder / Path(name).name)
    return folder
