"""PDQ perceptual hashes and other occurrences, on the real photos of ``../shared/faces``.

The labels say which files are the same picture ("same scene at 720p", "same picture as ...");
PDQ must put exactly those within its distance of each other, in a vault as in the pure code.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
import pytest
from backendkit import BACKENDS, place_of, vault_place
from PIL import Image, ImageEnhance

from matching.casefaces import DetectJob
from matching.images import load_rgb
from matching.pdq import (
    MATCH_DISTANCE,
    MIN_QUALITY,
    HashIndex,
    PdqHash,
    brute_force_within,
    hamming,
    hash_image,
    hash_rgb,
)
from matching.similar import PdqJob, duplicate_groups, similar
from vault import cases
from vault.errors import PermissionDenied, UserError
from vault.ingest import ingest
from vault.items import list_items
from vault.session import Session
from vault.verify import verify
from vaultkit import ROLE_USER, add_role_users, audit_rows, forge, new_vault, open_as

RESOLUTIONS = ["obama-1080p.jpg", "obama-720p.jpg", "obama-480p.jpg", "obama-240p.jpg"]


def _same_picture_groups(faces_dir: Path) -> tuple[list[str], dict[str, int]]:
    """Every labelled photo, and a group number per photo: photos the labels call the same
    picture or the same scene share one."""
    with (faces_dir / "labels.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["path"].endswith(".mp4")]
    paths = [r["path"] for r in rows]
    group = {p: n for n, p in enumerate(paths)}

    def join(a: str, b: str) -> None:
        old, new = group[a], group[b]
        for p, g in group.items():
            if g == old:
                group[p] = new

    scene = [p for p, r in zip(paths, rows, strict=True) if "same scene at" in r["note"]]
    for a in scene[1:]:
        join(a, scene[0])
    for p, r in zip(paths, rows, strict=True):
        m = re.search(r"same picture as (\S+?)\)?$", r["note"])
        if m:
            join(p, m.group(1))
    return paths, group


def test_resolutions_of_one_photo_group_and_other_photos_do_not(faces_dir: Path) -> None:
    paths, group = _same_picture_groups(faces_dir)
    assert {p for p in paths if group[p] == group["more/obama-720p.jpg"]} == {
        f"more/{n}" for n in RESOLUTIONS
    }
    hashes = {p: hash_image(faces_dir / p) for p in paths}
    assert all(h.quality >= MIN_QUALITY for h in hashes.values())
    close, apart = [], []
    for a, b in itertools.combinations(paths, 2):
        d = hamming(hashes[a].bits, hashes[b].bits)
        if group[a] == group[b] and d > MATCH_DISTANCE:
            apart.append((a, b, d))
        if group[a] != group[b] and d <= MATCH_DISTANCE:
            close.append((a, b, d))
    assert apart == [] and close == []
    # the closest two different pictures are far beyond the threshold, not near it
    nearest = min(
        hamming(hashes[a].bits, hashes[b].bits)
        for a, b in itertools.combinations(paths, 2)
        if group[a] != group[b]
    )
    assert nearest > 2 * MATCH_DISTANCE


def test_hash_is_the_reference_pdq_within_tolerance_and_hex_round_trips(faces_dir: Path) -> None:
    for name in ("more/obama-1080p.jpg", "more/obama3.jpg", "knn/train/biden/biden.jpg"):
        ours = hash_image(faces_dir / name)
        vector, quality = pdqhash.compute(load_rgb(faces_dir / name))  # full resolution
        reference = np.packbits(np.asarray(vector, np.uint8)).tobytes()
        assert hamming(ours.bits, reference) < MATCH_DISTANCE, name
        assert ours.quality == quality == 100
        assert PdqHash.from_hex(ours.hex, ours.quality) == ours
        assert len(ours.hex) == 64
    with pytest.raises(ValueError, match="32 bytes"):
        PdqHash(b"\x00" * 31, 100)


def test_a_flat_picture_has_a_low_quality_hash() -> None:
    flat = np.full((600, 800, 3), 128, np.uint8)
    assert hash_rgb(flat).quality < MIN_QUALITY


def test_index_returns_exactly_what_brute_force_does_boundary_included() -> None:
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    query = base[0].copy()
    planted = []
    for flips in (0, 5, 31, 32, 40):  # 31 is in, 32 is out at the default distance
        copy = query.copy()
        for bit in rng.choice(256, flips, replace=False):
            copy[bit // 8] ^= np.uint8(1 << (bit % 8))
        planted.append(copy)
    hashes = np.vstack([base[1:], planted])
    index = HashIndex()
    index.add(hashes[:3000])
    index.add(hashes[3000:])  # appended as rows come
    [(rows, dists)] = index.within(query[None], MATCH_DISTANCE)
    [(brute_rows, brute_dists)] = brute_force_within(hashes, query[None], MATCH_DISTANCE)
    assert sorted(zip(rows.tolist(), dists.tolist(), strict=True)) == sorted(
        zip(brute_rows.tolist(), brute_dists.tolist(), strict=True)
    )
    found = {int(d) for r, d in zip(rows, dists, strict=True) if r >= len(base) - 1}
    assert found == {0, 5, 31}
    assert np.array_equal(index.codes([len(hashes) - 1]), hashes[-1:])


# -- in a vault ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def vault(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[Session]:
    """C-1: the resolutions, a few other photos and the video, faces detected (the photos' PDQ
    at ingest, the video's with detection).
    C-2: the same obama.jpg, a copy of the 720p photo with more contrast, resized and
    re-compressed, and another photo of Obama: hashed at ingest (``pdq compute`` finds nothing
    left to do), then faces detected."""
    root = tmp_path_factory.mktemp("pdq")
    session, _ = new_vault(vault_place(request, root / "vault"))
    add_role_users(session)
    cases.create_case(session, "C-1", "Harbour")
    cases.create_case(session, "C-2", "Airport")
    more = faces_dir / "more"
    c1 = [more / n for n in RESOLUTIONS]
    c1 += [more / n for n in ("obama2.jpg", "32bit.png", "obama.jpg", "biden.jpg")]
    c1 += [more / "two_people.jpg", more / "short_hamilton_clip.mp4"]
    ingest(session, "C-1", c1)
    copy = root / "recompressed.jpg"
    with Image.open(more / "obama-720p.jpg") as img:
        ImageEnhance.Contrast(img).enhance(1.3).resize((500, 281)).save(copy, quality=30)
    ingest(session, "C-2", [faces_dir / "knn/train/obama/obama.jpg", copy])
    ingest(session, "C-2", [faces_dir / "knn/test/obama1.jpg"])
    result = DetectJob(session, "C-1", workers=2).run(lambda e: None)
    assert not result.failed
    hashed = PdqJob(session, "C-2").run(lambda e: None)
    assert (hashed.items, hashed.hashes, hashed.failed) == (0, 0, [])  # done at ingest
    assert not DetectJob(session, "C-2", workers=2).run(lambda e: None).failed
    yield session
    session.close()


def _ids(session: Session, case: str) -> dict[str, int]:
    return {i.name: i.id for i in list_items(session, case)}


def test_ingest_hashes_photos_detection_video_frames_each_once(vault: Session) -> None:
    with vault.db() as db:
        rows = db.connection().exec_driver_sql(
            "SELECT item_id, frame_time, quality FROM pdq_hashes ORDER BY id"
        )
        rows = rows.fetchall()
    by_item: dict[int, list[tuple[float | None, int]]] = {}
    for item, t, q in rows:
        by_item.setdefault(item, []).append((t, q))
    c1, c2 = _ids(vault, "C-1"), _ids(vault, "C-2")
    assert set(by_item) == set(c1.values()) | set(c2.values())  # every photo and the video
    for name, item in (c1 | c2).items():
        if name.endswith(".mp4"):
            times = [t for t, _ in by_item[item]]
            assert len(times) >= 2 and all(t is not None for t in times)
            assert times == sorted(times)
        else:
            assert [t for t, _ in by_item[item]] == [None], name  # one hash, not two
    assert PdqJob(vault, "C-1").run(lambda e: None).items == 0  # nothing left to do
    assert len(audit_rows(vault, "pdq.computed")) == len(rows)


def test_near_duplicate_groups_of_a_case(vault: Session) -> None:
    groups = [{m.name for m in g} for g in duplicate_groups(vault, "C-1")]
    assert groups == [set(RESOLUTIONS), {"obama2.jpg", "32bit.png"}]
    assert duplicate_groups(vault, "C-1", distance=0) != []  # 1080p, 720p, 480p are identical
    with pytest.raises(UserError, match="0 to 256"):
        duplicate_groups(vault, "C-1", distance=257)


def test_similar_within_the_case_then_across_cases(vault: Session) -> None:
    c1, c2 = _ids(vault, "C-1"), _ids(vault, "C-2")
    own = similar(vault, c1["obama-720p.jpg"])
    assert own.pdq_hashes == 1 and own.pdq_quality == 100
    near = {(o.case, o.name) for o in own.occurrences if o.kind == "near-duplicate"}
    assert near == {("C-1", n) for n in RESOLUTIONS if n != "obama-720p.jpg"}
    assert all(o.case == "C-1" for o in own.occurrences)
    everywhere = similar(vault, c1["obama-720p.jpg"], all_cases=True)
    copy = next(o for o in everywhere.occurrences if o.item == c2["recompressed.jpg"])
    assert copy.kind == "near-duplicate" and copy.case == "C-2"
    assert 0 < copy.distance <= MATCH_DISTANCE
    # the same bytes in another case: same content (not listed again as a near-duplicate)
    found = similar(vault, c1["obama.jpg"], all_cases=True).occurrences
    same = [o for o in found if o.item == c2["obama.jpg"]]
    assert [(o.kind, o.case, o.distance) for o in same] == [("same-content", "C-2", 0)]
    # another photo of the same man in another case: the same face, under the alert threshold
    face = next(o for o in found if o.item == c2["obama1.jpg"])
    assert face.kind == "same-face" and face.case == "C-2" and 0 < face.distance <= 0.6
    assert face.face is not None and face.other_face is not None
    # Biden's photo: no other occurrence of any kind in C-2, and none of Obama's photos in C-1
    biden = similar(vault, c1["biden.jpg"], all_cases=True).occurrences
    assert {o.name for o in biden} <= {"two_people.jpg"}
    assert len(audit_rows(vault, "items.similar")) >= 4
    assert verify(vault).ok


def test_a_tighter_distance_leaves_the_re_compressed_copy_out(vault: Session) -> None:
    c1, c2 = _ids(vault, "C-1"), _ids(vault, "C-2")
    found = similar(vault, c1["obama-720p.jpg"], all_cases=True, distance=8).occurrences
    near = {o.item for o in found if o.kind == "near-duplicate"}
    assert c2["recompressed.jpg"] not in near and c1["obama-1080p.jpg"] in near


def test_permission_is_checked_in_the_core_and_refusals_audited(vault: Session) -> None:
    item = _ids(vault, "C-1")["obama-720p.jpg"]
    folder = place_of(vault)
    with open_as(folder, ROLE_USER["officer"]) as officer:
        with pytest.raises(PermissionDenied):
            PdqJob(officer, "C-1").run(lambda e: None)
        assert similar(officer, item).occurrences  # officers read cases
    with open_as(folder, ROLE_USER["admin"]) as admin:
        with pytest.raises(PermissionDenied):
            similar(admin, item, all_cases=True)
        with pytest.raises(PermissionDenied):
            duplicate_groups(admin, "C-1")
    refused = [e.target for e in audit_rows(vault, "permission.refused") if "C-1" in e.target] + [
        e.target for e in audit_rows(vault, "permission.refused") if e.target.startswith("items:")
    ]
    assert "case:C-1" in refused and f"items:{item}" in refused


def test_verify_names_an_edited_pdq_hash(place: Any, faces_dir: Path) -> None:
    session, _ = new_vault(place)
    cases.create_case(session, "C", "t")
    ingest(session, "C", [faces_dir / "more/obama-240p.jpg"])
    PdqJob(session, "C").run(lambda e: None)
    assert verify(session).ok
    forge(session, "pdq_hashes", "1 = 1", hash=bytes(32))  # as the database key's holder could
    problems = [str(p) for p in verify(session).problems]
    session.close()
    assert len(problems) == 1 and "PDQ hash 1 of item 1 (obama-240p.jpg)" in problems[0]
    assert "hash" in problems[0] and "edited" in problems[0]
