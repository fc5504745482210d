"""``vault.jobs.Breather``: a job on a worker thread leaves the GIL to others now and then."""

from __future__ import annotations

import threading
import time

from vault.jobs import Breather


def test_on_the_main_thread_it_never_sleeps(monkeypatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    breathe = Breather(work=0.0, rest=0.5)
    for _ in range(100):
        breathe()
    assert slept == []


def test_on_a_worker_it_rests_after_each_stretch_of_work(monkeypatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    seen: list[list[float]] = []

    def work() -> None:
        breathe = Breather(work=0.002, rest=0.001)
        breathe()  # no work done yet: no rest
        seen.append(list(slept))
        end = time.perf_counter() + 0.0025
        while time.perf_counter() < end:
            pass
        breathe()
        breathe()  # the clock starts again after a rest
        seen.append(list(slept))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [[], [0.001]]
