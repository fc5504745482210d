"""``custos search`` on an agency server: through the server's pgvector table (issue 12 item 3)
against the exact search on the workstation, same vault, same run (a sibling of
``bench_server.py``, whose trial server and helpers it uses).

    uv run python benchmarks/bench_server_search.py [--n 100000] [--runs 3]

Starts a trial server in a temp folder (same 2 cores as the client), makes an agency vault with
a case of real photos (``../shared/faces/knn/test``, faces detected) and a watchlist of a few
real references (``knn/train``), then adds ``--n`` synthetic references (identities fitted to
the real embeddings, 2 per subject, ``bench_matching.synthetic``) through the product's own
writes (subjects and references sealed, each batch's vectors by ``matching.servervectors.write``
in the same transaction; no audit entries: the vault is not verified). ``custos watchlist index``
builds the HNSW index (timed once). Then, alternating, ``--runs`` times each:

* ``server``: ``custos search --case C --watchlist BIG --top 10`` (the default threshold,
  20,000 references: the pgvector shortlist, re-ranked exactly on the workstation);
* ``exact`` (the anchor): the same command with ``CUSTOS_SERVER_SEARCH_MIN`` above the gallery
  (the workstation's exact search).

The exact search loads the watchlist's gallery (every sealed embedding opened, or the
workstation's gallery cache file after the first run); the server search loads neither the
gallery nor the mapping (branch ``pgrerank``): it counts the watchlist on the server, finds the
shortlisted ids' references by the mapping's blind index and re-ranks against those subjects'
sealed embeddings read by id. The candidates of the two are compared (they must be equal).
Each pair is timed twice, as it comes and with ``PYTHONDONTWRITEBYTECODE=1`` (the commands
write no ``.pyc``, as ``bench_server.py --no-bytecode`` runs them). The load average is
printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))

from bench_matching import synthetic  # noqa: E402
from bench_server import server_env  # noqa: E402
from bench_vault import CASE, CUSTOS, PASSWORD, USER, best, log, warm_cli  # noqa: E402
from serverkit import TrialServer  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from matching import servervectors  # noqa: E402
from matching.casefaces import DetectJob  # noqa: E402
from matching.models import FaceRecord, Reference, Subject  # noqa: E402
from matching.watchlists import Listing, create_watchlist, enrol, find_watchlist  # noqa: E402
from service.opener import init_vault  # noqa: E402
from vault import sealing  # noqa: E402
from vault.cases import create_case  # noqa: E402
from vault.ingest import ingest  # noqa: E402
from vault.jobs import ignore  # noqa: E402
from vault.server import trial  # noqa: E402
from vault.server.base import free_port_base  # noqa: E402
from vault.session import Session, now  # noqa: E402

WATCHLIST = "BIG"
LISTING = Listing("benchmark", "Bench", "TLP:AMBER", "2030-01-01")
BATCH = 5000
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}


def add_synthetic(session: Session, refs: np.ndarray, per: int) -> None:
    """``refs`` as references of new subjects (``per`` each) of the watchlist, written as the
    product writes them on a server: sealed rows, vectors in the same transaction."""
    with session.db() as db:
        wl = find_watchlist(db, WATCHLIST)
        model, version, blob = db.execute(
            select(Reference.model, Reference.model_version, Reference.photo_blob).limit(1)
        ).one()
    at = now()
    for start in range(0, len(refs), BATCH):
        part = refs[start : start + BATCH]
        with session.transaction() as db:
            conn = db.connection()
            subjects = [
                {
                    "watchlist_id": wl.id,
                    "ref": f"S{start // per + i:07d}",
                    "reason": "benchmark",
                    "agency": "Bench",
                    "label": "TLP:AMBER",
                    "review_on": "2030-01-01",
                    "expires_on": None,
                    "created_by": USER,
                    "created_at": at,
                }
                for i in range(len(part) // per)
            ]
            conn.execute(insert(Subject), sealing.insert_params(conn, Subject, subjects))
            rows = [
                {
                    "subject_id": subjects[i // per]["id"],
                    "photo_blob": blob,
                    "crop_blob": blob,
                    "source": "synthetic",
                    "embedding": part[i].tobytes(),
                    "model": model,
                    "model_version": version,
                    "quality": "{}",
                    "created_at": at,
                }
                for i in range(len(part))
            ]
            conn.execute(insert(Reference), sealing.insert_params(conn, Reference, rows))
            servervectors.write(db, [(r["id"], r["embedding"]) for r in rows])
        log(f"  {start + len(part):,} synthetic references written")


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(CUSTOS), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"custos {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--ab-index",
        action="store_true",
        help="also EXPLAIN the coverage count and time the pgvector search with r0014's index "
        "by subject alone in place of r0015's (same server, same run)",
    )
    args = ap.parse_args()
    warm_cli()
    parent = Path(tempfile.mkdtemp(prefix="custos-bsearch-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    cache = parent / "cache"
    os.environ["CUSTOS_CACHE_DIR"] = str(cache)
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    connection, _ = trial.up(folder, free_port_base())
    try:
        place = TrialServer(folder, connection).new_place()
        session, _ = init_vault(place, USER, PASSWORD)
        try:
            create_case(session, CASE, "benchmark")
            ingest(session, CASE, [args.faces / "knn" / "test"])
            DetectJob(session, CASE).run(ignore)
            create_watchlist(session, WATCHLIST)
            for who in sorted(p.name for p in (args.faces / "knn" / "train").iterdir()):
                enrol(
                    session,
                    WATCHLIST,
                    who,
                    LISTING,
                    sorted((args.faces / "knn/train" / who).iterdir()),
                )
            with session.db() as db:
                real = [
                    np.frombuffer(bytes(e), np.float32)
                    for e in db.scalars(select(FaceRecord.embedding))
                ]
                real += [
                    np.frombuffer(bytes(e), np.float32)
                    for e in db.scalars(select(Reference.embedding))
                ]
            per = 2
            refs, _, _ = synthetic(real, args.n // per, per, 0.35)
            log(f"{len(real)} real embeddings; {len(refs):,} synthetic references")
            add_synthetic(session, np.ascontiguousarray(refs, np.float32), per)
        finally:
            session.close()
        env = server_env(place.url, connection, cache)
        t0 = time.perf_counter()
        log(cli(env, "watchlist", "index").strip())
        built = time.perf_counter() - t0
        log(f"watchlist index: {built:.1f} s (load {os.getloadavg()[0]:.2f})")
        search = ["search", "--case", CASE, "--watchlist", WATCHLIST, "--top", "10", "--json"]
        exact_env = {**env, "CUSTOS_SERVER_SEARCH_MIN": str(10**9)}

        def found(e: dict[str, str]) -> list[tuple[object, ...]]:
            cands = json.loads(cli(e, *search))["candidates"]
            return sorted((c["face"], c["subject"], c["rank"], c["distance"]) for c in cands)

        a, b = found(env), found(exact_env)
        log(f"candidates: server {len(a)}, exact {len(b)}, in both {len(set(a) & set(b))}")
        for x in sorted(set(a) ^ set(b)):
            log(f"  only in the {'server' if x in set(a) else 'exact'} search's: {x}")

        def contender(e: dict[str, str]):  # type: ignore[no-untyped-def]
            def setup():  # type: ignore[no-untyped-def]
                return lambda: cli(e, *search)

            return setup

        for label, extra in (("", {}), (" (PYTHONDONTWRITEBYTECODE=1)", NO_BYTECODE)):
            loads = [os.getloadavg()[0]]
            t = best(
                args.runs,
                {"server": contender({**env, **extra}), "exact": contender({**exact_env, **extra})},
            )
            loads.append(os.getloadavg()[0])
            log(
                f"[{started} UTC] custos search of {len(a) and 'a case'} against {args.n:,} "
                f"references on the server{label}: pgvector {t['server']:.2f} s, exact "
                f"{t['exact']:.2f} s, ratio {t['server'] / t['exact']:.2f}x; load "
                f"{loads[0]:.2f} -> {loads[1]:.2f}; results equal: {a == b}"
            )
        breakdown(place, args.runs)
        if args.ab_index:
            ab_index(folder, place, args.runs, lambda: cli(env, *search), started, args.n)
    finally:
        trial.down(folder)


OLD_INDEX = 'CREATE INDEX ix_references_subject ON "references" (subject_id)'
NEW_INDEX = (
    'CREATE INDEX ix_references_subject_model ON "references" '
    "(subject_id, model, model_version, id)"
)


def _coverage_sql(place: object) -> list[tuple[str, object]]:
    """The statements ``servervectors.coverage`` sends for the watchlist, with their
    parameters (caught as the driver gets them)."""
    from datetime import date

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from service.opener import unlock

    caught: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, many):  # type: ignore[no-untyped-def]
        caught.append((statement, parameters))

    session = unlock(place, USER, PASSWORD)  # type: ignore[arg-type]
    try:
        with session.db() as db:
            wl = find_watchlist(db, WATCHLIST)
            event.listen(Engine, "before_cursor_execute", catch)
            try:
                servervectors.coverage(db, wl.id, date.today())
            finally:
                event.remove(Engine, "before_cursor_execute", catch)
    finally:
        session.close()
    return caught


def _explain(su: object, statement: str, parameters: object) -> tuple[float, list[str]]:
    rows = su.execute(  # type: ignore[attr-defined]
        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
    ).fetchall()
    lines = [r[0] for r in rows]
    ms = next(float(x.split()[2]) for x in lines if x.startswith("Execution Time"))
    return ms, lines


def ab_index(
    folder: Path, place: object, runs: int, search: Callable[[], object], started: str, n: int
) -> None:
    """r0015's index on ``references (subject_id, model, model_version, id)`` against r0014's on
    ``subject_id`` alone: the coverage count EXPLAINed (ANALYZE, BUFFERS) under each, each
    inside a transaction rolled back (the other index dropped there), alternating, ``runs``
    rounds; then ``custos search`` through pgvector timed under each (alternating; the index
    swapped untimed before each run, committed, as a server of that revision holds it), and
    r0015's restored."""
    from vault.backend import Server
    from vault.server.address import parse

    assert isinstance(place, Server)
    database = parse(place.url).database
    statements = _coverage_sql(place)
    heavy = statements[0]  # the per-subject aggregate (the second counts odd expiry dates)
    ms: dict[str, list[float]] = {"r0015": [], "r0014": []}
    with trial.superuser_connection(folder, database) as su:
        su.autocommit = True
        for table in ("references", "reference_vector_ids"):
            pages, visible, vacuumed = su.execute(
                "SELECT c.relpages, c.relallvisible, s.last_autovacuum FROM pg_class AS c "
                "JOIN pg_stat_user_tables AS s ON s.relid = c.oid WHERE c.relname = %s",
                (table,),
            ).fetchone()
            log(f"{table}: {visible} of {pages} pages all-visible, last autovacuum {vacuumed}")
        for rnd in range(runs):
            for variant in ("r0015", "r0014"):
                su.execute("BEGIN")
                try:
                    if variant == "r0014":
                        su.execute("DROP INDEX ix_references_subject_model")
                        su.execute(OLD_INDEX)
                    t, lines = _explain(su, *heavy)
                finally:
                    su.execute("ROLLBACK")
                ms[variant].append(t)
                if rnd == 0:
                    log(f"EXPLAIN (ANALYZE, BUFFERS) of the coverage count, {variant}'s index:")
                    for line in lines:
                        log("    " + line)
        log(
            f"coverage count, EXPLAIN ANALYZE execution (load {os.getloadavg()[0]:.2f}): "
            + "; ".join(
                f"{k} best {min(v):.0f} ms (all {', '.join(f'{x:.0f}' for x in v)})"
                for k, v in ms.items()
            )
        )
        now = ["r0015"]

        def to(variant: str) -> None:
            if now[0] != variant:
                old = (
                    "ix_references_subject_model" if variant == "r0014" else "ix_references_subject"
                )
                su.execute(f"DROP INDEX {old}")
                su.execute(OLD_INDEX if variant == "r0014" else NEW_INDEX)
                su.execute('ANALYZE "references"')
                now[0] = variant

        def contender(variant: str):  # type: ignore[no-untyped-def]
            def setup():  # type: ignore[no-untyped-def]
                to(variant)
                return search

            return setup

        try:
            load0 = os.getloadavg()[0]
            t = best(
                runs, {"pgvector r0015": contender("r0015"), "pgvector r0014": contender("r0014")}
            )
            new, old = t["pgvector r0015"], t["pgvector r0014"]
            log(
                f"[{started} UTC] custos search through pgvector against {n:,} references: "
                f"r0015's index {new:.2f} s, r0014's (subject_id alone) {old:.2f} s, ratio "
                f"{new / old:.2f}x; "
                f"load {load0:.2f} -> {os.getloadavg()[0]:.2f}"
            )
        finally:
            to("r0015")


def breakdown(place: object, runs: int) -> None:
    """Where a server search's time goes, in process (a fresh session each round, best of
    ``runs``): the plan (the watchlist counted on the server, the two tables' counts), the
    shortlist with its look-ups and re-rank; and the exact search's gallery load and scan."""
    from matching import searching
    from service.opener import unlock

    os.environ["CUSTOS_SERVER_SEARCH_MIN"] = "1"  # (a small --n too)
    times: dict[str, list[float]] = {"plan": [], "server": [], "exact": []}
    for _ in range(runs):
        session = unlock(place, USER, PASSWORD)  # type: ignore[arg-type]
        try:
            _, _, emb = searching._probes_of_case(session, CASE)
            t0 = time.perf_counter()
            plan = searching._server_plan(session, WATCHLIST, "investigative")
            t1 = time.perf_counter()
            assert plan is not None
            assert searching._server_candidates(session, plan, emb, 10) is not None
            t2 = time.perf_counter()
            searching._on_workstation(session, WATCHLIST, "alert", emb[:0], 10)
            t3 = time.perf_counter()
        finally:
            session.close()
        times["plan"].append(t1 - t0)
        times["server"].append(t2 - t1)
        times["exact"].append(t3 - t2)
    b = {k: min(v) for k, v in times.items()}
    log(
        f"in process, best of {runs} (load {os.getloadavg()[0]:.2f}): server plan "
        f"{b['plan'] * 1000:.0f} ms, shortlist + look-ups + re-rank {b['server'] * 1000:.0f} ms; "
        f"exact: gallery load {b['exact'] * 1000:.0f} ms (the scan not included)"
    )


if __name__ == "__main__":
    main()
