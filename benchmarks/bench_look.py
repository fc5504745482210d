"""What the look costs (issue 14, item 6): icons and columns sized to their content.

    uv run python benchmarks/bench_look.py [--runs N] [--data DIR]

Each run starts two fresh processes on the 10,000-item vault of ``bench_desktop.py`` (built once
under ``--data``): ``look`` is the desktop as shipped; ``plain``, the anchor, is the same code
with the icons replaced by empty ones and the column sizing switched off (what the desktop did
before). Both, as a user meets them:

* ``window``: the main window made, shown and painted after sign-in (qtawesome imported
  beforehand, as the login dialog does while the password is typed);
* ``switch``: in Evidence, from a one-item case back to the 10,000-item case (items read,
  table reset and sized, window painted), median of three.

Prints both, their ratio, and the ranges over the runs (the machine may be busy: run it again).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

CHILD = """
import json, sys, time
sys.path[:0] = [{repo!r}, {bench!r}]
from pathlib import Path
import bench_desktop as b
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication
from desktop.app import make_app
from desktop.jobs import JobRunner
from service.opener import unlock
if {plain!r}:
    import desktop.icons as icons
    import desktop.tablemodel as tm
    icons.icon = lambda name: QIcon()
    icons.kind_icon = lambda kind: QIcon()
    tm._ColumnSizer.fit = lambda self, *a: None
app = make_app([])
session = unlock(Path({vault!r}), b.USER, b.PASSWORD)
runner = JobRunner()
from desktop.icons import preload
preload()
import desktop.pages.cases, desktop.pages.evidence  # noqa: E401 (modules, not the work timed)
if {plain!r}:
    desktop.pages.evidence.kind_icon = lambda kind: QIcon()
from desktop.mainwindow import MainWindow
start = time.perf_counter()
window = MainWindow(session, runner)
window.show()
window.repaint()
QApplication.processEvents()
opened = time.perf_counter() - start
page = window.show_area("evidence")
shown = []
page.items_loaded.connect(shown.append)
def switch(case):
    shown.clear()
    t = time.perf_counter()
    page.show_case(case)
    while case not in shown:
        QApplication.processEvents()
        time.sleep(0.0005)
    window.repaint()
    QApplication.processEvents()
    return time.perf_counter() - t
switch(b.SMALL_CASE)
switch(b.BIG_CASE)
again = []
for _ in range(3):
    switch(b.SMALL_CASE)
    again.append(switch(b.BIG_CASE))
runner.wait()
session.close()
print(json.dumps({{"window": opened, "switch": sorted(again)[1]}}))
"""


def child(vault: Path, plain: bool) -> dict[str, float]:
    code = CHILD.format(
        repo=str(REPO), bench=str(REPO / "benchmarks"), plain=plain, vault=str(vault)
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-desktop"))
    args = parser.parse_args()
    from bench_desktop import build_vault

    args.data.mkdir(parents=True, exist_ok=True)
    vault = build_vault(args.data)
    look: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    for _ in range(args.runs):  # alternate, so that the machine's load falls on both alike
        look.append(child(vault, plain=False))
        plain.append(child(vault, plain=True))
    print(f"load {os.getloadavg()[0]:.1f}, {args.runs} runs")
    print("| figure | look (median, range) | plain anchor (median, range) | ratio |")
    print("|---|---|---|---|")
    for key, name in (("window", "main window after sign-in"), ("switch", "10,000-item switch")):
        a = [r[key] for r in look]
        b = [r[key] for r in plain]
        ma, mb = statistics.median(a), statistics.median(b)
        print(
            f"| {name} | {ma:.3f} s ({min(a):.3f}-{max(a):.3f}) "
            f"| {mb:.3f} s ({min(b):.3f}-{max(b):.3f}) | {ma / mb:.2f}x |"
        )


if __name__ == "__main__":
    main()
