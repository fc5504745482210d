"""Matching inside the vault, as an analyst uses it: detect, enrol, search, review, verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, place_of, vault_place
from PIL import Image

from matching.casefaces import DetectJob
from matching.facelist import cluster_faces, list_faces
from matching.review import decide, list_review
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, enrol, show_watchlist
from service.opener import init_vault, unlock
from vault import cases, items, users
from vault.errors import PermissionDenied, UserError
from vault.ingest import ingest
from vault.jobs import Event
from vault.session import Session
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD, forge, run_cli

LISTING = Listing("organised fraud", "Europol", "TLP:AMBER", "2030-01-01")


@pytest.fixture(scope="module", params=BACKENDS)
def analysed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[Session]:
    """A vault whose case C-1 holds the probe photos and the video, with faces detected."""
    folder = vault_place(request, tmp_path_factory.mktemp("matching") / "vault")
    session, _ = init_vault(folder, "alice", PASSWORD, kdf=FAST_KDF)
    cases.create_case(session, "C-1", "Border crossing", ["human-trafficking"])
    ingest(session, "C-1", [faces_dir / "knn" / "test", faces_dir / "more"])
    events: list[Event] = []
    result = DetectJob(session, "C-1", video_fps=2.0).run(events.append)
    assert not result.failed, result.failed
    session.detect_events = events  # type: ignore[attr-defined]
    create_watchlist(session, "EU-fraud")
    for who in ("obama", "biden", "alex_lacamoire", "kit_harington", "rose_leslie"):
        enrol(session, "EU-fraud", who, LISTING, sorted((faces_dir / "knn/train" / who).iterdir()))
    yield session
    session.close()


def _faces_by_item(session: Session) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for f in list_faces(session, "C-1"):
        found.setdefault(f.item_name, []).append(f)
    return found


def test_every_labelled_face_is_found_with_the_right_count(
    analysed: Session, faces_dir: Path
) -> None:
    by_item = _faces_by_item(analysed)
    for line in (faces_dir / "labels.csv").read_text().splitlines()[1:]:
        path, count = line.split(",")[:2]
        if path.startswith("knn/train") or not count:
            continue
        name = path.removeprefix("knn/")
        assert len(by_item.get(name, [])) == int(count), path


def test_faces_list_json_shape_and_video_tracks(analysed: Session) -> None:
    faces = [f.as_dict() for f in list_faces(analysed, "C-1")]
    photo = next(f for f in faces if f["kind"] == "photo")
    assert {"id", "item", "kind", "box", "quality"} <= photo.keys()
    assert photo["model"] == "dlib_face_recognition_resnet_model_v1"
    assert photo["model_version"].startswith("dlib ")
    assert {"inter_eye_px", "sharpness", "yaw_deg", "brightness"} <= photo["quality"].keys()
    tracks = [f for f in faces if f["kind"] == "track"]
    assert tracks, "the video yields at least one track"
    assert all(t["item_name"].endswith("short_hamilton_clip.mp4") for t in tracks)
    assert all(0 <= t["start"] <= t["end"] for t in tracks)
    # a clip gives one entry per person (cuts joined), not one per sampled frame
    assert len(tracks) <= 2


def test_video_track_is_the_person_in_the_clip(analysed: Session, faces_dir: Path) -> None:
    create_watchlist(analysed, "Hamilton")
    enrol(analysed, "Hamilton", "lmm", LISTING, [faces_dir / "more/lin-manuel-miranda.png"])
    out = search(analysed, ["Hamilton"], case_reference="C-1", mode="alert")
    tracks = [f for f in list_faces(analysed, "C-1") if f.kind == "track"]
    best = max(tracks, key=lambda f: f.quality["sharpness"] * f.quality["inter_eye_px"])
    assert best.end is not None and best.start is not None and best.end - best.start >= 3.0
    hits = {c.face for c in out.candidates if c.subject == "lmm"}
    assert best.id in hits


def test_probes_rank_their_own_subject_first(analysed: Session, faces_dir: Path) -> None:
    for name, who in (
        ("knn/test/obama1.jpg", "obama"),
        ("knn/test/alex_lacamoire1.jpg", "alex_lacamoire"),
        ("more/obama_small.jpg", "obama"),
        ("more/alex-lacamoire.png", "alex_lacamoire"),
    ):
        out = search(analysed, ["EU-fraud"], photo=faces_dir / name, top=3)
        first = [c for c in out.candidates if c.rank == 1]
        assert [c.subject for c in first] == [who], name


def test_unknown_people_match_no_one_in_alert_mode(analysed: Session, faces_dir: Path) -> None:
    out = search(
        analysed, ["EU-fraud"], photo=faces_dir / "more/lin-manuel-miranda.png", mode="alert"
    )
    assert out.probes == 1 and out.candidates == []


def test_enrolment_refuses_bad_reference_photos(
    analysed: Session, faces_dir: Path, tmp_path: Path
) -> None:
    info, refused, _warned = enrol(
        analysed,
        "EU-fraud",
        "two",
        LISTING,
        [faces_dir / "more/two_people.jpg", faces_dir / "more/obama.jpg"],
    )
    assert info.references == 1
    assert refused == [
        (
            str(faces_dir / "more/two_people.jpg"),
            "two_people.jpg: 2 faces found; a reference photo must show one face",
        )
    ]
    blank = tmp_path / "wall.png"
    Image.new("RGB", (640, 480), (200, 190, 180)).save(blank)
    with pytest.raises(UserError, match=r"wall\.png: no face found"):
        enrol(analysed, "EU-fraud", "none", LISTING, [blank])
    with pytest.raises(UserError, match=r"README\.md: not a supported image format"):
        enrol(analysed, "EU-fraud", "none", LISTING, [faces_dir / "README.md"])


def test_expired_listing_stops_matching(analysed: Session, faces_dir: Path) -> None:
    create_watchlist(analysed, "Expired")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    old = Listing("old", "Interpol", "GREEN", "2020-01-01", expires_on=yesterday)
    enrol(analysed, "Expired", "obama", old, [faces_dir / "knn/train/obama/obama.jpg"])
    assert show_watchlist(analysed, "Expired").subjects[0].expired
    out = search(analysed, ["Expired"], photo=faces_dir / "knn/test/obama1.jpg", mode="alert")
    assert out.candidates == []


def test_review_decision_is_custody_and_audit(analysed: Session) -> None:
    out = search(analysed, ["EU-fraud"], case_reference="C-1", mode="investigative", top=1)
    cand = out.candidates[0]
    assert all(r.status == "pending" for r in list_review(analysed, "C-1"))
    assert decide(analysed, cand.id, "confirmed", "same scar on left cheek") == "confirmed"
    row = next(r for r in list_review(analysed, "C-1") if r.candidate == cand.id)
    assert row.status == "confirmed" and row.decisions[0][3] == "same scar on left cheek"
    item_id = row.item
    assert item_id is not None
    kinds = [e.kind for e in items.custody(analysed, item_id)]
    assert "reviewed" in kinds and "analysed" in kinds
    with pytest.raises(UserError, match="needs a reason"):
        decide(analysed, cand.id, "rejected", "  ")


def test_second_reviewer_required(analysed: Session, faces_dir: Path, tmp_path: Path) -> None:
    create_watchlist(analysed, "Two-person", second_review=True)
    enrol(analysed, "Two-person", "obama", LISTING, [faces_dir / "knn/train/obama/obama.jpg"])
    out = search(analysed, ["Two-person"], case_reference="C-1", mode="alert")
    cand = out.candidates[0].id
    assert decide(analysed, cand, "confirmed", "match") == "awaiting second review"
    with pytest.raises(PermissionDenied, match="second, different reviewer"):
        decide(analysed, cand, "confirmed", "again")


def test_clusters_group_the_same_person(analysed: Session) -> None:
    groups = cluster_faces(analysed, "C-1")
    assert groups
    biggest = {f.item_name for f in groups[0]}
    assert sum("obama" in n for n in biggest) >= 5


def test_vault_verifies_after_matching(analysed: Session) -> None:
    report = verify(analysed)
    assert report.ok, report.problems


def test_an_edited_embedding_is_found_by_verify(place: Any, faces_dir: Path) -> None:
    session, _ = init_vault(place, "alice", PASSWORD, kdf=FAST_KDF)
    cases.create_case(session, "C", "t")
    ingest(session, "C", [faces_dir / "knn/test/obama1.jpg"])
    DetectJob(session, "C", workers=1).run(lambda e: None)
    forge(session, "faces", "id = 1", embedding=bytes(512))  # as the database key's holder could
    problems = [str(p) for p in verify(session).problems]
    assert problems == ["faces:1: differs from its audited record (edited)"] or any(
        "edited" in p for p in problems
    )
    session.close()


def test_officer_cannot_decide_and_refusal_is_audited(place: Any, faces_dir: Path) -> None:
    folder = place
    session, _ = init_vault(folder, "alice", PASSWORD, kdf=FAST_KDF)
    users.add_user(session, "olga", ["officer"], PASSWORD)
    session.close()
    res = run_cli("review", "decide", "1", "--confirm", "--reason", "x", vault=folder, user="olga")
    assert res.returncode == 4, res.stderr
    assert "may not record review decisions" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("audit", "--json", "--action", "permission.", vault=folder)
    assert json.loads(res.stdout)[-1]["actor"] == "olga"
    with unlock(folder, "alice", PASSWORD) as s:
        assert verify(s).ok


@pytest.mark.local_only(
    "eval measures a folder of photos, not the vault: the server run would only repeat its "
    "detection (the CLI on a server: covered by test_officer_cannot_decide_and_refusal_is_audited)"
)
def test_cli_search_and_eval(analysed: Session, faces_dir: Path) -> None:
    res = run_cli("eval", str(faces_dir), "--json", vault=place_of(analysed))
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["one_to_many"]["rank1"] == 1.0
    assert result["faces_not_found"] == 0
    assert result["one_to_many"]["distractor_false_alerts"] == 0
