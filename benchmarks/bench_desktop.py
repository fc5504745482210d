"""Desktop speed against its targets (issue 5).

    uv run python benchmarks/bench_desktop.py [--runs N] [--data DIR] [--no-write]

Figures (best of N; the median is printed too):

* ``cold-start``: a fresh ``python`` process (offscreen Qt) from spawn to the sign-in window shown
  and one turn of the event loop done, on an existing vault; target <= 1.5 s. Also through the
  CLI's entry point first, as ``custos gui`` starts (command modules load only on first use).
* ``switch-10k``: in the Evidence page, selecting a case of 10,000 items until the table shows them
  (core ``list_items`` + model reset + layout/paint), switching from a one-item case; target
  <= 300 ms. The vault (10,000 files of 1 KiB via ``IngestJob``) is built once under ``--data``.

Appends its table under "## Desktop (issue 5)" in docs/PERFORMANCE.md (unless ``--no-write``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

USER = "bench"
PASSWORD = "bench-password-1"
BIG_CASE = "BENCH-10K"
SMALL_CASE = "BENCH-1"
ITEMS = 10_000

PROBE = """
import sys, time
{prelude}
sys.argv = ["custos"]
from desktop.app import make_app, vault_folder
app = make_app([])
from desktop.controller import Controller
from PySide6.QtCore import QTimer
c = Controller(vault_folder({vault!r}))
c.start()
def ready():
    print("visible" if c.dialog.isVisible() else "hidden", flush=True)
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build_vault(data: Path) -> Path:
    """A vault with a 10,000-item case and a one-item case (kept between runs)."""
    folder = data / "vault-10k"
    if (folder / ".complete").exists():
        return folder
    import shutil

    from service.opener import init_vault
    from vault.cases import create_case
    from vault.ingest import IngestJob
    from vault.jobs import ignore
    from vault.keys import KdfParams

    shutil.rmtree(folder, ignore_errors=True)
    files = data / "files-10k"
    if not (files / ".complete").exists():
        log(f"generating {ITEMS} files in {files}")
        for i in range(ITEMS):
            sub = files / f"d{i // 500:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"photo-{i:05d}.jpg").write_bytes(os.urandom(1024))
        (files / ".complete").touch()
    log(f"building {folder} (ingest of {ITEMS} files)")
    kdf = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)  # unlock speed is not measured
    session, _ = init_vault(folder, USER, PASSWORD, kdf=kdf)
    try:
        create_case(session, BIG_CASE, "Ten thousand photos", ["fraud"])
        create_case(session, SMALL_CASE, "One photo", ["fraud"])
        dirs = sorted(p for p in files.iterdir() if p.is_dir())
        IngestJob(session, BIG_CASE, dirs).run(ignore)
        IngestJob(session, SMALL_CASE, [next(dirs[0].iterdir())]).run(ignore)
    finally:
        session.close()
    (folder / ".complete").touch()
    return folder


def _child_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(vault: Path, runs: int, prelude: str = "") -> list[float]:
    """Wall times from spawn to the sign-in window shown (``prelude`` runs first).

    The time stops when the child reports the window shown (after one event-loop turn), not
    when it exits: on exit it still waits for the core it started loading in the background.
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app_times = []
    for _ in range(runs):
        start = time.perf_counter()
        with subprocess.Popen(
            [sys.executable, "-c", PROBE.format(vault=str(vault), prelude=prelude)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=REPO,
        ) as child:
            assert child.stdout is not None
            line = child.stdout.readline().strip()
            app_times.append(time.perf_counter() - start)
            child.wait()
        assert line == "visible", line
    return app_times


def switch_case(vault: Path, runs: int) -> tuple[list[float], list[float], int]:
    """(first switches in a fresh window, switches back to an unchanged case, rows shown)."""
    from PySide6.QtWidgets import QApplication

    from desktop.app import make_app
    from desktop.jobs import JobRunner
    from desktop.mainwindow import MainWindow
    from service.opener import unlock

    app = make_app([])
    session = unlock(vault, USER, PASSWORD)
    first, again = [], []
    try:
        runner = JobRunner()
        for _ in range(runs):
            window = MainWindow(session, runner)
            window.show()
            page = window.show_area("evidence")
            shown: list[str] = []
            page.items_loaded.connect(shown.append)

            def switch(case: str, page=page, window=window, shown=shown) -> float:
                shown.clear()
                start = time.perf_counter()
                page.show_case(case)
                while case not in shown:
                    QApplication.processEvents()
                    time.sleep(0.0005)
                window.repaint()  # lay out and paint the visible rows now
                QApplication.processEvents()
                return time.perf_counter() - start

            switch(SMALL_CASE)
            first.append(switch(BIG_CASE))
            switch(SMALL_CASE)
            again.append(switch(BIG_CASE))
            rows = page.proxy.rowCount()
            window._closing = True
            window.close()
            window.deleteLater()
        assert app is not None
        return first, again, rows
    finally:
        runner.wait()
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-desktop"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    vault = build_vault(args.data)
    log("timing cold start")
    app_t = cold_start(vault, args.runs)
    # ``custos gui`` goes through the CLI's entry point first (command modules load lazily)
    cli_t = cold_start(vault, args.runs, "import cli.main")
    log("timing case switch")
    first_t, again_t, rows = switch_case(vault, args.runs)
    assert rows == ITEMS, rows
    figures = [
        ("cold start to the sign-in window", min(app_t), statistics.median(app_t), 1.5),
        ("  the same through `custos gui`", min(cli_t), statistics.median(cli_t), 1.5),
        (
            "switch to a 10,000-item case (first time)",
            min(first_t),
            statistics.median(first_t),
            0.3,
        ),
        ("switch back to it (vault unchanged)", min(again_t), statistics.median(again_t), 0.3),
    ]
    lines = [
        "| figure | best | median | target | ratio (best/target) | result |",
        "|---|---|---|---|---|---|",
    ]
    for name, best, median, target in figures:
        verdict = "pass" if best <= target else "FAIL"
        lines.append(
            f"| {name} | {best:.3f} s | {median:.3f} s | <= {target:g} s "
            f"| {best / target:.2f} | {verdict} |"
        )
    note = (
        "The first figure is `python -m desktop.app`; `custos gui` (what `scripts/start` runs) "
        "adds the CLI's entry point, which loads command modules only on first use. The first "
        "switch is mostly the core's `vault.items.list_items` (plain column rows); the GUI's "
        "part (model reset, sort, paint) is ~50-80 ms."
    )
    load = os.getloadavg()[0]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {load:.1f}, Python "
    machine += platform.python_version()
    table = "\n".join(lines)
    print(table)
    print(note)
    if not args.no_write:
        perf = REPO / "docs" / "PERFORMANCE.md"
        perf.parent.mkdir(exist_ok=True)
        text = perf.read_text() if perf.exists() else "# Performance\n"
        section = (
            f"\n## Desktop (issue 5)\n\nMeasured {stamp} on {machine} with "
            f"`uv run python benchmarks/bench_desktop.py` (best of {args.runs}, offscreen Qt).\n\n"
            f"{table}\n\n{note}\n"
        )
        if "\n## Desktop (issue 5)" in text:  # replace our section, keep the others
            head, _, rest = text.partition("\n## Desktop (issue 5)")
            tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
            text = head + tail
        perf.write_text(text.rstrip("\n") + "\n" + section)
        log(f"updated {perf}")


if __name__ == "__main__":
    main()
