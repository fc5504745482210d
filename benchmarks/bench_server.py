"""The agency server back end against the local vault, in the same run: issue 12's three
server speed targets, each timed as users run the command (a subprocess: start-up, sign-in and
the TLS connections counted).

    uv run python benchmarks/bench_server.py [--only small,gib,two] [--files N] [--runs R]
        [--base DIR]

Starts a trial server (``vault.server.trial.up``: PostgreSQL 18 behind pgbouncer's TLS, SeaweedFS
S3) on free loopback ports in a temp folder, on the same cores as the client, and times:

* ``small``: ``custos --server URL ingest --case C FOLDER`` of N (default 10,000) files of 4 KiB
  into a fresh agency vault (a new database and bucket per run, made untimed), also with
  ``PYTHONDONTWRITEBYTECODE=1``; anchor: the same command into a fresh local vault. Target
  <= 2x.
* ``gib``: the same for one 1 GiB file of random data (a case with SHA-256 only on both);
  anchor: the local vault. Target <= 1.3x. Also timed, as the store's own floor: boto3's
  ``upload_file`` of a 1 GiB file to the same bucket (no Custos), and the CPU SeaweedFS spends
  per run (``/proc`` of its process).
* ``two``: two ``custos --server ingest`` processes at once, each of its own N-file folder into
  its own case of one agency vault, against one of them alone (the ``small`` server figure of
  the same round); throughput of the two together / of one. Target >= 0.9x.

Every contender R times (default 3), alternating; the best, and all of them, printed with the
load average. For every run also the CPU (user + system) of the client's process tree (custos
and its worker processes) and of each trial server process (PostgreSQL with its backends,
pgbouncer, SeaweedFS), and a table of them per contender (best wall, median CPU): on a shared
machine the wall times under load mislead (the local run slows more than the server run), the
CPU much less. ``--base DIR`` also times the server ingest with another checkout's Custos (e.g.
main's) in the same rounds.

The lead's quiet re-measure of the 10,000-file target, in one command::

    .venv/bin/python benchmarks/bench_server.py --only small --runs 5
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
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
    GiB,
    Scratch,
    cli_env,
    log,
    random_file,
    random_folder,
    run,
    warm,
    warm_cli,
)
from serverkit import TrialServer  # noqa: E402

from service.opener import init_vault  # noqa: E402
from vault.cases import create_case  # noqa: E402
from vault.objectstore import S3Store  # noqa: E402
from vault.server import trial  # noqa: E402
from vault.server.base import Layout, free_port_base  # noqa: E402
from vault.session import check_vault  # noqa: E402

CASE2 = "BENCH-2"


def proc_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process and its children have used so far (a postmaster's
    backends, live or exited); 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(f) for f in fields[11:15])
    for entry in os.listdir("/proc"):  # live children (PostgreSQL's backends)
        if entry.isdigit():
            try:
                child = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(child[1]) == pid:
                own += int(child[11]) + int(child[12])
    return own / os.sysconf("SC_CLK_TCK")


def first_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class Store:
    """The trial server's processes (SeaweedFS, PostgreSQL with its backends, pgbouncer): the
    CPU each has used so far."""

    def __init__(self, folder: Path) -> None:
        layout = Layout(folder)
        self.pids = {
            "PostgreSQL": first_int(layout.pg_data / "postmaster.pid"),
            "pgbouncer": first_int(layout.bouncer_pid),
            "SeaweedFS": first_int(layout.weed_pid),
        }

    def cpu(self) -> dict[str, float]:
        return {k: proc_cpu(p) for k, p in self.pids.items()}


@dataclass
class Run:
    """One timed call: its wall time, the CPU (user + system) of the client's process tree
    (the custos process and its workers) and of each trial server process, the load."""

    wall: float
    client: float
    server: dict[str, float]
    load: float

    @property
    def server_total(self) -> float:
        return sum(self.server.values())


def children_cpu() -> float:
    """CPU of this process's waited-for children and theirs (custos and its workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measured(
    runs: int, setups: dict[str, Callable[[], Callable[[], object]]], store: Store
) -> dict[str, list[Run]]:
    """Every contender ``runs`` times, alternating their order each round (as
    ``bench_vault.best``), each run's wall time, client CPU and server CPU logged; the local
    contenders' server CPU is measured too (the trial server idles meanwhile: its own
    background work is the noise floor of the server figures)."""
    done: dict[str, list[Run]] = {k: [] for k in setups}
    names = list(setups)
    for r in range(runs):
        for name in names if r % 2 == 0 else reversed(names):
            call = setups[name]()
            os.sync()
            server = store.cpu()
            client = children_cpu()
            start = time.perf_counter()
            call()
            wall = time.perf_counter() - start
            client = children_cpu() - client
            after = store.cpu()
            run_ = Run(wall, client, {k: after[k] - server[k] for k in after}, os.getloadavg()[0])
            done[name].append(run_)
            split = ", ".join(f"{k} {v:.2f}" for k, v in run_.server.items())
            log(
                f"  {name}: {wall:.3f} s; CPU client {client:.2f} s, server {run_.server_total:.2f}"
                f" s ({split}); load {run_.load:.1f}"
            )
            cleanup = getattr(call, "cleanup", None)
            if cleanup:
                cleanup()
    return done


def summary(done: dict[str, list[Run]]) -> None:
    """Per contender: the best wall time, and the median CPU of the client's process tree and
    of the trial server's processes (CPU is what a busy machine's share of the cores cannot
    hide: compare it when the load makes the wall times unreliable)."""
    print(
        "\n| Contender | Best wall | Walls | CPU client (median) | CPU server (median) "
        "| PostgreSQL | pgbouncer | SeaweedFS | CPU total | Loads |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, rs in done.items():
        med = statistics.median
        server = {k: med(r.server[k] for r in rs) for k in rs[0].server}
        client = med(r.client for r in rs)
        total = med(r.client + r.server_total for r in rs)
        print(
            f"| {name} | {min(r.wall for r in rs):.2f} s "
            f"| {', '.join(f'{r.wall:.2f}' for r in rs)} | {client:.2f} s "
            f"| {med(r.server_total for r in rs):.2f} s "
            f"| {server['PostgreSQL']:.2f} | {server['pgbouncer']:.2f} | {server['SeaweedFS']:.2f} "
            f"| {total:.2f} s | {', '.join(f'{r.load:.1f}' for r in rs)} |"
        )


def best_of(done: dict[str, list[Run]]) -> dict[str, float]:
    return {k: min(r.wall for r in rs) for k, rs in done.items()}


def server_env(place_url: str, connection: trial.Connection, cache: Path) -> dict[str, str]:
    return {
        **cli_env(),
        "CUSTOS_SERVER": place_url,
        "CUSTOS_CACHE_DIR": str(cache),
        "PGPASSWORD": connection.credentials.password,
        "AWS_ACCESS_KEY_ID": connection.credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": connection.credentials.secret_key,
    }


def server_cli(
    folder: Path,
    connection: trial.Connection,
    sources: list[Path],
    cache: Path,
    no_bytecode: bool,
    hash_sets: bool,
    code: Path | None = None,
    prepared: bool = True,
) -> Callable[[], Callable[[], object]]:
    """``custos --server URL ingest`` of each of ``sources`` (one process each, all at once,
    each into a case of its own) into a fresh agency vault (``prepared``: its bucket's first
    write made at ``init``, ``S3Store.prepare``, as ``init`` does since session 11; else the
    first ingest's first upload makes it, as before)."""

    trial_server = TrialServer(folder, connection)

    def setup() -> Callable[[], object]:
        place = trial_server.new_place()
        os.environ["CUSTOS_CACHE_DIR"] = str(cache)
        saved = S3Store.prepare
        if not prepared:
            S3Store.prepare = lambda self: None  # type: ignore[method-assign]
        try:
            session, _ = init_vault(place, USER, PASSWORD)
        finally:
            S3Store.prepare = saved  # type: ignore[method-assign]
        cases = [CASE, CASE2][: len(sources)]
        for case in cases:
            create_case(session, case, "benchmark", hash_sets=hash_sets)
        session.close()
        # a workstation that has signed in there before (its note of the vault's KDF salt and
        # settings, vault.backend.kdf_hint), as the local anchor's vault has its vault.toml
        check_vault(place)
        env = server_env(place.url, connection, cache)
        if no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        if code is not None:  # another checkout's Custos, on this one's environment
            env["PYTHONPATH"] = str(code)

        def call() -> None:
            procs = [
                subprocess.Popen(
                    [str(CUSTOS), "ingest", "--case", case, str(source)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for case, source in zip(cases, sources, strict=True)
            ]
            for proc in procs:
                _, err = proc.communicate()
                if proc.returncode != 0:
                    raise SystemExit(f"custos --server ingest failed: {err.strip()}")

        timed = call
        # dropped after the run: SeaweedFS gives each bucket volumes of its own, and a run of
        # never-dropped buckets used them all up ("InternalError" on PutObject)
        timed.cleanup = lambda: trial_server.drop_place(place)  # type: ignore[attr-defined]
        return timed

    return setup


def local_cli(
    scratch: Scratch, source: Path, hash_sets: bool, no_bytecode: bool = False
) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        folder = scratch.new("vault")
        session, _ = init_vault(folder, USER, PASSWORD)
        create_case(session, CASE, "benchmark", hash_sets=hash_sets)
        session.close()
        env = cli_env(folder)
        if no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"

        def call() -> None:
            run([str(CUSTOS), "ingest", "--case", CASE, str(source)], env)

        call.cleanup = lambda: shutil.rmtree(folder)  # type: ignore[attr-defined]
        return call

    return setup


def raw_upload(
    folder: Path, connection: trial.Connection, source: Path
) -> Callable[[], Callable[[], object]]:
    """boto3's ``upload_file`` of ``source`` into a fresh bucket: the store's own speed (a
    Python process of its own, start-up counted as for custos)."""
    script = (
        "import sys, boto3\n"
        "from botocore.config import Config\n"
        "c = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',\n"
        "    config=Config(s3={'addressing_style': 'path'}))\n"
        "c.upload_file(sys.argv[3], sys.argv[2], 'blobs/aa/' + 'b' * 64)\n"
    )

    trial_server = TrialServer(folder, connection)

    def setup() -> Callable[[], object]:
        place = trial_server.new_place()
        bucket = place.url.rsplit("/", 1)[1]
        env = {
            **cli_env(),
            "AWS_ACCESS_KEY_ID": connection.credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": connection.credentials.secret_key,
        }
        endpoint = connection.address.s3.endpoint

        def call() -> None:
            run([sys.executable, "-c", script, endpoint, bucket, str(source)], env)

        timed = call
        timed.cleanup = lambda: trial_server.drop_place(place)  # type: ignore[attr-defined]
        return timed

    return setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="small,gib,two")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--base",
        type=Path,
        help="also time the server ingest with the Custos of this checkout (e.g. main's, from "
        "'git worktree add' or 'git archive'), in the same rounds: 'server-base'",
    )
    parser.add_argument(
        "--unprepared",
        action="store_true",
        help="also time the server ingest into a vault whose init did not make the bucket's "
        "first write (before session 11), in the same rounds: 'server-unprepared'",
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-server"))
    args = parser.parse_args()
    only = set(args.only.split(","))
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    scratch = Scratch(data / "scratch")
    small = data / f"small-{args.files}x4k"
    small2 = data / f"small-{args.files}x4k-b"
    big = data / "big" / "1g.bin"
    if only & {"small", "two"}:
        random_folder(small, args.files, 4096)
        warm(small)
    if "two" in only:
        random_folder(small2, args.files, 4096)
        warm(small2)
    if "gib" in only:
        big.parent.mkdir(exist_ok=True)
        random_file(big, GiB)
        warm(big.parent)
    warm_cli()
    parent = Path(tempfile.mkdtemp(prefix="custos-bsrv-"))
    os.chmod(parent, 0o711)
    folder = parent / "s"
    cache = data / "cache"
    figures: list[Figure] = []
    runs_done: list[dict[str, list[Run]]] = []
    loads = [os.getloadavg()[0]]
    started = time.strftime("%H:%M", time.gmtime())
    try:
        connection, _ = trial.up(folder, free_port_base())
        store = Store(folder)

        def on_server(
            sources: list[Path],
            no_bytecode: bool,
            hash_sets: bool,
            code: Path | None = None,
            prepared: bool = True,
        ) -> Callable[[], Callable[[], object]]:
            return server_cli(
                folder, connection, sources, cache, no_bytecode, hash_sets, code, prepared
            )

        try:
            if only & {"small", "two"}:
                log(f"ingest of {args.files} files of 4 KiB, {args.runs} runs")
                contenders = {
                    "local": local_cli(scratch, small, True),
                    "server": on_server([small], False, True),
                }
                if "small" in only:
                    contenders["local-nobytecode"] = local_cli(scratch, small, True, True)
                    contenders["server-nobytecode"] = on_server([small], True, True)
                if args.base is not None:
                    contenders["server-base"] = on_server([small], False, True, args.base)
                if args.unprepared:
                    contenders["server-unprepared"] = on_server([small], False, True, None, False)
                if "two" in only:
                    contenders["two-servers"] = on_server([small, small2], False, True)
                done = measured(args.runs, contenders, store)
                runs_done.append(done)
                t = best_of(done)
                loads.append(os.getloadavg()[0])
                name = f"ingest {args.files:,} x 4 KiB to the server (CLI)"
                if "small" in only:
                    figures += [
                        Figure(name, t["server"], t["local"], "local vault (CLI)", 2.0),
                        Figure(
                            f"{name}, PYTHONDONTWRITEBYTECODE=1",
                            t["server-nobytecode"],
                            t["local-nobytecode"],
                            "local vault (CLI), same variable",
                            2.0,
                        ),
                    ]
                if "two" in only:
                    # throughput of two together / of one = (2 N / t2) / (N / t1) = 2 t1 / t2;
                    # shown as the time one would take for 2N at the pair's rate (t2 / 2)
                    # against one alone: ratio = t2 / (2 t1) <= 1 / 0.9
                    figures.append(
                        Figure(
                            f"two workstations ingesting {args.files:,} x 4 KiB each at once, "
                            "time per workstation-load (t2 / 2)",
                            t["two-servers"] / 2,
                            t["server"],
                            "one workstation alone",
                            1.11,  # 1 / 0.9, rounded down
                        )
                    )
            if "gib" in only:
                log(f"ingest of 1 GiB (SHA-256 only), {args.runs} runs")
                done = measured(
                    args.runs,
                    {
                        "local": local_cli(scratch, big.parent, False),
                        "server": on_server([big.parent], False, False),
                        "server-nobytecode": on_server([big.parent], True, False),
                        "boto3-upload": raw_upload(folder, connection, big),
                    },
                    store,
                )
                runs_done.append(done)
                t = best_of(done)
                loads.append(os.getloadavg()[0])
                figures += [
                    Figure(
                        "ingest 1 GiB to the server (CLI)",
                        t["server"],
                        t["local"],
                        "local vault (CLI)",
                        1.3,
                    ),
                    Figure(
                        "ingest 1 GiB to the server (CLI), PYTHONDONTWRITEBYTECODE=1",
                        t["server-nobytecode"],
                        t["local"],
                        "local vault (CLI)",
                        1.3,
                    ),
                    Figure(
                        "ingest 1 GiB to the server (CLI), against the store alone",
                        t["server"],
                        t["boto3-upload"],
                        "boto3 upload_file of 1 GiB",
                        1.0,
                        informative=True,
                    ),
                ]
        finally:
            trial.down(folder)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        shutil.rmtree(scratch.root, ignore_errors=True)
    print(f"\nfrom {started} UTC; load average (1 min) {', '.join(f'{x:.1f}' for x in loads)}")
    print("\n| Figure | Custos | Anchor | Anchor time | Ratio | Target | Result |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        print(f.row())
    for done in runs_done:
        summary(done)
    print(f"\nuptime at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
