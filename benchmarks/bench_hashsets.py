"""Hash-set speed and memory against their anchors, timed in the same run (issue 11).

    uv run python benchmarks/bench_hashsets.py [--entries N] [--files N] [--runs N] [--data DIR]

Figures (Custos, anchor, ratio, target):

* ``import-10m``: ``ImportJob`` of a plain list of 10,000,000 random SHA-256 digests (one per
  line, 650 MB) into a fresh vault: read, check every line, sort, store in SQLCipher and commit;
  target <= 60 s. Anchor for scale: ``LC_ALL=C sort -u`` of the same file to /dev/null (what a
  command-line analyst does to prepare a list), not a target.
* ``lookup memory``: the lookup structure is the database's primary-key B-tree
  (``hashset_entries``, WITHOUT ROWID), so lookups hold no per-entry memory: what the process
  holds is SQLCipher's page cache (bounded, not per entry). Printed: RSS growth of the process
  from before the import to after 100 lookups of 500 items, per entry (target <= 32 bytes), the
  database bytes per entry on disk, and one batch lookup's time.
* ``ingest-10k-set``: ``IngestJob`` of 10,000 files of 4 KiB into a fresh case of a vault whose
  10M-entry set is active vs the same ingest into a vault without sets; target <= 1.10x. Best of
  ``--runs``, alternating.

* ``--server``: the same import and lookups into a vault on a trial server (PostgreSQL 18
  behind pgbouncer's TLS, SeaweedFS; started on the same cores), against the same into a local
  vault, alternating, best of ``--runs``: the hash-set entries are sealed there
  (``vault.sealing.SealedDigest``: AES-SIV of every digest at import, of every looked-up key).
  Ratios server/local, no target (issue 12 asks that sealing keep import and lookup speed).

Random data generated once into the data folder (default ``/tmp/custos-bench-hashsets``);
``sync`` before every timed run. Not part of the test suite: no timing lives in tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vault import (
    Figure,
    Scratch,
    best,
    log,
    new_vault,
    random_folder,
    timed,
    warm,
)

from matching.hashhits import active_sets, look_up
from matching.hashsets import ImportJob
from vault.cases import create_case
from vault.ingest import IngestJob
from vault.jobs import ignore
from vault.schema import Acquired

HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def digest_list(path: Path, count: int) -> None:
    """``count`` random SHA-256 digests in hex, one per line (made once, in 1M-line chunks)."""
    if path.exists() and path.stat().st_size == count * 65:
        return
    log(f"generating {path} ({count:,} SHA-256 lines)")
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as fh:
        for start in range(0, count, 1_000_000):
            n = min(1_000_000, count - start)
            raw = np.frombuffer(os.urandom(32 * n), dtype=np.uint8).reshape(n, 32)
            text = np.empty((n, 65), dtype=np.uint8)
            text[:, 0:64:2] = HEX[raw >> 4]
            text[:, 1:64:2] = HEX[raw & 15]
            text[:, 64] = ord("\n")
            fh.write(text.tobytes())
    tmp.replace(path)


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def sort_anchor(path: Path) -> float:
    env = {**os.environ, "LC_ALL": "C"}

    def call() -> None:
        subprocess.run(["sort", "-u", "-o", "/dev/null", str(path)], check=True, env=env)

    return timed(call)


def import_figures(scratch: Scratch, listing: Path, entries: int) -> tuple[list[Figure], Path]:
    folder = scratch.new("vault-set")
    session, _ = new_vault(folder)
    try:
        warm(listing)
        before_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        job = ImportJob(session, listing, "bench-10m", "known-bad", "plain", "benchmark")
        took = timed(lambda: job.run(ignore))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        log(f"  custos import: {took:.2f} s (peak RSS {peak / 2**20:.0f} MiB)")
        anchor = sort_anchor(listing)
        log(f"  sort -u: {anchor:.2f} s")
    finally:
        session.close()
    # Lookups in a new session (what a later ingest sees): 100 batches of 500 items (SHA-256,
    # SHA-1, MD5 each), a tenth of them in the set. Memory: RSS growth over those lookups.
    from service.opener import unlock

    with listing.open("rb") as fh:
        known = [fh.readline().strip().decode() for _ in range(5_000)]
    batches = []
    for b in range(100):
        batch = []
        for i in range(500):
            sha = known[b * 50 + i] if i < 50 else os.urandom(32).hex()
            batch.append(Acquired(i, 1, sha, os.urandom(20).hex(), os.urandom(16).hex()))
        batches.append(batch)
    session = unlock(folder, "bench", "bench-password-1")
    try:
        before_lookups = rss()
        hits = 0
        start = time.perf_counter()
        with session.db() as db:
            sets = active_sets(db)
            for batch in batches:
                hits += len(look_up(db, sets, batch))
        per_batch = (time.perf_counter() - start) / len(batches)
        assert hits == 100 * 50, hits
        grown = max(0, rss() - before_lookups)
        db_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.name.startswith("custos.db"))
        log(
            f"  lookup: {per_batch * 1000:.2f} ms per batch of 500 items; RSS growth "
            f"{grown / 2**20:.1f} MiB; database {db_bytes / entries:.1f} bytes/entry on disk"
        )
    finally:
        session.close()
    figures = [
        Figure("hash set import, 10M SHA-256 (s)", took, None, "-", 60.0),
        Figure("lookup memory (bytes/entry)", grown / entries, None, "-", 32.0, unit="B"),
        Figure("lookup, 500 items x 3 digests", per_batch * 1000, None, "-", 0.0, unit="ms"),
    ]
    figures[-1].informative = True
    log(
        f"  import {took:.2f} s vs sort -u {anchor:.2f} s (ratio {took / anchor:.2f}x, for scale); "
        f"import peak RSS {(peak - before_peak) / entries:.0f} bytes/entry above the start"
    )
    return figures, folder


def ingest_figure(scratch: Scratch, with_set: Path, files: Path, runs: int) -> Figure:
    from service.opener import unlock

    plain_folder = scratch.new("vault-noset")
    plain, _ = new_vault(plain_folder)
    plain.close()
    counter = iter(range(1_000_000))

    def contender(folder: Path) -> Callable[[], Callable[[], object]]:
        def setup() -> Callable[[], object]:
            session = unlock(folder, "bench", "bench-password-1")
            ref = f"RUN-{next(counter)}"
            create_case(session, ref, "run")

            def call() -> None:
                result = IngestJob(session, ref, [files]).run(ignore)
                assert len(result.saved) + len(result.skipped) > 0

            call.cleanup = session.close  # type: ignore[attr-defined]
            return call

        return setup

    times = best(runs, {"with set": contender(with_set), "no set": contender(plain_folder)})
    return Figure(
        "ingest 10,000 x 4 KiB, 10M set active (s)",
        times["with set"],
        times["no set"],
        "same ingest, no set",
        1.10,
    )


def _lookup_batches(listing: Path) -> list[list[Acquired]]:
    """100 batches of 500 items (SHA-256, SHA-1, MD5 each), a tenth of them in the set."""
    with listing.open("rb") as fh:
        known = [fh.readline().strip().decode() for _ in range(5_000)]
    batches = []
    for b in range(100):
        batch = []
        for i in range(500):
            sha = known[b * 50 + i] if i < 50 else os.urandom(32).hex()
            batch.append(Acquired(i, 1, sha, os.urandom(20).hex(), os.urandom(16).hex()))
        batches.append(batch)
    return batches


def server_figures(scratch: Scratch, listing: Path, runs: int) -> list[Figure]:
    """Import and lookups on a trial server against the same on a local vault (same run)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from serverkit import TrialServer

    from service.opener import init_vault
    from vault.sealing import DigestSealer
    from vault.server import trial
    from vault.server.base import free_port_base

    batches = _lookup_batches(listing)
    folder = scratch.new("server") / "s"
    os.environ["CUSTOS_CACHE_DIR"] = str(scratch.new("cache"))
    connection, _ = trial.up(folder, free_port_base())
    server = TrialServer(folder, connection)
    lookups: dict[str, list[float]] = {"local": [], "server": [], "server-unsealed": []}
    sealed = (DigestSealer.seal, DigestSealer.seal_all, DigestSealer.open)

    def unsealed(on: bool) -> None:
        """The entries' keys stored plain on the server (what this branch replaced): the cost
        of sealing them, measured, not a mode of Custos."""
        if on:
            DigestSealer.seal = lambda self, key: key  # type: ignore[method-assign]
            DigestSealer.seal_all = lambda self, code, ds: [bytes((code,)) + d for d in ds]  # type: ignore[method-assign]
            DigestSealer.open = lambda self, stored: bytes(stored)  # type: ignore[method-assign]
        else:
            DigestSealer.seal, DigestSealer.seal_all, DigestSealer.open = sealed  # type: ignore[method-assign]

    try:

        def contender(name: str) -> Callable[[], Callable[[], object]]:
            def setup() -> Callable[[], object]:
                on_server = name.startswith("server")
                place = server.new_place() if on_server else scratch.new("v") / "vault"
                session, _ = init_vault(place, "bench", "bench-password-1")
                unsealed(name == "server-unsealed")

                def call() -> None:
                    job = ImportJob(session, listing, "bench", "known-bad", "plain", "benchmark")
                    job.run(ignore)

                def cleanup() -> None:
                    start = time.perf_counter()
                    with session.db() as db:
                        sets = active_sets(db)
                        hits = sum(len(look_up(db, sets, batch)) for batch in batches)
                    lookups[name].append((time.perf_counter() - start) / len(batches))
                    assert hits == 100 * 50, hits
                    unsealed(False)
                    session.close()
                    if on_server:
                        server.drop_place(place)  # type: ignore[arg-type]

                call.cleanup = cleanup  # type: ignore[attr-defined]
                return call

            return setup

        times = best(runs, {name: contender(name) for name in lookups})
    finally:
        trial.down(folder)
    log(f"  lookups per batch of 500 (s): {lookups}")
    return [
        Figure("hash set import on the server, sealed (s)", times["server"],
               times["server-unsealed"], "same import, keys plain on the server", 0.0),
        Figure("lookup on the server, sealed (ms)", min(lookups["server"]) * 1000,
               min(lookups["server-unsealed"]) * 1000, "keys plain on the server", 0.0, unit="ms"),
        Figure("hash set import on the server (s)", times["server"], times["local"],
               "same import, local vault", 0.0),
        Figure("lookup on the server, 500 items x 3 (ms)", min(lookups["server"]) * 1000,
               min(lookups["local"]) * 1000, "same lookups, local vault", 0.0, unit="ms"),
    ]  # fmt: skip


def _row(f: Figure) -> str:
    if f.unit == "s":
        return f.row()
    return (
        f"| {f.name} | {f.custos:.2f} {f.unit} | - | - | - | "
        f"{f.target_text()} | {f.result_text()} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-hashsets"))
    parser.add_argument("--server", action="store_true", help="import and lookups on a server")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    listing = args.data / f"sha256-{args.entries}.txt"
    digest_list(listing, args.entries)
    if args.server:
        scratch = Scratch(args.data / "scratch")
        log(f"load average {os.getloadavg()}")
        for f in server_figures(scratch, listing, args.runs):
            log(f"  {f.name}: {f.custos:.3f} vs {f.anchor:.3f} ({f.custos / f.anchor:.2f}x)")
        log(f"load average {os.getloadavg()}")
        shutil.rmtree(scratch.root, ignore_errors=True)
        return
    files = args.data / f"files-{args.files}"
    random_folder(files, args.files, 4096)
    warm(files)
    scratch = Scratch(args.data / "scratch")
    figures, with_set = import_figures(scratch, listing, args.entries)
    figures.append(ingest_figure(scratch, with_set, files, args.runs))
    print("| figure | Custos | anchor | anchor value | ratio | target | result |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        print(_row(f))
    shutil.rmtree(scratch.root, ignore_errors=True)
    if not all(f.ok for f in figures):
        sys.exit(1)


if __name__ == "__main__":
    main()
