"""Two processes, one vault: an officer's batch ingest from the CLI while an analyst works in
the GUI (here: a session held open in this process, writing as the GUI would).

Concurrent writers are serialised by the database, the audit chain stays one chain, and the
orphan clean-up of one process never removes a blob another process has moved in but not yet
committed; a SIGKILLed writer loses only its own uncommitted work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vault.cases import create_case
from vault.items import list_items
from vault.verify import verify
from vaultkit import ROOT, assert_store_matches_rows, cli_env, open_as, run_cli

CASE = "C-1"


def _files(folder: Path, n: int, size: int) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"f{i:04}.bin").write_bytes(os.urandom(size))
    return folder


def _ingest(vault: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", "--case", CASE, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(vault),
        cwd=ROOT,
    )


def _wait_for_items(vault_session_folder: Path, at_least: int, process: subprocess.Popen) -> None:
    """Until the other process has committed some items (or ended)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with open_as(vault_session_folder) as s:
            if len(list_items(s, CASE)) >= at_least:
                return
        time.sleep(0.05)


def test_two_cli_ingests_and_an_open_session_write_one_vault_at_once(
    vault_dir: Path, tmp_path: Path
) -> None:
    a = _files(tmp_path / "a", 300, 4096)
    b = _files(tmp_path / "b", 300, 4096)
    gui = open_as(vault_dir)  # the analyst's GUI has the vault open throughout
    try:
        first, second = _ingest(vault_dir, a), _ingest(vault_dir, b)
        for n in range(5):  # the analyst writes while both ingests run
            create_case(gui, f"G-{n}", "opened during the ingests")
        out_a, err_a = first.communicate(timeout=300)
        out_b, err_b = second.communicate(timeout=300)
        assert first.returncode == 0, out_a + err_a
        assert second.returncode == 0, out_b + err_b
        assert len(list_items(gui, CASE)) == 600
        report = verify(gui)
        assert report.problems == [] and report.blobs == 600
    finally:
        gui.close()
    result = run_cli("verify", vault=vault_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_sigkilled_writer_loses_only_its_own_uncommitted_work(
    vault_dir: Path, tmp_path: Path
) -> None:
    a = _files(tmp_path / "a", 300, 4096)
    b = _files(tmp_path / "b", 8000, 4096)  # more than a quiet machine ingests before the kill
    gui = open_as(vault_dir)
    try:
        survivor, victim = _ingest(vault_dir, a), _ingest(vault_dir, b)
        _wait_for_items(vault_dir, 50, victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        create_case(gui, "G-1", "written after the kill")
        out, err = survivor.communicate(timeout=300)
        assert survivor.returncode == 0, out + err
        # The analyst closes while nothing else is open: orphans of the killed process go now.
        names_a = {f"a/{p.name}" for p in a.iterdir()} | {p.name for p in a.iterdir()}
        items = list_items(gui, CASE)
        from_a = [i for i in items if i.name in names_a or i.original_path.startswith(str(a))]
        assert len(from_a) == 300
        assert len(items) < 8300  # the victim was stopped before the end
    finally:
        gui.close()
    with open_as(vault_dir) as s:
        report = verify(s)
        assert report.problems == []
        assert_store_matches_rows(s)  # no orphan blob or pack left, none missing
    assert not (vault_dir / "blobs" / ".unsettled").exists()
