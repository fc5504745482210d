"""Vault speed and memory against their anchors, timed in the same run (issue 2).

    uv run python benchmarks/bench_vault.py [--quick] [--only NAME ...] [--data DIR] [--scratch DIR]

Figures (Custos, anchor, ratio, target):

* ``ingest-1g``: one 1 GiB file (issue 12's decided targets). A case without hash sets:
  ``IngestJob`` in-process vs ``age -r R -o OUT FILE``, <= 1.15x; the ``custos ingest`` CLI as a
  subprocess (start-up and unlock included, also with ``PYTHONDONTWRITEBYTECODE=1``) vs
  ``age -r``, <= 1.3x. The default case (SHA-1 and MD5 too) from the CLI vs ``openssl dgst -md5``
  of the same file, <= 1.3x. Also vs ``restic backup`` of the same file into a fresh
  repository; target < 1x.
* ``ingest-10k``: 10,000 files of 4 KiB, in-process and CLI, vs ``restic backup`` of the folder;
  target <= 1.5x.
* ``memory-4g``: RSS high-water of ``custos ingest`` of a 4 GiB file (subprocess); <= 150 MiB.
* ``verify-2g``: ``VerifyJob`` over a vault holding 2 GiB vs ``age -d -i recovery`` of each blob to
  /dev/null; target <= 1.3x.
* ``unlock``: ``vault.session.unlock`` with the default Argon2id parameters; <= 0.5 s.

Fairness: random (incompressible) data generated once into the data folder (default
``/tmp/custos-bench``), read once before timing so every run reads it from the page cache; ``sync``
before every timed run so one run's dirty pages are not flushed during the next; Custos and the
anchor alternate and the best of N runs is kept. Outputs go to a scratch folder on the same file
system and are removed after each run. Not part of the test suite: no timings live in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from service.opener import init_vault, unlock  # noqa: E402
from vault.cases import create_case  # noqa: E402
from vault.ingest import IngestJob  # noqa: E402
from vault.jobs import ignore  # noqa: E402
from vault.session import Session  # noqa: E402
from vault.verify import VerifyJob  # noqa: E402

USER = "bench"
PASSWORD = "bench-password-1"
CASE = "BENCH-1"
MiB = 1 << 20
GiB = 1 << 30
CUSTOS = Path(sys.executable).parent / "custos"


@dataclass
class Figure:
    name: str
    custos: float
    anchor: float | None  # None: an absolute target (custos is compared to ``target`` itself)
    anchor_name: str
    target: float
    unit: str = "s"
    informative: bool = False  # shown for context; no target, never fails the run

    @property
    def ratio(self) -> float:
        return self.custos / self.anchor if self.anchor else self.custos / self.target

    @property
    def ok(self) -> bool:
        if self.informative:
            return True
        if self.anchor is None:
            return self.custos <= self.target
        return self.ratio <= self.target if self.target >= 1 else self.ratio < 1

    def target_text(self) -> str:
        if self.informative:
            return "-"
        if self.anchor is None:
            return f"<= {self.target:g} {self.unit}"
        return f"<= {self.target:g}x" if self.target >= 1 else "< 1x (faster)"

    def result_text(self) -> str:
        if self.informative:
            return "informative"
        return "pass" if self.ok else "FAIL"

    def row(self) -> str:
        anchor = f"{self.anchor:.2f} {self.unit}" if self.anchor is not None else "-"
        ratio = f"{self.ratio:.2f}x" if self.anchor is not None else "-"
        custos = f"{self.custos:.2f} {self.unit}" if self.unit == "s" else f"{self.custos:.0f} MiB"
        return (
            f"| {self.name} | {custos} | {self.anchor_name} | {anchor} | {ratio} "
            f"| {self.target_text()} | {self.result_text()} |"
        )


# --- helpers ------------------------------------------------------------------------------------
def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def sync() -> None:
    os.sync()


def warm(path: Path) -> None:
    """Read a file or folder once so the timed runs all read from the page cache."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while fh.read(8 * MiB):
                pass


def random_file(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    log(f"generating {path} ({size // MiB} MiB of random data)")
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        left = size
        while left:
            n = min(left, 16 * MiB)
            fh.write(os.urandom(n))
            left -= n
    tmp.replace(path)


def random_folder(path: Path, count: int, size: int) -> None:
    marker = path / ".complete"
    if marker.exists():
        return
    log(f"generating {path} ({count} files of {size} bytes)")
    shutil.rmtree(path, ignore_errors=True)
    for i in range(count):
        sub = path / f"d{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(size))
    marker.touch()


def cpu_seconds() -> float:
    import resource

    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object]) -> float:
    sync()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")


def best(runs: int, setups: dict[str, Callable[[], Callable[[], object]]]) -> dict[str, float]:
    """Best time of each contender over ``runs`` rounds, alternating their order each round.

    Each setup prepares a fresh target untimed and returns (the timed call, a cleanup).
    """
    times: dict[str, list[float]] = {k: [] for k in setups}
    names = list(setups)
    for r in range(runs):
        for name in names if r % 2 == 0 else reversed(names):
            timed_call = setups[name]()
            used = cpu_seconds()
            t = timed(timed_call)
            used = cpu_seconds() - used
            times[name].append(t)
            # CPU (user + system, this process and its children): what a busy machine's share
            # of the cores cannot hide
            log(f"  {name}: {t:.3f} s (CPU {used:.2f} s)")
            cleanup = getattr(timed_call, "cleanup", None)
            if cleanup:
                cleanup()
    return {k: min(v) for k, v in times.items()}


class Scratch:
    """Fresh output folders under one scratch root on the data file system."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        self._n = 0

    def new(self, prefix: str) -> Path:
        self._n += 1
        return self.root / f"{prefix}-{self._n}"


def new_vault(folder: Path, hash_sets: bool = True) -> tuple[Session, str]:
    """A vault with one case; returns the open session and the recovery identity text.

    ``hash_sets``: whether the case computes SHA-1 and MD5 besides SHA-256 (the default)."""
    session, recovery = init_vault(folder, USER, PASSWORD)
    assert recovery is not None
    create_case(session, CASE, "benchmark", hash_sets=hash_sets)
    return session, str(recovery)


def cli_env(folder: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "CUSTOS_USER": USER, "CUSTOS_PASSWORD": PASSWORD}
    if folder is not None:
        env["CUSTOS_VAULT"] = str(folder)
    # An installed Custos runs from byte-compiled modules (pip compiles at install). With
    # PYTHONDONTWRITEBYTECODE set (as in some dev shells) every start would compile SQLAlchemy
    # and the rest from source, seconds that no user pays; ``warm_cli`` writes the caches once.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_cli() -> None:
    run([str(CUSTOS), "--version"], cli_env())


def restic_env(scratch: Path) -> dict[str, str]:
    return {**os.environ, "RESTIC_PASSWORD": PASSWORD, "RESTIC_CACHE_DIR": str(scratch)}


# --- contenders ---------------------------------------------------------------------------------
Setup = Callable[[], Callable[[], object]]


def custos_inprocess(
    scratch: Scratch, source: Path, hash_sets: bool = True
) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        folder = scratch.new("vault")
        session, _ = new_vault(folder, hash_sets)

        def call() -> None:
            result = IngestJob(session, CASE, [source]).run(ignore)
            assert not result.failed, result.failed

        def cleanup() -> None:
            session.close()
            shutil.rmtree(folder)

        call.cleanup = cleanup  # type: ignore[attr-defined]
        return call

    return setup


def custos_cli(
    scratch: Scratch,
    source: Path,
    hash_sets: bool = True,
    no_bytecode: bool = False,
    tree: Path | None = None,
) -> Callable[[], Callable[[], object]]:
    """``custos ingest`` of ``source`` into a fresh vault; ``no_bytecode``: with
    ``PYTHONDONTWRITEBYTECODE=1`` (the caches ``warm_cli`` wrote are still read); ``tree``:
    another source tree's command line (``python -m cli.main`` there: ``--before``)."""
    command = [sys.executable, "-m", "cli.main"] if tree else [str(CUSTOS)]

    def setup() -> Callable[[], object]:
        folder = scratch.new("vault")
        new_vault(folder, hash_sets)[0].close()
        env = cli_env(folder)
        if no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"

        if tree:
            env["PYTHONPATH"] = str(tree)

        def call() -> None:
            run([*command, "ingest", "--case", CASE, str(source)], env, cwd=tree)

        call.cleanup = lambda: shutil.rmtree(folder)  # type: ignore[attr-defined]
        return call

    return setup


def age_encrypt(scratch: Scratch, source: Path, recipient: str, durable: bool = False) -> Setup:
    def setup() -> Callable[[], object]:
        out = scratch.new("age")

        def call() -> None:
            run(["age", "-r", recipient, "-o", str(out), str(source)])
            if durable:
                run(["sync", str(out)])  # fsync of the output, as ingest does before "saved"

        call.cleanup = lambda: out.unlink()  # type: ignore[attr-defined]
        return call

    return setup


def restic_backup(scratch: Scratch, source: Path) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        repo = scratch.new("restic")
        cache = scratch.new("restic-cache")
        env = restic_env(cache)
        run(["restic", "-r", str(repo), "init"], env)

        def call() -> None:
            run(["restic", "-r", str(repo), "backup", "--quiet", str(source)], env)

        def cleanup() -> None:
            shutil.rmtree(repo)
            shutil.rmtree(cache, ignore_errors=True)

        call.cleanup = cleanup  # type: ignore[attr-defined]
        return call

    return setup


# --- benchmarks ---------------------------------------------------------------------------------
def openssl_md5(source: Path) -> Setup:
    """``openssl dgst -md5 FILE``: the slowest single stream a default case computes (issue 12)."""

    def setup() -> Callable[[], object]:
        return lambda: run(["openssl", "dgst", "-md5", str(source)])

    return setup


def bench_ingest_big(
    data: Path,
    scratch: Scratch,
    size: int,
    runs: int,
    before: Path | None = None,
    restic: bool = True,
) -> list[Figure]:
    """Issue 12's decided targets, each against its anchor timed in the same run: a case without
    hash sets <= 1.15x ``age -r`` for the job, <= 1.3x from the CLI (start-up counted); the
    default case <= 1.3x ``openssl dgst -md5`` of the same file from the CLI. The CLI is timed
    with and without ``PYTHONDONTWRITEBYTECODE=1``."""
    source = data / f"one-{size // MiB}M.bin"
    random_file(source, size)
    warm(source)
    from vault.agefmt import Identity

    recipient = str(Identity.generate().recipient)
    label = f"{size // MiB} MiB" if size < GiB else f"{size // GiB} GiB"
    log(f"ingest of one {label} file, best of {runs}; load average {os.getloadavg()[0]:.1f}")
    t = best(
        runs,
        {
            "custos": custos_inprocess(scratch, source, hash_sets=False),
            "custos-cli": custos_cli(scratch, source, hash_sets=False),
            "custos-cli-nobc": custos_cli(scratch, source, hash_sets=False, no_bytecode=True),
            "custos+hs": custos_inprocess(scratch, source),
            "custos-cli+hs": custos_cli(scratch, source),
            "custos-cli-nobc+hs": custos_cli(scratch, source, no_bytecode=True),
            "age -r": age_encrypt(scratch, source, recipient),
            "openssl md5": openssl_md5(source),
            "age -r+sync": age_encrypt(scratch, source, recipient, durable=True),
            **({"restic": restic_backup(scratch, source)} if restic else {}),
            **(
                {
                    "before-cli": custos_cli(scratch, source, hash_sets=False, tree=before),
                    "before-cli+hs": custos_cli(scratch, source, tree=before),
                }
                if before
                else {}
            ),
        },
    )
    log(f"load average after: {os.getloadavg()[0]:.1f}")
    # "SHA-256": a case created with --no-hash-sets; "hash sets": the default case, which also
    # computes SHA-1 and MD5 (MD5, the slowest stream, is the anchor of that target).
    one, hs = f"ingest 1 x {label}, SHA-256", f"ingest 1 x {label}, hash sets"
    nobc = "CLI, PYTHONDONTWRITEBYTECODE=1"
    md5 = "openssl dgst -md5"
    return [
        Figure(f"{one} (in-process)", t["custos"], t["age -r"], "age -r", 1.15),
        Figure(f"{one} (CLI)", t["custos-cli"], t["age -r"], "age -r", 1.3),
        Figure(f"{one} ({nobc})", t["custos-cli-nobc"], t["age -r"], "age -r", 1.3),
        Figure(f"{hs} (CLI)", t["custos-cli+hs"], t["openssl md5"], md5, 1.3),
        Figure(f"{hs} ({nobc})", t["custos-cli-nobc+hs"], t["openssl md5"], md5, 1.3),
        Figure(f"{hs} (in-process)", t["custos+hs"], t["openssl md5"], md5, 1.3, "s", True),
        Figure(f"{hs} (in-process)", t["custos+hs"], t["age -r"], "age -r", 1.15, "s", True),
        # age with its output fsynced: the durability ingest must reach before saying "saved".
        *(
            Figure(f"{w} (in-process)", t[key], t["age -r+sync"], "age -r; sync", 1.15, "s", True)
            for w, key in ((one, "custos"), (hs, "custos+hs"))
        ),
        *(
            [
                Figure(f"{one} (in-process)", t["custos"], t["restic"], "restic backup", 0.99),
                Figure(f"{hs} (CLI)", t["custos-cli+hs"], t["restic"], "restic backup", 0.99),
            ]
            if restic
            else []
        ),
        *(
            [
                Figure(f"{one} (CLI, --before tree)", t["before-cli"], t["age -r"], "age -r", 1.3),
                Figure(
                    f"{hs} (CLI, --before tree)", t["before-cli+hs"], t["openssl md5"], md5, 1.3
                ),
            ]
            if before
            else []
        ),
    ]


def write_files(scratch: Scratch, count: int, size: int) -> Setup:
    """The floor of one file per blob: create ``count`` files of ``size`` bytes (no crypto, no
    database, no fsync) in 256 folders, as the vault lays its blobs out."""

    def setup() -> Callable[[], object]:
        out = scratch.new("files")
        out.mkdir()
        data = os.urandom(size)

        def call() -> None:
            for i in range(count):
                folder = out / f"{i % 256:02x}"
                if i < 256:
                    folder.mkdir()
                fd = os.open(folder / f"{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.write(fd, data)
                os.close(fd)

        call.cleanup = lambda: shutil.rmtree(out)  # type: ignore[attr-defined]
        return call

    return setup


def bench_ingest_small(data: Path, scratch: Scratch, count: int, runs: int) -> list[Figure]:
    source = data / f"small-{count}x4k"
    random_folder(source, count, 4096)
    warm(source)
    log(f"ingest of {count} files of 4 KiB, best of {runs}")
    t = best(
        runs,
        {
            "custos": custos_inprocess(scratch, source),
            "custos-cli": custos_cli(scratch, source),
            "restic": restic_backup(scratch, source),
            "write files": write_files(scratch, count, 4096 + 200),
        },
    )
    name = f"ingest {count:,} x 4 KiB"
    return [
        Figure(f"{name} (in-process)", t["custos"], t["restic"], "restic backup", 1.5),
        Figure(f"{name} (CLI)", t["custos-cli"], t["restic"], "restic backup", 1.5),
        # Informative: only creating that many files where the vault is (one file per blob is
        # the format); on this machine's /tmp that alone can cost more than restic's backup.
        Figure(
            f"{name} (in-process)",
            t["custos"],
            t["write files"],
            f"create {count:,} files",
            1.5,
            informative=True,
        ),
    ]


def bench_memory(data: Path, scratch: Scratch, size: int) -> list[Figure]:
    source = data / f"one-{size // MiB}M.bin"
    random_file(source, size)
    folder = scratch.new("vault")
    new_vault(folder)[0].close()
    label = f"{size // GiB} GiB" if size >= GiB else f"{size // MiB} MiB"
    log(f"peak memory of 'custos ingest' of one {label} file")
    sync()
    # /usr/bin/time, not wait4/getrusage of our own child: Linux carries the high-water RSS of
    # the process image replaced by exec into ru_maxrss, so a child forked from this (large)
    # benchmark process would report our RSS. time's own image is tiny.
    report = scratch.new("time.txt")
    cmd = [str(CUSTOS), "ingest", "--case", CASE, str(source)]
    run(["/usr/bin/time", "-f", "%M", "-o", str(report), *cmd], cli_env(folder))
    peak = int(report.read_text().split()[-1]) / 1024  # KiB
    log(f"  custos ingest peak RSS: {peak:.0f} MiB")
    shutil.rmtree(folder)
    return [Figure(f"peak RSS, ingest 1 x {label} (CLI)", peak, None, "-", 150, unit="MiB")]


def bench_verify(data: Path, scratch: Scratch, size: int, runs: int) -> list[Figure]:
    parts = 16
    source = data / f"verify-{size // MiB}M"
    source.mkdir(exist_ok=True)
    for i in range(parts):
        random_file(source / f"part{i:02d}.bin", size // parts)
    folder = scratch.new("vault")
    session, recovery = new_vault(folder)
    identity_file = scratch.root / "recovery.txt"
    identity_file.write_text(recovery + "\n")
    result = IngestJob(session, CASE, [source]).run(ignore)
    assert len(result.saved) == parts, result
    blobs = sorted(str(p) for p in (folder / "blobs").glob("*/*") if p.is_file())
    assert len(blobs) == parts
    for b in blobs:
        warm(Path(b))
    label = f"{size // GiB} GiB" if size >= GiB else f"{size // MiB} MiB"
    log(f"verify of a vault holding {label} ({parts} blobs), best of {runs}")

    def custos() -> Callable[[], object]:
        def call() -> None:
            report = VerifyJob(session).run(ignore)
            assert report.ok and report.bytes == size, report

        return call

    def age_d() -> Callable[[], object]:
        def call() -> None:
            for b in blobs:
                run(["age", "-d", "-i", str(identity_file), "-o", "/dev/null", b])

        return call

    t = best(runs, {"custos": custos, "age -d": age_d})
    session.close()
    shutil.rmtree(folder)
    anchor = "age -d (each blob)"
    return [Figure(f"verify, vault of {label}", t["custos"], t["age -d"], anchor, 1.3)]


def bench_unlock(scratch: Scratch, runs: int) -> list[Figure]:
    folder = scratch.new("vault")
    new_vault(folder)[0].close()
    log(f"unlock with the default Argon2id parameters, best of {runs}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session = unlock(folder, USER, PASSWORD)
        times.append(time.perf_counter() - start)
        session.close()
        log(f"  unlock: {times[-1]:.3f} s")
    shutil.rmtree(folder)
    return [Figure("unlock (default KDF)", min(times), None, "-", 0.5)]


def check_age_roundtrip(scratch: Scratch) -> None:
    """Sanity: a blob written by this code decrypts with the stock ``age`` to the same bytes."""
    folder = scratch.new("vault")
    session, recovery = new_vault(folder)
    src = scratch.new("roundtrip.bin")
    payload = os.urandom(3 * 65536 + 123)
    src.write_bytes(payload)
    assert IngestJob(session, CASE, [src]).run(ignore).saved
    identity_file = scratch.new("id.txt")
    identity_file.write_text(recovery + "\n")
    (blob,) = [p for p in (folder / "blobs").glob("*/*") if p.is_file()]
    plain = subprocess.run(
        ["age", "-d", "-i", str(identity_file), str(blob)], capture_output=True, check=True
    ).stdout
    assert plain == payload, "age -d does not give back the ingested bytes"
    session.close()
    shutil.rmtree(folder)


BENCHES = ("ingest-1g", "ingest-10k", "memory-4g", "verify-2g", "unlock")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--only", nargs="+", choices=BENCHES, help="run only these")
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench"))
    parser.add_argument(
        "--no-restic", action="store_true", help="ingest-1g: leave restic out (a busy machine)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="ingest-1g: also time this source tree's CLI (e.g. a byte-compiled `git archive` "
        "of an older commit), same run",
    )
    parser.add_argument(
        "--scratch", type=Path, help="where vaults and anchors write (default: DATA/scratch)"
    )
    args = parser.parse_args()
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    scratch = Scratch(args.scratch or data / "scratch")
    quick = args.quick
    chosen = args.only or BENCHES

    check_age_roundtrip(scratch)
    warm_cli()
    figures: list[Figure] = []
    if "ingest-1g" in chosen:
        figures += bench_ingest_big(
            data,
            scratch,
            128 * MiB if quick else GiB,
            2 if quick else 3,
            args.before,
            not args.no_restic,
        )
    if "ingest-10k" in chosen:
        figures += bench_ingest_small(data, scratch, 1000 if quick else 10_000, 3)
    if "memory-4g" in chosen:
        figures += bench_memory(data, scratch, 512 * MiB if quick else 4 * GiB)
    if "verify-2g" in chosen:
        figures += bench_verify(data, scratch, 256 * MiB if quick else 2 * GiB, 3)
    if "unlock" in chosen:
        figures += bench_unlock(scratch, 3)
    shutil.rmtree(scratch.root, ignore_errors=True)

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    print(f"\nMachine: {machine}; {when}")
    if quick:
        print("(--quick: reduced sizes, figures are indicative only)")
    print("\n| Figure | Custos | Anchor | Anchor time | Ratio | Target | Result |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        print(f.row())
    if not all(f.ok for f in figures):
        sys.exit(1)


if __name__ == "__main__":
    main()
