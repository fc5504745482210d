"""Whole subjects (issue 13, item 2): a subject is scored with all its reference photos, by one
rule, and ``custos eval`` / calibration measure exactly what a search computes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from backendkit import BACKENDS, vault_place

from matching.detect import FaceEngine
from matching.evaluate import read_folder, score_folder
from matching.images import load_rgb
from matching.search import SUBJECT_RULE, Gallery
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from vault.session import Session
from vaultkit import new_vault

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")


def largest(engine: FaceEngine, path: Path) -> np.ndarray | None:
    faces = sorted(engine.detect(load_rgb(path)), key=lambda f: -f.box.width * f.box.height)
    return faces[0].embedding if faces else None


@pytest.fixture(scope="module", params=BACKENDS)
def enrolled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[tuple[Session, dict[str, list[Path]]]]:
    """A watchlist with every identity of ../shared/faces enrolled from all its enrol photos."""
    session, _ = new_vault(vault_place(request, tmp_path_factory.mktemp("whole") / "vault"))
    create_watchlist(session, "wanted")
    by_subject: dict[str, list[Path]] = {}
    for image, identity, role in read_folder(faces_dir).identities:
        if role == "enrol":
            by_subject.setdefault(identity, []).append(faces_dir / image)
    for identity, photos in by_subject.items():
        enrol(session, "wanted", identity, LISTING, photos)
    yield session, by_subject
    session.close()


def test_a_subject_scores_by_its_nearest_reference_photo() -> None:
    a, b, c = (np.eye(128, dtype=np.float32)[i] for i in range(3))
    gallery = Gallery(np.stack([a, b, c]), ["x", "x", "y"])
    probe = (0.9 * b).astype(np.float32)
    # x's second photo is the near one: every reference counts, not the first enrolled
    scores = gallery.subject_distances(probe)[0]
    assert scores["x"] == pytest.approx(0.1, abs=1e-5)
    assert scores["y"] == pytest.approx(float(np.linalg.norm(probe - c)), abs=1e-5)
    assert SUBJECT_RULE == "nearest reference"


def test_eval_and_search_give_every_probe_the_same_subject_scores(
    enrolled: tuple[Session, dict[str, list[Path]]], faces_dir: Path, engine: FaceEngine
) -> None:
    session, _ = enrolled
    folder = read_folder(faces_dir)
    embeddings = {folder.root / n: largest(engine, folder.root / n) for n in folder.images}
    report = score_folder(folder, embeddings, 1.0)
    probes = [
        (image, identity)
        for image, identity, role in folder.identities
        if role == "probe" and identity != "alex_lacamoire"  # two photos suffice per identity
    ][:6]
    mated = {
        image: d
        for (image, _i, role), d in zip(
            [r for r in folder.identities if r[2] == "probe"], report.mated, strict=True
        )
        if role == "probe"
    }
    assert len(mated) == len(report.mated)
    for image, identity in probes:
        found = search(session, ["wanted"], photo=faces_dir / image, top=10)
        by_subject = {c.subject: c.distance for c in found.candidates}
        assert set(by_subject) == {
            "alex_lacamoire",
            "biden",
            "kit_harington",
            "obama",
            "rose_leslie",
        }
        # the distance search records for the probe's own subject is the one eval measured
        assert by_subject[identity] == pytest.approx(mated[image], abs=5e-5), image  # 4 decimals
        assert min(by_subject, key=by_subject.__getitem__) == identity  # rank-1, both ways
