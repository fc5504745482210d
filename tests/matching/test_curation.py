"""Curating what detection and clustering found: split, merge, name, draw a missed face,
discard a false detection; and redacted copies of photos and the real video. Real photos and
the real clip from ../shared/faces, a real vault on disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from backendkit import BACKENDS, place_of, vault_place
from mediakit import audio_md5
from PIL import Image

from matching import curation
from matching.casefaces import DetectJob
from matching.encoder import checked_ffmpeg
from matching.facelist import ClusterJob, FaceInfo, list_faces
from matching.images import load_rgb
from matching.redaction import STAGING_PREFIX, RedactJob, blur_boxes, box_at
from matching.searching import search
from matching.watchlists import Listing, create_watchlist, show_watchlist
from service.opener import init_vault
from vault import cases, items
from vault.audit import PRIVILEGED
from vault.errors import PermissionDenied, UserError
from vault.ingest import ingest
from vault.jobs import Cancelled, CancelToken, ignore
from vault.session import Session
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD, add_role_users, audit_rows, open_as

LISTING = Listing("wanted for questioning", "Europol", "TLP:AMBER", "2030-01-01")
ROTATED_BOX = (564, 600, 412, 412)  # x, y, w, h of the face in obama1.jpg rotated by 50 degrees


@pytest.fixture(scope="module", params=BACKENDS)
def vault(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Iterator[Session]:
    """Case C-1: Obama, Biden, a two-person photo, the clip, a rotated photo whose face HOG
    misses, and a text file; case C-2: one photo. Faces detected in both."""
    root = tmp_path_factory.mktemp("curate")
    extra = root / "extra"
    extra.mkdir()
    rotated = Image.open(faces_dir / "knn/test/obama1.jpg").convert("RGB")
    rotated.rotate(50, expand=True, fillcolor=(255, 255, 255)).save(extra / "tilted.jpg")
    (extra / "notes.txt").write_text("not a picture\n")
    session, _ = init_vault(vault_place(request, root / "vault"), "alice", PASSWORD, kdf=FAST_KDF)
    add_role_users(session)
    cases.create_case(session, "C-1", "Border crossing", ["human-trafficking"])
    cases.create_case(session, "C-2", "Other case", ["cybercrime"])
    knn = faces_dir / "knn"
    ingest(
        session,
        "C-1",
        [
            knn / "train/obama",
            knn / "train/biden",
            knn / "test/obama_and_biden.jpg",
            faces_dir / "more/short_hamilton_clip.mp4",
            extra,
        ],
    )
    ingest(session, "C-2", [knn / "train/rose_leslie"])
    for ref in ("C-1", "C-2"):
        assert not DetectJob(session, ref).run(lambda e: None).failed
    yield session
    session.close()


def _faces(session: Session, case: str = "C-1") -> dict[str, list[FaceInfo]]:
    found: dict[str, list[FaceInfo]] = {}
    for f in list_faces(session, case):
        found.setdefault(Path(f.item_name).name, []).append(f)
    return found


def _item_id(session: Session, name: str, case: str = "C-1") -> int:
    return next(i.id for i in items.list_items(session, case) if i.name.endswith(name))


def _group_of(groups: list[list[FaceInfo]], face_id: int) -> set[int]:
    return next({f.id for f in g} for g in groups if face_id in {f.id for f in g})


def test_split_and_merge_are_replayed_on_every_clustering(vault: Session) -> None:
    faces = _faces(vault)
    obama = [faces["obama.jpg"][0].id, faces["obama2.jpg"][0].id]
    biden = [faces["biden.jpg"][0].id, faces["biden2.jpg"][0].id]
    groups = ClusterJob(vault, "C-1").run(lambda e: None).groups
    assert set(obama) <= _group_of(groups, obama[0])
    assert not set(biden) & _group_of(groups, obama[0])

    curation.split(vault, "C-1", [obama[1]], "different ear shape")
    groups = ClusterJob(vault, "C-1").run(lambda e: None).groups
    assert _group_of(groups, obama[1]) == {obama[1]}  # shown although a single face
    assert obama[1] not in _group_of(groups, obama[0])

    curation.merge(vault, "C-1", [obama[0], obama[1]])
    groups = ClusterJob(vault, "C-1").run(lambda e: None).groups
    assert set(obama) <= _group_of(groups, obama[0])

    entries = audit_rows(vault, "cluster.split") + audit_rows(vault, "cluster.merged")
    assert len(entries) == 2 and {e.actor for e in entries} == {"alice"}
    item = _item_id(vault, "obama2.jpg")
    events = [c for c in items.custody(vault, item) if c.kind == "analysed"]
    assert any(c.details.get("cluster") == "split" for c in events)


def test_name_a_cluster_enrols_its_faces_as_a_new_subject(vault: Session) -> None:
    faces = _faces(vault)
    biden = [faces["biden.jpg"][0].id, faces["biden2.jpg"][0].id]
    create_watchlist(vault, "unknowns")
    curation.name_cluster(vault, "C-1", biden, "unknowns", "UNK-7", LISTING)
    wl = show_watchlist(vault, "unknowns")
    (subject,) = wl.subjects
    assert subject.ref == "UNK-7" and subject.references == 2
    assert subject.reason == LISTING.reason and subject.label == "AMBER"
    result = ClusterJob(vault, "C-1").run(lambda e: None)
    named = {n for n in result.names if n}
    assert named == {"unknowns/UNK-7"}
    assert [e.actor for e in audit_rows(vault, "cluster.named")] == ["alice"]


def test_naming_a_cluster_passes_its_faces_through_the_quality_gate(
    vault: Session, faces_dir: Path, tmp_path: Path
) -> None:
    """A blurred face in a group is not enrolled when the group is named (as `watchlist enrol
    --face` refuses it), and the listing is checked as any enrolment's."""
    rgb = cv2.imread(str(faces_dir / "knn/train/biden/biden.jpg"))
    cv2.imwrite(str(tmp_path / "biden-blurred.jpg"), cv2.GaussianBlur(rgb, (0, 0), 4))
    cases.create_case(vault, "C-9", "Gate", ["fraud"])
    ingest(vault, "C-9", [faces_dir / "knn/train/biden/biden2.jpg", tmp_path / "biden-blurred.jpg"])
    assert not DetectJob(vault, "C-9").run(lambda e: None).failed
    faces = _faces(vault, "C-9")
    sharp, blurred = faces["biden2.jpg"][0].id, faces["biden-blurred.jpg"][0].id
    create_watchlist(vault, "gated")
    with pytest.raises(UserError, match="a listing needs a reason"):
        curation.name_cluster(
            vault, "C-9", [sharp], "gated", "G-0", Listing("", "Europol", "TLP:AMBER", "2030-01-01")
        )
    with pytest.raises(UserError, match=f"face {blurred}: face too blurred"):
        curation.name_cluster(vault, "C-9", [blurred], "gated", "G-1", LISTING)
    subject, refused, _warned = curation.name_cluster(
        vault, "C-9", [sharp, blurred], "gated", "G-2", LISTING
    )
    assert [f for f, _ in refused] == [f"face {blurred}"]
    assert "face too blurred" in refused[0][1]
    (listed,) = show_watchlist(vault, "gated").subjects
    assert listed.id == subject and listed.ref == "G-2" and listed.references == 1


def test_a_drawn_face_is_encoded_searchable_and_marked(vault: Session) -> None:
    item = _item_id(vault, "tilted.jpg")
    before = {f.id for f in _faces(vault).get("tilted.jpg", [])}
    face_id = curation.draw_face(vault, item, ROTATED_BOX, "tilted head, not detected")
    drawn = next(f for f in list_faces(vault, "C-1") if f.id == face_id)
    assert face_id not in before
    assert drawn.drawn_by == "alice" and drawn.discarded is None
    assert drawn.found_by() == "hand x1"  # what found it: a hand-drawn box (issue 13, item 1)
    assert drawn.quality["inter_eye_px"] > 100
    create_watchlist(vault, "obama-wl")
    from matching.watchlists import enrol

    enrol(vault, "obama-wl", "obama", LISTING, face_ids=[_faces(vault)["obama.jpg"][0].id])
    outcome = search(vault, ["obama-wl"], "C-1", mode="alert")
    assert any(c.face == face_id and c.subject == "obama" for c in outcome.candidates)
    (entry,) = audit_rows(vault, "face.drawn")
    assert entry.actor == "alice"
    custody = items.custody(vault, item)
    assert any(c.details.get("drawn") == list(ROTATED_BOX) for c in custody)


def test_a_discarded_face_stays_on_record_but_is_never_searched_or_clustered(
    vault: Session,
) -> None:
    face = _faces(vault)["obama_and_biden.jpg"][0]
    curation.discard_face(vault, "C-1", face.id, "a poster on the wall, not a person")
    listed = next(f for f in list_faces(vault, "C-1") if f.id == face.id)
    assert listed.discarded == "a poster on the wall, not a person"
    groups = ClusterJob(vault, "C-1").run(lambda e: None).groups
    assert face.id not in {f.id for g in groups for f in g}
    create_watchlist(vault, "all-wl")
    from matching.watchlists import enrol

    obama = _faces(vault)["obama.jpg"][0].id
    enrol(vault, "all-wl", "obama", LISTING, face_ids=[obama])
    outcome = search(vault, ["all-wl"], "C-1", mode="investigative")
    assert face.id not in {c.face for c in outcome.candidates}
    with pytest.raises(UserError, match="already discarded"):
        curation.discard_face(vault, "C-1", face.id, "again")
    with pytest.raises(UserError, match="discarded"):
        curation.split(vault, "C-1", [face.id])


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ((-5, 10, 100, 100), r"box -5,10,100,100 is outside item \d+ \(.*tilted.jpg\)"),
        ((1600, 1600, 200, 200), "is outside item"),
        ((10, 10, -40, 50), "width and height must be at least 12 pixels"),
        ((10, 10, 0, 0), "width and height must be at least 12 pixels"),
    ],
)
def test_hostile_boxes_are_refused_in_one_line(
    vault: Session, box: tuple[int, int, int, int], message: str
) -> None:
    item = _item_id(vault, "tilted.jpg")
    with pytest.raises(UserError, match=message) as err:
        curation.draw_face(vault, item, box)
    assert "\n" not in str(err.value)


def test_hostile_face_and_cluster_ids_of_another_case_are_refused(vault: Session) -> None:
    other = _faces(vault, "C-2")["img1.jpg"][0].id
    mine = _faces(vault)["obama.jpg"][0].id
    with pytest.raises(UserError, match=f"face {other} is not in case C-1"):
        curation.merge(vault, "C-1", [mine, other])
    with pytest.raises(UserError, match=f"face {other} is not in case C-1"):
        curation.split(vault, "C-1", [other])
    with pytest.raises(UserError, match=f"face {other} is not in case C-1"):
        curation.discard_face(vault, "C-1", other, "not mine")
    with pytest.raises(UserError, match="no face with id 999999"):
        curation.split(vault, "C-1", [999999])
    with pytest.raises(UserError, match="needs a reason"):
        curation.discard_face(vault, "C-1", mine, "  ")
    with pytest.raises(UserError, match="box 'a,b': give x,y,w,h"):
        curation.parse_box("a,b")
    item = _item_id(vault, "short_hamilton_clip.mp4")
    with pytest.raises(UserError, match="boxes can be drawn on photos only"):
        curation.draw_face(vault, item, (10, 10, 50, 50))
    other_item = _item_id(vault, "img1.jpg", "C-2")
    photo_face = _faces(vault)["obama.jpg"][0].id
    with pytest.raises(UserError, match=f"face {photo_face} is not a face of item {other_item}"):
        RedactJob(vault, other_item, keep=[photo_face]).run(lambda e: None)


def test_curation_needs_the_analysts_permission(vault: Session) -> None:
    officer = open_as(place_of(vault), "u_officer")
    try:
        face = _faces(vault)["obama.jpg"][0].id
        with pytest.raises(PermissionDenied):
            curation.split(officer, "C-1", [face])
        with pytest.raises(PermissionDenied):
            curation.discard_face(officer, "C-1", face, "no")
    finally:
        officer.close()
    assert {"face.drawn", "face.discarded", "cluster.split", "cluster.named"} <= PRIVILEGED.keys()


def test_blur_is_local_and_destroys_the_face(faces_dir: Path) -> None:
    rgb = load_rgb(faces_dir / "knn/train/obama/obama.jpg").copy()
    before = rgb.copy()
    box = (100, 300, 300, 100)  # top, right, bottom, left
    blur_boxes(rgb, [box], pad=0.0)
    assert not np.array_equal(rgb[100:300, 100:300], before[100:300, 100:300])
    assert np.array_equal(rgb[310:, :], before[310:, :])  # outside the box untouched
    # pixelated to at most 8 cells across then smoothed: little detail is left
    assert cv2.Laplacian(rgb[120:280, 120:280], cv2.CV_64F).var() < 5


def test_box_at_interpolates_between_sampled_frames() -> None:
    track = [[1.0, 0, 100, 100, 0], [2.0, 0, 200, 100, 100]]
    assert box_at(track, 1.5) == (0, 150, 100, 50)
    assert box_at(track, 0.6) == (0, 100, 100, 0)  # within the time pad before
    assert box_at(track, 0.4) is None and box_at(track, 2.6) is None


def test_redacted_photo_is_a_new_derived_item_and_the_original_is_unchanged(
    vault: Session,
) -> None:
    item = _item_id(vault, "obama_and_biden.jpg")
    original = items.get_item(vault, item)
    faces = [f for f in _faces(vault)["obama_and_biden.jpg"] if not f.discarded]
    keep = faces[-1]
    result = RedactJob(vault, item, keep=[keep.id]).run(lambda e: None)
    copy = items.get_item(vault, result.item)
    assert copy.sha256 != original.sha256 and copy.name.endswith("obama_and_biden.redacted.jpg")
    assert items.get_item(vault, item).sha256 == original.sha256
    data = items.read_item_bytes(vault, result.item)
    rgb = load_rgb(data)
    src = load_rgb(items.read_item_bytes(vault, item))
    top, right, bottom, left = keep.box
    assert np.abs(rgb[top:bottom, left:right].astype(int) - src[top:bottom, left:right]).mean() < 4
    made = items.custody(vault, result.item)[0]
    assert made.kind == "acquired" and made.details["derived_from"] == item
    assert made.details["kept"] == [keep.id]
    assert any(c.kind == "redacted" for c in items.custody(vault, item))
    assert [e.actor for e in audit_rows(vault, "item.redacted")][-1] == "alice"


def test_redacted_video_blurs_the_tracks_in_every_frame(vault: Session, faces_dir: Path) -> None:
    item = _item_id(vault, "short_hamilton_clip.mp4")
    tracks = [f for f in _faces(vault)["short_hamilton_clip.mp4"] if f.kind == "track"]
    events: list[object] = []
    result = RedactJob(vault, item, all_faces=True).run(events.append)
    assert result.frames and result.frames >= 270 and result.blurred == len(tracks)
    assert events, "progress is reported"
    data = items.read_item_bytes(vault, result.item)
    assert data[4:8] == b"ftyp"
    with tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(data)
        fh.flush()
        cap = cv2.VideoCapture(fh.name)
        src = cv2.VideoCapture(str(faces_dir / "more/short_hamilton_clip.mp4"))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == result.frames
        t = tracks[0]
        cap.set(cv2.CAP_PROP_POS_FRAMES, round((t.frame_time or 0) * 29.97))
        src.set(cv2.CAP_PROP_POS_FRAMES, round((t.frame_time or 0) * 29.97))
        ok, out = cap.read()
        ok2, orig = src.read()
        assert ok and ok2
        top, right, bottom, left = t.box
        face_out = cv2.Laplacian(out[top:bottom, left:right], cv2.CV_64F).var()
        face_src = cv2.Laplacian(orig[top:bottom, left:right], cv2.CV_64F).var()
        assert face_out < face_src / 4  # the face's detail is gone
    made = items.custody(vault, result.item)[0]
    assert made.details["audio"] == "copied" and made.details["format"] == "h264"
    # H.264 with the original's audio packets as they were (remuxed, not re-encoded), probed by
    # the same FFmpeg program
    with checked_ffmpeg() as ff, tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(data)
        fh.flush()
        probe = ff.probe(fh.name)
        assert [s.codec for s in probe.video] == ["h264"]
        assert [s.codec for s in probe.audio] == ["aac"]
        clip = str(faces_dir / "more/short_hamilton_clip.mp4")
        assert audio_md5(ff, fh.name) == audio_md5(ff, clip)


def test_cancelled_video_redaction_records_nothing(vault: Session) -> None:
    item = _item_id(vault, "short_hamilton_clip.mp4")
    before = len(items.list_items(vault, "C-1"))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        RedactJob(vault, item, all_faces=True, cancel=token).run(lambda e: None)
    assert len(items.list_items(vault, "C-1")) == before


def test_redacting_a_non_image_is_one_line(vault: Session) -> None:
    item = _item_id(vault, "notes.txt")
    with pytest.raises(UserError, match=r"notes.txt\) is not a photo or a video"):
        RedactJob(vault, item, all_faces=True).run(lambda e: None)
    with pytest.raises(UserError, match="no item with id 999999"):
        RedactJob(vault, 999999).run(lambda e: None)


def test_verify_is_clean_after_curation_and_redaction(vault: Session) -> None:
    report = verify(vault)
    assert report.ok, report.problems
    track = next(f for f in _faces(vault)["short_hamilton_clip.mp4"] if f.kind == "track")
    assert json.dumps(track.box)


@pytest.mark.local_only(
    "the workstation's own /dev/shm, whatever the back end: the server run would only repeat a "
    "video redaction (covered on the server by test_redacted_video_blurs_the_tracks_in_every_frame)"
)
def test_a_redaction_removes_what_a_killed_one_left_in_ram(vault: Session) -> None:
    """A process killed while FFmpeg wrote its redacted copy leaves a private folder in
    /dev/shm; the next video redaction removes it (its process is gone), never a live one's."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, tempfile; d = tempfile.mkdtemp("
            f"prefix=f'{STAGING_PREFIX}{{os.getpid()}}-', dir={str(base)!r}); "
            "open(os.path.join(d, 'redacted.mp4'), 'wb').write(b'partial'); print(d)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = Path(made.stdout.strip())  # its process has ended without removing it
    live = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=base))
    try:
        assert stale.is_dir()
        RedactJob(vault, _item_id(vault, "short_hamilton_clip.mp4"), all_faces=True).run(ignore)
        assert not stale.exists()
        assert live.is_dir()
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(live, ignore_errors=True)
