"""``custos ingest`` of a large file named on the command line: encrypted by a child process while
the command imports and unlocks (``vault.stageahead``), recorded as any ingest records it."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vault.items import list_items
from vaultkit import ROOT, blob_files, cli_env, open_as, run_cli

CASE = "C-1"
MiB = 1 << 20


def _large(path: Path, size: int) -> bytes:
    """A sparse file with random bytes at its start and end (quick to make, large to ingest)."""
    head, tail = os.urandom(MiB), os.urandom(12345)
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size - len(tail))
        fh.seek(0, os.SEEK_END)
        fh.write(tail)
    return head + bytes(size - len(head) - len(tail)) + tail


def _running_with(arg: str) -> list[int]:
    """Processes whose command line holds ``arg`` (the command and its forked child)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                words = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if arg.encode() in words:
                found.append(int(entry.name))
    return found


def test_a_large_file_gets_every_digest_of_the_case_and_leaves_nothing_in_tmp(
    vault_dir: Path, tmp_path: Path
) -> None:
    big = tmp_path / "disk.img"
    data = _large(big, 80 * MiB)
    small = tmp_path / "note.txt"
    small.write_text("beside it")
    result = run_cli("ingest", "--case", CASE, str(big), str(small), vault=vault_dir)
    assert result.returncode == 0, result.stderr
    assert "saved 2 item(s)" in result.stdout
    assert list((vault_dir / "tmp").iterdir()) == []
    with open_as(vault_dir) as session:
        (item,) = [i for i in list_items(session, CASE) if i.name == "disk.img"]
        assert item.sha256 == hashlib.sha256(data).hexdigest()
        assert item.md5 == hashlib.md5(data).hexdigest()
        assert item.sha1 == hashlib.sha1(data).hexdigest()
    assert run_cli("verify", vault=vault_dir).returncode == 0


def test_sigkill_while_the_large_file_is_staged_leaves_a_whole_vault_and_no_process(
    vault_dir: Path, tmp_path: Path
) -> None:
    big = tmp_path / "killed-disk.img"
    _large(big, 1 << 30)
    command = [sys.executable, "-m", "cli.main", "ingest", "--case", CASE, str(big)]
    process = subprocess.Popen(
        command, env=cli_env(vault_dir), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.stat().st_size > 4 * MiB for p in (vault_dir / "tmp").iterdir()):
            break  # the child is writing the staged file
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    deadline = time.monotonic() + 30
    while _running_with(str(big)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _running_with(str(big)) == []  # the child died with its parent
    with open_as(vault_dir) as session:
        assert list((vault_dir / "tmp").iterdir()) == []  # the keyless leftover is gone
        assert list_items(session, CASE) == []
        assert blob_files(vault_dir) == []
    assert run_cli("verify", vault=vault_dir).returncode == 0
