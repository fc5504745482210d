"""Court report speed (issue 14): a report of 1,000 items with 200 face matches in <= 20 s.

    uv run python benchmarks/bench_report.py [--runs N] [--faces DIR]

The case: 200 photos of one face each (the single-face photos of the test faces, each copy made
distinct by one pixel, so each is its own item with its own face crop), 800
other files of 4 KiB; detection, one watchlist with a reference photo of each identity, one
investigative search (top 1: one candidate per face, 200), and 100 review decisions with reasons.

Timed, alternating, best of N (medians shown):

* **report**: ``ReportJob.run`` in-process: every row read, the 400 pictures of the matches
  decrypted and checked against their hashes, the PDF laid out (ReportLab) and its HTML twin,
  signed, four files written and fsynced, 1,000 custody events and their audit entries committed.
* **anchor**: ``exchange.reportdata.gather`` alone in the same run: the same rows and the same
  blobs read and checked, without rendering, writing or recording.

Every timed report adds 1,000 custody events, so later runs have one more row per item to show.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from exchange.report import ReportJob  # noqa: E402
from exchange.reportdata import gather  # noqa: E402
from matching.casefaces import DetectJob  # noqa: E402
from matching.review import decide  # noqa: E402
from matching.searching import search  # noqa: E402
from matching.watchlists import Listing, create_watchlist, enrol  # noqa: E402
from service.opener import init_vault  # noqa: E402
from vault.cases import create_case  # noqa: E402
from vault.ingest import IngestJob  # noqa: E402
from vault.jobs import CancelToken, ignore  # noqa: E402
from vault.keys import KdfParams  # noqa: E402
from vault.session import Session  # noqa: E402

ITEMS, MATCHES, DECIDED = 1000, 200, 100
TARGET = 20.0
CASE = "BENCH-R"


def _single_faces(faces: Path) -> list[tuple[Path, str]]:
    with (faces / "labels.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["faces"] == "1" and r["identities"]]
    return [(faces / r["path"], r["identities"]) for r in rows]


def build(root: Path, faces: Path) -> Session:
    session, _ = init_vault(root / "vault", "alice", "bench-password-1", kdf=KdfParams(8192, 1, 1))
    create_case(session, CASE, "Report benchmark", ["fraud"])
    photos = _single_faces(faces)
    ev = root / "ev"
    ev.mkdir()
    for n in range(MATCHES):
        source, _ = photos[n % len(photos)]
        img = Image.open(source).convert("RGB")
        img.putpixel((0, 0), (n % 256, n // 256, 7))  # its own pixels: its own face crop
        img.save(ev / f"p{n:03d}.jpg", quality=92)
    for n in range(ITEMS - MATCHES):
        (ev / f"f{n:03d}.bin").write_bytes(os.urandom(4096))
    IngestJob(session, CASE, [ev], None, CancelToken()).run(ignore)
    detected = DetectJob(session, CASE).run(ignore)
    assert not detected.failed, detected.failed
    create_watchlist(session, "W")
    listing = Listing("fraud", "Bench", "AMBER", "2099-01-01")
    enrolled: set[str] = set()
    for path, who in photos:
        if who not in enrolled:
            enrol(session, "W", who, listing, [path])
            enrolled.add(who)
    found = search(session, ["W"], case_reference=CASE, top=1)
    for n, c in enumerate(found.candidates[:DECIDED]):
        decide(session, c.id, ("confirmed", "rejected")[n % 2], f"review {n}: ears and hairline")
    print(f"case: {ITEMS} items, {len(found.candidates)} candidates, {DECIDED} decisions")
    return session


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="custos-bench-report-"))
    try:
        session = build(root, args.faces)
        reports, anchors = [], []
        for run in range(args.runs):
            t = time.perf_counter()
            data = gather(session, CASE, None, CancelToken(), lambda d, t: None)
            anchors.append(time.perf_counter() - t)
            assert len(data.items) == ITEMS and len(data.matches) >= MATCHES, len(data.matches)
            t = time.perf_counter()
            res = ReportJob(session, CASE, root / f"r{run}.pdf").run(ignore)
            reports.append(time.perf_counter() - t)
            size = res.files.pdf.stat().st_size
            print(
                f"run {run + 1}: report {reports[-1]:.2f} s ({size / 1e6:.1f} MB PDF, "
                f"{res.files.html.stat().st_size / 1e6:.1f} MB HTML), "
                f"read rows and blobs {anchors[-1]:.2f} s"
            )
        best, anchor = min(reports), min(anchors)
        print(
            f"report of {ITEMS} items / {len(data.matches)} matches: best {best:.2f} s "
            f"(median {statistics.median(reports):.2f}); anchor (gather only) best {anchor:.2f} s "
            f"(median {statistics.median(anchors):.2f}); ratio {best / anchor:.1f}x; "
            f"target <= {TARGET:.0f} s: {'pass' if best <= TARGET else 'FAIL'}"
        )
        session.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
