"""Peak memory of every path over a hash set's entries, local vault and agency server (issue 12).

    uv run python benchmarks/bench_hashset_memory.py [--entries N] [--only local|server]

One set of ``--entries`` random SHA-256 digests (default 2,000,000; a plain list made once in the
data folder, default ``/tmp/custos-bench-hashsets``) is imported into a new local vault and into
a new vault on a trial server (PostgreSQL 18 + pgbouncer over TLS, SeaweedFS; started on the same
cores). Then each operation runs in a child process of its own (forked before any vault is
opened), which prints its wall time and its peak RSS (``VmHWM``, reset once the vault is open:
the sign-in's Argon2id peak is not the operation's) beside its anchor, the RSS of the same child
right after it opened the vault (what the operation added is the difference):

* ``import``: ``hashsets.ImportJob`` of the plain list;
* ``list``: ``hashsets.list_sets`` (counts come from the set's row);
* ``verify``: ``hashsets.check_entries`` (the matching layer's verify pass: every entry read back,
  the entries digest recomputed);
* ``export-vics``: ``hashsets.write_vics`` into a file (what ``hashset export`` puts in its
  bundle and beside it);
* ``delete``: ``hashsets.delete_set``.

``--format nsrl``: the set is an RDSv3-shaped SQLite database instead (``--entries`` digests in
all: a third of them FILE rows, each with its SHA-256, SHA-1 and MD5), made once in the data
folder; ``import`` then reads it as ``hashset import --format nsrl`` does.

``--format vics``: the set is a VICS 2.0 JSON file instead (``--entries`` digests in all: half
of them media entries, each with an MD5, a SHA-1, a Category and three fields not read, as
Project VIC exports them), made once in the data folder; ``import`` reads it as ``hashset
import`` does.

Wall anchor for scale: ``LC_ALL=C sort -u`` of the list (not a target); for NSRL, sqlite3
counting the distinct SHA-256 of the FILE table; for VICS, ``python -c 'import json;
json.load(open(F, "rb"))'`` (its wall time and its own peak RSS, from ``wait4``).
Not part of the test suite.
``--tree DIR``: the children run the modules of that checkout (default: this one); given twice
(``--tree /work/main --tree .``), each operation runs for each tree in turn, on a vault of each
tree's own, so that before and after are measured under the same load. ``--op import`` (repeatable):
only those operations (``list``, ``verify``, ``export-vics`` and ``delete`` need the import).
``--op import-bundle`` (with ``--format vics``; local vaults): a partner's signed hash-set bundle
of that VICS file (made once per run: Politie NL imports the file and exports the set to BKA)
imported by ``exchange.hsimport.HashSetImportJob`` into a BKA vault per tree that trusts NL.
``--cli``: ``import`` and ``import-bundle`` run as the command line runs them instead
(``custos --vault V hashset import F ...`` / ``hashset import-bundle B``, a new vault per run),
under ``/usr/bin/time -v``: its maximum resident set size is the whole process's, the sign-in's
Argon2id included, and its elapsed time the command's with start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PASSWORD = "bench-password-1"
OPS = ("import", "list", "verify", "export-vics", "delete", "import-bundle")


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hwm() -> int:
    """Peak RSS (``VmHWM``) since it was last reset."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def nsrl_database(path: Path, entries: int) -> None:
    """An RDSv3-shaped SQLite database of ``entries`` random digests: ``entries // 3`` FILE rows
    (made once)."""
    import sqlite3

    if path.exists():
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "hashsets"))
    from hashkit import NSRL_SCHEMA

    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    con.executescript(NSRL_SCHEMA)
    version = "('2026.03.1', 'RDSv3', '2026-03-01', '2026-03-02', 'bench')"
    con.execute(f"INSERT INTO VERSION VALUES {version}")
    rows = entries // 3
    for start in range(0, rows, 100_000):
        con.executemany(
            "INSERT INTO FILE VALUES (?, ?, ?, '00000000', 'f.dll', 1, 1)",
            (
                (os.urandom(32).hex().upper(), os.urandom(20).hex().upper(), os.urandom(16).hex())
                for _ in range(min(100_000, rows - start))
            ),
        )
    con.commit()
    con.close()
    tmp.replace(path)


def vics_file(path: Path, entries: int) -> None:
    """A VICS 2.0 document of ``entries`` random digests: ``entries // 2`` media entries, each
    an MD5 and a SHA-1 with a category 0-3 (made once)."""
    import json
    import random

    if path.exists():
        return
    tmp = path.with_suffix(".part")
    rng = random.Random(11)
    with tmp.open("w") as fh:
        fh.write('{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/')
        fh.write('2.0.xml/Default/$metadata#Media", "value": [\n')
        media = entries // 2
        for start in range(0, media, 100_000):
            part = []
            for i in range(start, min(media, start + 100_000)):
                entry = {
                    "MediaID": i + 1,
                    "Category": rng.randrange(4),
                    "MD5": os.urandom(16).hex().upper(),
                    "SHA1": os.urandom(20).hex().upper(),
                    "MediaSize": rng.randrange(1 << 24),
                    "DateUpdated": "2026-01-07T02:31:49.8300Z",
                }
                part.append(json.dumps(entry))
            fh.write((",\n" if start else "") + ",\n".join(part))
        fh.write("\n]}\n")
    tmp.replace(path)


def json_anchor(path: Path) -> tuple[float, int]:
    """Wall time and peak RSS of ``json.load`` of ``path`` in a new Python process."""
    start = time.perf_counter()
    code = "import json, sys; json.load(open(sys.argv[1], 'rb'))"
    child = subprocess.Popen([sys.executable, "-c", code, str(path)])
    _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"json.load failed ({status})")
    return took, usage.ru_maxrss * 1024


def _op(place: Any, op: str, listing: Path, out: Path, fmt: str) -> tuple[float, int, int]:
    """In the child: open the vault, note RSS, run ``op``, report wall and peak RSS."""
    from matching import hashsets
    from service.opener import init_vault, unlock
    from vault.jobs import CancelToken, ignore

    if op == "init":  # the vault made by the tree measured (its schema's head)
        init_vault(place, "bench", PASSWORD)[0].close()
        return 0.0, 0, 0
    session = unlock(place, "bench", PASSWORD)
    try:
        opened = _rss()
        # the peak so far is the sign-in's key derivation (Argon2id): start the mark afresh
        Path("/proc/self/clear_refs").write_text("5")
        start = time.perf_counter()
        if op == "import":
            hashsets.ImportJob(session, listing, "bench", "known-bad", fmt, "bench").run(ignore)
        elif op == "list":
            assert hashsets.list_sets(session)[0].entries > 0
        elif op == "verify":
            assert not list(hashsets.check_entries(session, CancelToken()))
        elif op == "export-vics":
            with session.db() as db:
                set_id = hashsets.find_set(db, "bench").id
            if hasattr(hashsets, "write_vics"):
                with out.open("wb") as fh:
                    hashsets.write_vics(session, set_id, CancelToken(), fh.write)
            else:  # a tree before streaming export
                out.write_bytes(hashsets.vics_json(session, set_id, CancelToken()))
        elif op == "delete":
            hashsets.delete_set(session, "bench")
        elif op == "import-bundle":
            from exchange.hsimport import HashSetImportJob

            HashSetImportJob(session, listing, "bench").run(ignore)
        took = time.perf_counter() - start
    finally:
        session.close()
    peak = _hwm()
    return took, opened, peak


def run_op(
    place: Any, op: str, listing: Path, out: Path, tree: Path, fmt: str
) -> tuple[float, int, int]:
    """``op`` in a new Python process (its peak RSS its own), on the modules of ``tree``."""
    brief = out.with_suffix(".pickle")
    brief.write_bytes(pickle.dumps((place, op, listing, out, fmt)))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(brief), "--tree", str(tree)],
        check=True,
        stdout=subprocess.PIPE,
    )
    brief.unlink()
    result: tuple[float, int, int] = pickle.loads(done.stdout)
    return result


def bundle_setup(root: Path, listing: Path, trees: list[Path]) -> tuple[Path, list[Path]]:
    """Politie NL imports ``listing`` (VICS) and sends it to BKA as a signed hash-set bundle;
    one BKA vault per tree, each trusting NL (the vaults made by the first tree: the schema is
    the same). Returns the bundle and the BKA vaults."""
    from exchange import directory
    from exchange.hsexport import HashSetExportJob
    from matching import hashsets
    from service.opener import init_vault
    from vault.jobs import ignore

    def agency(place: Path, name: str, country: str) -> Any:
        session = init_vault(place, "bench", PASSWORD)[0]
        directory.set_agency(session, name, country, f"desk@{country.lower()}")
        return session

    nl = agency(root / "nl", "Politie NL", "NL")
    card_nl, _ = directory.our_card(nl)
    places = []
    for i, _ in enumerate(trees):
        de = agency(root / f"de{i}", "BKA", "DE")
        card_de, _ = directory.our_card(de)
        if i == 0:  # the same agency in every tree's vault: NL trusts the first one's key
            directory.add_partner(nl, card_de, "card")
            directory.add_agreement(nl, "BKA", "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
        directory.add_partner(de, card_nl, "card")
        directory.add_agreement(de, "Politie NL", "intelligence", "CLEAR,GREEN,AMBER", "2099-12-31")
        de.close()
        places.append(root / f"de{i}")
    hashsets.ImportJob(nl, listing, "bench", "known-bad", "vics").run(ignore)
    bundle = HashSetExportJob(nl, "bench", "BKA", root / "bundle").run(ignore).path
    nl.close()
    return bundle, places


def cli_run(place: Path, op: str, listing: Path, tree: Path) -> tuple[float, int]:
    """``op`` as ``custos`` of ``tree`` runs it, under ``/usr/bin/time -v``: (elapsed, max RSS)."""
    args = ["hashset", "import", str(listing), "--name", "bench", "--kind", "known-bad"]
    if op == "import-bundle":
        args = ["hashset", "import-bundle", str(listing), "--as", "bench"]
    code = f"import sys; sys.path.insert(0, {str(tree)!r}); from cli.main import run; run()"
    env = {**os.environ, "CUSTOS_USER": "bench", "CUSTOS_PASSWORD": PASSWORD}
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", code, "--vault", str(place), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    fields = dict(line.strip().rsplit(": ", 1) for line in done.stderr.splitlines() if ": " in line)
    if done.returncode != 0:
        raise RuntimeError(f"{op} failed: {done.stderr[-2000:]}")
    clock = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    took = sum(float(x) * 60**i for i, x in enumerate(reversed(clock)))
    return took, int(fields["Maximum resident set size (kbytes)"]) * 1024


def measure_cli(name: str, places: list[Path], listing: Path, trees: list[Path], op: str) -> None:
    from bench_vault import log

    for place, tree in zip(places, trees, strict=True):
        took, peak = cli_run(place, op, listing, tree)
        log(
            f"  {name:6} {tree.name[:12]:12} {op:13} CLI (/usr/bin/time -v) elapsed {took:7.2f} s"
            f"  max RSS {peak / 2**20:5.0f} MiB  load {os.getloadavg()[0]:.1f}"
        )


def measure(
    name: str,
    places: list[Any],
    listing: Path,
    out: Path,
    trees: list[Path],
    ops: list[str],
    fmt: str = "plain",
    init: bool = True,
) -> None:
    """Each operation for each tree in turn (a vault of its own per tree), so that the trees'
    figures of one operation are taken under the same load."""
    from bench_vault import log

    for place, tree in zip(places, trees, strict=True):
        if init:
            run_op(place, "init", listing, out, tree, fmt)
    for op in ops:
        for place, tree in zip(places, trees, strict=True):
            took, opened, peak = run_op(place, op, listing, out, tree, fmt)
            mib = 2**20
            log(
                f"  {name:6} {tree.name[:12]:12} {op:12} wall {took:7.2f} s  "
                f"peak RSS {peak / mib:5.0f} MiB (after opening {opened / mib:4.0f} MiB, "
                f"added {(peak - opened) / mib:5.0f} MiB)  load {os.getloadavg()[0]:.1f}"
            )
    out.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/custos-bench-hashsets"))
    parser.add_argument("--only", choices=("local", "server"))
    here = Path(__file__).resolve().parent.parent
    parser.add_argument("--tree", type=Path, action="append", help="repeat to compare trees")
    parser.add_argument("--op", choices=OPS, action="append", help="only these (repeatable)")
    parser.add_argument("--format", choices=("plain", "nsrl", "vics"), default="plain")
    parser.add_argument("--cli", action="store_true", help="import(-bundle) as the CLI command")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    trees: list[Path] = args.tree or [here]
    ops: list[str] = args.op or [o for o in OPS if o != "import-bundle"]
    sys.path.insert(0, str(trees[0]))
    if args.child:
        sys.stdout.buffer.write(pickle.dumps(_op(*pickle.loads(args.child.read_bytes()))))
        return
    sys.path.insert(1, str(Path(__file__).resolve().parent))
    from bench_hashsets import digest_list
    from bench_vault import Scratch, log

    args.data.mkdir(parents=True, exist_ok=True)
    fmt: str = args.format
    if fmt == "nsrl":
        listing = args.data / f"nsrl-{args.entries}.db"
        nsrl_database(listing, args.entries)
    elif fmt == "vics":
        listing = args.data / f"vics-{args.entries}.json"
        vics_file(listing, args.entries)
    else:
        listing = args.data / f"sha256-{args.entries}.txt"
        digest_list(listing, args.entries)
    scratch = Scratch(args.data / f"scratch-memory-{os.getpid()}")
    os.environ["CUSTOS_CACHE_DIR"] = str(scratch.new("cache"))
    out = scratch.root / "export.json"
    log(f"trees {', '.join(map(str, trees))}; {args.entries:,} entries ({fmt})")
    start = time.perf_counter()
    if fmt == "nsrl":
        import sqlite3

        with contextlib.closing(sqlite3.connect(listing)) as con:
            con.execute("SELECT count(DISTINCT sha256) FROM FILE").fetchone()
        log(f"  anchor: sqlite3 count(DISTINCT sha256) {time.perf_counter() - start:.2f} s")
    elif fmt == "vics":
        took, peak = json_anchor(listing)
        log(
            f"  anchor: json.load of the VICS file ({listing.stat().st_size / 2**20:.0f} MiB) "
            f"{took:.2f} s, peak RSS {peak / 2**20:.0f} MiB  load {os.getloadavg()[0]:.1f}"
        )
    else:
        subprocess.run(
            ["sort", "-u", "-o", "/dev/null", str(listing)],
            check=True,
            env={**os.environ, "LC_ALL": "C"},
        )
        log(f"  anchor: sort -u of the list {time.perf_counter() - start:.2f} s")
    try:
        if "import-bundle" in ops:
            ops.remove("import-bundle")
            bundle, places = bundle_setup(scratch.new("bundle"), listing, trees)
            log(f"  bundle of {listing.name} made: {bundle}")
            if args.cli:
                measure_cli("local", places, bundle, trees, "import-bundle")
            else:
                measure("local", places, bundle, out, trees, ["import-bundle"], fmt, init=False)
        if args.cli and "import" in ops:
            ops.remove("import")
            places = [scratch.new("cli") / "vault" for _ in trees]
            for place, tree in zip(places, trees, strict=True):
                run_op(place, "init", listing, out, tree, fmt)
            measure_cli("local", places, listing, trees, "import")
        if args.only != "server" and ops:
            places = [scratch.new("local") / "vault" for _ in trees]
            measure("local", places, listing, out, trees, ops, fmt)
        if args.only != "local" and ops:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
            from serverkit import TrialServer

            from vault.server import trial
            from vault.server.base import free_port_base

            folder = Path(tempfile.mkdtemp(prefix="hsm-")) / "s"  # short: it names the CA
            folder.parent.chmod(0o755)  # PostgreSQL's own user passes through it
            connection, _ = trial.up(folder, free_port_base())
            try:
                server = TrialServer(folder, connection)
                places = [server.new_place() for _ in trees]
                measure("server", places, listing, out, trees, ops, fmt)
            finally:
                trial.down(folder)
                shutil.rmtree(folder.parent, ignore_errors=True)
    finally:
        shutil.rmtree(scratch.root, ignore_errors=True)


if __name__ == "__main__":
    main()
