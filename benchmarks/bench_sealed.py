"""The cost of sealed columns (issue 12, item 2) on ingest's Core insert path, on the trial server.

    uv run python benchmarks/bench_sealed.py [--items N] [--batch B] [--runs R]

Starts a trial server (``vault.server.trial.up``) on free loopback ports in a temp folder and
makes two databases there, each reached as a workstation reaches it (the ``custos`` role over
TLS, through pgbouncer):

* ``sealed``: the vault's schema at head (``vault.migrate``), the engine sealing with a vault key
  (``vault.sealing.attach``); N items (default 10,000) recorded in batches of B (default 512) as
  ``vault.acquisition.record_batch`` records them: the blobs' INSERT after
  ``sealing.insert_params``, then ``insert_rows`` for the items and their "acquired" custody events
  (ids from the sequence, every sensitive value sealed to its row, blind indexes);
* anchor ``plain``: the same tables with plain text columns, the same rows inserted the way
  ``insert_rows`` did on PostgreSQL before sealing (one multi-row INSERT per table and batch,
  ids by ``RETURNING``);
* ``plain-ids``: the plain tables written the way the sealed path writes (ids from the sequence
  first, then the INSERT without RETURNING), so that ``sealed / plain-ids`` is the cost of the
  sealing itself (encryption, blind indexes, the larger values) and ``plain-ids / plain`` that
  of taking the ids first.

Prints rows/s (items with their blob and event) of each and the ratios. The audit entries of a
batch are left out of both (one entry per batch: the same work sealed or not). A library-level
figure: no ``custos`` command writes to a server yet. Best of R runs; the machine is shared, so
say the load with the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import MetaData, Table, create_engine, insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session as DbSession  # noqa: E402

from service.opener import SCHEMA  # noqa: E402
from vault import migrate, sealing  # noqa: E402
from vault.acquisition import BLOBS, insert_rows  # noqa: E402
from vault.models import Blob, Case, CustodyEvent, Item, canonical  # noqa: E402
from vault.server import postgres, trial  # noqa: E402
from vault.server.base import free_port_base  # noqa: E402


def rows(n: int, case_id: int) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(blob, item, event) values as ``record_batch`` makes them for a phone's photos."""
    out = []
    for i in range(n):
        sha = os.urandom(32).hex()
        name = os.urandom(32).hex()
        blob = {"name": name, "sha256": sha, "size": 4096, "pack": "", "pack_offset": 0}
        item = {
            "case_id": case_id,
            "name": f"DCIM/Camera/IMG_2026030{i % 9}_{i:06d}.jpg",
            "original_path": f"/media/officer/PHONE-EX12/DCIM/Camera/IMG_{i:06d}.jpg",
            "size": 4096,
            "sha256": sha,
            "md5": os.urandom(16).hex(),
            "sha1": os.urandom(20).hex(),
            "blob_name": name,
            "exhibit": "EX-12",
            "seized_from": "the suspect's flat",
            "seized_at": "12 Harbour Road, Portsmouth",
            "seized_on": "2026-03-01T14:30:00",
            "seized_by": "DC Okafor",
            "description": "Samsung phone, black, cracked screen",
            "modified_at": "2026-02-28T09:00:00+00:00",
            "acquired_by": "officer",
            "acquired_at": "2026-03-02T10:00:00+00:00",
        }
        event = {
            "kind": "acquired",
            "actor": "officer",
            "at": "2026-03-02T10:00:00+00:00",
            "details": canonical({"sha256": sha, "size": 4096, "exhibit": "EX-12"}),
            "refers_to": None,
        }
        out.append((blob, item, event))
    return out


def plain_tables() -> dict[str, Table]:
    """The vault's cases, blobs, items and custody tables, sealed columns as plain text."""
    metadata = MetaData()
    out = {}
    for model in (Case, Blob, Item, CustodyEvent):
        table = model.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
        for column in table.columns:
            if isinstance(column.type, sealing.Sealed):
                column.type = column.type.plain
        out[table.name] = table
    return out


def engine_for(connection: trial.Connection, database: str) -> Engine:
    def connect() -> Any:
        conn = postgres.connect(
            connection.address, connection.credentials.password, database=database
        )
        conn.autocommit = False
        return conn

    return create_engine("postgresql+psycopg://", creator=connect)


def sealed_batch(engine: Engine, batch: list[tuple[dict, dict, dict]]) -> None:
    blobs = [dict(b) for b, _, _ in batch]
    items = [dict(i) for _, i, _ in batch]
    with DbSession(engine) as db, db.begin():
        db.execute(insert(BLOBS), sealing.insert_params(db, Blob, blobs) or blobs)
        ids = insert_rows(db, Item, items)
        events = [dict(e, item_id=i) for (_, _, e), i in zip(batch, ids, strict=True)]
        insert_rows(db, CustodyEvent, events)


def plain_batch(engine: Engine, tables: dict[str, Table], batch: list[tuple]) -> None:
    blobs = [dict(b) for b, _, _ in batch]
    items = [dict(i) for _, i, _ in batch]
    with DbSession(engine) as db, db.begin():
        db.execute(insert(tables["blobs"]), blobs)
        it = tables["items"]
        stmt = insert(it).returning(it.c.id, sort_by_parameter_order=True)
        ids = list(db.scalars(stmt, items))
        events = [dict(e, item_id=i) for (_, _, e), i in zip(batch, ids, strict=True)]
        ev = tables["custody_events"]
        db.scalars(insert(ev).returning(ev.c.id, sort_by_parameter_order=True), events).all()


def plain_ids_batch(engine: Engine, tables: dict[str, Table], batch: list[tuple]) -> None:
    blobs = [dict(b) for b, _, _ in batch]
    items = [dict(i) for _, i, _ in batch]
    next_ids = "SELECT nextval(%s::regclass) FROM generate_series(1, %s)"
    with DbSession(engine) as db, db.begin():
        conn = db.connection()
        db.execute(insert(tables["blobs"]), blobs)
        ids = conn.exec_driver_sql(next_ids, ("items_id_seq", len(items))).all()
        for row, n in zip(items, ids, strict=True):
            row["id"] = n[0]
        db.execute(insert(tables["items"]), items)
        events = [dict(e, item_id=i["id"]) for (_, _, e), i in zip(batch, items, strict=True)]
        ids = conn.exec_driver_sql(next_ids, ("custody_events_id_seq", len(events))).all()
        for row, n in zip(events, ids, strict=True):
            row["id"] = n[0]
        db.execute(insert(tables["custody_events"]), events)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    _ = SCHEMA  # every layer's tables registered (the migrations build them all)
    parent = Path(tempfile.mkdtemp(prefix="custos-bsl-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    try:
        connection, _ = trial.up(folder, free_port_base())
        with trial.superuser_connection(folder) as su:
            for name in ("bench_sealed", "bench_plain"):
                su.execute(f"DROP DATABASE IF EXISTS {name}")
                su.execute(f"CREATE DATABASE {name} OWNER custos")
        for name in ("bench_sealed", "bench_plain"):
            with trial.superuser_connection(folder, name) as su:
                su.execute("CREATE EXTENSION IF NOT EXISTS vector")
        sealed = engine_for(connection, "bench_sealed")
        sealing.attach(sealed, os.urandom(32))
        with sealed.connect() as conn:
            migrate.upgrade(conn)
        plain = engine_for(connection, "bench_plain")
        tables = plain_tables()
        case = {"id": 1, "reference": "C-1", "title": "t", "created_by": "a", "created_at": "t"}
        with plain.begin() as conn:
            for table in tables.values():
                table.create(conn)
            conn.execute(insert(tables["cases"]), [dict(case, crime_areas="[]", partners="[]")])
        data = rows(args.items, 1)
        with DbSession(sealed) as db, db.begin():
            db.add(Case(id=1, reference="C-1", title="t", created_by="a", created_at="t"))
        batches = [data[i : i + args.batch] for i in range(0, len(data), args.batch)]
        times: dict[str, list[float]] = {"plain": [], "plain-ids": [], "sealed": []}

        def truncate(engine: Engine, names: str) -> None:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")

        for _ in range(args.runs):
            truncate(plain, "custody_events, items, blobs")
            t0 = time.perf_counter()
            for batch in batches:
                plain_batch(plain, tables, batch)
            times["plain"].append(time.perf_counter() - t0)
            truncate(plain, "custody_events, items, blobs")
            t0 = time.perf_counter()
            for batch in batches:
                plain_ids_batch(plain, tables, batch)
            times["plain-ids"].append(time.perf_counter() - t0)
            truncate(sealed, "custody_events, items, blobs")
            t0 = time.perf_counter()
            for batch in batches:
                sealed_batch(sealed, batch)
            times["sealed"].append(time.perf_counter() - t0)
        n = args.items
        best = {k: min(v) for k, v in times.items()}
        print(f"{n} items (blob + item + custody event each), batches of {args.batch}")
        names = ("plain (anchor)", "plain-ids", "sealed")
        for kind, label in zip(("plain", "plain-ids", "sealed"), names, strict=True):
            spread = f"{min(times[kind]):.2f}-{max(times[kind]):.2f} s"
            print(f"{label:15}: best {best[kind]:.2f} s ({spread})  {n / best[kind]:,.0f} rows/s")
        print(f"ratio sealed/plain (best of each): {best['sealed'] / best['plain']:.2f}x")
        print(f"ratio sealed/plain-ids: {best['sealed'] / best['plain-ids']:.2f}x")
        print(f"load average: {os.getloadavg()[0]:.1f}")
        sealed.dispose()
        plain.dispose()
    finally:
        trial.down(folder)
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
