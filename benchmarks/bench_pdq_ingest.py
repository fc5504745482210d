"""What PDQ at ingest costs (issue 11: "PDQ for every photo"), against the same ingest without it.

    uv run python benchmarks/bench_pdq_ingest.py [--photos 2000] [--runs 3] [--data DIR]

The photos: ``--photos`` JPEGs made once from the pictures of ``../shared/faces`` (each a
different crop, resized to 800-1920 px on its longest side, quality 85-92: 0.3-2 MP, what a
phone dump's older pictures and messenger copies look like), into the data folder.

Figures (Custos, anchor, ratio; best of ``--runs``, alternating, ``sync`` before each):

* ``in-process``: ``IngestJob`` of the photos into a fresh vault opened as the product opens it
  (``service.opener``: PDQ of every photo at ingest) against a fresh vault opened with the same
  schema minus the matching layer's ``derive`` (the same ingest without PDQ). Printed: the
  ratio and what PDQ adds per photo in ms of wall time (2 ingest workers on 2 cores).
* ``custos ingest`` (the whole command, start-up counted, as a user runs it): the photos against
  hard links to the same files named ``.dat`` (same bytes, same page cache; not photos, so no
  PDQ): the same command without PDQ. Once with byte-compiled modules (as installed), once with
  ``PYTHONDONTWRITEBYTECODE=1``.
* ``decode``: ``cv2.imdecode`` of every photo's bytes (full decode, one thread), per photo: the
  least any perceptual hash of the photo costs, to set what PDQ adds against (the issue's own
  bound for PDQ is 1.2x a decode). Ingest spreads the hashing over 2 workers, so the wall time
  PDQ adds per photo is compared with half a decode as well.

Not part of the test suite: no timing lives in tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vault import (
    CASE,
    PASSWORD,
    USER,
    Scratch,
    best,
    custos_cli,
    log,
    new_vault,
    warm,
    warm_cli,
)

from vault.cases import create_case
from vault.ingest import IngestJob
from vault.jobs import ignore

SIDES = (1920, 1600, 1280, 1024, 800)


def make_photos(folder: Path, count: int, faces: Path) -> None:
    """``count`` distinct JPEGs (crops and sizes of the faces photos), made once."""
    from PIL import Image

    marker = folder / f".complete-{count}"
    if marker.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sources = sorted(p for p in faces.rglob("*.jpg") if p.stat().st_size > 20_000)
    log(f"making {count} photos from {len(sources)} pictures of {faces}")
    images = []
    for p in sources:
        with Image.open(p) as img:
            images.append(img.convert("RGB"))
    for n in range(count):
        img = images[n % len(images)]
        w, h = img.size
        k = n // len(images)
        dx, dy = (k * 7) % max(1, w // 10), (k * 5) % max(1, h // 10)  # a different crop each
        crop = img.crop((dx, dy, w - (k * 3) % max(1, w // 10), h))
        side = SIDES[n % len(SIDES)]
        scale = side / max(crop.size)
        out = crop.resize((round(crop.size[0] * scale), round(crop.size[1] * scale)))
        sub = folder / f"DCIM{n // 500:03d}"
        sub.mkdir(exist_ok=True)
        out.save(sub / f"IMG_{n:05d}.jpg", quality=85 + n % 8)
    marker.touch()


def linked_as_data(photos: Path, folder: Path) -> None:
    """The same files, hard-linked under names that are not photos (``.dat``)."""
    shutil.rmtree(folder, ignore_errors=True)
    for p in sorted(photos.rglob("*.jpg")):
        target = folder / p.relative_to(photos).with_suffix(".dat")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(p, target)


def decode_all(photos: Path) -> float:
    """Seconds to ``cv2.imdecode`` every photo (bytes read first, not timed), one thread."""
    import time

    import cv2
    import numpy as np

    blobs = [np.frombuffer(p.read_bytes(), np.uint8) for p in sorted(photos.rglob("*.jpg"))]
    cv2.setNumThreads(1)
    start = time.perf_counter()
    for b in blobs:
        cv2.imdecode(b, cv2.IMREAD_COLOR)
    return time.perf_counter() - start


def in_process(scratch: Scratch, photos: Path, pdq: bool) -> Callable[[], Callable[[], object]]:
    from service.opener import SCHEMA
    from vault import session as vault_session
    from vault.schema import Schema

    plain = Schema(tuple(dataclasses.replace(layer, derive=None) for layer in SCHEMA.layers))

    def setup() -> Callable[[], object]:
        folder = scratch.new("vault")
        if pdq:
            session = new_vault(folder)[0]
        else:
            session = vault_session.init_vault(folder, USER, PASSWORD, plain)[0]
            create_case(session, CASE, "benchmark")

        def call() -> None:
            result = IngestJob(session, CASE, [photos]).run(ignore)
            assert not result.failed, result.failed

        def cleanup() -> None:
            if pdq:  # the photos were hashed, every one
                with session.db() as db:
                    hashed = db.connection().exec_driver_sql("SELECT count(*) FROM pdq_hashes")
                    assert hashed.scalar() == len(list(photos.rglob("*.jpg")))
            session.close()
            shutil.rmtree(folder)

        call.cleanup = cleanup  # type: ignore[attr-defined]
        return call

    return setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-pdq-ingest"))
    args = parser.parse_args()
    repo = Path(__file__).resolve().parent.parent
    faces = Path(os.environ.get("CUSTOS_FACES", repo.parent / "shared" / "faces")).resolve()
    photos = args.data / f"photos-{args.photos}"
    make_photos(photos, args.photos, faces)
    data = args.data / f"data-{args.photos}"
    linked_as_data(photos, data)
    warm(photos)
    size = sum(p.stat().st_size for p in photos.rglob("*.jpg"))
    print(f"{args.photos} JPEG photos, {size / 1e6:.0f} MB, cores {os.cpu_count()}")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    scratch = Scratch(args.data / "scratch")

    log("in-process IngestJob")
    t = best(
        args.runs,
        {
            "with PDQ": in_process(scratch, photos, True),
            "no PDQ": in_process(scratch, photos, False),
        },
    )
    rows = [("IngestJob (in-process)", t["with PDQ"], t["no PDQ"])]
    decode = min(decode_all(photos) for _ in range(args.runs))
    warm_cli()
    for no_bytecode in (False, True):
        name = "custos ingest" + (" (PYTHONDONTWRITEBYTECODE=1)" if no_bytecode else "")
        log(name)
        t = best(
            args.runs,
            {
                "photos": custos_cli(scratch, photos, no_bytecode=no_bytecode),
                "same bytes as .dat": custos_cli(scratch, data, no_bytecode=no_bytecode),
            },
        )
        rows.append((name, t["photos"], t["same bytes as .dat"]))
    print("| figure | with PDQ | same ingest without PDQ | ratio | PDQ adds per photo |")
    print("|---|---|---|---|---|")
    for name, ours, anchor in rows:
        per = (ours - anchor) / args.photos * 1000
        print(f"| {name} | {ours:.2f} s | {anchor:.2f} s | {ours / anchor:.2f}x | {per:.2f} ms |")
    per_decode = decode / args.photos * 1000
    print(
        f"anchor: cv2.imdecode of each photo (one thread) {per_decode:.2f} ms per photo; "
        f"PDQ adds (in-process) {(rows[0][1] - rows[0][2]) / args.photos * 1000:.2f} ms wall "
        f"per photo = {(rows[0][1] - rows[0][2]) / decode:.2f}x a decode on one core, "
        f"{2 * (rows[0][1] - rows[0][2]) / decode:.2f}x with 2 workers"
    )
    shutil.rmtree(scratch.root, ignore_errors=True)


if __name__ == "__main__":
    main()
