"""Timeline of 100,000 items: each zoom step, from years down to seconds and back (issue 14).

    uv run python benchmarks/bench_timeline.py [--items N] [--steps N]

Synthetic items (no vault: the page's axis only sees sorted UTC seconds, kinds and ids, as the
worker's ``load_timeline`` hands them over) spread over ten years, with bursts (1,000 items
within one minute, as a phone's burst or a folder copied at once). Offscreen, at 1200 x 300:
each zoom step (``TimeAxis.zoom`` around a burst, then a synchronous repaint) and the kind
filter (a numpy mask and a repaint). Anchor, from the same run: the same widget repainted with
no items (the axis and its tick labels alone). Target: no step over 100 ms.
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
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=80)
    args = parser.parse_args()
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from desktop.timeaxis import TimeAxis

    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(7)
    start, years = 1.5e9, 10 * 365.25 * 86400
    burst_at = start + years / 2
    spread = rng.uniform(start, start + years, args.items - 1000)
    burst = burst_at + rng.uniform(0, 60, 1000)
    times = np.sort(np.concatenate([spread, burst]))
    ids = np.arange(len(times), dtype=np.int64)
    kinds = rng.integers(0, 3, len(times)).astype(np.int8)
    axis = TimeAxis()
    axis.resize(1200, 300)
    axis.show()
    app.processEvents()

    narrowest: list[float] = []

    def steps_of(n_items: np.ndarray) -> list[float]:
        axis.set_items(n_items, ids[: len(n_items)], kinds[: len(n_items)])
        axis.set_range(start, start + years)
        axis.repaint()
        took = []
        narrowest.append(axis.t1 - axis.t0)
        x = axis.x_of(burst_at)
        for n in range(args.steps):  # in, to seconds; then out again
            factor = 1.6 if n < args.steps // 2 else 1 / 1.6
            t = time.perf_counter()
            axis.zoom(factor, x)
            axis.repaint()
            took.append(time.perf_counter() - t)
            narrowest.append(axis.t1 - axis.t0)
            x = axis.x_of(burst_at)
        return took

    empty = steps_of(np.zeros(0))
    full = steps_of(times)
    t = time.perf_counter()
    keep = kinds == 1
    axis.set_items(times[keep], ids[keep], kinds[keep])
    axis.repaint()
    filtered = time.perf_counter() - t
    span = min(narrowest)

    def ms(v: float) -> str:
        return f"{v * 1000:.1f} ms"

    print(f"items: {len(times):,}, {args.steps} zoom steps x1.6, 10 years to {span:.0f} s")
    print(f"anchor, no items:  median {ms(statistics.median(empty))}, max {ms(max(empty))}")
    print(f"custos, {len(times):,}: median {ms(statistics.median(full))}, max {ms(max(full))}")
    print(f"kind filter (mask + repaint): {ms(filtered)}")
    print("target: every step <= 100 ms:", "met" if max(full) <= 0.1 else "NOT met")


if __name__ == "__main__":
    main()
