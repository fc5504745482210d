"""The live view's feed: what another process adds to the vault is reported, what this session
did itself is not (the desktop already refreshes after its own jobs)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from vault.changes import ChangeFeed
from vault.ingest import ingest
from vault.session import Session
from vaultkit import cli_env, open_as


def _files(folder: Path, n: int, tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"{tag}-{i}.txt"
        p.write_text(f"{tag} file {i}\n")
        paths.append(p)
    return paths


def test_another_sessions_items_are_reported_and_own_are_not(
    admin: Session, case: str, vault_dir: Path, tmp_path: Path
) -> None:
    feed = ChangeFeed(admin)
    assert feed.look() is None  # nothing since it was made

    ingest(admin, case, _files(tmp_path / "own", 2, "own"))
    own = feed.look()
    assert own is not None and not own.any  # the head moved, but by this session

    other = open_as(vault_dir)
    try:
        ingest(other, case, _files(tmp_path / "other", 3, "other"))
    finally:
        other.close()
    seen = feed.look()
    assert seen is not None and seen.items == 3
    assert feed.look() is None  # reported once


def test_a_batch_from_another_process_wakes_the_waiting_feed(
    admin: Session, case: str, vault_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "dump"
    _files(folder, 40, "dump")  # a batch: one items.acquired entry for them all
    feed = ChangeFeed(admin)
    stop = threading.Event()
    found: list[object] = []
    waiter = threading.Thread(target=lambda: found.append(feed.wait(stop, timeout=120)))
    waiter.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "ingest", "--case", case, str(folder)],
            env=cli_env(vault_dir),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        waiter.join(timeout=30)
    finally:
        stop.set()
        waiter.join()
    assert len(found) == 1 and found[0] is not None
    assert found[0].items == 40  # type: ignore[attr-defined]


def test_stop_ends_the_wait(admin: Session) -> None:
    feed = ChangeFeed(admin)
    stop = threading.Event()
    stop.set()
    assert feed.wait(stop) is None
