"""Derived blobs (face crops, reference photos and crops) are checked against their hash.

A blob's file name is the keyed HMAC of its content hash, so two crop files swapped in
``<vault>/blobs/`` (no password needed) both still decrypt: only comparing the decrypted bytes
with the ``blobs`` row catches it. The red team swapped two crops: the review screen showed Biden
as the probe of an Obama candidate and ``custos verify`` said OK.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, copy_place, damage_blob, swap_blobs, vault_place
from sqlalchemy import select

from matching.casefaces import DetectJob
from matching.facelist import face_crop, list_faces
from matching.models import FaceRecord, Reference
from matching.review import candidate_detail
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol
from service.opener import init_vault, unlock
from vault import cases
from vault.blobs import blob_key
from vault.errors import IntegrityFault
from vault.ingest import ingest
from vault.session import Session
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD, run_cli

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Any:
    """A closed vault: case C with an Obama and a Biden photo, faces detected, Obama enrolled in
    watchlist W and the case searched (one candidate for the Obama face)."""
    folder = vault_place(request, tmp_path_factory.mktemp("derived") / "vault")
    session, _ = init_vault(folder, "alice", PASSWORD, kdf=FAST_KDF)
    try:
        cases.create_case(session, "C", "Swapped crops")
        ingest(session, "C", [faces_dir / "knn/test/obama1.jpg", faces_dir / "more/biden.jpg"])
        result = DetectJob(session, "C", workers=1).run(lambda e: None)
        assert not result.failed, result.failed
        create_watchlist(session, "W")
        enrol(session, "W", "obama", LISTING, [faces_dir / "knn/train/obama/obama.jpg"])
        out = search(session, ["W"], case_reference="C", mode="alert")
        assert [c.subject for c in out.candidates] == ["obama"]
        assert verify(session).ok
    finally:
        session.close()
    return folder


@pytest.fixture
def vault(request: pytest.FixtureRequest, built: Any, tmp_path: Path) -> Iterator[Session]:
    """A private copy of the built vault, open as alice."""
    folder = copy_place(request, built, tmp_path / "vault")
    with unlock(folder, "alice", PASSWORD) as session:
        yield session


def _face(session: Session, item_suffix: str) -> tuple[int, str, str]:
    """(face id, "face N in item M (name)", crop blob name) of the one face in that item."""
    [info] = [f for f in list_faces(session, "C") if f.item_name.endswith(item_suffix)]
    with session.db() as db:
        rec = db.get(FaceRecord, info.id)
        assert rec is not None
        crop = rec.crop_blob
    return info.id, f"face {info.id} in item {info.item} ({info.item_name})", crop


def _candidate(session: Session) -> int:
    from matching.models import CandidateRecord

    with session.db() as db:
        return db.scalars(select(CandidateRecord.id)).one()


def test_swapped_face_crops_are_named_by_verify(vault: Session) -> None:
    obama, obama_name, obama_crop = _face(vault, "obama1.jpg")
    biden, biden_name, biden_crop = _face(vault, "biden.jpg")
    swap_blobs(vault, obama_crop, biden_crop)
    problems = [str(p) for p in verify(vault).problems]
    assert problems == [
        f"{name}: crop does not match its hash"
        for _, name in sorted([(obama, obama_name), (biden, biden_name)])
    ]


def test_swapped_crop_is_refused_by_the_review_screen_and_the_gallery(vault: Session) -> None:
    obama, _, obama_crop = _face(vault, "obama1.jpg")
    _, _, biden_crop = _face(vault, "biden.jpg")
    candidate = _candidate(vault)
    assert candidate_detail(vault, candidate).probe_crop is not None  # intact: shown
    swap_blobs(vault, obama_crop, biden_crop)
    with pytest.raises(IntegrityFault, match=rf"^crop of face {obama}: .*does not match its hash"):
        candidate_detail(vault, candidate)
    with pytest.raises(IntegrityFault, match=rf"^crop of face {obama}: .*does not match its hash"):
        face_crop(vault, obama)


def test_swapped_reference_photo_is_named_and_refused(vault: Session) -> None:
    _, biden_name, biden_crop = _face(vault, "biden.jpg")
    with vault.db() as db:
        ref = db.scalars(select(Reference)).one()
        ref_id, photo = ref.id, ref.photo_blob
    swap_blobs(vault, photo, biden_crop)
    problems = [str(p) for p in verify(vault).problems]
    assert problems == [
        f"{biden_name}: crop does not match its hash",
        f"reference photo {ref_id} of subject 'obama' of watchlist 'W': "
        "photo does not match its hash",
    ]
    with pytest.raises(IntegrityFault, match=rf"^photo of reference {ref_id}: "):
        candidate_detail(vault, _candidate(vault))


def test_damaged_and_missing_derived_blobs_are_named(vault: Session) -> None:
    _, obama_name, obama_crop = _face(vault, "obama1.jpg")
    _, biden_name, biden_crop = _face(vault, "biden.jpg")
    damage_blob(vault, obama_crop, lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    vault.blobs.store.delete(blob_key(biden_crop))
    problems = sorted(str(p) for p in verify(vault).problems)
    assert problems == sorted(
        [
            f"{obama_name}: crop fails authentication (altered or damaged)",
            f"{biden_name}: crop is missing",
        ]
    )


def test_cli_verify_exits_5_naming_both_swapped_faces(
    request: pytest.FixtureRequest, built: Any, tmp_path: Path
) -> None:
    folder = copy_place(request, built, tmp_path / "vault")
    with unlock(folder, "alice", PASSWORD) as session:
        obama, obama_name, obama_crop = _face(session, "obama1.jpg")
        biden, biden_name, biden_crop = _face(session, "biden.jpg")
        swap_blobs(session, obama_crop, biden_crop)
    result = run_cli("verify", vault=folder)
    assert result.returncode == 5, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problems == [
        f"PROBLEM {name}: crop does not match its hash"
        for _, name in sorted([(obama, obama_name), (biden, biden_name)])
    ]


def test_detection_and_the_item_viewer_refuse_swapped_evidence(place: Any, faces_dir: Path) -> None:
    """Faces found in a swapped item's bytes would be filed under the other item."""
    from vault.items import list_items, read_item_bytes

    session, _ = init_vault(place, "alice", PASSWORD, kdf=FAST_KDF)
    with session:
        cases.create_case(session, "C", "Swapped evidence")
        ingest(session, "C", [faces_dir / "knn/test/obama1.jpg", faces_dir / "more/biden.jpg"])
        first, second = list_items(session, "C")
        with session.db() as db:
            from vault.models import Item

            names = [db.get(Item, i.id).blob_name for i in (first, second)]  # type: ignore[union-attr]
        swap_blobs(session, *names)
        result = DetectJob(session, "C", workers=1).run(lambda e: None)
        assert result.failed == [
            (
                f"item {i.id}",
                f"item {i.id} ({i.name}): stored copy does not match its hash (altered or "
                "swapped); run verify",
            )
            for i in (first, second)
        ]
        assert list_faces(session, "C") == []
        # nor does the item viewer show the other photo
        with pytest.raises(IntegrityFault, match=rf"^item {first.id} .*does not match its hash"):
            read_item_bytes(session, first.id)
