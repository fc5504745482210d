"""PDQ hashes on an agency server (the trial server: PostgreSQL + S3): ``pdq_hashes.hash`` is a
sealed column there (a perceptual hash identifies a picture), yet ``custos pdq compute``,
``groups``, ``sets`` and ``items similar`` give the same results as on a local vault for the same
real photos (``../shared/faces/more``: one photo at four resolutions, two other people, a video),
and no photo's hash (hex or raw) appears in PostgreSQL's data folder (WAL included)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from serverkit import TrialServer, markers_in_data_folder

from matching.hashsets import ImportJob
from matching.pdq import hash_image
from matching.similar import PdqJob, case_set_matches, duplicate_groups, similar
from vault import cases
from vault.backend import Server
from vault.ingest import ingest
from vault.items import list_items
from vault.jobs import ignore
from vault.server.address import parse
from vault.session import Session
from vaultkit import new_vault

PHOTOS = ("obama.jpg", "obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg", "obama-1080p.jpg",
          "biden.jpg", "two_people.jpg", "short_hamilton_clip.mp4")  # fmt: skip


@pytest.fixture
def seized(tmp_path: Path, faces_dir: Path) -> Path:
    folder = tmp_path / "seized"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copyfile(faces_dir / "more" / name, folder / name)
    return folder


def _results(session: Session, seized: Path, pdq_set: Path) -> dict[str, Any]:
    """What the ``custos pdq`` commands and ``items similar`` report, by item name."""
    cases.create_case(session, "P-1", "pictures")
    ingest(session, "P-1", [seized])
    computed = PdqJob(session, "P-1").run(ignore)  # the video's frames (photos: at ingest)
    ImportJob(session, pdq_set, "known pictures", "known-bad", fmt="pdq").run(ignore)
    ids = {Path(i.name).name: i.id for i in list_items(session, "P-1")}
    names = {v: k for k, v in ids.items()}
    near = similar(session, ids["obama.jpg"])
    return {
        "computed": (computed.items, computed.hashes),
        "groups": sorted(
            sorted((names[m.item], m.frame_time) for m in group)
            for group in duplicate_groups(session, "P-1")
        ),
        "sets": sorted(
            (names[f.item], f.match.set, f.match.hash, f.match.distance, f.match.frame_time)
            for f in case_set_matches(session, "P-1")
        ),
        "similar": sorted(
            (o.kind, names[o.item], o.distance, o.frame_time) for o in near.occurrences
        ),
        "similar sets": [(m.set, m.hash, m.distance) for m in near.set_matches],
    }


def test_pdq_commands_give_the_same_results_on_both_back_ends_and_hashes_stay_sealed(
    trial_server: TrialServer,
    server_place: Server,
    seized: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    known = hash_image(seized / "obama-720p.jpg")
    pdq_set = tmp_path / "known.pdq"
    pdq_set.write_text(f"{known.bits.hex()},{known.quality}\n")
    found = {}
    for where, place in (("local", tmp_path / "vault"), ("server", server_place)):
        session, _ = new_vault(place)
        try:
            found[where] = _results(session, seized, pdq_set)
        finally:
            session.close()
    assert found["server"] == found["local"]
    local = found["local"]
    assert local["computed"][1] > 0, "the video's frames were hashed"
    assert any(name == "obama-240p.jpg" for group in local["groups"] for name, _ in group)
    assert ("obama-720p.jpg", "known pictures", known.bits.hex(), 0, None) in local["sets"]
    # the photos' hashes: nowhere in the server's data folder
    hashes = [hash_image(seized / name).bits for name in PHOTOS if name.endswith(".jpg")]
    needles = [h for h in hashes] + [h.hex().encode() for h in hashes]
    leaked = markers_in_data_folder(trial_server, parse(server_place.url).database, needles)
    assert {n: f for n, f in leaked.items() if f} == {}
