"""``custos server push`` of a local vault of small files, against ``custos verify`` of the same
vault in the same run (issue 12 item 5; no target: the push verifies the local vault, copies
every row and object, then verifies the result on the server, so it is measured against one
verify).

    uv run python benchmarks/bench_push.py [--files N] [--runs R] [--data DIR]

Makes N (default 10,000) files of 4 KiB of random data, ingests them once into a local vault
(``custos ingest``, untimed: packs, one batch entry per 1,000 items), starts a trial server
(``vault.server.trial.up``) on free loopback ports, and times, as users run them (a
subprocess: start-up, sign-in and TLS connections counted):

* ``push``: ``custos --server URL server push --vault VAULT`` into a fresh database and bucket
  per run (made untimed), also with ``PYTHONDONTWRITEBYTECODE=1``;
* anchor ``verify``: ``custos verify`` of the same local vault.

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
    Figure,
    Scratch,
    best,
    cli_env,
    log,
    new_vault,
    random_folder,
    run,
    warm,
    warm_cli,
)
from serverkit import TrialServer  # noqa: E402

from vault.server import trial  # noqa: E402
from vault.server.base import free_port_base  # noqa: E402


def push_cli(
    folder: Path, connection: trial.Connection, vault: Path, cache: Path, no_bytecode: bool
) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        server = TrialServer(folder, connection)
        place = server.new_place()
        env = {**cli_env(), **server.env_for(place), "CUSTOS_CACHE_DIR": str(cache)}
        if no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"

        def call() -> None:
            run([str(CUSTOS), "server", "push", "--vault", str(vault)], env)

        call.cleanup = lambda: server.drop_place(place)  # type: ignore[attr-defined]
        return call

    return setup


def verify_cli(vault: Path) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        env = cli_env(vault)

        def call() -> None:
            run([str(CUSTOS), "verify"], env)

        return call

    return setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-push"))
    args = parser.parse_args()
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    scratch = Scratch(data / "scratch")
    source = data / f"small-{args.files}x4k"
    random_folder(source, args.files, 4096)
    warm(source)
    warm_cli()
    vault = scratch.new("vault")
    session, _ = new_vault(vault)
    session.close()
    log(f"ingesting {args.files} files of 4 KiB into the local vault (untimed)")
    run([str(CUSTOS), "ingest", "--case", CASE, str(source)], cli_env(vault))
    parent = Path(tempfile.mkdtemp(prefix="custos-bpush-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    try:
        connection, _ = trial.up(folder, free_port_base())
        try:
            log(f"push of a vault of {args.files} files of 4 KiB, best of {args.runs}")
            t = best(
                args.runs,
                {
                    "verify": verify_cli(vault),
                    "push": push_cli(folder, connection, vault, data / "cache", False),
                    "push-nobytecode": push_cli(folder, connection, vault, data / "cache", True),
                },
            )
        finally:
            trial.down(folder)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        shutil.rmtree(scratch.root, ignore_errors=True)
    name = f"server push of a vault of {args.files:,} x 4 KiB (CLI)"
    anchor = "custos verify of the local vault (CLI)"
    figures = [
        Figure(name, t["push"], t["verify"], anchor, 0, informative=True),
        Figure(
            f"{name}, PYTHONDONTWRITEBYTECODE=1",
            t["push-nobytecode"],
            t["verify"],
            anchor,
            0,
            informative=True,
        ),
    ]
    print(f"\nload average: {os.getloadavg()[0]:.1f}")
    print("\n| Figure | Custos | Anchor | Anchor time | Ratio | Target | Result |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        print(f.row())


if __name__ == "__main__":
    main()
