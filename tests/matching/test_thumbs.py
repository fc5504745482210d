"""Thumbnails of a case's photos and videos: made once, stored encrypted, checked by verify.

Hostile files first: a decompression bomb, a truncated JPEG and a file that lies about its type
each get one line and a placeholder record; the rest of the batch gets its thumbnails.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS, blob_bytes, copy_place, swap_blobs, vault_place
from PIL import Image
from sqlalchemy import select

from matching.models import Thumbnail
from matching.thumbs import SIDE, ThumbJob, case_tiles, read_thumbnails
from service.opener import init_vault, unlock
from vault import cases, users
from vault.errors import PermissionDenied
from vault.ingest import ingest
from vault.jobs import Finished
from vault.session import Session
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD, audit_rows

CASE = "T/1"
PHOTOS = ("knn/test/obama1.jpg", "more/biden.jpg", "more/lin-manuel-miranda.png", "more/32bit.png")


def bomb_png() -> bytes:
    """A few KB of PNG whose header declares 100,000 x 100,000 pixels (10 Gpx)."""
    side = 100_000
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = zlib.compress(b"\x00" * (side + 1) * 16, 9)  # far too few rows: never decoded
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def hostile_files(folder: Path, faces_dir: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = (faces_dir / "more/obama.jpg").read_bytes()
    files = {
        "bomb.png": bomb_png(),
        "truncated.jpg": jpeg[: len(jpeg) // 3],
        "letter.jpg": b"Dear Sir, this is not a photo.\n" * 40,  # lies about its type
        "clip.mp4": b"\x00\x00\x00\x18ftypmp42" + b"junk" * 100,  # a video that is not one
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, faces_dir: Path
) -> Any:
    root = tmp_path_factory.mktemp("thumbs")
    folder = vault_place(request, root / "vault")
    session, _ = init_vault(folder, "alice", PASSWORD, kdf=FAST_KDF)
    try:
        users.add_user(session, "lee", ["liaison"], PASSWORD)
        users.add_user(session, "ann", ["admin"], PASSWORD)
        cases.create_case(session, CASE, "Thumbnails")
        files = [faces_dir / p for p in PHOTOS] + [faces_dir / "more/short_hamilton_clip.mp4"]
        files += list(hostile_files(root / "hostile", faces_dir).values())
        (root / "notes.txt").write_text("not a picture")
        ingest(session, CASE, [*files, root / "notes.txt"])
    finally:
        session.close()
    return folder


@pytest.fixture
def vault(request: pytest.FixtureRequest, built: Any, tmp_path: Path) -> Iterator[Session]:
    folder = copy_place(request, built, tmp_path / "vault")
    with unlock(folder, "alice", PASSWORD) as session:
        yield session


def names(session: Session) -> dict[int, str]:
    from vault.items import list_items

    return {i.id: i.name.rsplit("/", 1)[-1] for i in list_items(session, CASE)}


def test_hostile_files_get_one_line_each_and_the_batch_goes_on(vault: Session) -> None:
    events: list[object] = []
    result = ThumbJob(vault, CASE).run(events.append)
    failed = dict(result.failed)
    by_name = {v: k for k, v in names(vault).items()}
    lines = {name: failed.get(f"item {by_name[name]}") for name in by_name}
    assert lines["bomb.png"] == (
        "cannot read image bomb.png: pixels, over the limit of 80 Mpx"  # Pillow refused first
    )
    truncated, clip = lines["truncated.jpg"] or "", lines["clip.mp4"] or ""
    assert truncated.startswith("cannot read image truncated.jpg: damaged or truncated")
    assert lines["letter.jpg"] == "cannot read image letter.jpg: not a supported image format"
    assert clip.startswith("cannot read video clip.mp4")
    for line in failed.values():
        assert "\n" not in line and "Traceback" not in line
    # the four photos and the real video got theirs; the text file is not a picture
    assert result.made == 5 and len(result.failed) == 4
    assert lines["notes.txt"] is None
    finished = [e for e in events if isinstance(e, Finished)]
    assert sum(e.ok for e in finished) == 5 and sum(not e.ok for e in finished) == 4


def test_thumbnails_are_small_pictures_of_the_photos_stored_encrypted(vault: Session) -> None:
    ThumbJob(vault, CASE).run(lambda e: None)
    ids = names(vault)
    got = read_thumbnails(vault, list(ids))
    for item_id, name in ids.items():
        if name in ("obama1.jpg", "biden.jpg", "lin-manuel-miranda.png", "32bit.png"):
            data = got[item_id]
            assert isinstance(data, bytes)
            picture = Image.open(io.BytesIO(data))
            assert picture.format == "JPEG" and max(picture.size) == SIDE
            assert picture.getextrema()[0][1] > 50  # a picture, not a blank tile
        elif name == "short_hamilton_clip.mp4":
            assert isinstance(got[item_id], bytes)
        elif name == "notes.txt":
            assert item_id not in got
        else:
            assert isinstance(got[item_id], str)  # the one line, shown on a placeholder tile
    # a blob like any other: an age file, nothing in clear in blobs/
    with vault.db() as db:
        blob = db.scalars(select(Thumbnail.blob).where(Thumbnail.blob.is_not(None))).first()
    assert blob is not None
    assert blob_bytes(vault, blob).startswith(b"age-encryption.org/v1\n")
    assert len(audit_rows(vault, "thumb.made")) == 9
    assert verify(vault).ok


def test_made_once(vault: Session) -> None:
    ThumbJob(vault, CASE).run(lambda e: None)
    again = ThumbJob(vault, CASE).run(lambda e: None)
    assert again.made == 0 and again.failed == []  # hostile files are not retried either
    tiles = case_tiles(vault, CASE)
    states = sorted(t.state for t in tiles.values())
    assert states == ["failed"] * 4 + ["made"] * 5 + ["none"]


def test_a_swapped_thumbnail_is_named_by_verify_and_never_shown(vault: Session) -> None:
    ThumbJob(vault, CASE).run(lambda e: None)
    ids = {v: k for k, v in names(vault).items()}
    with vault.db() as db:
        a = db.get(Thumbnail, ids["obama1.jpg"])
        b = db.get(Thumbnail, ids["biden.jpg"])
        assert a is not None and b is not None and a.blob and b.blob
        swap_blobs(vault, a.blob, b.blob)
    got = read_thumbnails(vault, [ids["obama1.jpg"]])[ids["obama1.jpg"]]
    assert got == (
        f"thumbnail of item {ids['obama1.jpg']}: stored copy does not match its hash "
        "(altered or swapped); run verify"
    )
    report = verify(vault)
    found = {(p.where.split(" (")[0], p.what) for p in report.problems}
    assert (f"thumbnail of item {ids['obama1.jpg']}", "thumbnail does not match its hash") in found
    assert (f"thumbnail of item {ids['biden.jpg']}", "thumbnail does not match its hash") in found


def test_whoever_reads_the_case_may_make_and_see_them(
    request: pytest.FixtureRequest, built: Any, tmp_path: Path
) -> None:
    folder = copy_place(request, built, tmp_path / "vault")
    with unlock(folder, "lee", PASSWORD) as liaison:
        assert ThumbJob(liaison, CASE).run(lambda e: None).made == 5
    with unlock(folder, "ann", PASSWORD) as admin:
        with pytest.raises(PermissionDenied):
            read_thumbnails(admin, [1])
        with pytest.raises(PermissionDenied):
            ThumbJob(admin, CASE).run(lambda e: None)


def test_custos_thumbs_make_says_one_line_per_file_it_cannot_show(
    request: pytest.FixtureRequest, built: Any, tmp_path: Path
):
    from vaultkit import run_cli

    folder = copy_place(request, built, tmp_path / "vault")
    done = run_cli("thumbs", "make", "--case", CASE, vault=folder)
    assert done.returncode == 1, done.stderr
    assert "made 5 thumbnail(s)" in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 5, done.stderr  # four files, then the summary
    assert any(
        line.endswith("cannot read image letter.jpg: not a supported image format")
        for line in errors
    )
    assert errors[-1] == "error: 4 file(s) cannot be shown (listed above)"
    assert "Traceback" not in done.stderr
    again = run_cli("thumbs", "make", "--case", CASE, vault=folder)
    assert again.returncode == 0 and "made 0 thumbnail(s)" in again.stdout
