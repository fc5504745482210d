"""Face gallery of 5,000 faces: show and scroll (issue 5: "stays smooth").

    uv run python benchmarks/bench_gallery.py [--steps N]

Builds the GUI tests' demo vault from ../shared/faces (real detection), repeats its faces to
5,000 gallery entries, then times, offscreen: setting the model and showing the view, and each
scroll step (a page down, repainted at once). Thumbnails are the face crops stored in the vault
at detection, loaded lazily for the rows on screen only. Targets: show <= 300 ms; every scroll
step <= 50 ms (20 frames per second; the anchor is a frame budget, not another program).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "desktop")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    faces_dir = Path(os.environ.get("CUSTOS_FACES", REPO.parent / "shared" / "faces")).resolve()
    work = Path(tempfile.mkdtemp(prefix="custos-bench-gallery-"))
    from matchkit import build

    build(work, faces_dir)
    from PySide6.QtWidgets import QApplication

    from desktop.gallery import FaceGalleryModel, ThumbnailCache, gallery_view
    from desktop.jobs import JobRunner
    from matching.facelist import list_faces
    from service.opener import unlock
    from vaultkit import PASSWORD

    app = QApplication.instance() or QApplication([])
    session = unlock(work / "vault", "alice", PASSWORD)
    real = list_faces(session, "OP-7")
    faces = [real[n % len(real)] for n in range(5000)]
    runner = JobRunner()
    cache = ThumbnailCache(session, runner)
    model = FaceGalleryModel(cache)
    view = gallery_view(model)
    view.resize(1100, 700)
    start = time.perf_counter()
    model.set_faces(faces)
    view.show()
    app.processEvents()
    view.viewport().repaint()
    shown = time.perf_counter() - start
    bar = view.verticalScrollBar()
    steps: list[float] = []
    for n in range(args.steps):
        t = time.perf_counter()
        bar.setValue(min(bar.maximum(), (n + 1) * bar.pageStep()))
        view.viewport().repaint()
        app.processEvents()
        steps.append(time.perf_counter() - t)
    while cache.pending:
        app.processEvents()
    worst, median = max(steps), statistics.median(steps)
    rows = [
        ("show 5,000 faces", shown, 0.300),
        ("scroll step, worst", worst, 0.050),
        ("scroll step, median", median, 0.050),
    ]
    print("| figure | measured | target | ratio | result |\n|---|---|---|---|---|")
    for name, value, target in rows:
        verdict = "pass" if value <= target else "FAIL"
        print(f"| {name} | {value * 1000:.1f} ms | <= {target * 1000:.0f} ms "
              f"| {value / target:.2f} | {verdict} |")  # fmt: skip
    print(f"thumbnails loaded: {len(cache.pixmaps)} distinct crops for {len(faces)} entries")
    session.close()


if __name__ == "__main__":
    main()
