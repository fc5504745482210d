"""PDQ for every photo at ingest: computed from the bytes ingest reads anyway, recorded with the
item, whatever path the file takes (a few files on threads, many small files in worker
processes, a large photo in the job's own thread). A file that only looks like a photo is
stored all the same, without a hash, and the batch goes on."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from matching.models import PdqRecord
from matching.pdq import ALGORITHM, hash_image
from matching.similar import PdqJob, duplicate_groups
from vault import cases
from vault.ingest import POOL_MIN_FILES, SMALL_FILE, ingest
from vault.items import list_items
from vault.models import Item
from vault.session import Session
from vault.verify import verify
from vaultkit import audit_rows, new_vault

RESOLUTIONS = ["obama-1080p.jpg", "obama-720p.jpg", "obama-480p.jpg", "obama-240p.jpg"]


def _bomb_png(path: Path) -> None:
    """A valid PNG header claiming 100,000 x 100,000 pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.fixture
def photos(tmp_path: Path, faces_dir: Path) -> Iterator[Path]:
    """The four resolutions of one photo, a PNG of the 720p one, a large photo (over
    ``SMALL_FILE``: stored by the job's own thread) and hostile files named like photos."""
    folder = tmp_path / "seized"
    folder.mkdir()
    more = faces_dir / "more"
    for name in RESOLUTIONS:
        (folder / name).write_bytes((more / name).read_bytes())
    with Image.open(more / "obama-720p.jpg") as img:
        img.save(folder / "obama-720p.png")
        img.resize((3000, 1688)).save(folder / "large.png")  # several MiB
    assert (folder / "large.png").stat().st_size >= SMALL_FILE
    (folder / "notes.jpg").write_text("not a picture at all\n")
    (folder / "cut.jpg").write_bytes((more / "obama-480p.jpg").read_bytes()[:5000])
    _bomb_png(folder / "bomb.png")
    (folder / "readme.txt").write_text("a document\n")
    yield folder


def _pdq_rows(session: Session) -> dict[str, tuple[bytes, int, str, float | None]]:
    p = PdqRecord
    with session.db() as db:  # item names are sealed on a server: selected through the models
        rows = db.execute(
            select(Item.name, p.hash, p.quality, p.algorithm, p.frame_time).join(
                Item, Item.id == p.item_id
            )
        )
        return {Path(r[0]).name: (bytes(r[1]), r[2], r[3], r[4]) for r in rows}


@pytest.mark.parametrize("filler", [0, POOL_MIN_FILES], ids=["threads", "worker-processes"])
def test_every_photo_gets_its_pdq_hash_at_ingest(place: Any, photos: Path, filler: int):
    for n in range(filler):  # enough small files and ingest stores them in worker processes
        (photos / f"doc{n:04d}.txt").write_text(f"document {n}\n")
    session, _ = new_vault(place)
    try:
        cases.create_case(session, "C-1", "Harbour")
        result = ingest(session, "C-1", [photos])
        assert not result.failed  # the hostile "photos" are evidence like any file: stored
        assert len(result.saved) == 10 + filler

        rows = _pdq_rows(session)
        good = [*RESOLUTIONS, "obama-720p.png", "large.png"]
        assert sorted(rows) == sorted(good)  # no hash for the text, the cut file, the bomb
        for name in good:  # the hash `pdq compute` would store, from the bytes stored
            expected = hash_image((photos / name).read_bytes())
            assert rows[name] == (expected.bits, expected.quality, ALGORITHM, None), name
        assert rows["obama-720p.png"][0] == rows["obama-720p.jpg"][0]  # one picture, one hash
        assert len(audit_rows(session, "pdq.computed")) == len(good)

        groups = [{Path(m.name).name for m in g} for g in duplicate_groups(session, "C-1")]
        assert groups == [set(good)]
        # `pdq compute` has only the files that are not pictures left, and says why, one line
        # each; nothing it stores twice
        again = PdqJob(session, "C-1").run(lambda e: None)
        lines = [line for _, line in again.failed]
        assert (again.items, len(lines)) == (0, 3)
        assert any("cut.jpg" in line and "damaged or truncated" in line for line in lines)
        assert any("bomb.png" in line and "over the limit" in line for line in lines)
        assert any("notes.jpg" in line and "not a supported image" in line for line in lines)
        assert all("\n" not in line and "Traceback" not in line for line in lines)
        assert verify(session).ok
    finally:
        session.close()


def test_a_case_without_hash_sets_still_gets_pdq(place: Any, photos: Path) -> None:
    session, _ = new_vault(place)
    try:
        cases.create_case(session, "C-1", "Harbour", hash_sets=False)
        ingest(session, "C-1", [photos / "obama-240p.jpg"])
        assert list(_pdq_rows(session)) == ["obama-240p.jpg"]
        assert [i.md5 for i in list_items(session, "C-1")] == [None]
    finally:
        session.close()


def test_an_ingest_worker_starts_without_the_database_layers() -> None:
    """Each ingest worker imports the module that computes a photo's PDQ hash before its first
    file: it must stay light (no SQLAlchemy, numpy or OpenCV), or every small-file ingest
    waits most of a second for its first pack."""
    import subprocess
    import sys

    from service.opener import SCHEMA

    specs = [(name, *derive.names) for name, derive in SCHEMA.derivers]
    assert specs, "the matching layer computes PDQ at ingest"
    modules = sorted({spec[1] for spec in specs})
    probe = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'numpy', 'cv2', 'PIL', 'sqlcipher3'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{modules} import {out.stdout.strip()}"
