"""PDQ perceptual hashes (issue 11): hashing cost against decoding, and near-duplicate search.

    uv run python benchmarks/bench_pdq.py [--hashes 1000000] [--queries 200] [--runs 40]

1. A 2 MP JPEG (``../shared/faces/more/obama-1080p.jpg``, 1920x1080): ``matching.pdq.hash_image``
   from the file's bytes (Y plane at reduced scale, 512 px, PDQ) against decoding the same
   bytes with ``cv2.imdecode`` (the anchor), interleaved in one run, medians; target <= 1.2x.
   Also shown: the reference PDQ over the full-resolution pixels (the cost without reduction).
2. Near-duplicate search over ``--hashes`` random PDQ hashes with 3 planted copies per query at
   Hamming distances 1-31: ``matching.pdq.HashIndex.within`` one query at a time and in one batch
   (ms per query, target <= 20 ms), recall of the planted copies at distance 31, against a numpy
   popcount brute force (the anchor, same run; its answers are compared with the index's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from matching.images import load_rgb  # noqa: E402
from matching.pdq import (  # noqa: E402
    MATCH_DISTANCE,
    HashIndex,
    brute_force_within,
    hash_image,
)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_hash(path: Path, runs: int) -> None:
    import pdqhash

    data = path.read_bytes()
    buf = np.frombuffer(data, np.uint8)
    full = load_rgb(data)
    h, w = full.shape[:2]
    print(f"1. PDQ of {path.name}: {w}x{h} ({w * h / 1e6:.2f} MP), {len(data) / 1e3:.0f} kB JPEG")
    for _ in range(3):  # warm caches and lazy imports
        cv2.imdecode(buf, cv2.IMREAD_COLOR)
        hash_image(data)
    decode, ours, reference = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        cv2.imdecode(buf, cv2.IMREAD_COLOR)
        decode.append(time.perf_counter() - t)
        t = time.perf_counter()
        hash_image(data)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        pdqhash.compute(full)
        reference.append(time.perf_counter() - t)
    d, o, r = _median_ms(decode), _median_ms(ours), _median_ms(reference)
    print(f"   anchor cv2.imdecode (full decode)            {d:7.2f} ms")
    print(f"   Custos hash_image (bytes -> PDQ, all in)     {o:7.2f} ms   ratio {o / d:.2f}x")
    print(f"   reference PDQ on full pixels (decode not in) {r:7.2f} ms   ratio {r / d:.2f}x")
    print(f"   target: Custos <= 1.2x decoding -> {'met' if o / d <= 1.2 else 'NOT met'}")


def _plant(rng: np.random.Generator, query: np.ndarray, flips: int) -> np.ndarray:
    copy = query.copy()
    for bit in rng.choice(256, flips, replace=False):
        copy[bit // 8] ^= np.uint8(1 << (bit % 8))
    return copy


def bench_search(n: int, queries: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    print(f"\n2. Near-duplicate search: {n:,} random PDQ hashes, {queries} queries, distance 31")
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    q = rng.integers(0, 256, (queries, 32), dtype=np.uint8)
    planted: list[set[int]] = []
    for i in range(queries):  # 3 copies of each query, 1-31 bits away, at random rows
        rows = rng.choice(n, 3, replace=False)
        for row in rows:
            hashes[row] = _plant(rng, q[i], int(rng.integers(1, MATCH_DISTANCE + 1)))
        planted.append({int(r) for r in rows})
    t = time.perf_counter()
    index = HashIndex()
    index.add(hashes)
    print(f"   index build (faiss IndexBinaryFlat): {time.perf_counter() - t:.2f} s")
    one: list[float] = []
    answers = []
    for i in range(queries):
        t = time.perf_counter()
        answers.append(index.within(q[i : i + 1], MATCH_DISTANCE)[0])
        one.append(time.perf_counter() - t)
    t = time.perf_counter()
    batch = index.within(q, MATCH_DISTANCE)
    batch_ms = (time.perf_counter() - t) * 1000 / queries
    found = sum(len(planted[i] & set(answers[i][0].tolist())) for i in range(queries))
    recall = found / (3 * queries)
    extra = sum(len(set(answers[i][0].tolist()) - planted[i]) for i in range(queries))
    anchor_n = min(queries, 20)
    brute: list[float] = []
    same = True
    for i in range(anchor_n):
        t = time.perf_counter()
        rows, dists = brute_force_within(hashes, q[i : i + 1], MATCH_DISTANCE)[0]
        brute.append(time.perf_counter() - t)
        got = sorted(zip(answers[i][0].tolist(), answers[i][1].tolist(), strict=True))
        same &= got == sorted(zip(rows.tolist(), dists.tolist(), strict=True))
        same &= sorted(batch[i][0].tolist()) == [r for r, _ in got]
    o, b = _median_ms(one), _median_ms(brute)
    print(
        f"   Custos one query at a time   median {o:6.2f} ms/query (p95 "
        f"{np.percentile(one, 95) * 1000:.2f})"
    )
    print(f"   Custos batch of {queries}          {batch_ms:6.2f} ms/query")
    print(f"   anchor numpy popcount        median {b:6.2f} ms/query ({anchor_n} queries)")
    print(
        f"   recall of planted copies {recall:.4f} ({found}/{3 * queries}); other hits "
        f"{extra}; same answers as brute force: {same}"
    )
    print(f"   target <= 20 ms/query -> {'met' if o <= 20 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    faces = Path(os.environ.get("CUSTOS_FACES", REPO.parent / "shared" / "faces")).resolve()
    print(f"cores {os.cpu_count()}, numpy {np.__version__}, OpenCV {cv2.__version__}")
    bench_hash(faces / "more" / "obama-1080p.jpg", args.runs)
    bench_search(args.hashes, args.queries)


if __name__ == "__main__":
    main()
