"""Loading a watchlist's gallery (``matching.watchlists.load_watchlist_rows``: every reference
embedding read for a search) from an agency server, where the embeddings are sealed, against
the same load from a local vault, in the same run (issue 12 item 2: sealing must not make the
gallery load collapse).

    uv run python benchmarks/bench_gallery_server.py [--references N] [--runs R]

Starts a trial server (PostgreSQL 18 behind pgbouncer's TLS, SeaweedFS S3) on the same cores,
makes a watchlist of N synthetic references (default 20,000: N/4 subjects x 4) in a local vault
and in an agency vault (rows inserted as ``server push`` does: sealed by
``vault.sealing.insert_params``), then times the load R times each (alternating; best and all
printed) and, in-process, the opening of the N sealed embeddings alone. No target: the ratio
server / local and the load average are printed. The machine is shared: say the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import numpy as np  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from matching.detect import MODEL_VERSION  # noqa: E402
from matching.faces import MODEL_NAME  # noqa: E402
from matching.models import Reference, Subject, Watchlist  # noqa: E402
from matching.watchlists import create_watchlist, load_watchlist_rows  # noqa: E402
from service.opener import init_vault  # noqa: E402
from vault import sealing  # noqa: E402
from vault.keys import KdfParams  # noqa: E402
from vault.models import Blob  # noqa: E402
from vault.session import Session, now  # noqa: E402


def fill(session: Session, n: int) -> None:
    """``n`` references of random unit vectors in watchlist ``bench``, sealed on a server."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((n, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    create_watchlist(session, "bench")
    blob = "0" * 64
    at = now()
    with session.transaction() as db:
        wl_id = db.scalar(select(Watchlist.id))
        rows = [{"name": blob, "sha256": blob, "size": 1}]
        db.execute(insert(Blob.__table__), sealing.insert_params(db, Blob, rows) or rows)
        subjects = [
            {"id": i + 1, "watchlist_id": wl_id, "ref": f"S-{i:07d}", "reason": "benchmark",
             "agency": "bench", "label": "TLP:AMBER", "review_on": "2030-01-01",
             "expires_on": None, "created_by": "bench", "created_at": at}
            for i in range(n // 4)
        ]  # fmt: skip
        sealed = sealing.insert_params(db, Subject, subjects) or subjects
        db.execute(insert(Subject.__table__), sealed)
    for start in range(0, n, 5_000):
        with session.transaction() as db:
            refs = [
                {"id": r + 1, "subject_id": r // 4 + 1, "photo_blob": blob, "crop_blob": blob,
                 "source": f"ref_{r:07d}.jpg", "embedding": vectors[r].tobytes(),
                 "model": MODEL_NAME, "model_version": MODEL_VERSION,
                 "quality": json.dumps({"sharpness": 100.0}), "created_at": at}
                for r in range(start, min(n, start + 5_000))
            ]  # fmt: skip
            sealed = sealing.insert_params(db, Reference, refs) or refs
            db.execute(insert(Reference.__table__), sealed)
    if sealing.seals(session.engine):
        with session.engine.begin() as conn:
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('references', 'id'), {n})")


def load(session: Session) -> float:
    with session.db() as db:
        wl = db.scalars(select(Watchlist)).one()
        start = time.perf_counter()
        rows = load_watchlist_rows(db, wl)
        took = time.perf_counter() - start
    assert len(rows.reference_ids) > 0
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--references", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from serverkit import TrialServer

    from vault.server import trial
    from vault.server.base import free_port_base

    work = Path(tempfile.mkdtemp(prefix="custos-bench-gsrv-"))
    os.chmod(work, 0o711)
    os.environ["CUSTOS_CACHE_DIR"] = str(work / "cache")
    kdf = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)
    print(f"load average at start: {os.getloadavg()} (2 cores)")
    connection, _ = trial.up(work / "s", free_port_base())
    try:
        server = TrialServer(work / "s", connection)
        place = server.new_place()
        sessions = {
            "local": init_vault(work / "vault", "bench", "correct horse battery", kdf=kdf)[0],
            "server": init_vault(place, "bench", "correct horse battery", kdf=kdf)[0],
        }
        for s in sessions.values():
            fill(s, args.references)
        times: dict[str, list[float]] = {k: [] for k in sessions}
        for r in range(args.runs):
            for name in sessions if r % 2 == 0 else reversed(list(sessions)):
                times[name].append(load(sessions[name]))
        # the opening alone: every sealed embedding of the server's rows, in-process
        with sessions["server"].db() as db:
            conn = db.connection()
            stored = conn.exec_driver_sql('SELECT id, embedding FROM "references"').all()
            opened = sealing.column_opener(db, Reference.embedding)
        assert opened is not None
        start = time.perf_counter()
        for row, value in stored:
            opened(row, value)
        opening = time.perf_counter() - start
        for s in sessions.values():
            s.close()
        server.drop_place(place)
    finally:
        trial.down(work / "s")
        shutil.rmtree(work, ignore_errors=True)
    n = args.references
    best = {k: min(v) for k, v in times.items()}
    print(f"gallery load of {n:,} references: local {best['local']:.3f} s, server (sealed) "
          f"{best['server']:.3f} s, ratio {best['server'] / best['local']:.2f}x; "
          f"all runs {json.dumps(times)}")  # fmt: skip
    print(f"opening {n:,} sealed embeddings alone: {opening:.3f} s "
          f"({opening / n * 1e6:.1f} us each)")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
