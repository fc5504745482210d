"""The agency server back end against the local vault, in the same run (issue 12: 10,000 small
files to the server <= 2x the same ingest into a local vault).

    uv run python benchmarks/bench_server.py [--files N] [--runs R] [--data DIR]

Starts a trial server (``vault.server.trial.up``: PostgreSQL 18 behind pgbouncer's TLS, SeaweedFS
S3) on free loopback ports in a temp folder, makes N (default 10,000) files of 4 KiB of random
data, and times ``custos ingest --case C FOLDER`` as users run it (a subprocess: start-up,
sign-in and the TLS connections counted):

* ``server``: ``custos --server URL ingest`` into a fresh agency vault (a new database and bucket
  per run, made untimed), also with ``PYTHONDONTWRITEBYTECODE=1``;
* anchor ``local``: the same command into a fresh local vault.

Best of R runs, contenders alternating; the machine is shared, so say the load with the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))  # serverkit: a database and a bucket per run

from bench_vault import (  # noqa: E402
    CASE,
    CUSTOS,
    PASSWORD,
    USER,
    Figure,
    Scratch,
    best,
    cli_env,
    log,
    random_folder,
    run,
    warm,
    warm_cli,
)
from serverkit import TrialServer  # noqa: E402

from service.opener import init_vault  # noqa: E402
from vault.cases import create_case  # noqa: E402
from vault.server import trial  # noqa: E402
from vault.server.base import free_port_base  # noqa: E402


def server_cli(
    folder: Path, connection: trial.Connection, source: Path, cache: Path, no_bytecode: bool
) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        place = TrialServer(folder, connection).new_place()
        os.environ["CUSTOS_CACHE_DIR"] = str(cache)
        session, _ = init_vault(place, USER, PASSWORD)
        create_case(session, CASE, "benchmark")
        session.close()
        env = {
            **cli_env(),
            "CUSTOS_SERVER": place.url,
            "CUSTOS_CACHE_DIR": str(cache),
            "PGPASSWORD": connection.credentials.password,
            "AWS_ACCESS_KEY_ID": connection.credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": connection.credentials.secret_key,
        }
        if no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"

        def call() -> None:
            run([str(CUSTOS), "ingest", "--case", CASE, str(source)], env)

        return call

    return setup


def local_cli(scratch: Scratch, source: Path) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        folder = scratch.new("vault")
        session, _ = init_vault(folder, USER, PASSWORD)
        create_case(session, CASE, "benchmark")
        session.close()
        env = cli_env(folder)

        def call() -> None:
            run([str(CUSTOS), "ingest", "--case", CASE, str(source)], env)

        call.cleanup = lambda: shutil.rmtree(folder)  # type: ignore[attr-defined]
        return call

    return setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-server"))
    args = parser.parse_args()
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    scratch = Scratch(data / "scratch")
    source = data / f"small-{args.files}x4k"
    random_folder(source, args.files, 4096)
    warm(source)
    warm_cli()
    parent = Path(tempfile.mkdtemp(prefix="custos-bsrv-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    try:
        connection, _ = trial.up(folder, free_port_base())
        try:
            log(f"ingest of {args.files} files of 4 KiB, best of {args.runs}")
            t = best(
                args.runs,
                {
                    "local": local_cli(scratch, source),
                    "server": server_cli(folder, connection, source, data / "cache", False),
                    "server-nobytecode": server_cli(
                        folder, connection, source, data / "cache", True
                    ),
                },
            )
        finally:
            trial.down(folder)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        shutil.rmtree(scratch.root, ignore_errors=True)
    name = f"ingest {args.files:,} x 4 KiB to the server (CLI)"
    figures = [
        Figure(name, t["server"], t["local"], "local vault (CLI)", 2.0),
        Figure(
            f"{name}, PYTHONDONTWRITEBYTECODE=1",
            t["server-nobytecode"],
            t["local"],
            "local vault (CLI)",
            2.0,
        ),
    ]
    print(f"\nload average: {os.getloadavg()[0]:.1f}")
    print("\n| Figure | Custos | Anchor | Anchor time | Ratio | Target | Result |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        print(f.row())


if __name__ == "__main__":
    main()
