"""How long the GUI thread stalls while a verify runs as a job in the real window.

    uv run python benchmarks/bench_gui_stall.py [--data DIR] [--anchor-seconds S] [--runs N]

In one process: the real ``MainWindow`` (offscreen Qt) on a vault of 10,000 small items (the
vault of ``bench_desktop.py``, built once under ``--data``). A ``QTimer`` on the GUI thread ticks
every 10 ms and notes how late each tick is; meanwhile the Cases page reloads its list every
50 ms (``list_cases`` through the runner, as F5 would), and every 100 ms the sidebar switches
between Cases and Audit (the status bar, the table, the paint).

* ``anchor``: the same timer and reloads for ``--anchor-seconds`` with no job running;
* ``verify``: the Admin page's verify job (``vault.verify.VerifyJob`` on the runner) from start
  to its report.

Printed per phase: the longest GUI-thread stall (a tick's lateness), the 99th percentile, ticks,
and how long the Cases list took to answer (worst and median). The list answers late while the
verify holds the session's database lock (reads wait for it on their worker); the GUI thread
does not wait. Target: longest stall < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 10
RELOAD_MS = 50
SWITCH_MS = 100
TARGET = 0.100


class Meter:
    """A 10 ms timer's lateness, Cases-list reload latencies, page switches: one phase."""

    def __init__(self, window, cases) -> None:
        from PySide6.QtCore import QTimer

        self.window, self.cases = window, cases
        self.late: list[float] = []
        self.when: list[float] = []  # seconds since the phase started, per tick
        self.answers: list[float] = []
        self._last = 0.0
        self._asked: float | None = None
        self.tick = QTimer()
        self.tick.setInterval(TICK_MS)
        self.tick.timeout.connect(self._tick)
        self.reload = QTimer()
        self.reload.setInterval(RELOAD_MS)
        self.reload.timeout.connect(self._reload)
        self.switch = QTimer()
        self.switch.setInterval(SWITCH_MS)
        self.switch.timeout.connect(self._switch)
        cases.model.modelReset.connect(self._answered)

    def start(self) -> None:
        self.late.clear()
        self.when.clear()
        self.answers.clear()
        self._asked = None
        self._last = self._start = time.perf_counter()
        for t in (self.tick, self.reload, self.switch):
            t.start()

    def stop(self) -> None:
        for t in (self.tick, self.reload, self.switch):
            t.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, now - self._last - TICK_MS / 1000))
        self.when.append(now - self._start)
        self._last = now

    def _reload(self) -> None:
        if self._asked is None:  # one list in flight at a time, as a person pressing F5
            self._asked = time.perf_counter()
            self.cases.refresh()

    def _answered(self) -> None:
        if self._asked is not None:
            self.answers.append(time.perf_counter() - self._asked)
            self._asked = None

    def _switch(self) -> None:
        keys = ("cases", "audit")
        current = self.window.current_page()
        now = next((k for k, p in self.window.pages.items() if p is current), "cases")
        self.window.show_area(keys[(keys.index(now) + 1) % 2] if now in keys else "cases")

    def summary(self) -> dict[str, float]:
        late = sorted(self.late)
        pending = time.perf_counter() - self._asked if self._asked is not None else 0.0
        answers = self.answers or [0.0]
        worst = sorted(zip(self.late, self.when, strict=True), reverse=True)[:3]
        self.worst = ", ".join(f"{ms * 1000:.0f} ms at {at:.2f} s" for ms, at in worst)
        return {
            "max": late[-1] if late else 0.0,
            "p99": late[int(0.99 * (len(late) - 1))] if late else 0.0,
            "ticks": len(late),
            "reloads": len(self.answers),
            "answer_max": max(max(answers), pending),
            "answer_median": statistics.median(answers),
        }


def measure(vault: Path, anchor_seconds: float, runs: int) -> list[tuple[str, dict[str, float]]]:
    from bench_desktop import PASSWORD, USER
    from PySide6.QtWidgets import QApplication

    from desktop.app import make_app
    from desktop.jobs import JobRunner
    from desktop.mainwindow import MainWindow
    from desktop.pages.admin import start_verify
    from service.opener import unlock

    app = make_app([])
    session = unlock(vault, USER, PASSWORD)
    runner = JobRunner()
    results = []
    try:
        window = MainWindow(session, runner)
        window.show()
        admin = window.show_area("admin")
        window.show_area("audit")
        cases = window.show_area("cases")

        def spin(until) -> None:
            while not until():
                QApplication.processEvents()
                time.sleep(0.001)

        spin(lambda: not runner.busy)
        meter = Meter(window, cases)
        for run in range(1, runs + 1):
            meter.start()
            end = time.perf_counter() + anchor_seconds
            spin(lambda end=end: time.perf_counter() >= end)
            meter.stop()
            results.append((f"anchor (no job), run {run}", meter.summary()))
            print(f"anchor run {run}: worst stalls {meter.worst}", file=sys.stderr)
            spin(lambda: not runner.busy)

            meter.start()
            started = time.perf_counter()
            dialog = start_verify(admin)
            spin(lambda d=dialog: not d.bridge.running)
            took = time.perf_counter() - started
            meter.stop()
            report = dialog.bridge.result
            summary = meter.summary()
            summary["verify_s"] = took
            print(
                f"verify run {run}: worst stalls {meter.worst} (took {took:.2f} s)", file=sys.stderr
            )
            assert report is not None and report.ok, dialog.bridge.error or report.problems
            assert report.items >= 10_000, report.items
            results.append((f"verify {report.items} items, run {run}", summary))
            spin(lambda: not runner.busy)
            if admin.report is not None:
                admin.report.close()
        window._closing = True
        window.close()
        assert app is not None
        return results
    finally:
        runner.wait()
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-desktop"))
    parser.add_argument("--anchor-seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    from bench_desktop import build_vault

    vault = build_vault(args.data)
    results = measure(vault, args.anchor_seconds, args.runs)
    print(
        "| phase | longest GUI stall | p99 stall | ticks | Cases reloads | list answer "
        "worst / median | verify took | result |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, s in results:
        verdict = "pass" if s["max"] < TARGET else "FAIL"
        took = f"{s['verify_s']:.2f} s" if "verify_s" in s else "-"
        print(
            f"| {name} | {s['max'] * 1000:.1f} ms | {s['p99'] * 1000:.1f} ms | {s['ticks']:.0f} "
            f"| {s['reloads']:.0f} | {s['answer_max'] * 1000:.0f} / "
            f"{s['answer_median'] * 1000:.0f} ms | {took} | {verdict} (< 100 ms) |"
        )
    load = os.getloadavg()[0]
    print(f"\n{os.cpu_count()} CPUs, load {load:.1f}; tick {TICK_MS} ms, reload {RELOAD_MS} ms")


if __name__ == "__main__":
    main()
