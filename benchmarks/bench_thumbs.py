"""A case of 100,000 items: its overview, and its evidence as thumbnails scrolled (issue 14).

    xvfb-run -a -s "-screen 0 1440x900x24" uv run python benchmarks/bench_thumbs.py \
        [--frames N] [--runs N] [--data DIR]

A real window (Xvfb, not the offscreen platform), the real ``MainWindow`` at 1440 x 900 on a
vault with:

* ``REAL``: the photos and the video of ../shared/faces, ingested, thumbnails made by
  ``ThumbJob`` (real blobs, real decode);
* ``BENCH-100K``: 100,000 items put in by SQL (past the audit: this vault does not verify),
  named ``dNNN/photo-NNNNNN.jpg``, each with a thumbnail row naming one of ``REAL``'s
  thumbnails in turn, so every tile's picture is a real encrypted blob read, checked and
  decoded through the core.

Figures:

(a) **overview**: from choosing the case (the Cases page's "open", ``MainWindow.show_case``:
    the overview page and the Evidence page both load it, as in the app) until the overview
    shows its figures and has been painted. Target <= 1 s.
(b) **grid scroll**: the Evidence grid of the 100,000 items scrolled from top to bottom at a
    steady rate (a 60 Hz timer moves the scroll bar by the same step each tick, repainted at
    once), while thumbnails load on a worker: frames per second and the longest frame (the
    gap between two painted frames). Target >= 30 fps, no frame over 100 ms.
    Anchor, same run, same window, same number of frames: the Evidence **table** of the same
    100,000 rows scrolled top to bottom the same way.

(c) with ``--make``, no window: **making** thumbnails, ``custos thumbs make --case REF`` timed as
    a user runs it (a fresh process: start-up and sign-in counted; this vault's KDF is cheap),
    also with ``PYTHONDONTWRITEBYTECODE=1``, on a new case holding every photo of
    ../shared/faces (ingested before the clock starts). Anchor, same run: ImageMagick's
    ``mogrify -define jpeg:size=320x320 -thumbnail 160x160 -quality 80`` over the same files in
    clear (no decryption, no hash check, no blob store, no audit). ``custos case list`` is
    timed beside it: the start-up and sign-in every command pays.

Run it 2-3 times on a busy machine and report the range.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

USER = "bench"
PASSWORD = "bench-password-1"
BIG = "BENCH-100K"
REAL = "REAL"
ITEMS = 100_000


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build_vault(data: Path, faces: Path) -> Path:
    folder = data / "vault-thumbs-100k"
    if (folder / ".complete").exists():
        return folder
    import shutil

    from sqlalchemy import text

    from matching.thumbs import ThumbJob
    from service.opener import init_vault
    from vault.cases import create_case
    from vault.ingest import ingest
    from vault.jobs import ignore
    from vault.keys import KdfParams

    shutil.rmtree(folder, ignore_errors=True)
    kdf = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)  # unlock speed is not measured
    session, _ = init_vault(folder, USER, PASSWORD, kdf=kdf)
    try:
        create_case(session, REAL, "The photos of ../shared/faces")
        create_case(session, BIG, "A hundred thousand photos")
        photos = sorted((faces / "knn" / "test").glob("*.jpg")) + sorted(
            (faces / "more").glob("*.jpg")
        )
        ingest(session, REAL, [*photos, faces / "more" / "short_hamilton_clip.mp4"])
        made = ThumbJob(session, REAL).run(ignore)
        log(f"{made.made} real thumbnails made, {len(made.failed)} failed")
        with session.engine.begin() as conn:
            real = conn.execute(
                text(
                    "SELECT i.size, i.sha256, i.md5, i.sha1, i.blob_name, t.blob, t.width, "
                    "t.height FROM items i JOIN thumbnails t ON t.item_id = i.id "
                    "WHERE t.blob IS NOT NULL ORDER BY i.id"
                )
            ).all()
            case_id = conn.execute(
                text("SELECT id FROM cases WHERE reference = :r"), {"r": BIG}
            ).scalar()
            rows = []
            for n in range(ITEMS):
                r = real[n % len(real)]
                name = f"d{n // 1000:03d}/photo-{n:06d}.jpg"
                rows.append(
                    {
                        "c": case_id,
                        "name": name,
                        "path": f"/seized/{name}",
                        "size": r.size,
                        "sha256": r.sha256,
                        "md5": r.md5,
                        "sha1": r.sha1,
                        "blob": r.blob_name,
                        "at": "2026-12-01T10:00:00.000000+00:00",
                    }
                )
            conn.execute(
                text(
                    "INSERT INTO items (case_id, name, original_path, size, sha256, md5, sha1, "
                    "blob_name, acquired_by, acquired_at) VALUES (:c, :name, :path, :size, "
                    ":sha256, :md5, :sha1, :blob, 'bench', :at)"
                ),
                rows,
            )
            ids = conn.execute(
                text("SELECT id FROM items WHERE case_id = :c ORDER BY id"), {"c": case_id}
            ).all()
            conn.execute(
                text(
                    "INSERT INTO thumbnails (item_id, case_id, blob, width, height, made_at) "
                    "VALUES (:i, :c, :b, :w, :h, '2026-12-01T10:00:00.000000+00:00')"
                ),
                [
                    {
                        "i": row.id,
                        "c": case_id,
                        "b": real[n % len(real)].blob,
                        "w": real[n % len(real)].width,
                        "h": real[n % len(real)].height,
                    }
                    for n, row in enumerate(ids)
                ],
            )
    finally:
        session.close()
    (folder / ".complete").touch()
    return folder


def spin(app, until, limit: float = 120.0) -> None:
    end = time.perf_counter() + limit
    while not until():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() > end:
            raise TimeoutError("the window did not get there in time")


def open_overview(app, window, reference: str) -> float:
    """Seconds from choosing the case to its overview painted."""
    overview = window.page("overview")
    overview.overview = None
    start = time.perf_counter()
    window.show_case(reference)
    spin(
        app,
        lambda: overview.overview is not None and overview.overview.reference == reference,
    )
    overview.repaint()
    return time.perf_counter() - start


def scroll(app, view, frames: int) -> dict[str, float]:
    """Scroll ``view`` top to bottom in ``frames`` equal steps from a 60 Hz timer, each step
    painted at once; the GUI thread also serves whatever else arrives (thumbnails)."""
    from PySide6.QtCore import Qt, QTimer

    bar = view.verticalScrollBar()
    bar.setValue(0)
    view.viewport().repaint()
    spin(app, lambda: True)
    top, bottom = bar.minimum(), bar.maximum()
    gaps: list[float] = []
    paints: list[float] = []
    state = {"n": 0, "last": 0.0}
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(16)

    def tick() -> None:
        state["n"] += 1
        t = time.perf_counter()
        bar.setValue(top + (bottom - top) * state["n"] // frames)
        view.viewport().repaint()
        now = time.perf_counter()
        paints.append(now - t)
        if state["last"]:
            gaps.append(now - state["last"])  # from one frame on screen to the next
        state["last"] = now
        if state["n"] >= frames:
            timer.stop()

    timer.timeout.connect(tick)
    start = time.perf_counter()
    timer.start()
    spin(app, lambda: not timer.isActive(), limit=600)
    took = time.perf_counter() - start
    assert bar.value() == bottom
    return {
        "fps": frames / took,
        "longest": max(gaps),
        "p99": sorted(gaps)[int(0.99 * (len(gaps) - 1))],
        "paint_median": statistics.median(paints),
        "paint_max": max(paints),
        "pixels": float(bottom - top),
    }


def make_figures(vault: Path, faces: Path, runs: int) -> None:
    """(c): ``custos thumbs make`` against ``mogrify`` on the photos of ../shared/faces."""
    import shutil
    import subprocess
    import tempfile

    from service.opener import unlock
    from vault.cases import create_case
    from vault.ingest import ingest

    photos = sorted(p for p in faces.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    env = {
        **os.environ,
        "CUSTOS_VAULT": str(vault),
        "CUSTOS_USER": USER,
        "CUSTOS_PASSWORD": PASSWORD,
    }
    for run in range(1, runs + 1):
        for bytecode in (True, False):
            case = f"MAKE-{run}-{'pyc' if bytecode else 'nopyc'}-{time.time_ns()}"
            with unlock(vault, USER, PASSWORD) as session:
                create_case(session, case, "thumbnails made by the CLI")
                ingest(session, case, photos)
            run_env = dict(env)
            if not bytecode:
                run_env["PYTHONDONTWRITEBYTECODE"] = "1"
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "cli.main", "thumbs", "make", "--case", case],
                env=run_env,
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            custos = time.perf_counter() - start
            assert done.returncode in (0, 1), done.stderr
            out = Path(tempfile.mkdtemp(prefix="custos-bench-mogrify-"))
            start = time.perf_counter()
            subprocess.run(
                [
                    "mogrify",
                    "-path",
                    str(out),
                    "-format",
                    "jpg",
                    "-define",
                    "jpeg:size=320x320",
                    "-thumbnail",
                    "160x160",
                    "-quality",
                    "80",
                    *map(str, photos),
                ],
                check=True,
            )
            anchor = time.perf_counter() - start
            shutil.rmtree(out)
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "cli.main", "case", "list"],
                env=run_env,
                cwd=REPO,
                capture_output=True,
                check=True,
            )
            startup = time.perf_counter() - start
            what = "" if bytecode else " PYTHONDONTWRITEBYTECODE=1"
            print(
                f"run {run}: (c) start-up reference: custos case list{what} {startup:.2f} s; "
                f"thumbs make less that: {custos - startup:.2f} s"
            )
            print(
                f"run {run}: (c) custos thumbs make{what}, {len(photos)} photos: {custos:.2f} s "
                f"({done.stdout.strip()}); mogrify {anchor:.2f} s; ratio {custos / anchor:.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=1200)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-thumbs"))
    parser.add_argument("--make", action="store_true", help="(c) only: making thumbnails")
    args = parser.parse_args()
    faces = Path(os.environ.get("CUSTOS_FACES", REPO.parent / "shared" / "faces")).resolve()
    if args.make:
        args.data.mkdir(parents=True, exist_ok=True)
        make_figures(build_vault(args.data, faces), faces, args.runs)
        return
    if os.environ.get("QT_QPA_PLATFORM", "xcb") == "offscreen" or not os.environ.get("DISPLAY"):
        sys.exit('run under xvfb-run -a -s "-screen 0 1440x900x24" (a real window)')
    args.data.mkdir(parents=True, exist_ok=True)
    vault = build_vault(args.data, faces)

    from desktop.app import make_app
    from desktop.jobs import JobRunner
    from desktop.mainwindow import MainWindow
    from service.opener import unlock

    app = make_app([])
    session = unlock(vault, USER, PASSWORD)
    runner = JobRunner()
    try:
        window = MainWindow(session, runner)
        window.resize(1440, 900)
        window.show()
        spin(app, lambda: not runner.busy)
        for run in range(1, args.runs + 1):
            open_overview(app, window, REAL)  # another case first: a real switch
            spin(app, lambda: not runner.busy)
            took = open_overview(app, window, BIG)
            print(f"run {run}: (a) overview of {ITEMS:,} items painted in {took:.3f} s")
            evidence = window.show_area("evidence")
            spin(app, lambda ev=evidence: len(ev.model.records) == ITEMS and not runner.busy)
            evidence.show_grid(False)
            table = scroll(app, evidence.view, args.frames)
            evidence.show_grid(True)
            grid = evidence.grid
            spin(app, lambda g=grid: len(g.tiles) == ITEMS and not runner.busy)
            grid.cache.clear()
            tiles = scroll(app, grid.view, args.frames)
            loaded = len(grid.cache.pixmaps)
            for name, f in (("table (anchor)", table), ("grid", tiles)):
                print(
                    f"run {run}: (b) {name}: {args.frames} frames over {f['pixels']:,.0f} px: "
                    f"{f['fps']:.1f} fps, longest frame {f['longest'] * 1000:.1f} ms, "
                    f"p99 {f['p99'] * 1000:.1f} ms, paint median "
                    f"{f['paint_median'] * 1000:.2f} ms, max {f['paint_max'] * 1000:.1f} ms"
                )
            print(
                f"run {run}: grid/table fps ratio {tiles['fps'] / table['fps']:.2f}, "
                f"longest frame ratio {tiles['longest'] / table['longest']:.2f}; "
                f"{loaded} thumbnails decoded during the scroll"
            )
            spin(app, lambda: not runner.busy)
        window._closing = True
        window.close()
    finally:
        runner.wait()
        session.close()


if __name__ == "__main__":
    main()
