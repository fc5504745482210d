"""Ctrl-C and SIGKILL in the middle of ``custos ingest``: the vault opens, verifies, loses nothing.

SIGKILL rounds use a seeded RNG for the moment of the kill. Half of the rounds run the real
command; the other half run it with small commit batches and a line printed for every item the
moment it is reported saved, so "every reported item is intact" is checked item by item.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from vault.items import list_items
from vault.models import Blob, Item
from vault.verify import verify
from vaultkit import ROOT, assert_store_matches_rows, blob_files, cli_env, one_clear_line, open_as

CASE = "C-1"
SEED = 20260301
ROUNDS = 8

REPORTING = """
import sys
import vault.ingest as ingest
from vault.jobs import Finished

ingest.BATCH_FILES = 16
real_run = ingest.IngestJob.run


def run(self, emit):
    def tee(event):
        if isinstance(event, Finished) and event.ok:
            # one write: SIGKILL cannot tear the line (stdout is unbuffered in some shells)
            print(f"SAVED {event.message} {event.subject}", flush=True)
        emit(event)

    return real_run(self, tee)


ingest.IngestJob.run = run
from cli.main import main

sys.argv = ["custos", *sys.argv[1:]]
main()
"""


def _start(vault: Path, out: Path, *args: str, script: Path | None = None) -> subprocess.Popen:
    command = [sys.executable, str(script)] if script else [sys.executable, "-m", "cli.main"]
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        return subprocess.Popen(
            [*command, *args], stdout=stdout, stderr=stderr, env=cli_env(vault), cwd=ROOT
        )


def _wait_for_temp_file(vault: Path, process: subprocess.Popen, min_size: int) -> bool:
    """Wait until ingest is writing a blob of at least ``min_size`` bytes in ``tmp/``."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            sizes = [p.stat().st_size for p in (vault / "tmp").iterdir()]
        except FileNotFoundError:  # the temp file was renamed into the store meanwhile
            sizes = []
        if any(size >= min_size for size in sizes):
            return True
        time.sleep(0.002)
    return False


def _check_whole(vault: Path) -> dict[int, tuple[str, str]]:
    """Open, verify, and check no leftovers; returns {item id: (original path, sha256)}."""
    with open_as(vault) as session:
        assert list((vault / "tmp").iterdir()) == []
        with session.db() as db:
            known = set(db.scalars(select(Blob.name)))
            rows = {
                i.id: (i.original_path, i.sha256, i.blob_name) for i in db.scalars(select(Item))
            }
        assert_store_matches_rows(session)  # blobs and packs (small files): no orphan, none missing
        assert {blob for _, _, blob in rows.values()} == known
        report = verify(session)
        assert report.ok, report.problems
        assert report.items == len(rows)
    for path, sha, _ in rows.values():
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha, path
    return {i: (path, sha) for i, (path, sha, _) in rows.items()}


def _make_round(folder: Path, rng: random.Random, pool: list[bytes]) -> None:
    """300 small files (a third repeat earlier content; packed) and two 5 MiB files in
    subfolders."""
    for n in range(300):
        sub = folder / f"d{n % 7}" / f"e{n % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        if pool and n % 3 == 0:
            data = rng.choice(pool)
        else:
            data = rng.randbytes(rng.randint(1, 6) * 1024 + rng.randint(0, 999))
            pool.append(data)
        (sub / f"f{n:03}.bin").write_bytes(data)
    (folder / "big-a.bin").write_bytes(rng.randbytes(5 << 20))
    (folder / "big-b.bin").write_bytes(bytes(5 << 20))  # the same in every round: stored once


def _wait_for_saved(out: Path, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Until the reporting ingest has printed a SAVED line, or ended."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and process.poll() is None:
        if out.exists() and "SAVED " in out.read_text(errors="replace"):
            return
        time.sleep(0.01)


def test_sigkill_at_random_moments_leaves_a_whole_vault(vault_dir: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    script = tmp_path / "reporting_ingest.py"
    script.write_text(REPORTING)
    pool: list[bytes] = []
    killed = 0
    reported_total = 0
    # One uninterrupted run first: how long an ingest of one round takes here sets the window
    # the kills are spread over (so fast and slow machines both see kills early, mid and late).
    calibration = tmp_path / "calibration"
    _make_round(calibration, rng, pool)
    process = _start(
        vault_dir, tmp_path / "calibration.out", "ingest", "--case", CASE, str(calibration)
    )
    assert _wait_for_temp_file(vault_dir, process, 1)
    started = time.monotonic()
    assert process.wait(timeout=300) == 0, (tmp_path / "calibration.err").read_text()
    window = time.monotonic() - started
    _check_whole(vault_dir)
    for round_ in range(ROUNDS):
        folder = tmp_path / f"card{round_}"
        _make_round(folder, rng, pool)
        out = tmp_path / f"round{round_}.out"
        reporting = round_ % 2 == 1
        process = _start(
            vault_dir,
            out,
            "ingest",
            "--case",
            CASE,
            str(folder),
            script=script if reporting else None,
        )
        started = _wait_for_temp_file(vault_dir, process, 1)
        if reporting and started:
            # kill after the first commit has been reported (packs commit in batches, so a
            # fixed share of the window may fall before any), at a random moment after it
            _wait_for_saved(out, process)
            time.sleep(window * rng.uniform(0.0, 0.4))
        else:
            time.sleep(window * rng.uniform(0.0, 0.75) if started else 0)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        code = process.wait(timeout=60)
        items = _check_whole(vault_dir)
        print(f"round {round_}: exit {code}, {len(items)} items in the vault")  # shown with -s
        if reporting:
            for line in out.read_text().splitlines():
                if not line.startswith("SAVED "):
                    continue  # the summary line of a round that finished before the kill
                _, _, item_id, name = line.split(" ", 3)
                assert int(item_id) in items, f"round {round_}: {name} reported saved, not found"
                assert items[int(item_id)][0] == str(folder.parent / name)
                reported_total += 1
    assert killed >= ROUNDS // 2, "most rounds should have been killed mid-ingest"
    assert reported_total > 0
    # After all that, a full ingest runs to the end and everything verifies.
    final = tmp_path / "final"
    _make_round(final, rng, pool)
    process = _start(vault_dir, tmp_path / "final.out", "ingest", "--case", CASE, str(final))
    assert process.wait(timeout=300) == 0, (tmp_path / "final.err").read_text()
    items = _check_whole(vault_dir)
    assert sum(path.startswith(str(final) + os.sep) for path, _ in items.values()) == 302


def test_ctrl_c_mid_ingest_keeps_the_finished_files_and_exits_130(
    vault_dir: Path, tmp_path: Path
) -> None:
    small = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for path in small:
        path.write_text(f"{path.name} finished before Ctrl-C")
    big = tmp_path / "disk.img"
    with big.open("wb") as fh:  # sparse: quick to make, slow enough to ingest
        fh.truncate(4 << 30)  # encrypted from the start (stageahead): still going at Ctrl-C
    out = tmp_path / "ingest.out"
    process = _start(vault_dir, out, "ingest", "--case", CASE, *map(str, small), str(big))
    assert _wait_for_temp_file(vault_dir, process, 4 << 20), out.with_suffix(".err").read_text()
    # The large file is encrypted from the start (vault.stageahead), before the unlock: wait
    # until the small files are stored too, so the job itself is under way.
    deadline = time.monotonic() + 120
    while len(blob_files(vault_dir)) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
    # Stored is not yet taken: a Ctrl-C between a small file's rename and the job taking it drops
    # it as in flight. The job takes both long before the 4 GiB file is read (seconds).
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 130
    result = subprocess.CompletedProcess(
        [], 130, out.read_text(), out.with_suffix(".err").read_text()
    )
    lines = one_clear_line(result).splitlines()
    assert lines[-1] == "error: ingest cancelled; 2 item(s) saved before it stopped", lines
    assert "saved 2 item(s) to case C-1" in result.stdout
    _check_whole(vault_dir)
    with open_as(vault_dir) as session:
        assert [i.name for i in list_items(session, CASE)] == ["a.txt", "b.txt"]
    assert len(blob_files(vault_dir)) == 2
