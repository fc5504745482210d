"""Small-object packs (issue 12, item 6) against restic, timed in the same run.

    .venv/bin/python benchmarks/bench_packs.py [--count 10000] [--scale N [N ...]] [--runs 3]
                                               [--only NAME ...] [--exact] [--data DIR]
                                               [--scratch DIR]

* ``ingest-10k``: ``custos ingest`` from the CLI (start-up and unlock counted, a fresh vault per
  run) of ``--count`` files of 4 KiB vs ``restic backup`` of the same folder (a fresh repository
  per run); also both with ``PYTHONDONTWRITEBYTECODE=1``. Target <= 1.5x.
* ``verify-10k``: ``custos verify`` from the CLI of that vault vs ``restic check --read-data`` of
  that repository. Target <= 1.5x.
* ``read-one``: reading one 4 KiB item (``BlobStore.read_verified``, in-process): an object in a
  pack (header unwrap, then only the chunks holding it) vs the same content in a blob of its own.
* ``scale``: ``--scale`` files of 4 KiB (and a quarter of them; or each of several counts
  given, ``--scale 100000 300000``; ``--exact``: only the one count given, as for the
  1,000,000-file run ``--only scale --scale 1000000 --exact``): the wall time and RSS of
  ``custos ingest`` and ``custos verify`` at each quarter of the run and their peak, and how
  many files the vault folder holds.

Same fairness rules as ``bench_vault.py`` (whose helpers this uses): data generated once, read
once before timing, ``sync`` before every timed run, contenders alternate, best of N kept (every
run is printed, so the range can be reported). ``restic`` must be installed (Debian package
``restic``); the test suite never needs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_vault import (
    CASE,
    CUSTOS,
    Scratch,
    best,
    cli_env,
    log,
    new_vault,
    random_folder,
    restic_backup,
    restic_env,
    run,
    warm,
    warm_cli,
)

KiB = 1024


def _no_bytecode(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def custos_ingest(scratch: Scratch, source: Path, bytecode: bool = True) -> Callable[[], object]:
    folder = scratch.new("vault")
    new_vault(folder)[0].close()
    env = cli_env(folder) if bytecode else _no_bytecode(cli_env(folder))

    def call() -> None:
        run([str(CUSTOS), "ingest", "--case", CASE, str(source)], env)

    call.cleanup = lambda: shutil.rmtree(folder)  # type: ignore[attr-defined]
    return call


def bench_ingest(source: Path, scratch: Scratch, runs: int) -> None:
    count = sum(1 for p in source.rglob("*.bin"))
    log(f"ingest of {count:,} files of 4 KiB from the CLI, best of {runs} (every run printed)")
    t = best(
        runs,
        {
            "custos ingest": lambda: custos_ingest(scratch, source),
            "custos ingest (PYTHONDONTWRITEBYTECODE=1)": lambda: custos_ingest(
                scratch, source, bytecode=False
            ),
            "restic backup": restic_backup(scratch, source),
        },
    )
    for name in ("custos ingest", "custos ingest (PYTHONDONTWRITEBYTECODE=1)"):
        ratio = t[name] / t["restic backup"]
        print(f"{name}: {t[name]:.2f} s; restic backup {t['restic backup']:.2f} s; {ratio:.2f}x")


def bench_verify(source: Path, scratch: Scratch, runs: int) -> None:
    folder = scratch.new("vault")
    new_vault(folder)[0].close()
    run([str(CUSTOS), "ingest", "--case", CASE, str(source)], cli_env(folder))
    repo, cache = scratch.new("restic"), scratch.new("restic-cache")
    env = restic_env(cache)
    run(["restic", "-r", str(repo), "init"], env)
    run(["restic", "-r", str(repo), "backup", "--quiet", str(source)], env)
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    log(f"verify of the vault ({files} files in its folder), best of {runs}")
    warm(folder)
    warm(repo)

    def custos() -> Callable[[], object]:
        def call() -> None:
            run([str(CUSTOS), "verify"], cli_env(folder))

        return call

    def custos_nb() -> Callable[[], object]:
        def call() -> None:
            run([str(CUSTOS), "verify"], _no_bytecode(cli_env(folder)))

        return call

    def restic() -> Callable[[], object]:
        def call() -> None:
            run(["restic", "-r", str(repo), "check", "--read-data"], env)

        return call

    t = best(
        runs,
        {
            "custos verify": custos,
            "custos verify (PYTHONDONTWRITEBYTECODE=1)": custos_nb,
            "restic check --read-data": restic,
        },
    )
    anchor = t["restic check --read-data"]
    for name in ("custos verify", "custos verify (PYTHONDONTWRITEBYTECODE=1)"):
        print(
            f"{name}: {t[name]:.2f} s; restic check --read-data {anchor:.2f} s; "
            f"{t[name] / anchor:.2f}x"
        )
    _blob_pass(folder)
    shutil.rmtree(folder)
    shutil.rmtree(repo)
    shutil.rmtree(cache, ignore_errors=True)


def _blob_pass(folder: Path) -> None:
    """Where verify's time goes: its pass over the stored objects alone (every pack decrypted,
    every object re-hashed), in-process, against the whole verify in-process."""
    from bench_vault import PASSWORD, USER

    from service.opener import unlock
    from vault.jobs import ignore
    from vault.verify import VerifyJob, VerifyReport, _Recorded

    session = unlock(folder, USER, PASSWORD)
    try:
        job = VerifyJob(session)
        start = time.perf_counter()
        job._check_blobs(VerifyReport(), _Recorded(), ignore)
        objects = time.perf_counter() - start
        start = time.perf_counter()
        assert job.run(ignore).ok
        whole = time.perf_counter() - start
    finally:
        session.close()
    print(
        f"verify in-process: {whole:.2f} s, of which the stored objects {objects:.2f} s "
        "(the rest: the audit chain and every row against its record)"
    )


def bench_read_one(source: Path, scratch: Scratch) -> None:
    """Microseconds per read of one 4 KiB item: packed vs a blob of its own (same contents)."""
    from sqlalchemy import select

    from vault import packs
    from vault.ingest import IngestJob
    from vault.jobs import ignore
    from vault.models import Item

    files = sorted(source.rglob("*.bin"))[:400]
    timings = {}
    for label, threshold in (("packed", packs.PACK_MAX), ("blob of its own", 0)):
        folder = scratch.new("vault")
        session, _ = new_vault(folder)
        old = packs.PACK_MAX
        packs.PACK_MAX = threshold  # 0: nothing is small enough for a pack
        try:
            IngestJob(session, CASE, files).run(ignore)
        finally:
            packs.PACK_MAX = old
        with session.db() as db:
            items = db.execute(select(Item.blob_name, Item.sha256)).all()
        read = session.blobs.read_verified
        for name, sha in items[:20]:  # warm the page cache and the database
            read(name, sha)
        start = time.perf_counter()
        for _ in range(3):
            for name, sha in items:
                read(name, sha)
        timings[label] = (time.perf_counter() - start) / (3 * len(items)) * 1e6
        session.close()
        shutil.rmtree(folder)
    print(
        f"read one 4 KiB item: packed {timings['packed']:.0f} us, "
        f"blob of its own {timings['blob of its own']:.0f} us "
        f"({timings['packed'] / timings['blob of its own']:.2f}x)"
    )


def _rss_profile(cmd: list[str], env: dict[str, str]) -> tuple[float, list[float], float]:
    """Run ``cmd``; (seconds, its RSS in MiB at 25/50/75/100 % of the run, its peak RSS).

    The peak alone would hide growth: it is the sign-in's Argon2id (64 MiB) for any command.
    So /proc/PID/status is sampled every 0.2 s and the RSS at each quarter of the run shown."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[float] = []
    peak = 0.0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            break
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "VmRSS" in fields:
            samples.append(int(fields["VmRSS"].split()[0]) / 1024)
            peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
        time.sleep(0.2)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode().strip()}")
    took = time.perf_counter() - start
    quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3, 4)]
    return took, quarters if samples else [], peak


def bench_scale(data: Path, scratch: Scratch, counts: list[int], exact: bool = False) -> None:
    for n in counts if len(counts) > 1 or exact else (counts[0] // 4, counts[0]):
        source = data / f"small-{n}x4k"
        random_folder(source, n, 4 * KiB)
        folder = scratch.new("vault")
        new_vault(folder)[0].close()
        env = cli_env(folder)
        for what, cmd in (
            ("ingest", [str(CUSTOS), "ingest", "--case", CASE, str(source)]),
            ("verify", [str(CUSTOS), "verify"]),
        ):
            os.sync()
            load = os.getloadavg()[0]
            took, quarters, peak = _rss_profile(cmd, env)
            shown = " / ".join(f"{q:.0f}" for q in quarters)
            print(
                f"{n:,} files: {what} {took:.1f} s; RSS at 1/4, 1/2, 3/4, end of the run: "
                f"{shown} MiB; peak {peak:.0f} MiB (load average {load:.1f} at its start, "
                f"{os.getloadavg()[0]:.1f} at its end)",
                flush=True,
            )
            if what == "ingest":
                files = sum(1 for p in folder.rglob("*") if p.is_file())
                print(f"{n:,} files: the vault folder holds {files} files", flush=True)
        shutil.rmtree(folder)


BENCHES = ("ingest-10k", "verify-10k", "read-one", "scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--scale", type=int, nargs="+", default=[200_000])
    parser.add_argument(
        "--exact",
        action="store_true",
        help="scale: only the counts given (one count: not its quarter first)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=BENCHES)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench"))
    parser.add_argument("--scratch", type=Path, help="default: DATA/scratch-packs")
    args = parser.parse_args()
    if shutil.which("restic") is None:
        raise SystemExit("restic is not installed (Debian: apt-get install restic)")
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    scratch = Scratch(args.scratch or data / "scratch-packs")
    source = data / f"small-{args.count}x4k"
    random_folder(source, args.count, 4 * KiB)
    warm(source)
    warm_cli()
    chosen = args.only or BENCHES
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    if "ingest-10k" in chosen:
        bench_ingest(source, scratch, args.runs)
    if "verify-10k" in chosen:
        bench_verify(source, scratch, args.runs)
    if "read-one" in chosen:
        bench_read_one(source, scratch)
    if "scale" in chosen:
        bench_scale(data, scratch, args.scale, args.exact)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(scratch.root, ignore_errors=True)


if __name__ == "__main__":
    main()
